/*
 * batch_plugin.c - a test plugin for the fake host's ABI 1.1 batched data functions: its
 * DescribeInstances maps "OsIds" of "Kind" with one ids_to_ec2 and with id_to_ec2 one by one,
 * stores "Put" ({"<ec2 id>": data|null}) with item_put, and reads "ItemIds" with items_get
 * and item_get one by one, answering both sides for the test to compare. The fake host
 * checks parameters and answers against the EC2 model, so this machinery probe takes its
 * JSON input as the text of NextToken and answers its JSON as the text of NextToken.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

/* The strings of array @p a (null entries: NULL) in the request's pool; *n their count. */
static const char **
batch_strings(ec2gw_req_t *req, const json_t *a, size_t *n)
{
    const char **v;
    size_t i;
    json_t *e;

    *n = json_array_size(a);
    v = ec2gw->pcalloc(req, (*n + 1) * sizeof(*v));
    json_array_foreach(a, i, e) v[i] = json_string_value(e);
    return v;
}

/* {"Batch": [id|null], "Single": [id|null]}: the same ids either way. */
static json_t *
batch_ids(ec2gw_req_t *req, const json_t *p, int *rc)
{
    const char *kind = json_string_value(json_object_get(p, "Kind"));
    size_t n;
    const char **os = batch_strings(req, json_object_get(p, "OsIds"), &n);
    const char **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));
    json_t *batch = json_array(), *single = json_array();

    *rc = ec2gw->ids_to_ec2(req, kind, os, n, out);
    for (size_t i = 0; i < n; i++) {
        const char *id = NULL;

        if (os[i] == NULL || os[i][0] == '\0' || ec2gw->id_to_ec2(req, kind, os[i], &id) != 0)
            id = NULL;
        json_array_append_new(batch, out[i] != NULL ? json_string(out[i]) : json_null());
        json_array_append_new(single, id != NULL ? json_string(id) : json_null());
    }
    return json_pack("{s:o, s:o}", "Batch", batch, "Single", single);
}

/* {"Items": items_get's answer, "Each": {"<id>": item_get's data} for the ids it succeeds on}. */
static json_t *
batch_items(ec2gw_req_t *req, const json_t *p, int *rc)
{
    size_t n;
    const char **ids = batch_strings(req, json_object_get(p, "ItemIds"), &n);
    json_t *items = NULL, *each = json_object(), *data;
    const char *key;

    json_object_foreach(json_object_get(p, "Put"), key, data)
        ec2gw->item_put(req, key, NULL, json_is_null(data) ? NULL : data);
    *rc = ec2gw->items_get(req, ids, n, &items);
    for (size_t i = 0; i < n; i++) {
        json_t *one = NULL;

        if (ids[i] != NULL && ec2gw->item_get(req, ids[i], &one) == 0)
            json_object_set_new(each, ids[i], one != NULL ? one : json_null());
    }
    return json_pack("{s:o, s:o*}", "Each", each, "Items", items);
}

/* The probe's input: the JSON text in NextToken (owned by the request). */
static const json_t *
batch_params(ec2gw_req_t *req)
{
    const char *text = json_string_value(json_object_get(ec2gw->params(req), "NextToken"));
    json_t *p = text != NULL ? json_loads(text, 0, NULL) : NULL;

    if (p == NULL)
        p = json_object();
    ec2gw->own_json(req, p);
    json_decref(p);
    return p;
}

/* Answer @p out (stolen) as the JSON text of NextToken. */
static void
batch_finish(ec2gw_req_t *req, json_t *out)
{
    char *text = json_dumps(out, JSON_COMPACT);

    json_decref(out);
    ec2gw->finish(req, json_pack("{s:s}", "NextToken", text != NULL ? text : "{}"));
    free(text);
}

static int
batch_describe(ec2gw_req_t *req, void *inst)
{
    const json_t *p = batch_params(req);
    int rc_ids = 0, rc_items = 0;
    json_t *ids = batch_ids(req, p, &rc_ids), *items = batch_items(req, p, &rc_items);

    (void)inst;
    json_object_set_new(ids, "IdsRc", json_integer(rc_ids));
    json_object_set_new(ids, "ItemsRc", json_integer(rc_items));
    json_object_update(ids, items);
    json_decref(items);
    batch_finish(req, ids);
    return EC2GW_OK;
}

/* ABI 1.2: {"Insert": {"<id>": rc of item_insert}, "List": items_list of "Kind", "NewIds":
 * two new_id of "Kind", "ListRc"}. "Insert" params: {"<id>": {"os_id"?: .., data...}}. */
static int
batch_vpcs(ec2gw_req_t *req, void *inst)
{
    const json_t *p = batch_params(req), *data;
    const char *kind = json_string_value(json_object_get(p, "Kind")), *key, *a = NULL, *b = NULL;
    json_t *rcs = json_object(), *list = NULL;
    int rc;

    (void)inst;
    json_object_foreach((json_t *)json_object_get(p, "Insert"), key, data)
    {
        rc = ec2gw->item_insert(req, key, json_string_value(json_object_get(data, "os_id")), data);
        json_object_set_new(rcs, key, json_integer(rc));
    }
    rc = ec2gw->items_list(req, kind, &list);
    if (ec2gw->new_id(req, kind, &a) != 0 || ec2gw->new_id(req, kind, &b) != 0)
        a = b = NULL;
    batch_finish(req, json_pack("{s:o, s:o*, s:i, s:[s?s?]}", "Insert", rcs, "List", list, "ListRc",
                                rc, "NewIds", a, b));
    return EC2GW_OK;
}

static const ec2gw_action_t batch_actions[] = {
    { .name = "DescribeInstances", .fn = batch_describe, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeVpcs", .fn = batch_vpcs, .flags = 0 },
    { .name = NULL },
};

static int
batch_load(const ec2gw_host_api_t *host)
{
    if (!EC2GW_HOST_HAS(host, ids_to_ec2) || !EC2GW_HOST_HAS(host, items_get))
        return EC2GW_E_INVAL;
    ec2gw = host;
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "th-batch",
    .version = "0.0.1",
    .service = { .type = "compute", .api = "v2.1" },
    .actions = batch_actions,
    .load = batch_load,
};
