/*
 * instance_view.c - what DescribeInstances knows besides the servers, gathered once per
 * request: every EC2 id mapped in one batch per kind (a database round trip per kind, not per
 * server), item data in one query, Neutron ports per server, Cinder volumes by id.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nova.h"

/* The keys of @p set (an object) mapped to EC2 ids of @p kind into @p map (uuid → id). */
void
nova_map_kind(ec2gw_req_t *req, const char *kind, json_t *set, json_t *map)
{
    size_t n = json_object_size(set), i = 0;
    const char **os = ec2gw->pcalloc(req, (n + 1) * sizeof(*os));
    const char **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));
    const char *k;
    json_t *v;

    if (n == 0)
        return;
    json_object_foreach(set, k, v) os[i++] = k;
    if (EC2GW_HOST_HAS(ec2gw, ids_to_ec2)) {
        if (ec2gw->ids_to_ec2(req, kind, os, n, out) != 0)
            return;
    } else {
        for (i = 0; i < n; i++)
            if (ec2gw->id_to_ec2(req, kind, os[i], &out[i]) != 0)
                out[i] = NULL;
    }
    for (i = 0; i < n; i++)
        if (out[i] != NULL)
            json_object_set_new(map, os[i], json_string(out[i]));
}

static void
nova_set_add(json_t *set, const char *key)
{
    if (key != NULL && key[0] != '\0')
        json_object_set_new(set, key, json_true());
}

static int
nova_port_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *cx = nova_str(x, "created_at"), *cy = nova_str(y, "created_at");
    int c = strcmp(cx ? cx : "", cy ? cy : "");

    if (c != 0)
        return c;
    cx = nova_str(x, "id");
    cy = nova_str(y, "id");
    return strcmp(cx ? cx : "", cy ? cy : "");
}

/* Ports grouped by server, each list in device-index order (oldest port first). */
static json_t *
nova_ports_by_server(const json_t *servers_by_id, const json_t *ports)
{
    json_t *by = json_object(), *list, *p;
    const char *k;
    size_t i;

    json_array_foreach(json_object_get(ports, "ports"), i, p)
    {
        const char *dev = nova_str(p, "device_id");

        if (dev == NULL || json_object_get(servers_by_id, dev) == NULL)
            continue;
        if ((list = json_object_get(by, dev)) == NULL) {
            list = json_array();
            json_object_set_new(by, dev, list);
        }
        json_array_append(list, p);
    }
    json_object_foreach(by, k, list)
    {
        size_t n = json_array_size(list);
        json_t **v = malloc((n ? n : 1) * sizeof(*v));

        if (v == NULL)
            continue;
        for (i = 0; i < n; i++)
            v[i] = json_incref(json_array_get(list, i));
        qsort(v, n, sizeof(*v), nova_port_cmp);
        json_array_clear(list);
        for (i = 0; i < n; i++)
            json_array_append_new(list, v[i]);
        free(v);
    }
    return by;
}

