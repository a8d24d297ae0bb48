/*
 * conn.c - client connections from accept to close (conn.h).
 *
 * libevent 2.1.12 creates an evhttp_connection inside its accept callback and tells us nothing
 * more until a whole request has been read, so idle and slow connections went uncounted and
 * unbounded. evhttp_set_bevcb() is its one hook at accept: we make the connection's
 * bufferevent there and count it. The evhttp_connection is the bufferevent's callback argument
 * once evhttp has set it up; a callback activated from the hook binds it right after the
 * accept, before any byte of the connection can be read. Our reference on the bufferevent keeps
 * it valid until then, also if evhttp gave the connection up meanwhile.
 */
#include "server/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "server/request.h"

struct conn {
    struct conn *next; /* hash chain by evcon; the pending list before that */
    ec2gw_daemon_t *d;
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* NULL until bound */
    struct event *deadline;
    struct evbuffer_cb_entry *out_cb;
    char remote[80];
    ec2gw_req_t *req;   /* the request answering it now: cancelled if the client goes first */
    struct event *gone; /* watches the socket for the client's end while req is answered */
    unsigned busy : 1, over_limit : 1, close_after : 1, rewriting : 1, raw : 1;
};

#define CONN_BUCKETS 1024
static struct conn *conns[CONN_BUCKETS];
static struct conn *pending;
static struct event *bind_ev, *resume_ev;
static int fd_paused; /* accept() failed for want of fds: paused for a second */
static long fd_cap;   /* connections the fd limit leaves room for; 0: no cap */
static time_t limit_logged, fd_logged;
static ec2gw_daemon_t *listener_daemon; /* the error callback gets evhttp's argument, not ours */

static unsigned
bucket(const void *p)
{
    return (unsigned)(((uintptr_t)p >> 4) % CONN_BUCKETS);
}

static struct conn *
find(const struct evhttp_connection *evcon)
{
    for (struct conn *c = conns[bucket(evcon)]; c != NULL; c = c->next)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

long
ec2gw_conn_limit(const ec2gw_daemon_t *d)
{
    long max = (long)d->gen->conf.max_connections;

    return fd_cap > 0 && fd_cap < max ? fd_cap : max;
}

/* Accept while below the limits; log a pause at the connection limit once a minute. */
static void
listener_update(ec2gw_daemon_t *d)
{
    int want = !d->draining && !fd_paused && d->connections < ec2gw_conn_limit(d);
    time_t now = time(NULL);

    if (d->listener == NULL)
        return;
    if (want && d->listener_paused) {
        evconnlistener_enable(d->listener);
        d->listener_paused = 0;
    } else if (!want && !d->listener_paused) {
        evconnlistener_disable(d->listener);
        d->listener_paused = 1;
        if (!fd_paused && !d->draining && now - limit_logged >= 60) {
            limit_logged = now;
            ec2gw_log(EC2GW_LOG_WARN, NULL,
                      "connection limit %ld reached; new connections wait in the backlog",
                      ec2gw_conn_limit(d));
        }
    }
    ec2gw_metrics_set_connections(d->connections);
}

static void
arm(struct conn *c, int64_t ms)
{
    struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
                          .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

    if (c->deadline != NULL)
        evtimer_add(c->deadline, &tv);
}

/* No complete request in time: a slow or idle client holds an fd for nothing. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    (void)fd;
    (void)what;
    if (c->busy || c->evcon == NULL)
        return;
    ec2gw_metrics_conn_event("header_timeout");
    ec2gw_log(EC2GW_LOG_DEBUG, NULL, "remote=%s sent no complete request in time; closing",
              c->remote);
    evhttp_connection_free(c->evcon); /* on_close frees c */
}

static void
conn_free(struct conn *c)
{
    ec2gw_daemon_t *d = c->d;

    if (c->out_cb != NULL)
        evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
    if (c->deadline != NULL)
        event_free(c->deadline);
    if (c->gone != NULL)
        event_free(c->gone);
    free(c);
    d->connections--;
    fd_paused = 0; /* an fd was freed */
    listener_update(d);
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct conn **pp = &conns[bucket(evcon)];

    if (c->req != NULL) { /* gone before its answer: stop its OpenStack calls */
        ec2gw_req_t *r = c->req;

        c->req = NULL;
        ec2gw_req_client_gone(r);
    }

    for (; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            conn_free(c);
            return;
        }
    }
}

