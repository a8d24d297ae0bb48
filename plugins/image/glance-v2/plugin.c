/*
 * plugin.c - the glance-v2 plugin: EC2 images on Glance v2 (openstack-mapping.md §14). The
 * descriptor, settings, and the small helpers every action uses: a sequential OpenStack call
 * runner, EC2 image id resolution and a single-image GET.
 */
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

#include "glance.h"

const ec2gw_host_api_t *glance_host;

const char glance_patch_type[] = "application/openstack-images-v2.1-json-patch";

/* Per-request state of the sequential runner (host->state() block). */
struct glance_seq {
    json_t *steps; /* [{service, method, path, body, ct, ok}] (owned by the request) */
    size_t next;
    const char *nf;
    glance_seq_done_fn done;
    void *arg;
};

static struct glance_seq *
seq_of(ec2gw_req_t *req)
{
    struct glance_seq *s = glance_host->state(req, sizeof(*s));

    if (s != NULL && s->steps == NULL) {
        s->steps = glance_host->own_json(req, json_array());
        json_decref(s->steps);
    }
    return s;
}

void
glance_seq_add(ec2gw_req_t *req, const char *service, const char *method, const char *path,
               json_t *body, const char *content_type, long ok_status)
{
    struct glance_seq *s = seq_of(req);

    if (s == NULL) {
        json_decref(body);
        return;
    }
    json_array_append_new(s->steps, json_pack("{s:s, s:s, s:s, s:o?, s:s?, s:I}", "service",
                                              service, "method", method, "path", path, "body", body,
                                              "ct", content_type, "ok", (json_int_t)ok_status));
}

static int seq_step(ec2gw_req_t *req);

static void
seq_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct glance_seq *s = arg;
    const json_t *step = json_array_get(s->steps, s->next - 1);

    if (!ec2gw_os_ok(resp) &&
        !(resp->status != 0 && resp->status == json_integer_value(json_object_get(step, "ok")))) {
        glance_host->fail_from_os(req, resp, s->nf);
        return;
    }
    seq_step(req);
}

