/*
 * sg_rule.c - security group rules between EC2 and Neutron (pure functions).
 *
 * Both sides meet in one canonical form, a JSON object
 *   {dir: "ingress"|"egress", eth: "IPv4"|"IPv6", proto: "-1"|"tcp"|"udp"|"icmp"|"icmpv6"|"<n>",
 *    min, max (integers or null), cidr (normalised prefix, or null with a group), group
 *    (remote Neutron group id or null), desc, id (Neutron rule id, existing rules only)}
 * so that a permission asked by a client and a rule stored by Neutron compare on one key:
 * Neutron's "6" and "tcp", a missing prefix and 0.0.0.0/0, ports 1-65535 and none are equal.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "neutron.h"
#include "sg.h"

/* Neutron's protocol names (neutron-lib constants) and their numbers. */
static const struct {
    const char *name;
    int num;
} sg_proto_names[] = {
    { "hopopt", 0 },      { "icmp", 1 },        { "igmp", 2 },       { "ipip", 4 },
    { "tcp", 6 },         { "egp", 8 },         { "udp", 17 },       { "dccp", 33 },
    { "ipv6-encap", 41 }, { "ipv6-route", 43 }, { "ipv6-frag", 44 }, { "rsvp", 46 },
    { "gre", 47 },        { "esp", 50 },        { "ah", 51 },        { "ipv6-icmp", 58 },
    { "icmpv6", 58 },     { "ipv6-nonxt", 59 }, { "ipv6-opts", 60 }, { "ospf", 89 },
    { "vrrp", 112 },      { "pgm", 113 },       { "sctp", 132 },     { "udplite", 136 },
};

/* The EC2 spelling of protocol number @p n: the four names EC2 knows, else the number. */
static const char *
sg_proto_of_num(int n, char buf[8])
{
    switch (n) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmpv6";
    default:
        snprintf(buf, 8, "%u", (unsigned)n & 0xffu);
        return buf;
    }
}

