/*
 * test_neutron_eni.c - network interfaces of neutron-v2.0 (issue 13, openstack-mapping.md
 * §16.7) through the fake host, with Neutron and Nova answers recorded from the all-in-one
 * cloud by fixtures/eni/record.py: a VPC subnet 10.77.0.0/24 (subnet-0000e001), a /30 without
 * free addresses (subnet-0000e002), the VPC default group and a web group, an ENI port with
 * 10.77.0.10 (primary), .20 and .230, an Elastic IP on .10, an instance whose own port Nova
 * made, and the ENI attached to it through Nova's interface API.
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

#define PROJECT   "b57b507c5df448afa0855a6cbe36bf37"
#define PORT      "056cc4b5-dff5-4eee-ba44-8bd48ca2f2de" /* the ENI's port */
#define NOVA_PORT "4fb51b73-0f86-4741-abe6-310ea4da0d2c" /* the port Nova made */
#define SERVER    "8b4e937d-fef3-44c5-87b7-a53f319ea5f5"
#define ROUTER    "4dd861a5-a799-45ad-b306-625e3e049534"
#define SUB       "c93650ba-9efb-4add-a24c-fdeaa3394497"
#define NET       "851945c4-f203-483e-8016-49d14c8f62a4"
#define SMALL_SUB "1f1842b4-fff5-4c57-a93b-e112bf5e6c76"
#define SMALL_NET "fc933e4e-2e73-4cd1-a101-f3aac9f652fe"
#define OS_SG_DEF "b3fe338f-a163-4d5d-9ec6-0a0dba7c4575" /* default-vpc-0000e001 */
#define OS_SG_WEB "2c3e7399-8a42-461a-b5af-b827ce6c4072"
#define OS_SG_PRJ "995b5084-ff7c-4ffd-adb1-ac2d0f909020" /* the project's "default" */
#define FIP       "aefc32d9-d508-4291-a3f0-6b802f3c8530" /* 203.0.113.17 on 10.77.0.10 */
#define VPC       "vpc-0000e001"
#define SUBNET    "subnet-0000e001"
#define SMALL     "subnet-0000e002"
#define ENI       "eni-0000e0e1"
#define NOVA_ENI  "eni-0000e0e2"
#define INST      "i-0000e0a1"
#define SG_DEF    "sg-0000e001"
#define SG_WEB    "sg-0000e002"
#define SG_OTHER  "sg-0000e003"
#define ALLOC     "eipalloc-0000e0f1"
#define PORTS     "/v2.0/ports?project_id=*"
#define FIPS      "/v2.0/floatingips?project_id=*"
#define GROUPS    "/v2.0/security-groups?project_id=*"
#define ENI_ROW                                                                               \
    "{\"vpc_id\": \"" VPC "\", \"subnet_id\": \"" SUBNET "\", \"description\": \"web\", "     \
    "\"private_ip_address\": \"10.77.0.10\", \"source_dest_check\": true, \"client_token\": " \
    "\"tok-1\""
#define ATTACHED_ROW                                                                  \
    ENI_ROW ", \"instance_id\": \"" INST "\", \"device_index\": 1, \"attach_time\": " \
            "\"2026-12-02T22:30:00.000Z\", \"delete_on_termination\": false}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NEUTRON_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR "/eni");
    ec2gw_test_set_project(h, PROJECT); /* the recorded ports' project */
    /* the rows vpc-core writes for the VPC, its subnets and groups */
    assert_int_equal(
        ec2gw_test_put_item(
            h, VPC, ROUTER,
            "{\"cidr_block\": \"10.77.0.0/16\", \"route_table_id\": \"rtb-0000e0b1\"}"),
        0);
    assert_int_equal(ec2gw_test_put_item(h, SUBNET, SUB,
                                         "{\"vpc_id\": \"" VPC "\", \"os_network_id\": \"" NET
                                         "\", \"availability_zone\": \"nova\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SMALL, SMALL_SUB,
                                         "{\"vpc_id\": \"" VPC "\", \"os_network_id\": \"" SMALL_NET
                                         "\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SG_DEF, OS_SG_DEF,
                                         "{\"vpc_id\": \"" VPC "\", \"group_name\": \"default\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SG_WEB, OS_SG_WEB, "{\"vpc_id\": \"" VPC "\"}"), 0);
    assert_int_equal(
        ec2gw_test_put_item(h, SG_OTHER, "os-sg-other", "{\"vpc_id\": \"vpc-0000e0ff\"}"), 0);
    assert_int_equal(ec2gw_test_map_id(h, INST, SERVER), 0);
    assert_int_equal(ec2gw_test_map_id(h, ALLOC, FIP), 0);
    assert_int_equal(ec2gw_test_map_id(h, NOVA_ENI, NOVA_PORT), 0);
    return h;
}

/* The host with the ENI's row (@p row: its data JSON). */
static ec2gw_test_host_t *
host_eni(const char *row)
{
    ec2gw_test_host_t *h = host();

    assert_int_equal(ec2gw_test_put_item(h, ENI, PORT, row), 0);
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

static const char *
fails(ec2gw_test_host_t *h, const char *action, const char *params)
{
    json_t *m = ec2gw_test_action(h, action, params);

    if (m != NULL) {
        char *t = json_dumps(m, 0);

        fprintf(stderr, "%s %s unexpectedly answered %s\n", action, params, t);
        free(t);
        json_decref(m);
        fail();
    }
    return ec2gw_test_last_error(h);
}

static json_t *
ok(ec2gw_test_host_t *h, const char *action, const char *params)
{
    json_t *m = ec2gw_test_action(h, action, params);

    if (m == NULL)
        fprintf(stderr, "%s %s failed: %s %s\n", action, params, ec2gw_test_last_error(h),
                ec2gw_test_last_error_message(h));
    assert_non_null(m);
    return m;
}

static size_t
ncalls(ec2gw_test_host_t *h)
{
    return json_array_size(ec2gw_test_calls(h));
}

/* The last call to @p method whose path starts with @p prefix (borrowed), or NULL. */
static const json_t *
call_to(ec2gw_test_host_t *h, const char *method, const char *prefix)
{
    const json_t *calls = ec2gw_test_calls(h), *c, *found = NULL;
    size_t i;

    json_array_foreach(calls, i, c) if (strcmp(str(c, "method"), method) == 0 &&
                                        strncmp(str(c, "path"), prefix, strlen(prefix)) == 0)
        found = c;
    return found;
}

/* The interface @p id of a DescribeNetworkInterfaces answer. */
static const json_t *
eni_of(const json_t *m, const char *id)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(m, "NetworkInterfaces"), i,
                       e) if (strcmp(str(e, "NetworkInterfaceId"), id) == 0) return e;
    return NULL;
}

