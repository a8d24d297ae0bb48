/*
 * eni_model.c - the EC2 NetworkInterface of a Neutron port (openstack-mapping.md §16.7) and
 * the filter values of DescribeNetworkInterfaces.
 *
 * Neutron is the truth for what it holds (addresses, groups, MAC, attachment to a server,
 * source/destination check as allowed_address_pairs 0.0.0.0/0); the row adds what only EC2
 * knows (description, device index, attach time, delete-on-termination, the primary address).
 * A port Nova made for an instance has no row: it shows as device 0, deleted with the instance.
 */
#include <string.h>

#include "eni.h"

static void
neutron_eni_set_add(json_t *set, const char *key)
{
    if (key != NULL && key[0] != '\0')
        json_object_set_new(set, key, json_true());
}

static int
neutron_eni_is_compute(const json_t *port)
{
    const char *owner = neutron_str(port, "device_owner");

    return owner != NULL && strncmp(owner, "compute:", 8) == 0;
}

/* The keys of @p set (stolen) mapped to ids of @p kind. */
static json_t *
neutron_eni_map_set(ec2gw_req_t *req, const char *kind, json_t *set)
{
    json_t *objs = json_array(), *map;
    const char *k;
    json_t *v;

    json_object_foreach(set, k, v) json_array_append_new(objs, json_pack("{s:s}", "id", k));
    map = neutron_map_ids(req, kind, objs);
    json_decref(objs);
    json_decref(set);
    return map;
}

/* items_get of every value of @p map (id strings): returns pool-owned {id: data}. */
static json_t *
neutron_eni_rows(ec2gw_req_t *req, json_t *map)
{
    size_t n = json_object_size(map), i = 0;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *out = NULL;
    const char *k;
    json_t *v;

    json_object_foreach(map, k, v) ids[i++] = json_string_value(v);
    if (n == 0 || ec2gw->items_get(req, ids, n, &out) != 0 || out == NULL)
        return neutron_own(req, json_object());
    return neutron_own(req, out);
}

void
neutron_eni_view_build(ec2gw_req_t *req, struct neutron_eni_view *v, const json_t *ports,
                       const json_t *sgs, const json_t *fips)
{
    json_t *insts = json_object(), *sg_ids, *sg_rows, *port;
    const json_t *g;
    size_t i;

    v->enis = neutron_map_ids(req, "eni", ports);
    v->data = neutron_eni_rows(req, v->enis);
    json_array_foreach(ports, i, port) if (neutron_eni_is_compute(port))
        neutron_eni_set_add(insts, neutron_str(port, "device_id"));
    v->insts = neutron_eni_map_set(req, "i", insts);
    v->fips = fips;
    v->allocs = neutron_map_ids(req, "eipalloc", fips);
    sg_ids = neutron_map_ids(req, "sg", sgs);
    sg_rows = neutron_eni_rows(req, sg_ids);
    v->groups = neutron_own(req, json_object());
    json_array_foreach(sgs, i, g)
    {
        const char *os = neutron_str(g, "id");
        const char *id = json_string_value(json_object_get(sg_ids, neutron_or(os)));
        const char *name = neutron_str(json_object_get(sg_rows, neutron_or(id)), VPC_F_GROUP_NAME);

        if (os == NULL || id == NULL)
            continue;
        json_object_set_new(v->groups, os,
                            json_pack("{s:s, s:s}", "id", id, "name",
                                      name != NULL ? name : neutron_or(neutron_str(g, "name"))));
    }
}

