/*
 * testhost_leaks.c - leaked json references (issue 16 #6). own_json() takes a reference of its
 * own and finish() steals the model. The fake host keeps those references past the request
 * (the plugin cannot tell: it holds none of its own unless it leaks or caches) and, once
 * ec2gw_test_host_free() has destroyed every instance (caches gone), checks that nothing else
 * still holds them: a value with more references than the kept values account for was leaked
 * by the plugin, typically `own_json(req, json_object())` whose creation reference nobody
 * dropped. Each is a violation naming the value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhost_priv.h"

static int
push(json_t ***v, size_t *n, size_t *cap, json_t *j)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        json_t **nv = realloc(*v, c * sizeof(*nv));

        if (nv == NULL)
            return EC2GW_E_NOMEM;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = j;
    return 0;
}

int
th_owned_add(ec2gw_req_t *r, json_t *j)
{
    return push(&r->owned, &r->n_owned, &r->cap_owned, j);
}

void
th_owned_keep(ec2gw_test_host_t *h, ec2gw_req_t *r)
{
    for (size_t i = 0; i < r->n_owned; i++)
        if (push(&h->watched, &h->n_watched, &h->cap_watched, r->owned[i]) != 0)
            json_decref(r->owned[i]); /* unchecked, not leaked */
    free(r->owned);
    r->owned = NULL;
    r->n_owned = r->cap_owned = 0;
}

static void
ptr_key(const json_t *v, char key[32])
{
    snprintf(key, 32, "%p", (const void *)v);
}

/* Count in @p refs each reference a container reachable from @p v holds (once per container). */
static void
count_refs(json_t *v, json_t *seen, json_t *refs)
{
    char key[32];
    const char *k;
    json_t *c;
    size_t i;

    if (!json_is_object(v) && !json_is_array(v))
        return;
    ptr_key(v, key);
    if (json_object_get(seen, key) != NULL)
        return;
    json_object_set_new(seen, key, json_true());
    if (json_is_array(v)) {
        json_array_foreach(v, i, c)
        {
            ptr_key(c, key);
            json_object_set_new(refs, key,
                                json_integer(json_integer_value(json_object_get(refs, key)) + 1));
            count_refs(c, seen, refs);
        }
        return;
    }
    json_object_foreach(v, k, c)
    {
        ptr_key(c, key);
        json_object_set_new(refs, key,
                            json_integer(json_integer_value(json_object_get(refs, key)) + 1));
        count_refs(c, seen, refs);
    }
}

size_t
th_owned_check(ec2gw_test_host_t *h)
{
    json_t *seen = json_object(), *refs = json_object(), *mine = json_object();
    json_t **owned = h->watched;
    size_t leaks = 0, n_owned = h->n_watched;
    char key[32];

    for (size_t i = 0; i < n_owned; i++)
        count_refs(owned[i], seen, refs);
    /* Our own references: one per own_json() (a value may be given twice), one for the model. */
    for (size_t i = 0; i < n_owned; i++) {
        ptr_key(owned[i], key);
        json_object_set_new(mine, key,
                            json_integer(json_integer_value(json_object_get(mine, key)) + 1));
    }
    for (size_t i = 0; i < n_owned; i++) {
        json_t *j = owned[i];
        size_t expected;

        if (json_is_true(j) || json_is_false(j) || json_is_null(j))
            continue; /* singletons: no counting */
        ptr_key(j, key);
        if (json_object_get(mine, key) == NULL)
            continue; /* already reported */
        expected = (size_t)json_integer_value(json_object_get(mine, key)) +
                   (size_t)json_integer_value(json_object_get(refs, key));
        if (j->refcount > expected) {
            char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

            th_violation(h,
                         "a json value given to own_json() or finish() still has %zu "
                         "reference%s after destroy() (leaked; own_json() takes its own "
                         "reference: json_decref() yours): %.160s",
                         j->refcount - expected, j->refcount - expected == 1 ? "" : "s",
                         text ? text : "?");
            free(text);
            leaks++;
        }
        json_object_del(mine, key);
    }
    for (size_t i = 0; i < n_owned; i++)
        json_decref(owned[i]);
    free(h->watched);
    h->watched = NULL;
    h->n_watched = h->cap_watched = 0;
    json_decref(seen);
    json_decref(refs);
    json_decref(mine);
    h->leaked += leaks;
    return leaks;
}