/* -- CreateNetworkInterface ------------------------------------------------------------- */

static void
expect_create_lookups(ec2gw_test_host_t *h, const char *subnet_fixture)
{
    ec2gw_test_expect(h, "GET", "network",
                      strcmp(subnet_fixture, "subnet.json") == 0 ? "/v2.0/subnets/" SUB
                                                                 : "/v2.0/subnets/" SMALL_SUB,
                      200, subnet_fixture);
    ec2gw_test_expect(h, "GET", "network", GROUPS "&name=default-vpc-0000e001", 200,
                      "sg_default.json");
}

static void
test_create(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *ni, *post, *ips, *g;
    json_t *m, *d;

    (void)s;
    expect_create_lookups(h, "subnet.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/ports", 201, "port_created.json");
    m = ok(h, "CreateNetworkInterface",
           "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddress\": \"10.77.0.10\", "
           "\"SecondaryPrivateIpAddressCount\": 1, \"Description\": \"web\", \"ClientToken\": "
           "\"tok-1\", \"TagSpecifications\": [{\"ResourceType\": \"network-interface\", "
           "\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]}");
    ni = json_object_get(m, "NetworkInterface");
    assert_string_equal(str(m, "ClientToken"), "tok-1");
    assert_string_equal(str(ni, "SubnetId"), SUBNET);
    assert_string_equal(str(ni, "VpcId"), VPC);
    assert_string_equal(str(ni, "AvailabilityZone"), "nova");
    assert_string_equal(str(ni, "Description"), "web");
    assert_string_equal(str(ni, "Status"), "available");
    assert_string_equal(str(ni, "PrivateIpAddress"), "10.77.0.10");
    assert_string_equal(str(ni, "MacAddress"), "fa:16:3e:42:51:f0");
    assert_true(json_is_true(json_object_get(ni, "SourceDestCheck")));
    assert_true(json_is_false(json_object_get(ni, "RequesterManaged")));
    assert_null(json_object_get(ni, "Attachment"));
    ips = json_object_get(ni, "PrivateIpAddresses");
    assert_int_equal(json_array_size(ips), 2);
    assert_string_equal(str(json_array_get(ips, 0), "PrivateIpAddress"), "10.77.0.10");
    assert_true(json_is_true(json_object_get(json_array_get(ips, 0), "Primary")));
    assert_string_equal(str(json_array_get(ips, 1), "PrivateIpAddress"), "10.77.0.230");
    assert_true(json_is_false(json_object_get(json_array_get(ips, 1), "Primary")));
    g = json_array_get(json_object_get(ni, "Groups"), 0);
    assert_string_equal(str(g, "GroupId"), SG_DEF);
    assert_string_equal(str(g, "GroupName"), "default");
    assert_string_equal(str(json_array_get(json_object_get(ni, "TagSet"), 0), "Value"), "web");
    /* the port: named after the new id, primary first, one more address, the VPC default */
    post = json_object_get(json_object_get(call_to(h, "POST", "/v2.0/ports"), "body"), "port");
    assert_string_equal(str(post, "name"), str(ni, "NetworkInterfaceId"));
    assert_string_equal(str(post, "network_id"), NET);
    assert_true(ec2gw_test_json_equal(h, json_object_get(post, "fixed_ips"),
                                      "[{\"subnet_id\": \"" SUB "\", \"ip_address\": "
                                      "\"10.77.0.10\"}, {\"subnet_id\": \"" SUB "\"}]"));
    assert_true(
        ec2gw_test_json_equal(h, json_object_get(post, "security_groups"), "[\"" OS_SG_DEF "\"]"));
    assert_null(json_object_get(post, "extra_dhcp_opts")); /* the VPC has default options */
    /* the row: DescribeNetworkInterfaces finds it by the client token */
    ec2gw_test_expect(
        h, "GET", "network", PORTS "&network_id=*", 200,
        "{\"ports\": [" /* the created port, as Neutron lists it */
        "{\"id\": \"" PORT "\", \"mac_address\": \"fa:16:3e:42:51:f0\", "
        "\"device_id\": \"\", \"device_owner\": \"\", \"security_groups\": [\"" OS_SG_DEF
        "\"], \"fixed_ips\": [{\"subnet_id\": \"" SUB "\", \"ip_address\": "
        "\"10.77.0.10\"}, {\"subnet_id\": \"" SUB "\", \"ip_address\": "
        "\"10.77.0.230\"}], \"allowed_address_pairs\": []}]}");
    ec2gw_test_expect(h, "GET", "network", FIPS, 200, "{\"floatingips\": []}");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_all.json");
    d = ok(h, "DescribeNetworkInterfaces",
           "{\"Filters\": [{\"Name\": \"client-token\", \"Values\": [\"tok-1\"]}]}");
    assert_int_equal(json_array_size(json_object_get(d, "NetworkInterfaces")), 1);
    assert_string_equal(
        str(json_array_get(json_object_get(d, "NetworkInterfaces"), 0), "NetworkInterfaceId"),
        str(ni, "NetworkInterfaceId"));
    json_decref(d);
    json_decref(m);
    done(h);
}

static void
test_create_groups(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *post;
    json_t *m;
    size_t before;

    (void)s;
    /* a group of another VPC, an unknown and a malformed one: refused before Neutron */
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"Groups\": [\"" SG_OTHER "\"]}"),
                        "InvalidGroup.NotFound");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"Groups\": [\"sg-0badbad0\"]}"),
                        "InvalidGroup.NotFound");
    assert_string_equal(
        fails(h, "CreateNetworkInterface", "{\"SubnetId\": \"" SUBNET "\", \"Groups\": [\"web\"]}"),
        "InvalidGroupId.Malformed");
    assert_int_equal(ncalls(h), 0);
    /* a group of the VPC: asked by id, its name answered */
    before = ncalls(h);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets/" SUB, 200, "subnet.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS "&id=" OS_SG_WEB, 200, "sg_web.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/ports", 201, "port_created.json");
    m = ok(h, "CreateNetworkInterface",
           "{\"SubnetId\": \"" SUBNET "\", \"Groups\": [\"" SG_WEB "\"]}");
    post = json_object_get(json_object_get(call_to(h, "POST", "/v2.0/ports"), "body"), "port");
    assert_true(
        ec2gw_test_json_equal(h, json_object_get(post, "security_groups"), "[\"" OS_SG_WEB "\"]"));
    assert_true(ec2gw_test_json_equal(h, json_object_get(post, "fixed_ips"),
                                      "[{\"subnet_id\": \"" SUB "\"}]"));
    assert_int_equal(ncalls(h), before + 3);
    json_decref(m);
    done(h);
}

