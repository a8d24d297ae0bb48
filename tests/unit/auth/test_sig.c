/*
 * test_sig.c - SigV4/SigV2 verification against requests signed by the real clients
 * (vectors/sig_vectors.json, made by make_vectors.py with botocore), and their mutations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "sig_vec.h"

static int
is_ok(const json_t *v)
{
    return strcmp(json_string_value(json_object_get(v, "expect")), "ok") == 0;
}

static const char *
vname(const json_t *v)
{
    return json_string_value(json_object_get(v, "name"));
}

/* Every vector gets the verdict make_vectors.py recorded. */
static void
test_vectors_verdict(void **state)
{
    ec2gw_fault_t f;
    size_t i;
    json_t *v;

    (void)state;
    assert_true(json_array_size(vectors()) >= 20);
    json_array_foreach(vectors(), i, v)
    {
        vreq_t r;
        const char *got;

        assert_int_equal(vreq_load(&r, v), 0);
        got = vreq_check(&r, r.secret, &f);
        if (strcmp(got, json_string_value(json_object_get(v, "expect"))) != 0)
            fail_msg("%s: expected %s, got %s (%s)", vname(v),
                     json_string_value(json_object_get(v, "expect")), got, f.message);
        if (strcmp(got, "ok") != 0)
            assert_true(f.status >= 400 && f.message[0] != '\0');
        vreq_free(&r);
    }
}

