/*
 * cinder.h - private declarations of the cinder-v3 volume plugin (SDK only, no daemon headers):
 * EBS volumes and snapshots on Cinder v3, attachments through Nova's os-volume_attachments.
 * Ids are the `vol` and `snap` kinds of the shared id map, so a volume has the same vol- id
 * here, in DescribeInstances and in image block device mappings.
 */
#ifndef CINDER_H
#define CINDER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

/** The host table, set in load(); shared by the plugin's files (hidden visibility). */
extern const ec2gw_host_api_t *ec2gw;

/** One instance (one conf.d file): bound from `settings:`, read-only after create(). */
struct cinder_inst {
    const char *compute_microversion; /* Nova os-volume_attachments (2.79: delete_on_termination) */
    int64_t max_size_gib;             /* largest Size of CreateVolume/ModifyVolume */
    int force_detach_as_service;      /* Force: Cinder os-force_detach as the service user */
    int64_t full_sync_interval_ms;    /* the cached volumes are listed in full this often */
    int64_t sync_overlap_ms;          /* the delta starts this much before the newest change */
    int64_t sync_max_projects;        /* cap of cached projects */
    struct cinder_sync *sync;         /* the volume cache (volume_sync.c); mutable */
    int type_reads_as_service;        /* what volume types back, read as the service user */
    int64_t type_cache_ttl_ms;        /* how long what types back is reused */
    struct cinder_types *types;       /* volume_types.c's cache: the one mutable member */
};

/* -- volume_sync.c: DescribeVolumes' volumes per project, kept across requests ------------ */
struct cinder_sync;
struct cinder_sync *cinder_sync_new(void);
void cinder_sync_free(struct cinder_sync *s);
/* The bound on the cache's age: the daemon's describe_max_staleness (0: no cache). */
int64_t cinder_sync_staleness(ec2gw_req_t *req, const struct cinder_inst *ci);
/*
 * The cache answered: @p vols (uuid → Cinder volume, borrowed: take references of what is
 * used later) or NULL: then @p r is Cinder's failed answer to report, or NULL to list as
 * without a cache.
 */
typedef void (*cinder_sync_done_fn)(ec2gw_req_t *req, json_t *vols, const ec2gw_os_resp_t *r,
                                    void *arg);
/*
 * The project's volumes, refreshed when older than the bound, after writes, or (@p force: an
 * id it lacks) by a full list begun after the request. EC2GW_E_STATE when the cache is off;
 * else EC2GW_OK/EC2GW_AGAIN with @p done called (or negative).
 */
int cinder_sync_volumes(ec2gw_req_t *req, const struct cinder_inst *ci, int force,
                        cinder_sync_done_fn done, void *arg);
/* A write of volumes starts (@p full: it adds or removes volumes): reads refresh after it. */
void cinder_sync_write(ec2gw_req_t *req, const struct cinder_inst *ci, int full);

/* -- plugin.c: small shared helpers ------------------------------------------------------ */
const char *cinder_str(const json_t *obj, const char *key);
const char *cinder_param(ec2gw_req_t *req, const char *key);
json_t *cinder_own(ec2gw_req_t *req, json_t *j);
/* The tags of TagSpecifications for @p resource_type: returns new array (maybe empty). */
json_t *cinder_tag_specs(const json_t *params, const char *resource_type);
/* TagSpecifications may only name @p resource_type: 0, or -1 after InvalidParameterValue. */
int cinder_check_tag_specs(ec2gw_req_t *req, const json_t *params, const char *resource_type);
/* Now as ISO 8601 UTC (pool). */
char *cinder_now_iso(ec2gw_req_t *req);
/* Answer {"Return": true}. */
void cinder_return_true(ec2gw_req_t *req);
/* Answer {key: list (stolen), NextToken: next}. */
void cinder_finish_list(ec2gw_req_t *req, const char *key, json_t *list, const char *next);
/* Filters then MaxResults/NextToken ordered by @p id_key: a page, or NULL after an error. */
json_t *cinder_filter_page(ec2gw_req_t *req, const json_t *items, const char *id_key,
                           ec2gw_filter_values_fn values, void *arg, const char **next);
/* Attach stored tags as "Tags" to each item of @p items, by the EC2 id in @p id_key. */
void cinder_attach_tags(ec2gw_req_t *req, json_t *items, const char *id_key);
/*
 * The OpenStack id of EC2 id @p id of @p kind ("vol", "snap", "i"): 0 and *os, or -1 after
 * answering <Kind>.Malformed / NotFound (@p param names the request parameter).
 */
