/*
 * instances_sync.c - DescribeInstances' servers per project, kept across requests (issue 15).
 *
 * A read whose list was refreshed less than the staleness bound ago (describe_staleness, else
 * the daemon's describe_max_staleness) gets it without calling Nova. Otherwise one request of
 * the key refreshes it (the leader) while the others wait on short request timers: a waiter
 * whose client leaves stops with its request, and a leader that leaves lets the next waiter
 * lead. A refresh asks Nova only what changed:
 *   GET /servers/detail?changes-since=<newest `updated` seen - overlap>
 * (deleted servers come back DELETED and move to the deleted list), and lists everything (the
 * live list and the deleted window, as the uncached path does) when the entry is new, every
 * full_sync_interval, after a RunInstances through the plugin (a server still being scheduled
 * may not be in changes-since yet), and whenever the incremental answer cannot be trusted: a
 * failure, a next page (Nova's limit reached), no marker yet (no server ever seen), or a
 * server older than the marker asked for (Nova ignored the filter).
 *
 * The marker is Nova's own clock (the newest `updated` it showed), not the gateway's, so clock
 * skew between the two cannot skip a change; the overlap covers Nova services whose clocks
 * differ a little and transactions committed after a later one. Writes made through the plugin
 * mark their project: a read while one is in flight, or the first after it ended, refreshes.
 *
 * Keys: "s <project>" for service-scoped lists (the project is in the query), "u <project>
 * <user>" for lists made with the caller's token, so no answer depends on another tenant's.
 * Cached JSON is made between json_heap_begin/end, answers copied in with json_deep_copy.
 *
 * A wrapper's os_hooks on these server lists see the refreshes only, not every read: a site
 * whose hooks change the lists per caller runs this instance with describe_staleness: 0.
 */
#include <string.h>

#include "sync.h"

struct nova_sync_req {
    struct nova_inst *ni;
    struct nova_sync_entry *e;
    nova_sync_done_fn done;
    void *arg;
    int force;     /* needs a refresh begun after the request */
    int as_user;   /* the entry is a caller-token one */
    int full;      /* the refresh in flight is a full list */
    int redone;    /* the incremental was replaced by a full list once */
    int leading;   /* e->slot.owner is this request */
    int waiting;   /* counted in e->slot.waiters */
    int cleanup;   /* the pool cleanup is registered */
    unsigned gen0; /* e->gen when the wait began */
    uint64_t seq0; /* sequence when the refresh began */
    int64_t t0;    /* now_ms() when the refresh began */
    int64_t t_req; /* now_ms() when the request asked */
    ec2gw_req_t *req;
};

static int nova_sync_step(ec2gw_req_t *req, struct nova_sync_req *sr);

void
nova_heap_begin(ec2gw_req_t *req)
{
    if (EC2GW_HOST_HAS(ec2gw, json_heap_begin))
        ec2gw->json_heap_begin(req);
}

void
nova_heap_end(ec2gw_req_t *req)
{
    if (EC2GW_HOST_HAS(ec2gw, json_heap_end))
        ec2gw->json_heap_end(req);
}

struct nova_memo *
nova_sync_memo(ec2gw_req_t *req, struct nova_inst *ni, const json_t *live_map)
{
    struct nova_sync_entry *e;

    for (e = ni->sync != NULL ? (struct nova_sync_entry *)ni->sync->entries.head : NULL; e != NULL;
         e = (struct nova_sync_entry *)e->slot.next) {
        if (e->live != live_map)
            continue;
        if (e->memo == NULL) {
            nova_heap_begin(req);
            e->memo = nova_memo_new();
            nova_heap_end(req);
        }
        return e->memo;
    }
    return NULL;
}

int64_t
nova_sync_staleness(ec2gw_req_t *req, const struct nova_inst *ni)
{
    if (ni->sync == NULL)
        return 0;
    if (ni->sync->override_ms >= 0)
        return ni->sync->override_ms;
    if (EC2GW_HOST_HAS(ec2gw, describe_staleness_ms))
        return ec2gw->describe_staleness_ms(req);
    return NOVA_SYNC_DEFAULT_MS;
}

