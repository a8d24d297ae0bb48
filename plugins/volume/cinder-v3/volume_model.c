/*
 * volume_model.c - Cinder volumes and snapshots as EC2 Volume, VolumeAttachment and Snapshot
 * models: Cinder's many statuses folded onto EC2's few (never leaked), every attachment of a
 * multi-attach volume, Nova's view of an attachment Cinder has not finished yet.
 */
#include <string.h>

#include "cinder.h"

static int
streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
starts(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Statuses in which a volume keeps serving I/O while Cinder works on it. */
static int
cinder_busy_ok(const char *st)
{
    static const char *const ok[] = { "available",  "maintenance", "awaiting-transfer",
                                      "backing-up", "uploading",   "retyping",
                                      "extending",  "downloading", NULL };

    for (size_t i = 0; ok[i] != NULL; i++)
        if (strcmp(st, ok[i]) == 0)
            return 1;
    return 0;
}

const char *
cinder_volume_state(const json_t *vol)
{
    const char *st = cinder_str(vol, "status");
    int attached = json_array_size(json_object_get(vol, "attachments")) > 0;

    if (st == NULL)
        return "error";
    if (streq(st, "creating") || streq(st, "restoring-backup") ||
        (streq(st, "downloading") && !attached))
        return "creating";
    if (streq(st, "in-use") || streq(st, "reserved") || streq(st, "attaching") ||
        streq(st, "detaching"))
        return "in-use";
    if (streq(st, "deleting"))
        return "deleting";
    if (streq(st, "deleted"))
        return "deleted";
    if (cinder_busy_ok(st))
        return attached ? "in-use" : "available";
    return "error"; /* error, error_deleting, error_extending, error_restoring, unknown */
}

const char *
cinder_attachment_state(const char *status)
{
    if (streq(status, "attaching") || streq(status, "reserved") || streq(status, "available"))
        return "attaching";
    if (streq(status, "detaching"))
        return "detaching";
    return "attached";
}

const char *
cinder_snapshot_state(const char *status)
{
    if (status == NULL || streq(status, "deleted"))
        return NULL;
    if (streq(status, "creating") || streq(status, "deleting") || streq(status, "new"))
        return "pending";
    if (starts(status, "error"))
        return "error";
    return "completed"; /* available, backing-up, restoring, unmanaging */
}

const char *
cinder_nova_device(ec2gw_req_t *req, const char *d)
{
    const char *tail;
    size_t n;

    if (d == NULL)
        return NULL;
    if (starts(d, "/dev/xvd"))
        tail = d + 8;
    else if (starts(d, "/dev/sd") || starts(d, "/dev/vd") || starts(d, "/dev/hd"))
        tail = d + 7;
    else if (starts(d, "xvd"))
        tail = d + 3;
    else if (starts(d, "sd") || starts(d, "vd"))
        tail = d + 2;
    else
        return NULL;
    /* one or two letters, optionally a partition-less digit suffix as EC2 allows (xvdf1) */
    n = strlen(tail);
    if (n < 1 || n > 3 || tail[0] < 'a' || tail[0] > 'z')
        return NULL;
    for (size_t i = 1; i < n; i++)
        if (!((tail[i] >= 'a' && tail[i] <= 'z') || (tail[i] >= '0' && tail[i] <= '9')))
            return NULL;
    return ec2gw->psprintf(req, "/dev/vd%s", tail);
}

static void
set_add(json_t *set, const char *key)
{
    if (key != NULL && key[0] != '\0')
        json_object_set_new(set, key, json_true());
}

/* The keys of @p set mapped to EC2 ids of @p kind into @p map, one database round trip. */
static void
map_kind(ec2gw_req_t *req, const char *kind, json_t *set, json_t *map)
{
    size_t n = json_object_size(set), i = 0;
    const char **os = ec2gw->pcalloc(req, (n + 1) * sizeof(*os));
    const char **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));
    const char *k;
    json_t *v;

    if (n == 0)
        return;
    json_object_foreach(set, k, v) os[i++] = k;
    if (ec2gw->ids_to_ec2(req, kind, os, n, out) != 0)
        return;
    for (i = 0; i < n; i++)
        if (out[i] != NULL)
            json_object_set_new(map, os[i], json_string(out[i]));
}

