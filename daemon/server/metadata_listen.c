/*
 * metadata_listen.c - the instance metadata listener (openstack-mapping.md §21): a second
 * evhttp on its own socket behind Neutron's metadata proxy. No EC2 signature: every request
 * goes, raw, to the plugin instance serving EC2GW_ACTION_METADATA, which checks the proxy's
 * signed headers itself. Connections are counted and given deadlines by conn.c as on the EC2
 * listener; answers are plain text, logged and counted by HTTP status only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/rand.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "server/conn.h"
#include "server/req_fiber.h"
#include "server/request.h"

static int
bind_socket(const char *address, int64_t port_num, int *out, ec2gw_err_t *err)
{
    struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC,
                                     .ai_socktype = SOCK_STREAM,
                                     .ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICHOST };
    struct evutil_addrinfo *ai = NULL;
    char port[16];
    int fd;

    snprintf(port, sizeof(port), "%lld", (long long)port_num);
    if (evutil_getaddrinfo(address, port, &hints, &ai) != 0 || ai == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "metadata.address '%s' is not a numeric address",
                             address);
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || evutil_make_listen_socket_reuseable(fd) != 0 ||
        bind(fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        evutil_make_socket_nonblocking(fd) != 0 || evutil_make_socket_closeonexec(fd) != 0) {
        int e = errno;

        if (fd >= 0)
            close(fd);
        evutil_freeaddrinfo(ai);
        return ec2gw_err_set(err, EC2GW_E_FAIL, "metadata: cannot listen on %s:%s: %s", address,
                             port, strerror(e));
    }
    evutil_freeaddrinfo(ai);
    *out = fd;
    return 0;
}

int
ec2gw_metadata_listen(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    const ec2gw_daemon_conf_t *c = &d->gen->conf;

    d->md_listen_fd = -1;
    if (!c->md_enabled)
        return 0;
    if (ec2gw_plugins_route(d->gen->plugins, EC2GW_ACTION_METADATA) == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "metadata.enabled is true but no plugin instance serves the "
                             "metadata listener (add conf.d/50-metadata.yaml: plugin: ec2-v1)");
    /* Drawn before the workers fork, so that each honours the others' IMDSv2 tokens. */
    if (RAND_bytes(d->md_local_key, sizeof(d->md_local_key)) != 1)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "metadata: no random bytes for the token key");
    return bind_socket(c->md_address, c->md_port, &d->md_listen_fd, err);
}

static const char *
reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

void
ec2gw_raw_reply(ec2gw_req_t *r, int status, const char *content_type, const void *body, size_t len)
{
    double secs = ec2gw_now() - r->t_start;

    if (r->answered)
        return;
    r->answered = 1;
    r->status = status;
    r->code = ec2gw_psprintf(r->pool, "%d", status);
    if (r->deadline != NULL)
        evtimer_del(r->deadline);
    if (r->http != NULL) {
        struct evkeyvalq *out = evhttp_request_get_output_headers(r->http);
        struct evbuffer *buf = evbuffer_new();

        evhttp_add_header(out, "Content-Type", content_type ? content_type : "text/plain");
        evhttp_add_header(out, "Server", "EC2ws");
        if (buf != NULL && body != NULL && len > 0)
            evbuffer_add(buf, body, len);
        evhttp_send_reply(r->http, status, reason(status), buf);
        if (buf != NULL)
            evbuffer_free(buf);
    }
    ec2gw_metrics_metadata(status, secs);
    if (r->gen->conf.access_log) {
        char line[900], path[400], project[100];

        snprintf(line, sizeof(line),
                 "metadata remote=%s req=%s method=%s path=%s status=%d ms=%.1f project=%s",
                 r->remote, r->id, r->method ? r->method : "-",
                 ec2gw_log_escape(path, sizeof(path), r->path, 1), status, secs * 1000.0,
                 ec2gw_log_escape(project, sizeof(project), r->identity.project_id, 1));
        ec2gw_log_access(line);
    }
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    default:
        return NULL;
    }
}