/* Wrong secret → AuthFailure, and the message holds neither secret nor signature. */
static void
test_wrong_secret(void **state)
{
    ec2gw_fault_t f;
    size_t i;
    json_t *v;

    (void)state;
    json_array_foreach(vectors(), i, v)
    {
        vreq_t r;

        if (!is_ok(v))
            continue;
        assert_int_equal(vreq_load(&r, v), 0);
        assert_string_equal(vreq_check(&r, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz", &f),
                            "AuthFailure");
        assert_int_equal(f.status, 401);
        assert_null(strstr(f.message, r.secret));
        assert_null(strstr(f.message, "wJalr"));
        vreq_free(&r);
    }
}

/* One more parameter in the body (or the query, when the body is empty) → AuthFailure. */
static void
test_tampered(void **state)
{
    ec2gw_fault_t f;
    size_t i;
    json_t *v;

    (void)state;
    json_array_foreach(vectors(), i, v)
    {
        vreq_t r;
        char **s;
        char *t;

        if (!is_ok(v))
            continue;
        assert_int_equal(vreq_load(&r, v), 0);
        s = r.body[0] != '\0' ? &r.body : &r.raw_query;
        assert_true(asprintf(&t, "%s&DryRun=true", *s) > 0);
        free(*s);
        *s = t;
        assert_int_equal(vreq_refresh(&r), 0);
        if (strcmp(vreq_check(&r, r.secret, &f), "AuthFailure") != 0)
            fail_msg("%s: tampered request passed (%s)", vname(v), f.code);
        vreq_free(&r);
    }
}

/* The verdict for a vector whose server clock is moved by @p shift seconds. */
static const char *
shifted_verdict(const char *name, long shift)
{
    long limit = 900; /* ±max_skew_s */

    if (strcmp(name, "sigv2-expires") == 0) /* Expires 5 minutes ahead: any past time is ok */
        return shift > 300 ? "RequestExpired" : "ok";
    /* presigned: valid until X-Amz-Date + X-Amz-Expires (300 and 3600 s) */
    if (shift > 0 && strstr(name, "presigned") != NULL)
        limit = 300;
    if (shift > 0 && strstr(name, "query-auth") != NULL)
        limit = 3600;
    return labs(shift) > limit ? "RequestExpired" : "ok";
}

/* Outside the window in either direction → RequestExpired; at the edge still accepted. */
static void
test_clock_skew(void **state)
{
    static const long shifts[] = { 4000, -4000, 900, -900, 901, -901 };
    ec2gw_fault_t f;
    size_t i;
    json_t *v;

    (void)state;
    json_array_foreach(vectors(), i, v)
    {
        for (size_t k = 0; is_ok(v) && k < sizeof(shifts) / sizeof(shifts[0]); k++) {
            const char *want = shifted_verdict(vname(v), shifts[k]);
            vreq_t r;

            assert_int_equal(vreq_load(&r, v), 0);
            r.in.now += shifts[k];
            if (strcmp(vreq_check(&r, r.secret, &f), want) != 0)
                fail_msg("%s shifted %ld s: expected %s, got %s (%s)", vname(v), shifts[k], want,
                         f.code, f.message);
            if (strcmp(want, "RequestExpired") == 0)
                assert_non_null(strstr(f.message, "server time"));
            vreq_free(&r);
        }
    }
}

static const char *
with_auth(const char *vec, const char *auth)
{
    static char code[96];
    ec2gw_fault_t f;
    vreq_t r;

    assert_int_equal(vreq_load(&r, vector(vec)), 0);
    vreq_set_header(&r, "Authorization", auth);
    snprintf(code, sizeof(code), "%s", vreq_check(&r, r.secret, &f));
    vreq_free(&r);
    return code;
}

#define CRED "Credential=AKIDEXAMPLE0123456789/20240102/0/127/aws4_request"
#define SH   "SignedHeaders=content-type;host;x-amz-date"
#define SIG  "Signature=8c1c40848f551a4a1eeb6ee0f992283d8de73d94f578d4e81145b77d9add0be1"
#define ALG  "AWS4-HMAC-SHA256 "
#define VEC  "boto2-bare-ip-scope-0-127"

/* Spelling variants AWS accepts, and malformed headers → IncompleteSignature. */
static void
test_authorization_forms(void **state)
{
    static const char *const incomplete[] = {
        ALG CRED ", " SH,
        ALG SH ", " SIG,
        ALG CRED ", " SIG,
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA1 " CRED ", " SH ", " SIG,
        "AWS AKIDEXAMPLE0123456789:abc=",
        ALG "Credential=AKIDEXAMPLE0123456789/20240102/0/127/aws5_request, " SH ", " SIG,
        ALG "Credential=AKIDEXAMPLE0123456789/20240102/0/aws4_request, " SH ", " SIG,
        ALG "Credential=AKIDEXAMPLE0123456789/20240103/0/127/aws4_request, " SH ", " SIG,
        ALG "Credential=/20240102/0/127/aws4_request, " SH ", " SIG,
        ALG "Credential=AKIDEXAMPLE0123456789/2024010x/0/127/aws4_request, " SH ", " SIG,
        ALG "Credential=AKIDEXAMPLE0123456789//0/127/aws4_request, " SH ", " SIG,
        ALG CRED ", SignedHeaders=content-type;x-amz-date, " SIG,
        ALG CRED ", SignedHeaders=content-type;;host;x-amz-date, " SIG,
        ALG CRED ", " SH ", " SIG ", " SIG,
        ALG CRED ", " SH ", " SIG ", Foo=bar",
        ALG CRED ", " SH ", Signature",
    };

    (void)state;
    assert_string_equal(with_auth(VEC, ALG CRED ", " SH ", " SIG), "ok");
    assert_string_equal(with_auth(VEC, ALG CRED "," SH "," SIG), "ok");
    assert_string_equal(with_auth(VEC, ALG "  " CRED " ,  " SH " , " SIG "  "), "ok");
    assert_string_equal(with_auth(VEC, ALG SIG ", " CRED ", " SH), "ok");
    assert_string_equal(with_auth(VEC, ALG CRED " " SH " " SIG), "ok");
    assert_string_equal(
        with_auth(VEC, ALG CRED ", " SH ", Signature=8C1C40848F551A4A1EEB6EE0F992283D8DE73D94F578D"
                                "4E81145B77D9ADD0BE1"),
        "ok");
    assert_string_equal(with_auth(VEC, ALG CRED ", " SH ", Signature=8c1c"), "AuthFailure");
    for (size_t i = 0; i < sizeof(incomplete) / sizeof(incomplete[0]); i++)
        if (strcmp(with_auth(VEC, incomplete[i]), "IncompleteSignature") != 0)
            fail_msg("accepted or misjudged: %s -> %s", incomplete[i],
                     with_auth(VEC, incomplete[i]));
}

static void
test_missing_credentials(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;

    (void)state;
    assert_string_equal(with_auth(VEC, NULL), "MissingAuthenticationToken");
    assert_string_equal(with_auth(VEC, "Basic dXNlcjpwYXNz"), "IncompleteSignature");

    /* a foreign Authorization scheme next to query credentials: those are used */
    assert_int_equal(vreq_load(&r, vector("botocore-sigv2-get")), 0);
    vreq_set_header(&r, "Authorization", "Basic dXNlcjpwYXNz");
    assert_string_equal(vreq_check(&r, r.secret, &f), "ok");
    vreq_free(&r);

    /* presigned without X-Amz-Signature, SigV2 without Signature */
    assert_int_equal(vreq_load(&r, vector("sigv4-query-auth-get")), 0);
    *strstr(r.raw_query, "&X-Amz-Signature=") = '\0';
    assert_int_equal(vreq_refresh(&r), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "MissingAuthenticationToken");
    assert_int_equal(f.status, 403);
    vreq_free(&r);

    assert_int_equal(vreq_load(&r, vector("botocore-sigv2-get")), 0);
    *strstr(r.raw_query, "&Signature=") = '\0';
    assert_int_equal(vreq_refresh(&r), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "MissingAuthenticationToken");
    vreq_free(&r);
}

/* Session tokens in any of their places → AuthFailure. */
static void
test_session_tokens(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;
    char *q;

    (void)state;
    assert_int_equal(vreq_load(&r, vector(VEC)), 0);
    vreq_set_header(&r, "x-amz-security-token", "tok");
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    vreq_free(&r);

    assert_int_equal(vreq_load(&r, vector("sigv4-query-auth-get")), 0);
    assert_true(asprintf(&q, "%s&X-Amz-Security-Token=tok", r.raw_query) > 0);
    free(r.raw_query);
    r.raw_query = q;
    assert_int_equal(vreq_refresh(&r), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    assert_non_null(strstr(f.message, "Session tokens"));
    vreq_free(&r);
}

/* Host: with the port as sent, then without; a different host fails. */
static void
test_host_port(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("perl-host-without-port-us-east-1-ec2")), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "ok");
    vreq_set_header(&r, "Host", "ec2.example.org");
    assert_string_equal(vreq_check(&r, r.secret, &f), "ok");
    vreq_set_header(&r, "Host", "ec2.example.net:8788");
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    vreq_set_header(&r, "Host", NULL);
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    vreq_free(&r);

    assert_int_equal(vreq_load(&r, vector("sigv2-host-without-port")), 0);
    vreq_set_header(&r, "Host", "other.example.org:8788");
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    vreq_free(&r);
}

