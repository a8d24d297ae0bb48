/*
 * instance_model.c - the EC2 Instance view of a Nova server, reservations, instance filters.
 *
 * Instances carry two internal members until nova_reservations() groups them:
 * "_ReservationId" and "_OwnerId" (the renderer would drop them with a warning).
 */
#include <stdio.h>
#include <string.h>

#include "nova.h"

/* First address of @p type ("fixed"/"floating") of any network, or NULL. */
static const char *
nova_addr(const json_t *server, const char *type)
{
    const char *net;
    const json_t *list, *a;
    size_t i;

    json_object_foreach((json_t *)json_object_get(server, "addresses"), net, list)
    {
        json_array_foreach(list, i, a)
        {
            const char *t = nova_str(a, "OS-EXT-IPS:type");

            if (t != NULL && strcmp(t, type) == 0 &&
                json_integer_value(json_object_get(a, "version")) == 4)
                return nova_str(a, "addr");
        }
    }
    return NULL;
}

/* A reservation id for a server made outside EC2: r- and 17 hex digits of its uuid. */
static const char *
nova_derived_rid(ec2gw_req_t *req, const char *uuid)
{
    char hex[18];
    size_t n = 0;

    for (const char *p = uuid; *p != '\0' && n < 17; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
            hex[n++] = *p;
    while (n < 17)
        hex[n++] = '0';
    hex[17] = '\0';
    return ec2gw->psprintf(req, "r-%s", hex);
}

/* The EC2 id of @p os of @p kind: from the view's batch when there, else one lookup. */
static const char *
nova_mapped(ec2gw_req_t *req, const json_t *map, const char *kind, const char *os)
{
    const char *id = nova_str(map, nova_or(os));

    if (id == NULL && os != NULL && os[0] != '\0' && ec2gw->id_to_ec2(req, kind, os, &id) != 0)
        id = NULL;
    return id;
}

/* Groups of the instance: of its primary port when Neutron answered, else Nova's names. */
static json_t *
nova_model_groups(const struct nova_view *v, const json_t *server, const json_t *nics)
{
    json_t *groups = json_array(), *g;
    size_t i;

    if (json_array_size(nics) > 0) {
        json_array_foreach(json_object_get(json_array_get(nics, 0), "Groups"), i, g)
            json_array_append(groups, g);
        return groups;
    }
    json_array_foreach(json_object_get(server, "security_groups"), i, g)
    {
        const char *gn = nova_str(g, "name");
        const char *gid = nova_str(v ? v->groups_by_name : NULL, nova_or(gn));

        if (gn != NULL)
            json_array_append_new(groups,
                                  gid ? json_pack("{s:s, s:s}", "GroupName", gn, "GroupId", gid)
                                      : json_pack("{s:s}", "GroupName", gn));
    }
    return groups;
}

/* Root device, its type, kernel and ramdisk (admin attributes when Nova shows them). */
static void
nova_model_devices(ec2gw_req_t *req, const struct nova_view *view, json_t *m, const json_t *server,
                   json_t *bdms)
{
    const char *root = nova_str(server, "OS-EXT-SRV-ATTR:root_device_name");
    const char *kernel = nova_str(server, "OS-EXT-SRV-ATTR:kernel_id");
    const char *ramdisk = nova_str(server, "OS-EXT-SRV-ATTR:ramdisk_id");
    const char *id = NULL;
    const json_t *b;
    size_t i;
    int ebs = 0;

    json_array_foreach(bdms, i, b)
    {
        const char *dev = nova_str(b, "DeviceName");

        /* a volume at the root device, or any volume when Nova booted without an image */
        if (dev != NULL && root != NULL && strcmp(dev, root) == 0)
            ebs = 1;
    }
    if (nova_str(json_object_get(server, "image"), "id") == NULL && json_array_size(bdms) > 0)
        ebs = 1;
    json_object_set_new(m, "BlockDeviceMappings", bdms);
    json_object_set_new(m, "RootDeviceType", json_string(ebs ? "ebs" : "instance-store"));
    if (root != NULL)
        json_object_set_new(m, "RootDeviceName", json_string(root));
    if ((id = nova_mapped(req, view ? view->akis : NULL, "aki", kernel)) != NULL)
        json_object_set_new(m, "KernelId", json_string(id));
    if ((id = nova_mapped(req, view ? view->aris : NULL, "ari", ramdisk)) != NULL)
        json_object_set_new(m, "RamdiskId", json_string(id));
}

/* The Instance view of @p server (returns new, or NULL when it cannot be mapped). */
json_t *
nova_instance_model(ec2gw_req_t *req, const struct nova_inst *ni, const json_t *server,
                    const struct nova_view *view)
{
    const char *uuid = nova_str(server, "id");
    const char *image = nova_str(json_object_get(server, "image"), "id");
    const char *flavor = nova_str(json_object_get(server, "flavor"), "original_name");
    const char *priv = nova_addr(server, "fixed"), *pub = nova_addr(server, "floating");
    const char *id, *ami, *sname, *reason;
    json_t *data = NULL, *m, *nics;
    int code;

    if ((id = nova_mapped(req, view ? view->ids : NULL, "i", uuid)) == NULL)
        return NULL;
    ami = image != NULL && image[0] != '\0'
              ? nova_mapped(req, view ? view->amis : NULL, "ami", image)
              : NULL;
    if (view != NULL && view->data != NULL)
        data = json_incref(json_object_get(view->data, id));
    else
        ec2gw->item_get(req, id, &data);
    nova_state(server, &code, &sname, &reason);
    nics = nova_view_nics(req, view, server);
    m = json_pack(
        "{s:s, s:o, s:s, s:s, s:s, s:[], s:s?, s:s, s:{s:s, s:s, s:s}, s:{s:s},"
        " s:s, s:s, s:b, s:o}",
        "InstanceId", id, "State", nova_state_json(code, sname), "StateTransitionReason", "",
        "PublicDnsName", "", "InstanceType", flavor ? flavor : "unknown", "ProductCodes",
        "LaunchTime", nova_str(server, "created"), /* none rather than "" (not a time) */
        "Architecture", "x86_64", "Placement", "AvailabilityZone",
        nova_or(nova_str(server, "OS-EXT-AZ:availability_zone")), "Tenancy", "default", "GroupName",
        "", "Monitoring", "State", "disabled", "VirtualizationType", "hvm", "Hypervisor", "xen",
        "EbsOptimized", 0, "SecurityGroups", nova_model_groups(view, server, nics));
    if (m == NULL) {
        json_decref(nics);
        json_decref(data);
        return NULL;
    }
    nova_model_devices(req, view, m, server, nova_view_bdms(view, server));
    json_object_set_new(m, "NetworkInterfaces", nics);
    if (json_array_size(nics) > 0) {
        const json_t *primary = json_array_get(nics, 0);

        if (nova_str(primary, "SubnetId") != NULL)
            json_object_set(m, "SubnetId", json_object_get(primary, "SubnetId"));
        if (nova_str(primary, "VpcId") != NULL)
            json_object_set(m, "VpcId", json_object_get(primary, "VpcId"));
        if (nova_str(primary, "PrivateIpAddress") != NULL)
            priv = nova_str(primary, "PrivateIpAddress");
        json_object_set(m, "SourceDestCheck", json_object_get(primary, "SourceDestCheck"));
    }
    json_object_set_new(m, "ImageId", json_string(ami ? ami : ""));
    if (nova_str(server, "key_name") != NULL)
        json_object_set(m, "KeyName", json_object_get(server, "key_name"));
    if (priv != NULL) {
        json_object_set_new(m, "PrivateIpAddress", json_string(priv));
        json_object_set_new(m, "PrivateDnsName",
                            json_string(ni->private_dns_show_ip ? priv : nova_str(server, "name")));
    } else {
        json_object_set_new(m, "PrivateDnsName", json_string(""));
    }
    if (pub != NULL) {
        json_object_set_new(m, "PublicIpAddress", json_string(pub));
        json_object_set_new(m, "PublicDnsName", json_string(pub));
    }
    if (reason != NULL)
        json_object_set_new(m, "StateReason",
                            json_pack("{s:s, s:s}", "Code", reason, "Message",
                                      strcmp(reason, "Server.InternalError") == 0
                                          ? "Server.InternalError: the server is in error"
                                          : reason));
    json_object_set_new(m, "MetadataOptions", nova_md_opts_model(data, "applied"));
    json_object_set_new(m, "AmiLaunchIndex",
                        json_integer(json_integer_value(json_object_get(data, "launch_index"))));
    if (nova_str(data, "client_token") != NULL)
        json_object_set(m, "ClientToken", json_object_get(data, "client_token"));
    json_object_set_new(m, "_ReservationId",
                        json_string(nova_str(data, "reservation_id")
                                        ? nova_str(data, "reservation_id")
                                        : nova_derived_rid(req, uuid)));
    json_object_set_new(m, "_OwnerId", json_string(ec2gw->identity(req)->owner_id));
    json_decref(data);
    return m;
}

/* Set "Tags" of every item (keyed by InstanceId or KeyPairId) from one tags_get(). */
void
nova_attach_tags(ec2gw_req_t *req, json_t *items)
{
    size_t n = json_array_size(items), i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *tags = NULL, *it;

    json_array_foreach(items, i, it)
    {
        ids[i] =
            nova_str(it, "InstanceId") ? nova_str(it, "InstanceId") : nova_str(it, "KeyPairId");
        if (ids[i] == NULL)
            ids[i] = "";
    }
    if (n > 0 && ec2gw->tags_get(req, ids, n, &tags) != 0)
        tags = NULL;
    json_array_foreach(items, i, it)
    {
        json_t *t = json_object_get(tags, ids[i]);

        json_object_set_new(it, "Tags", t ? json_copy(t) : json_array());
    }
    json_decref(tags);
}

/* Group instances (sorted by id) into reservations in order of first appearance; steals. */
json_t *
nova_reservations(ec2gw_req_t *req, json_t *instances)
{
    json_t *out = json_array(), *index = json_object(), *it;
    size_t i;

    (void)req;
    json_array_foreach(instances, i, it)
    {
        const char *rid = nova_str(it, "_ReservationId");
        json_t *res = json_object_get(index, rid ? rid : "");

        if (res == NULL) {
            res = json_pack("{s:s, s:O, s:[], s:[]}", "ReservationId", rid ? rid : "", "OwnerId",
                            json_object_get(it, "_OwnerId"), "Groups", "Instances");
            json_array_append_new(out, res);
            json_object_set(index, rid ? rid : "", res);
        }
        if (json_object_get(it, "_Item") == NULL) { /* a stand-in is shared: never changed */
            json_object_del(it, "_ReservationId");
            json_object_del(it, "_OwnerId");
        }
        json_array_append(json_object_get(res, "Instances"), it);
    }
    json_decref(index);
    json_decref(instances);
    return out;
}
