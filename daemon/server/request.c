/*
 * request.c - request lifecycle: creation, the one answer, cancellation, release.
 */
#include "server/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/rand.h>

#include "core/fiber.h"
#include "core/log.h"
#include "data/client_token.h"
#include "ops/metrics.h"
#include "protocol/xml_render.h"
#include "server/conn.h"
#include "server/mem_trim.h"

double
ec2gw_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Request ids: a random 128-bit base drawn once per process (after any fork), plus a counter.
 * RAND_bytes per request cost 7% of a DescribeRegions in the profile (a lock and getpid). */
static unsigned char uuid_base[16];
static uint64_t uuid_counter;
static pid_t uuid_pid;

void
ec2gw_req_make_id(char out[40])
{
    unsigned char b[16];
    uint64_t lo;

    if (uuid_pid != getpid()) {
        if (RAND_bytes(uuid_base, sizeof(uuid_base)) != 1)
            memset(uuid_base, 0x5a, sizeof(uuid_base));
        uuid_pid = getpid();
    }
    memcpy(b, uuid_base, sizeof(b));
    memcpy(&lo, b + 8, sizeof(lo));
    /* Above byte 8 (the low byte here), whose top bits the variant overwrites: added to it,
     * counters 64 apart made the same id. */
    lo += ++uuid_counter << 8;
    memcpy(b + 8, &lo, sizeof(lo));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_req_t *r = arg;

    (void)fd;
    (void)what;
    ec2gw_req_ref(r);
    ec2gw_os_calls_cancel(r);
    if (r->auth_job != NULL) { /* the job held a reference */
        ec2gw_auth_job_cancel(r->auth_job);
        r->auth_job = NULL;
        r->refs--;
    }
    ec2gw_req_failf(r, "Unavailable", "The request did not complete within %lld ms",
                    (long long)r->gen->conf.request_timeout_ms);
    ec2gw_req_unref(r);
}

ec2gw_req_t *
ec2gw_req_new(ec2gw_daemon_t *d, struct evhttp_request *http)
{
    ec2gw_pool_t *pool = ec2gw_pool_new(8192);
    ec2gw_req_t *r;
    char *peer = NULL;
    ev_uint16_t port = 0;

    if (pool == NULL)
        return NULL;
    r = ec2gw_pcalloc(pool, sizeof(*r));
    if (r == NULL) {
        ec2gw_pool_free(pool);
        return NULL;
    }
    r->magic = EC2GW_REQ_MAGIC;
    r->refs = 1;
    r->pool = pool;
    /* the first cleanup, so the last to run: every other one may still drop arena JSON */
    r->jarena = ec2gw_json_arena_new(pool);
    r->d = d;
    r->gen = d->gen;
    r->gen->refs++;
    r->http = http;
    r->t_start = ec2gw_now();
    ec2gw_req_make_id(r->id);
    evhttp_connection_get_peer(evhttp_request_get_connection(http), &peer, &port);
    r->remote = ec2gw_psprintf(pool, "%s:%u", peer ? peer : "-", port);
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=%s", r->id);
    d->in_flight++;
    ec2gw_metrics_set_in_flight(d->in_flight);
    struct timeval tv = { .tv_sec = (time_t)(r->gen->conf.request_timeout_ms / 1000),
                          .tv_usec = (suseconds_t)(r->gen->conf.request_timeout_ms % 1000) * 1000 };

    r->deadline = evtimer_new(d->base, on_deadline, r);
    if (r->deadline != NULL)
        evtimer_add(r->deadline, &tv);
    return r;
}

void
ec2gw_req_ref(ec2gw_req_t *r)
{
    r->refs++;
}

void
ec2gw_req_unref(ec2gw_req_t *r)
{
    if (--r->refs > 0)
        return;
    ec2gw_daemon_t *d = r->d;

    if (!r->answered && r->http != NULL) /* a handler returned without answering */
        ec2gw_req_failf(r, "InternalError", "The request was not answered");
    if (r->deadline != NULL)
        event_free(r->deadline);
    ec2gw_kvlist_free(&r->query);
    ec2gw_kvlist_free(&r->form);
    ec2gw_kvlist_free(&r->headers);
    ec2gw_kvlist_free(&r->params);
    json_decref(r->params_json);
    json_decref(r->catalog);
    ec2gw_generation_unref(r->gen);
    r->magic = 0;
    size_t held = ec2gw_json_arena_used(r->jarena) + ec2gw_pool_used(r->pool);

    ec2gw_pool_free(r->pool);
    d->in_flight--;
    ec2gw_metrics_set_in_flight(d->in_flight);
    ec2gw_mem_trim_note(d, held);
}

