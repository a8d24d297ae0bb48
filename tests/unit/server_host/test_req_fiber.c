/*
 * test_req_fiber.c - the plugin baton of daemon/server/req_fiber.c on a real libevent loop:
 * while one fiber's plugin code is parked, another fiber's plugin code waits (after giving back
 * its fiber's local value, the database connection), gets the baton in FIFO order when the
 * holder leaves, nested enters of one fiber nest, and without fibers nothing waits.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include <event2/event.h>

#include "core/fiber.h"
#include "server/req_fiber.h"

static struct event_base *base;
static char trace[64];
static int released[4];

static void
add(char c)
{
    size_t n = strlen(trace);

    trace[n] = c;
    trace[n + 1] = '\0';
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ec2gw_fiber_resume(arg);
}

/* A database wait: park the fiber on a timer. */
static void
park_ms(int ms)
{
    struct timeval tv = { 0, ms * 1000 };
    struct event *ev = event_new(base, -1, 0, on_timer, ec2gw_fiber_self());

    event_add(ev, &tv);
    ec2gw_fiber_yield();
    event_free(ev);
}

static void
release(void *v)
{
    released[*(int *)v]++;
}

typedef struct {
    int id;
    int park_ms;
} plug_t;

static int ids[4] = { 0, 1, 2, 3 };

/* Plugin code: takes the baton, marks A..D in, parks, marks a..d out. */
static void
plugin(void *arg)
{
    plug_t p = *(plug_t *)arg;

    ec2gw_fiber_set_local(&ids[p.id], release); /* its borrowed connection */
    ec2gw_req_plugin_enter();
    add((char)('A' + p.id));
    ec2gw_req_plugin_enter(); /* nested (a wrapper delegating): no wait */
    park_ms(p.park_ms);
    ec2gw_req_plugin_leave();
    add((char)('a' + p.id));
    ec2gw_req_plugin_leave();
}

static void
test_baton_serializes_plugin_code(void **state)
{
    (void)state;
    base = event_base_new();
    trace[0] = '\0';
    memset(released, 0, sizeof(released));
    ec2gw_req_fibers_enable(base);
    for (int i = 0; i < 3; i++) {
        plug_t p = { i, 30 - 10 * i }; /* the later ones park shorter: order is the baton's */

        assert_int_equal(ec2gw_fiber_start(plugin, &p, sizeof(p)), 0);
    }
    assert_string_equal(trace, "A"); /* B and C wait for A's baton */
    assert_int_equal(released[0], 0);
    assert_int_equal(released[1], 1); /* waiting, they gave their connection back */
    assert_int_equal(released[2], 1);
    event_base_dispatch(base);
    assert_string_equal(trace, "AaBbCc");
    assert_int_equal(released[0], 1); /* A's at its end */
    assert_int_equal(ec2gw_fiber_alive(), 0);
    ec2gw_req_fibers_enable(NULL);
    event_base_free(base);
}

static void
test_no_fibers_no_baton(void **state)
{
    (void)state;
    /* On the loop, or with fibers off (SQLite): enter and leave do nothing. */
    ec2gw_req_plugin_enter();
    ec2gw_req_plugin_enter();
    ec2gw_req_plugin_leave();
    ec2gw_req_plugin_leave();
    assert_int_equal(ec2gw_req_fibers_active(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baton_serializes_plugin_code),
        cmocka_unit_test(test_no_fibers_no_baton),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
