/*
 * igw.c - internet gateways (openstack-mapping.md §16.3): database rows whose vpc_id is the
 * attachment; attaching sets the VPC router's external gateway on the plugin's
 * external_network, detaching clears it; route tables are re-projected (neutron_rtb_sync)
 * after either.
 */
#include <string.h>

#include "vpc_priv.h"

/* -- the router's gateway ------------------------------------------------------------------ */

struct igw_gw {
    struct neutron_inst *ni;
    const char *router;
    neutron_done_fn done;
    void *arg;
};

static void
igw_gw_set(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct igw_gw *g = arg;

    /* Neutron keeps the gateway while floating IPs of the router's networks need it */
    if (!ec2gw_os_ok(r) && r->status == 409) {
        ec2gw->fail(req, 400, "DependencyViolation",
                    "Network has some mapped public address(es). Please unmap those public "
                    "address(es) before detaching the gateway. (%s)",
                    neutron_error_message(req, r));
        g->done(req, -1, g->arg);
        return;
    }
    if (!ec2gw_os_ok(r)) {
        vpc_os_fail(req, r, NULL);
        g->done(req, -1, g->arg);
        return;
    }
    g->done(req, 0, g->arg);
}

static void
igw_gw_put(ec2gw_req_t *req, struct igw_gw *g, const char *net)
{
    json_t *gw = net != NULL ? json_pack("{s:s}", "network_id", net) : json_object();
    json_t *body = neutron_own(req, json_pack("{s:{s:o}}", "router", "external_gateway_info", gw));
    ec2gw_os_call_t call = EC2GW_OS_CALL(
        "network", "PUT",
        ec2gw->psprintf(req, "/v2.0/routers/%s", ec2gw->url_escape(req, g->router)), .body = body);

    if (ec2gw->os_call(req, &call, igw_gw_set, g) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        g->done(req, -1, g->arg);
    }
}

static void
igw_gw_networks(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct igw_gw *g = arg;
    const char *want = g->ni->external_network, *pick = NULL;
    const json_t *n;
    size_t i, count = 0;

    if (!ec2gw_os_ok(r)) {
        vpc_os_fail(req, r, NULL);
        g->done(req, -1, g->arg);
        return;
    }
    json_array_foreach(json_object_get(r->json, "networks"), i, n)
    {
        const char *id = neutron_str(n, "id"), *name = neutron_str(n, "name");

        if (strcmp(want, "auto") == 0 || strcmp(neutron_or(id), want) == 0 ||
            strcmp(neutron_or(name), want) == 0) {
            pick = id;
            count++;
        }
    }
    if (count != 1 || pick == NULL) {
        ec2gw->fail(req, 400, "Unsupported",
                    "Feature is restricted by OS admin: %s external network named '%.64s'",
                    count > 1 ? "more than one" : "no", want);
        g->done(req, -1, g->arg);
        return;
    }
    igw_gw_put(req, g, pick);
}

void
igw_router_gateway(ec2gw_req_t *req, struct neutron_inst *ni, const char *router, int attach,
                   neutron_done_fn done, void *arg)
{
    struct igw_gw *g = ec2gw->pcalloc(req, sizeof(*g));
    ec2gw_os_call_t call =
        EC2GW_OS_GET("network", "/v2.0/networks?router%3Aexternal=true&fields=id&fields=name");

    g->ni = ni;
    g->router = router;
    g->done = done;
    g->arg = arg;
    if (!attach) {
        igw_gw_put(req, g, NULL);
        return;
    }
    if (ec2gw->os_call(req, &call, igw_gw_networks, g) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        done(req, -1, arg);
    }
}

/* -- the model ------------------------------------------------------------------------------ */

static json_t *
igw_model(ec2gw_req_t *req, const char *id, const json_t *data)
{
    const char *vpc = neutron_str(data, VPC_F_VPC_ID);
    json_t *att = json_array();

    if (vpc != NULL)
        json_array_append_new(att, json_pack("{s:s, s:s}", "VpcId", vpc, "State", "available"));
    return json_pack("{s:s, s:s, s:o, s:[]}", "InternetGatewayId", id, "OwnerId",
                     neutron_or(ec2gw->identity(req)->owner_id), "Attachments", att, "Tags");
}

