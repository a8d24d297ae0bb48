/*
 * test_keys.c - CreateKeyPair private keys through the fake host: KeyFormat=ppk (PuTTY v3,
 * unencrypted) for rsa and ed25519, checked field by field (structure, MAC, the private blob
 * against the public key Nova received) and, when puttygen is installed (Debian's
 * putty-tools), converted by it; KeyFormat pem and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ec2gw/testing.h>

/* A PPK file taken apart. */
struct ppk {
    char alg[32], enc[32], comment[300], mac[80];
    unsigned char pub[2048], priv[2048];
    size_t npub, npriv;
};

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, "{}");

    assert_non_null(h);
    return h;
}

/* CreateKeyPair with @p params; *pub gets the public key uploaded to Nova (malloc'd). */
static char *
create(ec2gw_test_host_t *h, const char *params, char **pub)
{
    const json_t *calls, *body;
    json_t *m;
    char *material;

    ec2gw_test_expect(h, "POST", "compute", "/os-keypairs", 200,
                      "{\"keypair\": {\"name\": \"k\", \"fingerprint\": \"aa:bb\"}}");
    m = ec2gw_test_action(h, "CreateKeyPair", params);
    assert_non_null(m);
    calls = ec2gw_test_calls(h);
    body = json_object_get(json_array_get(calls, json_array_size(calls) - 1), "body");
    *pub =
        strdup(json_string_value(json_object_get(json_object_get(body, "keypair"), "public_key")));
    material = strdup(json_string_value(json_object_get(m, "KeyMaterial")));
    json_decref(m);
    return material;
}

/* Base64 of @p n characters into @p out: the byte count. */
static size_t
b64_decode(const char *in, size_t n, unsigned char *out)
{
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);

    assert_true(len >= 0);
    while (n > 0 && in[n - 1] == '=') {
        n--;
        len--;
    }
    return (size_t)len;
}

/* "<Name>: <value>\n" at *@p p: copies the value, advances *@p p. */
static void
header(const char **p, const char *name, char *value, size_t cap)
{
    size_t nl = strlen(name), vl;
    const char *eol;

    assert_true(strncmp(*p, name, nl) == 0 && (*p)[nl] == ':' && (*p)[nl + 1] == ' ');
    *p += nl + 2;
    eol = strchr(*p, '\n');
    assert_non_null(eol);
    vl = (size_t)(eol - *p);
    assert_true(vl < cap);
    memcpy(value, *p, vl);
    value[vl] = '\0';
    *p = eol + 1;
}

/* @p count lines of base64, each 64 characters but the last: decoded into @p out. */
static size_t
b64_lines(const char **p, const char *count_name, unsigned char *out)
{
    char count[16], b64[4096] = "";
    long lines;

    header(p, count_name, count, sizeof(count));
    lines = strtol(count, NULL, 10);
    assert_true(lines > 0);
    for (long i = 0; i < lines; i++) {
        const char *eol = strchr(*p, '\n');

        assert_non_null(eol);
        assert_true(eol - *p == 64 || (i == lines - 1 && eol - *p <= 64 && eol > *p));
        strncat(b64, *p, (size_t)(eol - *p));
        *p = eol + 1;
    }
    return b64_decode(b64, strlen(b64), out);
}

static void
parse_ppk(const char *text, struct ppk *k)
{
    const char *p = text;
    char ver[8];

    assert_true(strncmp(p, "PuTTY-User-Key-File-", 20) == 0);
    p += 20;
    snprintf(ver, sizeof(ver), "%.1s", p);
    assert_string_equal(ver, "3");
    p += 1;
    header(&p, "", k->alg, sizeof(k->alg));
    header(&p, "Encryption", k->enc, sizeof(k->enc));
    header(&p, "Comment", k->comment, sizeof(k->comment));
    k->npub = b64_lines(&p, "Public-Lines", k->pub);
    k->npriv = b64_lines(&p, "Private-Lines", k->priv);
    header(&p, "Private-MAC", k->mac, sizeof(k->mac));
    assert_string_equal(p, ""); /* nothing after the MAC line */
    assert_string_equal(k->enc, "none");
}

static void
put_string(unsigned char *buf, size_t *n, const void *s, size_t len)
{
    buf[(*n)++] = (unsigned char)(len >> 24);
    buf[(*n)++] = (unsigned char)(len >> 16);
    buf[(*n)++] = (unsigned char)(len >> 8);
    buf[(*n)++] = (unsigned char)len;
    memcpy(buf + *n, s, len);
    *n += len;
}

