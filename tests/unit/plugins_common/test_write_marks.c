/*
 * test_write_marks.c - the per-project write marks shared by the nova-v2.1 and cinder-v3
 * caches (plugins/common/write_marks.c): dirty / need_full while a write is in flight and
 * after it ends, the forgetting of the oldest idle mark at the bound (its project's entries
 * invalidated, busy marks kept) and writes without memory. The host is
 * a minimal table: request memory and cleanups are recorded here and run by the test.
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

#include "write_marks.h"

#define MAX_HELD 64

/* The request's memory and cleanups, as the host keeps them. */
static void *held[MAX_HELD];
static size_t n_held;
static void (*cleanup_fn[MAX_HELD])(void *);
static void *cleanup_arg[MAX_HELD];
static size_t n_cleanup;
static int fail_alloc, fail_cleanup;
static int req_dummy;
#define REQ ((ec2gw_req_t *)&req_dummy)

static void *
fake_pcalloc(ec2gw_req_t *req, size_t n)
{
    (void)req;
    if (fail_alloc || n_held == MAX_HELD)
        return NULL;
    return held[n_held++] = calloc(1, n);
}

static char *
fake_pstrdup(ec2gw_req_t *req, const char *s)
{
    (void)req;
    if (fail_alloc || n_held == MAX_HELD)
        return NULL;
    return held[n_held++] = strdup(s);
}

static int
fake_on_cleanup(ec2gw_req_t *req, void (*fn)(void *arg), void *arg)
{
    (void)req;
    if (fail_cleanup || n_cleanup == MAX_HELD)
        return -1;
    cleanup_fn[n_cleanup] = fn;
    cleanup_arg[n_cleanup++] = arg;
    return 0;
}

static ec2gw_host_api_t host;

/* End every request: run the cleanups (newest first, as the host does), free its memory. */
static void
end_requests(void)
{
    while (n_cleanup > 0) {
        n_cleanup--;
        cleanup_fn[n_cleanup](cleanup_arg[n_cleanup]);
    }
    while (n_held > 0)
        free(held[--n_held]);
}

/* One cache entry of the caller, invalidated when its project's mark is forgotten. */
struct entry {
    const char *project;
    int valid;
};

static struct entry entries[3];
static char forgotten[256];

static void
forget(void *ctx, const char *project)
{
    struct entry *es = ctx;

    for (size_t i = 0; i < 3; i++)
        if (strcmp(es[i].project, project) == 0)
            es[i].valid = 0;
    strncat(forgotten, project, sizeof(forgotten) - strlen(forgotten) - 1);
    strncat(forgotten, ";", sizeof(forgotten) - strlen(forgotten) - 1);
}

static int
setup(void **state)
{
    (void)state;
    memset(&host, 0, sizeof(host));
    host.hdr.size = sizeof(host);
    host.pcalloc = fake_pcalloc;
    host.pstrdup = fake_pstrdup;
    host.on_cleanup = fake_on_cleanup;
    fail_alloc = fail_cleanup = 0;
    forgotten[0] = '\0';
    entries[0] = (struct entry){ "p1", 1 };
    entries[1] = (struct entry){ "p2", 1 };
    entries[2] = (struct entry){ "p1", 1 };
    return 0;
}

static void
test_write_in_flight_then_ended(void **state)
{
    struct ec2gw_pc_marks ms;
    uint64_t seq_sync, seq_full;

    (void)state;
    ec2gw_pc_marks_init(&ms, 16, forget, entries);
    seq_sync = seq_full = ++ms.seq; /* a refresh (full) started before the write */
    assert_false(ec2gw_pc_dirty(&ms, "p1", seq_sync));

    ec2gw_pc_write(&host, REQ, &ms, "p1", 0);
    /* in flight: dirty even for a refresh started after it began */
    assert_true(ec2gw_pc_dirty(&ms, "p1", ++ms.seq));
    assert_false(ec2gw_pc_need_full(&ms, "p1", seq_full));
    assert_false(ec2gw_pc_dirty(&ms, "p2", 0)); /* other projects are not touched */

    end_requests();
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->writing, 0);
    /* ended after the refresh started: dirty; a refresh started after the end: clean */
    assert_true(ec2gw_pc_dirty(&ms, "p1", seq_sync));
    assert_false(ec2gw_pc_dirty(&ms, "p1", ++ms.seq));
    assert_false(ec2gw_pc_need_full(&ms, "p1", seq_full));
    ec2gw_pc_marks_clear(&ms);
}

