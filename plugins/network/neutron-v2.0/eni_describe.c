/*
 * eni_describe.c - DescribeNetworkInterfaces: the caller's EC2 subnets from the database
 * (items_list "subnet", cut down by the subnet-id/vpc-id/availability-zone filters, wildcards
 * too, unless NetworkInterfaceId.N names interfaces), then one fan-out of
 *   GET network /v2.0/ports?project_id=..&network_id=..[&id=..][&mac_address=..][&device_id=..]
 *       [&fixed_ips=ip_address%3D..]
 *   GET network /v2.0/floatingips?project_id=..        (the Association members)
 *   GET network /v2.0/security-groups?project_id=..&fields=id&fields=name
 * then ids and rows (one query per kind), filters, paging and tags. Every port of an EC2
 * subnet is an ENI, those Nova made for instances included; Neutron's own ports (router
 * interfaces, DHCP) are not.
 */
#include <string.h>

#include "eni.h"

struct neutron_eni_desc {
    struct neutron_inst *ni;
    const json_t *ids; /* requested NetworkInterfaceId.N, or NULL */
    json_t *os_ids;    /* their ports */
    json_t *subnets;   /* Neutron subnet → {id, vpc_id, availability_zone, os_network_id} */
    struct neutron_eni_view view;
    int pending; /* the fan-out is out: the handler returns EC2GW_AGAIN */
};

/* Values of filter @p name when there is one such filter and no value has a wildcard. */
static const json_t *
neutron_eni_exact(const json_t *params, const char *name)
{
    const json_t *f, *v, *found = NULL;
    size_t i, j;

    json_array_foreach(json_object_get(params, "Filters"), i, f)
    {
        if (strcmp(neutron_or(neutron_str(f, "Name")), name) != 0)
            continue;
        if (found != NULL)
            return NULL;
        found = json_object_get(f, "Values");
        json_array_foreach(found, j,
                           v) if (json_string_value(v) == NULL ||
                                  strpbrk(json_string_value(v), "*?\\") != NULL) return NULL;
    }
    return json_array_size(found) > 0 ? found : NULL;
}

