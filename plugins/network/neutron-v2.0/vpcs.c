/*
 * vpcs.c - CreateVpc (openstack-mapping.md §16.2) and the VPC pipeline it shares with the
 * default VPC: a Neutron router named after the vpc- id (no gateway until an internet gateway
 * is attached), the VPC's default security group ("default-vpc-..." in Neutron, which reserves
 * "default"; ingress from itself as in AWS), then the rows: the main route table with its
 * local route, the group, the VPC. All or nothing: a failure deletes what was made.
 */
#include <stdint.h>
#include <string.h>

#include "vpc_priv.h"

static void vpc_make_sg(ec2gw_req_t *req, struct vpc_make *m);
static void vpc_make_rows(ec2gw_req_t *req, struct vpc_make *m);

/* -- compensation ------------------------------------------------------------------------- */

static void
vpc_undone(ec2gw_req_t *req, void *arg)
{
    struct vpc_make *m = arg;

    /* 0: the code's own status (Unavailable 503, InternalError 500, the rest 400) */
    ec2gw->fail(req, 0, m->code, "%s", m->msg);
    m->done(req, m, -1);
}

static void
vpc_undo_router(ec2gw_req_t *req, void *arg)
{
    struct vpc_make *m = arg;

    if (m->router == NULL) {
        vpc_undone(req, m);
        return;
    }
    vpc_cleanup_call(req, "DELETE",
                     ec2gw->psprintf(req, "/v2.0/routers/%s", ec2gw->url_escape(req, m->router)),
                     NULL, vpc_undone, m);
}

/* Undo everything made so far, then answer @p code. */
static void
vpc_make_fail(ec2gw_req_t *req, struct vpc_make *m, const char *code, const char *msg)
{
    m->code = code;
    m->msg = ec2gw->pstrdup(req, msg);
    if (m->rtb_id != NULL)
        ec2gw->item_delete(req, m->rtb_id);
    ec2gw->item_delete(req, m->vpc_id);
    if (m->sg_os == NULL) {
        vpc_undo_router(req, m);
        return;
    }
    vpc_cleanup_call(
        req, "DELETE",
        ec2gw->psprintf(req, "/v2.0/security-groups/%s", ec2gw->url_escape(req, m->sg_os)), NULL,
        vpc_undo_router, m);
}

static void
vpc_make_fail_os(ec2gw_req_t *req, struct vpc_make *m, const ec2gw_os_resp_t *r, const char *what)
{
    if (strcmp(neutron_error_type(r), "OverQuota") == 0)
        vpc_make_fail(req, m, "VpcLimitExceeded",
                      "The maximum number of VPCs has been reached (Neutron quota)");
    else
        vpc_make_fail(
            req, m, r->status >= 500 || r->status == 0 ? "Unavailable" : "InternalError",
            ec2gw->psprintf(req, "Neutron could not %s: %s", what, neutron_error_message(req, r)));
}

/* -- steps -------------------------------------------------------------------------------- */

static void
vpc_rule_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_make *m = arg;

    /* a rule the group already has (a resumed default VPC) is as good as a new one */
    if (!ec2gw_os_ok(r) && r->status != 409) {
        vpc_make_fail_os(req, m, r, "create the default security group's rule");
        return;
    }
    vpc_make_rows(req, m);
}

static void
vpc_sg_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_make *m = arg;
    const char *id = neutron_str(json_object_get(r->json, "security_group"), "id");
    json_t *body;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r) || id == NULL) {
        vpc_make_fail_os(req, m, r, "create the default security group");
        return;
    }
    m->sg_os = ec2gw->pstrdup(req, id);
    body = neutron_own(req, json_pack("{s:{s:s, s:s, s:s, s:s}}", "security_group_rule",
                                      "security_group_id", id, "direction", "ingress", "ethertype",
                                      "IPv4", "remote_group_id", id));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/security-group-rules", .body = body);
    if (ec2gw->os_call(req, &call, vpc_rule_made, m) < 0)
        vpc_make_fail(req, m, "InternalError", "Could not call Neutron");
}

