/*
 * test_neutron_addr.c - the Elastic IP actions of neutron-v2.0 through the fake host, with
 * Neutron answers recorded from the all-in-one cloud (fixtures/addr_*.json; the OverQuota
 * body is Neutron's error format written by hand: the demo project's quota is unlimited).
 */
/* clang-format off: cmocka needs these first */
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

#define FIP_A   "768395ff-564d-4656-a546-183b74605b19" /* 203.0.113.204 on PORT, 10.0.0.227 */
#define FIP_B   "75bb3d19-b191-42fe-aac9-e77e2138124a" /* 203.0.113.21, free */
#define PORT    "179eaf26-57de-4cd7-9dff-214e3dceeb83"
#define SRV     "e80f3f4c-c11c-4152-a32c-11296eaf43d1"
#define EXT     "27381e4c-fec0-4622-b3ba-9aed7bafc9db"
#define ALLOC_A "eipalloc-0000000a"
#define ALLOC_B "eipalloc-0000000b"
#define QUOTA                                                                                    \
    "{\"NeutronError\": {\"type\": \"OverQuota\", \"message\": \"Quota exceeded for resources: " \
    "['floatingip'].\", \"detail\": \"\"}}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NEUTRON_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    assert_int_equal(ec2gw_test_map_id(h, ALLOC_A, FIP_A), 0);
    assert_int_equal(ec2gw_test_map_id(h, ALLOC_B, FIP_B), 0);
    assert_int_equal(ec2gw_test_map_id(h, "i-00000001", SRV), 0);
    assert_int_equal(ec2gw_test_map_id(h, "eni-00000001", PORT), 0);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The error code of @p action, which must fail. */
static const char *
fails(ec2gw_test_host_t *h, const char *action, const char *params)
{
    json_t *m = ec2gw_test_action(h, action, params);

    if (m != NULL) {
        char *s = json_dumps(m, 0);

        fprintf(stderr, "%s unexpectedly answered %s\n", action, s);
        free(s);
        json_decref(m);
        fail();
    }
    return ec2gw_test_last_error(h);
}

/* The path of the last OpenStack call. */
static const char *
last_path(ec2gw_test_host_t *h)
{
    const json_t *calls = ec2gw_test_calls(h);

    return str(json_array_get(calls, json_array_size(calls) - 1), "path");
}

static void
expect_describe(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?project_id=project-test*", 200,
                      "addr_fips.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?project_id=project-test&fields=*", 200,
                      "addr_ports.json");
}

static json_t *
describe(ec2gw_test_host_t *h, const char *params)
{
    expect_describe(h);
    return ec2gw_test_action(h, "DescribeAddresses", params);
}

/* -- DescribeAddresses ----------------------------------------------------------------- */

static void
test_describe(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m, *a, *b;

    (void)s;
    assert_int_equal(ec2gw_test_set_tags(h, ALLOC_A, "[{\"Key\": \"Name\", \"Value\": \"web\"}]"),
                     0);
    m = describe(h, "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Addresses")), 2);
    a = json_array_get(json_object_get(m, "Addresses"), 0);
    b = json_array_get(json_object_get(m, "Addresses"), 1);
    assert_string_equal(str(a, "PublicIp"), "203.0.113.204");
    assert_string_equal(str(a, "AllocationId"), ALLOC_A);
    assert_string_equal(str(a, "AssociationId"), "eipassoc-0000000a");
    assert_string_equal(str(a, "Domain"), "vpc");
    assert_string_equal(str(a, "InstanceId"), "i-00000001");
    assert_string_equal(str(a, "NetworkInterfaceId"), "eni-00000001");
    assert_string_equal(str(a, "NetworkInterfaceOwnerId"), "project-test");
    assert_string_equal(str(a, "PrivateIpAddress"), "10.0.0.227");
    assert_string_equal(str(a, "PublicIpv4Pool"), EXT);
    assert_string_equal(str(a, "NetworkBorderGroup"), "RegionOne");
    assert_non_null(str(a, "SubnetId"));
    assert_true(strncmp(str(a, "SubnetId"), "subnet-", 7) == 0);
    assert_string_equal(str(json_array_get(json_object_get(a, "Tags"), 0), "Value"), "web");
    assert_string_equal(str(b, "PublicIp"), "203.0.113.21");
    assert_string_equal(str(b, "AllocationId"), ALLOC_B);
    assert_null(json_object_get(b, "AssociationId"));
    assert_null(json_object_get(b, "InstanceId"));
    assert_null(json_object_get(b, "Tags"));
    json_decref(m);
    done(h);
}

