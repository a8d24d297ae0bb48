/*
 * sg_perms.c - IpPermissions.N and the legacy flat members (IpProtocol, FromPort, ToPort,
 * CidrIp, SourceSecurityGroupName/OwnerId) into canonical rules, validated as AWS does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "neutron.h"
#include "sg.h"

/* Most rules one request may name (AWS allows 60 per group and direction). */
#define SG_MAX_RULES 200

static int EC2GW_PRINTF(3, 4) sg_bad(ec2gw_req_t *req, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ec2gw->fail(req, 400, code, "%s", msg);
    return -1;
}

/* Integer member @p key of @p o, or @p def when absent. */
static json_int_t
sg_int(const json_t *o, const char *key, json_int_t def)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? json_integer_value(v) : def;
}

/* Check the ports of @p proto; 0 or -1 after failing the request. */
static int
sg_check_ports(ec2gw_req_t *req, const char *proto, const json_t *perm, json_int_t *from,
               json_int_t *to)
{
    int has_from = json_is_integer(json_object_get(perm, "FromPort"));
    int has_to = json_is_integer(json_object_get(perm, "ToPort"));

    *from = sg_int(perm, "FromPort", -1);
    *to = sg_int(perm, "ToPort", -1);
    if (sg_proto_has_ports(proto)) {
        if (!has_from || !has_to)
            return sg_bad(req, "InvalidParameterValue",
                          "Invalid value 'Must specify both from and to ports with TCP/UDP.' for "
                          "portRange");
        if (*from < 0 || *from > 65535 || *to < 0 || *to > 65535) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT
                        "' for portRange: TCP/UDP ports are 0 to 65535",
                        *from, *to);
            return -1;
        }
        if (*from > *to) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid TCP/UDP port range: the from port (%" JSON_INTEGER_FORMAT
                        ") is greater than the to port (%" JSON_INTEGER_FORMAT ")",
                        *from, *to);
            return -1;
        }
        if (*to == 0)
            return sg_bad(req, "InvalidParameterValue",
                          "Invalid value '0' for portRange: port 0 cannot be opened");
    } else if (sg_proto_is_icmp(proto)) {
        if (*from < -1 || *from > 255 || *to < -1 || *to > 255) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
                        "' for ICMP type/code: each is -1 (all) or 0 to 255",
                        *from, *to);
            return -1;
        }
        if (*from == -1 && *to != -1)
            return sg_bad(req, "InvalidParameterValue",
                          "Invalid ICMP code: the code must be -1 when the type is -1 (all)");
    }
    return 0;
}

/* Append the canonical rule of one source; 0 or -1 after failing (duplicate in request). */
static int
sg_push(ec2gw_req_t *req, json_t *out, json_t *c, size_t perm)
{
    json_object_set_new(c, "perm", json_integer((json_int_t)perm));
    if (json_array_size(out) >= SG_MAX_RULES) {
        json_decref(c);
        return sg_bad(req, "InvalidParameterValue", "Too many rules in one request (at most 200)");
    }
    json_array_append_new(out, c);
    return 0;
}

/* The Neutron id of one UserIdGroupPairs entry; NULL after failing the request. */
static const char *
sg_pair_group(ec2gw_req_t *req, struct sg_ctx *c, const json_t *pair)
{
    const char *id = neutron_str(pair, "GroupId"), *name = neutron_str(pair, "GroupName");
    const char *user = neutron_str(pair, "UserId");
    const json_t *g;

    if (neutron_str(pair, "VpcPeeringConnectionId") != NULL) {
        sg_bad(req, "UnsupportedOperation",
               "The parameter VpcPeeringConnectionId is not supported: this cloud has no VPC "
               "peering");
        return NULL;
    }
    if (id == NULL && name == NULL) {
        sg_bad(req, "MissingParameter",
               "UserIdGroupPairs needs a GroupId or a GroupName for each group");
        return NULL;
    }
    if (id != NULL && strncmp(id, "sg-", 3) != 0) {
        ec2gw->fail(req, 400, "InvalidGroupId.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"sg-...\")", id);
        return NULL;
    }
    g = (user == NULL || strcmp(user, c->names.owner) == 0) ? sg_find(c, id, name) : NULL;
    if (g == NULL) {
        sg_not_found(req, id != NULL ? id : name);
        return NULL;
    }
    return neutron_str(g, "id");
}

