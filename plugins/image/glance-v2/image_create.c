/*
 * image_create.c - CreateImage: a Nova createImage of a server (openstack-mapping.md §14.1).
 *
 * NoReboot=true, or a stopped server: the snapshot is taken at once (a live one when the
 * server runs). Otherwise, as on AWS and in ec2-api, the server is stopped first so that its
 * file systems are consistent: os-stop, a GET every second until SHUTOFF, createImage, then
 * os-start (retried while Nova is still busy with the snapshot: it starts no server with a
 * task state), and only then the answer. ec2-api answered at once and did all this in a
 * background thread; the host API binds every call and timer to the request, so the client
 * waits, and create_image_timeout bounds each of the two waits within the request deadline.
 * Whatever fails once os-stop was sent, the server is started again before the answer.
 */
#include <string.h>

#include <jansson.h>

#include "glance.h"

#define POLL_MS 1000

struct create {
    const struct glance_inst *gi;
    const char *ec2_inst; /* InstanceId */
    const char *server;   /* its Nova uuid */
    json_t *body;         /* the createImage action (owned by the request) */
    int stopped;          /* os-stop was sent (and not refused) */
    int64_t polls;        /* GETs left in the current wait */
    const char *image_id; /* the new EC2 image id, once createImage answered */
    /* The failure to answer once the server runs again: an OpenStack answer or a message. */
    ec2gw_os_resp_t *fail_resp;
    const char *fail_code, *fail_msg;
};

static const char *
param_str(ec2gw_req_t *req, const char *key)
{
    return json_string_value(json_object_get(glance_host->params(req), key));
}

/* Nova's status and task_state of a GET /servers/<id> answer. */
static const char *
server_status(const ec2gw_os_resp_t *resp, const char **task)
{
    const json_t *s = json_object_get(resp->json, "server");

    *task = json_string_value(json_object_get(s, "OS-EXT-STS:task_state"));
    return json_string_value(json_object_get(s, "status"));
}

static int
is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

static void
nova(ec2gw_req_t *req, struct create *cr, const char *method, const char *suffix, json_t *body,
     ec2gw_os_done_fn done)
{
    ec2gw_os_call_t c =
        EC2GW_OS_CALL("compute", method,
                      glance_host->psprintf(req, "/servers/%s%s",
                                            glance_host->url_escape(req, cr->server), suffix),
                      .body = body, .microversion = cr->gi->compute_microversion);
    int rc = glance_host->os_call(req, &c, done, cr);

    if (rc < 0 && rc != EC2GW_E_STATE)
        glance_host->fail(req, 500, "InternalError", "could not call Nova (%d)", rc);
}

static void
nova_action(ec2gw_req_t *req, struct create *cr, const char *action, ec2gw_os_done_fn done)
{
    json_t *body = json_pack("{s:n}", action);

    nova(req, cr, "POST", "/action", body, done);
    json_decref(body);
}

/* Keep an OpenStack failure (copied: the answer is borrowed) for after the restart. */
static void
keep_failure(ec2gw_req_t *req, struct create *cr, const ec2gw_os_resp_t *resp)
{
    ec2gw_os_resp_t *k = glance_host->pcalloc(req, sizeof(*k));

    *k = *resp;
    k->error = resp->error ? glance_host->pstrdup(req, resp->error) : NULL;
    k->json = resp->json ? glance_host->own_json(req, resp->json) : NULL;
    k->body = glance_host->pstrdup(req, resp->body ? resp->body : "");
    k->os_request_id = NULL;
    k->location = NULL;
    cr->fail_resp = k;
}

/* -- starting the server again ------------------------------------------------------------ */

static void start_try(ec2gw_req_t *req, struct create *cr);

/* The server runs again (@p ok) or could not be started: answer. */
static void
restarted(ec2gw_req_t *req, struct create *cr, int ok)
{
    if (!ok)
        glance_host->log(req, EC2GW_LOG_WARN, "instance %s (%s) could not be started again",
                         cr->ec2_inst, cr->server);
    if (cr->fail_resp != NULL) {
        glance_host->fail_from_os(req, cr->fail_resp, "InvalidInstanceID.NotFound");
    } else if (cr->fail_code != NULL) {
        glance_host->fail(req, 0, cr->fail_code, "%s; instance %s %s", cr->fail_msg, cr->ec2_inst,
                          ok ? "was started again"
                             : "could not be started again: start it with StartInstances");
    } else if (ok) {
        glance_apply_tags(req, cr->image_id);
        glance_host->finish(req, json_pack("{s:s}", "ImageId", cr->image_id));
    } else {
        /* 400, not 500: SDKs retry 5xx, and a retry would only meet the name in use. */
        glance_host->fail(req, 400, "IncorrectState",
                          "Image %s of instance %s is being created, but the instance could not "
                          "be started again within %lld s: start it with StartInstances",
                          cr->image_id, cr->ec2_inst,
                          (long long)(cr->gi->create_image_timeout_ms / 1000));
    }
}

