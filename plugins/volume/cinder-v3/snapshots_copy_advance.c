/*
 * snapshots_copy_advance.c - DescribeSnapshots moves each CopySnapshot on (clients wait with
 * the snapshot_completed waiter, which polls it): once the hidden volume H is available, the
 * snapshot S of H is made and snap-X is mapped to it. Several requests (or daemons) may make an
 * S of one H at once: the S the row maps to wins, else the oldest; every other S of that copy is
 * deleted, so one copy shows and nothing leaks. Rows marked deleting (a DeleteSnapshot that ran
 * out of time) are cleaned up here too: S first, then H, then the row.
 *
 * Stages: [GET each H whose state matters] → [POST S / DELETE extras, S, H] → [DELETE an S that
 * lost the race to another request's] → the copies' models.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cinder.h"

struct copy_one {
    const char *id;    /* snap-X */
    json_t *data;      /* its row (os_id: S, once known) */
    const char *h;     /* H uuid, NULL while CopySnapshot is still answering */
    const json_t *s;   /* the S shown, or NULL */
    const char *state; /* pending, completed, error; NULL: not shown */
    const char *progress, *message;
    int need_h; /* GET H */
    int orphan; /* no H recorded long after CopySnapshot: find H by its metadata */
};

enum { OP_GET_H, OP_DEL_S, OP_DEL_H, OP_POST_S };

/*
 * A row without H this long after its start lost its CopySnapshot (ec2gwd killed between
 * POST /volumes and recording H): longer than any request may run (limits.request_timeout).
 */
#define COPY_ORPHAN_MS (600 * 1000)
/* How long one request's claim to make S holds off the others (its POST answers well within). */
#define COPY_CLAIM_MS (60 * 1000)

struct copy_adv {
    struct copy_one *c;
    size_t n;
    ec2gw_os_call_t *calls;
    int *who, *op;
    size_t k, cap;
    cinder_copies_fn done;
    void *arg;
};

static int
streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* An S that is going away (or gone) counts for nothing but cleanup. */
static int
s_dying(const json_t *s)
{
    const char *st = cinder_str(s, "status");

    return streq(st, "deleting") || streq(st, "deleted") || streq(st, "error_deleting");
}

/* Does @p a come before @p b: older created_at, then smaller id (every request agrees). */
static int
s_older(const json_t *a, const json_t *b)
{
    int c = strcmp(cinder_str(a, "created_at") ? cinder_str(a, "created_at") : "",
                   cinder_str(b, "created_at") ? cinder_str(b, "created_at") : "");

    return c < 0 || (c == 0 && strcmp(cinder_str(a, "id"), cinder_str(b, "id")) < 0);
}

/* Is Cinder snapshot @p s one of copy @p c's (its metadata names the copy, it is of H)? */
static int
of_copy(const struct copy_one *c, const json_t *s)
{
    return streq(cinder_str(json_object_get(s, "metadata"), CINDER_COPY_KEY), c->id) &&
           streq(cinder_str(s, "volume_id"), c->h);
}

static void
queue(struct copy_adv *st, int who, int op, const char *method, const char *path, json_t *body)
{
    if (st->k >= st->cap)
        return;
    st->calls[st->k] = EC2GW_OS_CALL("volumev3", method, path, .body = body);
    st->who[st->k] = who;
    st->op[st->k++] = op;
}

static const char *
del_path(ec2gw_req_t *req, const char *what, const char *uuid)
{
    return ec2gw->psprintf(req, "/%s/%s", what, ec2gw->url_escape(req, uuid));
}

/* Re-read the row and map it to @p s_uuid: 0 when the row maps to it now, -1 when the row is
 * gone, deleting or mapped to another S (the caller's S is then superfluous). */
static int
map_row(ec2gw_req_t *req, struct copy_one *c, const char *s_uuid)
{
    json_t *now = cinder_copy_get(req, c->id);
    const char *os = NULL;
    int rc = -1;

    if (now == NULL || json_is_true(json_object_get(now, "deleting")))
        goto out;
    if (ec2gw->id_to_os(req, c->id, &os) == 0 && os != NULL) {
        rc = strcmp(os, s_uuid) == 0 ? 0 : -1;
        goto out;
    }
    rc = ec2gw->item_put(req, c->id, s_uuid, now) == 0 ? 0 : -1;
out:
    json_decref(now);
    return rc;
}

