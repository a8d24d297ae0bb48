/*
 * testhost_hook.c - wrappers' OpenStack hooks (ABI 1.3) in the fake host, with the rules of
 * ec2gwd's daemon/server/os_hook.c: a hook of wrapper W applies to a call of instance I when I
 * is below W in the wrap stack and the entry matches action, service, method and path; request
 * hooks run innermost wrapper first, answer hooks outermost first, each with the wrapper as
 * the current instance. A callback of a call then runs with its caller current again.
 */
#include "testhost_hook.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/os_hook_check.h"

#define TH_OS_HOOKS_MAX 16

struct th_hooked {
    size_t n;
    struct {
        th_inst_t *inst;
        const ec2gw_os_hook_t *hook;
    } v[TH_OS_HOOKS_MAX];
    ec2gw_os_hook_call_t view; /* body and headers dropped with the pool */
};

static int
hook_matches(const ec2gw_os_hook_t *k, const ec2gw_req_t *r, const ec2gw_os_call_t *c)
{
    return (k->action == NULL || strcmp(k->action, r->action) == 0) &&
           (k->service == NULL || strcmp(k->service, c->service) == 0) &&
           (k->method == NULL || strcasecmp(k->method, c->method) == 0) &&
           (k->path_prefix == NULL ||
            strncmp(c->path, k->path_prefix, strlen(k->path_prefix)) == 0);
}

/* The stack runs outermost (h->top) to innermost: collect the wrappers above the caller,
 * then reverse, so the innermost wrapper comes first. */
static size_t
collect(ec2gw_req_t *r, const ec2gw_os_call_t *c, th_hooked_t *hk)
{
    th_inst_t *above[TH_OS_HOOKS_MAX];
    size_t n_above = 0;

    hk->n = 0;
    for (th_inst_t *w = r->h->top; w != NULL && w != r->inst; w = w->below)
        if (n_above < TH_OS_HOOKS_MAX)
            above[n_above++] = w;
    if (r->inst == NULL)
        return 0;
    while (n_above-- > 0) {
        th_inst_t *w = above[n_above];
        const ec2gw_plugin_t *d = w->mod->desc;

        if (!EC2GW_PLUGIN_HAS(d, os_hooks))
            continue;
        for (const ec2gw_os_hook_t *k = d->os_hooks; k->on_request != NULL || k->on_answer != NULL;
             k++)
            if (hook_matches(k, r, c) && hk->n < TH_OS_HOOKS_MAX) {
                hk->v[hk->n].inst = w;
                hk->v[hk->n++].hook = k;
            }
    }
    return hk->n;
}

static void
json_drop(void *j)
{
    json_decref(j);
}

static int
verdict(ec2gw_req_t *r, const th_inst_t *w, int rc, const char *what)
{
    if (r->answered || r->cancelled)
        return EC2GW_E_STATE;
    if (rc == EC2GW_OK)
        return 0;
    th_violation(r->h, "%s: the %s hook of %s returned %d without fail()", r->action, what,
                 w->mod->desc->name, rc);
    th_fail(r, 500, "InternalError", "A site hook refused the OpenStack call");
    return EC2GW_E_STATE;
}

/* As ec2gwd, with its own check (daemon/server/os_hook_check.c). */
static int
call_ok(ec2gw_req_t *r, const ec2gw_os_hook_call_t *v)
{
    if (ec2gw_os_hook_call_valid(v))
        return 0;
    th_fail(r, 500, "InternalError",
            "A site hook left an invalid OpenStack method, path or header");
    return EC2GW_E_STATE;
}

int
th_hook_request(ec2gw_req_t *r, ec2gw_os_call_t *call, th_hooked_t **out)
{
    th_hooked_t tmp, *hk;
    ec2gw_os_hook_call_t *v;
    json_t *body, *hdrs;
    int rc = 0;

    *out = NULL;
    if (call->service == NULL || call->method == NULL || call->path == NULL ||
        collect(r, call, &tmp) == 0)
        return 0;
    if ((hk = th_pcalloc(&r->pool, sizeof(*hk))) == NULL)
        return EC2GW_E_NOMEM;
    *hk = tmp;
    v = &hk->view;
    body = call->body != NULL ? json_deep_copy(call->body) : NULL;
    hdrs = json_object();
    *v = (ec2gw_os_hook_call_t){ .size = sizeof(*v),
                                 .instance = r->inst->mod->desc->name,
                                 .service = call->service,
                                 .method = call->method,
                                 .path = call->path,
                                 .microversion = call->microversion,
                                 .body = body,
                                 .headers = hdrs,
                                 .flags = call->flags };
    for (size_t i = 0; i < hk->n && rc == 0; i++) {
        th_inst_t *prev = r->inst;

        if (hk->v[i].hook->on_request == NULL)
            continue;
        r->inst = hk->v[i].inst;
        rc = verdict(r, hk->v[i].inst, hk->v[i].hook->on_request(r, hk->v[i].inst->data, v),
                     "request");
        r->inst = prev;
        if (v->body != body) { /* stolen: drop the one it replaced */
            json_decref(body);
            body = v->body;
        }
        if (v->headers != hdrs) {
            json_decref(hdrs);
            hdrs = v->headers;
        }
        if (rc == 0)
            rc = call_ok(r, v);
    }
    if (body != NULL)
        th_pool_on_cleanup(&r->pool, json_drop, body);
    if (hdrs != NULL)
        th_pool_on_cleanup(&r->pool, json_drop, hdrs);
    if (rc != 0)
        return rc;
    call->method = th_pstrdup(&r->pool, v->method ? v->method : call->method);
    call->path = th_pstrdup(&r->pool, v->path ? v->path : call->path);
    call->microversion = th_pstrdup(&r->pool, v->microversion);
    call->body = body;
    v->method = call->method;
    v->path = call->path;
    v->microversion = call->microversion;
    *out = hk;
    return 0;
}

