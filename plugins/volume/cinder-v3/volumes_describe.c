/*
 * volumes_describe.c - DescribeVolumes and DescribeVolumeStatus: GET volumev3 /volumes/detail
 * (or /volumes/{id} for one id), then, only when some volume is attached, Nova for
 * delete-on-termination: each attached server's os-volume_attachments together (cheap), or
 * GET /servers/detail when a volume is being attached (Cinder does not name its server yet;
 * Nova already lists it) or more than 20 servers are involved. Ids mapped in one batch per kind;
 * filters and paging by the host.
 */
#include <string.h>

#include "cinder.h"

struct cinder_desc {
    const struct cinder_inst *ci;
    int status_mode;         /* DescribeVolumeStatus */
    const json_t *ids;       /* requested vol- ids, or NULL */
    const char **os_ids;     /* their Cinder uuids */
    json_t *volumes;         /* Cinder volumes (owned) */
    json_t *tokens;          /* vol- → ClientToken from the volume metadata */
    const char **server_ids; /* servers asked for their attachments, in call order */
    int pages;               /* Cinder list pages followed */
    int forced;              /* the cache was refreshed for an id it lacked */
};

static int cinder_desc_list(ec2gw_req_t *req, struct cinder_desc *st);

/* Per-server attachment reads up to this many servers; beyond, one server list is cheaper. */
#define CINDER_PER_SERVER_MAX 20

/*
 * What Nova must say about the volumes: 0 nothing (none attached), 1 the attachments of the
 * servers Cinder names (*servers gets their uuids as keys), 2 the whole server list (a
 * volume is being attached and Cinder does not name its server yet, or too many servers).
 */
static int
cinder_nova_needed(const json_t *volumes, json_t *servers)
{
    const json_t *v, *a;
    size_t i, j;
    int race = 0;

    json_array_foreach(volumes, i, v)
    {
        const char *st = cinder_str(v, "status");

        if (st && (strcmp(st, "reserved") == 0 || strcmp(st, "attaching") == 0))
            race = 1;
        json_array_foreach(json_object_get(v, "attachments"), j, a) if (cinder_str(a, "server_id"))
            json_object_set_new(servers, cinder_str(a, "server_id"), json_true());
    }
    if (race || json_object_size(servers) > CINDER_PER_SERVER_MAX)
        return 2;
    return json_object_size(servers) > 0 ? 1 : 0;
}

static int
cinder_requested(const struct cinder_desc *st, const char *uuid)
{
    size_t n = json_array_size(st->ids);

    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (uuid != NULL && strcmp(st->os_ids[i], uuid) == 0)
            return 1;
    return 0;
}

/* DescribeVolumeStatus's item: Cinder's health as EC2's io-enabled check. */
static json_t *
cinder_status_item(const json_t *vol, const json_t *model)
{
    const char *state = cinder_str(model, "State");
    const char *status = strcmp(state, "error") == 0 ? "impaired"
                         : strcmp(state, "available") == 0 || !strcmp(state, "in-use")
                             ? "ok"
                             : "insufficient-data";
    const char *io = strcmp(status, "ok") == 0         ? "passed"
                     : strcmp(status, "impaired") == 0 ? "failed"
                                                       : "insufficient-data";
    json_t *att = json_array(), *a;
    size_t i;

    (void)vol;
    json_array_foreach(json_object_get(model, "Attachments"), i, a) json_array_append_new(
        att, json_pack("{s:O, s:s}", "InstanceId", json_object_get(a, "InstanceId"),
                       "IoPerformance", "not-applicable"));
    return json_pack("{s:O, s:O, s:{s:s, s:[{s:s, s:s}, {s:s, s:s}]}, s:[], s:[], s:o}", "VolumeId",
                     json_object_get(model, "VolumeId"), "AvailabilityZone",
                     json_object_get(model, "AvailabilityZone"), "VolumeStatus", "Status", status,
                     "Details", "Name", "io-enabled", "Status", io, "Name", "io-performance",
                     "Status", "not-applicable", "Actions", "Events", "AttachmentStatuses", att);
}