void
nova_view_build(ec2gw_req_t *req, struct nova_view *v, const json_t *servers, const json_t *groups,
                const json_t *ports, const json_t *volumes)
{
    json_t *set_i = json_object(), *set_ami = json_object(), *set_eni = json_object();
    json_t *set_sub = json_object(), *set_vol = json_object(), *set_sg = json_object();
    json_t *set_aki = json_object(), *set_ari = json_object();
    json_t *by_id = json_object(), *plist, *s, *e;
    const json_t *p;
    const char *uuid;
    size_t i, j, k, n;
    const char **ids;
    json_t *data = NULL;

    memset(v, 0, sizeof(*v));
    v->ids = nova_own(req, json_object());
    v->amis = nova_own(req, json_object());
    v->akis = nova_own(req, json_object());
    v->aris = nova_own(req, json_object());
    v->enis = nova_own(req, json_object());
    v->subnets = nova_own(req, json_object());
    v->vols = nova_own(req, json_object());
    v->groups = nova_own(req, json_object());
    v->groups_by_name = nova_own(req, json_object());
    v->volumes = nova_own(req, json_object());
    json_array_foreach(servers, i, s)
    {
        nova_set_add(set_i, nova_str(s, "id"));
        nova_set_add(set_ami, nova_str(json_object_get(s, "image"), "id"));
        nova_set_add(set_aki, nova_str(s, "OS-EXT-SRV-ATTR:kernel_id"));
        nova_set_add(set_ari, nova_str(s, "OS-EXT-SRV-ATTR:ramdisk_id"));
        if (nova_str(s, "id") != NULL)
            json_object_set(by_id, nova_str(s, "id"), s);
        json_array_foreach(json_object_get(s, "os-extended-volumes:volumes_attached"), j, e)
            nova_set_add(set_vol, nova_str(e, "id"));
    }
    v->ports = nova_own(req, nova_ports_by_server(by_id, ports));
    json_object_foreach(v->ports, uuid, plist)
    {
        json_array_foreach(plist, j, p)
        {
            nova_set_add(set_eni, nova_str(p, "id"));
            json_array_foreach(json_object_get(p, "fixed_ips"), k, e)
                nova_set_add(set_sub, nova_str(e, "subnet_id"));
        }
    }
    json_array_foreach(json_object_get(groups, "security_groups"), i, e)
        nova_set_add(set_sg, nova_str(e, "id"));
    json_array_foreach(json_object_get(volumes, "volumes"), i, e) if (nova_str(e, "id") != NULL)
        json_object_set(v->volumes, nova_str(e, "id"), e);
    nova_map_kind(req, "i", set_i, v->ids);
    nova_map_kind(req, "ami", set_ami, v->amis);
    nova_map_kind(req, "aki", set_aki, v->akis);
    nova_map_kind(req, "ari", set_ari, v->aris);
    nova_map_kind(req, "eni", set_eni, v->enis);
    nova_map_kind(req, "subnet", set_sub, v->subnets);
    v->vpcs = nova_own(req, nova_subnet_vpcs(req, v->subnets));
    nova_map_kind(req, "vol", set_vol, v->vols);
    nova_map_kind(req, "sg", set_sg, v->groups);
    /* group names → sg- ids (the server lists groups by name); first of a name wins */
    json_array_foreach(json_object_get(groups, "security_groups"), i, e)
    {
        const char *name = nova_str(e, "name"), *id = nova_str(v->groups, nova_str(e, "id"));

        if (name != NULL && id != NULL && json_object_get(v->groups_by_name, name) == NULL)
            json_object_set_new(v->groups_by_name, name, json_string(id));
        if (id != NULL && name != NULL)
            json_object_set_new(v->groups, nova_str(e, "id"),
                                json_pack("{s:s, s:s}", "GroupId", id, "GroupName", name));
    }
    nova_group_names(req, v->groups);
    /* item data of every mapped instance, one query */
    n = json_object_size(v->ids);
    ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    i = 0;
    json_object_foreach(v->ids, uuid, s) ids[i++] = json_string_value(s);
    if (n > 0 && EC2GW_HOST_HAS(ec2gw, items_get) && ec2gw->items_get(req, ids, n, &data) == 0)
        v->data = nova_own(req, data);
    json_decref(set_i);
    json_decref(set_ami);
    json_decref(set_aki);
    json_decref(set_ari);
    json_decref(set_eni);
    json_decref(set_sub);
    json_decref(set_vol);
    json_decref(set_sg);
    json_decref(by_id);
}

/* -- the device and interface views of one server --------------------------------------- */

static const char *
nova_volume_status(const char *cinder)
{
    if (cinder == NULL || strcmp(cinder, "in-use") == 0)
        return "attached";
    if (strcmp(cinder, "attaching") == 0 || strcmp(cinder, "reserved") == 0)
        return "attaching";
    if (strcmp(cinder, "detaching") == 0)
        return "detaching";
    return "attached";
}

json_t *
nova_view_bdms(const struct nova_view *v, const json_t *server)
{
    json_t *out = json_array();
    const char *uuid = nova_str(server, "id");
    const json_t *a, *att;
    size_t i, j;

    json_array_foreach(json_object_get(server, "os-extended-volumes:volumes_attached"), i, a)
    {
        const char *vid = nova_str(a, "id"), *ec2 = nova_str(v ? v->vols : NULL, vid ? vid : "");
        const json_t *vol = json_object_get(v ? v->volumes : NULL, vid ? vid : "");
        const char *dev = NULL, *at = NULL;
        json_t *ebs;

        if (ec2 == NULL)
            continue;
        json_array_foreach(json_object_get(vol, "attachments"), j, att)
        {
            if (strcmp(nova_str(att, "server_id") ? nova_str(att, "server_id") : "",
                       uuid ? uuid : "") == 0) {
                dev = nova_str(att, "device");
                at = nova_str(att, "attached_at");
            }
        }
        ebs = json_pack("{s:s, s:s, s:b}", "VolumeId", ec2, "Status",
                        nova_volume_status(nova_str(vol, "status")), "DeleteOnTermination",
                        json_is_true(json_object_get(a, "delete_on_termination")));
        if (at != NULL)
            json_object_set_new(ebs, "AttachTime", json_string(at));
        json_array_append_new(out,
                              json_pack("{s:s, s:o}", "DeviceName", dev ? dev : "", "Ebs", ebs));
    }
    return out;
}

