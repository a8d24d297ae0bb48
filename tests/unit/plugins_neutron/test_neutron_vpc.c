/*
 * test_neutron_vpc.c - vpc-core of neutron-v2.0 (VPCs, internet gateways, subnets, security
 * groups in a VPC, the default VPC) through the fake host, with Neutron answers recorded from
 * the all-in-one cloud by fixtures/vpc/record.py (the OverQuota and 500 bodies are Neutron's
 * error format written by hand). Every compensation path: what was made is deleted again.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include <ec2gw/testing.h>

/* fixtures/vpc: the objects record.py made */
#define ROUTER  "820ab61e-a78f-428f-8d40-1a57d4c2f393"
#define SG      "7dce9524-8f26-447e-9452-9cb9d3712c6f"
#define NET     "22daf220-0810-4d60-852c-525aa7d670b3"
#define SUBNET  "443bd4bf-7be2-432d-b757-a4eab5e1fe3c"
#define EXT_NET "27381e4c-fec0-4622-b3ba-9aed7bafc9db"
#define QUOTA                                                                                    \
    "{\"NeutronError\": {\"type\": \"OverQuota\", \"message\": \"Quota exceeded for resources: " \
    "['router'].\", \"detail\": \"\"}}"
#define BROKEN                                                                                   \
    "{\"NeutronError\": {\"type\": \"HTTPInternalServerError\", \"message\": \"Request Failed: " \
    "internal server error while processing your request.\", \"detail\": \"\"}}"
/* the routes projection of vpc-rtb reads the VPC's subnets after a change */
#define SUBNETS_SYNC "/v2.0/subnets?id=*gateway_ip*"

static ec2gw_test_host_t *
host(const char *settings)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NEUTRON_SO, settings != NULL ? settings : "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR "/vpc");
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

static const json_t *
call_n(ec2gw_test_host_t *h, size_t back)
{
    const json_t *c = ec2gw_test_calls(h);

    return json_array_get(c, json_array_size(c) - 1 - back);
}

static size_t
n_calls(ec2gw_test_host_t *h)
{
    return json_array_size(ec2gw_test_calls(h));
}

static char *
fmt(const char *f, ...)
{
    static char buf[4][1024];
    static int k;
    va_list ap;

    k = (k + 1) % 4;
    va_start(ap, f);
    vsnprintf(buf[k], sizeof(buf[k]), f, ap);
    va_end(ap);
    return buf[k];
}

/* CreateVpc answered by the recorded router, group and rule; returns the vpc- id (static). */
static const char *
make_vpc(ec2gw_test_host_t *h, const char *cidr)
{
    static char id[64];
    json_t *m;

    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 201, "router_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201, "sg_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-group-rules", 201,
                      "sg_rule_created.json");
    m = ok(h, "CreateVpc", fmt("{\"CidrBlock\": \"%s\"}", cidr));
    snprintf(id, sizeof(id), "%s", str(json_object_get(m, "Vpc"), "VpcId"));
    json_decref(m);
    return id;
}

/* -- VPCs ----------------------------------------------------------------------------------- */

static void
vpc_create_describe_delete(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    json_t *m, *v;
    const json_t *body;
    const char *id;

    (void)state;
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 201, "router_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201, "sg_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-group-rules", 201,
                      "sg_rule_created.json");
    m = ok(h, "CreateVpc",
           "{\"CidrBlock\": \"10.99.7.1/16\", \"TagSpecifications\": [{\"ResourceType\": \"vpc\","
           " \"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]}");
    v = json_object_get(m, "Vpc");
    id = str(v, "VpcId");
    assert_int_equal(strncmp(id, "vpc-", 4), 0);
    /* host bits cleared, as AWS answers */
    assert_string_equal(str(v, "CidrBlock"), "10.99.0.0/16");
    assert_string_equal(str(v, "State"), "available");
    assert_string_equal(str(v, "DhcpOptionsId"), "default");
    assert_false(json_is_true(json_object_get(v, "IsDefault")));
    assert_string_equal(str(json_array_get(json_object_get(v, "Tags"), 0), "Value"), "web");
    /* the router is named after the VPC; the default group "default-<vpc>" lets itself in */
    body = json_object_get(call_n(h, 2), "body");
    assert_string_equal(str(json_object_get(body, "router"), "name"), id);
    body = json_object_get(call_n(h, 1), "body");
    assert_string_equal(str(json_object_get(body, "security_group"), "name"),
                        fmt("default-%s", id));
    body = json_object_get(json_object_get(call_n(h, 0), "body"), "security_group_rule");
    assert_string_equal(str(body, "remote_group_id"), SG);
    assert_string_equal(str(body, "direction"), "ingress");
    id = strdup(id);
    json_decref(m);

    /* DescribeVpcs: from the database alone, with filters */
    m = ok(h, "DescribeVpcs", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 1);
    v = json_array_get(json_object_get(m, "Vpcs"), 0);
    assert_string_equal(str(v, "VpcId"), id);
    assert_string_equal(str(json_array_get(json_object_get(v, "Tags"), 0), "Key"), "Name");
    json_decref(m);
    m = ok(h, "DescribeVpcs",
           "{\"Filters\": [{\"Name\": \"cidr-block-association.cidr-block\", \"Values\":"
           " [\"10.99.0.0/16\"]}, {\"Name\": \"is-default\", \"Values\": [\"false\"]},"
           " {\"Name\": \"tag:Name\", \"Values\": [\"w*\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 1);
    json_decref(m);
    m = ok(h, "DescribeVpcs",
           "{\"Filters\": [{\"Name\": \"cidr\", \"Values\": [\"10.1.0.0/16\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 0);
    json_decref(m);
    assert_string_equal(fails(h, "DescribeVpcs", "{\"VpcIds\": [\"vpc-12345678\"]}"),
                        "InvalidVpcID.NotFound");
    assert_string_equal(fails(h, "DescribeVpcs",
                              "{\"Filters\": [{\"Name\": \"bogus\","
                              " \"Values\": [\"x\"]}]}"),
                        "InvalidParameterValue");
    assert_int_equal(n_calls(h), 3);

    /* DeleteVpc: the default group, then the router; the rows go */
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" SG, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    m = ok(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", id));
    json_decref(m);
    assert_string_equal(fails(h, "DescribeVpcs", fmt("{\"VpcIds\": [\"%s\"]}", id)),
                        "InvalidVpcID.NotFound");
    assert_string_equal(fails(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", id)),
                        "InvalidVpcID.NotFound");
    assert_string_equal(fails(h, "DeleteVpc", "{\"VpcId\": \"subnet-12345678\"}"),
                        "InvalidVpcID.Malformed");
    free((char *)id);
    done(h);
}

