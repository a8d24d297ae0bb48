/*
 * host_layer.c - which plugin layer of a wrap chain a request is in (issue 16 #2).
 *
 * r->cur_inst names the instance whose code runs. dispatch sets it around a handler; the
 * trampolines here set it again around every callback an instance asked for (OpenStack
 * answers, timers, transfers, a wrapper's model hook), so that state(), log() and delegate()
 * know the layer in a callback too, not only in the handler's first call.
 *
 * state() keeps one zeroed block per instance: a wrapper and the plugin it wraps never see
 * each other's bytes. The blocks hang off r->plugin_state as a list (r->plugin_state_size is
 * unused).
 */
#include <string.h>

#include "server/request.h"

int ec2gw_host_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done,
                       void *arg);
int ec2gw_host_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                         ec2gw_os_fanout_fn done, void *arg);
int ec2gw_host_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg);
int ec2gw_host_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                           ec2gw_os_done_fn done, void *arg);

void *ec2gw_layer_state(ec2gw_req_t *r, size_t size);
int ec2gw_layer_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done,
                        void *arg);
int ec2gw_layer_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                          ec2gw_os_fanout_fn done, void *arg);
int ec2gw_layer_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg);
int ec2gw_layer_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                            ec2gw_os_done_fn done, void *arg);
ec2gw_model_fn ec2gw_layer_model_hook(ec2gw_req_t *r, ec2gw_model_fn fn, void **arg);

struct layer_state {
    struct layer_state *next;
    const ec2gw_instance_t *inst;
    size_t size;
    void *data;
};

void *
ec2gw_layer_state(ec2gw_req_t *r, size_t size)
{
    struct layer_state *s;

    for (s = r->plugin_state; s != NULL; s = s->next)
        if (s->inst == r->cur_inst)
            break;
    if (s == NULL) {
        s = ec2gw_pcalloc(r->pool, sizeof(*s));
        if (s == NULL)
            return NULL;
        s->inst = r->cur_inst;
        s->next = r->plugin_state;
        r->plugin_state = s;
    }
    if (s->data == NULL || s->size < size) { /* a larger ask keeps what the block held */
        void *p = ec2gw_pcalloc(r->pool, size ? size : 1);

        if (p == NULL)
            return NULL;
        if (s->data != NULL)
            memcpy(p, s->data, s->size);
        s->data = p;
        s->size = size;
    }
    return s->data;
}

/* A callback and the instance that asked for it (pool). */
struct layer_cb {
    ec2gw_instance_t *inst;
    union {
        ec2gw_os_done_fn done;
        ec2gw_os_fanout_fn fanout;
        ec2gw_timer_fn timer;
        ec2gw_model_fn model;
    } fn;
    void *arg;
};

static struct layer_cb *
cb_new(ec2gw_req_t *r, void *arg)
{
    struct layer_cb *c = ec2gw_palloc(r->pool, sizeof(*c));

    if (c != NULL) {
        c->inst = r->cur_inst;
        c->arg = arg;
    }
    return c;
}

/* The callers hold a reference on r across each callback: r and c outlive it. */
static void
on_done(ec2gw_req_t *r, const ec2gw_os_resp_t *resp, void *arg)
{
    struct layer_cb *c = arg;
    ec2gw_instance_t *prev = r->cur_inst;

    r->cur_inst = c->inst;
    c->fn.done(r, resp, c->arg);
    r->cur_inst = prev;
}

static void
on_fanout(ec2gw_req_t *r, const ec2gw_os_resp_t *const *resps, size_t n, void *arg)
{
    struct layer_cb *c = arg;
    ec2gw_instance_t *prev = r->cur_inst;

    r->cur_inst = c->inst;
    c->fn.fanout(r, resps, n, c->arg);
    r->cur_inst = prev;
}

static void
on_timer(ec2gw_req_t *r, void *arg)
{
    struct layer_cb *c = arg;
    ec2gw_instance_t *prev = r->cur_inst;

    r->cur_inst = c->inst;
    c->fn.timer(r, c->arg);
    r->cur_inst = prev;
}

static void
on_model(ec2gw_req_t *r, json_t *model, void *arg)
{
    struct layer_cb *c = arg;
    ec2gw_instance_t *prev = r->cur_inst;

    r->cur_inst = c->inst;
    c->fn.model(r, model, c->arg);
    r->cur_inst = prev;
}

int
ec2gw_layer_os_call(ec2gw_req_t *r, const ec2gw_os_call_t *call, ec2gw_os_done_fn done, void *arg)
{
    struct layer_cb *c;

    if (done == NULL || r->answered)
        return ec2gw_host_os_call(r, call, done, arg);
    if ((c = cb_new(r, arg)) == NULL)
        return EC2GW_E_NOMEM;
    c->fn.done = done;
    return ec2gw_host_os_call(r, call, on_done, c);
}

int
ec2gw_layer_os_fanout(ec2gw_req_t *r, const ec2gw_os_call_t *calls, size_t n,
                      ec2gw_os_fanout_fn done, void *arg)
{
    struct layer_cb *c;

    if (done == NULL || r->answered)
        return ec2gw_host_os_fanout(r, calls, n, done, arg);
    if ((c = cb_new(r, arg)) == NULL)
        return EC2GW_E_NOMEM;
    c->fn.fanout = done;
    return ec2gw_host_os_fanout(r, calls, n, on_fanout, c);
}

int
ec2gw_layer_after(ec2gw_req_t *r, int64_t ms, ec2gw_timer_fn fn, void *arg)
{
    struct layer_cb *c;

    if (fn == NULL || r->answered)
        return ec2gw_host_after(r, ms, fn, arg);
    if ((c = cb_new(r, arg)) == NULL)
        return EC2GW_E_NOMEM;
    c->fn.timer = fn;
    return ec2gw_host_after(r, ms, on_timer, c);
}

int
ec2gw_layer_os_transfer(ec2gw_req_t *r, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                        ec2gw_os_done_fn done, void *arg)
{
    struct layer_cb *c;

    if (done == NULL || r->answered)
        return ec2gw_host_os_transfer(r, src, dst, done, arg);
    if ((c = cb_new(r, arg)) == NULL)
        return EC2GW_E_NOMEM;
    c->fn.done = done;
    return ec2gw_host_os_transfer(r, src, dst, on_done, c);
}

ec2gw_model_fn
ec2gw_layer_model_hook(ec2gw_req_t *r, ec2gw_model_fn fn, void **arg)
{
    struct layer_cb *c;

    if (fn == NULL || (c = cb_new(r, *arg)) == NULL)
        return fn;
    c->fn.model = fn;
    *arg = c;
    return on_model;
}
