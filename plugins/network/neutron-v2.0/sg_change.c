/*
 * sg_change.c - change a group's rules all or nothing: delete c->del, then create c->add in
 * one bulk call (Neutron creates a bulk in one transaction). A failure undoes what was done:
 * deleted rules are created again and keep their sgr- ids, so the client sees one EC2 error
 * and the group as it was.
 */
#include <string.h>

#include "neutron.h"
#include "sg.h"

/* The first failure, kept until the undo has finished (answers are borrowed). */
struct sg_fail {
    ec2gw_os_resp_t resp;
    const struct neutron_errmap *map;
    json_t *undo; /* Neutron rules deleted so far, to create again */
};

static const struct neutron_errmap sg_rule_errors = {
    .not_found = "InvalidGroup.NotFound",
    .conflict = "InvalidPermission.Duplicate",
    .quota = "RulesPerSecurityGroupLimitExceeded",
};

static void
sg_keep_failure(ec2gw_req_t *req, struct sg_fail *f, const ec2gw_os_resp_t *r,
                const struct neutron_errmap *map)
{
    f->resp = *r;
    f->resp.error = r->error ? ec2gw->pstrdup(req, r->error) : NULL;
    f->resp.body = ec2gw->pstrdup(req, r->body ? r->body : "");
    f->resp.os_request_id = r->os_request_id ? ec2gw->pstrdup(req, r->os_request_id) : NULL;
    f->resp.location = NULL;
    f->resp.json = r->json ? ec2gw->own_json(req, r->json) : NULL;
    f->map = map;
}

/* Point sgr- id @p ec2 at Neutron rule @p os. A row never changes its os_id, so the row is
 * made again, with its tags. */
static int
sg_move_id(ec2gw_req_t *req, const char *ec2, const char *os)
{
    json_t *tags = NULL;
    int rc;

    if (ec2gw->tags_get(req, &ec2, 1, &tags) != 0)
        return -1;
    rc = ec2gw->item_delete(req, ec2);
    if (rc == 0 || rc == EC2GW_E_NOTFOUND)
        rc = ec2gw->item_put(req, ec2, os, NULL);
    if (rc == 0 && json_array_size(json_object_get(tags, ec2)) > 0)
        rc = ec2gw->tags_set(req, ec2, json_object_get(tags, ec2));
    json_decref(tags);
    return rc;
}

/* Point sgr- ids at re-created or replacing Neutron rules. */
static void
sg_remap(ec2gw_req_t *req, const json_t *ids, const json_t *rules)
{
    for (size_t i = 0; i < json_array_size(ids) && i < json_array_size(rules); i++) {
        const char *ec2 = json_string_value(json_array_get(ids, i));
        const char *os = neutron_str(json_array_get(rules, i), "id");

        if (ec2 != NULL && os != NULL && sg_move_id(req, ec2, os) != 0)
            ec2gw->log(req, EC2GW_LOG_WARN, "could not keep %s on re-created rule %s", ec2, os);
    }
}

/* The bulk body of canonical rules @p canon for group @p sg. Returns new. */
static json_t *
sg_bulk_body(const json_t *canon, const char *sg)
{
    json_t *list = json_array();
    const json_t *c;
    size_t i;

    json_array_foreach(canon, i, c)
    {
        json_t *one = sg_neutron_body(c, sg);

        json_array_append(list, json_object_get(one, "security_group_rule"));
        json_decref(one);
    }
    return json_pack("{s:o}", "security_group_rules", list);
}

static void
sg_undo_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct sg_fail *f = arg;
    json_t *ids = neutron_own(req, json_array());
    const json_t *rule;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        ec2gw->log(req, EC2GW_LOG_ERROR,
                   "undo failed: %zu deleted rules of a group could not be created again "
                   "(Neutron %ld)",
                   json_array_size(f->undo), r->status);
    } else {
        json_array_foreach(f->undo, i, rule) json_array_append(
            ids, json_object_get(sg_ctx(req)->names.rule_ids, neutron_or(neutron_str(rule, "id"))));
        sg_remap(req, ids, json_object_get(r->json, "security_group_rules"));
    }
    neutron_fail(req, &f->resp, f->map);
}