int cinder_resolve(ec2gw_req_t *req, const char *kind, const char *id, const char *param,
                   const char **os);
/* Resolve every id of array @p ids (pool array, same order); -1 after answering. */
int cinder_resolve_all(ec2gw_req_t *req, const char *kind, const json_t *ids, const char ***os);
/* The NotFound code of a kind. */
const char *cinder_not_found_code(const char *kind);
/*
 * Answer a failed Cinder/Nova call: 404 → @p not_found, 413 or a quota body → @p limit_code
 * (VolumeLimitExceeded...), 400/409 → IncorrectState with Cinder's message, others mapped by
 * the host.
 */
void cinder_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *not_found,
                 const char *limit_code);
/* Cinder's error message ("badRequest": {"message"}...), or "" (borrowed). */
const char *cinder_os_message(const ec2gw_os_resp_t *r);
/* Refuse a parameter Cinder cannot back: "<param> is not supported by this cloud"; -1. */
int cinder_unsupported(ec2gw_req_t *req, const char *param);
/* Pages of one Cinder list followed at most (Cinder answers up to osapi_max_limit, 1000). */
#define CINDER_MAX_PAGES 100
/*
 * Append the list @p key of a Cinder answer to *acc (pool; made on the first page). When
 * Cinder links a next page, start its call (base?marker=<last id>) with @p done and return 1;
 * 0 when the list is complete.
 */
int cinder_next_page(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *key, const char *base,
                     json_t **acc, int *pages, ec2gw_os_done_fn done, void *arg);
/* The vol- item data (returns new, {} when none). */
json_t *cinder_item_data(ec2gw_req_t *req, const char *ec2_id);

/* -- volume_model.c (pure apart from the borrowed maps) ------------------------------------ */

/* What the volume and snapshot models need besides Cinder's object; maps are uuid → value. */
struct cinder_view {
    json_t *vols;    /* volume uuid → vol- */
    json_t *snaps;   /* snapshot uuid → snap- */
    json_t *servers; /* server uuid → i- */
    json_t *dot;     /* "<server>/<volume>" → delete_on_termination (Nova) */
    json_t *nova;    /* volume uuid → [server uuids Nova lists it on] */
    json_t *data;    /* vol- → item data (stored device names) */
};

/* The EC2 state of a Cinder volume: creating, available, in-use, deleting, deleted, error. */
const char *cinder_volume_state(const json_t *vol);
/* The EC2 attachment state while Cinder's volume status is @p status. */
const char *cinder_attachment_state(const char *status);
/* The EC2 state of a Cinder snapshot: pending, completed, error (NULL: hide it). */
const char *cinder_snapshot_state(const char *status);
/* "/dev/sdf" or "/dev/xvdf" → "/dev/vdf" for Nova; NULL for a name EC2 refuses. Pool. */
const char *cinder_nova_device(ec2gw_req_t *req, const char *ec2_device);
/* Gather the ids of Cinder @p volumes and @p snapshots and Nova @p servers (arrays or NULL). */
void cinder_view_build(ec2gw_req_t *req, struct cinder_view *v, const json_t *volumes,
                       const json_t *snapshots, const json_t *servers);
/* The EC2 Volume of Cinder volume @p vol (returns new; no Tags). */
json_t *cinder_volume_model(ec2gw_req_t *req, const struct cinder_view *v, const json_t *vol);
/* Every attachment of @p vol as EC2 VolumeAttachments (returns new). */
json_t *cinder_attachments(ec2gw_req_t *req, const struct cinder_view *v, const json_t *vol);
/* The EC2 Snapshot of Cinder snapshot @p s (returns new; no Tags). */
json_t *cinder_snapshot_model(ec2gw_req_t *req, const struct cinder_view *v, const json_t *s);
int cinder_volume_filter_values(ec2gw_req_t *req, const json_t *item, const char *name,
                                json_t *values, void *arg);
int cinder_snapshot_filter_values(ec2gw_req_t *req, const json_t *item, const char *name,
                                  json_t *values, void *arg);

/* -- volume_types.c: what a volume type backs (QoS, encryption, multiattach), cached ------ */

