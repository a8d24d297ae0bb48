/*
 * default_vpc.c - the default VPC (openstack-mapping.md §16.9): with `default_vpc: true` the
 * first Describe of the family makes the project's VPC 172.31.0.0/16 with its main route
 * table and default group, an attached internet gateway, the route 0.0.0.0/0 to it and a
 * default subnet per availability zone (172.31.0.0/20, 172.31.16.0/20, ...).
 *
 * Exactly once, across requests and daemons sharing the database: the VPC's id is derived
 * from the project ("vpc-0" + 16 hex digits, a length random ids never have) and its row is
 * created with item_insert, which only one creator wins. The row carries "default_state"
 * until everything is made; the others wait for it to go (polling the row). Each step reads
 * the row and does what is missing, so a creator that stopped half way (crash, failure) is
 * taken over by the next request once its claim (renewed by every step) is older than
 * DV_STALE_S.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vpc_priv.h"

#define DV_STALE_S    120 /* a claim not renewed for this long is taken over */
#define DV_POLL_MS    200 /* how often a waiting request reads the row */
#define DV_STATE      "default_state"
#define DV_CLAIMED    "claimed_at"
#define DV_IGW        "default_igw_id"
#define DV_SUBNET_PFX 20

struct dv {
    struct neutron_inst *ni;
    const char *id;
    neutron_vpc_ready_fn done;
    void *arg;
    json_t *row; /* the vpc row as last read (pool) */
    struct vpc_make make;
    struct subnet_make sub;
    int made_subnet; /* this request made a subnet (whose sync projected the routes) */
    int resumed;     /* taken over: look for what the earlier creator made in Neutron */
};

static void dv_next(ec2gw_req_t *req, struct dv *d);

