/*
 * testhost_store.c - the fake host's in-memory data: EC2 id mapping, items and tags scoped by
 * project (filters and paging are the daemon's own: testhost_filter.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhost_priv.h"

char *
th_key(const char *project, const char *a, const char *b)
{
    size_t n = strlen(project) + strlen(a) + (b ? strlen(b) + 1 : 0) + 2;
    char *k = malloc(n);

    if (k != NULL)
        snprintf(k, n, "%s\n%s%s%s", project, a, b ? "\n" : "", b ? b : "");
    return k;
}

static uint32_t
fnv1a(const char *s, uint32_t h)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* "<kind>-<8 or 17 hex>", kind lower-case letters. */
static int
id_well_formed(const char *id)
{
    const char *dash = strchr(id, '-');
    size_t n;

    if (dash == NULL || dash == id)
        return 0;
    for (const char *p = id; p < dash; p++)
        if (*p < 'a' || *p > 'z')
            return 0;
    n = strlen(dash + 1);
    if (n != 8 && n != 17)
        return 0;
    return strspn(dash + 1, "0123456789abcdef") == n;
}

static int
map_add(ec2gw_test_host_t *h, const char *kind, const char *ec2_id, const char *os_id)
{
    char *k = th_key(h->project, ec2_id, NULL), *rk = th_key(h->project, kind, os_id);
    int rc = EC2GW_E_NOMEM;

    if (k != NULL && rk != NULL) {
        rc = EC2GW_E_EXISTS;
        if (json_object_get(h->ids, k) == NULL) {
            json_object_set_new(h->ids, k, json_string(os_id));
            json_object_set_new(h->rev_ids, rk, json_string(ec2_id));
            rc = 0;
        }
    }
    free(k);
    free(rk);
    return rc;
}

int
ec2gw_test_map_id(ec2gw_test_host_t *h, const char *ec2_id, const char *os_id)
{
    char kind[32];
    size_t n = strcspn(ec2_id, "-");

    if (!id_well_formed(ec2_id) || n >= sizeof(kind))
        return EC2GW_E_INVAL;
    memcpy(kind, ec2_id, n);
    kind[n] = '\0';
    return map_add(h, kind, ec2_id, os_id);
}

int
th_id_to_ec2(ec2gw_req_t *r, const char *kind, const char *os_id, const char **out)
{
    ec2gw_test_host_t *h = r->h;
    char *rk = th_key(h->project, kind, os_id);
    const char *have;
    char id[64];
    int rc;

    if (rk == NULL)
        return EC2GW_E_NOMEM;
    have = json_string_value(json_object_get(h->rev_ids, rk));
    free(rk);
    if (have != NULL) {
        *out = th_pstrdup(&r->pool, have);
        return *out != NULL ? 0 : EC2GW_E_NOMEM;
    }
    /* Deterministic: the same kind and OpenStack id give the same EC2 id in every run. */
    for (uint32_t salt = 0;; salt++) {
        uint32_t x = fnv1a(os_id, fnv1a(kind, 2166136261u) ^ salt);

        snprintf(id, sizeof(id), "%s-%08x", kind, (unsigned)x);
        if ((rc = map_add(h, kind, id, os_id)) != EC2GW_E_EXISTS)
            break;
    }
    if (rc != 0)
        return rc;
    *out = th_pstrdup(&r->pool, id);
    return *out != NULL ? 0 : EC2GW_E_NOMEM;
}

int
th_id_to_os(ec2gw_req_t *r, const char *ec2_id, const char **os_id)
{
    char *k;
    const char *v;

    if (ec2_id == NULL || !id_well_formed(ec2_id))
        return EC2GW_E_INVAL;
    if ((k = th_key(r->h->project, ec2_id, NULL)) == NULL)
        return EC2GW_E_NOMEM;
    v = json_string_value(json_object_get(r->h->ids, k));
    free(k);
    if (v == NULL)
        return EC2GW_E_NOTFOUND;
    *os_id = th_pstrdup(&r->pool, v);
    return 0;
}

int
th_item_get(ec2gw_req_t *r, const char *ec2_id, json_t **data)
{
    char *k = th_key(r->h->project, ec2_id, NULL);
    json_t *it = k ? json_object_get(r->h->items, k) : NULL;

    free(k);
    if (it == NULL)
        return EC2GW_E_NOTFOUND;
    *data = json_deep_copy(json_object_get(it, "data"));
    return 0;
}