static void
vpc_create_bad_params(void **state)
{
    ec2gw_test_host_t *h = host(NULL);

    (void)state;
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.0.0.0/8\"}"),
                        "InvalidVpc.Range");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "CidrBlock"));
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.0.0.0/29\"}"),
                        "InvalidVpc.Range");
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.0.300.0/16\"}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.0.0.0\"}"),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateVpc", "{}"), "MissingParameter");
    assert_string_equal(fails(h, "CreateVpc",
                              "{\"CidrBlock\": \"10.0.0.0/16\","
                              " \"AmazonProvidedIpv6CidrBlock\": true}"),
                        "UnsupportedOperation");
    assert_string_equal(
        fails(h, "CreateVpc",
              "{\"CidrBlock\": \"10.0.0.0/16\", \"TagSpecifications\": [{\"ResourceType\":"
              " \"subnet\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}]}"),
        "InvalidParameterValue");
    assert_string_equal(
        fails(h, "CreateVpc",
              "{\"CidrBlock\": \"10.0.0.0/16\", \"TagSpecifications\": [{\"ResourceType\":"
              " \"vpc\", \"Tags\": [{\"Key\": \"aws:x\", \"Value\": \"b\"}]}]}"),
        "InvalidParameterValue");
    assert_int_equal(n_calls(h), 0); /* nothing was made */
    done(h);
}

static void
vpc_create_compensation(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    json_t *m;

    (void)state;
    /* the group cannot be made: the router goes again */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 201, "router_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 500, BROKEN);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.99.0.0/16\"}"), "Unavailable");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* the rule cannot be made: group and router go; a 404 in the clean-up is fine */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 201, "router_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201, "sg_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-group-rules", 400, BROKEN);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" SG, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 404,
                      "err_router_not_found.json");
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.99.0.0/16\"}"),
                        "InternalError");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* over quota: nothing was made, VpcLimitExceeded */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 409, QUOTA);
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.99.0.0/16\"}"),
                        "VpcLimitExceeded");
    /* and no row was left behind by any of them */
    m = ok(h, "DescribeVpcs", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 0);
    json_decref(m);
    done(h);
}

/* The router POST's answer is lost (a timeout, a reset): Neutron made the router all the same.
 * It is found by its name (the vpc- id) and deleted; the client gets 503 Unavailable. */
static void
vpc_create_lost_router(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    json_t *m;

    (void)state;
    ec2gw_test_expect_timeout(h, "POST", "network", "/v2.0/routers");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/routers?name=vpc-*&fields=id", 200,
                      "{\"routers\": [{\"id\": \"" ROUTER "\"}]}");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.99.0.0/16\"}"), "Unavailable");
    assert_int_equal(ec2gw_test_last_status(h), 503);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* a 500 before Neutron made anything: looked for, nothing to delete */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 500, BROKEN);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/routers?name=vpc-*&fields=id", 200,
                      "{\"routers\": []}");
    assert_string_equal(fails(h, "CreateVpc", "{\"CidrBlock\": \"10.99.0.0/16\"}"), "Unavailable");
    assert_int_equal(ec2gw_test_last_status(h), 503);
    m = ok(h, "DescribeVpcs", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 0);
    json_decref(m);
    done(h);
}

static void
vpc_attributes(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    const char *id = make_vpc(h, "10.99.0.0/16");
    json_t *m;

    (void)state;
    m = ok(h, "DescribeVpcAttribute",
           fmt("{\"VpcId\": \"%s\", \"Attribute\": \"enableDnsSupport\"}", id));
    assert_true(json_is_true(json_object_get(json_object_get(m, "EnableDnsSupport"), "Value")));
    json_decref(m);
    m = ok(h, "DescribeVpcAttribute",
           fmt("{\"VpcId\": \"%s\", \"Attribute\": \"enableDnsHostnames\"}", id));
    assert_true(json_is_false(json_object_get(json_object_get(m, "EnableDnsHostnames"), "Value")));
    json_decref(m);
    json_decref(ok(h, "ModifyVpcAttribute",
                   fmt("{\"VpcId\": \"%s\", \"EnableDnsHostnames\": {\"Value\": true}}", id)));
    m = ok(h, "DescribeVpcAttribute",
           fmt("{\"VpcId\": \"%s\", \"Attribute\": \"enableDnsHostnames\"}", id));
    assert_true(json_is_true(json_object_get(json_object_get(m, "EnableDnsHostnames"), "Value")));
    json_decref(m);
    /* one at a time; hostnames need DNS support */
    assert_string_equal(fails(h, "ModifyVpcAttribute",
                              fmt("{\"VpcId\": \"%s\", \"EnableDnsHostnames\": {\"Value\": true},"
                                  " \"EnableDnsSupport\": {\"Value\": true}}",
                                  id)),
                        "InvalidParameterCombination");
    json_decref(ok(h, "ModifyVpcAttribute",
                   fmt("{\"VpcId\": \"%s\", \"EnableDnsHostnames\": {\"Value\": false}}", id)));
    json_decref(ok(h, "ModifyVpcAttribute",
                   fmt("{\"VpcId\": \"%s\", \"EnableDnsSupport\": {\"Value\": false}}", id)));
    assert_string_equal(
        fails(h, "ModifyVpcAttribute",
              fmt("{\"VpcId\": \"%s\", \"EnableDnsHostnames\": {\"Value\": true}}", id)),
        "InvalidParameterValue");
    assert_string_equal(
        fails(h, "DescribeVpcAttribute", fmt("{\"VpcId\": \"%s\", \"Attribute\": \"bogus\"}", id)),
        "InvalidParameterValue");
    assert_string_equal(fails(h, "DescribeVpcAttribute",
                              "{\"VpcId\": \"vpc-12345678\", \"Attribute\": \"enableDnsSupport\"}"),
                        "InvalidVpcID.NotFound");
    /* the router's id survived the rewrites of the row: DeleteVpc still finds it */
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" SG, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    json_decref(ok(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", id)));
    done(h);
}

/* -- internet gateways ----------------------------------------------------------------------- */

