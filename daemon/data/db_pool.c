/*
 * db_pool.c - connections lent to fibers, a FIFO of fibers waiting for one, and socket waits
 * (db_pool.h). Everything runs on the worker's one loop thread.
 */
#include "data/db_pool.h"

#include <stdlib.h>

#include <event2/event.h>

#include "core/err.h"
#include "core/fiber.h"
#include "core/log.h"

/* A parked fiber; lives on that fiber's stack while it waits. */
typedef struct db_waiter {
    ec2gw_fiber_t *f;
    struct event *ev;
    short fired;
    int granted;
    void *conn;
    struct db_waiter *next;
} db_waiter_t;

struct db_pool {
    struct event_base *base;
    int size, lent, nfree;
    void **free; /* connections given back, ready for the next borrower */
    int max_waiters, nwait, wait_ms;
    db_waiter_t *head, *tail;
    unsigned long timeouts;
};

db_pool_t *
db_pool_new(struct event_base *base, int size, int max_waiters, int wait_ms)
{
    db_pool_t *p;

    if (base == NULL || size < 1 || size > 64)
        return NULL;
    if ((p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    if ((p->free = calloc((size_t)size, sizeof(*p->free))) == NULL) {
        free(p);
        return NULL;
    }
    p->base = base;
    p->size = size;
    p->max_waiters = max_waiters;
    p->wait_ms = wait_ms;
    return p;
}

void
db_pool_free(db_pool_t *p)
{
    if (p == NULL)
        return;
    free(p->free);
    free(p);
}

int
db_pool_lent(const db_pool_t *p)
{
    return p->lent;
}

int
db_pool_waiting(const db_pool_t *p)
{
    return p->nwait;
}

unsigned long
db_pool_timeouts(const db_pool_t *p)
{
    return p->timeouts;
}

/* Runs on the loop: the wait is over (granted, socket ready or timed out). */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
    db_waiter_t *w = arg;

    (void)fd;
    w->fired |= what;
    ec2gw_fiber_resume(w->f);
}

static void
unlink_waiter(db_pool_t *p, db_waiter_t *w)
{
    db_waiter_t **pp = &p->head, *prev = NULL;

    for (; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            if (p->tail == w)
                p->tail = prev;
            p->nwait--;
            return;
        }
    }
}

int
db_pool_get(db_pool_t *p, void **conn)
{
    db_waiter_t w = { 0 };
    struct timeval tv = { p->wait_ms / 1000, (p->wait_ms % 1000) * 1000 };

    *conn = NULL;
    if ((w.f = ec2gw_fiber_self()) == NULL)
        return EC2GW_E_STATE;
    if (p->nfree > 0) {
        *conn = p->free[--p->nfree];
        p->lent++;
        return 0;
    }
    if (p->lent < p->size) {
        p->lent++;
        return 0; /* an empty slot: the caller connects */
    }
    if (p->nwait >= p->max_waiters || (w.ev = event_new(p->base, -1, 0, on_wake, &w)) == NULL ||
        event_add(w.ev, &tv) != 0) {
        if (w.ev != NULL)
            event_free(w.ev);
        p->timeouts++;
        ec2gw_fiber_note(EC2GW_FIBER_NOTE_BUSY);
        return EC2GW_E_DB;
    }
    if (p->tail != NULL)
        p->tail->next = &w;
    else
        p->head = &w;
    p->tail = &w;
    p->nwait++;
    ec2gw_fiber_yield();
    event_free(w.ev);
    if (!w.granted) {
        unlink_waiter(p, &w);
        p->timeouts++;
        ec2gw_fiber_note(EC2GW_FIBER_NOTE_BUSY);
        return EC2GW_E_DB;
    }
    *conn = w.conn; /* the slot stays lent: it went from the giver to us */
    return 0;
}

void
db_pool_put(db_pool_t *p, void *conn)
{
    db_waiter_t *w = p->head;

    if (w != NULL) {
        /* Handed over on the loop, not here: a fiber is resumed only from the loop's stack. */
        p->head = w->next;
        if (p->head == NULL)
            p->tail = NULL;
        p->nwait--;
        w->granted = 1;
        w->conn = conn;
        event_del(w->ev);
        event_active(w->ev, EV_TIMEOUT, 0);
        return;
    }
    p->lent--;
    if (conn != NULL)
        p->free[p->nfree++] = conn;
}

short
db_pool_wait_fd(db_pool_t *p, int fd, short what, int timeout_ms)
{
    db_waiter_t w = { 0 };
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

    if ((w.f = ec2gw_fiber_self()) == NULL)
        return 0;
    if ((w.ev = event_new(p->base, fd, what, on_wake, &w)) == NULL)
        return 0;
    if (event_add(w.ev, timeout_ms >= 0 ? &tv : NULL) != 0) {
        event_free(w.ev);
        return 0;
    }
    ec2gw_fiber_yield();
    event_free(w.ev);
    return w.fired;
}
