/*
 * test_glance_attrs.c - the glance-v2 plugin's write side through the fake host:
 * DescribeImageAttribute, ModifyImageAttribute (launch permissions → Glance visibility and
 * members, description), ResetImageAttribute and DeregisterImage, with the calls they make
 * and their error codes. CreateImage is in test_glance_create.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

#include "glance_test.h"

#define AMI_PRIVATE "ami-0000aaaa"
#define AMI_EBS     "ami-0000bbbb"
#define AMI_CIRROS  "ami-0000cccc"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = glance_host_new(NULL);

    assert_non_null(h);
    assert_int_equal(ec2gw_test_map_id(h, AMI_PRIVATE, UUID_PRIVATE), 0);
    assert_int_equal(ec2gw_test_map_id(h, AMI_EBS, UUID_EBS), 0);
    assert_int_equal(ec2gw_test_map_id(h, AMI_CIRROS, UUID_CIRROS), 0);
    return h;
}

static void
expect_error(ec2gw_test_host_t *h, const char *action, const char *params, const char *code)
{
    json_t *m = ec2gw_test_action(h, action, params);

    if (m != NULL || ec2gw_test_last_error(h) == NULL ||
        strcmp(ec2gw_test_last_error(h), code) != 0)
        fail_msg("%s %s: got %s, want %s", action, params, m ? "a model" : ec2gw_test_last_error(h),
                 code);
}

/* The last OpenStack call (borrowed). */
static const json_t *
last_call(ec2gw_test_host_t *h)
{
    const json_t *calls = ec2gw_test_calls(h);

    return json_array_get(calls, json_array_size(calls) - 1);
}

static const json_t *
call_at(ec2gw_test_host_t *h, size_t back)
{
    const json_t *calls = ec2gw_test_calls(h);

    return json_array_get(calls, json_array_size(calls) - 1 - back);
}

static void
describe_attribute(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    m = ec2gw_test_action(h, "DescribeImageAttribute",
                          "{\"ImageId\": \"" AMI_PRIVATE "\", \"Attribute\": \"description\"}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"ImageId\": \"" AMI_PRIVATE "\", "
                                      "\"Description\": {\"Value\": \"the web tier\"}}"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    m = ec2gw_test_action(h, "DescribeImageAttribute",
                          "{\"ImageId\": \"" AMI_PRIVATE "\", \"Attribute\": \"kernel\"}");
    assert_int_equal(
        strncmp(json_string_value(json_object_get(json_object_get(m, "KernelId"), "Value")), "aki-",
                4),
        0);
    json_decref(m);
    /* shared: the Glance members */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS "/members", 200, "members.json");
    m = ec2gw_test_action(h, "DescribeImageAttribute",
                          "{\"ImageId\": \"" AMI_EBS "\", \"Attribute\": \"launchPermission\"}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"ImageId\": \"" AMI_EBS "\", "
                                      "\"LaunchPermissions\": [{\"UserId\": \"" OTHER "\"}]}"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    m = ec2gw_test_action(h, "DescribeImageAttribute",
                          "{\"ImageId\": \"" AMI_EBS "\", \"Attribute\": \"blockDeviceMapping\"}");
    assert_int_equal(json_array_size(json_object_get(m, "BlockDeviceMappings")), 2);
    json_decref(m);
    /* launch permissions of someone else's image */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_CIRROS, 200, "image_public.json");
    expect_error(h, "DescribeImageAttribute",
                 "{\"ImageId\": \"" AMI_CIRROS "\", \"Attribute\": \"launchPermission\"}",
                 "AuthFailure");
    expect_error(h, "DescribeImageAttribute",
                 "{\"ImageId\": \"" AMI_CIRROS "\", \"Attribute\": \"sriovNetSupport\"}",
                 "InvalidParameterValue");
    expect_error(h, "DescribeImageAttribute",
                 "{\"ImageId\": \"ami-1\", \"Attribute\": \"description\"}",
                 "InvalidAMIID.Malformed");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 404, "not_found.html");
    expect_error(h, "DescribeImageAttribute",
                 "{\"ImageId\": \"" AMI_PRIVATE "\", \"Attribute\": \"description\"}",
                 "InvalidAMIID.NotFound");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
