/*
 * intake.c - the evhttp request callback: limits, connection accounting, reading the request
 * into an ec2gw_req_t, /healthz and /metrics.
 *
 * libevent 2.1.12 has no connection limit and answers its own hard limits (header and body
 * size) with an HTML page. So evhttp's limits are set to a multiple of ours and we enforce
 * ours here, with EC2 error documents; only grossly oversized requests meet evhttp's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "server/request.h"

/* Connections are counted at their first request and uncounted when evhttp closes them. */
struct conn_node {
    struct conn_node *next;
    struct evhttp_connection *evcon;
};

#define CONN_BUCKETS 1024
static struct conn_node *conns[CONN_BUCKETS];

static unsigned
conn_bucket(const void *p)
{
    return (unsigned)(((uintptr_t)p >> 4) % CONN_BUCKETS);
}

static void
on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    ec2gw_daemon_t *d = arg;
    struct conn_node **pp = &conns[conn_bucket(evcon)];

    for (; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->evcon == evcon) {
            struct conn_node *n = *pp;

            *pp = n->next;
            free(n);
            d->connections--;
            break;
        }
    }
    if (d->listener_paused && d->connections < d->gen->conf.max_connections && !d->draining) {
        evconnlistener_enable(d->listener);
        d->listener_paused = 0;
    }
    ec2gw_metrics_set_connections(d->connections);
}

/* Answers leave in one or more writes; with Nagle on, a second write waits for the client's
 * delayed ACK (~40 ms on Linux) whenever a response exceeds one buffer (16 KB). */
static void
conn_nodelay(struct evhttp_connection *evcon)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    int one = 1;

    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        ec2gw_log(EC2GW_LOG_DEBUG, NULL, "TCP_NODELAY: %s", strerror(errno));
}

/* Returns 1 when the connection is new. */
static int
conn_track(ec2gw_daemon_t *d, struct evhttp_connection *evcon)
{
    unsigned b = conn_bucket(evcon);

    for (struct conn_node *n = conns[b]; n != NULL; n = n->next)
        if (n->evcon == evcon)
            return 0;
    struct conn_node *n = malloc(sizeof(*n));

    if (n == NULL)
        return 0;
    n->evcon = evcon;
    n->next = conns[b];
    conns[b] = n;
    d->connections++;
    conn_nodelay(evcon);
    evhttp_connection_set_closecb(evcon, on_conn_close, d);
    if (d->connections >= d->gen->conf.max_connections && !d->listener_paused) {
        /* Stop accepting until a connection closes (nginx's worker_connections behaviour). */
        evconnlistener_disable(d->listener);
        d->listener_paused = 1;
        ec2gw_log(EC2GW_LOG_WARN, NULL, "connection limit %ld reached; not accepting for now",
                  (long)d->gen->conf.max_connections);
    }
    ec2gw_metrics_set_connections(d->connections);
    return 1;
}

static int
read_headers(ec2gw_req_t *r, size_t *total)
{
    struct evkeyvalq *hdrs = evhttp_request_get_input_headers(r->http);
    struct evkeyval *h;

    *total = 0;
    TAILQ_FOREACH(h, hdrs, next)
    {
        *total += strlen(h->key) + strlen(h->value) + 4;
        if (ec2gw_kvlist_add(&r->headers, h->key, h->value) != 0)
            return -1;
    }
    return 0;
}

/* Merge query and form parameters; a name in both is refused (ec2-protocol.md §2.1). */
static int
merge_params(ec2gw_req_t *r)
{
    for (size_t i = 0; i < r->query.n; i++)
        if (ec2gw_kvlist_add(&r->params, r->query.v[i].name, r->query.v[i].value) != 0)
            return ec2gw_fault_set(NULL, "InternalError", "oom");
    for (size_t i = 0; i < r->form.n; i++) {
        if (ec2gw_kvlist_get(&r->query, r->form.v[i].name) != NULL) {
            ec2gw_req_failf(r, "InvalidParameterCombination",
                            "The parameter %s appears in both the URL and the body",
                            r->form.v[i].name);
            return -1;
        }
        if (ec2gw_kvlist_add(&r->params, r->form.v[i].name, r->form.v[i].value) != 0)
            return -1;
    }
    return 0;
}

