/*
 * volume_sync.c - DescribeVolumes' Cinder volumes per project, kept across requests (issue 15,
 * as nova-v2.1's instances_sync.c keeps servers).
 *
 * A read whose list was refreshed less than the daemon's describe_max_staleness ago gets it
 * without listing, once a probe agrees: the probe is a shared read (EC2GW_CALL_SHARED) of
 * GET /volumes/summary, compared with the summary the entry's refresh got. Within the bound
 * the host answers it from memory (no call) unless a write dropped it: the host drops shared
 * Cinder answers after any write to Cinder and on os_invalidate(), which other plugins call
 * for volumes OpenStack changes for them (nova-v2.1's RunInstances and TerminateInstances);
 * then Cinder is asked, and a count or size that moved makes the read refresh. (Identity of
 * the answer object cannot be kept: a hooked call's answer is not shared and lives in the
 * request.) Writes through this plugin mark the project (as nova's do), so a read while one
 * is in flight, or the first after it ended, refreshes whatever the summary says.
 *
 * One request of the project refreshes (the leader) while the others wait on short request
 * timers. A refresh asks Cinder only what changed (microversion 3.60):
 *   GET /volumes/detail?updated_at=gte:<newest updated_at seen - sync_overlap>
 *   GET /volumes/summary                        (shared; total_count, total_size)
 * Cinder lists no deleted volume, so a delta is trusted only when the merged volumes add up
 * to the summary's count and GiB; otherwise, and when the entry is new or holds no volume,
 * every full_sync_interval, after a CreateVolume or DeleteVolume through the plugin, for an
 * id the cache lacks, on an error, a next page (the delta is longer than Cinder's page) or a
 * volume older than asked for (Cinder ignored the filter), everything is listed
 * (GET /volumes/detail and its pages). `since` is Cinder's own clock (its newest updated_at),
 * so skew between Cinder and the gateway cannot skip a change; the overlap covers Cinder
 * services whose clocks differ a little and transactions committed late. A Cinder older than
 * 3.60 refusing the filter gets full lists only (logged once). The refresh's summary is a
 * shared read too: one begun up to the bound earlier may be reused (a refresh right at the
 * bound), so a deletion just before it can wait one more bound; a change that moves neither
 * updated_at nor the count and size waits for the next full list.
 *
 * A wrapper's os_hooks on these calls make them unshared: each read within the bound then
 * costs one summary call (still no list).
 *
 * Keys are projects: Cinder lists a project's volumes alike to each member (the shared reads
 * share them by project and roles already). Cached JSON is made between json_heap_begin/end,
 * answers copied in with json_deep_copy; a cached volume is replaced, never changed, so a
 * request holding one keeps a consistent object.
 */
#include "volume_sync.h"

#include <string.h>

struct cinder_sync_req {
    const struct cinder_inst *ci;
    struct cinder_sync_entry *e;
    cinder_sync_done_fn done;
    void *arg;
    int force;           /* an id the cache lacks: a full list begun after the request */
    int64_t after;       /* >= 0: needs a refresh begun at or after this time (force, probe) */
    int full;            /* the refresh in flight is a full list */
    int redone;          /* the delta was replaced by a full list once */
    int leading;         /* e->slot.owner is this request */
    int waiting;         /* counted in e->slot.waiters, waiting for a refresh */
    int probing;         /* counted in e->slot.waiters, probing */
    int cleanup;         /* the pool cleanup is registered */
    unsigned gen0;       /* e->gen when the wait began */
    uint64_t seq0;       /* sequence when the refresh began */
    int64_t t0;          /* now_ms() when the refresh began */
    int64_t since;       /* the delta's `since` (epoch s) */
    json_t *acc;         /* a full list's pages (pool) */
    const json_t *token; /* the refresh's "volume-summary" (its answer kept in the pool) */
    int pages;
    ec2gw_req_t *req;
};

static int cinder_sync_step(ec2gw_req_t *req, struct cinder_sync_req *sr);
static int cinder_sync_refresh(ec2gw_req_t *req, struct cinder_sync_req *sr);

static void
cinder_heap_begin(ec2gw_req_t *req)
{
    ec2gw->json_heap_begin(req);
}

static void
cinder_heap_end(ec2gw_req_t *req)
{
    ec2gw->json_heap_end(req);
}

int64_t
cinder_sync_staleness(ec2gw_req_t *req, const struct cinder_inst *ci)
{
    if (ci->sync == NULL || !EC2GW_HOST_HAS(ec2gw, describe_staleness_ms) ||
        !EC2GW_HOST_HAS(ec2gw, json_heap_end) || !EC2GW_HOST_HAS(ec2gw, now_ms))
        return 0;
    return ec2gw->describe_staleness_ms(req);
}

