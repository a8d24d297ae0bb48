/*
 * run_public_ip.c - the public IP of an instance launched in a VPC subnet that maps one on
 * launch (MapPublicIpOnLaunch, or NetworkInterface.0.AssociatePublicIpAddress=true): a Neutron
 * floating IP on the VPC router's external network, associated with the port Nova made.
 *
 * After the boots, without blocking the loop: GET the servers' ports on request timers (Nova
 * creates them on the compute host a moment after POST /servers) until each has its fixed IP,
 * then one POST /v2.0/floatingips per instance, described "ec2gw-public-ip <i-id>". Any
 * failure (no port in time, a refused or lost POST) undoes everything: the floating IPs found
 * by that description (a lost answer's too) and the servers are deleted, then the request is
 * failed. TerminateInstances releases them the same way (nova_pip_release).
 *
 * Servers adopted from an attempt cut short by a kill (run_recover.c) may have their floating
 * IP already: those found by description on the server's port are kept, not made twice.
 */
#include <string.h>

#include "nova.h"

#define NOVA_PIP_MARK    "ec2gw-public-ip "
#define NOVA_PIP_POLL_MS 1000
#define NOVA_PIP_POLLS   60

struct nova_pip {
    const char *const *servers; /* per launch index: server uuid, or NULL */
    const char **ids;           /* per launch index: its i- id */
    size_t n;
    const char *ext_net;
    json_t *ports; /* server → port id */
    json_t *ips;   /* server → public ip */
    json_t *kept;  /* server → public ip an earlier attempt mapped (adopted servers) */
    int reuse;     /* look for those first */
    int polls;
    const char *code, *msg; /* the failure being answered */
    int status;
    nova_pip_done_fn done;
    void *arg;
};

static void nova_pip_poll(ec2gw_req_t *req, void *arg);

/* "?description=<mark i-..>&..." of @p ids (n of them; NULL entries skipped), pool. */
static const char *
nova_pip_query(ec2gw_req_t *req, const char *const *ids, size_t n)
{
    const char *q = "";

    for (size_t i = 0; i < n; i++)
        if (ids[i] != NULL)
            q = ec2gw->psprintf(
                req, "%s%cdescription=%s", q, q[0] ? '&' : '?',
                ec2gw->url_escape(req, ec2gw->psprintf(req, NOVA_PIP_MARK "%s", ids[i])));
    return q;
}

static void
nova_pip_undone(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_pip *p = arg;

    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && r[i]->status != 404)
            ec2gw->log(req, EC2GW_LOG_WARN, "public IP rollback: a delete failed (%ld)",
                       r[i]->status);
    ec2gw->fail(req, p->status, p->code, "%s", p->msg);
}

/* The floating IPs made for these instances (found by description) and the servers: deleted. */
static void
nova_pip_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_pip *p = arg;
    const json_t *fips = json_object_get(ec2gw_os_ok(r) ? r->json : NULL, "floatingips"), *f;
    ec2gw_os_call_t *calls =
        ec2gw->pcalloc(req, (json_array_size(fips) + p->n + 1) * sizeof(*calls));
    size_t i, k = 0;

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_WARN, "public IP rollback: floating IP list failed (%ld)",
                   r->status);
    json_array_foreach(fips, i, f) if (nova_str(f, "id") != NULL) calls[k++] = EC2GW_OS_CALL(
        "network", "DELETE",
        ec2gw->psprintf(req, "/v2.0/floatingips/%s", ec2gw->url_escape(req, nova_str(f, "id"))),
        .flags = EC2GW_CALL_RETRY_SAFE);
    for (i = 0; i < p->n; i++)
        if (p->servers[i] != NULL)
            calls[k++] = EC2GW_OS_CALL(
                "compute", "DELETE",
                ec2gw->psprintf(req, "/servers/%s", ec2gw->url_escape(req, p->servers[i])),
                .flags = EC2GW_CALL_RETRY_SAFE);
    if (k == 0 || ec2gw->os_fanout(req, calls, k, nova_pip_undone, p) < 0)
        ec2gw->fail(req, p->status, p->code, "%s", p->msg);
}

static void
nova_pip_fail(ec2gw_req_t *req, struct nova_pip *p, int status, const char *code, const char *msg)
{
    ec2gw_os_call_t call =
        EC2GW_OS_GET("network", ec2gw->psprintf(req, "/v2.0/floatingips%s&fields=id",
                                                nova_pip_query(req, p->ids, p->n)));

    p->status = status;
    p->code = code;
    p->msg = msg;
    ec2gw->log(req, EC2GW_LOG_NOTICE, "public IP: %s; deleting the instances", msg);
    if (ec2gw->os_call(req, &call, nova_pip_found, p) < 0)
        ec2gw->fail(req, status, code, "%s", msg);
}

