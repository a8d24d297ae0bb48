/*
 * test_sig_keystone_host.c - what Net::Amazon::EC2 sends: SigV4 over the host without the
 * port its HTTP library sends (the ec2tokens body names the Host the signature covers), and an
 * empty SecurityToken with SigV2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "auth/signature.h"

#define CT   "application/x-www-form-urlencoded"
#define BODY "Action=DescribeAvailabilityZones&Version=2014-06-15"
#define DATE "20240102T030405Z"

/* The ec2tokens body's Host for a request signed for @p signed_host, sent with Host: h:8788. */
static void
expect_host(const char *signed_host, const char *secret, const char *expected)
{
    ec2gw_kvlist_t form = { 0 }, headers = { 0 }, query = { 0 };
    ec2gw_sig_input_t in = { .method = "POST",
                             .path = "/",
                             .query = &query,
                             .form = &form,
                             .headers = &headers,
                             .body = (const unsigned char *)BODY,
                             .body_len = strlen(BODY),
                             .now = 1704164645,
                             .max_skew_s = 900 };
    char auth[512];
    ec2gw_fault_t f;
    ec2gw_sig_t sig;
    json_t *body, *c;

    assert_int_equal(ec2gw_sigv4_sign("AK", "sekrit", "us-east-1", "ec2", "POST", signed_host, "/",
                                      CT, in.body, in.body_len, DATE, auth, sizeof(auth)),
                     0);
    assert_int_equal(ec2gw_kvlist_parse_form(&form, BODY, strlen(BODY)), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "Host", "h:8788"), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "Content-Type", CT), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "X-Amz-Date", DATE), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "Authorization", auth), 0);
    assert_int_equal(ec2gw_sig_parse(&in, &sig, &f), 0);
    assert_int_equal(ec2gw_sig_verify(&sig, &in, "sekrit", &f), 0);
    body = ec2gw_sig_keystone_body_for(&sig, &in, secret);
    c = json_object_get(body, "credentials");
    assert_string_equal(json_string_value(json_object_get(c, "host")), expected);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "headers"), "Host")),
                        expected);
    /* the other headers are all still there */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c, "headers"), "Content-Type")), CT);
    json_decref(body);
    ec2gw_kvlist_free(&form);
    ec2gw_kvlist_free(&headers);
}

static void
test_signed_without_port(void **state)
{
    (void)state;
    expect_host("h", "sekrit", "h");
}

static void
test_signed_with_port(void **state)
{
    (void)state;
    expect_host("h:8788", "sekrit", "h:8788");
}

/* Without the secret (Keystone verifies alone) the Host goes as received. */
static void
test_no_secret(void **state)
{
    (void)state;
    expect_host("h", NULL, "h:8788");
}

/* Net::Amazon::EC2's SigV2 sends an empty SecurityToken: no session token; a real one is. */
static void
test_empty_security_token(void **state)
{
    const char *q = "Action=DescribeRegions&Version=2014-06-15&AWSAccessKeyId=AK&"
                    "SignatureVersion=2&SignatureMethod=HmacSHA256&"
                    "Timestamp=2024-01-02T03%3A04%3A05Z&Signature=abc%3D&SecurityToken=";
    ec2gw_kvlist_t query = { 0 }, headers = { 0 }, form = { 0 };
    ec2gw_sig_input_t in = { .method = "GET",
                             .path = "/",
                             .raw_query = q,
                             .query = &query,
                             .form = &form,
                             .headers = &headers,
                             .now = 1704164645,
                             .max_skew_s = 900 };
    ec2gw_fault_t f = { 0 };
    ec2gw_sig_t sig;

    (void)state;
    assert_int_equal(ec2gw_kvlist_parse_form(&query, q, strlen(q)), 0);
    assert_int_equal(ec2gw_kvlist_add(&headers, "Host", "h:8788"), 0);
    assert_int_equal(ec2gw_sig_parse(&in, &sig, &f), 0);
    assert_int_equal(sig.kind, EC2GW_SIG_V2);
    ec2gw_kvlist_free(&query);
    assert_int_equal(ec2gw_kvlist_parse_form(&query, q, strlen(q)), 0);
    assert_int_equal(ec2gw_kvlist_add(&query, "X-Amz-Security-Token", "tok"), 0);
    assert_int_equal(ec2gw_sig_parse(&in, &sig, &f), -1);
    assert_string_equal(f.code, "AuthFailure");
    ec2gw_kvlist_free(&query);
    ec2gw_kvlist_free(&headers);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_without_port),
        cmocka_unit_test(test_signed_with_port),
        cmocka_unit_test(test_no_secret),
        cmocka_unit_test(test_empty_security_token),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
