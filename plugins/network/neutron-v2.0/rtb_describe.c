/*
 * rtb_describe.c - DescribeRouteTables and the RouteTable model. The database gives the
 * tables, their VPCs, subnets (associations), internet gateways and ENIs in one query per
 * kind; a route's state needs only one Neutron call,
 *   GET /v2.0/ports?id=..   (the ENIs routes point at: status, address, instance)
 * made only when some route points at an ENI (no Nova call per instance route).
 */
#include <string.h>

#include "rtb.h"

struct rtb_desc {
    json_t *rtbs, *vpcs, *subnets;
    struct rtb_targets t;
};

static json_t *
rtb_assoc_model(ec2gw_req_t *req, const char *rtb_id, const char *parent, int main)
{
    json_t *a = json_pack("{s:b, s:s, s:s, s:{s:s}}", "Main", main, "RouteTableAssociationId",
                          rtb_assoc_id(req, parent), "RouteTableId", rtb_id, "AssociationState",
                          "State", "associated");

    if (!main)
        json_object_set_new(a, "SubnetId", json_string(parent));
    return a;
}

static json_t *
rtb_route_model(ec2gw_req_t *req, const json_t *r, const struct rtb_targets *t)
{
    const char *eni = neutron_str(r, VPC_F_NETWORK_INTERFACE_ID);
    const char *inst = neutron_str(json_object_get(t->enis, neutron_or(eni)), "instance");
    json_t *m = json_pack("{s:s*, s:s*, s:s*, s:s, s:s}", "DestinationCidrBlock",
                          neutron_str(r, VPC_F_DESTINATION_CIDR_BLOCK), "GatewayId",
                          neutron_str(r, VPC_F_GATEWAY_ID), "NetworkInterfaceId", eni, "Origin",
                          neutron_or(neutron_str(r, VPC_F_ORIGIN)), "State", rtb_route_state(t, r));

    if (inst == NULL)
        inst = neutron_str(r, VPC_F_INSTANCE_ID);
    if (inst != NULL)
        json_object_set_new(m, "InstanceId", json_string(inst));
    if (inst != NULL)
        json_object_set_new(m, "InstanceOwnerId", json_string(ec2gw->identity(req)->owner_id));
    if (neutron_str(r, VPC_F_ORIGIN) == NULL)
        json_object_set_new(m, "Origin", json_string(VPC_ORIGIN_CREATE_ROUTE));
    return m;
}

json_t *
rtb_table_model(ec2gw_req_t *req, const char *id, const json_t *rtb, const json_t *vpc,
                json_t *subnets, const struct rtb_targets *t)
{
    const char *vpc_id = neutron_str(rtb, VPC_F_VPC_ID);
    json_t *routes = json_array(), *assocs = json_array();
    json_t *r, *s;
    const char *k;
    size_t i;

    json_array_foreach(json_object_get(rtb, VPC_F_ROUTES), i, r)
        json_array_append_new(routes, rtb_route_model(req, r, t));
    if (strcmp(neutron_or(neutron_str(vpc, VPC_F_ROUTE_TABLE_ID)), id) == 0)
        json_array_append_new(assocs, rtb_assoc_model(req, id, neutron_or(vpc_id), 1));
    json_object_foreach(subnets, k, s)
    {
        if (strcmp(neutron_or(neutron_str(s, VPC_F_VPC_ID)), neutron_or(vpc_id)) == 0 &&
            strcmp(neutron_or(neutron_str(s, VPC_F_ROUTE_TABLE_ID)), id) == 0)
            json_array_append_new(assocs, rtb_assoc_model(req, id, k, 0));
    }
    return json_pack("{s:o, s:[], s:s, s:o, s:[], s:s*, s:s}", "Associations", assocs,
                     "PropagatingVgws", "RouteTableId", id, "Routes", routes, "Tags", "VpcId",
                     vpc_id, "OwnerId", ec2gw->identity(req)->owner_id);
}

/* -- filters ------------------------------------------------------------------------------ */

static void
rtb_add_member(json_t *out, const json_t *list, const char *member)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        json_t *m = json_object_get(v, member);

        if (json_is_string(m))
            json_array_append(out, m);
        else if (json_is_boolean(m))
            json_array_append_new(out, json_string(json_is_true(m) ? "true" : "false"));
    }
}

static int
rtb_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *out, void *arg)
{
    static const char *const scalar[][2] = {
        { "route-table-id", "RouteTableId" },
        { "vpc-id", "VpcId" },
        { "owner-id", "OwnerId" },
    };
    static const char *const assoc[][2] = {
        { "association.route-table-association-id", "RouteTableAssociationId" },
        { "association.route-table-id", "RouteTableId" },
        { "association.subnet-id", "SubnetId" },
        { "association.main", "Main" },
    };
    static const char *const route[][2] = {
        { "route.destination-cidr-block", "DestinationCidrBlock" },
        { "route.gateway-id", "GatewayId" },
        { "route.instance-id", "InstanceId" },
        { "route.network-interface-id", "NetworkInterfaceId" },
        { "route.origin", "Origin" },
        { "route.state", "State" },
    };
    size_t i;

    (void)req;
    (void)arg;
    for (i = 0; i < sizeof(scalar) / sizeof(scalar[0]); i++)
        if (strcmp(name, scalar[i][0]) == 0) {
            json_array_append(out, json_object_get(item, scalar[i][1]));
            return 0;
        }
    for (i = 0; i < sizeof(assoc) / sizeof(assoc[0]); i++)
        if (strcmp(name, assoc[i][0]) == 0) {
            rtb_add_member(out, json_object_get(item, "Associations"), assoc[i][1]);
            return 0;
        }
    for (i = 0; i < sizeof(route) / sizeof(route[0]); i++)
        if (strcmp(name, route[i][0]) == 0) {
            rtb_add_member(out, json_object_get(item, "Routes"), route[i][1]);
            return 0;
        }
    return EC2GW_E_NOTFOUND;
}

