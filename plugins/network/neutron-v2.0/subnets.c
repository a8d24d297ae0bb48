/*
 * subnets.c - CreateSubnet (openstack-mapping.md §16.4) and the subnet pipeline the default
 * VPC shares: one Neutron network and subnet named after the subnet- id, attached to the
 * VPC's router; the row (vpc_id, os_network_id, cidr_block, availability_zone, ...); then the
 * route tables are projected onto it (neutron_rtb_sync). All or nothing: a failure removes the
 * router interface and the network again. The CIDR is checked against the VPC's and its other
 * subnets' blocks before anything is made (Neutron's overlap refusal is the backstop).
 */
#include <string.h>

#include "vpc_priv.h"

static void
subnet_undone(ec2gw_req_t *req, void *arg)
{
    struct subnet_make *m = arg;

    /* 0: the code's own status (Unavailable 503, InternalError 500, the rest 400) */
    ec2gw->fail(req, 0, m->code, "%s", m->msg);
    m->done(req, m, -1);
}

static void
subnet_undo_network(ec2gw_req_t *req, void *arg)
{
    struct subnet_make *m = arg;

    if (m->net_os == NULL) {
        subnet_undone(req, m);
        return;
    }
    vpc_cleanup_call(req, "DELETE",
                     ec2gw->psprintf(req, "/v2.0/networks/%s", ec2gw->url_escape(req, m->net_os)),
                     NULL, subnet_undone, m);
}

/* Undo: the row, the router interface (when @p attached), the network; then answer. */
static void
subnet_make_fail(ec2gw_req_t *req, struct subnet_make *m, int attached, const char *code,
                 const char *msg)
{
    m->code = code;
    m->msg = ec2gw->pstrdup(req, msg);
    ec2gw->item_delete(req, m->subnet_id);
    if (!attached) {
        subnet_undo_network(req, m);
        return;
    }
    vpc_cleanup_call(req, "PUT",
                     ec2gw->psprintf(req, "/v2.0/routers/%s/remove_router_interface",
                                     ec2gw->url_escape(req, m->router)),
                     neutron_own(req, json_pack("{s:s}", "subnet_id", m->subnet_os)),
                     subnet_undo_network, m);
}

static const char *
subnet_os_code(const ec2gw_os_resp_t *r)
{
    if (strcmp(neutron_error_type(r), "OverQuota") == 0)
        return "SubnetLimitExceeded";
    return r->status >= 500 || r->status == 0 ? "Unavailable" : "InternalError";
}

static void
subnet_synced(ec2gw_req_t *req, int rc, void *arg)
{
    struct subnet_make *m = arg;

    /* a failed projection has answered; the subnet stays (its routes are redone later) */
    m->done(req, m, rc);
}

static void
subnet_attached(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct subnet_make *m = arg;
    json_t *data;

    if (!ec2gw_os_ok(r)) {
        if (r->status == 400 || r->status == 409)
            subnet_make_fail(req, m, 0, "InvalidSubnet.Conflict",
                             ec2gw->psprintf(req, "The CIDR '%s' conflicts with another subnet: %s",
                                             m->cidr, neutron_error_message(req, r)));
        else /* a 5xx or no answer: the interface may exist (a slow Neutron finishes later) */
            subnet_make_fail(req, m, r->status == 0 || r->status >= 500, subnet_os_code(r),
                             ec2gw->psprintf(req, "Neutron could not attach the subnet: %s",
                                             neutron_error_message(req, r)));
        return;
    }
    data = neutron_own(req, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", VPC_F_VPC_ID, m->vpc_id,
                                      VPC_F_OS_NETWORK_ID, m->net_os, VPC_F_CIDR_BLOCK, m->cidr,
                                      VPC_F_AVAILABILITY_ZONE, m->az, VPC_F_DEFAULT_FOR_AZ,
                                      m->default_for_az, VPC_F_MAP_PUBLIC_IP_ON_LAUNCH,
                                      m->default_for_az));
    if (ec2gw->item_put(req, m->subnet_id, m->subnet_os, data) != 0 ||
        (json_array_size(m->tags) > 0 && ec2gw->tags_set(req, m->subnet_id, m->tags) != 0)) {
        subnet_make_fail(req, m, 1, "InternalError", "The subnet's row could not be stored");
        return;
    }
    neutron_rtb_sync(req, m->ni, m->vpc_id, subnet_synced, m);
}

