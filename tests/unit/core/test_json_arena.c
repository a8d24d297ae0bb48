/*
 * test_json_arena.c - jansson's per-request arenas: where values live, that dropping the pool
 * drops them (poisoned under ASan), heap scopes, json_dumps results, big values, trimming.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/json_arena.h"
#include "core/pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif

static int
setup(void **state)
{
    (void)state;
    ec2gw_json_arena_init();
    return 0;
}

/* A document like Nova's servers/detail, @p n servers. */
static char *
servers_doc(int n)
{
    json_t *list = json_array();
    char *text;

    for (int i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s,s:s,s:{s:[{s:s,s:i}]},s:[s,s],s:b,s:f}", "id",
                                              "3f1e0c1a-0000-4000-8000-000000000000", "name",
                                              "server-name", "addresses", "private", "addr",
                                              "10.0.0.5", "version", 4, "tags", "a", "b", "locked",
                                              i % 2, "progress", 0.5 * i));
    list = json_pack("{s:o}", "servers", list);
    text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

static void
values_live_in_the_current_arena(void **state)
{
    ec2gw_pool_t *pool = ec2gw_pool_new(1024);
    ec2gw_json_arena_t *a = ec2gw_json_arena_new(pool);
    json_t *heap1 = json_object(), *in, *heap2, *after;
    ec2gw_json_scope_t js;

    (void)state;
    assert_non_null(a);
    assert_false(ec2gw_json_arena_owns(heap1));
    js = ec2gw_json_arena_enter(a);
    assert_ptr_equal(ec2gw_json_arena_current(), a);
    in = json_pack("{s:s,s:[i,i]}", "k", "v", "l", 1, 2);
    assert_true(ec2gw_json_arena_owns(in));
    assert_true(ec2gw_json_arena_owns(json_object_get(in, "l")));
    assert_true(ec2gw_json_arena_used(a) > 0);
    /* a heap scope: what is kept across requests */
    ec2gw_json_heap_push();
    assert_null(ec2gw_json_arena_current());
    heap2 = json_string("kept");
    assert_false(ec2gw_json_arena_owns(heap2));
    /* growing a heap object's table must not borrow arena memory */
    for (int i = 0; i < 100; i++) {
        char k[16];

        snprintf(k, sizeof(k), "k%d", i);
        json_object_set_new(heap1, k, json_integer(i));
    }
    ec2gw_json_heap_pop();
    assert_ptr_equal(ec2gw_json_arena_current(), a);
    json_decref(in); /* a no-op in the arena */
    ec2gw_json_arena_leave(js);
    assert_null(ec2gw_json_arena_current());
    after = json_integer(7);
    assert_false(ec2gw_json_arena_owns(after));
    ec2gw_pool_free(pool);
    /* heap values survive the arena */
    assert_int_equal(json_object_size(heap1), 100);
    assert_int_equal(json_integer_value(json_object_get(heap1, "k99")), 99);
    assert_string_equal(json_string_value(heap2), "kept");
    json_decref(heap1);
    json_decref(heap2);
    json_decref(after);
}

static void
dropping_the_pool_drops_the_values(void **state)
{
    ec2gw_pool_t *pool = ec2gw_pool_new(1024);
    ec2gw_json_arena_t *a = ec2gw_json_arena_new(pool);
    ec2gw_json_scope_t js = ec2gw_json_arena_enter(a);
    json_t *v = json_string("request value");

    (void)state;
    assert_true(ec2gw_json_arena_owns(v));
    ec2gw_json_arena_leave(js);
    ec2gw_pool_free(pool);
    assert_false(ec2gw_json_arena_owns(v));
#ifdef HAVE_ASAN
    /* a value kept past its request is an ASan report, not a silent read */
    assert_true(__asan_address_is_poisoned(v));
#endif
}

static void
freed_values_are_poisoned(void **state)
{
    ec2gw_pool_t *pool = ec2gw_pool_new(1024);
    ec2gw_json_scope_t js = ec2gw_json_arena_enter(ec2gw_json_arena_new(pool));
    json_t *v = json_string("dropped early"), *w = json_integer(1);

    (void)state;
    json_decref(v);
#ifdef HAVE_ASAN
    assert_true(__asan_address_is_poisoned(v));
    assert_false(__asan_address_is_poisoned(w));
#endif
    assert_int_equal(json_integer_value(w), 1);
    ec2gw_json_arena_leave(js);
    ec2gw_pool_free(pool);
}

