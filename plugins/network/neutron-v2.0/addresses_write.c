/*
 * addresses_write.c - AllocateAddress and ReleaseAddress on Neutron floating IPs.
 *
 * AllocateAddress: GET /v2.0/networks?router:external=true (the pool: PublicIpv4Pool, else the
 * `external_network` setting, else the only external network), POST /v2.0/floatingips
 * (Address → floating_ip_address), then the eipalloc row {public_ip, domain} and the tags;
 * when the row or the tags cannot be written the floating IP is deleted again, so the client
 * gets one error and nothing is left behind. The model has no ClientToken for it.
 * ReleaseAddress: the floating IP (by AllocationId or PublicIp), refused while associated
 * (InvalidIPAddress.InUse, as AWS), DELETE, then the row and its tags.
 */
#include <string.h>

#include "addresses.h"

struct neutron_alloc_state {
    const struct neutron_inst *ni;
    const char *domain, *address, *pool;
    const char *net;    /* chosen external network */
    const char *fip_id; /* the floating IP made */
    const char *alloc;  /* its eipalloc- */
    const char *public_ip;
    const char *err_code, *err_msg; /* the error to answer after the rollback */
    const char *marker;             /* description of the floating IP being made */
};

/* -- AllocateAddress ----------------------------------------------------------------------- */

/* The TagSpecification tags are checked before anything is made in Neutron. */
static int
neutron_alloc_tags_ok(ec2gw_req_t *req)
{
    json_t *tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), "elastic-ip"));
    const json_t *t;
    size_t i;

    json_array_foreach(tags, i, t)
    {
        const char *k = neutron_str(t, "Key"), *v = neutron_str(t, "Value");

        if (k == NULL || k[0] == '\0' || strlen(k) > 127 || (v != NULL && strlen(v) > 255)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Tag keys must be 1 to 127 characters and values at most 255");
            return 0;
        }
        if (strncmp(k, "aws:", 4) == 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Tag keys starting with 'aws:' are reserved for internal use");
            return 0;
        }
    }
    return 1;
}

static int
neutron_alloc_params_ok(ec2gw_req_t *req, struct neutron_alloc_state *st)
{
    static const char *const unsupported[] = { "CustomerOwnedIpv4Pool", "IpamPoolId" };
    const json_t *params = ec2gw->params(req);

    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (json_object_get(params, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "%s is not supported: Elastic IPs come from the cloud's external "
                        "network (use PublicIpv4Pool to name it)",
                        unsupported[i]);
            return 0;
        }
    if (neutron_addr_check_border_group(req) != 0)
        return 0;
    st->domain = neutron_param_str(req, "Domain");
    if (st->domain == NULL)
        st->domain = "vpc";
    if (strcmp(st->domain, "vpc") != 0 && strcmp(st->domain, "standard") != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.32s' for Domain (expecting vpc or standard)", st->domain);
        return 0;
    }
    st->address = neutron_param_str(req, "Address");
    if (st->address != NULL && !neutron_addr_ipv4_ok(st->address)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.64s' for Address: not an IPv4 address", st->address);
        return 0;
    }
    st->pool = neutron_param_str(req, "PublicIpv4Pool");
    if (st->pool != NULL && strcmp(st->pool, "amazon") == 0)
        st->pool = NULL; /* AWS's name of its own pool: the default here */
    return neutron_check_tag_specs(req, "elastic-ip") == 0 && neutron_alloc_tags_ok(req);
}

/* The network of @p list named (id or name) by @p want, "auto" = the only one; NULL when
 * none or several match (*several set then). */
static const char *
neutron_alloc_pick(const json_t *list, const char *want, int *several)
{
    const char *found = NULL;
    const json_t *n;
    size_t i;

    *several = 0;
    json_array_foreach(list, i, n)
    {
        const char *id = neutron_str(n, "id"), *name = neutron_str(n, "name");

        if (id == NULL)
            continue;
        if (strcmp(want, "auto") == 0 || strcmp(id, want) == 0 ||
            (name != NULL && strcmp(name, want) == 0)) {
            if (found != NULL && strcmp(want, id) != 0) {
                *several = 1;
                return NULL;
            }
            found = id;
            if (strcmp(want, id) == 0)
                return found;
        }
    }
    return found;
}