/* The floating IP Nova lists for the port with MAC @p mac, or NULL. */
static const char *
nova_floating_of(const json_t *server, const char *mac)
{
    const char *net;
    const json_t *list, *a;
    size_t i;

    json_object_foreach((json_t *)json_object_get(server, "addresses"), net, list)
    {
        json_array_foreach(list, i, a)
        {
            const char *t = nova_str(a, "OS-EXT-IPS:type");
            const char *m = nova_str(a, "OS-EXT-IPS-MAC:mac_addr");

            if (t && m && mac && strcmp(t, "floating") == 0 && strcasecmp(m, mac) == 0)
                return nova_str(a, "addr");
        }
    }
    return NULL;
}

/* "eni-attach-" and the 8 hex digits of the eni id (stable, derived, never stored). */
static const char *
nova_attach_id(ec2gw_req_t *req, const char *eni)
{
    const char *dash = eni ? strchr(eni, '-') : NULL;

    return ec2gw->psprintf(req, "eni-attach-%s", dash ? dash + 1 : "00000000");
}

json_t *
nova_view_nics(ec2gw_req_t *req, const struct nova_view *v, const json_t *server)
{
    json_t *out = json_array();
    const json_t *ports = json_object_get(v ? v->ports : NULL, nova_or(nova_str(server, "id")));
    const json_t *p, *f, *sg;
    json_t *g;
    const char *owner = ec2gw->identity(req)->owner_id;
    size_t i, j;

    json_array_foreach(ports, i, p)
    {
        const char *eni = nova_str(v->enis, nova_str(p, "id") ? nova_str(p, "id") : "");
        const char *mac = nova_str(p, "mac_address"), *subnet = NULL, *ip = NULL;
        const char *pub = nova_floating_of(server, mac);
        json_t *nic, *ips = json_array(), *groups = json_array(), *pip;

        if (eni == NULL) {
            json_decref(ips);
            json_decref(groups);
            continue;
        }
        json_array_foreach(json_object_get(p, "fixed_ips"), j, f)
        {
            const char *a = nova_str(f, "ip_address");

            if (a == NULL || strchr(a, ':') != NULL)
                continue;
            pip = json_pack("{s:s, s:b}", "PrivateIpAddress", a, "Primary", ip == NULL);
            if (ip == NULL) {
                ip = a;
                subnet = nova_str(v->subnets, nova_or(nova_str(f, "subnet_id")));
                if (pub != NULL)
                    json_object_set_new(pip, "Association",
                                        json_pack("{s:s, s:s, s:s}", "PublicIp", pub,
                                                  "PublicDnsName", "", "IpOwnerId", owner));
            }
            json_array_append_new(ips, pip);
        }
        json_array_foreach(json_object_get(p, "security_groups"), j, sg)
        {
            g = json_object_get(v->groups, nova_or(json_string_value(sg)));
            if (g != NULL)
                json_array_append(groups, g);
        }
        nic = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:s, s:{s:s, s:I, s:s, s:b, s:i},"
                        " s:s}",
                        "NetworkInterfaceId", eni, "Description",
                        nova_str(p, "description") ? nova_str(p, "description") : "", "OwnerId",
                        owner, "Status", "in-use", "SourceDestCheck",
                        json_array_size(json_object_get(p, "allowed_address_pairs")) == 0, "Groups",
                        groups, "PrivateIpAddresses", ips, "MacAddress", mac ? mac : "",
                        "Attachment", "AttachmentId", nova_attach_id(req, eni), "DeviceIndex",
                        (json_int_t)i, "Status", "attached", "DeleteOnTermination", 1,
                        "NetworkCardIndex", 0, "InterfaceType", "interface");
        if (nic == NULL)
            continue;
        if (nova_str(p, "created_at") != NULL)
            json_object_set_new(json_object_get(nic, "Attachment"), "AttachTime",
                                json_string(nova_str(p, "created_at")));
        if (subnet != NULL)
            json_object_set_new(nic, "SubnetId", json_string(subnet));
        if (nova_str(v->vpcs, nova_or(subnet)) != NULL)
            json_object_set(nic, "VpcId", json_object_get(v->vpcs, subnet));
        if (ip != NULL)
            json_object_set_new(nic, "PrivateIpAddress", json_string(ip));
        if (pub != NULL)
            json_object_set_new(nic, "Association",
                                json_pack("{s:s, s:s, s:s}", "PublicIp", pub, "PublicDnsName", "",
                                          "IpOwnerId", owner));
        json_array_append_new(out, nic);
    }
    return out;
}

/* -- filters on the device and interface views ------------------------------------------- */

static void
nova_push_s(json_t *values, const char *s)
{
    if (s != NULL)
        json_array_append_new(values, json_string(s));
}