static void
test_full_write_needs_full_list(void **state)
{
    struct ec2gw_pc_marks ms;
    uint64_t seq_full;

    (void)state;
    ec2gw_pc_marks_init(&ms, 16, forget, entries);
    seq_full = ++ms.seq;
    ec2gw_pc_write(&host, REQ, &ms, "p1", 1);
    ec2gw_pc_write(&host, REQ, &ms, "p1", 0);
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->writing, 2);
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->full_writing, 1);
    assert_true(ec2gw_pc_need_full(&ms, "p1", ++ms.seq)); /* in flight */

    end_requests();
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->full_writing, 0);
    assert_true(ec2gw_pc_need_full(&ms, "p1", seq_full));
    /* a full list started after the write ended needs no other */
    assert_false(ec2gw_pc_need_full(&ms, "p1", ++ms.seq));
    assert_false(ec2gw_pc_dirty(&ms, "p1", ms.seq));
    ec2gw_pc_marks_clear(&ms);
}

static void
test_oldest_idle_mark_forgotten(void **state)
{
    struct ec2gw_pc_marks ms;

    (void)state;
    ec2gw_pc_marks_init(&ms, 2, forget, entries);
    ec2gw_pc_write(&host, REQ, &ms, "p1", 0);
    end_requests(); /* p1 ended first: the oldest */
    ec2gw_pc_write(&host, REQ, &ms, "p2", 0);
    end_requests();
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->seq_end, 1);
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p2", 0)->seq_end, 2);

    /* a third project at the bound: p1's mark goes, and p1's entries start over */
    assert_non_null(ec2gw_pc_mark_get(&ms, "p3", 1));
    assert_string_equal(forgotten, "p1;");
    assert_null(ec2gw_pc_mark_get(&ms, "p1", 0));
    assert_int_equal(entries[0].valid, 0);
    assert_int_equal(entries[2].valid, 0);
    assert_int_equal(entries[1].valid, 1);
    assert_non_null(ec2gw_pc_mark_get(&ms, "p2", 0));
    ec2gw_pc_marks_clear(&ms);
}

static void
test_busy_mark_kept(void **state)
{
    struct ec2gw_pc_marks ms;

    (void)state;
    ec2gw_pc_marks_init(&ms, 2, forget, entries);
    ec2gw_pc_write(&host, REQ, &ms, "p1", 0); /* stays in flight: oldest but busy */
    assert_non_null(ec2gw_pc_mark_get(&ms, "p2", 1));
    assert_non_null(ec2gw_pc_mark_get(&ms, "p3", 1));
    assert_string_equal(forgotten, "p2;");
    assert_non_null(ec2gw_pc_mark_get(&ms, "p1", 0));
    assert_int_equal(entries[1].valid, 0);
    assert_int_equal(entries[0].valid, 1);

    /* every mark busy: none is forgotten, the bound is exceeded until they end */
    ec2gw_pc_write(&host, REQ, &ms, "p3", 0);
    assert_non_null(ec2gw_pc_mark_get(&ms, "p4", 1));
    assert_string_equal(forgotten, "p2;");
    assert_non_null(ec2gw_pc_mark_get(&ms, "p1", 0));
    assert_non_null(ec2gw_pc_mark_get(&ms, "p3", 0));

    /* p1's write ends after all that: still counted on its mark */
    end_requests();
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->writing, 0);
    assert_true(ec2gw_pc_dirty(&ms, "p1", 0));
    ec2gw_pc_marks_clear(&ms);
}

static void
test_write_without_memory(void **state)
{
    struct ec2gw_pc_marks ms;

    (void)state;
    ec2gw_pc_marks_init(&ms, 16, forget, entries);
    fail_alloc = 1; /* no request memory: nothing is marked, nothing crashes */
    ec2gw_pc_write(&host, REQ, &ms, "p1", 1);
    fail_alloc = 0;
    assert_false(ec2gw_pc_dirty(&ms, "p1", 0));
    fail_cleanup = 1; /* no cleanup: the write could never end, so it is not counted */
    ec2gw_pc_write(&host, REQ, &ms, "p1", 1);
    fail_cleanup = 0;
    assert_int_equal(ec2gw_pc_mark_get(&ms, "p1", 0)->writing, 0);
    assert_false(ec2gw_pc_need_full(&ms, "p1", 0));
    end_requests();
    ec2gw_pc_marks_clear(&ms);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_write_in_flight_then_ended, setup),
        cmocka_unit_test_setup(test_full_write_needs_full_list, setup),
        cmocka_unit_test_setup(test_oldest_idle_mark_forgotten, setup),
        cmocka_unit_test_setup(test_busy_mark_kept, setup),
        cmocka_unit_test_setup(test_write_without_memory, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
