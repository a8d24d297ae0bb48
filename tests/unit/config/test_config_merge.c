/*
 * test_config_merge.c - conf.d drop-ins: a later file overrides an earlier one key by key
 * (mappings merged, scalars and sequences replaced), conflicts and duplicates refused with
 * file:line, the merged tree's origins, and --print-config's rendering of it.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "conf_tmpdir.h"
#include "config/config.h"

/** "<tmpdir>/<name>" in @p buf. */
static const char *
at(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static ec2gw_conf_set_t *
load_ok(void)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };
    int rc = ec2gw_conf_load_dir(tmpdir, &set, &err);

    if (rc != 0)
        fail_msg("load_dir: %s", err.msg);
    return set;
}

/** Load and expect failure with exactly "<tmpdir>/" + @p msg. */
static void
expect_error(const char *msg)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };
    char want[1024];

    assert_int_equal(ec2gw_conf_load_dir(tmpdir, &set, &err), EC2GW_E_INVAL);
    assert_null(set);
    snprintf(want, sizeof(want), "%s/%s", tmpdir, msg);
    assert_string_equal(err.msg, want);
}

static const ec2gw_conf_node_t *
get2(const ec2gw_conf_node_t *root, const char *a, const char *b)
{
    return ec2gw_conf_get(ec2gw_conf_get(root, a), b);
}

static void
test_override_one_key(void **state)
{
    char f00[128], f50[128];
    ec2gw_conf_set_t *set;
    const ec2gw_conf_node_t *listen, *port;

    (void)state;
    write_file("00-daemon.yaml", "listen:\n  address: 127.0.0.1\n  port: 8788\n"
                                 "  workers: 1\nlog:\n  level: info\n");
    write_file("50-site.yaml", "# the site's only change\nlisten: { port: 8790 }\n");
    set = load_ok();
    assert_int_equal(set->n, 1); /* one daemon document */
    assert_int_equal(set->n_files, 2);
    assert_string_equal(set->paths[0], at(f00, sizeof(f00), "00-daemon.yaml"));
    listen = ec2gw_conf_get(set->roots[0], "listen");
    assert_int_equal(listen->n, 3);
    port = ec2gw_conf_get(listen, "port");
    assert_string_equal(port->value, "8790");
    assert_string_equal(port->file, at(f50, sizeof(f50), "50-site.yaml"));
    assert_int_equal(port->line, 2);
    assert_string_equal(ec2gw_conf_key_file(listen, "port"), f50);
    assert_int_equal(ec2gw_conf_key_line(listen, "port"), 2);
    /* The keys the drop-in does not name keep their file, line and order. */
    assert_string_equal(listen->keys[0], "address");
    assert_string_equal(listen->keys[1], "port");
    assert_string_equal(ec2gw_conf_key_file(listen, "workers"), f00);
    assert_int_equal(ec2gw_conf_key_line(listen, "workers"), 4);
    assert_string_equal(get2(set->roots[0], "listen", "address")->value, "127.0.0.1");
    assert_string_equal(get2(set->roots[0], "log", "level")->file, f00);
    ec2gw_conf_set_free(set);
}

static void
test_new_section_and_key(void **state)
{
    char f50[128];
    ec2gw_conf_set_t *set;

    (void)state;
    write_file("00-daemon.yaml", "listen:\n  port: 8788\n");
    write_file("50-site.yaml", "paths:\n  database: mysql://ec2gw@db/ec2api\n"
                               "listen:\n  address: 0.0.0.0\n");
    set = load_ok();
    assert_int_equal(set->roots[0]->n, 2);
    assert_string_equal(set->roots[0]->keys[1], "paths");
    assert_string_equal(ec2gw_conf_key_file(set->roots[0], "paths"),
                        at(f50, sizeof(f50), "50-site.yaml"));
    assert_int_equal(ec2gw_conf_key_line(set->roots[0], "paths"), 1);
    assert_string_equal(get2(set->roots[0], "paths", "database")->value, "mysql://ec2gw@db/ec2api");
    assert_string_equal(get2(set->roots[0], "listen", "port")->value, "8788");
    assert_string_equal(get2(set->roots[0], "listen", "address")->value, "0.0.0.0");
    ec2gw_conf_set_free(set);
}

