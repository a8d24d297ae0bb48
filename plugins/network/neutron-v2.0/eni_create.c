/*
 * eni_create.c - CreateNetworkInterface (openstack-mapping.md §16.7): a Neutron port on the
 * subnet's network, named after a fresh eni- id, with the asked addresses (the primary first,
 * then the explicit secondaries, then one {subnet_id} per SecondaryPrivateIpAddressCount), the
 * given groups (all of the subnet's VPC) or the VPC's default group, and the VPC's DHCP
 * options; then the eni row and the tags. All or nothing: a failed row or tag write deletes
 * the port, and a POST whose answer was lost (transport error, timeout, 5xx) is looked up by
 * its name and deleted before the error is answered. ClientToken is the daemon's
 * (EC2GW_ACT_CLIENT_TOKEN); it is kept in the row for the client-token filter.
 */
#include <stdlib.h>
#include <string.h>

#include "eni.h"

/* -- rollback ---------------------------------------------------------------------------- */

static void
neutron_eni_create_failed(ec2gw_req_t *req, struct neutron_eni_create *c)
{
    ec2gw->fail(req, strcmp(c->code, "InternalError") == 0 ? 500 : 400, c->code, "%s", c->msg);
}

static void
neutron_eni_rolled_back(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_eni_create *c = arg;

    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && r[i]->status != 404)
            ec2gw->log(req, EC2GW_LOG_ERROR, "rollback: could not delete port of %s (%ld)",
                       c->eni_id, r[i]->status);
    neutron_eni_create_failed(req, c);
}

/* Delete the ports of @p ids (strings) and the row, then answer the error of @p c. */
static void
neutron_eni_delete_ports(ec2gw_req_t *req, struct neutron_eni_create *c, const json_t *ids)
{
    size_t n = json_array_size(ids), k = 0;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));
    const json_t *v;
    size_t i;

    ec2gw->item_delete(req, c->eni_id);
    json_array_foreach(ids, i, v) if (json_string_value(v) != NULL) calls[k++] = EC2GW_OS_CALL(
        "network", "DELETE", neutron_eni_port_path(req, json_string_value(v)), .flags = 0);
    if (k == 0 || ec2gw->os_fanout(req, calls, k, neutron_eni_rolled_back, c) < 0)
        neutron_eni_create_failed(req, c);
}

static void
neutron_eni_rollback(ec2gw_req_t *req, struct neutron_eni_create *c, const char *code,
                     const char *msg)
{
    c->code = code;
    c->msg = ec2gw->pstrdup(req, msg);
    neutron_eni_delete_ports(req, c, neutron_own(req, json_pack("[s]", neutron_or(c->port_id))));
}

static void
neutron_eni_lost_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_create *c = arg;
    json_t *ids = neutron_own(req, json_array());
    const json_t *p;
    size_t i;

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not look for the port of %s (%ld)", c->eni_id,
                   r->status);
    json_array_foreach(json_object_get(r->json, "ports"), i,
                       p) if (strcmp(neutron_or(neutron_str(p, "name")), c->eni_id) == 0)
        json_array_append_new(ids, json_string(neutron_or(neutron_str(p, "id"))));
    neutron_eni_delete_ports(req, c, ids);
}

