/*
 * test_host_io.c - the daemon's after() (daemon/server/host_timer.c) and os_transfer()
 * (daemon/server/os_transfer.c) through the real host table, on a real event loop, with a
 * loopback evhttp server standing in for Glance: a 3 MiB body streamed GET → PUT with its
 * bytes and size intact, src and dst failures, a transfer and a timer of a request that ends
 * meanwhile (no callback, the reference given back), and the deadline refusal.
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
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/json_arena.h"
#include "server/request.h"

#define BODY_LEN (3u * 1024u * 1024u + 17u)

/* What the stand-in Glance saw. */
struct glance {
    struct evhttp *http;
    int port;
    size_t put_len;
    uint64_t put_hash;
    char put_type[64];
    char put_token[64];
    int puts, gets;
    struct evhttp_request *held; /* a GET left unanswered */
};

struct fixture {
    struct event_base *base;
    ec2gw_daemon_t d;
    ec2gw_generation_t gen;
    ec2gw_req_t *r;
    struct glance g;
    char dir[64];
    /* the plugin side */
    int calls;
    ec2gw_os_resp_t resp;
    char resp_location[128];
};

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static unsigned char
pattern(size_t i)
{
    return (unsigned char)((i * 31u + i / 4096u) & 0xff);
}

static uint64_t
pattern_hash(void)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < BODY_LEN; i++) {
        unsigned char c = pattern(i);

        h = fnv(h, &c, 1);
    }
    return h;
}

static void
on_glance(struct evhttp_request *req, void *arg)
{
    struct glance *g = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evbuffer *out = evbuffer_new();

    if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
        g->gets++;
        if (strcmp(path, "/image/v2/images/src/file") == 0) {
            unsigned char *b = malloc(BODY_LEN);

            for (size_t i = 0; i < BODY_LEN; i++)
                b[i] = pattern(i);
            evbuffer_add(out, b, BODY_LEN);
            free(b);
            evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                              "application/octet-stream");
            evhttp_send_reply(req, 200, "OK", out);
        } else if (strcmp(path, "/image/v2/images/slow/file") == 0) {
            g->held = req; /* answered (or dropped) by the test */
        } else {
            evbuffer_add_printf(out, "404 Not Found\n\nNo image found with ID x\n\n");
            evhttp_send_reply(req, 404, "Not Found", out);
        }
    } else {
        struct evbuffer *body = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(body);
        const char *ct = evhttp_find_header(in, "Content-Type");
        const char *tok = evhttp_find_header(in, "X-Auth-Token");

        g->puts++;
        g->put_len = n;
        g->put_hash = fnv(14695981039346656037ull, evbuffer_pullup(body, -1), n);
        snprintf(g->put_type, sizeof(g->put_type), "%s", ct ? ct : "");
        snprintf(g->put_token, sizeof(g->put_token), "%s", tok ? tok : "");
        if (strcmp(path, "/image/v2/images/bad/file") == 0) {
            evbuffer_add_printf(out, "500 Internal Server Error\n\nboom\n");
            evhttp_send_reply(req, 500, "Internal Server Error", out);
        } else {
            evhttp_send_reply(req, 204, "No Content", NULL);
        }
    }
    evbuffer_free(out);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct evhttp_bound_socket *bs;
    char url[128], path[128];
    json_t *cat;

    f->base = event_base_new();
    f->g.http = evhttp_new(f->base);
    evhttp_set_allowed_methods(f->g.http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT);
    evhttp_set_max_body_size(f->g.http, 16 * 1024 * 1024);
    evhttp_set_gencb(f->g.http, on_glance, &f->g);
    bs = evhttp_bind_socket_with_handle(f->g.http, "127.0.0.1", 0);
    assert_non_null(bs);
    {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len);
        f->g.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    snprintf(f->dir, sizeof(f->dir), "/tmp/ec2gw-hostio-XXXXXX");
    assert_non_null(mkdtemp(f->dir));

    f->gen.conf.request_timeout_ms = 20000;
    /* The spool goes next to the database: into f->dir, which must stay empty. */
    snprintf(path, sizeof(path), "%s/db.sqlite", f->dir);
    f->gen.conf.database = strdup(path);
    f->gen.conf.keystone.interface = "public";
    f->gen.refs = 1;
    f->d.base = f->base;
    f->d.client = ec2gw_http_new(f->base, 4);
    f->d.gen = f->d.first = &f->gen;

    f->r = calloc(1, sizeof(*f->r));
    f->r->magic = EC2GW_REQ_MAGIC;
    f->r->refs = 1; /* the test's own */
    f->r->pool = ec2gw_pool_new(4096);
    f->r->d = &f->d;
    f->r->gen = &f->gen;
    f->r->http = (struct evhttp_request *)(uintptr_t)1; /* a client is there */
    f->r->t_start = ec2gw_now();
    f->r->token = "token-of-the-caller";
    f->r->identity.access_key = "AKID";
    snprintf(f->r->id, sizeof(f->r->id), "test-host-io");
    snprintf(f->r->log_prefix, sizeof(f->r->log_prefix), "req=test");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/image", f->g.port);
    cat = json_pack("[{s:s, s:[{s:s, s:s, s:s}]}]", "type", "image", "endpoints", "interface",
                    "public", "region", "RegionOne", "url", url);
    f->r->catalog = cat;
    *state = f;
    return 0;
}

