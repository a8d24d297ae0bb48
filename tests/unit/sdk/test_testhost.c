/*
 * test_testhost.c - the SDK's fake host (ec2gw/testing.h) with the example plugins and a probe
 * plugin: models, settings, the ABI gate, wrapping, scripted OpenStack (fan-out in order and
 * shuffled, timeouts, errors, unexpected calls), filters, paging, ids, tags, cancel, offload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

static const char hello_default[] =
    "{\"AccountAttributes\": ["
    " {\"AttributeName\": \"supported-platforms\","
    "  \"AttributeValues\": [{\"AttributeValue\": \"VPC\"}]},"
    " {\"AttributeName\": \"max-instances\", \"AttributeValues\": [{\"AttributeValue\": \"20\"}]},"
    " {\"AttributeName\": \"default-vpc\", \"AttributeValues\": [{\"AttributeValue\": \"none\"}]}"
    "]}";

/* -- hello ------------------------------------------------------------------------------ */

static void
hello_default_model(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(HELLO_SO, NULL);
    json_t *m;

    (void)state;
    assert_non_null(h);
    m = ec2gw_test_action(h, "DescribeAccountAttributes", "{}");
    assert_non_null(m);
    assert_true(ec2gw_test_json_equal(h, m, hello_default));
    assert_null(ec2gw_test_last_error(h));
    assert_int_equal(ec2gw_test_last_status(h), 200);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    json_decref(m);
    ec2gw_test_host_free(h);
}

static void
hello_settings_forms(void **state)
{
    static const char *const forms[] = {
        "platforms: [EC2, VPC]\nmax_instances: 5\n",
        "# block list\nplatforms:\n  - EC2\n  - \"VPC\"\nmax_instances: 5 # comment\n",
        "{\"platforms\": [\"EC2\", \"VPC\"], \"max_instances\": 5}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        ec2gw_test_host_t *h = ec2gw_test_host_new(HELLO_SO, forms[i]);
        json_t *m;

        if (h == NULL)
            fail_msg("form %zu: %s", i, ec2gw_test_load_error());
        m = ec2gw_test_action(h, "DescribeAccountAttributes",
                              "{\"AttributeNames\": [\"supported-platforms\", \"max-instances\"]}");
        assert_true(ec2gw_test_json_equal(
            h, m,
            "{\"AccountAttributes\": [{\"AttributeName\": \"supported-platforms\", "
            "\"AttributeValues\": [{\"AttributeValue\": \"EC2\"}, {\"AttributeValue\": "
            "\"VPC\"}]}, {\"AttributeName\": \"max-instances\", \"AttributeValues\": "
            "[{\"AttributeValue\": \"5\"}]}]}"));
        json_decref(m);
        ec2gw_test_host_free(h);
    }
}

static void
assert_load_fails(const char *so, const char *settings, const char *needle)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(so, settings);

    assert_null(h);
    if (strstr(ec2gw_test_load_error(), needle) == NULL)
        fail_msg("load error '%s' lacks '%s'", ec2gw_test_load_error(), needle);
}

static void
hello_settings_refused(void **state)
{
    (void)state;
    assert_load_fails(HELLO_SO, "max_instancs: 3", "unknown key 'max_instancs'");
    assert_load_fails(HELLO_SO, "max_instances: many", "settings.max_instances");
    assert_load_fails(HELLO_SO, "max_instances: -1", "settings.max_instances: -1 is out of range");
    assert_load_fails(HELLO_SO, "platforms: [VPC, Mainframe]", "'Mainframe' is not a platform");
    assert_load_fails(HELLO_SO, "{\"platforms\": [", "bad JSON");
    assert_load_fails(SITE_SO, "max_security_groups: 99", "out of range (1..16)");
}

