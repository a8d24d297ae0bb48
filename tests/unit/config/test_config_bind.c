/* test_config_bind.c - binding YAML mappings into structs through settings schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "config/config.h"

struct inst {
    const char *listen;
    const char *region;
    int64_t workers;
    int debug;
    int64_t timeout;
    ec2gw_strlist_t actions;
};

static const ec2gw_setting_t schema[] = {
    { "listen", EC2GW_SET_STR, offsetof(struct inst, listen), "127.0.0.1:8788", 0, "" },
    { "region", EC2GW_SET_STR, offsetof(struct inst, region), "RegionOne", 0, "" },
    { "workers", EC2GW_SET_INT, offsetof(struct inst, workers), "4", 0, "" },
    { "debug", EC2GW_SET_BOOL, offsetof(struct inst, debug), "false", 0, "" },
    { "timeout", EC2GW_SET_DURATION_MS, offsetof(struct inst, timeout), "30s", 0, "" },
    { "actions", EC2GW_SET_STR_LIST, offsetof(struct inst, actions), "[all]", 0, "" },
    { NULL, 0, 0, NULL, 0, NULL },
};

struct ks {
    const char *url;
    int64_t n;
};

static const ec2gw_setting_t ks_schema[] = {
    { "url", EC2GW_SET_STR, offsetof(struct ks, url), NULL, EC2GW_SET_REQUIRED, "" },
    { "n", EC2GW_SET_INT, offsetof(struct ks, n), NULL, 0, "" },
    { NULL, 0, 0, NULL, 0, NULL },
};

/** Load @p yaml as "t.yaml"; the root mapping in *root. */
static ec2gw_conf_set_t *
load(const char *yaml, const ec2gw_conf_node_t **root)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };

    if (ec2gw_conf_load_string(yaml, "t.yaml", &set, &err) != 0)
        fail_msg("%s", err.msg);
    *root = set->n > 0 ? set->roots[0] : NULL;
    return set;
}

/** Bind @p yaml's `settings:` (or the root, when absent) through @p sch; expect @p msg. */
static void
expect_bind_error(const char *yaml, const ec2gw_setting_t *sch, const char *what, const char *msg)
{
    const ec2gw_conf_node_t *root;
    ec2gw_conf_set_t *set = load(yaml, &root);
    const ec2gw_conf_node_t *map = ec2gw_conf_get(root, "settings");
    struct inst in = { 0 };
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_conf_bind(set, map != NULL ? map : root, sch, &in, what, &err),
                     EC2GW_E_INVAL);
    assert_string_equal(err.msg, msg);
    ec2gw_conf_set_free(set);
}

static void
test_all_types(void **state)
{
    const char *yaml = "plugin: nova\n"
                       "settings:\n"
                       "  listen: 0.0.0.0:9999\n"
                       "  region: \"RegionTwo\"\n"
                       "  workers: -12\n"
                       "  debug: On\n"
                       "  timeout: 250ms\n"
                       "  actions:\n"
                       "    - DescribeInstances\n"
                       "    - 'RunInstances'\n";
    const ec2gw_conf_node_t *root;
    ec2gw_conf_set_t *set = load(yaml, &root);
    struct inst in = { 0 };
    ec2gw_err_t err = { 0 };

    (void)state;
    assert_int_equal(
        ec2gw_conf_bind(set, ec2gw_conf_get(root, "settings"), schema, &in, "settings", &err), 0);
    assert_string_equal(in.listen, "0.0.0.0:9999");
    assert_string_equal(in.region, "RegionTwo");
    assert_int_equal(in.workers, -12);
    assert_int_equal(in.debug, 1);
    assert_int_equal(in.timeout, 250);
    assert_int_equal(in.actions.n, 2);
    assert_string_equal(in.actions.v[0], "DescribeInstances");
    assert_string_equal(in.actions.v[1], "RunInstances");
    ec2gw_conf_set_free(set);
}

static void
test_defaults(void **state)
{
    const ec2gw_conf_node_t *root;
    ec2gw_conf_set_t *set = load("settings: {}\n", &root);
    struct inst in;
    ec2gw_err_t err = { 0 };

    (void)state;
    memset(&in, 0xa5, sizeof(in));
    assert_int_equal(ec2gw_conf_bind(set, NULL, schema, &in, "daemon", &err), 0);
    assert_string_equal(in.listen, "127.0.0.1:8788");
    assert_string_equal(in.region, "RegionOne");
    assert_int_equal(in.workers, 4);
    assert_int_equal(in.debug, 0);
    assert_int_equal(in.timeout, 30000);
    assert_int_equal(in.actions.n, 1);
    assert_string_equal(in.actions.v[0], "all");

    memset(&in, 0xa5, sizeof(in));
    assert_int_equal(
        ec2gw_conf_bind(set, ec2gw_conf_get(root, "settings"), schema, &in, "settings", &err), 0);
    assert_int_equal(in.workers, 4);
    ec2gw_conf_set_free(set);
}

