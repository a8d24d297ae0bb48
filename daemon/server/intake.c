/*
 * intake.c - the evhttp request callback: limits, reading the request into an ec2gw_req_t,
 * /healthz and /metrics. Everything here runs before the signature is checked, so it is
 * bounded and linear in the size of the request.
 *
 * evhttp's size limits are set to a multiple of ours and we enforce ours here, with clearer
 * messages; what meets evhttp's (and its other refusals) conn_errors.c turns into EC2 XML.
 * Connections are counted and given deadlines from accept in conn.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "server/conn.h"
#include "server/request.h"

/* Copies the headers; *framing is set when Host or Content-Length appears twice, or
 * Content-Length with Transfer-Encoding: a proxy in front may have framed the request
 * differently from evhttp (request smuggling). */
static int
read_headers(ec2gw_req_t *r, size_t *total, int *framing)
{
    struct evkeyvalq *hdrs = evhttp_request_get_input_headers(r->http);
    struct evkeyval *h;
    int n_host = 0, n_length = 0, n_te = 0;

    *total = 0;
    TAILQ_FOREACH(h, hdrs, next)
    {
        *total += strlen(h->key) + strlen(h->value) + 4;
        n_host += strcasecmp(h->key, "Host") == 0;
        n_length += strcasecmp(h->key, "Content-Length") == 0;
        n_te += strcasecmp(h->key, "Transfer-Encoding") == 0;
        if (ec2gw_kvlist_add(&r->headers, h->key, h->value) != 0)
            return -1;
    }
    *framing = n_host > 1 || n_length > 1 || n_te > 1 || (n_length > 0 && n_te > 0);
    return 0;
}

struct origin {
    const char *name;
    int in_query;
};

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct origin *)a)->name, ((const struct origin *)b)->name);
}

/* Merge query and form parameters; a name in both is refused (ec2-protocol.md §2.1). Sorted,
 * not compared pairwise: 8 000 URL x 80 000 body names stalled the loop for seconds. */
