/*
 * client_token.h - ClientToken idempotency records: (project, action, token) → hash of the
 * parameters and the response model, kept at least 24 hours; a pending record carries its
 * owner and lease so that one left by a killed process is recovered, never a live one.
 */
#ifndef EC2GW_DATA_CLIENT_TOKEN_H
#define EC2GW_DATA_CLIENT_TOKEN_H

#include <jansson.h>

#include "core/fault.h"
#include "data/db.h"

typedef enum ec2gw_ctok_state {
    EC2GW_CTOK_NEW = 0,  /**< no record: a record in state pending was written; go ahead */
    EC2GW_CTOK_DONE,     /**< answered before: *result is the stored model */
    EC2GW_CTOK_PENDING,  /**< a request with this token is still running */
    EC2GW_CTOK_ORPHANED, /**< its owner is gone, but what it sent may still land: wait_s */
    EC2GW_CTOK_RECOVER,  /**< an orphaned claim taken over: run the action again; it must
                          *   find what the first attempt made instead of making it twice */
    EC2GW_CTOK_LOST,     /**< orphaned, and the action cannot be run again (not rerun) */
} ec2gw_ctok_state_t;

/**
 * How long claims live. A claim is held by its owner (this process, ec2gw_claim_owner_self)
 * until its lease ends; it is orphaned when the lease ended or, sooner, when the owner is a
 * process of this machine that is gone (kill -9). An orphaned claim is taken over only
 * settle_s after its owner stopped (the lease's end, or when its death was first seen): an
 * OpenStack call the owner sent may still be creating something until then.
 */
typedef struct ec2gw_ctok_opts {
    long long lease_s;  /**< the longest a request runs (limits.request_timeout) */
    long long settle_s; /**< the longest an OpenStack call runs (openstack.timeout) */
    int rerun;          /**< the action may run again for an orphaned claim (finds what an
                         *   earlier attempt made: EC2GW_ACT_CLIENT_TOKEN_RERUN) */
    long long wait_s;   /**< out: with EC2GW_CTOK_ORPHANED, seconds until it can be taken over */
} ec2gw_ctok_opts_t;

/** Defaults (the daemon's) for callers without options: 120 s and 60 s, no rerun. */
#define EC2GW_CTOK_LEASE_S  120
#define EC2GW_CTOK_SETTLE_S 60

/**
 * Look up and, when absent, claim a token. @p params_hash identifies the parameters (hex);
 * the same token with another hash → -1 with IdempotentParameterMismatch. @p opts may be
 * NULL (defaults). *result returns new on EC2GW_CTOK_DONE. Returns the state, or -1 with
 * @p fault.
 */
int ec2gw_client_token_begin(ec2gw_db_t *db, const char *project_id, const char *action,
                             const char *token, const char *params_hash, ec2gw_ctok_opts_t *opts,
                             json_t **result, ec2gw_fault_t *fault);

/** Store the model a claimed token answered with (borrowed). */
int ec2gw_client_token_complete(ec2gw_db_t *db, const char *project_id, const char *action,
                                const char *token, const json_t *result);

/** Forget a claimed token whose request failed, so that a retry can run again (a token
 * already answered is kept). */
int ec2gw_client_token_abort(ec2gw_db_t *db, const char *project_id, const char *action,
                             const char *token);

/** Records live this long (AWS keeps a ClientToken's answer at least 24 hours). */
#define EC2GW_CLIENT_TOKEN_TTL_S 86400

/** Delete records older than @p max_age_s. */
int ec2gw_client_token_expire(ec2gw_db_t *db, long long max_age_s);

#endif
