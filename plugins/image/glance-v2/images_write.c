/*
 * images_write.c - DeregisterImage (openstack-mapping.md §14.3). CreateImage is in
 * image_create.c, RegisterImage in images_register.c and CopyImage in image_copy.c.
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