static void
igw_lifecycle(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    const char *vpc = make_vpc(h, "10.99.0.0/16");
    char igw[64], vpc_id[64];
    const json_t *body;
    json_t *m, *g;

    (void)state;
    snprintf(vpc_id, sizeof(vpc_id), "%s", vpc);
    m = ok(h, "CreateInternetGateway",
           "{\"TagSpecifications\": [{\"ResourceType\": \"internet-gateway\", \"Tags\":"
           " [{\"Key\": \"k\", \"Value\": \"v\"}]}]}");
    g = json_object_get(m, "InternetGateway");
    snprintf(igw, sizeof(igw), "%s", str(g, "InternetGatewayId"));
    assert_int_equal(strncmp(igw, "igw-", 4), 0);
    assert_int_equal(json_array_size(json_object_get(g, "Attachments")), 0);
    json_decref(m);
    assert_int_equal(n_calls(h), 3); /* DB only */

    /* attach: the router's gateway on the external network */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?router%3Aexternal=true*", 200,
                      "networks_ext.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER, 200, "router_gateway_set.json");
    json_decref(ok(h, "AttachInternetGateway",
                   fmt("{\"InternetGatewayId\": \"%s\", \"VpcId\": \"%s\"}", igw, vpc_id)));
    body = json_object_get(json_object_get(call_n(h, 0), "body"), "router");
    assert_string_equal(str(json_object_get(body, "external_gateway_info"), "network_id"), EXT_NET);
    m = ok(h, "DescribeInternetGateways",
           fmt("{\"Filters\": [{\"Name\": \"attachment.vpc-id\", \"Values\": [\"%s\"]}]}", vpc_id));
    g = json_array_get(json_object_get(m, "InternetGateways"), 0);
    assert_string_equal(str(g, "InternetGatewayId"), igw);
    assert_string_equal(str(json_array_get(json_object_get(g, "Attachments"), 0), "State"),
                        "available");
    assert_string_equal(str(json_array_get(json_object_get(g, "Tags"), 0), "Key"), "k");
    json_decref(m);

    /* the rules: attached twice, a second gateway, delete while attached, VPC in use */
    assert_string_equal(
        fails(h, "AttachInternetGateway",
              fmt("{\"InternetGatewayId\": \"%s\", \"VpcId\": \"%s\"}", igw, vpc_id)),
        "Resource.AlreadyAssociated");
    m = ok(h, "CreateInternetGateway", "{}");
    assert_string_equal(
        fails(h, "AttachInternetGateway",
              fmt("{\"InternetGatewayId\": \"%s\", \"VpcId\": \"%s\"}",
                  str(json_object_get(m, "InternetGateway"), "InternetGatewayId"), vpc_id)),
        "InvalidParameterValue");
    json_decref(ok(h, "DeleteInternetGateway",
                   fmt("{\"InternetGatewayId\": \"%s\"}",
                       str(json_object_get(m, "InternetGateway"), "InternetGatewayId"))));
    json_decref(m);
    assert_string_equal(
        fails(h, "DeleteInternetGateway", fmt("{\"InternetGatewayId\": \"%s\"}", igw)),
        "DependencyViolation");
    assert_string_equal(fails(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", vpc_id)),
                        "DependencyViolation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), igw));

    /* detach clears the gateway */
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER, 200,
                      "router_gateway_cleared.json");
    json_decref(ok(h, "DetachInternetGateway",
                   fmt("{\"InternetGatewayId\": \"%s\", \"VpcId\": \"%s\"}", igw, vpc_id)));
    body = json_object_get(json_object_get(call_n(h, 0), "body"), "router");
    assert_int_equal(json_object_size(json_object_get(body, "external_gateway_info")), 0);
    assert_string_equal(
        fails(h, "DetachInternetGateway",
              fmt("{\"InternetGatewayId\": \"%s\", \"VpcId\": \"%s\"}", igw, vpc_id)),
        "Gateway.NotAttached");
    json_decref(ok(h, "DeleteInternetGateway", fmt("{\"InternetGatewayId\": \"%s\"}", igw)));
    assert_string_equal(
        fails(h, "DeleteInternetGateway", fmt("{\"InternetGatewayId\": \"%s\"}", igw)),
        "InvalidInternetGatewayID.NotFound");
    assert_string_equal(
        fails(h, "DescribeInternetGateways", "{\"InternetGatewayIds\": [\"igw-12345678\"]}"),
        "InvalidInternetGatewayID.NotFound");

    /* a refused gateway leaves the row unattached */
    m = ok(h, "CreateInternetGateway", "{}");
    snprintf(igw, sizeof(igw), "%s",
             str(json_object_get(m, "InternetGateway"), "InternetGatewayId"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?router%3Aexternal=true*", 200,
                      "networks_ext.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER, 500, BROKEN);
    fails(h, "AttachInternetGateway",
          fmt("{\"InternetGatewayId\": \"%s\", \"VpcId\": \"%s\"}", igw, vpc_id));
    m = ok(h, "DescribeInternetGateways", fmt("{\"InternetGatewayIds\": [\"%s\"]}", igw));
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(m, "InternetGateways"), 0), "Attachments")),
                     0);
    json_decref(m);
    done(h);
}

/* -- subnets --------------------------------------------------------------------------------- */

/* CreateSubnet 10.99.1.0/24 with the recorded network, subnet and interface; static id. */
static const char *
make_subnet(ec2gw_test_host_t *h, const char *vpc)
{
    static char id[64];
    json_t *m;

    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 201, "network_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/subnets", 201, "subnet_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/add_router_interface", 200,
                      "router_interface_added.json");
    ec2gw_test_expect(h, "GET", "network", SUBNETS_SYNC, 200,
                      "{\"subnets\": [{\"id\": \"" SUBNET "\", \"cidr\": \"10.99.1.0/24\","
                      " \"gateway_ip\": \"10.99.1.1\", \"host_routes\": []}]}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUBNET, 200, "subnet_created.json");
    m = ok(h, "CreateSubnet",
           fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.1.0/24\", \"AvailabilityZone\":"
               " \"nova\", \"TagSpecifications\": [{\"ResourceType\": \"subnet\", \"Tags\":"
               " [{\"Key\": \"tier\", \"Value\": \"web\"}]}]}",
               vpc));
    snprintf(id, sizeof(id), "%s", str(json_object_get(m, "Subnet"), "SubnetId"));
    json_decref(m);
    return id;
}