static void
test_null_defaults(void **state)
{
    static const ec2gw_setting_t zero[] = {
        { "s", EC2GW_SET_STR, offsetof(struct inst, listen), NULL, 0, "" },
        { "i", EC2GW_SET_INT, offsetof(struct inst, workers), NULL, 0, "" },
        { "b", EC2GW_SET_BOOL, offsetof(struct inst, debug), NULL, 0, "" },
        { "d", EC2GW_SET_DURATION_MS, offsetof(struct inst, timeout), NULL, 0, "" },
        { "l", EC2GW_SET_STR_LIST, offsetof(struct inst, actions), NULL, 0, "" },
        { NULL, 0, 0, NULL, 0, NULL },
    };
    ec2gw_conf_set_t *set = NULL;
    struct inst in;

    (void)state;
    memset(&in, 0xa5, sizeof(in));
    assert_int_equal(ec2gw_conf_load_string("", "t.yaml", &set, NULL), 0);
    assert_int_equal(ec2gw_conf_bind(set, NULL, zero, &in, "x", NULL), 0);
    assert_null(in.listen);
    assert_int_equal(in.workers, 0);
    assert_int_equal(in.debug, 0);
    assert_int_equal(in.timeout, 0);
    assert_int_equal(in.actions.n, 0);
    assert_null(in.actions.v);
    assert_int_equal(ec2gw_conf_bind(set, NULL, NULL, &in, "x", NULL), 0);
    ec2gw_conf_set_free(set);
}

static void
test_scalar_forms(void **state)
{
    const char *yaml = "listen: ~\n"
                       "region: \"~\"\n"
                       "workers: \"9223372036854775807\"\n"
                       "debug: \"yes\"\n"
                       "timeout: 1500\n"
                       "actions: one\n";
    const ec2gw_conf_node_t *root;
    ec2gw_conf_set_t *set = load(yaml, &root);
    struct inst in = { 0 };
    ec2gw_err_t err = { 0 };

    (void)state;
    assert_int_equal(ec2gw_conf_bind(set, root, schema, &in, "daemon", &err), 0);
    assert_null(in.listen); /* an unquoted null unsets the default */
    assert_string_equal(in.region, "~");
    assert_int_equal(in.workers, INT64_MAX);
    assert_int_equal(in.debug, 1);
    assert_int_equal(in.timeout, 1500);
    assert_int_equal(in.actions.n, 1);
    assert_string_equal(in.actions.v[0], "one");
    ec2gw_conf_set_free(set);

    set = load("workers: -9223372036854775808\nactions: []\ndebug: OFF\n", &root);
    assert_int_equal(ec2gw_conf_bind(set, root, schema, &in, "daemon", &err), 0);
    assert_int_equal(in.workers, INT64_MIN);
    assert_int_equal(in.actions.n, 0);
    assert_int_equal(in.debug, 0);
    ec2gw_conf_set_free(set);

    set = load("actions:\n", &root);
    assert_int_equal(ec2gw_conf_bind(set, root, schema, &in, "daemon", &err), 0);
    assert_int_equal(in.actions.n, 0);
    ec2gw_conf_set_free(set);
}

static void
test_unknown_key(void **state)
{
    (void)state;
    expect_bind_error("listen: x\n\nlistn: y\n", schema, "daemon",
                      "t.yaml:3: unknown key 'listn' in daemon (did you mean 'listen'?); known "
                      "keys: listen, region, workers, debug, timeout, actions");
    expect_bind_error("Region: x\n", schema, "daemon",
                      "t.yaml:1: unknown key 'Region' in daemon (did you mean 'region'?); known "
                      "keys: listen, region, workers, debug, timeout, actions");
    expect_bind_error("tiemout: 5s\n", schema, "daemon",
                      "t.yaml:1: unknown key 'tiemout' in daemon (did you mean 'timeout'?); "
                      "known keys: listen, region, workers, debug, timeout, actions");
    expect_bind_error("settings:\n  colour: red\n", schema, "settings",
                      "t.yaml:2: unknown key 'colour' in settings; known keys: listen, region, "
                      "workers, debug, timeout, actions");
    expect_bind_error("x: 1\n", NULL, "settings",
                      "t.yaml:1: unknown key 'x' in settings; known keys: (none)");
    /* One edit is a typo even for a one-letter key. */
    expect_bind_error("m: 1\nurl: u\n", ks_schema, "keystone",
                      "t.yaml:1: unknown key 'm' in keystone (did you mean 'n'?); known keys: "
                      "url, n");
    expect_bind_error("urls: 1\nurl: u\n", ks_schema, "keystone",
                      "t.yaml:1: unknown key 'urls' in keystone (did you mean 'url'?); known "
                      "keys: url, n");
    expect_bind_error("xyz: 1\nurl: u\n", ks_schema, "keystone",
                      "t.yaml:1: unknown key 'xyz' in keystone; known keys: url, n");
}

static void
test_required(void **state)
{
    struct ks k = { 0 };
    ec2gw_err_t err = { 0 };

    (void)state;
    expect_bind_error("# keystone\nn: 1\n", ks_schema, "keystone",
                      "t.yaml:2: missing required key 'url' in keystone");
    expect_bind_error("url: ~\n", ks_schema, "keystone",
                      "t.yaml:1: keystone.url: no value; expected a string");
    assert_int_equal(ec2gw_conf_bind(NULL, NULL, ks_schema, &k, "keystone", &err), EC2GW_E_INVAL);
    assert_string_equal(err.msg, "missing required key 'url' in keystone");
}