static void
subnet_subnet_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct subnet_make *m = arg;
    const char *id = neutron_str(json_object_get(r->json, "subnet"), "id");
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r) || id == NULL) {
        subnet_make_fail(req, m, 0, subnet_os_code(r),
                         ec2gw->psprintf(req, "Neutron could not create the subnet: %s",
                                         neutron_error_message(req, r)));
        return;
    }
    m->subnet_os = ec2gw->pstrdup(req, id);
    call = EC2GW_OS_CALL("network", "PUT",
                         ec2gw->psprintf(req, "/v2.0/routers/%s/add_router_interface",
                                         ec2gw->url_escape(req, m->router)),
                         .body = neutron_own(req, json_pack("{s:s}", "subnet_id", id)));
    if (ec2gw->os_call(req, &call, subnet_attached, m) < 0)
        subnet_make_fail(req, m, 0, "InternalError", "Could not call Neutron");
}

static void
subnet_network_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct subnet_make *m = arg;
    const char *id = neutron_str(json_object_get(r->json, "network"), "id");
    json_t *body;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r) || id == NULL) {
        subnet_make_fail(req, m, 0, subnet_os_code(r),
                         ec2gw->psprintf(req, "Neutron could not create the network: %s",
                                         neutron_error_message(req, r)));
        return;
    }
    m->net_os = ec2gw->pstrdup(req, id);
    body = neutron_own(req, json_pack("{s:{s:s, s:i, s:s, s:s}}", "subnet", "network_id", id,
                                      "ip_version", 4, "cidr", m->cidr, "name", m->subnet_id));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/subnets", .body = body);
    if (ec2gw->os_call(req, &call, subnet_subnet_made, m) < 0)
        subnet_make_fail(req, m, 0, "InternalError", "Could not call Neutron");
}

void
subnet_make_start(ec2gw_req_t *req, struct subnet_make *m)
{
    json_t *body = neutron_own(req, json_pack("{s:{s:s}}", "network", "name", m->subnet_id));
    ec2gw_os_call_t call = EC2GW_OS_CALL("network", "POST", "/v2.0/networks", .body = body);

    if (ec2gw->os_call(req, &call, subnet_network_made, m) < 0) {
        m->code = "InternalError";
        m->msg = "Could not call Neutron";
        subnet_undone(req, m);
    }
}

/* -- CreateSubnet --------------------------------------------------------------------------- */

