/*
 * test_nova_metadata.c - the instance metadata options of nova-v2.1 through the fake host:
 * ModifyInstanceMetadataOptions (checked, stored, merged), RunInstances' MetadataOptions, the
 * MetadataOptions of DescribeInstances and its metadata-options.* filters; bad values refused
 * before any OpenStack call.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include <ec2gw/testing.h>

/* These tests script the uncached DescribeInstances (every read lists the servers); the
 * server cache has its own tests (test_nova_sync.c). */
#define NOVA_UNCACHED "{\"describe_staleness\": \"0\"}"

#define SRV    "9ea0812c-9693-431b-8298-b2d9cf86b5cf"
#define IMG    "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"
#define IID    "i-0000000000000001a"
#define SERVER "{\"server\": {\"id\": \"" SRV "\", \"OS-EXT-STS:vm_state\": \"active\"}}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, NOVA_UNCACHED);

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_map_id(h, IID, SRV);
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static json_t *
modify(ec2gw_test_host_t *h, const char *opts)
{
    char params[512];
    json_t *m;

    snprintf(params, sizeof(params), "{\"InstanceId\": \"" IID "\"%s%s}", opts[0] ? ", " : "",
             opts);
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200, SERVER);
    m = ec2gw_test_action(h, "ModifyInstanceMetadataOptions", params);
    if (m == NULL)
        fail_msg("%s: %s %s", params, ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    assert_string_equal(json_string_value(json_object_get(m, "InstanceId")), IID);
    return m;
}

/* A refused request made no OpenStack call. */
static void
refused(ec2gw_test_host_t *h, const char *action, const char *params, const char *code)
{
    size_t before = json_array_size(ec2gw_test_calls(h));

    assert_null(ec2gw_test_action(h, action, params));
    if (strcmp(ec2gw_test_last_error(h), code) != 0)
        fail_msg("%s: got %s (%s), want %s", params, ec2gw_test_last_error(h),
                 ec2gw_test_last_error_message(h), code);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), before);
}

/* DescribeInstances of the one recorded server, with @p params; its MetadataOptions. */
static json_t *
described(ec2gw_test_host_t *h, const char *params, json_t **model)
{
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
                      "servers_one.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{\"ports\": []}");
    *model = ec2gw_test_action(h, "DescribeInstances", params);
    assert_non_null(*model);
    return json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(*model, "Reservations"), 0),
                                       "Instances"),
                       0),
        "MetadataOptions");
}

static void
test_defaults_and_modify(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m, *d;

    (void)s;
    /* never set: AWS's defaults, applied */
    assert_true(ec2gw_test_json_equal(
        h, described(h, "{}", &d),
        "{\"State\": \"applied\", \"HttpTokens\": \"optional\", \"HttpPutResponseHopLimit\": 1, "
        "\"HttpEndpoint\": \"enabled\", \"HttpProtocolIpv6\": \"disabled\", "
        "\"InstanceMetadataTags\": \"disabled\"}"));
    json_decref(d);
    m = modify(h, "\"HttpTokens\": \"required\", \"HttpPutResponseHopLimit\": 2");
    assert_true(ec2gw_test_json_equal(
        h, json_object_get(m, "InstanceMetadataOptions"),
        "{\"State\": \"pending\", \"HttpTokens\": \"required\", \"HttpPutResponseHopLimit\": 2, "
        "\"HttpEndpoint\": \"enabled\", \"HttpProtocolIpv6\": \"disabled\", "
        "\"InstanceMetadataTags\": \"disabled\"}"));
    json_decref(m);
    /* a later change of one option keeps the others */
    m = modify(h, "\"HttpEndpoint\": \"disabled\", \"HttpProtocolIpv6\": \"disabled\"");
    json_decref(m);
    assert_true(ec2gw_test_json_equal(
        h, described(h, "{}", &d),
        "{\"State\": \"applied\", \"HttpTokens\": \"required\", \"HttpPutResponseHopLimit\": 2, "
        "\"HttpEndpoint\": \"disabled\", \"HttpProtocolIpv6\": \"disabled\", "
        "\"InstanceMetadataTags\": \"disabled\"}"));
    json_decref(d);
    /* the filters see them */
    described(h,
              "{\"Filters\": [{\"Name\": \"metadata-options.http-tokens\", \"Values\": "
              "[\"required\"]}, {\"Name\": \"metadata-options.http-put-response-hop-limit\", "
              "\"Values\": [\"2\"]}]}",
              &d);
    assert_int_equal(json_array_size(json_object_get(d, "Reservations")), 1);
    json_decref(d);
    described(h,
              "{\"Filters\": [{\"Name\": \"metadata-options.http-endpoint\", \"Values\": "
              "[\"enabled\"]}]}",
              &d);
    assert_int_equal(json_array_size(json_object_get(d, "Reservations")), 0);
    json_decref(d);
    /* back to optional: what the metadata listener reads */
    m = modify(h, "\"HttpTokens\": \"optional\", \"HttpEndpoint\": \"enabled\"");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(m, "InstanceMetadataOptions"), "HttpTokens")),
                        "optional");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(m, "InstanceMetadataOptions"), "HttpPutResponseHopLimit")),
                     2);
    json_decref(m);
    done(h);
}

