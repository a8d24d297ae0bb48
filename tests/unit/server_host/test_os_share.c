/*
 * test_os_share.c - shared OpenStack reads (ABI 1.4, daemon/server/os_share.c) and
 * cancellation, through the real host table on a real event loop, against a loopback evhttp
 * server standing in for Glance that answers each GET after 40 ms and counts what it got:
 * N concurrent identical reads cost one call; no sharing across projects or role sets;
 * reuse within the staleness and not beyond; a POST of the project invalidates; staleness 0
 * sends every call; non-2xx answers are not reused; a cancelled request's callback never
 * runs and its call is stopped unless another request waits on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "server/os_share.h"
#include "server/request.h"

#define MAX_REQS 12

struct held {
    struct evhttp_request *req;
    int status;
};

struct glance {
    struct evhttp *http;
    int port;
    int gets, posts;
    char last_token[64];
};

struct call_seen {
    int calls;
    long status;
    const json_t *json;
    size_t n_images;
};

struct fixture {
    struct event_base *base;
    ec2gw_daemon_t d;
    ec2gw_generation_t gen;
    struct glance g;
    ec2gw_req_t *r[MAX_REQS];
    struct call_seen seen[MAX_REQS];
    int n;
};

static void
answer_later(evutil_socket_t fd, short what, void *arg)
{
    struct held *h = arg;
    struct evbuffer *out = evbuffer_new();

    (void)fd;
    (void)what;
    if (h->status == 200)
        evbuffer_add_printf(out, "{\"images\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}");
    else
        evbuffer_add_printf(out, "{\"error\": \"boom\"}");
    evhttp_send_reply(h->req, h->status, "X", out);
    evbuffer_free(out);
    free(h);
}

static void
on_glance(struct evhttp_request *req, void *arg)
{
    struct glance *g = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    const char *tok = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Auth-Token");
    struct timeval tv = { 0, 40 * 1000 };
    struct held *h;

    snprintf(g->last_token, sizeof(g->last_token), "%s", tok ? tok : "");
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        g->posts++;
        evhttp_send_reply(req, 201, "Created", NULL);
        return;
    }
    g->gets++;
    h = calloc(1, sizeof(*h));
    h->req = req;
    h->status = strstr(path, "fail") != NULL ? 500 : 200;
    event_base_once(evhttp_connection_get_base(evhttp_request_get_connection(req)), -1, EV_TIMEOUT,
                    answer_later, h, &tv);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct evhttp_bound_socket *bs;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    f->base = event_base_new();
    f->g.http = evhttp_new(f->base);
    evhttp_set_allowed_methods(f->g.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(f->g.http, on_glance, &f->g);
    bs = evhttp_bind_socket_with_handle(f->g.http, "127.0.0.1", 0);
    assert_non_null(bs);
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len);
    f->g.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    f->gen.conf.request_timeout_ms = 20000;
    f->gen.conf.os_timeout_ms = 10000;
    f->gen.conf.describe_staleness_ms = 2000;
    f->gen.conf.keystone.interface = "public";
    f->gen.refs = 1;
    f->d.base = f->base;
    f->d.client = ec2gw_http_new(f->base, 16);
    f->d.gen = f->d.first = &f->gen;
    *state = f;
    return 0;
}

static void
free_req(ec2gw_req_t *r)
{
    ec2gw_pool_free(r->pool);
    json_decref(r->catalog);
    free(r);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    for (int i = 0; i < f->n; i++)
        free_req(f->r[i]);
    ec2gw_os_share_clear();
    ec2gw_http_free(f->d.client);
    evhttp_free(f->g.http);
    event_base_free(f->base);
    free(f);
    return 0;
}

/* A request of @p project whose token has roles @p roles, as process.c leaves it. */
static ec2gw_req_t *
new_req(struct fixture *f, const char *project, const char *roles)
{
    ec2gw_req_t *r = calloc(1, sizeof(*r));
    char url[128];

    r->magic = EC2GW_REQ_MAGIC;
    r->refs = 1; /* the test's own */
    r->pool = ec2gw_pool_new(4096);
    r->d = &f->d;
    r->gen = &f->gen;
    r->http = (struct evhttp_request *)(uintptr_t)1; /* a client is there */
    r->t_start = ec2gw_now();
    r->identity.project_id = ec2gw_pstrdup(r->pool, project);
    r->identity.access_key = "AKID";
    r->roles_digest = roles;
    r->token = ec2gw_psprintf(r->pool, "token-%s-%s", project, roles);
    snprintf(r->id, sizeof(r->id), "test-share-%d", f->n);
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=test-%d", f->n);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/image", f->g.port);
    r->catalog = json_pack("[{s:s, s:[{s:s, s:s, s:s}]}]", "type", "image", "endpoints",
                           "interface", "public", "region", "RegionOne", "url", url);
    assert_true(f->n < MAX_REQS);
    f->r[f->n++] = r;
    return r;
}

