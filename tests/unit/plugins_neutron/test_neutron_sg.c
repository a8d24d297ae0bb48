/*
 * test_neutron_sg.c - security groups and account attributes of neutron-v2.0 through the
 * fake host, with Neutron and Nova answers recorded from the all-in-one cloud (fixtures/sg_*,
 * quota_*, ext_router.json; the OverQuota body is Neutron's error format written by hand:
 * the demo project's quotas are unlimited).
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

/* fixtures/sg_groups.json: rec-web (6 rules), default (4), rec-workers (2) */
#define WEB     "4fa3537d-6263-4d0f-8d30-e6d6f33e3770"
#define WORKERS "bcabb25b-7d31-4920-8bb2-d0ffb57587f0"
#define DEFAULT "995b5084-ff7c-4ffd-adb1-ac2d0f909020"
#define RACER   "e41cf2a7-728c-4a09-8a07-6b2de4d445ac" /* second rec-web, sg_name_two.json */
#define R_SSH   "120a5845-d5a3-4aca-9d5d-5a09a50f8f8b" /* tcp 22 0.0.0.0/0 "ssh" */
#define R_DNS   "2ad12f27-f105-48ec-8d2c-6c5b904e594b" /* udp 53 10.0.0.0/8 */
#define R_RANGE "a635b4d0-9e13-4e75-9c1c-91b734003d18" /* tcp 8000-8100 from WORKERS */
#define SG_WEB  "sg-0000000a"
#define SG_WORK "sg-0000000b"
#define SG_DEF  "sg-0000000d"
#define SGR_SSH "sgr-0000001a"
#define SGR_DNS "sgr-0000001b"
#define GROUPS  "/v2.0/security-groups?project_id=*"
#define RULES   "/v2.0/security-group-rules"
#define QUOTA                                                                                    \
    "{\"NeutronError\": {\"type\": \"OverQuota\", \"message\": \"Quota exceeded for resources: " \
    "['security_group'].\", \"detail\": \"\"}}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NEUTRON_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    assert_int_equal(ec2gw_test_map_id(h, SG_WEB, WEB), 0);
    assert_int_equal(ec2gw_test_map_id(h, SG_WORK, WORKERS), 0);
    assert_int_equal(ec2gw_test_map_id(h, SG_DEF, DEFAULT), 0);
    assert_int_equal(ec2gw_test_map_id(h, SGR_SSH, R_SSH), 0);
    assert_int_equal(ec2gw_test_map_id(h, SGR_DNS, R_DNS), 0);
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

/* The model of group @p id in a DescribeSecurityGroups answer. */
static const json_t *
group_of(const json_t *m, const char *id)
{
    const json_t *g;
    size_t i;

    json_array_foreach(json_object_get(m, "SecurityGroups"), i,
                       g) if (strcmp(str(g, "GroupId"), id) == 0) return g;
    return NULL;
}

/* The last call made (borrowed). */
static const json_t *
last_call(ec2gw_test_host_t *h)
{
    const json_t *c = ec2gw_test_calls(h);

    return json_array_get(c, json_array_size(c) - 1);
}

/* The ids of the groups DescribeSecurityGroups answers with @p params, as "a,b,c". */
static char *
describe_ids(ec2gw_test_host_t *h, const char *params, char *buf, size_t size)
{
    json_t *m;
    const json_t *g;
    size_t i, o = 0;

    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    m = ok(h, "DescribeSecurityGroups", params);
    buf[0] = '\0';
    json_array_foreach(json_object_get(m, "SecurityGroups"), i, g) o +=
        (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "", str(g, "GroupId"));
    json_decref(m);
    return buf;
}