/* Headers copied for http_header(); 0, or -1 when they exceed limits.max_header_size. */
static int
read_headers(ec2gw_req_t *r)
{
    struct evkeyval *h;
    size_t total = 0;

    TAILQ_FOREACH(h, evhttp_request_get_input_headers(r->http), next)
    {
        total += strlen(h->key) + strlen(h->value) + 4;
        if ((int64_t)total > r->gen->conf.max_header_bytes ||
            ec2gw_kvlist_add(&r->headers, h->key, h->value) != 0)
            return -1;
    }
    return 0;
}

static void
run_route(ec2gw_req_t *r, void *a, void *b)
{
    (void)a;
    (void)b;
    ec2gw_dispatch_run(r, r->route->inst, r->route->act);
}

static void
on_md_request(struct evhttp_request *http, void *arg)
{
    ec2gw_daemon_t *d = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(http);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int over_limit = ec2gw_conn_request_begin(d, http);
    const ec2gw_route_t *route;
    ec2gw_req_t *r = ec2gw_req_new(d, http);

    if (r == NULL) {
        evhttp_send_error(http, 503, "Service Unavailable");
        return;
    }
    r->raw = 1;
    r->action = EC2GW_ACTION_METADATA;
    r->path = ec2gw_pstrdup(r->pool, path != NULL && path[0] != '\0' ? path : "/");
    r->method = method_name(evhttp_request_get_command(http));
    r->identity.region = r->gen->conf.region;
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=%s metadata", r->id);
    route = ec2gw_plugins_route(r->gen->plugins, EC2GW_ACTION_METADATA);
    if (d->draining) {
        ec2gw_raw_reply(r, 503, NULL, "Shutting down\n", 14);
    } else if (over_limit) {
        ec2gw_raw_reply(r, 503, NULL, "Too many connections\n", 21);
    } else if (r->method == NULL) {
        ec2gw_conn_close_after(http);
        evhttp_add_header(evhttp_request_get_output_headers(http), "Allow", "GET, HEAD, PUT");
        ec2gw_raw_reply(r, 405, NULL, "Method not allowed\n", 19);
    } else if (read_headers(r) != 0) {
        ec2gw_raw_reply(r, 431, NULL, "Request headers too large\n", 26);
    } else if (route == NULL) { /* a reload removed the plugin instance */
        ec2gw_raw_reply(r, 404, NULL, "Not Found\n", 10);
    } else {
        r->route = route;
        ec2gw_req_run(r, run_route, NULL, NULL); /* on a fiber with MySQL (req_fiber.h) */
    }
    ec2gw_req_unref(r);
}

int
ec2gw_metadata_setup(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    const ec2gw_daemon_conf_t *c = &d->gen->conf;
    struct evhttp_bound_socket *bs;

    if (d->md_listen_fd < 0)
        return 0;
    d->md_http = evhttp_new(d->base);
    if (d->md_http == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "cannot create the metadata HTTP server");
    evhttp_set_allowed_methods(d->md_http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                               EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                               EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                               EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(d->md_http, (ev_ssize_t)c->max_header_bytes * 2);
    /* Metadata requests carry no body: a few KiB are more than enough. */
    evhttp_set_max_body_size(d->md_http, 8192);
    evhttp_set_flags(d->md_http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_timeout(d->md_http,
                       (int)(c->idle_timeout_ms / 1000 > 0 ? c->idle_timeout_ms / 1000 : 1));
    evhttp_set_default_content_type(d->md_http, "text/plain");
    evhttp_set_gencb(d->md_http, on_md_request, d);
    bs = evhttp_accept_socket_with_handle(d->md_http, d->md_listen_fd);
    if (bs == NULL)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "metadata: cannot accept on %s:%lld: %s",
                             c->md_address, (long long)c->md_port, strerror(errno));
    d->md_listen_fd = -1;
    d->md_listener = evhttp_bound_socket_get_listener(bs);
    ec2gw_conn_attach(d, d->md_http);
    if (d->worker_id <= 1)
        ec2gw_log(EC2GW_LOG_NOTICE, NULL, "metadata listener on http://%s:%lld", c->md_address,
                  (long long)c->md_port);
    return 0;
}
