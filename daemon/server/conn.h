/*
 * conn.h - client connections from accept to close: counted towards max_connections from
 * accept, closed by a deadline until their request has arrived (slow-loris), accept paused
 * at the connection and fd limits, and libevent's own HTML refusals rewritten as EC2 XML.
 */
#ifndef EC2GW_SERVER_CONN_H
#define EC2GW_SERVER_CONN_H

#include "core/err.h"
#include "server/daemon.h"

struct evbuffer;
struct evhttp;
struct evhttp_request;

/** Hook accounting into d->http and d->listener (after the socket is accepted on). */
int ec2gw_conn_setup(ec2gw_daemon_t *d, ec2gw_err_t *err);

/**
 * Count and time another listener's connections (the metadata listener's) the same way; their
 * libevent error pages are not rewritten as EC2 XML.
 */
void ec2gw_conn_attach(ec2gw_daemon_t *d, struct evhttp *http);

/** Free what ec2gw_conn_setup() made (after evhttp_free(), which closes every connection). */
void ec2gw_conn_shutdown(void);

/**
 * A request of @p http's connection has arrived: its deadline stops until the answer is
 * written. Returns 1 when the connection was accepted over the limit (answer it with
 * RequestLimitExceeded), else 0.
 */
int ec2gw_conn_request_begin(ec2gw_daemon_t *d, struct evhttp_request *http);

/**
 * @p r answers @p http from now on (NULL: it has answered): if the client closes the
 * connection first, ec2gw_req_client_gone(r) cancels its OpenStack calls.
 */
void ec2gw_conn_set_request(struct evhttp_request *http, struct ec2gw_req *r);

/** Close @p http's connection once its answer is written (CONNECT, ambiguous framing). */
void ec2gw_conn_close_after(struct evhttp_request *http);

/** The connection limit in force: max_connections, lowered to fit the fd limit. */
long ec2gw_conn_limit(const ec2gw_daemon_t *d);

/**
 * If @p out holds one of libevent's own HTML error pages (its refusals of malformed,
 * oversized or unsupported requests, which 2.1.12 sends without asking us), replace it with
 * the EC2 error document for the same status, count it and log it. Returns 1 if replaced.
 */
int ec2gw_conn_rewrite_error(ec2gw_daemon_t *d, struct evbuffer *out, const char *remote);

#endif
