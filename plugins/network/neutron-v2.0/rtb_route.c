/*
 * rtb_route.c - CreateRoute, ReplaceRoute and DeleteRoute (openstack-mapping.md §16.5).
 * Targets: an internet gateway attached to the table's VPC, a network interface in the VPC,
 * or an instance with exactly one interface in the VPC (found from its Neutron ports:
 *   GET /v2.0/ports?device_id=..   or, for an interface,   GET /v2.0/ports?id=..).
 * Every change ends in rtb_commit: stored, projected onto the subnets, or undone.
 */
#include <string.h>

#include "rtb.h"

struct rtb_route_req {
    struct neutron_inst *ni;
    int replace;
    const char *rtb_id, *vpc_id, *dest;
    json_t *rtb, *subnets;
    const char *instance_id; /* InstanceId, while its interface is looked up */
    json_t *route;           /* the route to store */
};

/* Parameters that name a target ec2gw cannot route to; each answers UnsupportedOperation. */
static const char *const rtb_unserved[] = {
    "NatGatewayId",           "TransitGatewayId", "VpcEndpointId",  "EgressOnlyInternetGatewayId",
    "LocalGatewayId",         "CarrierGatewayId", "CoreNetworkArn", "OdbNetworkArn",
    "VpcPeeringConnectionId",
};

/* Exactly one target: 0, or -1 after failing. */
static int
rtb_one_target(ec2gw_req_t *req, const json_t *p)
{
    static const char *const served[] = { "GatewayId", "InstanceId", "NetworkInterfaceId" };
    const char *unserved = NULL;
    int n = 0;
    size_t i;

    for (i = 0; i < sizeof(served) / sizeof(served[0]); i++)
        n += json_object_get(p, served[i]) != NULL;
    for (i = 0; i < sizeof(rtb_unserved) / sizeof(rtb_unserved[0]); i++)
        if (json_object_get(p, rtb_unserved[i]) != NULL) {
            n++;
            unserved = rtb_unserved[i];
        }
    if (n == 0) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain exactly one of gatewayId, networkInterfaceId or "
                    "instanceId");
        return -1;
    }
    if (n > 1) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "The request must contain exactly one of gatewayId, networkInterfaceId or "
                    "instanceId");
        return -1;
    }
    if (unserved != NULL) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "%s: this cloud has no such route targets (internet gateways, network "
                    "interfaces and instances only)",
                    unserved);
        return -1;
    }
    return 0;
}

/* DestinationCidrBlock, normalised, not inside the VPC's CIDR: pool text or NULL (failed). */
static const char *
rtb_destination(ec2gw_req_t *req, const json_t *vpc, int check_local)
{
    const json_t *p = ec2gw->params(req);
    const char *d = neutron_str(p, "DestinationCidrBlock");
    uint32_t net, vnet;
    int prefix, vprefix;

    if (json_object_get(p, "DestinationIpv6CidrBlock") != NULL ||
        json_object_get(p, "DestinationPrefixListId") != NULL) {
        ec2gw->fail(req, 400, "UnsupportedOperation", "%s: VPCs here have IPv4 CIDRs only",
                    json_object_get(p, "DestinationIpv6CidrBlock") ? "DestinationIpv6CidrBlock"
                                                                   : "DestinationPrefixListId");
        return NULL;
    }
    if (d == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter DestinationCidrBlock");
        return NULL;
    }
    if (rtb_cidr_parse(d, &net, &prefix) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%.64s) for parameter destinationCidrBlock is invalid. This is not a "
                    "valid CIDR block.",
                    d);
        return NULL;
    }
    if (check_local && rtb_cidr_parse(neutron_str(vpc, VPC_F_CIDR_BLOCK), &vnet, &vprefix) == 0 &&
        rtb_cidr_within(net, prefix, vnet, vprefix)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "The destination CIDR block %.64s is equal to or more specific than one of "
                    "this VPC's CIDR blocks. This route can target only an interface or an "
                    "instance.",
                    d);
        return NULL;
    }
    return ec2gw->psprintf(req, "%s/%d", rtb_ip_text(req, net), prefix);
}

/* The route of the table to @p dest, or NULL; *at its index. */
static json_t *
rtb_find(const json_t *rtb, const char *dest, size_t *at)
{
    json_t *r;
    size_t i;

    json_array_foreach(json_object_get(rtb, VPC_F_ROUTES), i, r)
    {
        if (strcmp(neutron_or(neutron_str(r, VPC_F_DESTINATION_CIDR_BLOCK)), dest) == 0) {
            *at = i;
            return r;
        }
    }
    return NULL;
}

