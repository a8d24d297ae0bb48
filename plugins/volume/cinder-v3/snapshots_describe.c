/*
 * snapshots_describe.c - DescribeSnapshots: GET volumev3 /snapshots/detail (the caller's
 * project), SnapshotId.N, Owner.N (self, the caller's account; Cinder has no other owners a
 * project can see), RestorableBy.N (Cinder cannot share snapshots: only the caller can
 * restore its own), filters and paging by the host. Copies (CopySnapshot) are advanced
 * and shown by snapshots_copy_advance.c; their S and hidden volume get no ids of their own.
 */
#include <string.h>

#include "cinder.h"

struct cinder_snap_desc {
    const json_t *ids; /* SnapshotId.N (copies too, even before their S exists) */
    json_t *snaps;     /* every page of Cinder's list */
    int pages;
};

/* Is @p who the caller: "self", its owner id or its project id? */
static int
cinder_is_me(ec2gw_req_t *req, const char *who)
{
    const ec2gw_identity_t *me = ec2gw->identity(req);

    return who != NULL && (strcmp(who, "self") == 0 || strcmp(who, me->owner_id) == 0 ||
                           strcmp(who, me->project_id) == 0);
}

/* Owner.N and RestorableBy.N leave the caller's own snapshots in, or nothing. */
static int
cinder_own_snapshots_wanted(ec2gw_req_t *req)
{
    const json_t *p = ec2gw->params(req), *v;
    const json_t *owners = json_object_get(p, "OwnerIds");
    const json_t *rest = json_object_get(p, "RestorableByUserIds");
    int ok = json_array_size(owners) == 0;
    size_t i;

    json_array_foreach(owners, i, v) if (cinder_is_me(req, json_string_value(v))) ok = 1;
    if (json_array_size(rest) > 0) {
        int r = 0;

        json_array_foreach(rest, i, v) if (cinder_is_me(req, json_string_value(v))) r = 1;
        ok = ok && r;
    }
    return ok;
}

/* Is EC2 id @p id one of SnapshotId.N (all when none)? */
static int
cinder_snap_requested(const struct cinder_snap_desc *st, const char *id)
{
    size_t n = json_array_size(st->ids);

    for (size_t i = 0; i < n && id != NULL; i++)
        if (strcmp(json_string_value(json_array_get(st->ids, i)), id) == 0)
            return 1;
    return n == 0;
}

/* Keep @p m (stolen) when requested; note it found. */
static void
cinder_snap_keep(ec2gw_req_t *req, struct cinder_snap_desc *st, json_t *items, json_t *found,
                 json_t *m, int mine)
{
    const char *id = cinder_str(m, "SnapshotId");

    (void)req;
    if (id != NULL && cinder_snap_requested(st, id)) {
        json_object_set_new(found, id, json_true());
        if (mine)
            json_array_append(items, m);
    }
    json_decref(m);
}

/* Cinder's snapshots and the copies (advanced meanwhile) as one answer. */
static void
cinder_snap_answer(ec2gw_req_t *req, json_t *copies, void *arg)
{
    struct cinder_snap_desc *st = arg;
    const json_t *s;
    json_t *items = cinder_own(req, json_array()), *found, *page, *m, *c;
    struct cinder_view view;
    const char *next = NULL;
    int mine = cinder_own_snapshots_wanted(req);
    size_t i;

    found = cinder_own(req, json_object());
    cinder_view_build(req, &view, NULL, st->snaps, NULL);
    json_array_foreach(st->snaps, i, s) if ((m = cinder_snapshot_model(req, &view, s)) != NULL)
        cinder_snap_keep(req, st, items, found, m, mine);
    json_array_foreach(copies, i, c) cinder_snap_keep(req, st, items, found, json_incref(c), mine);
    for (i = 0; i < json_array_size(st->ids); i++)
        if (json_object_get(found, json_string_value(json_array_get(st->ids, i))) == NULL) {
            ec2gw->fail(req, 400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.",
                        json_string_value(json_array_get(st->ids, i)));
            return;
        }
    cinder_attach_tags(req, items, "SnapshotId");
    page = cinder_filter_page(req, items, "SnapshotId", cinder_snapshot_filter_values, NULL, &next);
    if (page != NULL)
        cinder_finish_list(req, "Snapshots", page, next);
}

static void
cinder_snap_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_snap_desc *st = arg;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidSnapshot.NotFound", NULL);
        return;
    }
    if (cinder_next_page(req, r, "snapshots", "/snapshots/detail", &st->snaps, &st->pages,
                         cinder_snap_listed, st))
        return;
    /* copies move on here: the snapshot_completed waiter polls this action */
    cinder_copies_advance(req, st->snaps, cinder_snap_answer, st);
}

int
cinder_describe_snapshots(ec2gw_req_t *req, void *inst)
{
    struct cinder_snap_desc *st = ec2gw->state(req, sizeof(*st));
    const json_t *ids = json_object_get(ec2gw->params(req), "SnapshotIds");
    ec2gw_os_call_t call = EC2GW_OS_GET("volumev3", "/snapshots/detail");

    (void)inst;
    call.flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    if (json_array_size(ids) > 0) {
        if (cinder_resolve_snaps(req, ids) != 0)
            return EC2GW_OK;
        st->ids = ids;
    }
    if (ec2gw->os_call(req, &call, cinder_snap_listed, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