static int
cinder_status_filter(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values,
                     void *arg)
{
    const json_t *vs = json_object_get(item, "VolumeStatus"), *d;
    size_t i;

    (void)req;
    (void)arg;
    if (strcmp(name, "availability-zone") == 0)
        json_array_append(values, json_object_get(item, "AvailabilityZone"));
    else if (strcmp(name, "volume-status.status") == 0)
        json_array_append(values, json_object_get(vs, "Status"));
    else if (strcmp(name, "volume-status.details-name") == 0 ||
             strcmp(name, "volume-status.details-status") == 0) {
        json_array_foreach(json_object_get(vs, "Details"), i, d) json_array_append(
            values, json_object_get(d, strstr(name, "-name") ? "Name" : "Status"));
    } else if (strncmp(name, "event.", 6) == 0 || strncmp(name, "action.", 7) == 0)
        return 0; /* Cinder schedules no volume events */
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

static void
cinder_desc_finish(ec2gw_req_t *req, struct cinder_desc *st, const json_t *servers)
{
    struct cinder_view view;
    json_t *items = cinder_own(req, json_array()), *page, *found = json_object();
    const json_t *vol;
    const char *next = NULL;
    size_t i;

    cinder_view_build(req, &view, st->volumes, NULL, servers);
    st->tokens = cinder_own(req, json_object());
    json_array_foreach(st->volumes, i, vol)
    {
        const char *uuid = cinder_str(vol, "id");
        const char *tok = cinder_str(json_object_get(vol, "metadata"), "ec2_client_token");
        json_t *m;

        if (tok != NULL && cinder_str(view.vols, uuid ? uuid : "") != NULL)
            json_object_set_new(st->tokens, cinder_str(view.vols, uuid), json_string(tok));

        if (!cinder_requested(st, uuid) || cinder_str(view.vols, uuid ? uuid : "") == NULL)
            continue;
        json_object_set_new(found, uuid, json_true());
        m = cinder_volume_model(req, &view, vol);
        json_array_append_new(items, st->status_mode ? cinder_status_item(vol, m) : m);
        if (st->status_mode)
            json_decref(m);
    }
    for (i = 0; i < json_array_size(st->ids); i++)
        if (json_object_get(found, st->os_ids[i]) == NULL) {
            json_decref(found);
            ec2gw->fail(req, 400, "InvalidVolume.NotFound", "The volume '%s' does not exist.",
                        json_string_value(json_array_get(st->ids, i)));
            return;
        }
    json_decref(found);
    if (!st->status_mode)
        cinder_attach_tags(req, items, "VolumeId");
    page = cinder_filter_page(req, items, "VolumeId",
                              st->status_mode ? cinder_status_filter : cinder_volume_filter_values,
                              st->tokens, &next);
    if (page == NULL)
        return;
    cinder_finish_list(req, st->status_mode ? "VolumeStatuses" : "Volumes", page, next);
}

static void
cinder_desc_servers(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    /* Without Nova the attachments still show, only without delete-on-termination. */
    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_WARN, "server list failed (%ld): attachments from Cinder only",
                   r->status);
    cinder_desc_finish(req, arg, ec2gw_os_ok(r) ? json_object_get(r->json, "servers") : NULL);
}

/* Each server's os-volume_attachments, shaped as the server list's volumes_attached. */
static void
cinder_desc_attachments(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_desc *st = arg;
    json_t *servers = cinder_own(req, json_array());
    const json_t *a;
    size_t i, j;

    for (i = 0; i < n; i++) {
        json_t *list;

        if (!ec2gw_os_ok(r[i])) /* a server deleted meanwhile: Cinder's view is enough */
            continue;
        list = json_array();
        json_array_foreach(json_object_get(r[i]->json, "volumeAttachments"), j, a)
            json_array_append_new(
                list,
                json_pack("{s:s?, s:b}", "id", cinder_str(a, "volumeId"), "delete_on_termination",
                          json_is_true(json_object_get(a, "delete_on_termination"))));
        json_array_append_new(servers, json_pack("{s:s, s:o}", "id", st->server_ids[i],
                                                 "os-extended-volumes:volumes_attached", list));
    }
    cinder_desc_finish(req, st, servers);
}

