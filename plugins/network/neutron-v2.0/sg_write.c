/*
 * sg_write.c - CreateSecurityGroup and DeleteSecurityGroup.
 *
 * Neutron allows two groups of one name, EC2 does not: Create checks the name first and
 * again after the group exists, and the later of two racing creates deletes its group and
 * answers InvalidGroup.Duplicate. Any failure after the group was made deletes it again.
 */
#include <stdint.h>
#include <string.h>

#include "neutron.h"
#include "sg.h"
#include "vpc.h"

struct sg_create {
    const char *name, *desc;
    const char *vpc;   /* the group's VPC (VpcId, or the default VPC), or NULL: classic */
    const char *os_id; /* the group made, once made */
    const char *id;    /* its sg- id, mapped (with its row) as soon as it is made */
    const char *code, *msg;
    json_t *tags;
};

static const char *
sg_project_query(ec2gw_req_t *req, const char *name)
{
    return ec2gw->psprintf(req, "project_id=%s&name=%s&fields=id&fields=created_at",
                           ec2gw->url_escape(req, ec2gw->identity(req)->project_id),
                           ec2gw->url_escape(req, name));
}

static void
sg_rolled_back(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct sg_create *s = arg;

    if (!ec2gw_os_ok(r) && r->status != 404)
        ec2gw->log(req, EC2GW_LOG_ERROR, "rollback: could not delete security group %s (%ld)",
                   s->os_id, r->status);
    /* 0: the code's own status (Unavailable 503, InternalError 500, the rest 400) */
    ec2gw->fail(req, 0, s->code, "%s", s->msg);
}

/* Delete the group just made, then answer @p code/@p msg. */
static void
sg_rollback(ec2gw_req_t *req, struct sg_create *s, const char *code, const char *msg)
{
    ec2gw_os_call_t call = EC2GW_OS_CALL(
        "network", "DELETE",
        ec2gw->psprintf(req, "/v2.0/security-groups/%s", ec2gw->url_escape(req, s->os_id)),
        .flags = 0);

    s->code = code;
    s->msg = ec2gw->pstrdup(req, msg);
    if (s->id != NULL)
        ec2gw->item_delete(req, s->id);
    if (ec2gw->os_call(req, &call, sg_rolled_back, s) < 0)
        ec2gw->fail(req, 0, code, "%s", msg);
}

/* The groups of @p groups in VPC @p vpc (NULL: classic groups, without a VPC row): names are
 * unique per VPC, so only those compete (pool). */
static json_t *
sg_in_vpc(ec2gw_req_t *req, const json_t *groups, const char *vpc)
{
    json_t *ids = neutron_map_ids(req, "sg", groups), *rows = NULL, *out;
    size_t n = json_array_size(groups), i;
    const char **keys = ec2gw->pcalloc(req, (n + 1) * sizeof(*keys));
    const json_t *g;

    json_array_foreach(groups, i, g) keys[i] =
        json_string_value(json_object_get(ids, neutron_or(neutron_str(g, "id"))));
    if (n > 0 && ec2gw->items_get(req, keys, n, &rows) != 0)
        rows = NULL;
    neutron_own(req, rows);
    out = neutron_own(req, json_array());
    json_array_foreach(groups, i, g)
    {
        const char *in =
            keys[i] != NULL ? neutron_str(json_object_get(rows, keys[i]), VPC_F_VPC_ID) : NULL;

        if ((in == NULL && vpc == NULL) || (in != NULL && vpc != NULL && strcmp(in, vpc) == 0))
            json_array_append(out, (json_t *)(uintptr_t)g);
    }
    return out;
}

/* Of two groups of one name the one created first wins (ties: the smaller id). */
static int
sg_we_lost(const json_t *groups, const char *mine)
{
    const json_t *me = NULL, *g;
    size_t i;

    json_array_foreach(groups, i, g) if (strcmp(neutron_or(neutron_str(g, "id")), mine) == 0) me =
        g;
    json_array_foreach(groups, i, g)
    {
        int t;

        if (g == me)
            continue;
        if (me == NULL)
            return 1;
        t = strcmp(neutron_or(neutron_str(g, "created_at")),
                   neutron_or(neutron_str(me, "created_at")));
        if (t < 0 || (t == 0 && strcmp(neutron_str(g, "id"), mine) < 0))
            return 1;
    }
    return 0;
}