/* The request's pool is going: leave the wait and the refresh (nothing else of it is used). */
static void
nova_sync_cleanup(void *arg)
{
    struct nova_sync_req *sr = arg;

    if (sr->waiting)
        sr->e->slot.waiters--;
    if (sr->leading && sr->e->slot.owner == sr->req)
        sr->e->slot.owner = NULL; /* a waiter leads the next refresh */
    sr->waiting = sr->leading = 0;
}

static int
nova_sync_hook(ec2gw_req_t *req, struct nova_sync_req *sr)
{
    if (sr->cleanup)
        return 0;
    if (ec2gw->on_cleanup(req, nova_sync_cleanup, sr) != 0)
        return EC2GW_E_NOMEM;
    sr->cleanup = 1;
    return 0;
}

static void
nova_sync_answer(ec2gw_req_t *req, struct nova_sync_req *sr)
{
    sr->e->slot.t_used = ec2gw->now_ms(req);
    sr->done(req, sr->e->live, sr->e->gone, sr->as_user, NULL, sr->arg);
}

/* May @p sr use the entry as it is? */
static int
nova_sync_usable(ec2gw_req_t *req, const struct nova_sync_req *sr)
{
    const struct nova_sync *s = sr->ni->sync;
    const struct nova_sync_entry *e = sr->e;

    if (!e->slot.valid || ec2gw_pc_dirty(&s->marks, e->slot.project, e->seq_sync))
        return 0;
    if (sr->force)
        return e->t_sync >= sr->t_req && e->gen != sr->gen0;
    /* Younger than the bound, or the refresh it joined (begun before it asked) just ended. */
    return ec2gw->now_ms(req) - e->t_sync < nova_sync_staleness(req, sr->ni) ||
           (sr->waiting && e->gen != sr->gen0);
}

static void
nova_sync_tick(ec2gw_req_t *req, void *arg)
{
    struct nova_sync_req *sr = arg;
    struct nova_sync_entry *e = sr->e;
    int ended = e->gen != sr->gen0;

    if (nova_sync_usable(req, sr)) {
        sr->waiting = 0;
        e->slot.waiters--;
        nova_sync_answer(req, sr);
        return;
    }
    if (e->slot.owner == NULL || ended) {
        sr->waiting = 0;
        e->slot.waiters--;
        if (ended && e->failed) {
            /* Nova failed the leader: this request asks for itself, as without a cache. */
            sr->done(req, NULL, NULL, sr->as_user, NULL, sr->arg);
            return;
        }
        if (nova_sync_step(req, sr) < 0)
            sr->done(req, NULL, NULL, sr->as_user, NULL, sr->arg);
        return;
    }
    if (ec2gw->after(req, NOVA_SYNC_POLL_MS, nova_sync_tick, sr) < 0) {
        sr->waiting = 0;
        e->slot.waiters--;
        sr->done(req, NULL, NULL, sr->as_user, NULL, sr->arg);
    }
}

static int nova_sync_refresh(ec2gw_req_t *req, struct nova_sync_req *sr);

/* The refresh ended without a usable answer: let others try, and tell the caller. */
static void
nova_sync_failed(ec2gw_req_t *req, struct nova_sync_req *sr, const ec2gw_os_resp_t *r)
{
    sr->e->slot.owner = NULL;
    sr->e->failed = 1;
    sr->e->gen++;
    sr->leading = 0;
    sr->done(req, NULL, NULL, sr->as_user, r, sr->arg);
}

