/*
 * filters.c - Filter.N evaluation (openstack-mapping.md §6.2, ec2-protocol.md §8): filters
 * are compiled once per request (names classified, unknown names rejected even when there is
 * nothing to filter, plain values compared with strcmp), then every item is tested with
 * short-circuit AND over filters and OR over values.
 */
#include "data/filters.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum fkind { F_CB, F_TAG, F_TAG_KEY, F_TAG_VALUE } fkind_t;

typedef struct fpat {
    const char *s; /* borrowed from the Filters JSON */
    int plain;     /* no '*', '?' or '\': compare with strcmp */
} fpat_t;

typedef struct cfilter {
    const char *name;
    fkind_t kind;
    const char *tag_key; /* F_TAG: the key after "tag:" */
    size_t npat;
    fpat_t *pat;
} cfilter_t;

typedef struct fctx {
    cfilter_t *f;
    size_t nf;
    const char *id_key;
    const json_t *tags_by_id;
    ec2gw_filter_values_cb cb;
    void *arg;
    json_t *scratch; /* values of the current item for a callback filter */
} fctx_t;

static int
pattern_matches(const cfilter_t *f, const char *v)
{
    for (size_t i = 0; i < f->npat; i++)
        if (f->pat[i].plain ? strcmp(f->pat[i].s, v) == 0 : ec2gw_wildcard_match(f->pat[i].s, v))
            return 1;
    return 0;
}

/* A callback value as the string EC2 compares (booleans and numbers as on the wire). */
static const char *
value_text(const json_t *v, char buf[32])
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_true(v) || json_is_false(v))
        return json_is_true(v) ? "true" : "false";
    if (json_is_integer(v)) {
        snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, 32, "%.17g", json_real_value(v));
        return buf;
    }
    return NULL;
}

static int
filter_compile_one(cfilter_t *cf, const json_t *jf, const char *id_key, ec2gw_fault_t *fault)
{
    const json_t *vals = json_object_get(jf, "Values");
    size_t i;
    const json_t *v;

    cf->name = json_string_value(json_object_get(jf, "Name"));
    if (cf->name == NULL)
        return ec2gw_fault_set(fault, "InvalidParameterValue", "The filter 'null' is invalid");
    if (json_array_size(vals) == 0)
        return ec2gw_fault_set(fault, "InvalidParameterValue",
                               "The filter '%s' requires at least one value", cf->name);
    cf->kind = F_CB;
    if (id_key != NULL && strncmp(cf->name, "tag:", 4) == 0) {
        cf->kind = F_TAG;
        cf->tag_key = cf->name + 4;
    } else if (id_key != NULL && strcmp(cf->name, "tag-key") == 0) {
        cf->kind = F_TAG_KEY;
    } else if (id_key != NULL && strcmp(cf->name, "tag-value") == 0) {
        cf->kind = F_TAG_VALUE;
    }
    if ((cf->pat = calloc(json_array_size(vals), sizeof(*cf->pat))) == NULL)
        return ec2gw_fault_set(fault, "InternalError", "out of memory");
    json_array_foreach(vals, i, v)
    {
        const char *s = json_string_value(v);

        if (s == NULL)
            return ec2gw_fault_set(fault, "InvalidParameterValue",
                                   "The filter '%s' has an invalid value", cf->name);
        cf->pat[cf->npat].s = s;
        cf->pat[cf->npat++].plain = strpbrk(s, "*?\\") == NULL;
    }
    return 0;
}

/* Reject unknown names up front: ask the callback about a sample item (or {} when none). */
static int
filter_probe(fctx_t *c, const json_t *items, ec2gw_fault_t *fault)
{
    json_t *sample =
        json_array_size(items) > 0 ? json_incref(json_array_get(items, 0)) : json_object();
    int rc = 0;

    for (size_t i = 0; i < c->nf && rc == 0; i++) {
        if (c->f[i].kind != F_CB)
            continue;
        json_array_clear(c->scratch);
        rc = c->cb != NULL ? c->cb(sample, c->f[i].name, c->scratch, c->arg) : EC2GW_E_NOTFOUND;
        if (rc == EC2GW_E_NOTFOUND)
            rc = ec2gw_fault_set(fault, "InvalidParameterValue", "The filter '%s' is invalid",
                                 c->f[i].name);
        else if (rc != 0)
            rc = ec2gw_fault_set(fault, "InternalError", "filter '%s' failed", c->f[i].name);
    }
    json_decref(sample);
    return rc;
}