static void
vpc_make_sg(ec2gw_req_t *req, struct vpc_make *m)
{
    json_t *body;
    ec2gw_os_call_t call;

    if (m->sg_os != NULL) {
        vpc_make_rows(req, m);
        return;
    }
    body = neutron_own(req, json_pack("{s:{s:s, s:s}}", "security_group", "name",
                                      ec2gw->psprintf(req, VPC_SG_DEFAULT_PREFIX "%s", m->vpc_id),
                                      "description", "default VPC security group"));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/security-groups", .body = body);
    if (ec2gw->os_call(req, &call, vpc_sg_made, m) < 0)
        vpc_make_fail(req, m, "InternalError", "Could not call Neutron");
}

static void
vpc_router_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_make *m = arg;
    const char *id = neutron_str(json_array_get(json_object_get(r->json, "routers"), 0), "id");

    if (id != NULL)
        m->router = ec2gw->pstrdup(req, id);
    else if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not look for router %s after a lost answer (%ld)",
                   m->vpc_id, r->status);
    vpc_make_fail(req, m, m->code, m->msg);
}

/* No answer to the router POST (a reset, a timeout, a 5xx): Neutron may have made the router
 * all the same. It is named after the fresh vpc- id: find it, so the compensation deletes it. */
static void
vpc_router_lost(ec2gw_req_t *req, struct vpc_make *m, const ec2gw_os_resp_t *r)
{
    ec2gw_os_call_t call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "routers",
                     ec2gw->psprintf(req, "name=%s&project_id=%s&fields=id",
                                     ec2gw->url_escape(req, m->vpc_id),
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id))));

    m->code = "Unavailable";
    m->msg = ec2gw->psprintf(req, "Neutron could not create the VPC's router: %s",
                             neutron_error_message(req, r));
    if (ec2gw->os_call(req, &call, vpc_router_found, m) < 0)
        vpc_make_fail(req, m, m->code, m->msg);
}

static void
vpc_router_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_make *m = arg;
    const char *id = neutron_str(json_object_get(r->json, "router"), "id");

    if (!ec2gw_os_ok(r) || id == NULL) {
        if (r->status == 0 || r->status >= 500)
            vpc_router_lost(req, m, r);
        else
            vpc_make_fail_os(req, m, r, "create the VPC's router");
        return;
    }
    m->router = ec2gw->pstrdup(req, id);
    vpc_make_sg(req, m);
}

/* The rows, once Neutron has everything: route table, group, VPC, tags. */
static void
vpc_make_rows(ec2gw_req_t *req, struct vpc_make *m)
{
    const char *sg_id = NULL;
    json_t *rtb, *sg, *vpc;
    int rc = 0;

    if (m->rtb_id == NULL && ec2gw->new_id(req, VPC_KIND_RTB, &m->rtb_id) != 0) {
        m->rtb_id = NULL;
        vpc_make_fail(req, m, "InternalError", "No route table id could be drawn");
        return;
    }
    rtb = neutron_own(req,
                      json_pack("{s:s, s:[{s:s, s:s, s:s}]}", VPC_F_VPC_ID, m->vpc_id, VPC_F_ROUTES,
                                VPC_F_DESTINATION_CIDR_BLOCK, m->cidr, VPC_F_GATEWAY_ID,
                                VPC_GATEWAY_LOCAL, VPC_F_ORIGIN, VPC_ORIGIN_CREATE_ROUTE_TABLE));
    sg = neutron_own(req,
                     json_pack("{s:s, s:s}", VPC_F_VPC_ID, m->vpc_id, VPC_F_GROUP_NAME, "default"));
    vpc = neutron_own(req, json_pack("{s:s, s:b, s:s, s:b, s:b}", VPC_F_CIDR_BLOCK, m->cidr,
                                     VPC_F_IS_DEFAULT, m->is_default, VPC_F_ROUTE_TABLE_ID,
                                     m->rtb_id, VPC_F_ENABLE_DNS_SUPPORT, 1,
                                     VPC_F_ENABLE_DNS_HOSTNAMES, m->is_default));
    if (m->extra != NULL)
        json_object_update(vpc, (json_t *)(uintptr_t)m->extra);
    if (ec2gw->item_put(req, m->rtb_id, NULL, rtb) != 0 ||
        ec2gw->id_to_ec2(req, VPC_KIND_SG, m->sg_os, &sg_id) != 0 ||
        ec2gw->item_put(req, sg_id, m->sg_os, sg) != 0 ||
        ec2gw->item_put(req, m->vpc_id, m->router, vpc) != 0 ||
        (json_array_size(m->tags) > 0 && ec2gw->tags_set(req, m->vpc_id, m->tags) != 0))
        rc = -1;
    if (rc != 0) {
        if (sg_id != NULL)
            ec2gw->item_delete(req, sg_id);
        vpc_make_fail(req, m, "InternalError", "The VPC's rows could not be stored");
        return;
    }
    m->done(req, m, 0);
}

