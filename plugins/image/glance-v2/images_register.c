/*
 * images_register.c - RegisterImage and CopyImage (openstack-mapping.md §14.2). RegisterImage
 * has three modes: an http(s) ImageLocation (a new private image filled by Glance's
 * `web-download` import), an ImageLocation naming an existing Glance image ("glance:<uuid>"
 * or the bare uuid: its EC2 id, with the given attributes written if the caller owns it), and
 * EBS registration (RootDeviceName + BlockDeviceMapping.N: a data-less image carrying
 * `bdm_v2` mappings, as Nova writes for volume-backed snapshots). S3 bundles are refused.
 * CopyImage (image_copy.c) uses the same create-then-fill steps, filling with the source's
 * data through os_transfer().
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "glance.h"


/* json_dumps() text goes back through jansson's allocator: made in a request, it lives in the
 * request's arena (host ABI 1.4), which free() does not know. */
static void
json_free_text(char *text)
{
    json_free_t jfree;

    json_get_alloc_funcs(NULL, &jfree);
    jfree(text);
}

static const char *
param_str(ec2gw_req_t *req, const char *key)
{
    return json_string_value(json_object_get(glance_host->params(req), key));
}

static void
answer_id(ec2gw_req_t *req, void *arg)
{
    struct glance_reg *r = arg;

    glance_apply_tags(req, r->id);
    glance_host->finish(req, json_pack("{s:s}", "ImageId", r->id));
}

/* Copy of a failed answer, kept while the half-made image is deleted. */
struct undo {
    struct glance_reg *r;
    ec2gw_os_resp_t resp;
    const char *not_found; /* the EC2 code of a 404 */
};

static void
undone(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct undo *u = arg;

    if (!ec2gw_os_ok(resp))
        glance_host->log(req, EC2GW_LOG_WARN, "could not delete the half-made image %s",
                         u->r->uuid);
    glance_host->fail_from_os(req, &u->resp, u->not_found);
}

/* Filling failed: delete the new image (compensation), then answer the failure. */
static void
filled(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct glance_reg *r = arg;
    struct undo *u;
    ec2gw_os_call_t c;

    if (ec2gw_os_ok(resp)) {
        answer_id(req, r);
        return;
    }
    u = glance_host->pcalloc(req, sizeof(*u));
    u->r = r;
    /* os_transfer() tells a failed download (the source went away) by src's path. */
    if (r->copy_from != NULL && resp->location != NULL &&
        strcmp(resp->location, glance_image_path(req, r->copy_from, "/file")) == 0)
        u->not_found = "InvalidAMIID.NotFound";
    u->resp = *resp;
    u->resp.error = resp->error ? glance_host->pstrdup(req, resp->error) : NULL;
    u->resp.json = resp->json ? glance_host->own_json(req, resp->json) : NULL;
    u->resp.body = glance_host->pstrdup(req, resp->body ? resp->body : "");
    u->resp.os_request_id = NULL;
    u->resp.location = NULL;
    c = EC2GW_OS_CALL("image", "DELETE", glance_image_path(req, r->uuid, NULL), .flags = 0);
    if (glance_host->os_call(req, &c, undone, u) < 0)
        glance_host->fail_from_os(req, &u->resp, NULL);
}

/* CopyImage: the source's data into the new image, streamed by the host. */
static void
copy_data(ec2gw_req_t *req, struct glance_reg *r)
{
    ec2gw_os_call_t src = EC2GW_OS_GET("image", glance_image_path(req, r->copy_from, "/file"));
    ec2gw_os_call_t dst = EC2GW_OS_CALL("image", "PUT", glance_image_path(req, r->uuid, "/file"),
                                        .content_type = "application/octet-stream");
    int rc = glance_host->os_transfer(req, &src, &dst, filled, r);

    if (rc < 0 && rc != EC2GW_E_STATE) {
        ec2gw_os_resp_t local = { .size = sizeof(local), .error = "no transfer", .body = "" };

        filled(req, &local, r); /* deletes the new image, answers Unavailable */
    }
}

/* A create whose answer was lost, kept while its image is looked for. */
struct lost {
    struct glance_reg *r;
    ec2gw_os_resp_t resp;
};