static void
test_nested_instance(void **state)
{
    char f10[128], f60[128];
    ec2gw_conf_set_t *set;
    const ec2gw_conf_node_t *s, *deep;

    (void)state;
    write_file("00-daemon.yaml", "log: { level: info }\n");
    write_file("10-compute.yaml", "plugin: nova-v2.1\ninstance: compute\n"
                                  "service: { type: compute, microversion: \"2.79\" }\n"
                                  "settings:\n  default_instance_type: m1.small\n"
                                  "  deep:\n    a: 1\n    b: 2\n");
    write_file("20-network.yaml", "plugin: neutron-v2.0\ninstance: network\n");
    write_file("60-site.yaml", "instance: compute\nsettings:\n  deep:\n    b: 3\n    c: 4\n");
    set = load_ok();
    assert_int_equal(set->n, 3);
    assert_int_equal(set->n_files, 4);
    assert_string_equal(set->paths[1], at(f10, sizeof(f10), "10-compute.yaml"));
    assert_string_equal(set->roots[1]->file, f10); /* the instance is where it started */
    assert_int_equal(set->roots[1]->line, 1);
    assert_string_equal(ec2gw_conf_get(set->roots[1], "plugin")->value, "nova-v2.1");
    assert_string_equal(get2(set->roots[1], "service", "microversion")->value, "2.79");
    s = ec2gw_conf_get(set->roots[1], "settings");
    assert_string_equal(ec2gw_conf_get(s, "default_instance_type")->value, "m1.small");
    deep = ec2gw_conf_get(s, "deep");
    assert_int_equal(deep->n, 3);
    assert_string_equal(ec2gw_conf_get(deep, "a")->value, "1");
    assert_string_equal(ec2gw_conf_get(deep, "a")->file, f10);
    assert_string_equal(ec2gw_conf_get(deep, "b")->value, "3");
    assert_string_equal(ec2gw_conf_get(deep, "b")->file, at(f60, sizeof(f60), "60-site.yaml"));
    assert_int_equal(ec2gw_conf_get(deep, "b")->line, 4);
    assert_string_equal(ec2gw_conf_get(deep, "c")->value, "4");
    assert_string_equal(ec2gw_conf_key_file(deep, "c"), f60);
    /* Other instances are untouched documents of their own. */
    assert_string_equal(ec2gw_conf_get(set->roots[2], "instance")->value, "network");
    assert_null(set->roots[2]->key_files);
    ec2gw_conf_set_free(set);
}

static void
test_sequence_and_scalar_replaced(void **state)
{
    char f50[128];
    ec2gw_conf_set_t *set;
    const ec2gw_conf_node_t *regions, *actions;

    (void)state;
    write_file("00-daemon.yaml", "ec2:\n  extra_regions: [a=x, b=y, c=z]\n  endpoint: http://e\n");
    write_file("10-compute.yaml", "plugin: nova-v2.1\ninstance: compute\nactions: all\n");
    write_file("50-site.yaml", "ec2:\n  extra_regions:\n    - d=w\n  endpoint: ~\n");
    write_file("60-site.yaml", "instance: compute\nactions: [RunInstances]\n");
    set = load_ok();
    regions = get2(set->roots[0], "ec2", "extra_regions");
    assert_int_equal(regions->type, EC2GW_CONF_SEQ);
    assert_int_equal(regions->n, 1); /* replaced whole, not appended to */
    assert_string_equal(regions->items[0]->value, "d=w");
    assert_string_equal(regions->file, at(f50, sizeof(f50), "50-site.yaml"));
    /* A null resets a scalar (bind then applies the default). */
    assert_string_equal(get2(set->roots[0], "ec2", "endpoint")->value, "~");
    /* A scalar may become a sequence: both are one value, replaced whole. */
    actions = ec2gw_conf_get(set->roots[1], "actions");
    assert_int_equal(actions->type, EC2GW_CONF_SEQ);
    assert_string_equal(actions->items[0]->value, "RunInstances");
    ec2gw_conf_set_free(set);
}

static void
test_null_filled_by_mapping(void **state)
{
    ec2gw_conf_set_t *set;

    (void)state;
    write_file("10-compute.yaml", "plugin: nova-v2.1\ninstance: compute\nsettings:\n");
    write_file("50-site.yaml", "instance: compute\nsettings: { max_count: 5 }\n");
    set = load_ok();
    assert_string_equal(get2(set->roots[0], "settings", "max_count")->value, "5");
    ec2gw_conf_set_free(set);
}