static void
test_describe_model(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *web, *def, *p;
    json_t *m;
    size_t i;
    int seen = 0;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    m = ok(h, "DescribeSecurityGroups", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "SecurityGroups")), 3);
    web = group_of(m, SG_WEB);
    assert_non_null(web);
    assert_string_equal(str(web, "GroupName"), "rec-web");
    assert_string_equal(str(web, "Description"), "web tier");
    assert_string_equal(str(web, "OwnerId"), "project-test");
    json_array_foreach(json_object_get(web, "IpPermissions"), i, p)
    {
        const json_t *r = json_array_get(json_object_get(p, "IpRanges"), 0);
        const json_t *pair = json_array_get(json_object_get(p, "UserIdGroupPairs"), 0);
        const json_t *v6 = json_array_get(json_object_get(p, "Ipv6Ranges"), 0);
        json_int_t from = json_integer_value(json_object_get(p, "FromPort"));

        if (strcmp(str(p, "IpProtocol"), "tcp") == 0 && from == 22) {
            assert_string_equal(str(r, "CidrIp"), "0.0.0.0/0");
            assert_string_equal(str(r, "Description"), "ssh");
            seen |= 1;
        } else if (strcmp(str(p, "IpProtocol"), "tcp") == 0 && from == 8000) {
            assert_int_equal(json_integer_value(json_object_get(p, "ToPort")), 8100);
            assert_string_equal(str(pair, "GroupId"), SG_WORK);
            assert_string_equal(str(pair, "GroupName"), "rec-workers");
            assert_string_equal(str(pair, "UserId"), "project-test");
            seen |= 2;
        } else if (strcmp(str(p, "IpProtocol"), "udp") == 0) {
            assert_string_equal(str(r, "CidrIp"), "10.0.0.0/8");
            assert_null(json_object_get(r, "Description")); /* Neutron's "" is no description */
            seen |= 4;
        } else if (strcmp(str(p, "IpProtocol"), "icmpv6") == 0) { /* Neutron's ipv6-icmp */
            assert_int_equal(from, 128);
            assert_int_equal(json_integer_value(json_object_get(p, "ToPort")), -1);
            assert_string_equal(str(v6, "CidrIpv6"), "::/0");
            seen |= 8;
        }
    }
    assert_int_equal(seen, 15);
    /* egress: Neutron's default rules without a prefix are 0.0.0.0/0 and ::/0, all protocols */
    p = json_array_get(json_object_get(web, "IpPermissionsEgress"), 0);
    assert_int_equal(json_array_size(json_object_get(web, "IpPermissionsEgress")), 1);
    assert_string_equal(str(p, "IpProtocol"), "-1");
    assert_null(json_object_get(p, "FromPort"));
    assert_string_equal(str(json_array_get(json_object_get(p, "IpRanges"), 0), "CidrIp"),
                        "0.0.0.0/0");
    assert_string_equal(str(json_array_get(json_object_get(p, "Ipv6Ranges"), 0), "CidrIpv6"),
                        "::/0");
    /* default: the IPv4 and IPv6 rules from itself are one pair, as on AWS */
    def = group_of(m, SG_DEF);
    p = json_array_get(json_object_get(def, "IpPermissions"), 0);
    assert_int_equal(json_array_size(json_object_get(def, "IpPermissions")), 1);
    assert_int_equal(json_array_size(json_object_get(p, "UserIdGroupPairs")), 1);
    assert_string_equal(str(json_array_get(json_object_get(p, "UserIdGroupPairs"), 0), "GroupId"),
                        SG_DEF);
    json_decref(m);
    done(h);
}

static void
test_describe_filters(void **s)
{
    ec2gw_test_host_t *h = host();
    char b[256];

    (void)s;
#define F(name, value) "{\"Filters\": [{\"Name\": \"" name "\", \"Values\": [\"" value "\"]}]}"
    assert_string_equal(describe_ids(h, F("ip-permission.from-port", "22"), b, sizeof(b)), SG_WEB);
    assert_string_equal(describe_ids(h, F("ip-permission.to-port", "8100"), b, sizeof(b)), SG_WEB);
    assert_string_equal(describe_ids(h, F("ip-permission.cidr", "10.*"), b, sizeof(b)), SG_WEB);
    assert_string_equal(describe_ids(h, F("ip-permission.ipv6-cidr", "::/0"), b, sizeof(b)),
                        SG_WEB);
    assert_string_equal(describe_ids(h, F("ip-permission.protocol", "udp"), b, sizeof(b)), SG_WEB);
    assert_string_equal(describe_ids(h, F("ip-permission.group-name", "rec-workers"), b, sizeof(b)),
                        SG_WEB);
    assert_string_equal(describe_ids(h, F("ip-permission.group-id", SG_DEF), b, sizeof(b)), SG_DEF);
    assert_string_equal(describe_ids(h, F("ip-permission.user-id", "project-test"), b, sizeof(b)),
                        "sg-0000000a,sg-0000000d");
    assert_string_equal(describe_ids(h, F("egress.ip-permission.cidr", "0.0.0.0/0"), b, sizeof(b)),
                        "sg-0000000a,sg-0000000b,sg-0000000d");
    assert_string_equal(describe_ids(h, F("egress.ip-permission.protocol", "tcp"), b, sizeof(b)),
                        "");
    assert_string_equal(describe_ids(h, F("ip-permission.prefix-list-id", "*"), b, sizeof(b)), "");
    assert_string_equal(describe_ids(h, F("description", "batch*"), b, sizeof(b)), SG_WORK);
    assert_string_equal(describe_ids(h, F("owner-id", "project-test"), b, sizeof(b)),
                        "sg-0000000a,sg-0000000b,sg-0000000d");
    assert_string_equal(describe_ids(h, F("vpc-id", "vpc-*"), b, sizeof(b)), "");
    /* exact group-name / group-id values are pushed into Neutron's query */
    assert_string_equal(describe_ids(h, F("group-name", "default"), b, sizeof(b)), SG_DEF);
    assert_non_null(strstr(str(last_call(h), "path"), "&name=default"));
    assert_string_equal(describe_ids(h, F("group-id", SG_WORK), b, sizeof(b)), SG_WORK);
    assert_non_null(strstr(str(last_call(h), "path"), "&id=" WORKERS));
    /* wildcards are not pushed down */
    assert_string_equal(describe_ids(h, F("group-name", "rec-*"), b, sizeof(b)),
                        "sg-0000000a,sg-0000000b");
    assert_null(strstr(str(last_call(h), "path"), "name="));
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DescribeSecurityGroups", F("nope", "x")),
                        "InvalidParameterValue");
    /* tags are the daemon's */
    assert_int_equal(ec2gw_test_set_tags(h, SG_WORK, "[{\"Key\": \"role\", \"Value\": \"w\"}]"), 0);
    assert_string_equal(describe_ids(h, F("tag:role", "w"), b, sizeof(b)), SG_WORK);
    assert_string_equal(describe_ids(h, F("tag-key", "role"), b, sizeof(b)), SG_WORK);
