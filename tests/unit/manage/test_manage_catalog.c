/*
 * test_manage_catalog.c - `ec2gw-manage catalog`: its command line (usage errors: 2), the
 * --interfaces list, and the decision register takes per endpoint from Keystone's lists, which
 * is what makes a second run change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
    assert_int_equal(parse(&a, msg, "catalog", "register", "--url", "http://gw:8788", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_CATALOG_REGISTER);
    assert_string_equal(a.url, "http://gw:8788");
    assert_null(a.region);
    assert_null(a.interfaces);
    assert_false(a.dry_run);
    assert_int_equal(parse(&a, msg, "-c", "/etc/x", "catalog", "register", "--dry-run",
                           "--url=https://ec2.example.org", "--region", "RegionTwo", "--interfaces",
                           "internal,public", NULL),
                     0);
    assert_string_equal(a.conf_dir, "/etc/x");
    assert_string_equal(a.url, "https://ec2.example.org");
    assert_string_equal(a.region, "RegionTwo");
    assert_string_equal(a.interfaces, "internal,public");
    assert_true(a.dry_run);
    assert_int_equal(parse(&a, msg, "catalog", "show", NULL), 0);
    assert_int_equal(a.cmd, EC2GW_MANAGE_CATALOG_SHOW);
    assert_int_equal(parse(&a, msg, "catalog", "show", "--region=R", NULL), 0);
    assert_string_equal(a.region, "R");
    /* credentials create still takes --url */
    assert_int_equal(parse(&a, msg, "credentials", "create", "--user", "u", "--project", "p",
                           "--url", "http://x", NULL),
                     0);
}

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
    expect_usage("unknown command 'catalog'", "catalog", NULL);
    expect_usage("unknown command 'catalog delete'", "catalog", "delete", NULL);
    expect_usage("catalog register needs --url", "catalog", "register", NULL);
    expect_usage("not an http:// or https:// URL", "catalog", "register", "--url", "gw:8788", NULL);
    expect_usage("--interfaces 'public,private'", "catalog", "register", "--url", "http://g",
                 "--interfaces", "public,private", NULL);
    expect_usage("without repeats", "catalog", "register", "--url", "http://g", "--interfaces",
                 "admin,admin", NULL);
    expect_usage("option --url does not apply", "catalog", "show", "--url", "http://g", NULL);
    expect_usage("option --interfaces does not apply", "catalog", "show", "--interfaces", "public",
                 NULL);
    expect_usage("option --region does not apply", "check", "--region", "R", NULL);
    expect_usage("--dry-run is an option of", "catalog", "show", "--dry-run", NULL);
    expect_usage("unexpected argument 'x'", "catalog", "show", "x", NULL);
    expect_usage("option --region needs a value", "catalog", "show", "--region", NULL);
}

static void
test_interfaces(void **state)
{
    unsigned m;

    (void)state;
    assert_int_equal(ec2gw_manage_interfaces_parse("public,internal,admin", &m), 0);
    assert_int_equal(m, 7);
    assert_int_equal(ec2gw_manage_interfaces_parse("admin", &m), 0);
    assert_int_equal(m, 4);
    assert_int_equal(ec2gw_manage_interfaces_parse("internal,public", &m), 0);
    assert_int_equal(m, 3);
    assert_int_equal(ec2gw_manage_interfaces_parse("", &m), -1);
    assert_int_equal(ec2gw_manage_interfaces_parse("public,", &m), -1);
    assert_int_equal(ec2gw_manage_interfaces_parse(",public", &m), -1);
    assert_int_equal(ec2gw_manage_interfaces_parse("publi", &m), -1);
    assert_int_equal(ec2gw_manage_interfaces_parse("publicx", &m), -1);
    assert_int_equal(ec2gw_manage_interfaces_parse("Public", &m), -1);
    assert_int_equal(ec2gw_manage_interfaces_parse("public,public", &m), -1);
}