/* The POST failed: a lost answer may still have made the port; look it up by name. */
static void
neutron_eni_post_failed(ec2gw_req_t *req, struct neutron_eni_create *c, const ec2gw_os_resp_t *r)
{
    static const struct neutron_errmap errors = { .quota = "NetworkInterfaceLimitExceeded" };
    const char *type = neutron_error_type(r);
    ec2gw_os_call_t call;

    if (r->status >= 400 && r->status < 500) {
        if (strcmp(type, "IpAddressGenerationFailure") == 0)
            ec2gw->fail(req, 400, "InsufficientFreeAddressesInSubnet",
                        "There are not enough free addresses in subnet '%s' to satisfy the "
                        "requested number of addresses",
                        c->subnet_id);
        else if (strcmp(type, "IpAddressAlreadyAllocated") == 0 ||
                 strcmp(type, "IpAddressInUse") == 0)
            ec2gw->fail(req, 400, "InvalidIPAddress.InUse", "%s", neutron_error_message(req, r));
        else if (r->status == 400)
            ec2gw->fail(req, 400, "InvalidParameterValue", "%s", neutron_error_message(req, r));
        else
            neutron_fail(req, r, &errors);
        return;
    }
    c->code = r->status == 0 || r->status >= 500 ? "Unavailable" : "InternalError";
    c->msg = "Neutron did not confirm the new port; nothing was created";
    call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "ports",
                     ec2gw->psprintf(req,
                                     "project_id=%s&name=%s&fields=id&"
                                     "fields=name",
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id),
                                     ec2gw->url_escape(req, c->eni_id))));
    if (ec2gw->os_call(req, &call, neutron_eni_lost_found, c) < 0)
        neutron_eni_create_failed(req, c);
}

/* -- the port is made --------------------------------------------------------------------- */

/* The primary: the asked one, else the first address Neutron gave that was not asked for. */
static const char *
neutron_eni_created_primary(const struct neutron_eni_create *c)
{
    const json_t *ip, *s;
    size_t i, j;

    if (c->primary != NULL)
        return c->primary;
    json_array_foreach(json_object_get(c->port, "fixed_ips"), i, ip)
    {
        const char *a = neutron_str(ip, "ip_address");
        int asked = 0;

        json_array_foreach(c->secondaries, j, s) asked |=
            a != NULL && strcmp(json_string_value(s), a) == 0;
        if (a != NULL && !asked)
            return a;
    }
    return NULL;
}

static void
neutron_eni_port_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_create *c = arg;
    const json_t *params = ec2gw->params(req);
    const char *token = neutron_str(params, "ClientToken");
    struct neutron_eni_view v = { 0 };
    json_t *data, *m, *ports;

    if (!ec2gw_os_ok(r) || neutron_str(json_object_get(r->json, "port"), "id") == NULL) {
        neutron_eni_post_failed(req, c, r);
        return;
    }
    ec2gw->own_json(req, r->json);
    c->port = json_object_get(r->json, "port");
    c->port_id = neutron_str(c->port, "id");
    data = neutron_own(req, json_pack("{s:s, s:s, s:s, s:s*, s:b, s:s*}", VPC_F_VPC_ID, c->vpc_id,
                                      VPC_F_SUBNET_ID, c->subnet_id, VPC_F_DESCRIPTION,
                                      neutron_or(neutron_param_str(req, "Description")),
                                      VPC_F_PRIVATE_IP_ADDRESS, neutron_eni_created_primary(c),
                                      VPC_F_SOURCE_DEST_CHECK, 1, "client_token", token));
    if (ec2gw->item_put(req, c->eni_id, c->port_id, data) != 0 ||
        (json_array_size(c->tags) > 0 && ec2gw->tags_set(req, c->eni_id, c->tags) != 0)) {
        neutron_eni_rollback(req, c, "InternalError",
                             "The network interface's row and tags could not be stored");
        return;
    }
    ports = neutron_own(req, json_pack("[O]", c->port));
    v.subnets = neutron_own(req, json_object());
    json_object_set_new(v.subnets, c->subnet_os,
                        json_pack("{s:s, s:s, s:s*}", "id", c->subnet_id, "vpc_id", c->vpc_id,
                                  "availability_zone", c->ni->availability_zone));
    neutron_eni_view_build(req, &v, ports, c->groups, NULL);
    if ((m = neutron_eni_model(req, &v, c->port)) == NULL) {
        neutron_eni_rollback(req, c, "InternalError", "Could not describe the new interface");
        return;
    }
    json_object_set(m, "TagSet", c->tags);
    ec2gw->finish(req, json_pack("{s:o, s:s*}", "NetworkInterface", m, "ClientToken", token));
}

