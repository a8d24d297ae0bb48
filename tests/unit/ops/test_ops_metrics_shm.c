/*
 * test_ops_metrics_shm.c - the metrics region is shared by forked processes: what a child
 * records is in the parent's scrape; a full series table folds new series into "overflow"
 * without losing counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// clang-format off: cmocka.h needs the headers above first
#include <cmocka.h>
// clang-format on
#include <event2/buffer.h>

#include "ops/metrics.h"
#include "ops/metrics_shm.h"

static char *
scrape(void)
{
    struct evbuffer *b = evbuffer_new();
    size_t len;
    char *text;

    ec2gw_metrics_render(b);
    len = evbuffer_get_length(b);
    text = calloc(1, len + 1);
    evbuffer_remove(b, text, len);
    evbuffer_free(b);
    return text;
}

static void
test_child_counts_in_parent_scrape(void **state)
{
    char *text;
    pid_t pid;
    int status;

    (void)state;
    assert_int_equal(ec2gw_metrics_init(2), 0);
    ec2gw_metrics_use_slot(1);
    for (int i = 0; i < 5; i++)
        ec2gw_metrics_request("DescribeRegions", "OK", 0.002);
    ec2gw_metrics_set_generation(1);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ec2gw_metrics_use_slot(2);
        for (int i = 0; i < 7; i++)
            ec2gw_metrics_request("DescribeRegions", "OK", 0.2);
        ec2gw_metrics_request("RunInstances", "InternalError", 3.0);
        ec2gw_metrics_counter_add("ec2gw_test_things_total", "kind=\"a\"", 4);
        ec2gw_metrics_backend("compute", 200, 0.01);
        ec2gw_metrics_set_generation(2);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    ec2gw_metrics_counter_add("ec2gw_test_things_total", "kind=\"a\"", 1);
    text = scrape();
    assert_non_null(
        strstr(text, "ec2gw_requests_total{action=\"DescribeRegions\",code=\"OK\"} 12\n"));
    assert_non_null(
        strstr(text, "ec2gw_requests_total{action=\"RunInstances\",code=\"InternalError\"} 1\n"));
    /* buckets: 5 at <= 2.5 ms, 12 at <= 250 ms */
    assert_non_null(strstr(text, "ec2gw_request_duration_seconds_bucket{action=\"DescribeRegions\","
                                 "code=\"OK\",le=\"0.0025\"} 5\n"));
    assert_non_null(strstr(text, "ec2gw_request_duration_seconds_bucket{action=\"DescribeRegions\","
                                 "code=\"OK\",le=\"0.25\"} 12\n"));
    assert_non_null(strstr(text, "# TYPE ec2gw_test_things_total counter\n"
                                 "ec2gw_test_things_total{kind=\"a\"} 5\n"));
    assert_non_null(strstr(text, "ec2gw_config_generation 2\n"));
    assert_non_null(strstr(text, "ec2gw_workers 2\n"));
    assert_int_equal(ec2gw_metrics_backend_total("compute"), 1);
    free(text);
    ec2gw_metrics_reset();
}

static void
test_full_table_overflows(void **state)
{
    char name[32], *text;
    unsigned long long total = 0;

    (void)state;
    assert_int_equal(ec2gw_metrics_init(1), 0);
    ec2gw_metrics_use_slot(0);
    for (int i = 0; i < EC2GW_METRICS_MAX_SERIES + 100; i++) {
        snprintf(name, sizeof(name), "Action%d", i);
        ec2gw_metrics_request(name, "OK", 0.001);
    }
    ec2gw_metrics_request("Action1", "OK", 0.001); /* an existing series is still found */
    text = scrape();
    assert_non_null(strstr(text, "ec2gw_requests_total{action=\"Action1\",code=\"OK\"} 2\n"));
    assert_non_null(strstr(text, "ec2gw_requests_total{action=\"overflow\",code=\"overflow\"}"));
    for (char *p = text; (p = strstr(p, "\nec2gw_requests_total{")) != NULL; p++)
        total += strtoull(strchr(p, '}') + 2, NULL, 10);
    assert_int_equal(total, EC2GW_METRICS_MAX_SERIES + 101);
    free(text);
    ec2gw_metrics_reset();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_counts_in_parent_scrape),
        cmocka_unit_test(test_full_table_overflows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
