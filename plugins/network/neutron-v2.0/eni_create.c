/*
 * eni_create.c - CreateNetworkInterface (openstack-mapping.md §16.7): a Neutron port on the
 * subnet's network, named after a fresh eni- id, with the asked addresses (the primary first,
 * then the explicit secondaries, then one {subnet_id} per SecondaryPrivateIpAddressCount), the
 * given groups (all of the subnet's VPC) or the VPC's default group, and the VPC's DHCP
 * options; then the eni row and the tags. All or nothing: a failed row or tag write deletes
 * the port, and a POST whose answer was lost (transport error, timeout, 5xx) is looked up by
 * its name and deleted before the error is answered. ClientToken is the daemon's
 * (EC2GW_ACT_CLIENT_TOKEN); it is kept in the row for the client-token filter.
 */
#include <stdlib.h>
#include <string.h>

#include "eni.h"

struct neutron_eni_create {
    const char *subnet_id, *subnet_os, *vpc_id, *network_id, *eni_id, *port_id;
    const char *primary; /* asked primary address, or NULL */
    json_t *secondaries; /* asked secondary addresses */
    json_int_t count;    /* SecondaryPrivateIpAddressCount */
    json_t *group_os;    /* asked groups' ports ids, or NULL: the VPC default */
    json_t *tags, *groups, *port;
    const char *code, *msg; /* the error answered once the port is gone */
    struct neutron_inst *ni;
};

static int
neutron_eni_tags_ok(ec2gw_req_t *req, const json_t *tags)
{
    const json_t *t;
    size_t i;

    json_array_foreach(tags, i, t)
    {
        const char *k = neutron_str(t, "Key"), *v = neutron_str(t, "Value");

        if (k == NULL || k[0] == '\0' || strlen(k) > 127 || (v != NULL && strlen(v) > 255) ||
            strncmp(k, "aws:", 4) == 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Tag keys must be 1 to 127 characters, values at most 255, and keys "
                        "may not start with 'aws:'");
            return 0;
        }
    }
    return 1;
}

/* Members of the model that Neutron cannot back: refused, named. */
static int
neutron_eni_create_unsupported(ec2gw_req_t *req, const json_t *params)
{
    static const char *const names[] = { "Ipv6Addresses",     "Ipv6AddressCount",
                                         "Ipv4Prefixes",      "Ipv4PrefixCount",
                                         "Ipv6Prefixes",      "Ipv6PrefixCount",
                                         "EnablePrimaryIpv6", "ConnectionTrackingSpecification",
                                         "Operator" };
    const char *type = neutron_str(params, "InterfaceType");

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (json_object_get(params, names[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "%s is not supported: this cloud's network interfaces are IPv4 Neutron "
                        "ports",
                        names[i]);
            return -1;
        }
    }
    if (type != NULL && strcmp(type, "interface") != 0) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "InterfaceType '%.32s' is not supported (only 'interface')", type);
        return -1;
    }
    return 0;
}

static int
neutron_eni_bad_ip(ec2gw_req_t *req, const char *ip)
{
    if (neutron_eni_ip_in(ip, "0.0.0.0/0"))
        return 0;
    ec2gw->fail(req, 400, "InvalidParameterValue",
                "Invalid value '%.64s' for PrivateIpAddress: not an IPv4 address", neutron_or(ip));
    return -1;
}