static void
test_create_no_default_group(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets/" SUB, 200, "subnet.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS "&name=default-vpc-0000e001", 200,
                      "{\"security_groups\": []}");
    assert_string_equal(fails(h, "CreateNetworkInterface", "{\"SubnetId\": \"" SUBNET "\"}"),
                        "InvalidGroup.NotFound");
    assert_null(call_to(h, "POST", "/v2.0/ports"));
    done(h);
}

static void
test_create_addresses(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *post;
    json_t *m;

    (void)s;
    /* outside the subnet: refused after reading its CIDR, before any port */
    expect_create_lookups(h, "subnet.json");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddress\": "
                              "\"10.99.0.10\"}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "10.77.0.0/24"));
    expect_create_lookups(h, "subnet.json");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddresses\": "
                              "[{\"PrivateIpAddress\": \"10.77.0.5\"}, {\"PrivateIpAddress\": "
                              "\"10.78.0.5\"}]}"),
                        "InvalidParameterValue");
    assert_null(call_to(h, "POST", "/v2.0/ports"));
    /* two primaries, a repeated address, a bad address, a bad count: no call at all */
    assert_string_equal(
        fails(h, "CreateNetworkInterface",
              "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddresses\": [{\"PrivateIpAddress\": "
              "\"10.77.0.5\", \"Primary\": true}, {\"PrivateIpAddress\": \"10.77.0.6\", "
              "\"Primary\": true}]}"),
        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET
                              "\", \"PrivateIpAddresses\": [{\"PrivateIpAddress\": "
                              "\"10.77.0.5\"}, {\"PrivateIpAddress\": \"10.77.0.5\"}]}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddress\": \"10.77.0\"}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"SecondaryPrivateIpAddressCount\": "
                              "0}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"Ipv6AddressCount\": 1}"),
                        "UnsupportedOperation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "Ipv6AddressCount"));
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"TagSpecifications\": "
                              "[{\"ResourceType\": \"vpc\", \"Tags\": []}]}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateNetworkInterface", "{\"SubnetId\": \"sn-1\"}"),
                        "InvalidSubnetID.Malformed");
    assert_string_equal(fails(h, "CreateNetworkInterface", "{\"SubnetId\": \"subnet-0badbad0\"}"),
                        "InvalidSubnetID.NotFound");
    assert_string_equal(fails(h, "CreateNetworkInterface", "{}"), "MissingParameter");
    /* explicit secondaries: the primary is the address Neutron picked for the first entry */
    expect_create_lookups(h, "subnet.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/ports", 201, "port_created.json");
    m = ok(h, "CreateNetworkInterface",
           "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddresses\": [{\"PrivateIpAddress\": "
           "\"10.77.0.230\"}]}");
    assert_string_equal(str(json_object_get(m, "NetworkInterface"), "PrivateIpAddress"),
                        "10.77.0.10");
    post = json_object_get(json_object_get(call_to(h, "POST", "/v2.0/ports"), "body"), "port");
    assert_true(ec2gw_test_json_equal(h, json_object_get(post, "fixed_ips"),
                                      "[{\"subnet_id\": \"" SUB "\"}, {\"subnet_id\": \"" SUB
                                      "\", \"ip_address\": \"10.77.0.230\"}]"));
    json_decref(m);
    done(h);
}

static void
test_create_neutron_refuses(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    expect_create_lookups(h, "subnet_small.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/ports", 409, "err_no_free.json");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SMALL "\", \"SecondaryPrivateIpAddressCount\": "
                              "2}"),
                        "InsufficientFreeAddressesInSubnet");
    expect_create_lookups(h, "subnet.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/ports", 409, "err_in_use.json");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddress\": "
                              "\"10.77.0.10\"}"),
                        "InvalidIPAddress.InUse");
    expect_create_lookups(h, "subnet.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/ports", 400, "err_invalid_ip.json");
    assert_string_equal(fails(h, "CreateNetworkInterface",
                              "{\"SubnetId\": \"" SUBNET "\", \"PrivateIpAddress\": "
                              "\"10.77.0.255\"}"),
                        "InvalidParameterValue");
    /* nothing was made: no DELETE, and no row (an unknown id stays unknown) */
    assert_null(call_to(h, "DELETE", "/v2.0/ports"));
    done(h);
}

/* The POST's answer is lost: the port Neutron made after all is found by name and deleted. */
static void
test_create_lost_answer(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *name;
    char body[512];

    (void)s;
    expect_create_lookups(h, "subnet.json");
    ec2gw_test_expect_timeout(h, "POST", "network", "/v2.0/ports");
    assert_int_equal(
        ec2gw_test_begin(h, "CreateNetworkInterface", "{\"SubnetId\": \"" SUBNET "\"}"), 1);
    assert_int_equal(ec2gw_test_run_one(h), 1);
    assert_int_equal(ec2gw_test_run_one(h), 1); /* the lookups answered: the POST is out */
    name = str(json_object_get(json_object_get(call_to(h, "POST", "/v2.0/ports"), "body"), "port"),
               "name");
    assert_non_null(name);
    snprintf(body, sizeof(body), "{\"ports\": [{\"id\": \"" PORT "\", \"name\": \"%s\"}]}", name);
    ec2gw_test_expect(h, "GET", "network", PORTS "&name=*", 200, body);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/ports/" PORT, 204, NULL);
    ec2gw_test_run(h);
    assert_null(ec2gw_test_end(h));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    assert_non_null(call_to(h, "DELETE", "/v2.0/ports/" PORT));
    done(h);
}

/* -- DescribeNetworkInterfaces ---------------------------------------------------------- */

static void
expect_describe(ec2gw_test_host_t *h, const char *ports_pattern)
{
    ec2gw_test_expect(h, "GET", "network", ports_pattern, 200, "ports.json");
    ec2gw_test_expect(h, "GET", "network", FIPS, 200, "fips.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_all.json");
}