static void
nova_pip_created(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_pip *p = arg;
    size_t i, k = 0;

    for (i = 0; i < p->n && k < n; i++) {
        const json_t *fip;

        if (p->servers[i] == NULL || json_object_get(p->kept, p->servers[i]) != NULL)
            continue;
        fip = json_object_get(r[k]->json, "floatingip");
        if (!ec2gw_os_ok(r[k]) || nova_str(fip, "floating_ip_address") == NULL) {
            int quota = r[k]->status == 409 || r[k]->status == 403;

            nova_pip_fail(
                req, p, quota ? 400 : 503, quota ? "AddressLimitExceeded" : "Unavailable",
                ec2gw->psprintf(req, "Could not map a public IP to instance %s (Neutron %ld%s%s)",
                                p->ids[i], r[k]->status, r[k]->error ? ": " : "",
                                nova_or(r[k]->error)));
            return;
        }
        json_object_set_new(p->ips, p->servers[i],
                            json_string(nova_str(fip, "floating_ip_address")));
        k++;
    }
    json_object_update(p->ips, p->kept);
    p->done(req, p->ips, p->arg);
}

static void
nova_pip_create(ec2gw_req_t *req, struct nova_pip *p)
{
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (p->n + 1) * sizeof(*calls));
    size_t k = 0;

    for (size_t i = 0; i < p->n; i++) {
        if (p->servers[i] == NULL || json_object_get(p->kept, p->servers[i]) != NULL)
            continue;
        calls[k++] = EC2GW_OS_CALL(
            "network", "POST", "/v2.0/floatingips",
            .body = nova_own(req, json_pack("{s:{s:s, s:s, s:s}}", "floatingip",
                                            "floating_network_id", p->ext_net, "port_id",
                                            nova_str(p->ports, p->servers[i]), "description",
                                            ec2gw->psprintf(req, NOVA_PIP_MARK "%s", p->ids[i]))));
    }
    if (k == 0) {
        nova_pip_created(req, NULL, 0, p);
        return;
    }
    if (ec2gw->os_fanout(req, calls, k, nova_pip_created, p) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

/* Floating IPs an earlier attempt made for these instances, on their ports now: kept. */
static void
nova_pip_reused(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_pip *p = arg;
    const json_t *f;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        /* cannot tell: creating one could make it twice */
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "floatingips"), i, f)
    {
        for (size_t j = 0; j < p->n; j++)
            if (p->servers[j] != NULL && nova_str(f, "floating_ip_address") != NULL &&
                strcmp(nova_or(nova_str(f, "port_id")),
                       nova_or(nova_str(p->ports, p->servers[j]))) == 0)
                json_object_set_new(p->kept, p->servers[j],
                                    json_string(nova_str(f, "floating_ip_address")));
    }
    nova_pip_create(req, p);
}

/* The servers' ports so far: each server's first port holding an IPv4 address. */
static void
nova_pip_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_pip *p = arg;
    const json_t *port, *f;
    size_t i, j, missing = 0;

    json_array_foreach(json_object_get(ec2gw_os_ok(r) ? r->json : NULL, "ports"), i, port)
    {
        const char *dev = nova_str(port, "device_id");

        json_array_foreach(json_object_get(port, "fixed_ips"), j, f)
        {
            if (dev != NULL && nova_str(port, "id") != NULL &&
                json_object_get(p->ports, dev) == NULL &&
                strchr(nova_or(nova_str(f, "ip_address")), '.') != NULL)
                json_object_set_new(p->ports, dev, json_string(nova_str(port, "id")));
        }
    }
    for (i = 0; i < p->n; i++)
        missing += p->servers[i] != NULL && json_object_get(p->ports, p->servers[i]) == NULL;
    if (missing == 0 && p->reuse) {
        ec2gw_os_call_t call =
            EC2GW_OS_GET("network", ec2gw->psprintf(req,
                                                    "/v2.0/floatingips%s&fields=port_id"
                                                    "&fields=floating_ip_address",
                                                    nova_pip_query(req, p->ids, p->n)));

        if (ec2gw->os_call(req, &call, nova_pip_reused, p) < 0)
            ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return;
    }
    if (missing == 0) {
        nova_pip_create(req, p);
        return;
    }
    if (++p->polls < NOVA_PIP_POLLS &&
        ec2gw->after(req, NOVA_PIP_POLL_MS, nova_pip_poll, p) == EC2GW_AGAIN)
        return;
    nova_pip_fail(req, p, 503, "Unavailable",
                  ec2gw->psprintf(req,
                                  "%zu instance(s) had no network port after %d s: no public IP "
                                  "could be mapped",
                                  missing, p->polls));
}