#undef F
    done(h);
}

static void
test_describe_ids_names_paging(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;
    const char *next;
    char b[256], q[128];

    (void)s;
    assert_string_equal(describe_ids(h, "{\"GroupIds\": [\"" SG_WEB "\"]}", b, sizeof(b)), SG_WEB);
    assert_non_null(strstr(str(last_call(h), "path"), "&id=" WEB));
    assert_string_equal(describe_ids(h, "{\"GroupNames\": [\"rec-workers\"]}", b, sizeof(b)),
                        SG_WORK);
    assert_non_null(strstr(str(last_call(h), "path"), "&name=rec-workers"));
    /* an id Neutron does not return (deleted there) is NotFound, as is an unknown name */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "{\"security_groups\": []}");
    assert_string_equal(fails(h, "DescribeSecurityGroups", "{\"GroupIds\": [\"" SG_WEB "\"]}"),
                        "InvalidGroup.NotFound");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DescribeSecurityGroups", "{\"GroupNames\": [\"nope\"]}"),
                        "InvalidGroup.NotFound");
    /* unknown or malformed ids fail before Neutron is asked */
    assert_string_equal(fails(h, "DescribeSecurityGroups", "{\"GroupIds\": [\"sg-12345678\"]}"),
                        "InvalidGroup.NotFound");
    assert_string_equal(fails(h, "DescribeSecurityGroups", "{\"GroupIds\": [\"vpc-12345678\"]}"),
                        "InvalidGroupId.Malformed");
    /* paging through the host: 3 groups, 2 per page */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    m = ok(h, "DescribeSecurityGroups", "{\"MaxResults\": 5}");
    assert_int_equal(json_array_size(json_object_get(m, "SecurityGroups")), 3);
    assert_null(json_object_get(m, "NextToken"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    m = ec2gw_test_action(h, "DescribeSecurityGroups", "{\"MaxResults\": 2}");
    if (m != NULL) { /* the host may refuse a MaxResults under the model's minimum */
        assert_int_equal(json_array_size(json_object_get(m, "SecurityGroups")), 2);
        next = str(m, "NextToken");
        assert_non_null(next);
        snprintf(q, sizeof(q), "{\"MaxResults\": 2, \"NextToken\": \"%s\"}", next);
        json_decref(m);
        assert_string_equal(describe_ids(h, q, b, sizeof(b)), SG_DEF);
    }
    /* Neutron failures */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 500, "{}");
    assert_string_equal(fails(h, "DescribeSecurityGroups", "{}"), "InternalError");
    ec2gw_test_expect_timeout(h, "GET", "network", GROUPS);
    assert_string_equal(fails(h, "DescribeSecurityGroups", "{}"), "Unavailable");
    done(h);
}

static void
test_create(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m, *tags;
    const json_t *body;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*&name=rec-workers*",
                      200, "{\"security_groups\": []}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201, "sg_group_created.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?project_id=*&name=rec-workers*",
                      200, "sg_name_one.json");
    m = ok(h, "CreateSecurityGroup",
           "{\"GroupName\": \"rec-workers\", \"Description\": \"batch workers\", "
           "\"TagSpecifications\": [{\"ResourceType\": \"security-group\", \"Tags\": [{\"Key\": "
           "\"team\", \"Value\": \"hpc\"}]}]}");
    assert_string_equal(str(m, "GroupId"), SG_WORK);
    assert_non_null(strstr(str(m, "SecurityGroupArn"), ":security-group/" SG_WORK));
    json_decref(m);
    body = json_object_get(json_array_get(ec2gw_test_calls(h), 1), "body");
    assert_string_equal(str(json_object_get(body, "security_group"), "name"), "rec-workers");
    assert_string_equal(str(json_object_get(body, "security_group"), "description"),
                        "batch workers");
    tags = ec2gw_test_get_tags(h, SG_WORK);
    assert_string_equal(str(json_array_get(tags, 0), "Value"), "hpc");
    json_decref(tags);

    /* a name the project already has: nothing is made */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*&name=rec-web*", 200,
                      "sg_name_one.json");
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"rec-web\", \"Description\": \"d\"}"),
        "InvalidGroup.Duplicate");
    /* bad input fails before Neutron is asked */
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"default\", \"Description\": \"d\"}"),
        "InvalidGroup.Reserved");
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"sg-1\", \"Description\": \"d\"}"),
        "InvalidParameterValue");
    assert_string_equal(fails(h, "CreateSecurityGroup", "{\"GroupName\": \"x\"}"),
                        "MissingParameter");
    assert_string_equal(fails(h, "CreateSecurityGroup",
                              "{\"GroupName\": \"x\", \"Description\": \"d\", \"VpcId\": "
                              "\"vpc-12345678\"}"),
                        "InvalidVpcID.NotFound");
    assert_string_equal(fails(h, "CreateSecurityGroup",
                              "{\"GroupName\": \"x\", \"Description\": \"d\", "
                              "\"TagSpecifications\": [{\"ResourceType\": \"instance\"}]}"),
                        "InvalidParameterValue");
    /* quota, Neutron down */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 409, QUOTA);
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"x\", \"Description\": \"d\"}"),
        "SecurityGroupLimitExceeded");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect_timeout(h, "POST", "network", "/v2.0/security-groups");
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"x\", \"Description\": \"d\"}"),
        "Unavailable");
    done(h);
}

