/*
 * addresses_describe.c - DescribeAddresses: one fan-out of
 *   GET network /v2.0/floatingips?project_id=..[&id=..][&floating_ip_address=..][&port_id=..]
 *       [&fixed_ip_address=..]   (the caller's floating IPs; ids, IPs and exact filters pushed
 *                                 down)
 *   GET network /v2.0/ports?project_id=..&fields=..  (device, owner and subnets of the ports)
 * then ids (one query per kind), item data, filters and tags. The model has no paging.
 */
#include <string.h>

#include "addresses.h"

struct neutron_addr_desc {
    const json_t *public_ips; /* requested PublicIp.N, or NULL */
    const json_t *alloc_ids;  /* requested AllocationId.N, or NULL */
};

/* Values of filter @p name when every one is exact (no wildcard), else NULL. */
static const json_t *
neutron_exact_filter(const json_t *params, const char *name)
{
    const json_t *f, *v, *found = NULL;
    size_t i, j;

    json_array_foreach(json_object_get(params, "Filters"), i, f)
    {
        const char *n = neutron_str(f, "Name");

        if (n == NULL || strcmp(n, name) != 0)
            continue;
        if (found != NULL)
            return NULL; /* twice: the host ANDs them, keep it simple */
        found = json_object_get(f, "Values");
        json_array_foreach(found, j, v)
        {
            const char *s = json_string_value(v);

            if (s == NULL || strpbrk(s, "*?\\") != NULL)
                return NULL;
        }
    }
    return json_array_size(found) > 0 ? found : NULL;
}

/* Resolve AllocationId.N to floating IP uuids (array of strings, pool-owned), or NULL after
 * answering. */
static json_t *
neutron_addr_desc_alloc_ids(ec2gw_req_t *req, const json_t *ids)
{
    json_t *out = neutron_own(req, json_array());
    const json_t *v;
    size_t i;

    json_array_foreach(ids, i, v)
    {
        const char *os = NULL;

        if (neutron_addr_alloc_os(req, json_string_value(v), &os) != 0)
            return NULL;
        json_array_append_new(out, json_string(os));
    }
    return out;
}

/* The floating IP query: the project, then what Neutron can filter exactly. */
static const char *
neutron_addr_desc_query(ec2gw_req_t *req, const json_t *params, const json_t *os_ids)
{
    char *q = ec2gw->psprintf(req, "project_id=%s",
                              ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
    const json_t *ips = json_object_get(params, "PublicIps");

    if (json_array_size(os_ids) > 0)
        q = neutron_query_add(req, q, "id", os_ids);
    if (json_array_size(ips) > 0)
        q = neutron_query_add(req, q, "floating_ip_address", ips);
    else
        q = neutron_query_add(req, q, "floating_ip_address",
                              neutron_exact_filter(params, "public-ip"));
    q = neutron_query_add(req, q, "fixed_ip_address",
                          neutron_exact_filter(params, "private-ip-address"));
    return q;
}

/* Every requested PublicIp and AllocationId must be in @p items; else answer NotFound. */
static int
neutron_addr_desc_check(ec2gw_req_t *req, const struct neutron_addr_desc *st, const json_t *items)
{
    const json_t *want, *it;
    size_t i, j;

    json_array_foreach(st->public_ips, i, want)
    {
        int seen = 0;

        json_array_foreach(items, j, it) seen |= json_equal(json_object_get(it, "PublicIp"), want);
        if (!seen) {
            ec2gw->fail(req, 400, "InvalidAddress.NotFound", "Address '%s' not found.",
                        json_string_value(want));
            return -1;
        }
    }
    json_array_foreach(st->alloc_ids, i, want)
    {
        int seen = 0;

        json_array_foreach(items, j, it) seen |=
            json_equal(json_object_get(it, "AllocationId"), want);
        if (!seen) {
            ec2gw->fail(req, 400, "InvalidAllocationID.NotFound",
                        "The allocation ID '%s' does not exist", json_string_value(want));
            return -1;
        }
    }
    return 0;
}

/* Attach each address's tags (one query). */
static void
neutron_addr_desc_tags(ec2gw_req_t *req, json_t *items)
{
    size_t n = json_array_size(items), i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *tags = NULL, *it;

    json_array_foreach(items, i, it) ids[i] = neutron_str(it, "AllocationId");
    if (n == 0 || ec2gw->tags_get(req, ids, n, &tags) != 0)
        return;
    json_array_foreach(items, i, it)
    {
        json_t *t = ids[i] != NULL ? json_object_get(tags, ids[i]) : NULL;

        if (t != NULL)
            json_object_set(it, "Tags", t);
    }
    json_decref(tags);
}

static void
neutron_addr_desc_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_addr_desc *st = arg;
    struct neutron_addr_view v;
    json_t *items, *kept;
    const json_t *fip;
    int bad = neutron_first_failure(r, n);
    size_t i;

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    neutron_addr_view_build(req, &v, r[0]->json, r[1]->json);
    items = neutron_own(req, json_array());
    json_array_foreach(json_object_get(r[0]->json, "floatingips"), i, fip)
    {
        json_t *m = neutron_addr_model(req, &v, fip);

        if (m != NULL)
            json_array_append_new(items, m);
    }
    if (neutron_addr_desc_check(req, st, items) != 0)
        return;
    if ((kept = ec2gw->filter(req, items, "AllocationId", neutron_addr_filter_values, NULL)) ==
        NULL)
        return;
    neutron_addr_desc_tags(req, kept);
    neutron_addr_strip(kept);
    ec2gw->finish(req, json_pack("{s:o}", "Addresses", kept));
}

int
neutron_describe_addresses(ec2gw_req_t *req, void *inst)
{
    struct neutron_addr_desc *st = ec2gw->state(req, sizeof(*st));
    const json_t *params = ec2gw->params(req), *v;
    const json_t *os_ids = NULL;
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    ec2gw_os_call_t calls[2];
    size_t i;

    (void)inst;
    st->public_ips = json_object_get(params, "PublicIps");
    st->alloc_ids = json_object_get(params, "AllocationIds");
    json_array_foreach(st->public_ips, i, v)
    {
        if (!neutron_addr_ipv4_ok(json_string_value(v))) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%.64s' for PublicIp: not an IPv4 address",
                        neutron_or(json_string_value(v)));
            return EC2GW_OK;
        }
    }
    if (json_array_size(st->alloc_ids) > 0 &&
        (os_ids = neutron_addr_desc_alloc_ids(req, st->alloc_ids)) == NULL)
        return EC2GW_OK;
    calls[0] = EC2GW_OS_GET(
        "network", neutron_path(req, "floatingips", neutron_addr_desc_query(req, params, os_ids)));
    calls[0].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    calls[1] = EC2GW_OS_GET(
        "network",
        neutron_path(req, "ports",
                     ec2gw->psprintf(req,
                                     "project_id=%s&fields=id&fields=device_id&fields=device_owner"
                                     "&fields=fixed_ips",
                                     project)));
    calls[1].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    if (ec2gw->os_fanout(req, calls, 2, neutron_addr_desc_done, st) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