static void
lost_found(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct lost *l = arg;
    const char *me = glance_host->request_id(req);
    const json_t *im;
    size_t i;

    json_array_foreach(json_object_get(resp->json, "images"), i, im)
    {
        const char *mark = json_string_value(json_object_get(im, GLANCE_MARKER));
        const char *uuid = json_string_value(json_object_get(im, "id"));

        if (mark != NULL && uuid != NULL && strcmp(mark, me) == 0) {
            l->r->uuid = glance_host->pstrdup(req, uuid);
            filled(req, &l->resp, l->r); /* deletes it, answers the lost create's failure */
            return;
        }
    }
    if (!ec2gw_os_ok(resp))
        glance_host->log(req, EC2GW_LOG_ERROR, "could not look for the image of a lost create");
    glance_host->fail_from_os(req, &l->resp, NULL);
}

/* No answer to the create (a reset, a timeout, a 5xx): Glance may have made the image all the
 * same. The request id it carries finds it, so a failed create leaves nothing (a name taken by
 * an image the client never heard of would refuse its retry). */
static void
created_lost(ec2gw_req_t *req, struct glance_reg *r, const ec2gw_os_resp_t *resp)
{
    struct lost *l = glance_host->pcalloc(req, sizeof(*l));
    const char *name = json_string_value(json_object_get(r->body, "name"));
    ec2gw_os_call_t c = EC2GW_OS_GET(
        "image",
        glance_host->psprintf(
            req, "/v2/images?name=%s&owner=%s", glance_host->url_escape(req, name ? name : ""),
            glance_host->url_escape(req, glance_host->identity(req)->project_id)));

    l->r = r;
    l->resp = *resp;
    l->resp.error = resp->error ? glance_host->pstrdup(req, resp->error) : NULL;
    l->resp.json = resp->json ? glance_host->own_json(req, resp->json) : NULL;
    l->resp.body = glance_host->pstrdup(req, resp->body ? resp->body : "");
    l->resp.os_request_id = NULL;
    l->resp.location = NULL;
    if (name == NULL || glance_host->os_call(req, &c, lost_found, l) < 0)
        glance_host->fail_from_os(req, resp, NULL);
}

/* The new image exists: fill it (web-download or an upload), then answer its id. */
static void
created(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct glance_reg *r = arg;
    const char *uuid = json_string_value(json_object_get(resp->json, "id"));
    json_t *body;
    ec2gw_os_call_t c;

    if (!ec2gw_os_ok(resp) || uuid == NULL) {
        if (resp->status == 0 || resp->status >= 500)
            created_lost(req, r, resp);
        else
            glance_host->fail_from_os(req, resp, NULL);
        return;
    }
    r->uuid = glance_host->pstrdup(req, uuid);
    if (glance_host->id_to_ec2(req, glance_kind(resp->json), uuid, &r->id) != 0) {
        glance_host->fail(req, 500, "InternalError", "could not map image %s", uuid);
        return;
    }
    if (r->src_ec2 != NULL &&
        json_is_true(json_object_get(glance_host->params(req), "CopyImageTags"))) {
        json_t *tags = NULL;
        const char *ids[1] = { r->src_ec2 };

        if (glance_host->tags_get(req, ids, 1, &tags) == 0 &&
            json_object_get(tags, r->src_ec2) != NULL)
            glance_host->tags_set(req, r->id, json_object_get(tags, r->src_ec2));
        json_decref(tags);
    }
    if (r->copy_from != NULL) {
        copy_data(req, r);
        return;
    }
    if (r->location != NULL) {
        body = json_pack("{s:{s:s, s:s}}", "method", "name", "web-download", "uri", r->location);
        c = EC2GW_OS_CALL("image", "POST", glance_image_path(req, uuid, "/import"), .body = body);
    } else {
        /* The daemon sends no Content-Type without a body (Glance answers 415): upload "{}".
         * The data is never read: Nova boots such images from their block device mappings. */
        body = json_object();
        c = EC2GW_OS_CALL("image", "PUT", glance_image_path(req, uuid, "/file"), .body = body,
                          .content_type = "application/octet-stream");
    }
    glance_host->own_json(req, body);
    json_decref(body);
    if (glance_host->os_call(req, &c, filled, r) < 0)
        glance_host->fail(req, 500, "InternalError", "could not call Glance");
}