static int
sg_all_digits(const char *s)
{
    if (*s == '\0' || strlen(s) > 3)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int
sg_proto_from_ec2(const char *in, char out[8])
{
    if (in == NULL)
        return -1;
    if (strcmp(in, "-1") == 0) {
        strcpy(out, "-1");
        return 0;
    }
    if (sg_all_digits(in)) {
        char tmp[8];
        int n = atoi(in);

        if (n > 255)
            return -1;
        snprintf(out, 8, "%s", sg_proto_of_num(n, tmp));
        return 0;
    }
    if (strcasecmp(in, "tcp") == 0 || strcasecmp(in, "udp") == 0 || strcasecmp(in, "icmp") == 0 ||
        strcasecmp(in, "icmpv6") == 0) {
        for (size_t i = 0; in[i] && i < 7; i++)
            out[i] = (char)tolower((unsigned char)in[i]);
        out[strlen(in)] = '\0';
        return 0;
    }
    return -1;
}

/* Neutron's protocol (name, number or null) in EC2 spelling. */
static const char *
sg_proto_from_neutron(const char *p, char buf[8])
{
    if (p == NULL || *p == '\0' || strcmp(p, "any") == 0)
        return "-1";
    if (sg_all_digits(p))
        return sg_proto_of_num(atoi(p), buf);
    for (size_t i = 0; i < sizeof(sg_proto_names) / sizeof(sg_proto_names[0]); i++)
        if (strcasecmp(p, sg_proto_names[i].name) == 0)
            return sg_proto_of_num(sg_proto_names[i].num, buf);
    snprintf(buf, 8, "%.7s", p);
    return buf;
}

int
sg_proto_has_ports(const char *proto)
{
    return strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0;
}

int
sg_proto_is_icmp(const char *proto)
{
    return strcmp(proto, "icmp") == 0 || strcmp(proto, "icmpv6") == 0;
}

int
sg_cidr_normalize(const char *in, char out[64], const char **eth)
{
    char addr[48];
    const char *slash;
    unsigned char buf[16];
    long bits;
    char *end;
    int fam, len;

    if (in == NULL || (slash = strchr(in, '/')) == NULL || (size_t)(slash - in) >= sizeof(addr))
        return -1;
    memcpy(addr, in, (size_t)(slash - in));
    addr[slash - in] = '\0';
    fam = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
    len = fam == AF_INET6 ? 128 : 32;
    if (inet_pton(fam, addr, buf) != 1 || !isdigit((unsigned char)slash[1]))
        return -1;
    bits = strtol(slash + 1, &end, 10);
    if (*end != '\0' || bits < 0 || bits > len || strlen(slash + 1) > 3)
        return -1;
    for (int i = 0; i < len / 8; i++) {
        int keep = (int)bits - i * 8;

        if (keep <= 0)
            buf[i] = 0;
        else if (keep < 8)
            buf[i] &= (unsigned char)(0xff << (8 - keep));
    }
    if (inet_ntop(fam, buf, addr, sizeof(addr)) == NULL)
        return -1;
    snprintf(out, 64, "%s/%ld", addr, bits);
    *eth = fam == AF_INET6 ? "IPv6" : "IPv4";
    return 0;
}

/* Ports in canonical form: tcp/udp all ports is null/null; 0 is Neutron's 1. */
static void
sg_canon_ports(json_t *c, const char *proto, json_t *min, json_t *max)
{
    if (sg_proto_has_ports(proto)) {
        json_int_t lo = json_is_integer(min) ? json_integer_value(min) : -1;
        json_int_t hi = json_is_integer(max) ? json_integer_value(max) : -1;

        if (lo <= 1 && (hi == 65535 || hi < 0)) {
            json_object_set_new(c, "min", json_null());
            json_object_set_new(c, "max", json_null());
        } else {
            json_object_set_new(c, "min", json_integer(lo < 1 ? 1 : lo));
            json_object_set_new(c, "max", json_integer(hi < 0 ? lo : hi));
        }
    } else if (sg_proto_is_icmp(proto)) {
        int any_type = !json_is_integer(min) || json_integer_value(min) < 0;
        int any_code = any_type || !json_is_integer(max) || json_integer_value(max) < 0;

        json_object_set_new(c, "min", any_type ? json_null() : json_copy(min));
        json_object_set_new(c, "max", any_code ? json_null() : json_copy(max));
    } else {
        json_object_set_new(c, "min", json_null());
        json_object_set_new(c, "max", json_null());
    }
}

json_t *
sg_canon_from_neutron(const json_t *r)
{
    char pbuf[8], cbuf[64];
    const char *proto = sg_proto_from_neutron(neutron_str(r, "protocol"), pbuf);
    const char *eth = neutron_or(neutron_str(r, "ethertype"));
    const char *prefix = neutron_str(r, "remote_ip_prefix");
    const char *group = neutron_str(r, "remote_group_id");
    const char *e2 = eth;
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s*, s:s*}", "dir",
                          neutron_or(neutron_str(r, "direction")), "eth", eth, "proto", proto,
                          "desc", neutron_or(neutron_str(r, "description")), "id",
                          neutron_str(r, "id"), "sg", neutron_str(r, "security_group_id"));

    sg_canon_ports(c, proto, json_object_get(r, "port_range_min"),
                   json_object_get(r, "port_range_max"));
    if (group != NULL) {
        json_object_set_new(c, "group", json_string(group));
        json_object_set_new(c, "cidr", json_null());
    } else {
        if (prefix == NULL || sg_cidr_normalize(prefix, cbuf, &e2) != 0)
            snprintf(cbuf, sizeof(cbuf), "%s", strcmp(eth, "IPv6") == 0 ? "::/0" : "0.0.0.0/0");
        json_object_set_new(c, "cidr", json_string(cbuf));
        json_object_set_new(c, "group", json_null());
    }
    return c;
}

json_t *
sg_canon_new(const char *dir, const char *proto, json_int_t from, json_int_t to, const char *eth,
             const char *cidr, const char *group, const char *desc)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s*, s:s*}", "dir", dir, "eth", eth, "proto",
                          proto, "desc", neutron_or(desc), "cidr", cidr, "group", group);
    json_t *min = json_integer(from), *max = json_integer(to);

    if (cidr == NULL)
        json_object_set_new(c, "cidr", json_null());
    if (group == NULL)
        json_object_set_new(c, "group", json_null());
    sg_canon_ports(c, proto, min, max);
    json_decref(min);
    json_decref(max);
    return c;
}

