/* test_config_load.c - conf.d loading: YAML to nodes, refusals, directory order, errors. */
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

/** Load @p yaml as "t.yaml" and expect failure with exactly @p msg. */
static void
expect_load_error(const char *yaml, const char *msg)
{
    ec2gw_conf_set_t *set = (ec2gw_conf_set_t *)(uintptr_t)1;
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_conf_load_string(yaml, "t.yaml", &set, &err), EC2GW_E_INVAL);
    assert_null(set);
    assert_string_equal(err.msg, msg);
}

static void
test_tree(void **state)
{
    const char *yaml = "# daemon\n"
                       "listen: 0.0.0.0:8788\n"
                       "quoted: \"123\"\n"
                       "empty:\n"
                       "service: { type: compute, api: \"2.1\" }\n"
                       "list:\n"
                       "  - a\n"
                       "  - 'b'\n"
                       "block: |\n"
                       "  text\n";
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };
    const ec2gw_conf_node_t *root, *n, *svc;

    (void)state;
    assert_int_equal(ec2gw_conf_load_string(yaml, "conf.d/00-daemon.yaml", &set, &err), 0);
    assert_int_equal(set->n, 1);
    assert_string_equal(set->paths[0], "conf.d/00-daemon.yaml");
    root = set->roots[0];
    assert_int_equal(root->type, EC2GW_CONF_MAP);
    assert_int_equal(root->n, 6);
    assert_string_equal(root->keys[0], "listen");
    assert_string_equal(root->keys[5], "block");
    assert_int_equal(root->line, 2);

    n = ec2gw_conf_get(root, "listen");
    assert_int_equal(n->type, EC2GW_CONF_SCALAR);
    assert_string_equal(n->value, "0.0.0.0:8788");
    assert_false(n->quoted);
    assert_int_equal(n->line, 2);
    assert_string_equal(n->file, "conf.d/00-daemon.yaml");

    n = ec2gw_conf_get(root, "quoted");
    assert_string_equal(n->value, "123");
    assert_true(n->quoted);

    n = ec2gw_conf_get(root, "empty");
    assert_string_equal(n->value, "");
    assert_false(n->quoted);

    svc = ec2gw_conf_get(root, "service");
    assert_int_equal(svc->type, EC2GW_CONF_MAP);
    assert_string_equal(ec2gw_conf_get(svc, "type")->value, "compute");
    assert_string_equal(ec2gw_conf_get(svc, "api")->value, "2.1");
    assert_null(ec2gw_conf_get(svc, "region"));
    assert_int_equal(ec2gw_conf_key_line(root, "service"), 5);
    assert_int_equal(ec2gw_conf_key_line(svc, "nope"), 5);

    n = ec2gw_conf_get(root, "list");
    assert_int_equal(n->type, EC2GW_CONF_SEQ);
    assert_int_equal(n->n, 2);
    assert_string_equal(n->items[1]->value, "b");
    assert_true(n->items[1]->quoted);
    assert_int_equal(n->items[1]->line, 8);

    n = ec2gw_conf_get(root, "block");
    assert_string_equal(n->value, "text\n");
    assert_true(n->quoted);

    assert_null(ec2gw_conf_get(NULL, "x"));
    assert_null(ec2gw_conf_get(n, "x"));
    ec2gw_conf_set_free(set);
    ec2gw_conf_set_free(NULL);
}

static void
test_nested_get(void **state)
{
    const char *yaml = "a:\n  b:\n    c:\n      d: deep\n";
    ec2gw_conf_set_t *set = NULL;
    const ec2gw_conf_node_t *n;

    (void)state;
    assert_int_equal(ec2gw_conf_load_string(yaml, "t.yaml", &set, NULL), 0);
    n = ec2gw_conf_get(ec2gw_conf_get(ec2gw_conf_get(set->roots[0], "a"), "b"), "c");
    assert_non_null(n);
    assert_int_equal(ec2gw_conf_key_line(n, "d"), 4);
    assert_string_equal(ec2gw_conf_get(n, "d")->value, "deep");
    assert_null(ec2gw_conf_get(ec2gw_conf_get(set->roots[0], "x"), "b"));
    ec2gw_conf_set_free(set);
}