static int
seq_step(ec2gw_req_t *req)
{
    struct glance_seq *s = seq_of(req);
    const json_t *step;
    ec2gw_os_call_t c;
    int rc;

    if (s->next >= json_array_size(s->steps)) {
        s->done(req, s->arg);
        return EC2GW_OK;
    }
    step = json_array_get(s->steps, s->next++);
    c = EC2GW_OS_CALL(json_string_value(json_object_get(step, "service")),
                      json_string_value(json_object_get(step, "method")),
                      json_string_value(json_object_get(step, "path")),
                      .body = json_object_get(step, "body"),
                      .content_type = json_string_value(json_object_get(step, "ct")));
    rc = glance_host->os_call(req, &c, seq_done, s);
    if (rc < 0 && rc != EC2GW_E_STATE) {
        glance_host->fail(req, 500, "InternalError", "could not call OpenStack (%d)", rc);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

int
glance_seq_run(ec2gw_req_t *req, const char *nf, glance_seq_done_fn done, void *arg)
{
    struct glance_seq *s = seq_of(req);

    if (s == NULL) {
        glance_host->fail(req, 500, "InternalError", "out of memory");
        return EC2GW_OK;
    }
    s->nf = nf;
    s->done = done;
    s->arg = arg;
    return seq_step(req);
}

/* TagSpecifications of ResourceType image (or none) onto @p ec2_id. */
void
glance_apply_tags(ec2gw_req_t *req, const char *ec2_id)
{
    const json_t *specs = json_object_get(glance_host->params(req), "TagSpecifications"), *s;
    size_t i;

    json_array_foreach(specs, i, s)
    {
        const char *rt = glance_prop(s, "ResourceType");
        const json_t *tags = json_object_get(s, "Tags");

        if ((rt == NULL || strcmp(rt, "image") == 0) && json_array_size(tags) > 0 &&
            glance_host->tags_set(req, ec2_id, tags) != 0)
            glance_host->log(req, EC2GW_LOG_WARN, "could not tag %s", ec2_id);
    }
}

void
glance_finish_true(ec2gw_req_t *req, void *arg)
{
    (void)arg;
    glance_host->finish(req, json_pack("{s:b}", "Return", 1));
}

json_t *
glance_patch_op(json_t *ops, const char *op, const char *path, json_t *value)
{
    json_t *o = json_pack("{s:s, s:s}", "op", op, "path", path);

    if (value != NULL)
        json_object_set_new(o, "value", value);
    json_array_append_new(ops, o);
    return ops;
}

int
glance_resolve(ec2gw_req_t *req, const char *ec2_id, const char **uuid)
{
    int rc;

    *uuid = NULL;
    if (ec2_id == NULL || *ec2_id == '\0') {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter ImageId");
        return -1;
    }
    rc = glance_id_valid(ec2_id) ? glance_host->id_to_os(req, ec2_id, uuid) : EC2GW_E_INVAL;
    if (rc == EC2GW_E_INVAL) {
        glance_host->fail(req, 400, "InvalidAMIID.Malformed",
                          "Invalid id: \"%s\" (expecting \"ami-...\")", ec2_id);
        return -1;
    }
    if (rc < 0)
        *uuid = NULL;
    return 0;
}

void
glance_fail_notfound(ec2gw_req_t *req, const char *ec2_id)
{
    glance_host->fail(req, 400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist",
                      ec2_id);
}

int
glance_owner_check(ec2gw_req_t *req, const json_t *image, const char *ec2_id)
{
    const char *owner = glance_prop(image, "owner");
    const char *me = glance_host->identity(req)->project_id;

    if (owner != NULL && me != NULL && strcmp(owner, me) == 0)
        return 1;
    glance_host->fail(req, 400, "AuthFailure", "Not authorized for image:%s", ec2_id);
    return 0;
}

const char *
glance_image_path(ec2gw_req_t *req, const char *uuid, const char *suffix)
{
    return glance_host->psprintf(req, "/v2/images/%s%s", glance_host->url_escape(req, uuid),
                                 suffix != NULL ? suffix : "");
}

struct name_check {
    glance_seq_done_fn next;
    void *arg;
    const char *name;
};

static void
name_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct name_check *n = arg;
    const json_t *imgs = json_object_get(resp->json, "images");
    const char *id = NULL;

    if (!ec2gw_os_ok(resp)) {
        glance_host->fail_from_os(req, resp, NULL);
        return;
    }
    if (json_array_size(imgs) > 0) {
        const json_t *im = json_array_get(imgs, 0);

        glance_host->id_to_ec2(req, glance_kind(im), glance_prop(im, "id"), &id);
        glance_host->fail(req, 400, "InvalidAMIName.Duplicate",
                          "AMI name %s is already in use by AMI %s", n->name, id ? id : "?");
        return;
    }
    n->next(req, n->arg);
}

int
glance_name_free(ec2gw_req_t *req, const char *name, glance_seq_done_fn next, void *arg)
{
    struct name_check *n = glance_host->pcalloc(req, sizeof(*n));
    const char *me = glance_host->identity(req)->project_id;
    ec2gw_os_call_t c =
        EC2GW_OS_GET("image", glance_host->psprintf(req, "/v2/images?limit=1&owner=%s&name=%s",
                                                    glance_host->url_escape(req, me ? me : ""),
                                                    glance_host->url_escape(req, name)));
    int rc;

    n->next = next;
    n->arg = arg;
    n->name = name;
    rc = glance_host->os_call(req, &c, name_checked, n);
    if (rc < 0 && rc != EC2GW_E_STATE) {
        glance_host->fail(req, 500, "InternalError", "could not call Glance (%d)", rc);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

struct get_image {
    glance_image_fn fn;
    void *arg;
    const char *uuid;
};

static void
get_image_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct get_image *g = arg;

    if (!ec2gw_os_ok(resp) || !json_is_object(resp->json)) {
        if (resp->status == 404 || resp->status == 403) {
            const json_t *p = glance_host->params(req);
            const char *id = json_string_value(json_object_get(p, "ImageId"));

            if (id == NULL)
                id = json_string_value(json_object_get(p, "SourceImageId"));
            glance_host->fail(req, 400, "InvalidAMIID.NotFound",
                              "The image id '[%s]' does not exist", id ? id : g->uuid);
            return;
        }
        glance_host->fail_from_os(req, resp, "InvalidAMIID.NotFound");
        return;
    }
    g->fn(req, resp->json, g->arg);
}

int
glance_get_image(ec2gw_req_t *req, const char *uuid, glance_image_fn fn, void *arg)
{
    struct get_image *g = glance_host->pcalloc(req, sizeof(*g));
    ec2gw_os_call_t c = EC2GW_OS_GET("image", glance_image_path(req, uuid, NULL));
    int rc;

    g->fn = fn;
    g->arg = arg;
    g->uuid = uuid;
    rc = glance_host->os_call(req, &c, get_image_done, g);
    if (rc < 0 && rc != EC2GW_E_STATE) {
        glance_host->fail(req, 500, "InternalError", "could not call Glance (%d)", rc);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

static const ec2gw_setting_t glance_settings[] = {
    { .key = "page_size",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct glance_inst, page_size),
      .def = "500",
      .help = "images per Glance list call (limit=)" },
    { .key = "list_shared_pending",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct glance_inst, list_shared_pending),
      .def = "true",
      .help = "DescribeImages also lists images shared with the caller not yet accepted" },
    { .key = "compute_microversion",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct glance_inst, compute_microversion),
      .def = "2.45",
      .help = "Nova microversion for createImage (2.45+ returns the image id in the body)" },
    { .key = "create_image_timeout",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct glance_inst, create_image_timeout_ms),
      .def = "45s",
      .help = "CreateImage without NoReboot: how long to wait for the instance to stop, and "
              "then to start again (keep twice this below limits.request_timeout)" },
    { .key = NULL },
};

