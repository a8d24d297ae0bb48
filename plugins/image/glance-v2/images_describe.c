/*
 * images_describe.c - DescribeImages (openstack-mapping.md §14.4, §6): the Glance images the
 * caller can see (own, public, shared, pending shares too), mapped to stable EC2 ids, then
 * ImageId.N, Owner.N, ExecutableBy.N, Filter.N (host engine, tags included) and
 * MaxResults/NextToken (host paging, sorted by ImageId).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "glance.h"

struct describe {
    json_t *images;    /* uuid -> Glance image (owned by the request) */
    json_t *want;      /* uuid -> requested EC2 id, when every id has a visible mapping */
    const json_t *ids; /* the requested EC2 ids, when listing had to find some */
    json_t *members;   /* uuid -> [member project ids] of my shared images, when needed */
};

static void describe_answer(ec2gw_req_t *req, struct describe *d);

static json_t *
owned(ec2gw_req_t *req, json_t *j)
{
    glance_host->own_json(req, j);
    json_decref(j);
    return j;
}

static void
listed(ec2gw_req_t *req, json_t *images, void *arg)
{
    struct describe *d = arg;

    d->images = images;
    describe_answer(req, d);
}

/* ImageId.N given: one GET per image, concurrently. */
static void
get_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *resps, size_t n, void *arg)
{
    struct describe *d = arg;
    const char *uuid;
    json_t *ec2;
    void *it = json_object_iter(d->want);

    for (size_t i = 0; i < n && it != NULL; i++, it = json_object_iter_next(d->want, it)) {
        uuid = json_object_iter_key(it);
        ec2 = json_object_iter_value(it);
        if (resps[i]->status == 404 || resps[i]->status == 403) {
            glance_host->fail(req, 400, "InvalidAMIID.NotFound",
                              "The image id '[%s]' does not exist", json_string_value(ec2));
            return;
        }
        if (!ec2gw_os_ok(resps[i]) || !json_is_object(resps[i]->json)) {
            glance_host->fail_from_os(req, resps[i], "InvalidAMIID.NotFound");
            return;
        }
        json_object_set(d->images, uuid, resps[i]->json);
    }
    describe_answer(req, d);
}

