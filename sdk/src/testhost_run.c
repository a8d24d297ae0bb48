/*
 * testhost_run.c - requests of the fake host: routing through the wrap stack, the callback
 * queue (in order or shuffled), answers, cancellation, and the result of the last request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhost_priv.h"

static const ec2gw_action_t *
inst_action(const th_inst_t *in, const char *action)
{
    for (const ec2gw_action_t *a = in->mod->desc->actions; a->name != NULL; a++)
        if (strcmp(a->name, action) == 0)
            return a;
    return NULL;
}

/* The outermost instance declaring @p action, from @p from down the wrap stack. */
static th_inst_t *
route(th_inst_t *from, const char *action, const ec2gw_action_t **act)
{
    for (th_inst_t *in = from; in != NULL; in = in->below)
        if ((*act = inst_action(in, action)) != NULL)
            return in;
    return NULL;
}

void
th_fail(ec2gw_req_t *r, int status, const char *code, const char *msg)
{
    th_host_api.fail(r, status, code, "%s", msg);
}

/* Decode the test's parameters as ec2gwd decodes a client's (testhost_model.c). 0, or -1
 * after failing the request with the daemon's error. */
static int
decode(ec2gw_req_t *r)
{
    char code[96], msg[1024];
    json_t *decoded = NULL;
    int st;

    if ((r->op = th_model_op(r->action)) == NULL) {
        snprintf(msg, sizeof(msg), "The action %.200s is not valid for this web service",
                 r->action);
        if (strncmp(r->action, "ec2gw_test.", 11) != 0) /* not ec2gw_test_http's placeholder */
            fprintf(stderr, "ec2gw_test: %s is not an action of the EC2 model\n", r->action);
        th_fail(r, 400, "InvalidAction", msg);
        return -1;
    }
    if ((st = th_model_params(r->op, r->params, &decoded, code, sizeof(code), msg, sizeof(msg))) !=
        0) {
        fprintf(stderr, "ec2gw_test: %s: the daemon would refuse these parameters: %s: %s\n",
                r->action, code, msg);
        th_fail(r, st, code, msg);
        return -1;
    }
    json_decref(r->params);
    r->params = decoded;
    return 0;
}

