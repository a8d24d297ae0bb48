/*
 * image_attrs.c - DescribeImageAttribute, ModifyImageAttribute and ResetImageAttribute
 * (openstack-mapping.md §14.5). Launch permissions map to Glance visibility (group `all` =
 * public) and image members (UserId.N = a project id; visibility `shared`); the description
 * is the Glance property `description`.
 */
#include <string.h>

#include <jansson.h>

#include "glance.h"

struct attr {
    const char *ec2_id, *uuid, *attr;
    json_t *model;
    /* ModifyImageAttribute */
    int add_all, remove_all;
    json_t *add_users, *remove_users; /* arrays of strings (owned by the request) */
    const json_t *description;        /* string to set, "" to clear, or NULL */
};

static const char *
param_str(ec2gw_req_t *req, const char *key)
{
    return json_string_value(json_object_get(glance_host->params(req), key));
}

static json_t *
attr_value(const char *v)
{
    return v != NULL ? json_pack("{s:s}", "Value", v) : json_object();
}

/* -- DescribeImageAttribute ---------------------------------------------------------------- */

static void
members_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct attr *a = arg;
    json_t *perms = json_object_get(a->model, "LaunchPermissions"), *m;
    size_t i;

    if (!ec2gw_os_ok(resp)) {
        glance_host->fail_from_os(req, resp, "InvalidAMIID.NotFound");
        return;
    }
    json_array_foreach(json_object_get(resp->json, "members"), i, m)
    {
        const char *id = glance_prop(m, "member_id");

        if (id != NULL)
            json_array_append_new(perms, json_pack("{s:s}", "UserId", id));
    }
    glance_host->finish(req, json_incref(a->model));
}

static void
describe_attr_image(ec2gw_req_t *req, json_t *image, void *arg)
{
    struct attr *a = arg;
    json_t *item, *m = json_pack("{s:s}", "ImageId", a->ec2_id);
    const char *vis = glance_prop(image, "visibility");
    ec2gw_os_call_t c;

    a->uuid = glance_host->pstrdup(req, glance_prop(image, "id"));
    a->model = glance_host->own_json(req, m);
    json_decref(m);
    if (strcmp(a->attr, "launchPermission") == 0) {
        if (!glance_owner_check(req, image, a->ec2_id))
            return;
        json_object_set_new(m, "LaunchPermissions", json_array());
        if (vis != NULL && strcmp(vis, "public") == 0)
            json_array_append_new(json_object_get(m, "LaunchPermissions"),
                                  json_pack("{s:s}", "Group", "all"));
        if (vis == NULL || strcmp(vis, "shared") != 0) {
            glance_host->finish(req, json_incref(m));
            return;
        }
        c = EC2GW_OS_GET("image", glance_image_path(req, a->uuid, "/members"));
        if (glance_host->os_call(req, &c, members_done, a) < 0)
            glance_host->fail(req, 500, "InternalError", "could not call Glance");
        return;
    }
    if ((item = glance_format(req, image)) == NULL) {
        glance_host->fail(req, 500, "InternalError", "could not map the image's ids");
        return;
    }
    if (strcmp(a->attr, "description") == 0)
        json_object_set_new(m, "Description",
                            attr_value(json_string_value(json_object_get(item, "Description"))));
    else if (strcmp(a->attr, "kernel") == 0)
        json_object_set_new(m, "KernelId",
                            attr_value(json_string_value(json_object_get(item, "KernelId"))));
    else if (strcmp(a->attr, "ramdisk") == 0)
        json_object_set_new(m, "RamdiskId",
                            attr_value(json_string_value(json_object_get(item, "RamdiskId"))));
    else if (strcmp(a->attr, "blockDeviceMapping") == 0)
        json_object_set(m, "BlockDeviceMappings", json_object_get(item, "BlockDeviceMappings"));
    else if (strcmp(a->attr, "productCodes") == 0)
        json_object_set_new(m, "ProductCodes", json_array());
    json_decref(item);
    glance_host->finish(req, json_incref(m));
}

static const char *const describable[] = {
    "description", "kernel", "ramdisk", "launchPermission", "blockDeviceMapping", "productCodes",
};

int
glance_describe_attr(ec2gw_req_t *req, void *inst)
{
    struct attr *a = glance_host->pcalloc(req, sizeof(*a));
    size_t i;

    a->ec2_id = param_str(req, "ImageId");
    a->attr = param_str(req, "Attribute");
    if (a->attr == NULL) {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter Attribute");
        return EC2GW_OK;
    }
    for (i = 0; i < sizeof(describable) / sizeof(describable[0]); i++)
        if (strcmp(a->attr, describable[i]) == 0)
            break;
    if (i == sizeof(describable) / sizeof(describable[0])) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "Value (%s) for parameter attribute is invalid. Unsupported attribute",
                          a->attr);
        return EC2GW_OK;
    }
    return glance_with_image(req, inst, a->ec2_id, describe_attr_image, a);
}