void
cinder_view_build(ec2gw_req_t *req, struct cinder_view *v, const json_t *volumes,
                  const json_t *snapshots, const json_t *servers)
{
    json_t *set_vol = json_object(), *set_snap = json_object(), *set_i = json_object();
    const json_t *e, *a;
    const char *k;
    json_t *x, *data = NULL;
    size_t i, j, n;
    const char **ids;

    memset(v, 0, sizeof(*v));
    v->vols = cinder_own(req, json_object());
    v->snaps = cinder_own(req, json_object());
    v->servers = cinder_own(req, json_object());
    v->dot = cinder_own(req, json_object());
    v->nova = cinder_own(req, json_object());
    json_array_foreach(volumes, i, e)
    {
        if (cinder_is_copy_part(e))
            continue; /* a copy's hidden volume H: never a vol- id (snapshots_copy.c) */
        set_add(set_vol, cinder_str(e, "id"));
        set_add(set_snap, cinder_str(e, "snapshot_id"));
        json_array_foreach(json_object_get(e, "attachments"), j, a)
            set_add(set_i, cinder_str(a, "server_id"));
    }
    json_array_foreach(snapshots, i, e)
    {
        if (cinder_is_copy_part(e))
            continue; /* a copy's S: its snap- id is the copy's, its volume is H */
        set_add(set_snap, cinder_str(e, "id"));
        set_add(set_vol, cinder_str(e, "volume_id"));
    }
    json_array_foreach(servers, i, e)
    {
        const char *sid = cinder_str(e, "id");

        json_array_foreach(json_object_get(e, "os-extended-volumes:volumes_attached"), j, a)
        {
            const char *vid = cinder_str(a, "id");
            json_t *list;

            if (sid == NULL || vid == NULL)
                continue;
            set_add(set_i, sid);
            json_object_set_new(
                v->dot, ec2gw->psprintf(req, "%s/%s", sid, vid),
                json_boolean(json_is_true(json_object_get(a, "delete_on_termination"))));
            if ((list = json_object_get(v->nova, vid)) == NULL) {
                list = json_array();
                json_object_set_new(v->nova, vid, list);
            }
            json_array_append_new(list, json_string(sid));
        }
    }
    map_kind(req, "vol", set_vol, v->vols);
    map_kind(req, "snap", set_snap, v->snaps);
    map_kind(req, "i", set_i, v->servers);
    /* stored device names of every volume, one query */
    n = json_object_size(v->vols);
    ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    i = 0;
    json_object_foreach(v->vols, k, x) ids[i++] = json_string_value(x);
    if (n > 0 && ec2gw->items_get(req, ids, n, &data) == 0)
        v->data = cinder_own(req, data);
    json_decref(set_vol);
    json_decref(set_snap);
    json_decref(set_i);
}

/* Cinder "2026-11-25T14:44:40.000000" → "2026-11-25T14:44:40.000Z" (pool); NULL stays NULL. */
static const char *
cinder_time(ec2gw_req_t *req, const char *t)
{
    if (t == NULL || strlen(t) < 19)
        return t;
    return ec2gw->psprintf(req, "%.19s.000Z", t);
}

static json_t *
cinder_attachment(ec2gw_req_t *req, const struct cinder_view *v, const json_t *vol,
                  const char *vol_ec2, const char *sid, const char *device, const char *at,
                  const char *state)
{
    const char *iid = cinder_str(v->servers, sid);
    const json_t *dev_map = json_object_get(json_object_get(v->data, vol_ec2), "devices");
    const char *given = cinder_str(dev_map, sid);
    json_t *out;

    (void)vol;
    if (iid == NULL)
        return NULL;
    out = json_pack("{s:s, s:s, s:s, s:b}", "VolumeId", vol_ec2, "InstanceId", iid, "State", state,
                    "DeleteOnTermination",
                    json_is_true(json_object_get(
                        v->dot, ec2gw->psprintf(req, "%s/%s", sid, cinder_str(vol, "id")))));
    /* the device as the caller named it in AttachVolume, else as Nova reports it */
    if (given != NULL || device != NULL)
        json_object_set_new(out, "Device", json_string(given ? given : device));
    if (at != NULL)
        json_object_set_new(out, "AttachTime", json_string(cinder_time(req, at)));
    return out;
}

