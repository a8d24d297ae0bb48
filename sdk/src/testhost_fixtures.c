/*
 * testhost_fixtures.c - the OpenStack script of the fake host: expectations, path patterns,
 * fixture files, the answer queue, and JSON comparison helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhost_priv.h"

/* A v1.0 os_call struct ends with content_type (frozen: later minors only append). */
#define OS_CALL_SIZE_V1_0 \
    ((uint32_t)(offsetof(ec2gw_os_call_t, content_type) + sizeof(const char *)))

int
th_glob(const char *p, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;

    while (*s != '\0') {
        if (*p == '*') {
            star_p = ++p;
            star_s = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star_p != NULL) {
            p = star_p;
            s = ++star_s;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static const char *
skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

char *
th_fixture_read(const ec2gw_test_host_t *h, const char *path)
{
    char full[4096];
    FILE *f = NULL;
    char *buf = NULL;
    long n;

    if (path[0] != '/' && h != NULL && h->fixture_dir != NULL) {
        snprintf(full, sizeof(full), "%s/%s", h->fixture_dir, path);
        f = fopen(full, "rb");
    }
    if (f == NULL)
        f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

/* The body text an expectation answers with: literal JSON, a fixture's contents, or raw. */
static char *
body_text(ec2gw_test_host_t *h, const char *spec)
{
    const char *t;
    char *file;
    size_t len;

    if (spec == NULL)
        return NULL;
    t = skip_space(spec);
    if (*t == '{' || *t == '[' || *t == '\0')
        return strdup(spec);
    if ((file = th_fixture_read(h, spec)) != NULL)
        return file;
    len = strlen(spec);
    if (len > 5 && strcmp(spec + len - 5, ".json") == 0)
        th_violation(h, "fixture '%s' not found (fixture dir %s)", spec,
                     h->fixture_dir ? h->fixture_dir : ".");
    return strdup(spec);
}

static th_expect_t *
expect_add(ec2gw_test_host_t *h, const char *method, const char *service, const char *pattern)
{
    th_expect_t *e;

    if (h->n_expects == h->cap_expects) {
        size_t cap = h->cap_expects ? h->cap_expects * 2 : 16;
        th_expect_t *v = realloc(h->expects, cap * sizeof(*v));

        if (v == NULL)
            return NULL;
        h->expects = v;
        h->cap_expects = cap;
    }
    e = &h->expects[h->n_expects++];
    *e = (th_expect_t){ .method = strdup(method),
                        .service = strdup(service),
                        .pattern = strdup(pattern) };
    return e;
}

void
ec2gw_test_expect(ec2gw_test_host_t *h, const char *method, const char *service,
                  const char *path_pattern, long status, const char *body)
{
    th_expect_t *e = expect_add(h, method, service, path_pattern);

    if (e != NULL) {
        e->status = status;
        e->body = body_text(h, body);
    }
}

void
ec2gw_test_expect_timeout(ec2gw_test_host_t *h, const char *method, const char *service,
                          const char *path_pattern)
{
    th_expect_t *e = expect_add(h, method, service, path_pattern);

    if (e != NULL) {
        e->timed_out = 1;
        e->error = strdup("Operation timed out (ec2gw_test_expect_timeout)");
    }
}

void
ec2gw_test_expect_error(ec2gw_test_host_t *h, const char *method, const char *service,
                        const char *path_pattern, const char *error)
{
    th_expect_t *e = expect_add(h, method, service, path_pattern);

    if (e != NULL)
        e->error = strdup(error != NULL ? error : "Connection refused");
}

size_t
ec2gw_test_unmet_expectations(const ec2gw_test_host_t *h)
{
    size_t n = 0;

    for (size_t i = 0; i < h->n_expects; i++)
        n += !h->expects[i].used;
    return n;
}

const json_t *
ec2gw_test_calls(const ec2gw_test_host_t *h)
{
    return h->calls;
}

static void
log_call(ec2gw_test_host_t *h, const ec2gw_os_call_t *c)
{
    json_t *body = c->body != NULL ? json_deep_copy(c->body) : json_null();

    json_array_append_new(h->calls,
                          json_pack("{s:s?, s:s?, s:s?, s:o, s:s?, s:i}", "method", c->method,
                                    "service", c->service, "path", c->path, "body", body,
                                    "microversion", c->microversion, "flags", (int)c->flags));
}

static th_expect_t *
match(ec2gw_test_host_t *h, const ec2gw_os_call_t *c)
{
    for (size_t i = 0; i < h->n_expects; i++) {
        th_expect_t *e = &h->expects[i];

        if (!e->used && strcmp(e->method, c->method) == 0 && strcmp(e->service, c->service) == 0 &&
            th_glob(e->pattern, c->path))
            return e;
    }
    return NULL;
}

th_event_t *
th_script_answer(ec2gw_test_host_t *h, ec2gw_req_t *req, const ec2gw_os_call_t *c)
{
    th_event_t *ev = calloc(1, sizeof(*ev));
    th_expect_t *e;
    char id[64];

    if (ev == NULL)
        return NULL;
    ev->req = req;
    ev->resp.size = (uint32_t)sizeof(ev->resp);
    if (c->size < OS_CALL_SIZE_V1_0 || c->method == NULL || c->service == NULL || c->path == NULL) {
        th_violation(h, "%s: os_call without size/method/service/path (use EC2GW_OS_CALL)",
                     req->action);
        ev->resp.error = "ec2gw_test: malformed ec2gw_os_call_t";
        return ev;
    }
    log_call(h, c);
    if ((e = match(h, c)) == NULL) {
        th_violation(h, "%s: unexpected OpenStack call %s %s %s", req->action, c->method,
                     c->service, c->path);
        ev->resp.error = "ec2gw_test: unexpected call (no matching ec2gw_test_expect)";
        return ev;
    }
    e->used = 1;
    ev->resp.status = e->error != NULL ? 0 : e->status;
    ev->resp.timed_out = e->timed_out;
    ev->resp.error = e->error;
    if (e->error == NULL) {
        ev->body = strdup(e->body != NULL ? e->body : "");
        if (ev->body == NULL) {
            free(ev);
            return NULL;
        }
        ev->resp.body = ev->body;
        ev->resp.body_len = strlen(ev->body);
        if ((c->flags & EC2GW_CALL_RAW) == 0 && ev->body[0] != '\0')
            ev->json = json_loads(ev->body, JSON_DECODE_ANY, NULL);
        ev->resp.json = ev->json;
        snprintf(id, sizeof(id), "req-os-%04zu", json_array_size(h->calls));
        ev->resp.os_request_id = th_pstrdup(&req->pool, id);
    }
    return ev;
}

void
th_event_free(th_event_t *ev)
{
    if (ev == NULL)
        return;
    json_decref(ev->json);
    free(ev->body);
    free(ev);
}

int
th_queue_push(ec2gw_test_host_t *h, th_event_t *ev)
{
    if (h->n_queue == h->cap_queue) {
        size_t cap = h->cap_queue ? h->cap_queue * 2 : 16;
        th_event_t **q = realloc(h->queue, cap * sizeof(*q));

        if (q == NULL)
            return EC2GW_E_NOMEM;
        h->queue = q;
        h->cap_queue = cap;
    }
    h->queue[h->n_queue++] = ev;
    return 0;
}

void
th_queue_drop(ec2gw_test_host_t *h, const ec2gw_req_t *req)
{
    size_t k = 0;

    for (size_t i = 0; i < h->n_queue; i++) {
        th_event_t *ev = h->queue[i];

        if (ev->req != req)
            h->queue[k++] = ev;
        else if (ev->kind != TH_EV_FANOUT)
            th_event_free(ev);
    }
    h->n_queue = k;
}

json_t *
ec2gw_test_json_load(const ec2gw_test_host_t *h, const char *text_or_path)
{
    const char *t = skip_space(text_or_path);
    char *file = NULL;
    json_error_t err;
    json_t *j;

    if (*t != '{' && *t != '[' && (file = th_fixture_read(h, text_or_path)) == NULL) {
        fprintf(stderr, "ec2gw_test: fixture '%s' not found\n", text_or_path);
        return NULL;
    }
    j = json_loads(file != NULL ? file : text_or_path, JSON_DECODE_ANY, &err);
    if (j == NULL)
        fprintf(stderr, "ec2gw_test: %s: bad JSON at line %d: %s\n",
                file != NULL ? text_or_path : "<text>", err.line, err.text);
    free(file);
    return j;
}

int
ec2gw_test_json_equal(const ec2gw_test_host_t *h, const json_t *actual,
                      const char *expected_text_or_path)
{
    json_t *want = ec2gw_test_json_load(h, expected_text_or_path);
    int eq = want != NULL && actual != NULL && json_equal(want, actual);

    if (!eq) {
        char *a = actual ? json_dumps(actual, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        char *w = want ? json_dumps(want, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

        fprintf(stderr, "ec2gw_test: JSON differs\n--- expected\n%s\n--- actual\n%s\n",
                w ? w : "(none)", a ? a : "(none)");
        free(a);
        free(w);
    }
    json_decref(want);
    return eq;
}
