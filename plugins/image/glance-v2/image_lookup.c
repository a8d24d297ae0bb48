/*
 * image_lookup.c - listing every Glance image the caller sees (own, public, shared; with
 * `list_shared_pending` also shares not yet accepted, so a shared AMI shows up for the other
 * account at once, as on AWS), following Glance's `next` links; and finding the image behind
 * an EC2 id when the caller's project has no visible mapping row for it.
 */
#include <string.h>

#include <jansson.h>

#include "glance.h"

struct list {
    json_t *images; /* uuid -> image (owned by the request) */
    json_t *paths;  /* list paths still to run (owned by the request) */
    glance_list_fn done;
    void *arg;
    int shared; /* DescribeImages: its list GETs may share (ABI 1.4); writers read fresh */
};

static int list_next(ec2gw_req_t *req, struct list *l);

static json_t *
owned(ec2gw_req_t *req, json_t *j)
{
    glance_host->own_json(req, j);
    json_decref(j);
    return j;
}

static void
list_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct list *l = arg;
    json_t *imgs = json_object_get(resp->json, "images"), *im;
    const char *next = json_string_value(json_object_get(resp->json, "next"));
    size_t i;

    if (!ec2gw_os_ok(resp) || !json_is_array(imgs)) {
        glance_host->fail_from_os(req, resp, NULL);
        return;
    }
    json_array_foreach(imgs, i, im)
    {
        const char *uuid = glance_prop(im, "id");

        if (uuid != NULL)
            json_object_set(l->images, uuid, im);
    }
    if (next != NULL && *next != '\0')
        json_array_insert_new(l->paths, 0, json_string(next));
    list_next(req, l);
}

static int
list_next(ec2gw_req_t *req, struct list *l)
{
    ec2gw_os_call_t c;
    const char *path;
    int rc;

    if (json_array_size(l->paths) == 0) {
        l->done(req, l->images, l->arg);
        return EC2GW_OK;
    }
    path = glance_host->pstrdup(req, json_string_value(json_array_get(l->paths, 0)));
    json_array_remove(l->paths, 0);
    c = EC2GW_OS_CALL("image", "GET", path, .flags = l->shared ? EC2GW_CALL_SHARED : 0);
    rc = glance_host->os_call(req, &c, list_done, l);
    if (rc < 0 && rc != EC2GW_E_STATE) {
        glance_host->fail(req, 500, "InternalError", "could not call Glance (%d)", rc);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

int
glance_list_all(ec2gw_req_t *req, const struct glance_inst *gi, glance_list_fn done, void *arg)
{
    struct list *l = glance_host->pcalloc(req, sizeof(*l));
    long long n = gi->page_size;

    l->images = owned(req, json_object());
    l->paths = owned(req, json_array());
    l->done = done;
    l->arg = arg;
    /* list_done only reads the answer (json_object_set keeps references, changes nothing) */
    l->shared = strcmp(glance_host->action(req), "DescribeImages") == 0;
    json_array_append_new(l->paths,
                          json_string(glance_host->psprintf(req, "/v2/images?limit=%lld", n)));
    if (gi->list_shared_pending)
        json_array_append_new(
            l->paths, json_string(glance_host->psprintf(
                          req, "/v2/images?limit=%lld&visibility=shared&member_status=all", n)));
    return list_next(req, l);
}

struct find {
    const char *ec2_id;
    glance_image_fn fn;
    void *arg;
};

static void
find_listed(ec2gw_req_t *req, json_t *images, void *arg)
{
    struct find *f = arg;
    const char *uuid, *id;
    json_t *image;

    json_object_foreach(images, uuid, image)
    {
        id = NULL;
        if (glance_host->id_to_ec2(req, glance_kind(image), uuid, &id) == 0 && id != NULL &&
            strcmp(id, f->ec2_id) == 0) {
            f->fn(req, image, f->arg);
            return;
        }
    }
    glance_fail_notfound(req, f->ec2_id);
}

int
glance_with_image(ec2gw_req_t *req, const struct glance_inst *gi, const char *ec2_id,
                  glance_image_fn fn, void *arg)
{
    struct find *f;
    const char *uuid = NULL;

    if (glance_resolve(req, ec2_id, &uuid) != 0)
        return EC2GW_OK;
    if (uuid != NULL)
        return glance_get_image(req, uuid, fn, arg);
    f = glance_host->pcalloc(req, sizeof(*f));
    f->ec2_id = ec2_id;
    f->fn = fn;
    f->arg = arg;
    return glance_list_all(req, gi, find_listed, f);
}
