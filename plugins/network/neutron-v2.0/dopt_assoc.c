/*
 * dopt_assoc.c - AssociateDhcpOptions: the VPC's options become the extra_dhcp_opts of every
 * port on the VPC's subnets (only that VPC's: ec2-api rewrote every port of the project), with
 * the MTU of each port's Neutron network:
 *   GET /v2.0/networks?id=..  and  GET /v2.0/ports?network_id=..   (one fan-out)
 *   PUT /v2.0/ports/<id>      (one fan-out; router and DHCP ports are left alone)
 * If a PUT fails the ports already changed get their old options back and the VPC keeps its
 * old DHCP options. Then the VPC row is stored and its subnets' dns_nameservers follow
 * (rtb_commit: the row is put back if Neutron refuses the subnets; the ports then keep the
 * new options, which the next AssociateDhcpOptions rewrites).
 */
#include <string.h>

#include "dopt.h"

struct dopt_assoc {
    struct neutron_inst *ni;
    const char *vpc_id, *vpc_os, *dopt_id; /* dopt_id NULL: "default" */
    json_t *vpc, *config;
    json_t *ports; /* the ports PUT, as Neutron listed them */
    long status;   /* the failed PUT's answer */
    const char *msg;
};

/* Store the VPC's new options and project their name servers onto its subnets. */
static int
dopt_assoc_store(ec2gw_req_t *req, struct dopt_assoc *a)
{
    json_t *after = neutron_own(req, json_deep_copy(a->vpc));
    struct rtb_change ch = { .id = a->vpc_id, .os_id = a->vpc_os, .before = a->vpc };

    if (a->dopt_id != NULL)
        json_object_set_new(after, VPC_F_DHCP_OPTIONS_ID, json_string(a->dopt_id));
    else
        json_object_del(after, VPC_F_DHCP_OPTIONS_ID);
    ch.after = after;
    return rtb_commit(req, a->ni, a->vpc_id, &ch, 1, json_pack("{s:b}", "Return", 1));
}

static void
dopt_assoc_reverted(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct dopt_assoc *a = arg;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0)
        ec2gw->log(req, EC2GW_LOG_ERROR,
                   "AssociateDhcpOptions: a port of %s kept the new "
                   "options (%ld)",
                   a->vpc_id, r[bad]->status);
    ec2gw->fail(req, a->status >= 400 && a->status < 500 ? 400 : 503,
                a->status >= 400 && a->status < 500 ? "InvalidParameterValue" : "Unavailable",
                "Neutron refused the DHCP options of a port of %s (%ld %s); nothing was changed",
                a->vpc_id, a->status, a->msg);
}

/* The body giving port @p p back its old options (returns new). */
static json_t *
dopt_revert_body(const json_t *p)
{
    json_t *none = dopt_port_opts(NULL, 0), *old = json_object_get(p, "extra_dhcp_opts");
    json_t *opts = json_deep_copy(old), *o, *q;
    size_t i, j;

    if (!json_is_array(opts)) {
        json_decref(opts);
        opts = json_array();
    }
    json_array_foreach(none, i, o)
    {
        int kept = 0;

        json_array_foreach(old, j, q) kept |=
            strcmp(neutron_or(neutron_str(q, "opt_name")), neutron_str(o, "opt_name")) == 0;
        if (!kept)
            json_array_append(opts, o);
    }
    json_decref(none);
    return json_pack("{s:{s:o}}", "port", "extra_dhcp_opts", opts);
}

static void
dopt_assoc_put(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct dopt_assoc *a = arg;
    int bad = neutron_first_failure(r, n);
    ec2gw_os_call_t *calls;
    size_t k = 0;

    if (bad < 0) {
        dopt_assoc_store(req, a);
        return;
    }
    a->status = r[bad]->status;
    a->msg = neutron_error_message(req, r[bad]);
    calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(a->ports, i);

        if (!ec2gw_os_ok(r[i]))
            continue;
        calls[k++] = EC2GW_OS_CALL(
            "network", "PUT",
            ec2gw->psprintf(req, "/v2.0/ports/%s", ec2gw->url_escape(req, neutron_str(p, "id"))),
            .body = neutron_own(req, dopt_revert_body(p)));
    }
    if (k == 0 || ec2gw->os_fanout(req, calls, k, dopt_assoc_reverted, a) < 0)
        dopt_assoc_reverted(req, NULL, 0, a);
}