/* libevent's error pages are written to the output in one go, with nothing after them. */
static void
on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;

    /* the metadata listener's clients are guests' HTTP libraries, not EC2 SDKs */
    if (c->rewriting || c->raw || info->n_added == 0)
        return;
    c->rewriting = 1;
    ec2gw_conn_rewrite_error(c->d, buf, c->remote);
    c->rewriting = 0;
}

static void
conn_bind(struct conn *c, struct evhttp_connection *evcon)
{
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    char *peer = NULL;
    ev_uint16_t port = 0;
    int one = 1;
    unsigned b = bucket(evcon);

    c->evcon = evcon;
    c->next = conns[b];
    conns[b] = c;
    evhttp_connection_set_closecb(evcon, on_close, c);
    /* Answers leave in one or more writes; with Nagle on, a second write waits for the
     * client's delayed ACK (~40 ms on Linux) whenever a response exceeds one buffer. */
    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        ec2gw_log(EC2GW_LOG_DEBUG, NULL, "TCP_NODELAY: %s", strerror(errno));
    evhttp_connection_get_peer(evcon, &peer, &port);
    snprintf(c->remote, sizeof(c->remote), "%s:%u", peer != NULL ? peer : "-", port);
    c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), on_output, c);
    arm(c, c->d->gen->conf.header_timeout_ms);
}

static void
bind_pending(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_daemon_t *d = arg;

    (void)fd;
    (void)what;
    while (pending != NULL) {
        struct conn *c = pending;
        bufferevent_event_cb ecb = NULL;
        void *cbarg = NULL;

        pending = c->next;
        c->next = NULL;
        bufferevent_getcb(c->bev, NULL, NULL, &ecb, &cbarg);
        struct bufferevent *bev = c->bev;

        if (ecb != NULL && cbarg != NULL)
            conn_bind(c, cbarg);
        else /* evhttp gave the connection up (out of memory) */
            conn_free(c);
        bufferevent_decref(bev);
    }
    listener_update(d);
}

static struct bufferevent *
on_accept(struct event_base *base, void *arg)
{
    ec2gw_daemon_t *d = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct conn *c = bev != NULL ? calloc(1, sizeof(*c)) : NULL;

    if (c == NULL) /* out of memory: evhttp goes on with its own bufferevent, uncounted */
        return bev;
    c->d = d;
    c->bev = bev;
    c->deadline = evtimer_new(base, on_deadline, c);
    bufferevent_incref(bev);
    c->next = pending;
    pending = c;
    d->connections++;
    c->over_limit = d->connections > ec2gw_conn_limit(d);
    listener_update(d); /* pauses inside libevent's accept loop, which then stops */
    event_active(bind_ev, EV_TIMEOUT, 0);
    return bev;
}

static void
on_complete(struct evhttp_request *http, void *arg)
{
    ec2gw_daemon_t *d = arg;
    struct conn *c = find(evhttp_request_get_connection(http));

    if (c == NULL)
        return;
    c->busy = 0;
    if (c->close_after) {
        /* evhttp keeps a CONNECT's connection open whatever the headers say: end it here;
         * its next read sees end-of-file and evhttp frees the connection. */
        shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
        return;
    }
    /* A keep-alive connection may idle as long as idle_timeout, then send its next request
     * within the header deadline. */
    arm(c, d->gen->conf.idle_timeout_ms + d->gen->conf.header_timeout_ms);
}

int
ec2gw_conn_request_begin(ec2gw_daemon_t *d, struct evhttp_request *http)
{
    struct conn *c = find(evhttp_request_get_connection(http));

    if (c == NULL)
        return 0;
    c->busy = 1;
    if (c->deadline != NULL)
        evtimer_del(c->deadline);
    evhttp_request_set_on_complete_cb(http, on_complete, d);
    if (!c->over_limit)
        return 0;
    c->over_limit = 0;
    c->close_after = 1;
    return 1;
}

/* libevent 2.1.12 reads nothing from a connection while its request is being answered, so a
 * client that hangs up goes unnoticed until the answer is written: we watch the socket. */
static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    ec2gw_req_t *r = c->req;
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    (void)what;
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
        return; /* a pipelined request: evhttp reads it after this answer */
    if (r == NULL || c->evcon == NULL)
        return;
    c->req = NULL;
    ec2gw_req_client_gone(r);
    evhttp_connection_free(c->evcon); /* frees the evhttp request too; on_close frees c */
}