static void
test_describe_filters(void **s)
{
    static const struct {
        const char *name, *value;
        size_t n;
    } cases[] = {
        { "allocation-id", ALLOC_B, 1 },
        { "association-id", "eipassoc-0000000a", 1 },
        { "domain", "vpc", 2 },
        { "domain", "standard", 0 },
        { "instance-id", "i-00000001", 1 },
        { "network-border-group", "RegionOne", 2 },
        { "network-interface-id", "eni-00000001", 1 },
        { "network-interface-owner-id", "project-test", 1 },
        { "private-ip-address", "10.0.0.*", 1 },
        { "public-ip", "203.0.113.2*", 2 },
        { "tag:Name", "web", 1 },
        { "tag-key", "Name", 1 },
    };
    ec2gw_test_host_t *h = host();
    char params[256];
    json_t *m;

    (void)s;
    assert_int_equal(ec2gw_test_set_tags(h, ALLOC_A, "[{\"Key\": \"Name\", \"Value\": \"web\"}]"),
                     0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(params, sizeof(params),
                 "{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}", cases[i].name,
                 cases[i].value);
        m = describe(h, params);
        assert_non_null(m);
        if (json_array_size(json_object_get(m, "Addresses")) != cases[i].n)
            fail_msg("filter %s=%s: %zu addresses", cases[i].name, cases[i].value,
                     json_array_size(json_object_get(m, "Addresses")));
        json_decref(m);
    }
    /* exact values are pushed down to Neutron's query */
    m = describe(h, "{\"Filters\": [{\"Name\": \"public-ip\", \"Values\": [\"203.0.113.204\"]}]}");
    json_decref(m);
    assert_non_null(strstr(
        str(json_array_get(ec2gw_test_calls(h), json_array_size(ec2gw_test_calls(h)) - 2), "path"),
        "floating_ip_address=203.0.113.204"));
    expect_describe(h);
    assert_string_equal(fails(h, "DescribeAddresses",
                              "{\"Filters\": [{\"Name\": \"bogus\", "
                              "\"Values\": [\"x\"]}]}"),
                        "InvalidParameterValue");
    done(h);
}

static void
test_describe_ids(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    m = describe(h, "{\"AllocationIds\": [\"" ALLOC_A "\"], \"PublicIps\": [\"203.0.113.204\"]}");
    assert_non_null(m);
    json_decref(m);
    assert_non_null(strstr(str(json_array_get(ec2gw_test_calls(h), 0), "path"), "id=" FIP_A));
    /* asked for but not in Neutron's answer */
    expect_describe(h);
    assert_string_equal(fails(h, "DescribeAddresses", "{\"PublicIps\": [\"203.0.113.9\"]}"),
                        "InvalidAddress.NotFound");
    assert_string_equal(
        fails(h, "DescribeAddresses", "{\"AllocationIds\": [\"eipalloc-0123456789abcdef0\"]}"),
        "InvalidAllocationID.NotFound");
    assert_string_equal(fails(h, "DescribeAddresses", "{\"AllocationIds\": [\"eipalloc-zz\"]}"),
                        "InvalidAllocationID.Malformed");
    assert_string_equal(fails(h, "DescribeAddresses", "{\"PublicIps\": [\"203.0.113.300\"]}"),
                        "InvalidParameterValue");
    done(h);
}

