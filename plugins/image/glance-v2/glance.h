/*
 * glance.h - internals of the glance-v2 plugin (EC2 images on Glance v2). Everything here has
 * hidden visibility: the module exports only `ec2gw_plugin`.
 */
#ifndef EC2GW_GLANCE_H
#define EC2GW_GLANCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

/** The host table (set by load()). */
extern const ec2gw_host_api_t *glance_host;

/** One plugin instance's settings. */
struct glance_inst {
    int64_t page_size;       /**< Glance list page size (limit=) */
    int list_shared_pending; /**< also list images shared with the caller and not yet accepted */
    const char *compute_microversion; /**< for Nova createImage */
    int64_t create_image_timeout_ms;  /**< CreateImage with reboot: each wait (stop, start) */
};

/* -- image_model.c: pure mapping of Glance images to EC2 (no host calls) ------------------- */

/** "ami", "aki" or "ari" from the Glance container (then disk) format, as ec2-api does. */
const char *glance_kind(const json_t *image);
/** "machine", "kernel" or "ramdisk" for a kind. */
const char *glance_image_type(const char *kind);
/** The EC2 image state of a Glance image (status, then the S3 import's image_state). */
const char *glance_state(const json_t *image);
/** Glance "2026-11-25T12:45:32Z" → EC2 "2026-11-25T12:45:32.000Z" into buf. */
const char *glance_ec2_time(const char *glance_time, char *buf, size_t cap);
/** A string property of the image, or NULL. */
const char *glance_prop(const json_t *image, const char *key);
/** Is @p id an image id (ami-/aki-/ari- + 8 or 17 lowercase hex)? */
int glance_id_valid(const char *id);
/**
 * The image's block device mappings (bdm_v2 `block_device_mapping` JSON, or the legacy
 * `mappings`): returns new array of {"device_name", "source_type", "destination_type",
 * "snapshot_id", "volume_id", "image_id", "volume_size", "delete_on_termination", "virtual_name",
 * "no_device"} in Glance's own terms.
 */
json_t *glance_bdms(const json_t *image);
/** Is the root device among the EBS mappings (rootDeviceType ebs)? */
int glance_root_is_ebs(const json_t *image, const json_t *bdms);

/* -- plugin.c: a sequential OpenStack call runner ------------------------------------------ */

/** When a step fails: ignore a status, or stop with fail_from_os. */
typedef void (*glance_seq_done_fn)(ec2gw_req_t *req, void *arg);

/**
 * Add a step to the request's sequence: @p body is stolen (may be NULL); @p ok_status, when
 * non-zero, is an extra HTTP status treated as success (e.g. 404 for an idempotent delete).
 */
void glance_seq_add(ec2gw_req_t *req, const char *service, const char *method, const char *path,
                    json_t *body, const char *content_type, long ok_status);
/** Run the steps in order; @p done runs after the last, or the request fails with @p nf. */
int glance_seq_run(ec2gw_req_t *req, const char *nf, glance_seq_done_fn done, void *arg);
/**
 * Continue with @p next when the caller owns no image named @p name; otherwise answer
 * InvalidAMIName.Duplicate (AMI names are unique per account on AWS).
 */
int glance_name_free(ec2gw_req_t *req, const char *name, glance_seq_done_fn next, void *arg);
/** TagSpecifications of ResourceType image (or none) onto @p ec2_id. */
void glance_apply_tags(ec2gw_req_t *req, const char *ec2_id);
/** Answer {"Return": true}. */
void glance_finish_true(ec2gw_req_t *req, void *arg);
/** A JSON-patch op list for Glance. */
json_t *glance_patch_op(json_t *ops, const char *op, const char *path, json_t *value);
extern const char glance_patch_type[];

/**
 * Resolve image id @p ec2_id through the id mapping: -1 after answering (missing or malformed
 * id: InvalidAMIID.Malformed), else 0 with *uuid the Glance id, or NULL when the caller's
 * project cannot see a mapping row (the daemon scopes id_to_os by project: images first seen
 * by another project are found by listing, see glance_with_image()).
 */
int glance_resolve(ec2gw_req_t *req, const char *ec2_id, const char **uuid);

/** GET /v2/images/<uuid> then @p fn with the image (borrowed), failing NotFound itself. */
typedef void (*glance_image_fn)(ec2gw_req_t *req, json_t *image, void *arg);
int glance_get_image(ec2gw_req_t *req, const char *uuid, glance_image_fn fn, void *arg);

/* -- image_lookup.c ------------------------------------------------------------------------ */

/** Every Glance image the caller sees: @p done gets {uuid: image} (borrowed). */
typedef void (*glance_list_fn)(ec2gw_req_t *req, json_t *images, void *arg);
int glance_list_all(ec2gw_req_t *req, const struct glance_inst *gi, glance_list_fn done, void *arg);
/**
 * The Glance image behind EC2 id @p ec2_id: the mapped uuid's GET, or a listing when the
 * mapping is not visible to the caller's project. Answers Malformed/NotFound itself.
 */
int glance_with_image(ec2gw_req_t *req, const struct glance_inst *gi, const char *ec2_id,
                      glance_image_fn fn, void *arg);
/** "The image id '[<id>]' does not exist" (InvalidAMIID.NotFound). */
void glance_fail_notfound(ec2gw_req_t *req, const char *ec2_id);

/** The caller owns @p image; otherwise answers AuthFailure and returns 0. */
int glance_owner_check(ec2gw_req_t *req, const json_t *image, const char *ec2_id);
/** "/v2/images/<uuid>" + @p suffix (pool). */
const char *glance_image_path(ec2gw_req_t *req, const char *uuid, const char *suffix);

/* -- images_register.c: creating an image, then filling it ---------------------------------- */

struct glance_reg {
    const struct glance_inst *gi;
    const char *location;  /**< http(s) for web-download, or NULL: an empty upload */
    const char *id;        /**< the new EC2 id */
    const char *uuid;      /**< the new Glance id */
    const char *src_ec2;   /**< CopyImage: the source's EC2 id (CopyImageTags) */
    const char *copy_from; /**< CopyImage of an image with data: the source's Glance id */
    json_t *body;          /**< the create body (owned by the request) */
};

/** The image property holding the EC2 request that made an image: a lost create's image is
 * found by it (and deleted). */
#define GLANCE_MARKER "ec2gw_request_id"

/** POST /v2/images @p body (stolen), fill it, answer {"ImageId"}. */
int glance_create_and_fill(ec2gw_req_t *req, struct glance_reg *r, json_t *body);

/* -- actions ------------------------------------------------------------------------------ */
int glance_describe_images(ec2gw_req_t *req, void *inst);
int glance_describe_attr(ec2gw_req_t *req, void *inst);
int glance_modify_attr(ec2gw_req_t *req, void *inst);
int glance_reset_attr(ec2gw_req_t *req, void *inst);
int glance_deregister(ec2gw_req_t *req, void *inst);
int glance_create_image(ec2gw_req_t *req, void *inst);
int glance_register_image(ec2gw_req_t *req, void *inst);
int glance_copy_image(ec2gw_req_t *req, void *inst);

/**
 * The EC2 Image model of one Glance image: ImageId (mapped), Kernel/Ramdisk/Snapshot ids,
 * tags not included. Returns new, or NULL on a mapping failure.
 */
json_t *glance_format(ec2gw_req_t *req, const json_t *image);

#endif /* EC2GW_GLANCE_H */
