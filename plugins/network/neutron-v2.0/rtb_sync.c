/*
 * rtb_sync.c - the projection of a VPC's route tables onto its Neutron subnets
 * (openstack-mapping.md §16.5). Neutron has no per-subnet routing, so each subnet's DHCP
 * answer carries the routes instead: host_routes for every route, and the subnet's
 * gateway_ip only while 0.0.0.0/0 goes to an attached internet gateway (otherwise null, with
 * a 169.254.169.254/32 host route so metadata still reaches the router). The subnets'
 * dns_nameservers follow the VPC's DHCP options too, so that ports Nova makes for instances
 * (which carry no extra_dhcp_opts) get the VPC's name servers.
 *
 * One sync reads the VPC from the database, then one fan-out
 *   GET /v2.0/subnets?id=..   (cidr, gateway_ip, host_routes, dns of the VPC's subnets)
 *   GET /v2.0/ports?id=..     (the addresses of the ENIs routes point at; only if any)
 * and PUTs, concurrently, only the subnets whose projection differs.
 */
#include <stdlib.h>
#include <string.h>

#include "rtb.h"

#define RTB_ANY      "0.0.0.0/0"
#define RTB_METADATA "169.254.169.254/32"
#define RTB_NOWHERE  "127.0.0.1" /* next hop of a blackhole route */

struct rtb_sync {
    struct rtb_world w;
    struct rtb_targets t;
    json_t *by_os; /* Neutron subnet id → subnet row */
    int quiet;
    neutron_done_fn done;
    void *arg;
};

static void
rtb_route_add(json_t *routes, const char *dest, const char *hop)
{
    json_array_append_new(routes, json_pack("{s:s, s:s}", "destination", dest, "nexthop", hop));
}

json_t *
rtb_project(ec2gw_req_t *req, const struct rtb_targets *t, const json_t *routes, const char *cidr)
{
    uint32_t net;
    int prefix, via_gw = 0;
    const char *gw;
    json_t *host = json_array();
    const json_t *r;
    size_t i;

    if (rtb_cidr_parse(cidr, &net, &prefix) != 0 || prefix > 30) {
        json_decref(host);
        return NULL;
    }
    gw = rtb_ip_text(req, net + 1); /* the router's address: the subnet's first host */
    json_array_foreach(routes, i, r)
    {
        const char *dest = neutron_str(r, VPC_F_DESTINATION_CIDR_BLOCK);
        const char *hop = rtb_next_hop(t, r, gw);

        if (dest == NULL)
            continue;
        if (hop != NULL && strcmp(hop, VPC_GATEWAY_LOCAL) == 0) {
            rtb_route_add(host, dest, gw); /* the VPC's other subnets are behind the router */
            continue;
        }
        if (hop == NULL && strcmp(dest, RTB_ANY) == 0)
            continue; /* a blackhole default route: simply no default route */
        if (hop == NULL)
            hop = RTB_NOWHERE;
        if (strcmp(dest, RTB_ANY) == 0 && strcmp(hop, gw) == 0) {
            via_gw = 1; /* the subnet's own gateway: DHCP's router option, not a host route */
            continue;
        }
        rtb_route_add(host, dest, hop);
    }
    if (!via_gw)
        rtb_route_add(host, RTB_METADATA, gw);
    return json_pack("{s:o, s:s?}", "host_routes", host, "gateway_ip", via_gw ? gw : NULL);
}

static int
rtb_route_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* host_routes in a comparable form: "dest>hop" sorted and joined (pool). */
static const char *
rtb_routes_key(ec2gw_req_t *req, const json_t *routes)
{
    size_t n = json_array_size(routes), i;
    const char **v = ec2gw->pcalloc(req, (n + 1) * sizeof(*v));
    const char *out = "";

    for (i = 0; i < n; i++) {
        const json_t *r = json_array_get(routes, i);

        v[i] = ec2gw->psprintf(req, "%s>%s", neutron_or(neutron_str(r, "destination")),
                               neutron_or(neutron_str(r, "nexthop")));
    }
    qsort(v, n, sizeof(*v), rtb_route_cmp);
    for (i = 0; i < n; i++)
        out = ec2gw->psprintf(req, "%s%s;", out, v[i]);
    return out;
}

static void
rtb_sync_failed(ec2gw_req_t *req, struct rtb_sync *s, const ec2gw_os_resp_t *r)
{
    if (s->quiet) {
        ec2gw->log(req, EC2GW_LOG_ERROR, "route projection of %s: Neutron answered %ld %s",
                   s->w.vpc_id, r != NULL ? r->status : 0L, neutron_error_message(req, r));
        s->done(req, EC2GW_E_FAIL, s->arg);
        return;
    }
    if (r != NULL)
        neutron_fail(req, r, NULL);
    else
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
    s->done(req, EC2GW_E_STATE, s->arg);
}

static void
rtb_sync_put(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct rtb_sync *s = arg;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        rtb_sync_failed(req, s, r[bad]);
        return;
    }
    s->done(req, 0, s->arg);
}

