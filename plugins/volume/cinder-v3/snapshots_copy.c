/*
 * snapshots_copy.c - CopySnapshot within the region. Cinder has no snapshot copy and keeps a
 * snapshot on its volume, so a copy snap-X is a hidden volume H made from the source snapshot
 * plus a Cinder snapshot S of H (made later by DescribeSnapshots, snapshots_copy_advance.c,
 * once H is available). Both carry metadata ec2gw_copy=snap-X, which keeps ids off them
 * (volume_model.c); the snap-X row holds the copy's facts and maps to S once S exists, so
 * CreateVolume, RunInstances and RegisterImage resolve snap-X to S like any snapshot.
 * AWS answers CopySnapshot at once with the id; so does this (state pending).
 */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <string.h>
#include <time.h>

#include "cinder.h"

int
cinder_is_copy_part(const json_t *obj)
{
    return cinder_str(json_object_get(obj, "metadata"), CINDER_COPY_KEY) != NULL;
}

json_t *
cinder_copy_get(ec2gw_req_t *req, const char *snap_id)
{
    json_t *data = NULL;

    if (snap_id == NULL || ec2gw->item_get(req, snap_id, &data) != 0)
        return NULL;
    if (!json_is_object(data) || cinder_str(data, "copy_of") == NULL) {
        json_decref(data);
        return NULL;
    }
    return data;
}

json_t *
cinder_copies(ec2gw_req_t *req)
{
    json_t *all = NULL, *out = json_object(), *d;
    const char *k;

    if (ec2gw->items_list(req, "snap", &all) != 0) {
        ec2gw->log(req, EC2GW_LOG_WARN, "snapshot copies not listed");
        return out;
    }
    json_object_foreach(all, k, d) if (cinder_str(d, "copy_of") != NULL) json_object_set(out, k, d);
    json_decref(all);
    return out;
}

int
cinder_resolve_snaps(ec2gw_req_t *req, const json_t *ids)
{
    const json_t *v;
    size_t i;

    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v), *os = NULL;
        json_t *copy = NULL;

        /* a copy is known even before its S exists (shown pending) */
        if (id != NULL && strncmp(id, "snap-", 5) == 0 && (copy = cinder_copy_get(req, id))) {
            json_decref(copy);
            continue;
        }
        if (cinder_resolve(req, "snap", id, "SnapshotId", &os) != 0)
            return -1;
    }
    return 0;
}

/* -- CopySnapshot ----------------------------------------------------------------------- */

/* Now as ISO 8601 UTC by the host's clock (the one copy ages are measured with). Pool. */
static const char *
copy_now_iso(ec2gw_req_t *req)
{
    time_t t = (time_t)(ec2gw->now_ms(req) / 1000);
    struct tm tm;
    char buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return ec2gw->pstrdup(req, buf);
}

struct cinder_copy_state {
    const char *src_id, *src_os; /* snap- and uuid of the source */
    const char *id;              /* the copy's snap- */
    json_t *data;                /* its row */
    json_t *tags;
};

/* Parameters Cinder cannot back; -1 after refusing the first one present. */
static int
cinder_copy_refuse(ec2gw_req_t *req, const json_t *p)
{
    const char *region = ec2gw->identity(req)->region;
    const char *src = cinder_str(p, "SourceRegion"), *dst = cinder_str(p, "DestinationRegion");

    if (src != NULL && region != NULL && strcmp(src, region) != 0) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "SourceRegion: snapshots cannot be copied from region '%s' to '%s'", src,
                    region);
        return -1;
    }
    /* botocore adds DestinationRegion and PresignedUrl (its own region's request, already
     * authenticated by this one) to every copy: only another region is refused */
    if (dst != NULL && region != NULL && strcmp(dst, region) != 0) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "DestinationRegion: snapshots are copied within region '%s' only", region);
        return -1;
    }
    if (json_is_true(json_object_get(p, "Encrypted")))
        return cinder_unsupported(req, "Encrypted");
    if (json_object_get(p, "KmsKeyId") != NULL)
        return cinder_unsupported(req, "KmsKeyId");
    if (json_object_get(p, "DestinationOutpostArn") != NULL)
        return cinder_unsupported(req, "DestinationOutpostArn");
    if (json_object_get(p, "DestinationAvailabilityZone") != NULL)
        return cinder_unsupported(req, "DestinationAvailabilityZone");
    if (json_object_get(p, "CompletionDurationMinutes") != NULL)
        return cinder_unsupported(req, "CompletionDurationMinutes");
    return cinder_check_tag_specs(req, p, "snapshot");
}

