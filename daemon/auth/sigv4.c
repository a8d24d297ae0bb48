/*
 * sigv4.c - SigV4 canonical request, string to sign, key derivation, verification (header and
 * presigned forms) and the botocore-compatible signer (ec2-protocol.md §10.2-10.5).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "sig_util.h"

#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* kSigning = HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". */
static int
derive_key(const char *secret, const char *scope, unsigned char key[32])
{
    ec2gw_sig_buf_t k0 = { 0 };
    const char *p = scope;
    int rc = 0;

    ec2gw_sig_buf_adds(&k0, "AWS4");
    ec2gw_sig_buf_adds(&k0, secret);
    if (k0.oom)
        return -1;
    /* The scope as the client sent it: date/region/service/aws4_request, any region. */
    for (int i = 0; i < 4 && rc == 0; i++) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

        if (i == 0)
            rc = ec2gw_sig_hmac256(k0.p, k0.len, p, n, key);
        else
            rc = ec2gw_sig_hmac256(key, 32, p, n, key);
        p = slash != NULL ? slash + 1 : p + n;
    }
    OPENSSL_cleanse(k0.p, k0.cap);
    ec2gw_sig_buf_free(&k0);
    return rc;
}

/* Hex signature of a canonical request: string to sign, then HMAC with the signing key. */
static int
sign_canonical(const unsigned char key[32], const char *amz_date, const char *scope,
               const ec2gw_sig_buf_t *cr, char out[65])
{
    char sts[512], cr_hash[65];
    unsigned char mac[32];
    int n;

    ec2gw_sig_sha256_hex(ec2gw_sig_buf_str(cr), cr->len, cr_hash);
    n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, cr_hash);
    if (n < 0 || (size_t)n >= sizeof(sts) || ec2gw_sig_hmac256(key, 32, sts, (size_t)n, mac))
        return -1;
    ec2gw_sig_hex(mac, sizeof(mac), out);
    return 0;
}

/* "name:value\n" for each signed header, the host value given, then "\n" and the list. */
static void
add_headers(ec2gw_sig_buf_t *cr, const char *signed_headers, const ec2gw_kvlist_t *headers,
            const char *host)
{
    for (const char *p = signed_headers; p != NULL;) {
        const char *next = strchr(p, ';');
        size_t n = next != NULL ? (size_t)(next - p) : strlen(p);
        char name[256];

        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        ec2gw_sig_buf_adds(cr, name);
        ec2gw_sig_buf_addc(cr, ':');
        if (strcmp(name, "host") == 0)
            ec2gw_sig_trimall(cr, host);
        else
            (void)ec2gw_sig_header_values(cr, headers, name); /* presence checked before */
        ec2gw_sig_buf_addc(cr, '\n');
        p = next != NULL ? next + 1 : NULL;
    }
    ec2gw_sig_buf_addc(cr, '\n');
    ec2gw_sig_buf_adds(cr, signed_headers);
    ec2gw_sig_buf_addc(cr, '\n');
}

/* Method, canonical URI and canonical query: the part that does not vary between tries. */
static int
add_prefix(ec2gw_sig_buf_t *cr, const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in)
{
    const char *skip = sig->kind == EC2GW_SIG_V4_QUERY ? "X-Amz-Signature" : NULL;
    int rc;

    ec2gw_sig_buf_adds(cr, in->method);
    ec2gw_sig_buf_addc(cr, '\n');
    ec2gw_sig_canonical_path(cr, in->path);
    ec2gw_sig_buf_addc(cr, '\n');
    /* From the raw query: decode each pair, then re-encode it the RFC 3986 way. */
    if (in->raw_query != NULL) {
        ec2gw_kvlist_t q = { 0 };

        rc = ec2gw_kvlist_parse_form(&q, in->raw_query, strlen(in->raw_query));
        if (rc == 0)
            rc = ec2gw_sig_canonical_query(cr, &q, NULL, skip, EC2GW_SIG_SORT_ENCODED);
        ec2gw_kvlist_free(&q);
    } else {
        rc = ec2gw_sig_canonical_query(cr, in->query, NULL, skip, EC2GW_SIG_SORT_ENCODED);
    }
    ec2gw_sig_buf_addc(cr, '\n');
    return rc != 0 || cr->oom ? -1 : 0;
}

/* Checks before any HMAC: body hash header, Host, every signed header present. */
static int
precheck(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *body_hash,
         ec2gw_fault_t *fault)
{
    const char *claimed = ec2gw_kvlist_get_ci(in->headers, "X-Amz-Content-SHA256");

    /* The header must not vouch for another body; UNSIGNED-PAYLOAD is not allowed for EC2. */
    if (claimed != NULL && strcasecmp(claimed, body_hash) != 0)
        return ec2gw_fault_set(fault, "AuthFailure",
                               "X-Amz-Content-SHA256 does not match the SHA-256 of the request "
                               "body (UNSIGNED-PAYLOAD is not accepted)");
    if (ec2gw_kvlist_get_ci(in->headers, "Host") == NULL)
        return ec2gw_fault_set(fault, "AuthFailure", "The request has no Host header");
    for (const char *p = sig->signed_headers; p != NULL;) {
        const char *next = strchr(p, ';');
        int n = next != NULL ? (int)(next - p) : (int)strlen(p);
        char name[256];

        snprintf(name, sizeof(name), "%.*s", n, p);
        if (ec2gw_kvlist_get_ci(in->headers, name) == NULL)
            return ec2gw_fault_set(fault, "AuthFailure", "Signed header '%s' is not in the request",
                                   name);
        p = next != NULL ? next + 1 : NULL;
    }
    return 0;
}

