/*
 * test_neutron_rtb.c - route tables (and their projection onto Neutron subnets), DHCP options
 * and the VPN family of neutron-v2.0 through the fake host, with Neutron answers recorded from
 * the all-in-one cloud (fixtures/rtb/, record.py there; the failure bodies are Neutron's error
 * format written by hand).
 *
 * The VPC: vpc-00000001 10.9.0.0/16, main table rtb-00000001 (local + 0.0.0.0/0 → igw-00000001,
 * attached), subnets subnet-0000000a (10.9.0.0/24) and subnet-0000000b (10.9.1.0/24), an ENI
 * eni-00000001 (10.9.0.148, port DOWN) in subnet a; igw-00000002 is detached; rtb-00000002 has
 * routes to the ENI and to the detached gateway; vpc-00000002 is another VPC.
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

#define SUB_A    "aea3d929-f98b-424c-bc74-7598400f1202" /* 10.9.0.0/24 */
#define SUB_B    "7730f6cd-c23e-4c15-8623-a43abbb316db" /* 10.9.1.0/24 */
#define NET_A    "cf94bed9-279d-4f10-9e39-453da4d24d56"
#define NET_B    "822d65e0-8312-4d90-9705-d591bb3e60cb"
#define PORT     "92878a25-efb7-4c91-a29a-46818ee5e28e" /* the ENI, 10.9.0.148 */
#define SERVER   "5f0d6a43-8a0e-4d43-9d3c-2f6a3a1e9b11"
#define VPC      "vpc-00000001"
#define MAIN     "rtb-00000001"
#define RTB2     "rtb-00000002"
#define SUBNET_A "subnet-0000000a"
#define SUBNET_B "subnet-0000000b"
#define IGW      "igw-00000001"
#define IGW2     "igw-00000002"
#define ENI      "eni-00000001"
#define SUBNETS                                                                     \
    "/v2.0/subnets?id=*&fields=id&fields=cidr&fields=gateway_ip&fields=host_routes" \
    "&fields=dns_nameservers"