static void
test_refusals(void **s)
{
    ec2gw_test_host_t *h = host();
    static const struct {
        const char *params, *code;
    } bad[] = {
        { "{\"InstanceId\": \"" IID "\", \"HttpTokens\": \"maybe\"}", "InvalidParameterValue" },
        { "{\"InstanceId\": \"" IID "\", \"HttpTokens\": \"Required\"}", "InvalidParameterValue" },
        { "{\"InstanceId\": \"" IID "\", \"HttpEndpoint\": \"off\"}", "InvalidParameterValue" },
        { "{\"InstanceId\": \"" IID "\", \"HttpPutResponseHopLimit\": 0}",
          "InvalidParameterValue" },
        { "{\"InstanceId\": \"" IID "\", \"HttpPutResponseHopLimit\": 65}",
          "InvalidParameterValue" },
        { "{\"InstanceId\": \"" IID "\", \"HttpPutResponseHopLimit\": \"two\"}",
          "InvalidParameterValue" },
        { "{\"InstanceId\": \"" IID "\", \"HttpProtocolIpv6\": \"enabled\"}",
          "UnsupportedOperation" },
        { "{\"InstanceId\": \"" IID "\", \"InstanceMetadataTags\": \"enabled\"}",
          "UnsupportedOperation" },
        { "{\"InstanceId\": \"" IID "\", \"InstanceMetadataTags\": \"yes\"}",
          "InvalidParameterValue" },
        { "{\"HttpTokens\": \"required\"}", "MissingParameter" },
        { "{\"InstanceId\": \"bogus\", \"HttpTokens\": \"required\"}",
          "InvalidInstanceID.Malformed" },
        { "{\"InstanceId\": \"i-0123456789abcdef0\", \"HttpTokens\": \"required\"}",
          "InvalidInstanceID.NotFound" },
    };
    json_t *d;

    (void)s;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(h, "ModifyInstanceMetadataOptions", bad[i].params, bad[i].code);
    /* the message names the parameter and what it accepts */
    refused(h, "ModifyInstanceMetadataOptions",
            "{\"InstanceId\": \"" IID "\", \"HttpPutResponseHopLimit\": 100}",
            "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "HttpPutResponseHopLimit"));
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "1 to 64"));
    /* Nova no longer has the server (or it is another project's) */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 404, "{}");
    assert_null(ec2gw_test_action(h, "ModifyInstanceMetadataOptions",
                                  "{\"InstanceId\": \"" IID "\", \"HttpTokens\": \"required\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidInstanceID.NotFound");
    /* DryRun checks everything, stores nothing */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200, SERVER);
    assert_null(ec2gw_test_action(h, "ModifyInstanceMetadataOptions",
                                  "{\"InstanceId\": \"" IID "\", \"HttpTokens\": \"required\", "
                                  "\"DryRun\": true}"));
    assert_string_equal(ec2gw_test_last_error(h), "DryRunOperation");
    /* none of the above changed anything */
    assert_true(ec2gw_test_json_equal(
        h, described(h, "{}", &d),
        "{\"State\": \"applied\", \"HttpTokens\": \"optional\", \"HttpPutResponseHopLimit\": 1, "
        "\"HttpEndpoint\": \"enabled\", \"HttpProtocolIpv6\": \"disabled\", "
        "\"InstanceMetadataTags\": \"disabled\"}"));
    json_decref(d);
    /* another project does not see the instance at all */
    ec2gw_test_set_project(h, "project-other");
    refused(h, "ModifyInstanceMetadataOptions",
            "{\"InstanceId\": \"" IID "\", \"HttpTokens\": \"required\"}",
            "InvalidInstanceID.NotFound");
    done(h);
}

static void
expect_run_resolve(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net1\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
}

static void
test_run_instances(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *calls, *c;
    json_t *m, *mo;
    size_t i;

    (void)s;
    /* bad options: refused before any OpenStack call, nothing booted */
    refused(h, "RunInstances",
            "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
            "\"MetadataOptions\": {\"HttpTokens\": \"no\"}}",
            "InvalidParameterValue");
    refused(h, "RunInstances",
            "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
            "\"MetadataOptions\": {\"HttpPutResponseHopLimit\": "
            "-1}}",
            "InvalidParameterValue");
    refused(h, "RunInstances",
            "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
            "\"MetadataOptions\": {\"HttpProtocolIpv6\": "
            "\"enabled\"}}",
            "UnsupportedOperation");
    /* stored at launch, shown in the answer; unset members take the defaults */
    expect_run_resolve(h);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
                          "\"MetadataOptions\": {\"HttpTokens\": "
                          "\"required\", \"HttpPutResponseHopLimit\": 3}}");
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    mo = json_object_get(json_array_get(json_object_get(m, "Instances"), 0), "MetadataOptions");
    assert_true(ec2gw_test_json_equal(
        h, mo,
        "{\"State\": \"applied\", \"HttpTokens\": \"required\", \"HttpPutResponseHopLimit\": 3, "
        "\"HttpEndpoint\": \"enabled\", \"HttpProtocolIpv6\": \"disabled\", "
        "\"InstanceMetadataTags\": \"disabled\"}"));
    json_decref(m);
    /* Nova never hears of them */
    calls = ec2gw_test_calls(h);
    json_array_foreach(calls, i, c)
    {
        const json_t *server = json_object_get(json_object_get(c, "body"), "server");

        if (server != NULL) {
            char *text = json_dumps(server, 0);

            assert_null(strstr(text, "required"));
            free(text);
        }
    }
    /* without MetadataOptions: the defaults */
    expect_run_resolve(h);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s2\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\"}");
    assert_non_null(m);
    mo = json_object_get(json_array_get(json_object_get(m, "Instances"), 0), "MetadataOptions");
    assert_string_equal(json_string_value(json_object_get(mo, "HttpTokens")), "optional");
    assert_int_equal(json_integer_value(json_object_get(mo, "HttpPutResponseHopLimit")), 1);
    json_decref(m);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_modify),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_run_instances),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