/* The request's pool is going: leave the wait and the refresh (nothing else of it is used). */
static void
cinder_sync_cleanup(void *arg)
{
    struct cinder_sync_req *sr = arg;

    if (sr->waiting || sr->probing)
        sr->e->slot.waiters--;
    if (sr->leading && sr->e->slot.owner == sr->req)
        sr->e->slot.owner = NULL; /* a waiter leads the next refresh */
    sr->waiting = sr->probing = sr->leading = 0;
}

static void
cinder_sync_answer(ec2gw_req_t *req, struct cinder_sync_req *sr)
{
    sr->e->slot.t_used = ec2gw->now_ms(req);
    sr->done(req, sr->e->vols, NULL, sr->arg);
}

/* May @p sr use the entry? 0 no, 1 young enough (probe first), 2 refreshed for it. */
static int
cinder_sync_usable(ec2gw_req_t *req, const struct cinder_sync_req *sr)
{
    const struct cinder_sync_entry *e = sr->e;

    if (!e->slot.valid || ec2gw_pc_dirty(&sr->ci->sync->marks, e->slot.project, e->seq_sync))
        return 0;
    if (sr->after >= 0)
        return e->t_sync >= sr->after && e->gen != sr->gen0 ? 2 : 0;
    if (sr->waiting && e->gen != sr->gen0)
        return 2; /* the refresh it joined (begun before it asked) just ended */
    return ec2gw->now_ms(req) - e->t_sync < cinder_sync_staleness(req, sr->ci) ? 1 : 0;
}

static void
cinder_sync_leave(struct cinder_sync_req *sr)
{
    if (sr->waiting || sr->probing)
        sr->e->slot.waiters--;
    sr->waiting = sr->probing = 0;
}

static void
cinder_sync_tick(ec2gw_req_t *req, void *arg)
{
    struct cinder_sync_req *sr = arg;
    struct cinder_sync_entry *e = sr->e;
    int ended = e->gen != sr->gen0;

    if (cinder_sync_usable(req, sr) == 2) {
        cinder_sync_leave(sr);
        cinder_sync_answer(req, sr);
        return;
    }
    if (e->slot.owner == NULL || ended) {
        cinder_sync_leave(sr);
        if (ended && e->failed) {
            /* Cinder failed the leader: this request lists for itself, as without a cache */
            sr->done(req, NULL, NULL, sr->arg);
            return;
        }
        if (cinder_sync_step(req, sr) < 0)
            sr->done(req, NULL, NULL, sr->arg);
        return;
    }
    if (ec2gw->after(req, CINDER_SYNC_POLL_MS, cinder_sync_tick, sr) < 0) {
        cinder_sync_leave(sr);
        sr->done(req, NULL, NULL, sr->arg);
    }
}

/* The refresh ended without a usable answer: let others try, and tell the caller. */
static void
cinder_sync_failed(ec2gw_req_t *req, struct cinder_sync_req *sr, const ec2gw_os_resp_t *r)
{
    sr->e->slot.owner = NULL;
    sr->e->failed = 1;
    sr->e->gen++;
    sr->leading = 0;
    sr->done(req, NULL, r, sr->arg);
}

static void
cinder_sync_store(ec2gw_req_t *req, struct cinder_sync_req *sr, const json_t *list)
{
    struct cinder_sync *s = sr->ci->sync;
    struct cinder_sync_entry *e = sr->e;

    cinder_heap_begin(req);
    if (sr->full)
        cinder_sync_merge_full(e, list);
    else
        cinder_sync_merge_delta(e, list);
    cinder_sync_set_token(e, sr->token);
    cinder_heap_end(req);
    if (sr->full) {
        e->seq_full = sr->seq0;
        e->t_full = sr->t0;
        s->full++;
    } else {
        s->delta++;
    }
    e->slot.valid = 1;
    e->failed = 0;
    e->seq_sync = sr->seq0;
    e->t_sync = sr->t0;
    e->slot.owner = NULL;
    e->gen++;
    sr->leading = 0;
    /* no plugin metrics in the host ABI: the counts go to the debug log */
    ec2gw->log(req, EC2GW_LOG_DEBUG,
               "volumes of the project: %s refresh, %zu volumes (refreshes: %llu full, %llu "
               "incremental, %llu deltas not trusted)",
               sr->full ? "full" : "incremental", json_object_size(e->vols),
               (unsigned long long)s->full, (unsigned long long)s->delta,
               (unsigned long long)s->untrusted);
    cinder_sync_answer(req, sr);
}

/* Replace the delta by a full list (once). */
static void
cinder_sync_redo(ec2gw_req_t *req, struct cinder_sync_req *sr, const char *why)
{
    ec2gw->log(req, EC2GW_LOG_INFO, "volume delta not trusted (%s): full list", why);
    sr->ci->sync->untrusted++;
    sr->redone = 1;
    if (cinder_sync_refresh(req, sr) < 0)
        cinder_sync_failed(req, sr, NULL);
}

