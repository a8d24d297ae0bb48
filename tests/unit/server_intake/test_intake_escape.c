/* test_intake_escape.c - log fields and metric labels cannot carry a client's line breaks,
 * quotes or invalid UTF-8 (issue 11, findings 2 and 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// clang-format off: cmocka.h needs the headers above first
#include <cmocka.h>
// clang-format on
#include <event2/buffer.h>

#include "core/log.h"
#include "ops/metrics.h"

static void
test_escape_field(void **state)
{
    char out[128];

    (void)state;
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "DescribeRegions", 1),
                        "DescribeRegions");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "a\nb\rc\td", 1), "a\\nb\\rc\\td");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "x status=200", 1), "x\\x20status=200");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "\"q\"\\", 1), "\\\"q\\\"\\\\");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "\x1b[31m\x7f", 1), "\\x1b[31m\\x7f");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), NULL, 1), "-");
}

static void
test_escape_utf8(void **state)
{
    char out[128];

    (void)state;
    /* valid multi-byte kept; lone, overlong, surrogate and truncated sequences escaped */
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac", 0),
                        "caf\xc3\xa9 \xe2\x82\xac");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "\xff\xfe", 0), "\\xff\\xfe");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "\xc0\xaf", 0), "\\xc0\\xaf");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "\xed\xa0\x80", 0), "\\xed\\xa0\\x80");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "a\xe2\x82", 0), "a\\xe2\\x82");
    /* quotes and spaces stay in whole messages */
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "msg=\"a b\"", 0), "msg=\"a b\"");
}

static void
test_escape_truncates(void **state)
{
    char out[12];

    (void)state;
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "abcdefghijklmnop", 1), "abcdefgh...");
    assert_string_equal(ec2gw_log_escape(out, sizeof(out), "\n\n\n\n\n\n", 1), "\\n\\n\\n\\n...");
    assert_true(strlen(ec2gw_log_escape(out, 4, "\xff\xff", 1)) < 4);
}

static void
test_metric_labels_sanitised(void **state)
{
    struct evbuffer *b = evbuffer_new();
    char *text;
    size_t len;

    (void)state;
    ec2gw_metrics_request("X\"} 1\nfake_metric 42\n#", "Code\xff", 0.01);
    ec2gw_metrics_request("X\"} 1\nfake_metric 42\n#", "Code\xff", 0.01);
    ec2gw_metrics_render(b);
    len = evbuffer_get_length(b);
    text = calloc(1, len + 1);
    evbuffer_remove(b, text, len);
    assert_null(strstr(text, "\nfake_metric"));
    assert_null(strchr(text, '\xff'));
    assert_non_null(strstr(text, "ec2gw_requests_total{action=\"X___1_fake_metric_42__\","
                                 "code=\"Code_\"} 2\n"));
    free(text);
    evbuffer_free(b);
    ec2gw_metrics_reset();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_field),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_escape_truncates),
        cmocka_unit_test(test_metric_labels_sanitised),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
