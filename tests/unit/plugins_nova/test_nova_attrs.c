/*
 * test_nova_attrs.c - Describe/Modify/ResetInstanceAttribute of nova-v2.1 through the fake
 * host: stored flags, Neutron port updates, the resize-and-confirm of instanceType, refusals.
 */
/* clang-format off: cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include <ec2gw/testing.h>

#define SRV "9ea0812c-9693-431b-8298-b2d9cf86b5cf"
#define IID "i-0000000000000001a"
#define PORTS                                                                                     \
    "{\"ports\": [{\"id\": \"p2\", \"created_at\": \"2026-11-25T12:00:09Z\"}, {\"id\": \"p1\", " \
    "\"created_at\": \"2026-11-25T12:00:00Z\"}]}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_map_id(h, IID, SRV);
    ec2gw_test_map_id(h, "sg-0000000a", "sguuid");
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* The body of the last call to @p method. */
static const json_t *
last_body(ec2gw_test_host_t *h, const char *method)
{
    const json_t *calls = ec2gw_test_calls(h), *c, *body = NULL;
    size_t i;

    json_array_foreach(calls, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "method")), method) == 0)
            body = json_object_get(c, "body");
    }
    return body;
}

static void
ok(ec2gw_test_host_t *h, const char *params)
{
    json_t *m = ec2gw_test_action(h, "ModifyInstanceAttribute", params);

    if (m == NULL)
        fail_msg("%s: %s %s", params, ec2gw_test_last_error(h),
                 ec2gw_test_last_error_message(h));
    assert_true(json_is_true(json_object_get(m, "Return")));
    json_decref(m);
}

static void
refused(ec2gw_test_host_t *h, const char *params, const char *code)
{
    assert_null(ec2gw_test_action(h, "ModifyInstanceAttribute", params));
    if (strcmp(ec2gw_test_last_error(h), code) != 0)
        fail_msg("%s: got %s, want %s", params, ec2gw_test_last_error(h), code);
}

