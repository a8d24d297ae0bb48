/*
 * plugin.c - the cinder-v3 descriptor, settings schema and small shared helpers.
 *
 * EBS volumes and snapshots on Cinder's v3 API (microversion 3.50 or later), attachments
 * through Nova's os-volume_attachments (openstack-mapping.md §12, §13). Built with the SDK only.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cinder.h"

const ec2gw_host_api_t *ec2gw;

static const ec2gw_setting_t cinder_settings[] = {
    { .key = "compute_microversion",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct cinder_inst, compute_microversion),
      .def = "2.79",
      .help = "Nova microversion of attach/detach calls (2.79 shows delete_on_termination)" },
    { .key = "max_size_gib",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct cinder_inst, max_size_gib),
      .def = "16384",
      .help = "largest volume Size accepted (GiB), as EC2's gp2 limit" },
    { .key = "force_detach_as_service",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct cinder_inst, force_detach_as_service),
      .def = "true",
      .help = "DetachVolume Force of a volume whose server is gone: Cinder os-force_detach "
              "with the service identity (needs an admin service user)" },
    { .key = "full_sync_interval",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct cinder_inst, full_sync_interval_ms),
      .def = "60s",
      .help = "DescribeVolumes' cached volumes (kept up to the daemon's describe_max_staleness) "
              "are listed in full at least this often; between, only what changed (Cinder "
              "3.60's updated_at filter; 0: full lists only)" },
    { .key = "sync_overlap",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct cinder_inst, sync_overlap_ms),
      .def = "5s",
      .help = "the volumes changed since are asked from this long before the newest change "
              "seen (clocks of Cinder's services, late commits)" },
    { .key = "sync_max_projects",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct cinder_inst, sync_max_projects),
      .def = "256",
      .help = "projects whose volumes are cached" },
    { .key = "type_reads_as_service",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct cinder_inst, type_reads_as_service),
      .def = "true",
      .help = "read what volume types back (QoS specs, encryption, extra specs: admin-only in "
              "Cinder's default policy) with the service identity, for CreateVolume's Iops, "
              "Throughput, Encrypted, KmsKeyId, MultiAttachEnabled and the Iops/Throughput "
              "volumes show; false: those parameters are refused" },
    { .key = "type_cache_ttl",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct cinder_inst, type_cache_ttl_ms),
      .def = "60s",
      .help = "how long what the volume types back is reused before Cinder is asked again "
              "(0: every request asks)" },
    { .key = NULL },
};

/* Writes that change volumes: reads of the project refresh while one is in flight and once
 * after (a client reads its own writes); @p full: volumes come or go (a full list after). */
static int
cinder_write(ec2gw_req_t *req, void *inst, ec2gw_action_fn fn, int full)
{
    cinder_sync_write(req, inst, full);
    return fn(req, inst);
}

#define CINDER_WRITE(name, fn, full)              \
    static int name(ec2gw_req_t *req, void *inst) \
    {                                             \
        return cinder_write(req, inst, fn, full); \
    }
CINDER_WRITE(cinder_w_create, cinder_create_volume, 1)
CINDER_WRITE(cinder_w_delete, cinder_delete_volume, 1)
CINDER_WRITE(cinder_w_attach, cinder_attach_volume, 0)
CINDER_WRITE(cinder_w_detach, cinder_detach_volume, 0)
CINDER_WRITE(cinder_w_modify, cinder_modify_volume, 0)
CINDER_WRITE(cinder_w_snapshot, cinder_create_snapshot, 0)
CINDER_WRITE(cinder_w_snapshots, cinder_create_snapshots, 0)
CINDER_WRITE(cinder_w_copy, cinder_copy_snapshot, 1)