static const ec2gw_action_t glance_actions[] = {
    { .name = "DescribeImages", .fn = glance_describe_images, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeImageAttribute", .fn = glance_describe_attr, .flags = EC2GW_ACT_READONLY },
    { .name = "ModifyImageAttribute", .fn = glance_modify_attr },
    { .name = "ResetImageAttribute", .fn = glance_reset_attr },
    { .name = "DeregisterImage", .fn = glance_deregister },
    { .name = "CreateImage", .fn = glance_create_image },
    { .name = "RegisterImage", .fn = glance_register_image },
    { .name = "CopyImage", .fn = glance_copy_image, .flags = EC2GW_ACT_CLIENT_TOKEN },
    { .name = NULL },
};

static int
glance_load(const ec2gw_host_api_t *host)
{
    glance_host = host;
    return 0;
}

static int
glance_create(void *inst, ec2gw_cfg_t *cfg)
{
    const struct glance_inst *gi = inst;

    if (gi->create_image_timeout_ms < 1000) {
        glance_host->cfg_error(cfg, "create_image_timeout", "must be at least 1s");
        return EC2GW_E_INVAL;
    }
    if (gi->page_size < 1 || gi->page_size > 1000) {
        glance_host->cfg_error(cfg, "page_size", "%lld is out of range (1..1000)",
                               (long long)gi->page_size);
        return EC2GW_E_INVAL;
    }
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "glance-v2",
    .version = "0.1.0",
    .description = "EC2 images (AMI/AKI/ARI) on Glance v2",
    .service = { .type = "image", .api = "v2" },
    .uses = (const ec2gw_service_t[]){ { .type = "compute", .api = "v2.1" }, { .type = NULL } },
    .actions = glance_actions,
    .settings = glance_settings,
    .inst_size = sizeof(struct glance_inst),
    .load = glance_load,
    .create = glance_create,
};
