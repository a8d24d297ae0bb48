/*
 * test_manage_args.c - ec2gw-manage's command line (commands, options, usage errors: 2) and its
 * conf.d binding (the db commands do not need the service password).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* A conf.d of one file with @p yaml; the directory into @p dir. */
static void
write_conf(char *dir, const char *yaml)
{
    char path[128];
    FILE *f;

    strcpy(dir, "/tmp/ec2gw-manage-conf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/00-daemon.yaml", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs(yaml, f);
    fclose(f);
}

static void
remove_conf(const char *dir)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/00-daemon.yaml", dir);
    unlink(path);
    rmdir(dir);
}

/* The db commands bind conf.d as ec2gwd does, without needing the service password. */
static void
test_conf_without_password(void **state)
{
    static const char *const yamls[] = {
        "paths: { database: /srv/x.sqlite }\n"
        "keystone: { url: 'http://k:5000/v3', service_password_env: EC2GW_TEST_UNSET_VAR }\n",
        "paths: { database: /srv/x.sqlite }\n"
        "keystone: { service_password_file: /nonexistent/password }\n",
        "paths: { database: /srv/x.sqlite }\n",
    };
    ec2gw_manage_conf_t c;
    ec2gw_err_t err = { 0 };
    char dir[64];

    (void)state;
    unsetenv("EC2GW_TEST_UNSET_VAR");
    for (size_t i = 0; i < sizeof(yamls) / sizeof(yamls[0]); i++) {
        write_conf(dir, yamls[i]);
        assert_int_equal(ec2gw_manage_conf_load(dir, 0, &c, &err), 0);
        assert_string_equal(c.conf.database, "/srv/x.sqlite");
        assert_null(c.conf.keystone.service_password);
        ec2gw_manage_conf_free(&c);
        /* credentials and check do need it, and say why */
        assert_int_not_equal(ec2gw_manage_conf_load(dir, 1, &c, &err), 0);
        assert_non_null(strstr(err.msg, "keystone"));
        remove_conf(dir);
    }
    /* other errors still count, with the file and line */
    write_conf(dir, "paths: { database: /srv/x.sqlite, frob: 1 }\n");
    assert_int_not_equal(ec2gw_manage_conf_load(dir, 0, &c, &err), 0);
    assert_non_null(strstr(err.msg, "00-daemon.yaml:1"));
    assert_non_null(strstr(err.msg, "frob"));
    remove_conf(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_conf_without_password),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