static int
filter_tags_pass(const fctx_t *c, const cfilter_t *f, const json_t *item)
{
    const char *id = json_string_value(json_object_get(item, c->id_key));
    const json_t *tags = id != NULL ? json_object_get(c->tags_by_id, id) : NULL;
    size_t i;
    const json_t *t;

    json_array_foreach(tags, i, t)
    {
        const char *k = json_string_value(json_object_get(t, "Key"));
        const char *v = json_string_value(json_object_get(t, "Value"));

        if (k == NULL)
            continue;
        if (v == NULL)
            v = "";
        if ((f->kind == F_TAG && strcmp(k, f->tag_key) == 0 && pattern_matches(f, v)) ||
            (f->kind == F_TAG_KEY && pattern_matches(f, k)) ||
            (f->kind == F_TAG_VALUE && pattern_matches(f, v)))
            return 1;
    }
    return 0;
}

/* 1 when @p item passes filter @p f, 0 when not, -1 when the callback failed. */
static int
filter_pass(fctx_t *c, const cfilter_t *f, const json_t *item)
{
    size_t i;
    const json_t *v;
    char buf[32];

    if (f->kind != F_CB)
        return filter_tags_pass(c, f, item);
    json_array_clear(c->scratch);
    if (c->cb(item, f->name, c->scratch, c->arg) != 0)
        return -1;
    json_array_foreach(c->scratch, i, v)
    {
        const char *s = value_text(v, buf);

        if (s != NULL && pattern_matches(f, s))
            return 1;
    }
    return 0;
}

static void
filter_ctx_free(fctx_t *c)
{
    for (size_t i = 0; i < c->nf; i++)
        free(c->f[i].pat);
    free(c->f);
    json_decref(c->scratch);
}

static json_t *
filter_run(fctx_t *c, const json_t *items, ec2gw_fault_t *fault)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;

    if (out == NULL) {
        ec2gw_fault_set(fault, "InternalError", "out of memory");
        return NULL;
    }
    json_array_foreach(items, i, item)
    {
        int pass = 1;
        size_t j;

        for (j = 0; j < c->nf && pass == 1; j++)
            pass = filter_pass(c, &c->f[j], item);
        if (pass < 0) {
            json_decref(out);
            ec2gw_fault_set(fault, "InternalError", "filter '%s' failed", c->f[j - 1].name);
            return NULL;
        }
        if (pass == 1 && json_array_append(out, item) != 0) {
            json_decref(out);
            ec2gw_fault_set(fault, "InternalError", "out of memory");
            return NULL;
        }
    }
    return out;
}

/*
 * AWS refuses more than 200 filter values in one call (FilterLimitExceeded, issue 11 #8):
 * the same bound keeps the work per item, and DescribeTags' SQL, small.
 */
#define FILTER_VALUES_MAX 200

static int
filter_limits(const json_t *filters, ec2gw_fault_t *fault)
{
    size_t i, nvalues = 0, nfilters = json_array_size(filters);
    const json_t *jf;

    json_array_foreach(filters, i, jf) nvalues += json_array_size(json_object_get(jf, "Values"));
    if (nvalues > FILTER_VALUES_MAX || nfilters > FILTER_VALUES_MAX)
        return ec2gw_fault_set(fault, "FilterLimitExceeded",
                               "The maximum number of filter values specified on a single call "
                               "is %d (got %zu values in %zu filters)",
                               FILTER_VALUES_MAX, nvalues, nfilters);
    return 0;
}

json_t *
ec2gw_filter_apply(const json_t *filters, const json_t *items, const char *id_key,
                   const json_t *tags_by_id, ec2gw_filter_values_cb cb, void *arg,
                   ec2gw_fault_t *fault)
{
    fctx_t c = { .id_key = id_key, .tags_by_id = tags_by_id, .cb = cb, .arg = arg };
    json_t *out = NULL;
    size_t i;
    const json_t *jf;

    if (filter_limits(filters, fault) != 0)
        return NULL;
    c.nf = json_array_size(filters);
    c.scratch = json_array();
    c.f = calloc(c.nf + 1, sizeof(*c.f));
    if (c.scratch == NULL || c.f == NULL) {
        ec2gw_fault_set(fault, "InternalError", "out of memory");
        goto done;
    }
    json_array_foreach(filters, i, jf)
    {
        if (filter_compile_one(&c.f[i], jf, id_key, fault) != 0)
            goto done;
    }
    if (filter_probe(&c, items, fault) != 0)
        goto done;
    out = filter_run(&c, items, fault);

done:
    filter_ctx_free(&c);
    return out;
}