static void
test_wrong_values(void **state)
{
    (void)state;
    expect_bind_error("settings:\n  timeout: 5x\n", schema, "settings",
                      "t.yaml:2: settings.timeout: '5x' is not a duration (use 500ms, 30s, 5m)");
    expect_bind_error("debug: yes please\n", schema, "daemon",
                      "t.yaml:1: daemon.debug: 'yes please' is not a boolean (true/false)");
    expect_bind_error("workers: 4.5\n", schema, "daemon",
                      "t.yaml:1: daemon.workers: '4.5' is not an integer");
    expect_bind_error("workers: 0x10\n", schema, "daemon",
                      "t.yaml:1: daemon.workers: '0x10' is not an integer");
    expect_bind_error("workers: 9223372036854775808\n", schema, "daemon",
                      "t.yaml:1: daemon.workers: '9223372036854775808' is out of range for a "
                      "64-bit integer");
    expect_bind_error("workers: ~\n", schema, "daemon",
                      "t.yaml:1: daemon.workers: no value; expected an integer");
    expect_bind_error("workers: \"\"\n", schema, "daemon",
                      "t.yaml:1: daemon.workers: '' is not an integer");
}

static void
test_wrong_types(void **state)
{
    (void)state;
    expect_bind_error("listen:\n  host: x\n", schema, "daemon",
                      "t.yaml:2: daemon.listen: expected a string, found a mapping");
    expect_bind_error("workers: [1, 2]\n", schema, "daemon",
                      "t.yaml:1: daemon.workers: expected an integer, found a sequence");
    expect_bind_error("actions: { a: b }\n", schema, "daemon",
                      "t.yaml:1: daemon.actions: expected a string or a list of strings, found "
                      "a mapping");
    expect_bind_error("actions:\n  - a\n  - [b]\n", schema, "daemon",
                      "t.yaml:3: daemon.actions: item 2: expected a string, found a sequence");
    expect_bind_error("actions:\n  - a\n  -\n", schema, "daemon",
                      "t.yaml:3: daemon.actions: item 2: expected a string, found an empty "
                      "value");
    expect_bind_error("settings: [a]\n", schema, "settings",
                      "t.yaml:1: settings must be a mapping (key: value), found a sequence");
}

static void
test_bad_schema_default(void **state)
{
    static const ec2gw_setting_t bad[] = {
        { "t", EC2GW_SET_DURATION_MS, offsetof(struct inst, timeout), "soon", 0, "" },
        { NULL, 0, 0, NULL, 0, NULL },
    };
    static const ec2gw_setting_t bad_list[] = {
        { "l", EC2GW_SET_STR_LIST, offsetof(struct inst, actions), "[a, [b]]", 0, "" },
        { NULL, 0, 0, NULL, 0, NULL },
    };
    ec2gw_conf_set_t *set = NULL;
    struct inst in = { 0 };
    ec2gw_err_t err = { 0 };

    (void)state;
    assert_int_equal(ec2gw_conf_load_string("", "t.yaml", &set, NULL), 0);
    assert_int_equal(ec2gw_conf_bind(set, NULL, bad, &in, "nova", &err), EC2GW_E_INVAL);
    assert_string_equal(err.msg, "schema of nova: the default 'soon' of 't' is not a duration "
                                 "(500ms, 30s, 5m)");
    assert_int_equal(ec2gw_conf_bind(set, NULL, bad_list, &in, "nova", &err), EC2GW_E_INVAL);
    assert_string_equal(err.msg, "schema of nova: the default '[a, [b]]' of 'l' is not a string "
                                 "or a list of strings");
    ec2gw_conf_set_free(set);
}

static void
test_many_binds_one_set(void **state)
{
    const ec2gw_conf_node_t *root;
    ec2gw_conf_set_t *set = load("a: { actions: [x, y, z] }\nb: { actions: q }\n", &root);
    struct inst a = { 0 }, b = { 0 };

    (void)state;
    /* Each bind allocates its lists in the set; all of it goes with ec2gw_conf_set_free. */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ec2gw_conf_bind(set, ec2gw_conf_get(root, "a"), schema, &a, "a", NULL), 0);
        assert_int_equal(ec2gw_conf_bind(set, ec2gw_conf_get(root, "b"), schema, &b, "b", NULL), 0);
    }
    assert_int_equal(a.actions.n, 3);
    assert_string_equal(a.actions.v[2], "z");
    assert_string_equal(b.actions.v[0], "q");
    ec2gw_conf_set_free(set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_types),          cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_null_defaults),      cmocka_unit_test(test_scalar_forms),
        cmocka_unit_test(test_unknown_key),        cmocka_unit_test(test_required),
        cmocka_unit_test(test_wrong_values),       cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_bad_schema_default), cmocka_unit_test(test_many_binds_one_set),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