/* A group made while another create of the same name raced it is deleted again. */
static void
test_create_rollback(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *calls;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*&name=rec-web*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201,
                      "{\"security_group\": {\"id\": \"" RACER "\", \"name\": \"rec-web\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*&name=rec-web*", 200,
                      "sg_name_two.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" RACER, 204, NULL);
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"rec-web\", \"Description\": \"d\"}"),
        "InvalidGroup.Duplicate");
    calls = ec2gw_test_calls(h);
    assert_string_equal(str(json_array_get(calls, 3), "method"), "DELETE");

    /* the re-check fails: the half-made group is deleted, one error */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect(h, "POST", "network", "/v2.0/security-groups", 201,
                      "{\"security_group\": {\"id\": \"" RACER "\", \"name\": \"x\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 500,
                      "{\"NeutronError\": {\"type\": \"HTTPInternalServerError\", \"message\": "
                      "\"Request Failed\", \"detail\": \"\"}}");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" RACER, 204, NULL);
    assert_string_equal(
        fails(h, "CreateSecurityGroup", "{\"GroupName\": \"x\", \"Description\": \"d\"}"),
        "Unavailable");
    done(h);
}

static void
test_delete(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" WEB, 204, NULL);
    m = ok(h, "DeleteSecurityGroup", "{\"GroupId\": \"" SG_WEB "\"}");
    assert_string_equal(str(m, "GroupId"), SG_WEB);
    json_decref(m);
    /* in use by a port (Neutron 409 SecurityGroupInUse) */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", "/v2.0/security-groups/" WEB, 409,
                      "sg_err_in_use.json");
    assert_string_equal(fails(h, "DeleteSecurityGroup", "{\"GroupName\": \"rec-web\"}"),
                        "DependencyViolation");
    /* named by another group's rule; the default group; unknown ones */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DeleteSecurityGroup", "{\"GroupId\": \"" SG_WORK "\"}"),
                        "DependencyViolation");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DeleteSecurityGroup", "{\"GroupName\": \"default\"}"),
                        "CannotDelete");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DeleteSecurityGroup", "{\"GroupId\": \"sg-12345678\"}"),
                        "InvalidGroup.NotFound");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DeleteSecurityGroup", "{\"GroupId\": \"ami-12345678\"}"),
                        "InvalidGroupId.Malformed");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "DeleteSecurityGroup", "{}"), "MissingParameter");
    done(h);
}

static void
test_authorize(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body, *r;
    json_t *m, *tags;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "POST", "network", RULES, 201, "sg_rules_created.json");
    m = ok(h, "AuthorizeSecurityGroupIngress",
           "{\"GroupId\": \"" SG_WEB "\", \"IpPermissions\": [{\"IpProtocol\": \"6\", "
           "\"FromPort\": 443, \"ToPort\": 443, \"IpRanges\": [{\"CidrIp\": \"192.0.2.7/24\", "
           "\"Description\": \"tls\"}], \"UserIdGroupPairs\": [{\"GroupName\": \"rec-workers\"}]}, "
           "{\"IpProtocol\": \"icmp\", \"FromPort\": -1, \"ToPort\": -1, \"Ipv6Ranges\": "
           "[{\"CidrIpv6\": \"2001:db8::/32\"}]}], \"TagSpecifications\": [{\"ResourceType\": "
           "\"security-group-rule\", \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}]}");
    /* one bulk call with the three rules, as Neutron spells them */
    body = json_object_get(json_object_get(last_call(h), "body"), "security_group_rules");
    assert_int_equal(json_array_size(body), 3);
    r = json_array_get(body, 0);
    assert_string_equal(str(r, "protocol"), "tcp");
    assert_string_equal(str(r, "remote_ip_prefix"), "192.0.2.0/24"); /* host bits cleared */
    assert_string_equal(str(r, "description"), "tls");
    assert_int_equal(json_integer_value(json_object_get(r, "port_range_min")), 443);
    assert_string_equal(str(r, "security_group_id"), WEB);
    assert_string_equal(str(json_array_get(body, 1), "remote_group_id"), WORKERS);
    r = json_array_get(body, 2);
    assert_string_equal(str(r, "ethertype"), "IPv6");
    assert_null(json_object_get(r, "port_range_min"));
    /* the answer: Neutron's rules with sgr- ids and their tags */
    r = json_array_get(json_object_get(m, "SecurityGroupRules"), 0);
    assert_int_equal(json_array_size(json_object_get(m, "SecurityGroupRules")), 2);
    assert_non_null(strstr(str(r, "SecurityGroupRuleId"), "sgr-"));
    assert_string_equal(str(r, "GroupId"), SG_WEB);
    assert_string_equal(str(r, "CidrIpv4"), "0.0.0.0/0");
    tags = ec2gw_test_get_tags(h, str(r, "SecurityGroupRuleId"));
    assert_int_equal(json_array_size(tags), 1);
    json_decref(tags);
    r = json_array_get(json_object_get(m, "SecurityGroupRules"), 1);
    assert_string_equal(str(json_object_get(r, "ReferencedGroupInfo"), "GroupId"), SG_WORK);
    json_decref(m);

    /* legacy flat members, egress */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "POST", "network", RULES, 201, "sg_rules_created.json");
    json_decref(ok(h, "AuthorizeSecurityGroupEgress",
                   "{\"GroupId\": \"" SG_WEB "\", \"IpProtocol\": \"udp\", \"FromPort\": 0, "
                   "\"ToPort\": 65535, \"CidrIp\": \"10.1.0.0/16\"}"));
    r = json_array_get(
        json_object_get(json_object_get(last_call(h), "body"), "security_group_rules"), 0);
    assert_string_equal(str(r, "direction"), "egress");
    assert_null(json_object_get(r, "port_range_min")); /* all ports */
    done(h);
}