static int
cinder_has_next(const json_t *answer)
{
    const json_t *l;
    size_t i;

    json_array_foreach(json_object_get(answer, "volumes_links"), i, l)
    {
        if (cinder_str(l, "rel") != NULL && strcmp(cinder_str(l, "rel"), "next") == 0)
            return 1;
    }
    return 0;
}

/* Why delta @p list cannot be merged, or NULL. */
static const char *
cinder_sync_distrust(const struct cinder_sync_req *sr, const json_t *answer, const json_t *list)
{
    const json_t *v;
    size_t i;

    if (!json_is_array(list))
        return "no volume list";
    if (cinder_has_next(answer))
        return "a next page";
    json_array_foreach(list, i, v)
    {
        if (ec2gw_pc_time(cinder_str(v, "updated_at")) < sr->since)
            return "a volume updated before the filter";
    }
    if (!cinder_sync_matches(sr->e, list, sr->token))
        return "the volumes do not add up to Cinder's summary";
    return NULL;
}

static void
cinder_sync_page(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_sync_req *sr = arg;
    json_t *list = json_object_get(r->json, "volumes");
    const char *last;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r) || !json_is_array(list)) {
        cinder_sync_failed(req, sr, r);
        return;
    }
    json_array_extend(sr->acc, list);
    last = cinder_str(json_array_get(list, json_array_size(list) - 1), "id");
    if (cinder_has_next(r->json) && last != NULL && sr->pages < CINDER_MAX_PAGES) {
        /* not shared: a page kept from an earlier list would mix two moments */
        call = EC2GW_OS_GET("volumev3", ec2gw->psprintf(req, "/volumes/detail?marker=%s",
                                                        ec2gw->url_escape(req, last)));
        sr->pages++;
        if (ec2gw->os_call(req, &call, cinder_sync_page, sr) < 0)
            cinder_sync_failed(req, sr, NULL);
        return;
    }
    cinder_sync_store(req, sr, sr->acc);
}

static void
cinder_sync_got(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_sync_req *sr = arg;
    const json_t *list = ec2gw_os_ok(r[0]) ? json_object_get(r[0]->json, "volumes") : NULL;
    const char *why;

    (void)n;
    /* the summary is the entry's token (a copy: the host's answer may live in the request) */
    sr->token = ec2gw_os_ok(r[1])
                    ? json_object_get(cinder_own(req, json_incref(r[1]->json)), "volume-summary")
                    : NULL;
    if (sr->full) {
        sr->acc = cinder_own(req, json_array());
        cinder_sync_page(req, r[0], sr);
        return;
    }
    if (!ec2gw_os_ok(r[0]) && (r[0]->status == 400 || r[0]->status == 404 || r[0]->status == 406)) {
        ec2gw->log(req, EC2GW_LOG_WARN,
                   "Cinder refused the volume list filtered by updated_at (%ld, microversion "
                   "%s needed): full lists only",
                   r[0]->status, CINDER_DELTA_MV);
        sr->ci->sync->no_delta = 1;
        why = "refused";
    } else if (!ec2gw_os_ok(r[0])) {
        why = "the delta failed";
    } else if (sr->token == NULL) {
        why = "no summary";
    } else {
        why = cinder_sync_distrust(sr, r[0]->json, list);
    }
    if (why != NULL) {
        cinder_sync_redo(req, sr, why);
        return;
    }
    cinder_sync_store(req, sr, list);
}

/* Send the refresh: a full list or the delta, with the summary. */
static int
cinder_sync_refresh(ec2gw_req_t *req, struct cinder_sync_req *sr)
{
    const struct cinder_inst *ci = sr->ci;
    struct cinder_sync_entry *e = sr->e;
    ec2gw_os_call_t calls[2];

    sr->t0 = ec2gw->now_ms(req);
    sr->seq0 = ++ci->sync->marks.seq;
    sr->pages = 0;
    sr->full = sr->redone || sr->force || ci->sync->no_delta || !e->slot.valid || e->marker == 0 ||
               sr->t0 - e->t_full >= ci->full_sync_interval_ms ||
               ec2gw_pc_need_full(&ci->sync->marks, e->slot.project, e->seq_full);
    if (sr->full) {
        calls[0] = EC2GW_OS_GET("volumev3", "/volumes/detail");
    } else {
        char since[32];

        sr->since = e->marker - ci->sync_overlap_ms / 1000;
        ec2gw_pc_iso(sr->since, 0 /* as updated_at */, since);
        calls[0] = EC2GW_OS_CALL(
            "volumev3", "GET",
            ec2gw->psprintf(req, "/volumes/detail?updated_at=%s",
                            ec2gw->url_escape(req, ec2gw->psprintf(req, "gte:%s", since))),
            .microversion = CINDER_DELTA_MV);
    }
    /* shared: the host drops it on writes to Cinder, so the answer object is a generation */
    calls[1] = EC2GW_OS_CALL("volumev3", "GET", "/volumes/summary",
                             .microversion = CINDER_SUMMARY_MV, .flags = EC2GW_CALL_SHARED);
    return ec2gw->os_fanout(req, calls, 2, cinder_sync_got, sr);
}

