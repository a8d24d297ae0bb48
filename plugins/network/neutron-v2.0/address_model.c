/*
 * address_model.c - the EC2 Address of a Neutron floating IP, its filter values, and the id
 * helpers of the Elastic IP actions (openstack-mapping.md §10, §18.2).
 *
 * Every floating IP of the project has an eipalloc- id (floating IPs made directly in Neutron
 * get one the first time they are described, so VPC-mode users can release them). An
 * association id is derived, never stored: eipassoc-<the hex of the eipalloc>, as ec2-api did.
 * An address allocated with Domain=standard keeps {"domain": "standard"} in its row and shows,
 * as on AWS, without allocation and association ids.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addresses.h"

static void
neutron_set_add(json_t *set, const char *key)
{
    if (key != NULL && key[0] != '\0')
        json_object_set_new(set, key, json_true());
}

/* The keys of @p set mapped to EC2 ids of @p kind (uuid → id, pool-owned). */
static json_t *
neutron_addr_map_set(ec2gw_req_t *req, const char *kind, json_t *set)
{
    json_t *objs = json_array(), *map;
    const char *k;
    json_t *v;

    json_object_foreach(set, k, v) json_array_append_new(objs, json_pack("{s:s}", "id", k));
    map = neutron_map_ids(req, kind, objs);
    json_decref(objs);
    return map;
}

static int
neutron_is_compute_port(const json_t *port)
{
    const char *owner = neutron_str(port, "device_owner");

    return owner != NULL && strncmp(owner, "compute:", 8) == 0;
}

void
neutron_addr_view_build(ec2gw_req_t *req, struct neutron_addr_view *v, const json_t *fips,
                        const json_t *ports)
{
    json_t *set_port = json_object(), *set_dev = json_object(), *set_sub = json_object();
    const json_t *list = json_object_get(fips, "floatingips"), *f, *p, *ip;
    size_t i, j, n;
    const char **ids;
    const char *k;
    json_t *data = NULL, *val, *port;

    memset(v, 0, sizeof(*v));
    v->ports = neutron_own(req, json_object());
    v->allocs = neutron_map_ids(req, "eipalloc", list);
    json_array_foreach(json_object_get(ports, "ports"), i, port)
    {
        if (neutron_str(port, "id") != NULL)
            json_object_set(v->ports, neutron_str(port, "id"), port);
    }
    json_array_foreach(list, i, f)
    {
        const char *port_id = neutron_str(f, "port_id");

        if (port_id == NULL)
            continue;
        neutron_set_add(set_port, port_id);
        p = json_object_get(v->ports, port_id);
        if (neutron_is_compute_port(p))
            neutron_set_add(set_dev, neutron_str(p, "device_id"));
        json_array_foreach(
            json_object_get(p, "fixed_ips"), j,
            ip) if (neutron_str(ip, "ip_address") != NULL && neutron_str(f, "fixed_ip_address") &&
                    strcmp(neutron_str(ip, "ip_address"), neutron_str(f, "fixed_ip_address")) == 0)
            neutron_set_add(set_sub, neutron_str(ip, "subnet_id"));
    }
    v->enis = neutron_addr_map_set(req, "eni", set_port);
    v->insts = neutron_addr_map_set(req, "i", set_dev);
    v->subnets = neutron_addr_map_set(req, "subnet", set_sub);
    /* the rows' data (domain), one query */
    n = json_object_size(v->allocs);
    ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    i = 0;
    json_object_foreach(v->allocs, k, val) ids[i++] = json_string_value(val);
    if (n > 0 && ec2gw->items_get(req, ids, n, &data) == 0)
        v->data = neutron_own(req, data);
    else
        v->data = neutron_own(req, json_object());
    json_decref(set_port);
    json_decref(set_dev);
    json_decref(set_sub);
}

int
neutron_addr_is_standard(const json_t *data)
{
    const char *d = neutron_str(data, "domain");

    return d != NULL && strcmp(d, "standard") == 0;
}

/* The subnet- of the fixed IP @p addr of @p port, or NULL. */
static const char *
neutron_addr_subnet(const struct neutron_addr_view *v, const json_t *port, const char *addr)
{
    const json_t *ip;
    size_t i;

    json_array_foreach(json_object_get(port, "fixed_ips"), i, ip)
    {
        const char *a = neutron_str(ip, "ip_address");

        if (a != NULL && addr != NULL && strcmp(a, addr) == 0)
            return neutron_str(v->subnets, neutron_or(neutron_str(ip, "subnet_id")));
    }
    return NULL;
}

static void
neutron_set_str(json_t *obj, const char *key, const char *value)
{
    if (value != NULL)
        json_object_set_new(obj, key, json_string(value));
}

