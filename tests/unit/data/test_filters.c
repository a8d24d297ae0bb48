/* test_filters.c - EC2 wildcards and Filter.N semantics (AND of filters, OR of values, tags). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/filters.h"

static void
test_wildcard(void **state)
{
    static const struct {
        const char *p, *v;
        int m;
    } cases[] = {
        { "", "", 1 },
        { "", "a", 0 },
        { "*", "", 1 },
        { "*", "anything", 1 },
        { "**", "", 1 },
        { "a*", "a", 1 },
        { "a*", "abc", 1 },
        { "a*", "ba", 0 },
        { "*c", "abc", 1 },
        { "*b*", "abc", 1 },
        { "*b*", "ac", 0 },
        { "a*b*c", "aXbYc", 1 },
        { "a*b*c", "aXbYcZ", 0 },
        { "a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
        { "?", "", 0 },
        { "?", "a", 1 },
        { "?", "ab", 0 },
        { "a?c", "abc", 1 },
        { "a?c", "ac", 0 },
        { "?", "\xc3\xa9", 1 }, /* one character, two bytes */
        { "??", "\xc3\xa9", 0 },
        { "\xc3\xa9*", "\xc3\xa9t\xc3\xa9", 1 },
        { "*?", "\xc3\xa9", 1 },
        { "\\*", "*", 1 },
        { "\\*", "a", 0 },
        { "\\*", "", 0 },
        { "\\?", "?", 1 },
        { "\\?", "a", 0 },
        { "\\\\", "\\", 1 },
        { "a\\", "a\\", 1 }, /* a trailing backslash is literal */
        { "a\\", "a", 0 },
        { "\\a", "a", 1 }, /* escaping an ordinary character */
        { "*\\*", "abc*", 1 },
        { "*\\*", "abc", 0 },
        { "[ab]", "a", 0 }, /* no character classes */
        { "[ab]", "[ab]", 1 },
        { "[!a]", "b", 0 },
        { "web-[0-9]*", "web-[0-9]-1", 1 },
        { "Web", "web", 0 }, /* case-sensitive */
        { "10.0.*", "10.0.1.5", 1 },
        { ".", "a", 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (ec2gw_wildcard_match(cases[i].p, cases[i].v) != cases[i].m)
            fail_msg("pattern '%s' value '%s': expected %d", cases[i].p, cases[i].v, cases[i].m);
    }
}

/* Test items: {"Id", "State", "Zone", "Count"}; values read straight from the member. */
static int
values_cb(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    const char *member;

    (*(int *)arg)++;
    if (strcmp(name, "instance-id") == 0)
        member = "Id";
    else if (strcmp(name, "instance-state-name") == 0)
        member = "State";
    else if (strcmp(name, "availability-zone") == 0)
        member = "Zone";
    else if (strcmp(name, "count") == 0)
        member = "Count";
    else if (strcmp(name, "flag") == 0)
        member = "Flag";
    else
        return EC2GW_E_NOTFOUND;
    if (json_object_get(item, member) != NULL)
        json_array_append(values_out, json_object_get(item, member));
    return 0;
}

static json_t *
items(void)
{
    return json_pack("[{s:s, s:s, s:s, s:i, s:b}, {s:s, s:s, s:s, s:i, s:b},"
                     " {s:s, s:s, s:s, s:i}, {s:s, s:s}]",
                     "Id", "i-00000001", "State", "running", "Zone", "az1", "Count", 1, "Flag", 1,
                     "Id", "i-00000002", "State", "stopped", "Zone", "az1", "Count", 2, "Flag", 0,
                     "Id", "i-00000003", "State", "running", "Zone", "az2", "Count", 3, "Id",
                     "i-00000004", "State", "pending");
}

static json_t *
tags(void)
{
    return json_pack("{s:[{s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}], s:[]}", "i-00000001", "Key",
                     "Name", "Value", "web-1", "Key", "env", "Value", "prod", "i-00000003", "Key",
                     "Name", "Value", "db", "i-00000004");
}