/* The payload hash header must describe the body; a signed header must be present. */
static void
test_payload_header(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("jsv3-content-sha256")), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "ok");
    vreq_set_header(&r, "X-Amz-Content-SHA256",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    assert_non_null(strstr(f.message, "X-Amz-Content-SHA256"));
    vreq_free(&r);

    assert_int_equal(vreq_load(&r, vector("jsv3-content-sha256")), 0);
    vreq_set_header(&r, "amz-sdk-request", NULL);
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    assert_non_null(strstr(f.message, "amz-sdk-request"));
    vreq_free(&r);
}

/* Presigned: X-Amz-Expires from 1 s to a week, an algorithm, the scope date. */
static void
test_presigned_limits(void **state)
{
    static const char *const bad[][2] = {
        { "X-Amz-Expires=3600", "X-Amz-Expires=604801" },
        { "X-Amz-Expires=3600", "X-Amz-Expires=0" },
        { "X-Amz-Expires=3600", "X-Amz-Expires=-5" },
        { "X-Amz-Expires=3600", "X-Amz-Expires=1h" },
        { "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA512" },
        { "X-Amz-Algorithm=AWS4-HMAC-SHA256&", "" },
        { "X-Amz-Date=20240102T030405Z", "X-Amz-Date=20240103T030405Z" },
        { "X-Amz-Date=20240102T030405Z", "X-Amz-Date=2024-01-02T03%3A04%3A05Z" },
        { "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date" },
    };
    ec2gw_fault_t f;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vreq_t r;

        assert_int_equal(vreq_load(&r, vector("sigv4-query-auth-get")), 0);
        assert_int_equal(str_replace(&r.raw_query, bad[i][0], bad[i][1]), 0);
        assert_int_equal(vreq_refresh(&r), 0);
        if (strcmp(vreq_check(&r, r.secret, &f), "IncompleteSignature") != 0)
            fail_msg("%s: got %s", bad[i][1], f.code);
        vreq_free(&r);
    }
}