static void
subnet_created(ec2gw_req_t *req, struct subnet_make *m, int rc)
{
    json_t *data = NULL, *model;
    uint32_t net;
    int prefix;

    if (rc != 0)
        return;
    if (ec2gw->item_get(req, m->subnet_id, &data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The subnet's row could not be read back");
        return;
    }
    (void)vpc_cidr_parse(m->cidr, &net, &prefix);
    /* AWS reserves 5 addresses; Neutron the network, gateway and broadcast addresses */
    model = subnet_model(req, m->ni, m->subnet_id, data, ((json_int_t)1 << (32 - prefix)) - 3);
    json_decref(data);
    json_object_set_new(model, "Tags", json_deep_copy(m->tags));
    ec2gw->finish(req, json_pack("{s:o}", "Subnet", model));
}

/* The block must lie in the VPC's and overlap none of its subnets'. 0, or -1 after failing. */
static int
subnet_check_cidr(ec2gw_req_t *req, const char *vpc_id, const json_t *vpc, const char *cidr)
{
    uint32_t net, vnet, onet;
    int prefix, vprefix, oprefix;
    json_t *subnets = vpc_items(req, VPC_KIND_SUBNET), *d;
    const char *id;

    if (vpc_cidr_parse(cidr, &net, &prefix) != 0 ||
        vpc_cidr_parse(neutron_str(vpc, VPC_F_CIDR_BLOCK), &vnet, &vprefix) != 0 ||
        !vpc_cidr_inside(net, prefix, vnet, vprefix)) {
        ec2gw->fail(req, 400, "InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr);
        return -1;
    }
    json_object_foreach(subnets, id, d)
    {
        if (strcmp(neutron_or(neutron_str(d, VPC_F_VPC_ID)), vpc_id) != 0 ||
            vpc_cidr_parse(neutron_str(d, VPC_F_CIDR_BLOCK), &onet, &oprefix) != 0)
            continue;
        if (vpc_cidr_overlap(net, prefix, onet, oprefix)) {
            ec2gw->fail(req, 400, "InvalidSubnet.Conflict",
                        "The CIDR '%s' conflicts with another subnet (%s)", cidr, id);
            return -1;
        }
    }
    return 0;
}

int
neutron_create_subnet(ec2gw_req_t *req, void *inst)
{
    static const char *const unsupported[] = {
        "Ipv6CidrBlock", "Ipv6Native",        "Ipv4IpamPoolId",    "Ipv6IpamPoolId",
        "OutpostArn",    "Ipv4NetmaskLength", "Ipv6NetmaskLength",
    };
    struct subnet_make *m = ec2gw->pcalloc(req, sizeof(*m));
    struct neutron_inst *ni = inst;
    const json_t *p = ec2gw->params(req);
    const char *az = neutron_param_str(req, "AvailabilityZone");
    const char *azid = neutron_param_str(req, "AvailabilityZoneId");
    json_t *vpc = NULL;

    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (json_object_get(p, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "%s is not supported: subnets have one IPv4 CIDR block", unsupported[i]);
            return EC2GW_OK;
        }
    if (neutron_param_str(req, "VpcId") == NULL)
        return vpc_missing(req, "VpcId");
    if ((m->cidr = vpc_cidr_param(req, "CidrBlock", neutron_param_str(req, "CidrBlock"),
                                  "InvalidSubnet.Range")) == NULL)
        return EC2GW_OK;
    /* the zones are the configured one (Neutron ML2 has no zones of its own here) */
    if (az == NULL)
        az = azid;
    if (az != NULL && strcmp(az, ni->availability_zone) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%.64s) for parameter availabilityZone is invalid. Subnets can "
                    "currently only be created in the following availability zones: %s.",
                    az, ni->availability_zone);
        return EC2GW_OK;
    }
    if ((m->tags = vpc_tags_param(req, "subnet")) == NULL)
        return EC2GW_OK;
    m->vpc_id = neutron_param_str(req, "VpcId");
    if (neutron_vpc_get(req, m->vpc_id, &vpc) != EC2GW_OK || vpc == NULL)
        return EC2GW_OK;
    neutron_own(req, vpc);
    if (subnet_check_cidr(req, m->vpc_id, vpc, m->cidr) != 0)
        return EC2GW_OK;
    if (ec2gw->id_to_os(req, m->vpc_id, &m->router) != 0 || m->router == NULL) {
        ec2gw->fail(req, 500, "InternalError", "The VPC %s has no router", m->vpc_id);
        return EC2GW_OK;
    }
    if (ec2gw->new_id(req, VPC_KIND_SUBNET, &m->subnet_id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "No subnet id could be drawn");
        return EC2GW_OK;
    }
    m->ni = ni;
    m->az = ni->availability_zone;
    m->done = subnet_created;
    subnet_make_start(req, m);
    return EC2GW_AGAIN;
}
