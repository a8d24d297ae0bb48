/*
 * os_call.c - plugins' OpenStack calls: catalog URL + path, the caller's (or the service's)
 * token, microversion headers, JSON decoding, fan-out joins. Completion callbacks never run
 * for a cancelled request.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "openstack/catalog.h"
#include "ops/metrics.h"
#include "server/os_hook.h"
#include "server/os_share.h"
#include "server/req_fiber.h"
#include "server/request.h"

struct fanout;

struct req_call {
    struct req_call *next;
    ec2gw_req_t *r;
    ec2gw_http_call_t *http;
    ec2gw_auth_job_t *svc_job; /* waiting for the service token */
    ec2gw_os_call_t call;      /* strings copied into the request pool */
    char *body_text;
    ec2gw_os_done_fn done;
    void *arg;
    struct fanout *fan;
    size_t fan_index;
    const char *service;
    ec2gw_os_hooked_t *hooked;  /* wrappers' hooks on it, or NULL */
    ec2gw_share_waiter_t share; /* a shared read (EC2GW_CALL_SHARED): its entry */
};

struct fanout {
    size_t n, left;
    ec2gw_os_resp_t **resps;
    ec2gw_os_fanout_fn done;
    void *arg;
};

static void
unlink_call(ec2gw_req_t *r, struct req_call *c)
{
    for (struct req_call **pp = &r->calls; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            return;
        }
    }
}

/* The microversion header names OpenStack services use. */
const char *
ec2gw_os_microversion_service(const char *type)
{
    if (strcmp(type, "compute") == 0)
        return "compute";
    if (strcmp(type, "volumev3") == 0 || strcmp(type, "block-storage") == 0 ||
        strcmp(type, "volume") == 0)
        return "volume";
    if (strcmp(type, "placement") == 0)
        return "placement";
    return type;
}

static void
fill_resp(ec2gw_req_t *r, const ec2gw_http_result_t *hr, const struct req_call *c,
          ec2gw_os_resp_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->size = sizeof(*resp);
    resp->status = hr->status;
    resp->error = hr->error ? ec2gw_pstrdup(r->pool, hr->error) : NULL;
    resp->timed_out = hr->timed_out;
    resp->body = ec2gw_pstrndup(r->pool, hr->body, hr->body_len);
    resp->body_len = hr->body_len;
    resp->os_request_id = hr->request_id ? ec2gw_pstrdup(r->pool, hr->request_id) : NULL;
    resp->location = hr->location ? ec2gw_pstrdup(r->pool, hr->location) : NULL;
    if (!(c->call.flags & EC2GW_CALL_RAW) && hr->body_len > 0) {
        resp->json = json_loadb(hr->body, hr->body_len, 0, NULL);
        if (resp->json != NULL)
            ec2gw_pool_on_cleanup(r->pool, (void (*)(void *))json_decref, resp->json);
    }
}

static int
is_get(const struct req_call *c)
{
    return strcmp(c->call.method, "GET") == 0 || strcmp(c->call.method, "get") == 0;
}

/* A write made or tried (any outcome): the project's shared reads of the service are stale. */
static void
note_write(ec2gw_req_t *r, const struct req_call *c)
{
    if (!is_get(c))
        ec2gw_os_share_invalidate(r->identity.project_id, c->service);
}

static void complete(struct req_call *c, ec2gw_os_resp_t *resp);

static void
call_done(ec2gw_http_call_t *hc, struct req_call *c)
{
    ec2gw_req_t *r = c->r;
    const ec2gw_http_result_t *hr = ec2gw_http_call_result(hc);
    ec2gw_os_resp_t *resp = ec2gw_palloc(r->pool, sizeof(*resp));

    ec2gw_metrics_backend(c->service, hr->status, hr->seconds);
    ec2gw_log(EC2GW_LOG_DEBUG, r->log_prefix, "os %s %s %s -> %ld (%.1f ms) os_req=%s", c->service,
              c->call.method, c->call.path, hr->status, hr->seconds * 1000,
              hr->request_id ? hr->request_id : "-");
    note_write(r, c);
    fill_resp(r, hr, c, resp);
    (void)ec2gw_os_hook_answer(r, c->hooked, resp); /* a refusal answers the request */
    if (hr->status == 401 && !(c->call.flags & EC2GW_CALL_AS_SERVICE))
        ec2gw_keystone_forget_token(r->d->ks, r->identity.access_key);
    ec2gw_http_call_free(hc);
    c->http = NULL;
    complete(c, resp);
}