/* Can the changes-since answer @p r be merged? */
static int
nova_sync_trusted(ec2gw_req_t *req, const struct nova_sync_req *sr, const json_t *list,
                  const json_t *answer)
{
    const json_t *s, *l;
    size_t i;

    json_array_foreach(json_object_get(answer, "servers_links"), i, l)
    {
        if (strcmp(nova_or(nova_str(l, "rel")), "next") == 0) {
            ec2gw->log(req, EC2GW_LOG_INFO, "changes-since answer has a next page: full list");
            return 0;
        }
    }
    json_array_foreach(list, i, s)
    {
        if (ec2gw_pc_time(nova_str(s, "updated")) <
            sr->e->marker - sr->ni->sync_overlap_ms / 1000 - 1) {
            ec2gw->log(req, EC2GW_LOG_WARN,
                       "Nova answered changes-since with a server updated before it: full list");
            return 0;
        }
    }
    return 1;
}

static void
nova_sync_got(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_sync_req *sr = arg;
    struct nova_sync_entry *e = sr->e;
    const json_t *list = ec2gw_os_ok(r[0]) ? json_object_get(r[0]->json, "servers") : NULL;
    int i_fail = nova_first_failure(r, n);

    if (i_fail >= 0 && r[i_fail]->status == 403 && !sr->as_user) {
        ec2gw->log(req, EC2GW_LOG_WARN,
                   "Nova refused the service-scoped server list (403): listing as the caller; "
                   "set describe_as_service: false to skip this attempt");
        sr->ni->sync->svc_refused = 1;
        e->slot.owner = NULL;
        e->gen++;
        e->failed = 1; /* its waiters list for themselves */
        sr->leading = 0;
        if (nova_sync_step(req, sr) < 0)
            sr->done(req, NULL, NULL, 1, NULL, sr->arg);
        return;
    }
    if (!sr->full &&
        (i_fail >= 0 || list == NULL || !nova_sync_trusted(req, sr, list, r[0]->json))) {
        sr->redone = 1; /* the full list never comes back here */
        if (nova_sync_refresh(req, sr) < 0)
            nova_sync_failed(req, sr, NULL);
        return;
    }
    if (i_fail >= 0) {
        nova_sync_failed(req, sr, r[i_fail]);
        return;
    }
    nova_heap_begin(req);
    if (sr->full) {
        nova_sync_merge_full(e, list, n > 1 ? json_object_get(r[1]->json, "servers") : NULL);
        e->seq_full = sr->seq0;
        e->t_full = sr->t0;
    } else {
        nova_sync_merge_changes(e, list);
    }
    if (sr->ni->terminated_visible_ms > 0)
        nova_sync_prune_gone(e, ec2gw->now_ms(req) / 1000 - sr->ni->terminated_visible_ms / 1000);
    else
        json_object_clear(e->gone);
    nova_heap_end(req);
    e->slot.valid = 1;
    e->failed = 0;
    e->seq_sync = sr->seq0;
    e->t_sync = sr->t0;
    e->slot.owner = NULL;
    e->gen++;
    sr->leading = 0;
    nova_sync_answer(req, sr);
}