static int
neutron_eni_in(const json_t *list, const char *s)
{
    const json_t *v;
    size_t i;

    if (list == NULL)
        return 1;
    json_array_foreach(list, i, v) if (s != NULL && json_string_value(v) != NULL &&
                                       strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

/* Can an interface in subnet @p id (of VPC @p vpc, in zone @p az) pass the request's subnet-id,
 * vpc-id and availability-zone filters? The filter engine's matching: values ORed (wildcards
 * as EC2's), filters ANDed. */
static int
neutron_eni_row_passes(const json_t *params, const char *id, const char *vpc, const char *az)
{
    const json_t *f, *v;
    size_t i, j;

    json_array_foreach(json_object_get(params, "Filters"), i, f)
    {
        const char *name = neutron_or(neutron_str(f, "Name")), *have;
        int hit = 0;

        if (strcmp(name, "subnet-id") == 0)
            have = id;
        else if (strcmp(name, "vpc-id") == 0)
            have = vpc;
        else if (strcmp(name, "availability-zone") == 0)
            have = az;
        else
            continue;
        json_array_foreach(json_object_get(f, "Values"), j, v) hit |=
            json_string_value(v) != NULL &&
            ec2gw->wildcard_match(json_string_value(v), neutron_or(have));
        if (!hit)
            return 0;
    }
    return 1;
}

/* The EC2 subnets to look in: {Neutron subnet: {...}}, pool-owned; NULL after failing. */
static json_t *
neutron_eni_desc_subnets(ec2gw_req_t *req, struct neutron_eni_desc *st, const json_t *params)
{
    /* named ids are checked before the filters (NotFound only for unknown ones): then the
     * filters are not pushed down */
    int push = json_array_size(json_object_get(params, "NetworkInterfaceIds")) == 0;
    json_t *rows = NULL, *out = neutron_own(req, json_object()), *row;
    const char *id;

    if (ec2gw->items_list(req, VPC_KIND_SUBNET, &rows) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not read the subnets");
        return NULL;
    }
    json_object_foreach(rows, id, row)
    {
        const char *os = neutron_str(row, VPC_F_OS_ID);
        const char *vpc = neutron_str(row, VPC_F_VPC_ID);
        const char *az = neutron_str(row, VPC_F_AVAILABILITY_ZONE);

        if (os == NULL || vpc == NULL || neutron_str(row, VPC_F_OS_NETWORK_ID) == NULL ||
            (push &&
             !neutron_eni_row_passes(params, id, vpc, az != NULL ? az : st->ni->availability_zone)))
            continue;
        json_object_set_new(out, os,
                            json_pack("{s:s, s:s, s:s, s:s*}", "id", id, "vpc_id", vpc,
                                      "os_network_id", neutron_str(row, VPC_F_OS_NETWORK_ID),
                                      "availability_zone",
                                      neutron_str(row, VPC_F_AVAILABILITY_ZONE)));
    }
    json_decref(rows);
    return out;
}

static const char *
neutron_eni_desc_ports_query(ec2gw_req_t *req, struct neutron_eni_desc *st, const json_t *params)
{
    char *q = ec2gw->psprintf(req, "project_id=%s",
                              ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
    json_t *nets = neutron_own(req, json_array()), *s;
    const json_t *inst_ids = neutron_eni_exact(params, "attachment.instance-id"), *ips, *v;
    const char *k;
    size_t i;

    json_object_foreach(st->subnets, k, s)
    {
        json_t *n = json_object_get(s, "os_network_id");

        if (!neutron_eni_in(nets, json_string_value(n)))
            json_array_append(nets, n);
    }
    q = neutron_query_add(req, q, "network_id", nets);
    q = neutron_query_add(req, q, "id", st->os_ids);
    q = neutron_query_add(req, q, "mac_address", neutron_eni_exact(params, "mac-address"));
    /* Neutron ORs several fixed_ips=ip_address=..: the ports holding any of them */
    if ((ips = neutron_eni_exact(params, "private-ip-address")) == NULL)
        ips = neutron_eni_exact(params, "addresses.private-ip-address");
    json_array_foreach(ips, i, v) q = ec2gw->psprintf(
        req, "%s&fixed_ips=%s", q,
        ec2gw->url_escape(req, ec2gw->psprintf(req, "ip_address=%s", json_string_value(v))));
    json_array_foreach(inst_ids, i, v)
    {
        const char *os = NULL;

        /* an unknown instance matches nothing: ask for a device no port has */
        if (ec2gw->id_to_os(req, json_string_value(v), &os) != 0 || os == NULL)
            os = "none";
        q = ec2gw->psprintf(req, "%s&device_id=%s", q, ec2gw->url_escape(req, os));
    }
    return q;
}

/* Every requested id must be there (before filters, as AWS does). */
static int
neutron_eni_desc_check(ec2gw_req_t *req, const struct neutron_eni_desc *st, const json_t *items)
{
    const json_t *want, *it;
    size_t i, j;

    json_array_foreach(st->ids, i, want)
    {
        int seen = 0;

        json_array_foreach(items, j, it) seen |=
            json_equal(json_object_get(it, "NetworkInterfaceId"), want);
        if (!seen) {
            ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.NotFound",
                        "The networkInterface ID '%.64s' does not exist", json_string_value(want));
            return -1;
        }
    }
    return 0;
}

static void
neutron_eni_desc_tags(ec2gw_req_t *req, json_t *items)
{
    size_t n = json_array_size(items), i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *tags = NULL, *it;

    json_array_foreach(items, i, it) ids[i] = neutron_str(it, "NetworkInterfaceId");
    if (n == 0 || ec2gw->tags_get(req, ids, n, &tags) != 0)
        return;
    json_array_foreach(items, i, it)
    {
        json_t *t = json_object_get(tags, ids[i]);

        if (t != NULL)
            json_object_set(it, "TagSet", t);
    }
    json_decref(tags);
}

static void
neutron_eni_desc_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_eni_desc *st = arg;
    const json_t *ports = json_object_get(r[0]->json, "ports"), *port;
    json_t *items = neutron_own(req, json_array()), *page;
    int bad = neutron_first_failure(r, n);
    const char *next = NULL;
    size_t i;

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    st->view.subnets = st->subnets;
    st->view.zone = st->ni->availability_zone;
    neutron_eni_view_build(req, &st->view, ports, json_object_get(r[2]->json, "security_groups"),
                           json_object_get(r[1]->json, "floatingips"));
    json_array_foreach(ports, i, port)
    {
        json_t *m;

        if (strncmp(neutron_or(neutron_str(port, "device_owner")), "network:", 8) == 0)
            continue;
        if ((m = neutron_eni_model(req, &st->view, port)) != NULL)
            json_array_append_new(items, m);
    }
    if (neutron_eni_desc_check(req, st, items) != 0)
        return;
    page = neutron_filter_page(req, items, "NetworkInterfaceId", "NetworkInterfaceId",
                               neutron_eni_filter_values, &st->view, &next);
    if (page == NULL)
        return;
    neutron_eni_desc_tags(req, page);
    neutron_finish_list(req, "NetworkInterfaces", page, next);
}

static void
neutron_eni_desc_start(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    struct neutron_eni_desc *st = arg;
    const json_t *params = ec2gw->params(req);
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    ec2gw_os_call_t calls[3];

    (void)default_vpc;
    if ((st->subnets = neutron_eni_desc_subnets(req, st, params)) == NULL)
        return;
    if (json_object_size(st->subnets) == 0) {
        json_t *page;
        const char *next = NULL;

        /* no EC2 subnet (left): nothing to list, but named ids are still unknown and the
         * filters still checked */
        if (neutron_eni_desc_check(req, st, NULL) != 0)
            return;
        page =
            neutron_filter_page(req, neutron_own(req, json_array()), "NetworkInterfaceId",
                                "NetworkInterfaceId", neutron_eni_filter_values, &st->view, &next);
        if (page != NULL)
            neutron_finish_list(req, "NetworkInterfaces", page, next);
        return;
    }
    calls[0] = EC2GW_OS_GET(
        "network", neutron_path(req, "ports", neutron_eni_desc_ports_query(req, st, params)));
    calls[0].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    calls[1] =
        EC2GW_OS_GET("network", neutron_path(req, "floatingips",
                                             ec2gw->psprintf(req, "project_id=%s", project)));
    calls[1].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    calls[2] = EC2GW_OS_GET(
        "network",
        neutron_path(req, "security-groups",
                     ec2gw->psprintf(req, "project_id=%s&fields=id&fields=name", project)));
    calls[2].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    if (ec2gw->os_fanout(req, calls, 3, neutron_eni_desc_done, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
    else
        st->pending = 1;
}

int
neutron_describe_network_interfaces(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_desc *st = ec2gw->state(req, sizeof(*st));
    const json_t *v;
    size_t i;
    int rc;

    st->ni = inst;
    st->ids = json_object_get(ec2gw->params(req), "NetworkInterfaceIds");
    st->os_ids = neutron_own(req, json_array());
    json_array_foreach(st->ids, i, v)
    {
        const char *id = json_string_value(v), *os = NULL;

        if (id == NULL || strncmp(id, "eni-", 4) != 0 ||
            ec2gw->id_to_os(req, id, &os) == EC2GW_E_INVAL) {
            ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"eni-...\")", neutron_or(id));
            return EC2GW_OK;
        }
        if (os == NULL) {
            ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.NotFound",
                        "The networkInterface ID '%.64s' does not exist", id);
            return EC2GW_OK;
        }
        json_array_append_new(st->os_ids, json_string(os));
    }
    /* with default_vpc off, the start runs at once and the answer may still be pending */
    rc = neutron_default_vpc_ensure(req, st->ni, neutron_eni_desc_start, st);
    return st->pending ? EC2GW_AGAIN : rc;
}