/* The plugin's callbacks, through ec2gw_req_run: on the request's fiber with MySQL. */
static void
run_done(ec2gw_req_t *r, void *a, void *b)
{
    struct req_call *c = a;

    if (r->answered)
        return;
    ec2gw_req_plugin_enter(); /* may wait: the request may be answered meanwhile */
    if (!r->answered)
        c->done(r, b, c->arg);
    ec2gw_req_plugin_leave();
}

static void
run_fan_done(ec2gw_req_t *r, void *a, void *b)
{
    struct req_call *c = a;

    (void)b;
    if (r->answered)
        return;
    ec2gw_req_plugin_enter();
    if (!r->answered)
        c->fan->done(r, (const ec2gw_os_resp_t *const *)c->fan->resps, c->fan->n, c->fan->arg);
    ec2gw_req_plugin_leave();
}

/* The call is over: hand its answer to the fan-out or the caller. */
static void
complete(struct req_call *c, ec2gw_os_resp_t *resp)
{
    ec2gw_req_t *r = c->r;

    unlink_call(r, c);
    if (c->fan != NULL) {
        c->fan->resps[c->fan_index] = resp;
        if (--c->fan->left == 0 && !r->answered)
            ec2gw_req_run(r, run_fan_done, c, NULL);
    } else if (!r->answered) {
        ec2gw_req_run(r, run_done, c, resp);
    }
}

/* The answer is parsed into, and the plugin's callback runs with, the request's arena. */
static void
on_http_done(ec2gw_http_call_t *hc, void *arg)
{
    struct req_call *c = arg;
    ec2gw_req_t *r = c->r;
    ec2gw_json_scope_t js = ec2gw_req_json_enter(r);

    call_done(hc, c);
    ec2gw_json_arena_leave(js);
    ec2gw_req_unref(r); /* the call's reference */
}

/* A shared read's answer: body and json belong to the entry, which r's pool keeps. */
static void
on_shared_done(ec2gw_share_waiter_t *w, const ec2gw_share_answer_t *a)
{
    struct req_call *c = (struct req_call *)(void *)((char *)w - offsetof(struct req_call, share));
    ec2gw_req_t *r = c->r;
    ec2gw_json_scope_t js = ec2gw_req_json_enter(r);
    ec2gw_os_resp_t *resp = ec2gw_pcalloc(r->pool, sizeof(*resp));

    ec2gw_log(EC2GW_LOG_DEBUG, r->log_prefix, "os %s GET %s -> %ld (%s) os_req=%s", c->service,
              c->call.path, a->status, a->shared ? "shared" : "sent, shareable",
              a->request_id ? a->request_id : "-");
    resp->size = sizeof(*resp);
    resp->status = a->status;
    resp->error = a->error;
    resp->timed_out = a->timed_out;
    resp->json = a->json;
    resp->body = a->body;
    resp->body_len = a->body_len;
    resp->os_request_id = a->request_id;
    resp->location = a->location;
    if (a->status == 401 && !(c->call.flags & EC2GW_CALL_AS_SERVICE))
        ec2gw_keystone_forget_token(r->d->ks, r->identity.access_key);
    complete(c, resp);
    ec2gw_json_arena_leave(js);
    ec2gw_req_unref(r); /* the call's reference */
}

/* Shared when the caller asked, it is a GET no wrapper's hook sees, and staleness is on. */
static int
shareable(const struct req_call *c)
{
    return (c->call.flags & EC2GW_CALL_SHARED) && c->hooked == NULL && is_get(c) &&
           c->r->gen->conf.describe_staleness_ms > 0;
}