/* PrivateIpAddress, PrivateIpAddresses.N and SecondaryPrivateIpAddressCount into @p c. */
static int
neutron_eni_create_addresses(ec2gw_req_t *req, const json_t *params, struct neutron_eni_create *c)
{
    const json_t *spec, *count = json_object_get(params, "SecondaryPrivateIpAddressCount");
    json_t *seen = neutron_own(req, json_object());
    size_t i;

    c->primary = neutron_str(params, "PrivateIpAddress");
    if (c->primary != NULL && neutron_eni_bad_ip(req, c->primary) != 0)
        return -1;
    c->secondaries = neutron_own(req, json_array());
    json_array_foreach(json_object_get(params, "PrivateIpAddresses"), i, spec)
    {
        const char *ip = neutron_str(spec, "PrivateIpAddress");
        int primary = json_is_true(json_object_get(spec, "Primary"));

        if (neutron_eni_bad_ip(req, ip) != 0)
            return -1;
        if (json_object_get(seen, ip) != NULL ||
            (c->primary != NULL && strcmp(c->primary, ip) == 0 && !primary)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "The address %.64s is given more than once", ip);
            return -1;
        }
        json_object_set_new(seen, ip, json_true());
        if (!primary)
            json_array_append_new(c->secondaries, json_string(ip));
        else if (c->primary != NULL && strcmp(c->primary, ip) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Only one primary private IP address may be given (%.64s and %.64s)",
                        c->primary, ip);
            return -1;
        } else
            c->primary = ip;
    }
    if (count != NULL) {
        c->count = json_integer_value(count);
        if (!json_is_integer(count) || c->count < 1 || c->count > 49) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value for SecondaryPrivateIpAddressCount: 1 to 49 are allowed");
            return -1;
        }
    }
    return 0;
}

/* SubnetId → its port network, VPC and Neutron subnet; -1 after answering. */
static int
neutron_eni_create_subnet(ec2gw_req_t *req, struct neutron_eni_create *c)
{
    json_t *data = NULL;
    int rc;

    if (c->subnet_id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter SubnetId");
        return -1;
    }
    rc = ec2gw->id_to_os(req, c->subnet_id, &c->subnet_os);
    if (strncmp(c->subnet_id, "subnet-", 7) != 0 || rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, "InvalidSubnetID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"subnet-...\")", c->subnet_id);
        return -1;
    }
    if (rc == 0 && c->subnet_os != NULL && ec2gw->item_get(req, c->subnet_id, &data) == 0) {
        neutron_own(req, data);
        c->vpc_id = neutron_str(data, VPC_F_VPC_ID);
        c->network_id = neutron_str(data, VPC_F_OS_NETWORK_ID);
    }
    /* a subnet- id the compute plugin mapped for a plain Neutron subnet is no EC2 subnet */
    if (c->vpc_id == NULL || c->network_id == NULL) {
        ec2gw->fail(req, 400, "InvalidSubnetID.NotFound", "The subnet ID '%.64s' does not exist",
                    c->subnet_id);
        return -1;
    }
    return 0;
}

/* Groups.N: each a group of the subnet's VPC; -1 after answering. */
static int
neutron_eni_create_groups(ec2gw_req_t *req, const json_t *params, struct neutron_eni_create *c)
{
    const json_t *ids = json_object_get(params, "Groups"), *v;
    size_t n = json_array_size(ids), i;
    const char **list = ec2gw->pcalloc(req, (n + 1) * sizeof(*list));
    json_t *rows = NULL;

    if (n == 0)
        return 0;
    c->group_os = neutron_own(req, json_array());
    json_array_foreach(ids, i, v)
    {
        const char *os = NULL;
        int rc;

        list[i] = neutron_or(json_string_value(v));
        rc = ec2gw->id_to_os(req, list[i], &os);
        if (strncmp(list[i], "sg-", 3) != 0 || rc == EC2GW_E_INVAL) {
            ec2gw->fail(req, 400, "InvalidGroupId.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"sg-...\")", list[i]);
            return -1;
        }
        if (rc != 0 || os == NULL) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%.64s' does not exist", list[i]);
            return -1;
        }
        json_array_append_new(c->group_os, json_string(os));
    }
    if (ec2gw->items_get(req, list, n, &rows) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not read the security groups");
        return -1;
    }
    neutron_own(req, rows);
    for (i = 0; i < n; i++) {
        const char *vpc = neutron_str(json_object_get(rows, list[i]), VPC_F_VPC_ID);

        if (vpc == NULL || strcmp(vpc, c->vpc_id) != 0) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%.64s' does not exist in VPC '%.64s'", list[i],
                        c->vpc_id);
            return -1;
        }
    }
    return 0;
}

/* -- rollback ---------------------------------------------------------------------------- */

static void
neutron_eni_create_failed(ec2gw_req_t *req, struct neutron_eni_create *c)
{
    ec2gw->fail(req, strcmp(c->code, "InternalError") == 0 ? 500 : 400, c->code, "%s", c->msg);
}