int
ec2gw_test_begin(ec2gw_test_host_t *h, const char *action, const char *params_json)
{
    const ec2gw_action_t *act = NULL;
    json_error_t jerr;
    ec2gw_req_t *r;
    th_inst_t *in;
    int rc;

    if (h->req != NULL) {
        th_violation(h, "ec2gw_test_begin(%s): a request is already in flight", action);
        return EC2GW_E_STATE;
    }
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return EC2GW_E_NOMEM;
    r->h = h;
    r->action = strdup(action);
    r->params = params_json != NULL ? json_loads(params_json, 0, &jerr) : json_object();
    snprintf(r->id, sizeof(r->id), "req-test-%08u", ++h->req_seq);
    r->t_start_ms = h->now_ms;
    if (r->action == NULL || !json_is_object(r->params)) {
        fprintf(stderr, "ec2gw_test_begin(%s): parameters are not a JSON object: %s\n", action,
                r->params == NULL ? jerr.text : "not an object");
        json_decref(r->params);
        free(r->action);
        free(r);
        return EC2GW_E_INVAL;
    }
    h->req = r;
    json_decref(h->last_model);
    h->last_model = NULL;
    free(h->last_xml);
    h->last_xml = NULL;
    if (decode(r) != 0)
        return EC2GW_OK;
    if ((in = route(h->top, action, &act)) == NULL) {
        th_fail(r, 400, "InvalidAction", "The action is not valid for this web service.");
        return EC2GW_OK;
    }
    if (json_is_true(json_object_get(r->params, "DryRun")) &&
        (act->flags & EC2GW_ACT_DRYRUN) == 0) {
        th_fail(r, 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
        return EC2GW_OK;
    }
    r->inst = in;
    rc = act->fn(r, in->data);
    if (rc == EC2GW_OK && !r->answered)
        th_violation(h, "%s: handler returned EC2GW_OK without finish() or fail()", action);
    return rc;
}

/* src of os_transfer answered: a 2xx goes on as dst's scripted call, anything else ends it. */
static void
transfer_step(ec2gw_test_host_t *h, th_event_t *ev)
{
    ec2gw_req_t *r = ev->req;
    th_event_t *next = NULL;
    json_t *bytes;

    if (r->answered || r->cancelled) {
        th_event_free(ev);
        return;
    }
    if (!ec2gw_os_ok(&ev->resp)) {
        ev->done(r, &ev->resp, ev->arg);
        th_event_free(ev);
        return;
    }
    /* dst's body in the call log: the bytes src answered. */
    bytes = json_stringn_nocheck(ev->resp.body, ev->resp.body_len);
    ev->dst.body = bytes;
    next = th_script_answer(h, r, &ev->dst);
    json_decref(bytes);
    if (next != NULL) {
        next->kind = TH_EV_CALL;
        next->done = ev->done;
        next->arg = ev->arg;
        if (th_queue_push(h, next) != 0) {
            th_event_free(next);
            th_fail(r, 500, "InternalError", "ec2gw_test: out of memory");
        }
    }
    th_event_free(ev);
}

/* Deliver one event and free it (fan-out parts are freed with their fan-out). */
static void
deliver(ec2gw_test_host_t *h, th_event_t *ev)
{
    ec2gw_req_t *r = ev->req;
    th_fanout_t *f = ev->fan;

    (void)h;
    switch (ev->kind) {
    case TH_EV_CALL:
        if (!r->answered && !r->cancelled)
            ev->done(r, &ev->resp, ev->arg);
        th_event_free(ev);
        return;
    case TH_EV_OFFLOAD:
        ev->work(ev->arg);
        if (!r->cancelled)
            ev->work_done(r, ev->arg);
        th_event_free(ev);
        return;
    case TH_EV_TIMER:
        if (!r->answered && !r->cancelled)
            ev->timer(r, ev->arg);
        th_event_free(ev);
        return;
    case TH_EV_TRANSFER:
        transfer_step(h, ev);
        return;
    case TH_EV_FANOUT:
        f->resps[ev->fan_index] = &ev->resp;
        if (++f->got < f->n)
            return; /* parts are freed with the fan-out, in the request's pool */
        if (!r->answered && !r->cancelled)
            f->done(r, f->resps, f->n, f->arg);
        return;
    }
}

/*
 * The next event: an answer or offloaded work (the first, or a shuffled one); once only
 * timers are left, the earliest, moving the fake clock to its due time.
 */
static size_t
next_event(ec2gw_test_host_t *h)
{
    size_t n_now = 0, k = 0, best = 0;

    for (size_t i = 0; i < h->n_queue; i++)
        n_now += h->queue[i]->kind != TH_EV_TIMER;
    if (n_now > 0) {
        if (h->shuffle) {
            h->rng = h->rng * 1103515245u + 12345u;
            k = (h->rng >> 8) % n_now;
        }
        for (size_t i = 0; i < h->n_queue; i++)
            if (h->queue[i]->kind != TH_EV_TIMER && k-- == 0)
                return i;
    }
    for (size_t i = 1; i < h->n_queue; i++)
        if (h->queue[i]->due_ms < h->queue[best]->due_ms)
            best = i;
    if (h->queue[best]->due_ms > h->now_ms)
        h->now_ms = h->queue[best]->due_ms;
    return best;
}

int
ec2gw_test_run_one(ec2gw_test_host_t *h)
{
    size_t i;
    th_event_t *ev;

    if (h->n_queue == 0)
        return 0;
    i = next_event(h);
    ev = h->queue[i];
    memmove(&h->queue[i], &h->queue[i + 1], (h->n_queue - i - 1) * sizeof(*h->queue));
    h->n_queue--;
    deliver(h, ev);
    return 1;
}

size_t
ec2gw_test_run(ec2gw_test_host_t *h)
{
    size_t n = 0;

    while (ec2gw_test_run_one(h))
        n++;
    return n;
}

const char *
ec2gw_test_last_xml(const ec2gw_test_host_t *h, size_t *len)
{
    if (len != NULL)
        *len = h->last_xml != NULL ? h->last_xml_len : 0;
    return h->last_xml;
}

size_t
ec2gw_test_rendered_items(const ec2gw_test_host_t *h)
{
    return h->n_rendered;
}

void
ec2gw_test_cancel(ec2gw_test_host_t *h)
{
    if (h->req == NULL || h->req->answered)
        return;
    h->req->cancelled = 1;
    th_queue_drop(h, h->req);
}

static void
set_last(ec2gw_test_host_t *h, int status, const char *code, const char *msg)
{
    h->last_status = status;
    snprintf(h->last_code, sizeof(h->last_code), "%s", code ? code : "");
    snprintf(h->last_msg, sizeof(h->last_msg), "%s", msg ? msg : "");
}

/* The finished model as the client would get it: the daemon's renderer keeps every member,
 * else the request fails as in debug builds of ec2gwd (and it is a violation: a plugin bug).
 * The test gets a copy: the plugin's model is checked for kept references with own_json's. */
static json_t *
answer(ec2gw_test_host_t *h, ec2gw_req_t *r)
{
    char msg[480]; /* fits last_msg */
    json_t *copy;

    if (r->op != NULL && th_model_check_answer(h, r->op, r->id, r->model, msg, sizeof(msg)) != 0) {
        th_violation(h, "%s: the EC2 model drops answer members: %s", r->action, msg);
        set_last(h, 500, "InternalError", msg);
        return NULL;
    }
    copy = th_model_expand(h, r->model);
    set_last(h, 200, NULL, NULL);
    h->last_model = json_incref(copy);
    return copy;
}

json_t *
ec2gw_test_end(ec2gw_test_host_t *h)
{
    ec2gw_req_t *r = h->req;
    json_t *model = NULL;

    if (r == NULL)
        return NULL;
    th_queue_drop(h, r);
    th_share_check(h, r->action);
    if (r->cancelled) {
        set_last(h, 0, "RequestCanceled", "the request was cancelled");
    } else if (!r->answered) {
        th_violation(h, "%s: the request was never answered", r->action);
        set_last(h, 0, "ec2gw_test.NoAnswer", "the plugin never called finish() or fail()");
    } else if (r->model != NULL) {
        model = answer(h, r);
    } else {
        set_last(h, r->status, r->code, r->msg);
    }
    h->req = NULL;
    if (r->model != NULL && th_owned_add(r, r->model) != 0)
        json_decref(r->model);
    r->model = NULL;
    th_pool_release(&r->pool);
    th_owned_keep(h, r);
    json_decref(r->params);
    free(r->action);
    free(r);
    return model;
}

json_t *
ec2gw_test_action(ec2gw_test_host_t *h, const char *action, const char *params_json)
{
    if (ec2gw_test_begin(h, action, params_json) < 0) {
        set_last(h, 0, "ec2gw_test.BadRequest", "the request could not start");
        return NULL;
    }
    ec2gw_test_run(h);
    return ec2gw_test_end(h);
}

const char *
ec2gw_test_last_error(const ec2gw_test_host_t *h)
{
    return h->last_code[0] != '\0' ? h->last_code : NULL;
}

const char *
ec2gw_test_last_error_message(const ec2gw_test_host_t *h)
{
    return h->last_code[0] != '\0' ? h->last_msg : NULL;
}

int
ec2gw_test_last_status(const ec2gw_test_host_t *h)
{
    return h->last_status;
}

int64_t
ec2gw_test_clock_ms(const ec2gw_test_host_t *h)
{
    return h->now_ms;
}

void
ec2gw_test_set_deadline(ec2gw_test_host_t *h, int64_t ms)
{
    h->deadline_ms = ms > 0 ? ms : 0;
}

/* -- delegate: the wrap chain ------------------------------------------------------------ */

int
th_delegate(ec2gw_req_t *r, ec2gw_model_fn on_model, void *arg)
{
    const ec2gw_action_t *act = NULL;
    th_inst_t *cur = r->inst, *next;
    int rc;

    if (cur == NULL || (next = route(cur->below, r->action, &act)) == NULL)
        return EC2GW_E_NOTFOUND;
    if (on_model != NULL) {
        if (r->n_hooks == TH_MAX_HOOKS)
            return EC2GW_E_NOMEM;
        r->hooks[r->n_hooks++] = (th_hook_t){ .fn = on_model, .arg = arg, .inst = cur };
    }
    r->inst = next;
    rc = act->fn(r, next->data);
    r->inst = cur;
    return rc;
}