static void
test_empty(void **state)
{
    static const char *const empties[] = { "", "# only a comment\n", "---\n", "--- ~\n" };

    (void)state;
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        ec2gw_conf_set_t *set = NULL;

        assert_int_equal(ec2gw_conf_load_string(empties[i], "t.yaml", &set, NULL), 0);
        assert_int_equal(set->n, 0);
        ec2gw_conf_set_free(set);
    }
}

static void
test_refusals(void **state)
{
    (void)state;
    expect_load_error("- a\n- b\n",
                      "t.yaml:1: the top level must be a mapping (key: value), not a sequence");
    expect_load_error("just text\n",
                      "t.yaml:1: the top level must be a mapping (key: value), not a scalar");
    expect_load_error("a: 1\nb: 2\na: 3\n", "t.yaml:3: duplicate key 'a' (first at line 1)");
    expect_load_error("s:\n  x: 1\n  y: 2\n  x: 3\n",
                      "t.yaml:4: duplicate key 'x' (first at line 2)");
    expect_load_error("a: &x 1\n", "t.yaml:1: anchors (&x) are not supported; write the value out");
    expect_load_error("a: 1\nb: *x\n",
                      "t.yaml:2: aliases (*x) are not supported; write the value out");
    expect_load_error("a: !!str 1\n", "t.yaml:1: YAML tags (tag:yaml.org,2002:str) are not "
                                      "supported; quote the value instead");
    expect_load_error("a: !!map {}\n", "t.yaml:1: YAML tags (tag:yaml.org,2002:map) are not "
                                       "supported; quote the value instead");
    expect_load_error("a: 1\n---\nb: 2\n",
                      "t.yaml:2: more than one YAML document (---) in one file");
    expect_load_error("? [a]\n: 1\n",
                      "t.yaml:1: keys must be plain strings, not a mapping or sequence");
    expect_load_error("a: \"x\\0y\"\n", "t.yaml:1: NUL characters are not allowed");
    expect_load_error("\"\": 1\n", "t.yaml:1: empty key");
}

static void
test_depth(void **state)
{
    char yaml[400] = "a: ";
    size_t len = strlen(yaml);

    (void)state;
    for (int i = 0; i < 70; i++)
        yaml[len++] = '[';
    for (int i = 0; i < 70; i++)
        yaml[len++] = ']';
    yaml[len] = '\0';
    expect_load_error(yaml, "t.yaml:1: nested deeper than 64 levels");
}

static void
test_syntax_error(void **state)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };

    (void)state;
    assert_int_equal(ec2gw_conf_load_string("a: 1\nb: c: d\n", "t.yaml", &set, &err),
                     EC2GW_E_INVAL);
    assert_null(set);
    assert_string_equal(err.msg, "t.yaml:2:5: YAML syntax error: mapping values are not "
                                 "allowed in this context");

    assert_int_equal(ec2gw_conf_load_string("a: 1\nb: [1, 2\nc: 3\n", "t.yaml", &set, &err),
                     EC2GW_E_INVAL);
    assert_non_null(strstr(err.msg, "t.yaml:3:"));
    assert_non_null(strstr(err.msg, "(while parsing a flow sequence at line 2)"));

    assert_int_equal(ec2gw_conf_load_string("a: \"open\n", "t.yaml", &set, &err), EC2GW_E_INVAL);
    assert_non_null(strstr(err.msg, "found unexpected end of stream"));

    assert_int_equal(ec2gw_conf_load_string("a: \"\xff\xfe\"\n", "t.yaml", &set, &err),
                     EC2GW_E_INVAL);
    assert_string_equal(err.msg, "t.yaml: byte 4: invalid leading UTF-8 octet");
}