static void
neutron_alloc_rolled_back(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_alloc_state *st = arg;

    if (!ec2gw_os_ok(r) && r->status != 404)
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not delete floating IP %s after a failure: %ld",
                   st->fip_id, r->status);
    if (st->alloc != NULL)
        (void)ec2gw->item_delete(req, st->alloc); /* the row may not exist: nothing to undo */
    ec2gw->fail(req, 500, st->err_code, "%s", st->err_msg);
}

/* Delete the floating IP just made, then answer @p code. */
static void
neutron_alloc_rollback(ec2gw_req_t *req, struct neutron_alloc_state *st, const char *code,
                       const char *msg)
{
    ec2gw_os_call_t call = EC2GW_OS_CALL(
        "network", "DELETE",
        ec2gw->psprintf(req, "/v2.0/floatingips/%s", ec2gw->url_escape(req, st->fip_id)),
        .flags = EC2GW_CALL_RETRY_SAFE);

    st->err_code = code;
    st->err_msg = msg;
    if (ec2gw->os_call(req, &call, neutron_alloc_rolled_back, st) < 0)
        ec2gw->fail(req, 500, code, "%s", msg);
}

static void
neutron_alloc_fail_os(ec2gw_req_t *req, struct neutron_alloc_state *st, const ec2gw_os_resp_t *r)
{
    const char *type = neutron_error_type(r);
    const char *msg = neutron_error_message(req, r);

    if (strcmp(type, "OverQuota") == 0 || (r->status == 409 && strstr(msg, "uota") != NULL))
        ec2gw->fail(req, 400, "AddressLimitExceeded",
                    "The maximum number of addresses has been reached.");
    else if (st->address != NULL && (r->status == 409 || r->status == 400 || r->status == 403))
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Address %s cannot be allocated from network %s: %s", st->address, st->net,
                    r->status == 403 ? "OpenStack policy lets only admins choose the address"
                                     : msg);
    else if (r->status == 404)
        ec2gw->fail(req, 400, "InvalidPublicIpv4PoolID.NotFound", "The pool '%s' does not exist",
                    st->net);
    else
        neutron_fail(req, r, NULL);
}

static void
neutron_alloc_lost_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_alloc_state *st = arg;

    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && r[i]->status != 404)
            ec2gw->log(req, EC2GW_LOG_ERROR,
                       "could not delete a floating IP made by a failed "
                       "AllocateAddress: %ld",
                       r[i]->status);
    ec2gw->fail(req, strcmp(st->err_code, "Unavailable") == 0 ? 503 : 500, st->err_code, "%s",
                st->err_msg);
}

static void
neutron_alloc_lost_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_alloc_state *st = arg;
    const json_t *list = json_object_get(r->json, "floatingips"), *f;
    size_t n = json_array_size(list), i, k = 0;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_ERROR,
                   "could not look for a floating IP made by a failed "
                   "AllocateAddress (%s): %ld",
                   st->marker, r->status);
    json_array_foreach(list, i, f)
    {
        if (neutron_str(f, "id") == NULL ||
            strcmp(neutron_or(neutron_str(f, "description")), st->marker) != 0)
            continue;
        calls[k++] = EC2GW_OS_CALL("network", "DELETE",
                                   ec2gw->psprintf(req, "/v2.0/floatingips/%s",
                                                   ec2gw->url_escape(req, neutron_str(f, "id"))),
                                   .flags = EC2GW_CALL_RETRY_SAFE);
    }
    if (k == 0 || ec2gw->os_fanout(req, calls, k, neutron_alloc_lost_deleted, st) < 0)
        ec2gw->fail(req, strcmp(st->err_code, "Unavailable") == 0 ? 503 : 500, st->err_code, "%s",
                    st->err_msg);
}