static void
test_describe_neutron_failures(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 500, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "addr_ports.json");
    assert_string_equal(fails(h, "DescribeAddresses", "{}"), "InternalError");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200, "addr_fips.json");
    ec2gw_test_expect_timeout(h, "GET", "network", "/v2.0/ports?*");
    assert_string_equal(fails(h, "DescribeAddresses", "{}"), "Unavailable");
    ec2gw_test_set_shuffle(h, 7);
    expect_describe(h);
    json_decref(ec2gw_test_action(h, "DescribeAddresses", "{}"));
    assert_null(ec2gw_test_last_error(h));
    done(h);
}

/* -- AllocateAddress ------------------------------------------------------------------- */

static void
test_allocate(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *ext = "/v2.0/networks?router%3Aexternal=true&fields=id&fields=name";
    json_t *m, *tags;
    const json_t *calls;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201, "addr_fip_created.json");
    m = ec2gw_test_action(h, "AllocateAddress",
                          "{\"Domain\": \"vpc\", \"TagSpecifications\": [{\"ResourceType\": "
                          "\"elastic-ip\", \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}]}");
    assert_non_null(m);
    assert_string_equal(str(m, "AllocationId"), ALLOC_A); /* the mapping of the new fip */
    assert_string_equal(str(m, "PublicIp"), "203.0.113.204");
    assert_string_equal(str(m, "Domain"), "vpc");
    assert_string_equal(str(m, "PublicIpv4Pool"), EXT);
    json_decref(m);
    calls = ec2gw_test_calls(h);
    assert_string_equal(
        str(json_object_get(json_object_get(json_array_get(calls, 1), "body"), "floatingip"),
            "floating_network_id"),
        EXT);
    tags = ec2gw_test_get_tags(h, ALLOC_A);
    assert_int_equal(json_array_size(tags), 1);
    json_decref(tags);
    /* Domain=standard: no allocation id in the answer, and Describe shows it standard */
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201, "addr_fip_created.json");
    m = ec2gw_test_action(h, "AllocateAddress", "{\"Domain\": \"standard\"}");
    assert_non_null(m);
    assert_null(json_object_get(m, "AllocationId"));
    assert_string_equal(str(m, "Domain"), "standard");
    json_decref(m);
    m = describe(h, "{\"Filters\": [{\"Name\": \"domain\", \"Values\": [\"standard\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Addresses")), 1);
    assert_null(
        json_object_get(json_array_get(json_object_get(m, "Addresses"), 0), "AllocationId"));
    assert_null(
        json_object_get(json_array_get(json_object_get(m, "Addresses"), 0), "AssociationId"));
    json_decref(m);
    /* PublicIpv4Pool names the external network; "amazon" is the default one */
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201, "addr_fip_created.json");
    m = ec2gw_test_action(h, "AllocateAddress", "{\"PublicIpv4Pool\": \"public\"}");
    assert_non_null(m);
    json_decref(m);
    done(h);
}