static void
neutron_eni_rolled_back(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_eni_create *c = arg;

    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && r[i]->status != 404)
            ec2gw->log(req, EC2GW_LOG_ERROR, "rollback: could not delete port of %s (%ld)",
                       c->eni_id, r[i]->status);
    neutron_eni_create_failed(req, c);
}

/* Delete the ports of @p ids (strings) and the row, then answer the error of @p c. */
static void
neutron_eni_delete_ports(ec2gw_req_t *req, struct neutron_eni_create *c, const json_t *ids)
{
    size_t n = json_array_size(ids), k = 0;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));
    const json_t *v;
    size_t i;

    ec2gw->item_delete(req, c->eni_id);
    json_array_foreach(ids, i, v) if (json_string_value(v) != NULL) calls[k++] = EC2GW_OS_CALL(
        "network", "DELETE", neutron_eni_port_path(req, json_string_value(v)), .flags = 0);
    if (k == 0 || ec2gw->os_fanout(req, calls, k, neutron_eni_rolled_back, c) < 0)
        neutron_eni_create_failed(req, c);
}

static void
neutron_eni_rollback(ec2gw_req_t *req, struct neutron_eni_create *c, const char *code,
                     const char *msg)
{
    c->code = code;
    c->msg = ec2gw->pstrdup(req, msg);
    neutron_eni_delete_ports(req, c, neutron_own(req, json_pack("[s]", neutron_or(c->port_id))));
}

static void
neutron_eni_lost_found(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_create *c = arg;
    json_t *ids = neutron_own(req, json_array());
    const json_t *p;
    size_t i;

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not look for the port of %s (%ld)", c->eni_id,
                   r->status);
    json_array_foreach(json_object_get(r->json, "ports"), i,
                       p) if (strcmp(neutron_or(neutron_str(p, "name")), c->eni_id) == 0)
        json_array_append_new(ids, json_string(neutron_or(neutron_str(p, "id"))));
    neutron_eni_delete_ports(req, c, ids);
}

/* The POST failed: a lost answer may still have made the port; look it up by name. */
static void
neutron_eni_post_failed(ec2gw_req_t *req, struct neutron_eni_create *c, const ec2gw_os_resp_t *r)
{
    static const struct neutron_errmap errors = { .quota = "NetworkInterfaceLimitExceeded" };
    const char *type = neutron_error_type(r);
    ec2gw_os_call_t call;

    if (r->status >= 400 && r->status < 500) {
        if (strcmp(type, "IpAddressGenerationFailure") == 0)
            ec2gw->fail(req, 400, "InsufficientFreeAddressesInSubnet",
                        "There are not enough free addresses in subnet '%s' to satisfy the "
                        "requested number of addresses",
                        c->subnet_id);
        else if (strcmp(type, "IpAddressAlreadyAllocated") == 0 ||
                 strcmp(type, "IpAddressInUse") == 0)
            ec2gw->fail(req, 400, "InvalidIPAddress.InUse", "%s", neutron_error_message(req, r));
        else if (r->status == 400)
            ec2gw->fail(req, 400, "InvalidParameterValue", "%s", neutron_error_message(req, r));
        else
            neutron_fail(req, r, &errors);
        return;
    }
    c->code = r->status == 0 || r->status >= 500 ? "Unavailable" : "InternalError";
    c->msg = "Neutron did not confirm the new port; nothing was created";
    call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "ports",
                     ec2gw->psprintf(req,
                                     "project_id=%s&name=%s&fields=id&"
                                     "fields=name",
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id),
                                     ec2gw->url_escape(req, c->eni_id))));
    if (ec2gw->os_call(req, &call, neutron_eni_lost_found, c) < 0)
        neutron_eni_create_failed(req, c);
}

/* -- the port is made --------------------------------------------------------------------- */