typedef void (*give_up_fn)(ec2gw_req_t *req, struct create *cr, int deadline);

/* Wait a poll interval before @p fn; when the budget or the deadline says no, @p give_up. */
static void
wait_then(ec2gw_req_t *req, struct create *cr, ec2gw_timer_fn fn, give_up_fn give_up)
{
    int rc;

    if (cr->polls-- <= 0) {
        give_up(req, cr, 0);
        return;
    }
    rc = glance_host->after(req, POLL_MS, fn, cr);
    if (rc < 0 && rc != EC2GW_E_STATE)
        give_up(req, cr, 1); /* the request deadline is too close to wait any longer */
}

static void
start_give_up(ec2gw_req_t *req, struct create *cr, int deadline)
{
    (void)deadline;
    restarted(req, cr, 0);
}

static void start_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg);

static void
start_check(ec2gw_req_t *req, void *arg)
{
    nova(req, arg, "GET", "", NULL, start_checked);
}

/* After a refused os-start: running already, startable now, or still busy. */
static void
start_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct create *cr = arg;
    const char *task, *status = server_status(resp, &task);

    if (!ec2gw_os_ok(resp) || is(status, "ERROR"))
        restarted(req, cr, 0);
    else if (is(status, "ACTIVE"))
        restarted(req, cr, 1);
    else if (is(status, "SHUTOFF") && task == NULL)
        start_try(req, cr);
    else
        wait_then(req, cr, start_check, start_give_up);
}

static void
start_sent(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct create *cr = arg;

    if (ec2gw_os_ok(resp))
        restarted(req, cr, 1);
    else if (resp->status == 409) /* still powering off or snapshotting */
        wait_then(req, cr, start_check, start_give_up);
    else
        restarted(req, cr, 0);
}

static void
start_try(ec2gw_req_t *req, struct create *cr)
{
    nova_action(req, cr, "os-start", start_sent);
}

/* Start the server again (it was stopped here), then answer. */
static void
restart(ec2gw_req_t *req, struct create *cr)
{
    cr->polls = cr->gi->create_image_timeout_ms / POLL_MS;
    start_try(req, cr);
}

static void
fail_and_restart(ec2gw_req_t *req, struct create *cr, const char *code, const char *msg)
{
    cr->fail_code = code;
    cr->fail_msg = msg;
    restart(req, cr);
}

/* -- the snapshot --------------------------------------------------------------------------- */

/* The image id of a createImage answer: the 2.45+ body, or the Location header. */
static const char *
created_image_id(ec2gw_req_t *req, const ec2gw_os_resp_t *resp)
{
    const char *id = json_string_value(json_object_get(resp->json, "image_id")), *slash;

    if (id != NULL)
        return id;
    if (resp->location != NULL && (slash = strrchr(resp->location, '/')) != NULL &&
        slash[1] != '\0')
        return glance_host->pstrdup(req, slash + 1);
    return NULL;
}

static void
snapshot_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct create *cr = arg;
    const char *os_id;

    if (!ec2gw_os_ok(resp)) {
        if (!cr->stopped) {
            glance_host->fail_from_os(req, resp, "InvalidInstanceID.NotFound");
            return;
        }
        keep_failure(req, cr, resp);
        restart(req, cr);
        return;
    }
    /* Nova snapshots are bare/raw-like machine images: kind ami (ec2-api reads the image). */
    if ((os_id = created_image_id(req, resp)) == NULL ||
        glance_host->id_to_ec2(req, "ami", os_id, &cr->image_id) != 0 || cr->image_id == NULL) {
        cr->fail_code = "InternalError";
        cr->fail_msg = os_id == NULL ? "Nova did not say which image it created"
                                     : glance_host->psprintf(req, "could not map image %s", os_id);
        if (!cr->stopped) {
            glance_host->fail(req, 500, cr->fail_code, "%s", cr->fail_msg);
            return;
        }
    }
    if (cr->stopped)
        restart(req, cr);
    else
        restarted(req, cr, 1);
}

static void
snapshot(ec2gw_req_t *req, struct create *cr)
{
    nova(req, cr, "POST", "/action", cr->body, snapshot_done);
}

/* -- stopping the server first ------------------------------------------------------------- */

static void stop_polled(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg);

static void
stop_poll(ec2gw_req_t *req, void *arg)
{
    nova(req, arg, "GET", "", NULL, stop_polled);
}

