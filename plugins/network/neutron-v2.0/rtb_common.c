/*
 * rtb_common.c - what the route-table actions share: the database view of a VPC, association
 * ids, IPv4 CIDRs, and what a route points at (next hop, state).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtb.h"

json_t *
rtb_items(ec2gw_req_t *req, const char *kind, const char *vpc_id)
{
    json_t *all = NULL;
    const char *k;
    json_t *v;
    void *tmp;

    if (ec2gw->items_list(req, kind, &all) != 0 || all == NULL) {
        ec2gw->fail(req, 500, "InternalError", "could not read the %s items", kind);
        return NULL;
    }
    neutron_own(req, all);
    if (vpc_id != NULL)
        json_object_foreach_safe(all, tmp, k, v)
        {
            if (strcmp(neutron_or(neutron_str(v, VPC_F_VPC_ID)), vpc_id) != 0)
                json_object_del(all, k);
        }
    return all;
}

json_t *
rtb_get(ec2gw_req_t *req, const char *id, const char *param)
{
    json_t *data = NULL;

    if (id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter %s",
                    param);
        return NULL;
    }
    if (strncmp(id, "rtb-", 4) != 0) {
        ec2gw->fail(req, 400, "InvalidRouteTableID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"rtb-...\")", id);
        return NULL;
    }
    if (ec2gw->item_get(req, id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        ec2gw->fail(req, 400, "InvalidRouteTableID.NotFound",
                    "The routeTable ID '%.64s' does not exist", id);
        return NULL;
    }
    return neutron_own(req, data);
}

json_t *
rtb_vpc(ec2gw_req_t *req, const char *id)
{
    json_t *data = NULL;

    if (id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter VpcId");
        return NULL;
    }
    if (strncmp(id, "vpc-", 4) != 0) {
        ec2gw->fail(req, 400, "InvalidVpcID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"vpc-...\")", id);
        return NULL;
    }
    if (ec2gw->item_get(req, id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        ec2gw->fail(req, 400, "InvalidVpcID.NotFound", "The vpc ID '%.64s' does not exist", id);
        return NULL;
    }
    return neutron_own(req, data);
}

/* The IPv4 domain-name-servers of the VPC's DHCP options ([] for the default ones, and for
 * AmazonProvidedDNS: Neutron's own resolver); returns new. */
static json_t *
rtb_vpc_dns(ec2gw_req_t *req, const json_t *vpc)
{
    const char *id = neutron_str(vpc, VPC_F_DHCP_OPTIONS_ID);
    json_t *out = json_array(), *dopt = NULL, *v;
    struct in_addr a;
    size_t i;

    if (id == NULL || strcmp(id, "default") == 0 || ec2gw->item_get(req, id, &dopt) != 0)
        return out;
    json_array_foreach(
        json_object_get(json_object_get(dopt, VPC_F_DHCP_CONFIGURATION), "domain-name-servers"), i,
        v)
    {
        if (json_string_value(v) != NULL && inet_pton(AF_INET, json_string_value(v), &a) == 1)
            json_array_append(out, v);
    }
    json_decref(dopt);
    return out;
}

int
rtb_world_load(ec2gw_req_t *req, const char *vpc_id, struct rtb_world *w)
{
    memset(w, 0, sizeof(*w));
    w->vpc_id = vpc_id;
    if ((w->vpc = rtb_vpc(req, vpc_id)) == NULL)
        return -1;
    if ((w->subnets = rtb_items(req, VPC_KIND_SUBNET, vpc_id)) == NULL ||
        (w->rtbs = rtb_items(req, VPC_KIND_RTB, vpc_id)) == NULL ||
        (w->igws = rtb_items(req, VPC_KIND_IGW, NULL)) == NULL ||
        (w->enis = rtb_items(req, VPC_KIND_ENI, NULL)) == NULL)
        return -1;
    w->dns = neutron_own(req, rtb_vpc_dns(req, w->vpc));
    return 0;
}

const char *
rtb_of_subnet(const struct rtb_world *w, const json_t *subnet)
{
    const char *own = neutron_str(subnet, VPC_F_ROUTE_TABLE_ID);

    return own != NULL ? own : neutron_str(w->vpc, VPC_F_ROUTE_TABLE_ID);
}

const char *
rtb_assoc_id(ec2gw_req_t *req, const char *parent_id)
{
    const char *dash = strchr(parent_id, '-');

    return ec2gw->psprintf(req, "rtbassoc-%s", dash != NULL ? dash + 1 : parent_id);
}

json_t *
rtb_row(const json_t *data)
{
    json_t *row = json_deep_copy(data);

    json_object_del(row, VPC_F_OS_ID);
    json_object_del(row, "id");
    return row;
}

/* -- IPv4 --------------------------------------------------------------------------------- */