/* How long ago the copy started (0 when unknown). */
static int64_t
copy_age_ms(ec2gw_req_t *req, const struct copy_one *c)
{
    const char *start = cinder_str(c->data, "start");
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (start == NULL || strptime(start, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
        return 0;
    return ec2gw->now_ms(req) - (int64_t)timegm(&tm) * 1000;
}

/* H of an orphan copy found by its metadata: record it (next pass goes on), else the copy is
 * lost (error; a deleting row just goes). */
static void
copy_orphan(ec2gw_req_t *req, struct copy_one *c, const ec2gw_os_resp_t *r)
{
    const char *h = cinder_str(json_array_get(json_object_get(r->json, "volumes"), 0), "id");
    json_t *now;

    if (!ec2gw_os_ok(r))
        return;
    if (h == NULL) {
        if (c->state == NULL)
            ec2gw->item_delete(req, c->id);
        c->state = c->state ? "error" : NULL;
        c->message = "The copy was interrupted before its volume was made";
        return;
    }
    if ((now = cinder_copy_get(req, c->id)) == NULL)
        return;
    json_object_set_new(now, "vol", json_string(h));
    ec2gw->item_put(req, c->id, NULL, now);
    json_decref(now);
}

/* Stage 0: against Cinder's list, what each copy shows and which calls it needs. */
static void
copy_plan(ec2gw_req_t *req, struct copy_adv *st, size_t i, const json_t *snaps)
{
    struct copy_one *c = &st->c[i];
    const char *os = cinder_str(c->data, "os_id");
    int deleting = json_is_true(json_object_get(c->data, "deleting"));
    const json_t *s, *best = NULL;
    int any = 0;
    size_t j;

    c->h = cinder_str(c->data, "vol");
    c->state = deleting ? NULL : "pending";
    c->progress = "0%";
    if (c->h == NULL) {
        /* CopySnapshot is still answering, or was cut short: then look for its H */
        c->orphan = c->need_h = copy_age_ms(req, c) > COPY_ORPHAN_MS;
        return;
    }
    json_array_foreach(snaps, j, s)
    {
        if (!of_copy(c, s))
            continue;
        any = 1;
        if (s_dying(s))
            continue;
        if (deleting)
            queue(st, (int)i, OP_DEL_S, "DELETE", del_path(req, "snapshots", cinder_str(s, "id")),
                  NULL);
        else if (best == NULL || streq(cinder_str(s, "id"), os) ||
                 (!streq(cinder_str(best, "id"), os) && s_older(s, best)))
            best = s;
    }
    if (deleting) {
        c->need_h = !any; /* once no S is left: H, then the row */
        return;
    }
    /* every other live S of this copy lost a race: delete it */
    json_array_foreach(snaps, j, s) if (s != best && of_copy(c, s) && !s_dying(s)) queue(
        st, (int)i, OP_DEL_S, "DELETE", del_path(req, "snapshots", cinder_str(s, "id")), NULL);
    if (best != NULL) {
        if (!streq(cinder_str(best, "id"), os) && map_row(req, c, cinder_str(best, "id")) != 0)
            ec2gw->log(req, EC2GW_LOG_WARN, "copy %s: S %s not mapped", c->id,
                       cinder_str(best, "id"));
        c->s = best;
        c->state = cinder_snapshot_state(cinder_str(best, "status"));
        c->progress = streq(c->state, "completed") ? "100%" : "50%";
        if (streq(c->state, "error"))
            c->message = "The snapshot of the copy failed in the volume service";
        return;
    }
    if (os != NULL) {
        /* mapped to an S this list does not show yet (a list read before it was made) */
        c->progress = "50%";
        return;
    }
    if (cinder_str(c->data, "error") != NULL) {
        c->state = "error";
        c->message = cinder_str(c->data, "error");
        return;
    }
    c->need_h = 1;
}

/* The EC2 Snapshot of a copy (returns new). */
static json_t *
copy_model(ec2gw_req_t *req, const struct copy_one *c)
{
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:s}", "SnapshotId", c->id, "VolumeId",
                  "vol-ffffffff", "State", c->state, "Progress", c->progress, "OwnerId",
                  ec2gw->identity(req)->owner_id, "VolumeSize",
                  (json_int_t)json_integer_value(json_object_get(c->data, "size")), "Description",
                  cinder_str(c->data, "description") ? cinder_str(c->data, "description") : "",
                  "Encrypted", 0, "StorageTier", "standard");

    if (m != NULL && cinder_str(c->data, "start") != NULL)
        json_object_set_new(m, "StartTime", json_string(cinder_str(c->data, "start")));
    if (m != NULL && c->message != NULL)
        json_object_set_new(m, "StateMessage", json_string(c->message));
    return m;
}

