/*
 * host_api.c - the ec2gw_host_api_t table: thin adapters from the plugin ABI onto the
 * daemon's request, pool, OpenStack client and data layer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "data/client_token.h"
#include "data/filters.h"
#include "data/idmap.h"
#include "data/paging.h"
#include "data/tags.h"
#include "openstack/catalog.h"
#include "protocol/xml_render.h"
#include "server/request.h"

int ec2gw_host_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done,
                       void *arg);
int ec2gw_host_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                         ec2gw_os_fanout_fn done, void *arg);
int ec2gw_host_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg);
int ec2gw_host_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                           ec2gw_os_done_fn done, void *arg);
int ec2gw_host_ids_to_ec2(ec2gw_req_t *r, const char *kind, const char *const *os_ids, size_t n,
                          const char **out);
int ec2gw_host_items_get(ec2gw_req_t *r, const char *const *ec2_ids, size_t n, json_t **out);
int ec2gw_host_items_list(ec2gw_req_t *r, const char *kind, json_t **out);
int ec2gw_host_item_insert(ec2gw_req_t *r, const char *ec2_id, const char *os_id,
                           const json_t *data);
int ec2gw_host_new_id(ec2gw_req_t *r, const char *kind, const char **out);
/* host_raw.c */
const char *ec2gw_host_http_method(ec2gw_req_t *r);
const char *ec2gw_host_http_path(ec2gw_req_t *r);
const char *ec2gw_host_http_header(ec2gw_req_t *r, const char *name, size_t *count);
int ec2gw_host_reply_header(ec2gw_req_t *r, const char *name, const char *value);
int ec2gw_host_reply(ec2gw_req_t *r, int status, const char *ctype, const void *body, size_t len);
int ec2gw_host_act_as(ec2gw_req_t *r, const char *project_id, const char *user_id);
int ec2gw_host_hmac_hex(ec2gw_req_t *r, int key, const void *msg, size_t len, char out[65]);
int ec2gw_host_secure_equal(const char *a, const char *b);
int64_t ec2gw_host_now_ms(ec2gw_req_t *r);
const ec2gw_metadata_conf_t *ec2gw_host_metadata_conf(ec2gw_req_t *r);
/* os_share.c: shared reads (1.4) */
void ec2gw_host_os_invalidate(ec2gw_req_t *r, const char *service_type);
int64_t ec2gw_host_describe_staleness_ms(ec2gw_req_t *r);
/* host_layer.c: one state() block per instance; the instance current again in callbacks */
void *ec2gw_layer_state(ec2gw_req_t *r, size_t size);
int ec2gw_layer_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done,
                        void *arg);
int ec2gw_layer_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                          ec2gw_os_fanout_fn done, void *arg);
int ec2gw_layer_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg);
int ec2gw_layer_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                            ec2gw_os_done_fn done, void *arg);
ec2gw_model_fn ec2gw_layer_model_hook(ec2gw_req_t *r, ec2gw_model_fn fn, void **arg);

static void
h_log(ec2gw_req_t *r, ec2gw_log_level_t level, const char *fmt, ...)
{
    char prefix[256];
    va_list ap;
    const ec2gw_instance_t *life = ec2gw_plugins_lifecycle();

    if (r != NULL)
        snprintf(prefix, sizeof(prefix), "%s inst=%s", r->log_prefix,
                 r->cur_inst ? r->cur_inst->name : "-");
    else if (life != NULL) /* create(), start(), stop(), destroy() */
        snprintf(prefix, sizeof(prefix), "plugin inst=%s", life->name);
    va_start(ap, fmt);
    ec2gw_logv(level, r || life ? prefix : "plugin", fmt, ap);
    va_end(ap);
}

static const char *
h_action(ec2gw_req_t *r)
{
    return r->action;
}

static const json_t *
h_params(ec2gw_req_t *r)
{
    return r->params_json;
}

static json_t *
h_params_mut(ec2gw_req_t *r)
{
    return r->params_json;
}

static const ec2gw_identity_t *
h_identity(ec2gw_req_t *r)
{
    return &r->identity;
}

static const char *
h_request_id(ec2gw_req_t *r)
{
    return r->id;
}

static void
h_finish(ec2gw_req_t *r, json_t *model)
{
    /* Hand the model to the innermost wrapper that asked for it; each calls finish again. */
    while (r->n_hooks > 0) {
        r->n_hooks--;
        if (r->hooks[r->n_hooks].fn != NULL) {
            r->hooks[r->n_hooks].fn(r, model, r->hooks[r->n_hooks].arg);
            return;
        }
    }
    if (r->client_token != NULL && !r->answered)
        ec2gw_client_token_complete(r->d->db, r->identity.project_id, r->action, r->client_token,
                                    model);
    ec2gw_req_finish(r, model);
}

