/*
 * volumes_create.c - CreateVolume (POST /volumes; ClientToken idempotency is the daemon's, the
 * token is also kept in the volume's metadata for the client-token filter; Iops, Throughput,
 * Encrypted, KmsKeyId and MultiAttachEnabled checked against what the type backs first,
 * volume_types.c) and DeleteVolume
 * (the volume and its snapshots read first, so an attached volume gets VolumeInUse and one
 * with snapshots a clear IncorrectState, then DELETE).
 */
#include <string.h>

#include "cinder.h"

struct cinder_create_state {
    const struct cinder_inst *ci;
    json_t *tags;
    json_t *vol;       /* the body's "volume" (pool) */
    const char *asked; /* the first parameter that needs what the type backs, or NULL */
};

/* Parameters EBS has and Cinder cannot back; -1 after refusing the first one present. */
static int
cinder_create_refuse(ec2gw_req_t *req, const json_t *p)
{
    static const char *const absent[] = { "OutpostArn", "AvailabilityZoneId",
                                          "VolumeInitializationRate", "Operator", NULL };

    for (size_t i = 0; absent[i] != NULL; i++)
        if (json_object_get(p, absent[i]) != NULL)
            return cinder_unsupported(req, absent[i]);
    return 0;
}

/* The first parameter only a volume type can back (Encrypted/MultiAttachEnabled when true). */
static const char *
cinder_type_param(const json_t *p)
{
    static const char *const given[] = { "Iops", "Throughput", "KmsKeyId", NULL };

    for (size_t i = 0; given[i] != NULL; i++)
        if (json_object_get(p, given[i]) != NULL)
            return given[i];
    if (json_is_true(json_object_get(p, "Encrypted")))
        return "Encrypted";
    if (json_is_true(json_object_get(p, "MultiAttachEnabled")))
        return "MultiAttachEnabled";
    return NULL;
}

static void
cinder_created(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_create_state *st = arg;
    const json_t *vol = json_object_get(r->json, "volume");
    const char *msg = cinder_os_message(r);
    struct cinder_view view;
    const char *id;
    json_t *m;

    if (r->status == 404 && strstr(msg, "napshot") != NULL) {
        ec2gw->fail(req, 400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.",
                    cinder_param(req, "SnapshotId"));
        return;
    }
    if (r->status == 404 || (r->status == 400 && strstr(msg, "type") != NULL)) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "VolumeType '%s' does not exist: %s",
                    cinder_param(req, "VolumeType") ? cinder_param(req, "VolumeType") : "", msg);
        return;
    }
    if (r->status == 400 && strstr(msg, "vailability zone") != NULL) {
        ec2gw->fail(req, 400, "InvalidZone.NotFound", "%s", msg);
        return;
    }
    if (r->status == 400) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "%s", msg);
        return;
    }
    if (!ec2gw_os_ok(r) || cinder_str(vol, "id") == NULL) {
        cinder_fail(req, r, NULL, "VolumeLimitExceeded");
        return;
    }
    cinder_view_build(req, &view, cinder_own(req, json_pack("[O]", vol)), NULL, NULL);
    id = cinder_str(view.vols, cinder_str(vol, "id"));
    if (id == NULL) {
        ec2gw->fail(req, 500, "InternalError", "The new volume could not be given an id");
        return;
    }
    if (json_array_size(st->tags) > 0 && ec2gw->tags_set(req, id, st->tags) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "tags of %s not stored", id);
    m = cinder_volume_model(req, &view, vol);
    cinder_types_model(req, st->ci, m);
    json_object_set(m, "Tags", st->tags);
    ec2gw->finish(req, m);
}