static int
index_of(struct fixture *f, ec2gw_req_t *r)
{
    for (int i = 0; i < f->n; i++)
        if (f->r[i] == r)
            return i;
    fail();
    return -1;
}

static struct fixture *current;

static void
on_done(ec2gw_req_t *r, const ec2gw_os_resp_t *resp, void *arg)
{
    struct call_seen *s = &current->seen[index_of(current, r)];

    (void)arg;
    assert_int_equal(r->magic, EC2GW_REQ_MAGIC); /* never a freed or cancelled request */
    s->calls++;
    s->status = resp->status;
    s->json = resp->json;
    s->n_images = json_array_size(json_object_get(resp->json, "images"));
}

static int
get(ec2gw_req_t *r, const char *path, uint32_t flags)
{
    ec2gw_os_call_t c = EC2GW_OS_CALL("image", "GET", path, .flags = flags);

    return ec2gw_host_api()->os_call(r, &c, on_done, NULL);
}

static int
post(ec2gw_req_t *r, const char *path)
{
    ec2gw_os_call_t c = EC2GW_OS_CALL("image", "POST", path, .flags = 0);

    return ec2gw_host_api()->os_call(r, &c, on_done, NULL);
}

/* Run the loop until every request has no call in flight (or 5 s). */
static void
settle(struct fixture *f)
{
    for (int i = 0; i < 500; i++) {
        int busy = 0;

        for (int k = 0; k < f->n; k++)
            busy |= f->r[k]->refs > 1;
        if (!busy)
            return;
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    fail_msg("calls still in flight");
}

static void
pause_ms(struct fixture *f, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

    event_base_loopexit(f->base, &tv);
    event_base_dispatch(f->base);
}

static void
coalesces_concurrent_reads(void **state)
{
    struct fixture *f = current = *state;
    ec2gw_share_stats_t st;

    for (int i = 0; i < 8; i++)
        assert_int_equal(get(new_req(f, "p1", "r1"), "/v2/images?limit=5", EC2GW_CALL_SHARED),
                         EC2GW_AGAIN);
    settle(f);
    assert_int_equal(f->g.gets, 1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(f->seen[i].calls, 1);
        assert_int_equal(f->seen[i].status, 200);
        assert_int_equal(f->seen[i].n_images, 2);
        assert_ptr_equal(f->seen[i].json, f->seen[0].json); /* one decoded answer */
    }
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.joins, 7);
    assert_int_equal(st.entries, 1);
    assert_true(st.bytes > 0);
    /* the same GET without the flag is always sent */
    assert_int_equal(get(new_req(f, "p1", "r1"), "/v2/images?limit=5", 0), EC2GW_AGAIN);
    settle(f);
    assert_int_equal(f->g.gets, 2);
}

static void
scoped_by_project_and_roles(void **state)
{
    struct fixture *f = current = *state;

    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    get(new_req(f, "p2", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    get(new_req(f, "p1", "admin"), "/v2/images", EC2GW_CALL_SHARED);
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 3);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f->seen[i].status, 200);
    assert_ptr_not_equal(f->seen[0].json, f->seen[1].json);
    assert_ptr_not_equal(f->seen[0].json, f->seen[2].json);
    assert_ptr_equal(f->seen[0].json, f->seen[3].json);
    /* a different query is a different read */
    get(new_req(f, "p1", "r1"), "/v2/images?owner=x", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 4);
}

static void
reused_within_staleness_only(void **state)
{
    struct fixture *f = current = *state;
    ec2gw_share_stats_t st;

    f->gen.conf.describe_staleness_ms = 300;
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f); /* ~40 ms after the call started */
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 1);
    assert_int_equal(f->seen[1].calls, 1);
    assert_int_equal(f->seen[1].n_images, 2);
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.hits, 1);
    pause_ms(f, 350); /* the answer's call started more than 300 ms ago */
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 2);
    assert_int_equal(f->seen[2].status, 200);
    /* the sweep gave the expired entry's memory back without any traffic */
    pause_ms(f, 400);
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
}

