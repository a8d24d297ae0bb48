/*
 * sig_vec.h - test helper: the requests of vectors/sig_vectors.json (made by make_vectors.py
 * with botocore) turned into ec2gw_sig_input_t, and one call that parses and verifies.
 */
#ifndef EC2GW_TESTS_AUTH_SIG_VEC_H
#define EC2GW_TESTS_AUTH_SIG_VEC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "auth/signature.h"

#define SIG_VECTORS EC2GW_SOURCE_DIR "/tests/unit/auth/vectors/sig_vectors.json"

/** One request with its own copies of everything the input borrows. */
typedef struct vreq {
    char method[16];
    char *path;
    char *raw_query;
    char *body;
    char *secret;
    ec2gw_kvlist_t query, form, headers;
    ec2gw_sig_input_t in;
} vreq_t;

static inline void
vreq_free(vreq_t *r)
{
    free(r->path);
    free(r->raw_query);
    free(r->body);
    free(r->secret);
    ec2gw_kvlist_free(&r->query);
    ec2gw_kvlist_free(&r->form);
    ec2gw_kvlist_free(&r->headers);
    memset(r, 0, sizeof(*r));
}

/** Re-derive the decoded lists and the input from the raw strings (after a mutation). */
static inline int
vreq_refresh(vreq_t *r)
{
    const char *ct = ec2gw_kvlist_get_ci(&r->headers, "Content-Type");
    time_t now = r->in.now;

    ec2gw_kvlist_free(&r->query);
    ec2gw_kvlist_free(&r->form);
    if (ec2gw_kvlist_parse_form(&r->query, r->raw_query, strlen(r->raw_query)) != 0)
        return -1;
    if (strcmp(r->method, "POST") == 0 && ct != NULL &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
        ec2gw_kvlist_parse_form(&r->form, r->body, strlen(r->body)) != 0)
        return -1;
    r->in = (ec2gw_sig_input_t){
        .method = r->method,
        .path = r->path,
        .raw_query = r->raw_query[0] != '\0' ? r->raw_query : NULL,
        .query = &r->query,
        .form = &r->form,
        .headers = &r->headers,
        .body = (const unsigned char *)r->body,
        .body_len = strlen(r->body),
        .now = now,
        .max_skew_s = 900,
    };
    return 0;
}

/** Build @p r from the vector @p v. Returns 0 or -1. */
static inline int
vreq_load(vreq_t *r, const json_t *v)
{
    const json_t *hs = json_object_get(v, "headers");
    size_t i;
    json_t *h;

    memset(r, 0, sizeof(*r));
    snprintf(r->method, sizeof(r->method), "%s", json_string_value(json_object_get(v, "method")));
    r->path = strdup(json_string_value(json_object_get(v, "path")));
    r->raw_query = strdup(json_string_value(json_object_get(v, "query")));
    r->body = strdup(json_string_value(json_object_get(v, "body")));
    r->secret = strdup(json_string_value(json_object_get(v, "secret")));
    json_array_foreach(hs, i, h)
    {
        if (ec2gw_kvlist_add(&r->headers, json_string_value(json_array_get(h, 0)),
                             json_string_value(json_array_get(h, 1))) != 0)
            return -1;
    }
    r->in.now = (time_t)json_integer_value(json_object_get(v, "now"));
    return vreq_refresh(r);
}

/** Replace (or add, or with @p value NULL remove) the header @p name. */
static inline void
vreq_set_header(vreq_t *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->headers.n; i++) {
        if (strcasecmp(r->headers.v[i].name, name) != 0)
            continue;
        free(r->headers.v[i].name);
        free(r->headers.v[i].value);
        memmove(&r->headers.v[i], &r->headers.v[i + 1],
                (r->headers.n - i - 1) * sizeof(r->headers.v[0]));
        r->headers.n--;
        i--;
    }
    if (value != NULL)
        (void)ec2gw_kvlist_add(&r->headers, name, value);
}

/** Replace the first @p from in the string *@p s (owned) by @p to. Returns 0 or -1. */
static inline int
str_replace(char **s, const char *from, const char *to)
{
    char *p = strstr(*s, from);
    char *t;

    if (p == NULL || asprintf(&t, "%.*s%s%s", (int)(p - *s), *s, to, p + strlen(from)) < 0)
        return -1;
    free(*s);
    *s = t;
    return 0;
}

/** Parse and verify with @p secret; "ok" or the fault code (static storage). */
static inline const char *
vreq_check(const vreq_t *r, const char *secret, ec2gw_fault_t *fault)
{
    ec2gw_sig_t sig;

    memset(fault, 0, sizeof(*fault));
    if (ec2gw_sig_parse(&r->in, &sig, fault) != 0)
        return fault->code;
    if (ec2gw_sig_verify(&sig, &r->in, secret, fault) != 0)
        return fault->code;
    return "ok";
}

static json_t *vectors_root;

/** The vectors file, loaded once per test binary. Returns borrowed. */
static inline json_t *
vectors(void)
{
    json_error_t err;

    if (vectors_root == NULL) {
        vectors_root = json_load_file(SIG_VECTORS, 0, &err);
        if (vectors_root == NULL) {
            fprintf(stderr, "%s: %s (line %d)\n", SIG_VECTORS, err.text, err.line);
            abort();
        }
    }
    return json_object_get(vectors_root, "vectors");
}

/** cmocka group teardown: drop the loaded vectors. */
static inline int
vectors_free(void **state)
{
    (void)state;
    json_decref(vectors_root);
    vectors_root = NULL;
    return 0;
}

/** The vector named @p name (abort if absent). */
static inline const json_t *
vector(const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(vectors(), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
            return v;
    }
    fprintf(stderr, "no vector %s\n", name);
    abort();
}

#endif