static void
cinder_copy_volume_made(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_copy_state *st = arg;
    const char *h = cinder_str(json_object_get(r->json, "volume"), "id");
    json_t *now;

    if (!ec2gw_os_ok(r) || h == NULL) {
        if (r->status == 0 || r->status >= 500) {
            /* H may exist all the same: the row stays, hidden, and DescribeSnapshots finds H
             * by its metadata once no request can still be making it, and deletes both */
            json_object_set_new(st->data, "deleting", json_true());
            ec2gw->item_put(req, st->id, NULL, st->data);
        } else {
            ec2gw->item_delete(req, st->id); /* Cinder refused: nothing was made */
        }
        if (r->status == 404) {
            ec2gw->fail(req, 400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.",
                        st->src_id);
            return;
        }
        cinder_fail(req, r, "InvalidSnapshot.NotFound", "VolumeLimitExceeded");
        return;
    }
    /* a DeleteSnapshot may already have marked the row: keep what it wrote */
    now = cinder_copy_get(req, st->id);
    if (now == NULL)
        now = json_deep_copy(st->data);
    json_object_set_new(now, "vol", json_string(h));
    if (ec2gw->item_put(req, st->id, NULL, now) != 0)
        ec2gw->log(req, EC2GW_LOG_ERROR, "copy %s: hidden volume %s not recorded", st->id, h);
    json_decref(now);
    if (json_array_size(st->tags) > 0 && ec2gw->tags_set(req, st->id, st->tags) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "tags of %s not stored", st->id);
    ec2gw->finish(req, json_pack("{s:s, s:O}", "SnapshotId", st->id, "Tags", st->tags));
}

static void
cinder_copy_source(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_copy_state *st = arg;
    const json_t *s = json_object_get(r->json, "snapshot");
    const char *desc = cinder_param(req, "Description");
    const char *state = cinder_snapshot_state(cinder_str(s, "status"));
    json_t *vol, *body;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidSnapshot.NotFound", NULL);
        return;
    }
    if (state == NULL || strcmp(state, "completed") != 0) {
        ec2gw->fail(req, 400, "IncorrectState",
                    "Snapshot '%s' is not completed: only a completed snapshot can be copied",
                    st->src_id);
        return;
    }
    if (ec2gw->new_id(req, "snap", &st->id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "No snapshot id could be drawn");
        return;
    }
    /* without a Description, AWS's own words for a copy */
    if (desc == NULL)
        desc = ec2gw->psprintf(req, "[Copied %s from %s]", st->src_id,
                               ec2gw->identity(req)->region ? ec2gw->identity(req)->region : "");
    st->data = cinder_own(
        req, json_pack("{s:s, s:s, s:s, s:s, s:I}", "copy_of", st->src_id, "src", st->src_os,
                       "description", desc, "start", copy_now_iso(req), "size",
                       (json_int_t)json_integer_value(json_object_get(s, "size"))));
    if (ec2gw->item_insert(req, st->id, NULL, st->data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The copy could not be recorded");
        return;
    }
    vol = json_pack(
        "{s:s, s:I, s:s, s:s, s:{s:s, s:s}}", "snapshot_id", st->src_os, "size",
        (json_int_t)json_integer_value(json_object_get(s, "size")), "name",
        ec2gw->psprintf(req, "ec2gw copy %s", st->id), "description",
        ec2gw->psprintf(req, "hidden volume of EC2 snapshot copy %s of %s", st->id, st->src_id),
        "metadata", CINDER_COPY_KEY, st->id, "ec2gw_copy_of", st->src_id);
    body = cinder_own(req, json_pack("{s:o}", "volume", vol));
    call = EC2GW_OS_CALL("volumev3", "POST", "/volumes", .body = body);
    if (ec2gw->os_call(req, &call, cinder_copy_volume_made, st) < 0) {
        ec2gw->item_delete(req, st->id);
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
    }
}

int
cinder_copy_snapshot(ec2gw_req_t *req, void *inst)
{
    struct cinder_copy_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req);
    json_t *copy;
    ec2gw_os_call_t call;

    (void)inst;
    if (cinder_copy_refuse(req, p) != 0)
        return EC2GW_OK;
    if (cinder_param(req, "Description") != NULL &&
        strlen(cinder_param(req, "Description")) > 255) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Description: at most 255 characters are allowed");
        return EC2GW_OK;
    }
    st->src_id = cinder_param(req, "SourceSnapshotId");
    if (st->src_id != NULL && strncmp(st->src_id, "snap-", 5) == 0 &&
        (copy = cinder_copy_get(req, st->src_id)) != NULL) {
        json_decref(copy);
        if (ec2gw->id_to_os(req, st->src_id, &st->src_os) != 0 || st->src_os == NULL) {
            ec2gw->fail(req, 400, "IncorrectState",
                        "Snapshot '%s' is not completed: only a completed snapshot can be copied",
                        st->src_id);
            return EC2GW_OK;
        }
    }
    if (cinder_resolve(req, "snap", st->src_id, "SourceSnapshotId", &st->src_os) != 0)
        return EC2GW_OK;
    st->tags = cinder_own(req, cinder_tag_specs(p, "snapshot"));
    call = EC2GW_OS_GET("volumev3",
                        ec2gw->psprintf(req, "/snapshots/%s", ec2gw->url_escape(req, st->src_os)));
    if (ec2gw->os_call(req, &call, cinder_copy_source, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