static void
test_dir_order(void **state)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };

    (void)state;
    write_file("20-b.yaml", "name: b\n");
    write_file("10-a.yaml", "name: a\n");
    write_file("05-empty.yaml", "# nothing yet\n");
    write_file("README", "not yaml: [\n");
    write_file("30-c.yaml.example", "not yaml: [\n");
    write_file("10-a.yaml~", "not yaml: [\n");
    write_file(".#10-a.yaml", "not yaml: [\n");
    write_file("#10-a.yaml#", "not yaml: [\n");
    /* Byte order, whatever the locale: digits < 'B' < 'a'. */
    write_file("a.yaml", "name: lower\n");
    write_file("B.yaml", "name: upper\n");
    assert_int_equal(ec2gw_conf_load_dir(tmpdir, &set, &err), 0);
    assert_int_equal(set->n_files, 4);
    assert_non_null(strstr(set->files[0], "/10-a.yaml"));
    assert_non_null(strstr(set->files[1], "/20-b.yaml"));
    assert_non_null(strstr(set->files[2], "/B.yaml"));
    assert_non_null(strstr(set->files[3], "/a.yaml"));
    /* Files without plugin: merge into one document; the last file's value wins. */
    assert_int_equal(set->n, 1);
    assert_ptr_equal(set->paths[0], set->files[0]);
    assert_string_equal(ec2gw_conf_get(set->roots[0], "name")->value, "lower");
    assert_ptr_equal(ec2gw_conf_get(set->roots[0], "name")->file, set->files[3]);
    ec2gw_conf_set_free(set);
}

static void
test_dir_trailing_slash(void **state)
{
    char dir[80];
    char want[120];
    ec2gw_conf_set_t *set = NULL;

    (void)state;
    write_file("10-a.yaml", "a: 1\n");
    snprintf(dir, sizeof(dir), "%s/", tmpdir);
    snprintf(want, sizeof(want), "%s/10-a.yaml", tmpdir);
    assert_int_equal(ec2gw_conf_load_dir(dir, &set, NULL), 0);
    assert_int_equal(set->n, 1);
    assert_string_equal(set->paths[0], want);
    ec2gw_conf_set_free(set);
}

static void
test_dir_errors(void **state)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };
    char path[128];
    char want[256];

    (void)state;
    assert_int_equal(ec2gw_conf_load_dir("/nonexistent/conf.d", &set, &err), EC2GW_E_INVAL);
    assert_null(set);
    assert_string_equal(err.msg,
                        "cannot read directory /nonexistent/conf.d: No such file or directory");

    /* An error in the second file names that file and line. */
    write_file("10-a.yaml", "a: 1\n");
    write_file("20-b.yaml", "b: 1\nb: 2\n");
    assert_int_equal(ec2gw_conf_load_dir(tmpdir, &set, &err), EC2GW_E_INVAL);
    assert_null(set);
    snprintf(want, sizeof(want), "%s/20-b.yaml:2: duplicate key 'b' (first at line 1)", tmpdir);
    assert_string_equal(err.msg, want);

    /* An unreadable entry (a directory named like a file; chmod 000 would not stop root). */
    snprintf(path, sizeof(path), "%s/20-b.yaml", tmpdir);
    assert_int_equal(remove(path), 0);
    snprintf(path, sizeof(path), "%s/15-dir.yaml", tmpdir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(ec2gw_conf_load_dir(tmpdir, &set, &err), EC2GW_E_INVAL);
    snprintf(want, sizeof(want), "cannot read %s: Is a directory", path);
    assert_string_equal(err.msg, want);
}

static void
test_load_file(void **state)
{
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };
    char path[128];

    (void)state;
    write_file("x.yaml", "k: v\n");
    snprintf(path, sizeof(path), "%s/x.yaml", tmpdir);
    assert_int_equal(ec2gw_conf_load_file(path, &set, &err), 0);
    assert_int_equal(set->n, 1);
    assert_string_equal(set->paths[0], path);
    assert_string_equal(set->roots[0]->file, path);
    ec2gw_conf_set_free(set);

    assert_int_equal(ec2gw_conf_load_file("/nonexistent/x.yaml", &set, &err), EC2GW_E_INVAL);
    assert_null(set);
    assert_string_equal(err.msg, "cannot read /nonexistent/x.yaml: No such file or directory");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_nested_get),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test_setup_teardown(test_dir_order, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_dir_trailing_slash, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_dir_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_load_file, setup_dir, teardown_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