/* Ids of the items kept by @p filters, joined with ','. Returns a static buffer or "ERR:<code>". */
static const char *
run(const char *filters_json)
{
    static char buf[256];
    json_error_t jerr;
    json_t *f = json_loads(filters_json, 0, &jerr), *it = items(), *tg = tags(), *out;
    ec2gw_fault_t fault = { 0 };
    int calls = 0;
    size_t i;
    json_t *x;

    if (f == NULL)
        fail_msg("bad test JSON: %s", jerr.text);
    out = ec2gw_filter_apply(f, it, "Id", tg, values_cb, &calls, &fault);
    buf[0] = '\0';
    if (out == NULL) {
        snprintf(buf, sizeof(buf), "ERR:%s:%s", fault.code, fault.message);
    } else {
        json_array_foreach(out, i, x)
        {
            const char *id = json_string_value(json_object_get(x, "Id"));

            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
                     id + strlen("i-0000000"));
        }
    }
    json_decref(out);
    json_decref(f);
    json_decref(it);
    json_decref(tg);
    return buf;
}

static void
test_filter_logic(void **state)
{
    (void)state;
    assert_string_equal(run("[]"), "1,2,3,4");
    assert_string_equal(run("[{\"Name\":\"instance-state-name\",\"Values\":[\"running\"]}]"),
                        "1,3");
    /* values ORed */
    assert_string_equal(
        run("[{\"Name\":\"instance-state-name\",\"Values\":[\"running\",\"pending\"]}]"), "1,3,4");
    /* filters ANDed */
    assert_string_equal(run("[{\"Name\":\"instance-state-name\",\"Values\":[\"running\"]},"
                            " {\"Name\":\"availability-zone\",\"Values\":[\"az1\"]}]"),
                        "1");
    /* wildcards; an item without the member never matches, not even '*' */
    assert_string_equal(run("[{\"Name\":\"availability-zone\",\"Values\":[\"az*\"]}]"), "1,2,3");
    assert_string_equal(run("[{\"Name\":\"instance-id\",\"Values\":[\"i-?000000[12]\"]}]"), "");
    assert_string_equal(run("[{\"Name\":\"instance-id\",\"Values\":[\"*2\",\"*4\"]}]"), "2,4");
    /* non-string values compare in their wire form */
    assert_string_equal(run("[{\"Name\":\"count\",\"Values\":[\"2\"]}]"), "2");
    assert_string_equal(run("[{\"Name\":\"flag\",\"Values\":[\"true\"]}]"), "1");
    assert_string_equal(run("[{\"Name\":\"flag\",\"Values\":[\"false\"]}]"), "2");
}

static void
test_filter_tags(void **state)
{
    (void)state;
    assert_string_equal(run("[{\"Name\":\"tag:Name\",\"Values\":[\"web-*\"]}]"), "1");
    assert_string_equal(run("[{\"Name\":\"tag:Name\",\"Values\":[\"*\"]}]"), "1,3");
    assert_string_equal(run("[{\"Name\":\"tag:name\",\"Values\":[\"*\"]}]"), ""); /* keys exact */
    assert_string_equal(run("[{\"Name\":\"tag-key\",\"Values\":[\"env\"]}]"), "1");
    assert_string_equal(run("[{\"Name\":\"tag-key\",\"Values\":[\"*\"]}]"), "1,3");
    assert_string_equal(run("[{\"Name\":\"tag-value\",\"Values\":[\"db\",\"prod\"]}]"), "1,3");
    /* tag:env must match env's value, not another tag's */
    assert_string_equal(run("[{\"Name\":\"tag:env\",\"Values\":[\"web-1\"]}]"), "");
    assert_string_equal(run("[{\"Name\":\"tag:Name\",\"Values\":[\"*\"]},"
                            " {\"Name\":\"instance-state-name\",\"Values\":[\"running\"]},"
                            " {\"Name\":\"availability-zone\",\"Values\":[\"az2\"]}]"),
                        "3");
}

