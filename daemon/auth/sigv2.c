/*
 * sigv2.c - Signature Version 2 (ec2-protocol.md §10.6): parameters, time, verification.
 * Versions 0 and 1 are insecure and refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sig_util.h"

#define INCOMPLETE "IncompleteSignature"

static int
copy_param(char *dst, size_t size, const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

/* Timestamp within ±skew, or Expires not yet passed. Exactly one of them. */
static int
v2_time(const ec2gw_sig_input_t *in, ec2gw_fault_t *fault)
{
    const char *ts = ec2gw_sig_param(in, "Timestamp");
    const char *ex = ec2gw_sig_param(in, "Expires");
    char req[32], now[32];
    time_t t;

    if (ts != NULL && ex != NULL)
        return ec2gw_fault_set(fault, "InvalidParameterCombination",
                               "The parameter Timestamp cannot be used with the parameter Expires");
    if (ts == NULL && ex == NULL)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "A SignatureVersion 2 request requires Timestamp or Expires");
    if (ec2gw_sig_parse_iso8601(ts != NULL ? ts : ex, &t) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "%s must be an ISO 8601 time such as 2024-01-02T03:04:05Z",
                               ts != NULL ? "Timestamp" : "Expires");
    ec2gw_sig_format_amz_date(t, req, sizeof(req));
    ec2gw_sig_format_amz_date(in->now, now, sizeof(now));
    if (ex != NULL && in->now > t)
        return ec2gw_fault_set(fault, "RequestExpired",
                               "Request has expired: Expires %s, server time %s", req, now);
    if (ts != NULL && (in->now > t + in->max_skew_s || in->now < t - in->max_skew_s))
        return ec2gw_fault_set(fault, "RequestExpired",
                               "Request timestamp %s is more than %d seconds away from the "
                               "server time %s",
                               req, in->max_skew_s, now);
    return 0;
}

int
ec2gw_sig_v2_parse(const ec2gw_sig_input_t *in, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    const char *ak = ec2gw_sig_param(in, "AWSAccessKeyId");
    const char *ver = ec2gw_sig_param(in, "SignatureVersion");
    const char *meth = ec2gw_sig_param(in, "SignatureMethod");
    const char *sig = ec2gw_sig_param(in, "Signature");

    out->kind = EC2GW_SIG_V2;
    if (ak == NULL || copy_param(out->access_key, sizeof(out->access_key), ak) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "A signed request requires a valid AWSAccessKeyId parameter");
    if (sig == NULL || copy_param(out->signature, sizeof(out->signature), sig) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "The Signature parameter is empty or too long");
    if (ver == NULL || strcmp(ver, "2") != 0)
        return ec2gw_fault_set(fault, "AuthFailure",
                               "SignatureVersion %.8s is not supported: use 2 or Signature "
                               "Version 4",
                               ver != NULL ? ver : "(none)");
    if (meth == NULL || (strcmp(meth, "HmacSHA256") != 0 && strcmp(meth, "HmacSHA1") != 0))
        return ec2gw_fault_set(fault, "AuthFailure",
                               "SignatureMethod must be HmacSHA256 or HmacSHA1");
    snprintf(out->v2_method, sizeof(out->v2_method), "%s", meth);
    return v2_time(in, fault);
}

/* Base64 HMAC of VERB\nhost\npath\nquery into out; 0 or -1. */
static int
v2_mac(const EVP_MD *md, const char *secret, const ec2gw_sig_buf_t *sts, char out[64])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (ec2gw_sig_hmac(md, secret, strlen(secret), sts->p, sts->len, mac, &len) != 0 || len > 32)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, mac, (int)len);
    return 0;
}

/* The string to sign up to the host, the host, then path and query; compared in constant time. */
static int
v2_try(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret, const char *host,
       const char *cq)
{
    const EVP_MD *md = ec2gw_sig_md(strcmp(sig->v2_method, "HmacSHA1") == 0);
    ec2gw_sig_buf_t sts = { 0 };
    char mine[64] = { 0 }, sent[sizeof(sig->signature)];
    size_t n = strlen(sig->signature);
    int rc;

    /* A client that did not encode '+' in a GET query has it decoded to ' ': undo that. */
    for (size_t i = 0; i <= n; i++)
        sent[i] = (char)(sig->signature[i] == ' ' ? '+' : sig->signature[i]);
    ec2gw_sig_buf_adds(&sts, in->method);
    ec2gw_sig_buf_addc(&sts, '\n');
    for (const char *h = host; *h != '\0'; h++)
        ec2gw_sig_buf_addc(&sts, (char)tolower((unsigned char)*h));
    ec2gw_sig_buf_addc(&sts, '\n');
    ec2gw_sig_buf_adds(&sts, in->path[0] != '\0' ? in->path : "/");
    ec2gw_sig_buf_addc(&sts, '\n');
    ec2gw_sig_buf_adds(&sts, cq);
    if (sts.oom || v2_mac(md, secret, &sts, mine) != 0)
        rc = -1;
    else
        rc = strlen(mine) == n && CRYPTO_memcmp(mine, sent, n) == 0;
    ec2gw_sig_buf_free(&sts);
    return rc;
}

int
ec2gw_sig_v2_verify(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret,
                    ec2gw_fault_t *fault)
{
    const char *host = ec2gw_kvlist_get_ci(in->headers, "Host");
    ec2gw_sig_buf_t cq = { 0 };
    char stripped[256];
    int rc;

    if (host == NULL)
        return ec2gw_fault_set(fault, "AuthFailure", "The request has no Host header");
    /* Every query and form parameter but Signature, sorted by name in byte order. */
    if (ec2gw_sig_canonical_query(&cq, in->query, in->form, "Signature", EC2GW_SIG_SORT_RAW)) {
        ec2gw_sig_buf_free(&cq);
        return ec2gw_fault_set(fault, "InternalError", "Signature check failed: out of memory");
    }
    rc = v2_try(sig, in, secret, host, ec2gw_sig_buf_str(&cq));
    if (rc == 0 && ec2gw_sig_host_strip_port(host, stripped, sizeof(stripped)))
        rc = v2_try(sig, in, secret, stripped, ec2gw_sig_buf_str(&cq));
    ec2gw_sig_buf_free(&cq);
    if (rc < 0)
        return ec2gw_fault_set(fault, "InternalError", "Signature check failed: out of memory");
    if (rc == 0)
        return ec2gw_fault_set(fault, "AuthFailure",
                               "The request signature we calculated does not match the signature "
                               "you provided (SignatureVersion 2, %s). Check your secret access "
                               "key and signing method.",
                               sig->v2_method);
    return 0;
}
