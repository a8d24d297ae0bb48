/*
 * test_layers.c - wrap chains through the daemon's real host table (issue 16):
 *   #2  each instance of a chain has its own zeroed state() block, and the instance that
 *       asked for a callback (timer, model hook) is the current one in it: its state(),
 *       its delegate(), its name in log lines (not "inst=-");
 *   #3  a wrapper inherits the wrapped action's ClientToken/DryRun flags unless it sets
 *       EC2GW_ACT_OWN_FLAGS; READONLY holds only when every layer says so;
 *   #6  the one-line `wrap:` (path, name under the plugin directory, stacked list) and its
 *       start-up errors (missing file, unknown instance, a plugin that wraps nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <event2/event.h>
#include <event2/http.h>

#include "layer_plugin.h"
#include "plugin/plugin.h"
#include "server/request.h"

#define MAX_FILES 4

typedef struct fixture {
    char dir[256];
    char *files[MAX_FILES];
    size_t n_files;
    ec2gw_conf_set_t *set;
    ec2gw_plugins_t *plugins;
    ec2gw_err_t err;
} fixture_t;

static ec2gw_model_t *model;

static int
group_setup(void **state)
{
    ec2gw_err_t err;

    (void)state;
    if (ec2gw_model_load(EC2GW_SOURCE_DIR "/model/ec2-2016-11-15.json", &model, &err) != 0) {
        fprintf(stderr, "model: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    ec2gw_model_free(model);
    ec2gw_modules_unload_all();
    return 0;
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/ec2gw-layers-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;

    ec2gw_plugins_free(f->plugins);
    ec2gw_conf_set_free(f->set);
    for (size_t i = 0; i < f->n_files; i++) {
        unlink(f->files[i]);
        free(f->files[i]);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static const char *
conf(fixture_t *f, const char *name, const char *yaml)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(yaml, fp);
    fclose(fp);
    assert_true(f->n_files < MAX_FILES);
    f->files[f->n_files] = strdup(path);
    return f->files[f->n_files++];
}

/* Build with @p plugin_dir as the directory `wrap:` names are looked up in. */
static int
build_in(fixture_t *f, const char *plugin_dir)
{
    if (ec2gw_conf_load_dir(f->dir, &f->set, &f->err) != 0)
        fail_msg("conf.d: %s", f->err.msg);
    memset(&f->err, 0, sizeof(f->err));
    if (ec2gw_plugins_build(f->set, plugin_dir, ec2gw_host_api(), model, &f->plugins, &f->err) !=
        0) {
        f->plugins = NULL;
        return -1;
    }
    return 0;
}

static int
build(fixture_t *f)
{
    return build_in(f, TEST_PLUGIN_DIR);
}

static void
assert_error(fixture_t *f, const char *needle)
{
    assert_int_not_equal(build(f), 0);
    if (strstr(f->err.msg, needle) == NULL)
        fail_msg("error '%s' lacks '%s'", f->err.msg, needle);
}

static ec2gw_instance_t *
instance(fixture_t *f, const char *name)
{
    ec2gw_instance_t *in;

    for (size_t i = 0; (in = ec2gw_plugins_instance(f->plugins, i)) != NULL; i++)
        if (strcmp(in->name, name) == 0)
            return in;
    fail_msg("no instance '%s'", name);
    return NULL;
}

static const char inner_yaml[] = "file: " TEST_PLUGIN_DIR "/layer_inner.so\ninstance: inner\n";

/* ---- #3 flags ------------------------------------------------------------------------ */

static void
wrapper_inherits_flags(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "20-outer.yaml",
         "file: " TEST_PLUGIN_DIR "/layer_outer.so\ninstance: outer\nwraps: inner\n");
    assert_int_equal(build(f), 0);
    r = ec2gw_plugins_route(f->plugins, "RunInstances");
    assert_non_null(r);
    assert_string_equal(r->inst->name, "outer");
    /* outer declares 0: it keeps ClientToken idempotency and the wrapped DryRun handling, but
     * not inner's rerun promise (outer did not make it) */
    assert_int_equal(r->act->flags, EC2GW_ACT_CLIENT_TOKEN | EC2GW_ACT_DRYRUN);
    /* the handler is still the wrapper's */
    ec2gw_instance_t *next = NULL;
    const ec2gw_action_t *below = ec2gw_plugins_next(r->inst, "RunInstances", &next);

    assert_non_null(below);
    assert_ptr_not_equal(r->act->fn, below->fn);
    /* READONLY only when every layer says it: outer does not */
    r = ec2gw_plugins_route(f->plugins, "DescribeRegions");
    assert_int_equal(r->act->flags & EC2GW_ACT_READONLY, 0);
}

static void
own_flags_replace(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "20-own.yaml", "file: " TEST_PLUGIN_DIR "/layer_own.so\ninstance: own\nwraps: inner\n");
    assert_int_equal(build(f), 0);
    r = ec2gw_plugins_route(f->plugins, "RunInstances");
    assert_string_equal(r->inst->name, "own");
    assert_int_equal(r->act->flags, EC2GW_ACT_OWN_FLAGS);
    r = ec2gw_plugins_route(f->plugins, "DescribeRegions"); /* both layers READONLY */
    assert_int_equal(r->act->flags, EC2GW_ACT_READONLY);
}