json_t *
cinder_attachments(ec2gw_req_t *req, const struct cinder_view *v, const json_t *vol)
{
    json_t *out = json_array(), *seen = json_object(), *one;
    const char *vid = cinder_str(vol, "id");
    const char *ec2 = cinder_str(v->vols, vid ? vid : "");
    const char *status = cinder_str(vol, "status");
    const json_t *a, *s;
    size_t i;

    if (ec2 == NULL) {
        json_decref(seen);
        return out;
    }
    json_array_foreach(json_object_get(vol, "attachments"), i, a)
    {
        const char *sid = cinder_str(a, "server_id");

        if (sid == NULL || json_object_get(seen, sid) != NULL)
            continue;
        json_object_set_new(seen, sid, json_true());
        one = cinder_attachment(req, v, vol, ec2, sid, cinder_str(a, "device"),
                                cinder_str(a, "attached_at"), cinder_attachment_state(status));
        if (one != NULL)
            json_array_append_new(out, one);
    }
    /* Nova already has the block device while Cinder is still reserving/attaching it */
    json_array_foreach(json_object_get(v->nova, vid), i, s)
    {
        const char *sid = json_string_value(s);

        if (json_object_get(seen, sid) != NULL)
            continue;
        json_object_set_new(seen, sid, json_true());
        one = cinder_attachment(req, v, vol, ec2, sid, NULL, NULL,
                                streq(status, "detaching") ? "detaching" : "attaching");
        if (one != NULL)
            json_array_append_new(out, one);
    }
    json_decref(seen);
    return out;
}

json_t *
cinder_volume_model(ec2gw_req_t *req, const struct cinder_view *v, const json_t *vol)
{
    const char *vid = cinder_str(vol, "id");
    const char *snap = cinder_str(vol, "snapshot_id");
    const char *ct = cinder_time(req, cinder_str(vol, "created_at"));
    json_t *att = cinder_attachments(req, v, vol);
    const char *state = cinder_volume_state(vol);
    json_t *out;

    if (json_array_size(att) > 0 && (streq(state, "available") || streq(state, "creating")))
        state = "in-use";
    out = json_pack(
        "{s:s, s:I, s:s, s:s, s:s, s:o, s:b, s:b, s:b}", "VolumeId",
        cinder_str(v->vols, vid ? vid : ""), "Size",
        (json_int_t)json_integer_value(json_object_get(vol, "size")), "SnapshotId",
        snap && cinder_str(v->snaps, snap) ? cinder_str(v->snaps, snap) : "", "AvailabilityZone",
        cinder_str(vol, "availability_zone") ? cinder_str(vol, "availability_zone") : "", "State",
        state, "Attachments", att, "Encrypted", json_is_true(json_object_get(vol, "encrypted")),
        "MultiAttachEnabled", json_is_true(json_object_get(vol, "multiattach")), "FastRestored", 0);
    if (out == NULL)
        return json_object();
    if (ct != NULL)
        json_object_set_new(out, "CreateTime", json_string(ct));
    if (cinder_str(vol, "volume_type") != NULL)
        json_object_set_new(out, "VolumeType", json_string(cinder_str(vol, "volume_type")));
    return out;
}

