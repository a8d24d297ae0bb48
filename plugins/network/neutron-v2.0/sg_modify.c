/*
 * sg_modify.c - ModifySecurityGroupRules and UpdateSecurityGroupRuleDescriptionsIngress/Egress.
 *
 * Neutron rules cannot be changed (PUT answers 500, even for the description), so a changed
 * rule is replaced: the old rule is deleted and the new one created, all or nothing
 * (sg_change.c), and the new rule keeps the old sgr- id, as a modified AWS rule does.
 */
#include <string.h>

#include "neutron.h"
#include "sg.h"

/* The group's Neutron rule behind sgr- id @p id (any direction), or NULL after failing. */
static json_t *
sg_rule_by_id(ec2gw_req_t *req, struct sg_ctx *c, const char *id)
{
    const char *os = NULL;
    json_t *r;
    size_t i;

    if (id == NULL || strncmp(id, "sgr-", 4) != 0) {
        ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"sgr-...\")", neutron_or(id));
        return NULL;
    }
    if (ec2gw->id_to_os(req, id, &os) == 0)
        json_array_foreach(json_object_get(c->group, "security_group_rules"), i,
                           r) if (strcmp(neutron_or(neutron_str(r, "id")), os) == 0) return r;
    ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.NotFound",
                "The security group rule ID '%.64s' does not exist in %s", id, c->group_id);
    return NULL;
}

/* Replace c->del by c->add unless that makes two equal rules; then run the change. */
static void
sg_replace(ec2gw_req_t *req, struct sg_ctx *c)
{
    json_t *keys = neutron_own(req, json_object()), *gone = neutron_own(req, json_object());
    const json_t *r;
    size_t i;
    char key[512], text[512];

    json_array_foreach(c->del, i, r)
        json_object_set_new(gone, neutron_or(neutron_str(r, "id")), json_true());
    json_array_foreach(json_object_get(c->group, "security_group_rules"), i, r)
    {
        json_t *canon;

        if (json_object_get(gone, neutron_or(neutron_str(r, "id"))) != NULL)
            continue;
        canon = sg_canon_from_neutron(r);
        json_object_set_new(keys, sg_canon_key(canon, key, sizeof(key)), json_true());
        json_decref(canon);
    }
    json_array_foreach(c->add, i, r)
    {
        if (json_object_get(keys, sg_canon_key(r, key, sizeof(key))) != NULL) {
            ec2gw->fail(req, 400, "InvalidPermission.Duplicate",
                        "the specified rule \"%s\" already exists",
                        sg_rule_text(r, &c->names, text, sizeof(text)));
            return;
        }
        json_object_set_new(keys, key, json_true());
    }
    sg_change(req, c);
}

static void
sg_return_true(ec2gw_req_t *req, struct sg_ctx *c)
{
    (void)c;
    neutron_finish_true(req);
}

/* SecurityGroupRuleRequest as one IpPermissions entry (returns new), or NULL after failing. */
static json_t *
sg_request_perm(ec2gw_req_t *req, const json_t *rr)
{
    const char *desc = neutron_str(rr, "Description");
    json_t *p =
        json_pack("{s:O*, s:[], s:[], s:[]}", "IpProtocol", json_object_get(rr, "IpProtocol"),
                  "IpRanges", "Ipv6Ranges", "UserIdGroupPairs");

    if (neutron_str(rr, "PrefixListId") != NULL) {
        json_decref(p);
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "The parameter PrefixListId is not supported: OpenStack Neutron has no "
                    "prefix lists");
        return NULL;
    }
    if ((neutron_str(rr, "CidrIpv4") != NULL) + (neutron_str(rr, "CidrIpv6") != NULL) +
            (neutron_str(rr, "ReferencedGroupId") != NULL) !=
        1) {
        json_decref(p);
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "Exactly one of CidrIpv4, CidrIpv6 and ReferencedGroupId is required");
        return NULL;
    }
    json_object_set(p, "FromPort", json_object_get(rr, "FromPort"));
    json_object_set(p, "ToPort", json_object_get(rr, "ToPort"));
    if (!json_is_integer(json_object_get(rr, "FromPort")))
        json_object_del(p, "FromPort");
    if (!json_is_integer(json_object_get(rr, "ToPort")))
        json_object_del(p, "ToPort");
    if (neutron_str(rr, "CidrIpv4") != NULL)
        json_array_append_new(
            json_object_get(p, "IpRanges"),
            json_pack("{s:s, s:s*}", "CidrIp", neutron_str(rr, "CidrIpv4"), "Description", desc));
    else if (neutron_str(rr, "CidrIpv6") != NULL)
        json_array_append_new(
            json_object_get(p, "Ipv6Ranges"),
            json_pack("{s:s, s:s*}", "CidrIpv6", neutron_str(rr, "CidrIpv6"), "Description", desc));
    else
        json_array_append_new(json_object_get(p, "UserIdGroupPairs"),
                              json_pack("{s:s, s:s*}", "GroupId",
                                        neutron_str(rr, "ReferencedGroupId"), "Description", desc));
    return p;
}