#define PORTS "/v2.0/ports?id=" PORT "&fields=*"
#define BAD_REQ                                                                                 \
    "{\"NeutronError\": {\"type\": \"HostRoutesExhausted\", \"message\": \"Unable to complete " \
    "operation for " SUB_B ". The number of host routes exceeds the limit 20.\", \"detail\": "  \
    "\"\"}}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NEUTRON_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR "/rtb");
    assert_int_equal(
        ec2gw_test_put_item(h, VPC, "0a6c6d1e-1d7b-4e4e-9f51-3a0c2d1c0001",
                            "{\"cidr_block\": \"10.9.0.0/16\", \"route_table_id\": \"" MAIN "\"}"),
        0);
    assert_int_equal(ec2gw_test_put_item(h, "vpc-00000002", "0a6c6d1e-1d7b-4e4e-9f51-3a0c2d1c0002",
                                         "{\"cidr_block\": \"10.8.0.0/16\", \"route_table_id\": "
                                         "\"rtb-00000009\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(
                         h, MAIN, NULL,
                         "{\"vpc_id\": \"" VPC "\", \"routes\": ["
                         "{\"destination_cidr_block\": \"10.9.0.0/16\", \"gateway_id\": \"local\", "
                         "\"origin\": \"CreateRouteTable\"},"
                         "{\"destination_cidr_block\": \"0.0.0.0/0\", \"gateway_id\": \"" IGW "\", "
                         "\"origin\": \"CreateRoute\"}]}"),
                     0);
    assert_int_equal(
        ec2gw_test_put_item(
            h, RTB2, NULL,
            "{\"vpc_id\": \"" VPC "\", \"routes\": ["
            "{\"destination_cidr_block\": \"10.9.0.0/16\", \"gateway_id\": \"local\", "
            "\"origin\": \"CreateRouteTable\"},"
            "{\"destination_cidr_block\": \"0.0.0.0/0\", \"network_interface_id\": \"" ENI "\", "
            "\"origin\": \"CreateRoute\"},"
            "{\"destination_cidr_block\": \"192.168.0.0/24\", \"gateway_id\": \"" IGW2 "\", "
            "\"origin\": \"CreateRoute\"}]}"),
        0);
    assert_int_equal(
        ec2gw_test_put_item(
            h, "rtb-00000009", NULL,
            "{\"vpc_id\": \"vpc-00000002\", \"routes\": [{\"destination_cidr_block\": "
            "\"10.8.0.0/16\", \"gateway_id\": \"local\", \"origin\": \"CreateRouteTable\"}]}"),
        0);
    assert_int_equal(ec2gw_test_put_item(h, SUBNET_A, SUB_A,
                                         "{\"vpc_id\": \"" VPC "\", \"os_network_id\": \"" NET_A
                                         "\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, SUBNET_B, SUB_B,
                                         "{\"vpc_id\": \"" VPC "\", \"os_network_id\": \"" NET_B
                                         "\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, "subnet-0000000c",
                                         "0a6c6d1e-1d7b-4e4e-9f51-3a0c2d1c000c",
                                         "{\"vpc_id\": \"vpc-00000002\"}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, IGW, NULL, "{\"vpc_id\": \"" VPC "\"}"), 0);
    assert_int_equal(ec2gw_test_put_item(h, IGW2, NULL, "{}"), 0);
    assert_int_equal(ec2gw_test_put_item(h, ENI, PORT,
                                         "{\"vpc_id\": \"" VPC "\", \"subnet_id\": \"" SUBNET_A
                                         "\", \"private_ip_address\": \"10.9.0.148\"}"),
                     0);
    assert_int_equal(ec2gw_test_map_id(h, "i-00000001", SERVER), 0);
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

/* The body of the last call to @p method @p path (borrowed), or NULL. */
static const json_t *
body_of(ec2gw_test_host_t *h, const char *method, const char *path)
{
    const json_t *calls = ec2gw_test_calls(h), *c, *found = NULL;
    size_t i;

    json_array_foreach(calls, i, c) if (strcmp(str(c, "method"), method) == 0 &&
                                        strcmp(str(c, "path"), path) == 0) found = c;
    return found != NULL ? json_object_get(found, "body") : NULL;
}

static size_t
count_calls(ec2gw_test_host_t *h, const char *method)
{
    const json_t *c;
    size_t i, n = 0;

    json_array_foreach(ec2gw_test_calls(h), i, c) n += strcmp(str(c, "method"), method) == 0;
    return n;
}

/* host_routes of a PUT body as "dest>hop;..." in the order sent. */
static char *
routes_of(const json_t *body, char *buf, size_t size)
{
    const json_t *r;
    size_t i, o = 0;

    buf[0] = '\0';
    json_array_foreach(json_object_get(json_object_get(body, "subnet"), "host_routes"), i, r) o +=
        (size_t)snprintf(buf + o, size - o, "%s>%s;", str(r, "destination"), str(r, "nexthop"));
    return buf;
}

/* The table @p id of a DescribeRouteTables answer. */
static const json_t *
table_of(const json_t *m, const char *id)
{
    const json_t *t;
    size_t i;

    json_array_foreach(json_object_get(m, "RouteTables"), i,
                       t) if (strcmp(str(t, "RouteTableId"), id) == 0) return t;
    return NULL;
}

static const json_t *
route_to(const json_t *table, const char *dest)
{
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(table, "Routes"), i,
                       r) if (strcmp(str(r, "DestinationCidrBlock"), dest) == 0) return r;
    return NULL;
}

/* -- route tables ------------------------------------------------------------------------- */

static void
test_create_and_describe(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m = ok(h, "CreateRouteTable",
                   "{\"VpcId\": \"" VPC "\", \"TagSpecifications\": [{\"ResourceType\": "
                   "\"route-table\", \"Tags\": [{\"Key\": \"tier\", \"Value\": \"web\"}]}]}");
    const json_t *t = json_object_get(m, "RouteTable"), *r;
    char id[32];

    (void)s;
    snprintf(id, sizeof(id), "%s", str(t, "RouteTableId"));
    assert_true(strncmp(id, "rtb-", 4) == 0);
    assert_string_equal(str(t, "VpcId"), VPC);
    assert_string_equal(str(t, "OwnerId"), "project-test");
    assert_int_equal(json_array_size(json_object_get(t, "Associations")), 0);
    assert_int_equal(json_array_size(json_object_get(t, "Routes")), 1);
    r = json_array_get(json_object_get(t, "Routes"), 0);
    assert_string_equal(str(r, "DestinationCidrBlock"), "10.9.0.0/16");
    assert_string_equal(str(r, "GatewayId"), "local");
    assert_string_equal(str(r, "State"), "active");
    assert_string_equal(str(r, "Origin"), "CreateRouteTable");
    assert_string_equal(str(json_array_get(json_object_get(t, "Tags"), 0), "Value"), "web");
    json_decref(m);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 0); /* the database only */

    /* the new table, the main one (main association, the IGW route active) */
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    m = ok(h, "DescribeRouteTables", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "RouteTables")), 4);
    assert_non_null(table_of(m, id));
    t = table_of(m, MAIN);
    r = json_array_get(json_object_get(t, "Associations"), 0);
    assert_true(json_is_true(json_object_get(r, "Main")));
    assert_string_equal(str(r, "RouteTableAssociationId"), "rtbassoc-00000001");
    assert_null(json_object_get(r, "SubnetId"));
    assert_string_equal(str(route_to(t, "0.0.0.0/0"), "GatewayId"), IGW);
    assert_string_equal(str(route_to(t, "0.0.0.0/0"), "State"), "active");
    /* rtb-2: the ENI's port is DOWN, the gateway detached: both blackholes */
    t = table_of(m, RTB2);
    assert_string_equal(str(route_to(t, "0.0.0.0/0"), "NetworkInterfaceId"), ENI);
    assert_string_equal(str(route_to(t, "0.0.0.0/0"), "State"), "blackhole");
    assert_string_equal(str(route_to(t, "192.168.0.0/24"), "State"), "blackhole");
    assert_string_equal(str(route_to(t, "10.9.0.0/16"), "State"), "active");
    json_decref(m);

    assert_string_equal(fails(h, "CreateRouteTable", "{}"), "MissingParameter");
    assert_string_equal(fails(h, "CreateRouteTable", "{\"VpcId\": \"vpc-0000dead\"}"),
                        "InvalidVpcID.NotFound");
    assert_string_equal(fails(h, "CreateRouteTable",
                              "{\"VpcId\": \"" VPC "\", \"TagSpecifications\": [{\"ResourceType\":"
                              " \"subnet\", \"Tags\": []}]}"),
                        "InvalidParameterValue");
    done(h);
}