json_t *
cinder_snapshot_model(ec2gw_req_t *req, const struct cinder_view *v, const json_t *s)
{
    const ec2gw_identity_t *me = ec2gw->identity(req);
    const char *sid = cinder_str(s, "id"), *vid = cinder_str(s, "volume_id");
    const char *project = cinder_str(s, "os-extended-snapshot-attributes:project_id");
    const char *progress = cinder_str(s, "os-extended-snapshot-attributes:progress");
    const char *state = cinder_snapshot_state(cinder_str(s, "status"));
    const char *st = cinder_time(req, cinder_str(s, "created_at"));
    json_t *out;

    if (state == NULL || cinder_str(v->snaps, sid ? sid : "") == NULL)
        return NULL;
    if (progress == NULL || progress[0] == '\0')
        progress = streq(state, "completed") ? "100%" : "0%";
    out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:s}", "SnapshotId",
                    cinder_str(v->snaps, sid), "VolumeId",
                    vid && cinder_str(v->vols, vid) ? cinder_str(v->vols, vid) : "vol-ffffffff",
                    "State", state, "Progress", progress, "OwnerId",
                    project == NULL || streq(project, me->project_id) ? me->owner_id : project,
                    "VolumeSize", (json_int_t)json_integer_value(json_object_get(s, "size")),
                    "Description", cinder_str(s, "description") ? cinder_str(s, "description") : "",
                    "Encrypted", 0, "StorageTier", "standard");
    if (out == NULL)
        return NULL;
    if (st != NULL)
        json_object_set_new(out, "StartTime", json_string(st));
    return out;
}

/* Append the string form of @p v (strings as they are, numbers and booleans printed). */
static void
add_value(json_t *values, const json_t *v)
{
    if (json_is_string(v))
        json_array_append_new(values, json_string(json_string_value(v)));
    else if (json_is_integer(v))
        json_array_append_new(values, json_sprintf("%lld", (long long)json_integer_value(v)));
    else if (json_is_boolean(v))
        json_array_append_new(values, json_string(json_is_true(v) ? "true" : "false"));
}

int
cinder_volume_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values,
                            void *arg)
{
    static const char *const direct[][2] = {
        { "availability-zone", "AvailabilityZone" },
        { "create-time", "CreateTime" },
        { "encrypted", "Encrypted" },
        { "fast-restored", "FastRestored" },
        { "multi-attach-enabled", "MultiAttachEnabled" },
        { "size", "Size" },
        { "snapshot-id", "SnapshotId" },
        { "status", "State" },
        { "volume-id", "VolumeId" },
        { "volume-type", "VolumeType" },
        { NULL, NULL },
    };
    static const char *const att[][2] = {
        { "attachment.attach-time", "AttachTime" },
        { "attachment.delete-on-termination", "DeleteOnTermination" },
        { "attachment.device", "Device" },
        { "attachment.instance-id", "InstanceId" },
        { "attachment.status", "State" },
        { NULL, NULL },
    };
    const json_t *a;
    size_t i, j;

    (void)req;
    for (i = 0; direct[i][0] != NULL; i++)
        if (strcmp(name, direct[i][0]) == 0) {
            add_value(values, json_object_get(item, direct[i][1]));
            return 0;
        }
    for (i = 0; att[i][0] != NULL; i++)
        if (strcmp(name, att[i][0]) == 0) {
            json_array_foreach(json_object_get(item, "Attachments"), j, a)
                add_value(values, json_object_get(a, att[i][1]));
            return 0;
        }
    if (strcmp(name, "client-token") == 0) {
        /* arg: vol- → the ClientToken kept in the Cinder volume's metadata */
        const char *id = cinder_str(item, "VolumeId");

        add_value(values, json_object_get(arg, id ? id : ""));
        return 0;
    }
    return EC2GW_E_NOTFOUND;
}

int
cinder_snapshot_filter_values(ec2gw_req_t *req, const json_t *item, const char *name,
                              json_t *values, void *arg)
{
    static const char *const direct[][2] = {
        { "description", "Description" },
        { "encrypted", "Encrypted" },
        { "owner-id", "OwnerId" },
        { "progress", "Progress" },
        { "snapshot-id", "SnapshotId" },
        { "start-time", "StartTime" },
        { "status", "State" },
        { "volume-id", "VolumeId" },
        { "volume-size", "VolumeSize" },
        { "storage-tier", "StorageTier" },
        { NULL, NULL },
    };

    (void)req;
    (void)arg;
    for (size_t i = 0; direct[i][0] != NULL; i++)
        if (strcmp(name, direct[i][0]) == 0) {
            add_value(values, json_object_get(item, direct[i][1]));
            return 0;
        }
    if (strcmp(name, "owner-alias") == 0)
        return 0; /* only Amazon's own snapshots have an alias */
    return EC2GW_E_NOTFOUND;
}