static const char *
dv_id(ec2gw_req_t *req)
{
    const char *p = neutron_or(ec2gw->identity(req)->project_id);
    uint64_t h = 14695981039346656037ull;

    for (; *p != '\0'; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    return ec2gw->psprintf(req, "vpc-0%016" PRIx64, h);
}

static json_t *
dv_claim(void)
{
    return json_pack("{s:s, s:b, s:s, s:I}", VPC_F_CIDR_BLOCK, VPC_DEFAULT_CIDR, VPC_F_IS_DEFAULT,
                     1, DV_STATE, "creating", DV_CLAIMED, (json_int_t)time(NULL));
}

/* A step failed (the request is answered): let the next request take over at once. */
static void
dv_release(ec2gw_req_t *req, struct dv *d)
{
    json_t *row = NULL;

    if (ec2gw->item_get(req, d->id, &row) == 0 && json_object_get(row, DV_STATE) != NULL) {
        json_object_set_new(row, DV_CLAIMED, json_integer(0));
        ec2gw->item_put(req, d->id, NULL, row);
    }
    json_decref(row);
}

static void
dv_fail(ec2gw_req_t *req, struct dv *d, const char *msg)
{
    dv_release(req, d);
    ec2gw->fail(req, 503, "Unavailable", "The default VPC could not be made: %s", msg);
}

/* -- the steps ------------------------------------------------------------------------------ */

static void
dv_vpc_made(ec2gw_req_t *req, struct vpc_make *m, int rc)
{
    struct dv *d = m->arg;

    if (rc != 0)
        return; /* undone (row deleted: the next request starts again) and answered */
    dv_next(req, d);
}

static void
dv_subnet_made(ec2gw_req_t *req, struct subnet_make *m, int rc)
{
    struct dv *d = m->arg;

    if (rc != 0) {
        dv_release(req, d);
        return;
    }
    d->made_subnet = 1;
    dv_next(req, d);
}

static void
dv_gateway_set(ec2gw_req_t *req, int rc, void *arg)
{
    struct dv *d = arg;
    const char *igw = neutron_str(d->row, DV_IGW);
    json_t *data = neutron_own(req, json_pack("{s:s}", VPC_F_VPC_ID, d->id));

    if (rc != 0) {
        dv_release(req, d);
        return;
    }
    if (ec2gw->item_put(req, igw, NULL, data) != 0) {
        dv_fail(req, d, "the internet gateway's row could not be stored");
        return;
    }
    dv_next(req, d);
}

static void
dv_synced(ec2gw_req_t *req, int rc, void *arg)
{
    struct dv *d = arg;

    if (rc != 0) {
        dv_release(req, d);
        return;
    }
    json_object_del(d->row, DV_STATE);
    json_object_del(d->row, DV_CLAIMED);
    if (ec2gw->item_put(req, d->id, NULL, d->row) != 0) {
        dv_fail(req, d, "the VPC's row could not be stored");
        return;
    }
    d->done(req, d->id, d->arg);
}

/* The main route table has 0.0.0.0/0 to @p igw (added when missing). 0 or -1. */
static int
dv_default_route(ec2gw_req_t *req, const char *rtb_id, const char *igw)
{
    json_t *rtb = NULL, *routes, *r;
    size_t i;
    int rc = 0;

    if (ec2gw->item_get(req, rtb_id, &rtb) != 0)
        return -1;
    routes = json_object_get(rtb, VPC_F_ROUTES);
    json_array_foreach(routes, i,
                       r) if (strcmp(neutron_or(neutron_str(r, VPC_F_DESTINATION_CIDR_BLOCK)),
                                     "0.0.0.0/0") == 0) goto done;
    if (!json_is_array(routes)) {
        routes = json_array();
        json_object_set_new(rtb, VPC_F_ROUTES, routes);
    }
    json_array_append_new(routes,
                          json_pack("{s:s, s:s, s:s}", VPC_F_DESTINATION_CIDR_BLOCK, "0.0.0.0/0",
                                    VPC_F_GATEWAY_ID, igw, VPC_F_ORIGIN, VPC_ORIGIN_CREATE_ROUTE));
    rc = ec2gw->item_put(req, rtb_id, NULL, rtb) == 0 ? 0 : -1;
done:
    json_decref(rtb);
    return rc;
}

/* The default subnet of zone @p k missing from the VPC, or -1 when all are there. */
static int
dv_missing_subnet(ec2gw_req_t *req, struct dv *d, const char **cidr)
{
    json_t *subnets = vpc_items(req, VPC_KIND_SUBNET), *s;
    const char *id;
    int k = 0; /* one zone: the configured one */
    const char *want = ec2gw->psprintf(req, "172.31.%d.0/%d", 16 * k, DV_SUBNET_PFX);

    json_object_foreach(subnets, id, s)
    {
        if (strcmp(neutron_or(neutron_str(s, VPC_F_VPC_ID)), d->id) == 0 &&
            strcmp(neutron_or(neutron_str(s, VPC_F_CIDR_BLOCK)), want) == 0)
            return -1;
    }
    *cidr = want;
    return k;
}

static void
dv_make_vpc(ec2gw_req_t *req, struct dv *d)
{
    d->make.ni = d->ni;
    d->make.vpc_id = d->id;
    d->make.cidr = VPC_DEFAULT_CIDR;
    d->make.is_default = 1;
    d->make.extra = d->row;
    d->make.done = dv_vpc_made;
    d->make.arg = d;
    vpc_make_start(req, &d->make);
}

/* A taken-over creation: the router and group the earlier creator may have made. */
static void
dv_found(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct dv *d = arg;
    const char *router =
        neutron_str(json_array_get(json_object_get(r[0]->json, "routers"), 0), "id");
    const char *sg =
        neutron_str(json_array_get(json_object_get(r[1]->json, "security_groups"), 0), "id");
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        dv_release(req, d);
        vpc_os_fail(req, r[bad], NULL);
        return;
    }
    d->make.router = router != NULL ? ec2gw->pstrdup(req, router) : NULL;
    d->make.sg_os = sg != NULL ? ec2gw->pstrdup(req, sg) : NULL;
    dv_make_vpc(req, d);
}