/* The EC2 Association of the floating IP on @p port / @p addr, or NULL. */
static json_t *
neutron_eni_assoc(ec2gw_req_t *req, const struct neutron_eni_view *v, const json_t *port,
                  const char *addr)
{
    const char *owner = ec2gw->identity(req)->owner_id;
    const json_t *f;
    size_t i;

    json_array_foreach(v->fips, i, f)
    {
        const char *alloc =
            json_string_value(json_object_get(v->allocs, neutron_or(neutron_str(f, "id"))));
        const char *hex = alloc != NULL ? strchr(alloc, '-') : NULL;

        if (strcmp(neutron_or(neutron_str(f, "port_id")), neutron_or(neutron_str(port, "id"))) !=
                0 ||
            strcmp(neutron_or(neutron_str(f, "fixed_ip_address")), addr) != 0)
            continue;
        return json_pack(
            "{s:s, s:s*, s:s*, s:s}", "PublicIp", neutron_or(neutron_str(f, "floating_ip_address")),
            "AllocationId", alloc, "AssociationId",
            hex != NULL ? ec2gw->psprintf(req, "eipassoc%s", hex) : NULL, "IpOwnerId", owner);
    }
    return NULL;
}

/* PrivateIpAddresses, the primary first; each with its Association. */
static json_t *
neutron_eni_addresses(ec2gw_req_t *req, const struct neutron_eni_view *v, const json_t *port,
                      const char *primary)
{
    json_t *out = json_array();
    const json_t *ip;
    size_t i;

    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach(json_object_get(port, "fixed_ips"), i, ip)
        {
            const char *a = neutron_str(ip, "ip_address");
            int is_primary = a != NULL && primary != NULL && strcmp(a, primary) == 0;
            json_t *m, *assoc;

            if (a == NULL || strchr(a, ':') != NULL || is_primary != (pass == 0))
                continue;
            m = json_pack("{s:s, s:b}", "PrivateIpAddress", a, "Primary", is_primary);
            if ((assoc = neutron_eni_assoc(req, v, port, a)) != NULL)
                json_object_set_new(m, "Association", assoc);
            json_array_append_new(out, m);
        }
    }
    return out;
}

static json_t *
neutron_eni_groups(const struct neutron_eni_view *v, const json_t *port)
{
    json_t *out = json_array();
    const json_t *g;
    size_t i;

    json_array_foreach(json_object_get(port, "security_groups"), i, g)
    {
        const json_t *known = json_object_get(v->groups, neutron_or(json_string_value(g)));

        if (known != NULL)
            json_array_append_new(out,
                                  json_pack("{s:O, s:O}", "GroupId", json_object_get(known, "id"),
                                            "GroupName", json_object_get(known, "name")));
    }
    return out;
}

static json_t *
neutron_eni_attachment(ec2gw_req_t *req, const struct neutron_eni_view *v, const json_t *port,
                       const char *eni_id, const json_t *data)
{
    const char *inst =
        json_string_value(json_object_get(v->insts, neutron_or(neutron_str(port, "device_id"))));
    const json_t *index = json_object_get(data, VPC_F_DEVICE_INDEX);
    const json_t *dot = json_object_get(data, VPC_F_DELETE_ON_TERMINATION);
    json_t *m;

    if (!neutron_eni_is_compute(port) || inst == NULL)
        return NULL;
    /* a port Nova made for the instance (no index stored) is its first, deleted with it */
    m = json_pack("{s:s, s:s, s:I, s:s, s:b, s:s}", "AttachmentId",
                  neutron_or(neutron_eni_attach_id(req, eni_id)), "InstanceId", inst, "DeviceIndex",
                  index != NULL ? json_integer_value(index) : (json_int_t)0, "Status", "attached",
                  "DeleteOnTermination", dot != NULL ? json_is_true(dot) : index == NULL,
                  "InstanceOwnerId", ec2gw->identity(req)->owner_id);
    if (neutron_str(data, VPC_F_ATTACH_TIME) != NULL)
        json_object_set_new(m, "AttachTime", json_string(neutron_str(data, VPC_F_ATTACH_TIME)));
    return m;
}