/* Keystone's endpoint list of a service, as GET /v3/endpoints?service_id= answers it. */
static json_t *
endpoints(void)
{
    json_t *j =
        json_loads("[{\"id\": \"e1\", \"interface\": \"public\", \"region_id\": \"RegionOne\","
                   "  \"region\": \"RegionOne\", \"url\": \"http://gw:8788\", \"enabled\": true},"
                   " {\"id\": \"e2\", \"interface\": \"internal\", \"region_id\": \"RegionOne\","
                   "  \"url\": \"http://old:8788\", \"enabled\": true},"
                   " {\"id\": \"e3\", \"interface\": \"admin\", \"region_id\": \"RegionOne\","
                   "  \"url\": \"http://gw:8788\", \"enabled\": false},"
                   " {\"id\": \"e4\", \"interface\": \"public\", \"region_id\": \"RegionTwo\","
                   "  \"url\": \"http://two:8788\", \"enabled\": true},"
                   " {\"id\": \"e5\", \"interface\": \"internal\", \"region\": \"Legacy\","
                   "  \"url\": \"http://gw:8788\"}]",
                   0, NULL);

    assert_non_null(j);
    return j;
}

static void
test_plan(void **state)
{
    json_t *eps = endpoints(), *none = json_array();
    const json_t *found;

    (void)state;
    /* same URL, enabled: nothing to do, so a second run changes nothing */
    assert_int_equal(
        ec2gw_manage_catalog_plan(eps, "public", "RegionOne", "http://gw:8788", &found),
        EC2GW_CATALOG_UNCHANGED);
    assert_string_equal(json_string_value(json_object_get(found, "id")), "e1");
    /* another URL: update that endpoint, not create a second one */
    assert_int_equal(
        ec2gw_manage_catalog_plan(eps, "internal", "RegionOne", "http://gw:8788", &found),
        EC2GW_CATALOG_UPDATE);
    assert_string_equal(json_string_value(json_object_get(found, "id")), "e2");
    /* disabled with the same URL: enable it */
    assert_int_equal(ec2gw_manage_catalog_plan(eps, "admin", "RegionOne", "http://gw:8788", &found),
                     EC2GW_CATALOG_UPDATE);
    assert_string_equal(json_string_value(json_object_get(found, "id")), "e3");
    /* the public URL changes: update */
    assert_int_equal(ec2gw_manage_catalog_plan(eps, "public", "RegionOne", "http://new:1", &found),
                     EC2GW_CATALOG_UPDATE);
    /* regions are apart; region given by the legacy field only still counts */
    assert_int_equal(
        ec2gw_manage_catalog_plan(eps, "public", "RegionTwo", "http://two:8788", &found),
        EC2GW_CATALOG_UNCHANGED);
    assert_string_equal(json_string_value(json_object_get(found, "id")), "e4");
    assert_int_equal(
        ec2gw_manage_catalog_plan(eps, "admin", "RegionTwo", "http://two:8788", &found),
        EC2GW_CATALOG_CREATE);
    assert_null(found);
    assert_int_equal(ec2gw_manage_catalog_plan(eps, "internal", "Legacy", "http://gw:8788", &found),
                     EC2GW_CATALOG_UNCHANGED);
    assert_int_equal(
        ec2gw_manage_catalog_plan(none, "public", "RegionOne", "http://gw:8788", &found),
        EC2GW_CATALOG_CREATE);
    json_decref(eps);
    json_decref(none);
}

static void
test_pick_service(void **state)
{
    json_t *two = json_loads("[{\"id\": \"a\", \"name\": \"ec2\", \"type\": \"ec2\"},"
                             " {\"id\": \"b\", \"name\": \"ec2gw\", \"type\": \"ec2\"}]",
                             0, NULL);
    json_t *other =
        json_loads("[{\"id\": \"c\", \"name\": \"ec2-api\", \"type\": \"ec2\"}]", 0, NULL);
    json_t *none = json_array();

    (void)state;
    assert_string_equal(
        json_string_value(json_object_get(ec2gw_manage_catalog_pick_service(two), "id")), "b");
    /* an existing ec2 service of another name is used, not doubled */
    assert_string_equal(
        json_string_value(json_object_get(ec2gw_manage_catalog_pick_service(other), "id")), "c");
    assert_null(ec2gw_manage_catalog_pick_service(none));
    json_decref(two);
    json_decref(other);
    json_decref(none);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),     cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_interfaces),   cmocka_unit_test(test_plan),
        cmocka_unit_test(test_pick_service),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