static void
test_filter_errors(void **state)
{
    json_t *f = json_pack("[{s:s, s:[s]}]", "Name", "bogus", "Values", "x");
    json_t *empty = json_array(), *out;
    ec2gw_fault_t fault = { 0 };
    int calls = 0;

    (void)state;
    assert_string_equal(run("[{\"Name\":\"bogus\",\"Values\":[\"x\"]}]"),
                        "ERR:InvalidParameterValue:The filter 'bogus' is invalid");
    assert_string_equal(run("[{\"Name\":\"instance-id\",\"Values\":[]}]"),
                        "ERR:InvalidParameterValue:The filter 'instance-id' requires at least "
                        "one value");
    assert_string_equal(run("[{\"Values\":[\"x\"]}]"),
                        "ERR:InvalidParameterValue:The filter 'null' is invalid");
    /* unknown names are refused even when there is nothing to filter */
    out = ec2gw_filter_apply(f, empty, "Id", NULL, values_cb, &calls, &fault);
    assert_null(out);
    assert_string_equal(fault.code, "InvalidParameterValue");
    assert_int_equal(fault.status, 400);
    /* and without a callback, only tag filters exist */
    out = ec2gw_filter_apply(f, empty, "Id", NULL, NULL, NULL, &fault);
    assert_null(out);
    json_decref(f);
    f = json_pack("[{s:s, s:[s]}]", "Name", "tag:x", "Values", "x");
    out = ec2gw_filter_apply(f, empty, "Id", NULL, NULL, NULL, &fault);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    /* id_key NULL: tag-key is an ordinary name for the callback (DescribeTags) */
    json_decref(f);
    f = json_pack("[{s:s, s:[s]}]", "Name", "tag-key", "Values", "x");
    out = ec2gw_filter_apply(f, empty, NULL, NULL, values_cb, &calls, &fault);
    assert_null(out);
    assert_string_equal(fault.message, "The filter 'tag-key' is invalid");
    json_decref(f);
    json_decref(empty);
}

static int
zone_cb(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    (void)arg;
    if (strcmp(name, "availability-zone") == 0)
        return json_array_append(values_out, json_object_get(item, "Zone"));
    if (strcmp(name, "instance-id") == 0)
        return json_array_append(values_out, json_object_get(item, "Id"));
    return EC2GW_E_NOTFOUND;
}

/* 1000 items, three filters including a tag filter and wildcards. */
static void
test_filter_timing(void **state)
{
    enum { N = 1000, ROUNDS = 200 };
    json_t *it = json_array(), *tg = json_object(), *out = NULL;
    json_t *f = json_pack("[{s:s, s:[s, s]}, {s:s, s:[s]}, {s:s, s:[s]}]", "Name",
                          "availability-zone", "Values", "az1", "az3", "Name", "instance-id",
                          "Values", "i-*", "Name", "tag:Name", "Values", "web-*");
    ec2gw_fault_t fault = { 0 };
    struct timespec a, b;
    char id[32], zone[8], name[32];
    double per;

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "i-%08x", i);
        snprintf(zone, sizeof(zone), "az%d", i % 4);
        snprintf(name, sizeof(name), "%s-%d", i % 2 ? "web" : "db", i);
        json_array_append_new(it, json_pack("{s:s, s:s}", "Id", id, "Zone", zone));
        json_object_set_new(tg, id,
                            json_pack("[{s:s, s:s}, {s:s, s:s}]", "Key", "Name", "Value", name,
                                      "Key", "env", "Value", "prod"));
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < ROUNDS; r++) {
        out = ec2gw_filter_apply(f, it, "Id", tg, zone_cb, NULL, &fault);
        assert_int_equal(json_array_size(out), N / 2); /* az1 and az3 are the odd ones: web */
        json_decref(out);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    per = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) / ROUNDS;
    print_message("filter_apply 1000 items x 3 filters: %.1f us/call\n", per);
    assert_true(per < 50000); /* generous: ASan builds, busy CI hosts */
    json_decref(f);
    json_decref(it);
    json_decref(tg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wildcard),      cmocka_unit_test(test_filter_logic),
        cmocka_unit_test(test_filter_tags),   cmocka_unit_test(test_filter_errors),
        cmocka_unit_test(test_filter_timing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
