/*
 * sg_rules.c - Authorize/RevokeSecurityGroupIngress/Egress.
 *
 * Authorize: every (permission x source) is one Neutron rule; a rule the group already has
 * is InvalidPermission.Duplicate before anything is made, and the new rules are made in one
 * bulk call. Revoke: the permissions (or SecurityGroupRuleId.N) are matched on the canonical
 * key; none matching is InvalidPermission.NotFound, some matching revokes those and lists
 * the others in unknownIpPermissionSet, as AWS does.
 */
#include <string.h>

#include "neutron.h"
#include "sg.h"

static int
sg_is_egress(ec2gw_req_t *req)
{
    const char *a = ec2gw->action(req);
    size_t n = strlen(a);

    return n > 6 && strcmp(a + n - 6, "Egress") == 0;
}

/* Tags of TagSpecifications on the new rules, and the answer. */
static void
sg_authorized(ec2gw_req_t *req, struct sg_ctx *c)
{
    json_t *tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), "security-group-rule"));
    json_t *rules = json_array();
    const json_t *r;
    size_t i;

    json_array_foreach(c->created, i, r)
    {
        json_t *canon = sg_canon_from_neutron(r);
        json_t *m = sg_rule_model(canon, &c->names);
        const char *id = neutron_str(m, "SecurityGroupRuleId");

        if (json_array_size(tags) > 0 && id != NULL) {
            if (ec2gw->tags_set(req, id, tags) != 0)
                ec2gw->log(req, EC2GW_LOG_WARN, "tags of %s not stored", id);
            json_object_set(m, "Tags", tags);
        }
        json_array_append_new(rules, m);
        json_decref(canon);
    }
    ec2gw->finish(req, json_pack("{s:b, s:o}", "Return", 1, "SecurityGroupRules", rules));
}

static void
sg_authorize_loaded(ec2gw_req_t *req, struct sg_ctx *c)
{
    json_t *want, *seen = neutron_own(req, json_object());
    const json_t *e;
    size_t i;
    char key[512], text[512];

    if (neutron_check_tag_specs(req, "security-group-rule") != 0)
        return;
    if ((want = sg_perms_parse(req, c, ec2gw->params(req))) == NULL)
        return;
    if (json_array_size(want) == 0) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter ipPermissions");
        return;
    }
    json_array_foreach(sg_existing(req, c), i, e)
        json_object_set_new(seen, sg_canon_key(e, key, sizeof(key)), json_true());
    json_array_foreach(want, i, e)
    {
        if (json_object_get(seen, sg_canon_key(e, key, sizeof(key))) != NULL) {
            ec2gw->fail(req, 400, "InvalidPermission.Duplicate",
                        "the specified rule \"%s\" already exists",
                        sg_rule_text(e, &c->names, text, sizeof(text)));
            return;
        }
        json_object_set_new(seen, key, json_true());
    }
    c->add = want;
    c->del = neutron_own(req, json_array());
    c->keep_ids = neutron_own(req, json_array());
    c->next = sg_authorized;
    sg_change(req, c);
}

int
neutron_authorize_security_group(ec2gw_req_t *req, void *inst)
{
    struct sg_ctx *c = sg_ctx(req);

    c->inst = inst;
    c->egress = sg_is_egress(req);
    return sg_load(req, 1, sg_authorize_loaded);
}

/* -- Revoke ----------------------------------------------------------------------------- */

static void
sg_revoked(ec2gw_req_t *req, struct sg_ctx *c)
{
    json_t *out = json_array();
    const json_t *r;
    size_t i;

    json_array_foreach(c->del, i, r)
    {
        json_t *canon = sg_canon_from_neutron(r);
        json_t *m = sg_rule_model(canon, &c->names);
        const json_t *ref = json_object_get(m, "ReferencedGroupInfo");
        const char *id = neutron_str(m, "SecurityGroupRuleId");

        if (ref != NULL)
            json_object_set(m, "ReferencedGroupId", json_object_get(ref, "GroupId"));
        json_object_del(m, "ReferencedGroupInfo");
        json_object_del(m, "GroupOwnerId");
        json_object_del(m, "Tags");
        if (id != NULL)
            ec2gw->item_delete(req, id);
        json_array_append_new(out, m);
        json_decref(canon);
    }
    r = json_object_get(c->work, "unknown");
    ec2gw->finish(req, json_pack("{s:b, s:o, s:o}", "Return", 1, "RevokedSecurityGroupRules", out,
                                 "UnknownIpPermissions", sg_perms_model(r, &c->names)));
}

