/*
 * os_share.c - shared OpenStack reads (os_share.h).
 *
 * An entry is one HTTP GET and its answer, keyed by service, URL (with its query),
 * microversion, raw-or-JSON and token scope (project id + digest of the token's roles, or the
 * service user). It lives in a hash table from its start until it is older than the staleness
 * bound, a write of its project drops it, or the caps push it out (oldest first: an entry's
 * worth ends a fixed time after its start, so the oldest has the least left). Entries are
 * reference-counted: the table, the HTTP call in flight, each reuse waiting for its 0 ms
 * event, and each request an answer was delivered to (until its pool goes: resp->json and
 * resp->body point into the entry). One loop per process: no locks.
 */
#include "server/os_share.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "ops/metrics.h"

#define N_BUCKETS 1024

struct ec2gw_share_entry {
    struct ec2gw_share_entry *hnext;         /* hash chain */
    struct ec2gw_share_entry *older, *newer; /* start order */
    char *key;
    char *service;
    char *project; /* NULL: the service user's */
    uint64_t hash;
    int refs;
    int in_table;
    int raw;
    int64_t started_ms;
    ec2gw_http_call_t *http; /* in flight */
    ec2gw_share_waiter_t *waiters;
    int done;
    ec2gw_share_answer_t a; /* strings and json owned */
    size_t bytes;
};