static void
subnet_create_describe_delete(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    char vpc[64], sub[64];
    const json_t *body, *s;
    json_t *m;

    (void)state;
    snprintf(vpc, sizeof(vpc), "%s", make_vpc(h, "10.99.0.0/16"));
    snprintf(sub, sizeof(sub), "%s", make_subnet(h, vpc));
    assert_int_equal(strncmp(sub, "subnet-", 7), 0);
    /* network and subnet named after the subnet- id; the interface on the VPC's router */
    body = json_object_get(call_n(h, 3), "body");
    assert_string_equal(str(json_object_get(body, "subnet"), "name"), sub);
    assert_string_equal(str(json_object_get(body, "subnet"), "cidr"), "10.99.1.0/24");
    assert_string_equal(str(json_object_get(body, "subnet"), "network_id"), NET);
    body = json_object_get(call_n(h, 4), "body");
    assert_string_equal(str(json_object_get(body, "network"), "name"), sub);
    assert_string_equal(str(json_object_get(call_n(h, 2), "body"), "subnet_id"), SUBNET);

    /* DescribeSubnets: 253 in the pool, one held by a port (the router's .1 is outside it) */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=" SUBNET "*allocation_pools*", 200,
                      "subnets_list.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=" NET "*", 200,
                      "ports_list.json");
    m = ok(h, "DescribeSubnets",
           fmt("{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"%s\"]}]}", vpc));
    s = json_array_get(json_object_get(m, "Subnets"), 0);
    assert_string_equal(str(s, "SubnetId"), sub);
    assert_string_equal(str(s, "VpcId"), vpc);
    assert_string_equal(str(s, "CidrBlock"), "10.99.1.0/24");
    assert_string_equal(str(s, "AvailabilityZone"), "nova");
    assert_int_equal(json_integer_value(json_object_get(s, "AvailableIpAddressCount")), 252);
    assert_false(json_is_true(json_object_get(s, "DefaultForAz")));
    assert_false(json_is_true(json_object_get(s, "MapPublicIpOnLaunch")));
    assert_string_equal(str(json_array_get(json_object_get(s, "Tags"), 0), "Value"), "web");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=" SUBNET "*allocation_pools*", 200,
                      "subnets_list.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=" NET "*", 200,
                      "ports_list.json");
    m = ok(h, "DescribeSubnets",
           "{\"Filters\": [{\"Name\": \"available-ip-address-count\", \"Values\": [\"253\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Subnets")), 0);
    json_decref(m);
    assert_string_equal(fails(h, "DescribeSubnets", "{\"SubnetIds\": [\"subnet-12345678\"]}"),
                        "InvalidSubnetID.NotFound");

    /* ModifySubnetAttribute MapPublicIpOnLaunch is stored */
    json_decref(ok(h, "ModifySubnetAttribute",
                   fmt("{\"SubnetId\": \"%s\", \"MapPublicIpOnLaunch\": {\"Value\": true}}", sub)));
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=*", 200, "subnets_list.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_list.json");
    m = ok(h, "DescribeSubnets",
           "{\"Filters\": [{\"Name\": \"map-public-ip-on-launch\", \"Values\": [\"true\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Subnets")), 1);
    json_decref(m);
    assert_string_equal(
        fails(h, "ModifySubnetAttribute",
              fmt("{\"SubnetId\": \"%s\", \"EnableDns64\": {\"Value\": true}}", sub)),
        "UnsupportedOperation");

    /* the VPC has a subnet: it stays */
    assert_string_equal(fails(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", vpc)),
                        "DependencyViolation");
    /* a port in use keeps the subnet */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?fixed_ips=subnet_id%3D" SUBNET "*", 200,
                      "ports_in_subnet.json");
    assert_string_equal(fails(h, "DeleteSubnet", fmt("{\"SubnetId\": \"%s\"}", sub)),
                        "DependencyViolation");
    /* only the router's port: interface removed, network deleted, row gone */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?fixed_ips=subnet_id%3D" SUBNET "*", 200,
                      "ports_in_subnet_free.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/remove_router_interface", 200,
                      "router_interface_removed.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/networks/" NET, 204, NULL);
    json_decref(ok(h, "DeleteSubnet", fmt("{\"SubnetId\": \"%s\"}", sub)));
    assert_string_equal(fails(h, "DeleteSubnet", fmt("{\"SubnetId\": \"%s\"}", sub)),
                        "InvalidSubnetID.NotFound");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" SG, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    json_decref(ok(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", vpc)));
    done(h);
}

static void
subnet_create_checks(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    char vpc[64];
    size_t before;

    (void)state;
    snprintf(vpc, sizeof(vpc), "%s", make_vpc(h, "10.99.0.0/16"));
    (void)make_subnet(h, vpc);
    before = n_calls(h);
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.98.1.0/24\"}", vpc)),
        "InvalidSubnet.Range");
    assert_string_equal(fails(h, "CreateSubnet",
                              fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.1.128/25\"}", vpc)),
                        "InvalidSubnet.Conflict");
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.0.0/16\"}", vpc)),
        "InvalidSubnet.Conflict");
    assert_string_equal(fails(h, "CreateSubnet",
                              fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.2.0/24\","
                                  " \"AvailabilityZone\": \"elsewhere\"}",
                                  vpc)),
                        "InvalidParameterValue");
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.2.0/29\"}", vpc)),
        "InvalidSubnet.Range");
    assert_string_equal(
        fails(h, "CreateSubnet", "{\"VpcId\": \"vpc-12345678\", \"CidrBlock\": \"10.99.2.0/24\"}"),
        "InvalidVpcID.NotFound");
    assert_string_equal(fails(h, "CreateSubnet", "{\"CidrBlock\": \"10.99.2.0/24\"}"),
                        "MissingParameter");
    assert_int_equal(n_calls(h), before); /* all refused before any call */
    done(h);
}