static int
rtb_same_target(const json_t *a, const json_t *b)
{
    static const char *const keys[] = { VPC_F_GATEWAY_ID, VPC_F_NETWORK_INTERFACE_ID };

    for (size_t i = 0; i < 2; i++) {
        const char *x = neutron_str(a, keys[i]), *y = neutron_str(b, keys[i]);

        if ((x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
            return 0;
    }
    return 1;
}

/* Store s->route into the table (Create or Replace rules) and commit. */
static int
rtb_route_apply(ec2gw_req_t *req, struct rtb_route_req *s)
{
    json_t *after = neutron_own(req, json_deep_copy(s->rtb));
    json_t *routes = json_object_get(after, VPC_F_ROUTES);
    json_t *old;
    size_t at = 0;
    struct rtb_change ch = { .id = s->rtb_id, .before = s->rtb, .after = after };

    old = rtb_find(after, s->dest, &at);
    if (old != NULL && strcmp(neutron_or(neutron_str(old, VPC_F_GATEWAY_ID)), "local") == 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "The route %s is the local route of the VPC and cannot be changed", s->dest);
        return EC2GW_OK;
    }
    if (!s->replace && old != NULL) {
        if (rtb_same_target(old, s->route))
            neutron_finish_true(req); /* the same route again: nothing to do */
        else
            ec2gw->fail(req, 400, "RouteAlreadyExists",
                        "The route identified by %s already exists.", s->dest);
        return EC2GW_OK;
    }
    if (s->replace && old == NULL) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "There is no route defined for '%s' in the route table. Use CreateRoute "
                    "instead.",
                    s->dest);
        return EC2GW_OK;
    }
    if (old != NULL)
        json_array_set(routes, at, s->route);
    else
        json_array_append(routes, s->route);
    return rtb_commit(req, s->ni, s->vpc_id, &ch, 1, json_pack("{s:b}", "Return", 1));
}

/* Is Neutron port @p p on a subnet of the table's VPC? */
static int
rtb_port_in_vpc(const struct rtb_route_req *s, const json_t *p)
{
    const json_t *ip, *sub;
    const char *k;
    size_t i;

    json_array_foreach(json_object_get(p, "fixed_ips"), i, ip)
    {
        json_object_foreach(s->subnets, k, sub)
        {
            if (strcmp(neutron_or(neutron_str(sub, VPC_F_OS_ID)),
                       neutron_or(neutron_str(ip, "subnet_id"))) == 0)
                return 1;
        }
    }
    return 0;
}

static void
rtb_route_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct rtb_route_req *s = arg;
    const json_t *p, *mine = NULL;
    const char *eni = NULL;
    size_t i, n = 0;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "ports"), i, p) if (rtb_port_in_vpc(s, p))
    {
        mine = p;
        n++;
    }
    if (s->instance_id != NULL && n != 1) {
        ec2gw->fail(req, 400, n == 0 ? "InvalidParameterValue" : "InvalidInstanceID",
                    n == 0 ? "The instance %s has no network interface in %s"
                           : "There are multiple interfaces attached to instance '%s' in %s. "
                             "Please specify an interface ID for the operation instead.",
                    s->instance_id, s->vpc_id);
        return;
    }
    if (n == 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Route table %s and network interface %s belong to different networks",
                    s->rtb_id, neutron_param_str(req, "NetworkInterfaceId"));
        return;
    }
    if (ec2gw->id_to_ec2(req, VPC_KIND_ENI, neutron_str(mine, "id"), &eni) != 0) {
        ec2gw->fail(req, 500, "InternalError", "could not map the network interface's id");
        return;
    }
    json_object_set_new(s->route, VPC_F_NETWORK_INTERFACE_ID, json_string(eni));
    if (s->instance_id != NULL)
        json_object_set_new(s->route, VPC_F_INSTANCE_ID, json_string(s->instance_id));
    rtb_route_apply(req, s);
}

