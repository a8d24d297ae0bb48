/*
 * signature.h - AWS request signatures: SigV4 (Authorization header and presigned query) and
 * SigV2 (GET and POST, HmacSHA256 and HmacSHA1), verified locally with OpenSSL, and the SigV4
 * signer the benchmark load generator shares. Pure functions: no I/O, no logging.
 */
#ifndef EC2GW_AUTH_SIGNATURE_H
#define EC2GW_AUTH_SIGNATURE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "core/fault.h"
#include "core/kv.h"

typedef enum ec2gw_sig_kind {
    EC2GW_SIG_V4_HEADER = 1,
    EC2GW_SIG_V4_QUERY,
    EC2GW_SIG_V2,
} ec2gw_sig_kind_t;

/** What a signature is computed over, as received. All members borrowed. */
typedef struct ec2gw_sig_input {
    const char *method;            /**< "GET" or "POST" */
    const char *path;              /**< request path without the query, verbatim ("/") */
    const char *raw_query;         /**< raw query string after '?', or NULL */
    const ec2gw_kvlist_t *query;   /**< decoded query parameters */
    const ec2gw_kvlist_t *form;    /**< decoded form body parameters (POST), or NULL */
    const ec2gw_kvlist_t *headers; /**< request headers, names as received */
    const unsigned char *body;     /**< raw body bytes */
    size_t body_len;
    time_t now;         /**< current time */
    int max_skew_s;     /**< allowed clock skew, both directions (900) */
    const char *source; /**< the client's address ("ip:port"), for per-source limits, or NULL */
} ec2gw_sig_input_t;

/** A parsed signature. */
typedef struct ec2gw_sig {
    ec2gw_sig_kind_t kind;
    char access_key[129];
    char signature[129];       /**< hex (V4) or base64 (V2), as sent */
    char amz_date[32];         /**< V4: X-Amz-Date */
    char scope[256];           /**< V4: date/region/service/aws4_request */
    char signed_headers[1024]; /**< V4: lower-case names joined by ';' */
    char v2_method[16];        /**< V2: HmacSHA256 / HmacSHA1 */
} ec2gw_sig_t;

/**
 * Find and parse the credentials of a request and check their form and time.
 * Faults: MissingAuthenticationToken (none), IncompleteSignature (malformed Authorization or
 * scope, scope date not matching X-Amz-Date), RequestExpired (outside ±max_skew_s, presigned
 * past X-Amz-Expires, V2 Expires passed), InvalidParameterCombination (V2 Timestamp and
 * Expires), AuthFailure (session tokens, SignatureVersion other than 2, unknown method).
 * Returns 0 or -1.
 */
int ec2gw_sig_parse(const ec2gw_sig_input_t *in, ec2gw_sig_t *out, ec2gw_fault_t *fault);

/**
 * Verify a parsed signature with @p secret: the Host header as sent and then without its
 * port, constant-time comparison; for V4 also a mismatching X-Amz-Content-SHA256. Returns 0,
 * or -1 with AuthFailure.
 */
int ec2gw_sig_verify(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret,
                     ec2gw_fault_t *fault);

/**
 * The body of POST /v3/ec2tokens for this request ({"credentials": {access, signature, host,
 * verb, path, params, headers, body_hash}}), as Keystone's signer expects it. Returns new.
 */
json_t *ec2gw_sig_keystone_body(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in);

/**
 * ec2gw_sig_keystone_body() with the Host the signature covers: the Host header without its
 * port when only that variant verifies with @p secret (Net::Amazon::EC2's SigV4), else as
 * received (also when @p secret is NULL). Returns new.
 */
json_t *ec2gw_sig_keystone_body_for(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in,
                                    const char *secret);

/**
 * Sign a request with SigV4 (header form), as botocore does, for clients (the benchmark load
 * generator, tests): fills @p authorization (the Authorization header value) for the given
 * host, method, path, body, content type and X-Amz-Date; signed headers are
 * content-type;host;x-amz-date. Returns 0 or -1 (buffer too small).
 */
int ec2gw_sigv4_sign(const char *access_key, const char *secret, const char *region,
                     const char *service, const char *method, const char *host, const char *path,
                     const char *content_type, const unsigned char *body, size_t body_len,
                     const char *amz_date, char *authorization, size_t authorization_size);

#endif