static void
test_describe_filters(void **s)
{
    static const struct {
        const char *filter;
        const char *ids;
    } cases[] = {
        { "{\"Name\": \"association.main\", \"Values\": [\"true\"]}", MAIN ",rtb-00000009" },
        { "{\"Name\": \"route.gateway-id\", \"Values\": [\"" IGW "\"]}", MAIN },
        { "{\"Name\": \"route.state\", \"Values\": [\"blackhole\"]}", RTB2 },
        { "{\"Name\": \"route.network-interface-id\", \"Values\": [\"eni-*\"]}", RTB2 },
        { "{\"Name\": \"route.destination-cidr-block\", \"Values\": [\"192.168.0.0/24\"]}", RTB2 },
        { "{\"Name\": \"vpc-id\", \"Values\": [\"vpc-00000002\"]}", "rtb-00000009" },
        { "{\"Name\": \"association.route-table-association-id\", \"Values\": "
          "[\"rtbassoc-00000001\"]}",
          MAIN },
        { "{\"Name\": \"route.origin\", \"Values\": [\"CreateRoute\"]}", MAIN "," RTB2 },
    };
    ec2gw_test_host_t *h = host();

    (void)s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char params[512], got[256] = "";
        const json_t *t;
        json_t *m;
        size_t j, o = 0;

        snprintf(params, sizeof(params), "{\"Filters\": [%s]}", cases[i].filter);
        ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
        m = ok(h, "DescribeRouteTables", params);
        json_array_foreach(json_object_get(m, "RouteTables"), j, t) o += (size_t)snprintf(
            got + o, sizeof(got) - o, "%s%s", o ? "," : "", str(t, "RouteTableId"));
        if (strcmp(got, cases[i].ids) != 0)
            fprintf(stderr, "filter %s: got %s\n", cases[i].filter, got);
        assert_string_equal(got, cases[i].ids);
        json_decref(m);
    }
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    assert_string_equal(fails(h, "DescribeRouteTables",
                              "{\"Filters\": [{\"Name\": \"route.colour\", \"Values\": [\"x\"]}]}"),
                        "InvalidParameterValue");
    /* by id, without any Neutron call when no route of the asked tables names an ENI */
    json_decref(ok(h, "DescribeRouteTables", "{\"RouteTableIds\": [\"" MAIN "\"]}"));
    assert_string_equal(fails(h, "DescribeRouteTables", "{\"RouteTableIds\": [\"rtb-0000dead\"]}"),
                        "InvalidRouteTableID.NotFound");
    done(h);
}

/* §16.5: 0.0.0.0/0 to the attached IGW keeps the gateway; the VPC route goes to the router. */
static void
test_projection_igw(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *a, *b;
    char buf[256];

    (void)s;
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_two.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_A, 200, "subnet_put_gw.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_back.json");
    json_decref(ok(h, "CreateRoute",
                   "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"8.8.8.0/24\", "
                   "\"GatewayId\": \"" IGW "\"}"));
    a = body_of(h, "PUT", "/v2.0/subnets/" SUB_A);
    b = body_of(h, "PUT", "/v2.0/subnets/" SUB_B);
    assert_string_equal(routes_of(a, buf, sizeof(buf)),
                        "10.9.0.0/16>10.9.0.1;8.8.8.0/24>10.9.0.1;");
    assert_string_equal(routes_of(b, buf, sizeof(buf)),
                        "10.9.0.0/16>10.9.1.1;8.8.8.0/24>10.9.1.1;");
    /* the gateway was already the router: not sent */
    assert_null(json_object_get(json_object_get(a, "subnet"), "gateway_ip"));
    done(h);
}

