/* main.c - ec2gwd: arguments, then start and run the daemon object. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "ops/metrics.h"
#include "server/builtins.h"
#include "server/daemon.h"

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: ec2gwd [-c DIR] [--check-config [--print-config] | --list-plugins |\n"
            "              --list-actions] [--plugin-dir DIR] [--model FILE]\n"
            "\n"
            "ec2gwd serves the Amazon EC2 Query API (API version 2016-11-15, SigV4 and SigV2)\n"
            "in front of an OpenStack cloud. Each EC2 action is routed to a plugin for one\n"
            "OpenStack service API (plugins/compute/nova-v2.1, ...), as conf.d says.\n"
            "\n"
            "Options:\n"
            "  -c, --conf-dir DIR   read every *.yaml in DIR, in name order, merged: a later\n"
            "                       file overrides an earlier one key by key (default\n"
            "                       %s)\n"
            "  -t, --check-config   validate the configuration, load the plugins and exit:\n"
            "                       0 when it is valid, 1 with file:line errors when not\n"
            "      --print-config   with --check-config: first print the merged configuration\n"
            "                       as YAML, each value with the file:line it comes from\n"
            "                       (passwords and secrets hidden; unset keys take defaults)\n"
            "      --list-plugins   load the configuration like --check-config, then print each\n"
            "                       plugin instance: its conf file and line, the plugin, its\n"
            "                       version and ABI, the module file (and whether a replaced\n"
            "                       file was reloaded), its service, the chain it wraps, the\n"
            "                       actions it declares and its settings with their defaults\n"
            "      --list-actions   likewise, then print each routed action: the instance that\n"
            "                       serves it, the wrappers it passes through (outermost first,\n"
            "                       e.g. site-compute > compute) and its effective flags\n"
            "                       (client-token, dryrun, readonly: a wrapper inherits those of\n"
            "                       the action it wraps). The daemon's own actions (tags,\n"
            "                       DescribeRegions) are not routed and not listed.\n"
            "      --plugin-dir DIR where plugin modules (<plugin>.so) are (default\n"
            "                       paths.plugin_dir, $EC2GW_PLUGIN_DIR, %s)\n"
            "      --model FILE     the EC2 service model (default paths.model, $EC2GW_MODEL,\n"
            "                       %s)\n"
            "  -h, --help           this text\n"
            "  -V, --version        version and plugin ABI\n"
            "\n"
            "Drop-ins: a site file such as conf.d/50-site.yaml holding only\n"
            "    listen: { port: 8790 }\n"
            "changes that one key of 00-daemon.yaml: mappings merge key by key, a scalar or a\n"
            "list replaces the earlier one whole, and a mapping against a scalar is an error.\n"
            "A file with `instance: compute` and `settings: {...}` (no plugin:) changes the\n"
            "settings of the instance an earlier file configures. SIGHUP merges the same way.\n"
            "\n"
            "Plugins: a conf.d file with `plugin:` configures one instance (plugin, file,\n"
            "instance, wraps, actions, service, settings). One line enables a wrapping plugin\n"
            "with default settings, in any other conf.d file:\n"
            "    wrap: { compute: /usr/lib/x86_64-linux-gnu/ec2gw/plugins/site.so }\n"
            "The key names the instance wrapped; the value is a path, or a file name (.so\n"
            "optional) under the plugin directory, or a list (each wraps the one before). The\n"
            "new instance is named after the plugin. Start-up and reload refuse a missing\n"
            "file, an unknown instance, and a plugin that wraps nothing (no OpenStack hooks, no\n"
            "action the wrapped instance serves).\n"
            "\n"
            "Signals: SIGHUP reloads conf.d (a failed reload keeps the running configuration);\n"
            "a plugin file replaced on disk (another inode, size or mtime: install(1) or mv a\n"
            "new build over it, never cp onto a loaded file) is loaded again from a private\n"
            "copy, and requests already running finish on the old code.\n"
            "SIGTERM and SIGINT stop accepting, drain requests in flight, then exit.\n"
            "\n"
            "Endpoints: POST or GET / (EC2 Query API), GET /healthz, GET /metrics (Prometheus).\n"
            "\n"
            "Secrets: keystone.service_password_env or keystone.service_password_file keep the\n"
            "service user's password out of the YAML.\n",
            EC2GW_DEFAULT_CONF_DIR, EC2GW_DEFAULT_PLUGIN_DIR, EC2GW_DEFAULT_MODEL);
}

/* --print-config: the merged conf.d with origins, printed before it is validated, so that an
 * operator sees what the drop-ins add up to even when a value is refused. */