/* The PUT making Neutron subnet @p sub follow @p want, or 0 when it already does. */
static int
rtb_sync_call(ec2gw_req_t *req, const json_t *sub, const json_t *want, json_t *dns,
              ec2gw_os_call_t *call)
{
    const json_t *now_dns = json_object_get(sub, "dns_nameservers");
    json_t *empty = json_array();
    json_t *body = json_object();
    const char *now_gw = neutron_str(sub, "gateway_ip");
    const char *want_gw = neutron_str(want, "gateway_ip");
    json_t *routes = json_object_get(want, "host_routes");

    if (strcmp(rtb_routes_key(req, json_object_get(sub, "host_routes")),
               rtb_routes_key(req, routes)) != 0)
        json_object_set(body, "host_routes", routes);
    if ((now_gw == NULL) != (want_gw == NULL) || (now_gw != NULL && strcmp(now_gw, want_gw) != 0))
        json_object_set_new(body, "gateway_ip", want_gw ? json_string(want_gw) : json_null());
    if (!json_equal(json_is_array(now_dns) ? now_dns : empty, dns))
        json_object_set(body, "dns_nameservers", dns);
    json_decref(empty);
    if (json_object_size(body) == 0) {
        json_decref(body);
        return 0;
    }
    body = neutron_own(req, json_pack("{s:o}", "subnet", body));
    *call = EC2GW_OS_CALL(
        "network", "PUT",
        ec2gw->psprintf(req, "/v2.0/subnets/%s", ec2gw->url_escape(req, neutron_str(sub, "id"))),
        .body = body);
    return 1;
}

static void
rtb_sync_read(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct rtb_sync *s = arg;
    const json_t *subs = json_object_get(r[0]->json, "subnets"), *sub;
    ec2gw_os_call_t *calls;
    size_t i, k = 0;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        rtb_sync_failed(req, s, r[bad]);
        return;
    }
    s->t.enis = rtb_targets_fill(req, s->w.enis, n > 1 ? r[1]->json : NULL);
    calls = ec2gw->pcalloc(req, (json_array_size(subs) + 1) * sizeof(*calls));
    json_array_foreach(subs, i, sub)
    {
        const json_t *row = json_object_get(s->by_os, neutron_or(neutron_str(sub, "id")));
        const char *rtb = row != NULL ? neutron_str(row, "ec2_rtb") : NULL;
        json_t *want;

        if (row == NULL || rtb == NULL)
            continue;
        want = neutron_own(
            req,
            rtb_project(req, &s->t, json_object_get(json_object_get(s->w.rtbs, rtb), VPC_F_ROUTES),
                        neutron_str(sub, "cidr")));
        if (want != NULL && rtb_sync_call(req, sub, want, s->w.dns, &calls[k]))
            k++;
    }
    if (k == 0) {
        s->done(req, 0, s->arg);
        return;
    }
    if (ec2gw->os_fanout(req, calls, k, rtb_sync_put, s) < 0)
        rtb_sync_failed(req, s, NULL);
}

static int
rtb_sync_start(ec2gw_req_t *req, const char *vpc_id, int quiet, neutron_done_fn done, void *arg)
{
    struct rtb_sync *s = ec2gw->pcalloc(req, sizeof(*s));
    ec2gw_os_call_t calls[2];
    const char *k, *ports;
    json_t *v, *ids = neutron_own(req, json_array());
    size_t n = 1;

    s->quiet = quiet;
    s->done = done;
    s->arg = arg;
    if (rtb_world_load(req, vpc_id, &s->w) != 0) {
        done(req, EC2GW_E_STATE, arg);
        return EC2GW_OK;
    }
    s->t = (struct rtb_targets){ .vpc_id = vpc_id, .igws = s->w.igws };
    s->by_os = neutron_own(req, json_object());
    json_object_foreach(s->w.subnets, k, v)
    {
        const char *os = neutron_str(v, VPC_F_OS_ID);
        const char *rtb = rtb_of_subnet(&s->w, v);

        if (os == NULL)
            continue;
        json_object_set_new(s->by_os, os, json_pack("{s:s*}", "ec2_rtb", rtb));
        json_array_append_new(ids, json_string(os));
    }
    if (json_array_size(ids) == 0) {
        done(req, 0, arg);
        return EC2GW_OK;
    }
    calls[0] = EC2GW_OS_GET(
        "network", neutron_path(req, "subnets",
                                ec2gw->psprintf(req,
                                                "%s&fields=id&fields=cidr&fields=gateway_ip"
                                                "&fields=host_routes&fields=dns_nameservers",
                                                neutron_query_add(req, NULL, "id", ids))));
    ports = rtb_ports_path(req, neutron_own(req, rtb_route_enis(s->w.rtbs)), s->w.enis);
    if (ports != NULL)
        calls[n++] = EC2GW_OS_GET("network", ports);
    if (ec2gw->os_fanout(req, calls, n, rtb_sync_read, s) < 0) {
        rtb_sync_failed(req, s, NULL);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

int
rtb_sync_quiet(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id, neutron_done_fn done,
               void *arg)
{
    (void)ni;
    return rtb_sync_start(req, vpc_id, 1, done, arg);
}

int
neutron_rtb_sync(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id,
                 neutron_done_fn done, void *arg)
{
    (void)ni;
    return rtb_sync_start(req, vpc_id, 0, done, arg);
}
