/* sig_util.c - buffers, hashing, RFC 3986 encoding and canonical paths for the signers. */
#include "sig_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static int
buf_reserve(ec2gw_sig_buf_t *b, size_t more)
{
    size_t need = b->len + more + 1;
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    if (b->oom)
        return -1;
    if (need <= b->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void
ec2gw_sig_buf_add(ec2gw_sig_buf_t *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void
ec2gw_sig_buf_adds(ec2gw_sig_buf_t *b, const char *s)
{
    ec2gw_sig_buf_add(b, s, strlen(s));
}

void
ec2gw_sig_buf_addc(ec2gw_sig_buf_t *b, char c)
{
    ec2gw_sig_buf_add(b, &c, 1);
}

const char *
ec2gw_sig_buf_str(const ec2gw_sig_buf_t *b)
{
    return b->p != NULL ? b->p : "";
}

void
ec2gw_sig_buf_free(ec2gw_sig_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void
ec2gw_sig_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/*
 * Digests are fetched once: with OpenSSL 3 every use of EVP_sha256() (and the HMAC()/SHA256()
 * one-shots) does an implicit fetch with a lock round trip, which made up most of the cost of
 * a verification (five HMACs and two hashes per try).
 */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

const EVP_MD *
ec2gw_sig_md(int sha1)
{
    if (pthread_once(&md_once, md_fetch) != 0)
        return NULL;
    return sha1 ? md_sha1 : md_sha256;
}

void
ec2gw_sig_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const EVP_MD *sha = ec2gw_sig_md(0);

    if (sha == NULL || EVP_Digest(data, n, md, &len, sha, NULL) != 1 || len != 32) {
        out[0] = '\0'; /* never equal to a hash: the caller's check fails closed */
        return;
    }
    ec2gw_sig_hex(md, 32, out);
}

static int
digest2(EVP_MD_CTX *ctx, const EVP_MD *md, const void *a, size_t an, const void *b, size_t bn,
        unsigned char *out, unsigned int *out_len)
{
    return EVP_DigestInit_ex2(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, a, an) == 1 &&
                   EVP_DigestUpdate(ctx, b, bn) == 1 && EVP_DigestFinal_ex(ctx, out, out_len) == 1
               ? 0
               : -1;
}

int
ec2gw_sig_hmac(const EVP_MD *md, const void *key, size_t key_len, const void *msg, size_t msg_len,
               unsigned char *out, unsigned int *out_len)
{
    /* RFC 2104 over the pre-fetched digest; SHA-1 and SHA-256 both have 64-byte blocks. */
    unsigned char k[64] = { 0 }, ipad[64], opad[64], inner[EVP_MAX_MD_SIZE];
    unsigned int ilen = 0;
    EVP_MD_CTX *ctx;
    int rc = -1;

    if (md == NULL || EVP_MD_get_block_size(md) != 64 || (ctx = EVP_MD_CTX_new()) == NULL)
        return -1;
    if (key_len > sizeof(k)) {
        if (EVP_Digest(key, key_len, k, &ilen, md, NULL) != 1)
            goto done;
    } else {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < sizeof(k); i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    if (digest2(ctx, md, ipad, sizeof(ipad), msg, msg_len, inner, &ilen) == 0 &&
        digest2(ctx, md, opad, sizeof(opad), inner, ilen, out, out_len) == 0)
        rc = 0;

done:
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
    EVP_MD_CTX_free(ctx);
    return rc;
}

int
ec2gw_sig_hmac256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                  unsigned char out[32])
{
    unsigned int len = 0;

    return ec2gw_sig_hmac(ec2gw_sig_md(0), key, key_len, msg, msg_len, out, &len) == 0 && len == 32
               ? 0
               : -1;
}

static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void
ec2gw_sig_uri_encode(ec2gw_sig_buf_t *b, const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;

    /* Copy runs of safe bytes at once: most names and values need no escaping at all. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[3];

        if (is_unreserved(c) || (keep_slash && c == '/')) {
            run++;
            continue;
        }
        ec2gw_sig_buf_add(b, s + i - run, run);
        run = 0;
        esc[0] = '%';
        esc[1] = hex[c >> 4];
        esc[2] = hex[c & 15];
        ec2gw_sig_buf_add(b, esc, 3);
    }
    ec2gw_sig_buf_add(b, s + len - run, run);
}

/* Drop the last "/segment" appended after @p start (a ".." segment). */
static void
pop_segment(ec2gw_sig_buf_t *b, size_t start)
{
    while (b->len > start && b->p[b->len - 1] != '/')
        b->len--;
    if (b->len > start)
        b->len--;
    if (b->p != NULL)
        b->p[b->len] = '\0';
}

void
ec2gw_sig_canonical_path(ec2gw_sig_buf_t *b, const char *path)
{
    size_t plen = strlen(path);
    size_t start = b->len;
    const char *seg = path;

    /*
     * botocore's remove_dot_segments: split on '/', drop "" and ".", ".." pops; keep the
     * leading '/' and a trailing '/' when something is left. Each kept segment is appended
     * encoded after a '/'; ".." truncates back to the previous '/'.
     */
    while (seg <= path + plen) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);

        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            pop_segment(b, start);
        } else if (n > 0 && !(n == 1 && seg[0] == '.')) {
            if (b->len > start || path[0] == '/')
                ec2gw_sig_buf_addc(b, '/');
            ec2gw_sig_uri_encode(b, seg, n, 0);
        }
        seg += n + 1;
    }
    /* "" and "/" (and whatever reduced to nothing) are "/"; a trailing '/' is kept. */
    if ((b->len == start && (plen == 0 || path[0] == '/')) ||
        (b->len > start && path[plen - 1] == '/'))
        ec2gw_sig_buf_addc(b, '/');
}

void
ec2gw_sig_trimall(ec2gw_sig_buf_t *b, const char *v)
{
    int pending_space = 0;
    size_t start = b->len;

    for (; *v != '\0'; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
            pending_space = b->len > start;
            continue;
        }
        if (pending_space)
            ec2gw_sig_buf_addc(b, ' ');
        pending_space = 0;
        ec2gw_sig_buf_addc(b, *v);
    }
}