/* Look the target up; returns what the handler returns. */
static int
rtb_route_target(ec2gw_req_t *req, struct rtb_route_req *s)
{
    const json_t *p = ec2gw->params(req);
    const char *gw = neutron_str(p, "GatewayId"), *eni = neutron_str(p, "NetworkInterfaceId");
    const char *os = NULL, *q;
    json_t *igw = NULL;
    ec2gw_os_call_t call;

    s->instance_id = neutron_str(p, "InstanceId");
    if (gw != NULL) {
        if (strncmp(gw, "igw-", 4) != 0 || ec2gw->item_get(req, gw, &igw) != 0) {
            ec2gw->fail(req, 400,
                        strncmp(gw, "igw-", 4) == 0 ? "InvalidInternetGatewayID.NotFound"
                                                    : "InvalidGatewayID.NotFound",
                        "The gateway ID '%.64s' does not exist", gw);
            return EC2GW_OK;
        }
        neutron_own(req, igw);
        if (strcmp(neutron_or(neutron_str(igw, VPC_F_VPC_ID)), s->vpc_id) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Route table %s and network gateway %s belong to different networks",
                        s->rtb_id, gw);
            return EC2GW_OK;
        }
        json_object_set_new(s->route, VPC_F_GATEWAY_ID, json_string(gw));
        return rtb_route_apply(req, s);
    }
    if (s->instance_id != NULL && ec2gw->id_to_os(req, s->instance_id, &os) != 0) {
        ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                    "The instance ID '%.64s' does not exist", s->instance_id);
        return EC2GW_OK;
    }
    if (eni != NULL && (strncmp(eni, "eni-", 4) != 0 || ec2gw->id_to_os(req, eni, &os) != 0)) {
        ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.NotFound",
                    "The networkInterface ID '%.64s' does not exist", eni);
        return EC2GW_OK;
    }
    q = ec2gw->psprintf(req, "%s=%s&fields=id&fields=fixed_ips",
                        s->instance_id != NULL ? "device_id" : "id", ec2gw->url_escape(req, os));
    call = EC2GW_OS_GET("network", neutron_path(req, "ports", q));
    return ec2gw->os_call(req, &call, rtb_route_ports, s);
}

static int
rtb_route_write(ec2gw_req_t *req, void *inst, int replace)
{
    struct rtb_route_req *s = ec2gw->pcalloc(req, sizeof(*s));
    json_t *vpc;

    s->ni = inst;
    s->replace = replace;
    s->rtb_id = neutron_param_str(req, "RouteTableId");
    if ((s->rtb = rtb_get(req, s->rtb_id, "RouteTableId")) == NULL ||
        (vpc = rtb_vpc(req, s->vpc_id = neutron_str(s->rtb, VPC_F_VPC_ID))) == NULL ||
        rtb_one_target(req, ec2gw->params(req)) != 0 ||
        (s->dest = rtb_destination(req, vpc, 1)) == NULL ||
        (s->subnets = rtb_items(req, VPC_KIND_SUBNET, s->vpc_id)) == NULL)
        return EC2GW_OK;
    if (replace && json_is_true(json_object_get(ec2gw->params(req), "LocalTarget"))) {
        ec2gw->fail(req, 400, "UnsupportedOperation", "LocalTarget is not supported");
        return EC2GW_OK;
    }
    s->route = neutron_own(req, json_pack("{s:s, s:s}", VPC_F_DESTINATION_CIDR_BLOCK, s->dest,
                                          VPC_F_ORIGIN, VPC_ORIGIN_CREATE_ROUTE));
    return rtb_route_target(req, s);
}

int
neutron_create_route(ec2gw_req_t *req, void *inst)
{
    return rtb_route_write(req, inst, 0);
}

int
neutron_replace_route(ec2gw_req_t *req, void *inst)
{
    return rtb_route_write(req, inst, 1);
}

int
neutron_delete_route(ec2gw_req_t *req, void *inst)
{
    const char *id = neutron_param_str(req, "RouteTableId"), *dest;
    json_t *rtb, *vpc, *after, *old;
    size_t at = 0;
    struct rtb_change ch = { .id = id };

    if ((rtb = rtb_get(req, id, "RouteTableId")) == NULL ||
        (vpc = rtb_vpc(req, neutron_str(rtb, VPC_F_VPC_ID))) == NULL ||
        (dest = rtb_destination(req, vpc, 0)) == NULL)
        return EC2GW_OK;
    after = neutron_own(req, json_deep_copy(rtb));
    if ((old = rtb_find(after, dest, &at)) == NULL) {
        ec2gw->fail(req, 400, "InvalidRoute.NotFound",
                    "There is no route defined for '%s' in the route table.", dest);
        return EC2GW_OK;
    }
    if (strcmp(neutron_or(neutron_str(old, VPC_F_GATEWAY_ID)), VPC_GATEWAY_LOCAL) == 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "cannot remove local route %s in route table %s", dest, id);
        return EC2GW_OK;
    }
    json_array_remove(json_object_get(after, VPC_F_ROUTES), at);
    ch.before = rtb;
    ch.after = after;
    return rtb_commit(req, inst, neutron_str(rtb, VPC_F_VPC_ID), &ch, 1,
                      json_pack("{s:b}", "Return", 1));
}