static void
sg_rechecked(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct sg_create *s = arg;
    const ec2gw_identity_t *who = ec2gw->identity(req);
    const char *id = NULL;

    if (!ec2gw_os_ok(r)) {
        sg_rollback(req, s, "Unavailable", "Neutron failed while the group was being created");
        return;
    }
    if (sg_we_lost(sg_in_vpc(req, json_object_get(r->json, "security_groups"), s->vpc), s->os_id)) {
        sg_rollback(req, s, "InvalidGroup.Duplicate",
                    ec2gw->psprintf(req, "The security group '%s' already exists", s->name));
        return;
    }
    id = s->id;
    if (json_array_size(s->tags) > 0 && ec2gw->tags_set(req, id, s->tags) != 0) {
        sg_rollback(req, s, "InternalError", "The group's id and tags could not be stored");
        return;
    }
    ec2gw->finish(req,
                  json_pack("{s:s, s:O, s:s}", "GroupId", id, "Tags", s->tags, "SecurityGroupArn",
                            ec2gw->psprintf(req, "arn:aws:ec2:%s:%s:security-group/%s",
                                            neutron_or(who->region), who->owner_id, id)));
}

static void
sg_created_group(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    static const struct neutron_errmap errors = { .quota = "SecurityGroupLimitExceeded" };
    struct sg_create *s = arg;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r) ||
        (s->os_id = neutron_str(json_object_get(r->json, "security_group"), "id")) == NULL) {
        neutron_fail(req, r, &errors);
        return;
    }
    s->os_id = ec2gw->pstrdup(req, s->os_id);
    /* the row first: the recheck tells groups of other VPCs apart by it */
    if (ec2gw->id_to_ec2(req, "sg", s->os_id, &s->id) != 0 ||
        (s->vpc != NULL &&
         ec2gw->item_put(req, s->id, s->os_id,
                         neutron_own(req, json_pack("{s:s}", VPC_F_VPC_ID, s->vpc))) != 0)) {
        sg_rollback(req, s, "InternalError", "The group's id could not be stored");
        return;
    }
    call = EC2GW_OS_GET("network",
                        neutron_path(req, "security-groups", sg_project_query(req, s->name)));
    if (ec2gw->os_call(req, &call, sg_rechecked, s) < 0)
        sg_rollback(req, s, "InternalError", "could not call Neutron");
}

static void
sg_name_checked(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct sg_create *s = arg;
    json_t *body;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (json_array_size(sg_in_vpc(req, json_object_get(r->json, "security_groups"), s->vpc)) > 0) {
        ec2gw->fail(req, 400, "InvalidGroup.Duplicate",
                    "The security group '%.255s' already exists", s->name);
        return;
    }
    body = neutron_own(req, json_pack("{s:{s:s, s:s}}", "security_group", "name", s->name,
                                      "description", s->desc));
    call = EC2GW_OS_CALL("network", "POST", "/v2.0/security-groups", .body = body);
    if (ec2gw->os_call(req, &call, sg_created_group, s) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}

/* EC2's limits on names and descriptions: 255 characters, no sg- names. */
static int
sg_check_text(ec2gw_req_t *req, const char *name, const char *desc)
{
    if (name == NULL || desc == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter %s",
                    name == NULL ? "GroupName" : "GroupDescription");
        return -1;
    }
    if (*name == '\0' || strlen(name) > 255 || strlen(desc) > 255) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value for %s: 1 to 255 characters are allowed",
                    strlen(desc) > 255 ? "GroupDescription" : "GroupName");
        return -1;
    }
    if (strncmp(name, "sg-", 3) == 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value '%.64s' for GroupName: group names may not be in the format "
                    "sg-*",
                    name);
        return -1;
    }
    if (strcmp(name, "default") == 0) {
        ec2gw->fail(req, 400, "InvalidGroup.Reserved", "The security group 'default' is reserved");
        return -1;
    }
    return 0;
}