/* Every bad permission is refused before anything is made (no POST expected). */
static void
test_authorize_errors(void **s)
{
    static const struct {
        const char *perm, *code;
    } bad[] = {
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": "
          "\"0.0.0.0/0\"}]}",
          "InvalidPermission.Duplicate" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 8000, \"ToPort\": 8100, "
          "\"UserIdGroupPairs\": [{\"GroupId\": \"" SG_WORK "\"}]}",
          "InvalidPermission.Duplicate" },
        { "{\"IpProtocol\": \"999\", \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2, \"IpRanges\": [{\"CidrIp\": "
          "\"10.0.0.0/33\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 3, \"ToPort\": 2, \"IpRanges\": [{\"CidrIp\": "
          "\"10.0.0.0/8\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 3, \"IpRanges\": [{\"CidrIp\": "
          "\"10.0.0.0/8\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 70000, \"IpRanges\": "
          "[{\"CidrIp\": "
          "\"10.0.0.0/8\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"icmp\", \"FromPort\": -1, \"ToPort\": 3, \"IpRanges\": [{\"CidrIp\": "
          "\"10.0.0.0/8\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2, \"IpRanges\": [{\"CidrIp\": "
          "\"::/0\"}]}",
          "InvalidParameterValue" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2, \"PrefixListIds\": "
          "[{\"PrefixListId\": \"pl-1\"}]}",
          "UnsupportedOperation" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2}", "MissingParameter" },
        { "{\"FromPort\": 1, \"ToPort\": 2, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]}",
          "MissingParameter" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2, \"UserIdGroupPairs\": "
          "[{\"GroupId\": \"sg-12345678\"}]}",
          "InvalidGroup.NotFound" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2, \"UserIdGroupPairs\": "
          "[{\"GroupName\": \"rec-web\", \"UserId\": \"someone-else\"}]}",
          "InvalidGroup.NotFound" },
        { "{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 2, \"IpRanges\": [{\"CidrIp\": "
          "\"10.0.0.0/8\"}, {\"CidrIp\": \"10.0.0.0/8\"}]}",
          "InvalidPermission.Duplicate" },
    };
    ec2gw_test_host_t *h = host();
    char params[1024];

    (void)s;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(params, sizeof(params), "{\"GroupId\": \"%s\", \"IpPermissions\": [%s]}", SG_WEB,
                 bad[i].perm);
        ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
        assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress", params), bad[i].code);
    }
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress", "{\"GroupId\": \"" SG_WEB "\"}"),
                        "MissingParameter");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress",
                              "{\"GroupName\": \"nope\", \"IpProtocol\": \"tcp\", \"FromPort\": 1, "
                              "\"ToPort\": 1, \"CidrIp\": \"10.0.0.0/8\"}"),
                        "InvalidGroup.NotFound");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress",
                              "{\"GroupId\": \"" SG_WEB "\", \"IpProtocol\": \"tcp\", "
                              "\"IpPermissions\": [{\"IpProtocol\": \"-1\"}]}"),
                        "InvalidParameterCombination");
    /* Neutron's own answers: a rule made meanwhile (409), quota, 500 */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "POST", "network", RULES, 409, "sg_err_rule_exists.json");
    assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress",
                              "{\"GroupId\": \"" SG_WEB
                              "\", \"IpProtocol\": \"tcp\", \"FromPort\": "
                              "5, \"ToPort\": 5, \"CidrIp\": \"10.0.0.0/8\"}"),
                        "InvalidPermission.Duplicate");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "POST", "network", RULES, 409, QUOTA);
    assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress",
                              "{\"GroupId\": \"" SG_WEB
                              "\", \"IpProtocol\": \"tcp\", \"FromPort\": "
                              "5, \"ToPort\": 5, \"CidrIp\": \"10.0.0.0/8\"}"),
                        "RulesPerSecurityGroupLimitExceeded");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "POST", "network", RULES, 400, "sg_err_protocol.json");
    assert_string_equal(fails(h, "AuthorizeSecurityGroupIngress",
                              "{\"GroupId\": \"" SG_WEB "\", \"IpProtocol\": \"132\", \"CidrIp\": "
                              "\"10.0.0.0/8\"}"),
                        "InvalidParameterValue");
    done(h);
}

