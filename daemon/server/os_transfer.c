/*
 * os_transfer.c - the host's os_transfer(): GET one OpenStack body into an unlinked spool
 * file, then send the file as the body of a second call (Glance image data for CopyImage).
 * The body never sits in memory; the price is disk space for its size in the spool
 * directory: the directory of paths.database (the daemon's state directory), else $TMPDIR,
 * else /var/tmp (not /tmp, which is often tmpfs, i.e. memory).
 *
 * Auth, catalog, headers and microversions are those of os_call.c. The transfer holds a
 * request reference while it runs. Unlike os_call it is not on the request's call list (that
 * list is os_call.c's own), so a watchdog timer looks once a second: once the request has
 * been answered (deadline) or cancelled (client gone) the transfer is dropped, and the
 * plugin's callback does not run. (curl's progress callback cannot do this: in multi-socket
 * mode it runs only when curl has work, not while a server keeps quiet.) The transfer's
 * timeout is what is left of the request deadline: moving data takes longer than
 * openstack.timeout allows a control call.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/log.h"
#include "openstack/catalog.h"
#include "ops/metrics.h"
#include "server/os_hook.h"
#include "server/os_share.h"
#include "server/req_fiber.h"
#include "server/request.h"

struct xfer {
    ec2gw_req_t *r;
    ec2gw_os_call_t call[2]; /* src, dst; strings in the request pool */
    int phase;               /* 0: src into the spool file, 1: the file as dst's body */
    int fd;                  /* the spool file, -1 once closed */
    unsigned long long size;
    ec2gw_http_call_t *http;
    ec2gw_auth_job_t *svc_job;
    struct event *watchdog;
    const char *mv_default; /* the instance's microversion for its own service */
    const char *mv_service;
    ec2gw_os_done_fn done;
    void *arg;
    ec2gw_os_hooked_t *hooked[2]; /* wrappers' hooks on src and dst, or NULL */
};

static int
req_ended(const ec2gw_req_t *r)
{
    return r->answered || r->http == NULL;
}

/* Frees what the transfer holds outside the pool; also the pool cleanup (safety net). */
static void
xfer_release(void *arg)
{
    struct xfer *x = arg;

    ec2gw_http_call_cancel(x->http);
    x->http = NULL;
    ec2gw_auth_job_cancel(x->svc_job);
    x->svc_job = NULL;
    if (x->watchdog != NULL)
        event_free(x->watchdog);
    x->watchdog = NULL;
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
}

static int
spool_in(const char *dir)
{
    char path[PATH_MAX];
    int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);

    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    /* A file system without O_TMPFILE: a named file, unlinked at once. */
    if (snprintf(path, sizeof(path), "%s/.ec2gw-spool-XXXXXX", dir) >= (int)sizeof(path))
        return -1;
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static int
spool_open(const ec2gw_req_t *r)
{
    const char *db = r->d->first->conf.database, *tmp = getenv("TMPDIR");
    char state[PATH_MAX];
    int fd = -1;

    if (db != NULL && strchr(db, '/') != NULL && strncmp(db, "file:", 5) != 0 &&
        snprintf(state, sizeof(state), "%s", db) < (int)sizeof(state))
        fd = spool_in(dirname(state));
    if (fd < 0 && tmp != NULL && *tmp != '\0')
        fd = spool_in(tmp);
    if (fd < 0)
        fd = spool_in("/var/tmp");
    if (fd < 0)
        ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix, "os_transfer: no spool file: %s",
                  strerror(errno));
    return fd;
}

