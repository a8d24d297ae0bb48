/*
 * image_model.c - pure mapping of Glance v2 images to EC2 terms (openstack-mapping.md §14.4):
 * id kinds, image types, states, times and block device mappings. No host calls here, so the
 * unit tests can exercise it through DescribeImages with fixtures alone.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "glance.h"

const char *
glance_prop(const json_t *image, const char *key)
{
    return json_string_value(json_object_get(image, key));
}

static int
streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ec2-api's CONTAINER_TO_KIND; the disk format decides only when no container format is set. */
const char *
glance_kind(const json_t *image)
{
    const char *f = glance_prop(image, "container_format");

    if (f == NULL)
        f = glance_prop(image, "disk_format");
    if (streq(f, "aki") || streq(f, "kernel"))
        return "aki";
    if (streq(f, "ari") || streq(f, "ramdisk"))
        return "ari";
    return "ami";
}

const char *
glance_image_type(const char *kind)
{
    if (streq(kind, "aki"))
        return "kernel";
    if (streq(kind, "ari"))
        return "ramdisk";
    return "machine";
}

const char *
glance_state(const json_t *image)
{
    const char *s = glance_prop(image, "status");
    const char *imp = glance_prop(image, "image_state"); /* ec2-api's S3 import progress */

    if (imp != NULL && !streq(imp, "available") && (s == NULL || !streq(s, "killed"))) {
        if (strncmp(imp, "failed", 6) == 0)
            return "failed";
        if (!streq(s, "deleted") && !streq(s, "pending_delete"))
            return "pending";
    }
    if (s == NULL || streq(s, "queued") || streq(s, "saving") || streq(s, "importing") ||
        streq(s, "uploading"))
        return "pending";
    if (streq(s, "active"))
        return "available";
    if (streq(s, "killed"))
        return "failed";
    if (streq(s, "deactivated"))
        return "invalid";
    if (streq(s, "deleted") || streq(s, "pending_delete"))
        return "deregistered";
    return "pending";
}

const char *
glance_ec2_time(const char *t, char *buf, size_t cap)
{
    size_t n;

    if (t == NULL || cap < 32)
        return NULL;
    n = strlen(t);
    /* "YYYY-MM-DDTHH:MM:SS" (19) with "Z", "+00:00" or nothing after it */
    if (n < 19 || t[10] != 'T') {
        snprintf(buf, cap, "%s", t);
        return buf;
    }
    snprintf(buf, cap, "%.19s.000Z", t);
    return buf;
}

int
glance_id_valid(const char *id)
{
    size_t n;

    if (id == NULL || strlen(id) < 4 || id[3] != '-' ||
        (strncmp(id, "ami", 3) != 0 && strncmp(id, "aki", 3) != 0 && strncmp(id, "ari", 3) != 0))
        return 0;
    n = strlen(id + 4);
    if (n != 8 && n != 17)
        return 0;
    for (const char *p = id + 4; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* A property holding JSON either as text (Glance properties are strings) or as JSON. */
static json_t *
prop_json(const json_t *image, const char *key)
{
    const json_t *v = json_object_get(image, key);

    if (json_is_string(v))
        return json_loads(json_string_value(v), 0, NULL);
    return v != NULL ? json_deep_copy(v) : NULL;
}

static void
copy_str(json_t *dst, const char *dk, const json_t *src, const char *sk)
{
    const json_t *v = json_object_get(src, sk);

    if (json_is_string(v) && json_string_length(v) > 0)
        json_object_set_new(dst, dk, json_string(json_string_value(v)));
}

/* "/dev/vda" and "vda" name the same device. */
static const char *
dev_short(const char *d)
{
    if (d != NULL && strncmp(d, "/dev/", 5) == 0)
        return d + 5;
    return d;
}

json_t *
glance_bdms(const json_t *image)
{
    json_t *out = json_array(), *bdm = prop_json(image, "block_device_mapping"), *e;
    json_t *legacy = prop_json(image, "mappings");
    size_t i;

    json_array_foreach(legacy, i, e)
    {
        const char *virt = glance_prop(e, "virtual"), *dev = glance_prop(e, "device");

        if (virt == NULL || dev == NULL || streq(virt, "ami") || streq(virt, "root"))
            continue;
        if (strncmp(virt, "ephemeral", 9) != 0 && !streq(virt, "swap"))
            continue;
        json_array_append_new(out,
                              json_pack("{s:s, s:s}", "device_name", dev, "virtual_name", virt));
    }
    json_array_foreach(bdm, i, e)
    {
        json_t *o = json_object();
        const json_t *sz = json_object_get(e, "volume_size");
        const json_t *dot = json_object_get(e, "delete_on_termination");
        const char *src = glance_prop(e, "source_type");

        copy_str(o, "device_name", e, "device_name");
        if (json_object_get(o, "device_name") == NULL)
            copy_str(o, "device_name", e, "mount_device"); /* Nova snapshots, legacy form */
        copy_str(o, "source_type", e, "source_type");
        copy_str(o, "destination_type", e, "destination_type");
        copy_str(o, "virtual_name", e, "virtual_name");
        copy_str(o, "snapshot_id", e, "snapshot_id");
        copy_str(o, "volume_id", e, "volume_id");
        if (streq(src, "image"))
            copy_str(o, "image_id", e, "image_id");
        if (json_is_integer(sz))
            json_object_set_new(o, "volume_size", json_integer(json_integer_value(sz)));
        if (json_is_boolean(dot))
            json_object_set_new(o, "delete_on_termination", json_boolean(json_is_true(dot)));
        if (json_is_true(json_object_get(e, "no_device")))
            json_object_set_new(o, "no_device", json_true());
        if (streq(src, "blank") && streq(glance_prop(e, "guest_format"), "swap"))
            json_object_set_new(o, "virtual_name", json_string("swap"));
        if (json_object_get(o, "device_name") == NULL) {
            json_decref(o);
            continue;
        }
        json_array_append_new(out, o);
    }
    json_decref(bdm);
    json_decref(legacy);
    return out;
}

int
glance_root_is_ebs(const json_t *image, const json_t *bdms)
{
    const char *root = dev_short(glance_prop(image, "root_device_name"));
    const json_t *e;
    size_t i;

    if (root == NULL)
        return 0;
    json_array_foreach(bdms, i, e)
    {
        if (streq(dev_short(glance_prop(e, "device_name")), root) &&
            (glance_prop(e, "snapshot_id") != NULL || glance_prop(e, "volume_id") != NULL ||
             streq(glance_prop(e, "source_type"), "snapshot") ||
             streq(glance_prop(e, "source_type"), "volume") ||
             streq(glance_prop(e, "destination_type"), "volume")))
            return 1;
    }
    return 0;
}
