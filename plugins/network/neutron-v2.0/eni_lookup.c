/*
 * eni_lookup.c - one ENI of the caller for the single-interface actions: its eni- id mapped to
 * the Neutron port (GET as the caller, and the port's project checked: an admin caller's token
 * would show other projects' ports), its row; storing the row back; and the route-table
 * refresh after the ENI's addresses changed.
 */
#include <string.h>

#include "eni.h"

static void
neutron_eni_not_found(ec2gw_req_t *req, const char *id)
{
    ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.NotFound",
                "The networkInterface ID '%.64s' does not exist", id);
}

/* A port Nova made for an instance has no row yet: its subnet's row gives the VPC, so that
 * what the actions store for it is a full eni row. */
static void
neutron_eni_fill_row(ec2gw_req_t *req, struct neutron_eni *e)
{
    const json_t *ip = json_array_get(json_object_get(e->port, "fixed_ips"), 0);
    const char *sub_os = neutron_str(ip, "subnet_id"), *sub_id = NULL;
    json_t *sub = NULL;

    if (neutron_str(e->data, VPC_F_VPC_ID) != NULL || sub_os == NULL ||
        ec2gw->id_to_ec2(req, VPC_KIND_SUBNET, sub_os, &sub_id) != 0 ||
        ec2gw->item_get(req, sub_id, &sub) != 0)
        return;
    if (neutron_str(sub, VPC_F_VPC_ID) != NULL) {
        json_object_set_new(e->data, VPC_F_VPC_ID, json_string(neutron_str(sub, VPC_F_VPC_ID)));
        json_object_set_new(e->data, VPC_F_SUBNET_ID, json_string(sub_id));
        if (neutron_str(e->data, VPC_F_PRIVATE_IP_ADDRESS) == NULL &&
            neutron_str(ip, "ip_address") != NULL)
            json_object_set_new(e->data, VPC_F_PRIVATE_IP_ADDRESS,
                                json_string(neutron_str(ip, "ip_address")));
    }
    json_decref(sub);
}

static void
neutron_eni_port_got(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni *e = arg;
    json_t *port = json_object_get(r->json, "port");
    const char *project = neutron_str(port, "project_id");

    if (r->status == 404) {
        neutron_eni_not_found(req, e->eni_id);
        return;
    }
    if (!ec2gw_os_ok(r) || port == NULL) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (project == NULL)
        project = neutron_str(port, "tenant_id");
    if (project != NULL && strcmp(project, ec2gw->identity(req)->project_id) != 0) {
        neutron_eni_not_found(req, e->eni_id);
        return;
    }
    ec2gw->own_json(req, r->json);
    e->port = port;
    neutron_eni_fill_row(req, e);
    e->loaded(req, e);
}

int
neutron_eni_load(ec2gw_req_t *req, const char *eni_id, neutron_eni_loaded_fn loaded, void *arg)
{
    struct neutron_eni *e = ec2gw->pcalloc(req, sizeof(*e));
    json_t *data = NULL;
    ec2gw_os_call_t call;
    int rc;

    if (eni_id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter NetworkInterfaceId");
        return EC2GW_OK;
    }
    if (strncmp(eni_id, "eni-", 4) != 0 || strncmp(eni_id, "eni-attach-", 11) == 0) {
        ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"eni-...\")", eni_id);
        return EC2GW_OK;
    }
    rc = ec2gw->id_to_os(req, eni_id, &e->port_id);
    if (rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"eni-...\")", eni_id);
        return EC2GW_OK;
    }
    if (rc != 0 || e->port_id == NULL) {
        neutron_eni_not_found(req, eni_id);
        return EC2GW_OK;
    }
    rc = ec2gw->item_get(req, eni_id, &data);
    if (rc != 0 && rc != EC2GW_E_NOTFOUND) {
        ec2gw->fail(req, 500, "InternalError", "Could not read the network interface");
        return EC2GW_OK;
    }
    e->eni_id = eni_id;
    e->data = neutron_own(req, data != NULL ? data : json_object());
    e->loaded = loaded;
    e->arg = arg;
    call = EC2GW_OS_GET("network", neutron_eni_port_path(req, e->port_id));
    if (ec2gw->os_call(req, &call, neutron_eni_port_got, e) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

int
neutron_eni_store(ec2gw_req_t *req, const struct neutron_eni *e)
{
    if (ec2gw->item_put(req, e->eni_id, e->port_id, e->data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not store the network interface");
        return -1;
    }
    return 0;
}

int
neutron_eni_port_put(ec2gw_req_t *req, const struct neutron_eni *e, json_t *body,
                     ec2gw_os_done_fn done, void *arg)
{
    ec2gw_os_call_t call = EC2GW_OS_CALL("network", "PUT", neutron_eni_port_path(req, e->port_id),
                                         .body = neutron_own(req, body));

    return ec2gw->os_call(req, &call, done, arg);
}

/* Does a route of a route table of the caller name @p eni_id as its target? */
static int
neutron_eni_routed(ec2gw_req_t *req, const char *eni_id)
{
    json_t *rtbs = NULL, *rtb;
    const json_t *route;
    const char *k;
    size_t i;
    int found = 0;

    if (!EC2GW_HOST_HAS(ec2gw, items_list) || ec2gw->items_list(req, VPC_KIND_RTB, &rtbs) != 0)
        return 0;
    json_object_foreach(rtbs, k, rtb)
    {
        json_array_foreach(json_object_get(rtb, VPC_F_ROUTES), i, route)
        {
            const char *t = neutron_str(route, VPC_F_NETWORK_INTERFACE_ID);

            found |= t != NULL && strcmp(t, eni_id) == 0;
        }
    }
    json_decref(rtbs);
    return found;
}

void
neutron_eni_routes_changed(ec2gw_req_t *req, struct neutron_inst *ni, const struct neutron_eni *e,
                           neutron_done_fn done, void *arg)
{
    const char *vpc = neutron_str(e->data, VPC_F_VPC_ID);

    if (vpc == NULL || !neutron_eni_routed(req, e->eni_id)) {
        done(req, 0, arg);
        return;
    }
    neutron_rtb_sync(req, ni, vpc, done, arg);
}