/* The cache of @p ci (create()/destroy()). */
int cinder_types_new(struct cinder_inst *ci);
void cinder_types_free(struct cinder_inst *ci);
/*
 * What type @p name backs arrived: @p type is {"id", "name", "public", "iops", "iops_gb", "bps",
 * "bps_gb", "multiattach", "encrypted" (when asked)} (pool), or NULL with @p why (pool; NULL
 * when only the catalog was asked for).
 */
typedef void (*cinder_types_fn)(ec2gw_req_t *req, const json_t *type, const char *why, void *arg);
/*
 * Read what type @p name (NULL: the caller's default type; "": only refresh the catalog)
 * backs, its encryption too with @p need_enc, from the cache or Cinder; @p done runs exactly
 * once, maybe before this returns. Returns EC2GW_AGAIN.
 */
int cinder_type_get(ec2gw_req_t *req, const struct cinder_inst *ci, const char *name, int need_enc,
                    cinder_types_fn done, void *arg);
/* Add Iops/Throughput to volume @p model when its VolumeType (cached) defines them. */
void cinder_types_model(ec2gw_req_t *req, const struct cinder_inst *ci, json_t *model);
/*
 * CreateVolume's Iops, Throughput, Encrypted, KmsKeyId and MultiAttachEnabled in @p p against
 * type @p t (of size @p size GiB, 0 unknown): 0, or -1 after InvalidParameterValue naming it.
 */
int cinder_types_check(ec2gw_req_t *req, const struct cinder_inst *ci, const json_t *t,
                       const json_t *p, json_int_t size);

/* -- snapshots_copy*.c: CopySnapshot (a hidden volume H from the source, a snapshot S of H) -- */

/* Cinder metadata key naming the copy's snap- id on H and on S: such objects get no ids. */
#define CINDER_COPY_KEY "ec2gw_copy"
/* 1 when Cinder object @p obj (volume or snapshot) belongs to a copy (is H or S). */
int cinder_is_copy_part(const json_t *obj);
/*
 * The copy row of @p snap_id: returns new data {copy_of, src, vol, description, start, size,
 * deleting?, error?} or NULL when @p snap_id is not a copy of the caller's project.
 */
json_t *cinder_copy_get(ec2gw_req_t *req, const char *snap_id);
/* Every copy row of the project: returns new {snap-: data + os_id (S, once known)}. */
json_t *cinder_copies(ec2gw_req_t *req);
/*
 * Resolve the SnapshotId.N of DescribeSnapshots: copies (even without S yet) are accepted.
 * 0, or -1 after answering Malformed/NotFound.
 */
int cinder_resolve_snaps(ec2gw_req_t *req, const json_t *ids);
/* Advance every copy against Cinder's list @p snaps, then @p done with their models (pool). */
typedef void (*cinder_copies_fn)(ec2gw_req_t *req, json_t *models, void *arg);
void cinder_copies_advance(ec2gw_req_t *req, const json_t *snaps, cinder_copies_fn done, void *arg);
/* DeleteSnapshot of copy @p snap_id with row @p data (stolen): S, then H, then the row. */
int cinder_copy_delete(ec2gw_req_t *req, const char *snap_id, json_t *data);

/* action handlers */
int cinder_create_volume(ec2gw_req_t *req, void *inst);
int cinder_delete_volume(ec2gw_req_t *req, void *inst);
int cinder_describe_volumes(ec2gw_req_t *req, void *inst);
int cinder_describe_volume_status(ec2gw_req_t *req, void *inst);
int cinder_attach_volume(ec2gw_req_t *req, void *inst);
int cinder_detach_volume(ec2gw_req_t *req, void *inst);
int cinder_describe_volume_attribute(ec2gw_req_t *req, void *inst);
int cinder_modify_volume_attribute(ec2gw_req_t *req, void *inst);
int cinder_modify_volume(ec2gw_req_t *req, void *inst);
int cinder_describe_volumes_modifications(ec2gw_req_t *req, void *inst);
int cinder_create_snapshot(ec2gw_req_t *req, void *inst);
int cinder_create_snapshots(ec2gw_req_t *req, void *inst);
int cinder_delete_snapshot(ec2gw_req_t *req, void *inst);
int cinder_describe_snapshots(ec2gw_req_t *req, void *inst);
int cinder_describe_snapshot_attribute(ec2gw_req_t *req, void *inst);
int cinder_modify_snapshot_attribute(ec2gw_req_t *req, void *inst);
int cinder_reset_snapshot_attribute(ec2gw_req_t *req, void *inst);
int cinder_copy_snapshot(ec2gw_req_t *req, void *inst);

#endif /* CINDER_H */