static void
hello_daemon_answers(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(HELLO_SO, NULL);

    (void)state;
    assert_null(ec2gw_test_action(h, "DescribeAccountAttributes", "{\"DryRun\": true}"));
    assert_string_equal(ec2gw_test_last_error(h), "DryRunOperation");
    assert_int_equal(ec2gw_test_last_status(h), 412);
    assert_null(ec2gw_test_action(h, "DescribeInstances", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAction");
    assert_null(ec2gw_test_action(h, "DescribeAccountAttributes", "[not json"));
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
abi_gate(void **state)
{
    char major2[96], next[32];

    (void)state;
    /* the messages follow the SDK's EC2GW_ABI_MINOR */
    snprintf(major2, sizeof(major2), "built for ABI 2.0, this test host provides ABI 1.%d",
             EC2GW_ABI_MINOR);
    snprintf(next, sizeof(next), "built for ABI 1.%d", EC2GW_ABI_MINOR + 1);
    assert_load_fails(ABI_MAJOR2_SO, NULL, major2);
    assert_load_fails(ABI_MINOR_NEXT_SO, NULL, next);
    assert_load_fails(ABI_BAD_MAGIC_SO, NULL, "not an ec2gw plugin");
    assert_load_fails(ABI_TRUNCATED_SO, NULL, "descriptor truncated (64 bytes)");
    assert_load_fails("/nonexistent/x.so", NULL, "not found");
}

/* -- wrapping --------------------------------------------------------------------------- */

static void
site_wraps_hello(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(HELLO_SO, "platforms: [EC2]");
    json_t *m;

    (void)state;
    assert_non_null(h);
    if (ec2gw_test_host_wrap(h, SITE_SO, "max_security_groups: 8") != 0)
        fail_msg("wrap: %s", ec2gw_test_load_error());
    m = ec2gw_test_action(h, "DescribeAccountAttributes", NULL);
    assert_true(
        ec2gw_test_json_equal(h, m,
                              "{\"AccountAttributes\": ["
                              " {\"AttributeName\": \"supported-platforms\","
                              "  \"AttributeValues\": [{\"AttributeValue\": \"EC2\"}]},"
                              " {\"AttributeName\": \"max-instances\","
                              "  \"AttributeValues\": [{\"AttributeValue\": \"20\"}]},"
                              " {\"AttributeName\": \"default-vpc\","
                              "  \"AttributeValues\": [{\"AttributeValue\": \"none\"}]},"
                              " {\"AttributeName\": \"vpc-max-security-groups-per-interface\","
                              "  \"AttributeValues\": [{\"AttributeValue\": \"8\"}]}]}"));
    json_decref(m);
    /* AttributeNames reach both the wrapper and the wrapped handler. */
    m = ec2gw_test_action(h, "DescribeAccountAttributes", "{\"AttributeNames\":[\"default-vpc\"]}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"AccountAttributes\": [{\"AttributeName\": "
                                      "\"default-vpc\", \"AttributeValues\": "
                                      "[{\"AttributeValue\": \"none\"}]}]}"));
    json_decref(m);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
site_alone_fails(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(SITE_SO, NULL);

    (void)state;
    assert_non_null(h);
    assert_null(ec2gw_test_action(h, "DescribeAccountAttributes", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "InternalError");
    assert_int_equal(ec2gw_test_last_status(h), 500);
    ec2gw_test_host_free(h);
}

static void
stacked_wrappers(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(HELLO_SO, NULL);
    json_t *m;

    (void)state;
    assert_int_equal(ec2gw_test_host_wrap(h, SITE_SO, "max_security_groups: 2"), 0);
    assert_int_equal(ec2gw_test_host_wrap(h, SITE_SO, "max_security_groups: 3"), 0);
    m = ec2gw_test_action(h, "DescribeAccountAttributes", NULL);
    assert_non_null(m);
    /* Both wrappers post-processed: hello's three attributes, then 2 (inner), then 3. */
    assert_int_equal(json_array_size(json_object_get(m, "AccountAttributes")), 5);
    json_decref(m);
    ec2gw_test_host_free(h);
}

/* -- scripted OpenStack through the probe plugin ---------------------------------------- */

static const char servers3[] = "{\"servers\": [{\"id\": \"s-1\", \"name\": \"web\"}, "
                               "{\"id\": \"s-2\", \"name\": \"db\"}, "
                               "{\"id\": \"s-3\", \"name\": \"web-2\"}]}";
static const char ports2[] = "{\"ports\": [{\"device_id\": \"s-1\"}, {\"device_id\": \"s-1\"}]}";

static ec2gw_test_host_t *
probe(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(PROBE_SO, NULL);

    if (h == NULL)
        fail_msg("probe: %s", ec2gw_test_load_error());
    ec2gw_test_set_project(h, "p1");
    return h;
}

static void
fanout_any_order(void **state)
{
    json_t *first = NULL;

    (void)state;
    for (unsigned seed = 0; seed < 6; seed++) {
        ec2gw_test_host_t *h = probe();
        json_t *m;

        ec2gw_test_set_shuffle(h, seed);
        ec2gw_test_expect(h, "GET", "network", "/v2.0/ports", 200, ports2);
        ec2gw_test_expect(h, "GET", "compute", "/servers/detail?project_id=p1", 200, servers3);
        m = ec2gw_test_action(h, "DescribeInstances", NULL);
        assert_non_null(m);
        assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
        assert_int_equal(ec2gw_test_violations(h), 0);
        assert_int_equal(json_array_size(ec2gw_test_calls(h)), 2);
        if (first == NULL)
            first = json_incref(m);
        else
            assert_true(json_equal(first, m));
        json_decref(m);
        ec2gw_test_host_free(h);
    }
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(first, "Reservations"), 0), "Instances")),
                     3);
    json_decref(first);
}

