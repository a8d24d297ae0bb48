/*
 * test_nova_vpc.c - the compute side of the VPC family (issue 13) through the fake host: the
 * network plugin's items (subnet, eni, sg, vpc rows as neutron-v2.0 writes them) give
 * DescribeInstances its VpcId and the vpc-id filters, and RunInstances its subnet's VPC, the
 * VPC's groups and the default subnet. Neutron answers have the shape of the real cloud's.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include <ec2gw/testing.h>

/* These tests script the uncached DescribeInstances (every read lists the servers); the
 * server cache has its own tests (test_nova_sync.c). */
#define NOVA_UNCACHED "{\"describe_staleness\": \"0\"}"

#define IMG         "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"
#define SRV_VPC     "11111111-9693-431b-8298-b2d9cf86b5cf"
#define SRV_CLASSIC "22222222-9693-431b-8298-b2d9cf86b5cf"
#define VPC         "vpc-0000000b"
#define VPC2        "vpc-0000000e"
#define SUBNET      "subnet-0000000a"
#define SUBNET2     "subnet-0000000d"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, NOVA_UNCACHED);

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    /* the rows neutron-v2.0 writes for two VPCs, a subnet in each, their groups */
    assert_int_equal(ec2gw_test_put_item(h, VPC, "router-1",
                                         "{\"cidr_block\": \"10.1.0.0/16\", "
                                         "\"is_default\": false}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, VPC2, "router-2",
                                         "{\"cidr_block\": \"172.31.0.0/16\", "
                                         "\"is_default\": true}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SUBNET, "os-sub-1",
                                         "{\"vpc_id\": \"" VPC "\", \"os_network_id\": \"net-1\", "
                                         "\"availability_zone\": \"nova\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SUBNET2, "os-sub-2",
                                         "{\"vpc_id\": \"" VPC2 "\", \"os_network_id\": \"net-2\", "
                                         "\"availability_zone\": \"nova\", \"default_for_az\": "
                                         "true}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, "sg-0000000c", "os-sg-default",
                                         "{\"vpc_id\": \"" VPC "\", \"group_name\": \"default\"}"),
                     0);
    assert_int_equal(
        ec2gw_test_put_item(h, "sg-0000001c", "os-sg-web", "{\"vpc_id\": \"" VPC "\"}"), 0);
    assert_int_equal(
        ec2gw_test_put_item(h, "sg-0000002c", "os-sg-other", "{\"vpc_id\": \"" VPC2 "\"}"), 0);
    assert_int_equal(ec2gw_test_put_item(h, "sg-0000003c", "os-sg-default2",
                                         "{\"vpc_id\": \"" VPC2 "\", \"group_name\": \"default\"}"),
                     0);
    assert_int_equal(ec2gw_test_map_id(h, "ami-00000001", IMG), 0);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* Neutron's groups as GET /v2.0/security-groups?fields=id&fields=name lists them. */
#define GROUPS                                                                                   \
    "{\"security_groups\": [{\"id\": \"os-sg-default\", \"name\": \"default-vpc-0000000b\"}, "   \
    "{\"id\": \"os-sg-web\", \"name\": \"web\"}, {\"id\": \"os-sg-other\", \"name\": \"web\"}, " \
    "{\"id\": \"os-sg-default2\", \"name\": \"default-vpc-0000000e\"}, {\"id\": "                \
    "\"os-sg-classic\", \"name\": \"default\"}]}"

