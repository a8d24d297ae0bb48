/*
 * model_plugin.c - a test plugin for the fake host's model checks, leak report and shared
 * filters/paging (issue 16 #4, #6): answers with a misspelt member on request, keeps a
 * reference it gave own_json(), and reports the JSON type its MaxResults arrived with.
 */
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

static const char *
type_name(const json_t *v)
{
    return json_is_integer(v) ? "integer" : json_is_string(v) ? "string" : "other";
}

/* AllRegions=true: the answer has a misspelt member ("RegionNmae") the renderer drops. */
static int
model_describe_regions(ec2gw_req_t *req, void *inst)
{
    int typo = json_is_true(json_object_get(ec2gw->params(req), "AllRegions"));

    (void)inst;
    ec2gw->finish(req,
                  json_pack("{s:[{s:s}]}", "Regions", typo ? "RegionNmae" : "RegionName", "r1"));
    return EC2GW_OK;
}

/* Where the leaked reference stays reachable, so that LeakSanitizer keeps quiet about it and
 * only the fake host's check reports it. */
static json_t *volatile model_kept; /* volatile: a store nobody reads is kept */

/* IncludePublicKey=false: own_json() on a value whose creation reference is never dropped. */
static int
model_describe_key_pairs(ec2gw_req_t *req, void *inst)
{
    const json_t *dry = json_object_get(ec2gw->params(req), "IncludePublicKey");
    json_t *scratch = json_object();

    (void)inst;
    ec2gw->own_json(req, scratch);
    if (!json_is_false(dry))
        json_decref(scratch); /* the right way */
    else
        model_kept = scratch;
    ec2gw->finish(req, json_pack("{s:[]}", "KeyPairs"));
    return EC2GW_OK;
}

static int
model_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *out, void *arg)
{
    (void)req;
    (void)arg;
    if (strcmp(name, "instance-id") != 0)
        return EC2GW_E_NOTFOUND;
    json_array_append(out, json_object_get(item, "InstanceId"));
    return 0;
}

/* Seven instances through filter() and page(); ReservationId names MaxResults' JSON type. */
static int
model_describe_instances(ec2gw_req_t *req, void *inst)
{
    json_t *items = json_array(), *kept, *page, *model;
    const char *next = NULL;

    (void)inst;
    for (int i = 1; i <= 7; i++)
        json_array_append_new(items,
                              json_pack("{s:s}", "InstanceId", ec2gw->psprintf(req, "i-%017d", i)));
    kept = ec2gw->filter(req, items, "InstanceId", model_values, NULL);
    json_decref(items);
    if (kept == NULL)
        return EC2GW_OK; /* the host answered */
    page = ec2gw->page(req, kept, "InstanceId", &next);
    json_decref(kept);
    if (page == NULL)
        return EC2GW_OK;
    model = json_pack(
        "{s:[{s:s, s:o}]}", "Reservations", "ReservationId",
        ec2gw->psprintf(req, "r-%s", type_name(json_object_get(ec2gw->params(req), "MaxResults"))),
        "Instances", page);
    if (next != NULL)
        json_object_set_new(model, "NextToken", json_string(next));
    ec2gw->finish(req, model);
    return EC2GW_OK;
}

static const ec2gw_action_t model_actions[] = {
    { .name = "DescribeRegions", .fn = model_describe_regions, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeKeyPairs", .fn = model_describe_key_pairs, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeInstances", .fn = model_describe_instances, .flags = EC2GW_ACT_READONLY },
    /* in no EC2 model: the fake host answers InvalidAction as ec2gwd does */
    { .name = "DescribeUnicorns", .fn = model_describe_regions, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

static int
model_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "th-model",
    .version = "0.0.1",
    .service = { .type = "compute", .api = "v2.1" },
    .actions = model_actions,
    .load = model_load,
};