static int
get_wanted(ec2gw_req_t *req, struct describe *d)
{
    size_t n = json_object_size(d->want), i = 0;
    ec2gw_os_call_t *calls = glance_host->pcalloc(req, sizeof(*calls) * n);
    const char *uuid;
    json_t *v;
    int rc;

    json_object_foreach(d->want, uuid, v)
    {
        /* get_done only reads the answers: shared (ABI 1.4) */
        calls[i++] = EC2GW_OS_CALL(
            "image", "GET",
            glance_host->psprintf(req, "/v2/images/%s", glance_host->url_escape(req, uuid)),
            .flags = EC2GW_CALL_SHARED);
    }
    rc = glance_host->os_fanout(req, calls, n, get_done, d);
    if (rc < 0 && rc != EC2GW_E_STATE) {
        glance_host->fail(req, 500, "InternalError", "could not call Glance (%d)", rc);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

int
glance_describe_images(ec2gw_req_t *req, void *inst)
{
    const json_t *p = glance_host->params(req), *ids = json_object_get(p, "ImageIds"), *v;
    struct describe *d = glance_host->pcalloc(req, sizeof(*d));
    int unmapped = 0;
    size_t i;

    d->images = owned(req, json_object());
    d->want = owned(req, json_object());
    if (json_array_size(ids) > 0 && json_object_get(p, "MaxResults") != NULL) {
        glance_host->fail(req, 400, "InvalidParameterCombination",
                          "The parameter imageIdsSet cannot be used with the parameter "
                          "maxResults");
        return EC2GW_OK;
    }
    json_array_foreach(ids, i, v)
    {
        const char *uuid = NULL;

        if (glance_resolve(req, json_string_value(v), &uuid) != 0)
            return EC2GW_OK;
        if (uuid == NULL)
            unmapped = 1;
        else
            json_object_set_new(d->want, uuid, json_string(json_string_value(v)));
    }
    if (unmapped) /* a mapping of another project: find it among the visible images */
        d->ids = ids;
    else if (json_object_size(d->want) > 0)
        return get_wanted(req, d);
    return glance_list_all(req, inst, listed, d);
}

static int
str_in(const json_t *list, const char *s)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i,
                       v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

/* Owner.N: self, the caller's account, or other account ids (aliases match nothing). */
static int
owner_ok(ec2gw_req_t *req, const json_t *owners, const json_t *item)
{
    const ec2gw_identity_t *me = glance_host->identity(req);
    const char *own = json_string_value(json_object_get(item, "OwnerId"));
    const json_t *v;
    size_t i;

    if (json_array_size(owners) == 0)
        return 1;
    json_array_foreach(owners, i, v)
    {
        const char *o = json_string_value(v);

        if (o == NULL || own == NULL)
            continue;
        if (strcmp(o, "self") == 0 || (me->owner_id != NULL && strcmp(o, me->owner_id) == 0))
            o = me->project_id;
        if (o != NULL && strcmp(o, own) == 0)
            return 1;
    }
    return 0;
}

static int
is_self(ec2gw_req_t *req, const char *u)
{
    const ec2gw_identity_t *me = glance_host->identity(req);

    return strcmp(u, "self") == 0 || (me->project_id != NULL && strcmp(u, me->project_id) == 0) ||
           (me->owner_id != NULL && strcmp(u, me->owner_id) == 0);
}

/*
 * ExecutableBy.N (as AWS): `all` = public images; `self` or the caller's account = images
 * the caller owns or that are shared with it; another account = the caller's images shared
 * with that account (Glance members).
 */
static int
exec_ok(ec2gw_req_t *req, const struct describe *d, const json_t *item, const json_t *image)
{
    const json_t *users = json_object_get(glance_host->params(req), "ExecutableUsers");
    const json_t *members = json_object_get(d->members, glance_prop(image, "id"));
    const ec2gw_identity_t *me = glance_host->identity(req);
    const char *own = json_string_value(json_object_get(item, "OwnerId"));
    const char *vis = glance_prop(image, "visibility");
    int mine = own != NULL && me->project_id != NULL && strcmp(own, me->project_id) == 0;
    const json_t *v;
    size_t i;

    if (json_array_size(users) == 0)
        return 1;
    json_array_foreach(users, i, v)
    {
        const char *u = json_string_value(v);

        if (u == NULL)
            continue;
        if (strcmp(u, "all") == 0) {
            if (json_is_true(json_object_get(item, "Public")))
                return 1;
        } else if (is_self(req, u)) {
            if (mine || (vis != NULL && strcmp(vis, "public") != 0))
                return 1;
        } else if (mine && str_in(members, u)) {
            return 1;
        }
    }
    return 0;
}

static void
add_values(json_t *out, const json_t *item, const char *key)
{
    const json_t *v = json_object_get(item, key);

    if (json_is_string(v))
        json_array_append_new(out, json_string(json_string_value(v)));
    else if (json_is_boolean(v))
        json_array_append_new(out, json_string(json_is_true(v) ? "true" : "false"));
    else if (json_is_integer(v))
        json_array_append_new(out, json_sprintf("%lld", (long long)json_integer_value(v)));
}

static const struct {
    const char *filter, *member;
} simple_filters[] = {
    { "architecture", "Architecture" },
    { "description", "Description" },
    { "image-id", "ImageId" },
    { "image-type", "ImageType" },
    { "is-public", "Public" },
    { "kernel-id", "KernelId" },
    { "kernel_id", "KernelId" },
    { "name", "Name" },
    { "owner-id", "OwnerId" },
    { "ramdisk-id", "RamdiskId" },
    { "root-device-name", "RootDeviceName" },
    { "root-device-type", "RootDeviceType" },
    { "state", "State" },
    { "virtualization-type", "VirtualizationType" },
    { "platform", "Platform" },
    { "creation-date", "CreationDate" },
    { "manifest-location", "ImageLocation" },
    { "image-location", "ImageLocation" },
};

static int
filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *out, void *arg)
{
    const json_t *bdms = json_object_get(item, "BlockDeviceMappings"), *b;
    size_t i;

    (void)req;
    (void)arg;
    for (i = 0; i < sizeof(simple_filters) / sizeof(simple_filters[0]); i++) {
        if (strcmp(name, simple_filters[i].filter) == 0) {
            add_values(out, item, simple_filters[i].member);
            return 0;
        }
    }
    if (strcmp(name, "owner-alias") == 0 || strcmp(name, "product-code") == 0 ||
        strcmp(name, "hypervisor") == 0)
        return 0;
    if (strncmp(name, "block-device-mapping.", 21) != 0)
        return EC2GW_E_NOTFOUND;
    name += 21;
    json_array_foreach(bdms, i, b)
    {
        const json_t *ebs = json_object_get(b, "Ebs");

        if (strcmp(name, "device-name") == 0)
            add_values(out, b, "DeviceName");
        else if (strcmp(name, "snapshot-id") == 0)
            add_values(out, ebs, "SnapshotId");
        else if (strcmp(name, "volume-size") == 0)
            add_values(out, ebs, "VolumeSize");
        else if (strcmp(name, "delete-on-termination") == 0)
            add_values(out, ebs, "DeleteOnTermination");
        else if (strcmp(name, "volume-type") == 0)
            add_values(out, ebs, "VolumeType");
        else
            return EC2GW_E_NOTFOUND;
    }
    return 0;
}

/* Attach each page item's tags (caller's project). */
static void
attach_tags(ec2gw_req_t *req, json_t *page)
{
    size_t n = json_array_size(page), i;
    const char **ids = glance_host->pcalloc(req, sizeof(*ids) * (n + 1));
    json_t *tags = NULL, *item;

    json_array_foreach(page, i, item) ids[i] = json_string_value(json_object_get(item, "ImageId"));
    if (n > 0 && glance_host->tags_get(req, ids, n, &tags) != 0)
        tags = NULL;
    json_array_foreach(page, i, item)
    {
        json_t *t = json_object_get(tags, ids[i]);

        json_object_set_new(item, "Tags", t != NULL ? json_incref(t) : json_array());
    }
    json_decref(tags);
}

/* Every requested id is among @p items; otherwise NotFound for the first missing one. */
static int
all_found(ec2gw_req_t *req, const json_t *ids, const json_t *items)
{
    const json_t *v, *item;
    size_t i, j;

    json_array_foreach(ids, i, v)
    {
        int found = 0;

        json_array_foreach(items, j, item) if (json_equal(json_object_get(item, "ImageId"), v))
            found = 1;
        if (!found) {
            glance_fail_notfound(req, json_string_value(v));
            return 0;
        }
    }
    return 1;
}

/* Does ExecutableBy name another account (so that Glance members must be read)? */
static int
need_members(ec2gw_req_t *req)
{
    const json_t *users = json_object_get(glance_host->params(req), "ExecutableUsers"), *v;
    size_t i;

    json_array_foreach(users, i, v)
    {
        const char *u = json_string_value(v);

        if (u != NULL && strcmp(u, "all") != 0 && !is_self(req, u))
            return 1;
    }
    return 0;
}

static void
members_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *resps, size_t n, void *arg)
{
    struct describe *d = arg;
    void *it = json_object_iter(d->members);
    const json_t *m;
    size_t i, j;

    for (i = 0; i < n && it != NULL; i++, it = json_object_iter_next(d->members, it)) {
        json_t *ids = json_object_iter_value(it);

        if (!ec2gw_os_ok(resps[i])) {
            glance_host->fail_from_os(req, resps[i], NULL);
            return;
        }
        json_array_foreach(json_object_get(resps[i]->json, "members"), j, m)
        {
            if (glance_prop(m, "member_id") != NULL)
                json_array_append_new(ids, json_string(glance_prop(m, "member_id")));
        }
    }
    describe_answer(req, d);
}

