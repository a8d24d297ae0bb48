/*
 * test_os_hooks.c - ABI 1.3 OpenStack hooks in the fake host (issue 16 #1), with the plugins
 * of hook_plugin.c; tests/unit/server_host/test_os_hooks_daemon.c asserts the same in ec2gwd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <jansson.h>

#include <ec2gw/testing.h>

static ec2gw_test_host_t *
host(const char *outer_settings)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(INNER_SO, NULL);

    assert_non_null(h);
    if (outer_settings != NULL)
        assert_int_equal(ec2gw_test_host_wrap(h, OUTER_SO, outer_settings), 0);
    return h;
}

static const json_t *
call(ec2gw_test_host_t *h, size_t i)
{
    return json_array_get(ec2gw_test_calls(h), i);
}

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* Path, header and answer of the wrapped call change; the wrapper's own call does not. */
static void
request_and_answer_hooks(void **state)
{
    ec2gw_test_host_t *h = host("{}");
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs", 200, "{\"keypairs\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs?site=cern", 200,
                      "{\"keypairs\": [{\"keypair\": {\"name\": \"k1\"}}]}");
    m = ec2gw_test_action(h, "DescribeKeyPairs", NULL);
    assert_non_null(m);
    assert_true(
        ec2gw_test_json_equal(h, m,
                              "{\"KeyPairs\": [{\"KeyName\": \"k1\", \"KeyFingerprint\": \"200\"}, "
                              "{\"KeyName\": \"added-by-hook\", \"KeyFingerprint\": \"200\"}]}"));
    json_decref(m);
    assert_string_equal(str(call(h, 0), "path"), "/os-keypairs"); /* the wrapper's own */
    assert_null(json_object_get(call(h, 0), "headers"));
    assert_string_equal(str(call(h, 1), "path"), "/os-keypairs?site=cern");
    assert_string_equal(str(json_object_get(call(h, 1), "headers"), "X-Site"), "cern");
    done(h);
}

/* A fan-out of the wrapped instance: a body member added, a failed answer replaced. */
static void
fanout_body_and_status(void **state)
{
    ec2gw_test_host_t *h = host("{}");
    const json_t *md;
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    ec2gw_test_expect(h, "GET", "compute", "/flavors", 500, "{}");
    m = ec2gw_test_action(h, "DescribeRegions", NULL);
    assert_non_null(m);
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"Regions\": [{\"RegionName\": \"202\", \"Endpoint\": "
                                      "\"0\"}, {\"RegionName\": \"200\", \"Endpoint\": \"1\"}]}"));
    json_decref(m);
    md =
        json_object_get(json_object_get(json_object_get(call(h, 0), "body"), "server"), "metadata");
    assert_true(
        ec2gw_test_json_equal(h, md, "{\"ec2_reservation_id\": \"r-1\", \"site\": \"cern\"}"));
    done(h);
}

/* A request hook refuses: the wrapper's EC2 error answers, nothing is sent. */
static void
refusal(void **state)
{
    ec2gw_test_host_t *h = host("{\"refuse\": true}");

    (void)state;
    assert_null(ec2gw_test_action(h, "DescribeRegions", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_string_equal(ec2gw_test_last_error_message(h), "the site refuses this boot");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 0);
    done(h);
}

/* A hook may not set the token: the call is refused (the wrapper's own call went out). */
static void
token_header_refused(void **state)
{
    ec2gw_test_host_t *h = host("{\"steal_token\": true}");

    (void)state;
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs", 200, "{\"keypairs\": []}");
    assert_null(ec2gw_test_action(h, "DescribeKeyPairs", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "InternalError");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 1);
    done(h);
}

/* os_transfer: both halves pass the request hooks, the answer the plugin gets the answer hook. */
static void
transfer(void **state)
{
    ec2gw_test_host_t *h = host("{}");
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "compute", "/blob", 200, "bytes");
    ec2gw_test_expect(h, "PUT", "compute", "/blob-copy?site=cern", 204, NULL);
    m = ec2gw_test_action(h, "DescribeImages", NULL);
    assert_non_null(m);
    assert_string_equal(str(json_array_get(json_object_get(m, "Images"), 0), "Description"), "201");
    json_decref(m);
    assert_string_equal(str(json_object_get(call(h, 0), "headers"), "X-Site"), "cern");
    assert_string_equal(str(call(h, 1), "path"), "/blob-copy?site=cern");
    done(h);
}

/* Without the wrapper nothing changes: the hooks are what changed the calls above. */
static void
unwrapped(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs", 200,
                      "{\"keypairs\": [{\"keypair\": {\"name\": \"k1\"}}]}");
    m = ec2gw_test_action(h, "DescribeKeyPairs", NULL);
    assert_true(ec2gw_test_json_equal(
        h, m, "{\"KeyPairs\": [{\"KeyName\": \"k1\", \"KeyFingerprint\": \"200\"}]}"));
    json_decref(m);
    assert_null(json_object_get(call(h, 0), "headers"));
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_and_answer_hooks),
        cmocka_unit_test(fanout_body_and_status),
        cmocka_unit_test(refusal),
        cmocka_unit_test(token_header_refused),
        cmocka_unit_test(transfer),
        cmocka_unit_test(unwrapped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
