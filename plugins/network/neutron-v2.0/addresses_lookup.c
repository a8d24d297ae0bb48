/*
 * addresses_lookup.c - find one of the caller's floating IPs by its EC2 id or public IP, for
 * ReleaseAddress, AssociateAddress and DisassociateAddress. One Neutron list call, scoped to
 * the caller's project (an admin token would otherwise see every project's addresses).
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
