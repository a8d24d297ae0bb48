/*
 * sg_lookup.c - the first step of every security group write: the caller's groups from
 * Neutron (one call, rules embedded), their sg- ids, and the group the request names.
 */
#include <string.h>

#include "neutron.h"
#include "sg.h"

struct sg_ctx *
sg_ctx(ec2gw_req_t *req)
{
    return ec2gw->state(req, sizeof(struct sg_ctx));
}

void
sg_not_found(ec2gw_req_t *req, const char *what)
{
    ec2gw->fail(req, 400, "InvalidGroup.NotFound", "The security group '%.64s' does not exist",
                what);
}

const json_t *
sg_find(struct sg_ctx *c, const char *ec2_id, const char *name)
{
    const json_t *g;
    size_t i;

    json_array_foreach(c->groups, i, g)
    {
        const char *os_id = neutron_or(neutron_str(g, "id"));

        if (ec2_id != NULL &&
            strcmp(neutron_or(json_string_value(json_object_get(c->names.group_ids, os_id))),
                   ec2_id) == 0)
            return g;
        if (ec2_id == NULL && name != NULL && strcmp(neutron_or(neutron_str(g, "name")), name) == 0)
            return g;
    }
    return NULL;
}

json_t *
sg_existing(ec2gw_req_t *req, struct sg_ctx *c)
{
    const char *dir = c->egress ? "egress" : "ingress";
    json_t *out = neutron_own(req, json_array());
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(c->group, "security_group_rules"), i, r)
    {
        json_t *canon = sg_canon_from_neutron(r);

        if (strcmp(neutron_str(canon, "dir"), dir) == 0)
            json_array_append(out, canon);
        json_decref(canon);
    }
    return out;
}

/* Resolve GroupId (preferred) or GroupName into c->group; 0, or -1 after failing. */
static int
sg_resolve_target(ec2gw_req_t *req, struct sg_ctx *c)
{
    const char *id = neutron_param_str(req, "GroupId");
    const char *name = neutron_param_str(req, "GroupName");

    if (id == NULL && name == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter groupName or groupId");
        return -1;
    }
    if (id != NULL && strncmp(id, "sg-", 3) != 0) {
        ec2gw->fail(req, 400, "InvalidGroupId.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"sg-...\")", id);
        return -1;
    }
    c->group = sg_find(c, id, name);
    if (c->group == NULL) {
        sg_not_found(req, id != NULL ? id : name);
        return -1;
    }
    c->group_id = json_string_value(
        json_object_get(c->names.group_ids, neutron_or(neutron_str(c->group, "id"))));
    return 0;
}

static void
sg_load_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct sg_ctx *c = sg_ctx(req);
    const json_t *g;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    c->groups = json_object_get(r->json, "security_groups");
    if (!json_is_array(c->groups)) {
        ec2gw->fail(req, 500, "InternalError", "Neutron answered without security_groups");
        return;
    }
    ec2gw->own_json(req, c->groups);
    c->names.group_ids = neutron_map_ids(req, "sg", c->groups);
    c->names.group_names = neutron_own(req, json_object());
    c->names.rule_ids = neutron_own(req, json_object());
    c->names.owner = ec2gw->identity(req)->owner_id;
    sg_map_remote_groups(req, c->groups, c->names.group_ids);
    json_array_foreach(c->groups, i, g) json_object_set(
        c->names.group_names, neutron_or(neutron_str(g, "id")), json_object_get(g, "name"));
    if (arg != NULL && sg_resolve_target(req, c) != 0)
        return;
    c->next(req, c);
}

int
sg_load(ec2gw_req_t *req, int target, sg_next_fn next)
{
    struct sg_ctx *c = sg_ctx(req);
    const char *q = ec2gw->psprintf(req, "project_id=%s",
                                    ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
    ec2gw_os_call_t call = EC2GW_OS_GET("network", neutron_path(req, "security-groups", q));

    c->next = next;
    return ec2gw->os_call(req, &call, sg_load_done, target ? (void *)1 : NULL);
}

static void
sg_remote_of(const json_t *rule, const json_t *map, json_t *todo)
{
    const char *g = neutron_str(rule, "remote_group_id");

    if (g != NULL && json_object_get(map, g) == NULL)
        json_array_append_new(todo, json_pack("{s:s}", "id", g));
}

void
sg_map_remote_groups(ec2gw_req_t *req, const json_t *objs, json_t *map)
{
    json_t *todo = neutron_own(req, json_array()), *more;
    const json_t *o, *r;
    const char *k;
    json_t *v;
    size_t i, j;

    json_array_foreach(objs, i, o)
    {
        const json_t *rules = json_object_get(o, "security_group_rules");

        if (rules == NULL)
            sg_remote_of(o, map, todo);
        json_array_foreach(rules, j, r) sg_remote_of(r, map, todo);
    }
    if (json_array_size(todo) == 0)
        return;
    more = neutron_map_ids(req, "sg", todo);
    json_object_foreach(more, k, v) json_object_set(map, k, v);
}
