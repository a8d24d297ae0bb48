/*
 * http_client.c - libcurl multi-socket on libevent, after curl's docs/examples/multi-event.c:
 * one event per curl socket (kept with curl_multi_assign), one loop timer that curl arms.
 * The timer callback only (re)arms the libevent timer: calling curl_multi_socket_action from
 * inside CURLMOPT_TIMERFUNCTION re-enters curl (FreeRADIUS hit this in src/lib/curl/io.c).
 */
#include "http_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include <ec2gw/plugin.h>

struct ec2gw_http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    size_t in_flight;
};

struct ec2gw_http_call {
    ec2gw_http_t *h;
    CURL *easy;
    struct curl_slist *headers;
    char *method;
    char *url;
    char *req_body;
    size_t req_body_len;
    char *resp;
    size_t resp_len, resp_cap;
    char *hdr_request_id, *hdr_subject_token, *hdr_location;
    int sink_fd;    /* 2xx body goes here when >= 0 */
    int sink_state; /* 0 undecided, 1 to the file, 2 to memory (not a 2xx) */
    unsigned long long file_len;
    int src_fd; /* request body comes from here when >= 0 */
    curl_off_t src_off;
    ec2gw_http_done_fn done;
    void *arg;
    int started;
    char errbuf[CURL_ERROR_SIZE];
    ec2gw_http_result_t result;
};

struct sock_ctx {
    struct event *ev;
    ec2gw_http_t *h;
};

static void check_multi_info(ec2gw_http_t *h);

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_http_t *h = arg;
    int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;

    curl_multi_socket_action(h->multi, fd, action, &running);
    check_multi_info(h);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_http_t *h = arg;
    int running = 0;

    (void)fd;
    (void)what;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(h);
}

static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    ec2gw_http_t *h = userp;

    (void)multi;
    if (timeout_ms < 0) {
        evtimer_del(h->timer);
    } else {
        struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

        evtimer_add(h->timer, &tv);
    }
    return 0;
}

static int
curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    ec2gw_http_t *h = userp;
    struct sock_ctx *ctx = socketp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (ctx != NULL) {
            event_free(ctx->ev);
            free(ctx);
            curl_multi_assign(h->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
                         ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);

    if (ctx == NULL) {
        ctx = calloc(1, sizeof(*ctx));
        if (ctx == NULL)
            return -1;
        ctx->h = h;
        curl_multi_assign(h->multi, s, ctx);
    } else {
        event_free(ctx->ev);
    }
    ctx->ev = event_new(h->base, s, kind, on_socket_event, h);
    if (ctx->ev == NULL)
        return -1;
    event_add(ctx->ev, NULL);
    return 0;
}

static void
finish_call(ec2gw_http_call_t *c, CURLcode rc)
{
    ec2gw_http_result_t *r = &c->result;

    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME, &r->seconds);
    if (rc != CURLE_OK) {
        r->status = 0;
        r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        r->error = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    }
    r->body = c->resp ? c->resp : (c->resp = calloc(1, 1));
    r->body_len = c->resp_len;
    r->request_id = c->hdr_request_id;
    r->subject_token = c->hdr_subject_token;
    r->location = c->hdr_location;
    r->file_len = c->file_len;
}

static void
check_multi_info(ec2gw_http_t *h)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        ec2gw_http_call_t *c = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        CURLcode rc = msg->data.result;

        curl_multi_remove_handle(h->multi, c->easy);
        c->started = 0;
        h->in_flight--;
        finish_call(c, rc);
        c->done(c, c->arg);
    }
}

/* Nothing is lost if a short write is retried; a failed one aborts the transfer. */
static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Error pages of a sink call stay in memory for their message, but never more than this. */
#define SINK_ERROR_BODY_MAX 65536

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    ec2gw_http_call_t *c = userp;
    size_t n = size * nmemb;

    if (c->sink_fd >= 0) {
        if (c->sink_state == 0) {
            long code = 0;

            curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
            c->sink_state = code >= 200 && code < 300 ? 1 : 2;
        }
        if (c->sink_state == 1) {
            if (write_all(c->sink_fd, data, n) != 0)
                return 0; /* curl ends the call with CURLE_WRITE_ERROR */
            c->file_len += n;
            return n;
        }
        if (c->resp_len + n > SINK_ERROR_BODY_MAX)
            return n;
    }
    if (c->resp_len + n + 1 > c->resp_cap) {
        size_t cap = c->resp_cap ? c->resp_cap : 4096;

        while (cap < c->resp_len + n + 1)
            cap *= 2;
        char *p = realloc(c->resp, cap);

        if (p == NULL)
            return 0;
        c->resp = p;
        c->resp_cap = cap;
    }
    memcpy(c->resp + c->resp_len, data, n);
    c->resp_len += n;
    c->resp[c->resp_len] = '\0';
    return n;
}

/* Keep the few response headers the daemon and plugins read. */
static void
keep_header(char **slot, const char *value, size_t len)
{
    while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' '))
        len--;
    while (len > 0 && *value == ' ') {
        value++;
        len--;
    }
    free(*slot);
    *slot = strndup(value, len);
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    ec2gw_http_call_t *c = userp;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);

    if (colon == NULL)
        return n;
    size_t name_len = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = n - name_len - 1;

    if (name_len == 22 && strncasecmp(data, "x-openstack-request-id", 22) == 0)
        keep_header(&c->hdr_request_id, v, vlen);
    else if (name_len == 20 && strncasecmp(data, "x-compute-request-id", 20) == 0 &&
             c->hdr_request_id == NULL)
        keep_header(&c->hdr_request_id, v, vlen);
    else if (name_len == 15 && strncasecmp(data, "x-subject-token", 15) == 0)
        keep_header(&c->hdr_subject_token, v, vlen);
    else if (name_len == 8 && strncasecmp(data, "location", 8) == 0)
        keep_header(&c->hdr_location, v, vlen);
    return n;
}