/* The fixed_ips of the POST: the primary first, then the secondaries. */
static json_t *
neutron_eni_fixed_ips(const struct neutron_eni_create *c)
{
    json_t *out = json_array();
    const json_t *s;
    size_t i;

    json_array_append_new(
        out, c->primary != NULL
                 ? json_pack("{s:s, s:s}", "subnet_id", c->subnet_os, "ip_address", c->primary)
                 : json_pack("{s:s}", "subnet_id", c->subnet_os));
    json_array_foreach(c->secondaries, i, s) json_array_append_new(
        out, json_pack("{s:s, s:O}", "subnet_id", c->subnet_os, "ip_address", s));
    for (json_int_t k = 0; k < c->count; k++)
        json_array_append_new(out, json_pack("{s:s}", "subnet_id", c->subnet_os));
    return out;
}


static void
neutron_eni_create_looked(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_eni_create *c = arg;
    const json_t *subnet = json_object_get(r[0]->json, "subnet"), *g;
    json_t *sg_ids = neutron_own(req, json_array()), *vpc = NULL, *opts, *body;
    ec2gw_os_call_t call;
    size_t i;

    (void)n;
    if (r[0]->status == 404) {
        ec2gw->fail(req, 400, "InvalidSubnetID.NotFound", "The subnet ID '%.64s' does not exist",
                    c->subnet_id);
        return;
    }
    if (neutron_first_failure(r, n) >= 0) {
        neutron_fail(req, r[neutron_first_failure(r, n)], NULL);
        return;
    }
    if (neutron_eni_check_range(req, c, neutron_str(subnet, "cidr")) != 0)
        return;
    ec2gw->own_json(req, r[1]->json);
    c->groups = json_object_get(r[1]->json, "security_groups");
    json_array_foreach(c->groups, i, g)
        json_array_append_new(sg_ids, json_string(neutron_or(neutron_str(g, "id"))));
    if (json_array_size(sg_ids) == 0 ||
        (c->group_os != NULL && json_array_size(sg_ids) < json_array_size(c->group_os))) {
        if (c->group_os != NULL)
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "A security group of Groups does not exist");
        else
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The default security group of VPC '%s' does not exist", c->vpc_id);
        return;
    }
    if (ec2gw->item_get(req, c->vpc_id, &vpc) != 0)
        vpc = json_object();
    neutron_own(req, vpc);
    body = neutron_own(req, json_pack("{s:{s:s, s:s, s:o, s:O}}", "port", "network_id",
                                      c->network_id, "name", c->eni_id, "fixed_ips",
                                      neutron_eni_fixed_ips(c), "security_groups", sg_ids));
    if ((opts = neutron_dopt_port_opts(req, vpc)) != NULL)
        json_object_set_new(json_object_get(body, "port"), "extra_dhcp_opts", opts);
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/ports", .body = body);
    if (ec2gw->os_call(req, &call, neutron_eni_port_made, c) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_create_network_interface(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_create *c = ec2gw->pcalloc(req, sizeof(*c));
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    char *q;
    ec2gw_os_call_t calls[2];

    c->ni = inst;
    c->subnet_id = neutron_param_str(req, "SubnetId");
    if (neutron_eni_create_check(req, c) != 0)
        return EC2GW_OK;
    if (ec2gw->new_id(req, VPC_KIND_ENI, &c->eni_id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not draw a network interface id");
        return EC2GW_OK;
    }
    q = ec2gw->psprintf(req, "project_id=%s&fields=id&fields=name", project);
    if (c->group_os != NULL)
        q = neutron_query_add(req, q, "id", c->group_os);
    else
        q = ec2gw->psprintf(req, "%s&name=%s%s", q, VPC_SG_DEFAULT_PREFIX,
                            ec2gw->url_escape(req, c->vpc_id));
    calls[0] = EC2GW_OS_GET(
        "network", ec2gw->psprintf(req, "/v2.0/subnets/%s", ec2gw->url_escape(req, c->subnet_os)));
    calls[1] = EC2GW_OS_GET("network", neutron_path(req, "security-groups", q));
    if (ec2gw->os_fanout(req, calls, 2, neutron_eni_create_looked, c) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