int
nova_bdm_filter_values(ec2gw_req_t *req, const json_t *bdms, const char *sub, json_t *values)
{
    const json_t *b;
    size_t i;

    (void)req;
    json_array_foreach(bdms, i, b)
    {
        const json_t *ebs = json_object_get(b, "Ebs");

        if (strcmp(sub, "device-name") == 0)
            nova_push_s(values, nova_str(b, "DeviceName"));
        else if (strcmp(sub, "volume-id") == 0)
            nova_push_s(values, nova_str(ebs, "VolumeId"));
        else if (strcmp(sub, "status") == 0)
            nova_push_s(values, nova_str(ebs, "Status"));
        else if (strcmp(sub, "attach-time") == 0)
            nova_push_s(values, nova_str(ebs, "AttachTime"));
        else if (strcmp(sub, "delete-on-termination") == 0)
            nova_push_s(values, json_is_true(json_object_get(ebs, "DeleteOnTermination"))
                                    ? "true"
                                    : "false");
        else
            return EC2GW_E_NOTFOUND;
    }
    return strcmp(sub, "device-name") == 0 || strcmp(sub, "volume-id") == 0 ||
                   strcmp(sub, "status") == 0 || strcmp(sub, "attach-time") == 0 ||
                   strcmp(sub, "delete-on-termination") == 0
               ? 0
               : EC2GW_E_NOTFOUND;
}

int
nova_nic_filter_values(ec2gw_req_t *req, const json_t *nics, const char *sub, json_t *values)
{
    static const struct {
        const char *filter, *member;
    } direct[] = {
        { "network-interface-id", "NetworkInterfaceId" },
        { "subnet-id", "SubnetId" },
        { "vpc-id", "VpcId" },
        { "description", "Description" },
        { "owner-id", "OwnerId" },
        { "status", "Status" },
        { "mac-address", "MacAddress" },
        { "private-ip-address", "PrivateIpAddress" },
        { "addresses.private-ip-address", "PrivateIpAddress" },
        { "association.public-ip", NULL },
        { "addresses.association.public-ip", NULL },
        { "source-dest-check", NULL },
        { "group-id", NULL },
        { "group-name", NULL },
        { "attachment.attachment-id", NULL },
        { "attachment.device-index", NULL },
        { "attachment.status", NULL },
        { "attachment.attach-time", NULL },
        { "attachment.delete-on-termination", NULL },
        { "attachment.instance-owner-id", NULL },
        { "requester-managed", NULL },
        { "addresses.primary", NULL },
        { "availability-zone", NULL },
    };
    const json_t *nic, *g;
    size_t i, j, k;

    for (k = 0; k < sizeof(direct) / sizeof(direct[0]); k++)
        if (strcmp(sub, direct[k].filter) == 0)
            break;
    if (k == sizeof(direct) / sizeof(direct[0]))
        return EC2GW_E_NOTFOUND;
    json_array_foreach(nics, i, nic)
    {
        const json_t *att = json_object_get(nic, "Attachment");

        if (direct[k].member != NULL)
            nova_push_s(values, nova_str(nic, direct[k].member));
        else if (strstr(sub, "public-ip") != NULL)
            nova_push_s(values, nova_str(json_object_get(nic, "Association"), "PublicIp"));
        else if (strcmp(sub, "source-dest-check") == 0)
            nova_push_s(values,
                        json_is_true(json_object_get(nic, "SourceDestCheck")) ? "true" : "false");
        else if (strcmp(sub, "group-id") == 0 || strcmp(sub, "group-name") == 0)
            json_array_foreach(json_object_get(nic, "Groups"), j, g) nova_push_s(
                values, nova_str(g, strcmp(sub, "group-id") == 0 ? "GroupId" : "GroupName"));
        else if (strcmp(sub, "attachment.attachment-id") == 0)
            nova_push_s(values, nova_str(att, "AttachmentId"));
        else if (strcmp(sub, "attachment.device-index") == 0)
            nova_push_s(values, ec2gw->psprintf(req, "%lld",
                                                (long long)json_integer_value(
                                                    json_object_get(att, "DeviceIndex"))));
        else if (strcmp(sub, "attachment.status") == 0)
            nova_push_s(values, nova_str(att, "Status"));
        else if (strcmp(sub, "attachment.attach-time") == 0)
            nova_push_s(values, nova_str(att, "AttachTime"));
        else if (strcmp(sub, "attachment.delete-on-termination") == 0)
            nova_push_s(values, "true");
        else if (strcmp(sub, "attachment.instance-owner-id") == 0)
            nova_push_s(values, nova_str(nic, "OwnerId"));
        else if (strcmp(sub, "requester-managed") == 0)
            nova_push_s(values, "false");
        else if (strcmp(sub, "addresses.primary") == 0)
            nova_push_s(values, "true");
        /* availability-zone: the instance's zone */
    }
    return 0;
}