/* Neutron failed or its answer was lost: the floating IP may exist all the same. Find it by
 * its marker and delete it before answering, so a failed AllocateAddress leaves nothing. */
static void
neutron_alloc_lost(ec2gw_req_t *req, struct neutron_alloc_state *st, const ec2gw_os_resp_t *r)
{
    ec2gw_os_call_t call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "floatingips",
                     ec2gw->psprintf(req, "description=%s&project_id=%s",
                                     ec2gw->url_escape(req, st->marker),
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id))));

    st->err_code = r->status == 0 || r->status == 503 ? "Unavailable" : "InternalError";
    st->err_msg = r->timed_out     ? "Neutron did not answer in time"
                  : r->status == 0 ? "Neutron is unavailable"
                                   : ec2gw->psprintf(req, "Neutron failed (HTTP %ld)", r->status);
    if (ec2gw->os_call(req, &call, neutron_alloc_lost_found, st) < 0)
        ec2gw->fail(req, 503, st->err_code, "%s", st->err_msg);
}

static void
neutron_alloc_created(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_alloc_state *st = arg;
    const json_t *fip = json_object_get(r->json, "floatingip");
    json_t *tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), "elastic-ip"));
    json_t *data, *out;
    int standard = strcmp(st->domain, "standard") == 0;

    if (r->status == 0 || r->status >= 500) {
        neutron_alloc_lost(req, st, r);
        return;
    }
    if (!ec2gw_os_ok(r)) {
        neutron_alloc_fail_os(req, st, r);
        return;
    }
    if (neutron_str(fip, "id") == NULL || neutron_str(fip, "floating_ip_address") == NULL) {
        ec2gw->fail(req, 500, "InternalError", "Neutron's answer has no floating IP");
        return;
    }
    st->fip_id = ec2gw->pstrdup(req, neutron_str(fip, "id"));
    st->public_ip = ec2gw->pstrdup(req, neutron_str(fip, "floating_ip_address"));
    if (ec2gw->id_to_ec2(req, "eipalloc", st->fip_id, &st->alloc) != 0) {
        st->alloc = NULL;
        neutron_alloc_rollback(req, st, "InternalError", "Could not map the allocation id");
        return;
    }
    data = neutron_own(req, json_pack("{s:s}", "public_ip", st->public_ip));
    if (standard)
        json_object_set_new(data, "domain", json_string("standard"));
    if (ec2gw->item_put(req, st->alloc, st->fip_id, data) != 0 ||
        (json_array_size(tags) > 0 && ec2gw->tags_set(req, st->alloc, tags) != 0)) {
        neutron_alloc_rollback(req, st, "InternalError", "Could not store the address");
        return;
    }
    out = json_pack("{s:s, s:s, s:s, s:s}", "PublicIp", st->public_ip, "Domain", st->domain,
                    "PublicIpv4Pool", st->net, "NetworkBorderGroup",
                    neutron_or(ec2gw->identity(req)->region));
    if (!standard)
        json_object_set_new(out, "AllocationId", json_string(st->alloc));
    ec2gw->finish(req, out);
}