static void
test_allocate_errors(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *ext = "/v2.0/networks?router%3Aexternal=true*";

    (void)s;
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 409, QUOTA);
    assert_string_equal(fails(h, "AllocateAddress", "{}"), "AddressLimitExceeded");
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 403, "addr_err_policy.json");
    assert_string_equal(fails(h, "AllocateAddress", "{\"Address\": \"203.0.113.249\"}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "Address 203.0.113.249"));
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    assert_string_equal(fails(h, "AllocateAddress", "{\"PublicIpv4Pool\": \"nope\"}"),
                        "InvalidPublicIpv4PoolID.NotFound");
    ec2gw_test_expect(h, "GET", "network", ext, 200, "{\"networks\": []}");
    assert_string_equal(fails(h, "AllocateAddress", "{}"), "Unsupported");
    ec2gw_test_expect(h, "GET", "network", ext, 500, "{}");
    assert_string_equal(fails(h, "AllocateAddress", "{}"), "InternalError");
    /* Neutron's answer lost or failed: the floating IP it may have made is found by its
     * marker (the description of the POST) and deleted before answering */
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect_timeout(h, "POST", "network", "/v2.0/floatingips");
    assert_int_equal(ec2gw_test_begin(h, "AllocateAddress", "{}"), EC2GW_AGAIN);
    assert_int_equal(ec2gw_test_run_one(h), 1); /* the networks: the POST goes out */
    {
        const json_t *calls = ec2gw_test_calls(h);
        const json_t *post = json_array_get(calls, json_array_size(calls) - 1);
        const char *marker =
            str(json_object_get(json_object_get(post, "body"), "floatingip"), "description");
        char fips[512];

        assert_non_null(marker);
        assert_true(strncmp(marker, "ec2gw ", 6) == 0);
        snprintf(fips, sizeof(fips),
                 "{\"floatingips\": [{\"id\": \"" FIP_A "\", \"description\": \"%s\"}, "
                 "{\"id\": \"" FIP_B "\", \"description\": \"ec2gw other\"}]}",
                 marker);
        ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=ec2gw%20*", 200,
                          fips);
        ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/" FIP_A, 204, NULL);
    }
    (void)ec2gw_test_run(h);
    assert_null(ec2gw_test_end(h));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    /* a 5xx: the same look-up; another request's floating IP is left alone */
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 500, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=*", 200,
                      "{\"floatingips\": [{\"id\": \"" FIP_B "\", \"description\": "
                      "\"ec2gw other\"}]}");
    assert_string_equal(fails(h, "AllocateAddress", "{}"), "InternalError");
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect_error(h, "POST", "network", "/v2.0/floatingips", "Connection reset");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=*", 200,
                      "{\"floatingips\": []}");
    assert_string_equal(fails(h, "AllocateAddress", "{}"), "Unavailable");
    /* refused before any call */
    assert_string_equal(fails(h, "AllocateAddress",
                              "{\"Domain\": \"vpc\", "
                              "\"CustomerOwnedIpv4Pool\": \"x\"}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "CustomerOwnedIpv4Pool"));
    assert_string_equal(fails(h, "AllocateAddress", "{\"NetworkBorderGroup\": \"elsewhere\"}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "AllocateAddress", "{\"Address\": \"1.2.3\"}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "AllocateAddress",
                              "{\"TagSpecifications\": [{\"ResourceType\": \"instance\", "
                              "\"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}]}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "AllocateAddress",
                              "{\"TagSpecifications\": [{\"ResourceType\": \"elastic-ip\", "
                              "\"Tags\": [{\"Key\": \"aws:x\", \"Value\": \"v\"}]}]}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "AllocateAddress",
                              "{\"TagSpecifications\": [{\"ResourceType\": \"elastic-ip\", "
                              "\"Tags\": [{\"Value\": \"v\"}]}]}"),
                        "InvalidParameterValue");
    /* a 2xx without a floating IP in it: an error, and no DELETE of an unknown id */
    ec2gw_test_expect(h, "GET", "network", ext, 200, "addr_networks_ext.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201, "{}");
    assert_string_equal(fails(h, "AllocateAddress", "{}"), "InternalError");
    done(h);
}

/* -- ReleaseAddress -------------------------------------------------------------------- */

static void
test_release(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    assert_int_equal(ec2gw_test_set_tags(h, ALLOC_B, "[{\"Key\": \"k\", \"Value\": \"v\"}]"), 0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=" FIP_B "&project_id=*", 200,
                      "addr_fip_free.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/" FIP_B, 204, NULL);
    m = ec2gw_test_action(h, "ReleaseAddress", "{\"AllocationId\": \"" ALLOC_B "\"}");
    assert_non_null(m);
    json_decref(m);
    m = ec2gw_test_get_tags(h, ALLOC_B);
    assert_int_equal(json_array_size(m), 0); /* the row and its tags went with it */
    json_decref(m);
    /* by public IP */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?floating_ip_address=203.0.113.21*",
                      200, "addr_fip_free.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/" FIP_B, 204, NULL);
    m = ec2gw_test_action(h, "ReleaseAddress", "{\"PublicIp\": \"203.0.113.21\"}");
    assert_non_null(m);
    json_decref(m);
    done(h);
}

static void
test_release_errors(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    /* associated: refused, nothing deleted */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=" FIP_A "*", 200,
                      "addr_fip_assoc.json");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"" ALLOC_A "\"}"),
                        "InvalidIPAddress.InUse");
    /* gone from Neutron */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=*", 200, "{\"floatingips\": []}");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"" ALLOC_B "\"}"),
                        "InvalidAllocationID.NotFound");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=*", 200, "addr_fip_free.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/" FIP_B, 404,
                      "addr_err_notfound.json");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"" ALLOC_B "\"}"),
                        "InvalidAllocationID.NotFound");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=*", 200, "addr_fip_free.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/" FIP_B, 409, "{}");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"" ALLOC_B "\"}"),
                        "InvalidIPAddress.InUse");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=*", 200, "addr_fip_free.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/" FIP_B, 500, "{}");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"" ALLOC_B "\"}"),
                        "InternalError");
    ec2gw_test_expect_timeout(h, "GET", "network", "/v2.0/floatingips?*");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"PublicIp\": \"203.0.113.21\"}"),
                        "Unavailable");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200, "{\"floatingips\": []}");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"PublicIp\": \"203.0.113.21\"}"),
                        "InvalidAddress.NotFound");
    /* refused before any call */
    assert_string_equal(fails(h, "ReleaseAddress", "{}"), "MissingParameter");
    assert_string_equal(fails(h, "ReleaseAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", \"PublicIp\": \"1.2.3.4\"}"),
                        "InvalidParameterCombination");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"PublicIp\": \"x\"}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"eipalloc-99999999\"}"),
                        "InvalidAllocationID.NotFound");
    assert_string_equal(fails(h, "ReleaseAddress", "{\"AllocationId\": \"sg-12345678\"}"),
                        "InvalidAllocationID.Malformed");
    done(h);
}

