/*
 * testhost_hook.h - wrappers' OpenStack hooks in the fake host (ABI 1.3), as ec2gwd runs them
 * (daemon/server/os_hook.c): request hooks before a call is scripted, answer hooks before the
 * wrapped instance's callback, which runs with its own instance current.
 */
#ifndef EC2GW_TESTHOST_HOOK_H
#define EC2GW_TESTHOST_HOOK_H

#include "testhost_priv.h"

typedef struct th_hooked th_hooked_t;

/**
 * Run the request hooks that apply to @p call (a copy the caller owns; method, path,
 * microversion and body are replaced by what the hooks left, in r's pool) made by the current
 * instance. *out: NULL when none applies. Returns 0, or EC2GW_E_STATE when a hook refused the
 * call (the request is answered).
 */
int th_hook_request(ec2gw_req_t *r, ec2gw_os_call_t *call, th_hooked_t **out);

/** Record the headers the hooks of @p hk set in the call log's last entry ("headers"). */
void th_hook_log_headers(ec2gw_req_t *r, const th_hooked_t *hk);

/**
 * A callback for os_call()/os_transfer() that runs the answer hooks of @p hk (src's are
 * @p src_hk: a transfer's failed src) and then @p done with the calling instance current.
 * Stores the trampoline's argument in *arg. Returns the trampoline, or NULL (no memory).
 */
ec2gw_os_done_fn th_hook_done(ec2gw_req_t *r, th_hooked_t *hk, th_hooked_t *src_hk,
                              ec2gw_os_done_fn done, void **arg);

/** The same for os_fanout(): @p hks has one entry per call (NULL entries: none). */
ec2gw_os_fanout_fn th_hook_fanout(ec2gw_req_t *r, th_hooked_t **hks, size_t n,
                                  ec2gw_os_fanout_fn done, void **arg);

#endif