static void
expect_describe(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
                      "{\"servers\": [{\"id\": \"" SRV_VPC "\", \"name\": \"a\", \"status\": "
                      "\"ACTIVE\", \"created\": \"2026-12-02T10:00:00Z\"}, {\"id\": \"" SRV_CLASSIC
                      "\", \"name\": \"b\", \"status\": \"ACTIVE\", \"created\": "
                      "\"2026-12-02T10:00:01Z\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200, GROUPS);
    ec2gw_test_expect(
        h, "GET", "network", "/v2.0/ports?*", 200,
        "{\"ports\": [{\"id\": \"port-1\", \"device_id\": \"" SRV_VPC "\", \"mac_address\": "
        "\"fa:16:3e:00:00:01\", \"fixed_ips\": [{\"subnet_id\": \"os-sub-1\", \"ip_address\": "
        "\"10.1.0.5\"}], \"security_groups\": [\"os-sg-default\"], \"allowed_address_pairs\": [], "
        "\"description\": \"\", \"created_at\": \"2026-12-02T10:00:02Z\"}, {\"id\": \"port-2\", "
        "\"device_id\": \"" SRV_CLASSIC "\", \"mac_address\": \"fa:16:3e:00:00:02\", "
        "\"fixed_ips\": [{\"subnet_id\": \"os-sub-classic\", \"ip_address\": \"10.0.0.9\"}], "
        "\"security_groups\": [\"os-sg-classic\"], \"allowed_address_pairs\": [], "
        "\"description\": \"\", \"created_at\": \"2026-12-02T10:00:03Z\"}]}");
}

/* The instances of a DescribeInstances answer, by server name order (borrowed from @p m). */
static const json_t *
instance(const json_t *m, size_t i)
{
    const json_t *res, *it;
    size_t r, j, k = 0;

    json_array_foreach(json_object_get(m, "Reservations"), r, res)
        json_array_foreach(json_object_get(res, "Instances"), j, it) if (k++ == i) return it;
    return NULL;
}

static size_t
count(const json_t *m)
{
    size_t n = 0;

    while (instance(m, n) != NULL)
        n++;
    return n;
}

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void
test_describe_vpc(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *a, *b, *nic;
    json_t *m;

    (void)s;
    expect_describe(h);
    m = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(m);
    assert_int_equal(count(m), 2);
    a = instance(m, 0);
    b = instance(m, 1);
    if (strcmp(str(a, "PrivateIpAddress"), "10.1.0.5") != 0) {
        const json_t *t = a;

        a = b;
        b = t;
    }
    /* in the VPC: VpcId and SubnetId on the instance and its interface */
    assert_string_equal(str(a, "VpcId"), VPC);
    assert_string_equal(str(a, "SubnetId"), SUBNET);
    nic = json_array_get(json_object_get(a, "NetworkInterfaces"), 0);
    assert_string_equal(str(nic, "VpcId"), VPC);
    assert_string_equal(str(nic, "SubnetId"), SUBNET);
    /* the VPC's default group under its EC2 name, not Neutron's default-vpc-... */
    assert_string_equal(str(json_array_get(json_object_get(a, "SecurityGroups"), 0), "GroupName"),
                        "default");
    assert_string_equal(str(json_array_get(json_object_get(a, "SecurityGroups"), 0), "GroupId"),
                        "sg-0000000c");
    /* on a classic network: a subnet id, no VPC */
    assert_null(json_object_get(b, "VpcId"));
    assert_non_null(str(b, "SubnetId"));
    assert_null(
        json_object_get(json_array_get(json_object_get(b, "NetworkInterfaces"), 0), "VpcId"));
    json_decref(m);

    /* vpc-id and network-interface.vpc-id filters */
    expect_describe(h);
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"" VPC "\"]}]}");
    assert_non_null(m);
    assert_int_equal(count(m), 1);
    assert_string_equal(str(instance(m, 0), "VpcId"), VPC);
    json_decref(m);
    expect_describe(h);
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"network-interface.vpc-id\", \"Values\": "
                          "[\"vpc-0000*\"]}]}");
    assert_non_null(m);
    assert_int_equal(count(m), 1);
    json_decref(m);
    expect_describe(h);
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"" VPC2 "\"]}]}");
    assert_non_null(m);
    assert_int_equal(count(m), 0);
    json_decref(m);
    done(h);
}

static void
expect_run_resolve(ec2gw_test_host_t *h, int groups)
{
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net-classic\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                      "{\"subnets\": [{\"id\": \"os-sub-1\", \"network_id\": \"net-1\", \"cidr\": "
                      "\"10.1.0.0/24\"}, {\"id\": \"os-sub-2\", \"network_id\": \"net-2\", "
                      "\"cidr\": \"172.31.0.0/20\"}]}");
    if (groups)
        ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200, GROUPS);
}