/* The answer the plugin gets, from the finished phase's HTTP result (copied to the pool). */
static ec2gw_os_resp_t *
make_resp(struct xfer *x, const ec2gw_http_result_t *hr)
{
    ec2gw_req_t *r = x->r;
    ec2gw_os_resp_t *resp = ec2gw_pcalloc(r->pool, sizeof(*resp));

    resp->size = sizeof(*resp);
    resp->status = hr->status;
    resp->error = hr->error ? ec2gw_pstrdup(r->pool, hr->error) : NULL;
    resp->timed_out = hr->timed_out;
    resp->body = ec2gw_pstrndup(r->pool, hr->body, hr->body_len);
    resp->body_len = hr->body_len;
    resp->os_request_id = hr->request_id ? ec2gw_pstrdup(r->pool, hr->request_id) : NULL;
    /* plugin.h: a failed src is told apart by its Location, which is then src's path. */
    resp->location = x->phase == 0 ? x->call[0].path
                                   : (hr->location ? ec2gw_pstrdup(r->pool, hr->location) : NULL);
    if (!(x->call[x->phase].flags & EC2GW_CALL_RAW) && hr->body_len > 0) {
        resp->json = json_loadb(hr->body, hr->body_len, 0, NULL);
        if (resp->json != NULL)
            ec2gw_pool_on_cleanup(r->pool, (void (*)(void *))json_decref, resp->json);
    }
    return resp;
}

static void
run_done(ec2gw_req_t *r, void *a, void *b)
{
    struct xfer *x = a;

    if (req_ended(r))
        return;
    ec2gw_req_plugin_enter(); /* may wait: the request may end meanwhile */
    if (!req_ended(r))
        x->done(r, b, x->arg);
    ec2gw_req_plugin_leave();
}

/* Hand @p resp (NULL: a local failure described by @p why) to the plugin and end. */
static void
xfer_end(struct xfer *x, const ec2gw_os_resp_t *resp, const char *why)
{
    ec2gw_req_t *r = x->r;
    ec2gw_os_resp_t local = { .size = sizeof(local), .error = why, .body = "" };
    ec2gw_os_resp_t *keep;

    if (resp == NULL && x->phase == 0)
        local.location = x->call[0].path;
    if (x->phase == 1) /* dst was sent (a write): the project's shared reads of it are stale */
        ec2gw_os_share_invalidate(r->identity.project_id, x->call[1].service);
    /* The plugin may run later (a parked fiber): its answer is kept in the pool. */
    if (!req_ended(r) && (keep = ec2gw_palloc(r->pool, sizeof(*keep))) != NULL) {
        *keep = resp != NULL ? *resp : local;
        if (resp == NULL && why != NULL)
            keep->error = ec2gw_pstrdup(r->pool, why);
        ec2gw_req_run(r, run_done, x, keep);
    }
    xfer_release(x);
    ec2gw_req_unref(r); /* the transfer's reference */
}

static void add_headers(struct xfer *x, const ec2gw_os_call_t *c, const char *token);
static void on_http_done(ec2gw_http_call_t *hc, void *arg);

static int
http_start(struct xfer *x, const char *token, const json_t *catalog)
{
    ec2gw_req_t *r = x->r;
    const ec2gw_os_call_t *c = &x->call[x->phase];
    const char *ifc = r->route && r->route->inst->interface ? r->route->inst->interface
                                                             : r->d->first->conf.keystone.interface;
    const char *base =
        ec2gw_catalog_url(catalog, c->service, ifc, r->d->first->conf.keystone.region);
    double left = r->t_start + (double)r->gen->conf.request_timeout_ms / 1000.0 - ec2gw_now();
    long timeout = (long)(left * 1000.0);
    size_t bl;

    if (base == NULL || token == NULL)
        return EC2GW_E_NOTFOUND;
    if (timeout <= 0)
        return EC2GW_E_STATE;
    if (c->timeout_ms > 0 && c->timeout_ms < timeout)
        timeout = c->timeout_ms;
    bl = strlen(base);
    x->http = ec2gw_http_call_new(r->d->client, c->method,
                                  ec2gw_psprintf(r->pool, "%.*s%s",
                                                 (int)(bl > 0 && base[bl - 1] == '/' ? bl - 1 : bl),
                                                 base, c->path),
                                  NULL, 0, timeout);
    if (x->http == NULL)
        return EC2GW_E_NOMEM;
    add_headers(x, c, token);
    if (x->phase == 0)
        ec2gw_http_call_sink_fd(x->http, x->fd);
    else
        ec2gw_http_call_source_fd(x->http, x->fd, x->size);
    if (ec2gw_http_call_start(x->http, on_http_done, x) != 0) {
        ec2gw_http_call_free(x->http);
        x->http = NULL;
        return EC2GW_E_FAIL;
    }
    return 0;
}