/* -- AssociateAddress ------------------------------------------------------------------ */

static void
expect_assoc_lookup(ec2gw_test_host_t *h, const char *fip_fixture)
{
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200, fip_fixture);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "addr_ports_server.json");
}

static void
test_associate(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *put;
    json_t *m;

    (void)s;
    expect_assoc_lookup(h, "addr_fip_free.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_B, 200,
                      "addr_fip_associated.json");
    m = ec2gw_test_action(h, "AssociateAddress",
                          "{\"AllocationId\": \"" ALLOC_B "\", \"InstanceId\": \"i-00000001\"}");
    assert_non_null(m);
    assert_string_equal(str(m, "AssociationId"), "eipassoc-0000000b");
    json_decref(m);
    assert_non_null(strstr(str(json_array_get(ec2gw_test_calls(h), 1), "path"), "device_id=" SRV));
    put = json_object_get(json_object_get(json_array_get(ec2gw_test_calls(h), 2), "body"),
                          "floatingip");
    assert_string_equal(str(put, "port_id"), PORT);
    assert_string_equal(str(put, "fixed_ip_address"), "10.0.0.227");
    /* already there: the same association, no PUT */
    expect_assoc_lookup(h, "addr_fip_assoc.json");
    m = ec2gw_test_action(h, "AssociateAddress",
                          "{\"PublicIp\": \"203.0.113.204\", \"NetworkInterfaceId\": "
                          "\"eni-00000001\", \"PrivateIpAddress\": \"10.0.0.227\"}");
    assert_non_null(m);
    assert_string_equal(str(m, "AssociationId"), "eipassoc-0000000a");
    json_decref(m);
    assert_non_null(strstr(last_path(h), "id=" PORT));
    done(h);
}

