/*
 * snapshots.c - CreateSnapshot (force=true: in-use volumes too, as EBS does), CreateSnapshots
 * (every volume Nova lists on the instance; one fan-out; when one fails, the ones made are
 * deleted again so nothing half-made stays) and DeleteSnapshot (of a copy:
 * snapshots_copy_delete.c).
 */
#include <string.h>

#include "cinder.h"

/* The Cinder snapshot body for volume @p vol_os (returns new). */
static json_t *
cinder_snapshot_body(const char *vol_os, const char *description, const json_t *tags)
{
    json_t *s = json_pack("{s:s, s:b}", "volume_id", vol_os, "force", 1);
    const json_t *t;
    size_t i;

    if (description != NULL)
        json_object_set_new(s, "description", json_string(description));
    json_array_foreach(tags, i, t)
    {
        const char *k = cinder_str(t, "Key"), *v = cinder_str(t, "Value");

        if (k != NULL && v != NULL && strcmp(k, "Name") == 0)
            json_object_set_new(s, "name", json_string(v));
    }
    return json_pack("{s:o}", "snapshot", s);
}

static int
cinder_snapshot_refuse(ec2gw_req_t *req, const json_t *p)
{
    const char *loc = cinder_str(p, "Location");

    if (json_object_get(p, "OutpostArn") != NULL)
        return cinder_unsupported(req, "OutpostArn");
    if (loc != NULL && strcmp(loc, "regional") != 0)
        return cinder_unsupported(req, "Location");
    return cinder_check_tag_specs(req, p, "snapshot");
}

/* Map a new Cinder snapshot, store its tags, build its model (returns new, or NULL). */
static json_t *
cinder_new_snapshot(ec2gw_req_t *req, const json_t *snap, const json_t *tags)
{
    struct cinder_view view;
    json_t *m;
    const char *id;

    cinder_view_build(req, &view, NULL, cinder_own(req, json_pack("[O]", snap)), NULL);
    id = cinder_str(view.snaps, cinder_str(snap, "id") ? cinder_str(snap, "id") : "");
    if (id == NULL || (m = cinder_snapshot_model(req, &view, snap)) == NULL)
        return NULL;
    if (json_array_size(tags) > 0 && ec2gw->tags_set(req, id, tags) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "tags of %s not stored", id);
    json_object_set_new(m, "Tags", json_deep_copy(tags));
    return m;
}

/* -- CreateSnapshot --------------------------------------------------------------------- */

struct cinder_snap_state {
    const char *vol;
    json_t *tags;
};

static void
cinder_snapshot_created(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_snap_state *st = arg;
    json_t *m;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", "SnapshotLimitExceeded");
        return;
    }
    m = cinder_new_snapshot(req, json_object_get(r->json, "snapshot"), st->tags);
    if (m == NULL) {
        ec2gw->fail(req, 500, "InternalError", "The new snapshot could not be given an id");
        return;
    }
    ec2gw->finish(req, m);
}