ec2gw_http_t *
ec2gw_http_new(struct event_base *base, long max_host_connections)
{
    ec2gw_http_t *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->base = base;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, on_timer, h);
    if (h->multi == NULL || h->timer == NULL) {
        ec2gw_http_free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, max_host_connections * 8);
    return h;
}

void
ec2gw_http_free(ec2gw_http_t *h)
{
    if (h == NULL)
        return;
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    if (h->timer != NULL)
        event_free(h->timer);
    free(h);
}

ec2gw_http_call_t *
ec2gw_http_call_new(ec2gw_http_t *h, const char *method, const char *url, const char *body,
                    size_t body_len, long timeout_ms)
{
    ec2gw_http_call_t *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->h = h;
    c->sink_fd = -1;
    c->src_fd = -1;
    c->easy = curl_easy_init();
    c->method = strdup(method);
    c->url = strdup(url);
    if (body != NULL) {
        c->req_body = malloc(body_len + 1);
        if (c->req_body != NULL) {
            memcpy(c->req_body, body, body_len);
            c->req_body[body_len] = '\0';
        }
        c->req_body_len = body_len;
    }
    if (c->easy == NULL || c->method == NULL || c->url == NULL ||
        (body != NULL && c->req_body == NULL)) {
        ec2gw_http_call_free(c);
        return NULL;
    }
    curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, (char *)c);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    /* libcurl sends a request again, unasked, when the reused connection it went out on turns
     * out closed: a POST (a server create) must go out once, on a connection of its own. */
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, 1L);
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, c->method);
        if (c->req_body != NULL) {
            curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->req_body);
            curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->req_body_len);
        } else if (strcmp(method, "DELETE") != 0 && strcmp(method, "HEAD") != 0) {
            /* An empty POST/PUT/PATCH still says Content-Length: 0 (Glance's empty upload). */
            curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        }
    }
    /* curl adds "Expect: 100-continue" to larger bodies; OpenStack APIs gain nothing from it. */
    ec2gw_http_call_header(c, "Expect", "");
    return c;
}

int
ec2gw_http_call_header(ec2gw_http_call_t *c, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    struct curl_slist *l;

    if (line == NULL)
        return EC2GW_E_NOMEM;
    /* "Name;" is curl's spelling for a header with an empty value; "Name:" removes it. */
    snprintf(line, n, value[0] ? "%s: %s" : "%s:%s", name, value);
    l = curl_slist_append(c->headers, line);
    free(line);
    if (l == NULL)
        return EC2GW_E_NOMEM;
    c->headers = l;
    return 0;
}

void
ec2gw_http_call_sink_fd(ec2gw_http_call_t *c, int fd)
{
    c->sink_fd = fd;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *userp)
{
    ec2gw_http_call_t *c = userp;
    ssize_t n;

    do
        n = pread(c->src_fd, buf, size * nitems, (off_t)c->src_off);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return CURL_READFUNC_ABORT;
    c->src_off += n;
    return (size_t)n;
}

/* curl rewinds the body when it has to send it again (a reused connection that had closed). */
static int
on_seek(void *userp, curl_off_t offset, int origin)
{
    ec2gw_http_call_t *c = userp;

    if (origin != SEEK_SET)
        return CURL_SEEKFUNC_CANTSEEK;
    c->src_off = offset;
    return CURL_SEEKFUNC_OK;
}

void
ec2gw_http_call_source_fd(ec2gw_http_call_t *c, int fd, unsigned long long size)
{
    c->src_fd = fd;
    c->src_off = 0;
    /* POSTFIELDS (set for body-less PUT/POST) would win over the read callback; UPLOAD comes
     * last so that curl sends the file, and CUSTOMREQUEST keeps the caller's method. */
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c->easy, CURLOPT_READDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c->easy, CURLOPT_SEEKDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
}

int
ec2gw_http_call_start(ec2gw_http_call_t *c, ec2gw_http_done_fn done, void *arg)
{
    c->done = done;
    c->arg = arg;
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    if (curl_multi_add_handle(c->h->multi, c->easy) != CURLM_OK)
        return EC2GW_E_FAIL;
    c->started = 1;
    c->h->in_flight++;
    return 0;
}

const ec2gw_http_result_t *
ec2gw_http_call_result(const ec2gw_http_call_t *c)
{
    return &c->result;
}

void
ec2gw_http_call_cancel(ec2gw_http_call_t *c)
{
    if (c == NULL)
        return;
    if (c->started) {
        curl_multi_remove_handle(c->h->multi, c->easy);
        c->h->in_flight--;
        c->started = 0;
    }
    ec2gw_http_call_free(c);
}

void
ec2gw_http_call_free(ec2gw_http_call_t *c)
{
    if (c == NULL)
        return;
    if (c->easy != NULL)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    free(c->method);
    free(c->url);
    free(c->req_body);
    free(c->resp);
    free(c->hdr_request_id);
    free(c->hdr_subject_token);
    free(c->hdr_location);
    free(c);
}

size_t
ec2gw_http_in_flight(const ec2gw_http_t *h)
{
    return h->in_flight;
}
