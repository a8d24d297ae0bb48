/*
 * test_plugins_build.c - conf.d instances and action routing through the daemon's
 * ec2gw_plugins_build (daemon/plugin/instances.c) with the real host table, the EC2 model and
 * the SDK's example plugins: routes, conflicts naming both files, `wraps:` (route, chain,
 * cycle, unknown target), settings errors with file:line, `actions:` narrowing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "plugin/plugin.h"
#include "server/daemon.h"

#define MAX_FILES 4

typedef struct fixture {
    ec2gw_model_t *model;
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

    snprintf(f->dir, sizeof(f->dir), "/tmp/ec2gw-plugins-build-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->model = model;
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

/* Write conf.d file @p name; returns its path (owned by the fixture). */
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

/* Load the directory and build; returns what ec2gw_plugins_build returned. */
static int
build(fixture_t *f)
{
    int rc = ec2gw_conf_load_dir(f->dir, &f->set, &f->err);

    if (rc != 0)
        fail_msg("conf.d: %s", f->err.msg);
    memset(&f->err, 0, sizeof(f->err));
    rc = ec2gw_plugins_build(f->set, EXAMPLE_PLUGIN_DIR, ec2gw_host_api(), f->model, &f->plugins,
                             &f->err);
    if (rc != 0)
        f->plugins = NULL;
    return rc;
}

static void
assert_error(fixture_t *f, const char *needle)
{
    assert_int_not_equal(build(f), 0);
    if (strstr(f->err.msg, needle) == NULL)
        fail_msg("error '%s' lacks '%s'", f->err.msg, needle);
}

/* "<path>:<line>" */
static const char *
at(const char *path, int line)
{
    static char buf[600];

    snprintf(buf, sizeof(buf), "%s:%d", path, line);
    return buf;
}

static const char hello_yaml[] = "plugin: hello\n"
                                 "instance: hello\n";

static void
routes_hello(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;
    size_t n_routes;

    conf(f, "10-hello.yaml", hello_yaml);
    assert_int_equal(build(f), 0);
    assert_int_equal(ec2gw_plugins_count(f->plugins, &n_routes), 1);
    assert_int_equal(n_routes, 1);
    r = ec2gw_plugins_route(f->plugins, "DescribeAccountAttributes");
    assert_non_null(r);
    assert_string_equal(r->inst->name, "hello");
    assert_string_equal(r->inst->module->desc->name, "hello");
    assert_null(ec2gw_plugins_route(f->plugins, "DescribeInstances"));
}

static void
two_instances_conflict(void **state)
{
    fixture_t *f = *state;
    const char *a = conf(f, "10-a.yaml", "plugin: hello\ninstance: first\n");
    const char *b = conf(f, "20-b.yaml", "plugin: hello\ninstance: second\n");

    assert_error(f, "action DescribeAccountAttributes is served by both");
    assert_non_null(strstr(f->err.msg, a));
    assert_non_null(strstr(f->err.msg, b));
    assert_non_null(strstr(f->err.msg, "'first'"));
    assert_non_null(strstr(f->err.msg, "'second'"));
}

static void
wrapper_takes_route(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;
    ec2gw_instance_t *next = NULL;

    /* The wrapper's file sorts first: the route must still end at the outermost instance. */
    conf(f, "05-site.yaml",
         "plugin: site-compute\ninstance: site\nwraps: hello\n"
         "settings:\n  max_security_groups: 8\n");
    conf(f, "10-hello.yaml", hello_yaml);
    assert_int_equal(build(f), 0);
    r = ec2gw_plugins_route(f->plugins, "DescribeAccountAttributes");
    assert_non_null(r);
    assert_string_equal(r->inst->name, "site");
    assert_non_null(ec2gw_plugins_next(r->inst, "DescribeAccountAttributes", &next));
    assert_non_null(next);
    assert_string_equal(next->name, "hello");
    assert_null(ec2gw_plugins_next(next, "DescribeAccountAttributes", &next));
}

static void
wraps_cycle(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-a.yaml", "plugin: site-compute\ninstance: a\nwraps: b\n");
    conf(f, "20-b.yaml", "plugin: site-compute\ninstance: b\nwraps: a\n");
    assert_error(f, "wraps: cycle");
    assert_non_null(strstr(f->err.msg, ".yaml:1"));
}

static void
wraps_unknown_instance(void **state)
{
    fixture_t *f = *state;
    const char *p = conf(f, "10-site.yaml",
                         "plugin: site-compute\ninstance: site\n"
                         "wraps: compute\n");

    assert_error(f, "wraps: no instance named 'compute' is configured");
    assert_non_null(strstr(f->err.msg, at(p, 1)));
}