static const json_t *
last_boot_body(ec2gw_test_host_t *h)
{
    const json_t *calls = ec2gw_test_calls(h), *c, *body = NULL;
    size_t i;

    json_array_foreach(calls, i, c)
    {
        if (strcmp(str(c, "method"), "POST") == 0 && strcmp(str(c, "path"), "/servers") == 0)
            body = json_object_get(json_object_get(c, "body"), "server");
    }
    return body;
}

static size_t
boots(ec2gw_test_host_t *h)
{
    const json_t *c;
    size_t i, n = 0;

    json_array_foreach(ec2gw_test_calls(h), i, c) n += strcmp(str(c, "method"), "POST") == 0;
    return n;
}

/* Run @p params expecting a boot; returns the answer (caller decrefs). */
static json_t *
run_ok(ec2gw_test_host_t *h, int groups, const char *server_id, const char *params)
{
    char body[128];
    json_t *m;

    snprintf(body, sizeof(body), "{\"server\": {\"id\": \"%s\"}}", server_id);
    expect_run_resolve(h, groups);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, body);
    m = ec2gw_test_action(h, "RunInstances", params);
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    return m;
}

static void
test_run_in_subnet(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body, *inst;
    json_t *m;

    (void)s;
    /* SubnetId of a VPC, no group: the VPC's default group, a fixed IP in the subnet */
    m = run_ok(
        h, 1, "s1",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"SubnetId\": \"" SUBNET
        "\", "
        "\"PrivateIpAddress\": \"10.1.0.20\"}");
    body = last_boot_body(h);
    assert_true(ec2gw_test_json_equal(h, json_object_get(body, "networks"),
                                      "[{\"uuid\": \"net-1\", \"fixed_ip\": \"10.1.0.20\"}]"));
    assert_true(ec2gw_test_json_equal(h, json_object_get(body, "security_groups"),
                                      "[{\"name\": \"os-sg-default\"}]"));
    inst = json_array_get(json_object_get(m, "Instances"), 0);
    assert_string_equal(str(inst, "VpcId"), VPC);
    assert_string_equal(str(inst, "SubnetId"), SUBNET);
    json_decref(m);

    /* SecurityGroupId of the same VPC: that group only (no Neutron group list) */
    m = run_ok(
        h, 0, "s2",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"SubnetId\": \"" SUBNET
        "\", "
        "\"SecurityGroupIds\": [\"sg-0000001c\"]}");
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "security_groups"),
                                      "[{\"name\": \"os-sg-web\"}]"));
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "networks"),
                                      "[{\"uuid\": \"net-1\"}]"));

    /* NetworkInterface.0 with a subnet and its groups */
    m = run_ok(h, 0, "s3",
               "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
               "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, "
               "\"SubnetId\": \"" SUBNET "\", \"Groups\": [\"sg-0000001c\"]}]}");
    assert_string_equal(str(json_array_get(json_object_get(m, "Instances"), 0), "VpcId"), VPC);
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "security_groups"),
                                      "[{\"name\": \"os-sg-web\"}]"));
    done(h);
}

static void
test_run_default_subnet(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    /* no subnet asked: the project's default subnet (default_for_az), its VPC's default group */
    m = run_ok(h, 1, "s1", "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\"}");
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "networks"),
                                      "[{\"uuid\": \"net-2\"}]"));
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "security_groups"),
                                      "[{\"name\": \"os-sg-default2\"}]"));
    assert_string_equal(str(json_array_get(json_object_get(m, "Instances"), 0), "VpcId"), VPC2);
    assert_string_equal(str(json_array_get(json_object_get(m, "Instances"), 0), "SubnetId"),
                        SUBNET2);
    json_decref(m);
    /* group names resolve among the default VPC's groups ("web" of VPC2, not of VPC) */
    m = run_ok(h, 1, "s2",
               "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
               "\"SecurityGroups\": [\"web\"]}");
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "security_groups"),
                                      "[{\"name\": \"os-sg-other\"}]"));
    json_decref(m);
    /* a name the default VPC lacks */
    expect_run_resolve(h, 1);
    assert_null(ec2gw_test_action(
        h, "RunInstances",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"SecurityGroups\": "
        "[\"nope\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidGroup.NotFound");
    assert_int_equal(boots(h), 2);
    done(h);
}

