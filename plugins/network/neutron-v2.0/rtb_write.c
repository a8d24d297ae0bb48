/*
 * rtb_write.c - CreateRouteTable and DeleteRouteTable. A route table lives in the database
 * only (openstack-mapping.md §16.5): a new one has the local route and no association, so
 * neither action changes what Neutron's subnets carry.
 */
#include <string.h>

#include "rtb.h"

int
neutron_create_route_table(ec2gw_req_t *req, void *inst)
{
    const char *vpc_id = neutron_param_str(req, "VpcId");
    const char *token = neutron_param_str(req, "ClientToken");
    const char *id = NULL;
    json_t *vpc, *data, *tags, *model;
    struct rtb_targets t = { .vpc_id = vpc_id };

    (void)inst;
    if ((vpc = rtb_vpc(req, vpc_id)) == NULL || neutron_check_tag_specs(req, "route-table") != 0)
        return EC2GW_OK;
    tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), "route-table"));
    data =
        neutron_own(req, json_pack("{s:s, s:[{s:s*, s:s, s:s}]}", VPC_F_VPC_ID, vpc_id,
                                   VPC_F_ROUTES, VPC_F_DESTINATION_CIDR_BLOCK,
                                   neutron_str(vpc, VPC_F_CIDR_BLOCK), VPC_F_GATEWAY_ID,
                                   VPC_GATEWAY_LOCAL, VPC_F_ORIGIN, VPC_ORIGIN_CREATE_ROUTE_TABLE));
    if (ec2gw->new_id(req, VPC_KIND_RTB, &id) != 0 || ec2gw->item_put(req, id, NULL, data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "the route table could not be stored");
        return EC2GW_OK;
    }
    if (json_array_size(tags) > 0 && ec2gw->tags_set(req, id, tags) != 0) {
        ec2gw->item_delete(req, id);
        ec2gw->fail(req, 500, "InternalError", "the route table's tags could not be stored");
        return EC2GW_OK;
    }
    model = rtb_table_model(req, id, data, vpc, NULL, &t);
    json_object_set(model, "Tags", tags);
    model = json_pack("{s:o}", "RouteTable", model);
    if (token != NULL)
        json_object_set_new(model, "ClientToken", json_string(token));
    ec2gw->finish(req, model);
    return EC2GW_OK;
}

int
neutron_delete_route_table(ec2gw_req_t *req, void *inst)
{
    const char *id = neutron_param_str(req, "RouteTableId");
    const char *k;
    json_t *rtb, *vpc, *subnets, *v;

    (void)inst;
    if ((rtb = rtb_get(req, id, "RouteTableId")) == NULL ||
        (vpc = rtb_vpc(req, neutron_str(rtb, VPC_F_VPC_ID))) == NULL ||
        (subnets = rtb_items(req, VPC_KIND_SUBNET, neutron_str(rtb, VPC_F_VPC_ID))) == NULL)
        return EC2GW_OK;
    if (strcmp(neutron_or(neutron_str(vpc, VPC_F_ROUTE_TABLE_ID)), id) == 0) {
        ec2gw->fail(req, 400, "DependencyViolation",
                    "The routeTable '%s' has dependencies and cannot be deleted: it is the main "
                    "route table of %s",
                    id, neutron_str(rtb, VPC_F_VPC_ID));
        return EC2GW_OK;
    }
    json_object_foreach(subnets, k, v)
    {
        if (strcmp(neutron_or(neutron_str(v, VPC_F_ROUTE_TABLE_ID)), id) == 0) {
            ec2gw->fail(req, 400, "DependencyViolation",
                        "The routeTable '%s' has dependencies and cannot be deleted: it is "
                        "associated with %s",
                        id, k);
            return EC2GW_OK;
        }
    }
    if (ec2gw->item_delete(req, id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "the route table could not be deleted");
        return EC2GW_OK;
    }
    neutron_finish_true(req);
    return EC2GW_OK;
}