int
sg_perm_parse(ec2gw_req_t *req, struct sg_ctx *c, const json_t *perm, size_t pi, json_t *out)
{
    const char *dir = c->egress ? "egress" : "ingress";
    const char *in = neutron_str(perm, "IpProtocol");
    const json_t *e;
    json_int_t from, to;
    char proto[8];
    size_t i, before = json_array_size(out);

    if (in == NULL)
        return sg_bad(req, "MissingParameter", "The request must contain the parameter ipProtocol");
    if (sg_proto_from_ec2(in, proto) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.32s' for IP protocol. Unknown protocol.", in);
        return -1;
    }
    if (sg_check_ports(req, proto, perm, &from, &to) != 0)
        return -1;
    if (json_array_size(json_object_get(perm, "PrefixListIds")) > 0)
        return sg_bad(req, "UnsupportedOperation",
                      "The parameter PrefixListIds is not supported: OpenStack Neutron has no "
                      "prefix lists");
    json_array_foreach(json_object_get(perm, "IpRanges"), i, e)
    {
        const char *cidr = neutron_str(e, "CidrIp"), *eth = NULL;
        char norm[64];

        if (cidr == NULL)
            return sg_bad(req, "MissingParameter", "IpRanges needs a CidrIp");
        if (sg_cidr_normalize(cidr, norm, &eth) != 0 || strcmp(eth, "IPv4") != 0)
            return sg_bad(req, "InvalidParameterValue", "CIDR block %.64s is malformed", cidr);
        if (strcmp(proto, "icmpv6") == 0)
            return sg_bad(req, "InvalidParameterValue",
                          "Invalid value 'icmpv6' for IP protocol with the IPv4 range %.64s", cidr);
        if (sg_push(req, out,
                    sg_canon_new(dir, proto, from, to, "IPv4", norm, NULL,
                                 neutron_str(e, "Description")),
                    pi) != 0)
            return -1;
    }
    json_array_foreach(json_object_get(perm, "Ipv6Ranges"), i, e)
    {
        const char *cidr = neutron_str(e, "CidrIpv6"), *eth = NULL;
        char norm[64];

        if (cidr == NULL)
            return sg_bad(req, "MissingParameter", "Ipv6Ranges needs a CidrIpv6");
        if (sg_cidr_normalize(cidr, norm, &eth) != 0 || strcmp(eth, "IPv6") != 0)
            return sg_bad(req, "InvalidParameterValue", "CIDR block %.64s is malformed", cidr);
        if (sg_push(req, out,
                    sg_canon_new(dir, proto, from, to, "IPv6", norm, NULL,
                                 neutron_str(e, "Description")),
                    pi) != 0)
            return -1;
    }
    json_array_foreach(json_object_get(perm, "UserIdGroupPairs"), i, e)
    {
        const char *g = sg_pair_group(req, c, e);

        if (g == NULL)
            return -1;
        if (sg_push(
                req, out,
                sg_canon_new(dir, proto, from, to, "IPv4", NULL, g, neutron_str(e, "Description")),
                pi) != 0)
            return -1;
    }
    if (json_array_size(out) == before)
        return sg_bad(req, "MissingParameter",
                      "IpPermissions needs a source or destination: IpRanges, Ipv6Ranges or "
                      "UserIdGroupPairs");
    return 0;
}

/* The legacy flat members as one IpPermissions entry (returns new), or NULL when absent. */
static json_t *
sg_legacy_perm(ec2gw_req_t *req, const json_t *params, int *n_perms)
{
    const char *proto = neutron_str(params, "IpProtocol");
    const char *cidr = neutron_str(params, "CidrIp");
    const char *src = neutron_str(params, "SourceSecurityGroupName");
    const char *owner = neutron_str(params, "SourceSecurityGroupOwnerId");
    json_t *pairs = json_array(), *ranges = json_array(), *out = json_array();

    (void)req;
    *n_perms = 0;
    if (proto == NULL && cidr == NULL && src == NULL &&
        json_object_get(params, "FromPort") == NULL && json_object_get(params, "ToPort") == NULL) {
        json_decref(pairs);
        json_decref(ranges);
        json_decref(out);
        return NULL;
    }
    if (src != NULL)
        json_array_append_new(pairs, json_pack("{s:s, s:s*}", "GroupName", src, "UserId", owner));
    if (cidr != NULL)
        json_array_append_new(ranges, json_pack("{s:s}", "CidrIp", cidr));
    if (proto == NULL && src != NULL && cidr == NULL) {
        /* EC2-Classic: a source group alone opens TCP, UDP and ICMP from it. */
        json_array_append_new(out,
                              json_pack("{s:s, s:i, s:i, s:O}", "IpProtocol", "tcp", "FromPort", 0,
                                        "ToPort", 65535, "UserIdGroupPairs", pairs));
        json_array_append_new(out,
                              json_pack("{s:s, s:i, s:i, s:O}", "IpProtocol", "udp", "FromPort", 0,
                                        "ToPort", 65535, "UserIdGroupPairs", pairs));
        json_array_append_new(out,
                              json_pack("{s:s, s:i, s:i, s:O}", "IpProtocol", "icmp", "FromPort",
                                        -1, "ToPort", -1, "UserIdGroupPairs", pairs));
    } else {
        json_t *p = json_pack("{s:s*, s:O, s:O}", "IpProtocol", proto, "IpRanges", ranges,
                              "UserIdGroupPairs", pairs);

        if (json_object_get(params, "FromPort") != NULL)
            json_object_set(p, "FromPort", json_object_get(params, "FromPort"));
        if (json_object_get(params, "ToPort") != NULL)
            json_object_set(p, "ToPort", json_object_get(params, "ToPort"));
        json_array_append_new(out, p);
    }
    json_decref(pairs);
    json_decref(ranges);
    *n_perms = (int)json_array_size(out);
    return out;
}

json_t *
sg_perms_parse(ec2gw_req_t *req, struct sg_ctx *c, const json_t *params)
{
    const json_t *perms = json_object_get(params, "IpPermissions");
    json_t *out = neutron_own(req, json_array());
    int n_legacy = 0;
    json_t *legacy = neutron_own(req, sg_legacy_perm(req, params, &n_legacy));
    const json_t *p;
    size_t i;

    if (legacy != NULL && json_array_size(perms) > 0) {
        sg_bad(req, "InvalidParameterCombination",
               "IpPermissions may not be combined with the flat IpProtocol, FromPort, ToPort, "
               "CidrIp and SourceSecurityGroup* parameters");
        return NULL;
    }
    if (legacy != NULL)
        perms = legacy;
    if (json_array_size(perms) > SG_MAX_RULES) {
        sg_bad(req, "InvalidParameterValue", "Too many IpPermissions (at most 200)");
        return NULL;
    }
    json_array_foreach(perms, i, p) if (sg_perm_parse(req, c, p, i, out) != 0) return NULL;
    return out;
}
