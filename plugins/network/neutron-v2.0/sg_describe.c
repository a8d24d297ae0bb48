/*
 * sg_describe.c - DescribeSecurityGroups and DescribeSecurityGroupRules.
 *
 * One Neutron list call each, scoped to the caller's project; GroupId.N / GroupName.N and
 * exact group-id / group-name filters are pushed into its query (and still checked here).
 */
#include <string.h>

#include "neutron.h"
#include "sg.h"
#include "vpc.h"

/* Exact values of filter @p name (no wildcards), or NULL when it is absent or has any. */
static const json_t *
sg_exact_filter(const json_t *params, const char *name)
{
    const json_t *f, *v;
    size_t i, j;

    json_array_foreach(json_object_get(params, "Filters"), i, f)
    {
        if (strcmp(neutron_or(neutron_str(f, "Name")), name) != 0)
            continue;
        json_array_foreach(json_object_get(f, "Values"), j,
                           v) if (strpbrk(neutron_or(json_string_value(v)), "*?\\") !=
                                  NULL) return NULL;
        return json_object_get(f, "Values");
    }
    return NULL;
}

/* The Neutron ids of EC2 group ids @p ids into the query @p q; -1 after failing (bad id). */
static int
sg_ids_query(ec2gw_req_t *req, const json_t *ids, char **q, int strict)
{
    const json_t *e;
    size_t i;

    json_array_foreach(ids, i, e)
    {
        const char *id = neutron_or(json_string_value(e)), *os = NULL;
        int rc;

        if (strncmp(id, "sg-", 3) != 0 && strict) {
            ec2gw->fail(req, 400, "InvalidGroupId.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"sg-...\")", id);
            return -1;
        }
        rc = ec2gw->id_to_os(req, id, &os);
        if (rc != 0 && strict) {
            sg_not_found(req, id);
            return -1;
        }
        /* an unknown id in a filter matches nothing; Neutron ids are never "-" */
        *q = ec2gw->psprintf(req, "%s&id=%s", *q, rc == 0 ? ec2gw->url_escape(req, os) : "-");
    }
    return 0;
}

/* Put tagSet on each model of @p items keyed by @p key (one database read). */
static void
sg_attach_tags(ec2gw_req_t *req, json_t *items, const char *key)
{
    size_t n = json_array_size(items);
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *tags = NULL, *it;
    size_t i;

    json_array_foreach(items, i, it) ids[i] = neutron_or(neutron_str(it, key));
    if (n == 0 || ec2gw->tags_get(req, ids, n, &tags) != 0)
        return;
    json_array_foreach(items, i, it)
    {
        json_t *t = json_object_get(tags, ids[i]);

        if (t != NULL)
            json_object_set(it, "Tags", t);
    }
    json_decref(tags);
}

static void
sg_add_str(json_t *values, const json_t *v)
{
    if (json_is_string(v))
        json_array_append_new(values, json_string(json_string_value(v)));
    else if (json_is_integer(v))
        json_array_append_new(values, json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v)));
}

/* Values of "ip-permission.<sub>" over permissions @p perms; EC2GW_E_NOTFOUND if unknown. */
static int
sg_perm_values(const json_t *perms, const char *sub, json_t *values)
{
    static const struct {
        const char *sub, *list, *member;
    } subs[] = {
        { "cidr", "IpRanges", "CidrIp" },
        { "ipv6-cidr", "Ipv6Ranges", "CidrIpv6" },
        { "group-id", "UserIdGroupPairs", "GroupId" },
        { "group-name", "UserIdGroupPairs", "GroupName" },
        { "user-id", "UserIdGroupPairs", "UserId" },
        { "prefix-list-id", "PrefixListIds", "PrefixListId" },
        { "protocol", NULL, "IpProtocol" },
        { "from-port", NULL, "FromPort" },
        { "to-port", NULL, "ToPort" },
    };
    const json_t *p, *e;
    size_t i, j;

    for (size_t s = 0; s < sizeof(subs) / sizeof(subs[0]); s++) {
        if (strcmp(sub, subs[s].sub) != 0)
            continue;
        json_array_foreach(perms, i, p)
        {
            if (subs[s].list == NULL) {
                sg_add_str(values, json_object_get(p, subs[s].member));
                continue;
            }
            json_array_foreach(json_object_get(p, subs[s].list), j, e)
                sg_add_str(values, json_object_get(e, subs[s].member));
        }
        return 0;
    }
    return EC2GW_E_NOTFOUND;
}