static json_int_t
dopt_mtu(const json_t *networks, const char *net_id)
{
    const json_t *n;
    size_t i;

    json_array_foreach(json_object_get(networks, "networks"), i, n)
    {
        if (strcmp(neutron_or(neutron_str(n, "id")), neutron_or(net_id)) == 0)
            return json_integer_value(json_object_get(n, "mtu"));
    }
    return 0;
}

static void
dopt_assoc_read(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct dopt_assoc *a = arg;
    json_t *p;
    ec2gw_os_call_t *calls;
    size_t i, k = 0;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    a->ports = neutron_own(req, json_array());
    calls = ec2gw->pcalloc(req, (json_array_size(json_object_get(r[1]->json, "ports")) + 1) *
                                    sizeof(*calls));
    json_array_foreach(json_object_get(r[1]->json, "ports"), i, p)
    {
        json_t *body;

        if (strncmp(neutron_or(neutron_str(p, "device_owner")), "network:", 8) == 0)
            continue; /* router interfaces and DHCP ports are not ENIs */
        body = json_pack(
            "{s:{s:o}}", "port", "extra_dhcp_opts",
            dopt_port_opts(a->config, dopt_mtu(r[0]->json, neutron_str(p, "network_id"))));
        json_array_append(a->ports, p);
        calls[k++] = EC2GW_OS_CALL(
            "network", "PUT",
            ec2gw->psprintf(req, "/v2.0/ports/%s", ec2gw->url_escape(req, neutron_str(p, "id"))),
            .body = neutron_own(req, body));
    }
    if (k == 0) {
        dopt_assoc_store(req, a);
        return;
    }
    if (ec2gw->os_fanout(req, calls, k, dopt_assoc_put, a) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}

int
neutron_associate_dhcp_options(ec2gw_req_t *req, void *inst)
{
    struct dopt_assoc *a = ec2gw->pcalloc(req, sizeof(*a));
    const char *id = neutron_param_str(req, "DhcpOptionsId"), *k;
    json_t *subnets, *nets = neutron_own(req, json_array()), *v;
    ec2gw_os_call_t calls[2];
    char *q;

    a->ni = inst;
    a->vpc_id = neutron_param_str(req, "VpcId");
    if ((a->vpc = rtb_vpc(req, a->vpc_id)) == NULL)
        return EC2GW_OK;
    if (id == NULL || strcmp(id, "default") != 0) {
        json_t *d = dopt_get(req, id);

        if (d == NULL)
            return EC2GW_OK;
        a->dopt_id = id;
        a->config = json_object_get(d, VPC_F_DHCP_CONFIGURATION);
    }
    if (ec2gw->id_to_os(req, a->vpc_id, &a->vpc_os) != 0)
        a->vpc_os = NULL;
    if ((subnets = rtb_items(req, VPC_KIND_SUBNET, a->vpc_id)) == NULL)
        return EC2GW_OK;
    json_object_foreach(subnets, k, v) if (neutron_str(v, VPC_F_OS_NETWORK_ID) != NULL)
        json_array_append_new(nets, json_string(neutron_str(v, VPC_F_OS_NETWORK_ID)));
    if (json_array_size(nets) == 0)
        return dopt_assoc_store(req, a);
    q = neutron_query_add(req, NULL, "id", nets);
    calls[0] =
        EC2GW_OS_GET("network", neutron_path(req, "networks",
                                             ec2gw->psprintf(req, "%s&fields=id&fields=mtu", q)));
    q = neutron_query_add(req, NULL, "network_id", nets);
    calls[1] = EC2GW_OS_GET(
        "network", neutron_path(req, "ports",
                                ec2gw->psprintf(req,
                                                "%s&fields=id&fields=network_id"
                                                "&fields=device_owner&fields=extra_dhcp_opts",
                                                q)));
    return ec2gw->os_fanout(req, calls, 2, dopt_assoc_read, a);
}
