/*
 * test_cache_slots.c - the entry list shared by the nova-v2.1 and cinder-v3 caches
 * (plugins/common/cache_slots.c): idle entries swept, the least recently used idle one
 * dropped at the cap, busy ones (a refresh owner, waiters) kept, a forgotten write mark
 * invalidating its project's entries, and one refresh at a time (lead, or wait and poll).
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

#include "cache_slots.h"
#include "write_marks.h"

#define IDLE_MS 1000

/* A plugin's entry: the slot first, then what the plugin keeps. */
struct entry {
    struct ec2gw_pc_slot slot;
    int *payload;
};

static char freed[256];

static void
entry_free(struct ec2gw_pc_slot *slot)
{
    struct entry *e = (struct entry *)slot;

    strncat(freed, slot->project, sizeof(freed) - strlen(freed) - 1);
    strncat(freed, ";", sizeof(freed) - strlen(freed) - 1);
    free(e->payload);
    free(e->slot.project);
    free(e);
}

static struct entry *
add(struct ec2gw_pc_slots *ss, const char *project, int64_t now, size_t cap)
{
    struct entry *e;

    ec2gw_pc_slots_sweep(ss, now, cap);
    e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->slot.project = strdup(project);
    e->payload = calloc(1, sizeof(int));
    e->slot.valid = 1;
    ec2gw_pc_slots_add(ss, &e->slot, now);
    return e;
}

static struct entry *
find(const struct ec2gw_pc_slots *ss, const char *project)
{
    for (struct ec2gw_pc_slot *s = ss->head; s != NULL; s = s->next)
        if (strcmp(s->project, project) == 0)
            return (struct entry *)s;
    return NULL;
}

static int
setup(void **state)
{
    (void)state;
    freed[0] = '\0';
    return 0;
}

static void
test_idle_swept(void **state)
{
    struct ec2gw_pc_slots ss;
    struct entry *busy;

    (void)state;
    ec2gw_pc_slots_init(&ss, IDLE_MS, entry_free);
    add(&ss, "old", 0, 100);
    busy = add(&ss, "busy", 0, 100);
    busy->slot.waiters = 1; /* a request waits on it: kept, however old */
    add(&ss, "recent", 500, 100);
    assert_int_equal(ss.n, 3);

    add(&ss, "new", IDLE_MS + 1, 100);
    assert_string_equal(freed, "old;");
    assert_null(find(&ss, "old"));
    assert_non_null(find(&ss, "busy"));
    assert_non_null(find(&ss, "recent"));
    assert_int_equal(ss.n, 3);
    assert_int_equal(find(&ss, "new")->slot.t_used, IDLE_MS + 1);
    ec2gw_pc_slots_clear(&ss);
    assert_int_equal(ss.n, 0);
    assert_null(ss.head);
}

static void
test_cap_drops_least_recently_used_idle(void **state)
{
    struct ec2gw_pc_slots ss;

    (void)state;
    ec2gw_pc_slots_init(&ss, IDLE_MS, entry_free);
    add(&ss, "a", 10, 2);
    add(&ss, "b", 20, 2);
    find(&ss, "a")->slot.t_used = 30; /* read again: b is now the least recently used */
    add(&ss, "c", 40, 2);
    assert_string_equal(freed, "b;");
    assert_int_equal(ss.n, 2);

    /* both left are busy (one refreshing, one waited on): the cap is exceeded */
    find(&ss, "a")->slot.owner = (ec2gw_req_t *)&ss;
    find(&ss, "c")->slot.waiters = 2;
    add(&ss, "d", 50, 2);
    assert_string_equal(freed, "b;");
    assert_int_equal(ss.n, 3);
    find(&ss, "a")->slot.owner = NULL;
    find(&ss, "c")->slot.waiters = 0;
    ec2gw_pc_slots_clear(&ss);
    assert_string_equal(freed, "b;d;c;a;");
}

static void
test_forgotten_mark_invalidates_entries(void **state)
{
    struct ec2gw_pc_slots ss;
    struct ec2gw_pc_marks ms;

    (void)state;
    ec2gw_pc_slots_init(&ss, IDLE_MS, entry_free);
    ec2gw_pc_marks_init(&ms, 1, ec2gw_pc_slots_forget, &ss);
    add(&ss, "p1", 0, 10);
    add(&ss, "p2", 0, 10);
    add(&ss, "p1", 0, 10); /* e.g. nova: one entry per user of p1 */
    assert_non_null(ec2gw_pc_mark_get(&ms, "p1", 1));
    assert_non_null(ec2gw_pc_mark_get(&ms, "p2", 1)); /* at the bound: p1's mark goes */
    for (struct ec2gw_pc_slot *s = ss.head; s != NULL; s = s->next)
        assert_int_equal(s->valid, strcmp(s->project, "p1") != 0);
    ec2gw_pc_marks_clear(&ms);
    ec2gw_pc_slots_clear(&ss);
}

static int after_rc;
static int64_t after_ms;
static ec2gw_timer_fn after_fn;

static int
fake_after(ec2gw_req_t *req, int64_t ms, ec2gw_timer_fn fn, void *arg)
{
    (void)req;
    (void)arg;
    after_ms = ms;
    after_fn = fn;
    return after_rc;
}

static void
tick(ec2gw_req_t *req, void *arg)
{
    (void)req;
    (void)arg;
}

static void
test_lead_or_wait(void **state)
{
    ec2gw_host_api_t host;
    struct ec2gw_pc_slot slot;
    int dummy[2], leading = 0, waiting = 0;
    ec2gw_req_t *r1 = (ec2gw_req_t *)&dummy[0], *r2 = (ec2gw_req_t *)&dummy[1];

    (void)state;
    memset(&host, 0, sizeof(host));
    memset(&slot, 0, sizeof(slot));
    host.hdr.size = sizeof(host);
    host.after = fake_after;

    /* a refresh that failed to start leads nothing */
    assert_int_equal(ec2gw_pc_slot_lead(r1, &slot, &leading, EC2GW_E_NOMEM), EC2GW_E_NOMEM);
    assert_null(slot.owner);
    assert_int_equal(leading, 0);
    /* one in flight: r1 leads it */
    assert_int_equal(ec2gw_pc_slot_lead(r1, &slot, &leading, EC2GW_AGAIN), EC2GW_AGAIN);
    assert_ptr_equal(slot.owner, r1);
    assert_int_equal(leading, 1);

    /* r2 waits, polled */
    after_rc = EC2GW_AGAIN;
    assert_int_equal(ec2gw_pc_slot_wait(&host, r2, &slot, &waiting, 20, tick, NULL), EC2GW_AGAIN);
    assert_int_equal(after_ms, 20);
    assert_ptr_equal(after_fn, tick);
    assert_int_equal(waiting, 1);
    assert_int_equal(slot.waiters, 1);
    /* no timer: not counted as waiting */
    waiting = 0;
    after_rc = EC2GW_E_NOMEM;
    assert_int_equal(ec2gw_pc_slot_wait(&host, r2, &slot, &waiting, 20, tick, NULL), EC2GW_E_NOMEM);
    assert_int_equal(waiting, 0);
    assert_int_equal(slot.waiters, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_idle_swept, setup),
        cmocka_unit_test_setup(test_cap_drops_least_recently_used_idle, setup),
        cmocka_unit_test_setup(test_forgotten_mark_invalidates_entries, setup),
        cmocka_unit_test_setup(test_lead_or_wait, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
