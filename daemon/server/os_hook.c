/*
 * os_hook.c - wrappers' hooks on OpenStack calls (ABI 1.3). A hook of wrapper W applies to a
 * call made by instance I when W's wrap chain reaches I (W is not I) and the entry matches the
 * action, service, method and path. Request hooks run innermost wrapper first, answer hooks
 * outermost first, each with the wrapper as the current instance (its state() and log()).
 */
#include "server/os_hook.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "plugin/plugin.h"
#include "server/os_hook_check.h"

ec2gw_instance_t *
ec2gw_os_hook_caller(ec2gw_req_t *r)
{
    ec2gw_instance_t *in, *next = NULL;

    if (r->cur_inst != NULL)
        return r->cur_inst;
    if (r->route == NULL)
        return NULL;
    for (in = r->route->inst; ec2gw_plugins_next(in, r->action, &next) != NULL; in = next)
        ;
    return in;
}

static int
depth_to(const ec2gw_instance_t *wrapper, const ec2gw_instance_t *caller)
{
    int d = 1;

    for (const ec2gw_instance_t *w = wrapper->wraps; w != NULL; w = w->wraps, d++)
        if (w == caller)
            return d;
    return 0;
}

static int
hook_matches(const ec2gw_os_hook_t *k, const ec2gw_req_t *r, const ec2gw_os_call_t *c)
{
    return (k->action == NULL || (r->action != NULL && strcmp(k->action, r->action) == 0)) &&
           (k->service == NULL || strcmp(k->service, c->service) == 0) &&
           (k->method == NULL || strcasecmp(k->method, c->method) == 0) &&
           (k->path_prefix == NULL ||
            strncmp(c->path, k->path_prefix, strlen(k->path_prefix)) == 0);
}

/* The hooks of every wrapper above @p caller matching @p c, innermost first. */
static size_t
collect(ec2gw_req_t *r, ec2gw_instance_t *caller, const ec2gw_os_call_t *c, ec2gw_os_hooked_t *h)
{
    size_t n_inst = ec2gw_plugins_count(r->gen->plugins, NULL);

    h->n = 0;
    for (size_t i = 0; caller != NULL && i < n_inst; i++) {
        ec2gw_instance_t *w = ec2gw_plugins_instance(r->gen->plugins, i);
        const ec2gw_plugin_t *d = w->module->desc;
        int depth;

        if (!EC2GW_PLUGIN_HAS(d, os_hooks) || (depth = depth_to(w, caller)) == 0)
            continue;
        for (const ec2gw_os_hook_t *k = d->os_hooks; k->on_request != NULL || k->on_answer != NULL;
             k++) {
            if (!hook_matches(k, r, c) || h->n == EC2GW_OS_HOOKS_MAX)
                continue;
            /* insertion sort by depth: few hooks */
            size_t j = h->n++;

            for (; j > 0 && h->v[j - 1].depth > depth; j--)
                h->v[j] = h->v[j - 1];
            h->v[j].inst = w;
            h->v[j].hook = k;
            h->v[j].depth = depth;
        }
    }
    return h->n;
}

static void
json_drop(void *j)
{
    json_decref(j);
}

/* A hook's verdict: 0 to go on, EC2GW_E_STATE once the request is answered. */
static int
verdict(ec2gw_req_t *r, const ec2gw_instance_t *w, int rc, const char *what)
{
    if (r->answered)
        return EC2GW_E_STATE;
    if (rc == EC2GW_OK)
        return 0;
    ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix, "the %s hook of instance %s returned %d unanswered",
              what, w->name, rc);
    ec2gw_host_api()->fail(r, 500, "InternalError", "A site hook refused the OpenStack call");
    return EC2GW_E_STATE;
}

/* What a request hook left must make a valid request (os_hook_check.c, shared with the fake
 * host). */
static int
call_ok(ec2gw_req_t *r, const ec2gw_instance_t *w, const ec2gw_os_hook_call_t *v)
{
    if (ec2gw_os_hook_call_valid(v))
        return 0;
    ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix,
              "the request hook of instance %s left an invalid method, path or header", w->name);
    ec2gw_host_api()->fail(r, 500, "InternalError",
                           "A site hook left an invalid OpenStack method, path or header");
    return EC2GW_E_STATE;
}