void
vpc_make_start(ec2gw_req_t *req, struct vpc_make *m)
{
    json_t *body;
    ec2gw_os_call_t call;

    if (m->router != NULL) {
        vpc_make_sg(req, m);
        return;
    }
    body = neutron_own(req, json_pack("{s:{s:s}}", "router", "name", m->vpc_id));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/routers", .body = body);
    if (ec2gw->os_call(req, &call, vpc_router_made, m) < 0)
        vpc_make_fail(req, m, "InternalError", "Could not call Neutron");
}

/* -- CreateVpc ----------------------------------------------------------------------------- */

static void
vpc_created(ec2gw_req_t *req, struct vpc_make *m, int rc)
{
    json_t *data = NULL, *model;

    if (rc != 0)
        return;
    if (ec2gw->item_get(req, m->vpc_id, &data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The VPC's row could not be read back");
        return;
    }
    model = vpc_model(req, m->vpc_id, data);
    json_object_set_new(model, "Tags", json_deep_copy(m->tags));
    json_decref(data);
    ec2gw->finish(req, json_pack("{s:o}", "Vpc", model));
}

int
neutron_create_vpc(ec2gw_req_t *req, void *inst)
{
    static const char *const unsupported[] = {
        "Ipv6Pool",       "Ipv6CidrBlock",     "Ipv4IpamPoolId",
        "Ipv6IpamPoolId", "Ipv4NetmaskLength", "Ipv6NetmaskLength",
    };
    struct vpc_make *m = ec2gw->pcalloc(req, sizeof(*m));
    const json_t *p = ec2gw->params(req);
    const char *tenancy = neutron_param_str(req, "InstanceTenancy");

    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (json_object_get(p, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "%s is not supported: VPCs have one IPv4 CIDR block", unsupported[i]);
            return EC2GW_OK;
        }
    if (json_is_true(json_object_get(p, "AmazonProvidedIpv6CidrBlock"))) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "AmazonProvidedIpv6CidrBlock is not supported: VPCs are IPv4 only");
        return EC2GW_OK;
    }
    if (tenancy != NULL && strcmp(tenancy, "default") != 0 && strcmp(tenancy, "dedicated") != 0 &&
        strcmp(tenancy, "host") != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%.32s) for parameter InstanceTenancy is invalid", tenancy);
        return EC2GW_OK;
    }
    m->ni = inst;
    if ((m->cidr = vpc_cidr_param(req, "CidrBlock", neutron_param_str(req, "CidrBlock"),
                                  "InvalidVpc.Range")) == NULL ||
        (m->tags = vpc_tags_param(req, "vpc")) == NULL)
        return EC2GW_OK;
    if (ec2gw->new_id(req, VPC_KIND_VPC, &m->vpc_id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "No VPC id could be drawn");
        return EC2GW_OK;
    }
    m->done = vpc_created;
    vpc_make_start(req, m);
    return EC2GW_AGAIN;
}