/* §16.5: the default route to an ENI and a blackhole: gateway_ip null, the ENI's address as
 * next hop, 127.0.0.1 for the blackhole, metadata via the router. */
static void
test_projection_eni_blackhole(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *b;
    json_t *m;
    char buf[256];

    (void)s;
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_main.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_nogw.json");
    m = ok(h, "AssociateRouteTable",
           "{\"RouteTableId\": \"" RTB2 "\", \"SubnetId\": \"" SUBNET_B "\"}");
    assert_string_equal(str(m, "AssociationId"), "rtbassoc-0000000b");
    assert_string_equal(str(json_object_get(m, "AssociationState"), "State"), "associated");
    json_decref(m);
    b = body_of(h, "PUT", "/v2.0/subnets/" SUB_B);
    assert_string_equal(routes_of(b, buf, sizeof(buf)),
                        "10.9.0.0/16>10.9.1.1;0.0.0.0/0>10.9.0.148;192.168.0.0/24>127.0.0.1;"
                        "169.254.169.254/32>10.9.1.1;");
    assert_true(json_is_null(json_object_get(json_object_get(b, "subnet"), "gateway_ip")));
    assert_int_equal(count_calls(h, "PUT"), 1); /* subnet a follows the main table: unchanged */

    /* the association shows; the same subnet cannot be associated twice */
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    m = ok(h, "DescribeRouteTables",
           "{\"Filters\": [{\"Name\": \"association.subnet-id\", "
           "\"Values\": [\"" SUBNET_B "\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "RouteTables")), 1);
    assert_string_equal(str(json_array_get(json_object_get(m, "RouteTables"), 0), "RouteTableId"),
                        RTB2);
    json_decref(m);
    assert_string_equal(fails(h, "AssociateRouteTable",
                              "{\"RouteTableId\": \"" MAIN "\", \"SubnetId\": \"" SUBNET_B "\"}"),
                        "Resource.AlreadyAssociated");
    assert_string_equal(fails(h, "DeleteRouteTable", "{\"RouteTableId\": \"" RTB2 "\"}"),
                        "DependencyViolation");
    done(h);
}

/* §16.5: a subnet re-associated back to the main table gets its gateway back. */
static void
test_projection_back_to_main(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *b;
    char buf[256];

    (void)s;
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_main.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_nogw.json");
    json_decref(ok(h, "AssociateRouteTable",
                   "{\"RouteTableId\": \"" RTB2 "\", \"SubnetId\": \"" SUBNET_B "\"}"));
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_after.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_back.json");
    json_decref(ok(h, "DisassociateRouteTable", "{\"AssociationId\": \"rtbassoc-0000000b\"}"));
    b = body_of(h, "PUT", "/v2.0/subnets/" SUB_B);
    assert_string_equal(str(json_object_get(b, "subnet"), "gateway_ip"), "10.9.1.1");
    assert_string_equal(routes_of(b, buf, sizeof(buf)), "10.9.0.0/16>10.9.1.1;");
    assert_int_equal(count_calls(h, "PUT"), 2);
    /* now unassociated: deletable */
    assert_string_equal(fails(h, "DisassociateRouteTable",
                              "{\"AssociationId\": "
                              "\"rtbassoc-0000000b\"}"),
                        "InvalidAssociationID.NotFound");
    json_decref(ok(h, "DeleteRouteTable", "{\"RouteTableId\": \"" RTB2 "\"}"));
    assert_string_equal(fails(h, "DescribeRouteTables", "{\"RouteTableIds\": [\"" RTB2 "\"]}"),
                        "InvalidRouteTableID.NotFound");
    done(h);
}

/* subnets_main.json after subnet a took the 8.8.8.0/24 route (b refused it) */
#define A_CHANGED                                                                               \
    "{\"subnets\": [{\"cidr\": \"10.9.1.0/24\", \"gateway_ip\": \"10.9.1.1\", \"id\": \"" SUB_B \
    "\", \"host_routes\": [{\"destination\": \"10.9.0.0/16\", \"nexthop\": \"10.9.1.1\"}]}, "   \
    "{\"cidr\": \"10.9.0.0/24\", \"gateway_ip\": \"10.9.0.1\", \"id\": \"" SUB_A "\", "         \
    "\"host_routes\": [{\"destination\": \"10.9.0.0/16\", \"nexthop\": \"10.9.0.1\"}, "         \
    "{\"destination\": \"8.8.8.0/24\", \"nexthop\": \"10.9.0.1\"}]}]}"

/* A Neutron refusal undoes the route: the row and the subnets' routes are put back. */
static void
test_route_rollback(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;
    char buf[256];

    (void)s;
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_main.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_A, 200, "subnet_put_gw.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 400, BAD_REQ);
    /* the restore reads the subnets again (a changed, b not) and puts a back */
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, A_CHANGED);
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_A, 200, "subnet_put_gw.json");
    assert_string_equal(fails(h, "CreateRoute",
                              "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": "
                              "\"8.8.8.0/24\", \"GatewayId\": \"" IGW "\"}"),
                        "Unavailable");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    m = ok(h, "DescribeRouteTables", "{}");
    assert_null(route_to(table_of(m, MAIN), "8.8.8.0/24"));
    json_decref(m);
    assert_string_equal(routes_of(body_of(h, "PUT", "/v2.0/subnets/" SUB_A), buf, sizeof(buf)),
                        "10.9.0.0/16>10.9.0.1;");
    done(h);
}

