/*
 * addresses_assoc.c - AssociateAddress: Neutron PUT /v2.0/floatingips/<id> with
 * port_id/fixed_ip_address (no Nova proxy, also for standard-domain addresses).
 *
 * AssociateAddress looks up the address and the target port in one fan-out (an instance's
 * port through Neutron's device_id: its first port, the primary interface), checks
 * PrivateIpAddress against the port, refuses an address associated elsewhere without
 * AllowReassociation (Resource.AlreadyAssociated), and, as AWS does, moves an address that
 * already sits on the target private IP off it first; if the new association then fails, the
 * old one is put back. The association id is derived: eipassoc-<hex of the eipalloc>.
 */
#include <string.h>

#include "addresses.h"

struct neutron_assoc_state {
    const char *alloc_param, *public_ip, *instance, *eni, *private_ip;
    int allow;
    const char *fip_id, *alloc, *addr; /* the address */
    const char *port, *fixed;          /* where it goes */
    const char *old_fip, *old_addr;    /* the address moved off the target first, or NULL */
    const ec2gw_os_resp_t *err;        /* the failure to answer after restoring old_fip */
    int standard;
};

static void neutron_assoc_put(ec2gw_req_t *req, struct neutron_assoc_state *st);
static void neutron_assoc_other_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg);

static void
neutron_assoc_answer(ec2gw_req_t *req, struct neutron_assoc_state *st)
{
    const char *eni = NULL, *old = NULL;

    if (ec2gw->id_to_ec2(req, "eni", st->port, &eni) != 0)
        eni = NULL;
    if (st->old_fip != NULL && ec2gw->id_to_ec2(req, "eipalloc", st->old_fip, &old) == 0)
        neutron_addr_store(req, old, st->old_fip, st->old_addr, NULL, NULL);
    neutron_addr_store(req, st->alloc, st->fip_id, st->addr, eni, st->fixed);
    if (st->standard)
        ec2gw->finish(req, json_object());
    else
        ec2gw->finish(req,
                      json_pack("{s:s}", "AssociationId", neutron_addr_assoc_id(req, st->alloc)));
}

static void
neutron_assoc_fail(ec2gw_req_t *req, struct neutron_assoc_state *st, const ec2gw_os_resp_t *r)
{
    const char *type = neutron_error_type(r);

    if (strcmp(type, "ExternalGatewayForFloatingIPNotFound") == 0 ||
        (r->status == 404 && strstr(neutron_error_message(req, r), "not reachable") != NULL))
        ec2gw->fail(req, 400, "Gateway.NotAttached",
                    "Network of %s is not attached to the external network of %s (no router "
                    "gateway)",
                    st->eni != NULL ? st->eni : st->instance, st->addr);
    else if (r->status == 404)
        ec2gw->fail(req, 400, "InvalidAllocationID.NotFound",
                    "The allocation ID '%s' does not exist", st->alloc);
    else if (r->status == 409)
        ec2gw->fail(req, 400, "Resource.AlreadyAssociated",
                    "The private IP address %s already has an Elastic IP address: %s", st->fixed,
                    neutron_error_message(req, r));
    else
        neutron_fail(req, r, NULL);
}

/* -- moving another address off the target private IP, and putting it back on failure ---- */

/* A copy of borrowed answer @p r that lives as long as the request. */
static const ec2gw_os_resp_t *
neutron_resp_keep(ec2gw_req_t *req, const ec2gw_os_resp_t *r)
{
    ec2gw_os_resp_t *k = ec2gw->palloc(req, sizeof(*k));

    *k = *r;
    if (r->json != NULL)
        ec2gw->own_json(req, r->json);
    k->body = r->body != NULL ? ec2gw->pstrdup(req, r->body) : NULL;
    k->error = r->error != NULL ? ec2gw->pstrdup(req, r->error) : NULL;
    k->os_request_id = r->os_request_id != NULL ? ec2gw->pstrdup(req, r->os_request_id) : NULL;
    k->location = r->location != NULL ? ec2gw->pstrdup(req, r->location) : NULL;
    return k;
}

static void
neutron_assoc_restored(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_assoc_state *st = arg;

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not re-associate floating IP %s: %ld", st->old_fip,
                   r->status);
    neutron_assoc_fail(req, st, st->err);
}

static void
neutron_assoc_put_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_assoc_state *st = arg;

    if (ec2gw_os_ok(r)) {
        neutron_assoc_answer(req, st);
        return;
    }
    if (st->old_fip == NULL) {
        if (r->status == 409 &&
            strcmp(neutron_error_type(r), "FloatingIPPortAlreadyAssociated") == 0) {
            /* another address sits on the target: look it up, move it off, retry once */
            char *q =
                ec2gw->psprintf(req, "port_id=%s&fixed_ip_address=%s&project_id=%s",
                                ec2gw->url_escape(req, st->port), ec2gw->url_escape(req, st->fixed),
                                ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
            ec2gw_os_call_t call = EC2GW_OS_GET("network", neutron_path(req, "floatingips", q));

            if (ec2gw->os_call(req, &call, neutron_assoc_other_found, st) < 0)
                ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
            return;
        }
        neutron_assoc_fail(req, st, r);
        return;
    }
    /* the retry failed: put the other address back where it was */
    st->err = neutron_resp_keep(req, r);
    if (neutron_addr_update(req, st->old_fip, st->port, st->fixed, neutron_assoc_restored, st) < 0)
        neutron_assoc_fail(req, st, r);
}