static void
unknown_settings_key(void **state)
{
    fixture_t *f = *state;
    const char *p = conf(f, "10-hello.yaml",
                         "plugin: hello\ninstance: hello\nsettings:\n"
                         "  platforms: [EC2, VPC]\n  max_instancs: 3\n");

    assert_error(f, "unknown key 'max_instancs'");
    assert_non_null(strstr(f->err.msg, at(p, 5)));
    assert_non_null(strstr(f->err.msg, "max_instances")); /* the known keys are listed */
}

static void
create_rejects_value(void **state)
{
    fixture_t *f = *state;
    const char *p = conf(f, "10-hello.yaml",
                         "plugin: hello\ninstance: hello\nsettings:\n"
                         "  platforms: [VPC]\n  max_instances: -5\n");

    /* hello's create() calls cfg_error(), which cites the key's line. */
    assert_error(f, "settings.max_instances: -5 is out of range");
    assert_non_null(strstr(f->err.msg, at(p, 5)));
}

static void
create_rejects_platform(void **state)
{
    fixture_t *f = *state;
    const char *p = conf(f, "10-hello.yaml",
                         "plugin: hello\ninstance: hello\nsettings:\n"
                         "  platforms: [VPC, Mainframe]\n");

    assert_error(f, "'Mainframe' is not a platform");
    assert_non_null(strstr(f->err.msg, at(p, 4)));
}

static void
actions_subset_narrows(void **state)
{
    fixture_t *f = *state;
    const ec2gw_route_t *r;
    size_t n_routes;

    conf(f, "10-a.yaml",
         "file: " TEST_PLUGIN_DIR "/two_actions.so\ninstance: a\n"
         "actions: [DescribeRegions]\n");
    conf(f, "20-b.yaml",
         "file: " TEST_PLUGIN_DIR "/two_actions.so\ninstance: b\n"
         "actions: [DescribeAvailabilityZones]\n");
    assert_int_equal(build(f), 0);
    assert_int_equal(ec2gw_plugins_count(f->plugins, &n_routes), 2);
    assert_int_equal(n_routes, 2);
    r = ec2gw_plugins_route(f->plugins, "DescribeRegions");
    assert_non_null(r);
    assert_string_equal(r->inst->name, "a");
    r = ec2gw_plugins_route(f->plugins, "DescribeAvailabilityZones");
    assert_non_null(r);
    assert_string_equal(r->inst->name, "b");
}

static void
actions_without_subset_conflict(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-a.yaml",
         "file: " TEST_PLUGIN_DIR "/two_actions.so\ninstance: a\n"
         "actions: [DescribeRegions]\n");
    conf(f, "20-b.yaml", "file: " TEST_PLUGIN_DIR "/two_actions.so\ninstance: b\n");
    assert_error(f, "action DescribeRegions is served by both");
}

static void
actions_undeclared(void **state)
{
    fixture_t *f = *state;
    const char *p = conf(f, "10-hello.yaml",
                         "plugin: hello\ninstance: hello\n"
                         "actions: [DescribeAccountAttributes, RunInstances]\n");

    assert_error(f, "does not serve action 'RunInstances'");
    assert_non_null(strstr(f->err.msg, at(p, 3)));
}

static void
action_not_in_model(void **state)
{
    fixture_t *f = *state;

    conf(f, "10-x.yaml", "file: " TEST_PLUGIN_DIR "/abi_unknown_action.so\ninstance: x\n");
    assert_error(f, "declares 'DescribeUnicorns', which is not an EC2 action");
}

static void
abi_refusal_cites_conf_file(void **state)
{
    fixture_t *f = *state;
    const char *p = conf(f, "10-old.yaml",
                         "file: " TEST_PLUGIN_DIR "/abi_major2.so\n"
                         "instance: old\n");
    char want[128];

    snprintf(want, sizeof(want), "built for ABI 2.0, this ec2gwd provides ABI %d.%d",
             EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR);
    assert_error(f, want);
    assert_non_null(strstr(f->err.msg, at(p, 1)));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(routes_hello),
        T(two_instances_conflict),
        T(wrapper_takes_route),
        T(wraps_cycle),
        T(wraps_unknown_instance),
        T(unknown_settings_key),
        T(create_rejects_value),
        T(create_rejects_platform),
        T(actions_subset_narrows),
        T(actions_without_subset_conflict),
        T(actions_undeclared),
        T(action_not_in_model),
        T(abi_refusal_cites_conf_file),
    };
#undef T

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