static void
test_describe(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    const json_t *e, *n, *att, *ips, *path;
    json_t *m;

    (void)s;
    expect_describe(h, PORTS "&network_id=*");
    m = ok(h, "DescribeNetworkInterfaces", "{}");
    /* the ENI and the port Nova made; the router's interface is Neutron's own */
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 2);
    path = json_object_get(call_to(h, "GET", "/v2.0/ports"), "path");
    assert_non_null(strstr(json_string_value(path), "network_id=" NET));
    assert_non_null(strstr(json_string_value(path), "network_id=" SMALL_NET));
    e = eni_of(m, ENI);
    assert_non_null(e);
    assert_string_equal(str(e, "Status"), "in-use");
    assert_string_equal(str(e, "Description"), "web");
    assert_string_equal(str(e, "VpcId"), VPC);
    assert_string_equal(str(e, "OwnerId"), PROJECT);
    assert_true(json_is_false(json_object_get(e, "SourceDestCheck")));
    assert_string_equal(str(json_object_get(e, "Association"), "PublicIp"), "203.0.113.17");
    assert_string_equal(str(json_object_get(e, "Association"), "AllocationId"), ALLOC);
    assert_string_equal(str(json_object_get(e, "Association"), "AssociationId"),
                        "eipassoc-0000e0f1");
    ips = json_object_get(e, "PrivateIpAddresses");
    assert_int_equal(json_array_size(ips), 3);
    assert_string_equal(str(json_array_get(ips, 0), "PrivateIpAddress"), "10.77.0.10");
    assert_non_null(json_object_get(json_array_get(ips, 0), "Association"));
    assert_null(json_object_get(json_array_get(ips, 1), "Association"));
    att = json_object_get(e, "Attachment");
    assert_string_equal(str(att, "AttachmentId"), "eni-attach-0000e0e1");
    assert_string_equal(str(att, "InstanceId"), INST);
    assert_int_equal(json_integer_value(json_object_get(att, "DeviceIndex")), 1);
    assert_string_equal(str(att, "AttachTime"), "2026-12-02T22:30:00.000Z");
    assert_true(json_is_false(json_object_get(att, "DeleteOnTermination")));
    assert_string_equal(str(json_array_get(json_object_get(e, "Groups"), 0), "GroupName"),
                        "default");
    assert_true(json_is_array(json_object_get(e, "TagSet")));
    /* the instance's own port: device 0, deleted with it, the project's default group */
    n = eni_of(m, NOVA_ENI);
    assert_non_null(n);
    att = json_object_get(n, "Attachment");
    assert_int_equal(json_integer_value(json_object_get(att, "DeviceIndex")), 0);
    assert_true(json_is_true(json_object_get(att, "DeleteOnTermination")));
    assert_string_equal(str(n, "PrivateIpAddress"), "10.77.0.140");
    assert_string_equal(str(n, "SubnetId"), SUBNET);
    assert_string_equal(str(n, "Description"), "");
    assert_true(json_is_true(json_object_get(n, "SourceDestCheck")));
    json_decref(m);
    done(h);
}

/* The ids DescribeNetworkInterfaces answers with one filter @p name = @p value. */
static char *
filtered(ec2gw_test_host_t *h, const char *name, const char *value, char *buf, size_t size)
{
    char params[256];
    const json_t *e;
    json_t *m;
    size_t i, o = 0;

    snprintf(params, sizeof(params), "{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}",
             name, value);
    expect_describe(h, PORTS "*");
    m = ok(h, "DescribeNetworkInterfaces", params);
    buf[0] = '\0';
    json_array_foreach(json_object_get(m, "NetworkInterfaces"), i, e) o +=
        (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "", str(e, "NetworkInterfaceId"));
    json_decref(m);
    return buf;
}

static void
test_describe_filters(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    char b[128];
    const char *path;

    (void)s;
    assert_string_equal(filtered(h, "attachment.device-index", "1", b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "attachment.device-index", "0", b, sizeof(b)), NOVA_ENI);
    assert_string_equal(
        filtered(h, "attachment.attachment-id", "eni-attach-0000e0e1", b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "attachment.delete-on-termination", "true", b, sizeof(b)),
                        NOVA_ENI);
    assert_string_equal(filtered(h, "attachment.status", "attached", b, sizeof(b)),
                        ENI "," NOVA_ENI);
    assert_string_equal(filtered(h, "addresses.private-ip-address", "10.77.0.2?", b, sizeof(b)),
                        ENI);
    assert_string_equal(filtered(h, "addresses.primary", "false", b, sizeof(b)), ENI);
    assert_string_equal(
        filtered(h, "addresses.association.public-ip", "203.0.113.17", b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "association.allocation-id", ALLOC, b, sizeof(b)), ENI);
    assert_string_equal(
        filtered(h, "association.association-id", "eipassoc-0000e0f1", b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "group-id", SG_DEF, b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "group-name", "default", b, sizeof(b)), ENI "," NOVA_ENI);
    assert_string_equal(filtered(h, "private-ip-address", "10.77.0.140", b, sizeof(b)), NOVA_ENI);
    path = str(call_to(h, "GET", "/v2.0/ports"), "path");
    assert_non_null(strstr(path, "&fixed_ips=ip_address%3D10.77.0.140"));
    /* a secondary address is not the primary: Neutron's port is found, the filter drops it */
    assert_string_equal(filtered(h, "private-ip-address", "10.77.0.20", b, sizeof(b)), "");
    assert_string_equal(filtered(h, "source-dest-check", "false", b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "status", "available", b, sizeof(b)), "");
    assert_string_equal(filtered(h, "description", "w*", b, sizeof(b)), ENI);
    assert_string_equal(filtered(h, "requester-managed", "false", b, sizeof(b)), ENI "," NOVA_ENI);
    assert_string_equal(filtered(h, "client-token", "tok-1", b, sizeof(b)), ENI);
    /* exact values go to Neutron */
    assert_string_equal(filtered(h, "mac-address", "fa:16:3e:42:51:f0", b, sizeof(b)), ENI);
    path = str(call_to(h, "GET", "/v2.0/ports"), "path");
    assert_non_null(strstr(path, "&mac_address=fa%3A16%3A3e%3A42%3A51%3Af0"));
    assert_string_equal(filtered(h, "attachment.instance-id", INST, b, sizeof(b)),
                        ENI "," NOVA_ENI);
    path = str(call_to(h, "GET", "/v2.0/ports"), "path");
    assert_non_null(strstr(path, "device_id=" SERVER));
    assert_string_equal(filtered(h, "subnet-id", SUBNET, b, sizeof(b)), ENI "," NOVA_ENI);
    path = str(call_to(h, "GET", "/v2.0/ports"), "path");
    assert_non_null(strstr(path, "network_id=" NET));
    assert_null(strstr(path, SMALL_NET));
    /* a VPC without subnets: nothing to ask Neutron */
    {
        size_t before = ncalls(h);
        json_t *m = ok(h, "DescribeNetworkInterfaces",
                       "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"vpc-0000e0ff\"]}]}");

        assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 0);
        assert_int_equal(ncalls(h), before);
        json_decref(m);
    }
    expect_describe(h, PORTS "*");
    assert_string_equal(fails(h, "DescribeNetworkInterfaces",
                              "{\"Filters\": [{\"Name\": \"no-such\", \"Values\": [\"x\"]}]}"),
                        "InvalidParameterValue");
    done(h);
}