/* Try the Host header as sent, then without the port; the real body hash, then (presigned
 * only) UNSIGNED-PAYLOAD. Returns 1 on a match, 0 on none, -1 on an internal error. */
static int
try_variants(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const unsigned char key[32],
             const char *body_hash, ec2gw_sig_buf_t *cr)
{
    const char *hosts[2] = { ec2gw_kvlist_get_ci(in->headers, "Host"), NULL };
    const char *payloads[2] = { body_hash, UNSIGNED_PAYLOAD };
    size_t nhosts = 1, npayloads = sig->kind == EC2GW_SIG_V4_QUERY ? 2 : 1;
    size_t prefix = cr->len;
    char stripped[256], sent[65], mine[65];

    if (strlen(sig->signature) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        sent[i] = (char)(sig->signature[i] | ((sig->signature[i] >= 'A') ? 0x20 : 0));
    sent[64] = '\0';
    if (ec2gw_sig_host_strip_port(hosts[0], stripped, sizeof(stripped)))
        hosts[nhosts++] = stripped;
    for (size_t h = 0; h < nhosts; h++) {
        for (size_t p = 0; p < npayloads; p++) {
            cr->len = prefix;
            add_headers(cr, sig->signed_headers, in->headers, hosts[h]);
            ec2gw_sig_buf_adds(cr, payloads[p]);
            if (cr->oom || sign_canonical(key, sig->amz_date, sig->scope, cr, mine) != 0)
                return -1;
            if (CRYPTO_memcmp(mine, sent, 64) == 0)
                return 1;
        }
    }
    return 0;
}

int
ec2gw_sig_v4_verify(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret,
                    ec2gw_fault_t *fault)
{
    ec2gw_sig_buf_t cr = { 0 };
    unsigned char key[32];
    char body_hash[65];
    int rc;

    ec2gw_sig_sha256_hex(in->body != NULL ? (const void *)in->body : "", in->body_len, body_hash);
    if (precheck(sig, in, body_hash, fault) != 0)
        return -1;
    if (derive_key(secret, sig->scope, key) != 0 || add_prefix(&cr, sig, in) != 0)
        rc = -1;
    else
        rc = try_variants(sig, in, key, body_hash, &cr);
    OPENSSL_cleanse(key, sizeof(key));
    ec2gw_sig_buf_free(&cr);
    if (rc < 0)
        return ec2gw_fault_set(fault, "InternalError", "Signature check failed: out of memory");
    if (rc == 0)
        return ec2gw_fault_set(fault, "AuthFailure",
                               "The request signature we calculated does not match the signature "
                               "you provided (credential scope %s, signed headers %s). Check your "
                               "secret access key and signing method.",
                               sig->scope, sig->signed_headers);
    return 0;
}

int
ec2gw_sigv4_sign(const char *access_key, const char *secret, const char *region,
                 const char *service, const char *method, const char *host, const char *path,
                 const char *content_type, const unsigned char *body, size_t body_len,
                 const char *amz_date, char *authorization, size_t authorization_size)
{
    ec2gw_sig_input_t in = { .method = method, .path = path, .body = body, .body_len = body_len };
    ec2gw_kvlist_t headers = { 0 };
    ec2gw_sig_t sig = { .kind = EC2GW_SIG_V4_HEADER };
    ec2gw_sig_buf_t cr = { 0 };
    char body_hash[65], hex[65], pathbuf[2048];
    const char *q = strchr(path, '?');
    unsigned char key[32];
    int rc = -1, n;

    /* A query in @p path ("/?Action=...") is signed as botocore signs request params. */
    if (q != NULL) {
        snprintf(pathbuf, sizeof(pathbuf), "%.*s", (int)(q - path), path);
        in.path = pathbuf;
        in.raw_query = q + 1;
    }
    snprintf(sig.amz_date, sizeof(sig.amz_date), "%s", amz_date);
    n = snprintf(sig.scope, sizeof(sig.scope), "%.8s/%s/%s/aws4_request", amz_date, region,
                 service);
    snprintf(sig.signed_headers, sizeof(sig.signed_headers), "%shost;x-amz-date",
             content_type != NULL ? "content-type;" : "");
    if (strlen(amz_date) < 8 || n < 0 || (size_t)n >= sizeof(sig.scope) ||
        (content_type != NULL && ec2gw_kvlist_add(&headers, "Content-Type", content_type)) ||
        ec2gw_kvlist_add(&headers, "X-Amz-Date", amz_date) != 0)
        goto done;
    in.headers = &headers;
    ec2gw_sig_sha256_hex(body != NULL ? (const void *)body : "", body_len, body_hash);
    if (derive_key(secret, sig.scope, key) != 0 || add_prefix(&cr, &sig, &in) != 0)
        goto done;
    add_headers(&cr, sig.signed_headers, &headers, host);
    ec2gw_sig_buf_adds(&cr, body_hash);
    if (cr.oom || sign_canonical(key, amz_date, sig.scope, &cr, hex) != 0)
        goto done;
    n = snprintf(authorization, authorization_size,
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", access_key,
                 sig.scope, sig.signed_headers, hex);
    rc = n < 0 || (size_t)n >= authorization_size ? -1 : 0;

done:
    OPENSSL_cleanse(key, sizeof(key));
    ec2gw_kvlist_free(&headers);
    ec2gw_sig_buf_free(&cr);
    return rc;
}