static void
sg_int_text(const json_t *v, char buf[24])
{
    if (json_is_integer(v))
        snprintf(buf, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        snprintf(buf, 24, "*");
}

char *
sg_canon_key(const json_t *c, char *buf, size_t size)
{
    char lo[24], hi[24];

    sg_int_text(json_object_get(c, "min"), lo);
    sg_int_text(json_object_get(c, "max"), hi);
    /* A group source means all its addresses: Neutron's IPv4 and IPv6 twins are one rule. */
    snprintf(buf, size, "%s|%s|%s|%s|%s|%s|%s", neutron_or(neutron_str(c, "dir")),
             neutron_str(c, "group") != NULL ? "*" : neutron_or(neutron_str(c, "eth")),
             neutron_or(neutron_str(c, "proto")), lo, hi, neutron_or(neutron_str(c, "cidr")),
             neutron_or(neutron_str(c, "group")));
    return buf;
}

json_t *
sg_neutron_body(const json_t *c, const char *group_os_id)
{
    const char *proto = neutron_str(c, "proto");
    json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "security_group_id", group_os_id, "direction",
                          neutron_str(c, "dir"), "ethertype", neutron_str(c, "eth"), "description",
                          neutron_or(neutron_str(c, "desc")));

    if (strcmp(proto, "icmpv6") == 0)
        json_object_set_new(r, "protocol", json_string("ipv6-icmp"));
    else if (strcmp(proto, "-1") != 0)
        json_object_set_new(r, "protocol", json_string(proto));
    if (json_is_integer(json_object_get(c, "min")))
        json_object_set(r, "port_range_min", json_object_get(c, "min"));
    if (json_is_integer(json_object_get(c, "max")))
        json_object_set(r, "port_range_max", json_object_get(c, "max"));
    if (neutron_str(c, "group") != NULL)
        json_object_set(r, "remote_group_id", json_object_get(c, "group"));
    else
        json_object_set(r, "remote_ip_prefix", json_object_get(c, "cidr"));
    return json_pack("{s:o}", "security_group_rule", r);
}

/* EC2 FromPort/ToPort of a canonical rule; 0 when the permission shows none. */
int
sg_ec2_ports(const json_t *c, json_int_t *from, json_int_t *to)
{
    const char *proto = neutron_or(neutron_str(c, "proto"));
    const json_t *min = json_object_get(c, "min"), *max = json_object_get(c, "max");

    if (sg_proto_has_ports(proto)) {
        *from = json_is_integer(min) ? json_integer_value(min) : 0;
        *to = json_is_integer(max) ? json_integer_value(max) : 65535;
        return 1;
    }
    *from = json_is_integer(min) ? json_integer_value(min) : -1;
    *to = json_is_integer(max) ? json_integer_value(max) : -1;
    return sg_proto_is_icmp(proto);
}

json_t *
sg_rule_model(const json_t *c, const struct sg_names *n)
{
    json_int_t from, to;
    const char *group = neutron_str(c, "group");
    json_t *m = json_pack(
        "{s:s*, s:s*, s:s, s:b, s:s, s:s}", "SecurityGroupRuleId",
        json_string_value(json_object_get(n->rule_ids, neutron_or(neutron_str(c, "id")))),
        "GroupId",
        json_string_value(json_object_get(n->group_ids, neutron_or(neutron_str(c, "sg")))),
        "GroupOwnerId", n->owner, "IsEgress",
        strcmp(neutron_or(neutron_str(c, "dir")), "egress") == 0, "IpProtocol",
        neutron_str(c, "proto"), "Description", neutron_or(neutron_str(c, "desc")));

    sg_ec2_ports(c, &from, &to);
    json_object_set_new(m, "FromPort", json_integer(from));
    json_object_set_new(m, "ToPort", json_integer(to));
    if (group != NULL) {
        const char *gid = json_string_value(json_object_get(n->group_ids, group));

        json_object_set_new(m, "ReferencedGroupInfo",
                            json_pack("{s:s*, s:s}", "GroupId", gid, "UserId", n->owner));
    } else if (strcmp(neutron_or(neutron_str(c, "eth")), "IPv6") == 0) {
        json_object_set(m, "CidrIpv6", json_object_get(c, "cidr"));
    } else {
        json_object_set(m, "CidrIpv4", json_object_get(c, "cidr"));
    }
    json_object_set_new(m, "Tags", json_array());
    return m;
}