/* The MAC as PuTTY checks it: HMAC-SHA-256, empty key, over the five fields as strings. */
static void
check_mac(const struct ppk *k)
{
    unsigned char buf[8192], mac[32];
    unsigned int maclen = 0;
    char hex[65];
    size_t n = 0;

    put_string(buf, &n, k->alg, strlen(k->alg));
    put_string(buf, &n, k->enc, strlen(k->enc));
    put_string(buf, &n, k->comment, strlen(k->comment));
    put_string(buf, &n, k->pub, k->npub);
    put_string(buf, &n, k->priv, k->npriv);
    assert_non_null(HMAC(EVP_sha256(), "", 0, buf, n, mac, &maclen));
    for (unsigned i = 0; i < maclen; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(k->mac, hex);
}

/* The next SSH string of @p buf: its bytes at *@p s, its length returned. */
static size_t
get_string(const unsigned char *buf, size_t len, size_t *off, const unsigned char **s)
{
    size_t n;

    assert_true(*off + 4 <= len);
    n = (size_t)buf[*off] << 24 | (size_t)buf[*off + 1] << 16 | (size_t)buf[*off + 2] << 8 |
        buf[*off + 3];
    assert_true(*off + 4 + n <= len);
    *s = buf + *off + 4;
    *off += 4 + n;
    return n;
}

/* The next mpint: positive, no superfluous leading zero (RFC 4251 §5). */
static BIGNUM *
get_mpint(const unsigned char *buf, size_t len, size_t *off)
{
    const unsigned char *s;
    size_t n = get_string(buf, len, off, &s);

    assert_true(n > 0 && (s[0] & 0x80) == 0);
    assert_true(s[0] != 0 || (n > 1 && (s[1] & 0x80) != 0));
    return BN_bin2bn(s, (int)n, NULL);
}

/* The base64 of an OpenSSH public key line ("type b64 [comment]") decoded. */
static size_t
openssh_blob(const char *line, unsigned char *out)
{
    const char *b = strchr(line, ' ') + 1, *e = strchr(b, ' ');

    return b64_decode(b, e != NULL ? (size_t)(e - b) : strlen(b), out);
}

static void
check_rsa(const struct ppk *k)
{
    size_t off = 0;
    const unsigned char *s;
    BIGNUM *e, *n, *d, *p, *q, *iqmp, *t = BN_new(), *one = BN_new();
    BN_CTX *ctx = BN_CTX_new();

    assert_int_equal(get_string(k->pub, k->npub, &off, &s), 7);
    assert_memory_equal(s, "ssh-rsa", 7);
    e = get_mpint(k->pub, k->npub, &off);
    n = get_mpint(k->pub, k->npub, &off);
    assert_int_equal(off, k->npub);
    off = 0;
    d = get_mpint(k->priv, k->npriv, &off);
    p = get_mpint(k->priv, k->npriv, &off);
    q = get_mpint(k->priv, k->npriv, &off);
    iqmp = get_mpint(k->priv, k->npriv, &off);
    assert_int_equal(off, k->npriv); /* unencrypted: no padding */
    assert_int_equal(BN_num_bits(n), 2048);
    BN_one(one);
    assert_true(BN_mul(t, p, q, ctx) && BN_cmp(t, n) == 0);
    assert_true(BN_mod_mul(t, iqmp, q, p, ctx) && BN_is_one(t));
    /* d e = 1 mod (p - 1) and mod (q - 1) */
    assert_true(BN_sub_word(p, 1) && BN_sub_word(q, 1));
    assert_true(BN_mod_mul(t, d, e, p, ctx) && BN_is_one(t));
    assert_true(BN_mod_mul(t, d, e, q, ctx) && BN_is_one(t));
    BN_free(e);
    BN_free(n);
    BN_clear_free(d);
    BN_clear_free(p);
    BN_clear_free(q);
    BN_clear_free(iqmp);
    BN_free(t);
    BN_free(one);
    BN_CTX_free(ctx);
}

static void
check_ed25519(const struct ppk *k)
{
    size_t off = 0, l = 32;
    const unsigned char *s, *pk;
    unsigned char derived[32];
    EVP_PKEY *key;

    assert_int_equal(get_string(k->pub, k->npub, &off, &s), 11);
    assert_memory_equal(s, "ssh-ed25519", 11);
    assert_int_equal(get_string(k->pub, k->npub, &off, &pk), 32);
    off = 0;
    assert_int_equal(get_string(k->priv, k->npriv, &off, &s), 32);
    assert_int_equal(off, k->npriv);
    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s, 32);
    assert_non_null(key);
    assert_true(EVP_PKEY_get_raw_public_key(key, derived, &l));
    assert_memory_equal(derived, pk, 32);
    EVP_PKEY_free(key);
}

