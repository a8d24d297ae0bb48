/*
 * req_fiber.c - request code on fibers (req_fiber.h). A request has at most one fiber at a
 * time: a completion that arrives while its fiber is parked is queued on that fiber, so plugin
 * callbacks of one request still run one after the other, as on the plain loop.
 */
#include "server/req_fiber.h"

#include <event2/event.h>

#include "core/fiber.h"
#include "core/log.h"

typedef struct job {
    ec2gw_req_body_fn fn;
    void *a, *b;
    struct job *next;
} job_t;

/* A request's live fiber; on that fiber's stack. */
typedef struct active {
    ec2gw_req_t *r;
    job_t *head, *tail;
    struct active *next;
} active_t;

typedef struct start {
    ec2gw_req_t *r;
    ec2gw_req_body_fn fn;
    void *a, *b;
} start_t;

/* A fiber waiting for the plugin baton; on its stack. */
typedef struct baton_waiter {
    ec2gw_fiber_t *f;
    struct event *ev;
    struct baton_waiter *next;
} baton_waiter_t;

static struct event_base *enabled;
static active_t *actives;
static int nactive;
static ec2gw_fiber_t *baton;
static int baton_depth;
static baton_waiter_t *bw_head, *bw_tail;

void
ec2gw_req_fibers_enable(struct event_base *base)
{
    enabled = base;
}

static void
on_baton(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ec2gw_fiber_resume(arg);
}

void
ec2gw_req_plugin_enter(void)
{
    ec2gw_fiber_t *f = ec2gw_fiber_self();
    baton_waiter_t w = { f, NULL, NULL };

    if (enabled == NULL || f == NULL)
        return;
    if (baton == f) {
        baton_depth++;
        return;
    }
    if (baton == NULL && bw_head == NULL) {
        baton = f;
        baton_depth = 1;
        return;
    }
    if ((w.ev = event_new(enabled, -1, 0, on_baton, f)) == NULL) {
        /* cannot park: go on (rather than fail the request), logged */
        ec2gw_log(EC2GW_LOG_ERROR, "fiber", "out of memory: plugin code runs without the baton");
        return;
    }
    /* Its connection goes back first: the baton's holder may need one to finish. */
    ec2gw_fiber_release_local();
    if (bw_tail != NULL)
        bw_tail->next = &w;
    else
        bw_head = &w;
    bw_tail = &w;
    while (baton != f)
        ec2gw_fiber_yield();
    event_free(w.ev);
}

void
ec2gw_req_plugin_leave(void)
{
    ec2gw_fiber_t *f = ec2gw_fiber_self();
    baton_waiter_t *w;

    if (enabled == NULL || f == NULL || baton != f || --baton_depth > 0)
        return;
    baton = NULL;
    if ((w = bw_head) != NULL) {
        /* handed over now, resumed from the loop */
        bw_head = w->next;
        if (bw_head == NULL)
            bw_tail = NULL;
        baton = w->f;
        baton_depth = 1;
        event_active(w->ev, EV_TIMEOUT, 0);
    }
}

int
ec2gw_req_fibers_active(void)
{
    return nactive;
}

static void
run_one(ec2gw_req_t *r, ec2gw_req_body_fn fn, void *a, void *b)
{
    ec2gw_json_scope_t js = ec2gw_req_json_enter(r);

    fn(r, a, b);
    ec2gw_json_arena_leave(js);
}

static void
fiber_body(void *arg)
{
    start_t s = *(start_t *)arg;
    active_t me = { s.r, NULL, NULL, actives };
    active_t **pp;

    actives = &me;
    nactive++;
    run_one(s.r, s.fn, s.a, s.b);
    while (me.head != NULL) {
        job_t *j = me.head;

        me.head = j->next;
        if (me.head == NULL)
            me.tail = NULL;
        run_one(s.r, j->fn, j->a, j->b);
    }
    if (baton == ec2gw_fiber_self()) {
        ec2gw_log(EC2GW_LOG_ERROR, "fiber", "request code ended holding the plugin baton");
        baton_depth = 1;
        ec2gw_req_plugin_leave();
    }
    for (pp = &actives; *pp != &me; pp = &(*pp)->next)
        ;
    *pp = me.next;
    nactive--;
    ec2gw_req_unref(s.r); /* may free the request: nothing of it is touched afterwards */
}

void
ec2gw_req_run(ec2gw_req_t *r, ec2gw_req_body_fn fn, void *a, void *b)
{
    start_t s = { r, fn, a, b };
    active_t *act;

    if (enabled == NULL || ec2gw_fiber_self() != NULL) {
        run_one(r, fn, a, b);
        return;
    }
    for (act = actives; act != NULL && act->r != r; act = act->next)
        ;
    if (act != NULL) {
        job_t *j = ec2gw_pcalloc(r->pool, sizeof(*j));

        if (j != NULL) {
            *j = (job_t){ fn, a, b, NULL };
            if (act->tail != NULL)
                act->tail->next = j;
            else
                act->head = j;
            act->tail = j;
            return;
        }
        ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix, "out of memory: a callback runs unqueued");
        run_one(r, fn, a, b);
        return;
    }
    ec2gw_req_ref(r);
    if (ec2gw_fiber_start(fiber_body, &s, sizeof(s)) != 0) {
        /* no stack: run it here (a database wait then blocks the loop, as without fibers) */
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "no fiber stack: request code runs inline");
        run_one(r, fn, a, b);
        ec2gw_req_unref(r);
    }
}
