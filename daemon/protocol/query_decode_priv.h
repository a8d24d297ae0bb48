/* query_decode_priv.h - shared between query_decode.c and query_scalar.c. Private. */
#ifndef EC2GW_PROTOCOL_QUERY_DECODE_PRIV_H
#define EC2GW_PROTOCOL_QUERY_DECODE_PRIV_H

#include <jansson.h>

#include "core/fault.h"
#include "core/kv.h"
#include "protocol/model_internal.h"

/** Room for the dotted wire path named in MissingParameter messages. */
#define EC2GW_QUERY_PATH_MAX 512

/**
 * Convert the value of @p kv to the JSON type of scalar shape @p s. Returns 0 with *out
 * (returns new), or -1 with @p fault filled (InvalidParameterValue naming kv->name).
 */
int ec2gw_query_scalar(const ec2gw_mshape_t *s, const ec2gw_kv_t *kv, json_t **out,
                       ec2gw_fault_t *fault);

#endif