static void
neutron_alloc_networks(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_alloc_state *st = arg;
    const char *want = st->pool != NULL ? st->pool : st->ni->external_network;
    json_t *body;
    ec2gw_os_call_t call;
    int several;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    st->net = neutron_alloc_pick(json_object_get(r->json, "networks"), want, &several);
    if (st->net == NULL && st->pool != NULL && !several) {
        ec2gw->fail(req, 400, "InvalidPublicIpv4PoolID.NotFound",
                    "The pool '%.64s' does not exist (pools are external networks)", st->pool);
        return;
    }
    if (st->net == NULL) {
        ec2gw->fail(req, 400, "Unsupported",
                    "Feature is restricted by OS admin: %s external network named '%.64s'",
                    several ? "more than one" : "no", want);
        return;
    }
    st->net = ec2gw->pstrdup(req, st->net);
    /* the marker finds the floating IP again when Neutron's answer is lost */
    st->marker = ec2gw->psprintf(req, "ec2gw %s", ec2gw->request_id(req));
    body = neutron_own(req, json_pack("{s:{s:s, s:s}}", "floatingip", "floating_network_id",
                                      st->net, "description", st->marker));
    if (st->address != NULL)
        json_object_set_new(json_object_get(body, "floatingip"), "floating_ip_address",
                            json_string(st->address));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/floatingips", .body = body);
    if (ec2gw->os_call(req, &call, neutron_alloc_created, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_allocate_address(ec2gw_req_t *req, void *inst)
{
    struct neutron_alloc_state *st = ec2gw->state(req, sizeof(*st));
    ec2gw_os_call_t call =
        EC2GW_OS_GET("network", "/v2.0/networks?router%3Aexternal=true&fields=id&fields=name");

    st->ni = inst;
    if (!neutron_alloc_params_ok(req, st))
        return EC2GW_OK;
    if (ec2gw->os_call(req, &call, neutron_alloc_networks, st) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

/* -- ReleaseAddress ------------------------------------------------------------------------ */

struct neutron_release_state {
    const char *alloc, *public_ip, *by;
};

static void
neutron_release_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_release_state *st = arg;

    if (r->status == 409) {
        ec2gw->fail(req, 400, "InvalidIPAddress.InUse", "Address %s is in use.", st->public_ip);
        return;
    }
    if (r->status == 404) {
        ec2gw->fail(req, 400,
                    strncmp(st->by, "eipalloc-", 9) == 0 ? "InvalidAllocationID.NotFound"
                                                         : "InvalidAddress.NotFound",
                    "The address '%s' does not exist", st->by);
        return;
    }
    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    (void)ec2gw->item_delete(req, st->alloc); /* an unmapped row is fine: nothing to delete */
    neutron_finish_true(req);
}

static void
neutron_release_found(ec2gw_req_t *req, const json_t *fip, const char *alloc, void *arg)
{
    struct neutron_release_state *st = arg;
    ec2gw_os_call_t call;

    st->alloc = alloc;
    st->public_ip = ec2gw->pstrdup(req, neutron_or(neutron_str(fip, "floating_ip_address")));
    if (neutron_str(fip, "port_id") != NULL) {
        ec2gw->fail(req, 400, "InvalidIPAddress.InUse", "Address %s is in use.", st->public_ip);
        return;
    }
    call = EC2GW_OS_CALL("network", "DELETE",
                         ec2gw->psprintf(req, "/v2.0/floatingips/%s",
                                         ec2gw->url_escape(req, neutron_str(fip, "id"))),
                         .flags = 0);
    if (ec2gw->os_call(req, &call, neutron_release_deleted, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_release_address(ec2gw_req_t *req, void *inst)
{
    struct neutron_release_state *st = ec2gw->state(req, sizeof(*st));
    const char *alloc = neutron_param_str(req, "AllocationId");
    const char *ip = neutron_param_str(req, "PublicIp");
    const char *os = NULL;

    (void)inst;
    if (alloc == NULL && ip == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "Either AllocationId or PublicIp must be specified");
        return EC2GW_OK;
    }
    if (alloc != NULL && ip != NULL) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "Specify either AllocationId or PublicIp, not both");
        return EC2GW_OK;
    }
    if (neutron_addr_check_border_group(req) != 0)
        return EC2GW_OK;
    if (ip != NULL && !neutron_addr_ipv4_ok(ip)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.64s' for PublicIp: not an IPv4 address", ip);
        return EC2GW_OK;
    }
    if (alloc != NULL && neutron_addr_alloc_os(req, alloc, &os) != 0)
        return EC2GW_OK;
    st->by = alloc != NULL ? alloc : ip;
    return neutron_addr_find(req, os, alloc, ip, neutron_release_found, st);
}