/* Do the first thing the row says is missing. */
static void
dv_next(ec2gw_req_t *req, struct dv *d)
{
    json_t *row = NULL, *igw_row = NULL;
    const char *igw, *router = NULL, *cidr = NULL;

    if (ec2gw->item_get(req, d->id, &row) != 0) {
        ec2gw->fail(req, 503, "Unavailable", "The default VPC's row is gone");
        return;
    }
    d->row = neutron_own(req, row);
    /* every step renews the claim: the others wait as long as the work goes on */
    json_object_set_new(row, DV_CLAIMED, json_integer((json_int_t)time(NULL)));
    if (ec2gw->item_put(req, d->id, NULL, row) != 0) {
        dv_fail(req, d, "the VPC's row could not be stored");
        return;
    }
    if (neutron_str(row, VPC_F_ROUTE_TABLE_ID) == NULL) {
        ec2gw_os_call_t calls[2];

        if (!d->resumed) {
            dv_make_vpc(req, d);
            return;
        }
        calls[0] = EC2GW_OS_GET(
            "network",
            neutron_path(req, "routers",
                         ec2gw->psprintf(req, "name=%s&fields=id", ec2gw->url_escape(req, d->id))));
        calls[1] = EC2GW_OS_GET(
            "network",
            neutron_path(req, "security-groups",
                         ec2gw->psprintf(
                             req, "name=%s&fields=id",
                             ec2gw->url_escape(
                                 req, ec2gw->psprintf(req, VPC_SG_DEFAULT_PREFIX "%s", d->id)))));
        if (ec2gw->os_fanout(req, calls, 2, dv_found, d) < 0)
            dv_fail(req, d, "could not call Neutron");
        return;
    }
    if ((igw = neutron_str(row, DV_IGW)) == NULL) {
        if (ec2gw->new_id(req, VPC_KIND_IGW, &igw) != 0 ||
            ec2gw->item_put(req, igw, NULL, neutron_own(req, json_object())) != 0) {
            dv_fail(req, d, "no internet gateway could be stored");
            return;
        }
        json_object_set_new(row, DV_IGW, json_string(igw));
        if (ec2gw->item_put(req, d->id, NULL, row) != 0) {
            dv_fail(req, d, "the VPC's row could not be stored");
            return;
        }
    }
    if (ec2gw->item_get(req, igw, &igw_row) != 0 || neutron_str(igw_row, VPC_F_VPC_ID) == NULL) {
        json_decref(igw_row);
        if (ec2gw->id_to_os(req, d->id, &router) != 0 || router == NULL) {
            dv_fail(req, d, "the VPC has no router");
            return;
        }
        igw_router_gateway(req, d->ni, router, 1, dv_gateway_set, d);
        return;
    }
    json_decref(igw_row);
    if (dv_default_route(req, neutron_str(row, VPC_F_ROUTE_TABLE_ID), igw) != 0) {
        dv_fail(req, d, "the route to the internet gateway could not be stored");
        return;
    }
    if (dv_missing_subnet(req, d, &cidr) >= 0) {
        memset(&d->sub, 0, sizeof(d->sub));
        d->sub.ni = d->ni;
        d->sub.vpc_id = d->id;
        d->sub.cidr = cidr;
        d->sub.az = d->ni->availability_zone;
        d->sub.default_for_az = 1;
        d->sub.done = dv_subnet_made;
        d->sub.arg = d;
        if (ec2gw->id_to_os(req, d->id, &d->sub.router) != 0 ||
            ec2gw->new_id(req, VPC_KIND_SUBNET, &d->sub.subnet_id) != 0) {
            dv_fail(req, d, "no subnet id could be drawn");
            return;
        }
        subnet_make_start(req, &d->sub);
        return;
    }
    if (d->made_subnet) {
        dv_synced(req, 0, d);
        return;
    }
    neutron_rtb_sync(req, d->ni, d->id, dv_synced, d);
}

/* -- claiming and waiting ---------------------------------------------------------------- */

