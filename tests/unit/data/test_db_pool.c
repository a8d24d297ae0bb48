/*
 * test_db_pool.c - the connections lent to request fibers (daemon/data/db_pool.c) on a real
 * libevent loop: lent in FIFO order, a waiter's deadline gives EC2GW_E_DB and the busy note, a
 * full queue refuses at once, a socket wait parks the fiber until the fd is ready or times out.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/err.h"
#include "core/fiber.h"
#include "data/db_pool.h"

static struct event_base *base;
static db_pool_t *pool;
static char order[32];
static int results[8];
static double waited[8];
static void *got[8];

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    int id;
    int hold_ms; /* keep the connection this long (a timer) before giving it back */
} borrower_t;

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ec2gw_fiber_resume(arg);
}

static void
borrower(void *arg)
{
    borrower_t b = *(borrower_t *)arg;
    double t0 = now_s();
    void *conn = NULL;
    size_t n;

    results[b.id] = db_pool_get(pool, &conn);
    waited[b.id] = now_s() - t0;
    if (results[b.id] != 0)
        return;
    got[b.id] = conn;
    n = strlen(order);
    order[n] = (char)('0' + b.id);
    order[n + 1] = '\0';
    if (conn == NULL)
        conn = &got[b.id]; /* an empty slot: "connect" */
    if (b.hold_ms > 0) {
        struct timeval tv = { 0, b.hold_ms * 1000 };
        struct event *ev = event_new(base, -1, 0, on_timer, ec2gw_fiber_self());

        event_add(ev, &tv);
        ec2gw_fiber_yield();
        event_free(ev);
    }
    db_pool_put(pool, conn);
}

static void
start(int id, int hold_ms)
{
    borrower_t b = { id, hold_ms };

    assert_int_equal(ec2gw_fiber_start(borrower, &b, sizeof(b)), 0);
}

static int
setup(void **state)
{
    (void)state;
    base = event_base_new();
    memset(results, -1, sizeof(results));
    memset(got, 0, sizeof(got));
    order[0] = '\0';
    return base == NULL;
}

static int
teardown(void **state)
{
    (void)state;
    db_pool_free(pool);
    pool = NULL;
    event_base_free(base);
    return 0;
}

static void
test_fifo(void **state)
{
    (void)state;
    pool = db_pool_new(base, 2, 16, 5000);
    start(1, 50); /* two empty slots */
    start(2, 80);
    start(3, 10); /* wait, in this order */
    start(4, 10);
    start(5, 10);
    assert_int_equal(db_pool_lent(pool), 2);
    assert_int_equal(db_pool_waiting(pool), 3);
    event_base_dispatch(base);
    assert_string_equal(order, "12345");
    for (int i = 1; i <= 5; i++)
        assert_int_equal(results[i], 0);
    assert_null(got[1]);
    assert_null(got[2]);
    /* each waiter got a connection a holder gave back (never a new slot: the pool is full) */
    for (int i = 3; i <= 5; i++)
        assert_true(got[i] == &got[1] || got[i] == &got[2]);
    assert_int_equal(db_pool_lent(pool), 0);
    assert_int_equal(db_pool_waiting(pool), 0);
    assert_int_equal(ec2gw_fiber_alive(), 0);
}

static unsigned busy_note;
static void
late_borrower(void *arg)
{
    borrower(arg);
    busy_note = ec2gw_fiber_notes();
}

static void
test_deadline(void **state)
{
    borrower_t b = { 2, 0 };

    (void)state;
    pool = db_pool_new(base, 1, 16, 150);
    start(1, 600); /* holds the only connection past the others' deadline */
    assert_int_equal(ec2gw_fiber_start(late_borrower, &b, sizeof(b)), 0);
    event_base_dispatch(base);
    assert_int_equal(results[1], 0);
    assert_int_equal(results[2], EC2GW_E_DB);
    assert_true(waited[2] >= 0.14 && waited[2] < 2.0); /* waited for its deadline, bounded */
    assert_int_equal(busy_note, EC2GW_FIBER_NOTE_BUSY);
    assert_int_equal(db_pool_timeouts(pool), 1);
    assert_int_equal(db_pool_lent(pool), 0);
    assert_int_equal(db_pool_waiting(pool), 0);
    assert_string_equal(order, "1");
}

static void
test_queue_bounded_and_loop_refused(void **state)
{
    void *conn = (void *)1;

    (void)state;
    pool = db_pool_new(base, 1, 1, 5000);
    start(1, 30);
    start(2, 0); /* the one waiter allowed */
    start(3, 0); /* refused at once */
    assert_int_equal(results[3], EC2GW_E_DB);
    assert_true(waited[3] < 0.5);
    assert_int_equal(db_pool_get(pool, &conn), EC2GW_E_STATE); /* not on the loop */
    assert_null(conn);
    event_base_dispatch(base);
    assert_int_equal(results[2], 0);
    assert_string_equal(order, "12");
    assert_null(db_pool_new(base, 0, 1, 10));
    assert_null(db_pool_new(base, 65, 1, 10));
}

static short fired[2];
static int pipefd[2];

static void
waiter(void *arg)
{
    int i = *(int *)arg;

    fired[i] = db_pool_wait_fd(pool, pipefd[0], EV_READ, i == 0 ? 2000 : 50);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    assert_int_equal(write(pipefd[1], "x", 1), 1);
}

static void
test_wait_fd(void **state)
{
    struct timeval tv = { 0, 100 * 1000 };
    int zero = 0, one = 1;
    double t0;

    (void)state;
    pool = db_pool_new(base, 1, 1, 100);
    assert_int_equal(pipe(pipefd), 0);
    /* ready after 100 ms: wakes on EV_READ, long before its 2 s timeout */
    event_base_once(base, -1, EV_TIMEOUT, on_write, NULL, &tv);
    t0 = now_s();
    assert_int_equal(ec2gw_fiber_start(waiter, &zero, sizeof(zero)), 0);
    event_base_dispatch(base);
    assert_int_equal(fired[0], EV_READ);
    assert_true(now_s() - t0 < 1.9); /* woken by the write, not its 2 s timeout */
    /* nothing written this time (drain first): times out */
    char c;
    assert_int_equal(read(pipefd[0], &c, 1), 1);
    assert_int_equal(ec2gw_fiber_start(waiter, &one, sizeof(one)), 0);
    event_base_dispatch(base);
    assert_int_equal(fired[1], EV_TIMEOUT);
    assert_int_equal(db_pool_wait_fd(pool, pipefd[0], EV_READ, 10), 0); /* not on the loop */
    close(pipefd[0]);
    close(pipefd[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bounded_and_loop_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_fd, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
