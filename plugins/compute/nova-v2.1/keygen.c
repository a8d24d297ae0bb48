/*
 * keygen.c - key generation for CreateKeyPair (pure; runs on an offload thread).
 *
 * RSA-2048: OpenSSH public key, traditional PEM (PKCS#1) private key, as AWS returns.
 * ed25519: OpenSSH public key, unencrypted "openssh-key-v1" private key, as AWS returns.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
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

/* Base64 with optional line wrapping (malloc). */
static char *
nova_b64_wrap(const unsigned char *data, size_t len, int wrap)
{
    size_t enc = (len + 2) / 3 * 4;
    char *out = malloc(enc + enc / 70 + 4), *raw = malloc(enc + 1);
    size_t o = 0;

    if (out == NULL || raw == NULL) {
        free(out);
        free(raw);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)raw, data, (int)len);
    for (size_t i = 0; i < enc; i++) {
        out[o++] = raw[i];
        if (wrap && (i + 1) % 70 == 0 && i + 1 < enc)
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

static int
nova_keygen_rsa(char **pub, char **priv)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    BIGNUM *n = NULL, *e = NULL;
    struct nova_buf blob = { 0 };
    unsigned char mag[1024];
    BIO *bio = NULL;
    char *data;
    long len;
    int rc = -1, sz;

    if (pk == NULL || !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e))
        goto out;
    nova_buf_str(&blob, "ssh-rsa", 7);
    sz = BN_bn2bin(e, mag);
    nova_buf_mpint(&blob, mag, (size_t)sz);
    sz = BN_bn2bin(n, mag);
    nova_buf_mpint(&blob, mag, (size_t)sz);
    if (blob.err)
        goto out;
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL))
        goto out;
    len = BIO_get_mem_data(bio, &data);
    *priv = malloc((size_t)len + 1);
    *pub = nova_ssh_pub("ssh-rsa", &blob);
    if (*priv == NULL || *pub == NULL)
        goto out;
    memcpy(*priv, data, (size_t)len);
    (*priv)[len] = '\0';
    rc = 0;
out:
    BIO_free(bio);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(pk);
    free(blob.p);
    return rc;
}

static int
nova_keygen_ed25519(char **pub, char **priv)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    unsigned char pk32[32], sk32[32], sk64[64], chk[4];
    size_t l1 = 32, l2 = 32;
    struct nova_buf blob = { 0 }, sec = { 0 }, file = { 0 };
    char *b64;
    int rc = -1;

    if (pk == NULL || !EVP_PKEY_get_raw_public_key(pk, pk32, &l1) ||
        !EVP_PKEY_get_raw_private_key(pk, sk32, &l2) || RAND_bytes(chk, 4) != 1)
        goto out;
    memcpy(sk64, sk32, 32);
    memcpy(sk64 + 32, pk32, 32);
    nova_buf_str(&blob, "ssh-ed25519", 11);
    nova_buf_str(&blob, pk32, 32);
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
    nova_buf_str(&file, blob.p, blob.len);
    nova_buf_str(&file, sec.p, sec.len);
    if (blob.err || sec.err || file.err)
        goto out;
    b64 = nova_b64_wrap(file.p, file.len, 1);
    *pub = nova_ssh_pub("ssh-ed25519", &blob);
    *priv = b64 ? malloc(strlen(b64) + 80) : NULL;
    if (*priv != NULL) {
        strcpy(*priv, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        strcat(*priv, b64);
        strcat(*priv, "\n-----END OPENSSH PRIVATE KEY-----\n");
    }
    free(b64);
    if (*pub != NULL && *priv != NULL)
        rc = 0;
out:
    OPENSSL_cleanse(sk32, sizeof(sk32));
    OPENSSL_cleanse(sk64, sizeof(sk64));
    if (sec.p != NULL)
        OPENSSL_cleanse(sec.p, sec.len);
    free(blob.p);
    free(sec.p);
    free(file.p);
    EVP_PKEY_free(pk);
    return rc;
}

int
nova_keygen(const char *type, char **public_key, char **private_key)
{
    *public_key = *private_key = NULL;
    if (strcmp(type, "ed25519") == 0)
        return nova_keygen_ed25519(public_key, private_key);
    return nova_keygen_rsa(public_key, private_key);
}
