/*
 * snapshots_describe.c - DescribeSnapshots: GET volumev3 /snapshots/detail (the caller's
 * project), SnapshotId.N, Owner.N (self, the caller's account; Cinder has no other owners a
 * project can see), RestorableBy.N (Cinder cannot share snapshots: only the caller can
 * restore its own), filters and paging by the host.
 */
#include <string.h>

#include "cinder.h"

struct cinder_snap_desc {
    const json_t *ids;
    const char **os_ids;
    json_t *snaps; /* every page of Cinder's list */
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

static void
cinder_snap_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_snap_desc *st = arg;
    const json_t *snaps, *s;
    json_t *items = cinder_own(req, json_array()), *found, *page;
    struct cinder_view view;
    const char *next = NULL;
    int mine = cinder_own_snapshots_wanted(req);
    size_t i, j;

    if (!ec2gw_os_ok(r)) {
        cinder_fail(req, r, "InvalidSnapshot.NotFound", NULL);
        return;
    }
    if (cinder_next_page(req, r, "snapshots", "/snapshots/detail", &st->snaps, &st->pages,
                         cinder_snap_listed, st))
        return;
    snaps = st->snaps;
    found = cinder_own(req, json_object());
    cinder_view_build(req, &view, NULL, snaps, NULL);
    json_array_foreach(snaps, i, s)
    {
        const char *uuid = cinder_str(s, "id");
        int want = json_array_size(st->ids) == 0;
        json_t *m;

        for (j = 0; j < json_array_size(st->ids) && uuid != NULL; j++)
            if (strcmp(st->os_ids[j], uuid) == 0)
                want = 1;
        if (!want || (m = cinder_snapshot_model(req, &view, s)) == NULL)
            continue;
        json_object_set_new(found, uuid, json_true());
        if (mine)
            json_array_append(items, m);
        json_decref(m);
    }
    for (i = 0; i < json_array_size(st->ids); i++)
        if (json_object_get(found, st->os_ids[i]) == NULL) {
            ec2gw->fail(req, 400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.",
                        json_string_value(json_array_get(st->ids, i)));
            return;
        }
    cinder_attach_tags(req, items, "SnapshotId");
    page = cinder_filter_page(req, items, "SnapshotId", cinder_snapshot_filter_values, NULL, &next);
    if (page != NULL)
        cinder_finish_list(req, "Snapshots", page, next);
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
        if (cinder_resolve_all(req, "snap", ids, &st->os_ids) != 0)
            return EC2GW_OK;
        st->ids = ids;
    }
    if (ec2gw->os_call(req, &call, cinder_snap_listed, st) < 0) {
        ec2gw->fail(req, 503, "Unavailable", "The volume service is not reachable");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