/* The spool directory holds no file: O_TMPFILE (or unlink) left nothing behind. */
static int
dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    return n;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(dir_entries(f->dir), 0);
    ec2gw_pool_free(f->r->pool);
    json_decref(f->r->catalog);
    free(f->r);
    if (f->g.held != NULL)
        evhttp_send_reply(f->g.held, 500, "gone", NULL);
    ec2gw_http_free(f->d.client);
    evhttp_free(f->g.http);
    event_base_free(f->base);
    rmdir(f->dir);
    free((char *)(uintptr_t)f->gen.conf.database);
    free(f);
    return 0;
}

static void
on_done(ec2gw_req_t *r, const ec2gw_os_resp_t *resp, void *arg)
{
    struct fixture *f = arg;

    (void)r;
    f->calls++;
    f->resp = *resp;
    snprintf(f->resp_location, sizeof(f->resp_location), "%s",
             resp->location ? resp->location : "");
    event_base_loopbreak(f->base);
}

/* Run the loop until the plugin's callback ran or @p ms passed. */
static void
run_for(struct fixture *f, int ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

    event_base_loopexit(f->base, &tv);
    event_base_dispatch(f->base);
}

static int
transfer(struct fixture *f, const char *src_id, const char *dst_id)
{
    char src_path[64], dst_path[64];
    ec2gw_os_call_t src, dst;
    const ec2gw_host_api_t *api = ec2gw_host_api();

    assert_true(EC2GW_HOST_HAS(api, os_transfer));
    snprintf(src_path, sizeof(src_path), "/v2/images/%s/file", src_id);
    snprintf(dst_path, sizeof(dst_path), "/v2/images/%s/file", dst_id);
    src = EC2GW_OS_GET("image", src_path);
    dst = EC2GW_OS_CALL("image", "PUT", dst_path, .content_type = "application/octet-stream");
    return api->os_transfer(f->r, &src, &dst, on_done, f);
}

static void
streams_the_body(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(transfer(f, "src", "dst"), EC2GW_AGAIN);
    assert_int_equal(f->r->refs, 2); /* the transfer holds the request */
    run_for(f, 15000);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->resp.status, 204);
    assert_int_equal(f->g.gets, 1);
    assert_int_equal(f->g.puts, 1);
    assert_int_equal(f->g.put_len, BODY_LEN);
    assert_true(f->g.put_hash == pattern_hash());
    assert_string_equal(f->g.put_type, "application/octet-stream");
    assert_string_equal(f->g.put_token, "token-of-the-caller");
    assert_string_equal(f->resp_location, "");
    assert_int_equal(f->r->refs, 1);
}