/* Create f->undo again, then answer f's failure. */
static void
sg_undo(ec2gw_req_t *req, struct sg_fail *f)
{
    struct sg_ctx *c = sg_ctx(req);
    json_t *canon = neutron_own(req, json_array()), *body;
    const json_t *rule;
    ec2gw_os_call_t call;
    size_t i;

    if (json_array_size(f->undo) == 0) {
        neutron_fail(req, &f->resp, f->map);
        return;
    }
    json_array_foreach(f->undo, i, rule) json_array_append_new(canon, sg_canon_from_neutron(rule));
    body = neutron_own(req, sg_bulk_body(canon, neutron_str(c->group, "id")));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/security-group-rules", .body = body);
    if (ec2gw->os_call(req, &call, sg_undo_done, f) < 0)
        neutron_fail(req, &f->resp, f->map);
}

static void
sg_created(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct sg_ctx *c = sg_ctx(req);
    struct sg_fail *f = arg;
    json_t *made = json_object_get(r->json, "security_group_rules");
    json_t *map;
    const char *k;
    json_t *v;

    if (!ec2gw_os_ok(r) || !json_is_array(made)) {
        sg_keep_failure(req, f, r, &sg_rule_errors);
        sg_undo(req, f);
        return;
    }
    c->created = ec2gw->own_json(req, made);
    sg_remap(req, c->keep_ids, made);
    map = neutron_map_ids(req, "sgr", made);
    json_object_foreach(map, k, v) json_object_set(c->names.rule_ids, k, v);
    c->next(req, c);
}

static void
sg_create_step(ec2gw_req_t *req, struct sg_fail *f)
{
    struct sg_ctx *c = sg_ctx(req);
    json_t *body;
    ec2gw_os_call_t call;

    if (json_array_size(c->add) == 0) {
        c->created = neutron_own(req, json_array());
        c->next(req, c);
        return;
    }
    body = neutron_own(req, sg_bulk_body(c->add, neutron_str(c->group, "id")));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/security-group-rules", .body = body);
    if (ec2gw->os_call(req, &call, sg_created, f) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}

static void
sg_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct sg_fail *f = arg;
    struct sg_ctx *c = sg_ctx(req);
    int failed = -1;

    for (size_t i = 0; i < n; i++) {
        if (ec2gw_os_ok(r[i]) || r[i]->status == 404) /* gone already: deleted all the same */
            json_array_append(f->undo, json_array_get(c->del, i));
        else if (failed < 0)
            failed = (int)i;
    }
    if (failed >= 0) {
        sg_keep_failure(req, f, r[failed], NULL);
        sg_undo(req, f);
        return;
    }
    sg_create_step(req, f);
}

int
sg_change(ec2gw_req_t *req, struct sg_ctx *c)
{
    struct sg_fail *f = ec2gw->pcalloc(req, sizeof(*f));
    size_t n = json_array_size(c->del);
    ec2gw_os_call_t *calls;
    json_t *map;
    const char *k;
    json_t *v;

    f->undo = neutron_own(req, json_array());
    if (n == 0) {
        sg_create_step(req, f);
        return EC2GW_AGAIN;
    }
    /* The deleted rules' sgr- ids must exist before an undo can hand them on. */
    map = neutron_map_ids(req, "sgr", c->del);
    json_object_foreach(map, k, v) json_object_set(c->names.rule_ids, k, v);
    calls = ec2gw->pcalloc(req, n * sizeof(*calls));
    for (size_t i = 0; i < n; i++) {
        const char *id = neutron_or(neutron_str(json_array_get(c->del, i), "id"));

        calls[i] = EC2GW_OS_CALL(
            "network", "DELETE",
            ec2gw->psprintf(req, "/v2.0/security-group-rules/%s", ec2gw->url_escape(req, id)),
            .flags = 0);
    }
    return ec2gw->os_fanout(req, calls, n, sg_deleted, f);
}