static int
start_http(struct req_call *c, const char *token, const json_t *catalog)
{
    ec2gw_req_t *r = c->r;
    const char *ifc = r->route && r->route->inst->interface ? r->route->inst->interface
                                                             : r->d->first->conf.keystone.interface;
    const char *base =
        ec2gw_catalog_url(catalog, c->call.service, ifc, r->d->first->conf.keystone.region);
    const char *mv = c->call.microversion;
    char *url;
    long timeout = c->call.timeout_ms > 0 ? c->call.timeout_ms : (long)r->gen->conf.os_timeout_ms;

    if (base == NULL)
        return EC2GW_E_NOTFOUND;
    size_t bl = strlen(base);

    url = ec2gw_psprintf(r->pool, "%.*s%s", (int)(bl > 0 && base[bl - 1] == '/' ? bl - 1 : bl),
                         base, c->call.path);
    if (shareable(c) && ec2gw_os_share_join(r, &c->share, on_shared_done, c->call.service, url, mv,
                                            (c->call.flags & EC2GW_CALL_RAW) != 0,
                                            (c->call.flags & EC2GW_CALL_AS_SERVICE) != 0) == 1)
        return 0; /* another request's call answers it */
    c->http = ec2gw_http_call_new(r->d->client, c->call.method, url, c->body_text,
                                  c->body_text ? strlen(c->body_text) : 0, timeout);
    if (c->http == NULL) {
        (void)ec2gw_os_share_leave(&c->share);
        return EC2GW_E_NOMEM;
    }
    ec2gw_http_call_header(c->http, "X-Auth-Token", token);
    /* a wrapper's hook may have set any of the host's own headers: its value wins */
    if (!ec2gw_os_hook_has_header(c->hooked, "Accept"))
        ec2gw_http_call_header(c->http, "Accept", "application/json");
    if (!ec2gw_os_hook_has_header(c->hooked, "X-OpenStack-Request-ID"))
        ec2gw_http_call_header(c->http, "X-OpenStack-Request-ID",
                               ec2gw_psprintf(r->pool, "req-%s", r->id));
    if ((c->body_text != NULL || c->call.content_type != NULL) &&
        !ec2gw_os_hook_has_header(c->hooked, "Content-Type"))
        ec2gw_http_call_header(c->http, "Content-Type",
                               c->call.content_type ? c->call.content_type : "application/json");
    ec2gw_os_hook_add_headers(c->hooked, c->http);
    if (mv != NULL) {
        const char *svc = ec2gw_os_microversion_service(c->call.service);

        if (!ec2gw_os_hook_has_header(c->hooked, "OpenStack-API-Version"))
            ec2gw_http_call_header(c->http, "OpenStack-API-Version",
                                   ec2gw_psprintf(r->pool, "%s %s", svc, mv));
        if (strcmp(svc, "compute") == 0 &&
            !ec2gw_os_hook_has_header(c->hooked, "X-OpenStack-Nova-API-Version"))
            ec2gw_http_call_header(c->http, "X-OpenStack-Nova-API-Version", mv);
    }
    if (c->share.entry != NULL) { /* this request leads a shared read: the entry owns it */
        ec2gw_http_call_t *hc = c->http;

        c->http = NULL;
        return ec2gw_os_share_start(&c->share, hc);
    }
    return ec2gw_http_call_start(c->http, on_http_done, c);
}

static void
on_service_token(void *arg, const char *token, const json_t *catalog, const ec2gw_fault_t *fault)
{
    struct req_call *c = arg;
    ec2gw_req_t *r = c->r;

    c->svc_job = NULL;
    if (token == NULL || start_http(c, token, catalog) != 0) {
        unlink_call(r, c);
        if (!r->answered) {
            if (fault != NULL)
                ec2gw_req_fail(r, fault);
            else
                ec2gw_req_failf(r, "InternalError", "No %s endpoint in the catalog",
                                c->call.service);
        }
        ec2gw_req_unref(r);
    }
}

