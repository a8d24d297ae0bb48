/* builtins.c - DescribeRegions (from config) and the tag actions (from the database). */
#include "server/builtins.h"

#include <stdlib.h>
#include <string.h>

#include "actions/tags_actions.h"
#include "data/filters.h"

typedef int (*builtin_fn)(ec2gw_req_t *r, json_t **model, ec2gw_fault_t *f);

static int
region_filter_values(const json_t *item, const char *name, json_t *out, void *arg)
{
    (void)arg;
    if (strcmp(name, "region-name") == 0)
        json_array_append(out, json_object_get(item, "RegionName"));
    else if (strcmp(name, "endpoint") == 0)
        json_array_append(out, json_object_get(item, "Endpoint"));
    else if (strcmp(name, "opt-in-status") == 0)
        json_array_append(out, json_object_get(item, "OptInStatus"));
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

static json_t *
region_item(const char *name, const char *endpoint)
{
    return json_pack("{s:s,s:s,s:s}", "RegionName", name, "Endpoint", endpoint, "OptInStatus",
                     "opt-in-not-required");
}

static int
describe_regions(ec2gw_req_t *r, json_t **model, ec2gw_fault_t *f)
{
    const ec2gw_daemon_conf_t *c = &r->gen->conf;
    json_t *all = json_array(), *names = json_object_get(r->params_json, "RegionNames");
    json_t *kept, *picked;
    size_t i;
    json_t *v;

    json_array_append_new(all, region_item(c->region, c->endpoint));
    for (i = 0; i < c->extra_regions.n; i++) {
        const char *eq = strchr(c->extra_regions.v[i], '=');
        char *name = strndup(c->extra_regions.v[i], (size_t)(eq - c->extra_regions.v[i]));

        json_array_append_new(all, region_item(name, eq + 1));
        free(name);
    }
    picked = json_array();
    json_array_foreach(all, i, v)
    {
        size_t j;
        json_t *n;
        int want = json_array_size(names) == 0;

        json_array_foreach(names, j, n) want |= json_equal(n, json_object_get(v, "RegionName"));
        if (want)
            json_array_append(picked, v);
    }
    json_array_foreach(names, i, v)
    {
        size_t j;
        json_t *reg;
        int known = 0;

        json_array_foreach(all, j, reg) known |= json_equal(v, json_object_get(reg, "RegionName"));
        if (!known) {
            ec2gw_fault_set(f, "InvalidParameterValue", "Invalid region: %s", json_string_value(v));
            json_decref(all);
            json_decref(picked);
            return -1;
        }
    }
    json_decref(all);
    kept = ec2gw_filter_apply(json_object_get(r->params_json, "Filters"), picked, "RegionName",
                              NULL, region_filter_values, NULL, f);
    json_decref(picked);
    if (kept == NULL)
        return -1;
    *model = json_pack("{s:o}", "Regions", kept);
    return 0;
}

static int
create_tags(ec2gw_req_t *r, json_t **model, ec2gw_fault_t *f)
{
    return ec2gw_action_create_tags(r->d->db, r->identity.project_id, r->params_json, model, f);
}

static int
delete_tags(ec2gw_req_t *r, json_t **model, ec2gw_fault_t *f)
{
    return ec2gw_action_delete_tags(r->d->db, r->identity.project_id, r->params_json, model, f);
}

static int
describe_tags(ec2gw_req_t *r, json_t **model, ec2gw_fault_t *f)
{
    return ec2gw_action_describe_tags(r->d->db, r->identity.project_id, r->params_json, model,
                                      f);
}

static const struct {
    const char *action;
    builtin_fn fn;
} builtins[] = {
    { "CreateTags", create_tags },
    { "DeleteTags", delete_tags },
    { "DescribeRegions", describe_regions },
    { "DescribeTags", describe_tags },
};

static builtin_fn
find(const char *action)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcmp(builtins[i].action, action) == 0)
            return builtins[i].fn;
    return NULL;
}

int
ec2gw_builtin_serves(const char *action)
{
    return find(action) != NULL;
}

void
ec2gw_builtin_run(ec2gw_req_t *r)
{
    ec2gw_fault_t f = { 0 };
    json_t *model = NULL;

    if (find(r->action)(r, &model, &f) != 0)
        ec2gw_req_fail(r, &f);
    else
        ec2gw_req_finish(r, model);
}