int
cinder_create_snapshot(ec2gw_req_t *req, void *inst)
{
    struct cinder_snap_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req);
    const char *os;
    ec2gw_os_call_t call;
    json_t *body;

    (void)inst;
    if (cinder_snapshot_refuse(req, p) != 0)
        return EC2GW_OK;
    st->vol = cinder_param(req, "VolumeId");
    if (cinder_resolve(req, "vol", st->vol, "VolumeId", &os) != 0)
        return EC2GW_OK;
    st->tags = cinder_own(req, cinder_tag_specs(p, "snapshot"));
    body = cinder_own(req, cinder_snapshot_body(os, cinder_param(req, "Description"), st->tags));
    call = EC2GW_OS_CALL("volumev3", "POST", "/snapshots", .body = body);
    if (ec2gw->os_call(req, &call, cinder_snapshot_created, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

/* -- CreateSnapshots -------------------------------------------------------------------- */

struct cinder_multi_state {
    const struct cinder_inst *ci;
    const char *inst;
    json_t *tags;
    int failed_status;
    const char *failed_msg;
};

/* The boot volume is the one Nova lists as the first disk. */
static int
cinder_is_boot(const char *device)
{
    return device != NULL && (strcmp(device, "/dev/vda") == 0 || strcmp(device, "/dev/sda") == 0 ||
                              strcmp(device, "/dev/xvda") == 0 || strcmp(device, "/dev/sda1") == 0);
}

static void
cinder_multi_cleaned(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_multi_state *st = arg;

    (void)r;
    (void)n;
    if (st->failed_status == 413 || strstr(st->failed_msg, "uota") != NULL)
        ec2gw->fail(req, 400, "SnapshotLimitExceeded",
                    "A quota of the project would be exceeded: %s", st->failed_msg);
    else if (st->failed_status == 0)
        ec2gw->fail(req, 503, "Unavailable", "The volume service did not answer");
    else
        ec2gw->fail(req, 400, "IncorrectState", "A volume of %s cannot be snapshotted: %s",
                    st->inst, st->failed_msg);
}

static void
cinder_multi_created(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_multi_state *st = arg;
    json_t *out = cinder_own(req, json_array());
    ec2gw_os_call_t *undo = ec2gw->pcalloc(req, (n + 1) * sizeof(*undo));
    size_t i, k = 0;
    int bad = -1;

    for (i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && bad < 0)
            bad = (int)i;
    if (bad >= 0) {
        st->failed_status = (int)r[bad]->status;
        st->failed_msg = ec2gw->pstrdup(req, cinder_os_message(r[bad]));
        for (i = 0; i < n; i++) {
            const char *sid = cinder_str(json_object_get(r[i]->json, "snapshot"), "id");

            if (ec2gw_os_ok(r[i]) && sid != NULL)
                undo[k++] = EC2GW_OS_CALL(
                    "volumev3", "DELETE",
                    ec2gw->psprintf(req, "/snapshots/%s", ec2gw->url_escape(req, sid)), .flags = 0);
        }
        if (k == 0 || ec2gw->os_fanout(req, undo, k, cinder_multi_cleaned, st) < 0)
            cinder_multi_cleaned(req, NULL, 0, st);
        return;
    }
    for (i = 0; i < n; i++) {
        json_t *m = cinder_new_snapshot(req, json_object_get(r[i]->json, "snapshot"), st->tags);
        json_t *info;

        if (m == NULL)
            continue;
        /* SnapshotInfo has no StateMessage/StorageTier; its State is the same word */
        info = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "SnapshotId",
                         json_object_get(m, "SnapshotId"), "VolumeId",
                         json_object_get(m, "VolumeId"), "State", json_object_get(m, "State"),
                         "VolumeSize", json_object_get(m, "VolumeSize"), "Progress",
                         json_object_get(m, "Progress"), "OwnerId", json_object_get(m, "OwnerId"),
                         "Description", json_object_get(m, "Description"), "Encrypted",
                         json_object_get(m, "Encrypted"), "Tags", json_object_get(m, "Tags"));
        if (info != NULL && json_object_get(m, "StartTime") != NULL)
            json_object_set(info, "StartTime", json_object_get(m, "StartTime"));
        if (info != NULL)
            json_array_append_new(out, info);
        json_decref(m);
    }
    ec2gw->finish(req, json_pack("{s:O}", "Snapshots", out));
}

/* Tags of the source volumes to copy (CopyTagsFromSource=volume): vol uuid → tags. */
static json_t *
cinder_multi_tags(ec2gw_req_t *req, const struct cinder_multi_state *st, const char *vol_os)
{
    const char *vid = NULL;
    json_t *all = NULL, *out = json_deep_copy(st->tags), *t;
    const char *ids[1];

    if (strcmp(cinder_param(req, "CopyTagsFromSource") ? cinder_param(req, "CopyTagsFromSource")
                                                       : "",
               "volume") != 0 ||
        ec2gw->id_to_ec2(req, "vol", vol_os, &vid) != 0)
        return out;
    ids[0] = vid;
    if (ec2gw->tags_get(req, ids, 1, &all) == 0 && (t = json_object_get(all, vid)) != NULL)
        json_array_extend(out, t);
    json_decref(all);
    return out;
}

static void
cinder_multi_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_multi_state *st = arg;
    const json_t *spec = json_object_get(ec2gw->params(req), "InstanceSpecification");
    const json_t *excl = json_object_get(spec, "ExcludeDataVolumeIds"), *a, *x;
    int no_boot = json_is_true(json_object_get(spec, "ExcludeBootVolume"));
    const json_t *atts = json_object_get(r->json, "volumeAttachments");
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (json_array_size(atts) + 1) * sizeof(*calls));
    const char *desc = cinder_param(req, "Description");
    const char **excl_os = NULL;
    size_t i, j, n = 0;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidInstanceID.NotFound", NULL);
        return;
    }
    if (json_array_size(excl) > 0 && cinder_resolve_all(req, "vol", excl, &excl_os) != 0)
        return;
    json_array_foreach(atts, i, a)
    {
        const char *vid = cinder_str(a, "volumeId");
        int skip = vid == NULL || (no_boot && cinder_is_boot(cinder_str(a, "device")));

        json_array_foreach(excl, j, x) if (vid && strcmp(excl_os[j], vid) == 0) skip = 1;
        if (skip)
            continue;
        calls[n++] = EC2GW_OS_CALL(
            "volumev3", "POST", "/snapshots",
            .body = cinder_own(
                req,
                cinder_snapshot_body(vid, desc, cinder_own(req, cinder_multi_tags(req, st, vid)))));
    }
    if (n == 0) {
        ec2gw->finish(req, json_pack("{s:[]}", "Snapshots"));
        return;
    }
    if (ec2gw->os_fanout(req, calls, n, cinder_multi_created, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
}

int
cinder_create_snapshots(ec2gw_req_t *req, void *inst)
{
    struct cinder_multi_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req);
    const char *srv;
    ec2gw_os_call_t call;

    st->ci = inst;
    if (cinder_snapshot_refuse(req, p) != 0)
        return EC2GW_OK;
    st->inst = cinder_str(json_object_get(p, "InstanceSpecification"), "InstanceId");
    if (cinder_resolve(req, "i", st->inst, "InstanceSpecification.InstanceId", &srv) != 0)
        return EC2GW_OK;
    st->tags = cinder_own(req, cinder_tag_specs(p, "snapshot"));
    call = EC2GW_OS_CALL(
        "compute", "GET",
        ec2gw->psprintf(req, "/servers/%s/os-volume_attachments", ec2gw->url_escape(req, srv)),
        .microversion = st->ci->compute_microversion);
    if (ec2gw->os_call(req, &call, cinder_multi_listed, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The compute service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

/* -- DeleteSnapshot --------------------------------------------------------------------- */

static void
cinder_snapshot_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    (void)arg;
    if (ec2gw_os_ok(r)) {
        cinder_return_true(req);
        return;
    }
    if (r->status == 400 && (strstr(cinder_os_message(r), "in use") != NULL ||
                             strstr(cinder_os_message(r), "dependent") != NULL)) {
        ec2gw->fail(req, 400, "InvalidSnapshot.InUse", "The snapshot '%s' is in use: %s",
                    cinder_param(req, "SnapshotId"), cinder_os_message(r));
        return;
    }
    cinder_fail(req, r, "InvalidSnapshot.NotFound", NULL);
}

int
cinder_delete_snapshot(ec2gw_req_t *req, void *inst)
{
    const char *os, *id = cinder_param(req, "SnapshotId");
    ec2gw_os_call_t call;
    json_t *copy;

    (void)inst;
    if (id != NULL && strncmp(id, "snap-", 5) == 0 && (copy = cinder_copy_get(req, id)) != NULL)
        return cinder_copy_delete(req, id, copy); /* S, then its hidden volume */
    if (cinder_resolve(req, "snap", id, "SnapshotId", &os) != 0)
        return EC2GW_OK;
    call = EC2GW_OS_CALL("volumev3", "DELETE",
                         ec2gw->psprintf(req, "/snapshots/%s", ec2gw->url_escape(req, os)),
                         .flags = 0);
    if (ec2gw->os_call(req, &call, cinder_snapshot_deleted, NULL) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