/* ---- #6 one-line wrap ------------------------------------------------------------------ */

static void
wrap_line_path(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;
    ec2gw_instance_t *next = NULL;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: { inner: " TEST_PLUGIN_DIR "/layer_outer.so }\n");
    assert_int_equal(build(f), 0);
    r = ec2gw_plugins_route(f->plugins, "RunInstances");
    assert_string_equal(r->inst->name, "layer_outer"); /* named after the descriptor */
    assert_true(r->inst->one_line);
    assert_non_null(ec2gw_plugins_next(r->inst, "RunInstances", &next));
    assert_string_equal(next->name, "inner");
    assert_int_equal(r->act->flags, EC2GW_ACT_CLIENT_TOKEN | EC2GW_ACT_DRYRUN);
}

static void
wrap_line_name_under_plugin_dir(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;

    conf(f, "10-hello.yaml", "plugin: hello\ninstance: hello\n");
    /* beside daemon sections, a bare name: <plugin_dir>/site-compute.so */
    conf(f, "00-daemon.yaml", "log: { level: info }\nwrap: { hello: site-compute }\n");
    assert_int_equal(build_in(f, EXAMPLE_PLUGIN_DIR), 0);
    r = ec2gw_plugins_route(f->plugins, "DescribeAccountAttributes");
    assert_string_equal(r->inst->name, "site-compute");
    assert_string_equal(r->inst->wraps->name, "hello");
    /* its settings took their defaults (create() checked them) */
    assert_true(r->inst->created);
}

static void
wrap_line_stacked_list(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: { inner: [layer_outer.so, layer_own] }\n");
    assert_int_equal(build(f), 0);
    r = ec2gw_plugins_route(f->plugins, "RunInstances");
    assert_string_equal(r->inst->name, "layer_own");
    assert_string_equal(r->inst->wraps->name, "layer_outer");
    assert_string_equal(r->inst->wraps->wraps->name, "inner");
    assert_string_equal(instance(f, "layer_outer")->wraps->name, "inner");
}

static void
wrap_line_missing_file(void **state)
{
    fixture_t *f = *state;
    const char *p;

    conf(f, "10-inner.yaml", inner_yaml);
    p = conf(f, "60-site.yaml", "\nwrap: { inner: /nonexistent/site.so }\n");
    assert_error(f, "/nonexistent/site.so: plugin file not found");
    assert_non_null(strstr(f->err.msg, p));
    assert_non_null(strstr(f->err.msg, ".yaml:2"));
}

static void
wrap_line_unknown_instance(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: { compute: layer_outer }\n");
    assert_error(f, "wraps: no instance named 'compute' is configured (instances: inner");
    assert_non_null(strstr(f->err.msg, "60-site.yaml:1"));
}

static void
wrap_line_wraps_nothing(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: { inner: layer_stranger }\n");
    assert_error(f, "plugin layer_stranger wraps 'inner' but wraps nothing");
    assert_non_null(strstr(f->err.msg, "DescribeAvailabilityZones"));
    assert_non_null(strstr(f->err.msg, "60-site.yaml:1"));
}

/* A wrapper whose only link to the instance below is an OpenStack hook does wrap something. */
static void
wrap_line_hooks_only(void **state)
{
    fixture_t *f = *state;
    ec2gw_instance_t *in;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: { inner: layer_hooker }\n");
    assert_int_equal(build(f), 0);
    in = instance(f, "layer_hooker");
    assert_string_equal(in->wraps->name, "inner");
    /* it serves no action of inner: RunInstances stays inner's */
    assert_string_equal(ec2gw_plugins_route(f->plugins, "RunInstances")->inst->name, "inner");
}

static void
wrap_line_required_setting(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: { inner: layer_needs }\n");
    assert_error(f, "missing required key 'site'");
    assert_non_null(strstr(f->err.msg, "60-site.yaml:1"));
    assert_non_null(strstr(f->err.msg, "long form"));
}

static void
wrap_line_not_a_map(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "60-site.yaml", "wrap: layer_outer.so\n");
    assert_error(f, "wrap: must map an instance to the plugin file that wraps it");
}

static void
wrap_line_name_clash(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "20-other.yaml",
         "file: " TEST_PLUGIN_DIR "/layer_inner.so\ninstance: other\n"
         "actions: [DescribeRegions]\n");
    conf(f, "60-site.yaml", "wrap: { inner: layer_outer, other: layer_outer }\n");
    assert_error(f, "use the long form with instance:");
}

/* ---- #2 per-instance state, the current instance in callbacks -------------------------- */

struct run {
    struct event_base *base;
    ec2gw_daemon_t d;
    ec2gw_generation_t gen;
    ec2gw_req_t *r;
};