json_t *
neutron_addr_model(ec2gw_req_t *req, const struct neutron_addr_view *v, const json_t *fip)
{
    const char *alloc = neutron_str(v->allocs, neutron_or(neutron_str(fip, "id")));
    const char *port_id = neutron_str(fip, "port_id");
    const json_t *data = alloc != NULL ? json_object_get(v->data, alloc) : NULL;
    int standard = neutron_addr_is_standard(data);
    json_t *m = json_pack("{s:s, s:s, s:s}", "PublicIp",
                          neutron_or(neutron_str(fip, "floating_ip_address")), "Domain",
                          standard ? "standard" : "vpc", "NetworkBorderGroup",
                          neutron_or(ec2gw->identity(req)->region));

    if (m == NULL)
        return NULL;
    neutron_set_str(m, "AllocationId", alloc);
    neutron_set_str(m, "PublicIpv4Pool", neutron_str(fip, "floating_network_id"));
    if (port_id != NULL) {
        const json_t *port = json_object_get(v->ports, port_id);
        const char *fixed = neutron_str(fip, "fixed_ip_address");

        if (alloc != NULL)
            neutron_set_str(m, "AssociationId", neutron_addr_assoc_id(req, alloc));
        neutron_set_str(m, "NetworkInterfaceId", neutron_str(v->enis, port_id));
        neutron_set_str(m, "NetworkInterfaceOwnerId", ec2gw->identity(req)->owner_id);
        neutron_set_str(m, "PrivateIpAddress", fixed);
        if (neutron_is_compute_port(port))
            neutron_set_str(m, "InstanceId",
                            neutron_str(v->insts, neutron_or(neutron_str(port, "device_id"))));
        neutron_set_str(m, "SubnetId", neutron_addr_subnet(v, port, fixed));
    }
    return m;
}

void
neutron_addr_strip(json_t *addresses)
{
    json_t *a;
    size_t i;

    json_array_foreach(addresses, i, a)
    {
        const char *d = neutron_str(a, "Domain");

        if (d != NULL && strcmp(d, "standard") == 0) {
            json_object_del(a, "AllocationId");
            json_object_del(a, "AssociationId");
        }
    }
}

int
neutron_addr_filter_values(ec2gw_req_t *req, const json_t *it, const char *name, json_t *values,
                           void *arg)
{
    static const struct {
        const char *filter, *member;
    } direct[] = {
        { "allocation-id", "AllocationId" },
        { "association-id", "AssociationId" },
        { "domain", "Domain" },
        { "instance-id", "InstanceId" },
        { "network-border-group", "NetworkBorderGroup" },
        { "network-interface-id", "NetworkInterfaceId" },
        { "network-interface-owner-id", "NetworkInterfaceOwnerId" },
        { "private-ip-address", "PrivateIpAddress" },
        { "public-ip", "PublicIp" },
    };
    const char *d = neutron_str(it, "Domain");
    int standard = d != NULL && strcmp(d, "standard") == 0;

    (void)req;
    (void)arg;
    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
        const char *v;

        if (strcmp(name, direct[i].filter) != 0)
            continue;
        /* a standard address has no allocation or association id on AWS */
        if (standard && i < 2)
            return 0;
        if ((v = neutron_str(it, direct[i].member)) != NULL)
            json_array_append_new(values, json_string(v));
        return 0;
    }
    return EC2GW_E_NOTFOUND;
}

/* The hex part of "<kind>-<hex>", or NULL when @p id is not of @p kind. */
static const char *
neutron_id_hex(const char *id, const char *kind)
{
    size_t n = strlen(kind);

    if (id == NULL || strncmp(id, kind, n) != 0 || id[n] != '-')
        return NULL;
    return id + n + 1;
}

const char *
neutron_addr_assoc_id(ec2gw_req_t *req, const char *alloc_id)
{
    const char *hex = neutron_id_hex(alloc_id, "eipalloc");

    return hex != NULL ? ec2gw->psprintf(req, "eipassoc-%s", hex) : NULL;
}

const char *
neutron_addr_alloc_of_assoc(ec2gw_req_t *req, const char *assoc_id)
{
    const char *hex = neutron_id_hex(assoc_id, "eipassoc");

    return hex != NULL ? ec2gw->psprintf(req, "eipalloc-%s", hex) : NULL;
}

int
neutron_addr_ipv4_ok(const char *s)
{
    struct in_addr a;

    return s != NULL && strlen(s) <= 15 && inet_pton(AF_INET, s, &a) == 1;
}

int
neutron_addr_alloc_os(ec2gw_req_t *req, const char *id, const char **os_id)
{
    int rc =
        neutron_id_hex(id, "eipalloc") != NULL ? ec2gw->id_to_os(req, id, os_id) : EC2GW_E_INVAL;

    if (rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, "InvalidAllocationID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"eipalloc-...\")", neutron_or(id));
        return -1;
    }
    if (rc != 0 || *os_id == NULL) {
        ec2gw->fail(req, 400, "InvalidAllocationID.NotFound",
                    "The allocation ID '%s' does not exist", id);
        return -1;
    }
    return 0;
}

int
neutron_addr_check_border_group(ec2gw_req_t *req)
{
    const char *g = neutron_param_str(req, "NetworkBorderGroup");
    const char *region = ec2gw->identity(req)->region;

    if (g == NULL || (region != NULL && strcmp(g, region) == 0))
        return 0;
    ec2gw->fail(req, 400, "InvalidParameterValue",
                "NetworkBorderGroup '%.64s' is not valid: this cloud has one network border "
                "group, the region %s",
                g, neutron_or(region));
    return -1;
}

json_t *
neutron_addr_data(ec2gw_req_t *req, const char *alloc_id)
{
    json_t *data = NULL;

    if (alloc_id == NULL || ec2gw->item_get(req, alloc_id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        return json_object();
    }
    return data;
}