static void
test_route_errors(void **s)
{
    static const struct {
        const char *action, *params, *code;
    } cases[] = {
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\"}",
          "MissingParameter" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"GatewayId\": \"" IGW "\", \"NetworkInterfaceId\": \"" ENI "\"}",
          "InvalidParameterCombination" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"NatGatewayId\": \"nat-00000001\"}",
          "UnsupportedOperation" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.300/8\", "
          "\"GatewayId\": \"" IGW "\"}",
          "InvalidParameterValue" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"10.9.5.0/24\", "
          "\"GatewayId\": \"" IGW "\"}",
          "InvalidParameterValue" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"GatewayId\": \"" IGW2 "\"}",
          "InvalidParameterValue" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"GatewayId\": \"igw-0000dead\"}",
          "InvalidInternetGatewayID.NotFound" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"0.0.0.0/0\", "
          "\"GatewayId\": \"" IGW "\"}",
          NULL }, /* the same route again: nothing to do, no call */
        { "CreateRoute",
          "{\"RouteTableId\": \"rtb-0000dead\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"GatewayId\": \"" IGW "\"}",
          "InvalidRouteTableID.NotFound" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"NetworkInterfaceId\": \"eni-0000dead\"}",
          "InvalidNetworkInterfaceID.NotFound" },
        { "CreateRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"InstanceId\": \"i-0000dead\"}",
          "InvalidInstanceID.NotFound" },
        { "ReplaceRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\", "
          "\"GatewayId\": \"" IGW "\"}",
          "InvalidParameterValue" },
        { "DeleteRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"1.0.0.0/8\"}",
          "InvalidRoute.NotFound" },
        { "DeleteRoute",
          "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": \"10.9.0.0/16\"}",
          "InvalidParameterValue" },
        { "DeleteRouteTable", "{\"RouteTableId\": \"" MAIN "\"}", "DependencyViolation" },
        { "AssociateRouteTable",
          "{\"RouteTableId\": \"" MAIN "\", \"SubnetId\": \"subnet-0000000c\"}",
          "InvalidParameterValue" },
        { "AssociateRouteTable",
          "{\"RouteTableId\": \"" MAIN "\", \"SubnetId\": \"subnet-0000dead\"}",
          "InvalidSubnetID.NotFound" },
        { "DisassociateRouteTable", "{\"AssociationId\": \"rtbassoc-00000001\"}",
          "InvalidParameterValue" },
        { "DisassociateRouteTable", "{\"AssociationId\": \"rtbassoc-0000dead\"}",
          "InvalidAssociationID.NotFound" },
        { "ReplaceRouteTableAssociation",
          "{\"AssociationId\": \"rtbassoc-00000001\", \"RouteTableId\": \"rtb-00000009\"}",
          "InvalidParameterValue" },
    };
    ec2gw_test_host_t *h = host();

    (void)s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].code == NULL) {
            json_decref(ok(h, cases[i].action, cases[i].params));
            continue;
        }
        if (strcmp(fails(h, cases[i].action, cases[i].params), cases[i].code) != 0)
            fprintf(stderr, "%s %s: %s\n", cases[i].action, cases[i].params,
                    ec2gw_test_last_error(h));
        assert_string_equal(ec2gw_test_last_error(h), cases[i].code);
    }
    /* an existing destination to another target */
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    assert_string_equal(fails(h, "CreateRoute",
                              "{\"RouteTableId\": \"" MAIN "\", \"DestinationCidrBlock\": "
                              "\"0.0.0.0/0\", \"NetworkInterfaceId\": \"" ENI "\"}"),
                        "RouteAlreadyExists");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 1); /* that ENI's port lookup only */
    done(h);
}