static void
src_fails(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(transfer(f, "missing", "dst"), EC2GW_AGAIN);
    run_for(f, 10000);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->resp.status, 404);
    assert_string_equal(f->resp_location, "/v2/images/missing/file"); /* src's: told apart */
    assert_int_equal(f->g.puts, 0);
    assert_int_equal(f->r->refs, 1);
}

static void
dst_fails(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(transfer(f, "src", "bad"), EC2GW_AGAIN);
    run_for(f, 15000);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->resp.status, 500);
    assert_string_equal(f->resp_location, "");
    assert_int_equal(f->g.put_len, BODY_LEN);
    assert_int_equal(f->r->refs, 1);
}

static void
end_request(evutil_socket_t fd, short what, void *arg)
{
    struct fixture *f = arg;

    (void)fd;
    (void)what;
    f->r->answered = 1; /* as the deadline does */
}

/* The request is answered while src still downloads: aborted, no callback, reference back. */
static void
transfer_of_ended_request(void **state)
{
    struct fixture *f = *state;
    struct timeval tv = { 0, 200 * 1000 };
    double t0 = ec2gw_now();

    event_base_once(f->base, -1, EV_TIMEOUT, end_request, f, &tv);
    assert_int_equal(transfer(f, "slow", "dst"), EC2GW_AGAIN);
    for (int i = 0; i < 40 && f->r->refs > 1; i++)
        run_for(f, 100);
    assert_int_equal(f->r->refs, 1);
    assert_int_equal(f->calls, 0);
    assert_true(ec2gw_now() - t0 < 3.0); /* the progress check, not the timeout */
    assert_int_equal(transfer(f, "src", "dst"), EC2GW_E_STATE);
}

static void
on_timer(ec2gw_req_t *r, void *arg)
{
    struct fixture *f = arg;

    (void)r;
    f->calls++;
    event_base_loopbreak(f->base);
}

static void
timers(void **state)
{
    struct fixture *f = *state;
    const ec2gw_host_api_t *api = ec2gw_host_api();
    double t0 = ec2gw_now();

    assert_true(EC2GW_HOST_HAS(api, after));
    assert_int_equal(api->after(f->r, 50, on_timer, f), EC2GW_AGAIN);
    assert_int_equal(f->r->refs, 2);
    run_for(f, 5000);
    assert_int_equal(f->calls, 1);
    assert_true(ec2gw_now() - t0 >= 0.045);
    assert_int_equal(f->r->refs, 1);
    /* longer than one slice: still one call, on time */
    t0 = ec2gw_now();
    assert_int_equal(api->after(f->r, 1300, on_timer, f), EC2GW_AGAIN);
    run_for(f, 5000);
    assert_int_equal(f->calls, 2);
    assert_true(ec2gw_now() - t0 >= 1.25);
    assert_int_equal(f->r->refs, 1);
    /* beyond the deadline (20 s after the start): refused, so the plugin can still answer */
    assert_int_equal(api->after(f->r, 30000, on_timer, f), EC2GW_E_INVAL);
    assert_int_equal(api->after(f->r, -1, on_timer, f), EC2GW_E_INVAL);
    assert_int_equal(f->r->refs, 1);
    /* the request ends before the timer is due: it never runs, the reference comes back soon */
    t0 = ec2gw_now();
    assert_int_equal(api->after(f->r, 10000, on_timer, f), EC2GW_AGAIN);
    f->r->http = NULL; /* the client went away */
    for (int i = 0; i < 30 && f->r->refs > 1; i++)
        run_for(f, 100);
    assert_int_equal(f->r->refs, 1);
    assert_int_equal(f->calls, 2);
    assert_true(ec2gw_now() - t0 < 2.0);
    assert_int_equal(api->after(f->r, 10, on_timer, f), EC2GW_E_STATE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(streams_the_body, setup, teardown),
        cmocka_unit_test_setup_teardown(src_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(dst_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(transfer_of_ended_request, setup, teardown),
        cmocka_unit_test_setup_teardown(timers, setup, teardown),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ec2gw_json_arena_init(); /* as ec2gwd: callbacks' JSON in the request's arena */
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