/* The group's Neutron rules named by SecurityGroupRuleId.N, appended to @p del; 0 or -1. */
static int
sg_rules_by_id(ec2gw_req_t *req, struct sg_ctx *c, json_t *del, json_t *taken)
{
    const json_t *ids = json_object_get(ec2gw->params(req), "SecurityGroupRuleIds"), *e;
    json_t *r;
    const char *dir = c->egress ? "egress" : "ingress";
    size_t i, j;

    json_array_foreach(ids, i, e)
    {
        const char *id = neutron_or(json_string_value(e)), *os = NULL;
        int found = 0;

        if (strncmp(id, "sgr-", 4) != 0) {
            ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"sgr-...\")", id);
            return -1;
        }
        if (ec2gw->id_to_os(req, id, &os) == 0)
            json_array_foreach(json_object_get(c->group, "security_group_rules"), j,
                               r) if (strcmp(neutron_or(neutron_str(r, "id")), os) == 0 &&
                                      strcmp(neutron_or(neutron_str(r, "direction")), dir) == 0)
            {
                if (json_object_get(taken, os) == NULL)
                    json_array_append(del, r);
                json_object_set_new(taken, os, json_true());
                found = 1;
            }
        if (!found) {
            ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.NotFound",
                        "The security group rule ID '%.64s' does not exist", id);
            return -1;
        }
    }
    return 0;
}

static void
sg_revoke_loaded(ec2gw_req_t *req, struct sg_ctx *c)
{
    json_t *want, *del = neutron_own(req, json_array()), *taken = neutron_own(req, json_object());
    json_t *unknown = neutron_own(req, json_array());
    json_t *e;
    const json_t *have;
    size_t i, j;
    char key[512], k2[512];

    if ((want = sg_perms_parse(req, c, ec2gw->params(req))) == NULL)
        return;
    if (sg_rules_by_id(req, c, del, taken) != 0)
        return;
    if (json_array_size(want) == 0 && json_array_size(del) == 0) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter ipPermissions or "
                    "securityGroupRuleId");
        return;
    }
    have = sg_existing(req, c);
    json_array_foreach(want, i, e)
    {
        int found = 0;
        const json_t *h;

        sg_canon_key(e, key, sizeof(key));
        json_array_foreach(have, j, h)
        {
            if (strcmp(sg_canon_key(h, k2, sizeof(k2)), key) != 0)
                continue;
            found = 1; /* every match: a group source may have IPv4 and IPv6 rules */
            json_object_set_new(taken, neutron_str(h, "id"), json_true());
        }
        if (!found)
            json_array_append(unknown, e);
    }
    /* Neutron objects for the matched canonical rules, in the group's order. */
    json_array_clear(del);
    json_array_foreach(json_object_get(c->group, "security_group_rules"), i,
                       e) if (json_object_get(taken, neutron_or(neutron_str(e, "id"))) != NULL)
        json_array_append(del, e);
    if (json_array_size(del) == 0) {
        ec2gw->fail(req, 400, "InvalidPermission.NotFound",
                    "The specified rule does not exist in this security group.");
        return;
    }
    if (c->work == NULL)
        c->work = neutron_own(req, json_object());
    json_object_set(c->work, "unknown", unknown);
    c->del = del;
    c->add = neutron_own(req, json_array());
    c->keep_ids = neutron_own(req, json_array());
    c->next = sg_revoked;
    sg_change(req, c);
}

int
neutron_revoke_security_group(ec2gw_req_t *req, void *inst)
{
    struct sg_ctx *c = sg_ctx(req);

    c->inst = inst;
    c->egress = sg_is_egress(req);
    return sg_load(req, 1, sg_revoke_loaded);
}