/* An instance target: its one port in the VPC becomes the route's ENI. */
static void
test_route_to_instance(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *r;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SERVER "&fields=*", 200,
                      "ports_eni.json");
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_main.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    json_decref(ok(h, "ReplaceRoute",
                   "{\"RouteTableId\": \"" RTB2 "\", \"DestinationCidrBlock\": \"192.168.0.0/24\", "
                   "\"InstanceId\": \"i-00000001\"}"));
    assert_int_equal(count_calls(h, "PUT"), 0); /* rtb-2 has no subnet */
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    m = ok(h, "DescribeRouteTables", "{\"RouteTableIds\": [\"" RTB2 "\"]}");
    r = route_to(table_of(m, RTB2), "192.168.0.0/24");
    assert_string_equal(str(r, "NetworkInterfaceId"), ENI);
    assert_string_equal(str(r, "InstanceId"), "i-00000001");
    assert_string_equal(str(r, "InstanceOwnerId"), "project-test");
    assert_null(json_object_get(r, "GatewayId"));
    json_decref(m);
    /* an instance with no port in the VPC */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" SERVER "&fields=*", 200,
                      "{\"ports\": []}");
    assert_string_equal(fails(h, "CreateRoute",
                              "{\"RouteTableId\": \"" RTB2 "\", \"DestinationCidrBlock\": "
                              "\"172.16.0.0/12\", \"InstanceId\": \"i-00000001\"}"),
                        "InvalidParameterValue");
    done(h);
}

/* The main association moves to another table; the id stays. */
static void
test_replace_main_association(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_main.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_A, 200, "subnet_put_gw.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_nogw.json");
    m = ok(h, "ReplaceRouteTableAssociation",
           "{\"AssociationId\": \"rtbassoc-00000001\", \"RouteTableId\": \"" RTB2 "\"}");
    assert_string_equal(str(m, "NewAssociationId"), "rtbassoc-00000001");
    json_decref(m);
    /* both subnets lose their gateway: the default route now goes to the ENI */
    assert_true(json_is_null(json_object_get(
        json_object_get(body_of(h, "PUT", "/v2.0/subnets/" SUB_A), "subnet"), "gateway_ip")));
    json_decref(ok(h, "DeleteRouteTable", "{\"RouteTableId\": \"" MAIN "\"}")); /* not main */
    done(h);
}

/* -- DHCP options ------------------------------------------------------------------------- */

#define DOPT_PARAMS                                                                            \
    "{\"DhcpConfigurations\": [{\"Key\": \"domain-name-servers\", \"Values\": [\"10.0.0.2\", " \
    "\"10.0.0.3\"]}, {\"Key\": \"domain-name\", \"Values\": [\"example.com\"]}]}"

/* subnets_main.json once the subnets took the DHCP options' name servers */
#define DNS_SET                                                                                   \
    "{\"subnets\": [{\"cidr\": \"10.9.1.0/24\", \"gateway_ip\": \"10.9.1.1\", \"id\": \"" SUB_B   \
    "\", \"dns_nameservers\": [\"10.0.0.2\", \"10.0.0.3\"], \"host_routes\": [{\"destination\": " \
    "\"10.9.0.0/16\", \"nexthop\": \"10.9.1.1\"}]}, {\"cidr\": \"10.9.0.0/24\", \"gateway_ip\": " \
    "\"10.9.0.1\", \"id\": \"" SUB_A "\", \"dns_nameservers\": [\"10.0.0.2\", \"10.0.0.3\"], "    \
    "\"host_routes\": [{\"destination\": \"10.9.0.0/16\", \"nexthop\": \"10.9.0.1\"}]}]}"