static const ec2gw_action_t cinder_actions[] = {
    { "CreateVolume", cinder_w_create, EC2GW_ACT_CLIENT_TOKEN },
    { "DeleteVolume", cinder_w_delete, 0 },
    { "DescribeVolumes", cinder_describe_volumes, EC2GW_ACT_READONLY },
    { "DescribeVolumeStatus", cinder_describe_volume_status, EC2GW_ACT_READONLY },
    { "AttachVolume", cinder_w_attach, 0 },
    { "DetachVolume", cinder_w_detach, 0 },
    { "DescribeVolumeAttribute", cinder_describe_volume_attribute, EC2GW_ACT_READONLY },
    { "ModifyVolumeAttribute", cinder_modify_volume_attribute, 0 },
    { "ModifyVolume", cinder_w_modify, 0 },
    { "DescribeVolumesModifications", cinder_describe_volumes_modifications, EC2GW_ACT_READONLY },
    { "CreateSnapshot", cinder_w_snapshot, 0 },
    { "CreateSnapshots", cinder_w_snapshots, 0 },
    { "DeleteSnapshot", cinder_delete_snapshot, 0 },
    { "DescribeSnapshots", cinder_describe_snapshots, EC2GW_ACT_READONLY },
    { "DescribeSnapshotAttribute", cinder_describe_snapshot_attribute, EC2GW_ACT_READONLY },
    { "ModifySnapshotAttribute", cinder_modify_snapshot_attribute, 0 },
    { "ResetSnapshotAttribute", cinder_reset_snapshot_attribute, 0 },
    { "CopySnapshot", cinder_w_copy, 0 },
    { NULL, NULL, 0 },
};

static const ec2gw_service_t cinder_uses[] = {
    { .type = "compute", .api = "v2.1" },
    { .type = NULL },
};

const char *
cinder_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *
cinder_param(ec2gw_req_t *req, const char *key)
{
    return cinder_str(ec2gw->params(req), key);
}

/* Hand @p j (a new reference) to the request's pool: it lives until the request ends. */
json_t *
cinder_own(ec2gw_req_t *req, json_t *j)
{
    if (j == NULL)
        return NULL;
    ec2gw->own_json(req, j);
    json_decref(j);
    return j;
}

json_t *
cinder_tag_specs(const json_t *params, const char *resource_type)
{
    json_t *out = json_array();
    const json_t *spec;
    size_t i;

    json_array_foreach(json_object_get(params, "TagSpecifications"), i, spec)
    {
        const char *rt = cinder_str(spec, "ResourceType");

        if (rt == NULL || strcmp(rt, resource_type) == 0)
            json_array_extend(out, json_object_get(spec, "Tags"));
    }
    return out;
}

int
cinder_check_tag_specs(ec2gw_req_t *req, const json_t *p, const char *type)
{
    const json_t *spec;
    size_t i;

    json_array_foreach(json_object_get(p, "TagSpecifications"), i, spec)
    {
        const char *rt = cinder_str(spec, "ResourceType");

        if (rt != NULL && strcmp(rt, type) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "'%s' is not a valid taggable resource type for this operation.", rt);
            return -1;
        }
    }
    return 0;
}

char *
cinder_now_iso(ec2gw_req_t *req)
{
    time_t t = time(NULL);
    struct tm tm;
    char buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return ec2gw->pstrdup(req, buf);
}

void
cinder_return_true(ec2gw_req_t *req)
{
    ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
}

void
cinder_finish_list(ec2gw_req_t *req, const char *key, json_t *list, const char *next)
{
    json_t *out = json_pack("{s:o}", key, list);

    if (next != NULL)
        json_object_set_new(out, "NextToken", json_string(next));
    ec2gw->finish(req, out);
}

json_t *
cinder_filter_page(ec2gw_req_t *req, const json_t *items, const char *id_key,
                   ec2gw_filter_values_fn values, void *arg, const char **next)
{
    json_t *filtered = ec2gw->filter(req, items, id_key, values, arg);

    *next = NULL;
    if (filtered == NULL)
        return NULL;
    cinder_own(req, filtered);
    return ec2gw->page(req, filtered, id_key, next);
}

void
cinder_attach_tags(ec2gw_req_t *req, json_t *items, const char *id_key)
{
    size_t n = json_array_size(items), i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *tags = NULL, *it;

    json_array_foreach(items, i, it) ids[i] = cinder_str(it, id_key) ? cinder_str(it, id_key) : "";
    if (n > 0 && ec2gw->tags_get(req, ids, n, &tags) != 0)
        tags = NULL;
    json_array_foreach(items, i, it)
    {
        json_t *t = json_object_get(tags, ids[i]);

        json_object_set_new(it, "Tags", t ? json_copy(t) : json_array());
    }
    json_decref(tags);
}

