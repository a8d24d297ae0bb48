/*
 * testhost_http.c - raw requests of the fake host (ABI 1.2): what the daemon's metadata
 * listener hands a plugin serving EC2GW_ACTION_METADATA (method, path, headers, a raw answer,
 * act_as, keyed HMACs, the wall clock), driven by ec2gw_test_http() and a fake clock that
 * tests move with ec2gw_test_clock_advance().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testhost_priv.h"

void th_hmac_sha256_hex(const void *key, size_t klen, const void *msg, size_t len, char out[65]);

/* The fake wall clock: a fixed epoch (2026-01-01) plus the fake clock. */
#define TH_EPOCH_MS INT64_C(1767225600000)

const char *
th_http_method(ec2gw_req_t *r)
{
    return r->raw ? r->method : NULL;
}

const char *
th_http_path(ec2gw_req_t *r)
{
    return r->raw ? r->path : NULL;
}

const char *
th_http_header(ec2gw_req_t *r, const char *name, size_t *count)
{
    const char *key;
    json_t *v;

    if (count != NULL)
        *count = 0;
    json_object_foreach(r->raw ? r->hdrs : NULL, key, v)
    {
        if (strcasecmp(key, name) == 0) {
            if (count != NULL)
                *count = json_array_size(v);
            return json_string_value(json_array_get(v, 0));
        }
    }
    return NULL;
}

int
th_reply_header(ec2gw_req_t *r, const char *name, const char *value)
{
    if (!r->raw || r->answered || r->cancelled)
        return EC2GW_E_STATE;
    if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
        return EC2GW_E_INVAL;
    json_object_set_new(r->h->http_hdrs, name, json_string(value));
    return 0;
}

int
th_reply(ec2gw_req_t *r, int status, const char *ctype, const void *body, size_t len)
{
    ec2gw_test_host_t *h = r->h;

    if (!r->raw || r->cancelled)
        return EC2GW_E_STATE;
    if (r->answered) {
        th_violation(h, "reply() on a request that was already answered");
        return EC2GW_E_STATE;
    }
    r->answered = 1;
    r->status = status < 100 || status > 599 ? 500 : status;
    snprintf(r->code, sizeof(r->code), "%d", r->status);
    free(h->http_body);
    free(h->http_ctype);
    h->http_body = malloc(len + 1);
    h->http_ctype = strdup(ctype != NULL ? ctype : "text/plain");
    if (h->http_body != NULL) {
        if (len > 0)
            memcpy(h->http_body, body, len);
        h->http_body[len] = '\0';
    }
    h->http_len = len;
    return 0;
}

int
th_act_as(ec2gw_req_t *r, const char *project_id, const char *user_id)
{
    (void)user_id;
    if (!r->raw)
        return EC2GW_E_STATE;
    if (project_id == NULL || project_id[0] == '\0')
        return EC2GW_E_INVAL;
    ec2gw_test_set_project(r->h, project_id);
    return 0;
}

int
th_hmac_hex(ec2gw_req_t *r, int key, const void *msg, size_t len, char out[65])
{
    const char *k = key >= 1 && key <= 2 ? r->h->keys[key] : NULL;

    out[0] = '\0';
    if (k == NULL)
        return EC2GW_E_NOTFOUND;
    th_hmac_sha256_hex(k, strlen(k), msg, len, out);
    return 0;
}

