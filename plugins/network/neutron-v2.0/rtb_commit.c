/*
 * rtb_commit.c - the end of every route-table write: store the changed rows, project the
 * VPC's routes onto its Neutron subnets, answer. When Neutron refuses a subnet update the
 * rows are put back and projected again, so a failed write leaves neither the database nor
 * Neutron half-changed.
 */
#include <string.h>

#include "rtb.h"

struct rtb_commit {
    struct neutron_inst *ni;
    const char *vpc_id;
    struct rtb_change *ch;
    size_t n;
    json_t *model;
};

/* Store the @p after (or before) side of every change: 0, or -1. */
static int
rtb_store(ec2gw_req_t *req, const struct rtb_commit *c, int after)
{
    int rc = 0;

    for (size_t i = 0; i < c->n; i++) {
        const json_t *d = after ? c->ch[i].after : c->ch[i].before;
        json_t *row = d != NULL ? rtb_row(d) : NULL;

        if (row != NULL && ec2gw->item_put(req, c->ch[i].id, c->ch[i].os_id, row) != 0)
            rc = -1;
        else if (d == NULL && ec2gw->item_delete(req, c->ch[i].id) == EC2GW_E_DB)
            rc = -1;
        json_decref(row);
    }
    return rc;
}

static void
rtb_restored(ec2gw_req_t *req, int rc, void *arg)
{
    (void)arg;
    if (rc == EC2GW_E_STATE)
        return;
    ec2gw->fail(req, 503, "Unavailable",
                "Neutron refused to update the routes of the VPC's subnets; nothing was changed");
}

static void
rtb_committed(ec2gw_req_t *req, int rc, void *arg)
{
    struct rtb_commit *c = arg;

    if (rc == 0) {
        ec2gw->finish(req, json_incref(c->model));
        return;
    }
    if (rtb_store(req, c, 0) != 0)
        ec2gw->log(req, EC2GW_LOG_ERROR, "route tables of %s: the old rows could not be restored",
                   c->vpc_id);
    if (rc == EC2GW_E_STATE)
        return; /* the request has been answered already */
    if (rtb_sync_quiet(req, c->ni, c->vpc_id, rtb_restored, c) < 0)
        rtb_restored(req, EC2GW_E_FAIL, c);
}

int
rtb_commit(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id,
           const struct rtb_change *ch, size_t n, json_t *model)
{
    struct rtb_commit *c = ec2gw->pcalloc(req, sizeof(*c));

    c->ni = ni;
    c->vpc_id = ec2gw->pstrdup(req, vpc_id);
    c->ch = ec2gw->palloc(req, (n + 1) * sizeof(*ch));
    memcpy(c->ch, ch, n * sizeof(*ch));
    c->n = n;
    c->model = neutron_own(req, model);
    if (rtb_store(req, c, 1) != 0) {
        rtb_store(req, c, 0);
        ec2gw->fail(req, 500, "InternalError", "the route table change could not be stored");
        return EC2GW_OK;
    }
    return rtb_sync_quiet(req, ni, vpc_id, rtb_committed, c) == EC2GW_AGAIN ? EC2GW_AGAIN
                                                                            : EC2GW_OK;
}