static void
stop_give_up(ec2gw_req_t *req, struct create *cr, int deadline)
{
    fail_and_restart(
        req, cr, "IncorrectState",
        deadline ? "The instance did not stop before the request deadline"
                 : glance_host->psprintf(req, "The instance did not stop within %lld s",
                                         (long long)(cr->gi->create_image_timeout_ms / 1000)));
}

static void
stop_polled(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct create *cr = arg;
    const char *task, *status = server_status(resp, &task);

    if (!ec2gw_os_ok(resp)) {
        keep_failure(req, cr, resp);
        restart(req, cr);
    } else if (is(status, "SHUTOFF") && task == NULL) {
        snapshot(req, cr);
    } else if (is(status, "ERROR")) {
        fail_and_restart(req, cr, "IncorrectState",
                         "The instance went into an error state while it was being stopped");
    } else {
        wait_then(req, cr, stop_poll, stop_give_up);
    }
}

static void
stop_sent(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct create *cr = arg;

    if (ec2gw_os_ok(resp)) {
        cr->stopped = 1;
        cr->polls = cr->gi->create_image_timeout_ms / POLL_MS;
        wait_then(req, cr, stop_poll, stop_give_up);
    } else if (resp->status == 0 || resp->status >= 500) {
        cr->stopped = 1; /* no answer, or a broken one: the server may be stopping anyway */
        keep_failure(req, cr, resp);
        restart(req, cr);
    } else {
        glance_host->fail_from_os(req, resp, "InvalidInstanceID.NotFound"); /* refused */
    }
}

static void
server_read(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct create *cr = arg;
    const char *task, *status = server_status(resp, &task);

    if (!ec2gw_os_ok(resp)) {
        glance_host->fail_from_os(req, resp, "InvalidInstanceID.NotFound");
    } else if (is(status, "SHUTOFF")) {
        snapshot(req, cr); /* stopped already: nothing to stop or start */
    } else if (is(status, "ACTIVE")) {
        nova_action(req, cr, "os-stop", stop_sent);
    } else {
        glance_host->fail(req, 400, "IncorrectState",
                          "The instance '%s' is not running or stopped (Nova status %s)",
                          cr->ec2_inst, status ? status : "unknown");
    }
}

static void
create_start(ec2gw_req_t *req, void *arg)
{
    struct create *cr = arg;

    if (json_is_true(json_object_get(glance_host->params(req), "NoReboot")))
        snapshot(req, cr);
    else
        nova(req, cr, "GET", "", NULL, server_read);
}

static int
instance_resolve(ec2gw_req_t *req, const char *ec2_id, const char **os_id)
{
    int rc;

    if (ec2_id == NULL) {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter InstanceId");
        return -1;
    }
    rc = strncmp(ec2_id, "i-", 2) == 0 ? glance_host->id_to_os(req, ec2_id, os_id) : EC2GW_E_INVAL;
    if (rc == EC2GW_E_INVAL) {
        glance_host->fail(req, 400, "InvalidInstanceID.Malformed", "Invalid id: \"%s\"", ec2_id);
        return -1;
    }
    if (rc < 0 || *os_id == NULL) {
        glance_host->fail(req, 400, "InvalidInstanceID.NotFound",
                          "The instance ID '%s' does not exist", ec2_id);
        return -1;
    }
    return 0;
}

int
glance_create_image(ec2gw_req_t *req, void *inst)
{
    struct create *cr = glance_host->pcalloc(req, sizeof(*cr));
    const char *name = param_str(req, "Name"), *desc = param_str(req, "Description");
    json_t *meta, *body;

    cr->gi = inst;
    if (name == NULL || *name == '\0') {
        glance_host->fail(req, 400, "MissingParameter",
                          "The request must contain the parameter Name");
        return EC2GW_OK;
    }
    cr->ec2_inst = param_str(req, "InstanceId");
    if (instance_resolve(req, cr->ec2_inst, &cr->server) != 0)
        return EC2GW_OK;
    if (!json_is_true(json_object_get(glance_host->params(req), "NoReboot")) &&
        !EC2GW_HOST_HAS(glance_host, after)) {
        glance_host->fail(req, 400, "InvalidParameterValue",
                          "This gateway makes images without a reboot only: set NoReboot");
        return EC2GW_OK;
    }
    meta = json_object();
    if (desc != NULL && *desc != '\0')
        json_object_set_new(meta, "description", json_string(desc));
    body = json_pack("{s:{s:s, s:o}}", "createImage", "name", name, "metadata", meta);
    cr->body = glance_host->own_json(req, body);
    json_decref(body);
    return glance_name_free(req, name, create_start, cr);
}
