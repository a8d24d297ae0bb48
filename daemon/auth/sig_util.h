/*
 * sig_util.h - private helpers of the signature subsystem: a growable string buffer, hex,
 * SHA-256/HMAC, RFC 3986 encoding, canonical paths and query strings, header values and the
 * time formats. Nothing here is used outside daemon/auth/.
 */
#ifndef EC2GW_AUTH_SIG_UTIL_H
#define EC2GW_AUTH_SIG_UTIL_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "auth/signature.h"
#include "core/kv.h"

#define EC2GW_SIG_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/** A NUL-terminated growable string. Allocation failure is sticky in @c oom. */
typedef struct ec2gw_sig_buf {
    char *p;    /**< owned; NULL until the first append */
    size_t len; /**< bytes used, without the NUL */
    size_t cap; /**< bytes allocated */
    int oom;    /**< set once an allocation failed; later appends are ignored */
} ec2gw_sig_buf_t;

/** Append @p n bytes of @p s. */
void ec2gw_sig_buf_add(ec2gw_sig_buf_t *b, const char *s, size_t n);
/** Append the string @p s. */
void ec2gw_sig_buf_adds(ec2gw_sig_buf_t *b, const char *s);
/** Append one character. */
void ec2gw_sig_buf_addc(ec2gw_sig_buf_t *b, char c);
/** The contents ("" when empty), borrowed until the next append. */
const char *ec2gw_sig_buf_str(const ec2gw_sig_buf_t *b);
/** Free the memory and reset to empty. */
void ec2gw_sig_buf_free(ec2gw_sig_buf_t *b);

/** Lower-case hex of @p n bytes into @p out (2n + 1 bytes). */
void ec2gw_sig_hex(const unsigned char *in, size_t n, char *out);

/** Hex SHA-256 of @p n bytes into @p out (65 bytes). */
void ec2gw_sig_sha256_hex(const void *data, size_t n, char out[65]);

/** The SHA-256 (or with @p sha1, SHA-1) digest, fetched once. Borrowed; NULL on failure. */
const EVP_MD *ec2gw_sig_md(int sha1);

/**
 * HMAC of @p msg with @p key over @p md (a 64-byte-block digest from ec2gw_sig_md) into @p out
 * (EVP_MAX_MD_SIZE bytes), its length in @p out_len. Returns 0 or -1.
 */
int ec2gw_sig_hmac(const EVP_MD *md, const void *key, size_t key_len, const void *msg,
                   size_t msg_len, unsigned char *out, unsigned int *out_len);

/** HMAC-SHA256 of @p msg with @p key into @p out (32 bytes). Returns 0 or -1. */
int ec2gw_sig_hmac256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                      unsigned char out[32]);

/**
 * Append @p len bytes of @p s percent-encoded per RFC 3986: unreserved characters
 * (A-Z a-z 0-9 - _ . ~) as they are, everything else as %XX with upper-case hex; '/' too kept
 * when @p keep_slash.
 */
void ec2gw_sig_uri_encode(ec2gw_sig_buf_t *b, const char *s, size_t len, int keep_slash);

/**
 * Append the SigV4 canonical URI of @p path as botocore computes it for non-S3 services: dot
 * segments and empty segments removed, then every byte but unreserved, '/' and '~' encoded
 * (so an already encoded path is encoded twice, as AWS does). "" becomes "/".
 */
void ec2gw_sig_canonical_path(ec2gw_sig_buf_t *b, const char *path);

/** How ec2gw_sig_canonical_query orders pairs. */
enum ec2gw_sig_qsort {
    EC2GW_SIG_SORT_ENCODED = 1, /**< SigV4: by encoded name, then encoded value */
    EC2GW_SIG_SORT_RAW,         /**< SigV2: by decoded name in byte order, then value */
};

/**
 * Append the canonical query string of the pairs of @p a and @p b (either may be NULL),
 * leaving out every pair named @p skip (may be NULL): name=value, RFC 3986-encoded, sorted as
 * @p order says, joined with '&'. Returns 0 or -1 (out of memory).
 */
int ec2gw_sig_canonical_query(ec2gw_sig_buf_t *out, const ec2gw_kvlist_t *a,
                              const ec2gw_kvlist_t *b, const char *skip,
                              enum ec2gw_sig_qsort order);

/**
 * Append every value of the headers named @p lname (case-insensitive) in the canonical form:
 * each trimmed with inner whitespace runs collapsed to one space, joined with ','. Returns
 * the number of headers found.
 */
size_t ec2gw_sig_header_values(ec2gw_sig_buf_t *b, const ec2gw_kvlist_t *headers,
                               const char *lname);

/** Append @p v trimmed, inner whitespace runs collapsed to one space. */
void ec2gw_sig_trimall(ec2gw_sig_buf_t *b, const char *v);

/**
 * Copy @p host without its trailing ":port" into @p out ("[::1]:80" gives "[::1]"). Returns 1
 * when a port was removed, 0 when there was none (or @p out is too small).
 */
int ec2gw_sig_host_strip_port(const char *host, char *out, size_t out_size);

/** A query parameter, else a form parameter, named @p name, or NULL. Borrowed. */
const char *ec2gw_sig_param(const ec2gw_sig_input_t *in, const char *name);

/** Parse "YYYYMMDDThhmmssZ" into @p t. Returns 0 or -1. */
int ec2gw_sig_parse_amz_date(const char *s, time_t *t);

/**
 * Parse an ISO 8601 time as SigV2 clients send it: "YYYY-MM-DDThh:mm:ss", an optional
 * fraction, then "Z", "+hh:mm"/"-hh:mm"/"+hhmm" or nothing (UTC). Returns 0 or -1.
 */
int ec2gw_sig_parse_iso8601(const char *s, time_t *t);

/** Parse an RFC 1123 HTTP date ("Tue, 02 Jan 2024 03:04:05 GMT"). Returns 0 or -1. */
int ec2gw_sig_parse_http_date(const char *s, time_t *t);

/** Format @p t as "YYYYMMDDThhmmssZ" into @p out (at least 17 bytes). */
void ec2gw_sig_format_amz_date(time_t t, char *out, size_t out_size);

/** SigV4 verification (sigv4.c); @p sig is a parsed V4 header or presigned signature. */
int ec2gw_sig_v4_verify(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret,
                        ec2gw_fault_t *fault);

/** SigV2 verification (sigv2.c). */
int ec2gw_sig_v2_verify(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret,
                        ec2gw_fault_t *fault);

/** Parse the SigV2 parameters and check the time (sigv2.c). */
int ec2gw_sig_v2_parse(const ec2gw_sig_input_t *in, ec2gw_sig_t *out, ec2gw_fault_t *fault);

#endif