static void
test_associate_reassociation(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *other = "{\"floatingips\": [{\"id\": \"" FIP_B "\", \"floating_ip_address\": "
                        "\"203.0.113.21\", \"port_id\": \"" PORT "\"}]}";
    const char *elsewhere = "{\"floatingips\": [{\"id\": \"" FIP_A "\", \"floating_ip_address\": "
                            "\"203.0.113.204\", \"port_id\": \"other-port\", "
                            "\"fixed_ip_address\": \"10.0.0.5\"}]}";
    json_t *m;
    size_t n;

    (void)s;
    /* associated elsewhere: refused without AllowReassociation, moved with it */
    expect_assoc_lookup(h, elsewhere);
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_A "\", "
                              "\"InstanceId\": \"i-00000001\"}"),
                        "Resource.AlreadyAssociated");
    expect_assoc_lookup(h, elsewhere);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 200,
                      "addr_fip_associated.json");
    m = ec2gw_test_action(h, "AssociateAddress",
                          "{\"AllocationId\": \"" ALLOC_A "\", \"InstanceId\": \"i-00000001\", "
                          "\"AllowReassociation\": true}");
    assert_non_null(m);
    json_decref(m);
    /* the target IP already has another address: it is moved off first (as AWS) */
    expect_assoc_lookup(h, elsewhere);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 409,
                      "addr_err_already.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?port_id=" PORT "*", 200, other);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_B, 200, "{}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 200,
                      "addr_fip_associated.json");
    m = ec2gw_test_action(h, "AssociateAddress",
                          "{\"AllocationId\": \"" ALLOC_A "\", \"InstanceId\": \"i-00000001\", "
                          "\"AllowReassociation\": true}");
    assert_non_null(m);
    json_decref(m);
    n = json_array_size(ec2gw_test_calls(h));
    assert_true(json_is_null(json_object_get(
        json_object_get(json_object_get(json_array_get(ec2gw_test_calls(h), n - 2), "body"),
                        "floatingip"),
        "port_id")));
    /* ... and put back when the new association still fails: all or nothing */
    expect_assoc_lookup(h, elsewhere);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 409,
                      "addr_err_already.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?port_id=" PORT "*", 200, other);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_B, 200, "{}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 500, "{}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_B, 200, "{}");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_A "\", "
                              "\"InstanceId\": \"i-00000001\", "
                              "\"AllowReassociation\": true}"),
                        "InternalError");
    n = json_array_size(ec2gw_test_calls(h));
    assert_string_equal(
        str(json_object_get(json_object_get(json_array_get(ec2gw_test_calls(h), n - 1), "body"),
                            "floatingip"),
            "port_id"),
        PORT);
    done(h);
}