/* The last slice of a document frees the whole buffer (@p arg: its start, not @p data). */
static void
free_document(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    free(arg);
}

static void
unref_item(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    json_decref(arg);
}

/* The answer buffer of @p doc (taken: emptied) by reference, no copy: its own bytes and the
 * kept items' between them (a 1 000-instance answer is megabytes). NULL when out of memory
 * (@p doc is freed then). */
static struct evbuffer *
document_buffer(ec2gw_xml_doc_t *doc)
{
    struct evbuffer *buf = evbuffer_new();
    size_t at = 0, i;

    if (buf == NULL || doc->buf == NULL)
        goto fail;
    for (i = 0; i < doc->nrefs; i++) {
        json_t *str = doc->refs[i].str;

        if (doc->refs[i].at > at &&
            evbuffer_add_reference(buf, doc->buf + at, doc->refs[i].at - at, NULL, NULL) != 0)
            goto fail;
        at = doc->refs[i].at;
        if (evbuffer_add_reference(buf, json_string_value(str), json_string_length(str), unref_item,
                                   str) != 0)
            goto fail;
        doc->refs[i].str = NULL; /* the buffer holds the reference now */
    }
    /* Last: the chains are freed in order, so the slices before it are sent by then. */
    if (evbuffer_add_reference(buf, doc->buf + at, doc->len - at, free_document, doc->buf) != 0)
        goto fail;
    free(doc->refs);
    memset(doc, 0, sizeof(*doc));
    return buf;
fail:
    if (buf != NULL)
        evbuffer_free(buf); /* drops the references it took; doc->buf is still ours */
    for (i = 0; i < doc->nrefs; i++)
        json_decref(doc->refs[i].str);
    free(doc->refs);
    free(doc->buf);
    memset(doc, 0, sizeof(*doc));
    return NULL;
}

/* Takes @p doc. */
static void
send_document(ec2gw_req_t *r, int status, const char *code, ec2gw_xml_doc_t *doc)
{
    double secs = ec2gw_now() - r->t_start;

    r->answered = 1;
    r->status = status;
    r->code = ec2gw_pstrdup(r->pool, code);
    if (r->deadline != NULL)
        evtimer_del(r->deadline);
    if (r->http != NULL) {
        struct evkeyvalq *out = evhttp_request_get_output_headers(r->http);
        struct evbuffer *buf = document_buffer(doc);

        ec2gw_conn_set_request(r->http, NULL); /* answered: a close no longer cancels it */
        evhttp_add_header(out, "Content-Type", "text/xml;charset=UTF-8");
        evhttp_add_header(out, "x-amzn-RequestId", r->id);
        evhttp_add_header(out, "Server", r->gen->conf.server_header_amazon ? "AmazonEC2" : "ec2gw");
        evhttp_send_reply(r->http, status, status < 400 ? "OK" : "Error", buf);
        if (buf != NULL)
            evbuffer_free(buf);
    }
    /* Only model operations become labels: a stranger's Action would add a series per value. */
    ec2gw_metrics_request(r->d->model != NULL && ec2gw_model_op(r->d->model, r->action) != NULL
                              ? r->action
                              : "unknown",
                          code, secs);
    if (r->gen->conf.access_log) {
        char line[700], action[200], project[100], ecode[100], key[40], kp[9] = "-";

        /* The access key's first 8 characters only: enough to tell keys apart in a log. */
        if (r->sig.access_key[0] != '\0')
            snprintf(kp, sizeof(kp), "%.8s", r->sig.access_key);
        snprintf(line, sizeof(line),
                 "remote=%s req=%s action=%s status=%d code=%s ms=%.1f project=%s key=%s",
                 r->remote, r->id, ec2gw_log_escape(action, sizeof(action), r->action, 1), status,
                 ec2gw_log_escape(ecode, sizeof(ecode), code, 1), secs * 1000.0,
                 ec2gw_log_escape(project, sizeof(project), r->identity.project_id, 1),
                 ec2gw_log_escape(key, sizeof(key), kp, 1));
        ec2gw_log_access(line);
    }
    ec2gw_xml_doc_free(doc); /* what the buffer did not take (no client, out of memory) */
}

