/*
 * testhost_share.c - shared reads in the fake host (ABI 1.4), on its fake clock: a GET with
 * EC2GW_CALL_SHARED (no wrapper hook on it) whose 2xx answer was scripted at most
 * describe_staleness_ms() ago for the same service, path, microversion, raw-or-JSON and
 * project is answered from that answer, without a call in the log or a script line; a non-GET
 * call of the project, or os_invalidate(), drops the project's answers of the service. Every
 * request gets the same json (as in ec2gwd), and a pristine copy catches a plugin that
 * changes it. One request runs at a time here, so there is no in-flight joining to model.
 * Off (staleness 0) until ec2gw_test_set_staleness(): scripts written before 1.4 stay valid.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testhost_priv.h"

static char *
share_key(const ec2gw_req_t *r, const ec2gw_os_call_t *c)
{
    const char *mv = c->size > offsetof(ec2gw_os_call_t, microversion) && c->microversion != NULL
                         ? c->microversion
                         : "-";
    const char *scope = (c->flags & EC2GW_CALL_AS_SERVICE) ? "service" : r->h->project;
    size_t n = strlen(c->service) + strlen(c->path) + strlen(mv) + strlen(scope) + 16;
    char *k = malloc(n);

    if (k != NULL)
        snprintf(k, n, "%s\n%s\n%s\n%d\n%s", c->service, c->path, mv,
                 (c->flags & EC2GW_CALL_RAW) != 0, scope);
    return k;
}

static int
wanted(const ec2gw_req_t *r, const ec2gw_os_call_t *c, int hooked)
{
    return r->h->share_staleness_ms > 0 && !hooked && c->size > offsetof(ec2gw_os_call_t, flags) &&
           (c->flags & EC2GW_CALL_SHARED) && c->method != NULL && strcasecmp(c->method, "GET") == 0;
}

th_event_t *
th_share_lookup(ec2gw_req_t *r, const ec2gw_os_call_t *c, int hooked)
{
    ec2gw_test_host_t *h = r->h;
    char *key;
    json_t *e;
    th_event_t *ev;

    if (!wanted(r, c, hooked) || (key = share_key(r, c)) == NULL)
        return NULL;
    e = json_object_get(h->shared, key);
    if (e != NULL &&
        h->now_ms - json_integer_value(json_object_get(e, "t")) > h->share_staleness_ms) {
        json_object_del(h->shared, key);
        e = NULL;
    }
    free(key);
    if (e == NULL || (ev = calloc(1, sizeof(*ev))) == NULL)
        return NULL;
    ev->req = r;
    ev->resp.size = (uint32_t)sizeof(ev->resp);
    ev->resp.status = (long)json_integer_value(json_object_get(e, "status"));
    ev->body = strdup(json_string_value(json_object_get(e, "body")));
    ev->resp.body = ev->body != NULL ? ev->body : "";
    ev->resp.body_len = ev->body != NULL ? strlen(ev->body) : 0;
    ev->json = json_incref(json_object_get(e, "json")); /* the same value every sharer sees */
    ev->resp.json = ev->json;
    ev->resp.os_request_id = "req-os-shared";
    h->share_hits++;
    return ev;
}

void
th_share_keep(ec2gw_req_t *r, const ec2gw_os_call_t *c, int hooked, const th_event_t *ev)
{
    ec2gw_test_host_t *h = r->h;
    char *key;

    if (!wanted(r, c, hooked) || ev->resp.error != NULL || ev->resp.status < 200 ||
        ev->resp.status >= 300 || (key = share_key(r, c)) == NULL)
        return;
    json_object_set_new(h->shared, key,
                        json_pack("{s:I, s:I, s:s, s:O?, s:o?}", "t", (json_int_t)h->now_ms,
                                  "status", (json_int_t)ev->resp.status, "body",
                                  ev->body != NULL ? ev->body : "", "json", ev->json, "pristine",
                                  ev->json != NULL ? json_deep_copy(ev->json) : NULL));
    free(key);
}

void
th_share_invalidate(ec2gw_test_host_t *h, const char *service)
{
    const char *key;
    json_t *e;
    void *tmp;

    json_object_foreach_safe(h->shared, tmp, key, e)
    {
        const char *nl = strchr(key, '\n');

        (void)e;
        /* every project's, as in ec2gwd: a write can change what other projects see */
        if (service == NULL || (strncmp(key, service, (size_t)(nl - key)) == 0 &&
                                strlen(service) == (size_t)(nl - key)))
            json_object_del(h->shared, key);
    }
}

void
th_share_check(ec2gw_test_host_t *h, const char *action)
{
    const char *key;
    json_t *e;

    json_object_foreach(h->shared, key, e)
    {
        json_t *j = json_object_get(e, "json"), *p = json_object_get(e, "pristine");

        if (j != NULL && p != NULL && !json_equal(j, p)) {
            char what[512];

            snprintf(what, sizeof(what), "%s", key); /* "service\npath\n...": one line */
            for (char *c = what; *c != '\0'; c++)
                if (*c == '\n')
                    *c = ' ';
            th_violation(h,
                         "%s changed a shared OpenStack answer (EC2GW_CALL_SHARED, %s): "
                         "read it only, or copy it first",
                         action, what);
            json_object_set_new(e, "pristine", json_deep_copy(j)); /* reported once */
        }
    }
}

/* -- host functions and the test API ------------------------------------------------- */

void
th_os_invalidate(ec2gw_req_t *r, const char *service_type)
{
    th_share_invalidate(r->h, service_type);
}

int64_t
th_describe_staleness_ms(ec2gw_req_t *r)
{
    return r->h->share_staleness_ms;
}

void
ec2gw_test_set_staleness(ec2gw_test_host_t *h, int64_t ms)
{
    h->share_staleness_ms = ms > 0 ? ms : 0;
    json_object_clear(h->shared);
}

size_t
ec2gw_test_shared_hits(const ec2gw_test_host_t *h)
{
    return h->share_hits;
}