static void
create_now(ec2gw_req_t *req, void *arg)
{
    struct glance_reg *r = arg;
    ec2gw_os_call_t c = EC2GW_OS_CALL("image", "POST", "/v2/images", .body = r->body);

    if (glance_host->os_call(req, &c, created, r) < 0)
        glance_host->fail(req, 500, "InternalError", "could not call Glance");
}

int
glance_create_and_fill(ec2gw_req_t *req, struct glance_reg *r, json_t *body)
{
    json_object_set_new(body, GLANCE_MARKER, json_string(glance_host->request_id(req)));
    r->body = glance_host->own_json(req, body);
    json_decref(body);
    return glance_name_free(req, json_string_value(json_object_get(body, "name")), create_now, r);
}

/* Resolve an aki/ari parameter into property @p prop; -1 after answering. */
static int
set_image_ref(ec2gw_req_t *req, json_t *props, const char *param, const char *prop)
{
    const char *id = param_str(req, param), *uuid = NULL;

    if (id == NULL)
        return 0;
    if (glance_resolve(req, id, &uuid) != 0)
        return -1;
    if (uuid == NULL) {
        glance_fail_notfound(req, id);
        return -1;
    }
    json_object_set_new(props, prop, json_string(uuid));
    return 0;
}

/* The common properties of RegisterImage: -1 after answering. */
static int
register_props(ec2gw_req_t *req, json_t *props)
{
    const char *v;

    if ((v = param_str(req, "Name")) != NULL)
        json_object_set_new(props, "name", json_string(v));
    if ((v = param_str(req, "Description")) != NULL && *v != '\0')
        json_object_set_new(props, "description", json_string(v));
    if ((v = param_str(req, "Architecture")) != NULL)
        json_object_set_new(props, "architecture", json_string(v));
    if ((v = param_str(req, "VirtualizationType")) != NULL)
        json_object_set_new(props, "vm_mode",
                            json_string(strcmp(v, "paravirtual") == 0 ? "xen" : "hvm"));
    return set_image_ref(req, props, "KernelId", "kernel_id") ||
                   set_image_ref(req, props, "RamdiskId", "ramdisk_id")
               ? -1
               : 0;
}

/* BlockDeviceMapping.N as Nova's bdm_v2 list; NULL after answering. */
static json_t *
bdm_v2(ec2gw_req_t *req, const char *root)
{
    const json_t *list = json_object_get(glance_host->params(req), "BlockDeviceMappings"), *m;
    json_t *out = json_array();
    size_t i;

    json_array_foreach(list, i, m)
    {
        const char *dev = glance_prop(m, "DeviceName"), *virt = glance_prop(m, "VirtualName");
        const json_t *ebs = json_object_get(m, "Ebs");
        const char *snap = glance_prop(ebs, "SnapshotId"), *os_snap = NULL;
        json_t *b = json_pack("{s:s?}", "device_name", dev);

        json_array_append_new(out, b);
        if (json_object_get(m, "NoDevice") != NULL) {
            json_object_set_new(b, "no_device", json_true());
            continue;
        }
        json_object_set_new(
            b, "boot_index",
            json_integer(dev != NULL && root != NULL && strcmp(dev, root) == 0 ? 0 : -1));
        if (virt != NULL) {
            json_object_set_new(b, "source_type", json_string("blank"));
            json_object_set_new(b, "destination_type", json_string("local"));
            if (strcmp(virt, "swap") == 0)
                json_object_set_new(b, "guest_format", json_string("swap"));
            continue;
        }
        if (snap != NULL && (strncmp(snap, "snap-", 5) != 0 ||
                             glance_host->id_to_os(req, snap, &os_snap) != 0 || os_snap == NULL)) {
            glance_host->fail(req, 400, "InvalidSnapshot.NotFound",
                              "The snapshot '%s' does not exist.", snap);
            json_decref(out);
            return NULL;
        }
        json_object_set_new(b, "source_type", json_string(os_snap ? "snapshot" : "blank"));
        json_object_set_new(b, "destination_type", json_string("volume"));
        if (os_snap != NULL)
            json_object_set_new(b, "snapshot_id", json_string(os_snap));
        if (json_object_get(ebs, "VolumeSize") != NULL)
            json_object_set(b, "volume_size", json_object_get(ebs, "VolumeSize"));
        json_object_set_new(
            b, "delete_on_termination",
            json_boolean(!json_is_false(json_object_get(ebs, "DeleteOnTermination"))));
        if (glance_prop(ebs, "VolumeType") != NULL)
            json_object_set_new(b, "volume_type", json_string(glance_prop(ebs, "VolumeType")));
    }
    return out;
}

