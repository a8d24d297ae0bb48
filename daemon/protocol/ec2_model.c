/*
 * ec2_model.c - load model/ec2-2016-11-15.json (tools/gen_ec2_model.py) once at start.
 *
 * The JSON is parsed with jansson, turned into arena-allocated tables (model_shapes.c) and then
 * freed: per request nothing looks at model JSON. Operations are kept sorted by name (for
 * ec2gw_model_op_name_at) and hashed (for ec2gw_model_op, once per request).
 */
#include "protocol/ec2_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "protocol/model_internal.h"

struct ec2gw_model {
    ec2gw_arena_t arena;
    ec2gw_model_op_t *ops; /**< sorted by name */
    size_t nops;
    ec2gw_strmap_t opmap; /**< name → op */
    const char *api_version;
};

static char *
adup(ec2gw_arena_t *a, const char *s)
{
    return s != NULL ? ec2gw_arena_strndup(a, s, strlen(s)) : NULL;
}

static int
op_name_cmp(const void *pa, const void *pb)
{
    return strcmp(((const ec2gw_model_op_t *)pa)->name, ((const ec2gw_model_op_t *)pb)->name);
}

/* No output, or an output structure whose only member is Return (§3.5). */
static int
only_return(const ec2gw_mshape_t *out)
{
    return out == NULL || (out->nmembers == 1 && strcmp(out->members[0].name, "Return") == 0);
}

static const ec2gw_mshape_t *
op_shape(const json_t *opdef, const char *key, const ec2gw_strmap_t *shapes)
{
    const char *name = json_string_value(json_object_get(json_object_get(opdef, key), "shape"));

    return name != NULL ? ec2gw_strmap_get(shapes, name) : NULL;
}

/* Paginator and MaxResults range of one operation; both optional in the file. */
static int
fill_paging(ec2gw_arena_t *a, ec2gw_model_op_t *op, const json_t *root)
{
    json_t *p = json_object_get(json_object_get(root, "paginators"), op->name);
    json_t *range = json_object_get(json_object_get(root, "max_results"), op->name);
    json_t *rk;

    if (json_is_array(range) && json_array_size(range) == 2) {
        op->has_max_results = 1;
        op->max_results_min = (int)json_integer_value(json_array_get(range, 0));
        op->max_results_max = (int)json_integer_value(json_array_get(range, 1));
    }
    if (!json_is_object(p))
        return 0;
    rk = json_object_get(p, "result_key");
    if (json_is_array(rk))
        rk = json_array_get(rk, 0);
    op->paginator.input_token = adup(a, json_string_value(json_object_get(p, "input_token")));
    op->paginator.output_token = adup(a, json_string_value(json_object_get(p, "output_token")));
    op->paginator.result_key = adup(a, json_string_value(rk));
    op->paginator.limit_key = adup(a, json_string_value(json_object_get(p, "limit_key")));
    if (op->paginator.input_token == NULL)
        op->paginator.output_token = op->paginator.result_key = op->paginator.limit_key = NULL;
    return 0;
}

static int
build_op(ec2gw_arena_t *a, ec2gw_model_op_t *op, const char *name, const json_t *def,
         const json_t *root, const ec2gw_strmap_t *shapes, ec2gw_err_t *err)
{
    size_t len = strlen(name);
    char *resp = ec2gw_arena_alloc(a, len + sizeof("Response"));

    op->name = adup(a, name);
    if (resp == NULL || op->name == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    memcpy(resp, name, len);
    memcpy(resp + len, "Response", sizeof("Response"));
    op->response_elem = resp;
    op->input = op_shape(def, "input", shapes);
    op->output = op_shape(def, "output", shapes);
    if ((json_object_get(def, "input") != NULL && op->input == NULL) ||
        (json_object_get(def, "output") != NULL && op->output == NULL))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "model: operation %s: unknown shape", name);
    if ((op->input != NULL && op->input->type != EC2GW_MT_STRUCTURE) ||
        (op->output != NULL && op->output->type != EC2GW_MT_STRUCTURE))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "model: operation %s: not a structure", name);
    op->returns_true = only_return(op->output);
    for (size_t i = 0; op->input != NULL && i < op->input->nmembers; i++)
        if (op->input->members[i].idempotency)
            op->idempotency_member = op->input->members[i].name;
    return fill_paging(a, op, root);
}