static void
test_flags(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ok(h, "{\"InstanceId\": \"" IID "\", \"DisableApiStop\": {\"Value\": true}}");
    /* StopInstances now refuses, before any Nova write */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"id\": \"" SRV "\", \"OS-EXT-STS:vm_state\": \"active\"}}");
    assert_null(ec2gw_test_action(h, "StopInstances", "{\"InstanceIds\": [\"" IID "\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "OperationNotPermitted");
    ok(h, "{\"InstanceId\": \"" IID "\", \"Attribute\": \"disableApiStop\", \"Value\": "
          "\"false\"}");
    ok(h, "{\"InstanceId\": \"" IID "\", \"DisableApiTermination\": {\"Value\": true}}");
    /* issue 11 #13: string booleans in any case, as ec2-api read them */
    ok(h, "{\"InstanceId\": \"" IID "\", \"Attribute\": \"disableApiTermination\", \"Value\": "
          "\"False\"}");
    ok(h, "{\"InstanceId\": \"" IID "\", \"Attribute\": \"disableApiTermination\", \"Value\": "
          "\"TRUE\"}");
    refused(h,
            "{\"InstanceId\": \"" IID "\", \"Attribute\": \"disableApiTermination\", \"Value\": "
            "\"yes\"}",
            "InvalidParameterValue");
    ok(h, "{\"InstanceId\": \"" IID "\", \"InstanceInitiatedShutdownBehavior\": {\"Value\": "
          "\"stop\"}}");
    ok(h, "{\"InstanceId\": \"" IID "\", \"EbsOptimized\": {\"Value\": false}}");
    refused(h,
            "{\"InstanceId\": \"" IID "\", \"InstanceInitiatedShutdownBehavior\": {\"Value\": "
            "\"terminate\"}}",
            "UnsupportedOperation");
    refused(h, "{\"InstanceId\": \"" IID "\", \"EbsOptimized\": {\"Value\": true}}",
            "UnsupportedOperation");
    refused(h, "{\"InstanceId\": \"" IID "\", \"UserData\": {\"Value\": \"eA==\"}}",
            "UnsupportedOperation");
    refused(h, "{\"InstanceId\": \"" IID "\", \"Kernel\": {\"Value\": \"aki-1\"}}",
            "UnsupportedOperation");
    refused(h,
            "{\"InstanceId\": \"" IID "\", \"DisableApiStop\": {\"Value\": true}, "
            "\"DisableApiTermination\": {\"Value\": true}}",
            "InvalidParameterCombination");
    refused(h, "{\"InstanceId\": \"" IID "\"}", "MissingParameter");
    refused(h, "{\"InstanceId\": \"" IID "\", \"Attribute\": \"rootDeviceName\", \"Value\": \"x\"}",
            "InvalidParameterValue");
    refused(h, "{\"InstanceId\": \"i-0123456789abcdef0\", \"DisableApiStop\": {\"Value\": true}}",
            "InvalidInstanceID.NotFound");
    done(h);
}

static void
test_ports(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    /* sourceDestCheck off: an any-address pair on the primary (oldest) port */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SRV "*", 200, PORTS);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/p1", 200, "{\"port\": {}}");
    ok(h, "{\"InstanceId\": \"" IID "\", \"SourceDestCheck\": {\"Value\": false}}");
    assert_true(ec2gw_test_json_equal(
        h, last_body(h, "PUT"),
        "{\"port\": {\"allowed_address_pairs\": [{\"ip_address\": \"0.0.0.0/0\"}]}}"));
    /* reset: back on */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SRV "*", 200, PORTS);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/p1", 200, "{\"port\": {}}");
    m = ec2gw_test_action(h, "ResetInstanceAttribute",
                          "{\"InstanceId\": \"" IID "\", \"Attribute\": \"sourceDestCheck\"}");
    assert_non_null(m);
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, last_body(h, "PUT"),
                                      "{\"port\": {\"allowed_address_pairs\": []}}"));
    /* groups: only with one interface */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SRV "*", 200, PORTS);
    refused(h, "{\"InstanceId\": \"" IID "\", \"Groups\": [\"sg-0000000a\"]}", "InvalidInstanceID");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SRV "*", 200,
                      "{\"ports\": [{\"id\": \"p1\"}]}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/p1", 200, "{\"port\": {}}");
    ok(h, "{\"InstanceId\": \"" IID "\", \"Groups\": [\"sg-0000000a\"]}");
    assert_true(ec2gw_test_json_equal(h, last_body(h, "PUT"),
                                      "{\"port\": {\"security_groups\": [\"sguuid\"]}}"));
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SRV "*", 200,
                      "{\"ports\": [{\"id\": \"p1\"}]}");
    refused(h, "{\"InstanceId\": \"" IID "\", \"Groups\": [\"sg-0000000f\"]}",
            "InvalidGroup.NotFound");
    /* Neutron refuses: its error, nothing half-done */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SRV "*", 200,
                      "{\"ports\": [{\"id\": \"p1\"}]}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/p1", 409,
                      "{\"NeutronError\": {\"message\": \"Port security must be enabled\"}}");
    assert_null(ec2gw_test_action(h, "ModifyInstanceAttribute",
                                  "{\"InstanceId\": \"" IID "\", \"SourceDestCheck\": "
                                  "{\"Value\": false}}"));
    done(h);
}

static void
test_instance_type(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *calls, *c;
    size_t i, confirms = 0;

    (void)s;
    /* running: refused before any resize */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"status\": \"ACTIVE\", \"flavor\": {\"original_name\": "
                      "\"m1.tiny\"}}}");
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    refused(h, "{\"InstanceId\": \"" IID "\", \"InstanceType\": {\"Value\": \"m1.small\"}}",
            "IncorrectInstanceState");
    /* unknown type */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"status\": \"SHUTOFF\"}}");
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    refused(h, "{\"InstanceId\": \"" IID "\", \"InstanceType\": {\"Value\": \"x9.huge\"}}",
            "InvalidParameterValue");
    /* stopped: resize, poll through RESIZE to VERIFY_RESIZE, confirm */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"status\": \"SHUTOFF\", \"flavor\": {\"original_name\": "
                      "\"m1.tiny\"}}}");
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"status\": \"RESIZE\", \"OS-EXT-STS:task_state\": "
                      "\"resize_migrating\"}}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"status\": \"VERIFY_RESIZE\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 204, NULL);
    /* the driver powered it on: stopped again, as it was */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"status\": \"ACTIVE\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 202, NULL);
    ok(h, "{\"InstanceId\": \"" IID "\", \"InstanceType\": {\"Value\": \"m1.small\"}}");
    calls = ec2gw_test_calls(h);
    json_array_foreach(calls, i, c)
    {
        const json_t *b = json_object_get(c, "body");

        if (json_object_get(b, "resize") != NULL)
            assert_non_null(json_object_get(json_object_get(b, "resize"), "flavorRef"));
        confirms += json_object_get(b, "confirmResize") != NULL;
    }
    assert_int_equal(confirms, 1);
    assert_non_null(json_object_get(last_body(h, "POST"), "os-stop"));
    done(h);
}