size_t
ec2gw_sig_header_values(ec2gw_sig_buf_t *b, const ec2gw_kvlist_t *headers, const char *lname)
{
    size_t found = 0;

    for (size_t i = 0; headers != NULL && i < headers->n; i++) {
        if (strcasecmp(headers->v[i].name, lname) != 0)
            continue;
        if (found++ > 0)
            ec2gw_sig_buf_addc(b, ',');
        ec2gw_sig_trimall(b, headers->v[i].value);
    }
    return found;
}

int
ec2gw_sig_host_strip_port(const char *host, char *out, size_t out_size)
{
    const char *colon = strrchr(host, ':');
    const char *close = strrchr(host, ']');
    size_t n;

    /* "[v6]" alone has colons but no port; a port follows the last ':' after any ']'. */
    if (colon == NULL || (close != NULL && colon < close) || colon[1] == '\0')
        return 0;
    if (close == NULL && strchr(host, ':') != colon)
        return 0; /* a bare IPv6 address without brackets */
    for (const char *p = colon + 1; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return 0;
    n = (size_t)(colon - host);
    if (n + 1 > out_size)
        return 0;
    memcpy(out, host, n);
    out[n] = '\0';
    return 1;
}

const char *
ec2gw_sig_param(const ec2gw_sig_input_t *in, const char *name)
{
    const char *v = in->query != NULL ? ec2gw_kvlist_get(in->query, name) : NULL;

    if (v == NULL && in->form != NULL)
        v = ec2gw_kvlist_get(in->form, name);
    return v;
}