static struct ec2gw_share_entry *buckets[N_BUCKETS];
static struct ec2gw_share_entry *oldest, *newest;
static ec2gw_share_stats_t st;
static ec2gw_share_waiter_t *pending_head, **pending_tail = &pending_head;
static struct event *pending_ev, *sweep_ev;
static int64_t staleness_ms; /* of the last join: the sweep's horizon */
static struct event_base *loop_base;

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
fnv(const char *s)
{
    uint64_t h = 14695981039346656037ull;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Counters go to the metrics region (summed over the workers) as they change. */
static void
count(unsigned long long *n, const char *name, const char *labels)
{
    (*n)++;
    ec2gw_metrics_counter_add(name, labels, 1);
}

static void
entry_free(struct ec2gw_share_entry *e)
{
    free(e->key);
    free(e->service);
    free(e->project);
    free((char *)(uintptr_t)e->a.error);
    free((char *)(uintptr_t)e->a.body);
    free((char *)(uintptr_t)e->a.request_id);
    free((char *)(uintptr_t)e->a.location);
    /* made in a heap scope; dropped in one too */
    ec2gw_json_heap_push();
    json_decref(e->a.json);
    ec2gw_json_heap_pop();
    free(e);
}

static void
entry_unref(struct ec2gw_share_entry *e)
{
    if (--e->refs == 0)
        entry_free(e);
}

static void
entry_unref_cb(void *arg)
{
    entry_unref(arg);
}

/* Out of the table: no new call joins or reuses it. */
static void
unlink_entry(struct ec2gw_share_entry *e)
{
    struct ec2gw_share_entry **pp = &buckets[e->hash % N_BUCKETS];

    if (!e->in_table)
        return;
    for (; *pp != NULL; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        oldest = e->newer;
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        newest = e->older;
    e->in_table = 0;
    st.entries--;
    st.bytes -= e->bytes;
    entry_unref(e);
}

static void
sweep(int64_t now)
{
    while (oldest != NULL && oldest->done && now - oldest->started_ms > staleness_ms)
        unlink_entry(oldest);
}

static void arm_sweep(int64_t delay_ms);

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
    int64_t now = mono_ms();

    (void)fd;
    (void)what;
    (void)arg;
    sweep(now);
    if (oldest != NULL)
        arm_sweep(oldest->started_ms + staleness_ms - now);
}

/* Wake once the oldest entry has expired, so that memory comes back without traffic. */
static void
arm_sweep(int64_t delay_ms)
{
    int64_t ms = delay_ms > 0 ? delay_ms + 1 : 1;
    struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
                          .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

    if (sweep_ev == NULL && loop_base != NULL)
        sweep_ev = evtimer_new(loop_base, on_sweep, NULL);
    if (sweep_ev != NULL && !evtimer_pending(sweep_ev, NULL))
        evtimer_add(sweep_ev, &tv);
}

/* The caps: the oldest entries go first (those in flight too: their waiters keep them). */
static void
enforce_caps(void)
{
    while (oldest != NULL &&
           (st.entries > EC2GW_SHARE_MAX_ENTRIES || st.bytes > EC2GW_SHARE_MAX_BYTES)) {
        count(&st.evicted, "ec2gw_shared_read_evictions_total", NULL);
        unlink_entry(oldest);
    }
}

static struct ec2gw_share_entry *
lookup(const char *key, uint64_t h)
{
    for (struct ec2gw_share_entry *e = buckets[h % N_BUCKETS]; e != NULL; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* "service\nurl\nmicroversion\nraw\nscope" (pool). */
static char *
make_key(ec2gw_req_t *r, const char *service, const char *url, const char *mv, int raw,
         int as_service)
{
    if (as_service)
        return ec2gw_psprintf(r->pool, "%s\n%s\n%s\n%d\nservice", service, url, mv ? mv : "-", raw);
    if (r->identity.project_id == NULL)
        return NULL;
    return ec2gw_psprintf(r->pool, "%s\n%s\n%s\n%d\nproject=%s roles=%s", service, url,
                          mv ? mv : "-", raw, r->identity.project_id,
                          r->roles_digest ? r->roles_digest : "-");
}

static void
deliver(ec2gw_share_waiter_t *w, struct ec2gw_share_entry *e)
{
    ec2gw_share_answer_t a = e->a;

    /* the request keeps the entry: resp->json and resp->body point into it */
    e->refs++;
    if (ec2gw_pool_on_cleanup(w->r->pool, entry_unref_cb, e) != 0)
        e->refs--; /* cannot happen with a live pool; then the answer is only borrowed */
    a.shared = !w->leader;
    w->entry = NULL;
    w->deliver(w, &a);
}

static void
on_pending(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    while (pending_head != NULL) {
        ec2gw_share_waiter_t *w = pending_head;
        struct ec2gw_share_entry *e = w->entry;

        pending_head = w->next;
        if (pending_head == NULL)
            pending_tail = &pending_head;
        w->pending = 0;
        w->next = NULL;
        deliver(w, e);
        entry_unref(e); /* the pending reuse's reference */
    }
}

static int
reuse(ec2gw_req_t *r, ec2gw_share_waiter_t *w, struct ec2gw_share_entry *e)
{
    (void)r;
    if (pending_ev == NULL && (pending_ev = event_new(loop_base, -1, 0, on_pending, NULL)) == NULL)
        return EC2GW_E_NOMEM;
    w->entry = e;
    w->pending = 1;
    w->next = NULL;
    e->refs++;
    *pending_tail = w;
    pending_tail = &w->next;
    event_active(pending_ev, EV_TIMEOUT, 0);
    count(&st.hits, "ec2gw_shared_reads_total", "result=\"hit\"");
    return 1;
}

static struct ec2gw_share_entry *
entry_new(const char *key, uint64_t h, const char *service, const char *project, int raw)
{
    struct ec2gw_share_entry *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->key = strdup(key);
    e->service = strdup(service);
    e->project = project != NULL ? strdup(project) : NULL;
    if (e->key == NULL || e->service == NULL || (project != NULL && e->project == NULL)) {
        entry_free(e);
        return NULL;
    }
    e->hash = h;
    e->raw = raw;
    e->refs = 1; /* the table's */
    e->in_table = 1;
    e->started_ms = mono_ms();
    e->hnext = buckets[h % N_BUCKETS];
    buckets[h % N_BUCKETS] = e;
    e->older = newest;
    if (newest != NULL)
        newest->newer = e;
    else
        oldest = e;
    newest = e;
    st.entries++;
    return e;
}

int
ec2gw_os_share_join(ec2gw_req_t *r, ec2gw_share_waiter_t *w, ec2gw_share_deliver_fn deliver_fn,
                    const char *service, const char *url, const char *microversion, int raw,
                    int as_service)
{
    char *key = make_key(r, service, url, microversion, raw, as_service);
    int64_t now = mono_ms();
    struct ec2gw_share_entry *e;
    uint64_t h;

    memset(w, 0, sizeof(*w));
    if (key == NULL)
        return EC2GW_E_INVAL;
    w->r = r;
    w->deliver = deliver_fn;
    staleness_ms = r->gen->conf.describe_staleness_ms;
    loop_base = r->d->base;
    sweep(now);
    h = fnv(key);
    e = lookup(key, h);
    /* the bound holds for joins too: an answer begun longer ago may be older than allowed */
    if (e != NULL && now - e->started_ms > staleness_ms) {
        unlink_entry(e);
        e = NULL;
    }
    if (e != NULL && e->done && e->a.status >= 200 && e->a.status < 300)
        return reuse(r, w, e);
    if (e != NULL && !e->done) {
        w->entry = e;
        w->next = e->waiters;
        e->waiters = w;
        count(&st.joins, "ec2gw_shared_reads_total", "result=\"join\"");
        return 1;
    }
    if (e != NULL) /* an error answer: never reused */
        unlink_entry(e);
    e = entry_new(key, h, service, as_service ? NULL : r->identity.project_id, raw);
    if (e == NULL)
        return EC2GW_E_NOMEM;
    count(&st.misses, "ec2gw_shared_reads_total", "result=\"miss\"");
    w->entry = e;
    w->leader = 1;
    e->waiters = w;
    enforce_caps();
    arm_sweep(staleness_ms);
    return 0;
}

static void
keep_answer(struct ec2gw_share_entry *e, const ec2gw_http_result_t *hr)
{
    char *body = malloc(hr->body_len + 1);

    if (body != NULL) {
        memcpy(body, hr->body ? hr->body : "", hr->body_len);
        body[hr->body_len] = '\0';
    }
    e->a.status = body != NULL ? hr->status : 0;
    e->a.timed_out = hr->timed_out;
    e->a.error = hr->error ? strdup(hr->error) : body == NULL ? strdup("out of memory") : NULL;
    e->a.body = body != NULL ? body : strdup("");
    e->a.body_len = body != NULL ? hr->body_len : 0;
    e->a.request_id = hr->request_id ? strdup(hr->request_id) : NULL;
    e->a.location = hr->location ? strdup(hr->location) : NULL;
    if (!e->raw && e->a.body_len > 0) {
        /* kept across requests: on the heap, whatever arena is current */
        ec2gw_json_heap_push();
        e->a.json = json_loadb(e->a.body, e->a.body_len, 0, NULL);
        ec2gw_json_heap_pop();
    }
    e->bytes = e->a.body_len;
    e->done = 1;
}

static void
on_http_done(ec2gw_http_call_t *hc, void *arg)
{
    struct ec2gw_share_entry *e = arg;
    const ec2gw_http_result_t *hr = ec2gw_http_call_result(hc);

    ec2gw_metrics_backend(e->service, hr->status, hr->seconds);
    keep_answer(e, hr);
    ec2gw_http_call_free(hc);
    e->http = NULL;
    if (e->in_table)
        st.bytes += e->bytes;
    if (e->a.status < 200 || e->a.status >= 300)
        unlink_entry(e); /* in-flight waiters get it; later calls ask again */
    enforce_caps();
    /* one waiter at a time: a delivery may cancel another waiter (it leaves the list) */
    while (e->waiters != NULL) {
        ec2gw_share_waiter_t *w = e->waiters;

        e->waiters = w->next;
        w->next = NULL;
        deliver(w, e);
    }
    entry_unref(e); /* the call's reference */
}

int
ec2gw_os_share_start(ec2gw_share_waiter_t *w, ec2gw_http_call_t *hc)
{
    struct ec2gw_share_entry *e = w->entry;

    e->http = hc;
    e->refs++;
    if (ec2gw_http_call_start(hc, on_http_done, e) != 0) {
        e->http = NULL;
        ec2gw_http_call_free(hc);
        e->waiters = NULL;
        w->entry = NULL;
        unlink_entry(e);
        entry_unref(e);
        return EC2GW_E_FAIL;
    }
    return 0;
}

int
ec2gw_os_share_leave(ec2gw_share_waiter_t *w)
{
    struct ec2gw_share_entry *e = w->entry;

    if (e == NULL)
        return 0;
    w->entry = NULL;
    if (w->pending) {
        ec2gw_share_waiter_t **pp = &pending_head;

        for (; *pp != NULL && *pp != w; pp = &(*pp)->next)
            ;
        if (*pp == w)
            *pp = w->next;
        pending_tail = &pending_head;
        while (*pending_tail != NULL)
            pending_tail = &(*pending_tail)->next;
        w->pending = 0;
        entry_unref(e);
        return 0;
    }
    for (ec2gw_share_waiter_t **pp = &e->waiters; *pp != NULL; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (e->waiters != NULL)
        return 0;
    if (e->http == NULL) { /* its leader never started the call: nobody may join it */
        if (!e->done)
            unlink_entry(e);
        return 0;
    }
    /* nobody wants it any more: stop the transfer */
    ec2gw_http_call_cancel(e->http);
    e->http = NULL;
    count(&st.cancelled, "ec2gw_backend_calls_cancelled_total", NULL);
    unlink_entry(e);
    entry_unref(e); /* the call's reference */
    return 1;
}

void
ec2gw_os_share_note_cancel(void)
{
    count(&st.cancelled, "ec2gw_backend_calls_cancelled_total", NULL);
}

void
ec2gw_os_share_invalidate(const char *project_id, const char *service)
{
    struct ec2gw_share_entry *e = oldest, *next;

    for (; e != NULL; e = next) {
        next = e->newer;
        /* every project's: a write can change what others see (an image shared, unshared) */
        (void)project_id;
        if (service != NULL && strcmp(e->service, service) != 0)
            continue;
        count(&st.invalidated, "ec2gw_shared_read_invalidations_total", NULL);
        unlink_entry(e);
    }
}

void
ec2gw_os_share_clear(void)
{
    while (oldest != NULL)
        unlink_entry(oldest);
    if (pending_ev != NULL)
        event_free(pending_ev);
    if (sweep_ev != NULL)
        event_free(sweep_ev);
    pending_ev = sweep_ev = NULL;
    loop_base = NULL;
    memset(&st, 0, sizeof(st));
}

void
ec2gw_os_share_stats(ec2gw_share_stats_t *out)
{
    *out = st;
}

void
ec2gw_os_share_render(struct evbuffer *out, int64_t staleness)
{
    evbuffer_add_printf(out,
                        "# HELP ec2gw_shared_read_entries Shared OpenStack answers kept or in "
                        "flight (this process).\n"
                        "# TYPE ec2gw_shared_read_entries gauge\nec2gw_shared_read_entries %ld\n"
                        "# HELP ec2gw_shared_read_bytes Body bytes of the shared answers kept "
                        "(this process).\n"
                        "# TYPE ec2gw_shared_read_bytes gauge\nec2gw_shared_read_bytes %llu\n"
                        "# HELP ec2gw_describe_max_staleness_seconds How old a shared answer may "
                        "be (describe_max_staleness; 0: sharing off).\n"
                        "# TYPE ec2gw_describe_max_staleness_seconds gauge\n"
                        "ec2gw_describe_max_staleness_seconds %.3f\n",
                        st.entries, st.bytes, (double)staleness / 1000.0);
}

/* -- host API 1.4 ------------------------------------------------------------------------ */

void ec2gw_host_os_invalidate(ec2gw_req_t *r, const char *service_type);
int64_t ec2gw_host_describe_staleness_ms(ec2gw_req_t *r);

void
ec2gw_host_os_invalidate(ec2gw_req_t *r, const char *service_type)
{
    ec2gw_os_share_invalidate(r->identity.project_id, service_type);
}

int64_t
ec2gw_host_describe_staleness_ms(ec2gw_req_t *r)
{
    return r->gen->conf.describe_staleness_ms;
}