static int
sg_group_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    static const struct {
        const char *filter, *member;
    } plain[] = {
        { "description", "Description" }, { "group-id", "GroupId" }, { "group-name", "GroupName" },
        { "owner-id", "OwnerId" },        { "vpc-id", "VpcId" },
    };

    (void)req;
    (void)arg;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (strcmp(name, plain[i].filter) == 0) {
            sg_add_str(values, json_object_get(item, plain[i].member));
            return 0;
        }
    if (strncmp(name, "ip-permission.", 14) == 0)
        return sg_perm_values(json_object_get(item, "IpPermissions"), name + 14, values);
    if (strncmp(name, "egress.ip-permission.", 21) == 0)
        return sg_perm_values(json_object_get(item, "IpPermissionsEgress"), name + 21, values);
    return EC2GW_E_NOTFOUND;
}

/* Every requested GroupId / GroupName was found, else fail NotFound for the first missing. */
static int
sg_all_found(ec2gw_req_t *req, const json_t *models)
{
    static const char *const keys[][2] = { { "GroupIds", "GroupId" },
                                           { "GroupNames", "GroupName" } };
    const json_t *params = ec2gw->params(req), *want, *m;
    size_t i, j;

    for (size_t k = 0; k < 2; k++)
        json_array_foreach(json_object_get(params, keys[k][0]), i, want)
        {
            int found = 0;

            json_array_foreach(models, j, m) if (json_equal(json_object_get(m, keys[k][1]), want))
                found = 1;
            if (!found) {
                sg_not_found(req, neutron_or(json_string_value(want)));
                return -1;
            }
        }
    return 0;
}

/* Neutron's answer re-checked: only the groups GroupId.N and GroupName.N ask for (pool). */
static json_t *
sg_only_asked(ec2gw_req_t *req, json_t *models)
{
    const json_t *params = ec2gw->params(req), *want;
    const json_t *ids = json_object_get(params, "GroupIds");
    const json_t *names = json_object_get(params, "GroupNames");
    json_t *out;
    size_t i, j;

    if (ids == NULL && names == NULL)
        return models;
    out = neutron_own(req, json_array());
    for (i = 0; i < json_array_size(models); i++) {
        json_t *m = json_array_get(models, i);
        int keep = 0;

        json_array_foreach(ids, j, want) keep |= json_equal(json_object_get(m, "GroupId"), want);
        json_array_foreach(names, j, want) keep |=
            json_equal(json_object_get(m, "GroupName"), want);
        if (keep)
            json_array_append(out, m);
    }
    return out;
}

/* VpcId of the groups of a VPC, and their EC2 name where it differs from Neutron's (the
 * VPC default group), from their rows (one read). */
static void
sg_vpc_members(ec2gw_req_t *req, json_t *models)
{
    size_t n = json_array_size(models), i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *rows = NULL, *m;

    json_array_foreach(models, i, m) ids[i] = neutron_str(m, "GroupId");
    if (n == 0 || ec2gw->items_get(req, ids, n, &rows) != 0)
        return;
    json_array_foreach(models, i, m)
    {
        const json_t *row = ids[i] != NULL ? json_object_get(rows, ids[i]) : NULL;
        const char *vpc = neutron_str(row, VPC_F_VPC_ID),
                   *name = neutron_str(row, VPC_F_GROUP_NAME);

        if (vpc != NULL)
            json_object_set_new(m, "VpcId", json_string(vpc));
        if (name != NULL)
            json_object_set_new(m, "GroupName", json_string(name));
    }
    json_decref(rows);
}

static void
sg_groups_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *groups = json_object_get(r->json, "security_groups"), *g;
    struct sg_names names = { 0 };
    json_t *models = neutron_own(req, json_array()), *page;
    const char *next = NULL;
    size_t i;

    (void)arg;
    if (!ec2gw_os_ok(r) || !json_is_array(groups)) {
        neutron_fail(req, r, NULL);
        return;
    }
    names.group_ids = neutron_map_ids(req, "sg", groups);
    names.group_names = neutron_own(req, json_object());
    names.rule_ids = neutron_own(req, json_object());
    names.owner = ec2gw->identity(req)->owner_id;
    json_array_foreach(groups, i, g) json_object_set(
        names.group_names, neutron_or(neutron_str(g, "id")), json_object_get(g, "name"));
    sg_map_remote_groups(req, groups, names.group_ids);
    json_array_foreach(groups, i, g) json_array_append_new(models, sg_group_model(g, &names));
    sg_vpc_members(req, models);
    if (sg_all_found(req, models) != 0)
        return;
    models = sg_only_asked(req, models);
    sg_attach_tags(req, models, "GroupId");
    page = neutron_filter_page(req, models, "GroupId", "GroupId", sg_group_values, NULL, &next);
    if (page != NULL)
        neutron_finish_list(req, "SecurityGroups", page, next);
}