static void
test_dhcp_options(void **s)
{
    static const char *const bad[] = {
        "{}",
        "{\"DhcpConfigurations\": [{\"Key\": \"colour\", \"Values\": [\"red\"]}]}",
        "{\"DhcpConfigurations\": [{\"Key\": \"ntp-servers\", \"Values\": [\"ntp.example\"]}]}",
        "{\"DhcpConfigurations\": [{\"Key\": \"netbios-node-type\", \"Values\": [\"3\"]}]}",
        "{\"DhcpConfigurations\": [{\"Key\": \"domain-name\", \"Values\": [\"a,b\"]}]}",
        "{\"DhcpConfigurations\": [{\"Key\": \"domain-name\", \"Values\": [\"a\"]}, {\"Key\": "
        "\"domain-name\", \"Values\": [\"b\"]}]}",
    };
    ec2gw_test_host_t *h = host();
    json_t *m = ok(h, "CreateDhcpOptions", DOPT_PARAMS);
    const json_t *d = json_object_get(m, "DhcpOptions"), *c;
    char id[32], buf[512];
    const json_t *opts, *o;
    size_t i;

    (void)s;
    snprintf(id, sizeof(id), "%s", str(d, "DhcpOptionsId"));
    assert_true(strncmp(id, "dopt-", 5) == 0);
    c = json_array_get(json_object_get(d, "DhcpConfigurations"), 0);
    assert_string_equal(str(c, "Key"), "domain-name-servers");
    assert_string_equal(str(json_array_get(json_object_get(c, "Values"), 1), "Value"), "10.0.0.3");
    json_decref(m);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *code = fails(h, "CreateDhcpOptions", bad[i]);

        assert_true(strcmp(code, "InvalidParameterValue") == 0 ||
                    strcmp(code, "MissingParameter") == 0);
    }
    /* filters */
    snprintf(buf, sizeof(buf),
             "{\"Filters\": [{\"Name\": \"value\", \"Values\": [\"10.0.0.3\"]}, {\"Name\": "
             "\"key\", \"Values\": [\"domain-name\"]}]}");
    m = ok(h, "DescribeDhcpOptions", buf);
    assert_int_equal(json_array_size(json_object_get(m, "DhcpOptions")), 1);
    json_decref(m);
    m = ok(h, "DescribeDhcpOptions",
           "{\"Filters\": [{\"Name\": \"key\", \"Values\": [\"ntp-servers\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "DhcpOptions")), 0);
    json_decref(m);

    /* associate: only the ENI port of the VPC's networks is changed, with the network MTU */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?id=*&fields=id&fields=mtu", 200,
                      "networks_mtu.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_vpc.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_put_dopt.json");
    /* then the subnets' name servers, for the ports Nova makes */
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, "subnets_main.json");
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_A, 200, "subnet_put_gw.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_back.json");
    snprintf(buf, sizeof(buf), "{\"VpcId\": \"" VPC "\", \"DhcpOptionsId\": \"%s\"}", id);
    json_decref(ok(h, "AssociateDhcpOptions", buf));
    assert_int_equal(count_calls(h, "PUT"), 3);
    assert_true(ec2gw_test_json_equal(h, body_of(h, "PUT", "/v2.0/subnets/" SUB_A),
                                      "{\"subnet\": {\"dns_nameservers\": [\"10.0.0.2\", "
                                      "\"10.0.0.3\"]}}"));
    opts = json_object_get(json_object_get(body_of(h, "PUT", "/v2.0/ports/" PORT), "port"),
                           "extra_dhcp_opts");
    json_array_foreach(opts, i, o)
    {
        const char *n = str(o, "opt_name"), *v = str(o, "opt_value");

        if (strcmp(n, "dns-server") == 0)
            assert_string_equal(v, "10.0.0.2,10.0.0.3");
        else if (strcmp(n, "domain-name") == 0)
            assert_string_equal(v, "example.com");
        else if (strcmp(n, "mtu") == 0)
            assert_string_equal(v, "1450");
        else
            assert_true(json_is_null(json_object_get(o, "opt_value")));
    }
    snprintf(buf, sizeof(buf), "{\"DhcpOptionsId\": \"%s\"}", id);
    assert_string_equal(fails(h, "DeleteDhcpOptions", buf), "DependencyViolation");

    /* back to the default: every option removed; a refusal keeps the VPC's options */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?id=*", 200, "networks_mtu.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_vpc.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 500, "{}");
    assert_string_equal(fails(h, "AssociateDhcpOptions",
                              "{\"VpcId\": \"" VPC "\", \"DhcpOptionsId\": \"default\"}"),
                        "Unavailable");
    assert_string_equal(fails(h, "DeleteDhcpOptions", buf), "DependencyViolation");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?id=*", 200, "networks_mtu.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, "ports_vpc.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_put_default.json");
    ec2gw_test_expect(h, "GET", "network", SUBNETS, 200, DNS_SET);
    ec2gw_test_expect(h, "GET", "network", PORTS, 200, "ports_eni.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_A, 200, "subnet_put_gw.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/subnets/" SUB_B, 200, "subnet_put_back.json");
    json_decref(
        ok(h, "AssociateDhcpOptions", "{\"VpcId\": \"" VPC "\", \"DhcpOptionsId\": \"default\"}"));
    assert_true(ec2gw_test_json_equal(h, body_of(h, "PUT", "/v2.0/subnets/" SUB_B),
                                      "{\"subnet\": {\"dns_nameservers\": []}}"));
    opts = json_object_get(json_object_get(body_of(h, "PUT", "/v2.0/ports/" PORT), "port"),
                           "extra_dhcp_opts");
    json_array_foreach(opts, i, o) assert_true(json_is_null(json_object_get(o, "opt_value")));
    json_decref(ok(h, "DeleteDhcpOptions", buf));
    assert_string_equal(
        fails(h, "DescribeDhcpOptions", "{\"DhcpOptionsIds\": [\"dopt-0000dead\"]}"),
        "InvalidDhcpOptionID.NotFound");
    assert_string_equal(fails(h, "AssociateDhcpOptions",
                              "{\"VpcId\": \"" VPC "\", \"DhcpOptionsId\": \"dopt-0000dead\"}"),
                        "InvalidDhcpOptionID.NotFound");
    done(h);
}

