/*
 * addresses_disassoc.c - DisassociateAddress (AssociationId or PublicIp): Neutron PUT
 * /v2.0/floatingips/<id> with port_id null, then the row's association fields cleared.
 * Idempotent as on AWS: an address that is not associated answers true; an association id
 * whose allocation is unknown answers InvalidAssociationID.NotFound.
 */
#include "addresses.h"

struct neutron_disassoc_state {
    const char *alloc, *fip_id, *addr;
};

static void
neutron_disassoc_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_disassoc_state *st = arg;

    if (!ec2gw_os_ok(r) && r->status != 404) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (r->status == 404) {
        ec2gw->fail(req, 400, "InvalidAssociationID.NotFound",
                    "The association ID '%s' does not exist",
                    neutron_addr_assoc_id(req, st->alloc));
        return;
    }
    neutron_addr_store(req, st->alloc, st->fip_id, st->addr, NULL, NULL);
    neutron_finish_true(req);
}

static void
neutron_disassoc_found(ec2gw_req_t *req, const json_t *fip, const char *alloc, void *arg)
{
    struct neutron_disassoc_state *st = arg;

    st->alloc = alloc;
    st->fip_id = ec2gw->pstrdup(req, neutron_str(fip, "id"));
    st->addr = ec2gw->pstrdup(req, neutron_or(neutron_str(fip, "floating_ip_address")));
    if (neutron_str(fip, "port_id") == NULL) {
        neutron_finish_true(req); /* idempotent, as on AWS */
        return;
    }
    if (neutron_addr_update(req, st->fip_id, NULL, NULL, neutron_disassoc_done, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_disassociate_address(ec2gw_req_t *req, void *inst)
{
    struct neutron_disassoc_state *st = ec2gw->state(req, sizeof(*st));
    const char *assoc = neutron_param_str(req, "AssociationId");
    const char *ip = neutron_param_str(req, "PublicIp");
    const char *alloc, *os = NULL;
    int rc;

    (void)inst;
    if ((assoc == NULL) == (ip == NULL)) {
        ec2gw->fail(req, 400, assoc != NULL ? "InvalidParameterCombination" : "MissingParameter",
                    "Specify either AssociationId or PublicIp");
        return EC2GW_OK;
    }
    if (ip != NULL) {
        if (!neutron_addr_ipv4_ok(ip)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%.64s' for PublicIp: not an IPv4 address", ip);
            return EC2GW_OK;
        }
        return neutron_addr_find(req, NULL, NULL, ip, neutron_disassoc_found, st);
    }
    alloc = neutron_addr_alloc_of_assoc(req, assoc);
    rc = alloc != NULL ? ec2gw->id_to_os(req, alloc, &os) : EC2GW_E_INVAL;
    if (rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, "InvalidAssociationID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"eipassoc-...\")", assoc);
        return EC2GW_OK;
    }
    if (rc != 0 || os == NULL) {
        ec2gw->fail(req, 400, "InvalidAssociationID.NotFound",
                    "The association ID '%s' does not exist", assoc);
        return EC2GW_OK;
    }
    return neutron_addr_find(req, os, assoc, NULL, neutron_disassoc_found, st);
}
