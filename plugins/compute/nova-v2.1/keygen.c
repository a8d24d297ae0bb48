/*
 * keygen.c - key generation for CreateKeyPair (pure; runs on an offload thread).
 *
 * RSA-2048: OpenSSH public key, traditional PEM (PKCS#1) private key, as AWS returns.
 * ed25519: OpenSSH public key, unencrypted "openssh-key-v1" private key, as AWS returns.
 * KeyFormat=ppk (either type): an unencrypted PuTTY-User-Key-File-3 (PuTTY manual, appendix C
 * "PPK file format"), as AWS returns for --key-format ppk.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "nova.h"

/* A growable byte buffer of SSH wire encoding. */
struct nova_buf {
    unsigned char *p;
    size_t len, cap;
    int err;
};

static void
nova_buf_put(struct nova_buf *b, const void *data, size_t n)
{
    if (b->err)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2 + 64;
        unsigned char *p = realloc(b->p, cap);

        if (p == NULL) {
            b->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void
nova_buf_u32(struct nova_buf *b, uint32_t v)
{
    unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v };

    nova_buf_put(b, x, 4);
}

static void
nova_buf_str(struct nova_buf *b, const void *data, size_t n)
{
    nova_buf_u32(b, (uint32_t)n);
    nova_buf_put(b, data, n);
}

/* SSH mpint of a big-endian unsigned magnitude. */
static void
nova_buf_mpint(struct nova_buf *b, const unsigned char *mag, size_t n)
{
    while (n > 0 && mag[0] == 0) {
        mag++;
        n--;
    }
    if (n > 0 && (mag[0] & 0x80)) {
        nova_buf_u32(b, (uint32_t)n + 1);
        nova_buf_put(b, "", 1);
        nova_buf_put(b, mag, n);
    } else {
        nova_buf_str(b, mag, n);
    }
}

static void
nova_buf_bn(struct nova_buf *b, const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    unsigned char *mag = malloc((size_t)n + 1);

    if (mag == NULL) {
        b->err = 1;
        return;
    }
    nova_buf_mpint(b, mag, (size_t)BN_bn2bin(bn, mag));
    OPENSSL_cleanse(mag, (size_t)n + 1); /* private exponents and primes go through here */
    free(mag);
}

/* Base64 in lines of @p width characters (0: one line), malloc'd. */
static char *
nova_b64_wrap(const unsigned char *data, size_t len, size_t width)
{
    size_t enc = (len + 2) / 3 * 4;
    char *out = malloc(enc + (width > 0 ? enc / width : 0) + 4), *raw = malloc(enc + 1);
    size_t o = 0;

    if (out == NULL || raw == NULL) {
        free(out);
        free(raw);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)raw, data, (int)len);
    for (size_t i = 0; i < enc; i++) {
        out[o++] = raw[i];
        if (width > 0 && (i + 1) % width == 0 && i + 1 < enc)
            out[o++] = '\n';
    }
    out[o] = '\0';
    free(raw);
    return out;
}

static char *
nova_ssh_pub(const char *type, const struct nova_buf *blob)
{
    char *b64 = nova_b64_wrap(blob->p, blob->len, 0);
    char *out = b64 ? malloc(strlen(type) + strlen(b64) + 2) : NULL;

    if (out != NULL) {
        strcpy(out, type);
        strcat(out, " ");
        strcat(out, b64);
    }
    free(b64);
    return out;
}

/*
 * The Private-MAC of an unencrypted PPK v3 file: HMAC-SHA-256 with an empty key over the
 * algorithm, encryption ("none"), comment, public blob and private blob, each as an SSH
 * string. @p hex: 64 lowercase hex digits. 0 or -1.
 */
static int
nova_ppk_mac(const char *alg, const char *comment, const struct nova_buf *pub,
             const struct nova_buf *priv, char hex[65])
{
    static const unsigned char no_key[1];
    struct nova_buf m = { 0 };
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    int rc = -1;

    nova_buf_str(&m, alg, strlen(alg));
    nova_buf_str(&m, "none", 4);
    nova_buf_str(&m, comment, strlen(comment));
    nova_buf_str(&m, pub->p, pub->len);
    nova_buf_str(&m, priv->p, priv->len);
    if (!m.err && HMAC(EVP_sha256(), no_key, 0, m.p, m.len, mac, &maclen) != NULL && maclen == 32) {
        for (unsigned int i = 0; i < maclen; i++)
            snprintf(hex + 2 * i, 3, "%02x", mac[i]);
        rc = 0;
    }
    if (m.p != NULL)
        OPENSSL_cleanse(m.p, m.len);
    free(m.p);
    return rc;
}