static void
run_request(fixture_t *f, struct run *run, const char *action)
{
    const ec2gw_route_t *route = ec2gw_plugins_route(f->plugins, action);
    ec2gw_req_t *r = calloc(1, sizeof(*r));

    assert_non_null(route);
    run->base = event_base_new();
    run->d.base = run->base;
    run->d.model = model;
    run->gen.conf.request_timeout_ms = 20000;
    run->gen.refs = 1;
    run->gen.plugins = f->plugins;
    run->d.gen = run->d.first = &run->gen;
    r->magic = EC2GW_REQ_MAGIC;
    r->refs = 1;
    r->pool = ec2gw_pool_new(4096);
    r->d = &run->d;
    r->gen = &run->gen;
    r->t_start = ec2gw_now();
    r->action = action;
    r->op = ec2gw_model_op(model, action);
    r->version = "2016-11-15";
    r->remote = "test";
    /* A client that is there (after() refuses ended requests); with no connection, libevent
     * frees it when the answer is sent. */
    r->http = evhttp_request_new(NULL, NULL);
    r->params_json = json_object();
    r->identity.project_id = "p1";
    r->route = route;
    snprintf(r->id, sizeof(r->id), "test-layers");
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=test-layers");
    run->r = r;
    ec2gw_dispatch_run(r, route->inst, route->act);
    for (int i = 0; i < 200 && !r->answered; i++)
        event_base_loop(run->base, EVLOOP_ONCE);
}

static void
run_free(struct run *run)
{
    json_decref(run->r->params_json);
    ec2gw_pool_free(run->r->pool);
    free(run->r);
    event_base_free(run->base);
}

/* Read what stderr got since @p fd was redirected (see capture()). */
static char *
captured(FILE *tmp)
{
    static char buf[8192];
    size_t n;

    fflush(stderr);
    rewind(tmp);
    n = fread(buf, 1, sizeof(buf) - 1, tmp);
    buf[n] = '\0';
    return buf;
}

static void
state_per_instance_and_callbacks(void **state)
{
    fixture_t *f = *state;
    struct run run = { 0 };
    struct layer_obs *outer, *inner;
    FILE *tmp = tmpfile();
    int saved = dup(2);
    char *log;

    conf(f, "10-inner.yaml", inner_yaml);
    conf(f, "20-outer.yaml",
         "file: " TEST_PLUGIN_DIR "/layer_outer.so\ninstance: outer\nwraps: inner\n");
    assert_int_equal(build(f), 0);
    outer = instance(f, "outer")->data;
    inner = instance(f, "inner")->data;
    fflush(stderr);
    dup2(fileno(tmp), 2);
    run_request(f, &run, "RunInstances");
    log = captured(tmp);
    dup2(saved, 2);
    close(saved);
    assert_true(run.r->answered);
    if (strcmp(run.r->code, "OK") != 0)
        fail_msg("answered %s:\n%s", run.r->code, log);
    /* the outer handler went asynchronous (after), then delegated from its timer callback */
    assert_int_equal(outer->later_runs, 1);
    assert_int_equal(outer->delegate_rc, EC2GW_OK);
    assert_int_equal(inner->inner_runs, 1);
    /* the inner block starts zeroed, though outer wrote 16 bytes and inner asks for 64 */
    assert_true(inner->inner_state_zero);
    /* outer's block survives inner's writes, in the timer callback and in the model hook */
    assert_true(outer->later_state_ok);
    assert_int_equal(outer->hook_runs, 1);
    assert_true(outer->hook_state_ok);
    /* log lines from callbacks carry the instance */
    if (strstr(log, "inst=outer") == NULL || strstr(log, "layer-later") == NULL ||
        strstr(log, "layer-hook") == NULL || strstr(log, "inst=-") != NULL)
        fail_msg("log lines lack the instance:\n%s", log);
    fclose(tmp);
    run_free(&run);
}

/* Log lines of create() (no request) name the instance too. */
static void
lifecycle_log_names_instance(void **state)
{
    fixture_t *f = *state;
    FILE *tmp = tmpfile();
    int saved = dup(2);
    char *log;

    conf(f, "10-inner.yaml", inner_yaml);
    fflush(stderr);
    dup2(fileno(tmp), 2);
    assert_int_equal(build(f), 0);
    log = captured(tmp);
    dup2(saved, 2);
    close(saved);
    if (strstr(log, "plugin inst=inner layer-create") == NULL)
        fail_msg("create() log line lacks the instance:\n%s", log);
    fclose(tmp);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(wrapper_inherits_flags),
        T(own_flags_replace),
        T(wrap_line_path),
        T(wrap_line_name_under_plugin_dir),
        T(wrap_line_stacked_list),
        T(wrap_line_missing_file),
        T(wrap_line_unknown_instance),
        T(wrap_line_wraps_nothing),
        T(wrap_line_hooks_only),
        T(wrap_line_required_setting),
        T(wrap_line_not_a_map),
        T(wrap_line_name_clash),
        T(state_per_instance_and_callbacks),
        T(lifecycle_log_names_instance),
    };
#undef T

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