static void
test_run_classic(void **s)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, NOVA_UNCACHED);
    json_t *m;

    (void)s;
    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    /* no VPC item at all: the classic network and group names, as before */
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net-classic\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
                          "\"SecurityGroups\": [\"default\"]}");
    assert_non_null(m);
    assert_null(json_object_get(json_array_get(json_object_get(m, "Instances"), 0), "VpcId"));
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "networks"),
                                      "[{\"uuid\": \"net-classic\"}]"));
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "security_groups"),
                                      "[{\"name\": \"default\"}]"));
    done(h);
}

static void
test_run_refused(void **s)
{
    ec2gw_test_host_t *h = host();
    static const struct {
        const char *params, *code;
    } bad[] = {
        /* a group of another VPC */
        { "\"SubnetId\": \"" SUBNET "\", \"SecurityGroupIds\": [\"sg-0000002c\"]",
          "InvalidParameter" },
        { "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, \"SubnetId\": \"" SUBNET
          "\", \"Groups\": [\"sg-0000003c\"]}]",
          "InvalidParameter" },
        /* names with the subnet of a non-default VPC, as AWS refuses them */
        { "\"SubnetId\": \"" SUBNET "\", \"SecurityGroups\": [\"web\"]",
          "InvalidParameterCombination" },
        /* interfaces in two VPCs */
        { "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, \"SubnetId\": \"" SUBNET
          "\"}, {\"DeviceIndex\": 1, \"SubnetId\": \"" SUBNET2 "\"}]",
          "InvalidParameterValue" },
    };
    char params[512];
    size_t i;

    (void)s;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(params, sizeof(params),
                 "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", %s}",
                 bad[i].params);
        assert_null(ec2gw_test_action(h, "RunInstances", params));
        if (strcmp(ec2gw_test_last_error(h), bad[i].code) != 0)
            fail_msg("case %zu: got %s (%s), want %s", i, ec2gw_test_last_error(h),
                     ec2gw_test_last_error_message(h), bad[i].code);
    }
    /* nothing was asked of OpenStack: refused before any call */
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 0);
    done(h);
}

/* What a launch into the public-IP subnet asks before booting; @p gateway: the router's. */
static void
expect_pip_resolve(ec2gw_test_host_t *h, const char *gateway)
{
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200, "{\"networks\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                      "{\"subnets\": [{\"id\": \"os-sub-1b\", \"network_id\": \"net-1b\", "
                      "\"cidr\": \"10.1.1.0/24\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200, GROUPS);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/routers/router-1", 200, gateway);
}

#define GATEWAY                                                                        \
    "{\"router\": {\"id\": \"router-1\", \"external_gateway_info\": {\"network_id\": " \
    "\"ext-net\"}}}"

/* The body of the last call @p method @p path_prefix (borrowed), or NULL. */
static const json_t *
last_call(ec2gw_test_host_t *h, const char *method, const char *path_prefix)
{
    const json_t *c, *found = NULL;
    size_t i;

    json_array_foreach(ec2gw_test_calls(h), i, c)
    {
        if (strcmp(str(c, "method"), method) == 0 &&
            strncmp(str(c, "path"), path_prefix, strlen(path_prefix)) == 0)
            found = c;
    }
    return found;
}

static size_t
calls_of(ec2gw_test_host_t *h, const char *method, const char *path_prefix)
{
    const json_t *c;
    size_t i, n = 0;

    json_array_foreach(ec2gw_test_calls(h), i, c) n +=
        strcmp(str(c, "method"), method) == 0 &&
        strncmp(str(c, "path"), path_prefix, strlen(path_prefix)) == 0;
    return n;
}

