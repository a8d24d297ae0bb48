/*
 * query_decode.c - EC2 query parameters into typed JSON, driven by the operation's input shape
 * (ec2-protocol.md §2.4-2.9).
 *
 * Two passes. insert_param() walks each dotted name through the shape tree and stores the typed
 * value; a list is built as an object keyed by the canonical decimal index, because indices
 * arrive in any order and are sparse while parsing. finish_struct() then turns those objects
 * into arrays ordered by numeric index (ec2-api sorted index strings, putting "10" before
 * "2") and checks required members where a structure is present.
 */
#include "protocol/query_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/model_internal.h"
#include "protocol/query_decode_priv.h"

/* Longest list index accepted: 9 digits keep the value in an int. */
#define INDEX_MAX_DIGITS 9

static int
is_protocol_param(const char *name)
{
    static const char *const skip[] = {
        "Action",           "Version",   "AWSAccessKeyId", "Signature",     "SignatureMethod",
        "SignatureVersion", "Timestamp", "Expires",        "SecurityToken",
    };

    if (strncmp(name, "X-Amz-", 6) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(name, skip[i]) == 0)
            return 1;
    return 0;
}

/*
 * A list index: a decimal integer. Clients count from 1, but libcloud's CreateTags/DeleteTags
 * and old fog count from 0 (ResourceId.0, Tag.0.Key) and AWS accepts that: the index only
 * orders the elements. Returns it, or -1.
 */
static int
parse_index(const char *s, size_t len)
{
    int v = 0;

    if (len == 0 || len > INDEX_MAX_DIGITS)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int
bad_index(const char *param, ec2gw_fault_t *fault)
{
    return ec2gw_fault_set(fault, "InvalidParameterValue",
                           "Invalid list index in parameter %.200s: indices are decimal integers",
                           param);
}

static int
unknown(const char *param, ec2gw_fault_t *fault)
{
    return ec2gw_fault_set(fault, "UnknownParameter", "The parameter %.200s is not recognized",
                           param);
}

/* Store @p v under @p key in @p node (an object); a second value for one name is an error. */
static int
store(json_t *node, const char *key, json_t *v, const ec2gw_kv_t *kv, ec2gw_fault_t *fault)
{
    if (json_object_get(node, key) != NULL) {
        json_decref(v);
        return ec2gw_fault_set(fault, "InvalidParameterValue",
                               "Parameter %.200s was given more than once", kv->name);
    }
    if (json_object_set_new(node, key, v) != 0)
        return ec2gw_fault_set(fault, "InternalError", "Out of memory");
    return 0;
}

/* Key of the next step from the current container: a member or a list index. */
struct step {
    const ec2gw_mshape_t *shape; /* shape of the value stored under key */
    const char *key;
    char ibuf[12]; /* any int */
    int implicit;  /* an omitted list index: the segment is not consumed */
};

static int
next_step(const ec2gw_mshape_t *s, const char *seg, size_t len, struct step *st)
{
    st->implicit = 0;
    if (s->type == EC2GW_MT_STRUCTURE) {
        const ec2gw_mmember_t *m = ec2gw_model_member_by_wire(s, seg, len);

        if (m == NULL)
            return -1;
        st->shape = m->shape;
        st->key = m->name;
        return 0;
    }
    if (s->type == EC2GW_MT_LIST) {
        int idx = parse_index(seg, len);

        /* Net::Amazon::EC2 sends Filter.Name=x and Tag.Key=k: an index omitted before a member
         * name is element 1, as for a list of scalars (insert_unindexed). */
        st->implicit = idx < 0 && s->elem->type == EC2GW_MT_STRUCTURE &&
                       ec2gw_model_member_by_wire(s->elem, seg, len) != NULL;
        if (st->implicit)
            idx = 1;
        if (idx < 0)
            return -2;
        snprintf(st->ibuf, sizeof(st->ibuf), "%d", idx);
        st->shape = s->elem;
        st->key = st->ibuf;
        return 0;
    }
    return -1;
}

/*
 * A list of scalars named without an index (KeyName=k for KeyName.1=k): AWS reads it as a
 * one-element list, and libcloud's get_key_pair and old fog send it so (§2.5).
 */
static int
insert_unindexed(json_t *node, const struct step *st, const ec2gw_kv_t *kv, ec2gw_fault_t *fault)
{
    json_t *list = json_object_get(node, st->key), *v;

    if (list == NULL) {
        list = json_object();
        if (list == NULL || json_object_set_new(node, st->key, list) != 0)
            return ec2gw_fault_set(fault, "InternalError", "Out of memory");
    }
    if (ec2gw_query_scalar(st->shape->elem, kv, &v, fault) != 0)
        return -1;
    return store(list, "1", v, kv, fault);
}

/* Walk one parameter name through the shape tree rooted at @p s / @p node and store it. */
static int
insert_param(json_t *node, const ec2gw_mshape_t *s, const ec2gw_kv_t *kv, ec2gw_fault_t *fault)
{
    const char *p = kv->name;
    struct step st;

    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        int rc = next_step(s, p, len, &st);
        json_t *child, *v;

        if (rc == -2)
            return bad_index(kv->name, fault);
        if (rc != 0)
            return unknown(kv->name, fault);
        if (!st.implicit)
            p = dot != NULL ? dot + 1 : NULL;
        if (ec2gw_mtype_is_scalar(st.shape->type)) {
            /* Old boto sends InstanceId.1 where the model has a scalar InstanceId (§2.5):
             * accept one trailing index on a structure member as a one-element list. */
            if (p != NULL && (s->type != EC2GW_MT_STRUCTURE || strchr(p, '.') != NULL ||
                              parse_index(p, strlen(p)) < 0))
                return unknown(kv->name, fault);
            if (ec2gw_query_scalar(st.shape, kv, &v, fault) != 0)
                return -1;
            return store(node, st.key, v, kv, fault);
        }
        if (p == NULL && st.shape->type == EC2GW_MT_LIST && s->type == EC2GW_MT_STRUCTURE &&
            ec2gw_mtype_is_scalar(st.shape->elem->type))
            return insert_unindexed(node, &st, kv, fault);
        /* A structure or list needs a sub-name ("Placement" alone says nothing). */
        if (p == NULL || st.shape->type == EC2GW_MT_MAP)
            return unknown(kv->name, fault);
        child = json_object_get(node, st.key);
        if (child == NULL) {
            child = json_object();
            if (child == NULL || json_object_set_new(node, st.key, child) != 0)
                return ec2gw_fault_set(fault, "InternalError", "Out of memory");
        }
        node = child;
        s = st.shape;
    }
}

