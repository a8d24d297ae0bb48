/*
 * test_sig_util.c - the private helpers of daemon/auth (canonical path and query, header
 * values, host ports, time formats), and the cost of one SigV4 verification (printed, not
 * asserted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "auth/sig_util.h"
#include "sig_vec.h"

/* Expected values computed with botocore: quote(normalize_url_path(p), safe='/~'). */
static void
test_canonical_path(void **state)
{
    static const char *const cases[][2] = {
        { "", "/" },
        { "/", "/" },
        { "/a/./b/../c//d/", "/a/c/d/" },
        { "/services/Cloud", "/services/Cloud" },
        { "/a b", "/a%20b" },
        { "/%20x", "/%2520x" },
        { "/..", "/" },
        { "/a/..", "/" },
        { "a/../b", "b" },
        { "/~user/x;y=1", "/~user/x%3By%3D1" },
        { "/caf\xc3\xa9", "/caf%C3%A9" },
        { "//", "/" },
        { "/a/b/../../..//c", "/c" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ec2gw_sig_buf_t b = { 0 };

        ec2gw_sig_canonical_path(&b, cases[i][0]);
        assert_string_equal(ec2gw_sig_buf_str(&b), cases[i][1]);
        ec2gw_sig_buf_free(&b);
    }
}

static void
test_canonical_query(void **state)
{
    ec2gw_kvlist_t q = { 0 }, form = { 0 };
    ec2gw_sig_buf_t b = { 0 };
    const char *raw = "b=2&a=z&a=y&%7E=~&sp=a+b%20c&e&X-Amz-Signature=s&B=0&*=x";

    (void)state;
    assert_int_equal(ec2gw_kvlist_parse_form(&q, raw, strlen(raw)), 0);
    assert_int_equal(ec2gw_kvlist_add(&form, "Signature", "sig"), 0);
    assert_int_equal(ec2gw_kvlist_add(&form, "f", "1/2"), 0);
    assert_int_equal(
        ec2gw_sig_canonical_query(&b, &q, NULL, "X-Amz-Signature", EC2GW_SIG_SORT_ENCODED), 0);
    assert_string_equal(ec2gw_sig_buf_str(&b), "%2A=x&B=0&a=y&a=z&b=2&e=&sp=a%20b%20c&~=~");
    ec2gw_sig_buf_free(&b);
    /* V2: by raw name ('*' 0x2A < 'B'), form too, without Signature */
    assert_int_equal(ec2gw_sig_canonical_query(&b, &q, &form, "Signature", EC2GW_SIG_SORT_RAW), 0);
    assert_string_equal(ec2gw_sig_buf_str(&b), "%2A=x&B=0&X-Amz-Signature=s&a=y&a=z&b=2&e=&f=1%2F2&"
                                               "sp=a%20b%20c&~=~");
    ec2gw_sig_buf_free(&b);
    assert_int_equal(ec2gw_sig_canonical_query(&b, NULL, NULL, NULL, EC2GW_SIG_SORT_RAW), 0);
    assert_string_equal(ec2gw_sig_buf_str(&b), "");
    ec2gw_kvlist_free(&q);
    ec2gw_kvlist_free(&form);
}

static void
test_header_values(void **state)
{
    ec2gw_kvlist_t h = { 0 };
    ec2gw_sig_buf_t b = { 0 };

    (void)state;
    assert_int_equal(ec2gw_kvlist_add(&h, "X-Multi", "  a   b \t c  "), 0);
    assert_int_equal(ec2gw_kvlist_add(&h, "Other", "z"), 0);
    assert_int_equal(ec2gw_kvlist_add(&h, "x-multi", "d"), 0);
    assert_int_equal(ec2gw_sig_header_values(&b, &h, "x-multi"), 2);
    assert_string_equal(ec2gw_sig_buf_str(&b), "a b c,d");
    assert_int_equal(ec2gw_sig_header_values(&b, &h, "absent"), 0);
    ec2gw_sig_buf_free(&b);
    ec2gw_kvlist_free(&h);
}

static void
test_host_strip_port(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(ec2gw_sig_host_strip_port("h.example.org:8788", out, sizeof(out)), 1);
    assert_string_equal(out, "h.example.org");
    assert_int_equal(ec2gw_sig_host_strip_port("[::1]:8788", out, sizeof(out)), 1);
    assert_string_equal(out, "[::1]");
    assert_int_equal(ec2gw_sig_host_strip_port("[::1]", out, sizeof(out)), 0);
    assert_int_equal(ec2gw_sig_host_strip_port("::1", out, sizeof(out)), 0);
    assert_int_equal(ec2gw_sig_host_strip_port("h.example.org", out, sizeof(out)), 0);
    assert_int_equal(ec2gw_sig_host_strip_port("h:", out, sizeof(out)), 0);
    assert_int_equal(ec2gw_sig_host_strip_port("h:x1", out, sizeof(out)), 0);
    assert_int_equal(ec2gw_sig_host_strip_port("h.example.org:1", out, 4), 0);
}

static void
test_times(void **state)
{
    static const char *const iso_ok[] = {
        "2024-01-02T03:04:05Z",        "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05+00:00",
        "2024-01-02T04:04:05+01:00",   "2024-01-02T02:04:05-0100", "2024-01-02T03:04:05",
        "2024-01-02T03:04:05.5+00:00",
    };
    static const char *const iso_bad[] = {
        "2024-01-02 03:04:05Z",
        "2024-01-02T03:04:05.Z",
        "2024-13-02T03:04:05Z",
        "2024-01-02T03:04:05 Z",
        "2024-01-02T03:04:05+1",
        "20240102T030405Z",
        "",
    };
    const time_t want = 1704164645; /* 2024-01-02T03:04:05Z */
    char buf[32];
    time_t t;

    (void)state;
    for (size_t i = 0; i < sizeof(iso_ok) / sizeof(iso_ok[0]); i++) {
        assert_int_equal(ec2gw_sig_parse_iso8601(iso_ok[i], &t), 0);
        assert_int_equal(t, want);
    }
    for (size_t i = 0; i < sizeof(iso_bad) / sizeof(iso_bad[0]); i++)
        assert_int_equal(ec2gw_sig_parse_iso8601(iso_bad[i], &t), -1);
    assert_int_equal(ec2gw_sig_parse_amz_date("20240102T030405Z", &t), 0);
    assert_int_equal(t, want);
    assert_int_equal(ec2gw_sig_parse_amz_date("20240102T030405", &t), -1);
    assert_int_equal(ec2gw_sig_parse_amz_date("2024010xT030405Z", &t), -1);
    assert_int_equal(ec2gw_sig_parse_http_date("Tue, 02 Jan 2024 03:04:05 GMT", &t), 0);
    assert_int_equal(t, want);
    assert_int_equal(ec2gw_sig_parse_http_date("Tue, 02 Jxn 2024 03:04:05 GMT", &t), -1);
    assert_int_equal(ec2gw_sig_parse_http_date("Tue, 02 Jan 2024 03:04:05 -0000", &t), 0);
    assert_int_equal(t, want);
    assert_int_equal(ec2gw_sig_parse_http_date("Tue, 02 Jan 2024 03:04:05 CET", &t), -1);
    assert_int_equal(ec2gw_sig_parse_http_date("Tue, 02 Jan 2024 03:04:05 GMT x", &t), -1);
    ec2gw_sig_format_amz_date(want, buf, sizeof(buf));
    assert_string_equal(buf, "20240102T030405Z");
}

/* A request dated by a signed Date header (botocore, when the request has one): its time is
 * checked, and without it there is no date at all. */
static void
test_date_header(void **state)
{
    ec2gw_fault_t f;
    ec2gw_sig_t sig;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("sigv4-date-header")), 0);
    assert_int_equal(ec2gw_sig_parse(&r.in, &sig, &f), 0);
    assert_string_equal(sig.amz_date, "20240102T030405Z");
    r.in.now += 1000;
    assert_int_equal(ec2gw_sig_parse(&r.in, &sig, &f), -1);
    assert_string_equal(f.code, "RequestExpired");
    vreq_set_header(&r, "Date", NULL);
    assert_int_equal(ec2gw_sig_parse(&r.in, &sig, &f), -1);
    assert_string_equal(f.code, "IncompleteSignature");
    vreq_free(&r);
}