static void
test_run_map_public_ip(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *fip;
    const char *iid;
    char want[160];
    json_t *m, *t;

    (void)s;
    ec2gw_test_put_item(h, "subnet-0000000f", "os-sub-1b",
                        "{\"vpc_id\": \"" VPC "\", \"map_public_ip_on_launch\": true}");
    /* the subnet maps a public IP: once Nova made the port (second look), a floating IP on
     * the router's gateway network is associated with it */
    expect_pip_resolve(h, GATEWAY);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*&device_id=s1", 200, "{\"ports\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*&device_id=s1", 200,
                      "{\"ports\": [{\"id\": \"port-s1\", \"device_id\": \"s1\", "
                      "\"fixed_ips\": [{\"subnet_id\": \"os-sub-1b\", \"ip_address\": "
                      "\"10.1.1.5\"}]}]}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201,
                      "{\"floatingip\": {\"id\": \"fip-1\", \"floating_ip_address\": "
                      "\"172.24.4.10\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
                          "\"SubnetId\": \"subnet-0000000f\"}");
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    iid = str(json_array_get(json_object_get(m, "Instances"), 0), "InstanceId");
    assert_non_null(iid);
    assert_string_equal(str(json_array_get(json_object_get(m, "Instances"), 0), "PublicIpAddress"),
                        "172.24.4.10");
    fip = json_object_get(json_object_get(last_call(h, "POST", "/v2.0/floatingips"), "body"),
                          "floatingip");
    snprintf(want, sizeof(want),
             "{\"floating_network_id\": \"ext-net\", \"port_id\": \"port-s1\", "
             "\"description\": \"ec2gw-public-ip %s\"}",
             iid);
    assert_true(ec2gw_test_json_equal(h, fip, want));
    assert_true(ec2gw_test_clock_ms(h) >= 1000); /* the second look came on a timer */

    /* TerminateInstances releases it (found by its description) */
    ec2gw_test_expect(h, "GET", "compute", "/servers/s1", 200,
                      "{\"server\": {\"id\": \"s1\", \"OS-EXT-STS:vm_state\": \"active\"}}");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/s1", 204, NULL);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=ec2gw-public-ip%20i-*",
                      200, "{\"floatingips\": [{\"id\": \"fip-1\"}]}");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/fip-1", 204, NULL);
    snprintf(want, sizeof(want), "{\"InstanceIds\": [\"%s\"]}", iid);
    t = ec2gw_test_action(h, "TerminateInstances", want);
    assert_non_null(t);
    json_decref(t);
    json_decref(m);
    assert_non_null(last_call(h, "DELETE", "/v2.0/floatingips/fip-1"));

    /* two instances: one port list for both, one floating IP each */
    expect_pip_resolve(h, GATEWAY);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s2\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s3\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*&device_id=s2&device_id=s3", 200,
                      "{\"ports\": [{\"id\": \"port-s3\", \"device_id\": \"s3\", "
                      "\"fixed_ips\": [{\"ip_address\": \"10.1.1.7\"}]}, {\"id\": \"port-s2\", "
                      "\"device_id\": \"s2\", \"fixed_ips\": [{\"ip_address\": \"10.1.1.8\"}]}]}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201,
                      "{\"floatingip\": {\"id\": \"fip-2\", \"floating_ip_address\": "
                      "\"172.24.4.12\"}}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 201,
                      "{\"floatingip\": {\"id\": \"fip-3\", \"floating_ip_address\": "
                      "\"172.24.4.13\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 2, \"MaxCount\": 2, "
                          "\"SubnetId\": \"subnet-0000000f\"}");
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    {
        const json_t *c, *list = json_object_get(m, "Instances");
        size_t i, posts = 0;

        assert_int_equal(json_array_size(list), 2);
        assert_non_null(str(json_array_get(list, 0), "PublicIpAddress"));
        assert_non_null(str(json_array_get(list, 1), "PublicIpAddress"));
        assert_string_not_equal(str(json_array_get(list, 0), "PublicIpAddress"),
                                str(json_array_get(list, 1), "PublicIpAddress"));
        /* each port got one floating IP */
        json_array_foreach(ec2gw_test_calls(h), i, c)
        {
            const json_t *f = json_object_get(json_object_get(c, "body"), "floatingip");

            if (f != NULL && strcmp(str(c, "method"), "POST") == 0 &&
                (strcmp(str(f, "port_id"), "port-s2") == 0 ||
                 strcmp(str(f, "port_id"), "port-s3") == 0))
                posts++;
        }
        assert_int_equal(posts, 2);
    }
    json_decref(m);

    /* AssociatePublicIpAddress=false overrides the subnet: no router asked, no floating IP */
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200, "{\"networks\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                      "{\"subnets\": [{\"id\": \"os-sub-1b\", \"network_id\": \"net-1b\", "
                      "\"cidr\": \"10.1.1.0/24\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200, GROUPS);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s4\"}}");
    m = ec2gw_test_action(
        h, "RunInstances",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"NetworkInterfaces\": "
        "[{\"DeviceIndex\": 0, \"SubnetId\": \"subnet-0000000f\", "
        "\"AssociatePublicIpAddress\": false}]}");
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    assert_null(
        json_object_get(json_array_get(json_object_get(m, "Instances"), 0), "PublicIpAddress"));
    json_decref(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(last_boot_body(h), "networks"),
                                      "[{\"uuid\": \"net-1b\"}]"));
    assert_int_equal(calls_of(h, "POST", "/v2.0/floatingips"), 3);
    done(h);
}