/*
 * puttygen loads the private key (checking the MAC), writes it as OpenSSH, and the public key
 * of that file is the one Nova got; a file with a wrong MAC is refused.
 */
static void
check_puttygen(const char *material, const char *pub)
{
    char dir[] = "/tmp/ec2gw-ppk-XXXXXX", cmd[512], path[300], line[4096];
    FILE *f;

    if (system("command -v puttygen >/dev/null 2>&1") != 0) {
        print_message("puttygen not installed (apt-get install putty-tools): skipped\n");
        return;
    }
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/k.ppk", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(material, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "cd %s && puttygen k.ppk -O private-openssh -o k.pem </dev/null &&"
             " grep -q 'PRIVATE KEY' k.pem && puttygen k.pem -O public-openssh -o k.pub </dev/null",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    /* "type base64 comment": the first two fields are Nova's */
    assert_true(strncmp(line, pub, strlen(pub)) == 0 && line[strlen(pub)] == ' ');
    /* the MAC's check is real */
    snprintf(path, sizeof(path), "%s/bad.ppk", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(material, f);
    fseek(f, -2, SEEK_END); /* the MAC's last hex digit, before the final newline */
    fputc(material[strlen(material) - 2] == '0' ? '1' : '0', f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "cd %s && puttygen bad.ppk -O private-openssh -o bad.pem"
             " </dev/null 2>/dev/null",
             dir);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void
check_ppk(const char *material, const char *pub, const char *alg, const char *comment)
{
    struct ppk k;
    unsigned char blob[2048];

    parse_ppk(material, &k);
    assert_string_equal(k.alg, alg);
    assert_string_equal(k.comment, comment);
    check_mac(&k);
    /* the public half is the key Nova received */
    assert_int_equal(openssh_blob(pub, blob), k.npub);
    assert_memory_equal(blob, k.pub, k.npub);
    if (strcmp(alg, "ssh-rsa") == 0)
        check_rsa(&k);
    else
        check_ed25519(&k);
    check_puttygen(material, pub);
}

static void
test_ppk_rsa(void **s)
{
    ec2gw_test_host_t *h = host();
    char *pub, *material;

    (void)s;
    material = create(h, "{\"KeyName\": \"k\", \"KeyFormat\": \"ppk\"}", &pub);
    assert_true(strncmp(pub, "ssh-rsa ", 8) == 0);
    check_ppk(material, pub, "ssh-rsa", "k");
    free(material);
    free(pub);
    material =
        create(h, "{\"KeyName\": \"k r\", \"KeyType\": \"rsa\", \"KeyFormat\": \"ppk\"}", &pub);
    check_ppk(material, pub, "ssh-rsa", "k r");
    free(material);
    free(pub);
    ec2gw_test_host_free(h);
}

static void
test_ppk_ed25519(void **s)
{
    ec2gw_test_host_t *h = host();
    char *pub, *material;

    (void)s;
    material =
        create(h, "{\"KeyName\": \"ed\", \"KeyType\": \"ed25519\", \"KeyFormat\": \"ppk\"}", &pub);
    assert_true(strncmp(pub, "ssh-ed25519 ", 12) == 0);
    check_ppk(material, pub, "ssh-ed25519", "ed");
    free(material);
    free(pub);
    /* a comment holds no line break: CR and LF of the name become spaces */
    material = create(
        h, "{\"KeyName\": \"a\\r\\nb\", \"KeyType\": \"ed25519\", \"KeyFormat\": \"ppk\"}", &pub);
    check_ppk(material, pub, "ssh-ed25519", "a  b");
    free(material);
    free(pub);
    ec2gw_test_host_free(h);
}

static void
test_pem_and_refusals(void **s)
{
    ec2gw_test_host_t *h = host();
    char *pub, *material;

    (void)s;
    material = create(h, "{\"KeyName\": \"k\", \"KeyFormat\": \"pem\"}", &pub);
    assert_true(strncmp(material, "-----BEGIN RSA PRIVATE KEY-----\n", 32) == 0);
    free(material);
    free(pub);
    material = create(h, "{\"KeyName\": \"k\", \"KeyType\": \"ed25519\"}", &pub);
    assert_true(strncmp(material, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36) == 0);
    free(material);
    free(pub);
    assert_null(
        ec2gw_test_action(h, "CreateKeyPair", "{\"KeyName\": \"k\", \"KeyFormat\": \"der\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_null(ec2gw_test_action(h, "CreateKeyPair",
                                  "{\"KeyName\": \"k\", \"KeyType\": \"dsa\", \"KeyFormat\": "
                                  "\"ppk\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ppk_rsa),
        cmocka_unit_test(test_ppk_ed25519),
        cmocka_unit_test(test_pem_and_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