/* Send the refresh: a full list, or what changed since the marker. */
static int
nova_sync_refresh(ec2gw_req_t *req, struct nova_sync_req *sr)
{
    const struct nova_inst *ni = sr->ni;
    struct nova_sync_entry *e = sr->e;
    const char *scope = "";
    ec2gw_os_call_t calls[2];
    uint32_t flags = 0;
    size_t n = 0;

    if (!sr->as_user) {
        scope = ec2gw->psprintf(req, "all_tenants=1&project_id=%s",
                                ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
        flags = EC2GW_CALL_AS_SERVICE;
    }
    sr->t0 = ec2gw->now_ms(req);
    sr->seq0 = ++ni->sync->marks.seq;
    /* force: an id the cache lacks may be a server still being scheduled (made through
     * another ec2gwd process or worker), which only a full list shows */
    sr->full = sr->redone || sr->force || !e->slot.valid || e->marker == 0 ||
               sr->t0 - e->t_full >= ni->full_sync_interval_ms ||
               ec2gw_pc_need_full(&ni->sync->marks, e->slot.project, e->seq_full);
    if (sr->full) {
        calls[n++] =
            EC2GW_OS_CALL("compute", "GET",
                          ec2gw->psprintf(req, "/servers/detail%s%s", scope[0] ? "?" : "", scope),
                          .flags = flags);
        if (ni->terminated_visible_ms > 0) {
            const char *since = nova_now_iso(req, -(ni->terminated_visible_ms / 1000));

            calls[n++] =
                EC2GW_OS_CALL("compute", "GET",
                              ec2gw->psprintf(req, "/servers/detail?changes-since=%s%s%s%s",
                                              ec2gw->url_escape(req, since), scope[0] ? "&" : "",
                                              scope, scope[0] ? "&deleted=true" : ""),
                              .flags = flags);
        }
    } else {
        char since[32];

        ec2gw_pc_iso(e->marker - ni->sync_overlap_ms / 1000, 1 /* "...Z" */, since);
        calls[n++] = EC2GW_OS_CALL("compute", "GET",
                                   ec2gw->psprintf(req, "/servers/detail?changes-since=%s%s%s",
                                                   ec2gw->url_escape(req, since),
                                                   scope[0] ? "&" : "", scope),
                                   .flags = flags);
    }
    return ec2gw->os_fanout(req, calls, n, nova_sync_got, sr);
}

/* Use the entry, wait for the refresh in flight, or lead one. */
static int
nova_sync_step(ec2gw_req_t *req, struct nova_sync_req *sr)
{
    struct nova_sync *s = sr->ni->sync;
    const ec2gw_identity_t *id = ec2gw->identity(req);
    int64_t now = ec2gw->now_ms(req);
    const char *key;

    sr->as_user = !sr->ni->describe_as_service || s->svc_refused;
    key = sr->as_user
              ? ec2gw->psprintf(req, "u %s %s", nova_or(id->project_id), nova_or(id->user_id))
              : ec2gw->psprintf(req, "s %s", nova_or(id->project_id));
    nova_heap_begin(req); /* a new entry's maps, and the ones a sweep drops */
    sr->e = nova_sync_entry_get(s, key, nova_or(id->project_id), now,
                                (size_t)sr->ni->sync_max_projects);
    nova_heap_end(req);
    if (sr->e == NULL || nova_sync_hook(req, sr) != 0)
        return EC2GW_E_NOMEM;
    sr->gen0 = sr->e->gen;
    if (nova_sync_usable(req, sr)) {
        nova_sync_answer(req, sr);
        return EC2GW_OK;
    }
    if (sr->e->slot.owner != NULL)
        return ec2gw_pc_slot_wait(ec2gw, req, &sr->e->slot, &sr->waiting, NOVA_SYNC_POLL_MS,
                                  nova_sync_tick, sr);
    return ec2gw_pc_slot_lead(req, &sr->e->slot, &sr->leading, nova_sync_refresh(req, sr));
}

int
nova_sync_servers(ec2gw_req_t *req, struct nova_inst *ni, int force, nova_sync_done_fn done,
                  void *arg)
{
    struct nova_sync_req *sr;

    if (ni->sync == NULL || nova_sync_staleness(req, ni) <= 0 || !EC2GW_HOST_HAS(ec2gw, now_ms))
        return EC2GW_E_STATE;
    sr = ec2gw->pcalloc(req, sizeof(*sr));
    if (sr == NULL)
        return EC2GW_E_NOMEM;
    sr->ni = ni;
    sr->done = done;
    sr->arg = arg;
    sr->force = force;
    sr->req = req;
    sr->t_req = ec2gw->now_ms(req);
    return nova_sync_step(req, sr);
}

void
nova_sync_write(ec2gw_req_t *req, struct nova_inst *ni, int full)
{
    if (ni->sync != NULL)
        ec2gw_pc_write(ec2gw, req, &ni->sync->marks, nova_or(ec2gw->identity(req)->project_id),
                       full);
}