int
th_item_put(ec2gw_req_t *r, const char *ec2_id, const char *os_id, const json_t *data)
{
    char *k = th_key(r->h->project, ec2_id, NULL);
    json_t *d = data != NULL ? json_deep_copy(data) : json_null();
    int rc = k == NULL ? EC2GW_E_NOMEM : 0;

    /* as the daemon's: os_id NULL keeps the row's */
    if (rc == 0 && os_id == NULL)
        os_id = json_string_value(json_object_get(json_object_get(r->h->items, k), "os_id"));
    if (json_is_object(d))
        json_object_del(d, "os_id"); /* a column, never data */
    if (rc == 0 && json_object_set_new(r->h->items, k,
                                       json_pack("{s:s?, s:o}", "os_id", os_id, "data", d)) != 0)
        rc = EC2GW_E_NOMEM;
    else if (rc != 0)
        json_decref(d);
    /* as the daemon's: the row's os_id maps back to its id (id_to_ec2 finds the row) */
    if (rc == 0 && (os_id = json_string_value(
                        json_object_get(json_object_get(r->h->items, k), "os_id"))) != NULL) {
        char kind[32];
        size_t n = strcspn(ec2_id, "-");

        if (n < sizeof(kind)) {
            memcpy(kind, ec2_id, n);
            kind[n] = '\0';
            (void)map_add(r->h, kind, ec2_id, os_id); /* already mapped: kept */
        }
    }
    free(k);
    return rc;
}

int
ec2gw_test_put_item(ec2gw_test_host_t *h, const char *ec2_id, const char *os_id,
                    const char *data_json)
{
    json_t *d = data_json != NULL ? json_loads(data_json, 0, NULL) : json_object();
    char *k = th_key(h->project, ec2_id, NULL);
    char kind[32];
    size_t n = strcspn(ec2_id, "-");
    int rc = 0;

    if (!id_well_formed(ec2_id) || n >= sizeof(kind) || !json_is_object(d))
        rc = EC2GW_E_INVAL;
    if (rc == 0 && os_id != NULL) {
        memcpy(kind, ec2_id, n);
        kind[n] = '\0';
        rc = map_add(h, kind, ec2_id, os_id);
    }
    if (rc == 0 &&
        (k == NULL || json_object_set_new(
                          h->items, k, json_pack("{s:s?, s:O}", "os_id", os_id, "data", d)) != 0))
        rc = EC2GW_E_NOMEM;
    json_decref(d);
    free(k);
    return rc;
}

int
th_item_delete(ec2gw_req_t *r, const char *ec2_id)
{
    char *k = th_key(r->h->project, ec2_id, NULL);
    int rc = EC2GW_E_NOMEM;

    if (k != NULL) {
        rc = json_object_del(r->h->items, k) == 0 ? 0 : EC2GW_E_NOTFOUND;
        json_object_del(r->h->tags, k);
    }
    free(k);
    return rc;
}

/* The daemon's semantics (daemon/data/idmap_batch.c): id_to_ec2 per entry, NULL for NULL or
 * empty os_ids, duplicates mapped once. */
int
th_ids_to_ec2(ec2gw_req_t *r, const char *kind, const char *const *os_ids, size_t n,
              const char **out)
{
    if (n == 0)
        return 0;
    if (kind == NULL || *kind == '\0' || os_ids == NULL || out == NULL)
        return EC2GW_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        int rc;

        out[i] = NULL;
        if (os_ids[i] == NULL || os_ids[i][0] == '\0')
            continue;
        if ((rc = th_id_to_ec2(r, kind, os_ids[i], &out[i])) != 0) {
            memset(out, 0, n * sizeof(*out));
            return rc;
        }
    }
    return 0;
}

/* item_get for each id; as in the daemon, an item's data is always an object ({} for none). */
int
th_items_get(ec2gw_req_t *r, const char *const *ec2_ids, size_t n, json_t **out)
{
    json_t *o;

    if (out == NULL || (n > 0 && ec2_ids == NULL))
        return EC2GW_E_INVAL;
    if ((*out = o = json_object()) == NULL)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *d = NULL;

        if (ec2_ids[i] == NULL || th_item_get(r, ec2_ids[i], &d) != 0)
            continue;
        if (!json_is_object(d)) {
            json_decref(d);
            d = json_object();
        }
        if (json_object_set_new(o, ec2_ids[i], d) != 0) {
            json_decref(o);
            *out = NULL;
            return EC2GW_E_NOMEM;
        }
    }
    return 0;
}

/* ABI 1.2: every item of @p kind of the project, with os_id (vpc_id is already in data). */
int
th_items_list(ec2gw_req_t *r, const char *kind, json_t **out)
{
    size_t plen = strlen(r->h->project), klen = kind != NULL ? strlen(kind) : 0;
    const char *k;
    json_t *it, *o;

    if (out == NULL || klen == 0)
        return EC2GW_E_INVAL;
    if ((*out = o = json_object()) == NULL)
        return EC2GW_E_NOMEM;
    json_object_foreach(r->h->items, k, it)
    {
        const char *id = k + plen + 1, *os_id = json_string_value(json_object_get(it, "os_id"));
        json_t *d = json_object_get(it, "data");

        if (strncmp(k, r->h->project, plen) != 0 || k[plen] != '\n' ||
            strncmp(id, kind, klen) != 0 || id[klen] != '-' || !id_well_formed(id))
            continue;
        d = json_is_object(d) ? json_deep_copy(d) : json_object();
        if (d == NULL || (os_id != NULL && json_object_set_new(d, "os_id", json_string(os_id))) ||
            json_object_set_new(o, id, d) != 0) {
            json_decref(o);
            *out = NULL;
            return EC2GW_E_NOMEM;
        }
    }
    return 0;
}