static void
test_instance_status(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *st, *it;
    json_t *m;
    size_t i;

    (void)s;
    ec2gw_test_map_id(h, "i-0000000000000002b", "s2");
    ec2gw_test_map_id(h, "i-0000000000000003c", "s3");
    /* s1 fine, s2 on a host whose compute service is down, s3 running but powered off by the
     * hypervisor (impaired), s4 stopped (only with IncludeAllInstances) */
    ec2gw_test_expect(
        h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
        "{\"servers\": ["
        "{\"id\": \"" SRV "\", \"status\": \"ACTIVE\", \"OS-EXT-STS:vm_state\": \"active\","
        " \"OS-EXT-STS:power_state\": 1, \"host_status\": \"UP\"},"
        "{\"id\": \"s2\", \"status\": \"ACTIVE\", \"OS-EXT-STS:vm_state\": \"active\","
        " \"OS-EXT-STS:power_state\": 1, \"host_status\": \"DOWN\"},"
        "{\"id\": \"s3\", \"status\": \"ACTIVE\", \"OS-EXT-STS:vm_state\": \"active\","
        " \"OS-EXT-STS:power_state\": 4, \"host_status\": \"MAINTENANCE\"},"
        "{\"id\": \"s4\", \"status\": \"SHUTOFF\", \"OS-EXT-STS:vm_state\": \"stopped\"}]}");
    m = ec2gw_test_action(h, "DescribeInstanceStatus", "{}");
    assert_non_null(m);
    st = json_object_get(m, "InstanceStatuses");
    assert_int_equal(json_array_size(st), 3);
    json_array_foreach(st, i, it)
    {
        const char *id = json_string_value(json_object_get(it, "InstanceId"));
        const char *is = json_string_value(
            json_object_get(json_object_get(it, "InstanceStatus"), "Status"));
        const char *ss =
            json_string_value(json_object_get(json_object_get(it, "SystemStatus"), "Status"));

        if (strcmp(id, IID) == 0) {
            assert_string_equal(is, "ok");
            assert_string_equal(ss, "ok");
        } else if (strcmp(id, "i-0000000000000002b") == 0) {
            assert_string_equal(is, "ok");
            assert_string_equal(ss, "impaired");
        } else {
            assert_string_equal(is, "impaired");
            assert_string_equal(ss, "ok");
            assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(json_object_get(it, "Events"), 0), "Code")),
                                "system-maintenance");
        }
    }
    json_decref(m);
    /* filters read the computed statuses; stopped ones with IncludeAllInstances */
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
                      "{\"servers\": [{\"id\": \"s2\", \"status\": \"ACTIVE\", "
                      "\"OS-EXT-STS:vm_state\": \"active\", \"host_status\": \"DOWN\"}, "
                      "{\"id\": \"s4\", \"status\": \"SHUTOFF\", \"OS-EXT-STS:vm_state\": "
                      "\"stopped\"}]}");
    m = ec2gw_test_action(h, "DescribeInstanceStatus",
                          "{\"IncludeAllInstances\": true, \"Filters\": [{\"Name\": "
                          "\"system-status.status\", \"Values\": [\"impaired\", "
                          "\"not-applicable\"]}]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "InstanceStatuses")), 2);
    json_decref(m);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_instance_type),
        cmocka_unit_test(test_instance_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
