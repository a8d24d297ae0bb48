/*
 * instances_memo.c - the Instance models of cached servers, kept with the server cache's entry
 * and reused by later DescribeInstances (issue 15: the gateway's cost per instance).
 *
 * A model depends on the server, on Neutron's groups, ports and floating IPs and Cinder's
 * volumes (shared reads), on the id map, on the instance's item data and on the caller's owner
 * id. A kept model is reused only when all of them are what it was built from:
 *   - the server is the very object it was built from (the memo holds a reference; the cache
 *     replaces a server object when Nova changes it, never changes one in place);
 *   - the raw bodies of the Neutron and Cinder answers equal the ones it was built with
 *     (compared byte for byte: a memcmp of the ports list costs far less than one model);
 *   - the owner id is the same;
 *   - the item data, read from the database for every request (another process may have
 *     changed it), equals the data it was built with.
 * EC2 ids of OpenStack ids never change once mapped, so they are not read again. Tags are not
 * part of a model: every request reads them. Anything else is built as before, over a view of
 * the servers that missed only, and kept when the server is the cache's own heap object (not a
 * request copy: floating IPs rewritten, a server being deleted).
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

#define NOVA_MEMO_BODIES NOVA_MODELS_BODIES

struct nova_memo {
    char *body[NOVA_MEMO_BODIES]; /* what the models were built with; NULL: no answer */
    size_t len[NOVA_MEMO_BODIES];
    char *owner;
    json_t *recs; /* uuid → [server, model, item data or null] (heap) */
};

static void
nova_memo_reset(struct nova_memo *m)
{
    for (size_t i = 0; i < NOVA_MEMO_BODIES; i++) {
        free(m->body[i]);
        m->body[i] = NULL;
        m->len[i] = 0;
    }
    free(m->owner);
    m->owner = NULL;
    json_object_clear(m->recs);
}

void
nova_memo_free(struct nova_memo *m)
{
    if (m == NULL)
        return;
    nova_memo_reset(m);
    json_decref(m->recs);
    free(m);
}

struct nova_memo *
nova_memo_new(void)
{
    struct nova_memo *m = calloc(1, sizeof(*m));

    if (m != NULL && (m->recs = json_object()) == NULL) {
        free(m);
        m = NULL;
    }
    return m;
}

static int
nova_body_same(const char *have, size_t have_len, const char *body, size_t len)
{
    if (have == NULL || body == NULL)
        return have == NULL && body == NULL;
    return have_len == len && memcmp(have, body, len) == 0;
}

/* Are the models built with what this request has? If not, forget them and start over with
 * it. 0 when the memo cannot be used (no memory). */
static int
nova_memo_context(struct nova_memo *m, const struct nova_models_in *in, const char *owner)
{
    int same = m->owner != NULL && strcmp(m->owner, owner) == 0;

    for (size_t i = 0; same && i < NOVA_MEMO_BODIES; i++)
        same = nova_body_same(m->body[i], m->len[i], in->body[i], in->len[i]);
    if (same)
        return 1;
    nova_memo_reset(m);
    for (size_t i = 0; i < NOVA_MEMO_BODIES; i++) {
        if (in->body[i] == NULL)
            continue;
        if ((m->body[i] = malloc(in->len[i] + 1)) == NULL)
            return 0;
        memcpy(m->body[i], in->body[i], in->len[i]);
        m->len[i] = in->len[i];
    }
    return (m->owner = strdup(owner)) != NULL;
}

/* Is @p s the cache's own object (heap, kept alive by the entry or the memo)? */
static int
nova_memo_keepable(const struct nova_models_in *in, const json_t *s, const char *uuid)
{
    return uuid != NULL &&
           (json_object_get(in->live_map, uuid) == s || json_object_get(in->gone_map, uuid) == s);
}

/* The models of the servers flagged in @p miss (built as without the memo, into @p out);
 * returns the item data the view read (or NULL). */
static const json_t *
nova_models_fresh(ec2gw_req_t *req, const struct nova_models_in *in, const char *miss, json_t **out)
{
    json_t *subset = nova_own(req, json_array()), *s;
    struct nova_view view;
    size_t i;

    json_array_foreach(in->servers, i, s) if (miss == NULL || miss[i]) json_array_append(subset, s);
    if (json_array_size(subset) == 0)
        return NULL;
    nova_view_build(req, &view, subset, in->groups, in->ports, in->volumes);
    json_array_foreach(in->servers, i, s) if (miss == NULL || miss[i]) out[i] =
        nova_instance_model(req, in->ni, s, &view);
    return view.data;
}