static int
call_start(ec2gw_req_t *r, const ec2gw_os_call_t *call, struct req_call *c)
{
    const json_t *body = call->body;
    int rc;

    c->r = r;
    c->call = *call;
    c->call.service = ec2gw_pstrdup(r->pool, call->service);
    c->call.method = ec2gw_pstrdup(r->pool, call->method ? call->method : "GET");
    c->call.path = ec2gw_pstrdup(r->pool, call->path ? call->path : "");
    c->call.microversion = ec2gw_pstrdup(r->pool, call->microversion);
    c->call.content_type = ec2gw_pstrdup(r->pool, call->content_type);
    c->service = c->call.service;
    if ((rc = ec2gw_os_hook_request(r, ec2gw_os_hook_caller(r), &c->call, &c->hooked)) != 0)
        return rc;
    if (c->hooked != NULL)
        body = c->hooked->view.body;
    /* the calling instance's default microversion, fixed now: a call waiting for the service
     * token starts from Keystone's callback, when no instance is current any more */
    if (c->call.microversion == NULL && r->cur_inst != NULL && r->cur_inst->service_type != NULL &&
        strcmp(r->cur_inst->service_type, c->call.service) == 0)
        c->call.microversion = r->cur_inst->microversion;
    c->call.body = NULL; /* the caller's, borrowed: gone after this call */
    if (body != NULL) {
        char *t = ec2gw_json_dumps(body, JSON_COMPACT);

        c->body_text = ec2gw_pstrdup(r->pool, t);
        free(t);
    }
    /* A metadata request has no caller token: the service user makes its calls. */
    if (r->raw)
        c->call.flags |= EC2GW_CALL_AS_SERVICE;
    if (c->call.flags & EC2GW_CALL_AS_SERVICE) {
        const char *token = NULL;
        const json_t *cat = NULL;

        rc = ec2gw_keystone_service_token(r->d->ks, &token, &cat, on_service_token, c, &c->svc_job);
        if (rc == EC2GW_AGAIN)
            goto started;
        if (rc != 0 || start_http(c, token, cat) != 0)
            return EC2GW_E_FAIL;
    } else if (start_http(c, r->token, r->catalog) != 0) {
        return EC2GW_E_FAIL;
    }
started:
    c->next = r->calls;
    r->calls = c;
    ec2gw_req_ref(r);
    return EC2GW_AGAIN;
}

int ec2gw_host_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done,
                       void *arg);
int ec2gw_host_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                         ec2gw_os_fanout_fn done, void *arg);

int
ec2gw_host_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done, void *arg)
{
    struct req_call *c;

    if (r->answered)
        return EC2GW_E_STATE;
    if (call == NULL || call->size < sizeof(uint32_t) || call->service == NULL)
        return EC2GW_E_INVAL;
    c = ec2gw_pcalloc(r->pool, sizeof(*c));
    if (c == NULL)
        return EC2GW_E_NOMEM;
    c->done = done;
    c->arg = arg;
    return call_start(r, call, c);
}

int
ec2gw_host_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                     ec2gw_os_fanout_fn done, void *arg)
{
    struct fanout *fan;

    if (r->answered)
        return EC2GW_E_STATE;
    if (n == 0)
        return EC2GW_E_INVAL;
    fan = ec2gw_pcalloc(r->pool, sizeof(*fan));
    fan->resps = ec2gw_pcalloc(r->pool, n * sizeof(*fan->resps));
    fan->n = fan->left = n;
    fan->done = done;
    fan->arg = arg;
    /* Hold a reference so that a synchronous failure of a later call cannot free the request. */
    ec2gw_req_ref(r);
    for (size_t i = 0; i < n; i++) {
        struct req_call *c = ec2gw_pcalloc(r->pool, sizeof(*c));

        c->fan = fan;
        c->fan_index = i;
        if (call_start(r, &calls[i], c) != EC2GW_AGAIN) {
            ec2gw_os_calls_cancel(r);
            ec2gw_req_unref(r);
            return r->answered ? EC2GW_E_STATE : EC2GW_E_FAIL; /* answered: a hook refused */
        }
    }
    ec2gw_req_unref(r);
    return EC2GW_AGAIN;
}

void
ec2gw_os_calls_cancel(ec2gw_req_t *r)
{
    while (r->calls != NULL) {
        struct req_call *c = r->calls;

        r->calls = c->next;
        /* a transfer stopped for nobody is counted; a write may still land: invalidate */
        if (c->http != NULL || c->svc_job != NULL)
            ec2gw_os_share_note_cancel();
        if (c->http != NULL)
            note_write(r, c);
        ec2gw_http_call_cancel(c->http);
        ec2gw_auth_job_cancel(c->svc_job);
        (void)ec2gw_os_share_leave(&c->share); /* stops the call when nobody else waits */
        c->http = NULL;
        c->svc_job = NULL;
        /* Each call held a reference; dropping it here cannot reach zero while the caller
         * holds its own. */
        r->refs--;
    }
}