/* Lead a refresh, or wait for the one in flight. */
static int
cinder_sync_lead_or_wait(ec2gw_req_t *req, struct cinder_sync_req *sr)
{
    sr->gen0 = sr->e->gen;
    if (sr->e->slot.owner != NULL)
        return ec2gw_pc_slot_wait(ec2gw, req, &sr->e->slot, &sr->waiting, CINDER_SYNC_POLL_MS,
                                  cinder_sync_tick, sr);
    return ec2gw_pc_slot_lead(req, &sr->e->slot, &sr->leading, cinder_sync_refresh(req, sr));
}

/* The probe answered: the summary the entry was refreshed with means no change since. */
static void
cinder_sync_probed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_sync_req *sr = arg;
    int64_t sent = sr->after;

    cinder_sync_leave(sr);
    sr->after = -1;
    if (ec2gw_os_ok(r) && sr->e->token != NULL &&
        json_equal(json_object_get(r->json, "volume-summary"), sr->e->token) &&
        cinder_sync_usable(req, sr) != 0) {
        cinder_sync_answer(req, sr);
        return;
    }
    sr->after = sent; /* a refresh begun after the probe was sent */
    if (cinder_sync_lead_or_wait(req, sr) < 0)
        sr->done(req, NULL, NULL, sr->arg);
}

static int
cinder_sync_probe(ec2gw_req_t *req, struct cinder_sync_req *sr)
{
    ec2gw_os_call_t call =
        EC2GW_OS_CALL("volumev3", "GET", "/volumes/summary", .microversion = CINDER_SUMMARY_MV,
                      .flags = EC2GW_CALL_SHARED);
    int rc;

    sr->after = ec2gw->now_ms(req); /* kept while probing (usable() is not asked meanwhile) */
    rc = ec2gw->os_call(req, &call, cinder_sync_probed, sr);
    if (rc == EC2GW_AGAIN) {
        sr->probing = 1;
        sr->e->slot.waiters++; /* keeps the entry from the sweep */
    }
    return rc;
}

/* Use the entry (after a probe), wait for the refresh in flight, or lead one. */
static int
cinder_sync_step(ec2gw_req_t *req, struct cinder_sync_req *sr)
{
    struct cinder_sync *s = sr->ci->sync;
    const char *project = ec2gw->identity(req)->project_id;
    int use;

    cinder_heap_begin(req); /* a new entry's map, and the ones a sweep drops */
    sr->e = cinder_sync_entry_get(s, project ? project : "", ec2gw->now_ms(req),
                                  (size_t)sr->ci->sync_max_projects);
    cinder_heap_end(req);
    if (sr->e == NULL)
        return EC2GW_E_NOMEM;
    if (!sr->cleanup) {
        if (ec2gw->on_cleanup(req, cinder_sync_cleanup, sr) != 0)
            return EC2GW_E_NOMEM;
        sr->cleanup = 1;
    }
    sr->gen0 = sr->e->gen;
    use = cinder_sync_usable(req, sr);
    if (use == 2) {
        cinder_sync_answer(req, sr);
        return EC2GW_OK;
    }
    if (use == 1)
        return cinder_sync_probe(req, sr);
    return cinder_sync_lead_or_wait(req, sr);
}

int
cinder_sync_volumes(ec2gw_req_t *req, const struct cinder_inst *ci, int force,
                    cinder_sync_done_fn done, void *arg)
{
    struct cinder_sync_req *sr;

    if (cinder_sync_staleness(req, ci) <= 0)
        return EC2GW_E_STATE;
    sr = ec2gw->pcalloc(req, sizeof(*sr));
    if (sr == NULL)
        return EC2GW_E_NOMEM;
    sr->ci = ci;
    sr->done = done;
    sr->arg = arg;
    sr->force = force;
    sr->after = force ? ec2gw->now_ms(req) : -1;
    sr->req = req;
    return cinder_sync_step(req, sr);
}

void
cinder_sync_write(ec2gw_req_t *req, const struct cinder_inst *ci, int full)
{
    const char *project = ec2gw->identity(req)->project_id;

    if (ci->sync != NULL)
        ec2gw_pc_write(ec2gw, req, &ci->sync->marks, project ? project : "", full);
}
