/*
 * eni_ips.c - AssignPrivateIpAddresses and UnassignPrivateIpAddresses: the port's fixed_ips
 * on the ENI's subnet grow by the given addresses (or by N Neutron picks) or lose the given
 * ones (an Elastic IP on one of them is disassociated first); the primary cannot be
 * unassigned. Addresses are never moved from another interface:
 * AllowReassignment is accepted, but an address in use elsewhere is refused saying so. Route
 * tables that target the ENI are re-projected afterwards.
 */
#include <string.h>

#include "addresses.h"
#include "eni.h"

struct neutron_eni_ips {
    struct neutron_inst *ni;
    struct neutron_eni *e;
    const json_t *asked; /* PrivateIpAddresses */
    json_int_t count;    /* SecondaryPrivateIpAddressCount */
    json_t *before;      /* the port's addresses before ({ip: true}) */
    json_t *answer;      /* the model to finish with once the routes are done */
    json_t *keep;        /* Unassign: the fixed_ips the port keeps */
};

static int
neutron_eni_ips_unsupported(ec2gw_req_t *req)
{
    const json_t *params = ec2gw->params(req);

    if (json_object_get(params, "Ipv4Prefixes") != NULL ||
        json_object_get(params, "Ipv4PrefixCount") != NULL) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "Ipv4Prefixes and Ipv4PrefixCount are not supported on this cloud");
        return -1;
    }
    return 0;
}

static void
neutron_eni_ips_routed(ec2gw_req_t *req, int rc, void *arg)
{
    struct neutron_eni_ips *st = arg;

    if (rc == 0)
        ec2gw->finish(req, json_incref(st->answer));
}

static void
neutron_eni_ips_put_failed(ec2gw_req_t *req, const struct neutron_eni_ips *st,
                           const ec2gw_os_resp_t *r)
{
    const char *type = neutron_error_type(r);

    if (strcmp(type, "IpAddressGenerationFailure") == 0)
        ec2gw->fail(req, 400, "InsufficientFreeAddressesInSubnet",
                    "There are not enough free addresses in the subnet of '%s'", st->e->eni_id);
    else if (strcmp(type, "IpAddressAlreadyAllocated") == 0 || strcmp(type, "IpAddressInUse") == 0)
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "%s (addresses are not moved between interfaces, with or without "
                    "AllowReassignment)",
                    neutron_error_message(req, r));
    else if (r->status == 400)
        ec2gw->fail(req, 400, "InvalidParameterValue", "%s", neutron_error_message(req, r));
    else
        neutron_fail(req, r, NULL);
}

static void
neutron_eni_assigned(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_ips *st = arg;
    json_t *assigned = json_array();
    const json_t *ip;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        json_decref(assigned);
        neutron_eni_ips_put_failed(req, st, r);
        return;
    }
    json_array_foreach(json_object_get(json_object_get(r->json, "port"), "fixed_ips"), i, ip)
    {
        const char *a = neutron_str(ip, "ip_address");

        if (a != NULL && json_object_get(st->before, a) == NULL)
            json_array_append_new(assigned, json_pack("{s:s}", "PrivateIpAddress", a));
    }
    st->answer = neutron_own(req, json_pack("{s:s, s:o}", "NetworkInterfaceId", st->e->eni_id,
                                            "AssignedPrivateIpAddresses", assigned));
    neutron_eni_routes_changed(req, st->ni, st->e, neutron_eni_ips_routed, st);
}

static void
neutron_eni_assign_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_ips *st = e->arg;
    const json_t *fixed = json_object_get(e->port, "fixed_ips"), *v;
    json_t *ip;
    const char *subnet = neutron_str(json_array_get(fixed, 0), "subnet_id");
    json_t *list = json_array();
    size_t i;

    st->e = e;
    st->before = neutron_own(req, json_object());
    json_array_foreach(fixed, i, ip)
    {
        json_array_append(list, ip);
        json_object_set_new(st->before, neutron_or(neutron_str(ip, "ip_address")), json_true());
    }
    json_array_foreach(st->asked, i, v)
    {
        if (json_object_get(st->before, neutron_or(json_string_value(v))) != NULL) {
            json_decref(list);
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Address %.64s is already assigned to %s", json_string_value(v), e->eni_id);
            return;
        }
        json_array_append_new(
            list, json_pack("{s:s, s:O}", "subnet_id", neutron_or(subnet), "ip_address", v));
    }
    for (json_int_t k = 0; k < st->count; k++)
        json_array_append_new(list, json_pack("{s:s}", "subnet_id", neutron_or(subnet)));
    if (neutron_eni_port_put(req, e, json_pack("{s:{s:o}}", "port", "fixed_ips", list),
                             neutron_eni_assigned, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_assign_private_ip_addresses(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_ips *st = ec2gw->pcalloc(req, sizeof(*st));
    const json_t *params = ec2gw->params(req), *v;
    const json_t *count = json_object_get(params, "SecondaryPrivateIpAddressCount");
    size_t i;

    st->ni = inst;
    st->asked = json_object_get(params, "PrivateIpAddresses");
    if (neutron_eni_ips_unsupported(req) != 0)
        return EC2GW_OK;
    if ((json_array_size(st->asked) > 0) == (count != NULL)) {
        if (count != NULL)
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "PrivateIpAddress.N and SecondaryPrivateIpAddressCount cannot both be "
                        "given");
        else
            ec2gw->fail(req, 400, "MissingParameter",
                        "Either PrivateIpAddress.N or SecondaryPrivateIpAddressCount is required");
        return EC2GW_OK;
    }
    st->count = json_integer_value(count);
    if (count != NULL && (!json_is_integer(count) || st->count < 1 || st->count > 49)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value for SecondaryPrivateIpAddressCount: 1 to 49 are allowed");
        return EC2GW_OK;
    }
    json_array_foreach(st->asked, i, v)
    {
        if (!neutron_eni_ip_in(json_string_value(v), "0.0.0.0/0")) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%.64s' for PrivateIpAddress: not an IPv4 address",
                        neutron_or(json_string_value(v)));
            return EC2GW_OK;
        }
    }
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_assign_loaded, st);
}