static void
nova_pip_poll(ec2gw_req_t *req, void *arg)
{
    struct nova_pip *p = arg;
    const char *q = "";
    ec2gw_os_call_t call;

    for (size_t i = 0; i < p->n; i++)
        if (p->servers[i] != NULL && json_object_get(p->ports, p->servers[i]) == NULL)
            q = ec2gw->psprintf(req, "%s&device_id=%s", q, ec2gw->url_escape(req, p->servers[i]));
    call = EC2GW_OS_GET(
        "network",
        ec2gw->psprintf(req, "/v2.0/ports?fields=id&fields=device_id&fields=fixed_ips%s", q));
    if (ec2gw->os_call(req, &call, nova_pip_ports, p) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

void
nova_pip_start(ec2gw_req_t *req, const char *ext_net, const char *const *servers, size_t n,
               int reuse, nova_pip_done_fn done, void *arg)
{
    struct nova_pip *p = ec2gw->pcalloc(req, sizeof(*p));

    p->servers = servers;
    p->n = n;
    p->ext_net = ext_net;
    p->ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*p->ids));
    p->ports = nova_own(req, json_object());
    p->ips = nova_own(req, json_object());
    p->kept = nova_own(req, json_object());
    p->reuse = reuse;
    p->done = done;
    p->arg = arg;
    for (size_t i = 0; i < n; i++)
        if (servers[i] != NULL && ec2gw->id_to_ec2(req, "i", servers[i], &p->ids[i]) != 0)
            p->ids[i] = servers[i];
    nova_pip_poll(req, p);
}

/* -- TerminateInstances: release the public IPs mapped at launch -------------------------- */

struct nova_pip_rel {
    nova_pip_released_fn done;
    void *arg;
};

static void
nova_pip_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_pip_rel *rel = arg;

    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && r[i]->status != 404)
            ec2gw->log(req, EC2GW_LOG_WARN, "releasing a public IP failed (%ld)", r[i]->status);
    rel->done(req, rel->arg);
}

static void
nova_pip_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_pip_rel *rel = arg;
    const json_t *fips = json_object_get(ec2gw_os_ok(r) ? r->json : NULL, "floatingips"), *f;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (json_array_size(fips) + 1) * sizeof(*calls));
    size_t i, k = 0;

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_WARN, "public IPs of terminated instances: list failed (%ld)",
                   r->status);
    json_array_foreach(fips, i, f) if (nova_str(f, "id") != NULL) calls[k++] = EC2GW_OS_CALL(
        "network", "DELETE",
        ec2gw->psprintf(req, "/v2.0/floatingips/%s", ec2gw->url_escape(req, nova_str(f, "id"))),
        .flags = EC2GW_CALL_RETRY_SAFE);
    if (k == 0 || ec2gw->os_fanout(req, calls, k, nova_pip_deleted, rel) < 0)
        rel->done(req, rel->arg);
}

int
nova_pip_release(ec2gw_req_t *req, const json_t *ids, nova_pip_released_fn done, void *arg)
{
    size_t n = json_array_size(ids), i, k = 0;
    const char **v = ec2gw->pcalloc(req, (n + 1) * sizeof(*v));
    const char **with = ec2gw->pcalloc(req, (n + 1) * sizeof(*with));
    struct nova_pip_rel *rel;
    ec2gw_os_call_t call;
    json_t *data;

    for (i = 0; i < n; i++)
        v[i] = nova_or(json_string_value(json_array_get(ids, i)));
    data = nova_items(req, v, n);
    for (i = 0; i < n; i++)
        if (json_is_true(json_object_get(json_object_get(data, v[i]), NOVA_F_PUBLIC_IP)))
            with[k++] = v[i];
    json_decref(data);
    if (k == 0)
        return EC2GW_OK;
    rel = ec2gw->pcalloc(req, sizeof(*rel));
    rel->done = done;
    rel->arg = arg;
    call = EC2GW_OS_GET("network", ec2gw->psprintf(req, "/v2.0/floatingips%s&fields=id",
                                                   nova_pip_query(req, with, k)));
    return ec2gw->os_call(req, &call, nova_pip_listed, rel) < 0 ? EC2GW_OK : EC2GW_AGAIN;
}
