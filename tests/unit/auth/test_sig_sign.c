/*
 * test_sig_sign.c - ec2gw_sigv4_sign against botocore's Authorization headers, and the
 * Keystone /v3/ec2tokens bodies (dumped for check_keystone.py, which runs Keystone's signer).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "sig_vec.h"

#define KEYSTONE_DUMP EC2GW_BINARY_DIR "/auth_keystone_bodies.json"

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Byte for byte what botocore's SigV4Auth put in Authorization. */
static void
test_sign_matches_botocore(void **state)
{
    size_t i, n = 0;
    json_t *v;

    (void)state;
    json_array_foreach(vectors(), i, v)
    {
        const json_t *s = json_object_get(v, "sign");
        const char *body = str(v, "body");
        char auth[512];

        if (s == NULL)
            continue;
        n++;
        assert_int_equal(ec2gw_sigv4_sign(str(v, "access"), str(v, "secret"), str(s, "region"),
                                          str(s, "service"), str(v, "method"), str(s, "host"),
                                          str(v, "path"), str(s, "content_type"),
                                          (const unsigned char *)body, strlen(body),
                                          str(s, "amz_date"), auth, sizeof(auth)),
                         0);
        assert_string_equal(auth, str(s, "authorization"));
        /* too small a buffer */
        assert_int_equal(ec2gw_sigv4_sign(str(v, "access"), str(v, "secret"), str(s, "region"),
                                          str(s, "service"), str(v, "method"), str(s, "host"),
                                          str(v, "path"), str(s, "content_type"),
                                          (const unsigned char *)body, strlen(body),
                                          str(s, "amz_date"), auth, 100),
                         -1);
    }
    assert_true(n >= 4);
}

/* What we sign, we verify (the load generator's requests pass the daemon). */
static void
test_sign_roundtrip(void **state)
{
    const char *body = "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=a+b";
    const char *ct = "application/x-www-form-urlencoded; charset=utf-8";
    ec2gw_kvlist_t form = { 0 }, headers = { 0 }, query = { 0 };
    ec2gw_sig_input_t in = { .method = "POST",
                             .path = "/",
                             .query = &query,
                             .form = &form,
                             .headers = &headers,
                             .body = (const unsigned char *)body,
                             .body_len = strlen(body),
                             .now = 1704164645,
                             .max_skew_s = 900 };
    char auth[512];
    ec2gw_fault_t f;
    ec2gw_sig_t sig;

    (void)state;
    assert_int_equal(ec2gw_sigv4_sign("AK", "sekrit", "RegionOne", "ec2", "POST", "h:8788", "/", ct,
                                      in.body, in.body_len, "20240102T030405Z", auth, sizeof(auth)),
                     0);
    assert_int_equal(ec2gw_kvlist_parse_form(&form, body, strlen(body)), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "host", "h:8788"), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "content-type", ct), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "x-amz-date", "20240102T030405Z"), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "authorization", auth), 0);
    assert_int_equal(ec2gw_sig_parse(&in, &sig, &f), 0);
    assert_int_equal(sig.kind, EC2GW_SIG_V4_HEADER);
    assert_string_equal(sig.access_key, "AK");
    assert_string_equal(sig.scope, "20240102/RegionOne/ec2/aws4_request");
    assert_int_equal(ec2gw_sig_verify(&sig, &in, "sekrit", &f), 0);
    assert_int_equal(ec2gw_sig_verify(&sig, &in, "sekrix", &f), -1);
    ec2gw_kvlist_free(&form);
    ec2gw_kvlist_free(&headers);
}

static void
check_body_shape(const json_t *body, const vreq_t *r, const ec2gw_sig_t *sig)
{
    const json_t *c = json_object_get(body, "credentials");
    const json_t *params = json_object_get(c, "params");
    const json_t *headers = json_object_get(c, "headers");

    assert_non_null(c);
    assert_string_equal(str(c, "access"), sig->access_key);
    assert_string_equal(str(c, "signature"), sig->signature);
    assert_string_equal(str(c, "host"), ec2gw_kvlist_get_ci(&r->headers, "Host"));
    assert_string_equal(str(c, "verb"), r->method);
    assert_string_equal(str(c, "path"), r->path);
    assert_int_equal(strlen(str(c, "body_hash")), 64);
    assert_true(json_is_object(params) && json_is_object(headers));
    assert_null(json_object_get(params, "Signature"));
    assert_null(json_object_get(params, "X-Amz-Signature"));
    if (sig->kind == EC2GW_SIG_V4_HEADER) {
        assert_non_null(json_object_get(headers, "Authorization"));
        assert_non_null(json_object_get(headers, "X-Amz-Date"));
        if (strcmp(r->method, "POST") == 0)
            assert_int_equal(json_object_size(params), 0);
    } else if (sig->kind == EC2GW_SIG_V4_QUERY) {
        assert_string_equal(str(params, "X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    } else {
        assert_string_equal(str(params, "SignatureVersion"), "2");
    }
}

/* The ec2tokens body of every accepted vector; dumped with the secret for the Python check. */
static void
test_keystone_body(void **state)
{
    json_t *dump = json_array();
    size_t i;
    json_t *v;

    (void)state;
    json_array_foreach(vectors(), i, v)
    {
        ec2gw_fault_t f;
        ec2gw_sig_t sig;
        json_t *body;
        vreq_t r;

        if (strcmp(str(v, "expect"), "ok") != 0)
            continue;
        assert_int_equal(vreq_load(&r, v), 0);
        assert_int_equal(ec2gw_sig_parse(&r.in, &sig, &f), 0);
        body = ec2gw_sig_keystone_body(&sig, &r.in);
        assert_non_null(body);
        check_body_shape(body, &r, &sig);
        json_array_append_new(dump, json_pack("{s:s, s:s, s:o}", "name", str(v, "name"), "secret",
                                              r.secret, "body", body));
        vreq_free(&r);
    }
    assert_int_equal(json_dump_file(dump, KEYSTONE_DUMP, JSON_INDENT(1)), 0);
    json_decref(dump);
}

/* Lower-case header names from the client come out in the spelling Keystone reads. */
static void
test_keystone_header_names(void **state)
{
    ec2gw_fault_t f;
    ec2gw_sig_t sig;
    json_t *body, *h;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("boto2-bare-ip-scope-0-127")), 0);
    for (size_t i = 0; i < r.headers.n; i++)
        for (char *p = r.headers.v[i].name; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
    assert_int_equal(ec2gw_sig_parse(&r.in, &sig, &f), 0);
    body = ec2gw_sig_keystone_body(&sig, &r.in);
    h = json_object_get(json_object_get(body, "credentials"), "headers");
    assert_non_null(json_object_get(h, "Authorization"));
    assert_non_null(json_object_get(h, "X-Amz-Date"));
    assert_non_null(json_object_get(h, "Host"));
    assert_null(json_object_get(h, "authorization"));
    assert_non_null(json_object_get(h, "content-type"));
    json_decref(body);
    vreq_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_matches_botocore),
        cmocka_unit_test(test_sign_roundtrip),
        cmocka_unit_test(test_keystone_body),
        cmocka_unit_test(test_keystone_header_names),
    };

    return cmocka_run_group_tests(tests, NULL, vectors_free);
}