/* 1 when any project has an item or a mapping @p ec2_id. */
static int
id_taken(ec2gw_test_host_t *h, const char *ec2_id)
{
    size_t n = strlen(ec2_id);
    const char *k;
    json_t *v;

    json_object_foreach(h->items, k, v)
    {
        size_t kl = strlen(k);

        if (kl > n && k[kl - n - 1] == '\n' && strcmp(k + kl - n, ec2_id) == 0)
            return 1;
    }
    json_object_foreach(h->ids, k, v)
    {
        size_t kl = strlen(k);

        if (kl > n && k[kl - n - 1] == '\n' && strcmp(k + kl - n, ec2_id) == 0)
            return 1;
    }
    return 0;
}

int
th_item_insert(ec2gw_req_t *r, const char *ec2_id, const char *os_id, const json_t *data)
{
    if (ec2_id == NULL || !id_well_formed(ec2_id))
        return EC2GW_E_INVAL;
    if (id_taken(r->h, ec2_id))
        return EC2GW_E_EXISTS;
    return th_item_put(r, ec2_id, os_id, data);
}

/* Deterministic like id_to_ec2: a counter per host, skipping ids in use. */
int
th_new_id(ec2gw_req_t *r, const char *kind, const char **out)
{
    char id[64];

    if (out == NULL || kind == NULL || *kind == '\0' || strlen(kind) > 15)
        return EC2GW_E_INVAL;
    do {
        uint32_t x = fnv1a(kind, 2166136261u ^ r->h->new_id_seq++);

        snprintf(id, sizeof(id), "%s-%08x", kind, (unsigned)x);
    } while (id_taken(r->h, id));
    *out = th_pstrdup(&r->pool, id);
    return *out != NULL ? 0 : EC2GW_E_NOMEM;
}

static json_t *
tags_of(ec2gw_test_host_t *h, const char *id)
{
    char *k = th_key(h->project, id, NULL);
    json_t *t = k ? json_object_get(h->tags, k) : NULL;

    free(k);
    return t;
}

int
th_tags_get(ec2gw_req_t *r, const char *const *ids, size_t n, json_t **out)
{
    json_t *o = json_object();

    if (o == NULL)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *t = ids[i] ? tags_of(r->h, ids[i]) : NULL;

        if (json_array_size(t) > 0)
            json_object_set_new(o, ids[i], json_deep_copy(t));
    }
    *out = o;
    return 0;
}

static int
tags_upsert(ec2gw_test_host_t *h, const char *id, const json_t *tags, int replace)
{
    char *k = th_key(h->project, id, NULL);
    json_t *cur, *t;
    size_t i;

    if (!json_is_array(tags) || k == NULL) {
        free(k);
        return k == NULL ? EC2GW_E_NOMEM : EC2GW_E_INVAL;
    }
    cur = json_object_get(h->tags, k);
    if (cur == NULL || replace) {
        json_object_set_new(h->tags, k, json_array());
        cur = json_object_get(h->tags, k);
    }
    free(k);
    json_array_foreach(tags, i, t)
    {
        const char *key = json_string_value(json_object_get(t, "Key"));
        const json_t *val = json_object_get(t, "Value");
        size_t j;
        json_t *old;

        if (key == NULL)
            return EC2GW_E_INVAL;
        json_array_foreach(cur, j, old) if (strcmp(json_string_value(json_object_get(old, "Key")),
                                                   key) == 0) break;
        if (j < json_array_size(cur))
            json_array_remove(cur, j);
        json_array_append_new(cur, json_pack("{s:s, s:s}", "Key", key, "Value",
                                             json_is_string(val) ? json_string_value(val) : ""));
    }
    return 0;
}

int
th_tags_set(ec2gw_req_t *r, const char *ec2_id, const json_t *tags)
{
    return tags_upsert(r->h, ec2_id, tags, 0);
}

int
ec2gw_test_set_tags(ec2gw_test_host_t *h, const char *ec2_id, const char *tags_json)
{
    json_t *t = json_loads(tags_json, 0, NULL);
    int rc = tags_upsert(h, ec2_id, t, 1);

    json_decref(t);
    return rc;
}

json_t *
ec2gw_test_get_tags(ec2gw_test_host_t *h, const char *ec2_id)
{
    json_t *t = tags_of(h, ec2_id);

    return t != NULL ? json_deep_copy(t) : json_array();
}
