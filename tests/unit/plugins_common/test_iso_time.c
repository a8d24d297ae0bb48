/*
 * test_iso_time.c - OpenStack's UTC times as the plugins' caches read and write them
 * (plugins/common/iso_time.c): Nova's and Cinder's forms, unreadable ones, the way back, and
 * the newest time of a list (a cache's marker).
 */
/* cmocka needs these first */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
// clang-format on

#include "iso_time.h"

#define T0 1796228581 /* 2026-12-02T16:23:01Z */

static void
test_time(void **state)
{
    (void)state;
    /* Nova's form and Cinder's (microseconds, no zone) give the same second */
    assert_int_equal(ec2gw_pc_time("2026-12-02T16:23:01Z"), T0);
    assert_int_equal(ec2gw_pc_time("2026-12-02T16:23:01.999999"), T0);
    assert_int_equal(ec2gw_pc_time("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ec2gw_pc_time(NULL), 0);
    assert_int_equal(ec2gw_pc_time(""), 0);
    assert_int_equal(ec2gw_pc_time("2026-12-02"), 0);
    assert_int_equal(ec2gw_pc_time("yesterday"), 0);
}

static void
test_iso(void **state)
{
    char out[32];

    (void)state;
    ec2gw_pc_iso(T0, 1, out);
    assert_string_equal(out, "2026-12-02T16:23:01Z");
    ec2gw_pc_iso(T0, 0, out);
    assert_string_equal(out, "2026-12-02T16:23:01");
    assert_int_equal(ec2gw_pc_time(out), T0);
}

static void
test_newest(void **state)
{
    json_t *list = json_loads("[{\"updated_at\": \"2026-12-02T16:23:01.000000\"},"
                              " {\"updated_at\": \"2026-12-02T16:25:00.000000\"},"
                              " {\"updated_at\": null}, {\"updated\": \"2027-01-01T00:00:00Z\"},"
                              " {\"updated_at\": \"2026-12-02T16:24:00.000000\"}]",
                              0, NULL);

    (void)state;
    assert_non_null(list);
    assert_int_equal(ec2gw_pc_newest(list, "updated_at", 0), T0 + 119);
    /* a marker already newer stays */
    assert_int_equal(ec2gw_pc_newest(list, "updated_at", T0 + 500), T0 + 500);
    /* only the named member counts */
    assert_int_equal(ec2gw_pc_newest(list, "updated", 0), ec2gw_pc_time("2027-01-01T00:00:00Z"));
    assert_int_equal(ec2gw_pc_newest(NULL, "updated", 7), 7);
    json_decref(list);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_iso),
        cmocka_unit_test(test_newest),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
