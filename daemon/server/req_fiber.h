/*
 * req_fiber.h - where the daemon runs plugin (and its own request) code from the loop: on a
 * request fiber when the database may park it (MySQL), inline otherwise (SQLite).
 */
#ifndef EC2GW_SERVER_REQ_FIBER_H
#define EC2GW_SERVER_REQ_FIBER_H

#include "server/request.h"

typedef void (*ec2gw_req_body_fn)(ec2gw_req_t *r, void *a, void *b);

/** Run request code on fibers from now on (@p on: the database said so), or inline. */
void ec2gw_req_fibers_enable(int on);

/**
 * Run fn(r, a, b) with r's JSON arena current. With fibers on and on the loop's stack: on a new
 * fiber holding a reference to @p r, so it may park on the database; when @p r already has a
 * parked fiber, queued to run after it on that fiber (a request's callbacks never interleave).
 * Inline otherwise. @p a and @p b must stay valid until it ran (request pool memory).
 */
void ec2gw_req_run(ec2gw_req_t *r, ec2gw_req_body_fn fn, void *a, void *b);

/** Requests with a fiber alive now (parked on the database, or running). */
int ec2gw_req_fibers_active(void);

#endif