/* The group's VPC is known (NULL: classic): check the name among its groups. */
static void
sg_create_in(ec2gw_req_t *req, const char *vpc, void *arg)
{
    struct sg_create *s = arg;
    ec2gw_os_call_t call = EC2GW_OS_GET(
        "network", neutron_path(req, "security-groups", sg_project_query(req, s->name)));

    s->vpc = vpc;
    if (ec2gw->os_call(req, &call, sg_name_checked, s) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}

int
neutron_create_security_group(ec2gw_req_t *req, void *inst)
{
    struct sg_create *s = ec2gw->pcalloc(req, sizeof(*s));
    const char *vpc = neutron_param_str(req, "VpcId");
    json_t *vpc_data = NULL;

    s->name = neutron_param_str(req, "GroupName");
    s->desc = neutron_param_str(req, "Description");
    if (sg_check_text(req, s->name, s->desc) != 0)
        return EC2GW_OK;
    if (vpc != NULL && (neutron_vpc_get(req, vpc, &vpc_data) != EC2GW_OK || vpc_data == NULL))
        return EC2GW_OK;
    json_decref(vpc_data);
    if (neutron_check_tag_specs(req, "security-group") != 0)
        return EC2GW_OK;
    s->tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), "security-group"));
    /* without VpcId the group goes to the default VPC when there is one, as in AWS */
    if (vpc == NULL)
        return neutron_default_vpc_ensure(req, inst, sg_create_in, s);
    sg_create_in(req, vpc, s);
    return EC2GW_AGAIN;
}

/* -- DeleteSecurityGroup ----------------------------------------------------------------- */

static void
sg_group_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    static const struct neutron_errmap errors = { .conflict = "DependencyViolation" };
    struct sg_ctx *c = sg_ctx(req);
    json_t *rule_ids;
    const char *k;
    json_t *v;

    (void)arg;
    if (!ec2gw_os_ok(r) && r->status != 404) {
        if (r->status == 409) {
            ec2gw->fail(req, 400, "DependencyViolation", "resource %s has a dependent object",
                        c->group_id);
            return;
        }
        neutron_fail(req, r, &errors);
        return;
    }
    rule_ids = neutron_map_ids(req, "sgr", json_object_get(c->group, "security_group_rules"));
    json_object_foreach(rule_ids, k, v) ec2gw->item_delete(req, json_string_value(v));
    ec2gw->item_delete(req, c->group_id);
    ec2gw->finish(req, json_pack("{s:b, s:s}", "Return", 1, "GroupId", c->group_id));
}

/* Another group's rule that names this one as its source: EC2 refuses to delete it. */
static const char *
sg_referenced_by(struct sg_ctx *c)
{
    const char *me = neutron_str(c->group, "id");
    const json_t *g, *r;
    size_t i, j;

    json_array_foreach(c->groups, i, g)
    {
        if (g == c->group)
            continue;
        json_array_foreach(
            json_object_get(g, "security_group_rules"), j,
            r) if (strcmp(neutron_or(neutron_str(r, "remote_group_id")), me) ==
                   0) return json_string_value(json_object_get(c->names.group_ids,
                                                               neutron_or(neutron_str(g, "id"))));
    }
    return NULL;
}

static void
sg_delete_loaded(ec2gw_req_t *req, struct sg_ctx *c)
{
    const char *by;
    ec2gw_os_call_t call;

    if (strcmp(neutron_or(neutron_str(c->group, "name")), "default") == 0 ||
        strncmp(neutron_or(neutron_str(c->group, "name")), VPC_SG_DEFAULT_PREFIX "vpc-",
                strlen(VPC_SG_DEFAULT_PREFIX "vpc-")) == 0) {
        ec2gw->fail(req, 400, "CannotDelete",
                    "the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
                    c->group_id);
        return;
    }
    if ((by = sg_referenced_by(c)) != NULL) {
        ec2gw->fail(req, 400, "DependencyViolation",
                    "resource %s has a dependent object (a rule of %s)", c->group_id, by);
        return;
    }
    call = EC2GW_OS_CALL("network", "DELETE",
                         ec2gw->psprintf(req, "/v2.0/security-groups/%s",
                                         ec2gw->url_escape(req, neutron_str(c->group, "id"))),
                         .flags = 0);
    if (ec2gw->os_call(req, &call, sg_group_deleted, NULL) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}

int
neutron_delete_security_group(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return sg_load(req, 1, sg_delete_loaded);
}