static int
merge_params(ec2gw_req_t *r)
{
    size_t n = r->query.n + r->form.n;

    if (r->query.n > 0 && r->form.n > 0) {
        struct origin *all = ec2gw_palloc(r->pool, n * sizeof(*all));

        if (all == NULL)
            return ec2gw_fault_set(NULL, "InternalError", "oom");
        for (size_t i = 0; i < r->query.n; i++)
            all[i] = (struct origin){ r->query.v[i].name, 1 };
        for (size_t i = 0; i < r->form.n; i++)
            all[r->query.n + i] = (struct origin){ r->form.v[i].name, 0 };
        qsort(all, n, sizeof(*all), name_cmp);
        for (size_t i = 1; i < n; i++) {
            if (all[i - 1].in_query != all[i].in_query &&
                strcmp(all[i - 1].name, all[i].name) == 0) {
                ec2gw_req_failf(r, "InvalidParameterCombination",
                                "The parameter %.200s appears in both the URL and the body",
                                all[i].name);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < r->query.n; i++)
        if (ec2gw_kvlist_add(&r->params, r->query.v[i].name, r->query.v[i].value) != 0)
            return ec2gw_fault_set(NULL, "InternalError", "oom");
    for (size_t i = 0; i < r->form.n; i++)
        if (ec2gw_kvlist_add(&r->params, r->form.v[i].name, r->form.v[i].value) != 0)
            return -1;
    return 0;
}

/* Pairs in a form of @p len bytes, counted before any is decoded. */
static size_t
count_pairs(const char *s, size_t len)
{
    size_t n = len > 0;

    for (const char *p = s, *end = s + len; (p = memchr(p, '&', (size_t)(end - p))) != NULL; p++)
        n++;
    return n;
}

/* Version is echoed into the response's xmlns: a date, as every EC2 version is (old ones are
 * served too, ec2-protocol.md §2.3). */
static int
version_ok(const char *v)
{
    static const char pat[] = "dddd-dd-dd";

    for (size_t i = 0; i < sizeof(pat) - 1; i++)
        if (pat[i] == 'd' ? (v[i] < '0' || v[i] > '9') : v[i] != '-')
            return 0;
    int month = (v[5] - '0') * 10 + (v[6] - '0'), day = (v[8] - '0') * 10 + (v[9] - '0');

    return v[10] == '\0' && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* Parameters of the URL and the body, bounded in number, merged, Version checked. */
static int
read_params(ec2gw_req_t *r)
{
    size_t nq = r->raw_query != NULL ? count_pairs(r->raw_query, strlen(r->raw_query)) : 0;
    const char *version;

    if ((int64_t)(nq + r->n_body_pairs) > r->gen->conf.max_params) {
        ec2gw_req_failf(r, "InvalidRequest", "The request has %zu parameters; the limit is %lld",
                        nq + r->n_body_pairs, (long long)r->gen->conf.max_params);
        return -1;
    }
    if (r->n_body_pairs > 0 &&
        ec2gw_kvlist_parse_form(&r->form, (const char *)r->body, r->body_len) != 0) {
        ec2gw_req_failf(r, "MalformedQueryString", "The request body is not a valid form");
        return -1;
    }
    if (r->raw_query != NULL &&
        ec2gw_kvlist_parse_form(&r->query, r->raw_query, strlen(r->raw_query)) != 0) {
        ec2gw_req_failf(r, "MalformedQueryString", "The query string is not valid");
        return -1;
    }
    if (merge_params(r) != 0)
        return -1;
    version = ec2gw_kvlist_get(&r->params, "Version");
    if (version != NULL && version[0] != '\0' && !version_ok(version)) {
        ec2gw_req_failf(r, "NoSuchVersion",
                        "The requested version of the EC2 API does not "
                        "exist; versions are dates such as 2016-11-15");
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
    if (len > 0 &&
        (ctype == NULL || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)) {
        /* A raw NUL would end the value it is in, silently: refused like %00. */
        if (memchr(r->body, '\0', len) != NULL) {
            ec2gw_req_failf(r, "MalformedQueryString", "The request body contains a NUL byte");
            return -1;
        }
        r->n_body_pairs = count_pairs((const char *)r->body, len);
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
    int over_limit = ec2gw_conn_request_begin(d, http);
    ec2gw_req_t *r;
    size_t hdr_bytes = 0;
    int framing = 0;

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
    ec2gw_conn_set_request(http, r); /* a close before the answer cancels it */
    r->path = ec2gw_pstrdup(r->pool, path);
    r->raw_query =
        uri && evhttp_uri_get_query(uri) ? ec2gw_pstrdup(r->pool, evhttp_uri_get_query(uri)) : NULL;
    if (d->draining) {
        ec2gw_req_failf(r, "Unavailable", "The service is shutting down");
    } else if (over_limit) {
        ec2gw_req_failf(r, "RequestLimitExceeded", "Too many connections; retry later");
    } else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
        /* CONNECT would keep its connection whatever we answer: conn.c ends it. */
        ec2gw_conn_close_after(http);
        ec2gw_req_failf(r, "UnsupportedHttpVerb", "EC2 requests are GET or POST");
    } else if (read_headers(r, &hdr_bytes, &framing) != 0) {
        ec2gw_req_failf(r, "InternalError", "Out of memory");
    } else if (framing) {
        ec2gw_conn_close_after(http);
        ec2gw_req_failf(r, "InvalidRequest",
                        "Host, Content-Length and Transfer-Encoding may "
                        "appear once, and not Content-Length with Transfer-Encoding");
    } else if ((int64_t)hdr_bytes > d->gen->conf.max_header_bytes) {
        ec2gw_req_failf(r, "RequestHeaderSectionTooLarge",
                        "The request headers are %zu bytes; the limit is %lld", hdr_bytes,
                        (long long)d->gen->conf.max_header_bytes);
    } else if (read_body(r) == 0) {
        r->method = cmd == EVHTTP_REQ_GET ? "GET" : "POST";
        if (read_params(r) == 0)
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
    /* Every method reaches on_request, which answers the unsupported ones in EC2 XML. */
    evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(d->http, (ev_ssize_t)c->max_header_bytes * 2);
    evhttp_set_max_body_size(d->http, (ev_ssize_t)c->max_body_bytes * 2);
    /* Read (and drop) an oversized body before answering, so that the client sees the answer
     * rather than a reset; the header deadline bounds how long that may take. */
    evhttp_set_flags(d->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_timeout(d->http,
                       (int)(c->idle_timeout_ms / 1000 > 0 ? c->idle_timeout_ms / 1000 : 1));
    evhttp_set_default_content_type(d->http, "text/xml;charset=UTF-8");
    evhttp_set_gencb(d->http, on_request, d);
    /* The socket was bound before any worker forked; evhttp owns (and closes) it from here. */
    bs = evhttp_accept_socket_with_handle(d->http, d->listen_fd);
    if (bs == NULL)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "cannot accept on %s:%lld: %s", c->listen_address,
                             (long long)c->listen_port, strerror(errno));
    d->listen_fd = -1;
    d->listener = evhttp_bound_socket_get_listener(bs);
    return ec2gw_conn_setup(d, err);
}
