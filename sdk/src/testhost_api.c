/*
 * testhost_api.c - the ec2gw_host_api_t table of the fake host: request in and out, pools,
 * scripted OpenStack calls, config errors, delegate and offload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testhost_hook.h"
#include "testhost_priv.h"

static const char *const level_names[] = { "error", "warn", "notice", "info", "debug" };

static void
h_log(ec2gw_req_t *r, ec2gw_log_level_t level, const char *fmt, ...)
{
    ec2gw_log_level_t max = r != NULL ? r->h->log_level : EC2GW_LOG_WARN;
    va_list ap;

    if (level > max)
        return;
    fprintf(stderr, "ec2gw_test: %s", level <= EC2GW_LOG_DEBUG ? level_names[level] : "?");
    if (r != NULL)
        fprintf(stderr, " req=%s action=%s", r->id, r->action);
    fputs(": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *
h_action(ec2gw_req_t *r)
{
    return r->action;
}

static const json_t *
h_params(ec2gw_req_t *r)
{
    return r->params;
}

static json_t *
h_params_mut(ec2gw_req_t *r)
{
    return r->params;
}

static const ec2gw_identity_t *
h_identity(ec2gw_req_t *r)
{
    return &r->h->identity;
}

static void *
h_state(ec2gw_req_t *r, size_t size)
{
    struct th_state *st;

    /* each layer of a wrap chain its own block, as the daemon gives it */
    for (st = r->states; st != NULL && st->inst != r->inst; st = st->next)
        ;
    if (st == NULL) {
        if ((st = th_pcalloc(&r->pool, sizeof(*st))) == NULL)
            return NULL;
        st->inst = r->inst;
        st->next = r->states;
        r->states = st;
    }
    if (st->p == NULL || st->size < size) {
        void *p = th_pcalloc(&r->pool, size);

        if (p != NULL && st->p != NULL)
            memcpy(p, st->p, st->size);
        st->p = p;
        st->size = size;
    }
    return st->p;
}

static const char *
h_request_id(ec2gw_req_t *r)
{
    return r->id;
}

static int
can_answer(ec2gw_req_t *r, const char *what)
{
    if (r->cancelled)
        return 0;
    if (r->answered) {
        th_violation(r->h, "%s: %s() on a request that was already answered", r->action, what);
        return 0;
    }
    return 1;
}

static void
h_finish(ec2gw_req_t *r, json_t *model)
{
    if (!can_answer(r, "finish")) {
        json_decref(model);
        return;
    }
    if (r->n_hooks > 0) {
        th_hook_t hook = r->hooks[--r->n_hooks];

        r->inst = hook.inst;
        hook.fn(r, model, hook.arg);
        return;
    }
    r->answered = 1;
    r->status = 200;
    r->model = model != NULL ? model : json_object();
}

static int
default_status(const char *code)
{
    if (strcmp(code, "InternalError") == 0)
        return 500;
    if (strcmp(code, "Unavailable") == 0 || strcmp(code, "RequestLimitExceeded") == 0)
        return 503;
    if (strcmp(code, "UnauthorizedOperation") == 0)
        return 403;
    if (strcmp(code, "DryRunOperation") == 0)
        return 412;
    return 400;
}