/* Cinder's volumes are in st->volumes: ask Nova what it must say, then answer. */
static void
cinder_desc_nova(ec2gw_req_t *req, struct cinder_desc *st)
{
    json_t *servers;
    ec2gw_os_call_t *calls;
    const char *k;
    json_t *v;
    size_t i = 0;
    int need;

    servers = cinder_own(req, json_object());
    need = st->status_mode ? 0 : cinder_nova_needed(st->volumes, servers);
    if (need == 2) {
        ec2gw_os_call_t call =
            EC2GW_OS_CALL("compute", "GET", "/servers/detail",
                          .microversion = st->ci->compute_microversion, .flags = EC2GW_CALL_SHARED);

        if (ec2gw->os_call(req, &call, cinder_desc_servers, st) >= 0)
            return;
    } else if (need == 1) {
        calls = ec2gw->pcalloc(req, json_object_size(servers) * sizeof(*calls));
        st->server_ids = ec2gw->pcalloc(req, json_object_size(servers) * sizeof(char *));
        json_object_foreach(servers, k, v)
        {
            st->server_ids[i] = ec2gw->pstrdup(req, k);
            calls[i++] = EC2GW_OS_CALL("compute", "GET",
                                       ec2gw->psprintf(req, "/servers/%s/os-volume_attachments",
                                                       ec2gw->url_escape(req, k)),
                                       .microversion = st->ci->compute_microversion,
                                       .flags = EC2GW_CALL_SHARED); /* AttachVolume drops it */
        }
        if (ec2gw->os_fanout(req, calls, i, cinder_desc_attachments, st) >= 0)
            return;
    }
    cinder_desc_finish(req, st, NULL);
}

static void
cinder_desc_volumes(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_desc *st = arg;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
        return;
    }
    if (json_object_get(r->json, "volume") != NULL)
        st->volumes = cinder_own(req, json_pack("[O]", json_object_get(r->json, "volume")));
    else if (cinder_next_page(req, r, "volumes", "/volumes/detail", &st->volumes, &st->pages,
                              cinder_desc_volumes, st))
        return;
    cinder_desc_nova(req, st);
}

static void
cinder_desc_synced(ec2gw_req_t *req, json_t *vols, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_desc *st = arg;
    const char *k;
    json_t *v;
    size_t i;

    if (vols == NULL) {
        if (r != NULL)
            cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
        else if (cinder_desc_list(req, st) < 0)
            ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return;
    }
    for (i = 0; i < json_array_size(st->ids); i++)
        if (json_object_get(vols, st->os_ids[i]) == NULL && !st->forced) {
            /* made through another ec2gwd process, or outside: one refresh begun after */
            st->forced = 1;
            if (cinder_sync_volumes(req, st->ci, 1, cinder_desc_synced, st) >= 0)
                return;
            break;
        }
    /* references taken: the cache may replace these volumes before the answer (the host
     * orders the answer by id) */
    st->volumes = cinder_own(req, json_array());
    json_object_foreach(vols, k, v) json_array_append(st->volumes, v);
    cinder_desc_nova(req, st);
}

static int
cinder_describe(ec2gw_req_t *req, void *inst, int status_mode)
{
    struct cinder_desc *st = ec2gw->state(req, sizeof(*st));
    const json_t *ids = json_object_get(ec2gw->params(req), "VolumeIds");
    int rc;

    st->ci = inst;
    st->status_mode = status_mode;
    if (json_array_size(ids) > 0) {
        if (cinder_resolve_all(req, "vol", ids, &st->os_ids) != 0)
            return EC2GW_OK;
        st->ids = ids;
    }
    rc = cinder_sync_volumes(req, inst, 0, cinder_desc_synced, st);
    if (rc == EC2GW_E_STATE) /* no cache (describe_max_staleness 0) */
        rc = cinder_desc_list(req, st);
    if (rc < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return rc;
}

/* Without the cache: Cinder's list (or the one volume asked for). */
static int
cinder_desc_list(ec2gw_req_t *req, struct cinder_desc *st)
{
    const char *path = "/volumes/detail";
    ec2gw_os_call_t call;

    if (json_array_size(st->ids) == 1)
        path = ec2gw->psprintf(req, "/volumes/%s", ec2gw->url_escape(req, st->os_ids[0]));
    call = EC2GW_OS_GET("volumev3", path);
    call.flags = EC2GW_CALL_SHARED; /* read-only: shared (ABI 1.4) */
    return ec2gw->os_call(req, &call, cinder_desc_volumes, st) < 0 ? EC2GW_E_STATE : EC2GW_AGAIN;
}

int
cinder_describe_volumes(ec2gw_req_t *req, void *inst)
{
    return cinder_describe(req, inst, 0);
}

int
cinder_describe_volume_status(ec2gw_req_t *req, void *inst)
{
    return cinder_describe(req, inst, 1);
}