const char *
cinder_not_found_code(const char *kind)
{
    if (strcmp(kind, "vol") == 0)
        return "InvalidVolume.NotFound";
    if (strcmp(kind, "snap") == 0)
        return "InvalidSnapshot.NotFound";
    return "InvalidInstanceID.NotFound";
}

static const char *
cinder_malformed_code(const char *kind)
{
    if (strcmp(kind, "vol") == 0)
        return "InvalidVolumeID.Malformed";
    if (strcmp(kind, "snap") == 0)
        return "InvalidSnapshotID.Malformed";
    return "InvalidInstanceID.Malformed";
}

int
cinder_resolve(ec2gw_req_t *req, const char *kind, const char *id, const char *param,
               const char **os)
{
    size_t kl = strlen(kind);
    int rc;

    if (id == NULL || id[0] == '\0') {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter %s",
                    param);
        return -1;
    }
    if (strncmp(id, kind, kl) != 0 || id[kl] != '-') {
        ec2gw->fail(req, 400, cinder_malformed_code(kind),
                    "Invalid id: \"%s\" (expecting \"%s-...\")", id, kind);
        return -1;
    }
    rc = ec2gw->id_to_os(req, id, os);
    if (rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, cinder_malformed_code(kind), "Invalid id: \"%s\"", id);
        return -1;
    }
    if (rc != 0 || *os == NULL) {
        json_t *copy = strcmp(kind, "snap") == 0 ? cinder_copy_get(req, id) : NULL;

        if (copy != NULL) { /* a CopySnapshot whose S is not made yet (snapshots_copy.c) */
            json_decref(copy);
            ec2gw->fail(req, 400, "IncorrectState",
                        "Snapshot '%s' is a copy still pending: it can be used once completed", id);
            return -1;
        }
        ec2gw->fail(req, 400, cinder_not_found_code(kind), "The %s '%s' does not exist.",
                    strcmp(kind, "vol") == 0    ? "volume"
                    : strcmp(kind, "snap") == 0 ? "snapshot"
                                                : "instance ID",
                    id);
        return -1;
    }
    return 0;
}

int
cinder_resolve_all(ec2gw_req_t *req, const char *kind, const json_t *ids, const char ***os)
{
    size_t n = json_array_size(ids);
    const char **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));

    for (size_t i = 0; i < n; i++)
        if (cinder_resolve(req, kind, json_string_value(json_array_get(ids, i)), "id", &out[i]) !=
            0)
            return -1;
    *os = out;
    return 0;
}

const char *
cinder_os_message(const ec2gw_os_resp_t *r)
{
    const char *k;
    json_t *v;

    if (r == NULL || !json_is_object(r->json))
        return "";
    json_object_foreach(r->json, k, v)
    {
        const char *m = cinder_str(v, "message");

        if (m != NULL)
            return m;
    }
    return "";
}

void
cinder_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *not_found,
            const char *limit_code)
{
    const char *body = r && r->body ? r->body : "";
    int quota = strstr(body, "uota") != NULL || strstr(body, "OverQuota") != NULL;

    if (r != NULL && limit_code != NULL && (r->status == 413 || (quota && r->status >= 400))) {
        ec2gw->fail(req, 400, limit_code, "A quota of the project would be exceeded: %s",
                    cinder_os_message(r));
        return;
    }
    if (r != NULL && (r->status == 400 || r->status == 409)) {
        ec2gw->fail(req, 400, "IncorrectState", "%s",
                    cinder_os_message(r)[0] ? cinder_os_message(r)
                                            : "The resource is not in a state for this");
        return;
    }
    ec2gw->fail_from_os(req, r, not_found);
}

int
cinder_unsupported(ec2gw_req_t *req, const char *param)
{
    ec2gw->fail(req, 400, "UnsupportedOperation", "%s is not supported by this cloud", param);
    return -1;
}