static void
test_revoke(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;
    const json_t *u, *r;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_SSH, 204, NULL);
    m = ok(h, "RevokeSecurityGroupIngress",
           "{\"GroupId\": \"" SG_WEB "\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", "
           "\"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}, "
           "{\"CidrIp\": \"10.9.0.0/16\"}]}]}");
    r = json_array_get(json_object_get(m, "RevokedSecurityGroupRules"), 0);
    assert_string_equal(str(r, "SecurityGroupRuleId"), SGR_SSH);
    assert_string_equal(str(r, "Description"), "ssh");
    u = json_array_get(json_object_get(m, "UnknownIpPermissions"), 0);
    assert_string_equal(str(json_array_get(json_object_get(u, "IpRanges"), 0), "CidrIp"),
                        "10.9.0.0/16");
    json_decref(m);
    /* by rule id, and a group source */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_DNS, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_RANGE, 404, "sg_err_not_found.json");
    json_decref(ok(h, "RevokeSecurityGroupIngress",
                   "{\"GroupName\": \"rec-web\", \"SecurityGroupRuleIds\": [\"" SGR_DNS "\"], "
                   "\"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 8000, \"ToPort\": "
                   "8100, \"UserIdGroupPairs\": [{\"GroupId\": \"" SG_WORK "\"}]}]}"));
    /* nothing matches: NotFound and no call */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "RevokeSecurityGroupIngress",
                              "{\"GroupId\": \"" SG_WEB
                              "\", \"IpProtocol\": \"tcp\", \"FromPort\": "
                              "1, \"ToPort\": 1, \"CidrIp\": \"10.0.0.0/8\"}"),
                        "InvalidPermission.NotFound");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "RevokeSecurityGroupEgress",
                              "{\"GroupId\": \"" SG_WEB "\", \"SecurityGroupRuleIds\": [\"" SGR_SSH
                              "\"]}"),
                        "InvalidSecurityGroupRuleId.NotFound");
    done(h);
}

/* A revoke that fails halfway makes the deleted rule again: the group is as it was. */
static void
test_revoke_rollback(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *calls, *body;
    json_t *tags;

    (void)s;
    assert_int_equal(ec2gw_test_set_tags(h, SGR_SSH, "[{\"Key\": \"k\", \"Value\": \"v\"}]"), 0);
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_SSH, 204, NULL);
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_DNS, 500,
                      "{\"NeutronError\": {\"type\": \"HTTPInternalServerError\", \"message\": "
                      "\"Request Failed\", \"detail\": \"\"}}");
    ec2gw_test_expect(h, "POST", "network", RULES, 201,
                      "{\"security_group_rules\": [{\"id\": \"new-ssh\", \"direction\": "
                      "\"ingress\"}]}");
    assert_string_equal(fails(h, "RevokeSecurityGroupIngress",
                              "{\"GroupId\": \"" SG_WEB "\", \"SecurityGroupRuleIds\": [\"" SGR_SSH
                              "\", \"" SGR_DNS "\"]}"),
                        "InternalError");
    calls = ec2gw_test_calls(h);
    body =
        json_object_get(json_object_get(json_array_get(calls, 3), "body"), "security_group_rules");
    assert_int_equal(json_array_size(body), 1);
    assert_string_equal(str(json_array_get(body, 0), "description"), "ssh");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(body, 0), "port_range_min")),
                     22);
    /* the sgr- id keeps its tags (its row was made again for the re-created rule; the fake
     * host keeps ids apart from items, the integration test checks the id itself) */
    tags = ec2gw_test_get_tags(h, SGR_SSH);
    assert_int_equal(json_array_size(tags), 1);
    json_decref(tags);
    done(h);
}

