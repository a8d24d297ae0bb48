/*
 * ec2_model.h - the EC2 service model (botocore's ec2/2016-11-15 service-2.json without
 * documentation, shipped as model/ec2-2016-11-15.json), loaded once at start.
 */
#ifndef EC2GW_PROTOCOL_EC2_MODEL_H
#define EC2GW_PROTOCOL_EC2_MODEL_H

#include <stddef.h>

#include "core/err.h"

typedef struct ec2gw_model ec2gw_model_t;
typedef struct ec2gw_model_op ec2gw_model_op_t;

/** Load the model file (JSON). Returns 0 or negative with @p err filled. *out: caller frees. */
int ec2gw_model_load(const char *path, ec2gw_model_t **out, ec2gw_err_t *err);

/** Free a model (NULL is fine). */
void ec2gw_model_free(ec2gw_model_t *m);

/** The operation named @p action (case-sensitive, e.g. "DescribeRegions"), or NULL. Borrowed. */
const ec2gw_model_op_t *ec2gw_model_op(const ec2gw_model_t *m, const char *action);

/** Number of operations, and the name of the i-th (sorted by name). Borrowed. */
size_t ec2gw_model_op_count(const ec2gw_model_t *m);
const char *ec2gw_model_op_name_at(const ec2gw_model_t *m, size_t i);

/** The operation's name. Borrowed. */
const char *ec2gw_model_op_name(const ec2gw_model_op_t *op);

/** 1 when the input shape has a top-level member named @p member (e.g. "DryRun"). */
int ec2gw_model_op_has_input(const ec2gw_model_op_t *op, const char *member);

/** The input member marked idempotencyToken (e.g. "ClientToken"), or NULL. Borrowed. */
const char *ec2gw_model_op_idempotency_member(const ec2gw_model_op_t *op);

/** 1 when the operation has no output shape or an output of only `Return`. */
int ec2gw_model_op_returns_true(const ec2gw_model_op_t *op);

/** The model's API version, "2016-11-15". Borrowed. */
const char *ec2gw_model_api_version(const ec2gw_model_t *m);

/** The botocore paginator of an operation (paginators-1.json). Strings are member names. */
typedef struct ec2gw_model_paginator {
    const char *input_token;  /**< e.g. "NextToken" */
    const char *output_token; /**< e.g. "NextToken" */
    const char *result_key;   /**< e.g. "Reservations" (the first when botocore lists several) */
    const char *limit_key;    /**< e.g. "MaxResults", or NULL */
} ec2gw_model_paginator_t;

/** The operation's paginator, or NULL when botocore does not page it. Borrowed. */
const ec2gw_model_paginator_t *ec2gw_model_op_paginator(const ec2gw_model_op_t *op);

/**
 * The MaxResults range of the operation (from the model's MaxResults shape or documentation).
 * Returns 0 with *min and *max filled, or EC2GW_E_NOTFOUND when the model states none.
 */
int ec2gw_model_op_max_results(const ec2gw_model_op_t *op, int *min, int *max);

#endif