/* -- Unassign ---------------------------------------------------------------------------- */

static void
neutron_eni_unassigned(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_ips *st = arg;

    if (!ec2gw_os_ok(r)) {
        neutron_eni_ips_put_failed(req, st, r);
        return;
    }
    st->answer = neutron_own(req, json_object());
    neutron_eni_routes_changed(req, st->ni, st->e, neutron_eni_ips_routed, st);
}

static int
neutron_eni_listed(const json_t *list, const char *s)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v) if (s != NULL && json_string_value(v) != NULL &&
                                       strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

static void
neutron_eni_unassign_put(ec2gw_req_t *req, struct neutron_eni_ips *st)
{
    if (neutron_eni_port_put(req, st->e, json_pack("{s:{s:O}}", "port", "fixed_ips", st->keep),
                             neutron_eni_unassigned, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

static void
neutron_eni_unassign_freed(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    neutron_eni_unassign_put(req, arg);
}

/* An Elastic IP on an address that goes is disassociated first, as on AWS (its row's mirror
 * cleared); then the port keeps the other addresses. */
static void
neutron_eni_unassign_fips(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_ips *st = arg;
    const json_t *fips = json_object_get(r->json, "floatingips"), *f;
    size_t n = json_array_size(fips), k = 0, i;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));
    json_t *allocs;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    allocs = neutron_map_ids(req, "eipalloc", fips);
    json_array_foreach(fips, i, f)
    {
        const char *id = neutron_or(neutron_str(f, "id"));
        const char *alloc = json_string_value(json_object_get(allocs, id));

        if (!neutron_eni_listed(st->asked, neutron_str(f, "fixed_ip_address")))
            continue;
        calls[k++] = EC2GW_OS_CALL(
            "network", "PUT",
            ec2gw->psprintf(req, "/v2.0/floatingips/%s", ec2gw->url_escape(req, id)),
            .body = neutron_own(req, json_pack("{s:{s:n}}", "floatingip", "port_id")));
        if (alloc != NULL)
            neutron_addr_store(req, alloc, id, neutron_str(f, "floating_ip_address"), NULL, NULL);
    }
    if (k == 0)
        neutron_eni_unassign_put(req, st);
    else if (ec2gw->os_fanout(req, calls, k, neutron_eni_unassign_freed, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

static void
neutron_eni_unassign_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_ips *st = e->arg;
    const json_t *fixed = json_object_get(e->port, "fixed_ips"), *v;
    json_t *ip;
    const char *primary = neutron_eni_primary(e->port, e->data);
    json_t *list = json_array();
    ec2gw_os_call_t call;
    size_t i, j;

    st->e = e;
    json_array_foreach(st->asked, i, v)
    {
        const char *a = neutron_or(json_string_value(v));
        int on_port = 0;

        json_array_foreach(fixed, j, ip) on_port |=
            strcmp(neutron_or(neutron_str(ip, "ip_address")), a) == 0;
        if (!on_port || (primary != NULL && strcmp(primary, a) == 0)) {
            json_decref(list);
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        on_port ? "Address %.64s is the primary private IP address of %s and "
                                  "cannot be unassigned"
                                : "Address %.64s is not assigned to %s",
                        a, e->eni_id);
            return;
        }
    }
    json_array_foreach(fixed, i,
                       ip) if (!neutron_eni_listed(st->asked, neutron_str(ip, "ip_address")))
        json_array_append(list, ip);
    st->keep = neutron_own(req, list);
    call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "floatingips",
                     ec2gw->psprintf(req, "project_id=%s&port_id=%s",
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id),
                                     ec2gw->url_escape(req, e->port_id))));
    if (ec2gw->os_call(req, &call, neutron_eni_unassign_fips, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_unassign_private_ip_addresses(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_ips *st = ec2gw->pcalloc(req, sizeof(*st));

    st->ni = inst;
    st->asked = json_object_get(ec2gw->params(req), "PrivateIpAddresses");
    if (neutron_eni_ips_unsupported(req) != 0)
        return EC2GW_OK;
    if (json_array_size(st->asked) == 0) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter PrivateIpAddress.N");
        return EC2GW_OK;
    }
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_unassign_loaded, st);
}
