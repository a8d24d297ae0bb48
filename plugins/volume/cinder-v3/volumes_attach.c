/*
 * volumes_attach.c - AttachVolume and DetachVolume through Nova's os-volume_attachments.
 * The volume and the server are read first (one fan-out) so that EC2's errors come before
 * anything changes: ZoneMismatch, VolumeInUse, IncorrectState, IncorrectInstanceState. The
 * device is kept as the caller named it (/dev/sdf) in the vol- item; Nova gets /dev/vdf.
 */
#include <string.h>

#include "cinder.h"

struct cinder_att_state {
    const struct cinder_inst *ci;
    const char *vol, *vol_os;  /* vol- and Cinder uuid */
    const char *inst, *srv_os; /* i- and Nova uuid (DetachVolume: may be found late) */
    const char *device;        /* EC2 device name */
    const char *attach_time;   /* DetachVolume: of the attachment */
    const char *attachment_id; /* DetachVolume: Cinder attachment (Force) */
};

static const char *
volume_path(ec2gw_req_t *req, const char *os)
{
    return ec2gw->psprintf(req, "/volumes/%s", ec2gw->url_escape(req, os));
}

/* Remember (device != NULL) or forget the EC2 device name of the volume on a server. */
static void
cinder_store_device(ec2gw_req_t *req, const struct cinder_att_state *st, const char *device)
{
    json_t *data = cinder_item_data(req, st->vol), *devs = json_object_get(data, "devices");

    if (!json_is_object(devs)) {
        devs = json_object();
        json_object_set_new(data, "devices", devs);
    }
    if (device != NULL)
        json_object_set_new(devs, st->srv_os, json_string(device));
    else
        json_object_del(devs, st->srv_os);
    if (ec2gw->item_put(req, st->vol, st->vol_os, data) != 0)
        ec2gw->log(req, EC2GW_LOG_WARN, "device name of %s not stored", st->vol);
    json_decref(data);
}

static json_t *
cinder_att_answer(const struct cinder_att_state *st, const char *state, const char *at)
{
    json_t *out = json_pack("{s:s, s:s, s:s, s:b}", "VolumeId", st->vol, "InstanceId",
                            st->inst ? st->inst : "", "State", state, "DeleteOnTermination", 0);

    if (st->device != NULL)
        json_object_set_new(out, "Device", json_string(st->device));
    if (at != NULL)
        json_object_set_new(out, "AttachTime", json_string(at));
    return out;
}

/* -- AttachVolume ----------------------------------------------------------------------- */

static void
cinder_attached(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_att_state *st = arg;

    if (r->status == 409) {
        ec2gw->fail(req, 400, "IncorrectInstanceState",
                    "The instance '%s' is not in a state to attach volumes: %s", st->inst,
                    cinder_os_message(r));
        return;
    }
    if (r->status == 400) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "%s", cinder_os_message(r));
        return;
    }
    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
        return;
    }
    cinder_store_device(req, st, st->device);
    ec2gw->finish(req, cinder_att_answer(st, "attaching", cinder_now_iso(req)));
}

static int
server_gone(const json_t *srv)
{
    const char *vm = cinder_str(srv, "OS-EXT-STS:vm_state");
    const char *task = cinder_str(srv, "OS-EXT-STS:task_state");
    const char *status = cinder_str(srv, "status");

    return (vm && (strcmp(vm, "deleted") == 0 || strcmp(vm, "soft-delete") == 0 ||
                   strcmp(vm, "error") == 0)) ||
           (task && strcmp(task, "deleting") == 0) ||
           (status && (strcmp(status, "DELETED") == 0 || strcmp(status, "ERROR") == 0));
}