static void
write_invalidates(void **state)
{
    struct fixture *f = current = *state;
    ec2gw_share_stats_t st;

    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    get(new_req(f, "p2", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 2);
    post(new_req(f, "p1", "r1"), "/v2/images");
    settle(f);
    assert_int_equal(f->g.posts, 1);
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED); /* sees its write */
    /* another project too: the write may have shared or unshared an image with it */
    get(new_req(f, "p2", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 4);
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.invalidated, 2);
    assert_int_equal(st.hits, 0);
    /* the plugins' os_invalidate() does the same */
    ec2gw_host_api()->os_invalidate(f->r[0], NULL);
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 5);
    assert_int_equal(ec2gw_host_api()->describe_staleness_ms(f->r[0]), 2000);
}

/* A read that starts while a write is in flight may see the old state: the write's end
 * drops it, so a read after the write never joins it. */
static void
write_during_read_in_flight(void **state)
{
    struct fixture *f = current = *state;

    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    post(new_req(f, "p1", "r1"), "/v2/images"); /* answered at once by the stand-in */
    for (int i = 0; i < 50 && f->seen[1].calls == 0; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(f->seen[1].calls, 1);
    assert_int_equal(f->seen[0].calls, 0); /* the GET is still in flight */
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 2);
    assert_int_equal(f->seen[0].status, 200);
    assert_int_equal(f->seen[2].status, 200);
}

static void
staleness_zero_sends_everything(void **state)
{
    struct fixture *f = current = *state;
    ec2gw_share_stats_t st;

    f->gen.conf.describe_staleness_ms = 0;
    for (int i = 0; i < 3; i++)
        get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    get(new_req(f, "p1", "r1"), "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 4);
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.entries + st.misses + st.joins + st.hits, 0);
}

static void
errors_not_reused(void **state)
{
    struct fixture *f = current = *state;

    get(new_req(f, "p1", "r1"), "/v2/images/fail", EC2GW_CALL_SHARED);
    get(new_req(f, "p1", "r1"), "/v2/images/fail", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 1); /* in-flight waiters get the error too */
    assert_int_equal(f->seen[0].status, 500);
    assert_int_equal(f->seen[1].status, 500);
    get(new_req(f, "p1", "r1"), "/v2/images/fail", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 2);
    assert_int_equal(f->seen[2].status, 500);
}

static void
cancel_keeps_shared_call(void **state)
{
    struct fixture *f = current = *state;
    ec2gw_share_stats_t st;
    ec2gw_req_t *a = new_req(f, "p1", "r1"), *b = new_req(f, "p1", "r1");

    get(a, "/v2/images", EC2GW_CALL_SHARED);
    get(b, "/v2/images", EC2GW_CALL_SHARED);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    ec2gw_req_cancel(a); /* a's client went away: b still waits on the call */
    assert_int_equal(a->refs, 1);
    settle(f);
    assert_int_equal(f->g.gets, 1);
    assert_int_equal(f->seen[0].calls, 0);
    assert_int_equal(f->seen[1].calls, 1);
    assert_int_equal(f->seen[1].status, 200);
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.cancelled, 0);
}

static void
cancel_stops_unshared_and_lone_calls(void **state)
{
    struct fixture *f = current = *state;
    ec2gw_share_stats_t st;
    ec2gw_req_t *a = new_req(f, "p1", "r1"), *b = new_req(f, "p2", "r1"), *c;

    get(a, "/v2/images", EC2GW_CALL_SHARED);
    get(b, "/v2/images", 0);
    for (int i = 0; i < 20 && f->g.gets < 2; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(f->g.gets, 2);
    ec2gw_req_cancel(a);
    ec2gw_req_cancel(b);
    assert_int_equal(a->refs, 1);
    assert_int_equal(b->refs, 1);
    pause_ms(f, 150); /* the stand-in answers meanwhile: nobody may see it */
    assert_int_equal(f->seen[0].calls, 0);
    assert_int_equal(f->seen[1].calls, 0);
    ec2gw_os_share_stats(&st);
    assert_int_equal(st.cancelled, 2);
    assert_int_equal(st.entries, 0); /* the lone shared call left no entry to join */
    /* freeing a cancelled request (ASan watches) and starting over works */
    c = new_req(f, "p1", "r1");
    get(c, "/v2/images", EC2GW_CALL_SHARED);
    settle(f);
    assert_int_equal(f->g.gets, 3);
    assert_int_equal(f->seen[2].status, 200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(coalesces_concurrent_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(scoped_by_project_and_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(reused_within_staleness_only, setup, teardown),
        cmocka_unit_test_setup_teardown(write_invalidates, setup, teardown),
        cmocka_unit_test_setup_teardown(write_during_read_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(staleness_zero_sends_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_keeps_shared_call, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_stops_unshared_and_lone_calls, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
