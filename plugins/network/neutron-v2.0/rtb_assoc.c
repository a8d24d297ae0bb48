/*
 * rtb_assoc.c - AssociateRouteTable, DisassociateRouteTable, ReplaceRouteTableAssociation.
 * An association is a member of a row, not a row (openstack-mapping.md §16.5): a subnet's
 * explicit table is its route_table_id, the main table the VPC's; association ids are derived
 * (rtbassoc-<hex of the subnet or VPC id>) and survive a replacement unchanged.
 */
#include <string.h>

#include "rtb.h"

static json_t *
rtb_assoc_answer(const char *key, const char *assoc)
{
    return json_pack("{s:s, s:{s:s}}", key, assoc, "AssociationState", "State", "associated");
}

/* A row of the caller: its data (pool) and os id, or NULL. */
static json_t *
rtb_row_get(ec2gw_req_t *req, const char *id, const char **os_id)
{
    json_t *d = NULL;

    *os_id = NULL;
    if (ec2gw->item_get(req, id, &d) != 0 || !json_is_object(d)) {
        json_decref(d);
        return NULL;
    }
    if (ec2gw->id_to_os(req, id, os_id) != 0)
        *os_id = NULL;
    return neutron_own(req, d);
}

/* Commit one row whose @p member becomes @p value (NULL: removed). */
static int
rtb_assoc_commit(ec2gw_req_t *req, void *inst, const char *vpc_id, const char *id,
                 const char *os_id, json_t *before, const char *member, const char *value,
                 json_t *model)
{
    json_t *after = neutron_own(req, json_deep_copy(before));
    struct rtb_change ch = { .id = id, .os_id = os_id, .before = before, .after = after };

    if (value != NULL)
        json_object_set_new(after, member, json_string(value));
    else
        json_object_del(after, member);
    return rtb_commit(req, inst, vpc_id, &ch, 1, model);
}

int
neutron_associate_route_table(ec2gw_req_t *req, void *inst)
{
    const char *id = neutron_param_str(req, "RouteTableId");
    const char *sub_id = neutron_param_str(req, "SubnetId"), *os = NULL, *vpc_id;
    json_t *rtb, *sub;

    if (neutron_param_str(req, "GatewayId") != NULL) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "GatewayId: gateway route table associations are not supported here");
        return EC2GW_OK;
    }
    if ((rtb = rtb_get(req, id, "RouteTableId")) == NULL)
        return EC2GW_OK;
    if (sub_id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter SubnetId");
        return EC2GW_OK;
    }
    if (strncmp(sub_id, "subnet-", 7) != 0 || (sub = rtb_row_get(req, sub_id, &os)) == NULL) {
        ec2gw->fail(req, 400, "InvalidSubnetID.NotFound", "The subnet ID '%.64s' does not exist",
                    sub_id);
        return EC2GW_OK;
    }
    vpc_id = neutron_str(rtb, VPC_F_VPC_ID);
    if (strcmp(neutron_or(neutron_str(sub, VPC_F_VPC_ID)), neutron_or(vpc_id)) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Route table %s and subnet %s belong to different networks", id, sub_id);
        return EC2GW_OK;
    }
    if (neutron_str(sub, VPC_F_ROUTE_TABLE_ID) != NULL) {
        ec2gw->fail(req, 400, "Resource.AlreadyAssociated",
                    "the specified association for route table %s conflicts with an existing "
                    "association (%s is associated with %s)",
                    id, sub_id, neutron_str(sub, VPC_F_ROUTE_TABLE_ID));
        return EC2GW_OK;
    }
    return rtb_assoc_commit(req, inst, vpc_id, sub_id, os, sub, VPC_F_ROUTE_TABLE_ID, id,
                            rtb_assoc_answer("AssociationId", rtb_assoc_id(req, sub_id)));
}

/* The subnet- and vpc- ids an association id may stand for (pool), or -1 after failing. */
static int
rtb_assoc_parse(ec2gw_req_t *req, const char *assoc, const char **sub_id, const char **vpc_id)
{
    if (assoc == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter AssociationId");
        return -1;
    }
    if (strncmp(assoc, "rtbassoc-", 9) != 0 || assoc[9] == '\0') {
        ec2gw->fail(req, 400, "InvalidAssociationID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"rtbassoc-...\")", assoc);
        return -1;
    }
    *sub_id = ec2gw->psprintf(req, "subnet-%s", assoc + 9);
    *vpc_id = ec2gw->psprintf(req, "vpc-%s", assoc + 9);
    return 0;
}

static void
rtb_assoc_not_found(ec2gw_req_t *req, const char *assoc)
{
    ec2gw->fail(req, 400, "InvalidAssociationID.NotFound",
                "The association ID '%.64s' does not exist", assoc);
}

int
neutron_disassociate_route_table(ec2gw_req_t *req, void *inst)
{
    const char *assoc = neutron_param_str(req, "AssociationId"), *sub_id, *vpc_id, *os;
    json_t *sub, *vpc;

    if (rtb_assoc_parse(req, assoc, &sub_id, &vpc_id) != 0)
        return EC2GW_OK;
    if ((sub = rtb_row_get(req, sub_id, &os)) != NULL &&
        neutron_str(sub, VPC_F_ROUTE_TABLE_ID) != NULL)
        return rtb_assoc_commit(req, inst, neutron_str(sub, VPC_F_VPC_ID), sub_id, os, sub,
                                VPC_F_ROUTE_TABLE_ID, NULL, json_pack("{s:b}", "Return", 1));
    if ((vpc = rtb_row_get(req, vpc_id, &os)) != NULL) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "cannot disassociate the main route table association %s", assoc);
        return EC2GW_OK;
    }
    rtb_assoc_not_found(req, assoc);
    return EC2GW_OK;
}

int
neutron_replace_route_table_association(ec2gw_req_t *req, void *inst)
{
    const char *assoc = neutron_param_str(req, "AssociationId"), *sub_id, *vpc_id, *os;
    const char *id = neutron_param_str(req, "RouteTableId"), *row_id, *row_vpc;
    json_t *rtb, *row;

    if (rtb_assoc_parse(req, assoc, &sub_id, &vpc_id) != 0 ||
        (rtb = rtb_get(req, id, "RouteTableId")) == NULL)
        return EC2GW_OK;
    if ((row = rtb_row_get(req, sub_id, &os)) != NULL &&
        neutron_str(row, VPC_F_ROUTE_TABLE_ID) != NULL) {
        row_id = sub_id;
        row_vpc = neutron_str(row, VPC_F_VPC_ID);
    } else if ((row = rtb_row_get(req, vpc_id, &os)) != NULL) {
        row_id = vpc_id;
        row_vpc = vpc_id;
    } else {
        rtb_assoc_not_found(req, assoc);
        return EC2GW_OK;
    }
    if (strcmp(neutron_or(row_vpc), neutron_or(neutron_str(rtb, VPC_F_VPC_ID))) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Route table %s and association %s belong to different networks", id, assoc);
        return EC2GW_OK;
    }
    return rtb_assoc_commit(req, inst, row_vpc, row_id, os, row, VPC_F_ROUTE_TABLE_ID, id,
                            rtb_assoc_answer("NewAssociationId", assoc));
}