static void
test_associate_errors(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    expect_assoc_lookup(h, "{\"floatingips\": []}");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"InstanceId\": \"i-00000001\"}"),
                        "InvalidAllocationID.NotFound");
    expect_assoc_lookup(h, "{\"floatingips\": []}");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"PublicIp\": \"203.0.113.99\", "
                              "\"InstanceId\": \"i-00000001\"}"),
                        "InvalidAddress.NotFound");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200, "addr_fip_free.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{\"ports\": []}");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"NetworkInterfaceId\": \"eni-00000001\"}"),
                        "InvalidNetworkInterfaceID.NotFound");
    expect_assoc_lookup(h, "addr_fip_free.json");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", \"InstanceId\": "
                              "\"i-00000001\", \"PrivateIpAddress\": \"10.0.0.9\"}"),
                        "InvalidParameterValue");
    expect_assoc_lookup(h, "addr_fip_free.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_B, 404,
                      "addr_err_gateway.json");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"InstanceId\": \"i-00000001\"}"),
                        "Gateway.NotAttached");
    expect_assoc_lookup(h, "addr_fip_free.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_B, 404,
                      "addr_err_notfound.json");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"InstanceId\": \"i-00000001\"}"),
                        "InvalidAllocationID.NotFound");
    expect_assoc_lookup(h, "addr_fip_free.json");
    ec2gw_test_expect_timeout(h, "PUT", "network", "/v2.0/floatingips/" FIP_B);
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"InstanceId\": \"i-00000001\"}"),
                        "Unavailable");
    /* refused before any call */
    assert_string_equal(fails(h, "AssociateAddress", "{\"InstanceId\": \"i-00000001\"}"),
                        "MissingParameter");
    assert_string_equal(fails(h, "AssociateAddress", "{\"AllocationId\": \"" ALLOC_B "\"}"),
                        "MissingParameter");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", \"InstanceId\": "
                              "\"i-00000001\", \"NetworkInterfaceId\": \"eni-00000001\"}"),
                        "InvalidParameterCombination");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"InstanceId\": \"i-12345678\"}"),
                        "InvalidInstanceID.NotFound");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"InstanceId\": \"bogus\"}"),
                        "InvalidInstanceID.Malformed");
    assert_string_equal(fails(h, "AssociateAddress",
                              "{\"AllocationId\": \"" ALLOC_B "\", "
                              "\"NetworkInterfaceId\": \"eni-12345678\"}"),
                        "InvalidNetworkInterfaceID.NotFound");
    done(h);
}

/* -- DisassociateAddress --------------------------------------------------------------- */

static void
test_disassociate(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=" FIP_A "*", 200,
                      "addr_fip_assoc.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 200, "addr_fips.json");
    m = ec2gw_test_action(h, "DisassociateAddress", "{\"AssociationId\": \"eipassoc-0000000a\"}");
    assert_non_null(m);
    json_decref(m);
    assert_true(json_is_null(json_object_get(
        json_object_get(json_object_get(json_array_get(ec2gw_test_calls(h), 1), "body"),
                        "floatingip"),
        "port_id")));
    /* not associated: nothing to do (idempotent, as AWS) */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?floating_ip_address=*", 200,
                      "addr_fip_free.json");
    m = ec2gw_test_action(h, "DisassociateAddress", "{\"PublicIp\": \"203.0.113.21\"}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=*", 200, "{\"floatingips\": []}");
    assert_string_equal(
        fails(h, "DisassociateAddress", "{\"AssociationId\": \"eipassoc-0000000a\"}"),
        "InvalidAssociationID.NotFound");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?id=*", 200, "addr_fip_assoc.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP_A, 500, "{}");
    assert_string_equal(
        fails(h, "DisassociateAddress", "{\"AssociationId\": \"eipassoc-0000000a\"}"),
        "InternalError");
    assert_string_equal(
        fails(h, "DisassociateAddress", "{\"AssociationId\": \"eipassoc-12345678\"}"),
        "InvalidAssociationID.NotFound");
    assert_string_equal(
        fails(h, "DisassociateAddress", "{\"AssociationId\": \"eipalloc-0000000a\"}"),
        "InvalidAssociationID.Malformed");
    assert_string_equal(fails(h, "DisassociateAddress", "{}"), "MissingParameter");
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),         cmocka_unit_test(test_describe_filters),
        cmocka_unit_test(test_describe_ids),     cmocka_unit_test(test_describe_neutron_failures),
        cmocka_unit_test(test_allocate),         cmocka_unit_test(test_allocate_errors),
        cmocka_unit_test(test_release),          cmocka_unit_test(test_release_errors),
        cmocka_unit_test(test_associate),        cmocka_unit_test(test_associate_reassociation),
        cmocka_unit_test(test_associate_errors), cmocka_unit_test(test_disassociate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