json_t *
neutron_eni_model(ec2gw_req_t *req, const struct neutron_eni_view *v, const json_t *port)
{
    const char *port_id = neutron_or(neutron_str(port, "id"));
    const char *eni_id = json_string_value(json_object_get(v->enis, port_id));
    const json_t *data = json_object_get(v->data, neutron_or(eni_id));
    const json_t *ip = json_array_get(json_object_get(port, "fixed_ips"), 0);
    const json_t *subnet = json_object_get(v->subnets, neutron_or(neutron_str(ip, "subnet_id")));
    const char *primary = neutron_eni_primary(port, data);
    const char *owner = neutron_or(neutron_str(port, "device_owner"));
    const json_t *desc = json_object_get(data, VPC_F_DESCRIPTION);
    json_t *m, *attachment, *assoc;

    if (eni_id == NULL || subnet == NULL)
        return NULL;
    m = json_pack(
        "{s:s, s:s, s:s*, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:o, s:o, s:[]}",
        "NetworkInterfaceId", eni_id, "SubnetId", neutron_str(subnet, "id"), "VpcId",
        neutron_str(subnet, "vpc_id"), "AvailabilityZone",
        neutron_str(subnet, "availability_zone") != NULL ? neutron_str(subnet, "availability_zone")
                                                         : neutron_or(v->zone),
        "Description", neutron_or(json_string_value(desc)), "OwnerId",
        ec2gw->identity(req)->owner_id, "MacAddress", neutron_or(neutron_str(port, "mac_address")),
        "InterfaceType", "interface", "RequesterManaged", strncmp(owner, "network:", 8) == 0,
        "SourceDestCheck", !neutron_eni_sdc_off(port), "Status",
        neutron_str(port, "device_id") != NULL && neutron_str(port, "device_id")[0] ? "in-use"
                                                                                    : "available",
        "Groups", neutron_eni_groups(v, port), "PrivateIpAddresses",
        neutron_eni_addresses(req, v, port, primary), "TagSet");
    if (m == NULL)
        return NULL;
    if (primary != NULL) {
        json_object_set_new(m, "PrivateIpAddress", json_string(primary));
        if ((assoc = neutron_eni_assoc(req, v, port, primary)) != NULL)
            json_object_set_new(m, "Association", assoc);
    }
    if ((attachment = neutron_eni_attachment(req, v, port, eni_id, data)) != NULL)
        json_object_set_new(m, "Attachment", attachment);
    return m;
}

/* -- filters ----------------------------------------------------------------------------- */

static void
neutron_eni_add(json_t *values, const char *s)
{
    if (s != NULL)
        json_array_append_new(values, json_string(s));
}

static void
neutron_eni_add_bool(json_t *values, const json_t *b)
{
    if (json_is_boolean(b))
        json_array_append_new(values, json_string(json_is_true(b) ? "true" : "false"));
}

static void
neutron_eni_add_int(ec2gw_req_t *req, json_t *values, const json_t *i)
{
    if (json_is_integer(i))
        json_array_append_new(
            values, json_string(ec2gw->psprintf(req, "%lld", (long long)json_integer_value(i))));
}

/* Values of member @p member of each element of array @p list of @p it (optionally inside
 * @p sub). */
static void
neutron_eni_add_each(json_t *values, const json_t *it, const char *list, const char *sub,
                     const char *member)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(it, list), i, e)
    {
        const json_t *o = sub != NULL ? json_object_get(e, sub) : e;
        const json_t *val = json_object_get(o, member);

        if (json_is_string(val))
            neutron_eni_add(values, json_string_value(val));
        else
            neutron_eni_add_bool(values, val);
    }
}