static int
read_body(ec2gw_req_t *r)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->http);
    size_t len = evbuffer_get_length(in);
    const char *ctype = ec2gw_kvlist_get_ci(&r->headers, "Content-Type");

    if ((int64_t)len > r->gen->conf.max_body_bytes) {
        ec2gw_req_failf(r, "RequestEntityTooLarge",
                        "The request body is %zu bytes; the limit is %lld", len,
                        (long long)r->gen->conf.max_body_bytes);
        return -1;
    }
    r->body = ec2gw_palloc(r->pool, len + 1);
    if (r->body == NULL)
        return -1;
    evbuffer_copyout(in, r->body, len);
    r->body[len] = '\0';
    r->body_len = len;
    if (len > 0 && (ctype == NULL ||
                    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)) {
        if (ec2gw_kvlist_parse_form(&r->form, (const char *)r->body, len) != 0) {
            ec2gw_req_failf(r, "MalformedQueryString", "The request body is not a valid form");
            return -1;
        }
    }
    return 0;
}

static void
on_request(struct evhttp_request *http, void *arg)
{
    ec2gw_daemon_t *d = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(http);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(http);
    int is_new = conn_track(d, evhttp_request_get_connection(http));
    ec2gw_req_t *r;
    size_t hdr_bytes = 0;

    if (path == NULL || path[0] == '\0')
        path = "/";
    if (cmd == EVHTTP_REQ_GET && (strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0)) {
        ec2gw_ops_serve(d, http, path);
        return;
    }
    r = ec2gw_req_new(d, http);
    if (r == NULL) {
        evhttp_send_error(http, 503, "Service Unavailable");
        return;
    }
    r->path = ec2gw_pstrdup(r->pool, path);
    r->raw_query = uri && evhttp_uri_get_query(uri) ? ec2gw_pstrdup(r->pool, evhttp_uri_get_query(uri)) : NULL;
    if (d->draining) {
        ec2gw_req_failf(r, "Unavailable", "The service is shutting down");
    } else if (is_new && d->connections > d->gen->conf.max_connections) {
        ec2gw_req_failf(r, "RequestLimitExceeded", "Too many connections; retry later");
    } else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
        ec2gw_req_failf(r, "UnsupportedHttpVerb", "EC2 requests are GET or POST");
    } else if (read_headers(r, &hdr_bytes) != 0) {
        ec2gw_req_failf(r, "InternalError", "Out of memory");
    } else if ((int64_t)hdr_bytes > d->gen->conf.max_header_bytes) {
        ec2gw_req_failf(r, "RequestHeaderSectionTooLarge",
                        "The request headers are %zu bytes; the limit is %lld", hdr_bytes,
                        (long long)d->gen->conf.max_header_bytes);
    } else if (read_body(r) == 0) {
        r->method = cmd == EVHTTP_REQ_GET ? "GET" : "POST";
        if (r->raw_query != NULL &&
            ec2gw_kvlist_parse_form(&r->query, r->raw_query, strlen(r->raw_query)) != 0)
            ec2gw_req_failf(r, "MalformedQueryString", "The query string is not valid");
        else if (merge_params(r) == 0)
            ec2gw_req_process(r);
    }
    ec2gw_req_unref(r);
}

int ec2gw_intake_setup(ec2gw_daemon_t *d, ec2gw_err_t *err);

int
ec2gw_intake_setup(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    const ec2gw_daemon_conf_t *c = &d->gen->conf;
    struct evhttp_bound_socket *bs;

    d->http = evhttp_new(d->base);
    if (d->http == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "cannot create the HTTP server");
    evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(d->http, (ev_ssize_t)c->max_header_bytes * 2);
    evhttp_set_max_body_size(d->http, (ev_ssize_t)c->max_body_bytes * 2);
    evhttp_set_timeout(d->http, (int)(c->idle_timeout_ms / 1000 > 0 ? c->idle_timeout_ms / 1000 : 1));
    evhttp_set_default_content_type(d->http, "text/xml;charset=UTF-8");
    evhttp_set_gencb(d->http, on_request, d);
    /* The socket was bound before any worker forked; evhttp owns (and closes) it from here. */
    bs = evhttp_accept_socket_with_handle(d->http, d->listen_fd);
    if (bs == NULL)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "cannot accept on %s:%lld: %s",
                             c->listen_address, (long long)c->listen_port, strerror(errno));
    d->listen_fd = -1;
    d->listener = evhttp_bound_socket_get_listener(bs);
    return 0;
}