static double
elapsed_ns(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

/* The CPU time of parse + verify for botocore's POST: best of three rounds, printed for the
 * report, never asserted (the sanitizer build is ~10x slower than a release build). */
static void
test_bench_v4(void **state)
{
    const int loops = 5000;
    double best = 0;
    ec2gw_fault_t f;
    ec2gw_sig_t sig;
    vreq_t r;

    (void)state;
    assert_int_equal(vreq_load(&r, vector("botocore-client-post-regionone")), 0);
    for (int round = 0; round < 3; round++) {
        struct timespec t0, t1;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        for (int i = 0; i < loops; i++) {
            assert_int_equal(ec2gw_sig_parse(&r.in, &sig, &f), 0);
            assert_int_equal(ec2gw_sig_verify(&sig, &r.in, r.secret, &f), 0);
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
        if (round == 0 || elapsed_ns(&t0, &t1) / loops < best)
            best = elapsed_ns(&t0, &t1) / loops;
    }
    printf("# SigV4 parse+verify (botocore POST, %zu-byte body): %.0f ns per request\n",
           r.in.body_len, best);
    vreq_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_path), cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_header_values),  cmocka_unit_test(test_host_strip_port),
        cmocka_unit_test(test_times),          cmocka_unit_test(test_date_header),
        cmocka_unit_test(test_bench_v4),
    };

    return cmocka_run_group_tests(tests, NULL, vectors_free);
}