/* Read the members of the caller's shared images; 1 when the answer comes later. */
static int
fetch_members(ec2gw_req_t *req, struct describe *d)
{
    const char *me = glance_host->identity(req)->project_id, *uuid, *own, *vis;
    ec2gw_os_call_t *calls;
    json_t *image;
    size_t n = 0;

    d->members = owned(req, json_object());
    json_object_foreach(d->images, uuid, image)
    {
        own = glance_prop(image, "owner");
        vis = glance_prop(image, "visibility");
        if (own != NULL && me != NULL && strcmp(own, me) == 0 && vis != NULL &&
            strcmp(vis, "shared") == 0)
            json_object_set_new(d->members, uuid, json_array());
    }
    if (json_object_size(d->members) == 0)
        return 0;
    calls = glance_host->pcalloc(req, sizeof(*calls) * json_object_size(d->members));
    json_object_foreach(d->members, uuid, image)
    {
        calls[n++] = EC2GW_OS_GET("image", glance_image_path(req, uuid, "/members"));
    }
    if (glance_host->os_fanout(req, calls, n, members_done, d) < 0)
        glance_host->fail(req, 500, "InternalError", "could not call Glance");
    return 1;
}

static void
describe_answer(ec2gw_req_t *req, struct describe *d)
{
    const json_t *p = glance_host->params(req);
    const json_t *owners = json_object_get(p, "Owners");
    json_t *items, *kept, *page, *image, *model;
    const char *uuid, *next = NULL;

    if (d->members == NULL && need_members(req) && fetch_members(req, d))
        return;
    items = json_array();
    json_object_foreach(d->images, uuid, image)
    {
        json_t *item = glance_format(req, image);

        if (item == NULL) {
            glance_host->log(req, EC2GW_LOG_WARN, "image %s: no EC2 id", uuid);
            continue;
        }
        if (owner_ok(req, owners, item) && exec_ok(req, d, item, image) &&
            (d->ids == NULL || str_in(d->ids, json_string_value(json_object_get(item, "ImageId")))))
            json_array_append_new(items, item);
        else
            json_decref(item);
    }
    if (d->ids != NULL && json_array_size(items) < json_array_size(d->ids) &&
        !all_found(req, d->ids, items)) {
        json_decref(items);
        return;
    }
    kept = glance_host->filter(req, items, "ImageId", filter_values, d);
    json_decref(items);
    if (kept == NULL)
        return;
    page = glance_host->page(req, kept, "ImageId", &next);
    json_decref(kept);
    if (page == NULL)
        return;
    attach_tags(req, page);
    model = json_pack("{s:o}", "Images", page);
    if (next != NULL)
        json_object_set_new(model, "NextToken", json_string(next));
    glance_host->finish(req, model);
}