/* -- ModifyImageAttribute ------------------------------------------------------------------ */

/* Fold one LaunchPermission list into the request's sets; 0 or -1 after answering. */
static int
take_perms(ec2gw_req_t *req, struct attr *a, const json_t *list, int add)
{
    const json_t *p;
    size_t i;

    json_array_foreach(list, i, p)
    {
        const char *g = glance_prop(p, "Group"), *u = glance_prop(p, "UserId");

        if (g != NULL && strcmp(g, "all") != 0) {
            glance_host->fail(req, 400, "InvalidParameterValue",
                              "Value (%s) for parameter Group is invalid", g);
            return -1;
        }
        if (g != NULL)
            *(add ? &a->add_all : &a->remove_all) = 1;
        if (u != NULL && *u != '\0')
            json_array_append_new(add ? a->add_users : a->remove_users, json_string(u));
        if (g == NULL && (u == NULL || *u == '\0')) {
            glance_host->fail(req, 400, "InvalidParameterValue",
                              "A launch permission needs a Group or a UserId");
            return -1;
        }
    }
    return 0;
}

/* Read the request's parameters into @p a; 0, or -1 after answering. */
static int
modify_parse(ec2gw_req_t *req, struct attr *a)
{
    const json_t *p = glance_host->params(req), *lp = json_object_get(p, "LaunchPermission");
    const json_t *op = json_object_get(p, "OperationType"), *v;
    const char *attr = param_str(req, "Attribute"), *ops = json_string_value(op);
    int flat = json_array_size(json_object_get(p, "UserIds")) > 0 ||
               json_array_size(json_object_get(p, "UserGroups")) > 0 || op != NULL;
    json_t *groups;
    size_t i;

    a->add_users = glance_host->own_json(req, json_array());
    a->remove_users = glance_host->own_json(req, json_array());
    json_decref(a->add_users);
    json_decref(a->remove_users);
    a->description = json_object_get(json_object_get(p, "Description"), "Value");
    if (attr != NULL && strcmp(attr, "description") == 0 && a->description == NULL)
        a->description = json_object_get(p, "Value");
    if (attr != NULL && strcmp(attr, "description") != 0 && strcmp(attr, "launchPermission") != 0) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "Value (%s) for parameter attribute is invalid. Only launchPermission "
                          "and description can be modified",
                          attr);
        return -1;
    }
    if ((lp != NULL && flat) || ((lp != NULL || flat) && a->description != NULL) ||
        (attr != NULL && strcmp(attr, "description") == 0 && (lp != NULL || flat))) {
        glance_host->fail(req, 400, "InvalidParameterCombination",
                          "Modify one attribute at a time: launch permissions or description");
        return -1;
    }
    if (lp != NULL)
        return take_perms(req, a, json_object_get(lp, "Add"), 1) ||
                       take_perms(req, a, json_object_get(lp, "Remove"), 0)
                   ? -1
                   : 0;
    if (flat) {
        if (ops == NULL || (strcmp(ops, "add") != 0 && strcmp(ops, "remove") != 0)) {
            glance_host->fail(req, 400, "InvalidParameterValue",
                              "OperationType must be add or remove");
            return -1;
        }
        groups = json_array();
        json_array_foreach(json_object_get(p, "UserGroups"), i, v)
            json_array_append_new(groups, json_pack("{s:O}", "Group", v));
        json_array_foreach(json_object_get(p, "UserIds"), i, v)
            json_array_append_new(groups, json_pack("{s:O}", "UserId", v));
        i = (size_t)take_perms(req, a, groups, strcmp(ops, "add") == 0);
        json_decref(groups);
        return i != 0 ? -1 : 0;
    }
    if (a->description == NULL) {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain a launch permission or a description");
        return -1;
    }
    return 0;
}