static void
test_modify_and_descriptions(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;

    (void)s;
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_SSH, 204, NULL);
    ec2gw_test_expect(h, "POST", "network", RULES, 201,
                      "{\"security_group_rules\": [{\"id\": \"moved\"}]}");
    json_decref(
        ok(h, "ModifySecurityGroupRules",
           "{\"GroupId\": \"" SG_WEB "\", \"SecurityGroupRules\": [{\"SecurityGroupRuleId\": "
           "\"" SGR_SSH "\", \"SecurityGroupRule\": {\"IpProtocol\": \"tcp\", \"FromPort\": "
           "2222, \"ToPort\": 2222, \"CidrIpv4\": \"1.2.3.0/24\", \"Description\": "
           "\"moved\"}}]}"));
    body = json_array_get(
        json_object_get(json_object_get(last_call(h), "body"), "security_group_rules"), 0);
    assert_int_equal(json_integer_value(json_object_get(body, "port_range_max")), 2222);
    /* the new rule would equal another one: refused, nothing changed */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(
        fails(h, "ModifySecurityGroupRules",
              "{\"GroupId\": \"" SG_WEB
              "\", \"SecurityGroupRules\": [{\"SecurityGroupRuleId\": \"" SGR_DNS
              "\", \"SecurityGroupRule\": {\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": "
              "22, \"CidrIpv4\": \"0.0.0.0/0\"}}]}"),
        "InvalidPermission.Duplicate");
    /* creating the new rule fails: the old one is made again */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_DNS, 204, NULL);
    ec2gw_test_expect_timeout(h, "POST", "network", RULES);
    ec2gw_test_expect(h, "POST", "network", RULES, 201,
                      "{\"security_group_rules\": [{\"id\": \"dns-again\"}]}");
    assert_string_equal(
        fails(h, "ModifySecurityGroupRules",
              "{\"GroupId\": \"" SG_WEB
              "\", \"SecurityGroupRules\": [{\"SecurityGroupRuleId\": \"" SGR_DNS
              "\", \"SecurityGroupRule\": {\"IpProtocol\": \"udp\", \"FromPort\": 54, \"ToPort\": "
              "54, \"CidrIpv4\": \"10.0.0.0/8\"}}]}"),
        "Unavailable");
    body = json_array_get(
        json_object_get(json_object_get(last_call(h), "body"), "security_group_rules"), 0);
    assert_int_equal(json_integer_value(json_object_get(body, "port_range_min")), 53);
    /* refused by the daemon's decoder before the plugin runs */
    assert_string_equal(fails(h, "ModifySecurityGroupRules", "{\"GroupId\": \"" SG_WEB "\"}"),
                        "MissingParameter");
    /* descriptions: Neutron rules are immutable, so the rule is replaced under the same id */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_DNS, 204, NULL);
    ec2gw_test_expect(h, "POST", "network", RULES, 201,
                      "{\"security_group_rules\": [{\"id\": \"dns-described\"}]}");
    json_decref(ok(h, "UpdateSecurityGroupRuleDescriptionsIngress",
                   "{\"GroupId\": \"" SG_WEB "\", \"IpPermissions\": [{\"IpProtocol\": \"udp\", "
                   "\"FromPort\": 53, \"ToPort\": 53, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\", "
                   "\"Description\": \"dns\"}]}]}"));
    body = json_array_get(
        json_object_get(json_object_get(last_call(h), "body"), "security_group_rules"), 0);
    assert_string_equal(str(body, "description"), "dns");
    /* a rule named twice: Modify refuses, descriptions take the last and replace it once */
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(
        fails(h, "ModifySecurityGroupRules",
              "{\"GroupId\": \"" SG_WEB
              "\", \"SecurityGroupRules\": [{\"SecurityGroupRuleId\": \"" SGR_DNS
              "\", \"SecurityGroupRule\": {\"IpProtocol\": \"udp\", \"FromPort\": 54, \"ToPort\": "
              "54, \"CidrIpv4\": \"10.0.0.0/8\"}}, {\"SecurityGroupRuleId\": \"" SGR_DNS
              "\", \"SecurityGroupRule\": {\"IpProtocol\": \"udp\", \"FromPort\": 55, \"ToPort\": "
              "55, \"CidrIpv4\": \"10.0.0.0/8\"}}]}"),
        "InvalidParameterValue");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    ec2gw_test_expect(h, "DELETE", "network", RULES "/" R_DNS, 204, NULL);
    ec2gw_test_expect(h, "POST", "network", RULES, 201,
                      "{\"security_group_rules\": [{\"id\": \"dns-twice\"}]}");
    json_decref(
        ok(h, "UpdateSecurityGroupRuleDescriptionsIngress",
           "{\"GroupId\": \"" SG_WEB "\", \"SecurityGroupRuleDescriptions\": "
           "[{\"SecurityGroupRuleId\": \"" SGR_DNS "\", \"Description\": \"first\"}], "
           "\"IpPermissions\": [{\"IpProtocol\": \"udp\", \"FromPort\": 53, \"ToPort\": 53, "
           "\"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\", \"Description\": \"last\"}]}]}"));
    body = json_object_get(json_object_get(last_call(h), "body"), "security_group_rules");
    assert_int_equal(json_array_size(body), 1);
    assert_string_equal(str(json_array_get(body, 0), "description"), "last");
    ec2gw_test_expect(h, "GET", "network", GROUPS, 200, "sg_groups.json");
    assert_string_equal(fails(h, "UpdateSecurityGroupRuleDescriptionsEgress",
                              "{\"GroupId\": \"" SG_WEB "\", \"IpPermissions\": [{\"IpProtocol\": "
                              "\"udp\", \"FromPort\": 53, \"ToPort\": 53, \"IpRanges\": "
                              "[{\"CidrIp\": \"10.0.0.0/8\"}]}]}"),
                        "InvalidPermission.NotFound");
    done(h);
}