static void
cinder_attach_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_att_state *st = arg;
    const json_t *vol = json_object_get(r[0]->json, "volume");
    const json_t *srv = json_object_get(r[1]->json, "server"), *a;
    const char *vaz = cinder_str(vol, "availability_zone");
    const char *saz = cinder_str(srv, "OS-EXT-AZ:availability_zone");
    const char *status = cinder_str(vol, "status");
    ec2gw_os_call_t call;
    json_t *body;
    size_t i;

    (void)n;
    if (!ec2gw_os_ok(r[0])) {
        cinder_fail(req, r[0], "InvalidVolume.NotFound", NULL);
        return;
    }
    if (!ec2gw_os_ok(r[1])) {
        cinder_fail(req, r[1], "InvalidInstanceID.NotFound", NULL);
        return;
    }
    if (server_gone(srv)) {
        ec2gw->fail(req, 400, "IncorrectInstanceState",
                    "The instance '%s' is not in a state from which volumes can be attached",
                    st->inst);
        return;
    }
    if (vaz != NULL && saz != NULL && strcmp(vaz, saz) != 0) {
        ec2gw->fail(req, 400, "InvalidVolume.ZoneMismatch",
                    "The volume '%s' is not in the same availability zone as instance '%s'",
                    st->vol, st->inst);
        return;
    }
    json_array_foreach(json_object_get(vol, "attachments"), i, a)
    {
        if (!json_is_true(json_object_get(vol, "multiattach")) ||
            strcmp(cinder_str(a, "server_id") ? cinder_str(a, "server_id") : "", st->srv_os) == 0) {
            ec2gw->fail(req, 400, "VolumeInUse", "%s is already attached to an instance", st->vol);
            return;
        }
    }
    if (status == NULL ||
        !(strcmp(status, "available") == 0 ||
          (strcmp(status, "in-use") == 0 && json_is_true(json_object_get(vol, "multiattach"))))) {
        ec2gw->fail(req, 400,
                    status && (strcmp(status, "in-use") == 0 || strcmp(status, "attaching") == 0 ||
                               strcmp(status, "reserved") == 0)
                        ? "VolumeInUse"
                        : "IncorrectState",
                    "%s is not available (it is %s)", st->vol, cinder_volume_state(vol));
        return;
    }
    body = cinder_own(req, json_pack("{s:{s:s, s:s}}", "volumeAttachment", "volumeId", st->vol_os,
                                     "device", cinder_nova_device(req, st->device)));
    call = EC2GW_OS_CALL("compute", "POST",
                         ec2gw->psprintf(req, "/servers/%s/os-volume_attachments",
                                         ec2gw->url_escape(req, st->srv_os)),
                         .body = body, .microversion = st->ci->compute_microversion);
    if (ec2gw->os_call(req, &call, cinder_attached, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The compute service is not reachable");
}

int
cinder_attach_volume(ec2gw_req_t *req, void *inst)
{
    struct cinder_att_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *p = ec2gw->params(req);
    ec2gw_os_call_t calls[2];

    st->ci = inst;
    st->vol = cinder_param(req, "VolumeId");
    st->inst = cinder_param(req, "InstanceId");
    st->device = cinder_param(req, "Device");
    if (json_object_get(p, "EbsCardIndex") != NULL) {
        cinder_unsupported(req, "EbsCardIndex");
        return EC2GW_OK;
    }
    if (st->device == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter device");
        return EC2GW_OK;
    }
    if (cinder_nova_device(req, st->device) == NULL) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%s) for parameter device is invalid. %s is not a valid EBS device "
                    "name.",
                    st->device, st->device);
        return EC2GW_OK;
    }
    if (cinder_resolve(req, "vol", st->vol, "VolumeId", &st->vol_os) != 0 ||
        cinder_resolve(req, "i", st->inst, "InstanceId", &st->srv_os) != 0)
        return EC2GW_OK;
    calls[0] = EC2GW_OS_GET("volumev3", volume_path(req, st->vol_os));
    calls[1] = EC2GW_OS_CALL(
        "compute", "GET", ec2gw->psprintf(req, "/servers/%s", ec2gw->url_escape(req, st->srv_os)),
        .microversion = st->ci->compute_microversion);
    if (ec2gw->os_fanout(req, calls, 2, cinder_attach_checked, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

/* -- DetachVolume ----------------------------------------------------------------------- */

static void
cinder_detached(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_att_state *st = arg;

    if (!ec2gw_os_ok(r)) {
        if (r->status == 409)
            ec2gw->fail(req, 400, "IncorrectInstanceState",
                        "The instance '%s' is not in a state to detach volumes: %s", st->inst,
                        cinder_os_message(r));
        else
            cinder_fail(req, r, "InvalidAttachment.NotFound", NULL);
        return;
    }
    cinder_store_device(req, st, NULL);
    ec2gw->finish(req, cinder_att_answer(st, "detaching", st->attach_time));
}

/* Nova no longer knows the server (Force): ask Cinder to drop the attachment itself. */
static void
cinder_detach_nova_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_att_state *st = arg;
    const json_t *p = ec2gw->params(req);
    ec2gw_os_call_t call;
    json_t *body;

    if (r->status != 404 || !json_is_true(json_object_get(p, "Force")) ||
        !st->ci->force_detach_as_service || st->attachment_id == NULL) {
        cinder_detached(req, r, arg);
        return;
    }
    body = cinder_own(
        req, json_pack("{s:{s:s}}", "os-force_detach", "attachment_id", st->attachment_id));
    call = EC2GW_OS_CALL("volumev3", "POST",
                         ec2gw->psprintf(req, "%s/action", volume_path(req, st->vol_os)),
                         .body = body, .flags = EC2GW_CALL_AS_SERVICE);
    if (ec2gw->os_call(req, &call, cinder_detached, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
}

/* Does the caller's Device name this attachment (as stored, or the same disk letter: /dev/sdf,
 * /dev/xvdf and /dev/vdf are one device to Nova)? */
static int
device_matches(ec2gw_req_t *req, const char *want, const char *stored, const char *nova)
{
    const char *w = cinder_nova_device(req, want);
    const char *s = cinder_nova_device(req, stored), *n = cinder_nova_device(req, nova);

    return (stored && strcmp(want, stored) == 0) || (nova && strcmp(want, nova) == 0) ||
           (w && s && strcmp(w, s) == 0) || (w && n && strcmp(w, n) == 0);
}

static void
cinder_detach_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_att_state *st = arg;
    const json_t *vol = json_object_get(r->json, "volume");
    const json_t *atts = json_object_get(vol, "attachments"), *a, *chosen = NULL;
    const char *want_dev = cinder_param(req, "Device");
    json_t *data;
    ec2gw_os_call_t call;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidVolume.NotFound", NULL);
        return;
    }
    if (json_array_size(atts) == 0) {
        ec2gw->fail(req, 400, "IncorrectState", "Volume '%s' is in the '%s' state.", st->vol,
                    cinder_volume_state(vol));
        return;
    }
    if (st->srv_os == NULL && json_array_size(atts) > 1) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The volume '%s' is attached to several instances: give InstanceId", st->vol);
        return;
    }
    data = cinder_own(req, cinder_item_data(req, st->vol));
    json_array_foreach(atts, i, a)
    {
        const char *sid = cinder_str(a, "server_id");

        if (sid != NULL && (st->srv_os == NULL || strcmp(sid, st->srv_os) == 0))
            chosen = a;
    }
    if (chosen == NULL) {
        ec2gw->fail(req, 400, "InvalidAttachment.NotFound",
                    "The volume '%s' is not attached to instance '%s'", st->vol, st->inst);
        return;
    }
    /* the answer dies with this callback: keep what later steps need in the pool */
    st->srv_os = ec2gw->pstrdup(req, cinder_str(chosen, "server_id"));
    st->attachment_id = cinder_str(chosen, "attachment_id")
                            ? ec2gw->pstrdup(req, cinder_str(chosen, "attachment_id"))
                            : NULL;
    st->attach_time = cinder_str(chosen, "attached_at")
                          ? ec2gw->psprintf(req, "%.19s.000Z", cinder_str(chosen, "attached_at"))
                          : NULL;
    st->device = cinder_str(json_object_get(data, "devices"), st->srv_os);
    if (want_dev != NULL &&
        !device_matches(req, want_dev, st->device, cinder_str(chosen, "device"))) {
        ec2gw->fail(req, 400, "InvalidAttachment.NotFound",
                    "The volume '%s' is not attached as '%s'", st->vol, want_dev);
        return;
    }
    if (st->device == NULL && cinder_str(chosen, "device") != NULL)
        st->device = ec2gw->pstrdup(req, cinder_str(chosen, "device"));
    if (st->inst == NULL && ec2gw->id_to_ec2(req, "i", st->srv_os, &st->inst) != 0)
        st->inst = NULL;
    call = EC2GW_OS_CALL("compute", "DELETE",
                         ec2gw->psprintf(req, "/servers/%s/os-volume_attachments/%s",
                                         ec2gw->url_escape(req, st->srv_os),
                                         ec2gw->url_escape(req, st->vol_os)),
                         .microversion = st->ci->compute_microversion);
    if (ec2gw->os_call(req, &call, cinder_detach_nova_done, st) < 0)
        ec2gw->fail(req, 503, "Unavailable", "The compute service is not reachable");
}

int
cinder_detach_volume(ec2gw_req_t *req, void *inst)
{
    struct cinder_att_state *st = ec2gw->state(req, sizeof(*st));
    ec2gw_os_call_t call;

    st->ci = inst;
    st->vol = cinder_param(req, "VolumeId");
    st->inst = cinder_param(req, "InstanceId");
    if (cinder_resolve(req, "vol", st->vol, "VolumeId", &st->vol_os) != 0)
        return EC2GW_OK;
    if (st->inst != NULL && cinder_resolve(req, "i", st->inst, "InstanceId", &st->srv_os) != 0)
        return EC2GW_OK;
    call = EC2GW_OS_GET("volumev3", volume_path(req, st->vol_os));
    if (ec2gw->os_call(req, &call, cinder_detach_checked, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