static void
test_describe_ids(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    json_t *m;

    (void)s;
    expect_describe(h, PORTS "*&id=" PORT "*");
    m = ok(h, "DescribeNetworkInterfaces", "{\"NetworkInterfaceIds\": [\"" ENI "\"]}");
    assert_non_null(eni_of(m, ENI));
    json_decref(m);
    /* a named id that a filter rules out: an empty answer, not NotFound */
    expect_describe(h, PORTS "*&id=" PORT "*");
    m = ok(h, "DescribeNetworkInterfaces",
           "{\"NetworkInterfaceIds\": [\"" ENI "\"], \"Filters\": [{\"Name\": \"vpc-id\", "
           "\"Values\": [\"vpc-0000e0ff\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 0);
    json_decref(m);
    assert_string_equal(
        fails(h, "DescribeNetworkInterfaces", "{\"NetworkInterfaceIds\": [\"eni-0badbad0\"]}"),
        "InvalidNetworkInterfaceID.NotFound");
    assert_string_equal(
        fails(h, "DescribeNetworkInterfaces", "{\"NetworkInterfaceIds\": [\"nic-1\"]}"),
        "InvalidNetworkInterfaceID.Malformed");
    /* known id, but its port is gone from Neutron */
    ec2gw_test_expect(h, "GET", "network", PORTS "*", 200, "{\"ports\": []}");
    ec2gw_test_expect(h, "GET", "network", FIPS, 200, "fips.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_all.json");
    assert_string_equal(
        fails(h, "DescribeNetworkInterfaces", "{\"NetworkInterfaceIds\": [\"" ENI "\"]}"),
        "InvalidNetworkInterfaceID.NotFound");
    done(h);
}

static void
test_describe_paging(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    json_t *m;

    (void)s;
    expect_describe(h, PORTS "*");
    m = ok(h, "DescribeNetworkInterfaces", "{\"MaxResults\": 5}");
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 2);
    assert_null(json_object_get(m, "NextToken"));
    json_decref(m);
    done(h);
}

/* -- DeleteNetworkInterface ------------------------------------------------------------- */

static void
test_delete(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");
    const json_t *put;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "&port_id=" PORT, 200, "fips_port.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP, 200, "{\"floatingip\": {}}");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/ports/" PORT, 204, NULL);
    m = ok(h, "DeleteNetworkInterface", "{\"NetworkInterfaceId\": \"" ENI "\"}");
    assert_true(json_is_true(json_object_get(m, "Return")));
    json_decref(m);
    /* the Elastic IP was disassociated before the port went */
    put = call_to(h, "PUT", "/v2.0/floatingips/" FIP);
    assert_true(json_is_null(
        json_object_get(json_object_get(json_object_get(put, "body"), "floatingip"), "port_id")));
    /* the row is gone with the port */
    expect_describe(h, PORTS "*");
    m = ok(h, "DescribeNetworkInterfaces",
           "{\"Filters\": [{\"Name\": \"client-token\", \"Values\": [\"tok-1\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 0);
    json_decref(m);
    done(h);
}

static void
test_delete_refused(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);

    (void)s;
    /* attached: Neutron would delete it, the plugin refuses */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    assert_string_equal(fails(h, "DeleteNetworkInterface", "{\"NetworkInterfaceId\": \"" ENI "\"}"),
                        "InvalidNetworkInterface.InUse");
    assert_null(call_to(h, "DELETE", "/v2.0/ports"));
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 404, "err_port_not_found.json");
    assert_string_equal(fails(h, "DeleteNetworkInterface", "{\"NetworkInterfaceId\": \"" ENI "\"}"),
                        "InvalidNetworkInterfaceID.NotFound");
    assert_string_equal(
        fails(h, "DeleteNetworkInterface", "{\"NetworkInterfaceId\": \"eni-0badbad0\"}"),
        "InvalidNetworkInterfaceID.NotFound");
    assert_string_equal(fails(h, "DeleteNetworkInterface", "{\"NetworkInterfaceId\": \"x-1\"}"),
                        "InvalidNetworkInterfaceID.Malformed");
    /* another project's port behind a known id */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200,
                      "{\"port\": {\"id\": \"" PORT "\", \"project_id\": \"someone-else\"}}");
    assert_string_equal(fails(h, "DeleteNetworkInterface", "{\"NetworkInterfaceId\": \"" ENI "\"}"),
                        "InvalidNetworkInterfaceID.NotFound");
    done(h);
}

/* -- attributes ------------------------------------------------------------------------- */