/* Lines of 64 characters the base64 of @p n bytes takes (PPK's Public-/Private-Lines). */
static size_t
nova_ppk_lines(size_t n)
{
    return ((n + 2) / 3 * 4 + 63) / 64;
}

/*
 * An unencrypted PuTTY-User-Key-File-3 of public blob @p pub and private blob @p priv
 * (malloc'd). The comment may hold any byte but CR and LF: those become spaces.
 */
static char *
nova_ppk(const char *alg, const char *comment, const struct nova_buf *pub,
         const struct nova_buf *priv)
{
    char *pub64 = nova_b64_wrap(pub->p, pub->len, 64), *priv64 = NULL;
    char *c = malloc(strlen(comment) + 1), mac[65], *out = NULL;
    size_t cap;

    if (c != NULL)
        strcpy(c, comment);
    if (pub64 != NULL && c != NULL)
        priv64 = nova_b64_wrap(priv->p, priv->len, 64);
    for (char *p = c; p != NULL && *p != '\0'; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    if (priv64 == NULL || nova_ppk_mac(alg, c, pub, priv, mac) != 0)
        goto out;
    cap = strlen(alg) + strlen(c) + strlen(pub64) + strlen(priv64) + 192;
    if ((out = malloc(cap)) != NULL)
        snprintf(out, cap,
                 "PuTTY-User-Key-File-3: %s\nEncryption: none\nComment: %s\n"
                 "Public-Lines: %zu\n%s\nPrivate-Lines: %zu\n%s\nPrivate-MAC: %s\n",
                 alg, c, nova_ppk_lines(pub->len), pub64, nova_ppk_lines(priv->len), priv64, mac);
out:
    if (priv64 != NULL)
        OPENSSL_cleanse(priv64, strlen(priv64));
    free(pub64);
    free(priv64);
    free(c);
    return out;
}

/* PuTTY's ssh-rsa private blob: mpint d, p, q, iqmp (q^-1 mod p: PKCS#1's coefficient). */
static int
nova_rsa_ppk_blob(const EVP_PKEY *pk, struct nova_buf *b)
{
    static const char *const params[] = { OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
                                          OSSL_PKEY_PARAM_RSA_FACTOR2,
                                          OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };

    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        BIGNUM *bn = NULL;

        if (!EVP_PKEY_get_bn_param(pk, params[i], &bn))
            return -1;
        nova_buf_bn(b, bn);
        BN_clear_free(bn);
    }
    return b->err ? -1 : 0;
}

/* Traditional PEM (PKCS#1 "RSA PRIVATE KEY"), malloc'd. */
static char *
nova_rsa_pem(EVP_PKEY *pk)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    long len;

    if (bio != NULL && PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL) &&
        (len = BIO_get_mem_data(bio, &data)) > 0 && (out = malloc((size_t)len + 1)) != NULL) {
        memcpy(out, data, (size_t)len);
        out[len] = '\0';
    }
    BIO_free_all(bio);
    return out;
}

static int
nova_keygen_rsa(int ppk, const char *comment, char **pub, char **priv)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    BIGNUM *n = NULL, *e = NULL;
    struct nova_buf blob = { 0 }, secret = { 0 };
    int rc = -1;

    if (pk == NULL || !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e))
        goto out;
    nova_buf_str(&blob, "ssh-rsa", 7);
    nova_buf_bn(&blob, e);
    nova_buf_bn(&blob, n);
    if (blob.err || (ppk && nova_rsa_ppk_blob(pk, &secret) != 0))
        goto out;
    *priv = ppk ? nova_ppk("ssh-rsa", comment, &blob, &secret) : nova_rsa_pem(pk);
    *pub = nova_ssh_pub("ssh-rsa", &blob);
    if (*priv != NULL && *pub != NULL)
        rc = 0;