static int
print_merged(const char *dir)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };

    if (ec2gw_conf_load_dir(dir, &set, &err) != 0) {
        fprintf(stderr, "ec2gwd: %s\n", err.msg);
        return 1;
    }
    ec2gw_conf_print(set, stdout);
    ec2gw_conf_set_free(set);
    fflush(stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "conf-dir", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 't' },
        { "print-config", no_argument, NULL, 'p' },
        { "list-plugins", no_argument, NULL, 'L' },
        { "list-actions", no_argument, NULL, 'A' },
        { "plugin-dir", required_argument, NULL, 'P' },
        { "model", required_argument, NULL, 'M' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    ec2gw_daemon_t d = { 0 };
    ec2gw_err_t err = { 0 };
    int opt, rc, list = 0, print_config = 0;

#ifdef M_MXFAST
    /* Every request frees thousands of small JSON nodes and then allocates large buffers;
     * with fastbins glibc consolidates them on each large allocation (malloc_consolidate was
     * 11 % of the samples of a DescribeInstances of 1000 servers). tcache still serves small
     * sizes. Measured (noisy, +-20 %): 1000 servers 125 -> 104-119 ms CPU a request;
     * DescribeRegions 0.045 -> 0.042 ms. */
    mallopt(M_MXFAST, 0);
#endif
    /* No fixed M_MMAP_THRESHOLD: mapping every large block afresh costs a page fault per
     * page, and faults are dear on this VM (22 % of a 1 000-instance answer, perf); the heap
     * is given back by malloc_trim when the loop goes idle (server/mem_trim.c). */
    /* Request JSON in per-request arenas (json_arena.h): before any JSON is made. */
    ec2gw_json_arena_init();
    d.opts.conf_dir = EC2GW_DEFAULT_CONF_DIR;
    ec2gw_metrics_set_build(EC2GW_VERSION, EC2GW_GIT);
    while ((opt = getopt_long(argc, argv, "c:thV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            d.opts.conf_dir = optarg;
            break;
        case 't':
            d.opts.check_only = 1;
            break;
        case 'p':
            d.opts.check_only = 1;
            print_config = 1;
            break;
        case 'L':
        case 'A':
            d.opts.check_only = 1;
            list = opt;
            break;
        case 'P':
            d.opts.plugin_dir = optarg;
            break;
        case 'M':
            d.opts.model_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("ec2gwd %s (plugin ABI %d.%d, EC2 API 2016-11-15)\n", EC2GW_VERSION,
                   EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ec2gwd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    /* Before any thread exists (curl's threaded resolver starts them). */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS))
        ec2gw_log(EC2GW_LOG_WARN, NULL,
                  "libcurl has no asynchronous resolver: name lookups "
                  "of OpenStack endpoints will block the event loop");
    if (print_config && (rc = print_merged(d.opts.conf_dir)) != 0) {
        curl_global_cleanup();
        return rc;
    }
    rc = ec2gw_daemon_prepare(&d, &err);
    if (rc == 0 && !d.opts.check_only)
        rc = ec2gw_daemon_listen(&d, &err);
    if (rc != 0) {
        fprintf(stderr, "ec2gwd: %s\n", err.msg);
        ec2gw_daemon_free(&d);
        curl_global_cleanup();
        return 1;
    }
    if (list == 'L') {
        ec2gw_plugins_list(d.gen->plugins, stdout);
    } else if (list == 'A') {
        ec2gw_plugins_list_actions(d.gen->plugins, ec2gw_builtin_serves, stdout);
    } else if (print_config) {
        size_t n_routes = 0, n = ec2gw_plugins_count(d.gen->plugins, &n_routes);

        printf("# valid: %zu plugin instances, %zu actions routed\n", n, n_routes);
    } else if (d.opts.check_only) {
        size_t n_routes = 0, n = ec2gw_plugins_count(d.gen->plugins, &n_routes);

        printf("ec2gwd: configuration in %s is valid: %zu plugin instances, %zu actions routed\n",
               d.opts.conf_dir, n, n_routes);
        for (size_t i = 0; i < n; i++) {
            ec2gw_instance_t *in = ec2gw_plugins_instance(d.gen->plugins, i);

            printf("  %-12s %s %s (%s)%s%s\n", in->name, in->module->desc->name,
                   in->module->desc->version ? in->module->desc->version : "", in->module->path,
                   in->wraps ? " wraps " : "", in->wraps ? in->wraps->name : "");
        }
    } else {
        int in_worker = d.gen->conf.workers > 1 ? ec2gw_workers_run(&d, &err) : 1;

        if (in_worker < 0) {
            fprintf(stderr, "ec2gwd: %s\n", err.msg);
            rc = 1;
        } else if (in_worker == 1) {
            rc = ec2gw_daemon_serve_init(&d, &err);
            if (rc != 0) {
                fprintf(stderr, "ec2gwd: %s\n", err.msg);
                rc = 1;
            } else {
                rc = ec2gw_daemon_run(&d);
            }
        }
    }
    ec2gw_daemon_free(&d);
    curl_global_cleanup();
    return rc;
}
