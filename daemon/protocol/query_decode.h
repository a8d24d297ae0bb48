/*
 * query_decode.h - EC2 query parameters (Prefix.N lists, dotted structures, wire names) into a
 * typed JSON object keyed by the model's member names, driven by the operation's input shape.
 */
#ifndef EC2GW_PROTOCOL_QUERY_DECODE_H
#define EC2GW_PROTOCOL_QUERY_DECODE_H

#include <jansson.h>

#include "core/fault.h"
#include "core/kv.h"
#include "protocol/ec2_model.h"

/**
 * Decode @p params (all request parameters, query and form merged) for @p op.
 *
 * Protocol and authentication parameters are skipped: Action, Version, AWSAccessKeyId,
 * Signature, SignatureMethod, SignatureVersion, Timestamp, Expires, SecurityToken and X-Amz-*.
 * Lists are ordered by the numeric value of their index; types come from the shape (string,
 * integer/long → JSON integer, double/float → real, boolean → true/false case-insensitively,
 * timestamp → ISO 8601 string normalised to YYYY-MM-DDTHH:MM:SS.sssZ, blob → the decoded
 * bytes as a string after base64 validation). Strings are never converted ("0123" stays).
 *
 * Faults: MissingParameter (a required member is absent, message names its wire name),
 * InvalidParameterValue (wrong type, bad index, bad base64), UnknownParameter (a name that is
 * not in the input shape; message names it).
 *
 * Returns 0 and *out (returns new), or -1 with @p fault filled.
 */
int ec2gw_query_decode(const ec2gw_model_op_t *op, const ec2gw_kvlist_t *params, json_t **out,
                       ec2gw_fault_t *fault);

#endif