int
neutron_eni_filter_values(ec2gw_req_t *req, const json_t *it, const char *name, json_t *values,
                          void *arg)
{
    static const struct {
        const char *filter, *member;
    } direct[] = {
        { "availability-zone", "AvailabilityZone" },
        { "description", "Description" },
        { "mac-address", "MacAddress" },
        { "network-interface-id", "NetworkInterfaceId" },
        { "owner-id", "OwnerId" },
        { "private-ip-address", "PrivateIpAddress" },
        { "status", "Status" },
        { "subnet-id", "SubnetId" },
        { "vpc-id", "VpcId" },
        { "interface-type", "InterfaceType" },
    };
    const struct neutron_eni_view *v = arg;
    const json_t *att = json_object_get(it, "Attachment");
    const json_t *assoc = json_object_get(it, "Association");
    const json_t *data;

    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
        if (strcmp(name, direct[i].filter) == 0) {
            neutron_eni_add(values, neutron_str(it, direct[i].member));
            return 0;
        }
    }
    if (strcmp(name, "requester-managed") == 0)
        neutron_eni_add_bool(values, json_object_get(it, "RequesterManaged"));
    else if (strcmp(name, "source-dest-check") == 0)
        neutron_eni_add_bool(values, json_object_get(it, "SourceDestCheck"));
    else if (strcmp(name, "group-id") == 0)
        neutron_eni_add_each(values, it, "Groups", NULL, "GroupId");
    else if (strcmp(name, "group-name") == 0)
        neutron_eni_add_each(values, it, "Groups", NULL, "GroupName");
    else if (strcmp(name, "addresses.private-ip-address") == 0)
        neutron_eni_add_each(values, it, "PrivateIpAddresses", NULL, "PrivateIpAddress");
    else if (strcmp(name, "addresses.primary") == 0)
        neutron_eni_add_each(values, it, "PrivateIpAddresses", NULL, "Primary");
    else if (strcmp(name, "addresses.association.public-ip") == 0)
        neutron_eni_add_each(values, it, "PrivateIpAddresses", "Association", "PublicIp");
    else if (strcmp(name, "addresses.association.owner-id") == 0)
        neutron_eni_add_each(values, it, "PrivateIpAddresses", "Association", "IpOwnerId");
    else if (strcmp(name, "association.association-id") == 0)
        neutron_eni_add(values, neutron_str(assoc, "AssociationId"));
    else if (strcmp(name, "association.allocation-id") == 0)
        neutron_eni_add(values, neutron_str(assoc, "AllocationId"));
    else if (strcmp(name, "association.ip-owner-id") == 0)
        neutron_eni_add(values, neutron_str(assoc, "IpOwnerId"));
    else if (strcmp(name, "association.public-ip") == 0)
        neutron_eni_add(values, neutron_str(assoc, "PublicIp"));
    else if (strcmp(name, "association.public-dns-name") == 0)
        neutron_eni_add(values, neutron_str(assoc, "PublicDnsName"));
    else if (strcmp(name, "attachment.attachment-id") == 0)
        neutron_eni_add(values, neutron_str(att, "AttachmentId"));
    else if (strcmp(name, "attachment.instance-id") == 0)
        neutron_eni_add(values, neutron_str(att, "InstanceId"));
    else if (strcmp(name, "attachment.instance-owner-id") == 0)
        neutron_eni_add(values, neutron_str(att, "InstanceOwnerId"));
    else if (strcmp(name, "attachment.device-index") == 0)
        neutron_eni_add_int(req, values, json_object_get(att, "DeviceIndex"));
    else if (strcmp(name, "attachment.status") == 0)
        neutron_eni_add(values, neutron_str(att, "Status"));
    else if (strcmp(name, "attachment.attach-time") == 0 ||
             strcmp(name, "attachment.attach.time") == 0)
        neutron_eni_add(values, neutron_str(att, "AttachTime"));
    else if (strcmp(name, "attachment.delete-on-termination") == 0)
        neutron_eni_add_bool(values, json_object_get(att, "DeleteOnTermination"));
    else if (strcmp(name, "client-token") == 0) {
        data = json_object_get(v->data, neutron_or(neutron_str(it, "NetworkInterfaceId")));
        neutron_eni_add(values, neutron_str(data, "client_token"));
    } else
        return EC2GW_E_NOTFOUND;
    return 0;
}
