/*
 * req_fiber.c - request code on fibers (req_fiber.h). A request has at most one fiber at a
 * time: a completion that arrives while its fiber is parked is queued on that fiber, so plugin
 * callbacks of one request still run one after the other, as on the plain loop.
 */
#include "server/req_fiber.h"

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

static int enabled;
static active_t *actives;
static int nactive;

void
ec2gw_req_fibers_enable(int on)
{
    enabled = on;
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

    if (!enabled || ec2gw_fiber_self() != NULL) {
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
