/*
 * snapshots_copy_delete.c - DeleteSnapshot of a copy (snapshots_copy.c): the row is marked
 * deleting first (DescribeSnapshots no longer shows it), then S goes, then H once Cinder lets it
 * (a volume with snapshots, or still being made, cannot be deleted), then the row. Polled with
 * after() for a bounded time; past it the answer is given and the next DescribeSnapshots
 * finishes the cleanup (snapshots_copy_advance.c). A pending copy can be deleted too.
 */
#include <string.h>

#include "cinder.h"

/* How long one DeleteSnapshot waits for Cinder before leaving the rest to DescribeSnapshots. */
#define COPY_DELETE_MS 20000
#define COPY_POLL_MS   1000

struct copy_del {
    const char *id; /* snap-X */
    const char *h;  /* H uuid */
    int64_t t0;
};

static void copy_del_step(ec2gw_req_t *req, void *arg);

static int
streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Poll again later, or answer now when the time is up (the row stays marked deleting). */
static void
copy_del_wait(ec2gw_req_t *req, struct copy_del *st, int64_t ms)
{
    if (ec2gw->now_ms(req) - st->t0 + ms > COPY_DELETE_MS ||
        ec2gw->after(req, ms, copy_del_step, st) < 0) {
        ec2gw->log(req, EC2GW_LOG_INFO, "copy %s: cleanup left to DescribeSnapshots", st->id);
        cinder_return_true(req);
    }
}

static void
copy_del_sent(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    (void)r;
    (void)n;
    copy_del_wait(req, arg, COPY_POLL_MS);
}

static void
copy_del_read(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct copy_del *st = arg;
    const json_t *h = json_object_get(r[0]->json, "volume"), *s;
    const char *hs = cinder_str(h, "status");
    ec2gw_os_call_t *dels;
    size_t i, k = 0;
    int dying = 0;

    (void)n;
    if (!ec2gw_os_ok(r[1]) || (!ec2gw_os_ok(r[0]) && r[0]->status != 404)) {
        copy_del_wait(req, st, COPY_POLL_MS); /* Cinder hiccup: try again */
        return;
    }
    dels = ec2gw->pcalloc(req, (json_array_size(json_object_get(r[1]->json, "snapshots")) + 1) *
                                   sizeof(*dels));
    json_array_foreach(json_object_get(r[1]->json, "snapshots"), i, s)
    {
        const char *st_s = cinder_str(s, "status");

        if (!streq(cinder_str(json_object_get(s, "metadata"), CINDER_COPY_KEY), st->id) ||
            !streq(cinder_str(s, "volume_id"), st->h))
            continue; /* only S of this copy: H is hidden, anything else is not ours */
        if (streq(st_s, "deleting") || streq(st_s, "deleted")) {
            dying = 1;
            continue;
        }
        dels[k++] = EC2GW_OS_CALL(
            "volumev3", "DELETE",
            ec2gw->psprintf(req, "/snapshots/%s", ec2gw->url_escape(req, cinder_str(s, "id"))),
            .body = NULL);
    }
    if (k > 0) {
        if (ec2gw->os_fanout(req, dels, k, copy_del_sent, st) < 0)
            copy_del_wait(req, st, COPY_POLL_MS);
        return;
    }
    if (dying || streq(hs, "deleting")) {
        copy_del_wait(req, st, COPY_POLL_MS);
        return;
    }
    if (r[0]->status == 404) {
        ec2gw->item_delete(req, st->id); /* S and H are gone: so is the copy */
        cinder_return_true(req);
        return;
    }
    if (streq(hs, "creating") || streq(hs, "downloading")) {
        copy_del_wait(req, st, 2 * COPY_POLL_MS); /* Cinder deletes H once it is made */
        return;
    }
    dels[0] = EC2GW_OS_CALL("volumev3", "DELETE",
                            ec2gw->psprintf(req, "/volumes/%s", ec2gw->url_escape(req, st->h)),
                            .body = NULL);
    if (ec2gw->os_fanout(req, dels, 1, copy_del_sent, st) < 0)
        copy_del_wait(req, st, COPY_POLL_MS);
}

/* Read H and its snapshots: 0, or -1 when no call could start. */
static int
copy_del_read_start(ec2gw_req_t *req, struct copy_del *st)
{
    const char *esc = ec2gw->url_escape(req, st->h);
    ec2gw_os_call_t calls[2];

    calls[0] = EC2GW_OS_GET("volumev3", ec2gw->psprintf(req, "/volumes/%s", esc));
    calls[1] =
        EC2GW_OS_GET("volumev3", ec2gw->psprintf(req, "/snapshots/detail?volume_id=%s", esc));
    return ec2gw->os_fanout(req, calls, 2, copy_del_read, st) < 0 ? -1 : 0;
}

static void
copy_del_step(ec2gw_req_t *req, void *arg)
{
    if (copy_del_read_start(req, arg) != 0)
        cinder_return_true(req); /* the row stays marked: DescribeSnapshots goes on */
}

int
cinder_copy_delete(ec2gw_req_t *req, const char *snap_id, json_t *data)
{
    struct copy_del *st = ec2gw->state(req, sizeof(*st));

    cinder_own(req, data);
    st->id = snap_id;
    st->h = cinder_str(data, "vol");
    st->t0 = ec2gw->now_ms(req);
    json_object_set_new(data, "deleting", json_true());
    if (ec2gw->item_put(req, snap_id, NULL, data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The snapshot '%s' could not be marked deleted",
                    snap_id);
        return EC2GW_OK;
    }
    if (st->h == NULL) { /* CopySnapshot is still answering: DescribeSnapshots cleans up */
        cinder_return_true(req);
        return EC2GW_OK;
    }
    if (copy_del_read_start(req, st) != 0) {
        cinder_return_true(req);
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}