static void
neutron_assoc_other_moved(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_assoc_state *st = arg;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    neutron_assoc_put(req, st);
}

static void
neutron_assoc_other_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_assoc_state *st = arg;
    const json_t *other = json_array_get(json_object_get(r->json, "floatingips"), 0);
    const char *id = neutron_str(other, "id");

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (id == NULL || strcmp(id, st->fip_id) == 0) {
        ec2gw->fail(req, 400, "Resource.AlreadyAssociated",
                    "The private IP address %s already has an Elastic IP address of another "
                    "account",
                    st->fixed);
        return;
    }
    st->old_fip = ec2gw->pstrdup(req, id);
    st->old_addr = ec2gw->pstrdup(req, neutron_or(neutron_str(other, "floating_ip_address")));
    if (neutron_addr_update(req, st->old_fip, NULL, NULL, neutron_assoc_other_moved, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

static void
neutron_assoc_put(ec2gw_req_t *req, struct neutron_assoc_state *st)
{
    if (neutron_addr_update(req, st->fip_id, st->port, st->fixed, neutron_assoc_put_done, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

/* -- AssociateAddress: the address and the target port ------------------------------------ */

/* The instance's primary port: its oldest (the compute plugin's device index 0). */
static const json_t *
neutron_assoc_primary(const json_t *ports)
{
    const json_t *best = NULL, *p;
    size_t i;

    json_array_foreach(ports, i, p)
    {
        const char *c = neutron_or(neutron_str(p, "created_at"));

        if (best == NULL || strcmp(c, neutron_or(neutron_str(best, "created_at"))) < 0 ||
            (strcmp(c, neutron_or(neutron_str(best, "created_at"))) == 0 &&
             strcmp(neutron_or(neutron_str(p, "id")), neutron_or(neutron_str(best, "id"))) < 0))
            best = p;
    }
    return best;
}

/* The fixed IPv4 address of @p port to use (PrivateIpAddress or the first), or NULL after
 * answering. */
static const char *
neutron_assoc_fixed(ec2gw_req_t *req, const struct neutron_assoc_state *st, const json_t *port)
{
    const json_t *ip;
    size_t i;

    json_array_foreach(json_object_get(port, "fixed_ips"), i, ip)
    {
        const char *a = neutron_str(ip, "ip_address");

        if (a == NULL || !neutron_addr_ipv4_ok(a))
            continue;
        if (st->private_ip == NULL || strcmp(st->private_ip, a) == 0)
            return ec2gw->pstrdup(req, a);
    }
    if (st->private_ip != NULL)
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "The private IP address %s is not assigned to the network interface of %s",
                    st->private_ip, st->eni != NULL ? st->eni : st->instance);
    else
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "The network interface of %s has no private IPv4 address",
                    st->eni != NULL ? st->eni : st->instance);
    return NULL;
}

/* The target port of the fan-out's answer, or NULL after answering. */
static const json_t *
neutron_assoc_port(ec2gw_req_t *req, const struct neutron_assoc_state *st, const json_t *ports)
{
    const json_t *list = json_object_get(ports, "ports");

    if (json_array_size(list) > 0)
        return st->eni != NULL ? json_array_get(list, 0) : neutron_assoc_primary(list);
    if (st->eni != NULL)
        ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.NotFound",
                    "The networkInterface ID '%s' does not exist", st->eni);
    else
        ec2gw->fail(req, 400, "InvalidInstanceID",
                    "The instance '%s' has no network interface to associate an address with",
                    st->instance);
    return NULL;
}

static void
neutron_assoc_looked_up(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_assoc_state *st = arg;
    const json_t *fip = json_array_get(json_object_get(r[0]->json, "floatingips"), 0), *port;
    const char *cur;
    json_t *data;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    if (fip == NULL || neutron_str(fip, "id") == NULL) {
        if (st->public_ip != NULL)
            ec2gw->fail(req, 400, "InvalidAddress.NotFound", "Address '%s' not found.",
                        st->public_ip);
        else
            ec2gw->fail(req, 400, "InvalidAllocationID.NotFound",
                        "The allocation ID '%s' does not exist", st->alloc_param);
        return;
    }
    if ((port = neutron_assoc_port(req, st, r[1]->json)) == NULL)
        return;
    st->port = ec2gw->pstrdup(req, neutron_or(neutron_str(port, "id")));
    if ((st->fixed = neutron_assoc_fixed(req, st, port)) == NULL)
        return;
    st->fip_id = ec2gw->pstrdup(req, neutron_str(fip, "id"));
    st->addr = ec2gw->pstrdup(req, neutron_or(neutron_str(fip, "floating_ip_address")));
    st->alloc = st->alloc_param;
    if (st->alloc == NULL && ec2gw->id_to_ec2(req, "eipalloc", st->fip_id, &st->alloc) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not map the allocation id");
        return;
    }
    data = neutron_addr_data(req, st->alloc);
    st->standard = neutron_addr_is_standard(data);
    json_decref(data);
    cur = neutron_str(fip, "port_id");
    if (cur != NULL && strcmp(cur, st->port) == 0 &&
        strcmp(neutron_or(neutron_str(fip, "fixed_ip_address")), st->fixed) == 0) {
        neutron_assoc_answer(req, st); /* already there: AWS answers the same association */
        return;
    }
    if (cur != NULL && !st->allow && !st->standard) {
        ec2gw->fail(req, 400, "Resource.AlreadyAssociated",
                    "resource %s is already associated with associate-id %s", st->alloc,
                    neutron_addr_assoc_id(req, st->alloc));
        return;
    }
    neutron_assoc_put(req, st);
}

/* Parameters and local id resolution; 0, or -1 after answering. */
static int
neutron_assoc_params(ec2gw_req_t *req, struct neutron_assoc_state *st, const char **fip_os,
                     const char **target_os)
{
    int rc;

    st->alloc_param = neutron_param_str(req, "AllocationId");
    st->public_ip = neutron_param_str(req, "PublicIp");
    st->instance = neutron_param_str(req, "InstanceId");
    st->eni = neutron_param_str(req, "NetworkInterfaceId");
    st->private_ip = neutron_param_str(req, "PrivateIpAddress");
    st->allow = json_is_true(json_object_get(ec2gw->params(req), "AllowReassociation"));
    if ((st->alloc_param == NULL && st->public_ip == NULL) ||
        (st->instance == NULL && st->eni == NULL)) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "Specify AllocationId or PublicIp, and InstanceId or NetworkInterfaceId");
        return -1;
    }
    if ((st->alloc_param != NULL && st->public_ip != NULL) ||
        (st->instance != NULL && st->eni != NULL)) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "Specify either AllocationId or PublicIp, and either InstanceId or "
                    "NetworkInterfaceId, not both");
        return -1;
    }
    if (st->public_ip != NULL && !neutron_addr_ipv4_ok(st->public_ip)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.64s' for PublicIp: not an IPv4 address", st->public_ip);
        return -1;
    }
    if (st->private_ip != NULL && !neutron_addr_ipv4_ok(st->private_ip)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.64s' for PrivateIpAddress: not an IPv4 address",
                    st->private_ip);
        return -1;
    }
    if (st->alloc_param != NULL && neutron_addr_alloc_os(req, st->alloc_param, fip_os) != 0)
        return -1;
    if (st->instance != NULL) {
        rc = strncmp(st->instance, "i-", 2) == 0 ? ec2gw->id_to_os(req, st->instance, target_os)
                                                 : EC2GW_E_INVAL;
        if (rc != 0 || *target_os == NULL) {
            ec2gw->fail(req, 400,
                        rc == EC2GW_E_INVAL ? "InvalidInstanceID.Malformed"
                                            : "InvalidInstanceID.NotFound",
                        "The instance ID '%.64s' does not exist", st->instance);
            return -1;
        }
    } else {
        rc = strncmp(st->eni, "eni-", 4) == 0 && strncmp(st->eni, "eni-attach-", 11) != 0
                 ? ec2gw->id_to_os(req, st->eni, target_os)
                 : EC2GW_E_INVAL;
        if (rc != 0 || *target_os == NULL) {
            ec2gw->fail(req, 400,
                        rc == EC2GW_E_INVAL ? "InvalidNetworkInterfaceID.Malformed"
                                            : "InvalidNetworkInterfaceID.NotFound",
                        "The networkInterface ID '%.64s' does not exist", st->eni);
            return -1;
        }
    }
    return 0;
}

int
neutron_associate_address(ec2gw_req_t *req, void *inst)
{
    struct neutron_assoc_state *st = ec2gw->state(req, sizeof(*st));
    const char *fip_os = NULL, *target = NULL;
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    ec2gw_os_call_t calls[2];

    (void)inst;
    if (neutron_assoc_params(req, st, &fip_os, &target) != 0)
        return EC2GW_OK;
    calls[0] = EC2GW_OS_GET(
        "network",
        neutron_path(req, "floatingips",
                     fip_os != NULL
                         ? ec2gw->psprintf(req, "id=%s&project_id=%s",
                                           ec2gw->url_escape(req, fip_os), project)
                         : ec2gw->psprintf(req, "floating_ip_address=%s&project_id=%s",
                                           ec2gw->url_escape(req, st->public_ip), project)));
    calls[1] = EC2GW_OS_GET("network",
                            neutron_path(req, "ports",
                                         ec2gw->psprintf(req, "%s=%s&project_id=%s",
                                                         st->instance != NULL ? "device_id" : "id",
                                                         ec2gw->url_escape(req, target), project)));
    if (ec2gw->os_fanout(req, calls, 2, neutron_assoc_looked_up, st) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