static void
parse_in_the_arena_equals_heap(void **state)
{
    char *doc = servers_doc(1000);
    json_t *heap = json_loads(doc, 0, NULL), *in;
    ec2gw_pool_t *pool = ec2gw_pool_new(1024);
    ec2gw_json_scope_t js = ec2gw_json_arena_enter(ec2gw_json_arena_new(pool));
    char *again;

    (void)state;
    assert_non_null(heap);
    in = json_loads(doc, 0, NULL);
    assert_non_null(in);
    assert_true(ec2gw_json_arena_owns(in));
    assert_true(json_equal(heap, in));
    /* json_dumps results stay plain malloc blocks through ec2gw_json_dumps */
    again = ec2gw_json_dumps(in, JSON_COMPACT);
    assert_false(ec2gw_json_arena_owns(again));
    assert_string_equal(again, doc);
    free(again);
    /* and a plain json_dumps in the arena is released with ec2gw_json_free */
    again = json_dumps(in, JSON_COMPACT);
    assert_true(ec2gw_json_arena_owns(again));
    ec2gw_json_free(again);
    assert_true(ec2gw_json_arena_mapped() >= 1024 * 1024);
    ec2gw_json_arena_leave(js);
    ec2gw_pool_free(pool);
    json_decref(heap);
    free(doc);
}

static void
big_values_get_their_own_run(void **state)
{
    size_t n = 3 * 1024 * 1024;
    char *big = malloc(n + 1);
    ec2gw_pool_t *pool = ec2gw_pool_new(1024);
    ec2gw_json_scope_t js = ec2gw_json_arena_enter(ec2gw_json_arena_new(pool));
    json_t *s, *small;

    (void)state;
    memset(big, 'x', n);
    big[n] = '\0';
    small = json_string("before");
    s = json_string(big);
    assert_true(ec2gw_json_arena_owns(s));
    assert_true(ec2gw_json_arena_owns(json_string_value(s)));
    assert_true(ec2gw_json_arena_owns(json_string_value(s) + n));
    assert_int_equal(json_string_length(s), n);
    /* the standard run's free tail stays in use after a big one */
    assert_string_equal(json_string_value(json_string("after")), "after");
    assert_string_equal(json_string_value(small), "before");
    ec2gw_json_arena_leave(js);
    ec2gw_pool_free(pool);
    assert_false(ec2gw_json_arena_owns(s));
    free(big);
}

static void
enter_resets_and_leave_restores_heap_scopes(void **state)
{
    ec2gw_pool_t *p1 = ec2gw_pool_new(1024), *p2 = ec2gw_pool_new(1024);
    ec2gw_json_arena_t *a1 = ec2gw_json_arena_new(p1), *a2 = ec2gw_json_arena_new(p2);
    ec2gw_json_scope_t s1 = ec2gw_json_arena_enter(a1), s2, s3;
    json_t *v;

    (void)state;
    ec2gw_json_heap_push(); /* shared code making a heap answer, then running waiters */
    s2 = ec2gw_json_arena_enter(a2);
    v = json_true() == NULL ? NULL : json_string("waiter's");
    assert_true(ec2gw_json_arena_owns(v));
    assert_ptr_equal(ec2gw_json_arena_current(), a2);
    s3 = ec2gw_json_arena_enter(a2); /* the same arena again keeps the scope */
    ec2gw_json_heap_push();
    ec2gw_json_arena_leave(ec2gw_json_arena_enter(a2));
    assert_null(ec2gw_json_arena_current());
    ec2gw_json_heap_pop();
    ec2gw_json_arena_leave(s3);
    ec2gw_json_arena_leave(s2);
    assert_null(ec2gw_json_arena_current()); /* back in the heap scope */
    v = json_string("heap");
    assert_false(ec2gw_json_arena_owns(v));
    json_decref(v);
    ec2gw_json_heap_pop();
    assert_ptr_equal(ec2gw_json_arena_current(), a1);
    ec2gw_json_arena_leave(s1);
    ec2gw_pool_free(p2);
    ec2gw_pool_free(p1);
}

static void
trim_unmaps_spares(void **state)
{
    ec2gw_pool_t *pool = ec2gw_pool_new(1024);
    ec2gw_json_scope_t js = ec2gw_json_arena_enter(ec2gw_json_arena_new(pool));

    (void)state;
    for (int i = 0; i < 20000; i++)
        json_decref(json_pack("{s:s}", "some key", "a value long enough to take some room"));
    ec2gw_json_arena_leave(js);
    assert_true(ec2gw_json_arena_mapped() >= 2 * 1024 * 1024);
    ec2gw_pool_free(pool);
    ec2gw_json_arena_trim();
#ifndef HAVE_ASAN
    /* sanitizer builds keep dropped runs poisoned in a quarantine instead */
    assert_int_equal(ec2gw_json_arena_mapped(), 0);
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_live_in_the_current_arena),
        cmocka_unit_test(dropping_the_pool_drops_the_values),
        cmocka_unit_test(freed_values_are_poisoned),
        cmocka_unit_test(parse_in_the_arena_equals_heap),
        cmocka_unit_test(big_values_get_their_own_run),
        cmocka_unit_test(enter_resets_and_leave_restores_heap_scopes),
        cmocka_unit_test(trim_unmaps_spares),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