static void
sg_modify_loaded(ec2gw_req_t *req, struct sg_ctx *c)
{
    const json_t *ups = json_object_get(ec2gw->params(req), "SecurityGroupRules"), *u;
    size_t i;

    c->add = neutron_own(req, json_array());
    c->del = neutron_own(req, json_array());
    c->keep_ids = neutron_own(req, json_array());
    if (json_array_size(ups) == 0 || json_array_size(ups) > 100) {
        ec2gw->fail(req, 400, json_array_size(ups) ? "InvalidParameterValue" : "MissingParameter",
                    "SecurityGroupRule.N: 1 to 100 rules are required");
        return;
    }
    json_array_foreach(ups, i, u)
    {
        const char *id = neutron_str(u, "SecurityGroupRuleId");
        json_t *old = sg_rule_by_id(req, c, id);
        const json_t *rr = json_object_get(u, "SecurityGroupRule");
        json_t *perm;
        int rc;

        if (old == NULL)
            return;
        for (size_t k = 0; k < json_array_size(c->del); k++)
            if (json_array_get(c->del, k) == old) {
                ec2gw->fail(req, 400, "InvalidParameterValue",
                            "The security group rule '%.64s' is named twice", id);
                return;
            }
        if (rr == NULL) {
            ec2gw->fail(req, 400, "MissingParameter",
                        "SecurityGroupRule.%zu.SecurityGroupRule is required", i + 1);
            return;
        }
        if ((perm = sg_request_perm(req, rr)) == NULL)
            return;
        c->egress = strcmp(neutron_or(neutron_str(old, "direction")), "egress") == 0;
        rc = sg_perm_parse(req, c, perm, i, c->add);
        json_decref(perm);
        if (rc != 0)
            return;
        json_array_append(c->del, old);
        json_array_append_new(c->keep_ids, json_string(id));
    }
    c->next = sg_return_true;
    sg_replace(req, c);
}

int
neutron_modify_security_group_rules(ec2gw_req_t *req, void *inst)
{
    struct sg_ctx *c = sg_ctx(req);

    c->inst = inst;
    return sg_load(req, 1, sg_modify_loaded);
}

/* -- UpdateSecurityGroupRuleDescriptions* -------------------------------------------------- */

/* Replace @p old by itself with description @p desc (a rule named twice: the last wins). */
static void
sg_redescribe(struct sg_ctx *c, json_t *old, const char *desc, const char *id)
{
    json_t *canon;

    for (size_t i = 0; i < json_array_size(c->del); i++)
        if (json_array_get(c->del, i) == old) {
            json_object_set_new(json_array_get(c->add, i), "desc",
                                json_string(desc != NULL ? desc : ""));
            return;
        }
    canon = sg_canon_from_neutron(old);
    json_object_set_new(canon, "desc", json_string(desc != NULL ? desc : ""));
    json_array_append_new(c->add, canon);
    json_array_append(c->del, old);
    json_array_append_new(c->keep_ids, id != NULL ? json_string(id) : json_null());
}

static void
sg_descriptions_loaded(ec2gw_req_t *req, struct sg_ctx *c)
{
    const json_t *params = ec2gw->params(req), *e;
    json_t *want, *ids;
    size_t i, j;
    char key[512], k2[512], text[512];

    c->add = neutron_own(req, json_array());
    c->del = neutron_own(req, json_array());
    c->keep_ids = neutron_own(req, json_array());
    json_array_foreach(json_object_get(params, "SecurityGroupRuleDescriptions"), i, e)
    {
        json_t *old = sg_rule_by_id(req, c, neutron_str(e, "SecurityGroupRuleId"));

        if (old == NULL)
            return;
        sg_redescribe(c, old, neutron_str(e, "Description"), neutron_str(e, "SecurityGroupRuleId"));
    }
    if ((want = sg_perms_parse(req, c, params)) == NULL)
        return;
    if (json_array_size(want) == 0 && json_array_size(c->del) == 0) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter ipPermissions or "
                    "securityGroupRuleDescriptions");
        return;
    }
    ids = neutron_map_ids(req, "sgr", json_object_get(c->group, "security_group_rules"));
    json_array_foreach(want, i, e)
    {
        json_t *rules = json_object_get(c->group, "security_group_rules");
        int found = 0;

        sg_canon_key(e, key, sizeof(key));
        for (j = 0; j < json_array_size(rules); j++) {
            json_t *r = json_array_get(rules, j), *h = sg_canon_from_neutron(r);

            if (strcmp(neutron_str(h, "dir"), c->egress ? "egress" : "ingress") == 0 &&
                strcmp(sg_canon_key(h, k2, sizeof(k2)), key) == 0) {
                sg_redescribe(c, r, neutron_str(e, "desc"),
                              json_string_value(json_object_get(ids, neutron_str(r, "id"))));
                found = 1;
            }
            json_decref(h);
        }
        if (!found) {
            ec2gw->fail(req, 400, "InvalidPermission.NotFound",
                        "The specified rule \"%s\" does not exist in this security group",
                        sg_rule_text(e, &c->names, text, sizeof(text)));
            return;
        }
    }
    c->next = sg_return_true;
    sg_change(req, c);
}

int
neutron_update_security_group_rule_descriptions(ec2gw_req_t *req, void *inst)
{
    struct sg_ctx *c = sg_ctx(req);
    const char *a = ec2gw->action(req);

    c->inst = inst;
    c->egress = strcmp(a + strlen(a) - 6, "Egress") == 0;
    return sg_load(req, 1, sg_descriptions_loaded);
}