static void
modify_image(ec2gw_req_t *req, json_t *image, void *arg)
{
    struct attr *a = arg;
    const char *cur = glance_prop(image, "visibility"), *want = cur;
    json_t *patch = json_array(), *u;
    size_t i;

    a->uuid = glance_host->pstrdup(req, glance_prop(image, "id"));
    if (!glance_owner_check(req, image, a->ec2_id)) {
        json_decref(patch);
        return;
    }
    if (a->add_all)
        want = "public";
    else if (a->remove_all && cur != NULL && strcmp(cur, "public") == 0)
        want = "shared";
    if (json_array_size(a->add_users) > 0 && want != NULL && strcmp(want, "private") == 0)
        want = "shared";
    if (want != NULL && (cur == NULL || strcmp(want, cur) != 0))
        glance_patch_op(patch, "replace", "/visibility", json_string(want));
    if (a->description != NULL) {
        const char *d = json_string_value(a->description);

        if (d == NULL || *d == '\0') {
            if (glance_prop(image, "description") != NULL)
                glance_patch_op(patch, "remove", "/description", NULL);
        } else {
            glance_patch_op(patch, glance_prop(image, "description") ? "replace" : "add",
                            "/description", json_string(d));
        }
    }
    if (json_array_size(patch) > 0)
        glance_seq_add(req, "image", "PATCH", glance_image_path(req, a->uuid, NULL), patch,
                       glance_patch_type, 0);
    else
        json_decref(patch);
    if (want != NULL && strcmp(want, "shared") == 0) {
        json_array_foreach(a->add_users, i, u)
            glance_seq_add(req, "image", "POST", glance_image_path(req, a->uuid, "/members"),
                           json_pack("{s:O}", "member", u), NULL, 409);
        json_array_foreach(a->remove_users, i, u)
        {
            const char *m = glance_host->url_escape(req, json_string_value(u));

            glance_seq_add(
                req, "image", "DELETE",
                glance_image_path(req, a->uuid, glance_host->psprintf(req, "/members/%s", m)), NULL,
                NULL, 404);
        }
    }
    glance_seq_run(req, "InvalidAMIID.NotFound", glance_finish_true, NULL);
}

int
glance_modify_attr(ec2gw_req_t *req, void *inst)
{
    struct attr *a = glance_host->pcalloc(req, sizeof(*a));

    a->ec2_id = param_str(req, "ImageId");
    if (modify_parse(req, a) != 0)
        return EC2GW_OK;
    return glance_with_image(req, inst, a->ec2_id, modify_image, a);
}

/* -- ResetImageAttribute: launchPermission back to private, members removed --------------- */

static void
reset_private(ec2gw_req_t *req, struct attr *a)
{
    glance_seq_add(req, "image", "PATCH", glance_image_path(req, a->uuid, NULL),
                   glance_patch_op(json_array(), "replace", "/visibility", json_string("private")),
                   glance_patch_type, 0);
}

static void
reset_members(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct attr *a = arg;
    json_t *m;
    size_t i;

    if (!ec2gw_os_ok(resp)) {
        glance_host->fail_from_os(req, resp, "InvalidAMIID.NotFound");
        return;
    }
    json_array_foreach(json_object_get(resp->json, "members"), i, m)
    {
        const char *id = glance_prop(m, "member_id");

        if (id != NULL)
            glance_seq_add(
                req, "image", "DELETE",
                glance_image_path(
                    req, a->uuid,
                    glance_host->psprintf(req, "/members/%s", glance_host->url_escape(req, id))),
                NULL, NULL, 404);
    }
    reset_private(req, a);
    glance_seq_run(req, "InvalidAMIID.NotFound", glance_finish_true, NULL);
}

static void
reset_image(ec2gw_req_t *req, json_t *image, void *arg)
{
    struct attr *a = arg;
    const char *vis = glance_prop(image, "visibility");
    ec2gw_os_call_t c;

    a->uuid = glance_host->pstrdup(req, glance_prop(image, "id"));
    if (!glance_owner_check(req, image, a->ec2_id))
        return;
    if (vis == NULL || strcmp(vis, "shared") != 0) {
        if (vis != NULL && strcmp(vis, "private") != 0)
            reset_private(req, a);
        glance_seq_run(req, "InvalidAMIID.NotFound", glance_finish_true, NULL);
        return;
    }
    c = EC2GW_OS_GET("image", glance_image_path(req, a->uuid, "/members"));
    if (glance_host->os_call(req, &c, reset_members, a) < 0)
        glance_host->fail(req, 500, "InternalError", "could not call Glance");
}

int
glance_reset_attr(ec2gw_req_t *req, void *inst)
{
    struct attr *a = glance_host->pcalloc(req, sizeof(*a));

    a->ec2_id = param_str(req, "ImageId");
    a->attr = param_str(req, "Attribute");
    if (a->attr == NULL || strcmp(a->attr, "launchPermission") != 0) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "Value (%s) for parameter attribute is invalid. Only "
                          "launchPermission can be reset",
                          a->attr ? a->attr : "");
        return EC2GW_OK;
    }
    return glance_with_image(req, inst, a->ec2_id, reset_image, a);
}