static void
cinder_create_post(ec2gw_req_t *req, struct cinder_create_state *st)
{
    json_t *body = cinder_own(req, json_pack("{s:O}", "volume", st->vol));
    ec2gw_os_call_t call = EC2GW_OS_CALL("volumev3", "POST", "/volumes", .body = body);

    if (ec2gw->os_call(req, &call, cinder_created, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
}

/* What the type backs is known (or could not be read): check, then create. */
static void
cinder_create_typed(ec2gw_req_t *req, const json_t *type, const char *why, void *arg)
{
    struct cinder_create_state *st = arg;
    const json_t *p = ec2gw->params(req);
    json_int_t size = json_integer_value(json_object_get(p, "Size"));

    if (st->asked == NULL) {
        if (why != NULL) /* only the shown Iops/Throughput are missing */
            ec2gw->log(req, EC2GW_LOG_WARN, "volume types: %s", why);
        cinder_create_post(req, st);
        return;
    }
    if (type == NULL) {
        if (strncmp(why, "VolumeType", 10) == 0)
            ec2gw->fail(req, 400, "InvalidParameterValue", "%s", why);
        else
            ec2gw->fail(req, 400, "UnsupportedOperation", "%s cannot be checked: %s", st->asked,
                        why);
        return;
    }
    if (cinder_types_check(req, st->ci, type, p, size) != 0)
        return;
    /* the type checked is the one Cinder uses, even when the project's default moves */
    json_object_set_new(st->vol, "volume_type", json_string(cinder_str(type, "name")));
    cinder_create_post(req, st);
}

int
cinder_create_volume(ec2gw_req_t *req, void *inst)
{
    const struct cinder_inst *ci = inst;
    struct cinder_create_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req), *size = json_object_get(p, "Size"), *t;
    const char *snap = cinder_param(req, "SnapshotId"), *snap_os = NULL;
    const char *token = cinder_param(req, "ClientToken");
    json_t *vol;
    size_t i;

    st->ci = ci;
    st->asked = cinder_type_param(p);
    if (cinder_create_refuse(req, p) != 0 || cinder_check_tag_specs(req, p, "volume") != 0)
        return EC2GW_OK;
    if (st->asked != NULL && !ci->type_reads_as_service) {
        cinder_unsupported(req, st->asked);
        return EC2GW_OK;
    }
    if (size == NULL && snap == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter size or snapshotId");
        return EC2GW_OK;
    }
    if (size != NULL &&
        (json_integer_value(size) < 1 || json_integer_value(size) > ci->max_size_gib)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Volume of %lld GiB is invalid: Size must be 1 to %lld",
                    (long long)json_integer_value(size), (long long)ci->max_size_gib);
        return EC2GW_OK;
    }
    if (snap != NULL && cinder_resolve(req, "snap", snap, "SnapshotId", &snap_os) != 0)
        return EC2GW_OK;
    st->tags = cinder_own(req, cinder_tag_specs(p, "volume"));
    vol = st->vol = cinder_own(req, json_object());
    if (size != NULL)
        json_object_set_new(vol, "size", json_integer(json_integer_value(size)));
    if (snap_os != NULL)
        json_object_set_new(vol, "snapshot_id", json_string(snap_os));
    if (cinder_param(req, "AvailabilityZone") != NULL)
        json_object_set_new(vol, "availability_zone",
                            json_string(cinder_param(req, "AvailabilityZone")));
    if (cinder_param(req, "VolumeType") != NULL)
        json_object_set_new(vol, "volume_type", json_string(cinder_param(req, "VolumeType")));
    json_array_foreach(
        st->tags, i, t) if (strcmp(cinder_str(t, "Key") ? cinder_str(t, "Key") : "", "Name") == 0 &&
                            cinder_str(t, "Value") != NULL)
        json_object_set_new(vol, "name", json_string(cinder_str(t, "Value")));
    if (token != NULL)
        json_object_set_new(vol, "metadata", json_pack("{s:s}", "ec2_client_token", token));
    if (!ci->type_reads_as_service) {
        cinder_create_post(req, st);
        return EC2GW_AGAIN;
    }
    /* without those parameters only the catalog is needed, for the Iops/Throughput shown */
    return cinder_type_get(req, ci, st->asked ? cinder_param(req, "VolumeType") : "",
                           st->asked && (json_is_true(json_object_get(p, "Encrypted")) ||
                                         json_object_get(p, "KmsKeyId") != NULL),
                           cinder_create_typed, st);
}

/* -- DeleteVolume ----------------------------------------------------------------------- */

struct cinder_delete_state {
    const char *id, *os;
};

static void
cinder_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    (void)arg;
    if (ec2gw_os_ok(r)) {
        cinder_return_true(req);
        return;
    }
    cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
}

static void
cinder_delete_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_delete_state *st = arg;
    const json_t *vol = json_object_get(r[0]->json, "volume");
    const char *status = cinder_str(vol, "status");
    ec2gw_os_call_t call;

    (void)n;
    if (!ec2gw_os_ok(r[0])) {
        cinder_fail(req, r[0], "InvalidVolume.NotFound", NULL);
        return;
    }
    if (json_array_size(json_object_get(vol, "attachments")) > 0 ||
        (status != NULL && (strcmp(status, "in-use") == 0 || strcmp(status, "attaching") == 0 ||
                            strcmp(status, "reserved") == 0 || strcmp(status, "detaching") == 0))) {
        ec2gw->fail(req, 400, "VolumeInUse", "Volume %s is currently attached", st->id);
        return;
    }
    if (status != NULL && strcmp(status, "deleting") == 0) {
        cinder_return_true(req); /* already going: AWS answers the retry the same way */
        return;
    }
    /* EBS deletes a volume with snapshots; Cinder keeps a snapshot on its volume */
    if (ec2gw_os_ok(r[1]) && json_array_size(json_object_get(r[1]->json, "snapshots")) > 0) {
        ec2gw->fail(req, 400, "IncorrectState",
                    "The volume '%s' has snapshots: this cloud deletes a volume only after its "
                    "snapshots",
                    st->id);
        return;
    }
    call = EC2GW_OS_CALL("volumev3", "DELETE",
                         ec2gw->psprintf(req, "/volumes/%s", ec2gw->url_escape(req, st->os)),
                         .flags = 0);
    if (ec2gw->os_call(req, &call, cinder_deleted, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
}

int
cinder_delete_volume(ec2gw_req_t *req, void *inst)
{
    struct cinder_delete_state *st = ec2gw->state(req, sizeof(*st));
    ec2gw_os_call_t calls[2];
    const char *esc;

    (void)inst;
    st->id = cinder_param(req, "VolumeId");
    if (cinder_resolve(req, "vol", st->id, "VolumeId", &st->os) != 0)
        return EC2GW_OK;
    esc = ec2gw->url_escape(req, st->os);
    calls[0] = EC2GW_OS_GET("volumev3", ec2gw->psprintf(req, "/volumes/%s", esc));
    calls[1] = EC2GW_OS_GET("volumev3", ec2gw->psprintf(req, "/snapshots?volume_id=%s", esc));
    if (ec2gw->os_fanout(req, calls, 2, cinder_delete_checked, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
