/*
 * http_client.h - outbound HTTP on the event loop: libcurl's multi-socket API driven by
 * libevent (one multi handle per loop = one connection cache). Never blocks.
 */
#ifndef EC2GW_OPENSTACK_HTTP_CLIENT_H
#define EC2GW_OPENSTACK_HTTP_CLIENT_H

#include <stddef.h>

struct event_base;

typedef struct ec2gw_http ec2gw_http_t;
typedef struct ec2gw_http_call ec2gw_http_call_t;

/** Completion: runs on the loop once per started call that was not cancelled. */
typedef void (*ec2gw_http_done_fn)(ec2gw_http_call_t *call, void *arg);

/** Result of a finished call; valid until ec2gw_http_call_free. */
typedef struct ec2gw_http_result {
    long status;       /**< HTTP status, 0 on transport failure */
    int timed_out;     /**< the call hit its timeout */
    const char *error; /**< transport error text, or NULL */
    char *body;        /**< NUL-terminated response body */
    size_t body_len;
    const char *request_id;      /**< x-openstack-request-id / x-compute-request-id, or NULL */
    const char *subject_token;   /**< X-Subject-Token (Keystone), or NULL */
    const char *location;        /**< Location, or NULL */
    double seconds;              /**< total time */
    unsigned long long file_len; /**< bytes written to the sink file (ec2gw_http_call_sink_fd) */
} ec2gw_http_result_t;

/** One client per event loop. Returns new (ec2gw_http_free) or NULL. */
ec2gw_http_t *ec2gw_http_new(struct event_base *base, long max_host_connections);

/** Cancel every call in flight (no callbacks) and free the client. */
void ec2gw_http_free(ec2gw_http_t *h);

/**
 * Prepare a call. @p body (may be NULL) is copied. Add headers with ec2gw_http_call_header.
 * Returns new (started calls are freed by the caller inside or after the callback with
 * ec2gw_http_call_free; never-started ones too).
 */
ec2gw_http_call_t *ec2gw_http_call_new(ec2gw_http_t *h, const char *method, const char *url,
                                       const char *body, size_t body_len, long timeout_ms);

/** Add one request header line "Name: value" (copied). 0 or EC2GW_E_NOMEM. */
int ec2gw_http_call_header(ec2gw_http_call_t *c, const char *name, const char *value);

/**
 * Write a 2xx response body to @p fd (borrowed, left open) instead of memory; the bytes
 * written are in result.file_len. Other statuses keep their (error) body in memory, so the
 * caller can still read OpenStack's message. Call before ec2gw_http_call_start.
 */
void ec2gw_http_call_sink_fd(ec2gw_http_call_t *c, int fd);

/**
 * Send @p size bytes of @p fd (borrowed, left open; read with pread from offset 0) as the
 * request body, with Content-Length, instead of a body given to ec2gw_http_call_new. The
 * method stays the one given to ec2gw_http_call_new. Call before ec2gw_http_call_start.
 */
void ec2gw_http_call_source_fd(ec2gw_http_call_t *c, int fd, unsigned long long size);

/** Start the transfer. 0, or negative (then done never runs). */
int ec2gw_http_call_start(ec2gw_http_call_t *c, ec2gw_http_done_fn done, void *arg);

/** The result of a finished call. Borrowed. */
const ec2gw_http_result_t *ec2gw_http_call_result(const ec2gw_http_call_t *c);

/** Stop a call in flight without running its callback, and free it. */
void ec2gw_http_call_cancel(ec2gw_http_call_t *c);

/** Free a finished or never-started call. */
void ec2gw_http_call_free(ec2gw_http_call_t *c);

/** Number of calls in flight. */
size_t ec2gw_http_in_flight(const ec2gw_http_t *h);

#endif