static void
subnet_create_compensation(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    char vpc[64];
    json_t *m;

    (void)state;
    snprintf(vpc, sizeof(vpc), "%s", make_vpc(h, "10.99.0.0/16"));
    /* Neutron refuses the interface (an overlap it knows of): the network goes again */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 201, "network_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/subnets", 201, "subnet_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/add_router_interface", 400,
                      "err_overlap.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/networks/" NET, 204, NULL);
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.1.0/24\"}", vpc)),
        "InvalidSubnet.Conflict");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "overlaps"));
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* the subnet cannot be made: the network goes again */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 201, "network_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/subnets", 500, BROKEN);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/networks/" NET, 204, NULL);
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.1.0/24\"}", vpc)),
        "Unavailable");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* the attach answers 500 (or never): the interface may exist, so it is removed first */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 201, "network_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/subnets", 201, "subnet_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/add_router_interface", 500,
                      BROKEN);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/remove_router_interface", 200,
                      NULL);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/networks/" NET, 204, NULL);
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.1.0/24\"}", vpc)),
        "Unavailable");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* the network cannot be made: over quota, nothing to undo */
    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 409, QUOTA);
    assert_string_equal(
        fails(h, "CreateSubnet", fmt("{\"VpcId\": \"%s\", \"CidrBlock\": \"10.99.1.0/24\"}", vpc)),
        "SubnetLimitExceeded");
    /* no subnet row survived: the VPC can go */
    m = ok(h, "DescribeSubnets", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Subnets")), 0);
    json_decref(m);
    /* a router Neutron keeps (an interface left behind) keeps the VPC; the retry deletes it */
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" SG, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 409, BROKEN);
    assert_string_equal(fails(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", vpc)),
                        "DependencyViolation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "router"));
    m = ok(h, "DescribeVpcs", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 1);
    json_decref(m);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    json_decref(ok(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", vpc)));
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    m = ok(h, "DescribeVpcs", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 0);
    json_decref(m);
    done(h);
}

/* -- DescribeSubnets / DescribeNetworkInterfaces filter push-down --------------------------- */

/* Two VPCs as the database holds them: A with the recorded subnet (SUBNET on NET, tier=web),
 * B with two subnets (ids made up: Neutron must not be asked about them unless a filter can
 * match them; tier=db on the second, which maps public IPs). */
#define VPC_A                 "vpc-0000a001"
#define VPC_B                 "vpc-0000b001"
#define SUB_A                 "subnet-0000a001"
#define SUB_B1                "subnet-0000b001"
#define SUB_B2                "subnet-0000b002"
#define SUB_C                 "subnet-0000c001"
#define OS_B1                 "0b000001-0000-4000-8000-00000000b001"
#define NET_B1                "0b000001-0000-4000-8000-00000000b0n1"
#define OS_B2                 "0b000002-0000-4000-8000-00000000b002"
#define NET_B2                "0b000002-0000-4000-8000-00000000b0n2"
#define OS_C                  "0c000001-0000-4000-8000-00000000c001"
#define NET_C                 "0c000001-0000-4000-8000-00000000c0n1"
#define SN_Q                  "&fields=id&fields=cidr&fields=allocation_pools"
#define FILTER1(name, values) "{\"Filters\": [{\"Name\": \"" name "\", \"Values\": [" values "]}]}"

static ec2gw_test_host_t *
host_two_vpcs(void)
{
    ec2gw_test_host_t *h = host(NULL);

    assert_int_equal(ec2gw_test_put_item(h, SUB_A, SUBNET,
                                         "{\"vpc_id\": \"" VPC_A "\", \"os_network_id\": \"" NET
                                         "\", \"cidr_block\": \"10.99.1.0/24\", "
                                         "\"availability_zone\": \"nova\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SUB_B1, OS_B1,
                                         "{\"vpc_id\": \"" VPC_B "\", \"os_network_id\": \"" NET_B1
                                         "\", \"cidr_block\": \"10.98.1.0/24\", "
                                         "\"availability_zone\": \"nova\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SUB_B2, OS_B2,
                                         "{\"vpc_id\": \"" VPC_B "\", \"os_network_id\": \"" NET_B2
                                         "\", \"cidr_block\": \"10.98.2.0/24\", "
                                         "\"availability_zone\": \"az2\", "
                                         "\"map_public_ip_on_launch\": true}"),
                     0);
    assert_int_equal(ec2gw_test_set_tags(h, SUB_A, "[{\"Key\": \"tier\", \"Value\": \"web\"}]"), 0);
    assert_int_equal(ec2gw_test_set_tags(h, SUB_B2, "[{\"Key\": \"tier\", \"Value\": \"db\"}]"), 0);
    return h;
}

/* Neutron is asked about the recorded subnet alone (exact paths: one more id would not match). */
static void
expect_subnet_a(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=" SUBNET SN_Q, 200,
                      "subnets_list.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=" NET "&fields=fixed_ips", 200,
                      "ports_list.json");
}

/* The SubnetIds of a DescribeSubnets answer, comma-separated in answer order (static); the
 * number of OpenStack calls it made in *calls. */
static const char *
subnet_ids(ec2gw_test_host_t *h, const char *params, size_t *calls)
{
    static char buf[256];
    size_t before = n_calls(h), i, o = 0;
    const json_t *s;
    json_t *m = ok(h, "DescribeSubnets", params);

    buf[0] = '\0';
    json_array_foreach(json_object_get(m, "Subnets"), i, s) o +=
        (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? "," : "", str(s, "SubnetId"));
    json_decref(m);
    *calls = n_calls(h) - before;
    return buf;
}

/* The path of the last call to @p prefix. */
static const char *
last_path(ec2gw_test_host_t *h, const char *prefix)
{
    const json_t *c, *found = NULL;
    size_t i;

    json_array_foreach(ec2gw_test_calls(h), i,
                       c) if (strncmp(str(c, "path"), prefix, strlen(prefix)) == 0) found = c;
    assert_non_null(found);
    return str(found, "path");
}

static void
subnet_filter_pushdown(void **state)
{
    ec2gw_test_host_t *h = host_two_vpcs();
    size_t calls;
    json_t *m;

    (void)state;
    /* vpc-id of one VPC: only its subnet and its network are read */
    expect_subnet_a(h);
    m = ok(h, "DescribeSubnets", FILTER1("vpc-id", "\"" VPC_A "\""));
    assert_int_equal(json_array_size(json_object_get(m, "Subnets")), 1);
    assert_string_equal(str(json_array_get(json_object_get(m, "Subnets"), 0), "SubnetId"), SUB_A);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(m, "Subnets"), 0),
                                           "AvailableIpAddressCount")),
        252);
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    /* several values ORed */
    expect_subnet_a(h);
    assert_string_equal(subnet_ids(h, FILTER1("vpc-id", "\"vpc-0000ffff\", \"" VPC_A "\""), &calls),
                        SUB_A);
    assert_int_equal(calls, 2);
    /* a filter no row passes: no Neutron call at all */
    assert_string_equal(subnet_ids(h, FILTER1("vpc-id", "\"vpc-0000ffff\""), &calls), "");
    assert_int_equal(calls, 0);
    assert_string_equal(subnet_ids(h, FILTER1("cidr-block", "\"172.*\""), &calls), "");
    assert_int_equal(calls, 0);
    assert_string_equal(subnet_ids(h, FILTER1("availability-zone", "\"az3\""), &calls), "");
    assert_int_equal(calls, 0);
    /* filters ANDed: VPC A's subnet does not map public IPs */
    assert_string_equal(subnet_ids(h,
                                   "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"" VPC_A
                                   "\"]}, {\"Name\": \"map-public-ip-on-launch\", \"Values\": "
                                   "[\"true\"]}]}",
                                   &calls),
                        "");
    assert_int_equal(calls, 0);
    /* wildcards, with the final filter's matcher */
    expect_subnet_a(h);
    assert_string_equal(
        subnet_ids(h, FILTER1("subnet-id", "\"subnet-0000a*\", \"subnet-?000a001\""), &calls),
        SUB_A);
    assert_int_equal(calls, 2);
    assert_string_equal(subnet_ids(h, FILTER1("subnet-id", "\"subnet-0000a00\""), &calls), "");
    assert_int_equal(calls, 0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=*", 200, "{\"subnets\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "{\"ports\": []}");
    assert_string_equal(subnet_ids(h, FILTER1("subnet-id", "\"subnet-0000b00?\""), &calls), "");
    assert_int_equal(calls, 2);
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), OS_B1));
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), OS_B2));
    assert_null(strstr(last_path(h, "/v2.0/subnets"), SUBNET));
    assert_null(strstr(last_path(h, "/v2.0/ports"), NET "&"));
    /* tags are in the database: tag:K, tag-key, tag-value */
    expect_subnet_a(h);
    assert_string_equal(subnet_ids(h, FILTER1("tag:tier", "\"w?b\""), &calls), SUB_A);
    assert_int_equal(calls, 2);
    assert_string_equal(subnet_ids(h, FILTER1("tag-key", "\"owner\""), &calls), "");
    assert_int_equal(calls, 0);
    /* tag-value and vpc-id: the second subnet of B alone (its answer written after the
     * recorded one: 253 free, no port) */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=" OS_B2 SN_Q, 200,
                      "{\"subnets\": [{\"id\": \"" OS_B2 "\", \"cidr\": \"10.98.2.0/24\", "
                      "\"allocation_pools\": [{\"start\": \"10.98.2.2\", \"end\": "
                      "\"10.98.2.254\"}]}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=" NET_B2 "&fields=fixed_ips",
                      200, "{\"ports\": []}");
    m = ok(h, "DescribeSubnets",
           "{\"Filters\": [{\"Name\": \"tag-value\", \"Values\": [\"db\"]}, {\"Name\": \"vpc-id\", "
           "\"Values\": [\"" VPC_B "\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Subnets")), 1);
    assert_string_equal(str(json_array_get(json_object_get(m, "Subnets"), 0), "SubnetId"), SUB_B2);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(m, "Subnets"), 0),
                                           "AvailableIpAddressCount")),
        253);
    json_decref(m);
    /* a bad filter is refused before any call */
    assert_string_equal(fails(h, "DescribeSubnets", FILTER1("no-such", "\"x\"")),
                        "InvalidParameterValue");
    assert_string_equal(fails(h, "DescribeSubnets", FILTER1("vpc-id", "")),
                        "InvalidParameterValue");
    assert_int_equal(n_calls(h), 12);
    done(h);
}

