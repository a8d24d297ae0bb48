/*
 * image_format.c - one Glance image as an EC2 Image model (openstack-mapping.md §14.4): the
 * mapped ids (image, kernel, ramdisk, snapshots), state, owner, block device mappings.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "glance.h"

static const char *
image_owner(const json_t *image)
{
    const char *o = glance_prop(image, "owner");

    return o != NULL ? o : "";
}

static int
prop_is(const json_t *image, const char *key, const char *value)
{
    const char *v = glance_prop(image, key);

    return v != NULL && strcmp(v, value) == 0;
}

static json_t *
format_bdm(ec2gw_req_t *req, const json_t *b)
{
    json_t *o = json_pack("{s:s}", "DeviceName", glance_prop(b, "device_name"));
    json_t *ebs = json_object();
    const char *id = NULL, *os;
    const json_t *v;

    if (glance_prop(b, "virtual_name") != NULL) {
        json_object_set_new(o, "VirtualName", json_string(glance_prop(b, "virtual_name")));
        json_decref(ebs);
        return o;
    }
    if (json_is_true(json_object_get(b, "no_device"))) {
        json_object_set_new(o, "NoDevice", json_string(""));
        json_decref(ebs);
        return o;
    }
    if ((os = glance_prop(b, "snapshot_id")) != NULL)
        glance_host->id_to_ec2(req, "snap", os, &id);
    else if ((os = glance_prop(b, "volume_id")) != NULL)
        glance_host->id_to_ec2(req, "vol", os, &id);
    else if ((os = glance_prop(b, "image_id")) != NULL)
        glance_host->id_to_ec2(req, "ami", os, &id);
    if (id != NULL)
        json_object_set_new(ebs, "SnapshotId", json_string(id));
    if ((v = json_object_get(b, "volume_size")) != NULL)
        json_object_set_new(ebs, "VolumeSize", json_integer(json_integer_value(v)));
    if ((v = json_object_get(b, "delete_on_termination")) != NULL)
        json_object_set_new(ebs, "DeleteOnTermination", json_boolean(json_is_true(v)));
    json_object_set_new(o, "Ebs", ebs);
    return o;
}

static void
set_str(json_t *o, const char *k, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, k, json_string(v));
}

static void
set_mapped(ec2gw_req_t *req, json_t *o, const char *k, const char *kind, const char *os_id)
{
    const char *id = NULL;

    if (os_id != NULL && *os_id != '\0' && glance_host->id_to_ec2(req, kind, os_id, &id) == 0)
        set_str(o, k, id);
}

/* The description: a Glance property, or (ec2-api databases) the item's data. */
static const char *
image_description(ec2gw_req_t *req, const json_t *image, const char *ec2_id)
{
    const char *d = glance_prop(image, "description");
    json_t *data = NULL;

    if (d != NULL)
        return d;
    if (glance_host->item_get(req, ec2_id, &data) == 0 && data != NULL) {
        d = json_string_value(json_object_get(data, "description"));
        if (d != NULL)
            d = glance_host->pstrdup(req, d);
        json_decref(data);
    }
    return d;
}

json_t *
glance_format(ec2gw_req_t *req, const json_t *image)
{
    const char *kind = glance_kind(image), *uuid = glance_prop(image, "id"), *id = NULL;
    const char *name = glance_prop(image, "name"), *loc = glance_prop(image, "image_location");
    const char *root = glance_prop(image, "root_device_name"), *vm = glance_prop(image, "vm_mode");
    json_t *o, *bdms, *list, *b;
    char tbuf[64];
    size_t i;

    if (uuid == NULL || glance_host->id_to_ec2(req, kind, uuid, &id) != 0 || id == NULL)
        return NULL;
    o = json_pack("{s:s, s:s, s:s, s:b, s:s}", "ImageId", id, "State", glance_state(image),
                  "OwnerId", image_owner(image), "Public", prop_is(image, "visibility", "public"),
                  "ImageType", glance_image_type(kind));
    if (loc == NULL)
        loc = glance_host->psprintf(req, "%s/%s", image_owner(image), name ? name : uuid);
    set_str(o, "ImageLocation", loc);
    set_str(o, "Name", name);
    set_str(o, "CreationDate",
            glance_ec2_time(glance_prop(image, "created_at"), tbuf, sizeof(tbuf)));
    /* AWS names an architecture for every image and clients rely on it (Net::Amazon::EC2
     * refuses an image without one); Glance images often have none: x86_64, as ec2-api's
     * S3 import assumed. */
    set_str(o, "Architecture",
            glance_prop(image, "architecture") ? glance_prop(image, "architecture") : "x86_64");
    set_str(o, "Description", image_description(req, image, id));
    set_mapped(req, o, "KernelId", "aki", glance_prop(image, "kernel_id"));
    set_mapped(req, o, "RamdiskId", "ari", glance_prop(image, "ramdisk_id"));
    if (prop_is(image, "os_type", "windows"))
        set_str(o, "Platform", "windows");
    bdms = glance_bdms(image);
    list = json_array();
    json_array_foreach(bdms, i, b) json_array_append_new(list, format_bdm(req, b));
    json_object_set_new(o, "BlockDeviceMappings", list);
    set_str(o, "RootDeviceType", glance_root_is_ebs(image, bdms) ? "ebs" : "instance-store");
    json_decref(bdms);
    if (root == NULL && strcmp(kind, "ami") == 0)
        root = "/dev/sda1";
    set_str(o, "RootDeviceName", root);
    if (strcmp(kind, "ami") == 0) {
        set_str(o, "VirtualizationType",
                vm != NULL && (strcmp(vm, "xen") == 0 || strcmp(vm, "paravirtual") == 0)
                    ? "paravirtual"
                    : "hvm");
    }
    return o;
}