static void
test_conflict_mapping_scalar(void **state)
{
    char want[512];

    (void)state;
    write_file("00-daemon.yaml", "\nlisten:\n  port: 8788\n");
    write_file("50-site.yaml", "log: { level: debug }\nlisten: 8790\n");
    snprintf(want, sizeof(want),
             "50-site.yaml:2: 'listen' is a scalar here but a mapping in %s/00-daemon.yaml:2; "
             "a later conf.d file merges a mapping into a mapping key by key and replaces a "
             "scalar or a sequence whole, but cannot turn one kind into the other",
             tmpdir);
    expect_error(want);

    /* Deeper, and the other way round: the dotted path names the key. */
    write_file("50-site.yaml", "listen:\n  port:\n    number: 8790\n");
    snprintf(want, sizeof(want),
             "50-site.yaml:2: 'listen.port' is a mapping here but a scalar in "
             "%s/00-daemon.yaml:3; a later conf.d file merges a mapping into a mapping key by "
             "key and replaces a scalar or a sequence whole, but cannot turn one kind into the "
             "other",
             tmpdir);
    expect_error(want);

    /* A sequence where a mapping was, in an instance. */
    write_file("50-site.yaml", "listen: { port: 1 }\n");
    write_file("10-c.yaml", "plugin: p\ninstance: c\nsettings: { a: 1 }\n");
    write_file("60-c.yaml", "instance: c\nsettings: [a]\n");
    snprintf(want, sizeof(want),
             "60-c.yaml:2: 'settings' is a sequence here but a mapping in %s/10-c.yaml:3; a "
             "later conf.d file merges a mapping into a mapping key by key and replaces a "
             "scalar or a sequence whole, but cannot turn one kind into the other",
             tmpdir);
    expect_error(want);

    /* A null cannot delete a mapping either. */
    write_file("60-c.yaml", "instance: c\nsettings: ~\n");
    snprintf(want, sizeof(want),
             "60-c.yaml:2: 'settings' is a scalar here but a mapping in %s/10-c.yaml:3; a "
             "later conf.d file merges a mapping into a mapping key by key and replaces a "
             "scalar or a sequence whole, but cannot turn one kind into the other",
             tmpdir);
    expect_error(want);
}

static void
test_conflict_after_merge_cites_drop_in(void **state)
{
    char want[512];

    (void)state;
    /* 40 makes `listen.port` come from itself; 50's conflict must cite 40, not 00. */
    write_file("00-daemon.yaml", "listen:\n  port: 8788\n");
    write_file("40-a.yaml", "listen:\n  address: x\n  port: 8790\n");
    write_file("50-b.yaml", "listen: { port: [1] , address: {a: b} }\n");
    snprintf(want, sizeof(want),
             "50-b.yaml:1: 'listen.address' is a mapping here but a scalar in "
             "%s/40-a.yaml:2; a later conf.d file merges a mapping into a mapping key by key "
             "and replaces a scalar or a sequence whole, but cannot turn one kind into the "
             "other",
             tmpdir);
    expect_error(want);
}

static void
test_duplicate_key_in_one_file(void **state)
{
    (void)state;
    write_file("00-daemon.yaml", "listen:\n  port: 8788\n");
    write_file("50-site.yaml", "listen:\n  port: 1\n  address: x\n  port: 2\n");
    expect_error("50-site.yaml:4: duplicate key 'port' (first at line 2)");
    /* The same section twice in one drop-in is a duplicate too, not a merge. */
    write_file("50-site.yaml", "listen: { port: 1 }\nlog: {}\nlisten: { address: x }\n");
    expect_error("50-site.yaml:3: duplicate key 'listen' (first at line 1)");
}

static void
test_order_is_bytewise(void **state)
{
    char f9[128];
    ec2gw_conf_set_t *set;
    const ec2gw_conf_node_t *level;

    (void)state;
    write_file("00-daemon.yaml", "log: { level: info }\n");
    write_file("50-site.yaml", "log: { level: notice }\n");
    write_file("10-x.yaml", "log: { level: error }\n");
    /* "9-" sorts after "50-": names compare byte by byte, not as numbers. */
    write_file("9-late.yaml", "log:\n  level: debug\n");
    write_file("99-empty.yaml", "# nothing\n");
    set = load_ok();
    assert_int_equal(set->n_files, 4); /* the empty file is skipped */
    assert_non_null(strstr(set->files[0], "/00-daemon.yaml"));
    assert_non_null(strstr(set->files[1], "/10-x.yaml"));
    assert_non_null(strstr(set->files[2], "/50-site.yaml"));
    assert_non_null(strstr(set->files[3], "/9-late.yaml"));
    level = get2(set->roots[0], "log", "level");
    assert_string_equal(level->value, "debug");
    assert_string_equal(level->file, at(f9, sizeof(f9), "9-late.yaml"));
    assert_int_equal(level->line, 2);
    ec2gw_conf_set_free(set);
}