static void
sg_describe_groups(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    const json_t *params = ec2gw->params(req), *f;
    char *q = ec2gw->psprintf(req, "project_id=%s",
                              ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
    ec2gw_os_call_t call;

    (void)default_vpc;
    (void)arg;
    if (sg_ids_query(req, json_object_get(params, "GroupIds"), &q, 1) != 0)
        return;
    q = neutron_query_add(req, q, "name", json_object_get(params, "GroupNames"));
    if (json_object_get(params, "GroupIds") == NULL &&
        (f = sg_exact_filter(params, "group-id")) != NULL)
        (void)sg_ids_query(req, f, &q, 0);
    if (json_object_get(params, "GroupNames") == NULL &&
        (f = sg_exact_filter(params, "group-name")) != NULL)
        q = neutron_query_add(req, q, "name", f);
    call = EC2GW_OS_GET("network", neutron_path(req, "security-groups", q));
    call.flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    if (ec2gw->os_call(req, &call, sg_groups_listed, NULL) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}

int
neutron_describe_security_groups(ec2gw_req_t *req, void *inst)
{
    return neutron_default_vpc_ensure(req, inst, sg_describe_groups, NULL);
}

/* -- DescribeSecurityGroupRules ------------------------------------------------------------ */

static int
sg_rule_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    (void)req;
    (void)arg;
    if (strcmp(name, "group-id") == 0)
        sg_add_str(values, json_object_get(item, "GroupId"));
    else if (strcmp(name, "security-group-rule-id") == 0)
        sg_add_str(values, json_object_get(item, "SecurityGroupRuleId"));
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

static void
sg_rules_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *rules = json_object_get(r->json, "security_group_rules"), *e;
    const json_t *want = json_object_get(ec2gw->params(req), "SecurityGroupRuleIds");
    struct sg_names names = { 0 };
    json_t *models = neutron_own(req, json_array()), *page, *groups;
    const char *next = NULL;
    size_t i, j;

    (void)arg;
    if (!ec2gw_os_ok(r) || !json_is_array(rules)) {
        neutron_fail(req, r, NULL);
        return;
    }
    groups = neutron_own(req, json_array());
    json_array_foreach(rules, i, e) json_array_append_new(
        groups, json_pack("{s:O*}", "id", json_object_get(e, "security_group_id")));
    names.group_ids = neutron_map_ids(req, "sg", groups);
    names.rule_ids = neutron_map_ids(req, "sgr", rules);
    names.group_names = neutron_own(req, json_object());
    names.owner = ec2gw->identity(req)->owner_id;
    sg_map_remote_groups(req, rules, names.group_ids);
    json_array_foreach(rules, i, e)
    {
        json_t *canon = sg_canon_from_neutron(e);

        json_array_append_new(models, sg_rule_model(canon, &names));
        json_decref(canon);
    }
    json_array_foreach(want, i, e)
    {
        int found = 0;
        const json_t *m;

        json_array_foreach(models, j, m) found |=
            json_equal(json_object_get(m, "SecurityGroupRuleId"), e);
        if (!found) {
            ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.NotFound",
                        "The security group rule ID '%.64s' does not exist",
                        neutron_or(json_string_value(e)));
            return;
        }
    }
    sg_attach_tags(req, models, "SecurityGroupRuleId");
    page = neutron_filter_page(req, models, "SecurityGroupRuleId", "SecurityGroupRuleId",
                               sg_rule_values, NULL, &next);
    if (page != NULL)
        neutron_finish_list(req, "SecurityGroupRules", page, next);
}

int
neutron_describe_security_group_rules(ec2gw_req_t *req, void *inst)
{
    const json_t *params = ec2gw->params(req), *f, *e;
    char *q = ec2gw->psprintf(req, "project_id=%s",
                              ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
    ec2gw_os_call_t call;
    size_t i;

    (void)inst;
    json_array_foreach(json_object_get(params, "SecurityGroupRuleIds"), i, e)
    {
        const char *id = neutron_or(json_string_value(e)), *os = NULL;

        if (strncmp(id, "sgr-", 4) != 0) {
            ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"sgr-...\")", id);
            return EC2GW_OK;
        }
        if (ec2gw->id_to_os(req, id, &os) != 0) {
            ec2gw->fail(req, 400, "InvalidSecurityGroupRuleId.NotFound",
                        "The security group rule ID '%.64s' does not exist", id);
            return EC2GW_OK;
        }
        q = ec2gw->psprintf(req, "%s&id=%s", q, ec2gw->url_escape(req, os));
    }
    if ((f = sg_exact_filter(params, "group-id")) != NULL)
        json_array_foreach(f, i, e)
        {
            const char *os = NULL;

            if (ec2gw->id_to_os(req, neutron_or(json_string_value(e)), &os) != 0)
                os = "-";
            q = ec2gw->psprintf(req, "%s&security_group_id=%s", q, ec2gw->url_escape(req, os));
        }
    call = EC2GW_OS_GET("network", neutron_path(req, "security-group-rules", q));
    call.flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    return ec2gw->os_call(req, &call, sg_rules_listed, NULL);
}