static void
test_describe_attribute(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS "&id=" OS_SG_DEF, 200, "sg_default.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "&port_id=" PORT, 200, "fips_port.json");
    m = ok(h, "DescribeNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Attribute\": \"groupSet\"}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"NetworkInterfaceId\": \"" ENI "\", \"Groups\": "
                                      "[{\"GroupId\": \"" SG_DEF "\", \"GroupName\": "
                                      "\"default\"}]}"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS "*", 200, "sg_default.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "*", 200, "fips_port.json");
    m = ok(h, "DescribeNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Attribute\": \"sourceDestCheck\"}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"NetworkInterfaceId\": \"" ENI "\", \"SourceDestCheck\": "
                                      "{\"Value\": false}}"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS "*", 200, "sg_default.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "*", 200, "fips_port.json");
    m = ok(h, "DescribeNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Attribute\": \"attachment\"}");
    assert_string_equal(str(json_object_get(m, "Attachment"), "AttachmentId"),
                        "eni-attach-0000e0e1");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    ec2gw_test_expect(h, "GET", "network", GROUPS "*", 200, "sg_default.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "*", 200, "fips_port.json");
    m = ok(h, "DescribeNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Attribute\": \"description\"}");
    assert_string_equal(str(json_object_get(m, "Description"), "Value"), "web");
    json_decref(m);
    assert_string_equal(fails(h, "DescribeNetworkInterfaceAttribute",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"Attribute\": \"mtu\"}"),
                        "InvalidParameterValue");
    assert_string_equal(
        fails(h, "DescribeNetworkInterfaceAttribute", "{\"NetworkInterfaceId\": \"" ENI "\"}"),
        "MissingParameter");
    done(h);
}

static void
test_modify_attribute(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    const json_t *body;
    json_t *m;

    (void)s;
    assert_string_equal(fails(h, "ModifyNetworkInterfaceAttribute",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"Description\": {\"Value\": "
                              "\"a\"}, \"SourceDestCheck\": {\"Value\": true}}"),
                        "InvalidParameterCombination");
    assert_string_equal(
        fails(h, "ModifyNetworkInterfaceAttribute", "{\"NetworkInterfaceId\": \"" ENI "\"}"),
        "MissingParameter");
    assert_int_equal(ncalls(h), 0);
    /* sourceDestCheck true: the 0.0.0.0/0 pair goes */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_created.json");
    m = ok(h, "ModifyNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"SourceDestCheck\": {\"Value\": true}}");
    json_decref(m);
    body = json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body");
    assert_true(ec2gw_test_json_equal(h, body, "{\"port\": {\"allowed_address_pairs\": []}}"));
    /* false: the pair is added */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    m = ok(h, "ModifyNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"SourceDestCheck\": {\"Value\": false}}");
    json_decref(m);
    body = json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body");
    assert_true(ec2gw_test_json_equal(h, body,
                                      "{\"port\": {\"allowed_address_pairs\": [{\"ip_address\": "
                                      "\"0.0.0.0/0\"}]}}"));
    /* groups: of the ENI's VPC only */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_created.json");
    assert_string_equal(fails(h, "ModifyNetworkInterfaceAttribute",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"Groups\": [\"" SG_OTHER
                              "\"]}"),
                        "InvalidGroup.NotFound");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_created.json");
    m = ok(h, "ModifyNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Groups\": [\"" SG_WEB "\", \"" SG_DEF "\"]}");
    json_decref(m);
    body = json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body");
    assert_true(ec2gw_test_json_equal(
        h, body, "{\"port\": {\"security_groups\": [\"" OS_SG_WEB "\", \"" OS_SG_DEF "\"]}}"));
    /* attachment: the id must be the ENI's */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    assert_string_equal(fails(h, "ModifyNetworkInterfaceAttribute",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"Attachment\": "
                              "{\"AttachmentId\": \"eni-attach-0badbad0\", "
                              "\"DeleteOnTermination\": true}}"),
                        "InvalidAttachmentID.NotFound");
    /* Nova keeps a port it was given when the instance goes: true would be a promise */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    assert_string_equal(fails(h, "ModifyNetworkInterfaceAttribute",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"Attachment\": "
                              "{\"AttachmentId\": \"eni-attach-0000e0e1\", "
                              "\"DeleteOnTermination\": true}}"),
                        "UnsupportedOperation");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    m = ok(h, "ModifyNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Attachment\": {\"AttachmentId\": "
           "\"eni-attach-0000e0e1\", \"DeleteOnTermination\": false}}");
    json_decref(m);
    /* description, then Describe shows it from the row */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    m = ok(h, "ModifyNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"Description\": {\"Value\": \"db\"}}");
    json_decref(m);
    expect_describe(h, PORTS "*");
    m = ok(h, "DescribeNetworkInterfaces", "{\"NetworkInterfaceIds\": [\"" ENI "\"]}");
    assert_string_equal(str(eni_of(m, ENI), "Description"), "db");
    assert_true(json_is_false(
        json_object_get(json_object_get(eni_of(m, ENI), "Attachment"), "DeleteOnTermination")));
    json_decref(m);
    /* reset: sourceDestCheck only */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_created.json");
    m = ok(h, "ResetNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"SourceDestCheck\": \"sourceDestCheck\"}");
    json_decref(m);
    body = json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body");
    assert_true(ec2gw_test_json_equal(h, body, "{\"port\": {\"allowed_address_pairs\": []}}"));
    done(h);
}

/* -- Attach / Detach --------------------------------------------------------------------- */

static void
test_attach(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");
    const json_t *post;
    json_t *m;

    (void)s;
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
                              "\", \"DeviceIndex\": 0}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": "
                              "\"i-0badbad0\", \"DeviceIndex\": 1}"),
                        "InvalidInstanceID.NotFound");
    assert_int_equal(ncalls(h), 0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    ec2gw_test_expect(h, "GET", "network", PORTS "&device_id=" SERVER "*", 200,
                      "ports_server.json");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SERVER "/os-interface", 200,
                      "iface_attached.json");
    m = ok(h, "AttachNetworkInterface",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
           "\", \"DeviceIndex\": 1}");
    assert_string_equal(str(m, "AttachmentId"), "eni-attach-0000e0e1");
    json_decref(m);
    post = json_object_get(call_to(h, "POST", "/servers/"), "body");
    assert_true(
        ec2gw_test_json_equal(h, post, "{\"interfaceAttachment\": {\"port_id\": \"" PORT "\"}}"));
    /* the row keeps the index: Describe shows it on the attached port */
    expect_describe(h, PORTS "*");
    m = ok(h, "DescribeNetworkInterfaces", "{\"NetworkInterfaceIds\": [\"" ENI "\"]}");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(eni_of(m, ENI), "Attachment"), "DeviceIndex")),
                     1);
    assert_non_null(str(json_object_get(eni_of(m, ENI), "Attachment"), "AttachTime"));
    json_decref(m);
    done(h);
}

