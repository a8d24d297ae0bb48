/*
 * paging.c - MaxResults/NextToken (ec2-protocol.md §7). A token is base64url of
 *   0x01 | first 12 bytes of SHA-256(SHA-256(scope) | key) | key,
 * key being the sort key of the last item returned.
 * The next page starts after that key, so pages neither skip nor repeat items when objects
 * come and go between calls (ec2-api's offsets did), the token survives restarts, and
 * consecutive tokens always differ (the key strictly increases). The hash makes a token from
 * another query (other filters, ids, action or project), or an altered one, fail with
 * InvalidPaginationToken. It is not a secret MAC: a forged token can only pick a start key
 * within the caller's own, already scoped, result list.
 */
#include "data/paging.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#define TOKEN_VERSION  0x01
#define SCOPE_HASH_LEN 12
#define TOKEN_KEY_MAX  1024

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; returns new (free()) or NULL. */
static char *
b64url_encode(const unsigned char *in, size_t n)
{
    char *out = malloc(n / 3 * 4 + 5), *o = out;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        *o++ = b64url[(v >> 18) & 63];
        *o++ = b64url[(v >> 12) & 63];
        if (i + 1 < n)
            *o++ = b64url[(v >> 6) & 63];
        if (i + 2 < n)
            *o++ = b64url[v & 63];
    }
    *o = '\0';
    return out;
}

/* Decode into @p out (room for @p cap bytes); the number of bytes, or -1 when malformed. */
static long
b64url_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t len = strlen(in), n = 0;
    unsigned v = 0;
    int bits = 0;

    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(b64url, in[i]);

        if (in[i] == '\0' || p == NULL)
            return -1;
        v = (v << 6) | (unsigned)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap)
                return -1;
            out[n++] = (unsigned char)(v >> bits);
        }
        v &= 0xFFFF;
    }
    return (long)n;
}

/* SHA-256(SHA-256(scope) | key): binds the key to the query and detects altered tokens. */
static void
token_hash(const char *scope, const char *key, size_t klen, unsigned char out[SHA256_DIGEST_LENGTH])
{
    unsigned char buf[SHA256_DIGEST_LENGTH + TOKEN_KEY_MAX];

    if (scope == NULL)
        scope = "";
    SHA256((const unsigned char *)scope, strlen(scope), buf);
    memcpy(buf + SHA256_DIGEST_LENGTH, key, klen);
    SHA256(buf, SHA256_DIGEST_LENGTH + klen, out);
}

/* The last key of @p token, copied into @p key (TOKEN_KEY_MAX + 1); 0 or -1 with the fault. */
static int
token_decode(const char *token, const char *scope, char *key, ec2gw_fault_t *fault)
{
    unsigned char buf[1 + SCOPE_HASH_LEN + TOKEN_KEY_MAX], h[SHA256_DIGEST_LENGTH];
    long n =
        strlen(token) > (sizeof(buf) + 2) / 3 * 4 ? -1 : b64url_decode(token, buf, sizeof(buf));

    size_t klen = n > 1 + SCOPE_HASH_LEN ? (size_t)n - 1 - SCOPE_HASH_LEN : 0;

    if (n >= 1 + SCOPE_HASH_LEN && buf[0] == TOKEN_VERSION &&
        memchr(buf + 1 + SCOPE_HASH_LEN, '\0', klen) == NULL) {
        token_hash(scope, (const char *)buf + 1 + SCOPE_HASH_LEN, klen, h);
        if (memcmp(h, buf + 1, SCOPE_HASH_LEN) == 0) {
            memcpy(key, buf + 1 + SCOPE_HASH_LEN, klen);
            key[klen] = '\0';
            return 0;
        }
    }
    /* Malformed, altered, or issued for another query: one answer for all three. */
    return ec2gw_fault_set(fault, "InvalidPaginationToken",
                           "The pagination token '%.64s' is invalid for this request", token);
}