json_t *
cinder_item_data(ec2gw_req_t *req, const char *ec2_id)
{
    json_t *data = NULL;

    if (ec2gw->item_get(req, ec2_id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    return data;
}

int
cinder_next_page(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *key, const char *base,
                 json_t **acc, int *pages, ec2gw_os_done_fn done, void *arg)
{
    json_t *list = json_object_get(r->json, key);
    const json_t *l;
    const char *links = ec2gw->psprintf(req, "%s_links", key), *last;
    ec2gw_os_call_t call;
    int more = 0;
    size_t i;

    if (*acc == NULL)
        *acc = cinder_own(req, json_array());
    if (json_is_array(list))
        json_array_extend(*acc, list);
    json_array_foreach(json_object_get(r->json, links), i, l)
    {
        if (cinder_str(l, "rel") != NULL && strcmp(cinder_str(l, "rel"), "next") == 0)
            more = 1;
    }
    last = cinder_str(json_array_get(list, json_array_size(list) - 1), "id");
    if (!more || last == NULL || *pages >= CINDER_MAX_PAGES)
        return 0;
    call = EC2GW_OS_GET("volumev3",
                        ec2gw->psprintf(req, "%s?marker=%s", base, ec2gw->url_escape(req, last)));
    call.flags = EC2GW_CALL_SHARED; /* the Describe lists' next pages: read-only, shared */
    if (ec2gw->os_call(req, &call, done, arg) < 0)
        return 0;
    (*pages)++;
    return 1;
}

static int
cinder_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

static void
cinder_destroy(void *inst)
{
    struct cinder_inst *ci = inst;

    cinder_sync_free(ci->sync);
    ci->sync = NULL;
    cinder_types_free(ci);
}

static int
cinder_create(void *inst, ec2gw_cfg_t *cfg)
{
    struct cinder_inst *ci = inst;

    if (ci->compute_microversion == NULL || strncmp(ci->compute_microversion, "2.", 2) != 0) {
        ec2gw->cfg_error(cfg, "compute_microversion", "a Nova microversion like \"2.79\"");
        return EC2GW_E_INVAL;
    }
    if (ci->max_size_gib < 1 || ci->max_size_gib > 1048576) {
        ec2gw->cfg_error(cfg, "max_size_gib", "out of range (1..1048576)");
        return EC2GW_E_INVAL;
    }
    if (ci->full_sync_interval_ms < 0 || ci->full_sync_interval_ms > 24 * 3600 * 1000) {
        ec2gw->cfg_error(cfg, "full_sync_interval", "out of range (0..24h)");
        return EC2GW_E_INVAL;
    }
    if (ci->sync_overlap_ms < 0 || ci->sync_overlap_ms > 3600 * 1000) {
        ec2gw->cfg_error(cfg, "sync_overlap", "out of range (0..1h)");
        return EC2GW_E_INVAL;
    }
    if (ci->sync_max_projects < 1 || ci->sync_max_projects > 100000) {
        ec2gw->cfg_error(cfg, "sync_max_projects", "out of range (1..100000)");
        return EC2GW_E_INVAL;
    }
    if (ci->type_cache_ttl_ms < 0 || ci->type_cache_ttl_ms > 3600000) {
        ec2gw->cfg_error(cfg, "type_cache_ttl", "out of range (0..1h)");
        return EC2GW_E_INVAL;
    }
    if ((((struct cinder_inst *)inst)->sync = cinder_sync_new()) == NULL ||
        cinder_types_new(inst) != 0)
        return EC2GW_E_NOMEM; /* the host calls destroy() after a failed create() too */
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "cinder-v3",
    .version = "1.0.0",
    .description = "EBS volumes and snapshots on Cinder v3 (attachments through Nova)",
    .service = { .type = "volumev3", .api = "v3", .microversion = "3.50" },
    .uses = cinder_uses,
    .actions = cinder_actions,
    .settings = cinder_settings,
    .inst_size = sizeof(struct cinder_inst),
    .load = cinder_load,
    .create = cinder_create,
    .destroy = cinder_destroy,
};
