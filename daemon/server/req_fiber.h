/*
 * req_fiber.h - where the daemon runs plugin (and its own request) code from the loop: on a
 * request fiber when the database may park it (MySQL), inline otherwise (SQLite).
 *
 * Plugins were written for a loop where their code runs to its end before any other request's:
 * they keep borrowed pointers into their own caches across host calls (nova's instance memo).
 * So plugin code holds a baton: while one request's plugin code is parked on the database, the
 * daemon's own work goes on (HTTP, authentication, /healthz, /metrics, built-in actions such as
 * DescribeRegions and the tag actions, ClientToken claims, OpenStack answers arriving), and
 * other requests' plugin code waits its turn, in order.
 */
#ifndef EC2GW_SERVER_REQ_FIBER_H
#define EC2GW_SERVER_REQ_FIBER_H

#include "server/request.h"

typedef void (*ec2gw_req_body_fn)(ec2gw_req_t *r, void *a, void *b);

struct event_base;

/** Run request code on fibers of the loop @p base from now on (the database said so), or
 * inline (NULL). */
void ec2gw_req_fibers_enable(struct event_base *base);

/**
 * Run fn(r, a, b) with r's JSON arena current. With fibers on and on the loop's stack: on a new
 * fiber holding a reference to @p r, so it may park on the database; when @p r already has a
 * parked fiber, queued to run after it on that fiber (a request's callbacks never interleave).
 * Inline otherwise. @p a and @p b must stay valid until it ran (request pool memory).
 */
void ec2gw_req_run(ec2gw_req_t *r, ec2gw_req_body_fn fn, void *a, void *b);

/** Requests with a fiber alive now (parked on the database, or running). */
int ec2gw_req_fibers_active(void);

/**
 * Around plugin code (an action, a callback): take the baton (waiting for it, parked, after
 * giving back the fiber's idle database connection) and give it back. Nested calls of one
 * fiber nest; without fibers both do nothing.
 */
void ec2gw_req_plugin_enter(void);
void ec2gw_req_plugin_leave(void);

#endif