int
th_secure_equal(const char *a, const char *b)
{
    size_t n;
    unsigned char d = 0;

    if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
        return 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int64_t
th_now_ms(ec2gw_req_t *r)
{
    return TH_EPOCH_MS + r->h->now_ms;
}

const ec2gw_metadata_conf_t *
th_metadata_conf(ec2gw_req_t *r)
{
    ec2gw_test_host_t *h = r->h;

    if (h->md_conf.size == 0) /* the daemon's defaults */
        h->md_conf = (ec2gw_metadata_conf_t){ .size = sizeof(h->md_conf),
                                              .cache_ttl_ms = 10000,
                                              .token_ttl_max_s = 21600 };
    return &h->md_conf;
}

void
th_http_free(ec2gw_test_host_t *h)
{
    free(h->keys[1]);
    free(h->keys[2]);
    free(h->http_body);
    free(h->http_ctype);
    json_decref(h->http_hdrs);
}

/* -- the test API --------------------------------------------------------------------- */

void
ec2gw_test_set_key(ec2gw_test_host_t *h, int key, const char *secret)
{
    if (key < 1 || key > 2)
        return;
    free(h->keys[key]);
    h->keys[key] = secret != NULL ? strdup(secret) : NULL;
}

void
ec2gw_test_set_metadata_conf(ec2gw_test_host_t *h, int64_t cache_ttl_ms, int64_t token_ttl_max_s)
{
    h->md_conf = (ec2gw_metadata_conf_t){ .size = sizeof(h->md_conf),
                                          .cache_ttl_ms = cache_ttl_ms,
                                          .token_ttl_max_s = token_ttl_max_s };
}

void
ec2gw_test_clock_advance(ec2gw_test_host_t *h, int64_t ms)
{
    if (ms > 0)
        h->now_ms += ms;
}

/* {"Name": "v"} or {"Name": ["v1", "v2"]} into {"Name": ["v", ...]}; NULL when malformed. */
static json_t *
headers_parse(const char *text)
{
    json_t *in = text != NULL ? json_loads(text, 0, NULL) : json_object(), *out, *v;
    const char *key;

    if (!json_is_object(in)) {
        json_decref(in);
        return NULL;
    }
    out = json_object();
    json_object_foreach(in, key, v)
    {
        json_t *list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);

        json_object_set_new(out, key, list);
    }
    json_decref(in);
    return out;
}

static const ec2gw_action_t *
metadata_action(th_inst_t *in, th_inst_t **found)
{
    for (; in != NULL; in = in->below)
        for (const ec2gw_action_t *a = in->mod->desc->actions; a->name != NULL; a++)
            if (strcmp(a->name, EC2GW_ACTION_METADATA) == 0) {
                *found = in;
                return a;
            }
    return NULL;
}

static void
raw_free(void *arg)
{
    ec2gw_req_t *r = arg;

    json_decref(r->hdrs);
    free(r->method);
    free(r->path);
}

int
ec2gw_test_http(ec2gw_test_host_t *h, const char *method, const char *path,
                const char *headers_json)
{
    th_inst_t *in = NULL;
    const ec2gw_action_t *act = metadata_action(h->top, &in);
    json_t *hdrs = headers_parse(headers_json);
    ec2gw_req_t *r;
    json_t *model;
    int rc;

    if (act == NULL || hdrs == NULL || h->req != NULL ||
        ec2gw_test_begin(h, "ec2gw_test.Raw", NULL) < 0) {
        th_violation(h, "ec2gw_test_http: %s",
                     act == NULL    ? "no instance serves the listener"
                     : hdrs == NULL ? "headers are not a JSON object"
                                    : "a request is in flight");
        json_decref(hdrs);
        return 0;
    }
    /* begin answered InvalidAction for the placeholder name: start over as a raw request */
    r = h->req;
    r->answered = 0;
    r->status = 0;
    r->code[0] = r->msg[0] = '\0';
    r->raw = 1;
    r->method = strdup(method);
    r->path = strdup(path);
    r->hdrs = hdrs;
    free(r->action);
    r->action = strdup(EC2GW_ACTION_METADATA);
    th_pool_on_cleanup(&r->pool, raw_free, r);
    free(h->http_body);
    free(h->http_ctype);
    h->http_body = h->http_ctype = NULL;
    h->http_len = 0;
    json_decref(h->http_hdrs);
    h->http_hdrs = json_object();
    r->inst = in;
    rc = act->fn(r, in->data);
    if (rc == EC2GW_OK && !r->answered)
        th_violation(h, "%s: handler returned EC2GW_OK without answering", r->action);
    ec2gw_test_run(h);
    model = ec2gw_test_end(h);
    json_decref(model);
    if (h->http_body == NULL && h->last_status >= 400) { /* fail(): its message is the body */
        h->http_body = strdup(h->last_msg);
        h->http_len = strlen(h->last_msg);
    }
    return h->last_status;
}

const char *
ec2gw_test_http_body(const ec2gw_test_host_t *h, size_t *len)
{
    if (len != NULL)
        *len = h->http_len;
    return h->http_body != NULL ? h->http_body : "";
}

const char *
ec2gw_test_http_content_type(const ec2gw_test_host_t *h)
{
    return h->http_ctype;
}

const char *
ec2gw_test_http_reply_header(const ec2gw_test_host_t *h, const char *name)
{
    return json_string_value(json_object_get(h->http_hdrs, name));
}
