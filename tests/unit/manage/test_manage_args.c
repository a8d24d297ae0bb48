/* test_manage_args.c - ec2gw-manage's command line: commands, options, usage errors (2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "manage/manage.h"

static int
parse(ec2gw_manage_args_t *a, char *msg, ...)
{
    char *argv[16] = { "ec2gw-manage" };
    int argc = 1;
    va_list ap;
    char *s;

    va_start(ap, msg);
    while ((s = va_arg(ap, char *)) != NULL)
        argv[argc++] = s;
    va_end(ap);
    return ec2gw_manage_args_parse(argc, argv, a, msg, 256);
}

static void
test_commands(void **state)
{
    ec2gw_manage_args_t a;
    char msg[256];

    (void)state;
    assert_int_equal(parse(&a, msg, "db", "version", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_DB_VERSION);
    assert_null(a.conf_dir);
    assert_int_equal(parse(&a, msg, "--config-dir", "/x", "db", "upgrade", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_DB_UPGRADE);
    assert_string_equal(a.conf_dir, "/x");
    assert_int_equal(parse(&a, msg, "db", "import-ec2api", "/tmp/e.sqlite", "--dry-run", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_DB_IMPORT);
    assert_string_equal(a.source, "/tmp/e.sqlite");
    assert_true(a.dry_run);
    /* options after the command, and --opt=value */
    assert_int_equal(parse(&a, msg, "credentials", "create", "--user=demo", "--project", "p1", "-c",
                           "/etc/x", NULL),
                     0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_CRED_CREATE);
    assert_string_equal(a.user, "demo");
    assert_string_equal(a.project, "p1");
    assert_string_equal(a.conf_dir, "/etc/x");
    assert_int_equal(parse(&a, msg, "credentials", "list", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_CRED_LIST);
    assert_null(a.user);
    assert_int_equal(parse(&a, msg, "check", "--plugin-dir", "/p", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_CHECK);
    assert_string_equal(a.plugin_dir, "/p");
    assert_int_equal(parse(&a, msg, "db", "--help", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_HELP);
}

/* Every usage error is 2 with a message naming what is wrong. */
static void
expect_usage(const char *needle, ...)
{
    char *argv[16] = { "ec2gw-manage" }, msg[256];
    ec2gw_manage_args_t a;
    int argc = 1;
    va_list ap;
    char *s;

    va_start(ap, needle);
    while ((s = va_arg(ap, char *)) != NULL)
        argv[argc++] = s;
    va_end(ap);
    assert_int_equal(ec2gw_manage_args_parse(argc, argv, &a, msg, sizeof(msg)), EC2GW_MANAGE_USAGE);
    if (strstr(msg, needle) == NULL)
        fail_msg("'%s' does not say '%s'", msg, needle);
}

static void
test_usage_errors(void **state)
{
    (void)state;
    expect_usage("no command", NULL);
    expect_usage("no command", "-c", "/x", NULL);
    expect_usage("unknown command 'frob'", "frob", NULL);
    expect_usage("unknown command 'db drop'", "db", "drop", NULL);
    expect_usage("needs SOURCE", "db", "import-ec2api", NULL);
    expect_usage("unexpected argument 'b'", "db", "import-ec2api", "a", "b", NULL);
    expect_usage("unexpected argument 'now'", "check", "now", NULL);
    expect_usage("--user U and --project P", "credentials", "create", "--user", "u", NULL);
    expect_usage("--dry-run is an option of db import-ec2api", "db", "upgrade", "--dry-run", NULL);
    expect_usage("option --project does not apply", "credentials", "list", "--project", "p", NULL);
    expect_usage("option --url does not apply", "check", "--url", "http://x", NULL);
    expect_usage("option --config-dir needs a value", "db", "version", "--config-dir", NULL);
    expect_usage("option --user needs a value", "credentials", "list", "--user=", NULL);
    expect_usage("unknown option '--frob'", "db", "version", "--frob", NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_usage_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