/* Filters that need Neutron's data keep the row until it is known, then decide. */
static void
subnet_filter_after_neutron(void **state)
{
    ec2gw_test_host_t *h = host_two_vpcs();
    size_t calls;

    (void)state;
    /* available-ip-address-count is evaluated after Neutron's answer (252 free) */
    expect_subnet_a(h);
    assert_string_equal(subnet_ids(h,
                                   "{\"Filters\": [{\"Name\": \"available-ip-address-count\", "
                                   "\"Values\": [\"25?\"]}, {\"Name\": \"cidr-block\", "
                                   "\"Values\": [\"10.99.*\"]}]}",
                                   &calls),
                        SUB_A);
    assert_int_equal(calls, 2);
    expect_subnet_a(h);
    assert_string_equal(subnet_ids(h,
                                   "{\"Filters\": [{\"Name\": \"available-ip-address-count\", "
                                   "\"Values\": [\"253\", \"1*\"]}, {\"Name\": \"vpc-id\", "
                                   "\"Values\": [\"" VPC_A "\"]}]}",
                                   &calls),
                        "");
    assert_int_equal(calls, 2);
    /* alone it cannot drop a row: every subnet is asked about */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=*", 200, "subnets_list.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_list.json");
    assert_string_equal(subnet_ids(h, FILTER1("available-ip-address-count", "\"252\""), &calls),
                        SUB_A);
    assert_int_equal(calls, 2);
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), SUBNET));
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), OS_B1));
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), OS_B2));
    /* a row without its CIDR (as ec2-api wrote them): kept for a cidr filter until Neutron
     * says 10.97.0.0/24 */
    assert_int_equal(ec2gw_test_put_item(h, SUB_C, OS_C,
                                         "{\"vpc_id\": \"" VPC_B "\", \"os_network_id\": \"" NET_C
                                         "\"}"),
                     0);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=*", 200,
                      "{\"subnets\": [{\"id\": \"" SUBNET "\", \"cidr\": \"10.99.1.0/24\", "
                      "\"allocation_pools\": [{\"start\": \"10.99.1.2\", \"end\": "
                      "\"10.99.1.254\"}]}, {\"id\": \"" OS_C "\", \"cidr\": \"10.97.0.0/24\", "
                      "\"allocation_pools\": [{\"start\": \"10.97.0.2\", \"end\": "
                      "\"10.97.0.254\"}]}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_list.json");
    assert_string_equal(subnet_ids(h, FILTER1("cidr", "\"10.99.1.0/24\", \"10.96.*\""), &calls),
                        SUB_A);
    assert_int_equal(calls, 2);
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), SUBNET));
    assert_non_null(strstr(last_path(h, "/v2.0/subnets"), OS_C));
    assert_null(strstr(last_path(h, "/v2.0/subnets"), OS_B1));
    assert_null(strstr(last_path(h, "/v2.0/subnets"), OS_B2));
    /* its CIDR once Neutron gave it */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=" OS_C SN_Q, 200,
                      "{\"subnets\": [{\"id\": \"" OS_C "\", \"cidr\": \"10.97.0.0/24\", "
                      "\"allocation_pools\": [{\"start\": \"10.97.0.2\", \"end\": "
                      "\"10.97.0.254\"}]}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=" NET_C "&fields=fixed_ips", 200,
                      "{\"ports\": []}");
    assert_string_equal(subnet_ids(h, FILTER1("cidr-block", "\"10.97.0.0/2?\""), &calls), SUB_C);
    assert_int_equal(calls, 2);
    done(h);
}

/* DescribeNetworkInterfaces reads the ports of the networks the subnet-id, vpc-id and
 * availability-zone filters leave (wildcards too); none left: no call. */
