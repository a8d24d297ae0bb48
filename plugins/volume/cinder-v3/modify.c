/*
 * modify.c - ModifyVolume (Size → Cinder os-extend, VolumeType → os-retype with on-demand
 * migration) and DescribeVolumesModifications. Cinder keeps no modification records, so the
 * request is kept in the vol- item and its state derived from the volume: extending/retyping
 * → modifying, error_extending or a target not reached → failed, otherwise completed.
 */
#include <string.h>

#include "cinder.h"

struct cinder_mod_state {
    const char *id, *os;
    json_t *mod; /* the VolumeModification being made */
};

static void
cinder_modified(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_mod_state *st = arg;
    json_t *data;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", "VolumeLimitExceeded");
        return;
    }
    data = cinder_item_data(req, st->id);
    json_object_set(data, "modification", st->mod);
    if (ec2gw->item_put(req, st->id, st->os, data) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "modification of %s not stored", st->id);
    json_decref(data);
    ec2gw->finish(req, json_pack("{s:O}", "VolumeModification", st->mod));
}

static void
cinder_mod_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_mod_state *st = arg;
    const json_t *p = ec2gw->params(req), *vol = json_object_get(r->json, "volume");
    const json_t *size = json_object_get(p, "Size");
    const char *type = cinder_param(req, "VolumeType");
    const char *cur_type = cinder_str(vol, "volume_type");
    const char *status = cinder_str(vol, "status");
    json_int_t cur = json_integer_value(json_object_get(vol, "size"));
    ec2gw_os_call_t call;
    json_t *body;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
        return;
    }
    if (size != NULL && json_integer_value(size) <= cur) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "New size (%lld) must be larger than the existing size (%lld)",
                    (long long)json_integer_value(size), (long long)cur);
        return;
    }
    if (type != NULL && cur_type != NULL && strcmp(type, cur_type) == 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "The volume is already of type '%s'", type);
        return;
    }
    if (status == NULL || (strcmp(status, "available") != 0 && strcmp(status, "in-use") != 0)) {
        ec2gw->fail(req, 400, "IncorrectModificationState",
                    "The volume '%s' cannot be modified while it is %s", st->id,
                    cinder_volume_state(vol));
        return;
    }
    st->mod =
        cinder_own(req, json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:s}", "VolumeId", st->id,
                                  "ModificationState", "modifying", "OriginalSize", cur,
                                  "TargetSize", size ? json_integer_value(size) : cur,
                                  "OriginalVolumeType", cur_type ? cur_type : "",
                                  "TargetVolumeType", type ? type : (cur_type ? cur_type : ""),
                                  "Progress", (json_int_t)0, "StartTime", cinder_now_iso(req)));
    body = size != NULL ? json_pack("{s:{s:I}}", "os-extend", "new_size", json_integer_value(size))
                        : json_pack("{s:{s:s, s:s}}", "os-retype", "new_type", type,
                                    "migration_policy", "on-demand");
    call = EC2GW_OS_CALL("volumev3", "POST",
                         ec2gw->psprintf(req, "/volumes/%s/action", ec2gw->url_escape(req, st->os)),
                         .body = cinder_own(req, body));
    if (ec2gw->os_call(req, &call, cinder_modified, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
}

int
cinder_modify_volume(ec2gw_req_t *req, void *inst)
{
    const struct cinder_inst *ci = inst;
    struct cinder_mod_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req), *size = json_object_get(p, "Size");
    const char *type = cinder_param(req, "VolumeType");
    ec2gw_os_call_t call;

    if (json_object_get(p, "Iops") != NULL) {
        cinder_unsupported(req, "Iops");
        return EC2GW_OK;
    }
    if (json_object_get(p, "Throughput") != NULL) {
        cinder_unsupported(req, "Throughput");
        return EC2GW_OK;
    }
    if (json_object_get(p, "MultiAttachEnabled") != NULL) {
        cinder_unsupported(req, "MultiAttachEnabled");
        return EC2GW_OK;
    }
    if (size == NULL && type == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter Size or VolumeType");
        return EC2GW_OK;
    }
    if (size != NULL && type != NULL) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "Cinder extends and retypes a volume in separate steps: change Size and "
                    "VolumeType in two ModifyVolume calls");
        return EC2GW_OK;
    }
    if (size != NULL &&
        (json_integer_value(size) < 1 || json_integer_value(size) > ci->max_size_gib)) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "Size must be 1 to %lld GiB",
                    (long long)ci->max_size_gib);
        return EC2GW_OK;
    }
    st->id = cinder_param(req, "VolumeId");
    if (cinder_resolve(req, "vol", st->id, "VolumeId", &st->os) != 0)
        return EC2GW_OK;
    call = EC2GW_OS_GET("volumev3",
                        ec2gw->psprintf(req, "/volumes/%s", ec2gw->url_escape(req, st->os)));
    if (ec2gw->os_call(req, &call, cinder_mod_checked, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

/* -- DescribeVolumesModifications ------------------------------------------------------ */

/* The stored modification @p m brought up to date with the volume (returns new). */
static json_t *
cinder_mod_now(const json_t *m, const json_t *vol)
{
    json_t *out = json_deep_copy(m);
    const char *status = cinder_str(vol, "status"), *type = cinder_str(vol, "volume_type");
    const char *ttype = cinder_str(m, "TargetVolumeType");
    json_int_t size = json_integer_value(json_object_get(vol, "size"));
    const char *state;

    if (status != NULL && (strcmp(status, "extending") == 0 || strcmp(status, "retyping") == 0))
        state = "modifying";
    else if ((status != NULL && strncmp(status, "error", 5) == 0) ||
             size != json_integer_value(json_object_get(m, "TargetSize")) ||
             (ttype != NULL && ttype[0] != '\0' && type != NULL && strcmp(type, ttype) != 0))
        state = "failed";
    else
        state = "completed";
    json_object_set_new(out, "ModificationState", json_string(state));
    json_object_set_new(out, "Progress", json_integer(strcmp(state, "modifying") ? 100 : 0));
    return out;
}

static int
cinder_mod_filter(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    static const char *const map[][2] = {
        { "volume-id", "VolumeId" },         { "modification-state", "ModificationState" },
        { "target-size", "TargetSize" },     { "target-volume-type", "TargetVolumeType" },
        { "original-size", "OriginalSize" }, { "original-volume-type", "OriginalVolumeType" },
        { "start-time", "StartTime" },       { NULL, NULL },
    };

    (void)req;
    (void)arg;
    for (size_t i = 0; map[i][0] != NULL; i++)
        if (strcmp(name, map[i][0]) == 0) {
            const json_t *v = json_object_get(item, map[i][1]);

            if (json_is_integer(v))
                json_array_append_new(values,
                                      json_sprintf("%lld", (long long)json_integer_value(v)));
            else if (v != NULL)
                json_array_append_new(values, json_string(json_string_value(v)));
            return 0;
        }
    if (strncmp(name, "target-", 7) == 0 || strncmp(name, "original-", 9) == 0)
        return 0; /* iops, throughput, multi-attach: never modified here */
    return EC2GW_E_NOTFOUND;
}

static void
cinder_mods_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *ids = json_object_get(ec2gw->params(req), "VolumeIds"), *vol, *id;
    const json_t *vols = json_object_get(r->json, "volumes");
    json_t *items = cinder_own(req, json_array()), *page;
    struct cinder_view view;
    const char *next = NULL;
    size_t i, j;

    (void)arg;
    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
        return;
    }
    cinder_view_build(req, &view, vols, NULL, NULL);
    json_array_foreach(vols, i, vol)
    {
        const char *vid = cinder_str(view.vols, cinder_str(vol, "id") ? cinder_str(vol, "id") : "");
        const json_t *m =
            json_object_get(json_object_get(view.data, vid ? vid : ""), "modification");

        int wanted = json_array_size(ids) == 0;

        json_array_foreach(ids, j, id) if (vid != NULL && strcmp(json_string_value(id), vid) == 0)
            wanted = 1;
        if (m != NULL && wanted)
            json_array_append_new(items, cinder_mod_now(m, vol));
    }
    json_array_foreach(ids, i, id)
    {
        const json_t *it;
        int seen = 0;

        json_array_foreach(items, j, it) if (json_equal(json_object_get(it, "VolumeId"), id)) seen =
            1;
        if (!seen) {
            ec2gw->fail(req, 400, "InvalidVolumeModification.NotFound",
                        "Modification for volume '%s' does not exist.", json_string_value(id));
            return;
        }
    }
    page = cinder_filter_page(req, items, "VolumeId", cinder_mod_filter, NULL, &next);
    if (page != NULL)
        cinder_finish_list(req, "VolumesModifications", page, next);
}

int
cinder_describe_volumes_modifications(ec2gw_req_t *req, void *inst)
{
    const json_t *ids = json_object_get(ec2gw->params(req), "VolumeIds");
    const char **os = NULL;
    ec2gw_os_call_t call = EC2GW_OS_GET("volumev3", "/volumes/detail");

    (void)inst;
    if (json_array_size(ids) > 0 && cinder_resolve_all(req, "vol", ids, &os) != 0)
        return EC2GW_OK;
    if (ec2gw->os_call(req, &call, cinder_mods_listed, NULL) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