/* ports_vpc.json with a second ENI port (on network b) that Neutron will refuse to change */
#define PORT2 "0c1f4c39-5b0e-4a53-8a55-0f6f2b9d7c02"
#define TWO_PORTS                                                                                 \
    "{\"ports\": [{\"id\": \"" PORT "\", \"network_id\": \"" NET_A "\", \"device_owner\": \"\", " \
    "\"extra_dhcp_opts\": [{\"opt_name\": \"domain-name\", \"opt_value\": \"old.example\", "      \
    "\"ip_version\": 4}]}, {\"id\": \"" PORT2 "\", \"network_id\": \"" NET_B "\", "               \
    "\"device_owner\": \"compute:nova\", \"extra_dhcp_opts\": []}]}"

/* A refused port: the port already changed gets its old options back, the VPC its old id. */
static void
test_dhcp_options_revert(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m = ok(h, "CreateDhcpOptions", DOPT_PARAMS);
    const json_t *c, *opts, *o;
    char buf[256];
    size_t i;
    int seen = 0;

    (void)s;
    snprintf(buf, sizeof(buf), "{\"VpcId\": \"" VPC "\", \"DhcpOptionsId\": \"%s\"}",
             str(json_object_get(m, "DhcpOptions"), "DhcpOptionsId"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks?id=*", 200, "networks_mtu.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=*", 200, TWO_PORTS);
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_put_dopt.json");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT2, 500, "{}");
    ec2gw_test_expect(h, "PUT", "network", "/v2.0/ports/" PORT, 200, "port_put_default.json");
    assert_string_equal(fails(h, "AssociateDhcpOptions", buf), "Unavailable");
    /* only the VPC's two networks were listed */
    c = json_array_get(ec2gw_test_calls(h), 1);
    assert_non_null(strstr(str(c, "path"), "network_id=" NET_A));
    assert_non_null(strstr(str(c, "path"), "network_id=" NET_B));
    /* the revert: the old domain name back, every option it did not have removed */
    opts = json_object_get(json_object_get(body_of(h, "PUT", "/v2.0/ports/" PORT), "port"),
                           "extra_dhcp_opts");
    json_array_foreach(opts, i, o)
    {
        if (strcmp(str(o, "opt_name"), "domain-name") == 0) {
            assert_string_equal(str(o, "opt_value"), "old.example");
            seen++;
        } else {
            assert_true(json_is_null(json_object_get(o, "opt_value")));
        }
    }
    assert_int_equal(seen, 1);
    assert_int_equal(json_array_size(opts), 6);
    /* the VPC still has the default options: the new ones are deletable */
    m = ok(h, "DescribeDhcpOptions", "{}");
    snprintf(buf, sizeof(buf), "{\"DhcpOptionsId\": \"%s\"}",
             str(json_array_get(json_object_get(m, "DhcpOptions"), 0), "DhcpOptionsId"));
    json_decref(m);
    json_decref(ok(h, "DeleteDhcpOptions", buf));
    done(h);
}

/* -- VPN ---------------------------------------------------------------------------------- */

static void
test_vpn(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/extensions", 200, "extensions.json");
    assert_string_equal(fails(h, "DescribeVpnGateways", "{}"), "UnsupportedOperation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "no VPNaaS (extension vpnaas)"));
    /* cached: no second call */
    assert_string_equal(fails(h, "CreateCustomerGateway", "{\"Type\": \"ipsec.1\"}"),
                        "UnsupportedOperation");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 1);
    done(h);

    h = host();
    ec2gw_test_expect(h, "GET", "network", "/v2.0/extensions", 200, "extensions_vpnaas.json");
    assert_string_equal(fails(h, "CreateVpnConnection",
                              "{\"CustomerGatewayId\": \"cgw-00000001\", \"Type\": \"ipsec.1\"}"),
                        "UnsupportedOperation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "not implemented yet"));
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_describe),
        cmocka_unit_test(test_describe_filters),
        cmocka_unit_test(test_projection_igw),
        cmocka_unit_test(test_projection_eni_blackhole),
        cmocka_unit_test(test_projection_back_to_main),
        cmocka_unit_test(test_route_rollback),
        cmocka_unit_test(test_route_errors),
        cmocka_unit_test(test_route_to_instance),
        cmocka_unit_test(test_replace_main_association),
        cmocka_unit_test(test_dhcp_options),
        cmocka_unit_test(test_dhcp_options_revert),
        cmocka_unit_test(test_vpn),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