static void
eni_filter_pushdown(void **state)
{
    ec2gw_test_host_t *h = host_two_vpcs();
    json_t *m;
    const char *path;
    size_t before;

    (void)state;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?project_id=*", 200, "{\"ports\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?project_id=*", 200,
                      "{\"floatingips\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*", 200,
                      "{\"security_groups\": []}");
    m = ok(h, "DescribeNetworkInterfaces",
           "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"vpc-0000b*\"]}, {\"Name\": "
           "\"availability-zone\", \"Values\": [\"az?\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 0);
    json_decref(m);
    path = last_path(h, "/v2.0/ports");
    assert_non_null(strstr(path, "network_id=" NET_B2));
    assert_null(strstr(path, NET_B1));
    assert_null(strstr(path, "network_id=" NET "&"));
    before = n_calls(h);
    m = ok(h, "DescribeNetworkInterfaces", FILTER1("subnet-id", "\"subnet-0000d*\""));
    assert_int_equal(json_array_size(json_object_get(m, "NetworkInterfaces")), 0);
    json_decref(m);
    assert_int_equal(n_calls(h), before);
    /* with no subnet left the filters are still checked */
    assert_string_equal(fails(h, "DescribeNetworkInterfaces",
                              "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"vpc-0\"]}, "
                              "{\"Name\": \"no-such\", \"Values\": [\"x\"]}]}"),
                        "InvalidParameterValue");
    assert_int_equal(n_calls(h), before);
    done(h);
}

/* -- security groups in a VPC ------------------------------------------------------------------ */

static void
sg_in_vpc(void **state)
{
    ec2gw_test_host_t *h = host(NULL);
    char vpc[64];
    json_t *m;
    const json_t *g;

    (void)state;
    snprintf(vpc, sizeof(vpc), "%s", make_vpc(h, "10.99.0.0/16"));
    /* the VPC's default group is "default" with its VpcId */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*", 200,
                      fmt("{\"security_groups\": [{\"id\": \"" SG "\", \"name\": \"default-%s\","
                          " \"description\": \"default VPC security group\","
                          " \"security_group_rules\": []}]}",
                          vpc));
    m = ok(h, "DescribeSecurityGroups",
           fmt("{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"%s\"]}]}", vpc));
    g = json_array_get(json_object_get(m, "SecurityGroups"), 0);
    assert_non_null(g);
    assert_string_equal(str(g, "GroupName"), "default");
    assert_string_equal(str(g, "VpcId"), vpc);
    json_decref(m);
    /* a group named like one of another VPC (or classic) is no duplicate in this VPC */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*&name=web*", 200,
                      "{\"security_groups\": [{\"id\": \"11111111-1111-1111-1111-111111111111\","
                      " \"created_at\": \"2026-12-01T00:00:00Z\"}]}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201,
                      "{\"security_group\": {\"id\": \"22222222-2222-2222-2222-222222222222\","
                      " \"name\": \"web\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*&name=web*", 200,
                      "{\"security_groups\": [{\"id\": \"11111111-1111-1111-1111-111111111111\","
                      " \"created_at\": \"2026-12-01T00:00:00Z\"}, {\"id\":"
                      " \"22222222-2222-2222-2222-222222222222\", \"created_at\":"
                      " \"2026-12-02T00:00:00Z\"}]}");
    m = ok(h, "CreateSecurityGroup",
           fmt("{\"GroupName\": \"web\", \"Description\": \"w\", \"VpcId\": \"%s\"}", vpc));
    assert_int_equal(strncmp(str(m, "GroupId"), "sg-", 3), 0);
    json_decref(m);
    /* a second "web" in this VPC is a duplicate */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*&name=web*", 200,
                      "{\"security_groups\": [{\"id\": \"11111111-1111-1111-1111-111111111111\"},"
                      " {\"id\": \"22222222-2222-2222-2222-222222222222\"}]}");
    assert_string_equal(
        fails(h, "CreateSecurityGroup",
              fmt("{\"GroupName\": \"web\", \"Description\": \"w\", \"VpcId\": \"%s\"}", vpc)),
        "InvalidGroup.Duplicate");
    assert_string_equal(fails(h, "CreateSecurityGroup",
                              "{\"GroupName\": \"x\", \"Description\": \"w\", \"VpcId\":"
                              " \"vpc-12345678\"}"),
                        "InvalidVpcID.NotFound");
    /* the VPC has a second group now */
    assert_string_equal(fails(h, "DeleteVpc", fmt("{\"VpcId\": \"%s\"}", vpc)),
                        "DependencyViolation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "security group"));
    done(h);
}

/* -- the default VPC -----------------------------------------------------------------------------
 */

#define DEFAULT_ON "{\"default_vpc\": true}"

/* The calls that make the default VPC, its gateway and subnet, answered from the fixtures. */
static void
expect_default_vpc(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 201, "router_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201, "sg_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-group-rules", 201,
                      "sg_rule_created.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?router%3Aexternal=true*", 200,
                      "networks_ext.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER, 200, "router_gateway_set.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 201, "network_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/subnets", 201, "subnet_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/add_router_interface", 200,
                      "router_interface_added.json");
    ec2gw_test_expect(h, "GET", "network", SUBNETS_SYNC, 200,
                      "{\"subnets\": [{\"id\": \"" SUBNET "\", \"cidr\": \"172.31.0.0/20\","
                      " \"gateway_ip\": \"172.31.0.1\", \"host_routes\": [{\"destination\":"
                      " \"0.0.0.0/0\", \"nexthop\": \"172.31.0.1\"}]}]}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUBNET, 200, "subnet_created.json");
}

static void
default_vpc_once(void **state)
{
    ec2gw_test_host_t *h = host(DEFAULT_ON);
    json_t *m;
    const json_t *v, *a;
    char id[64];
    size_t made, i;

    (void)state;
    expect_default_vpc(h);
    m = ok(h, "DescribeVpcs", "{}");
    v = json_array_get(json_object_get(m, "Vpcs"), 0);
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 1);
    assert_true(json_is_true(json_object_get(v, "IsDefault")));
    assert_string_equal(str(v, "CidrBlock"), "172.31.0.0/16");
    /* 17 hex digits: never an id drawn at random */
    assert_int_equal(strlen(str(v, "VpcId")), 21);
    snprintf(id, sizeof(id), "%s", str(v, "VpcId"));
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    made = n_calls(h);
    /* the routes were projected: 0.0.0.0/0 goes to the gateway, which the subnet keeps */
    v = json_object_get(json_object_get(call_n(h, 0), "body"), "subnet");
    assert_non_null(v);
    assert_false(json_is_null(json_object_get(v, "gateway_ip")));
    /* the subnet was made in the zone, default for it; 172.31.0.0/20 */
    assert_string_equal(
        str(json_object_get(json_object_get(json_array_get(ec2gw_test_calls(h), 6), "body"),
                            "subnet"),
            "cidr"),
        "172.31.0.0/20");

    /* the next requests find it whole: no call */
    m = ok(h, "DescribeInternetGateways", "{}");
    a = json_array_get(
        json_object_get(json_array_get(json_object_get(m, "InternetGateways"), 0), "Attachments"),
        0);
    assert_string_equal(str(a, "VpcId"), id);
    json_decref(m);
    m = ok(h, "DescribeAccountAttributes",
           "{\"AttributeNames\": [\"default-vpc\", \"supported-platforms\"]}");
    json_array_foreach(json_object_get(m, "AccountAttributes"), i, v)
    {
        const char *val =
            str(json_array_get(json_object_get(v, "AttributeValues"), 0), "AttributeValue");

        if (strcmp(str(v, "AttributeName"), "default-vpc") == 0)
            assert_string_equal(val, id);
        else
            assert_string_equal(val, "VPC");
    }
    json_decref(m);
    assert_int_equal(n_calls(h), made);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?id=*", 200, "subnets_list.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_list.json");
    m = ok(h, "DescribeSubnets",
           "{\"Filters\": [{\"Name\": \"default-for-az\", \"Values\":"
           " [\"true\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "Subnets")), 1);
    assert_true(json_is_true(
        json_object_get(json_array_get(json_object_get(m, "Subnets"), 0), "MapPublicIpOnLaunch")));
    json_decref(m);
    /* CreateDefaultVpc: there is one */
    assert_string_equal(fails(h, "CreateDefaultVpc", "{}"), "DefaultVpcAlreadyExists");
    done(h);
}