static void
test_describe_rules(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;
    const json_t *r;
    size_t i;
    int ssh = 0;

    (void)s;
    ec2gw_test_expect(h, "GET", "network",
                      "/v2.0/security-group-rules?project_id=*&security_group_id=" WEB, 200,
                      "sg_rules_list.json");
    m = ok(h, "DescribeSecurityGroupRules",
           "{\"Filters\": [{\"Name\": \"group-id\", \"Values\": [\"" SG_WEB "\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "SecurityGroupRules")), 6);
    json_array_foreach(json_object_get(m, "SecurityGroupRules"), i, r)
    {
        assert_string_equal(str(r, "GroupId"), SG_WEB);
        assert_string_equal(str(r, "GroupOwnerId"), "project-test");
        if (strcmp(str(r, "SecurityGroupRuleId"), SGR_SSH) == 0) {
            assert_string_equal(str(r, "CidrIpv4"), "0.0.0.0/0");
            assert_int_equal(json_integer_value(json_object_get(r, "FromPort")), 22);
            assert_false(json_is_true(json_object_get(r, "IsEgress")));
            ssh = 1;
        }
    }
    assert_true(ssh);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-group-rules?project_id=*", 200,
                      "sg_rules_list.json");
    m = ok(h, "DescribeSecurityGroupRules",
           "{\"Filters\": [{\"Name\": \"security-group-rule-id\", \"Values\": [\"" SGR_DNS
           "\"]}]}");
    assert_int_equal(json_array_size(json_object_get(m, "SecurityGroupRules")), 1);
    json_decref(m);
    assert_string_equal(
        fails(h, "DescribeSecurityGroupRules", "{\"SecurityGroupRuleIds\": [\"sgr-12345678\"]}"),
        "InvalidSecurityGroupRuleId.NotFound");
    assert_string_equal(
        fails(h, "DescribeSecurityGroupRules", "{\"SecurityGroupRuleIds\": [\"sg-12345678\"]}"),
        "InvalidSecurityGroupRuleId.Malformed");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-group-rules?project_id=*", 200,
                      "sg_rules_list.json");
    assert_string_equal(fails(h, "DescribeSecurityGroupRules",
                              "{\"Filters\": [{\"Name\": \"cidr\", \"Values\": [\"x\"]}]}"),
                        "InvalidParameterValue");
    done(h);
}

static void
test_account_attributes(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;
    const json_t *a;
    size_t i;

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/os-quota-sets/project-test", 200,
                      "{\"quota_set\": {\"instances\": 10}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/quotas/project-test", 200,
                      "{\"quota\": {\"floatingip\": 50, \"security_group\": 12}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/extensions/router", 200, "ext_router.json");
    m = ok(h, "DescribeAccountAttributes", "{}");
    assert_int_equal(json_array_size(json_object_get(m, "AccountAttributes")), 6);
    json_array_foreach(json_object_get(m, "AccountAttributes"), i, a)
    {
        const char *n = str(a, "AttributeName");
        const json_t *v = json_object_get(a, "AttributeValues");
        const char *v0 = str(json_array_get(v, 0), "AttributeValue");

        if (strcmp(n, "supported-platforms") == 0)
            assert_int_equal(json_array_size(v), 2);
        else if (strcmp(n, "default-vpc") == 0)
            assert_string_equal(v0, "none");
        else if (strcmp(n, "max-instances") == 0)
            assert_string_equal(v0, "10");
        else if (strcmp(n, "vpc-max-security-groups-per-interface") == 0)
            assert_string_equal(v0, "12");
        else
            assert_string_equal(v0, "50");
    }
    json_decref(m);
    /* recorded answers (unlimited: -1); only the calls asked for */
    ec2gw_test_expect(h, "GET", "compute", "/os-quota-sets/*", 200, "quota_compute.json");
    m = ok(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"max-instances\"]}");
    a = json_array_get(json_object_get(m, "AccountAttributes"), 0);
    assert_string_equal(
        str(json_array_get(json_object_get(a, "AttributeValues"), 0), "AttributeValue"), "-1");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/quotas/*", 200, "quota_network.json");
    json_decref(ok(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"max-elastic-ips\"]}"));
    json_decref(ok(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"default-vpc\"]}"));
    /* no router extension: EC2 only */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/extensions/router", 404, "{}");
    m = ok(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"supported-platforms\"]}");
    a = json_array_get(json_object_get(m, "AccountAttributes"), 0);
    assert_int_equal(json_array_size(json_object_get(a, "AttributeValues")), 1);
    json_decref(m);
    assert_string_equal(fails(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"x\"]}"),
                        "InvalidParameterValue");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/quotas/*", 500, "{}");
    assert_string_equal(
        fails(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"vpc-max-elastic-ips\"]}"),
        "InternalError");
    ec2gw_test_expect_timeout(h, "GET", "compute", "/os-quota-sets/*");
    assert_string_equal(
        fails(h, "DescribeAccountAttributes", "{\"AttributeNames\": [\"max-instances\"]}"),
        "Unavailable");
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_model),
        cmocka_unit_test(test_describe_filters),
        cmocka_unit_test(test_describe_ids_names_paging),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_create_rollback),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_authorize),
        cmocka_unit_test(test_authorize_errors),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_revoke_rollback),
        cmocka_unit_test(test_modify_and_descriptions),
        cmocka_unit_test(test_describe_rules),
        cmocka_unit_test(test_account_attributes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
