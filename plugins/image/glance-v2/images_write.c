/*
 * images_write.c - DeregisterImage and CreateImage (openstack-mapping.md §14.1, §14.3).
 * RegisterImage and CopyImage are in images_register.c.
 */
#include <string.h>

#include <jansson.h>

#include "glance.h"

struct write {
    const struct glance_inst *gi;
    const char *ec2_id, *uuid;
};

static const char *
param_str(ec2gw_req_t *req, const char *key)
{
    return json_string_value(json_object_get(glance_host->params(req), key));
}

/* -- DeregisterImage ----------------------------------------------------------------------- */

static void
deregister_done(ec2gw_req_t *req, void *arg)
{
    struct write *w = arg;

    glance_host->item_delete(req, w->ec2_id); /* a mapping-only row may not be ours: ignore */
    glance_finish_true(req, NULL);
}

static void
deregister_image(ec2gw_req_t *req, json_t *image, void *arg)
{
    struct write *w = arg;

    w->uuid = glance_host->pstrdup(req, glance_prop(image, "id"));
    if (!glance_owner_check(req, image, w->ec2_id))
        return;
    glance_seq_add(req, "image", "DELETE", glance_image_path(req, w->uuid, NULL), NULL, NULL, 404);
    glance_seq_run(req, "InvalidAMIID.NotFound", deregister_done, w);
}

int
glance_deregister(ec2gw_req_t *req, void *inst)
{
    struct write *w = glance_host->pcalloc(req, sizeof(*w));

    w->gi = inst;
    w->ec2_id = param_str(req, "ImageId");
    return glance_with_image(req, inst, w->ec2_id, deregister_image, w);
}

/* -- CreateImage: Nova createImage of a server -------------------------------------------- */

/* The image id of a createImage answer: the 2.45+ body, or the Location header. */
static const char *
created_image_id(ec2gw_req_t *req, const ec2gw_os_resp_t *resp)
{
    const char *id = json_string_value(json_object_get(resp->json, "image_id")), *slash;

    if (id != NULL)
        return id;
    if (resp->location != NULL && (slash = strrchr(resp->location, '/')) != NULL &&
        slash[1] != '\0')
        return glance_host->pstrdup(req, slash + 1);
    return NULL;
}

static void
create_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    const char *os_id, *id = NULL;

    (void)arg;
    if (!ec2gw_os_ok(resp)) {
        glance_host->fail_from_os(req, resp, "InvalidInstanceID.NotFound");
        return;
    }
    if ((os_id = created_image_id(req, resp)) == NULL) {
        glance_host->fail(req, 500, "InternalError", "Nova did not say which image it created");
        return;
    }
    /* Nova snapshots are bare/raw-like machine images: kind ami (ec2-api reads the image). */
    if (glance_host->id_to_ec2(req, "ami", os_id, &id) != 0 || id == NULL) {
        glance_host->fail(req, 500, "InternalError", "could not map image %s", os_id);
        return;
    }
    glance_apply_tags(req, id);
    glance_host->finish(req, json_pack("{s:s}", "ImageId", id));
}

static int
instance_resolve(ec2gw_req_t *req, const char *ec2_id, const char **os_id)
{
    int rc;

    if (ec2_id == NULL) {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter InstanceId");
        return -1;
    }
    rc = strncmp(ec2_id, "i-", 2) == 0 ? glance_host->id_to_os(req, ec2_id, os_id) : EC2GW_E_INVAL;
    if (rc == EC2GW_E_INVAL) {
        glance_host->fail(req, 400, "InvalidInstanceID.Malformed", "Invalid id: \"%s\"", ec2_id);
        return -1;
    }
    if (rc < 0 || *os_id == NULL) {
        glance_host->fail(req, 400, "InvalidInstanceID.NotFound",
                          "The instance ID '%s' does not exist", ec2_id);
        return -1;
    }
    return 0;
}

struct create {
    const struct glance_inst *gi;
    const char *server;
    json_t *body;
};

static void
create_now(ec2gw_req_t *req, void *arg)
{
    struct create *cr = arg;
    ec2gw_os_call_t c = EC2GW_OS_CALL(
        "compute", "POST",
        glance_host->psprintf(req, "/servers/%s/action", glance_host->url_escape(req, cr->server)),
        .body = cr->body, .microversion = cr->gi->compute_microversion);

    if (glance_host->os_call(req, &c, create_done, NULL) < 0)
        glance_host->fail(req, 500, "InternalError", "could not call Nova");
}

/*
 * Nova's createImage, without a reboot whatever NoReboot says (a live snapshot: ec2-api's
 * stop/snapshot/start path needs a persisted background task the SDK does not offer yet).
 */
int
glance_create_image(ec2gw_req_t *req, void *inst)
{
    struct create *cr = glance_host->pcalloc(req, sizeof(*cr));
    const char *name = param_str(req, "Name"), *desc = param_str(req, "Description");
    json_t *meta, *body;

    cr->gi = inst;
    if (name == NULL || *name == '\0') {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter Name");
        return EC2GW_OK;
    }
    if (instance_resolve(req, param_str(req, "InstanceId"), &cr->server) != 0)
        return EC2GW_OK;
    meta = json_object();
    if (desc != NULL && *desc != '\0')
        json_object_set_new(meta, "description", json_string(desc));
    body = json_pack("{s:{s:s, s:o}}", "createImage", "name", name, "metadata", meta);
    cr->body = glance_host->own_json(req, body);
    json_decref(body);
    return glance_name_free(req, name, create_now, cr);
}