/* The primary: the asked one, else the first address Neutron gave that was not asked for. */
static const char *
neutron_eni_created_primary(const struct neutron_eni_create *c)
{
    const json_t *ip, *s;
    size_t i, j;

    if (c->primary != NULL)
        return c->primary;
    json_array_foreach(json_object_get(c->port, "fixed_ips"), i, ip)
    {
        const char *a = neutron_str(ip, "ip_address");
        int asked = 0;

        json_array_foreach(c->secondaries, j, s) asked |=
            a != NULL && strcmp(json_string_value(s), a) == 0;
        if (a != NULL && !asked)
            return a;
    }
    return NULL;
}

static void
neutron_eni_port_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_create *c = arg;
    const json_t *params = ec2gw->params(req);
    const char *token = neutron_str(params, "ClientToken");
    struct neutron_eni_view v = { 0 };
    json_t *data, *m, *ports;

    if (!ec2gw_os_ok(r) || neutron_str(json_object_get(r->json, "port"), "id") == NULL) {
        neutron_eni_post_failed(req, c, r);
        return;
    }
    ec2gw->own_json(req, r->json);
    c->port = json_object_get(r->json, "port");
    c->port_id = neutron_str(c->port, "id");
    data = neutron_own(req, json_pack("{s:s, s:s, s:s, s:s*, s:b, s:s*}", VPC_F_VPC_ID, c->vpc_id,
                                      VPC_F_SUBNET_ID, c->subnet_id, VPC_F_DESCRIPTION,
                                      neutron_or(neutron_param_str(req, "Description")),
                                      VPC_F_PRIVATE_IP_ADDRESS, neutron_eni_created_primary(c),
                                      VPC_F_SOURCE_DEST_CHECK, 1, "client_token", token));
    if (ec2gw->item_put(req, c->eni_id, c->port_id, data) != 0 ||
        (json_array_size(c->tags) > 0 && ec2gw->tags_set(req, c->eni_id, c->tags) != 0)) {
        neutron_eni_rollback(req, c, "InternalError",
                             "The network interface's row and tags could not be stored");
        return;
    }
    ports = neutron_own(req, json_pack("[O]", c->port));
    v.subnets = neutron_own(req, json_object());
    json_object_set_new(v.subnets, c->subnet_os,
                        json_pack("{s:s, s:s, s:s*}", "id", c->subnet_id, "vpc_id", c->vpc_id,
                                  "availability_zone", c->ni->availability_zone));
    neutron_eni_view_build(req, &v, ports, c->groups, NULL);
    if ((m = neutron_eni_model(req, &v, c->port)) == NULL) {
        neutron_eni_rollback(req, c, "InternalError", "Could not describe the new interface");
        return;
    }
    json_object_set(m, "TagSet", c->tags);
    ec2gw->finish(req, json_pack("{s:o, s:s*}", "NetworkInterface", m, "ClientToken", token));
}

/* The fixed_ips of the POST: the primary first, then the secondaries. */
static json_t *
neutron_eni_fixed_ips(const struct neutron_eni_create *c)
{
    json_t *out = json_array();
    const json_t *s;
    size_t i;

    json_array_append_new(
        out, c->primary != NULL
                 ? json_pack("{s:s, s:s}", "subnet_id", c->subnet_os, "ip_address", c->primary)
                 : json_pack("{s:s}", "subnet_id", c->subnet_os));
    json_array_foreach(c->secondaries, i, s) json_array_append_new(
        out, json_pack("{s:s, s:O}", "subnet_id", c->subnet_os, "ip_address", s));
    for (json_int_t k = 0; k < c->count; k++)
        json_array_append_new(out, json_pack("{s:s}", "subnet_id", c->subnet_os));
    return out;
}

/* Every asked address inside the subnet's CIDR; -1 after answering. */
static int
neutron_eni_check_range(ec2gw_req_t *req, struct neutron_eni_create *c, const char *cidr)
{
    const json_t *s;
    size_t i;

    if (c->primary != NULL && !neutron_eni_ip_in(c->primary, cidr)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Address %s does not fall within the subnet's address range (%s)", c->primary,
                    cidr);
        return -1;
    }
    json_array_foreach(c->secondaries, i, s)
    {
        if (!neutron_eni_ip_in(json_string_value(s), cidr)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Address %s does not fall within the subnet's address range (%s)",
                        json_string_value(s), cidr);
            return -1;
        }
    }
    return 0;
}