/* Another request or daemon won the marker row: this one makes nothing of its own. */
static void
default_vpc_made_elsewhere(void **state)
{
    ec2gw_test_host_t *h = host(DEFAULT_ON);
    json_t *m;
    char id[64];

    (void)state;
    /* the project's default VPC id, as a first host made it */
    expect_default_vpc(h);
    m = ok(h, "DescribeVpcs", "{}");
    snprintf(id, sizeof(id), "%s", str(json_array_get(json_object_get(m, "Vpcs"), 0), "VpcId"));
    json_decref(m);
    done(h);

    h = host(DEFAULT_ON);
    /* a claim another daemon holds and renews: this request waits for it, then gives up at
     * its deadline with nothing made */
    assert_int_equal(ec2gw_test_put_item(h, id, NULL,
                                         fmt("{\"cidr_block\": \"172.31.0.0/16\", \"is_default\":"
                                             " true, \"default_state\": \"creating\","
                                             " \"claimed_at\": %lld}",
                                             (long long)time(NULL) + 3600)),
                     0);
    ec2gw_test_set_deadline(h, 2000);
    assert_string_equal(fails(h, "DescribeVpcs", "{}"), "Unavailable");
    assert_int_equal(n_calls(h), 0);
    assert_true(ec2gw_test_clock_ms(h) >= 1000); /* it polled the row meanwhile */
    /* CreateSecurityGroup without VpcId waits for the default VPC too */
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"g\", \"Description\": \"d\"}"),
        "Unavailable");
    assert_int_equal(n_calls(h), 0);
    done(h);
}

/* A creator that stopped half way (its claim stale): the next request finds the router and
 * group it made by name and completes the rest, making no second router. */
static void
default_vpc_resumed(void **state)
{
    ec2gw_test_host_t *h = host(DEFAULT_ON);
    json_t *m;
    char id[64];
    const json_t *c;
    size_t i;

    (void)state;
    expect_default_vpc(h);
    m = ok(h, "DescribeVpcs", "{}");
    snprintf(id, sizeof(id), "%s", str(json_array_get(json_object_get(m, "Vpcs"), 0), "VpcId"));
    json_decref(m);
    done(h);

    h = host(DEFAULT_ON);
    assert_int_equal(ec2gw_test_put_item(h, id, NULL,
                                         "{\"cidr_block\": \"172.31.0.0/16\", \"is_default\":"
                                         " true, \"default_state\": \"creating\", \"claimed_at\":"
                                         " 0}"),
                     0);
    ec2gw_test_expect(h, "GET", "network", fmt("/v2.0/routers?name=%s*", id), 200,
                      "{\"routers\": [{\"id\": \"" ROUTER "\"}]}");
    ec2gw_test_expect(h, "GET", "network", fmt("/v2.0/security-groups?name=default-%s*", id), 200,
                      "{\"security_groups\": [{\"id\": \"" SG "\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?router%3Aexternal=true*", 200,
                      "networks_ext.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER, 200, "router_gateway_set.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/networks", 201, "network_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/subnets", 201, "subnet_created.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/routers/" ROUTER "/add_router_interface", 200,
                      "router_interface_added.json");
    ec2gw_test_expect(h, "GET", "network", SUBNETS_SYNC, 200,
                      "{\"subnets\": [{\"id\": \"" SUBNET "\", \"cidr\": \"172.31.0.0/20\","
                      " \"gateway_ip\": \"172.31.0.1\", \"host_routes\": [{\"destination\":"
                      " \"0.0.0.0/0\", \"nexthop\": \"172.31.0.1\"}]}]}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUBNET, 200, "subnet_created.json");
    m = ok(h, "DescribeVpcs", "{}");
    assert_string_equal(str(json_array_get(json_object_get(m, "Vpcs"), 0), "VpcId"), id);
    json_decref(m);
    json_array_foreach(ec2gw_test_calls(h), i, c)
    {
        assert_false(strcmp(str(c, "method"), "POST") == 0 &&
                     strcmp(str(c, "path"), "/v2.0/routers") == 0);
    }
    done(h);
}

/* A failed creation leaves no marker behind: the next request starts again. */
static void
default_vpc_failure_undone(void **state)
{
    ec2gw_test_host_t *h = host(DEFAULT_ON);
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "POST", "network", "/v2.0/routers", 201, "router_created.json");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 500, BROKEN);
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/routers/" ROUTER, 204, NULL);
    fails(h, "DescribeVpcs", "{}");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    expect_default_vpc(h);
    m = ok(h, "DescribeVpcs", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "Vpcs")), 1);
    json_decref(m);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vpc_create_describe_delete),
        cmocka_unit_test(vpc_create_bad_params),
        cmocka_unit_test(vpc_create_compensation),
        cmocka_unit_test(vpc_create_lost_router),
        cmocka_unit_test(vpc_attributes),
        cmocka_unit_test(igw_lifecycle),
        cmocka_unit_test(subnet_create_describe_delete),
        cmocka_unit_test(subnet_create_checks),
        cmocka_unit_test(subnet_create_compensation),
        cmocka_unit_test(subnet_filter_pushdown),
        cmocka_unit_test(subnet_filter_after_neutron),
        cmocka_unit_test(eni_filter_pushdown),
        cmocka_unit_test(sg_in_vpc),
        cmocka_unit_test(default_vpc_once),
        cmocka_unit_test(default_vpc_made_elsewhere),
        cmocka_unit_test(default_vpc_resumed),
        cmocka_unit_test(default_vpc_failure_undone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