void
ec2gw_conn_set_request(struct evhttp_request *http, ec2gw_req_t *r)
{
    struct conn *c = find(evhttp_request_get_connection(http));
    evutil_socket_t fd;

    if (c == NULL)
        return;
    c->req = r;
    if (r == NULL) {
        if (c->gone != NULL)
            event_del(c->gone);
        return;
    }
    if (c->gone == NULL && (fd = bufferevent_getfd(c->bev)) >= 0)
        c->gone = event_new(c->d->base, fd, EV_READ, on_readable, c);
    if (c->gone != NULL)
        event_add(c->gone, NULL);
}

void
ec2gw_conn_close_after(struct evhttp_request *http)
{
    struct conn *c = find(evhttp_request_get_connection(http));

    evhttp_add_header(evhttp_request_get_output_headers(http), "Connection", "close");
    if (c != NULL)
        c->close_after = 1;
}

/* accept() failed with nothing accepted, for want of fds or memory. The listening socket
 * stays readable, so libevent would call accept() again at once, forever: stop listening,
 * look again in a second or when a connection closes, and say so once a minute. */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
    ec2gw_daemon_t *d = listener_daemon;
    int e = EVUTIL_SOCKET_ERROR();
    struct timeval again = { 1, 0 };
    time_t now = time(NULL);

    (void)l;
    (void)arg;
    fd_paused = 1;
    listener_update(d);
    event_add(resume_ev, &again);
    ec2gw_metrics_conn_event("accept_error");
    if (now - fd_logged >= 60) {
        fd_logged = now;
        ec2gw_log(EC2GW_LOG_WARN, NULL,
                  "accept: %s with %ld connections open; pausing new connections (raise the "
                  "fd limit or lower limits.max_connections)",
                  evutil_socket_error_to_string(e), d->connections);
    }
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fd_paused = 0;
    listener_update(arg);
}

/* Raise the soft fd limit to the hard one and keep max_connections within it, leaving room
 * for the OpenStack connections, the database and the spool files. */
static void
fit_fd_limit(ec2gw_daemon_t *d)
{
    struct rlimit rl;
    long reserve = 64 + 4 * (long)d->gen->conf.os_max_host_connections;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        rlim_t cur = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = cur;
    }
    if (rl.rlim_cur == RLIM_INFINITY || (long)rl.rlim_cur - reserve >= 1L << 30)
        return;
    fd_cap = (long)rl.rlim_cur - reserve > 16 ? (long)rl.rlim_cur - reserve : 16;
    if (fd_cap < d->gen->conf.max_connections)
        ec2gw_log(EC2GW_LOG_WARN, NULL,
                  "limits.max_connections %lld does not fit the fd limit %llu; serving at most "
                  "%ld connections",
                  (long long)d->gen->conf.max_connections, (unsigned long long)rl.rlim_cur, fd_cap);
}

int
ec2gw_conn_setup(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    bind_ev = event_new(d->base, -1, 0, bind_pending, d);
    resume_ev = evtimer_new(d->base, on_resume, d);
    if (bind_ev == NULL || resume_ev == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    fit_fd_limit(d);
    evhttp_set_bevcb(d->http, on_accept, d);
    listener_daemon = d;
    if (d->listener != NULL)
        evconnlistener_set_error_cb(d->listener, on_accept_error);
    return 0;
}

/* The metadata listener's connections: counted and timed the same, errors left as they are. */
static struct bufferevent *
on_accept_raw(struct event_base *base, void *arg)
{
    struct bufferevent *bev = on_accept(base, arg);

    if (pending != NULL && pending->bev == bev)
        pending->raw = 1;
    return bev;
}

void
ec2gw_conn_attach(ec2gw_daemon_t *d, struct evhttp *http)
{
    evhttp_set_bevcb(http, on_accept_raw, d);
}

void
ec2gw_conn_shutdown(void)
{
    while (pending != NULL) {
        struct conn *c = pending;

        pending = c->next;
        bufferevent_decref(c->bev);
        if (c->deadline != NULL)
            event_free(c->deadline);
        free(c);
    }
    if (bind_ev != NULL)
        event_free(bind_ev);
    if (resume_ev != NULL)
        event_free(resume_ev);
    bind_ev = resume_ev = NULL;
    listener_daemon = NULL;
}