modify_launch_permission(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *c;
    json_t *m;

    (void)state;
    /* a private image shared with an account: visibility shared, then a member */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "PATCH", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "POST", "image", "/v2/images/" UUID_PRIVATE "/members", 200,
                      "{\"member_id\": \"" OTHER "\", \"status\": \"pending\"}");
    m = ec2gw_test_action(h, "ModifyImageAttribute",
                          "{\"ImageId\": \"" AMI_PRIVATE "\", \"LaunchPermission\": {\"Add\": "
                          "[{\"UserId\": \"" OTHER "\"}]}}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"Return\": true}"));
    json_decref(m);
    c = call_at(h, 1);
    assert_true(ec2gw_test_json_equal(h, json_object_get(c, "body"),
                                      "[{\"op\": \"replace\", \"path\": \"/visibility\", "
                                      "\"value\": \"shared\"}]"));
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_call(h), "body"),
                                      "{\"member\": \"" OTHER "\"}"));
    /* the flat form removes it; an absent member is fine */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" UUID_EBS "/members/" OTHER, 404,
                      "not_found.html");
    m = ec2gw_test_action(h, "ModifyImageAttribute",
                          "{\"ImageId\": \"" AMI_EBS "\", \"Attribute\": \"launchPermission\", "
                          "\"OperationType\": \"remove\", \"UserIds\": [\"" OTHER "\"]}");
    assert_non_null(m);
    json_decref(m);
    /* group all: public; Glance's policy may refuse it */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "PATCH", "image", "/v2/images/" UUID_PRIVATE, 403,
                      "{\"message\": \"not allowed to publicize\"}");
    expect_error(h, "ModifyImageAttribute",
                 "{\"ImageId\": \"" AMI_PRIVATE "\", \"LaunchPermission\": {\"Add\": "
                 "[{\"Group\": \"all\"}]}}",
                 "UnauthorizedOperation");
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_call(h), "body"),
                                      "[{\"op\": \"replace\", \"path\": \"/visibility\", "
                                      "\"value\": \"public\"}]"));
    /* not the owner */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_CIRROS, 200, "image_public.json");
    expect_error(h, "ModifyImageAttribute",
                 "{\"ImageId\": \"" AMI_CIRROS "\", \"LaunchPermission\": {\"Remove\": "
                 "[{\"Group\": \"all\"}]}}",
                 "AuthFailure");
    /* bad input: no call */
    expect_error(h, "ModifyImageAttribute",
                 "{\"ImageId\": \"" AMI_PRIVATE "\", \"LaunchPermission\": {\"Add\": "
                 "[{\"Group\": \"all\"}]}, \"UserIds\": [\"x\"], \"OperationType\": \"add\"}",
                 "InvalidParameterCombination");
    expect_error(h, "ModifyImageAttribute",
                 "{\"ImageId\": \"" AMI_PRIVATE "\", \"LaunchPermission\": {\"Add\": "
                 "[{\"Group\": \"friends\"}]}}",
                 "InvalidParameterValue");
    expect_error(h, "ModifyImageAttribute",
                 "{\"ImageId\": \"" AMI_PRIVATE "\", \"Attribute\": \"kernel\", \"Value\": \"x\"}",
                 "InvalidParameterValue");
    expect_error(h, "ModifyImageAttribute", "{\"ImageId\": \"" AMI_PRIVATE "\"}",
                 "MissingParameter");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
modify_description_and_reset(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "PATCH", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    m = ec2gw_test_action(h, "ModifyImageAttribute",
                          "{\"ImageId\": \"" AMI_PRIVATE "\", \"Description\": {\"Value\": "
                          "\"new\"}}");
    assert_non_null(m);
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_call(h), "body"),
                                      "[{\"op\": \"replace\", \"path\": \"/description\", "
                                      "\"value\": \"new\"}]"));
    assert_string_equal(json_string_value(json_object_get(last_call(h), "path")),
                        "/v2/images/" UUID_PRIVATE);
    /* reset of a shared image: members deleted, then private */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS "/members", 200, "members.json");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" UUID_EBS "/members/" OTHER, 204, NULL);
    ec2gw_test_expect(h, "PATCH", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    m = ec2gw_test_action(h, "ResetImageAttribute",
                          "{\"ImageId\": \"" AMI_EBS "\", \"Attribute\": \"launchPermission\"}");
    assert_non_null(m);
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_call(h), "body"),
                                      "[{\"op\": \"replace\", \"path\": \"/visibility\", "
                                      "\"value\": \"private\"}]"));
    /* reset of a private image: nothing to do */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    m = ec2gw_test_action(h, "ResetImageAttribute",
                          "{\"ImageId\": \"" AMI_PRIVATE
                          "\", \"Attribute\": \"launchPermission\"}");
    assert_non_null(m);
    json_decref(m);
    expect_error(h, "ResetImageAttribute",
                 "{\"ImageId\": \"" AMI_PRIVATE "\", \"Attribute\": \"description\"}",
                 "InvalidParameterValue");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
deregister(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" UUID_PRIVATE, 204, NULL);
    m = ec2gw_test_action(h, "DeregisterImage", "{\"ImageId\": \"" AMI_PRIVATE "\"}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"Return\": true}"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_CIRROS, 200, "image_public.json");
    expect_error(h, "DeregisterImage", "{\"ImageId\": \"" AMI_CIRROS "\"}", "AuthFailure");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" UUID_EBS, 500, "{\"message\": \"x\"}");
    expect_error(h, "DeregisterImage", "{\"ImageId\": \"" AMI_EBS "\"}", "InternalError");
    expect_error(h, "DeregisterImage", "{\"ImageId\": \"vol-12345678\"}", "InvalidAMIID.Malformed");
    expect_error(h, "DeregisterImage", "{}", "MissingParameter");
    /* DryRun is answered by the host: no call */
    expect_error(h, "DeregisterImage", "{\"ImageId\": \"" AMI_PRIVATE "\", \"DryRun\": true}",
                 "DryRunOperation");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(describe_attribute),
        cmocka_unit_test(modify_launch_permission),
        cmocka_unit_test(modify_description_and_reset),
        cmocka_unit_test(deregister),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
