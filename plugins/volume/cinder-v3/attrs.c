/*
 * attrs.c - volume and snapshot attributes (CopySnapshot: snapshots_copy.c).
 * autoEnableIO has no Cinder counterpart (Cinder never suspends I/O), so it is kept in the
 * vol- item and echoed; productCodes are always empty. Cinder cannot share a snapshot with
 * another project, so createVolumePermission is always empty and adding to it is refused with
 * a clear error.
 */
#include <string.h>

#include "cinder.h"

enum cinder_attr_op {
    ATTR_DESCRIBE_VOL,
    ATTR_MODIFY_VOL,
    ATTR_DESCRIBE_SNAP,
    ATTR_RESET_SNAP,
    ATTR_MODIFY_SNAP
};

struct cinder_attr_state {
    enum cinder_attr_op op;
    const char *id, *os;
    const char *attr;
};

static void
cinder_attr_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_attr_state *st = arg;
    const json_t *p = ec2gw->params(req);
    json_t *data;
    int product = st->attr != NULL && strcmp(st->attr, "productCodes") == 0;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r,
                    st->op == ATTR_DESCRIBE_VOL || st->op == ATTR_MODIFY_VOL
                        ? "InvalidVolume.NotFound"
                        : "InvalidSnapshot.NotFound",
                    NULL);
        return;
    }
    switch (st->op) {
    case ATTR_DESCRIBE_VOL:
        data = cinder_item_data(req, st->id);
        ec2gw->finish(
            req, product ? json_pack("{s:s, s:[]}", "VolumeId", st->id, "ProductCodes")
                         : json_pack("{s:s, s:{s:b}}", "VolumeId", st->id, "AutoEnableIO", "Value",
                                     json_is_true(json_object_get(data, "auto_enable_io"))));
        json_decref(data);
        return;
    case ATTR_MODIFY_VOL:
        data = cinder_item_data(req, st->id);
        json_object_set_new(data, "auto_enable_io",
                            json_boolean(json_is_true(
                                json_object_get(json_object_get(p, "AutoEnableIO"), "Value"))));
        if (ec2gw->item_put(req, st->id, st->os, data) != 0) {
            json_decref(data);
            ec2gw->fail(req, 500, "InternalError", "The attribute could not be stored");
            return;
        }
        json_decref(data);
        cinder_return_true(req);
        return;
    case ATTR_DESCRIBE_SNAP:
        ec2gw->finish(req, json_pack("{s:s, s:[]}", "SnapshotId", st->id,
                                     product ? "ProductCodes" : "CreateVolumePermissions"));
        return;
    default: /* nothing is ever shared, so removing and resetting leave it as it is */
        cinder_return_true(req);
    }
}

static int
cinder_attr_start(ec2gw_req_t *req, struct cinder_attr_state *st, const char *kind,
                  const char *param)
{
    ec2gw_os_call_t call;

    st->id = cinder_param(req, param);
    if (strcmp(kind, "snap") == 0 && st->id != NULL && strncmp(st->id, "snap-", 5) == 0 &&
        (ec2gw->id_to_os(req, st->id, &st->os) != 0 || st->os == NULL)) {
        json_t *copy = cinder_copy_get(req, st->id);

        if (copy != NULL) { /* a pending copy: nothing in Cinder to ask yet, nothing shared */
            ec2gw_os_resp_t ok = { .size = sizeof(ok), .status = 200 };

            json_decref(copy);
            cinder_attr_checked(req, &ok, st);
            return EC2GW_OK;
        }
    }
    if (cinder_resolve(req, kind, st->id, param, &st->os) != 0)
        return EC2GW_OK;
    call = EC2GW_OS_GET(
        "volumev3", ec2gw->psprintf(req, strcmp(kind, "vol") == 0 ? "/volumes/%s" : "/snapshots/%s",
                                    ec2gw->url_escape(req, st->os)));
    if (ec2gw->os_call(req, &call, cinder_attr_checked, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

static int
cinder_attr_name(ec2gw_req_t *req, struct cinder_attr_state *st, const char *a, const char *b)
{
    st->attr = cinder_param(req, "Attribute");
    if (st->attr == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter "
                    "Attribute");
        return -1;
    }
    if (strcmp(st->attr, a) != 0 && strcmp(st->attr, b) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%s) for parameter attribute is invalid. Use %s or %s", st->attr, a, b);
        return -1;
    }
    return 0;
}

int
cinder_describe_volume_attribute(ec2gw_req_t *req, void *inst)
{
    struct cinder_attr_state *st = ec2gw->state(req, sizeof(*st));

    (void)inst;
    st->op = ATTR_DESCRIBE_VOL;
    if (cinder_attr_name(req, st, "autoEnableIO", "productCodes") != 0)
        return EC2GW_OK;
    return cinder_attr_start(req, st, "vol", "VolumeId");
}

int
cinder_modify_volume_attribute(ec2gw_req_t *req, void *inst)
{
    struct cinder_attr_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *v = json_object_get(ec2gw->params(req), "AutoEnableIO");

    (void)inst;
    st->op = ATTR_MODIFY_VOL;
    if (!json_is_boolean(json_object_get(v, "Value"))) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter AutoEnableIO.Value");
        return EC2GW_OK;
    }
    return cinder_attr_start(req, st, "vol", "VolumeId");
}

int
cinder_describe_snapshot_attribute(ec2gw_req_t *req, void *inst)
{
    struct cinder_attr_state *st = ec2gw->state(req, sizeof(*st));

    (void)inst;
    st->op = ATTR_DESCRIBE_SNAP;
    if (cinder_attr_name(req, st, "createVolumePermission", "productCodes") != 0)
        return EC2GW_OK;
    return cinder_attr_start(req, st, "snap", "SnapshotId");
}

int
cinder_reset_snapshot_attribute(ec2gw_req_t *req, void *inst)
{
    struct cinder_attr_state *st = ec2gw->state(req, sizeof(*st));

    (void)inst;
    st->op = ATTR_RESET_SNAP;
    if (cinder_attr_name(req, st, "createVolumePermission", "createVolumePermission") != 0)
        return EC2GW_OK;
    return cinder_attr_start(req, st, "snap", "SnapshotId");
}

int
cinder_modify_snapshot_attribute(ec2gw_req_t *req, void *inst)
{
    struct cinder_attr_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req);
    const char *op = cinder_param(req, "OperationType");
    const json_t *cvp = json_object_get(p, "CreateVolumePermission");
    int adds =
        json_array_size(json_object_get(cvp, "Add")) > 0 || (op != NULL && strcmp(op, "add") == 0);

    (void)inst;
    st->op = ATTR_MODIFY_SNAP;
    st->attr = cinder_param(req, "Attribute");
    if (st->attr != NULL && strcmp(st->attr, "createVolumePermission") != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%s) for parameter attribute is invalid: only createVolumePermission "
                    "can be modified",
                    st->attr);
        return EC2GW_OK;
    }
    if (adds) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "createVolumePermission: Cinder cannot share a snapshot with other projects "
                    "or make it public");
        return EC2GW_OK;
    }
    return cinder_attr_start(req, st, "snap", "SnapshotId");
}
