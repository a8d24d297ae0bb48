/*
 * testhost_filter.c - filter(), page() and wildcard_match() of the fake host: thin adapters
 * around the daemon's data/filters.c, data/wildcard.c and data/paging.c (compiled into
 * libec2gw_testhost.a), mirroring daemon/server/host_api.c so that the two cannot drift.
 * Only where the data comes from differs: tags from the in-memory store, the MaxResults range
 * from the same model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "data/filters.h"
#include "data/paging.h"
#include "protocol/ec2_model.h"
#include "testhost_priv.h"

int
th_wildcard_match(const char *pattern, const char *value)
{
    return ec2gw_wildcard_match(pattern, value);
}

struct filter_adapter {
    ec2gw_req_t *r;
    ec2gw_filter_values_fn fn;
    void *arg;
};

static int
filter_adapter_cb(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    struct filter_adapter *a = arg;

    return a->fn != NULL ? a->fn(a->r, item, name, values_out, a->arg) : EC2GW_E_NOTFOUND;
}

static void
fail_fault(ec2gw_req_t *r, const ec2gw_fault_t *f)
{
    th_host_api.fail(r, f->status, f->code, "%s", f->message);
}

json_t *
th_filter(ec2gw_req_t *r, const json_t *items, const char *id_key, ec2gw_filter_values_fn fn,
          void *arg)
{
    const json_t *filters = json_object_get(r->params, "Filters");
    struct filter_adapter a = { r, fn, arg };
    json_t *tags = NULL, *kept;
    ec2gw_fault_t f = { 0 };

    if (json_array_size(filters) == 0)
        return json_incref((json_t *)(uintptr_t)items);
    if (id_key != NULL) {
        size_t n = json_array_size(items), i;
        const char **ids = calloc(n + 1, sizeof(*ids));
        json_t *it;

        if (ids == NULL)
            return NULL;
        json_array_foreach(items, i, it) ids[i] = json_string_value(json_object_get(it, id_key));
        th_tags_get(r, ids, n, &tags);
        free(ids);
    }
    kept = ec2gw_filter_apply(filters, items, id_key, tags, filter_adapter_cb, &a, &f);
    json_decref(tags);
    if (kept == NULL)
        fail_fault(r, &f);
    return kept;
}

json_t *
th_page(ec2gw_req_t *r, const json_t *items, const char *id_key, const char **next_token)
{
    json_t *mr = json_object_get(r->params, "MaxResults");
    const char *tok = json_string_value(json_object_get(r->params, "NextToken"));
    json_t *scope_j, *page;
    char *scope, *next = NULL;
    ec2gw_fault_t f = { 0 };
    int min = 5, max = 1000; /* the daemon's range for Describe actions the model leaves open */
    long long max_results;

    if (r->op != NULL)
        (void)ec2gw_model_op_max_results(r->op, &min, &max);
    if (ec2gw_page_max_results(mr, min, max, &max_results, &f) != 0) {
        *next_token = NULL;
        fail_fault(r, &f);
        return NULL;
    }
    scope_j = json_deep_copy(r->params);
    json_object_del(scope_j, "MaxResults");
    json_object_del(scope_j, "NextToken");
    scope = json_dumps(scope_j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(scope_j);
    page = ec2gw_page_apply(items, id_key, max_results, tok, scope ? scope : r->action, min, max,
                            &next, &f);
    free(scope);
    *next_token = next ? th_pstrdup(&r->pool, next) : NULL;
    free(next);
    if (page == NULL)
        fail_fault(r, &f);
    return page;
}