/* Keep the new models (deep copies on the heap: a model shares the request's view objects). */
static void
nova_memo_store(ec2gw_req_t *req, struct nova_memo *m, const struct nova_models_in *in,
                const json_t *fresh, const char *miss, json_t **out)
{
    const json_t *s;
    size_t i;

    nova_heap_begin(req);
    json_array_foreach(in->servers, i, s)
    {
        const char *uuid = nova_str(s, "id"), *id;
        json_t *data = NULL, *rec;

        if (!miss[i] || out[i] == NULL || !nova_memo_keepable(in, s, uuid))
            continue;
        if (json_object_size(m->recs) >= NOVA_MEMO_MAX && json_object_get(m->recs, uuid) == NULL)
            continue; /* full: the rest are built per request */
        id = nova_str(out[i], "InstanceId");
        if (id != NULL)
            data = json_object_get(fresh, id);
        rec = json_pack("[O, o, o]", s, json_deep_copy(out[i]),
                        data != NULL ? json_deep_copy(data) : json_null());
        if (rec != NULL)
            json_object_set_new(m->recs, uuid, rec);
    }
    nova_heap_end(req);
}

/* Item data of the kept models' instances, one query; a model whose data changed is rebuilt. */
static void
nova_memo_check_data(ec2gw_req_t *req, const struct nova_models_in *in, json_t **recs, char *miss)
{
    size_t n = json_array_size(in->servers), k = 0, i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *data = NULL;

    for (i = 0; i < n; i++)
        if (!miss[i])
            ids[k++] = nova_str(json_array_get(recs[i], 1), "InstanceId");
    if (k > 0 && ec2gw->items_get(req, ids, k, &data) != 0) {
        memset(miss, 1, n); /* unknown: build them all */
        return;
    }
    nova_own(req, data);
    for (i = 0; i < n; i++) {
        const json_t *want = json_array_get(recs[i], 2);
        const json_t *have;

        if (miss[i])
            continue;
        have = json_object_get(data, nova_or(nova_str(json_array_get(recs[i], 1), "InstanceId")));
        if (json_is_null(want) ? have != NULL : have == NULL || !json_equal(want, have))
            miss[i] = 1;
    }
}

void
nova_models_build(ec2gw_req_t *req, const struct nova_models_in *in, json_t *items)
{
    struct nova_memo *m = in->memo;
    size_t n = json_array_size(in->servers), i;
    json_t **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));
    json_t **recs = ec2gw->pcalloc(req, (n + 1) * sizeof(*recs));
    char *miss = ec2gw->pcalloc(req, n + 1);
    const char *owner = nova_or(ec2gw->identity(req)->owner_id);
    const json_t *s, *fresh;
    int memo;

    nova_heap_begin(req); /* forgetting kept models frees heap JSON */
    memo = m != NULL && EC2GW_HOST_HAS(ec2gw, items_get) && nova_memo_context(m, in, owner);
    nova_heap_end(req);
    if (!memo) {
        nova_models_fresh(req, in, NULL, out);
    } else {
        json_array_foreach(in->servers, i, s)
        {
            recs[i] = json_object_get(m->recs, nova_or(nova_str(s, "id")));
            miss[i] = recs[i] == NULL || json_array_get(recs[i], 0) != s;
        }
        nova_memo_check_data(req, in, recs, miss);
        fresh = nova_models_fresh(req, in, miss, out);
        for (i = 0; i < n; i++)
            if (!miss[i]) /* its own top level: tags and reservations change it */
                out[i] = json_copy(json_array_get(recs[i], 1));
        nova_memo_store(req, m, in, fresh, miss, out);
        if (json_object_size(m->recs) >
            2 * (json_object_size(in->live_map) + json_object_size(in->gone_map)) + 64) {
            /* servers gone from the cache: start over rather than keep them alive */
            nova_heap_begin(req);
            json_object_clear(m->recs);
            nova_heap_end(req);
        }
    }
    for (i = 0; i < n; i++)
        if (out[i] != NULL)
            json_array_append_new(items, out[i]);
}
