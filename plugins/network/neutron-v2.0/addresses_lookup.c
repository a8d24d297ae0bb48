/*
 * addresses_lookup.c - find one of the caller's floating IPs by its EC2 id or public IP, for
 * ReleaseAddress, AssociateAddress and DisassociateAddress (one Neutron list call, scoped to
 * the caller's project: an admin token would otherwise see every project's addresses), and
 * change its association (PUT) and the row that mirrors it.
 */
#include <string.h>

#include "addresses.h"

struct neutron_find_state {
    const char *ec2_id, *public_ip;
    neutron_addr_found_fn found;
    void *arg;
};

static void
neutron_addr_not_found(ec2gw_req_t *req, const struct neutron_find_state *st)
{
    if (st->public_ip != NULL)
        ec2gw->fail(req, 400, "InvalidAddress.NotFound", "Address '%s' not found.", st->public_ip);
    else if (strncmp(st->ec2_id, "eipassoc-", 9) == 0)
        ec2gw->fail(req, 400, "InvalidAssociationID.NotFound",
                    "The association ID '%s' does not exist", st->ec2_id);
    else
        ec2gw->fail(req, 400, "InvalidAllocationID.NotFound",
                    "The allocation ID '%s' does not exist", st->ec2_id);
}

static void
neutron_addr_find_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_find_state *st = arg;
    const json_t *fip = json_array_get(json_object_get(r->json, "floatingips"), 0);
    const char *alloc = NULL;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (fip == NULL || neutron_str(fip, "id") == NULL) {
        neutron_addr_not_found(req, st);
        return;
    }
    ec2gw->own_json(req, r->json);
    if (st->ec2_id != NULL && strncmp(st->ec2_id, "eipalloc-", 9) == 0)
        alloc = st->ec2_id;
    else if (ec2gw->id_to_ec2(req, "eipalloc", neutron_str(fip, "id"), &alloc) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not map the allocation id");
        return;
    }
    st->found(req, fip, alloc, st->arg);
}

int
neutron_addr_find(ec2gw_req_t *req, const char *os_id, const char *ec2_id, const char *public_ip,
                  neutron_addr_found_fn found, void *arg)
{
    struct neutron_find_state *st = ec2gw->pcalloc(req, sizeof(*st));
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    const char *q;
    ec2gw_os_call_t call;
    int rc;

    st->ec2_id = ec2_id;
    st->public_ip = os_id == NULL ? public_ip : NULL;
    st->found = found;
    st->arg = arg;
    if (os_id != NULL)
        q = ec2gw->psprintf(req, "id=%s&project_id=%s", ec2gw->url_escape(req, os_id), project);
    else
        q = ec2gw->psprintf(req, "floating_ip_address=%s&project_id=%s",
                            ec2gw->url_escape(req, public_ip), project);
    call = EC2GW_OS_GET("network", neutron_path(req, "floatingips", q));
    rc = ec2gw->os_call(req, &call, neutron_addr_find_done, st);
    if (rc < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

static const char *
neutron_fip_path(ec2gw_req_t *req, const char *id)
{
    return ec2gw->psprintf(req, "/v2.0/floatingips/%s", ec2gw->url_escape(req, id));
}

/* PUT port_id/fixed_ip_address (NULL port: disassociate) of floating IP @p id. */
int
neutron_addr_update(ec2gw_req_t *req, const char *id, const char *port, const char *fixed,
                    ec2gw_os_done_fn done, void *arg)
{
    json_t *body = neutron_own(req, json_pack("{s:{s:o}}", "floatingip", "port_id",
                                              port != NULL ? json_string(port) : json_null()));
    ec2gw_os_call_t call = EC2GW_OS_CALL("network", "PUT", neutron_fip_path(req, id), .body = body);

    if (fixed != NULL)
        json_object_set_new(json_object_get(body, "floatingip"), "fixed_ip_address",
                            json_string(fixed));
    return ec2gw->os_call(req, &call, done, arg);
}

/* The row's data with the association fields set (or cleared with @p eni NULL). */
void
neutron_addr_store(ec2gw_req_t *req, const char *alloc, const char *fip_id, const char *addr,
                   const char *eni, const char *fixed)
{
    json_t *data = neutron_own(req, neutron_addr_data(req, alloc));

    json_object_set_new(data, "public_ip", json_string(neutron_or(addr)));
    json_object_del(data, "network_interface_id");
    json_object_del(data, "private_ip_address");
    if (eni != NULL && fixed != NULL) {
        json_object_set_new(data, "network_interface_id", json_string(eni));
        json_object_set_new(data, "private_ip_address", json_string(fixed));
    }
    /* the row mirrors Neutron for ec2-api; Neutron stays the truth, so a failed write is
     * logged, not answered */
    if (ec2gw->item_put(req, alloc, fip_id, data) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "could not store the association of %s", alloc);
}
