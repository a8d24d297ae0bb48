/*
 * testhost_model.c - the EC2 model checks of the fake host, made with the daemon's own code
 * (daemon/protocol is compiled into libec2gw_testhost.a): an action the model lacks is
 * InvalidAction; the test's JSON parameters are written out as the query a client would send
 * and decoded by the daemon's decoder, so a made-up key is UnknownParameter and the plugin
 * sees the types ec2gwd would give it; every answer goes through the daemon's renderer, and a
 * member it would drop fails the request as it does in debug builds of ec2gwd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "protocol/ec2_model.h"
#include "protocol/model_internal.h"
#include "protocol/query_decode.h"
#include "protocol/xml_render.h"
#include "testhost_priv.h"

/* Loaded once per process: every host of a test binary shares it (it is read-only). */
static ec2gw_model_t *model;

static const char *
model_path(void)
{
    const char *env = getenv("EC2GW_TEST_MODEL");

    if (env != NULL && env[0] != '\0')
        return env;
    /* An in-tree build finds the source tree's copy; an installed SDK its share/ec2gw one. */
    if (access(EC2GW_TESTHOST_SOURCE_MODEL, R_OK) == 0)
        return EC2GW_TESTHOST_SOURCE_MODEL;
    return EC2GW_TESTHOST_MODEL;
}

int
th_model_init(void)
{
    ec2gw_err_t err = { 0 };
    const char *path;

    if (model != NULL)
        return 0;
    path = model_path();
    if (ec2gw_model_load(path, &model, &err) != 0) {
        th_load_error("ec2gw_test: cannot load the EC2 model %s (%s); set EC2GW_TEST_MODEL to "
                      "the installed share/ec2gw/ec2-2016-11-15.json",
                      path, err.msg);
        return err.code != 0 ? err.code : EC2GW_E_INVAL;
    }
    return 0;
}

const struct ec2gw_model_op *
th_model_op(const char *action)
{
    return model != NULL ? ec2gw_model_op(model, action) : NULL;
}

/* -- JSON parameters into the query a client would send ---------------------------------- */

typedef struct qbuf {
    ec2gw_kvlist_t kv;
    ec2gw_fault_t *fault;
} qbuf_t;

static int
q_add(qbuf_t *q, const char *name, const char *value)
{
    ec2gw_kvlist_t *l = &q->kv;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ec2gw_kv_t *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL)
            return ec2gw_fault_set(q->fault, "InternalError", "Out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].name = strdup(name);
    l->v[l->n].value = strdup(value);
    l->n++;
    if (l->v[l->n - 1].name == NULL || l->v[l->n - 1].value == NULL)
        return ec2gw_fault_set(q->fault, "InternalError", "Out of memory");
    return 0;
}

static void
q_free(qbuf_t *q)
{
    for (size_t i = 0; i < q->kv.n; i++) {
        free(q->kv.v[i].name);
        free(q->kv.v[i].value);
    }
    free(q->kv.v);
}

/* The wire text of scalar @p v for a member of type @p t (blobs travel base64-encoded). */
static int
q_scalar(qbuf_t *q, const char *name, ec2gw_mtype_t t, const json_t *v)
{
    char buf[64];

    if (json_is_string(v) && t == EC2GW_MT_BLOB) {
        size_t n = json_string_length(v);
        unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
        int rc;

        if (b64 == NULL)
            return ec2gw_fault_set(q->fault, "InternalError", "Out of memory");
        EVP_EncodeBlock(b64, (const unsigned char *)json_string_value(v), (int)n);
        rc = q_add(q, name, (const char *)b64);
        free(b64);
        return rc;
    }
    if (json_is_string(v))
        return q_add(q, name, json_string_value(v));
    if (json_is_boolean(v))
        return q_add(q, name, json_is_true(v) ? "true" : "false");
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return q_add(q, name, buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return q_add(q, name, buf);
    }
    return ec2gw_fault_set(q->fault, "InvalidParameterValue",
                           "ec2gw_test: parameter %.200s: a JSON %s cannot be sent as a scalar",
                           name, json_is_array(v) ? "array" : "object");
}

static int q_value(qbuf_t *q, const char *name, const ec2gw_mshape_t *s, const json_t *v);

/* Members of structure @p s from @p obj: <prefix><wire name>, by the SDK member names. */
static int
q_struct(qbuf_t *q, const char *prefix, const ec2gw_mshape_t *s, const json_t *obj)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)(uintptr_t)obj, key, v)
    {
        const ec2gw_mmember_t *m = s != NULL ? ec2gw_model_member_by_name(s, key) : NULL;
        char name[512];

        if (m == NULL)
            /* The daemon's message, with the JSON key the test used. */
            return ec2gw_fault_set(q->fault, "UnknownParameter",
                                   "The parameter %s%.200s is not recognized", prefix, key);
        snprintf(name, sizeof(name), "%s%s", prefix, m->wire);
        if (q_value(q, name, m->shape, v) != 0)
            return -1;
    }
    return 0;
}

