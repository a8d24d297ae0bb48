/*
 * fuzz_filters.c - Filter.N evaluation and the EC2 wildcard matcher, in memory
 * (ec2gw_filter_apply over items, tags and a values callback) and in SQL (DescribeTags on an
 * in-memory database). Input: a JSON document
 *   {"Filters": [...], "Items": [...], "Tags": {"<id>": [{"Key","Value"}]}, "MaxResults": n}
 * or, when it is not JSON, "pattern\nvalue" for the wildcard matcher alone.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/tags_actions.h"
#include "data/filters.h"
#include "data/idmap.h"
#include "data/tags.h"

static ec2gw_db_t *db;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const ids[] = { "i-00000001", "vol-00000001", "vpc-00000001",
                                       "ami-00000001" };
    json_t *tags = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "Key", "Name", "Value", "web",
                             "Key", "env", "Value", "a*b?c", "Key", "e", "Value", "");
    ec2gw_err_t err = { 0 };

    (void)argc;
    (void)argv;
    if (ec2gw_db_open(":memory:", &db, &err) != 0)
        abort();
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (ec2gw_item_put(db, "p1", ids[i], NULL, NULL, NULL) != 0 ||
            ec2gw_tags_set(db, "p1", ids[i], tags, &err) != 0) {
            fprintf(stderr, "fuzz_filters: database setup failed: %s\n", err.msg);
            abort();
        }
    json_decref(tags);
    return 0;
}

/* Values of a filter: the item's member of that name, strings or lists of strings. */
static int
values_cb(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    const json_t *v = json_object_get(item, name);

    (void)arg;
    if (strcmp(name, "unknown") == 0)
        return EC2GW_E_NOTFOUND;
    if (json_is_array(v))
        json_array_extend(values_out, (json_t *)(uintptr_t)v);
    else if (v != NULL)
        json_array_append(values_out, (json_t *)(uintptr_t)v);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, 0, NULL), *kept, *model = NULL;
    ec2gw_fault_t fault = { 0 };

    if (in == NULL) {
        const char *lf = memchr(data, '\n', size);
        char *pat, *val;

        if (lf == NULL)
            return 0;
        pat = strndup((const char *)data, (size_t)(lf - (const char *)data));
        val = strndup(lf + 1, size - (size_t)(lf - (const char *)data) - 1);
        (void)ec2gw_wildcard_match(pat, val);
        free(pat);
        free(val);
        return 0;
    }
    if (json_is_array(json_object_get(in, "Items"))) {
        kept = ec2gw_filter_apply(json_object_get(in, "Filters"), json_object_get(in, "Items"),
                                  "Id", json_object_get(in, "Tags"), values_cb, NULL, &fault);
        json_decref(kept);
    }
    if (ec2gw_action_describe_tags(db, "p1", in, &model, &fault) == 0)
        json_decref(model);
    json_decref(in);
    return 0;
}