/* Add canonical rule @p c to the permission of its (protocol, ports) in @p perms. */
static void
sg_perm_add(json_t *perms, const json_t *c, const struct sg_names *n)
{
    json_int_t from, to;
    int ports = sg_ec2_ports(c, &from, &to);
    const char *proto = neutron_str(c, "proto");
    const char *group = neutron_str(c, "group"), *desc = neutron_str(c, "desc");
    json_t *perm = NULL, *p;
    size_t i;

    json_array_foreach(perms, i, p)
    {
        if (strcmp(neutron_str(p, "IpProtocol"), proto) != 0)
            continue;
        if (ports && (json_integer_value(json_object_get(p, "FromPort")) != from ||
                      json_integer_value(json_object_get(p, "ToPort")) != to))
            continue;
        perm = p;
        break;
    }
    if (perm == NULL) {
        perm = json_pack("{s:s, s:[], s:[], s:[], s:[]}", "IpProtocol", proto, "IpRanges",
                         "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds");
        if (ports) {
            json_object_set_new(perm, "FromPort", json_integer(from));
            json_object_set_new(perm, "ToPort", json_integer(to));
        }
        json_array_append_new(perms, perm);
    }
    if (desc != NULL && *desc == '\0')
        desc = NULL;
    if (group != NULL) {
        const char *gid = json_string_value(json_object_get(n->group_ids, group));
        const json_t *pair;

        json_array_foreach(
            json_object_get(perm, "UserIdGroupPairs"), i,
            pair) if (strcmp(neutron_or(neutron_str(pair, "GroupId")), neutron_or(gid)) ==
                      0) return; /* the IPv6 twin of a group rule */
        json_array_append_new(json_object_get(perm, "UserIdGroupPairs"),
                              json_pack("{s:s*, s:s*, s:s, s:s*}", "GroupId",
                                        json_string_value(json_object_get(n->group_ids, group)),
                                        "GroupName",
                                        json_string_value(json_object_get(n->group_names, group)),
                                        "UserId", n->owner, "Description", desc));
    } else if (strcmp(neutron_or(neutron_str(c, "eth")), "IPv6") == 0) {
        json_array_append_new(
            json_object_get(perm, "Ipv6Ranges"),
            json_pack("{s:O, s:s*}", "CidrIpv6", json_object_get(c, "cidr"), "Description", desc));
    } else {
        json_array_append_new(
            json_object_get(perm, "IpRanges"),
            json_pack("{s:O, s:s*}", "CidrIp", json_object_get(c, "cidr"), "Description", desc));
    }
}

json_t *
sg_group_model(const json_t *g, const struct sg_names *n)
{
    const char *os_id = neutron_or(neutron_str(g, "id"));
    json_t *in = json_array(), *out = json_array();
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(g, "security_group_rules"), i, r)
    {
        json_t *c = sg_canon_from_neutron(r);

        sg_perm_add(strcmp(neutron_str(c, "dir"), "egress") == 0 ? out : in, c, n);
        json_decref(c);
    }
    return json_pack("{s:s*, s:s, s:s, s:s, s:o, s:o, s:[]}", "GroupId",
                     json_string_value(json_object_get(n->group_ids, os_id)), "GroupName",
                     neutron_or(neutron_str(g, "name")), "Description",
                     neutron_or(neutron_str(g, "description")), "OwnerId", n->owner,
                     "IpPermissions", in, "IpPermissionsEgress", out, "Tags");
}

char *
sg_rule_text(const json_t *c, const struct sg_names *n, char *buf, size_t size)
{
    json_int_t from, to;
    const char *group = neutron_str(c, "group"), *proto = neutron_str(c, "proto");
    const char *peer = group != NULL
                           ? neutron_or(json_string_value(json_object_get(n->group_ids, group)))
                           : neutron_or(neutron_str(c, "cidr"));
    char up[8];
    size_t i;

    for (i = 0; proto[i] && i < sizeof(up) - 1; i++)
        up[i] = (char)toupper((unsigned char)proto[i]);
    up[i] = '\0';
    sg_ec2_ports(c, &from, &to);
    snprintf(buf, size,
             "peer: %s, %s, from port: %" JSON_INTEGER_FORMAT ", to port: %" JSON_INTEGER_FORMAT
             ", ALLOW",
             peer, strcmp(proto, "-1") == 0 ? "ALL" : up, from, to);
    return buf;
}

json_t *
sg_perms_model(const json_t *canon, const struct sg_names *n)
{
    json_t *perms = json_array();
    const json_t *c;
    size_t i;

    json_array_foreach(canon, i, c) sg_perm_add(perms, c, n);
    return perms;
}