static void
copy_finish(ec2gw_req_t *req, struct copy_adv *st)
{
    json_t *models = cinder_own(req, json_array());

    for (size_t i = 0; i < st->n; i++)
        if (st->c[i].state != NULL)
            json_array_append_new(models, copy_model(req, &st->c[i]));
    st->done(req, models, st->arg);
}

static void
copy_losers_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    (void)r;
    (void)n;
    copy_finish(req, arg);
}

/* Stage 2 answered: map the S just made (or delete it when another one won). */
static void
copy_written(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct copy_adv *st = arg;
    size_t i, k0 = st->k;

    for (i = 0; i < n; i++) {
        struct copy_one *c = &st->c[st->who[i]];
        const char *s_uuid = cinder_str(json_object_get(r[i]->json, "snapshot"), "id");

        if (st->op[i] != OP_POST_S)
            continue; /* deletes: the next pass sees what is left */
        if (!ec2gw_os_ok(r[i]) || s_uuid == NULL) {
            const char *body = r[i]->body ? r[i]->body : "";
            json_t *now;

            ec2gw->log(req, EC2GW_LOG_WARN, "copy %s: snapshot of %s not made (%ld)", c->id, c->h,
                       r[i]->status);
            if ((r[i]->status == 413 || strstr(body, "uota") != NULL) &&
                (now = cinder_copy_get(req, c->id)) != NULL) {
                /* the project's snapshot quota: an error the client sees and can act on */
                c->message =
                    ec2gw->psprintf(req, "SnapshotLimitExceeded: %s", cinder_os_message(r[i]));
                c->state = "error";
                json_object_set_new(now, "error", json_string(c->message));
                ec2gw->item_put(req, c->id, NULL, now);
                json_decref(now);
            } else if ((now = cinder_copy_get(req, c->id)) != NULL) {
                json_object_del(now, "s_claimed_ms"); /* the next pass tries again */
                ec2gw->item_put(req, c->id, NULL, now);
                json_decref(now);
            }
            continue;
        }
        if (map_row(req, c, s_uuid) != 0) {
            st->calls[st->k] = EC2GW_OS_CALL("volumev3", "DELETE",
                                             del_path(req, "snapshots", s_uuid), .body = NULL);
            st->who[st->k] = st->who[i];
            st->op[st->k++] = OP_DEL_S;
        }
    }
    if (st->k > k0 &&
        ec2gw->os_fanout(req, st->calls + k0, st->k - k0, copy_losers_deleted, st) >= 0)
        return;
    copy_finish(req, st);
}

static void
copy_write(ec2gw_req_t *req, struct copy_adv *st)
{
    if (st->k == 0 || ec2gw->os_fanout(req, st->calls, st->k, copy_written, st) < 0)
        copy_finish(req, st);
}

/*
 * Claim the making of S in the row for COPY_CLAIM_MS: 0 when this request makes it, -1 when
 * another one claimed it (requests of one ec2gwd never both make it; daemons sharing the
 * database rarely, and the race handling above deletes the extra S then).
 */
static int
copy_claim(ec2gw_req_t *req, const struct copy_one *c)
{
    json_t *now = cinder_copy_get(req, c->id);
    int64_t t = ec2gw->now_ms(req);
    const json_t *at = json_object_get(now, "s_claimed_ms");
    int rc = -1;

    if (now != NULL && !json_is_true(json_object_get(now, "deleting")) &&
        (!json_is_integer(at) || t - json_integer_value(at) > COPY_CLAIM_MS ||
         t < json_integer_value(at))) {
        json_object_set_new(now, "s_claimed_ms", json_integer(t));
        rc = ec2gw->item_put(req, c->id, NULL, now) == 0 ? 0 : -1;
    }
    json_decref(now);
    return rc;
}