static void
test_attach_refused(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");

    (void)s;
    /* already attached */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
                              "\", \"DeviceIndex\": 2}"),
                        "InvalidParameterValue");
    /* the index is taken by another ENI of the instance */
    assert_int_equal(ec2gw_test_put_item(h, "eni-0000e0e3", "other-port",
                                         "{\"vpc_id\": \"" VPC "\", \"device_index\": 2}"),
                     0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    ec2gw_test_expect(h, "GET", "network", PORTS "&device_id=" SERVER "*", 200,
                      "{\"ports\": [{\"id\": \"" NOVA_PORT "\", \"fixed_ips\": [{\"subnet_id\": "
                      "\"" SUB "\"}]}, {\"id\": \"other-port\", \"fixed_ips\": "
                      "[{\"subnet_id\": \"" SUB "\"}]}]}");
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
                              "\", \"DeviceIndex\": 2}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "device index"));
    /* an instance of another VPC, and one on a plain Neutron network */
    assert_int_equal(ec2gw_test_put_item(h, "subnet-0000e0ff", "os-sub-other",
                                         "{\"vpc_id\": \"vpc-0000e0ff\", \"os_network_id\": "
                                         "\"net-other\"}"),
                     0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    ec2gw_test_expect(h, "GET", "network", PORTS "&device_id=" SERVER "*", 200,
                      "{\"ports\": [{\"id\": \"p1\", \"fixed_ips\": [{\"subnet_id\": "
                      "\"os-sub-other\"}]}]}");
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
                              "\", \"DeviceIndex\": 3}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "vpc-0000e0ff"));
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    ec2gw_test_expect(h, "GET", "network", PORTS "&device_id=" SERVER "*", 200,
                      "{\"ports\": [{\"id\": \"p1\", \"fixed_ips\": [{\"subnet_id\": "
                      "\"plain-neutron-subnet\"}]}]}");
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
                              "\", \"DeviceIndex\": 3}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "not in a VPC"));
    assert_null(call_to(h, "POST", "/servers/"));
    /* Nova says the server is gone */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    ec2gw_test_expect(h, "GET", "network", PORTS "&device_id=" SERVER "*", 200,
                      "ports_server.json");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SERVER "/os-interface", 404,
                      "{\"itemNotFound\": {\"code\": 404, \"message\": \"no\"}}");
    assert_string_equal(fails(h, "AttachNetworkInterface",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"InstanceId\": \"" INST
                              "\", \"DeviceIndex\": 3}"),
                        "InvalidInstanceID.NotFound");
    done(h);
}

static void
test_detach(void **s)
{
    ec2gw_test_host_t *h = host_eni(ATTACHED_ROW);
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/" SERVER "/os-interface/" PORT, 202, NULL);
    /* Neutron frees the port a moment later: polled until it does */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_attached.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    m = ok(h, "DetachNetworkInterface", "{\"AttachmentId\": \"eni-attach-0000e0e1\"}");
    assert_true(json_is_true(json_object_get(m, "Return")));
    json_decref(m);
    assert_true(ec2gw_test_clock_ms(h) >= 500);
    /* the row forgot the attachment */
    ec2gw_test_expect(h, "GET", "network", PORTS "*", 200,
                      "{\"ports\": [{\"id\": \"" PORT "\", \"device_id\": \"\", \"device_owner\": "
                      "\"\", \"fixed_ips\": [{\"subnet_id\": \"" SUB "\", \"ip_address\": "
                      "\"10.77.0.10\"}]}]}");
    ec2gw_test_expect(h, "GET", "network", FIPS, 200, "{\"floatingips\": []}");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_all.json");
    m = ok(h, "DescribeNetworkInterfaces",
           "{\"Filters\": [{\"Name\": \"attachment.device-index\", \"Values\": [\"1\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 0);
    json_decref(m);
    done(h);
}

static void
test_detach_refused(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");

    (void)s;
    /* the instance's own interface (index 0) */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" NOVA_PORT, 200,
                      "{\"port\": {\"id\": \"" NOVA_PORT "\", \"device_id\": \"" SERVER
                      "\", \"device_owner\": \"compute:nova\"}}");
    assert_string_equal(
        fails(h, "DetachNetworkInterface", "{\"AttachmentId\": \"eni-attach-0000e0e2\"}"),
        "OperationNotPermitted");
    /* not attached */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_detached.json");
    assert_string_equal(
        fails(h, "DetachNetworkInterface", "{\"AttachmentId\": \"eni-attach-0000e0e1\"}"),
        "InvalidAttachmentID.NotFound");
    assert_string_equal(
        fails(h, "DetachNetworkInterface", "{\"AttachmentId\": \"eni-attach-0badbad0\"}"),
        "InvalidAttachmentID.NotFound");
    assert_string_equal(fails(h, "DetachNetworkInterface", "{\"AttachmentId\": \"" ENI "\"}"),
                        "InvalidAttachmentID.Malformed");
    assert_null(call_to(h, "DELETE", "/servers/"));
    done(h);
}

/* The port Nova made with an instance has no row: its subnet's row gives it its VPC. */
static void
test_nova_port(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" NOVA_PORT, 200,
                      "{\"port\": {\"id\": \"" NOVA_PORT "\", \"device_id\": \"" SERVER
                      "\", \"device_owner\": \"compute:nova\", \"fixed_ips\": [{\"subnet_id\": "
                      "\"" SUB "\", \"ip_address\": \"10.77.0.140\"}]}}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" NOVA_PORT, 200, "{\"port\": {}}");
    m = ok(h, "ModifyNetworkInterfaceAttribute",
           "{\"NetworkInterfaceId\": \"" NOVA_ENI "\", \"Groups\": [\"" SG_WEB "\"]}");
    json_decref(m);
    body = json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body");
    assert_true(
        ec2gw_test_json_equal(h, body, "{\"port\": {\"security_groups\": [\"" OS_SG_WEB "\"]}}"));
    /* and it cannot be turned into a kept interface: Nova deletes it with the server */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" NOVA_PORT, 200,
                      "{\"port\": {\"id\": \"" NOVA_PORT "\", \"device_id\": \"" SERVER
                      "\", \"device_owner\": \"compute:nova\", \"fixed_ips\": [{\"subnet_id\": "
                      "\"" SUB "\", \"ip_address\": \"10.77.0.140\"}]}}");
    assert_string_equal(fails(h, "ModifyNetworkInterfaceAttribute",
                              "{\"NetworkInterfaceId\": \"" NOVA_ENI "\", \"Attachment\": "
                              "{\"AttachmentId\": \"eni-attach-0000e0e2\", "
                              "\"DeleteOnTermination\": false}}"),
                        "UnsupportedOperation");
    done(h);
}

/* -- private addresses ------------------------------------------------------------------ */