out:
    if (secret.p != NULL)
        OPENSSL_cleanse(secret.p, secret.len);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(pk);
    free(blob.p);
    free(secret.p);
    return rc;
}

/* Unencrypted "openssh-key-v1" of public blob @p blob and its 32-byte keys, malloc'd. */
static char *
nova_ed25519_openssh(const struct nova_buf *blob, const unsigned char pk32[32],
                     const unsigned char sk32[32])
{
    unsigned char sk64[64], chk[4];
    struct nova_buf sec = { 0 }, file = { 0 };
    char *b64 = NULL, *out = NULL;

    if (RAND_bytes(chk, 4) != 1)
        return NULL;
    memcpy(sk64, sk32, 32);
    memcpy(sk64 + 32, pk32, 32);
    nova_buf_put(&sec, chk, 4);
    nova_buf_put(&sec, chk, 4);
    nova_buf_str(&sec, "ssh-ed25519", 11);
    nova_buf_str(&sec, pk32, 32);
    nova_buf_str(&sec, sk64, 64);
    nova_buf_str(&sec, "", 0);
    for (unsigned char pad = 1; sec.len % 8 != 0; pad++)
        nova_buf_put(&sec, &pad, 1);
    nova_buf_put(&file, "openssh-key-v1", 15);
    nova_buf_str(&file, "none", 4);
    nova_buf_str(&file, "none", 4);
    nova_buf_str(&file, "", 0);
    nova_buf_u32(&file, 1);
    nova_buf_str(&file, blob->p, blob->len);
    nova_buf_str(&file, sec.p, sec.len);
    if (!sec.err && !file.err)
        b64 = nova_b64_wrap(file.p, file.len, 70);
    if (b64 != NULL && (out = malloc(strlen(b64) + 80)) != NULL) {
        strcpy(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        strcat(out, b64);
        strcat(out, "\n-----END OPENSSH PRIVATE KEY-----\n");
    }
    OPENSSL_cleanse(sk64, sizeof(sk64));
    if (sec.p != NULL)
        OPENSSL_cleanse(sec.p, sec.len);
    if (file.p != NULL)
        OPENSSL_cleanse(file.p, file.len);
    free(b64);
    free(sec.p);
    free(file.p);
    return out;
}

static int
nova_keygen_ed25519(int ppk, const char *comment, char **pub, char **priv)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    unsigned char pk32[32], sk32[32];
    size_t l1 = 32, l2 = 32;
    struct nova_buf blob = { 0 }, secret = { 0 };
    int rc = -1;

    if (pk == NULL || !EVP_PKEY_get_raw_public_key(pk, pk32, &l1) ||
        !EVP_PKEY_get_raw_private_key(pk, sk32, &l2))
        goto out;
    nova_buf_str(&blob, "ssh-ed25519", 11);
    nova_buf_str(&blob, pk32, 32);
    /* PuTTY's ssh-ed25519 private blob: the 32-byte private key (RFC 8032's seed) as a string */
    nova_buf_str(&secret, sk32, 32);
    if (blob.err || secret.err)
        goto out;
    *priv = ppk ? nova_ppk("ssh-ed25519", comment, &blob, &secret)
                : nova_ed25519_openssh(&blob, pk32, sk32);
    *pub = nova_ssh_pub("ssh-ed25519", &blob);
    if (*pub != NULL && *priv != NULL)
        rc = 0;
out:
    OPENSSL_cleanse(sk32, sizeof(sk32));
    if (secret.p != NULL)
        OPENSSL_cleanse(secret.p, secret.len);
    free(blob.p);
    free(secret.p);
    EVP_PKEY_free(pk);
    return rc;
}

int
nova_keygen(const char *type, const char *format, const char *comment, char **public_key,
            char **private_key)
{
    int ppk = format != NULL && strcmp(format, "ppk") == 0;

    *public_key = *private_key = NULL;
    if (comment == NULL)
        comment = "";
    if (strcmp(type, "ed25519") == 0)
        return nova_keygen_ed25519(ppk, comment, public_key, private_key);
    return nova_keygen_rsa(ppk, comment, public_key, private_key);
}