static void
os_failures(void **state)
{
    ec2gw_test_host_t *h = probe();

    (void)state;
    ec2gw_test_expect_timeout(h, "GET", "volumev3", "/volumes*");
    assert_null(ec2gw_test_action(h, "DescribeVolumes", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    assert_int_equal(ec2gw_test_last_status(h), 503);

    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/*", 404, "{\"itemNotFound\": {}}");
    assert_null(ec2gw_test_action(h, "DescribeVolumes", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidVolume.NotFound");

    ec2gw_test_expect_error(h, "GET", "volumev3", "*", "Connection refused");
    assert_null(ec2gw_test_action(h, "DescribeVolumes", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");

    /* One fan-out leg fails: the whole action fails. */
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail*", 200, servers3);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports", 500, "oops");
    assert_null(ec2gw_test_action(h, "DescribeInstances", NULL));
    assert_string_equal(ec2gw_test_last_error(h), "InternalError");
    assert_int_equal(ec2gw_test_violations(h), 0);

    /* A call nobody expected is a violation and a transport error. */
    assert_null(ec2gw_test_action(h, "DescribeVolumes", NULL));
    assert_int_equal(ec2gw_test_violations(h), 1);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    ec2gw_test_host_free(h);
}

static void
volumes_and_state(void **state)
{
    ec2gw_test_host_t *h = probe();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"v-1\"}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/never", 200, "{}");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(m, "Volumes"), 0), "Size")),
                     1);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 1);
    json_decref(m);
    ec2gw_test_host_free(h);
}

/* A wrapper's state() block is its own: the probe below it starts from zero (a block shared
 * by the layers, as before ABI 1.3, starts the probe's count at the wrapper's 0xABABABAB). */
static void
layers_have_their_own_state(void **state)
{
    ec2gw_test_host_t *h = probe();
    json_t *m;

    (void)state;
    if (ec2gw_test_host_wrap(h, STATE_WRAPPER_SO, NULL) != 0)
        fail_msg("wrap: %s", ec2gw_test_load_error());
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"v-1\"}]}");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    if (m == NULL)
        fail_msg("DescribeVolumes: %s", ec2gw_test_last_error_message(h));
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(m, "Volumes"), 0), "Size")),
                     1);
    json_decref(m);
    ec2gw_test_host_free(h);
}

