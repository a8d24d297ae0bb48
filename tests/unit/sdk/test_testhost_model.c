/*
 * test_testhost_model.c - issue 16 #4, #6 and the shared filters/paging: the fake host checks
 * actions, parameters and answers with the daemon's model code, reports leaked json
 * references, and filters and pages with the daemon's implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(MODEL_SO, NULL);

    assert_non_null(h);
    return h;
}

/* An action the model lacks is refused before the plugin runs, as ec2gwd refuses it. */
static void
unknown_action(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    assert_null(ec2gw_test_action(h, "DescribeUnicorns", "{}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAction");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "DescribeUnicorns"));
    ec2gw_test_host_free(h);
}

/* Parameters go through the daemon's decoder: a made-up key, a missing required member. */
static void
parameters(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    assert_null(
        ec2gw_test_action(h, "DescribeRegions", "{\"RegionNames\": [\"a\"], \"Bogus\": 1}"));
    assert_string_equal(ec2gw_test_last_error(h), "UnknownParameter");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "Bogus"));
    /* a nested unknown member names its path */
    assert_null(
        ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"instance-id\", \"Valeus\": [\"x\"]}]}"));
    assert_string_equal(ec2gw_test_last_error(h), "UnknownParameter");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "Valeus"));
    /* types are what the daemon gives: MaxResults "5" arrives as an integer */
    m = ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": \"5\"}");
    assert_non_null(m);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(m, "Reservations"), 0),
                                          "ReservationId")),
        "r-integer");
    json_decref(m);
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": \"five\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* A member the renderer would drop fails the request and is a violation. */
static void
dropped_member(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    m = ec2gw_test_action(h, "DescribeRegions", "{}");
    assert_non_null(m);
    assert_true(ec2gw_test_json_equal(h, m, "{\"Regions\": [{\"RegionName\": \"r1\"}]}"));
    json_decref(m);
    assert_int_equal(ec2gw_test_violations(h), 0);
    assert_null(ec2gw_test_action(h, "DescribeRegions", "{\"AllRegions\": true}"));
    assert_string_equal(ec2gw_test_last_error(h), "InternalError");
    assert_int_equal(ec2gw_test_last_status(h), 500);
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "RegionNmae"));
    assert_int_equal(ec2gw_test_violations(h), 1);
    ec2gw_test_host_free(h);
}

/* A reference given to own_json() and never dropped is reported when the host is freed. */
static void
leaked_reference(void **state)
{
    ec2gw_test_host_t *h = host();
    size_t before = ec2gw_test_leaked_json();
    json_t *m;

    (void)state;
    setenv("EC2GW_TEST_LEAKS", "warn", 1); /* count instead of abort() */
    m = ec2gw_test_action(h, "DescribeKeyPairs", "{\"IncludePublicKey\": true}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_host_free(h);
    assert_int_equal(ec2gw_test_leaked_json(), before);
    h = host();
    m = ec2gw_test_action(h, "DescribeKeyPairs", "{\"IncludePublicKey\": false}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_host_free(h);
    assert_int_equal(ec2gw_test_leaked_json(), before + 1);
    unsetenv("EC2GW_TEST_LEAKS");
}

/* The daemon's filters and paging: its limits and MaxResults rules, its tokens. */
static void
daemon_filters_and_paging(void **state)
{
    ec2gw_test_host_t *h = host();
    char params[4096], *o = params;
    json_t *m, *m2;
    const char *tok;

    (void)state;
    /* more than 200 filter values in all: FilterLimitExceeded (the old copy had no limit) */
    o += sprintf(o, "{\"Filters\": [{\"Name\": \"instance-id\", \"Values\": [");
    for (int i = 0; i < 201; i++)
        o += sprintf(o, "%s\"i-%d\"", i ? ", " : "", i);
    sprintf(o, "]}]}");
    assert_null(ec2gw_test_action(h, "DescribeInstances", params));
    assert_string_equal(ec2gw_test_last_error(h), "FilterLimitExceeded");
    /* MaxResults above the range is capped, as AWS does (the old copy refused it) */
    m = ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": 5000}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(m, "Reservations"), 0), "Instances")),
                     7);
    json_decref(m);
    /* pages of 5 then 2; the token is the daemon's (base64url), refused for another query */
    m = ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": 5}");
    assert_non_null(m);
    tok = json_string_value(json_object_get(m, "NextToken"));
    assert_non_null(tok);
    assert_null(strchr(tok, '.')); /* the old copy's tokens were "<hex>.<hex>" */
    snprintf(params, sizeof(params), "{\"MaxResults\": 5, \"NextToken\": \"%s\"}", tok);
    m2 = ec2gw_test_action(h, "DescribeInstances", params);
    assert_non_null(m2);
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(m2, "Reservations"), 0), "Instances")),
                     2);
    json_decref(m2);
    snprintf(params, sizeof(params),
             "{\"MaxResults\": 5, \"NextToken\": \"%s\", \"Filters\": [{\"Name\": "
             "\"instance-id\", \"Values\": [\"i-*\"]}]}",
             tok);
    assert_null(ec2gw_test_action(h, "DescribeInstances", params));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidPaginationToken");
    json_decref(m);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_action),
        cmocka_unit_test(parameters),
        cmocka_unit_test(dropped_member),
        cmocka_unit_test(leaked_reference),
        cmocka_unit_test(daemon_filters_and_paging),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