/* Issue 11 #5: a presigned URL signs no payload, so a body (its parameters) is refused. */
static void
test_presigned_body(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("sigv4-query-auth-get")), 0);
    free(r.body);
    r.body = strdup("Action=TerminateInstances&InstanceId.1=i-00000001");
    vreq_set_header(&r, "Content-Type", "application/x-www-form-urlencoded");
    assert_int_equal(vreq_refresh(&r), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    assert_non_null(strstr(f.message, "must not have a body"));
    vreq_free(&r);
}

/* Issue 11 #6: any region, but not a scope for another service that shares the keys. */
static void
test_scope_service(void **state)
{
    static const char *const refused[] = { "s3", "S3", "sts", "iam" };
    char auth[512];

    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(auth, sizeof(auth),
                 ALG "Credential=AKIDEXAMPLE0123456789/20240102/0/%s/aws4_request, " SH ", " SIG,
                 refused[i]);
        if (strcmp(with_auth(VEC, auth), "AuthFailure") != 0)
            fail_msg("scope service %s accepted: %s", refused[i], with_auth(VEC, auth));
    }
    /* a bad signature in an accepted scope is a plain mismatch, an ec2 scope in any region */
    assert_string_equal(
        with_auth(VEC, ALG "Credential=AKIDEXAMPLE0123456789/20240102/mars-1/ec2/aws4_request, " SH
                           ", " SIG),
        "AuthFailure");
    assert_string_equal(with_auth(VEC, ALG CRED ", " SH ", " SIG), "ok");
}

/* SigV2: a client that left '+' unencoded in the query (decoded to ' ') still verifies. */
static void
test_sigv2_plus_in_query(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("botocore-sigv2-get")), 0);
    assert_int_equal(str_replace(&r.raw_query, "%2B", "+"), 0);
    assert_int_equal(vreq_refresh(&r), 0);
    assert_non_null(strchr(ec2gw_kvlist_get(&r.query, "Signature"), ' '));
    assert_string_equal(vreq_check(&r, r.secret, &f), "ok");
    vreq_free(&r);
}

/* SigV2: an unknown method, a missing time. */
static void
test_sigv2_params(void **state)
{
    ec2gw_fault_t f;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("botocore-sigv2-post")), 0);
    assert_int_equal(str_replace(&r.body, "SignatureMethod=HmacSHA256", "SignatureMethod=HmacMD5"),
                     0);
    assert_int_equal(vreq_refresh(&r), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "AuthFailure");
    vreq_free(&r);

    assert_int_equal(vreq_load(&r, vector("botocore-sigv2-post")), 0);
    assert_int_equal(str_replace(&r.body, "Timestamp=", "Timestamq="), 0);
    assert_int_equal(vreq_refresh(&r), 0);
    assert_string_equal(vreq_check(&r, r.secret, &f), "IncompleteSignature");
    vreq_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_verdict),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_clock_skew),
        cmocka_unit_test(test_authorization_forms),
        cmocka_unit_test(test_missing_credentials),
        cmocka_unit_test(test_session_tokens),
        cmocka_unit_test(test_host_port),
        cmocka_unit_test(test_payload_header),
        cmocka_unit_test(test_presigned_limits),
        cmocka_unit_test(test_presigned_body),
        cmocka_unit_test(test_scope_service),
        cmocka_unit_test(test_sigv2_plus_in_query),
        cmocka_unit_test(test_sigv2_params),
    };

    return cmocka_run_group_tests(tests, NULL, vectors_free);
}