int
ec2gw_os_hook_request(ec2gw_req_t *r, ec2gw_instance_t *caller, ec2gw_os_call_t *call,
                      ec2gw_os_hooked_t **out)
{
    ec2gw_os_hooked_t tmp, *h;
    ec2gw_os_hook_call_t *v;
    json_t *body, *hdrs;
    int rc = 0;

    *out = NULL;
    if (caller == NULL || collect(r, caller, call, &tmp) == 0)
        return 0;
    h = ec2gw_palloc(r->pool, sizeof(*h));
    *h = tmp;
    v = &h->view;
    body = call->body != NULL ? json_deep_copy(call->body) : NULL;
    hdrs = json_object();
    *v = (ec2gw_os_hook_call_t){ .size = sizeof(*v),
                                 .instance = caller->name,
                                 .service = call->service,
                                 .method = call->method,
                                 .path = call->path,
                                 .microversion = call->microversion,
                                 .body = body,
                                 .headers = hdrs,
                                 .flags = call->flags };
    for (size_t i = 0; i < h->n && rc == 0; i++) {
        ec2gw_instance_t *prev = r->cur_inst;

        if (h->v[i].hook->on_request == NULL)
            continue;
        r->cur_inst = h->v[i].inst;
        rc =
            verdict(r, h->v[i].inst, h->v[i].hook->on_request(r, h->v[i].inst->data, v), "request");
        r->cur_inst = prev;
        /* a new body or header object was stolen: drop the one it replaced */
        if (v->body != body)
            json_decref(body), body = v->body;
        if (v->headers != hdrs)
            json_decref(hdrs), hdrs = v->headers;
        if (rc == 0)
            rc = call_ok(r, h->v[i].inst, v);
    }
    if (body != NULL)
        ec2gw_pool_on_cleanup(r->pool, json_drop, body);
    if (hdrs != NULL)
        ec2gw_pool_on_cleanup(r->pool, json_drop, hdrs);
    if (rc != 0)
        return rc;
    /* what the call now is; the strings a hook set may be static or its own pool's */
    call->method = ec2gw_pstrdup(r->pool, v->method ? v->method : call->method);
    call->path = ec2gw_pstrdup(r->pool, v->path ? v->path : call->path);
    call->microversion = ec2gw_pstrdup(r->pool, v->microversion);
    v->method = call->method;
    v->path = call->path;
    v->microversion = call->microversion;
    ec2gw_log(EC2GW_LOG_DEBUG, r->log_prefix, "os %s %s %s: %zu hook(s) of wrappers applied",
              call->service, call->method, call->path, h->n);
    *out = h;
    return 0;
}

int
ec2gw_os_hook_answer(ec2gw_req_t *r, ec2gw_os_hooked_t *h, ec2gw_os_resp_t *resp)
{
    ec2gw_os_hook_answer_t a;
    json_t *hdrs, *json;
    int rc = 0;

    if (h == NULL || r->answered)
        return r->answered ? EC2GW_E_STATE : 0;
    hdrs = json_object();
    if (resp->os_request_id != NULL)
        json_object_set_new(hdrs, "x-openstack-request-id", json_string(resp->os_request_id));
    if (resp->location != NULL)
        json_object_set_new(hdrs, "location", json_string(resp->location));
    json = resp->json;
    a = (ec2gw_os_hook_answer_t){
        .size = sizeof(a), .call = &h->view, .status = resp->status, .headers = hdrs, .json = json
    };
    for (size_t i = h->n; i-- > 0 && rc == 0;) {
        ec2gw_instance_t *prev = r->cur_inst;

        if (h->v[i].hook->on_answer == NULL)
            continue;
        r->cur_inst = h->v[i].inst;
        rc = verdict(r, h->v[i].inst, h->v[i].hook->on_answer(r, h->v[i].inst->data, &a), "answer");
        r->cur_inst = prev;
        if (a.json != json) { /* stolen; the old one stays with the pool (or the hook) */
            json = a.json;
            if (json != NULL)
                ec2gw_pool_on_cleanup(r->pool, json_drop, json);
        }
    }
    json_decref(hdrs);
    resp->status = a.status;
    resp->json = a.json;
    return rc;
}

int
ec2gw_os_hook_has_header(const ec2gw_os_hooked_t *h, const char *name)
{
    const char *k;
    json_t *v;

    if (h == NULL)
        return 0;
    json_object_foreach(h->view.headers, k, v)
    {
        if (strcasecmp(k, name) == 0)
            return 1;
    }
    return 0;
}

void
ec2gw_os_hook_add_headers(const ec2gw_os_hooked_t *h, ec2gw_http_call_t *hc)
{
    const char *k;
    json_t *v;

    if (h == NULL)
        return;
    json_object_foreach(h->view.headers, k, v) ec2gw_http_call_header(hc, k, json_string_value(v));
}