static void
filters_and_tags(void **state)
{
    ec2gw_test_host_t *h = probe();
    json_t *m, *inst;
    const char *id;

    (void)state;
    ec2gw_test_expect(h, "GET", "compute", "*", 200, servers3);
    ec2gw_test_expect(h, "GET", "network", "*", 200, ports2);
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"name\", \"Values\": [\"web*\"]}]}");
    inst = json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances");
    assert_int_equal(json_array_size(inst), 2);
    id = json_string_value(json_object_get(json_array_get(inst, 0), "InstanceId"));
    assert_int_equal(ec2gw_test_set_tags(h, id, "[{\"Key\": \"role\", \"Value\": \"front\"}]"), 0);
    json_decref(m);

    ec2gw_test_expect(h, "GET", "compute", "*", 200, servers3);
    ec2gw_test_expect(h, "GET", "network", "*", 200, ports2);
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"tag:role\", \"Values\": [\"fr?nt\"]}]}");
    inst = json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances");
    assert_int_equal(json_array_size(inst), 1);
    json_decref(m);

    ec2gw_test_expect(h, "GET", "compute", "*", 200, servers3);
    ec2gw_test_expect(h, "GET", "network", "*", 200, ports2);
    assert_null(ec2gw_test_action(h, "DescribeInstances",
                                  "{\"Filters\": [{\"Name\": \"color\", \"Values\": [\"x\"]}]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "'color'"));
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
paging(void **state)
{
    static const char seven[] =
        "{\"servers\": [{\"id\": \"a\", \"name\": \"1\"}, {\"id\": \"b\", \"name\": \"2\"}, "
        "{\"id\": \"c\", \"name\": \"3\"}, {\"id\": \"d\", \"name\": \"4\"}, {\"id\": \"e\", "
        "\"name\": \"5\"}, {\"id\": \"f\", \"name\": \"6\"}, {\"id\": \"g\", \"name\": \"7\"}]}";
    ec2gw_test_host_t *h = probe();
    json_t *m1, *m2;
    char params[512];
    const char *tok;

    (void)state;
    ec2gw_test_expect(h, "GET", "compute", "*", 200, seven);
    ec2gw_test_expect(h, "GET", "network", "*", 200, "{\"ports\": []}");
    m1 = ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": 5}");
    assert_non_null(m1);
    tok = json_string_value(json_object_get(m1, "NextToken"));
    assert_non_null(tok);
    snprintf(params, sizeof(params), "{\"MaxResults\": 5, \"NextToken\": \"%s\"}", tok);
    ec2gw_test_expect(h, "GET", "compute", "*", 200, seven);
    ec2gw_test_expect(h, "GET", "network", "*", 200, "{\"ports\": []}");
    m2 = ec2gw_test_action(h, "DescribeInstances", params);
    assert_non_null(m2);
    assert_null(json_object_get(m2, "NextToken"));
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(m2, "Reservations"), 0), "Instances")),
                     2);

    /* A token of another query, a malformed one, MaxResults out of bounds. */
    snprintf(params, sizeof(params),
             "{\"MaxResults\": 5, \"NextToken\": \"%s\", \"Filters\": [{\"Name\": \"name\", "
             "\"Values\": [\"*\"]}]}",
             tok);
    ec2gw_test_expect(h, "GET", "compute", "*", 200, seven);
    ec2gw_test_expect(h, "GET", "network", "*", 200, "{\"ports\": []}");
    assert_null(ec2gw_test_action(h, "DescribeInstances", params));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidPaginationToken");
    ec2gw_test_expect(h, "GET", "compute", "*", 200, seven);
    ec2gw_test_expect(h, "GET", "network", "*", 200, "{\"ports\": []}");
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{\"NextToken\": \"zz\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidPaginationToken");
    ec2gw_test_expect(h, "GET", "compute", "*", 200, seven);
    ec2gw_test_expect(h, "GET", "network", "*", 200, "{\"ports\": []}");
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": 2}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    json_decref(m1);
    json_decref(m2);
    ec2gw_test_host_free(h);
}