void
ec2gw_req_fail(ec2gw_req_t *r, const ec2gw_fault_t *f)
{
    ec2gw_xml_doc_t doc = { 0 };
    ec2gw_fault_t busy;

    if (r->answered)
        return;
    /* A server error after the database was busy (no pooled connection came free, a row lock
     * or the connection timed out) is the database's: retryable, said as such. */
    if (f->status >= 500 && f->status != 503 && (ec2gw_fiber_notes() & EC2GW_FIBER_NOTE_BUSY)) {
        ec2gw_fault_set(&busy, "ServiceUnavailable",
                        "The database is busy; the request was not completed (%s): retry",
                        f->message);
        f = &busy;
    }
    if (r->raw) { /* the metadata listener answers in plain text */
        int st = f->status >= 400 ? f->status : 400;

        if (st >= 500)
            ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "metadata code=%s msg=\"%s\"", f->code,
                      f->message);
        ec2gw_raw_reply(r, st, "text/plain", f->message, strlen(f->message));
        return;
    }
    /* Ended by the deadline or an internal error: a retry with the token may go ahead. */
    if (r->client_token != NULL) {
        ec2gw_client_token_abort(r->d->db, r->identity.project_id, r->action, r->client_token);
        r->client_token = NULL;
    }
    if (ec2gw_xml_error(f->code, f->message, r->id, &doc.buf, &doc.len) != 0)
        memset(&doc, 0, sizeof(doc));
    if (f->status >= 500)
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "action=%s code=%s msg=\"%s\"",
                  r->action ? r->action : "-", f->code, f->message);
    send_document(r, f->status >= 400 ? f->status : 400, f->code, &doc);
}

void
ec2gw_req_failf(ec2gw_req_t *r, const char *code, const char *fmt, ...)
{
    ec2gw_fault_t f;
    va_list ap;

    va_start(ap, fmt);
    ec2gw_fault_setv(&f, ec2gw_fault_status(code), code, fmt, ap);
    va_end(ap);
    ec2gw_req_fail(r, &f);
}

void
ec2gw_req_finish(ec2gw_req_t *r, json_t *model)
{
    ec2gw_err_t err = { 0 };
    ec2gw_xml_doc_t doc;

    if (r->answered) {
        json_decref(model);
        return;
    }
    if (r->raw) { /* a metadata handler answers with reply(), not a model */
        json_decref(model);
        ec2gw_raw_reply(r, 500, "text/plain", "Internal error", 14);
        return;
    }
    if (ec2gw_xml_render_doc(r->op, r->version, r->id, model, &doc, &err) != 0) {
        ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix, "action=%s cannot render the response: %s",
                  r->action, err.msg);
        json_decref(model);
        ec2gw_req_failf(r, "InternalError", "The response could not be rendered");
        return;
    }
    if (err.msg[0] != '\0') {
#ifdef EC2GW_STRICT_ANSWERS
        /* Debug and sanitizer builds: a member the model lacks is the plugin author's bug (a
         * typo gives clients an empty field); answer an error naming it instead (issue 16). */
        ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix, "action=%s model members dropped: %s", r->action,
                  err.msg);
        json_decref(model);
        ec2gw_xml_doc_free(&doc);
        ec2gw_req_failf(r, "InternalError", "The answer has members the EC2 model lacks: %s",
                        err.msg);
        return;
#else
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "action=%s model members dropped: %s", r->action,
                  err.msg);
#endif
    }
    json_decref(model);
    send_document(r, 200, "OK", &doc);
}

/* libevent detached the request from its closing connection and frees it only when it is
 * answered; nobody will answer it now. */
void
ec2gw_req_client_gone(ec2gw_req_t *r)
{
    struct evhttp_request *http = r->http;

    if (r->answered || http == NULL)
        return;
    ec2gw_log(EC2GW_LOG_INFO, r->log_prefix,
              "the client closed the connection before the answer; "
              "cancelling its OpenStack calls");
    ec2gw_metrics_counter_add("ec2gw_requests_abandoned_total", NULL, 1);
    ec2gw_req_ref(r);
    ec2gw_req_cancel(r);
    if (evhttp_request_get_connection(http) == NULL)
        evhttp_request_free(http);
    ec2gw_req_unref(r);
}

void
ec2gw_req_cancel(ec2gw_req_t *r)
{
    r->http = NULL;
    ec2gw_os_calls_cancel(r);
    if (r->auth_job != NULL) {
        ec2gw_auth_job_cancel(r->auth_job);
        r->auth_job = NULL;
        r->refs--;
    }
}
