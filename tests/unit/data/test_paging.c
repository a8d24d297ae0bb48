/* test_paging.c - MaxResults/NextToken: full walks, token properties, bounds, foreign tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/paging.h"

/* n items {"Id": "vol-%08x"} in scrambled order. */
static json_t *
make_items(int n)
{
    json_t *a = json_array();
    char id[32];

    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "vol-%08x", (unsigned)((i * 7) % n));
        json_array_append_new(a, json_pack("{s:s, s:i}", "Id", id, "n", (i * 7) % n));
    }
    return a;
}

static void
test_walk_all_pages(void **state)
{
    json_t *items = make_items(23), *page;
    ec2gw_fault_t fault = { 0 };
    char *token = NULL, *tokens[16] = { 0 };
    int pages = 0, seen = 0;

    (void)state;
    do {
        char *next = NULL;

        page = ec2gw_page_apply(items, "Id", 5, token, "scope-a", 5, 1000, &next, &fault);
        assert_non_null(page);
        for (size_t i = 0; i < json_array_size(page); i++)
            assert_int_equal(json_integer_value(json_object_get(json_array_get(page, i), "n")),
                             seen++); /* sorted, none skipped, none repeated */
        assert_true(json_array_size(page) == 5 || next == NULL);
        json_decref(page);
        tokens[pages++] = next;
        token = next;
        /* botocore: a token must never come back twice */
        for (int i = 0; next != NULL && i < pages - 1; i++)
            assert_string_not_equal(tokens[i], next);
        for (const char *c = next; c != NULL && *c != '\0'; c++)
            assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_",
                                   *c)); /* URL- and XML-safe */
    } while (token != NULL);
    assert_int_equal(pages, 5);
    assert_int_equal(seen, 23);
    for (int i = 0; i < pages; i++)
        free(tokens[i]);
    json_decref(items);
}

static void
test_all_and_exact(void **state)
{
    json_t *items = make_items(10), *page;
    ec2gw_fault_t fault = { 0 };
    char *next = NULL;

    (void)state;
    /* no MaxResults: everything, no token */
    page = ec2gw_page_apply(items, "Id", -1, NULL, "s", 5, 1000, &next, &fault);
    assert_int_equal(json_array_size(page), 10);
    assert_null(next);
    json_decref(page);
    /* exactly the remaining count: last page, no token */
    page = ec2gw_page_apply(items, "Id", 10, NULL, "s", 5, 1000, &next, &fault);
    assert_int_equal(json_array_size(page), 10);
    assert_null(next);
    json_decref(page);
    /* "" is the start (botocore sends nothing, but some clients send an empty token) */
    page = ec2gw_page_apply(items, "Id", 5, "", "s", 5, 1000, &next, &fault);
    assert_int_equal(json_array_size(page), 5);
    assert_non_null(next);
    json_decref(page);
    free(next);
    /* no items */
    json_decref(items);
    items = json_array();
    page = ec2gw_page_apply(items, "Id", 5, NULL, "s", 5, 1000, &next, &fault);
    assert_int_equal(json_array_size(page), 0);
    assert_null(next);
    json_decref(page);
    json_decref(items);
}

static void
test_bounds(void **state)
{
    json_t *items = make_items(3);
    ec2gw_fault_t fault = { 0 };
    char *next = NULL;
    const long long bad[] = { 4, 0, -2, 1001 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&fault, 0, sizeof(fault));
        assert_null(ec2gw_page_apply(items, "Id", bad[i], NULL, "s", 5, 1000, &next, &fault));
        assert_string_equal(fault.code, "InvalidParameterValue");
        assert_non_null(strstr(fault.message, "between 5 and 1000"));
        assert_null(next);
    }
    json_decref(items);
}

static void
test_bad_tokens(void **state)
{
    json_t *items = make_items(12), *page;
    ec2gw_fault_t fault = { 0 };
    char *next = NULL, *other = NULL;
    const char *garbage[] = { "x", "!!!!", "AAAA", "bm90IGEgdG9rZW4", "A" };

    (void)state;
    page = ec2gw_page_apply(items, "Id", 5, NULL, "DescribeVolumes\nfilters-a", 5, 1000, &next,
                            &fault);
    json_decref(page);
    assert_non_null(next);
    /* a token of another query (other filters, action or project) is refused */
    assert_null(ec2gw_page_apply(items, "Id", 5, next, "DescribeVolumes\nfilters-b", 5, 1000,
                                 &other, &fault));
    assert_string_equal(fault.code, "InvalidPaginationToken");
    assert_null(other);
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        memset(&fault, 0, sizeof(fault));
        assert_null(ec2gw_page_apply(items, "Id", 5, garbage[i], "s", 5, 1000, &other, &fault));
        assert_string_equal(fault.code, "InvalidPaginationToken");
    }
    /* a truncated or altered token */
    next[strlen(next) - 3] = '\0';
    assert_null(ec2gw_page_apply(items, "Id", 5, next, "DescribeVolumes\nfilters-a", 5, 1000,
                                 &other, &fault));
    free(next);
    json_decref(items);
}

/* Tokens carry the last key: items created or deleted between pages neither skip nor repeat. */
static void
test_stable_under_change(void **state)
{
    json_t *items = make_items(10), *page;
    ec2gw_fault_t fault = { 0 };
    char *next = NULL, *next2 = NULL;

    (void)state;
    page = ec2gw_page_apply(items, "Id", 5, NULL, "s", 5, 1000, &next, &fault);
    assert_string_equal(json_string_value(json_object_get(json_array_get(page, 4), "Id")),
                        "vol-00000004");
    json_decref(page);
    /* delete vol-00000004 (the last one returned) and vol-00000000, add one before the cut */
    for (size_t i = json_array_size(items); i-- > 0;) {
        const char *id = json_string_value(json_object_get(json_array_get(items, i), "Id"));

        if (strcmp(id, "vol-00000004") == 0 || strcmp(id, "vol-00000000") == 0)
            json_array_remove(items, i);
    }
    json_array_append_new(items, json_pack("{s:s}", "Id", "vol-00000003a"));
    page = ec2gw_page_apply(items, "Id", 5, next, "s", 5, 1000, &next2, &fault);
    assert_non_null(page);
    assert_int_equal(json_array_size(page), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(page, 0), "Id")),
                        "vol-00000005");
    assert_null(next2);
    json_decref(page);
    free(next);
    json_decref(items);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_all_pages),
        cmocka_unit_test(test_all_and_exact),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_bad_tokens),
        cmocka_unit_test(test_stable_under_change),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