static void
h_fail(ec2gw_req_t *r, int status, const char *code, const char *fmt, ...)
{
    ec2gw_fault_t f;
    va_list ap;

    r->n_hooks = 0; /* errors pass straight through the wrappers */
    if (r->client_token != NULL && !r->answered)
        ec2gw_client_token_abort(r->d->db, r->identity.project_id, r->action, r->client_token);
    va_start(ap, fmt);
    ec2gw_fault_setv(&f, status > 0 ? status : ec2gw_fault_status(code), code, fmt, ap);
    va_end(ap);
    ec2gw_req_fail(r, &f);
}

/* The human message of an OpenStack error body: Nova {"badRequest": {"message"}}, Neutron
 * {"NeutronError": {"message"}}, Cinder/Keystone likewise, Glance a plain-text page. */
static void
os_message(const ec2gw_os_resp_t *resp, char *out, size_t size)
{
    const char *m = NULL;
    const char *key;
    json_t *v;

    out[0] = '\0';
    if (resp == NULL)
        return;
    if (json_is_object(resp->json)) {
        m = json_string_value(json_object_get(resp->json, "message"));
        json_object_foreach(resp->json, key, v)
        {
            if (m == NULL && json_is_object(v))
                m = json_string_value(json_object_get(v, "message"));
        }
    } else if (resp->body != NULL && resp->body_len > 0 && resp->body[0] != '<') {
        /* Glance: "400 Bad Request\n\n<message>\n\n   " - the last non-empty line. */
        const char *end = resp->body + strlen(resp->body), *line = NULL;

        while (end > resp->body && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
            end--;
        for (line = end; line > resp->body && line[-1] != '\n'; line--)
            ;
        snprintf(out, size, "%.*s", (int)(end - line), line);
    }
    if (m != NULL)
        snprintf(out, size, "%s", m);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

/* OpenStack failure → EC2 error (openstack-mapping.md §19.4). */
static void
h_fail_from_os(ec2gw_req_t *r, const ec2gw_os_resp_t *resp, const char *not_found_code)
{
    long st = resp ? resp->status : 0;
    const char *body = resp && resp->body ? resp->body : "";
    int quota = strstr(body, "uota") != NULL || strstr(body, "OverQuota") != NULL;
    char msg[300];

    os_message(resp, msg, sizeof(msg));

    if (resp != NULL && resp->os_request_id != NULL)
        ec2gw_log(EC2GW_LOG_INFO, r->log_prefix, "OpenStack answered %ld os_req=%s", st,
                  resp->os_request_id);
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
        h_fail(r, 400, "IncorrectState", "The resource is in a state that does not allow this%s%s",
               msg[0] ? ": " : "", msg);
    else if (st == 400)
        h_fail(r, 400, "InvalidParameterValue", "The backend refused the request parameters%s%s",
               msg[0] ? ": " : "", msg);
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
    return ec2gw_palloc(r->pool, n);
}

static void *
h_pcalloc(ec2gw_req_t *r, size_t n)
{
    return ec2gw_pcalloc(r->pool, n);
}

static char *
h_pstrdup(ec2gw_req_t *r, const char *s)
{
    return ec2gw_pstrdup(r->pool, s);
}

static char *
h_psprintf(ec2gw_req_t *r, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = ec2gw_pvsprintf(r->pool, fmt, ap);
    va_end(ap);
    return s;
}

static int
h_on_cleanup(ec2gw_req_t *r, void (*fn)(void *), void *arg)
{
    return ec2gw_pool_on_cleanup(r->pool, fn, arg);
}

static void
json_unref_cb(void *j)
{
    json_decref(j);
}

static json_t *
h_own_json(ec2gw_req_t *r, json_t *j)
{
    if (j != NULL && ec2gw_pool_on_cleanup(r->pool, json_unref_cb, json_incref(j)) != 0)
        json_decref(j);
    return j;
}

static const char *
h_os_endpoint(ec2gw_req_t *r, const char *type)
{
    const char *u = ec2gw_catalog_url(r->catalog, type, r->d->first->conf.keystone.interface,
                                      r->d->first->conf.keystone.region);

    return u ? ec2gw_pstrdup(r->pool, u) : NULL;
}

static char *
h_url_escape(ec2gw_req_t *r, const char *s)
{
    char *e = evhttp_uriencode(s, -1, 0);
    char *p = e ? ec2gw_pstrdup(r->pool, e) : NULL;

    free(e);
    return p;
}

static int
h_id_to_ec2(ec2gw_req_t *r, const char *kind, const char *os_id, const char **out)
{
    char id[EC2GW_ID_MAX];
    int rc = ec2gw_idmap_to_ec2(r->d->db, r->identity.project_id, kind, os_id, id, NULL);

    if (rc == 0)
        *out = ec2gw_pstrdup(r->pool, id);
    return rc;
}

static int
h_id_to_os(ec2gw_req_t *r, const char *ec2_id, const char **os_id)
{
    char *o = NULL;
    int rc = ec2gw_idmap_to_os(r->d->db, r->identity.project_id, ec2_id, &o, NULL);

    if (rc == 0)
        *os_id = o ? ec2gw_pstrdup(r->pool, o) : NULL;
    free(o);
    return rc;
}

static int
h_item_get(ec2gw_req_t *r, const char *ec2_id, json_t **data)
{
    return ec2gw_item_get(r->d->db, r->identity.project_id, ec2_id, data, NULL, NULL);
}

static int
h_item_put(ec2gw_req_t *r, const char *ec2_id, const char *os_id, const json_t *data)
{
    return ec2gw_item_put(r->d->db, r->identity.project_id, ec2_id, os_id, data, NULL);
}

static int
h_item_delete(ec2gw_req_t *r, const char *ec2_id)
{
    return ec2gw_item_delete(r->d->db, r->identity.project_id, ec2_id, NULL);
}

static int
h_tags_get(ec2gw_req_t *r, const char *const *ids, size_t n, json_t **out)
{
    return ec2gw_tags_get(r->d->db, r->identity.project_id, ids, n, out, NULL);
}

static int
h_tags_set(ec2gw_req_t *r, const char *id, const json_t *tags)
{
    return ec2gw_tags_set(r->d->db, r->identity.project_id, id, tags, NULL);
}

struct filter_adapter {
    ec2gw_req_t *r;
    ec2gw_filter_values_fn fn;
    void *arg;
};

static int
filter_adapter_cb(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    struct filter_adapter *a = arg;

    return a->fn(a->r, item, name, values_out, a->arg);
}

static json_t *
h_filter(ec2gw_req_t *r, const json_t *items, const char *id_key, ec2gw_filter_values_fn fn,
         void *arg)
{
    const json_t *filters = json_object_get(r->params_json, "Filters");
    struct filter_adapter a = { r, fn, arg };
    json_t *tags = NULL, *kept;
    ec2gw_fault_t f = { 0 };

    if (json_array_size(filters) == 0)
        return json_incref((json_t *)(uintptr_t)items);
    if (id_key != NULL) {
        size_t n = json_array_size(items), i;
        const char **ids = calloc(n + 1, sizeof(*ids));
        json_t *it;

        json_array_foreach(items, i, it) ids[i] = json_string_value(json_object_get(it, id_key));
        ec2gw_tags_get(r->d->db, r->identity.project_id, ids, n, &tags, NULL);
        free(ids);
    }
    kept = ec2gw_filter_apply(filters, items, id_key, tags, filter_adapter_cb, &a, &f);
    json_decref(tags);
    if (kept == NULL)
        ec2gw_req_fail(r, &f);
    return kept;
}

static json_t *
h_page(ec2gw_req_t *r, const json_t *items, const char *id_key, const char **next_token)
{
    json_t *mr = json_object_get(r->params_json, "MaxResults");
    const char *tok = json_string_value(json_object_get(r->params_json, "NextToken"));
    json_t *scope_j;
    char *scope, *next = NULL;
    ec2gw_fault_t f = { 0 };
    json_t *page;
    int min = 5, max = 1000; /* the range of most Describe actions when the model has none */
    long long max_results;

    if (r->op != NULL)
        (void)ec2gw_model_op_max_results(r->op, &min, &max);
    if (ec2gw_page_max_results(mr, min, max, &max_results, &f) != 0) {
        *next_token = NULL;
        ec2gw_req_fail(r, &f);
        return NULL;
    }
    scope_j = json_deep_copy(r->params_json);
    json_object_del(scope_j, "MaxResults");
    json_object_del(scope_j, "NextToken");
    scope = ec2gw_json_dumps(scope_j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(scope_j);
    page = ec2gw_page_apply(items, id_key, max_results, tok, scope ? scope : r->action, min, max,
                            &next, &f);
    free(scope);
    *next_token = next ? ec2gw_pstrdup(r->pool, next) : NULL;
    free(next);
    if (page == NULL)
        ec2gw_req_fail(r, &f);
    return page;
}

static void
h_cfg_error(ec2gw_cfg_t *cfg, const char *key, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    const ec2gw_conf_node_t *s = cfg->inst->settings_node;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* After a conf.d merge the key may come from a drop-in, not the instance's first file. */
    ec2gw_err_set(cfg->err, EC2GW_E_INVAL, "%s:%d: settings.%s: %s",
                  s && key ? ec2gw_conf_key_file(s, key) : cfg->inst->file,
                  s && key ? ec2gw_conf_key_line(s, key) : cfg->inst->line, key ? key : "-", msg);
}

static int
h_delegate(ec2gw_req_t *r, ec2gw_model_fn on_model, void *arg)
{
    ec2gw_instance_t *next = NULL;
    const ec2gw_action_t *act;

    if (r->cur_inst == NULL || (act = ec2gw_plugins_next(r->cur_inst, r->action, &next)) == NULL)
        return EC2GW_E_NOTFOUND;
    if (r->n_hooks == EC2GW_MAX_WRAP_DEPTH)
        return EC2GW_E_STATE;
    r->hooks[r->n_hooks].fn = ec2gw_layer_model_hook(r, on_model, &arg);
    r->hooks[r->n_hooks].arg = arg;
    r->n_hooks++;
    return ec2gw_dispatch_run(r, next, act);
}

/* The first daemon runs offloaded work inline: plugins are written against the async shape. */
static int
h_offload(ec2gw_req_t *r, ec2gw_work_fn work, ec2gw_work_done_fn done, void *arg)
{
    work(arg);
    done(r, arg);
    return EC2GW_AGAIN;
}

/* 1.4: the request's JSON lives in its arena (json_arena.h); caches are made on the heap. */
static void
h_json_heap_begin(ec2gw_req_t *r)
{
    (void)r;
    ec2gw_json_heap_push();
}

static void
h_json_heap_end(ec2gw_req_t *r)
{
    (void)r;
    ec2gw_json_heap_pop();
}

/* 1.5: an item of the answer rendered ahead, for a plugin to keep (protocol/xml_render.c). Not
 * while a wrapper waits for the model: it must see the items as JSON. */
static int
h_render_item(ec2gw_req_t *r, const char *path, const json_t *item, json_t **out)
{
    ec2gw_err_t err = { 0 };
    int rc;

    *out = NULL;
    for (int i = 0; i < r->n_hooks; i++)
        if (r->hooks[i].fn != NULL)
            return EC2GW_E_STATE;
    if (r->op == NULL || r->answered)
        return EC2GW_E_STATE;
    rc = ec2gw_xml_render_item(r->op, path, item, out, &err);
    if (rc != 0 || err.msg[0] == '\0')
        return rc;
    ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "action=%s model members dropped: %s", r->action,
              err.msg);
#ifdef EC2GW_STRICT_ANSWERS
    json_decref(*out); /* finish() then refuses the model as it always did */
    *out = NULL;
    return EC2GW_E_INVAL;
#else
    return 0;
#endif
}

static const ec2gw_host_api_t host_api = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_host_api_t),
    .log = h_log,
    .action = h_action,
    .params = h_params,
    .params_mut = h_params_mut,
    .identity = h_identity,
    .state = ec2gw_layer_state,
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
    .os_call = ec2gw_layer_os_call,
    .os_fanout = ec2gw_layer_os_fanout,
    .os_endpoint = h_os_endpoint,
    .url_escape = h_url_escape,
    .id_to_ec2 = h_id_to_ec2,
    .id_to_os = h_id_to_os,
    .item_get = h_item_get,
    .item_put = h_item_put,
    .item_delete = h_item_delete,
    .tags_get = h_tags_get,
    .tags_set = h_tags_set,
    .wildcard_match = ec2gw_wildcard_match,
    .filter = h_filter,
    .page = h_page,
    .cfg_error = h_cfg_error,
    .delegate = h_delegate,
    .offload = h_offload,
    .ids_to_ec2 = ec2gw_host_ids_to_ec2,
    .items_get = ec2gw_host_items_get,
    .after = ec2gw_layer_after,
    .os_transfer = ec2gw_layer_os_transfer,
    /* 1.2: the metadata listener's raw requests (host_raw.c) */
    .http_method = ec2gw_host_http_method,
    .http_path = ec2gw_host_http_path,
    .http_header = ec2gw_host_http_header,
    .reply_header = ec2gw_host_reply_header,
    .reply = ec2gw_host_reply,
    .act_as = ec2gw_host_act_as,
    .hmac_hex = ec2gw_host_hmac_hex,
    .secure_equal = ec2gw_host_secure_equal,
    .now_ms = ec2gw_host_now_ms,
    .metadata_conf = ec2gw_host_metadata_conf,
    /* 1.2 */
    .items_list = ec2gw_host_items_list,
    .item_insert = ec2gw_host_item_insert,
    .new_id = ec2gw_host_new_id,
    /* 1.4 */
    .json_heap_begin = h_json_heap_begin,
    .json_heap_end = h_json_heap_end,
    .os_invalidate = ec2gw_host_os_invalidate,
    .describe_staleness_ms = ec2gw_host_describe_staleness_ms,
    /* 1.5 */
    .render_item = h_render_item,
};

const ec2gw_host_api_t *
ec2gw_host_api(void)
{
    return &host_api;
}
