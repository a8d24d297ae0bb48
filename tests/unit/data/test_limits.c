/*
 * test_limits.c - issue 11 #8, #11, #13: filter lists are bounded with FilterLimitExceeded
 * (DescribeTags with 1000 values answered 500 "Expression tree is too large"), MaxResults is
 * checked against the operation's range (-1 is not "no limit") and capped above it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "actions/tags_actions.h"
#include "data/filters.h"
#include "data/idmap.h"
#include "data/paging.h"

static int
setup(void **state)
{
    ec2gw_db_t *db = NULL;

    assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
    assert_int_equal(ec2gw_item_put(db, "p1", "i-00000001", NULL, NULL, NULL), 0);
    *state = db;
    return 0;
}

static int
teardown(void **state)
{
    ec2gw_db_close(*state);
    return 0;
}

/* {"Filters": [{"Name": name, "Values": [n values]}] * nfilters}, values plain or wildcards. */
static json_t *
filters_of(const char *name, size_t nfilters, size_t nvalues, int wild)
{
    json_t *fs = json_array();

    for (size_t f = 0; f < nfilters; f++) {
        json_t *vals = json_array();

        for (size_t i = 0; i < nvalues; i++) {
            char v[64];

            snprintf(v, sizeof(v), wild ? "v%zu-%zu*" : "v%zu-%zu", f, i);
            json_array_append_new(vals, json_string(v));
        }
        json_array_append_new(fs, json_pack("{s:s, s:o}", "Name", name, "Values", vals));
    }
    return json_pack("{s:o}", "Filters", fs);
}

static const char *
describe(ec2gw_db_t *db, json_t *params)
{
    static char code[96];
    ec2gw_fault_t fault = { 0 };
    json_t *m = NULL;
    int rc = ec2gw_action_describe_tags(db, "p1", params, &m, &fault);

    json_decref(params);
    json_decref(m);
    snprintf(code, sizeof(code), "%s", rc == 0 ? "" : fault.code);
    return code;
}

static void
test_describe_tags_filter_values(void **state)
{
    static const char *const names[] = { "key",           "value",    "resource-id",
                                         "resource-type", "tag:Name", "tag-key" };
    ec2gw_db_t *db = *state;

    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        for (int wild = 0; wild < 2; wild++) {
            const char *got;

            /* at the limit: answered (no SQL error) */
            got = describe(db, filters_of(names[n], 1, 200, wild));
            if (strcmp(got, "") != 0 && strcmp(got, "InvalidParameterValue") != 0)
                fail_msg("%s, 200 values (wild %d): %s", names[n], wild, got);
            got = describe(db, filters_of(names[n], 1, 1000, wild));
            if (strcmp(got, "FilterLimitExceeded") != 0)
                fail_msg("%s, 1000 values (wild %d): %s", names[n], wild, got);
            got = describe(db, filters_of(names[n], 1000, 1, wild));
            if (strcmp(got, "FilterLimitExceeded") != 0)
                fail_msg("%s, 1000 filters (wild %d): %s", names[n], wild, got);
        }
    }
}

static void
test_filter_apply_limit(void **state)
{
    json_t *params = filters_of("tag-key", 2, 101, 0), *items = json_array(), *out;
    ec2gw_fault_t fault = { 0 };

    (void)state;
    out = ec2gw_filter_apply(json_object_get(params, "Filters"), items, "id", NULL, NULL, NULL,
                             &fault);
    assert_null(out);
    assert_string_equal(fault.code, "FilterLimitExceeded");
    assert_int_equal(fault.status, 400);
    json_decref(params);
    json_decref(items);
}

static void
test_max_results(void **state)
{
    ec2gw_fault_t f = { 0 };
    long long v = 0;
    json_t *j;

    (void)state;
    assert_int_equal(ec2gw_page_max_results(NULL, 5, 1000, &v, &f), 0);
    assert_int_equal(v, -1);
#define CHECK(json, rc_, want)                                             \
    do {                                                                   \
        j = json;                                                          \
        assert_int_equal(ec2gw_page_max_results(j, 5, 1000, &v, &f), rc_); \
        if ((rc_) == 0)                                                    \
            assert_int_equal(v, want);                                     \
        else                                                               \
            assert_string_equal(f.code, "InvalidParameterValue");          \
        json_decref(j);                                                    \
    } while (0)
    CHECK(json_integer(-1), -1, 0);
    CHECK(json_integer(0), -1, 0);
    CHECK(json_integer(4), -1, 0);
    CHECK(json_string("10"), -1, 0);
    CHECK(json_integer(5), 0, 5);
    CHECK(json_integer(1000), 0, 1000);
    CHECK(json_integer(1100), 0, 1000);
    CHECK(json_integer(1LL << 40), 0, 1000);
#undef CHECK
    /* DescribeTags: 1100 answered, -1 refused */
    assert_string_equal(describe(*state, json_pack("{s:i}", "MaxResults", 1100)), "");
    assert_string_equal(describe(*state, json_pack("{s:i}", "MaxResults", -1)),
                        "InvalidParameterValue");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_describe_tags_filter_values, setup, teardown),
        cmocka_unit_test(test_filter_apply_limit),
        cmocka_unit_test_setup_teardown(test_max_results, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
