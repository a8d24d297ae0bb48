/*
 * identity.c - which instance asks, as Neutron's metadata agent says it (openstack-mapping.md
 * §21.2): X-Instance-ID and X-Tenant-ID signed with X-Instance-ID-Signature, the hex
 * HMAC-SHA256 of the instance id keyed with the secret shared with the agent, compared in
 * constant time (the host holds the key and does both). Optionally, with trust_neutron_ids,
 * the proxy's unsigned X-Neutron-Network-ID / X-Neutron-Router-ID with X-Forwarded-For: the
 * address is looked up on Neutron's ports. Anything that does not name exactly one instance
 * is refused before any instance data is read.
 */
#include <stdio.h>
#include <string.h>

#include "md.h"

/* Instance ids and addresses end up in URLs: only the characters they can have. */
static int
token_ok(const char *s, const char *allowed, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;

    return n > 0 && n <= max && strspn(s, allowed) == n;
}

#define UUID_CHARS "0123456789abcdefABCDEF-"
#define IP_CHARS   "0123456789abcdefABCDEF.:"

/* The one compute port of the answer: its device is the instance. */
static void
on_port(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct md_req *st = arg;
    const json_t *ports = json_object_get(resp->json, "ports"), *p, *found = NULL;
    size_t i, n = 0;

    if (!ec2gw_os_ok(resp)) {
        md_text(req, 500, "Unable to look the instance up\n");
        return;
    }
    json_array_foreach(ports, i, p)
    {
        const char *owner = md_str(p, "device_owner");

        if (owner != NULL && strncmp(owner, "compute:", 8) == 0) {
            found = p;
            n++;
        }
    }
    if (n != 1 || !token_ok(md_str(found, "device_id"), UUID_CHARS, 64) ||
        md_str(found, "tenant_id") == NULL) {
        md_text(req, 404, "Not Found\n");
        return;
    }
    st->uuid = ec2gw->pstrdup(req, md_str(found, "device_id"));
    st->tenant = ec2gw->pstrdup(req, md_str(found, "tenant_id"));
    md_identified(req, st);
}

/* The router's interface networks, then the port with the address on one of them. */
static void
on_router_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct md_req *st = arg;
    const json_t *ports = json_object_get(resp->json, "ports"), *p;
    const char *path;
    size_t i, n = 0;

    if (!ec2gw_os_ok(resp)) {
        md_text(req, 500, "Unable to look the instance up\n");
        return;
    }
    path = ec2gw->psprintf(req, "/v2.0/ports?fixed_ips=ip_address%%3D%s", st->xff);
    json_array_foreach(ports, i, p)
    {
        const char *net = md_str(p, "network_id"), *owner = md_str(p, "device_owner");

        /* the router's subnets only, not its gateway on the external network */
        if (token_ok(net, UUID_CHARS, 64) && owner != NULL &&
            (strncmp(owner, "network:router_interface", 24) == 0 ||
             strcmp(owner, "network:ha_router_replicated_interface") == 0)) {
            path = ec2gw->psprintf(req, "%s&network_id=%s", path, net);
            n++;
        }
    }
    if (n == 0) {
        md_text(req, 404, "Not Found\n");
        return;
    }
    ec2gw_os_call_t c = EC2GW_OS_CALL("network", "GET", path, .flags = EC2GW_CALL_AS_SERVICE);

    if (ec2gw->os_call(req, &c, on_port, st) != EC2GW_AGAIN)
        md_text(req, 500, "Unable to look the instance up\n");
}

static int
by_neutron_ids(ec2gw_req_t *req, struct md_req *st, const char *net, const char *router)
{
    const char *path;
    ec2gw_os_done_fn done = on_port;

    if (!token_ok(st->xff, IP_CHARS, 45)) {
        md_text(req, 400, "X-Forwarded-For is not one address\n");
        return EC2GW_E_INVAL;
    }
    if (net != NULL && token_ok(net, UUID_CHARS, 64)) {
        path = ec2gw->psprintf(req, "/v2.0/ports?network_id=%s&fixed_ips=ip_address%%3D%s", net,
                               st->xff);
    } else if (router != NULL && token_ok(router, UUID_CHARS, 64)) {
        path = ec2gw->psprintf(req, "/v2.0/ports?device_id=%s", router);
        done = on_router_ports;
    } else {
        md_text(req, 400, "Malformed X-Neutron-Network-ID or X-Neutron-Router-ID\n");
        return EC2GW_E_INVAL;
    }
    ec2gw_os_call_t c = EC2GW_OS_CALL("network", "GET", path, .flags = EC2GW_CALL_AS_SERVICE);

    if (ec2gw->os_call(req, &c, done, st) != EC2GW_AGAIN) {
        md_text(req, 500, "Unable to look the instance up\n");
        return EC2GW_E_FAIL;
    }
    return EC2GW_AGAIN;
}

int
md_identify(ec2gw_req_t *req, struct md_req *st)
{
    size_t n_id = 0, n_tenant = 0, n_sig = 0, n_net = 0, n_router = 0;
    const char *id = ec2gw->http_header(req, "X-Instance-ID", &n_id);
    const char *tenant = ec2gw->http_header(req, "X-Tenant-ID", &n_tenant);
    const char *sig = ec2gw->http_header(req, "X-Instance-ID-Signature", &n_sig);
    const char *net = ec2gw->http_header(req, "X-Neutron-Network-ID", &n_net);
    const char *router = ec2gw->http_header(req, "X-Neutron-Router-ID", &n_router);
    char mine[65];

    st->xff = ec2gw->http_header(req, "X-Forwarded-For", NULL);
    if (n_id > 1 || n_tenant > 1 || n_sig > 1 || n_net > 1 || n_router > 1) {
        md_text(req, 400, "Duplicated identity headers\n");
        return EC2GW_E_INVAL;
    }
    if (id == NULL) {
        if (st->inst->trust_neutron_ids && (net != NULL || router != NULL))
            return by_neutron_ids(req, st, net, router);
        md_text(req, 400, "X-Instance-ID header is missing from request\n");
        return EC2GW_E_INVAL;
    }
    if (tenant == NULL || tenant[0] == '\0') {
        md_text(req, 400, "X-Tenant-ID header is missing from request\n");
        return EC2GW_E_INVAL;
    }
    if (sig == NULL || ec2gw->hmac_hex(req, EC2GW_KEY_METADATA_PROXY, id, strlen(id), mine) != 0 ||
        !ec2gw->secure_equal(mine, sig)) {
        ec2gw->log(req, EC2GW_LOG_WARN, "metadata: X-Instance-ID-Signature %s for an instance",
                   sig == NULL ? "missing" : "does not match");
        md_text(req, 403, "Invalid proxy request signature.\n");
        return EC2GW_E_INVAL;
    }
    if (!token_ok(id, UUID_CHARS, 64)) {
        md_text(req, 400, "Malformed X-Instance-ID\n");
        return EC2GW_E_INVAL;
    }
    st->uuid = id;
    st->tenant = tenant;
    return 0;
}