static void
test_assign(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");
    const json_t *body;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    m = ok(h, "AssignPrivateIpAddresses",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": [\"10.77.0.20\"]}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"NetworkInterfaceId\": \"" ENI "\", "
                                      "\"AssignedPrivateIpAddresses\": [{\"PrivateIpAddress\": "
                                      "\"10.77.0.20\"}]}"));
    json_decref(m);
    body = json_object_get(json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body"), "port");
    assert_true(ec2gw_test_json_equal(h, json_object_get(body, "fixed_ips"),
                                      "[{\"subnet_id\": \"" SUB "\", \"ip_address\": "
                                      "\"10.77.0.10\"}, {\"subnet_id\": \"" SUB "\", "
                                      "\"ip_address\": \"10.77.0.230\"}, {\"subnet_id\": \"" SUB
                                      "\", \"ip_address\": \"10.77.0.20\"}]"));
    /* by count */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    m = ok(h, "AssignPrivateIpAddresses",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"SecondaryPrivateIpAddressCount\": 1}");
    assert_int_equal(json_array_size(json_object_get(m, "AssignedPrivateIpAddresses")), 1);
    json_decref(m);
    /* refused */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 409, "err_in_use.json");
    assert_string_equal(fails(h, "AssignPrivateIpAddresses",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": "
                              "[\"10.77.0.99\"], \"AllowReassignment\": true}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "AllowReassignment"));
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 409, "err_no_free.json");
    assert_string_equal(fails(h, "AssignPrivateIpAddresses",
                              "{\"NetworkInterfaceId\": \"" ENI "\", "
                              "\"SecondaryPrivateIpAddressCount\": 5}"),
                        "InsufficientFreeAddressesInSubnet");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    assert_string_equal(fails(h, "AssignPrivateIpAddresses",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": "
                              "[\"10.77.0.230\"]}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "AssignPrivateIpAddresses",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": "
                              "[\"10.77.0.21\"], \"SecondaryPrivateIpAddressCount\": 1}"),
                        "InvalidParameterCombination");
    assert_string_equal(
        fails(h, "AssignPrivateIpAddresses", "{\"NetworkInterfaceId\": \"" ENI "\"}"),
        "MissingParameter");
    done(h);
}

static void
test_unassign(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");
    const json_t *body;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    assert_string_equal(fails(h, "UnassignPrivateIpAddresses",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": "
                              "[\"10.77.0.10\"]}"),
                        "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "primary"));
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    assert_string_equal(fails(h, "UnassignPrivateIpAddresses",
                              "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": "
                              "[\"10.77.0.99\"]}"),
                        "InvalidParameterValue");
    /* the Elastic IP is on the primary: left alone */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "&port_id=" PORT, 200, "fips_port.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    m = ok(h, "UnassignPrivateIpAddresses",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": [\"10.77.0.20\"]}");
    json_decref(m);
    assert_null(call_to(h, "PUT", "/v2.0/floatingips/"));
    body = json_object_get(json_object_get(call_to(h, "PUT", "/v2.0/ports/"), "body"), "port");
    assert_true(ec2gw_test_json_equal(h, json_object_get(body, "fixed_ips"),
                                      "[{\"subnet_id\": \"" SUB "\", \"ip_address\": "
                                      "\"10.77.0.10\"}, {\"subnet_id\": \"" SUB "\", "
                                      "\"ip_address\": \"10.77.0.230\"}]"));
    /* an Elastic IP on the address that goes is disassociated first */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "&port_id=" PORT, 200,
                      "{\"floatingips\": [{\"id\": \"" FIP "\", \"floating_ip_address\": "
                      "\"203.0.113.17\", \"port_id\": \"" PORT "\", \"fixed_ip_address\": "
                      "\"10.77.0.230\"}]}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/floatingips/" FIP, 200, "{\"floatingip\": {}}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    m = ok(h, "UnassignPrivateIpAddresses",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": [\"10.77.0.230\"]}");
    json_decref(m);
    body = json_object_get(json_object_get(call_to(h, "PUT", "/v2.0/floatingips/"), "body"),
                           "floatingip");
    assert_true(json_is_null(json_object_get(body, "port_id")));
    done(h);
}

/* A route sends 0.0.0.0/0 to the ENI: after its addresses changed the VPC's subnets are
 * re-projected (vpc-rtb's neutron_rtb_sync), their next hop the ENI's primary address. */
static void
test_routes_follow(void **s)
{
    ec2gw_test_host_t *h = host_eni(ENI_ROW "}");
    const json_t *put;
    char *routes;
    json_t *m;

    (void)s;
    assert_int_equal(ec2gw_test_put_item(h, "rtb-0000e0b1", NULL,
                                         "{\"vpc_id\": \"" VPC "\", \"routes\": ["
                                         "{\"destination_cidr_block\": \"10.77.0.0/16\", "
                                         "\"gateway_id\": \"local\"}, "
                                         "{\"destination_cidr_block\": \"0.0.0.0/0\", "
                                         "\"network_interface_id\": \"" ENI "\"}]}"),
                     0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports/" PORT, 200, "port_assigned.json");
    ec2gw_test_expect(h, "GET", "network", FIPS "&port_id=" PORT, 200, "{\"floatingips\": []}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_sdc_off.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                      "{\"subnets\": [{\"id\": \"" SUB "\", \"cidr\": \"10.77.0.0/24\", "
                      "\"gateway_ip\": \"10.77.0.1\", \"host_routes\": []}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "port_list_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB, 200, "{\"subnet\": {}}");
    m = ok(h, "UnassignPrivateIpAddresses",
           "{\"NetworkInterfaceId\": \"" ENI "\", \"PrivateIpAddresses\": [\"10.77.0.20\"]}");
    json_decref(m);
    put = json_object_get(json_object_get(call_to(h, "PUT", "/v2.0/subnets/"), "body"), "subnet");
    assert_true(json_is_null(json_object_get(put, "gateway_ip")));
    routes = json_dumps(json_object_get(put, "host_routes"), JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(routes, "{\"destination\":\"0.0.0.0/0\",\"nexthop\":\"10.77.0.10\"}"));
    free(routes);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_create_groups),
        cmocka_unit_test(test_create_no_default_group),
        cmocka_unit_test(test_create_addresses),
        cmocka_unit_test(test_create_neutron_refuses),
        cmocka_unit_test(test_create_lost_answer),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_describe_filters),
        cmocka_unit_test(test_describe_ids),
        cmocka_unit_test(test_describe_paging),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_delete_refused),
        cmocka_unit_test(test_describe_attribute),
        cmocka_unit_test(test_modify_attribute),
        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_attach_refused),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_detach_refused),
        cmocka_unit_test(test_nova_port),
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_unassign),
        cmocka_unit_test(test_routes_follow),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
