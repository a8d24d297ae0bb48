/*
 * image_copy.c - CopyImage within the region. The copy is a new private Glance image with the
 * source's formats and properties, and the name and description of the request. Its data is
 * streamed from the source with the host's os_transfer() (GET .../file into a spool file, PUT
 * to the new image's file); metadata-only images (EBS registrations and Nova's volume-backed
 * snapshots) get the empty upload RegisterImage makes. If filling fails, the half-made copy
 * is deleted (images_register.c).
 *
 * AWS answers at once with the new image pending. Here the answer comes after the upload:
 * os_transfer(), like every host call, ends with its request, so the copy could not go on
 * after an early answer. ClientToken idempotency is the daemon's (EC2GW_ACT_CLIENT_TOKEN): a
 * retry with the same token while the copy runs is told to retry later, one after it gets
 * the same ImageId.
 */
#include <string.h>

#include <jansson.h>

#include "glance.h"

/* Glance's own fields: never sent back on create (or refused by it). */
static const char *const core_keys[] = {
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "size",
    "virtual_size",
    "checksum",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "stores",
    "tags",
    "protected",
    "locations",
    "direct_url",
    "os_hidden",
    "description",
    "image_location",
    "container_format",
    "disk_format",
    "min_disk",
    "min_ram",
};

static int
is_core(const char *k)
{
    for (size_t i = 0; i < sizeof(core_keys) / sizeof(core_keys[0]); i++)
        if (strcmp(k, core_keys[i]) == 0)
            return 1;
    return strncmp(k, "os_glance", 9) == 0 || strncmp(k, "os_hash", 7) == 0;
}

static void
copy_source(ec2gw_req_t *req, json_t *image, void *arg)
{
    struct glance_reg *r = arg;
    const json_t *p = glance_host->params(req);
    const char *k, *desc = json_string_value(json_object_get(p, "Description"));
    const char *status = glance_prop(image, "status");
    json_t *body, *v;

    /* An EBS image's data is the "{}" of its empty upload (size 2), never read. */
    if (glance_prop(image, "block_device_mapping") == NULL ||
        json_integer_value(json_object_get(image, "size")) > 2) {
        if (!EC2GW_HOST_HAS(glance_host, os_transfer)) {
            glance_host->fail(req, 400, "InvalidRequest",
                              "Image %s has data, and this gateway's host cannot copy image "
                              "data; copy it with Glance",
                              r->src_ec2);
            return;
        }
        if (status == NULL || strcmp(status, "active") != 0) {
            glance_host->fail(req, 400, "IncorrectState",
                              "Image %s is not available (Glance status %s): only available "
                              "images can be copied",
                              r->src_ec2, status ? status : "unknown");
            return;
        }
        r->copy_from = glance_host->pstrdup(req, glance_prop(image, "id"));
    }
    body =
        json_pack("{s:s, s:s?, s:s?, s:O?, s:O?}", "visibility", "private", "container_format",
                  glance_prop(image, "container_format"), "disk_format",
                  glance_prop(image, "disk_format"), "min_disk", json_object_get(image, "min_disk"),
                  "min_ram", json_object_get(image, "min_ram"));
    json_object_foreach(image, k, v)
    {
        if (!is_core(k) && json_is_string(v))
            json_object_set(body, k, v);
    }
    json_object_set_new(body, "name", json_string(json_string_value(json_object_get(p, "Name"))));
    if (desc != NULL && *desc != '\0')
        json_object_set_new(body, "description", json_string(desc));
    else if (glance_prop(image, "description") != NULL)
        json_object_set_new(body, "description", json_string(glance_prop(image, "description")));
    json_object_set_new(body, "source_image_id", json_string(r->src_ec2));
    glance_create_and_fill(req, r, body);
}

int
glance_copy_image(ec2gw_req_t *req, void *inst)
{
    struct glance_reg *r = glance_host->pcalloc(req, sizeof(*r));
    const json_t *p = glance_host->params(req);
    const char *region = json_string_value(json_object_get(p, "SourceRegion"));
    const char *name = json_string_value(json_object_get(p, "Name"));
    const char *mine = glance_host->identity(req)->region;

    r->gi = inst;
    r->src_ec2 = json_string_value(json_object_get(p, "SourceImageId"));
    if (name == NULL || *name == '\0' || region == NULL || r->src_ec2 == NULL) {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameters Name, SourceImageId and "
                          "SourceRegion");
        return EC2GW_OK;
    }
    if (mine != NULL && strcmp(region, mine) != 0) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "Copying from region %s is not supported: only within %s", region, mine);
        return EC2GW_OK;
    }
    if (json_is_true(json_object_get(p, "Encrypted")) || json_object_get(p, "KmsKeyId") != NULL) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "Encrypted copies (Encrypted, KmsKeyId) are not supported: this "
                          "gateway copies Glance images as they are");
        return EC2GW_OK;
    }
    return glance_with_image(req, inst, r->src_ec2, copy_source, r);
}