static int finish_value(json_t *parent, const char *key, const ec2gw_mshape_t *s, char *path,
                        size_t plen, ec2gw_fault_t *fault);

struct index_entry {
    int idx;
    json_t *v;
};

static int
index_cmp(const void *a, const void *b)
{
    int x = ((const struct index_entry *)a)->idx, y = ((const struct index_entry *)b)->idx;

    return x < y ? -1 : x > y;
}

/* @p obj ("1": v, "10": v, "2": v) into an array in numeric order; finishes each element. */
static json_t *
finish_list(json_t *obj, const ec2gw_mshape_t *s, char *path, size_t plen, ec2gw_fault_t *fault)
{
    size_t n = json_object_size(obj), i = 0;
    struct index_entry *ev = malloc((n + 1) * sizeof(*ev));
    json_t *arr = json_array();
    const char *key;
    json_t *v;

    if (ev == NULL || arr == NULL)
        goto nomem;
    json_object_foreach(obj, key, v)
    {
        ev[i].idx = (int)strtol(key, NULL, 10);
        ev[i++].v = v;
    }
    qsort(ev, n, sizeof(*ev), index_cmp);
    for (i = 0; i < n; i++) {
        int w = snprintf(path + plen, EC2GW_QUERY_PATH_MAX - plen, "%d.", ev[i].idx);
        size_t nlen = w > 0 && (size_t)w < EC2GW_QUERY_PATH_MAX - plen ? plen + (size_t)w : plen;

        if (json_array_append(arr, ev[i].v) != 0)
            goto nomem;
        if (finish_value(arr, NULL, s->elem, path, nlen, fault) != 0)
            goto fail;
    }
    free(ev);
    return arr;
nomem:
    ec2gw_fault_set(fault, "InternalError", "Out of memory");
fail:
    free(ev);
    json_decref(arr);
    return NULL;
}

static int finish_struct(json_t *obj, const ec2gw_mshape_t *s, char *path, size_t plen,
                         ec2gw_fault_t *fault);

/* Finish the value under @p key of @p parent (or the last element of array @p parent). */
static int
finish_value(json_t *parent, const char *key, const ec2gw_mshape_t *s, char *path, size_t plen,
             ec2gw_fault_t *fault)
{
    json_t *v = key != NULL ? json_object_get(parent, key)
                            : json_array_get(parent, json_array_size(parent) - 1);
    json_t *arr;

    if (s->type == EC2GW_MT_STRUCTURE)
        return finish_struct(v, s, path, plen, fault);
    if (s->type != EC2GW_MT_LIST || !json_is_object(v))
        return 0;
    arr = finish_list(v, s, path, plen, fault);
    if (arr == NULL)
        return -1;
    if (key != NULL ? json_object_set_new(parent, key, arr)
                    : json_array_set_new(parent, json_array_size(parent) - 1, arr))
        return ec2gw_fault_set(fault, "InternalError", "Out of memory");
    return 0;
}

static int
finish_struct(json_t *obj, const ec2gw_mshape_t *s, char *path, size_t plen, ec2gw_fault_t *fault)
{
    for (size_t i = 0; i < s->nmembers; i++) {
        const ec2gw_mmember_t *m = &s->members[i];
        json_t *v = json_object_get(obj, m->name);
        size_t nlen;

        if (v == NULL) {
            if (m->required)
                return ec2gw_fault_set(fault, "MissingParameter",
                                       "The request must contain the parameter %.*s%s", (int)plen,
                                       path, m->wire);
            continue;
        }
        if (ec2gw_mtype_is_scalar(m->shape->type))
            continue;
        nlen = plen;
        if (plen + m->wire_len + 2 < EC2GW_QUERY_PATH_MAX) {
            memcpy(path + plen, m->wire, m->wire_len);
            path[plen + m->wire_len] = '.';
            nlen = plen + m->wire_len + 1;
        }
        if (finish_value(obj, m->name, m->shape, path, nlen, fault) != 0)
            return -1;
    }
    return 0;
}

int
ec2gw_query_decode(const ec2gw_model_op_t *op, const ec2gw_kvlist_t *params, json_t **out,
                   ec2gw_fault_t *fault)
{
    char path[EC2GW_QUERY_PATH_MAX];
    json_t *root = json_object();

    if (root == NULL)
        return ec2gw_fault_set(fault, "InternalError", "Out of memory");
    for (size_t i = 0; i < params->n; i++) {
        const ec2gw_kv_t *kv = &params->v[i];

        if (is_protocol_param(kv->name))
            continue;
        if (op->input == NULL) {
            unknown(kv->name, fault);
            goto fail;
        }
        if (insert_param(root, op->input, kv, fault) != 0)
            goto fail;
    }
    if (op->input != NULL && finish_struct(root, op->input, path, 0, fault) != 0)
        goto fail;
    *out = root;
    return 0;
fail:
    json_decref(root);
    return -1;
}