static int
igw_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    const json_t *att = json_array_get(json_object_get(item, "Attachments"), 0);

    (void)req;
    (void)arg;
    if (strcmp(name, "internet-gateway-id") == 0)
        json_array_append_new(values, json_string(neutron_str(item, "InternetGatewayId")));
    else if (strcmp(name, "owner-id") == 0)
        json_array_append_new(values, json_string(neutron_or(neutron_str(item, "OwnerId"))));
    else if (strcmp(name, "attachment.vpc-id") == 0) {
        if (att != NULL)
            json_array_append_new(values, json_string(neutron_str(att, "VpcId")));
    } else if (strcmp(name, "attachment.state") == 0) {
        if (att != NULL)
            json_array_append_new(values, json_string("available"));
    } else
        return EC2GW_E_NOTFOUND;
    return 0;
}

/* -- actions ------------------------------------------------------------------------------- */

int
neutron_create_internet_gateway(ec2gw_req_t *req, void *inst)
{
    json_t *tags = vpc_tags_param(req, "internet-gateway"), *model;
    const char *id = NULL;

    (void)inst;
    if (tags == NULL)
        return EC2GW_OK;
    if (ec2gw->new_id(req, VPC_KIND_IGW, &id) != 0 ||
        ec2gw->item_put(req, id, NULL, neutron_own(req, json_object())) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The internet gateway could not be stored");
        return EC2GW_OK;
    }
    if (json_array_size(tags) > 0 && ec2gw->tags_set(req, id, tags) != 0) {
        ec2gw->item_delete(req, id);
        ec2gw->fail(req, 500, "InternalError", "The internet gateway's tags could not be stored");
        return EC2GW_OK;
    }
    model = igw_model(req, id, NULL);
    json_object_set(model, "Tags", tags);
    ec2gw->finish(req, json_pack("{s:o}", "InternetGateway", model));
    return EC2GW_OK;
}

/* The igw row of @p id (pool), or NULL after failing the request. */
static json_t *
igw_get(ec2gw_req_t *req, const char *id)
{
    json_t *data = NULL;

    if (id == NULL) {
        vpc_missing(req, "InternetGatewayId");
        return NULL;
    }
    if (strncmp(id, "igw-", 4) != 0 || ec2gw->item_get(req, id, &data) != 0) {
        json_decref(data);
        vpc_fail_id(req, "InvalidInternetGatewayID", "internet gateway", id, "igw-");
        return NULL;
    }
    return neutron_own(req, json_is_object(data) ? data : json_object());
}