static int
build_ops(ec2gw_model_t *m, json_t *root, const ec2gw_strmap_t *shapes, ec2gw_err_t *err)
{
    json_t *ops = json_object_get(root, "operations");
    const char *name;
    json_t *def;
    size_t i = 0;
    int rc;

    m->nops = json_object_size(ops);
    m->ops = ec2gw_arena_alloc(&m->arena, (m->nops + 1) * sizeof(*m->ops));
    if (m->ops == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    json_object_foreach(ops, name, def)
    {
        rc = build_op(&m->arena, &m->ops[i++], name, def, root, shapes, err);
        if (rc != 0)
            return rc;
    }
    qsort(m->ops, m->nops, sizeof(*m->ops), op_name_cmp);
    /* Hash after sorting: the map points into the final array. */
    if (ec2gw_strmap_init(&m->opmap, &m->arena, m->nops) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    for (i = 0; i < m->nops; i++)
        if (ec2gw_strmap_put(&m->opmap, m->ops[i].name, &m->ops[i]) != 0)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "model: duplicate operation %s",
                                 m->ops[i].name);
    return 0;
}

static int
model_build(ec2gw_model_t *m, json_t *root, const char *path, ec2gw_err_t *err)
{
    ec2gw_strmap_t shapes = { 0 };
    json_t *shapes_json = json_object_get(root, "shapes");
    const char *ver;
    int rc;

    if (!json_is_object(shapes_json) || !json_is_object(json_object_get(root, "operations")))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "model: %s: no shapes or operations", path);
    ver = json_string_value(json_object_get(json_object_get(root, "metadata"), "apiVersion"));
    m->api_version = adup(&m->arena, ver != NULL ? ver : "2016-11-15");
    if (m->api_version == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    rc = ec2gw_model_build_shapes(&m->arena, shapes_json, &shapes, err);
    if (rc != 0)
        return rc;
    return build_ops(m, root, &shapes, err);
}

/* The whole file in one read: json_load_file() reads it with getc(), a locked call per byte. */
static json_t *
parse_file(const char *path, ec2gw_err_t *err)
{
    FILE *f = fopen(path, "rb");
    json_error_t jerr;
    json_t *root = NULL;
    char *buf = NULL;
    long size;

    if (f == NULL) {
        ec2gw_err_set(err, EC2GW_E_INVAL, "model: %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)size + 1)) == NULL ||
        fread(buf, 1, (size_t)size, f) != (size_t)size) {
        ec2gw_err_set(err, EC2GW_E_INVAL, "model: %s: cannot read", path);
        goto done;
    }
    root = json_loadb(buf, (size_t)size, 0, &jerr);
    if (root == NULL)
        ec2gw_err_set(err, EC2GW_E_INVAL, "model: %s:%d: %s", path, jerr.line, jerr.text);
done:
    free(buf);
    fclose(f);
    return root;
}

int
ec2gw_model_load(const char *path, ec2gw_model_t **out, ec2gw_err_t *err)
{
    json_t *root = parse_file(path, err);
    ec2gw_model_t *m;
    int rc;

    if (root == NULL)
        return EC2GW_E_INVAL;
    /* libxml2 wants one xmlInitParser() before any thread uses it; the model is loaded once at
     * start, before the loop runs, which makes this the place for the renderer's sake. */
    xmlInitParser();
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        json_decref(root);
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    }
    rc = model_build(m, root, path, err);
    json_decref(root);
    if (rc != 0) {
        ec2gw_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void
ec2gw_model_free(ec2gw_model_t *m)
{
    if (m == NULL)
        return;
    ec2gw_arena_free(&m->arena);
    free(m);
}

const ec2gw_model_op_t *
ec2gw_model_op(const ec2gw_model_t *m, const char *action)
{
    return action != NULL ? ec2gw_strmap_get(&m->opmap, action) : NULL;
}

size_t
ec2gw_model_op_count(const ec2gw_model_t *m)
{
    return m->nops;
}

const char *
ec2gw_model_op_name_at(const ec2gw_model_t *m, size_t i)
{
    return i < m->nops ? m->ops[i].name : NULL;
}

const char *
ec2gw_model_op_name(const ec2gw_model_op_t *op)
{
    return op->name;
}

int
ec2gw_model_op_has_input(const ec2gw_model_op_t *op, const char *member)
{
    return op->input != NULL && ec2gw_model_member_by_name(op->input, member) != NULL;
}

const char *
ec2gw_model_op_idempotency_member(const ec2gw_model_op_t *op)
{
    return op->idempotency_member;
}

int
ec2gw_model_op_returns_true(const ec2gw_model_op_t *op)
{
    return op->returns_true;
}

const char *
ec2gw_model_api_version(const ec2gw_model_t *m)
{
    return m->api_version;
}

const ec2gw_model_paginator_t *
ec2gw_model_op_paginator(const ec2gw_model_op_t *op)
{
    return op->paginator.input_token != NULL ? &op->paginator : NULL;
}

int
ec2gw_model_op_max_results(const ec2gw_model_op_t *op, int *min, int *max)
{
    if (!op->has_max_results)
        return EC2GW_E_NOTFOUND;
    *min = op->max_results_min;
    *max = op->max_results_max;
    return 0;
}