/* -- the action --------------------------------------------------------------------------- */

/* The instances ENIs are attached to, as i- ids, in one mapping query. */
static void
rtb_desc_instances(ec2gw_req_t *req, struct rtb_desc *d)
{
    size_t n = json_object_size(d->t.enis), i = 0;
    const char **os = ec2gw->pcalloc(req, (n + 1) * sizeof(*os));
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    const char *k;
    json_t *v;

    json_object_foreach(d->t.enis, k, v) os[i++] = neutron_str(v, "device_id");
    if (n == 0 || ec2gw->ids_to_ec2(req, "i", os, n, ids) != 0)
        return;
    i = 0;
    json_object_foreach(d->t.enis, k, v)
    {
        if (ids[i] != NULL)
            json_object_set_new(v, "instance", json_string(ids[i]));
        i++;
    }
}

static void
rtb_desc_answer(ec2gw_req_t *req, struct rtb_desc *d)
{
    json_t *list = neutron_own(req, json_array()), *tags = NULL, *page;
    size_t n = json_object_size(d->rtbs), i = 0;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    const char *k, *next;
    json_t *v;

    rtb_desc_instances(req, d);
    json_object_foreach(d->rtbs, k, v) ids[i++] = k;
    if (n > 0 && ec2gw->tags_get(req, ids, n, &tags) != 0) {
        ec2gw->fail(req, 500, "InternalError", "could not read the route tables' tags");
        return;
    }
    neutron_own(req, tags);
    json_object_foreach(d->rtbs, k, v)
    {
        const json_t *vpc = json_object_get(d->vpcs, neutron_or(neutron_str(v, VPC_F_VPC_ID)));
        json_t *m;

        d->t.vpc_id = neutron_or(neutron_str(v, VPC_F_VPC_ID));
        m = rtb_table_model(req, k, v, vpc, d->subnets, &d->t);
        if (json_object_get(tags, k) != NULL)
            json_object_set(m, "Tags", json_object_get(tags, k));
        json_array_append_new(list, m);
    }
    page =
        neutron_filter_page(req, list, "RouteTableId", "RouteTableId", rtb_filter_values, d, &next);
    if (page != NULL)
        neutron_finish_list(req, "RouteTables", page, next);
}

static void
rtb_desc_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct rtb_desc *d = arg;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    d->t.enis = rtb_targets_fill(req, d->t.enis, r->json);
    rtb_desc_answer(req, d);
}

/* Keep the tables RouteTableId.N names; 0, or -1 after failing for an unknown one. */
static int
rtb_desc_select(ec2gw_req_t *req, struct rtb_desc *d)
{
    const json_t *ids = json_object_get(ec2gw->params(req), "RouteTableIds"), *v;
    json_t *keep;
    size_t i;

    if (json_array_size(ids) == 0)
        return 0;
    keep = neutron_own(req, json_object());
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        json_t *t = json_object_get(d->rtbs, neutron_or(id));

        if (t == NULL) {
            ec2gw->fail(req, 400, "InvalidRouteTableID.NotFound",
                        "The routeTable ID '%.64s' does not exist", neutron_or(id));
            return -1;
        }
        json_object_set(keep, id, t);
    }
    d->rtbs = keep;
    return 0;
}

/* Read the tables and what they point at; returns EC2GW_AGAIN while Neutron is asked. */
static int
rtb_desc_start(ec2gw_req_t *req)
{
    struct rtb_desc *d = ec2gw->pcalloc(req, sizeof(*d));
    json_t *enis;
    const char *path;
    ec2gw_os_call_t call;

    if ((d->rtbs = rtb_items(req, VPC_KIND_RTB, NULL)) == NULL || rtb_desc_select(req, d) != 0 ||
        (d->vpcs = rtb_items(req, VPC_KIND_VPC, NULL)) == NULL ||
        (d->subnets = rtb_items(req, VPC_KIND_SUBNET, NULL)) == NULL ||
        (d->t.igws = rtb_items(req, VPC_KIND_IGW, NULL)) == NULL ||
        (enis = rtb_items(req, VPC_KIND_ENI, NULL)) == NULL)
        return EC2GW_OK;
    d->t.enis = enis;
    path = rtb_ports_path(req, neutron_own(req, rtb_route_enis(d->rtbs)), enis);
    if (path == NULL) {
        d->t.enis = neutron_own(req, json_object());
        rtb_desc_answer(req, d);
        return EC2GW_OK;
    }
    call = EC2GW_OS_GET("network", path);
    call.flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    return ec2gw->os_call(req, &call, rtb_desc_ports, d);
}

static void
rtb_desc_ready(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    (void)default_vpc;
    (void)arg;
    rtb_desc_start(req);
}

int
neutron_describe_route_tables(ec2gw_req_t *req, void *inst)
{
    /* a project's first describe makes its default VPC (default_vpc: true) */
    return neutron_default_vpc_ensure(req, inst, rtb_desc_ready, NULL);
}