static void
add_headers(struct xfer *x, const ec2gw_os_call_t *c, const char *token)
{
    ec2gw_req_t *r = x->r;
    const char *mv = c->microversion;
    const ec2gw_os_hooked_t *h = x->hooked[x->phase];

    ec2gw_http_call_header(x->http, "X-Auth-Token", token);
    /* a wrapper's hook may have set any of the host's own headers: its value wins */
    if (!ec2gw_os_hook_has_header(h, "Accept"))
        ec2gw_http_call_header(x->http, "Accept", x->phase == 0 ? "*/*" : "application/json");
    if (!ec2gw_os_hook_has_header(h, "X-OpenStack-Request-ID"))
        ec2gw_http_call_header(x->http, "X-OpenStack-Request-ID",
                               ec2gw_psprintf(r->pool, "req-%s", r->id));
    if (x->phase == 1 && !ec2gw_os_hook_has_header(h, "Content-Type"))
        ec2gw_http_call_header(x->http, "Content-Type",
                               c->content_type ? c->content_type : "application/octet-stream");
    if (mv == NULL && x->mv_service != NULL && strcmp(x->mv_service, c->service) == 0)
        mv = x->mv_default;
    if (mv != NULL) {
        const char *svc = ec2gw_os_microversion_service(c->service);

        if (!ec2gw_os_hook_has_header(h, "OpenStack-API-Version"))
            ec2gw_http_call_header(x->http, "OpenStack-API-Version",
                                   ec2gw_psprintf(r->pool, "%s %s", svc, mv));
        if (strcmp(svc, "compute") == 0 &&
            !ec2gw_os_hook_has_header(h, "X-OpenStack-Nova-API-Version"))
            ec2gw_http_call_header(x->http, "X-OpenStack-Nova-API-Version", mv);
    }
    ec2gw_os_hook_add_headers(h, x->http);
}

static void
on_service_token(void *arg, const char *token, const json_t *catalog, const ec2gw_fault_t *fault)
{
    struct xfer *x = arg;

    x->svc_job = NULL;
    if (req_ended(x->r))
        xfer_end(x, NULL, NULL);
    else if (token == NULL)
        xfer_end(x, NULL, fault != NULL ? fault->message : "no service token");
    else if (http_start(x, token, catalog) != 0)
        xfer_end(x, NULL, "no endpoint in the service catalog");
}

/* Start the current phase, with the caller's token or the service's. 0 or negative. */
static int
phase_start(struct xfer *x)
{
    ec2gw_req_t *r = x->r;
    const char *token = NULL;
    const json_t *cat = NULL;
    int rc;

    if (!(x->call[x->phase].flags & EC2GW_CALL_AS_SERVICE))
        return http_start(x, r->token, r->catalog);
    rc = ec2gw_keystone_service_token(r->d->ks, &token, &cat, on_service_token, x, &x->svc_job);
    if (rc == EC2GW_AGAIN)
        return 0;
    return rc != 0 ? EC2GW_E_FAIL : http_start(x, token, cat);
}

static void
transfer_done(ec2gw_http_call_t *hc, struct xfer *x)
{
    ec2gw_req_t *r = x->r;
    const ec2gw_os_call_t *c = &x->call[x->phase];
    const ec2gw_http_result_t *hr = ec2gw_http_call_result(hc);
    ec2gw_os_resp_t *resp;

    ec2gw_metrics_backend(c->service, hr->status, hr->seconds);
    ec2gw_log(EC2GW_LOG_INFO, r->log_prefix, "os transfer %s %s %s -> %ld, %llu bytes (%.1f s)",
              c->service, c->method, c->path, hr->status, x->phase == 0 ? hr->file_len : x->size,
              hr->seconds);
    if (hr->status == 401 && !(c->flags & EC2GW_CALL_AS_SERVICE))
        ec2gw_keystone_forget_token(r->d->ks, r->identity.access_key);
    resp = req_ended(r) ? NULL : make_resp(x, hr);
    /* wrappers see the answer the plugin gets: src's only when it failed */
    if (resp != NULL && (x->phase == 1 || !ec2gw_os_ok(resp)) &&
        ec2gw_os_hook_answer(r, x->hooked[x->phase], resp) != 0)
        resp = NULL; /* a hook answered the request */
    x->size = x->phase == 0 ? hr->file_len : x->size;
    ec2gw_http_call_free(hc);
    x->http = NULL;
    if (resp == NULL || !ec2gw_os_ok(resp) || x->phase == 1) {
        xfer_end(x, resp, NULL);
        return;
    }
    x->phase = 1;
    if (phase_start(x) != 0)
        xfer_end(x, NULL, "the upload could not be started");
}

