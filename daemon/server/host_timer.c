/*
 * host_timer.c - the host's after(): a libevent timer on the request's loop, for plugins that
 * poll OpenStack while a state changes (CreateImage waits for a server to stop).
 *
 * A pending timer holds a request reference, like an OpenStack call: the request stays alive
 * and the dispatcher sees work outstanding. The request cannot tell a timer that it has been
 * answered (deadline) or cancelled (client gone), so the timer wakes at least once a second to
 * look, and then drops its reference without running the plugin's function. Its event lives
 * in the request pool and is freed by a pool cleanup.
 */
#include <event2/event.h>

#include "core/log.h"
#include "server/req_fiber.h"
#include "server/request.h"

/* How long an ended request may keep a timer (and so its pool and generation) alive. */
#define TIMER_SLICE_MS 1000

struct req_timer {
    ec2gw_req_t *r;
    struct event *ev;
    ec2gw_timer_fn fn;
    void *arg;
    double due; /* ec2gw_now() seconds */
};

static int
req_ended(const ec2gw_req_t *r)
{
    return r->answered || r->http == NULL;
}

static void
timer_free(void *arg)
{
    struct req_timer *t = arg;

    if (t->ev != NULL)
        event_free(t->ev);
    t->ev = NULL;
}

/* Arm the event for what is left of the delay, at most one slice. */
static int
timer_arm(struct req_timer *t)
{
    double left_ms = (t->due - ec2gw_now()) * 1000.0;
    long ms = left_ms <= 0 ? 0 : (long)(left_ms + 0.5);
    struct timeval tv;

    if (ms > TIMER_SLICE_MS)
        ms = TIMER_SLICE_MS;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return evtimer_add(t->ev, &tv);
}

static void
run_timer(ec2gw_req_t *r, void *a, void *b)
{
    struct req_timer *t = a;

    (void)b;
    if (req_ended(r))
        return;
    ec2gw_req_plugin_enter(); /* may wait: the request may end meanwhile */
    if (!req_ended(r))
        t->fn(r, t->arg);
    ec2gw_req_plugin_leave();
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct req_timer *t = arg;
    ec2gw_req_t *r = t->r;

    (void)fd;
    (void)what;
    if (!req_ended(r) && ec2gw_now() < t->due - 0.0005 && timer_arm(t) == 0)
        return;
    if (!req_ended(r)) {
        ec2gw_json_scope_t js = ec2gw_req_json_enter(r);

        ec2gw_req_run(r, run_timer, t, NULL);
        ec2gw_json_arena_leave(js);
    }
    /* May free the pool, and with it this timer: nothing touches t afterwards. */
    ec2gw_req_unref(r);
}

int ec2gw_host_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg);

/*
 * A delay that would end at or after the request's deadline is refused (EC2GW_E_INVAL) rather
 * than dropped silently, so that the plugin can still undo what it did and answer.
 */
int
ec2gw_host_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg)
{
    double deadline = r->t_start + (double)r->gen->conf.request_timeout_ms / 1000.0;
    struct req_timer *t;

    if (req_ended(r))
        return EC2GW_E_STATE;
    if (fn == NULL || ms < 0)
        return EC2GW_E_INVAL;
    if (ec2gw_now() + (double)ms / 1000.0 >= deadline) {
        ec2gw_log(EC2GW_LOG_INFO, r->log_prefix,
                  "after(%lld ms) refused: it would end after the request deadline", (long long)ms);
        return EC2GW_E_INVAL;
    }
    t = ec2gw_pcalloc(r->pool, sizeof(*t));
    if (t == NULL)
        return EC2GW_E_NOMEM;
    t->r = r;
    t->fn = fn;
    t->arg = arg;
    t->due = ec2gw_now() + (double)ms / 1000.0;
    t->ev = evtimer_new(r->d->base, on_timer, t);
    if (t->ev == NULL)
        return EC2GW_E_NOMEM;
    if (ec2gw_pool_on_cleanup(r->pool, timer_free, t) != 0) {
        timer_free(t);
        return EC2GW_E_NOMEM;
    }
    if (timer_arm(t) != 0)
        return EC2GW_E_FAIL; /* the cleanup frees the event */
    ec2gw_req_ref(r);
    return EC2GW_AGAIN;
}
