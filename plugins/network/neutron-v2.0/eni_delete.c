/*
 * eni_delete.c - DeleteNetworkInterface: refused while the port is attached to a server
 * (InvalidNetworkInterface.InUse) or is Neutron's own; otherwise every floating IP on the port
 * is disassociated first (and its eipalloc row's mirror cleared, as AssociateAddress keeps
 * it), then the port deleted, the row dropped, and the route tables that sent traffic to the
 * ENI re-projected (their route is a blackhole now).
 */
#include <string.h>

#include "addresses.h"
#include "eni.h"

struct neutron_eni_del {
    struct neutron_inst *ni;
    struct neutron_eni *e;
    json_t *allocs; /* floating IP → eipalloc- */
};

static void
neutron_eni_del_routed(ec2gw_req_t *req, int rc, void *arg)
{
    (void)arg;
    if (rc == 0)
        neutron_finish_true(req);
}

static void
neutron_eni_del_port_gone(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_del *d = arg;

    if (!ec2gw_os_ok(r) && r->status != 404) {
        if (r->status == 409)
            ec2gw->fail(req, 400, "InvalidNetworkInterface.InUse", "Interface: [%s] in use.",
                        d->e->eni_id);
        else
            neutron_fail(req, r, NULL);
        return;
    }
    if (ec2gw->item_delete(req, d->e->eni_id) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "could not delete the row of %s", d->e->eni_id);
    neutron_eni_routes_changed(req, d->ni, d->e, neutron_eni_del_routed, d);
}

static void
neutron_eni_del_port(ec2gw_req_t *req, struct neutron_eni_del *d)
{
    ec2gw_os_call_t call =
        EC2GW_OS_CALL("network", "DELETE", neutron_eni_port_path(req, d->e->port_id), .flags = 0);

    if (ec2gw->os_call(req, &call, neutron_eni_del_port_gone, d) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

static void
neutron_eni_del_disassociated(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n,
                              void *arg)
{
    struct neutron_eni_del *d = arg;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    neutron_eni_del_port(req, d);
}

static void
neutron_eni_del_fips(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_del *d = arg;
    const json_t *fips = json_object_get(r->json, "floatingips"), *f;
    size_t n = json_array_size(fips), i;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (n == 0) {
        neutron_eni_del_port(req, d);
        return;
    }
    d->allocs = neutron_map_ids(req, "eipalloc", fips);
    json_array_foreach(fips, i, f)
    {
        const char *id = neutron_or(neutron_str(f, "id"));
        const char *alloc = json_string_value(json_object_get(d->allocs, id));
        json_t *body = neutron_own(req, json_pack("{s:{s:n}}", "floatingip", "port_id"));

        calls[i] = EC2GW_OS_CALL(
            "network", "PUT",
            ec2gw->psprintf(req, "/v2.0/floatingips/%s", ec2gw->url_escape(req, id)), .body = body);
        if (alloc != NULL)
            neutron_addr_store(req, alloc, id, neutron_str(f, "floating_ip_address"), NULL, NULL);
    }
    if (ec2gw->os_fanout(req, calls, n, neutron_eni_del_disassociated, d) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

static void
neutron_eni_del_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_del *d = e->arg;
    const char *device = neutron_str(e->port, "device_id");
    const char *owner = neutron_or(neutron_str(e->port, "device_owner"));
    ec2gw_os_call_t call;

    d->e = e;
    if ((device != NULL && device[0] != '\0') || strncmp(owner, "network:", 8) == 0) {
        ec2gw->fail(req, 400, "InvalidNetworkInterface.InUse", "Interface: [%s] in use.",
                    e->eni_id);
        return;
    }
    call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "floatingips",
                     ec2gw->psprintf(req, "project_id=%s&port_id=%s",
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id),
                                     ec2gw->url_escape(req, e->port_id))));
    if (ec2gw->os_call(req, &call, neutron_eni_del_fips, d) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_delete_network_interface(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_del *d = ec2gw->pcalloc(req, sizeof(*d));

    d->ni = inst;
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_del_loaded, d);
}