static void
test_run_public_ip_failures(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_put_item(h, "subnet-0000000f", "os-sub-1b",
                        "{\"vpc_id\": \"" VPC "\", \"map_public_ip_on_launch\": true}");
    /* the VPC has no internet gateway: refused before any boot */
    expect_pip_resolve(h, "{\"router\": {\"id\": \"router-1\", \"external_gateway_info\": null}}");
    assert_null(ec2gw_test_action(
        h, "RunInstances",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"SubnetId\": "
        "\"subnet-0000000f\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterCombination");
    assert_int_equal(calls_of(h, "POST", "/servers"), 0);
    /* AssociatePublicIpAddress outside a VPC subnet, or with two interfaces */
    assert_null(ec2gw_test_action(
        h, "RunInstances",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"NetworkInterfaces\": "
        "[{\"DeviceIndex\": 0, \"AssociatePublicIpAddress\": true}]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterCombination");
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": "
                                  "\"ami-00000001\", \"NetworkInterfaces\": [{\"DeviceIndex\": 0, "
                                  "\"SubnetId\": \"" SUBNET
                                  "\", \"AssociatePublicIpAddress\": true}, {\"DeviceIndex\": 1, "
                                  "\"SubnetId\": \"" SUBNET "\"}]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterCombination");

    /* Neutron refuses the floating IP (quota): the one a lost answer may have made and the
     * server are deleted, then AddressLimitExceeded */
    expect_pip_resolve(h, GATEWAY);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s2\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200,
                      "{\"ports\": [{\"id\": \"port-s2\", \"device_id\": \"s2\", "
                      "\"fixed_ips\": [{\"ip_address\": \"10.1.1.6\"}]}]}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/floatingips", 409, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=ec2gw-public-ip%20i-*",
                      200, "{\"floatingips\": [{\"id\": \"fip-lost\"}]}");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/floatingips/fip-lost", 204, NULL);
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/s2", 204, NULL);
    assert_null(ec2gw_test_action(
        h, "RunInstances",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"SubnetId\": "
        "\"subnet-0000000f\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "AddressLimitExceeded");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);

    /* Nova never makes the port before the request's deadline: everything undone */
    ec2gw_test_set_deadline(h, ec2gw_test_clock_ms(h) + 2500);
    expect_pip_resolve(h, GATEWAY);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s3\"}}");
    for (int i = 0; i < 3; i++)
        ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{\"ports\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=*", 200,
                      "{\"floatingips\": []}");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/s3", 204, NULL);
    assert_null(ec2gw_test_action(
        h, "RunInstances",
        "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", \"SubnetId\": "
        "\"subnet-0000000f\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    assert_int_equal(calls_of(h, "POST", "/v2.0/floatingips"), 1);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_vpc),
        cmocka_unit_test(test_run_in_subnet),
        cmocka_unit_test(test_run_default_subnet),
        cmocka_unit_test(test_run_classic),
        cmocka_unit_test(test_run_refused),
        cmocka_unit_test(test_run_map_public_ip),
        cmocka_unit_test(test_run_public_ip_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