static char *
token_encode(const char *key, const char *scope)
{
    unsigned char buf[1 + SCOPE_HASH_LEN + TOKEN_KEY_MAX], h[SHA256_DIGEST_LENGTH];
    size_t klen = strlen(key);

    if (klen > TOKEN_KEY_MAX)
        klen = TOKEN_KEY_MAX; /* ids and (id, tag key) pairs are far shorter */
    token_hash(scope, key, klen, h);
    buf[0] = TOKEN_VERSION;
    memcpy(buf + 1, h, SCOPE_HASH_LEN);
    memcpy(buf + 1 + SCOPE_HASH_LEN, key, klen);
    return b64url_encode(buf, 1 + SCOPE_HASH_LEN + klen);
}

typedef struct pitem {
    const char *key;
    json_t *item;
} pitem_t;

static int
pitem_cmp(const void *a, const void *b)
{
    return strcmp(((const pitem_t *)a)->key, ((const pitem_t *)b)->key);
}

/* Index of the first of @p n sorted items whose key is greater than @p last. */
static size_t
page_start(const pitem_t *v, size_t n, const char *last)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(v[mid].key, last) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static json_t *
page_slice(pitem_t *v, size_t n, size_t start, long long max_results, const char *scope,
           char **next_out, ec2gw_fault_t *fault)
{
    size_t end = n;
    json_t *out = json_array();

    if (max_results >= 0 && (size_t)max_results < n - start)
        end = start + (size_t)max_results;
    for (size_t i = start; out != NULL && i < end; i++)
        if (json_array_append(out, v[i].item) != 0) {
            json_decref(out);
            out = NULL;
        }
    if (out != NULL && end < n && (*next_out = token_encode(v[end - 1].key, scope)) == NULL) {
        json_decref(out);
        out = NULL;
    }
    if (out == NULL)
        ec2gw_fault_set(fault, "InternalError", "out of memory");
    return out;
}

json_t *
ec2gw_page_apply(const json_t *items, const char *key, long long max_results,
                 const char *next_token, const char *scope, long long min, long long max,
                 char **next_out, ec2gw_fault_t *fault)
{
    size_t n = json_array_size(items), start = 0;
    char last[TOKEN_KEY_MAX + 1];
    pitem_t *v = NULL;
    json_t *out = NULL;

    *next_out = NULL;
    /* 0 would hand back the token it was given: a client loop that never ends. */
    if (max_results != -1 && (max_results < min || max_results > max || max_results < 1)) {
        ec2gw_fault_set(fault, "InvalidParameterValue",
                        "Value (%lld) for parameter maxResults is invalid. "
                        "Expecting a value between %lld and %lld.",
                        max_results, min, max);
        return NULL;
    }
    if (next_token != NULL && *next_token != '\0' &&
        token_decode(next_token, scope, last, fault) != 0)
        return NULL;
    if ((v = malloc((n + 1) * sizeof(*v))) == NULL) {
        ec2gw_fault_set(fault, "InternalError", "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = json_string_value(json_object_get(json_array_get(items, i), key));

        v[i].item = json_array_get(items, i);
        v[i].key = k != NULL ? k : "";
    }
    qsort(v, n, sizeof(*v), pitem_cmp);
    if (next_token != NULL && *next_token != '\0')
        start = page_start(v, n, last);
    out = page_slice(v, n, start, max_results, scope, next_out, fault);
    free(v);
    return out;
}

int
ec2gw_page_max_results(const json_t *jmax, long long min, long long max, long long *out,
                       ec2gw_fault_t *fault)
{
    long long v;

    *out = -1;
    if (jmax == NULL || json_is_null(jmax))
        return 0;
    if (!json_is_integer(jmax))
        return ec2gw_fault_set(fault, "InvalidParameterValue", "MaxResults must be an integer");
    v = json_integer_value(jmax);
    if (v < min || v < 1)
        return ec2gw_fault_set(fault, "InvalidParameterValue",
                               "Value (%lld) for parameter maxResults is invalid. "
                               "Expecting a value between %lld and %lld.",
                               v, min < 1 ? 1 : min, max);
    *out = v > max ? max : v;
    return 0;
}
