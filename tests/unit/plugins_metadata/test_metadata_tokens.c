/*
 * test_metadata_tokens.c - IMDSv2 through the fake host: PUT /latest/api/token and its TTL
 * rules, tokens on reads, expiry on the fake clock, tampering, the daemon key, HttpTokens
 * required, and the PUT refused when another proxy than Neutron's forwarded it.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include "md_test.h"

#define OPTIONAL "{\"metadata_options\": {\"http_tokens\": \"optional\"}}"
#define REQUIRED "{\"metadata_options\": {\"http_tokens\": \"required\"}}"
#define PATH     "/latest/meta-data/instance-id"

static ec2gw_test_host_t *
host(const char *data)
{
    ec2gw_test_host_t *h = md_host("{}", data);

    assert_non_null(h);
    /* a long cache: these tests are about tokens, one miss each */
    ec2gw_test_set_metadata_conf(h, 3600 * 1000, 21600);
    md_expect_miss(h, NULL);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* PUT a token of @p ttl seconds with @p extra headers; returns the status, *token a copy. */
static int
put(ec2gw_test_host_t *h, const char *ttl, const char *xff, char *token, size_t size)
{
    char hdrs[1024];
    int st;

    snprintf(hdrs, sizeof(hdrs),
             "{\"X-Instance-ID\": \"%s\", \"X-Tenant-ID\": \"%s\", \"X-Instance-ID-Signature\": "
             "\"%s\", \"X-Forwarded-For\": %s, \"X-aws-ec2-metadata-token-ttl-seconds\": \"%s\"}",
             UUID, TENANT, SIG, xff ? xff : "\"" IP "\"", ttl);
    st = ec2gw_test_http(h, "PUT", "/latest/api/token", hdrs);
    if (token != NULL)
        snprintf(token, size, "%s", ec2gw_test_http_body(h, NULL));
    return st;
}

/* GET PATH with @p token (NULL: none). */
static int
get(ec2gw_test_host_t *h, const char *token)
{
    char hdrs[1024];

    snprintf(hdrs, sizeof(hdrs),
             "{\"X-Instance-ID\": \"%s\", \"X-Tenant-ID\": \"%s\", \"X-Instance-ID-Signature\": "
             "\"%s\", \"X-Forwarded-For\": \"%s\"%s%s%s}",
             UUID, TENANT, SIG, IP, token ? ", \"X-aws-ec2-metadata-token\": \"" : "",
             token ? token : "", token ? "\"" : "");
    return ec2gw_test_http(h, "GET", PATH, hdrs);
}

static void
lifecycle(void **state)
{
    ec2gw_test_host_t *h = host(OPTIONAL);
    char token[200];

    (void)state;
    assert_int_equal(put(h, "60", NULL, token, sizeof(token)), 200);
    assert_string_equal(ec2gw_test_http_reply_header(h, "X-aws-ec2-metadata-token-ttl-seconds"),
                        "60");
    assert_true(strlen(token) > 64);
    assert_int_equal(get(h, token), 200);
    assert_string_equal(ec2gw_test_http_body(h, NULL), "i-0000000a");
    /* reads say how long the token has left */
    ec2gw_test_clock_advance(h, 20000);
    assert_int_equal(get(h, token), 200);
    assert_string_equal(ec2gw_test_http_reply_header(h, "X-aws-ec2-metadata-token-ttl-seconds"),
                        "40");
    /* at its expiry it is refused, even though tokens are optional */
    ec2gw_test_clock_advance(h, 40000);
    assert_int_equal(get(h, token), 401);
    assert_null(strstr(ec2gw_test_http_body(h, NULL), "i-0000000a"));
    /* without one, an optional instance still reads */
    assert_int_equal(get(h, NULL), 200);
    done(h);
}

static void
tampered_and_foreign(void **state)
{
    ec2gw_test_host_t *h = host(OPTIONAL);
    char token[200], forged[200];

    (void)state;
    assert_int_equal(put(h, "21600", NULL, token, sizeof(token)), 200);
    assert_int_equal(get(h, token), 200);
    /* one hex digit changed, a later expiry with the same MAC, garbage */
    snprintf(forged, sizeof(forged), "%s", token);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    assert_int_equal(get(h, forged), 401);
    snprintf(forged, sizeof(forged), "9%s", token);
    assert_int_equal(get(h, forged), 401);
    assert_int_equal(get(h, "bogus"), 401);
    assert_int_equal(get(h, ""), 401);
    /* another daemon's key (a restart) makes the token worthless */
    ec2gw_test_set_key(h, EC2GW_KEY_LOCAL, "another-daemon");
    assert_int_equal(get(h, token), 401);
    done(h);
}

static void
ttl_rules(void **state)
{
    ec2gw_test_host_t *h = host(OPTIONAL);

    (void)state;
    assert_int_equal(put(h, "0", NULL, NULL, 0), 400);
    assert_int_equal(put(h, "21601", NULL, NULL, 0), 400);
    assert_int_equal(put(h, "x", NULL, NULL, 0), 400);
    assert_int_equal(put(h, "-5", NULL, NULL, 0), 400);
    assert_int_equal(put(h, "60s", NULL, NULL, 0), 400);
    assert_int_equal(put(h, "1", NULL, NULL, 0), 200);
    assert_int_equal(put(h, "21600", NULL, NULL, 0), 200);
    /* metadata.token_ttl_max lowers the ceiling */
    ec2gw_test_set_metadata_conf(h, 3600 * 1000, 300);
    assert_int_equal(put(h, "301", NULL, NULL, 0), 400);
    assert_int_equal(put(h, "300", NULL, NULL, 0), 200);
    done(h);
}

static void
put_through_another_proxy(void **state)
{
    ec2gw_test_host_t *h = host(OPTIONAL);

    (void)state;
    /* a proxy in the guest appended its client before Neutron's address */
    assert_int_equal(put(h, "60", "\"192.168.1.5, " IP "\"", NULL, 0), 403);
    assert_int_equal(put(h, "60", "[\"192.168.1.5\", \"" IP "\"]", NULL, 0), 403);
    /* an address that is not the instance's */
    assert_int_equal(put(h, "60", "\"10.0.0.99\"", NULL, 0), 403);
    assert_int_equal(put(h, "60", NULL, NULL, 0), 200);
    done(h);
}

static void
tokens_required(void **state)
{
    ec2gw_test_host_t *h = host(REQUIRED);
    char token[200];

    (void)state;
    assert_int_equal(get(h, NULL), 401);
    assert_string_equal(ec2gw_test_http_body(h, NULL), "Unauthorized\n");
    assert_int_equal(ec2gw_test_http(h, "GET", "/latest/user-data", AGENT("")), 401);
    assert_int_equal(put(h, "120", NULL, token, sizeof(token)), 200);
    assert_int_equal(get(h, token), 200);
    assert_string_equal(ec2gw_test_http_body(h, NULL), "i-0000000a");
    ec2gw_test_clock_advance(h, 121000);
    assert_int_equal(get(h, token), 401);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lifecycle),       cmocka_unit_test(tampered_and_foreign),
        cmocka_unit_test(ttl_rules),       cmocka_unit_test(put_through_another_proxy),
        cmocka_unit_test(tokens_required),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