int
neutron_delete_internet_gateway(ec2gw_req_t *req, void *inst)
{
    const char *id = neutron_param_str(req, "InternetGatewayId");
    json_t *data = igw_get(req, id);

    (void)inst;
    if (data == NULL)
        return EC2GW_OK;
    if (neutron_str(data, VPC_F_VPC_ID) != NULL) {
        ec2gw->fail(req, 400, "DependencyViolation",
                    "The internetGateway '%s' has dependencies and cannot be deleted: it is "
                    "attached to %s",
                    id, neutron_str(data, VPC_F_VPC_ID));
        return EC2GW_OK;
    }
    if (ec2gw->item_delete(req, id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The internet gateway could not be deleted");
        return EC2GW_OK;
    }
    neutron_finish_true(req);
    return EC2GW_OK;
}

static void
igws_describe(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    json_t *items = vpc_items(req, VPC_KIND_IGW), *list = neutron_own(req, json_array()), *d, *page;
    const json_t *want = json_object_get(ec2gw->params(req), "InternetGatewayIds");
    const char *id, *next = NULL;

    (void)default_vpc;
    (void)arg;
    if (vpc_check_ids(req, "InternetGatewayIds", items, "igw-", "InvalidInternetGatewayID",
                      "internet gateway") != 0)
        return;
    json_object_foreach(items, id, d)
    {
        const json_t *w;
        size_t i;
        int keep = json_array_size(want) == 0;

        json_array_foreach(want, i, w) keep |= strcmp(neutron_or(json_string_value(w)), id) == 0;
        if (keep)
            json_array_append_new(list, igw_model(req, id, d));
    }
    vpc_attach_tags(req, list, "InternetGatewayId");
    page = neutron_filter_page(req, list, "InternetGatewayId", "InternetGatewayId",
                               igw_filter_values, NULL, &next);
    if (page != NULL)
        neutron_finish_list(req, "InternetGateways", page, next);
}

int
neutron_describe_internet_gateways(ec2gw_req_t *req, void *inst)
{
    return neutron_default_vpc_ensure(req, inst, igws_describe, NULL);
}

/* -- attach / detach ------------------------------------------------------------------------ */

struct igw_att {
    struct neutron_inst *ni;
    const char *igw_id, *vpc_id;
    json_t *data; /* the igw row */
    int attach;
};

static void
igw_synced(ec2gw_req_t *req, int rc, void *arg)
{
    (void)arg;
    if (rc == 0)
        neutron_finish_true(req);
}

static void
igw_gateway_done(ec2gw_req_t *req, int rc, void *arg)
{
    struct igw_att *a = arg;

    if (rc != 0)
        return; /* failed; the row was not changed */
    if (a->attach)
        json_object_set_new(a->data, VPC_F_VPC_ID, json_string(a->vpc_id));
    else
        json_object_del(a->data, VPC_F_VPC_ID);
    if (ec2gw->item_put(req, a->igw_id, NULL, a->data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The internet gateway could not be stored");
        return;
    }
    neutron_rtb_sync(req, a->ni, a->vpc_id, igw_synced, a);
}

/* Both actions: check, then set or clear the router's gateway. */
static int
igw_attach_detach(ec2gw_req_t *req, struct neutron_inst *ni, int attach)
{
    struct igw_att *a = ec2gw->pcalloc(req, sizeof(*a));
    json_t *vpc = NULL;
    const char *router = NULL, *cur, *other, *iid;
    json_t *igws, *d;

    a->ni = ni;
    a->attach = attach;
    a->igw_id = neutron_param_str(req, "InternetGatewayId");
    a->vpc_id = neutron_param_str(req, "VpcId");
    if ((a->data = igw_get(req, a->igw_id)) == NULL)
        return EC2GW_OK;
    if (neutron_vpc_get(req, a->vpc_id, &vpc) != EC2GW_OK || vpc == NULL)
        return EC2GW_OK;
    json_decref(vpc);
    cur = neutron_str(a->data, VPC_F_VPC_ID);
    if (attach && cur != NULL) {
        ec2gw->fail(req, 400, "Resource.AlreadyAssociated",
                    "resource %s is already attached to network %s", a->igw_id, cur);
        return EC2GW_OK;
    }
    if (!attach && (cur == NULL || strcmp(cur, a->vpc_id) != 0)) {
        ec2gw->fail(req, 400, "Gateway.NotAttached", "resource %s is not attached to network %s",
                    a->igw_id, a->vpc_id);
        return EC2GW_OK;
    }
    if (attach) {
        igws = vpc_items(req, VPC_KIND_IGW);
        json_object_foreach(igws, iid, d)
        {
            other = neutron_str(d, VPC_F_VPC_ID);
            if (other != NULL && strcmp(other, a->vpc_id) == 0) {
                ec2gw->fail(req, 400, "InvalidParameterValue",
                            "Network %s already has an internet gateway attached (%s)", a->vpc_id,
                            iid);
                return EC2GW_OK;
            }
        }
    }
    if (ec2gw->id_to_os(req, a->vpc_id, &router) != 0 || router == NULL) {
        ec2gw->fail(req, 500, "InternalError", "The VPC %s has no router", a->vpc_id);
        return EC2GW_OK;
    }
    igw_router_gateway(req, ni, router, attach, igw_gateway_done, a);
    return EC2GW_AGAIN;
}

int
neutron_attach_internet_gateway(ec2gw_req_t *req, void *inst)
{
    return igw_attach_detach(req, inst, 1);
}

int
neutron_detach_internet_gateway(ec2gw_req_t *req, void *inst)
{
    return igw_attach_detach(req, inst, 0);
}
