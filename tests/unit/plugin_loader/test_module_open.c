/*
 * test_module_open.c - the daemon's ABI gate (daemon/plugin/module.c, c-style.md §5.2): every
 * refusal names the file and both ABI versions, and nothing of a refused plugin runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "plugin/plugin.h"

static const ec2gw_host_api_t fake_host = { .hdr = EC2GW_ABI_HDR_INIT(ec2gw_host_api_t) };

static int
open_variant(const char *name, const ec2gw_module_t **m, ec2gw_err_t *err)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s.so", TEST_PLUGIN_DIR, name);
    memset(err, 0, sizeof(*err));
    return ec2gw_module_open(path, &fake_host, m, err);
}

static void
assert_refused(const char *name, const char *needle)
{
    const ec2gw_module_t *m = NULL;
    ec2gw_err_t err;

    assert_int_not_equal(open_variant(name, &m, &err), 0);
    assert_null(m);
    if (strstr(err.msg, needle) == NULL || strstr(err.msg, name) == NULL)
        fail_msg("%s: message '%s' lacks '%s' or the file name", name, err.msg, needle);
}

static void
refuses_other_major(void **state)
{
    char want[128];

    (void)state;
    snprintf(want, sizeof(want), "built for ABI 2.0, this ec2gwd provides ABI %d.%d",
             EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR);
    assert_refused("abi_major2", want);
    snprintf(want, sizeof(want), "rebuild the plugin against SDK %d.%d", EC2GW_ABI_MAJOR,
             EC2GW_ABI_MINOR);
    assert_refused("abi_major2", want);
}

static void
refuses_newer_minor(void **state)
{
    char want[128];

    (void)state;
    snprintf(want, sizeof(want), "built for ABI %d.%d, this ec2gwd provides ABI %d.%d",
             EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR + 1, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR);
    assert_refused("abi_minor_next", want);
}

static void
refuses_bad_magic(void **state)
{
    (void)state;
    assert_refused("abi_bad_magic", "not an ec2gw plugin");
}

static void
refuses_truncated_descriptor(void **state)
{
    (void)state;
    assert_refused("abi_truncated", "descriptor truncated (64 bytes)");
}

static void
reports_load_refusal(void **state)
{
    (void)state;
    assert_refused("abi_load_fails", "refused to load");
}

static void
reports_missing_file(void **state)
{
    (void)state;
    assert_refused("no_such_plugin", "not found");
}

static void
accepts_example_once(void **state)
{
    const ec2gw_module_t *a = NULL, *b = NULL;
    ec2gw_err_t err;

    (void)state;
    assert_int_equal(ec2gw_module_open(EXAMPLE_PLUGIN_DIR "/hello.so", &fake_host, &a, &err), 0);
    assert_non_null(a);
    assert_string_equal(a->desc->name, "hello");
    assert_int_equal(a->desc->hdr.abi_major, EC2GW_ABI_MAJOR);
    /* A second open of the same file (through another path spelling) reuses the module. */
    assert_int_equal(ec2gw_module_open(EXAMPLE_PLUGIN_DIR "/./hello.so", &fake_host, &b, &err), 0);
    assert_ptr_equal(a, b);
}

/* Copy @p from to a new file, then rename it over @p to (a new inode, as install(1) does). */
static void
replace_file(const char *from, const char *to)
{
    char tmp[600], buf[65536];
    FILE *in = fopen(from, "rb"), *out;
    size_t n;

    snprintf(tmp, sizeof(tmp), "%s.new", to);
    out = fopen(tmp, "wb");
    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(chmod(tmp, 0755), 0);
    assert_int_equal(rename(tmp, to), 0);
}

/*
 * Issue 16 #6: a file replaced at the same path is loaded again (dlopen alone would hand back
 * the old code), while an unchanged file is reused and the old module stays usable.
 */
static void
reloads_replaced_file(void **state)
{
    char dir[] = "/tmp/ec2gw-reload-XXXXXX", path[256];
    const ec2gw_module_t *a = NULL, *b = NULL, *c = NULL;
    ec2gw_err_t err;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/site.so", dir);
    replace_file(EXAMPLE_PLUGIN_DIR "/hello.so", path);
    assert_int_equal(ec2gw_module_open(path, &fake_host, &a, &err), 0);
    assert_string_equal(a->desc->name, "hello");
    assert_int_equal(a->generation, 1);
    assert_int_equal(ec2gw_module_open(path, &fake_host, &b, &err), 0);
    assert_ptr_equal(a, b); /* unchanged: reused */
    replace_file(EXAMPLE_PLUGIN_DIR "/site-compute.so", path);
    assert_int_equal(ec2gw_module_open(path, &fake_host, &c, &err), 0);
    assert_ptr_not_equal(a, c);
    assert_string_equal(c->desc->name, "site-compute"); /* the new code, not the old handle */
    assert_int_equal(c->generation, 2);
    assert_string_equal(a->desc->name, "hello"); /* the old module is still mapped */
    assert_ptr_equal(ec2gw_modules(), c);        /* newest first */
    assert_int_equal(ec2gw_module_open(path, &fake_host, &b, &err), 0);
    assert_ptr_equal(b, c);
    unlink(path);
    rmdir(dir);
}

/* A refused file fixed in place loads on the next try (its refused handle is not reused). */
static void
reloads_fixed_refused_file(void **state)
{
    char dir[] = "/tmp/ec2gw-reload-XXXXXX", path[256];
    const ec2gw_module_t *m = NULL;
    ec2gw_err_t err;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/fixed.so", dir);
    replace_file(TEST_PLUGIN_DIR "/abi_major2.so", path);
    assert_int_not_equal(ec2gw_module_open(path, &fake_host, &m, &err), 0);
    assert_non_null(strstr(err.msg, "built for ABI 2.0"));
    replace_file(EXAMPLE_PLUGIN_DIR "/hello.so", path);
    assert_int_equal(ec2gw_module_open(path, &fake_host, &m, &err), 0);
    assert_string_equal(m->desc->name, "hello");
    unlink(path);
    rmdir(dir);
}

static int
teardown_all(void **state)
{
    (void)state;
    ec2gw_modules_unload_all();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_other_major),
        cmocka_unit_test(refuses_newer_minor),
        cmocka_unit_test(refuses_bad_magic),
        cmocka_unit_test(refuses_truncated_descriptor),
        cmocka_unit_test(reports_load_refusal),
        cmocka_unit_test(reports_missing_file),
        cmocka_unit_test(accepts_example_once),
        cmocka_unit_test(reloads_replaced_file),
        cmocka_unit_test(reloads_fixed_refused_file),
    };

    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