static void
test_instance_rules(void **state)
{
    ec2gw_conf_set_t *set;

    (void)state;
    /* A drop-in for an instance no earlier file configures. */
    write_file("05-early.yaml", "instance: compute\nsettings: { max_count: 5 }\n");
    write_file("10-compute.yaml", "plugin: nova-v2.1\ninstance: compute\n");
    expect_error("05-early.yaml:1: instance 'compute' is not configured by an earlier conf.d "
                 "file; a drop-in that changes an instance must sort after the file that has "
                 "its plugin: (or give plugin: itself)");
    write_file("05-early.yaml", "\ninstance: [compute]\n");
    expect_error("05-early.yaml:2: 'instance' must be a non-empty string");
    assert_int_equal(unlink(write_file("05-early.yaml", "")), 0);

    /* Without instance: a plugin file never merges (its name comes from the plugin). */
    write_file("20-a.yaml", "plugin: hello\n");
    write_file("30-b.yaml", "plugin: hello\n");
    /* A later plugin: replaces the module of an instance. */
    write_file("40-c.yaml", "plugin: nova-v2.2\ninstance: compute\n");
    set = load_ok();
    assert_int_equal(set->n, 3);
    assert_string_equal(ec2gw_conf_get(set->roots[0], "plugin")->value, "nova-v2.2");
    assert_null(ec2gw_conf_get(set->roots[1], "instance"));
    assert_null(ec2gw_conf_get(set->roots[2], "instance"));
    ec2gw_conf_set_free(set);
}

static void
test_bind_cites_drop_in(void **state)
{
    static const ec2gw_setting_t schema[] = {
        { .key = "port", .type = EC2GW_SET_INT, .offset = 0, .def = "8788" },
        { .key = NULL },
    };
    ec2gw_conf_set_t *set;
    ec2gw_err_t err = { 0 };
    int64_t port = 0;
    char want[512];

    (void)state;
    write_file("00-daemon.yaml", "listen:\n  port: 8788\n");
    write_file("50-site.yaml", "\n\nlisten:\n  prot: 8790\n");
    set = load_ok();
    assert_int_equal(ec2gw_conf_bind(set, ec2gw_conf_get(set->roots[0], "listen"), schema, &port,
                                     "listen", &err),
                     EC2GW_E_INVAL);
    snprintf(want, sizeof(want),
             "%s/50-site.yaml:4: unknown key 'prot' in listen (did you mean 'port'?); known "
             "keys: port",
             tmpdir);
    assert_string_equal(err.msg, want);
    ec2gw_conf_set_free(set);

    write_file("50-site.yaml", "listen:\n  port: eighty\n");
    set = load_ok();
    assert_int_equal(ec2gw_conf_bind(set, ec2gw_conf_get(set->roots[0], "listen"), schema, &port,
                                     "listen", &err),
                     EC2GW_E_INVAL);
    snprintf(want, sizeof(want), "%s/50-site.yaml:2: listen.port: 'eighty' is not an integer",
             tmpdir);
    assert_string_equal(err.msg, want);
    ec2gw_conf_set_free(set);
}

static void
test_print(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    ec2gw_conf_set_t *set, *again = NULL;
    ec2gw_err_t err = { 0 };
    char want[256];

    (void)state;
    write_file("00-daemon.yaml",
               "listen:\n  port: 8788\nkeystone:\n  service_password: hunter2\n"
               "  service_password_env: PW\nec2:\n  extra_regions: [\"a=b c\"]\n");
    write_file("10-c.yaml", "plugin: p\ninstance: c\nsettings: { empty: {} }\n");
    write_file("50-site.yaml", "listen: { port: 8790 }\n");
    set = load_ok();
    out = open_memstream(&text, &len);
    assert_non_null(out);
    ec2gw_conf_print(set, out);
    assert_int_equal(fclose(out), 0);
    snprintf(want, sizeof(want), "  port: 8790%*s# %s/50-site.yaml:1\n", 48 - 12, "", tmpdir);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "# daemon sections (first in "));
    assert_non_null(strstr(text, "# plugin instance c (first in "));
    assert_non_null(strstr(text, "  service_password: \"(hidden)\""));
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "  service_password_env: PW "));
    assert_non_null(strstr(text, "    - \"a=b c\""));
    assert_non_null(strstr(text, "  empty: {}"));
    ec2gw_conf_set_free(set);
    /* It reads back as YAML (instance documents separated by ---: check the first). */
    *strstr(text, "\n---\n# plugin") = '\0';
    assert_int_equal(ec2gw_conf_load_string(text, "printed", &again, &err), 0);
    assert_string_equal(get2(again->roots[0], "listen", "port")->value, "8790");
    assert_string_equal(get2(again->roots[0], "ec2", "extra_regions")->items[0]->value, "a=b c");
    ec2gw_conf_set_free(again);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_override_one_key, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_new_section_and_key, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_nested_instance, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_sequence_and_scalar_replaced, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_null_filled_by_mapping, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_conflict_mapping_scalar, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_conflict_after_merge_cites_drop_in, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_duplicate_key_in_one_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_order_is_bytewise, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_instance_rules, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_bind_cites_drop_in, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_print, setup_dir, teardown_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