static void
neutron_eni_create_looked(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_eni_create *c = arg;
    const json_t *subnet = json_object_get(r[0]->json, "subnet"), *g;
    json_t *sg_ids = neutron_own(req, json_array()), *vpc = NULL, *opts, *body;
    ec2gw_os_call_t call;
    size_t i;

    (void)n;
    if (r[0]->status == 404) {
        ec2gw->fail(req, 400, "InvalidSubnetID.NotFound", "The subnet ID '%.64s' does not exist",
                    c->subnet_id);
        return;
    }
    if (neutron_first_failure(r, n) >= 0) {
        neutron_fail(req, r[neutron_first_failure(r, n)], NULL);
        return;
    }
    if (neutron_eni_check_range(req, c, neutron_str(subnet, "cidr")) != 0)
        return;
    ec2gw->own_json(req, r[1]->json);
    c->groups = json_object_get(r[1]->json, "security_groups");
    json_array_foreach(c->groups, i, g)
        json_array_append_new(sg_ids, json_string(neutron_or(neutron_str(g, "id"))));
    if (json_array_size(sg_ids) == 0 ||
        (c->group_os != NULL && json_array_size(sg_ids) < json_array_size(c->group_os))) {
        if (c->group_os != NULL)
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "A security group of Groups does not exist");
        else
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The default security group of VPC '%s' does not exist", c->vpc_id);
        return;
    }
    if (ec2gw->item_get(req, c->vpc_id, &vpc) != 0)
        vpc = json_object();
    neutron_own(req, vpc);
    body = neutron_own(req, json_pack("{s:{s:s, s:s, s:o, s:O}}", "port", "network_id",
                                      c->network_id, "name", c->eni_id, "fixed_ips",
                                      neutron_eni_fixed_ips(c), "security_groups", sg_ids));
    if ((opts = neutron_dopt_port_opts(req, vpc)) != NULL)
        json_object_set_new(json_object_get(body, "port"), "extra_dhcp_opts", opts);
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/ports", .body = body);
    if (ec2gw->os_call(req, &call, neutron_eni_port_made, c) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_create_network_interface(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_create *c = ec2gw->pcalloc(req, sizeof(*c));
    const json_t *params = ec2gw->params(req);
    const char *desc = neutron_param_str(req, "Description");
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    char *q;
    ec2gw_os_call_t calls[2];

    c->ni = inst;
    c->subnet_id = neutron_param_str(req, "SubnetId");
    if (neutron_eni_create_unsupported(req, params) != 0 ||
        neutron_check_tag_specs(req, "network-interface") != 0)
        return EC2GW_OK;
    c->tags = neutron_own(req, neutron_tag_specs(params, "network-interface"));
    if (!neutron_eni_tags_ok(req, c->tags))
        return EC2GW_OK;
    if (desc != NULL && strlen(desc) > 255) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value for Description: at most 255 characters are allowed");
        return EC2GW_OK;
    }
    if (neutron_eni_create_addresses(req, params, c) != 0 ||
        neutron_eni_create_subnet(req, c) != 0 || neutron_eni_create_groups(req, params, c) != 0)
        return EC2GW_OK;
    if (ec2gw->new_id(req, VPC_KIND_ENI, &c->eni_id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not draw a network interface id");
        return EC2GW_OK;
    }
    q = ec2gw->psprintf(req, "project_id=%s&fields=id&fields=name", project);
    if (c->group_os != NULL)
        q = neutron_query_add(req, q, "id", c->group_os);
    else
        q = ec2gw->psprintf(req, "%s&name=%s%s", q, VPC_SG_DEFAULT_PREFIX,
                            ec2gw->url_escape(req, c->vpc_id));
    calls[0] = EC2GW_OS_GET(
        "network", ec2gw->psprintf(req, "/v2.0/subnets/%s", ec2gw->url_escape(req, c->subnet_os)));
    calls[1] = EC2GW_OS_GET("network", neutron_path(req, "security-groups", q));
    if (ec2gw->os_fanout(req, calls, 2, neutron_eni_create_looked, c) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