/* The answer's JSON and the plugin's callback live in the request's arena. */
static void
on_http_done(ec2gw_http_call_t *hc, void *arg)
{
    struct xfer *x = arg;
    ec2gw_req_t *r = x->r;
    ec2gw_json_scope_t js;

    ec2gw_req_ref(r);
    js = ec2gw_req_json_enter(r);
    transfer_done(hc, x);
    ec2gw_json_arena_leave(js);
    ec2gw_req_unref(r);
}

static int
copy_call(ec2gw_req_t *r, const ec2gw_os_call_t *in, ec2gw_os_call_t *out, const char *method)
{
    if (in == NULL || in->size < sizeof(uint32_t) || in->service == NULL || in->path == NULL)
        return EC2GW_E_INVAL;
    *out = *in;
    out->size = sizeof(*out);
    out->service = ec2gw_pstrdup(r->pool, in->service);
    out->method = ec2gw_pstrdup(r->pool, in->method ? in->method : method);
    out->path = ec2gw_pstrdup(r->pool, in->path);
    out->microversion = ec2gw_pstrdup(r->pool, in->microversion);
    out->content_type = ec2gw_pstrdup(r->pool, in->content_type);
    out->body = NULL; /* dst's body is src's; src has none */
    return 0;
}

/* The request ended while the transfer ran: drop it without a callback. */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct xfer *x = arg;
    ec2gw_req_t *r = x->r;

    (void)fd;
    (void)what;
    if (!req_ended(r))
        return;
    ec2gw_log(EC2GW_LOG_INFO, r->log_prefix, "os transfer %s %s dropped: the request ended",
              x->call[x->phase].method, x->call[x->phase].path);
    xfer_release(x); /* frees this event too: libevent allows it inside its callback */
    ec2gw_req_unref(r);
}

int ec2gw_host_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                           ec2gw_os_done_fn done, void *arg);

int
ec2gw_host_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                       ec2gw_os_done_fn done, void *arg)
{
    struct xfer *x;
    int rc;

    if (req_ended(r))
        return EC2GW_E_STATE;
    x = ec2gw_pcalloc(r->pool, sizeof(*x));
    if (x == NULL)
        return EC2GW_E_NOMEM;
    x->r = r;
    x->fd = -1;
    x->done = done;
    x->arg = arg;
    if (done == NULL || copy_call(r, src, &x->call[0], "GET") != 0 ||
        copy_call(r, dst, &x->call[1], "PUT") != 0)
        return EC2GW_E_INVAL;
    if (r->cur_inst != NULL && r->cur_inst->service_type != NULL) {
        x->mv_service = r->cur_inst->service_type;
        x->mv_default = r->cur_inst->microversion;
    }
    for (int i = 0; i < 2; i++) {
        if ((rc = ec2gw_os_hook_request(r, ec2gw_os_hook_caller(r), &x->call[i], &x->hooked[i])) !=
            0)
            return rc;
        if (x->hooked[i] != NULL && x->hooked[i]->view.body != NULL) {
            ec2gw_host_api()->fail(r, 500, "InternalError",
                                   "A site hook set a JSON body on a streamed OpenStack call");
            return EC2GW_E_STATE;
        }
    }
    if ((x->fd = spool_open(r)) < 0)
        return EC2GW_E_FAIL;
    x->watchdog = event_new(r->d->base, -1, EV_PERSIST, on_watchdog, x);
    if (x->watchdog == NULL || ec2gw_pool_on_cleanup(r->pool, xfer_release, x) != 0) {
        xfer_release(x);
        return EC2GW_E_NOMEM;
    }
    if ((rc = phase_start(x)) != 0) {
        xfer_release(x);
        return rc;
    }
    evtimer_add(x->watchdog, &(struct timeval){ .tv_sec = 1 });
    ec2gw_req_ref(r);
    return EC2GW_AGAIN;
}