static void
h_fail(ec2gw_req_t *r, int status, const char *code, const char *fmt, ...)
{
    va_list ap;

    if (!can_answer(r, "fail"))
        return;
    r->answered = 1;
    r->n_hooks = 0; /* a failure passes straight through the wrappers */
    code = code != NULL ? code : "InternalError";
    r->status = status > 0 ? status : default_status(code);
    snprintf(r->code, sizeof(r->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
}

/* The daemon's mapping (daemon/server/host_api.c, openstack-mapping.md §19.4). */
static void
h_fail_from_os(ec2gw_req_t *r, const ec2gw_os_resp_t *resp, const char *not_found_code)
{
    long st = resp ? resp->status : 0;
    const char *body = resp && resp->body ? resp->body : "";
    int quota = strstr(body, "uota") != NULL || strstr(body, "OverQuota") != NULL;

    if (st == 0 && resp != NULL && resp->timed_out)
        h_fail(r, 503, "Unavailable", "The backend service did not answer in time");
    else if (st == 0)
        h_fail(r, 503, "Unavailable", "The backend service is unavailable");
    else if (st == 404)
        h_fail(r, 400, not_found_code ? not_found_code : "InvalidParameterValue",
               "The requested resource does not exist");
    else if (quota && (st == 403 || st == 409 || st == 413))
        h_fail(r, 400, "ResourceLimitExceeded", "A quota of the project would be exceeded");
    else if (st == 401 || st == 403)
        h_fail(r, 403, "UnauthorizedOperation", "You are not authorized to perform this operation");
    else if (st == 409)
        h_fail(r, 400, "IncorrectState", "The resource is in a state that does not allow this");
    else if (st == 400)
        h_fail(r, 400, "InvalidParameterValue", "The backend refused the request parameters");
    else if (st == 429)
        h_fail(r, 503, "RequestLimitExceeded", "Request limit exceeded");
    else if (st == 503)
        h_fail(r, 503, "Unavailable", "The backend service is unavailable");
    else
        h_fail(r, 500, "InternalError", "The backend service failed (HTTP %ld)", st);
}

static void *
h_palloc(ec2gw_req_t *r, size_t n)
{
    return th_pcalloc(&r->pool, n);
}

static void *
h_pcalloc(ec2gw_req_t *r, size_t n)
{
    return th_pcalloc(&r->pool, n);
}

static char *
h_pstrdup(ec2gw_req_t *r, const char *s)
{
    return th_pstrdup(&r->pool, s);
}

static char *
h_psprintf(ec2gw_req_t *r, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (s = th_pcalloc(&r->pool, (size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int
h_on_cleanup(ec2gw_req_t *r, void (*fn)(void *), void *arg)
{
    return th_pool_on_cleanup(&r->pool, fn, arg);
}

/* The host's reference is dropped when the request ends, after a check that the plugin
 * released its own (testhost_leaks.c). */
static json_t *
h_own_json(ec2gw_req_t *r, json_t *j)
{
    if (j != NULL && th_owned_add(r, json_incref(j)) != 0)
        json_decref(j);
    return j;
}

/* @p call copied (as far as its size says) and through the wrappers' request hooks. */
static int
call_copy(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_call_t *mine, th_hooked_t **hk)
{
    memset(mine, 0, sizeof(*mine));
    *hk = NULL;
    if (call->size < sizeof(uint32_t))
        return 0; /* malformed: th_script_answer reports it */
    memcpy(mine, call, call->size < sizeof(*mine) ? call->size : sizeof(*mine));
    return th_hook_request(r, mine, hk);
}

/* The scripted answer to @p c, or (1.4) a fresh shared one; a write (any method but GET)
 * drops the project's shared answers of its service first, as ec2gwd does. */
static th_event_t *
answer_for(ec2gw_req_t *r, const ec2gw_os_call_t *c, int hooked)
{
    int whole = c->size >= offsetof(ec2gw_os_call_t, flags) + sizeof(c->flags) &&
                c->service != NULL && c->method != NULL && c->path != NULL;
    th_event_t *ev = whole ? th_share_lookup(r, c, hooked) : NULL;

    if (ev != NULL)
        return ev;
    if (whole && strcasecmp(c->method, "GET") != 0)
        th_share_invalidate(r->h, c->service);
    ev = th_script_answer(r->h, r, c);
    if (ev != NULL && whole)
        th_share_keep(r, c, hooked, ev);
    return ev;
}

static int
h_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done, void *arg)
{
    th_event_t *ev;
    ec2gw_os_call_t mine;
    th_hooked_t *hk = NULL;
    int rc;

    if (r->answered || r->cancelled)
        return EC2GW_E_STATE;
    /* 1.3: wrappers' request hooks change a copy; the callback runs their answer hooks */
    if (call != NULL && (rc = call_copy(r, call, &mine, &hk)) != 0)
        return rc;
    if ((ev = answer_for(r, hk != NULL ? &mine : call, hk != NULL)) == NULL)
        return EC2GW_E_NOMEM;
    th_hook_log_headers(r, hk);
    ev->kind = TH_EV_CALL;
    ev->done = done != NULL ? th_hook_done(r, hk, NULL, done, &arg) : NULL;
    ev->arg = arg;
    if (th_queue_push(r->h, ev) != 0) {
        th_event_free(ev);
        return EC2GW_E_NOMEM;
    }
    return EC2GW_AGAIN;
}

static void
fanout_free_cb(void *p)
{
    th_fanout_t *f = p;

    for (size_t i = 0; i < f->n; i++)
        th_event_free(f->parts[i]);
    free(f->parts);
    free(f->resps);
    free(f);
}

static int
h_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n, ec2gw_os_fanout_fn done,
            void *arg)
{
    th_fanout_t *f;
    th_hooked_t **hks;

    if (r->answered || r->cancelled)
        return EC2GW_E_STATE;
    if (n == 0)
        return EC2GW_E_INVAL;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return EC2GW_E_NOMEM;
    f->parts = calloc(n, sizeof(*f->parts));
    f->resps = calloc(n, sizeof(*f->resps));
    if (f->parts == NULL || f->resps == NULL ||
        th_pool_on_cleanup(&r->pool, fanout_free_cb, f) != 0) {
        fanout_free_cb(f);
        return EC2GW_E_NOMEM;
    }
    f->n = n; /* the parts belong to the fan-out until the request's pool goes */
    if ((hks = th_pcalloc(&r->pool, n * sizeof(*hks))) == NULL)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const ec2gw_os_call_t *c =
            (const ec2gw_os_call_t *)((const char *)calls + i * sizeof(ec2gw_os_call_t));
        ec2gw_os_call_t mine;
        int rc = call_copy(r, c, &mine, &hks[i]);

        if (rc != 0)
            return rc; /* a hook refused: the parts scripted so far are never delivered */
        if ((f->parts[i] = answer_for(r, hks[i] != NULL ? &mine : c, hks[i] != NULL)) == NULL)
            return EC2GW_E_NOMEM;
        th_hook_log_headers(r, hks[i]);
        f->parts[i]->kind = TH_EV_FANOUT;
        f->parts[i]->fan = f;
        f->parts[i]->fan_index = i;
    }
    f->done = done != NULL ? th_hook_fanout(r, hks, n, done, &arg) : NULL;
    f->arg = arg;
    for (size_t i = 0; i < n; i++)
        if (th_queue_push(r->h, f->parts[i]) != 0)
            return EC2GW_E_NOMEM;
    return EC2GW_AGAIN;
}

static const char *
h_os_endpoint(ec2gw_req_t *r, const char *type)
{
    char *u = h_psprintf(r, "http://%s.openstack.test", type);

    return u;
}

static char *
h_url_escape(ec2gw_req_t *r, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = th_pcalloc(&r->pool, strlen(s) * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

static void
h_cfg_error(ec2gw_cfg_t *cfg, const char *key, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg->failed = 1;
    th_load_error("%s: settings.%s: %s", cfg->inst->mod->desc->name, key ? key : "-", msg);
}

static int
h_offload(ec2gw_req_t *r, ec2gw_work_fn work, ec2gw_work_done_fn done, void *arg)
{
    th_event_t *ev;

    if (r->answered || r->cancelled)
        return EC2GW_E_STATE;
    if ((ev = calloc(1, sizeof(*ev))) == NULL)
        return EC2GW_E_NOMEM;
    ev->kind = TH_EV_OFFLOAD;
    ev->req = r;
    ev->work = work;
    ev->work_done = done;
    ev->arg = arg;
    if (th_queue_push(r->h, ev) != 0) {
        free(ev);
        return EC2GW_E_NOMEM;
    }
    return EC2GW_AGAIN;
}

/* A timer on the fake clock; testhost_run.c runs it once nothing else is queued. */
static int
h_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg)
{
    ec2gw_test_host_t *h = r->h;
    th_event_t *ev;

    if (r->answered || r->cancelled)
        return EC2GW_E_STATE;
    if (fn == NULL || ms < 0)
        return EC2GW_E_INVAL;
    if (h->deadline_ms > 0 && h->now_ms + ms >= r->t_start_ms + h->deadline_ms)
        return EC2GW_E_INVAL; /* ec2gwd refuses a delay ending past the deadline too */
    if ((ev = calloc(1, sizeof(*ev))) == NULL)
        return EC2GW_E_NOMEM;
    ev->kind = TH_EV_TIMER;
    ev->req = r;
    ev->timer = fn;
    ev->arg = arg;
    ev->due_ms = h->now_ms + ms;
    if (th_queue_push(h, ev) != 0) {
        free(ev);
        return EC2GW_E_NOMEM;
    }
    return EC2GW_AGAIN;
}

/* src is scripted now; dst when src's answer is delivered (testhost_run.c). */
static int
h_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
              ec2gw_os_done_fn done, void *arg)
{
    th_event_t *ev;
    ec2gw_os_call_t s2, d2;
    th_hooked_t *shk = NULL, *dhk = NULL;
    int rc;

    if (r->answered || r->cancelled)
        return EC2GW_E_STATE;
    if (dst == NULL || dst->size < sizeof(uint32_t) || dst->service == NULL || dst->path == NULL ||
        src == NULL || done == NULL) {
        th_violation(r->h, "%s: os_transfer without src, dst (service, path) or done", r->action);
        return EC2GW_E_INVAL;
    }
    /* 1.3: both halves pass the wrappers' request hooks at the start, as in ec2gwd */
    if ((rc = call_copy(r, src, &s2, &shk)) != 0 || (rc = call_copy(r, dst, &d2, &dhk)) != 0)
        return rc;
    if ((shk != NULL && s2.body != NULL) || (dhk != NULL && d2.body != NULL)) {
        th_fail(r, 500, "InternalError",
                "A site hook set a JSON body on a streamed OpenStack call");
        return EC2GW_E_STATE;
    }
    if (shk != NULL)
        src = &s2;
    if (dhk != NULL)
        dst = &d2;
    th_share_invalidate(r->h, dst->service); /* dst is a write */
    if ((ev = th_script_answer(r->h, r, src)) == NULL)
        return EC2GW_E_NOMEM;
    th_hook_log_headers(r, shk);
    ev->kind = TH_EV_TRANSFER;
    ev->done = th_hook_done(r, dhk, shk, done, &arg);
    ev->arg = arg;
    ev->resp.location = th_pstrdup(&r->pool, src->path); /* seen only when src fails */
    ev->dst = *dst;
    ev->dst.size = (uint32_t)sizeof(ev->dst);
    ev->dst.method = th_pstrdup(&r->pool, dst->method != NULL ? dst->method : "PUT");
    ev->dst.service = th_pstrdup(&r->pool, dst->service);
    ev->dst.path = th_pstrdup(&r->pool, dst->path);
    ev->dst.microversion = th_pstrdup(&r->pool, dst->microversion);
    ev->dst.content_type = th_pstrdup(&r->pool, dst->content_type);
    ev->dst.body = NULL;
    if (th_queue_push(r->h, ev) != 0) {
        th_event_free(ev);
        return EC2GW_E_NOMEM;
    }
    return EC2GW_AGAIN;
}

/* 1.4: the fake host keeps all JSON on the heap (no arenas); it checks only that heap
 * scopes are balanced, as ec2gwd needs them to be. */
static int th_heap_depth;

static void
th_json_heap_begin(ec2gw_req_t *r)
{
    (void)r;
    th_heap_depth++;
}

static void
th_json_heap_end(ec2gw_req_t *r)
{
    if (th_heap_depth == 0) {
        th_violation(r->h, "json_heap_end() without json_heap_begin()");
        return;
    }
    th_heap_depth--;
}

/* 1.5: as ec2gwd's: refused while a wrapper waits for the model, and a member the renderer
 * would drop is the plugin's bug (a violation). */
static int
th_render_item(ec2gw_req_t *r, const char *path, const json_t *item, json_t **out)
{
    char msg[480];
    int rc;

    *out = NULL;
    for (size_t i = 0; i < r->n_hooks; i++)
        if (r->hooks[i].fn != NULL)
            return EC2GW_E_STATE;
    if (r->op == NULL || r->answered)
        return EC2GW_E_STATE;
    if (item == NULL)
        return EC2GW_E_INVAL; /* the plugin only asks whether it may */
    rc = th_model_render_item(r->h, r->op, path, item, out, msg, sizeof(msg));
    if (rc == EC2GW_E_INVAL && msg[0] != '\0')
        th_violation(r->h, "%s: render_item(%s): the EC2 model drops members: %s", r->action,
                     path != NULL ? path : "(null)", msg);
    return rc;
}

const ec2gw_host_api_t th_host_api = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_host_api_t),
    .log = h_log,
    .action = h_action,
    .params = h_params,
    .params_mut = h_params_mut,
    .identity = h_identity,
    .state = h_state,
    .request_id = h_request_id,
    .finish = h_finish,
    .fail = h_fail,
    .fail_from_os = h_fail_from_os,
    .palloc = h_palloc,
    .pcalloc = h_pcalloc,
    .pstrdup = h_pstrdup,
    .psprintf = h_psprintf,
    .on_cleanup = h_on_cleanup,
    .own_json = h_own_json,
    .os_call = h_os_call,
    .os_fanout = h_os_fanout,
    .os_endpoint = h_os_endpoint,
    .url_escape = h_url_escape,
    .id_to_ec2 = th_id_to_ec2,
    .id_to_os = th_id_to_os,
    .item_get = th_item_get,
    .item_put = th_item_put,
    .item_delete = th_item_delete,
    .tags_get = th_tags_get,
    .tags_set = th_tags_set,
    .wildcard_match = th_wildcard_match,
    .filter = th_filter,
    .page = th_page,
    .cfg_error = h_cfg_error,
    .delegate = th_delegate,
    .offload = h_offload,
    .ids_to_ec2 = th_ids_to_ec2,
    .items_get = th_items_get,
    .after = h_after,
    .os_transfer = h_os_transfer,
    /* 1.2: raw requests (testhost_http.c) */
    .http_method = th_http_method,
    .http_path = th_http_path,
    .http_header = th_http_header,
    .reply_header = th_reply_header,
    .reply = th_reply,
    .act_as = th_act_as,
    .hmac_hex = th_hmac_hex,
    .secure_equal = th_secure_equal,
    .now_ms = th_now_ms,
    .metadata_conf = th_metadata_conf,
    /* 1.2 */
    .items_list = th_items_list,
    .item_insert = th_item_insert,
    .new_id = th_new_id,
    /* 1.4: shared reads (testhost_share.c) */
    .os_invalidate = th_os_invalidate,
    .describe_staleness_ms = th_describe_staleness_ms,
    .json_heap_begin = th_json_heap_begin,
    .json_heap_end = th_json_heap_end,
    /* 1.5 */
    .render_item = th_render_item,
};