void
th_hook_log_headers(ec2gw_req_t *r, const th_hooked_t *hk)
{
    json_t *last = json_array_get(r->h->calls, json_array_size(r->h->calls) - 1);

    if (hk != NULL && last != NULL && json_object_size(hk->view.headers) > 0)
        json_object_set_new(last, "headers", json_deep_copy(hk->view.headers));
}

/* The answer hooks of @p hk on a copy of @p resp (pool); 0 or EC2GW_E_STATE. */
static int
run_answer(ec2gw_req_t *r, th_hooked_t *hk, const ec2gw_os_resp_t **resp)
{
    ec2gw_os_resp_t *copy;
    ec2gw_os_hook_answer_t a;
    json_t *hdrs, *json;
    int rc = 0;

    if (hk == NULL)
        return 0;
    if ((copy = th_pcalloc(&r->pool, sizeof(*copy))) == NULL)
        return EC2GW_E_NOMEM;
    *copy = **resp;
    hdrs = json_object();
    if (copy->os_request_id != NULL)
        json_object_set_new(hdrs, "x-openstack-request-id", json_string(copy->os_request_id));
    if (copy->location != NULL)
        json_object_set_new(hdrs, "location", json_string(copy->location));
    json = copy->json;
    a = (ec2gw_os_hook_answer_t){
        .size = sizeof(a), .call = &hk->view, .status = copy->status, .headers = hdrs, .json = json
    };
    for (size_t i = hk->n; i-- > 0 && rc == 0;) {
        th_inst_t *prev = r->inst;

        if (hk->v[i].hook->on_answer == NULL)
            continue;
        r->inst = hk->v[i].inst;
        rc = verdict(r, hk->v[i].inst, hk->v[i].hook->on_answer(r, hk->v[i].inst->data, &a),
                     "answer");
        r->inst = prev;
        if (a.json != json && (json = a.json) != NULL) /* stolen */
            th_pool_on_cleanup(&r->pool, json_drop, json);
    }
    json_decref(hdrs);
    copy->status = a.status;
    copy->json = a.json;
    *resp = copy;
    return rc;
}

struct th_cb {
    th_inst_t *caller;
    th_hooked_t *hk, *src_hk;
    th_hooked_t **hks;
    size_t n;
    ec2gw_os_done_fn done;
    ec2gw_os_fanout_fn fanout;
    void *arg;
};

static void
on_done(ec2gw_req_t *r, const ec2gw_os_resp_t *resp, void *arg)
{
    struct th_cb *cb = arg;
    th_inst_t *prev = r->inst;
    /* a transfer's src answers the plugin only when it failed; its Location is src's path */
    th_hooked_t *hk = cb->src_hk != NULL && !ec2gw_os_ok(resp) && resp->location != NULL &&
                              strcmp(resp->location, cb->src_hk->view.path) == 0
                          ? cb->src_hk
                          : cb->hk;

    if (run_answer(r, hk, &resp) != 0 || r->answered || r->cancelled)
        return;
    r->inst = cb->caller;
    cb->done(r, resp, cb->arg);
    r->inst = prev;
}

static void
on_fanout(ec2gw_req_t *r, const ec2gw_os_resp_t *const *resps, size_t n, void *arg)
{
    struct th_cb *cb = arg;
    th_inst_t *prev = r->inst;
    const ec2gw_os_resp_t **mine = th_pcalloc(&r->pool, (n + 1) * sizeof(*mine));

    if (mine == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        mine[i] = resps[i];
        if (run_answer(r, i < cb->n ? cb->hks[i] : NULL, &mine[i]) != 0 || r->answered ||
            r->cancelled)
            return;
    }
    r->inst = cb->caller;
    cb->fanout(r, mine, n, cb->arg);
    r->inst = prev;
}

ec2gw_os_done_fn
th_hook_done(ec2gw_req_t *r, th_hooked_t *hk, th_hooked_t *src_hk, ec2gw_os_done_fn done,
             void **arg)
{
    struct th_cb *cb = th_pcalloc(&r->pool, sizeof(*cb));

    if (cb == NULL)
        return NULL;
    *cb =
        (struct th_cb){ .caller = r->inst, .hk = hk, .src_hk = src_hk, .done = done, .arg = *arg };
    *arg = cb;
    return on_done;
}

ec2gw_os_fanout_fn
th_hook_fanout(ec2gw_req_t *r, th_hooked_t **hks, size_t n, ec2gw_os_fanout_fn done, void **arg)
{
    struct th_cb *cb = th_pcalloc(&r->pool, sizeof(*cb));

    if (cb == NULL)
        return NULL;
    *cb = (struct th_cb){ .caller = r->inst, .hks = hks, .n = n, .fanout = done, .arg = *arg };
    *arg = cb;
    return on_fanout;
}
