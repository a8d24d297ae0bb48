/*
 * vpcs_delete.c - DeleteVpc (openstack-mapping.md §16.2): DependencyViolation while the VPC
 * has a subnet, an attached internet or VPN gateway, a route table besides the main one, a
 * security group besides its default one, or a network interface; then the default group
 * (Neutron first: a group still in use stops the delete with nothing changed), the router (a
 * router Neutron keeps keeps the VPC: DependencyViolation or Unavailable, retry deletes it) and
 * the rows.
 */
#include <string.h>

#include "vpc_priv.h"

struct vpc_del {
    const char *vpc_id, *router, *rtb_id;
    const char *sg_id, *sg_os; /* the default group */
};

/* The first item of @p kind with vpc_id @p vpc other than @p except, or NULL. */
static const char *
vpc_dependent(ec2gw_req_t *req, const char *kind, const char *vpc, const char *except)
{
    json_t *items = vpc_items(req, kind), *d;
    const char *id;

    json_object_foreach(items, id, d)
    {
        if (strcmp(neutron_or(neutron_str(d, VPC_F_VPC_ID)), vpc) == 0 &&
            (except == NULL || strcmp(id, except) != 0))
            return ec2gw->pstrdup(req, id);
    }
    return NULL;
}

static void
vpc_del_rows(ec2gw_req_t *req, void *arg)
{
    struct vpc_del *d = arg;

    if ((d->rtb_id != NULL && ec2gw->item_delete(req, d->rtb_id) != 0) ||
        (d->sg_id != NULL && ec2gw->item_delete(req, d->sg_id) != 0) ||
        ec2gw->item_delete(req, d->vpc_id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The VPC's rows could not be deleted");
        return;
    }
    neutron_finish_true(req);
}

/* The router went (or was gone): the rows go. A router Neutron keeps (an interface left by a
 * failed undo, a timeout) keeps the VPC, so that a retry deletes it and nothing is orphaned;
 * its default group, already gone in Neutron, loses its row. */
static void
vpc_del_router_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_del *d = arg;

    if (ec2gw_os_ok(r) || r->status == 404) {
        vpc_del_rows(req, d);
        return;
    }
    if (d->sg_id != NULL)
        ec2gw->item_delete(req, d->sg_id);
    if (r->status == 409)
        ec2gw->fail(req, 400, "DependencyViolation",
                    "The vpc '%s' has dependencies and cannot be deleted: its router %s still "
                    "has interfaces in Neutron",
                    d->vpc_id, d->router);
    else
        vpc_os_fail(req, r, NULL);
}

static int
vpc_del_router(ec2gw_req_t *req, struct vpc_del *d)
{
    ec2gw_os_call_t call = EC2GW_OS_CALL(
        "network", "DELETE",
        ec2gw->psprintf(req, "/v2.0/routers/%s", ec2gw->url_escape(req, d->router)), .flags = 0);

    return vpc_call(req, &call, vpc_del_router_done, d);
}

static void
vpc_del_sg_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_del *d = arg;

    if (!ec2gw_os_ok(r) && r->status != 404) {
        if (r->status == 409) {
            ec2gw->fail(req, 400, "DependencyViolation",
                        "The vpc '%s' has dependencies and cannot be deleted: its default "
                        "security group %s is in use",
                        d->vpc_id, d->sg_id);
            return;
        }
        vpc_os_fail(req, r, NULL);
        return;
    }
    if (d->router == NULL) {
        vpc_del_rows(req, d);
        return;
    }
    vpc_del_router(req, d);
}

int
neutron_delete_vpc(ec2gw_req_t *req, void *inst)
{
    struct vpc_del *d = ec2gw->pcalloc(req, sizeof(*d));
    const char *id = neutron_param_str(req, "VpcId"), *dep = NULL;
    json_t *data = NULL, *sgs, *sg;
    const char *sid;
    ec2gw_os_call_t call;

    (void)inst;
    if (neutron_vpc_get(req, id, &data) != EC2GW_OK || data == NULL)
        return EC2GW_OK;
    neutron_own(req, data);
    d->vpc_id = id;
    d->router = neutron_str(data, VPC_F_OS_ID);
    if (d->router == NULL && ec2gw->id_to_os(req, id, &d->router) != 0)
        d->router = NULL;
    d->rtb_id = neutron_str(data, VPC_F_ROUTE_TABLE_ID);
    /* every group of the VPC: only its default one may remain */
    sgs = vpc_items(req, VPC_KIND_SG);
    json_object_foreach(sgs, sid, sg)
    {
        if (strcmp(neutron_or(neutron_str(sg, VPC_F_VPC_ID)), id) != 0)
            continue;
        if (strcmp(neutron_or(neutron_str(sg, VPC_F_GROUP_NAME)), "default") == 0) {
            d->sg_id = ec2gw->pstrdup(req, sid);
            d->sg_os = neutron_str(sg, VPC_F_OS_ID);
        } else {
            dep = ec2gw->psprintf(req, "security group %s", sid);
        }
    }
    if (dep == NULL && (sid = vpc_dependent(req, VPC_KIND_SUBNET, id, NULL)) != NULL)
        dep = ec2gw->psprintf(req, "subnet %s", sid);
    if (dep == NULL && (sid = vpc_dependent(req, VPC_KIND_IGW, id, NULL)) != NULL)
        dep = ec2gw->psprintf(req, "internet gateway %s", sid);
    if (dep == NULL && (sid = vpc_dependent(req, "vgw", id, NULL)) != NULL)
        dep = ec2gw->psprintf(req, "VPN gateway %s", sid);
    if (dep == NULL && (sid = vpc_dependent(req, VPC_KIND_RTB, id, d->rtb_id)) != NULL)
        dep = ec2gw->psprintf(req, "route table %s", sid);
    if (dep == NULL && (sid = vpc_dependent(req, VPC_KIND_ENI, id, NULL)) != NULL)
        dep = ec2gw->psprintf(req, "network interface %s", sid);
    if (dep != NULL) {
        ec2gw->fail(req, 400, "DependencyViolation",
                    "The vpc '%s' has dependencies and cannot be deleted: %s", id, dep);
        return EC2GW_OK;
    }
    if (d->sg_os == NULL) {
        if (d->router == NULL) {
            vpc_del_rows(req, d);
            return EC2GW_OK;
        }
        return vpc_del_router(req, d);
    }
    call = EC2GW_OS_CALL(
        "network", "DELETE",
        ec2gw->psprintf(req, "/v2.0/security-groups/%s", ec2gw->url_escape(req, d->sg_os)),
        .flags = 0);
    return vpc_call(req, &call, vpc_del_sg_done, d);
}