static void dv_check(ec2gw_req_t *req, void *arg);

static void
dv_wait(ec2gw_req_t *req, struct dv *d)
{
    if (ec2gw->after(req, DV_POLL_MS, dv_check, d) < 0)
        ec2gw->fail(req, 503, "Unavailable",
                    "The default VPC is still being made by another request; try again");
}

/* Read the row: done, being made by another (wait), abandoned (take over) or absent (claim). */
static void
dv_check(ec2gw_req_t *req, void *arg)
{
    struct dv *d = arg;
    json_t *row = NULL, *claim;
    int rc;

    if (ec2gw->item_get(req, d->id, &row) == 0) {
        const json_t *state = json_object_get(row, DV_STATE);
        json_int_t at = json_integer_value(json_object_get(row, DV_CLAIMED));

        if (state == NULL) {
            json_decref(row);
            d->done(req, d->id, d->arg);
            return;
        }
        if ((json_int_t)time(NULL) - at < DV_STALE_S) {
            json_decref(row);
            dv_wait(req, d);
            return;
        }
        /* abandoned: take it over and go on from where it stopped */
        json_object_set_new(row, DV_CLAIMED, json_integer((json_int_t)time(NULL)));
        rc = ec2gw->item_put(req, d->id, NULL, row);
        json_decref(row);
        if (rc != 0) {
            ec2gw->fail(req, 500, "InternalError", "The default VPC's row could not be stored");
            return;
        }
        ec2gw->log(req, EC2GW_LOG_NOTICE, "resuming the default VPC %s", d->id);
        d->resumed = 1;
        dv_next(req, d);
        return;
    }
    claim = neutron_own(req, dv_claim());
    rc = ec2gw->item_insert(req, d->id, NULL, claim);
    if (rc == EC2GW_E_EXISTS) {
        dv_wait(req, d); /* another request or daemon won */
        return;
    }
    if (rc != 0) {
        ec2gw->fail(req, 500, "InternalError", "The default VPC's row could not be stored");
        return;
    }
    dv_next(req, d);
}

int
neutron_default_vpc_ensure(ec2gw_req_t *req, struct neutron_inst *ni, neutron_vpc_ready_fn done,
                           void *arg)
{
    struct dv *d;

    if (!ni->default_vpc) {
        done(req, NULL, arg);
        return EC2GW_AGAIN;
    }
    d = ec2gw->pcalloc(req, sizeof(*d));
    d->ni = ni;
    d->id = dv_id(req);
    d->done = done;
    d->arg = arg;
    dv_check(req, d);
    return EC2GW_AGAIN;
}

/* -- CreateDefaultVpc ------------------------------------------------------------------------ */

static void
dv_created(ec2gw_req_t *req, const char *vpc_id, void *arg)
{
    json_t *data = NULL;

    (void)arg;
    if (ec2gw->item_get(req, vpc_id, &data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The default VPC's row could not be read");
        return;
    }
    ec2gw->finish(req, json_pack("{s:o}", "Vpc", vpc_model(req, vpc_id, data)));
    json_decref(data);
}

int
neutron_create_default_vpc(ec2gw_req_t *req, void *inst)
{
    struct neutron_inst *ni = inst, *forced = ec2gw->pcalloc(req, sizeof(*forced));
    json_t *vpcs = vpc_items(req, VPC_KIND_VPC), *v;
    const char *id;

    json_object_foreach(vpcs, id, v)
    {
        if (vpc_flag(v, VPC_F_IS_DEFAULT, 0) && json_object_get(v, DV_STATE) == NULL) {
            ec2gw->fail(req, 400, "DefaultVpcAlreadyExists",
                        "A Default VPC already exists for this account in this region.");
            return EC2GW_OK;
        }
    }
    /* the same once-only pipeline, whatever the setting says */
    *forced = *ni;
    forced->default_vpc = 1;
    return neutron_default_vpc_ensure(req, forced, dv_created, NULL);
}