/* ImageLocation naming an existing Glance image: answer its id (owner: write attributes). */
static void
adopt_image(ec2gw_req_t *req, json_t *image, void *arg)
{
    struct glance_reg *r = arg;
    const char *uuid = glance_prop(image, "id"), *own = glance_prop(image, "owner");
    json_t *props = json_object(), *patch = json_array(), *v;
    const char *k;

    if (glance_host->id_to_ec2(req, glance_kind(image), uuid, &r->id) != 0 ||
        register_props(req, props) != 0) {
        json_decref(props);
        json_decref(patch);
        if (r->id == NULL)
            glance_host->fail(req, 500, "InternalError", "could not map image %s", uuid);
        return;
    }
    json_object_foreach(props, k, v)
    {
        /* core attributes take replace; extra properties take add (an upsert in Glance) */
        glance_patch_op(patch, strcmp(k, "name") == 0 ? "replace" : "add",
                        glance_host->psprintf(req, "/%s", k), json_incref(v));
    }
    json_decref(props);
    if (own != NULL && strcmp(own, glance_host->identity(req)->project_id) == 0 &&
        json_array_size(patch) > 0)
        glance_seq_add(req, "image", "PATCH", glance_image_path(req, uuid, NULL), patch,
                       glance_patch_type, 0);
    else
        json_decref(patch);
    glance_seq_run(req, "InvalidAMIID.NotFound", answer_id, r);
}

static const char *
glance_location(const char *loc)
{
    size_t n;

    if (strncmp(loc, "glance:", 7) == 0) {
        loc += 7;
        while (*loc == '/')
            loc++;
    }
    n = strlen(loc);
    if (n == 36 && loc[8] == '-' && loc[13] == '-' && loc[18] == '-' && loc[23] == '-' &&
        strspn(loc, "0123456789abcdef-") == 36)
        return loc;
    return NULL;
}

int
glance_register_image(ec2gw_req_t *req, void *inst)
{
    struct glance_reg *r = glance_host->pcalloc(req, sizeof(*r));
    const char *loc = param_str(req, "ImageLocation"), *root = param_str(req, "RootDeviceName");
    const char *uuid;
    json_t *body, *bdms;
    char *text;

    r->gi = inst;
    if (param_str(req, "Name") == NULL || *param_str(req, "Name") == '\0') {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter name");
        return EC2GW_OK;
    }
    if (loc != NULL && (uuid = glance_location(loc)) != NULL)
        return glance_get_image(req, uuid, adopt_image, r);
    if (loc != NULL && strncmp(loc, "http://", 7) != 0 && strncmp(loc, "https://", 8) != 0) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "ImageLocation %s: S3 bundles are not supported; use an http(s) URL "
                          "or glance:<image uuid>",
                          loc);
        return EC2GW_OK;
    }
    if (loc == NULL &&
        (root == NULL ||
         json_array_size(json_object_get(glance_host->params(req), "BlockDeviceMappings")) == 0)) {
        glance_host->fail(req, 400, "InvalidParameterCombination",
                          "Either ImageLocation or RootDeviceName with BlockDeviceMapping is "
                          "required");
        return EC2GW_OK;
    }
    body = json_pack("{s:s, s:s, s:s}", "visibility", "private", "container_format", "bare",
                     "disk_format", "raw");
    if (register_props(req, body) != 0) {
        json_decref(body);
        return EC2GW_OK;
    }
    if (loc != NULL) {
        r->location = loc;
        json_object_set_new(body, "image_location", json_string(loc));
        return glance_create_and_fill(req, r, body);
    }
    if ((bdms = bdm_v2(req, root)) == NULL) {
        json_decref(body);
        return EC2GW_OK;
    }
    json_object_set_new(body, "root_device_name", json_string(root));
    json_object_set_new(body, "bdm_v2", json_string("True"));
    text = json_dumps(bdms, JSON_COMPACT);
    json_decref(bdms);
    json_object_set_new(body, "block_device_mapping", json_string(text ? text : "[]"));
    json_free_text(text);
    return glance_create_and_fill(req, r, body);
}
