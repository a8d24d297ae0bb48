/*
 * query_scalar.c - one query value into the JSON type its shape says (§2.7: never guess).
 * Strings stay strings ("0123" is not 83); numbers are plain decimal; booleans are true/false
 * in any case; timestamps are normalised; blobs are strictly validated base64.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/query_decode_priv.h"
#include "protocol/xml_render.h"

static int
invalid(const ec2gw_kv_t *kv, const char *expected, ec2gw_fault_t *fault)
{
    /* The value is echoed only when short: it may be a key or user data. */
    if (strlen(kv->value) <= 64)
        return ec2gw_fault_set(fault, "InvalidParameterValue",
                               "Value (%s) for parameter %.200s is invalid. Expected: '%s'.",
                               kv->value, kv->name, expected);
    return ec2gw_fault_set(fault, "InvalidParameterValue",
                           "Value for parameter %.200s is invalid. Expected: '%s'.", kv->name,
                           expected);
}

static int
parse_integer(const char *s, long long lo, long long hi, long long *out)
{
    const char *p = s[0] == '-' ? s + 1 : s;
    char *end;
    long long v;

    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int
parse_double(const char *s, double *out)
{
    char *end;

    /* strtod would also take "inf", "nan", hex floats and leading blanks. */
    if (s[0] == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(*out))
        return -1;
    return 0;
}

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict base64 (standard alphabet; CR/LF ignored; padding optional but never in the middle).
 * Returns the decoded length into @p out (at least 3/4 of strlen(s) + 3 bytes), or -1. */
static long
b64_decode(const char *s, unsigned char *out)
{
    unsigned int acc = 0;
    int bits = 0, pad = 0;
    long n = 0;

    for (; *s != '\0'; s++) {
        int v;

        if (*s == '\r' || *s == '\n')
            continue;
        if (*s == '=') {
            pad++;
            continue;
        }
        v = b64_value((unsigned char)*s);
        if (v < 0 || pad > 0)
            return -1;
        acc = (acc << 6) | (unsigned int)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* 6 leftover bits cannot be a valid ending; 2 or 4 must be zero bits. */
    if (bits >= 6 || acc != 0 || pad > 2 || (pad > 0 && (bits / 2) != pad))
        return -1;
    return n;
}

static json_t *
decode_blob(const char *s)
{
    size_t len = strlen(s);
    unsigned char *buf = malloc(len / 4 * 3 + 4);
    json_t *v = NULL;
    long n;

    if (buf == NULL)
        return NULL;
    n = b64_decode(s, buf);
    /* The bytes must be UTF-8 to live in a JSON string; the one core blob input is an OpenSSH
     * public key (text). */
    if (n >= 0)
        v = json_stringn((const char *)buf, (size_t)n);
    free(buf);
    return v;
}

static json_t *
convert(const ec2gw_mshape_t *s, const char *val, const char **expected)
{
    long long i;
    double d;
    char ts[EC2GW_XML_TIMESTAMP_SIZE];

    switch (s->type) {
    case EC2GW_MT_STRING:
        *expected = "String (UTF-8)";
        return json_string(val);
    case EC2GW_MT_INTEGER:
        *expected = "Integer";
        return parse_integer(val, INT32_MIN, INT32_MAX, &i) == 0 ? json_integer(i) : NULL;
    case EC2GW_MT_LONG:
        *expected = "Long";
        return parse_integer(val, LLONG_MIN, LLONG_MAX, &i) == 0 ? json_integer(i) : NULL;
    case EC2GW_MT_DOUBLE:
    case EC2GW_MT_FLOAT:
        *expected = "Double";
        return parse_double(val, &d) == 0 ? json_real(d) : NULL;
    case EC2GW_MT_BOOLEAN:
        *expected = "Boolean (true or false)";
        if (strcasecmp(val, "true") == 0)
            return json_true();
        return strcasecmp(val, "false") == 0 ? json_false() : NULL;
    case EC2GW_MT_TIMESTAMP:
        *expected = "Timestamp (ISO 8601)";
        return ec2gw_xml_timestamp(val, ts) == 0 ? json_string(ts) : NULL;
    case EC2GW_MT_BLOB:
        *expected = "Base64";
        return decode_blob(val);
    default:
        *expected = "a scalar";
        return NULL;
    }
}

int
ec2gw_query_scalar(const ec2gw_mshape_t *s, const ec2gw_kv_t *kv, json_t **out,
                   ec2gw_fault_t *fault)
{
    const char *expected = "";

    *out = convert(s, kv->value, &expected);
    if (*out == NULL)
        return invalid(kv, expected, fault);
    return 0;
}
