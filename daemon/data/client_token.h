/*
 * client_token.h - ClientToken idempotency records: (project, action, token) → hash of the
 * parameters and the response model, kept at least 24 hours.
 */
#ifndef EC2GW_DATA_CLIENT_TOKEN_H
#define EC2GW_DATA_CLIENT_TOKEN_H

#include <jansson.h>

#include "core/fault.h"
#include "data/db.h"

typedef enum ec2gw_ctok_state {
    EC2GW_CTOK_NEW = 0,  /**< no record: a record in state pending was written; go ahead */
    EC2GW_CTOK_DONE,     /**< answered before: *result is the stored model */
    EC2GW_CTOK_PENDING,  /**< a request with this token is still running (or crashed) */
} ec2gw_ctok_state_t;

/**
 * Look up and, when absent, claim a token. @p params_hash identifies the parameters (hex);
 * the same token with another hash → -1 with IdempotentParameterMismatch.
 * *result returns new on EC2GW_CTOK_DONE. Returns the state, or -1 with @p fault.
 */
int ec2gw_client_token_begin(ec2gw_db_t *db, const char *project_id, const char *action,
                             const char *token, const char *params_hash, json_t **result,
                             ec2gw_fault_t *fault);

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