static int
q_value(qbuf_t *q, const char *name, const ec2gw_mshape_t *s, const json_t *v)
{
    char sub[512];
    size_t i;
    json_t *e;

    if (json_is_null(v))
        return 0; /* absent, as a client omits it */
    switch (s->type) {
    case EC2GW_MT_STRUCTURE:
        if (!json_is_object(v))
            return ec2gw_fault_set(q->fault, "InvalidParameterValue",
                                   "ec2gw_test: parameter %.200s is a structure: give an object",
                                   name);
        snprintf(sub, sizeof(sub), "%s.", name);
        return q_struct(q, sub, s, v);
    case EC2GW_MT_LIST:
        if (!json_is_array(v))
            return ec2gw_fault_set(q->fault, "InvalidParameterValue",
                                   "ec2gw_test: parameter %.200s is a list: give an array", name);
        json_array_foreach(v, i, e)
        {
            snprintf(sub, sizeof(sub), "%s.%zu", name, i + 1);
            if (q_value(q, sub, s->elem, e) != 0)
                return -1;
        }
        return 0;
    case EC2GW_MT_MAP:
        return ec2gw_fault_set(q->fault, "UnknownParameter",
                               "The parameter %.200s is not recognized", name);
    default:
        return q_scalar(q, name, s->type, v);
    }
}

int
th_model_params(const struct ec2gw_model_op *op, const json_t *in, json_t **out, char *code,
                size_t code_cap, char *msg, size_t msg_cap)
{
    ec2gw_fault_t f = { 0 };
    qbuf_t q = { .fault = &f };
    int rc = q_struct(&q, "", op->input, in);

    if (rc == 0)
        rc = ec2gw_query_decode(op, &q.kv, out, &f);
    q_free(&q);
    if (rc != 0) {
        snprintf(code, code_cap, "%s", f.code);
        snprintf(msg, msg_cap, "%s", f.message);
        return f.status != 0 ? f.status : 400;
    }
    return 0;
}

/* A copy of @p v with every item rendered ahead (render_item) replaced by a copy of the model
 * it was rendered from; NULL when an item is not one this host rendered. */
static json_t *
expand(const ec2gw_test_host_t *h, const json_t *v)
{
    const json_t *bytes = json_object_get(v, EC2GW_XML_ITEM_BYTES), *e;
    json_t *out;
    const char *k;
    size_t i;

    if (json_is_object(v) && json_object_size(v) == 2 && json_is_string(bytes)) {
        e = json_object_get(h->rendered, json_string_value(bytes));
        return e != NULL ? json_deep_copy(e) : NULL;
    }
    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, e)
        {
            if (json_array_append_new(out, expand(h, e)) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    out = json_object();
    json_object_foreach((json_t *)(uintptr_t)v, k, e)
    {
        if (json_object_set_new(out, k, expand(h, e)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

json_t *
th_model_expand(const ec2gw_test_host_t *h, const json_t *answer)
{
    return json_object_size(h->rendered) > 0 ? expand(h, answer) : json_deep_copy(answer);
}

int
th_model_render_item(ec2gw_test_host_t *h, const struct ec2gw_model_op *op, const char *path,
                     const json_t *item, json_t **out, char *msg, size_t msg_cap)
{
    ec2gw_err_t err = { 0 };
    int rc = ec2gw_xml_render_item(op, path, item, out, &err);

    snprintf(msg, msg_cap, "%s", err.msg);
    if (rc != 0)
        return rc;
    if (err.msg[0] != '\0') { /* as ec2gwd's debug builds: the plugin's bug, no item */
        json_decref(*out);
        *out = NULL;
        return EC2GW_E_INVAL;
    }
    /* the model behind the bytes, for the test's copy of the answer and the check below */
    if (json_object_set_new(h->rendered,
                            json_string_value(json_object_get(*out, EC2GW_XML_ITEM_BYTES)),
                            json_deep_copy(item)) != 0) {
        json_decref(*out);
        *out = NULL;
        return EC2GW_E_NOMEM;
    }
    h->n_rendered++;
    return 0;
}

int
th_model_check_answer(ec2gw_test_host_t *h, const struct ec2gw_model_op *op, const char *request_id,
                      const json_t *answer, char *msg, size_t msg_cap)
{
    ec2gw_err_t err = { 0 };
    char *doc = NULL, *plain = NULL;
    size_t len = 0, plain_len = 0;
    json_t *expanded;

    free(h->last_xml);
    h->last_xml = NULL;
    if (ec2gw_xml_render(op, ec2gw_model_api_version(model), request_id, answer, &doc, &len,
                         &err) != 0) {
        snprintf(msg, msg_cap, "the answer cannot be rendered: %s", err.msg);
        return -1;
    }
    h->last_xml = doc;
    h->last_xml_len = len;
    if (err.msg[0] != '\0') {
        snprintf(msg, msg_cap, "%s", err.msg);
        return -1;
    }
    if (json_object_size(h->rendered) == 0)
        return 0;
    /* Items rendered ahead must give the document their models give, byte for byte. */
    expanded = expand(h, answer);
    if (expanded == NULL) {
        snprintf(msg, msg_cap, "the answer holds a rendered item this host did not render");
        return -1;
    }
    if (ec2gw_xml_render(op, ec2gw_model_api_version(model), request_id, expanded, &plain,
                         &plain_len, &err) != 0 ||
        plain_len != len || memcmp(plain, doc, len) != 0) {
        snprintf(msg, msg_cap, "rendered items differ from their models' rendering");
        free(plain);
        json_decref(expanded);
        return -1;
    }
    free(plain);
    json_decref(expanded);
    return 0;
}