static void
ids_items_tags(void **state)
{
    ec2gw_test_host_t *h = probe(), *h2 = probe();
    json_t *m, *m2, *pk;
    const json_t *kp, *kp2;
    char codes[32];

    (void)state;
    assert_int_equal(ec2gw_test_map_id(h2, "key-0000abcd", "kp-os-1"), 0);
    assert_int_equal(ec2gw_test_map_id(h2, "key-0000abcd", "kp-os-2"), EC2GW_E_EXISTS);
    m = ec2gw_test_action(h, "DescribeKeyPairs", NULL);
    m2 = ec2gw_test_action(h2, "DescribeKeyPairs", NULL);
    assert_non_null(m);
    assert_non_null(m2);
    kp = json_array_get(json_object_get(m, "KeyPairs"), 0);
    kp2 = json_array_get(json_object_get(m2, "KeyPairs"), 0);
    /* Deterministic ids: <kind>-<8 hex>; a pre-seeded mapping wins. */
    assert_int_equal(strlen(json_string_value(json_object_get(kp, "KeyPairId"))), 12);
    assert_string_equal(json_string_value(json_object_get(kp2, "KeyPairId")), "key-0000abcd");
    assert_string_equal(json_string_value(json_object_get(kp, "KeyName")), "kp-os-1");
    snprintf(codes, sizeof(codes), "%d %d", EC2GW_E_INVAL, EC2GW_E_NOTFOUND);
    assert_string_equal(json_string_value(json_object_get(kp, "KeyFingerprint")), codes);
    pk = ec2gw_test_json_load(h, json_string_value(json_object_get(kp2, "PublicKey")));
    assert_true(ec2gw_test_json_equal(h, json_object_get(pk, "Tags"),
                                      "{\"key-0000abcd\": [{\"Key\": \"k\", \"Value\": \"v\"}]}"));
    json_decref(pk);
    pk = ec2gw_test_json_load(h, json_string_value(json_object_get(kp, "PublicKey")));
    assert_true(ec2gw_test_json_equal(h, json_object_get(pk, "Item"),
                                      "[{\"Key\": \"k\", \"Value\": \"v\"}]"));
    json_decref(pk);
    json_decref(m);
    json_decref(m2);
    /* The same OpenStack id in another project is another object. */
    ec2gw_test_set_project(h, "p2");
    m = ec2gw_test_action(h, "DescribeKeyPairs", NULL);
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_host_free(h);
    ec2gw_test_host_free(h2);
}

static void
cancel_and_offload(void **state)
{
    ec2gw_test_host_t *h = probe();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "volumev3", "*", 200, "{\"volumes\": []}");
    assert_int_equal(ec2gw_test_begin(h, "DescribeVolumes", NULL), EC2GW_AGAIN);
    ec2gw_test_cancel(h);
    assert_int_equal(ec2gw_test_run(h), 0);
    assert_null(ec2gw_test_end(h));
    assert_string_equal(ec2gw_test_last_error(h), "RequestCanceled");

    assert_int_equal(ec2gw_test_begin(h, "DescribeImages", NULL), EC2GW_AGAIN);
    assert_int_equal(ec2gw_test_run_one(h), 1);
    assert_int_equal(ec2gw_test_run_one(h), 0);
    m = ec2gw_test_end(h);
    assert_true(ec2gw_test_json_equal(
        h, m, "{\"Images\": [{\"ImageId\": \"ami-00000001\", \"Description\": \"42\"}]}"));
    json_decref(m);

    /* A request left in flight is cancelled by ec2gw_test_host_free. */
    ec2gw_test_expect(h, "GET", "volumev3", "*", 200, "{\"volumes\": []}");
    assert_int_equal(ec2gw_test_begin(h, "DescribeVolumes", NULL), EC2GW_AGAIN);
    ec2gw_test_host_free(h);
}

static void
fixture_files(void **state)
{
    ec2gw_test_host_t *h = probe();
    json_t *m;

    (void)state;
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, "volumes_two.json");
    m = ec2gw_test_action(h, "DescribeVolumes", NULL);
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), 2);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, "missing.json");
    assert_int_equal(ec2gw_test_violations(h), 1);
    ec2gw_test_run(h);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_default_model),
        cmocka_unit_test(hello_settings_forms),
        cmocka_unit_test(hello_settings_refused),
        cmocka_unit_test(hello_daemon_answers),
        cmocka_unit_test(abi_gate),
        cmocka_unit_test(site_wraps_hello),
        cmocka_unit_test(site_alone_fails),
        cmocka_unit_test(stacked_wrappers),
        cmocka_unit_test(fanout_any_order),
        cmocka_unit_test(os_failures),
        cmocka_unit_test(volumes_and_state),
        cmocka_unit_test(layers_have_their_own_state),
        cmocka_unit_test(filters_and_tags),
        cmocka_unit_test(paging),
        cmocka_unit_test(ids_items_tags),
        cmocka_unit_test(cancel_and_offload),
        cmocka_unit_test(fixture_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