/* Stage 1 answered: H's state decides. */
static void
copy_h_read(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct copy_adv *st = arg;
    size_t i, j = 0;

    for (i = 0; i < st->n; i++) {
        struct copy_one *c = &st->c[i];
        const json_t *h;
        const char *hs;

        if (!c->need_h || j >= n)
            continue;
        if (c->orphan) {
            copy_orphan(req, c, r[j++]);
            continue;
        }
        h = json_object_get(r[j]->json, "volume");
        hs = cinder_str(h, "status");
        if (c->state == NULL) { /* deleting, no S left */
            if (r[j]->status == 404)
                ec2gw->item_delete(req, c->id);
            else if (ec2gw_os_ok(r[j]) && !streq(hs, "creating") && !streq(hs, "deleting") &&
                     !streq(hs, "downloading"))
                queue(st, (int)i, OP_DEL_H, "DELETE", del_path(req, "volumes", c->h), NULL);
        } else if (r[j]->status == 404) {
            c->state = "error";
            c->message = "The copy's volume is gone from the volume service";
        } else if (ec2gw_os_ok(r[j]) && streq(cinder_volume_state(h), "available")) {
            if (copy_claim(req, c) != 0) {
                c->progress = "50%"; /* another request is making S */
                j++;
                continue;
            }
            /* the client's Description stays in the row: nothing Cinder could refuse */
            const char *desc = ec2gw->psprintf(req, "EC2 snapshot copy %s of %s", c->id,
                                               cinder_str(c->data, "copy_of"));
            json_t *body = cinder_own(
                req, json_pack("{s:{s:s, s:b, s:s, s:s, s:{s:s}}}", "snapshot", "volume_id", c->h,
                               "force", 1, "name", ec2gw->psprintf(req, "ec2gw copy %s", c->id),
                               "description", desc, "metadata", CINDER_COPY_KEY, c->id));

            queue(st, (int)i, OP_POST_S, "POST", "/snapshots", body);
            c->progress = "50%";
        } else if (ec2gw_os_ok(r[j]) && streq(cinder_volume_state(h), "error")) {
            c->state = "error";
            c->message = "The copy's volume failed in the volume service";
        }
        j++;
    }
    copy_write(req, st);
}

void
cinder_copies_advance(ec2gw_req_t *req, const json_t *snaps, cinder_copies_fn done, void *arg)
{
    struct copy_adv *st = ec2gw->pcalloc(req, sizeof(*st));
    json_t *copies = cinder_own(req, cinder_copies(req)), *d;
    ec2gw_os_call_t *gets;
    const char *k;
    size_t i = 0, ng = 0, nsnap = json_array_size(snaps);

    st->done = done;
    st->arg = arg;
    st->n = json_object_size(copies);
    if (st->n == 0) {
        copy_finish(req, st);
        return;
    }
    /* room for: each S of the list deleted, each H read/deleted, each S posted and undone */
    st->cap = nsnap + 3 * st->n + 1;
    st->calls = ec2gw->pcalloc(req, st->cap * sizeof(*st->calls));
    st->who = ec2gw->pcalloc(req, st->cap * sizeof(int));
    st->op = ec2gw->pcalloc(req, st->cap * sizeof(int));
    st->c = ec2gw->pcalloc(req, st->n * sizeof(*st->c));
    gets = ec2gw->pcalloc(req, st->n * sizeof(*gets));
    json_object_foreach(copies, k, d)
    {
        st->c[i].id = k;
        st->c[i].data = d;
        copy_plan(req, st, i, snaps);
        if (st->c[i].orphan)
            gets[ng++] = EC2GW_OS_GET(
                "volumev3",
                ec2gw->psprintf(req, "/volumes/detail?metadata=%s",
                                ec2gw->url_escape(req, ec2gw->psprintf(req, "{\"%s\": \"%s\"}",
                                                                       CINDER_COPY_KEY, k))));
        else if (st->c[i].need_h)
            gets[ng++] = EC2GW_OS_GET("volumev3", del_path(req, "volumes", st->c[i].h));
        i++;
    }
    if (ng == 0) {
        copy_write(req, st);
        return;
    }
    /* stage 0's deletes stay queued: stage 1 appends to them, stage 2 sends them all */
    if (ec2gw->os_fanout(req, gets, ng, copy_h_read, st) < 0)
        copy_finish(req, st);
}