static uint32_t
rtb_mask(int prefix)
{
    return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int
rtb_cidr_parse(const char *s, uint32_t *net, int *prefix)
{
    char ip[16], *end;
    const char *slash = s != NULL ? strchr(s, '/') : NULL;
    struct in_addr a;
    long p;

    if (slash == NULL || slash == s || (size_t)(slash - s) >= sizeof(ip) || slash[1] == '\0')
        return -1;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    p = strtol(slash + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 32 || inet_pton(AF_INET, ip, &a) != 1)
        return -1;
    *prefix = (int)p;
    *net = ntohl(a.s_addr) & rtb_mask((int)p);
    return 0;
}

int
rtb_cidr_within(uint32_t a, int ap, uint32_t b, int bp)
{
    return ap >= bp && (a & rtb_mask(bp)) == (b & rtb_mask(bp));
}

const char *
rtb_ip_text(ec2gw_req_t *req, uint32_t addr)
{
    return ec2gw->psprintf(req, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
                           addr & 255);
}

/* -- targets ------------------------------------------------------------------------------ */

static int
rtb_igw_attached(const struct rtb_targets *t, const char *igw)
{
    const json_t *d = json_object_get(t->igws, igw);

    return d != NULL && strcmp(neutron_or(neutron_str(d, VPC_F_VPC_ID)), t->vpc_id) == 0;
}

const char *
rtb_next_hop(const struct rtb_targets *t, const json_t *route, const char *gw)
{
    const char *g = neutron_str(route, VPC_F_GATEWAY_ID);
    const char *eni = neutron_str(route, VPC_F_NETWORK_INTERFACE_ID);

    if (g != NULL && strcmp(g, VPC_GATEWAY_LOCAL) == 0)
        return VPC_GATEWAY_LOCAL;
    if (g != NULL)
        return rtb_igw_attached(t, g) ? gw : NULL;
    if (eni != NULL)
        return neutron_str(json_object_get(t->enis, eni), "ip");
    return NULL;
}

const char *
rtb_route_state(const struct rtb_targets *t, const json_t *route)
{
    const char *g = neutron_str(route, VPC_F_GATEWAY_ID);
    const char *eni = neutron_str(route, VPC_F_NETWORK_INTERFACE_ID);

    if (g != NULL)
        return strcmp(g, VPC_GATEWAY_LOCAL) == 0 || rtb_igw_attached(t, g) ? "active" : "blackhole";
    if (eni != NULL && json_is_true(json_object_get(json_object_get(t->enis, eni), "active")))
        return "active";
    return "blackhole";
}

json_t *
rtb_route_enis(json_t *rtbs)
{
    json_t *seen = json_object(), *out, *v;
    const char *k;
    const json_t *r;
    size_t i;

    json_object_foreach(rtbs, k, v)
    {
        json_array_foreach(json_object_get(v, VPC_F_ROUTES), i, r)
        {
            const char *eni = neutron_str(r, VPC_F_NETWORK_INTERFACE_ID);

            if (eni != NULL)
                json_object_set_new(seen, eni, json_true());
        }
    }
    out = json_array();
    json_object_foreach(seen, k, v) json_array_append_new(out, json_string(k));
    json_decref(seen);
    return out;
}

const char *
rtb_ports_path(ec2gw_req_t *req, const json_t *eni_ids, const json_t *eni_rows)
{
    char *q = NULL;
    const json_t *v;
    size_t i;

    json_array_foreach(eni_ids, i, v)
    {
        const char *os = neutron_str(json_object_get(eni_rows, json_string_value(v)), VPC_F_OS_ID);
        json_t *one;

        if (os == NULL)
            continue;
        one = json_pack("[s]", os);
        q = neutron_query_add(req, q, "id", one);
        json_decref(one);
    }
    if (q == NULL)
        return NULL;
    return neutron_path(req, "ports",
                        ec2gw->psprintf(req,
                                        "%s&fields=id&fields=fixed_ips&fields=status"
                                        "&fields=device_id&fields=device_owner",
                                        q));
}

json_t *
rtb_targets_fill(ec2gw_req_t *req, json_t *eni_rows, const json_t *ports)
{
    json_t *out = neutron_own(req, json_object());
    json_t *by_os = neutron_own(req, json_object());
    const char *k;
    json_t *row, *p;
    size_t i;

    json_array_foreach(json_object_get(ports, "ports"), i, p)
    {
        if (neutron_str(p, "id") != NULL)
            json_object_set(by_os, neutron_str(p, "id"), p);
    }
    json_object_foreach(eni_rows, k, row)
    {
        const char *ip = neutron_str(row, VPC_F_PRIVATE_IP_ADDRESS);
        const char *dev;
        json_t *t;

        if ((p = json_object_get(by_os, neutron_or(neutron_str(row, VPC_F_OS_ID)))) == NULL)
            continue;
        if (ip == NULL)
            ip = neutron_str(json_array_get(json_object_get(p, "fixed_ips"), 0), "ip_address");
        t = json_pack("{s:s*, s:b}", "ip", ip, "active",
                      strcmp(neutron_or(neutron_str(p, "status")), "ACTIVE") == 0);
        dev = neutron_str(p, "device_owner");
        if (dev != NULL && strncmp(dev, "compute:", 8) == 0 && neutron_str(p, "device_id"))
            json_object_set_new(t, "device_id", json_string(neutron_str(p, "device_id")));
        json_object_set_new(out, k, t);
    }
    return out;
}
