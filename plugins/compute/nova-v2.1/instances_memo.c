/*
 * instances_memo.c - the Instance models of cached servers and their XML, kept with the server
 * cache's entry and reused by later DescribeInstances (issue 15: the gateway's cost per
 * instance).
 *
 * A model depends on the server, on Neutron's groups, ports and floating IPs and Cinder's
 * volumes (shared reads), on the id map, on the instance's item data and on the caller's owner
 * id. A kept record is reused only when all of them are what it was built from:
 *   - the server is the very object it was built from (the memo holds a reference; the cache
 *     replaces a server object when Nova changes it, never changes one in place);
 *   - the raw bodies of the Neutron and Cinder answers equal the ones it was built with
 *     (compared byte for byte: a memcmp of the ports list costs far less than one model);
 *   - the owner id is the same;
 *   - the item data, read from the database for every request (another process may have
 *     changed it), equals the data it was built with.
 * EC2 ids of OpenStack ids never change once mapped, so they are not read again. Tags are read
 * for every request. Anything else is built as before, over a view of the servers that missed
 * only, and kept when the server is the cache's own heap object (not a request copy: floating
 * IPs rewritten, a server being deleted).
 *
 * A record keeps the instance's XML too (the host's render_item, ABI 1.5), with the tags it
 * was rendered with: a request without Filters answers such an instance with a small stand-in
 * (id, reservation, owner: what paging and reservations read) that becomes those bytes in the
 * answer, so neither its model nor its XML is made again. Models are kept for at most
 * NOVA_MEMO_MAX servers (Filters read them; a model costs ~13 kB), the XML for all.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

#define NOVA_MEMO_BODIES NOVA_MODELS_BODIES

/* A record: a heap array of these, uuid-keyed in recs. */
enum {
    REC_SERVER, /* the server object it was built from */
    REC_MODEL,  /* the Instance model (null: over NOVA_MEMO_MAX) */
    REC_DATA,   /* the item data it was built with, or null */
    REC_ITEM,   /* its XML (render_item), or null: not rendered yet */
    REC_TAGS,   /* the Tags REC_ITEM was rendered with */
    REC_ID,     /* InstanceId */
    REC_RID,    /* the reservation id */
    REC_STUB,   /* the stand-in answering it while REC_ITEM holds (shared, never changed) */
    REC_N
};

struct nova_memo {
    char *body[NOVA_MEMO_BODIES]; /* what the models were built with; NULL: no answer */
    size_t len[NOVA_MEMO_BODIES];
    char *owner;
    json_t *recs;    /* uuid → record (heap) */
    size_t n_models; /* records with a model */
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
    m->n_models = 0;
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

/* Keep records of the new models (deep copies on the heap: a model shares the request's view
 * objects); the model itself while fewer than NOVA_MEMO_MAX are kept. */
static void
nova_memo_store(ec2gw_req_t *req, struct nova_memo *m, const struct nova_models_in *in,
                const json_t *fresh, const char *miss, json_t **out)
{
    const json_t *s;
    size_t i;

    nova_heap_begin(req);
    json_array_foreach(in->servers, i, s)
    {
        const char *uuid = nova_str(s, "id"), *id, *rid;
        const json_t *data = NULL, *old;
        json_t *rec;
        int keep_model;

        if (!miss[i] || out[i] == NULL || !nova_memo_keepable(in, s, uuid))
            continue;
        id = nova_str(out[i], "InstanceId");
        rid = nova_str(out[i], "_ReservationId");
        if (id == NULL || rid == NULL)
            continue;
        if (fresh != NULL)
            data = json_object_get(fresh, id);
        old = json_object_get(m->recs, uuid);
        if (old != NULL && !json_is_null(json_array_get(old, REC_MODEL)))
            m->n_models--;
        keep_model = m->n_models < NOVA_MEMO_MAX;
        rec = json_pack("[O, o, o, n, n, s, s, n]", s,
                        keep_model ? json_deep_copy(out[i]) : json_null(),
                        data != NULL ? json_deep_copy(data) : json_null(), id, rid);
        if (rec != NULL && json_object_set_new(m->recs, uuid, rec) == 0 && keep_model)
            m->n_models++;
    }
    nova_heap_end(req);
}

/* Item data of the kept records' instances, one query; a record whose data changed misses. */
static void
nova_memo_check_data(ec2gw_req_t *req, const struct nova_models_in *in, json_t **recs, char *miss)
{
    size_t n = json_array_size(in->servers), k = 0, i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *data = NULL;

    for (i = 0; i < n; i++)
        if (!miss[i])
            ids[k++] = json_string_value(json_array_get(recs[i], REC_ID));
    if (k > 0 && ec2gw->items_get(req, ids, k, &data) != 0) {
        memset(miss, 1, n); /* unknown: build them all */
        return;
    }
    nova_own(req, data);
    for (i = 0; i < n; i++) {
        const json_t *want = json_array_get(recs[i], REC_DATA);
        const json_t *have;

        if (miss[i])
            continue;
        have = json_object_get(data, json_string_value(json_array_get(recs[i], REC_ID)));
        if (json_is_null(want) ? have != NULL : have == NULL || !json_equal(want, have))
            miss[i] = 1;
    }
}

/* The tags of the instances @p ids (n), one query: {"<id>": [...]} (pool), never NULL. */
static json_t *
nova_memo_tags(ec2gw_req_t *req, const char **ids, size_t n)
{
    json_t *tags = NULL;

    if (n > 0 && ec2gw->tags_get(req, ids, n, &tags) != 0)
        tags = NULL;
    return nova_own(req, tags != NULL ? tags : json_object());
}

/* May this answer hold items rendered ahead? Not while a wrapper waits for the model (the
 * host refuses): it must see every instance as JSON. */
static int
nova_items_allowed(ec2gw_req_t *req)
{
    json_t *none = NULL;

    return EC2GW_HOST_HAS(ec2gw, render_item) &&
           ec2gw->render_item(req, "Reservations.Instances", NULL, &none) == EC2GW_E_INVAL;
}

/* The kept records that answer without a model: rendered with the tags the instance has now,
 * no Filters to read models, and items allowed. The others get a copy of their kept model, or
 * miss when none was kept. */
static void
nova_memo_pick(ec2gw_req_t *req, const struct nova_models_in *in, json_t **recs, char *miss,
               json_t **out)
{
    size_t n = json_array_size(in->servers), k = 0, i;
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    int models = json_array_size(json_object_get(ec2gw->params(req), "Filters")) > 0 ||
                 !nova_items_allowed(req);
    json_t *tags, *none = nova_own(req, json_array());

    for (i = 0; i < n; i++)
        if (!miss[i])
            ids[k++] = json_string_value(json_array_get(recs[i], REC_ID));
    tags = nova_memo_tags(req, ids, k);
    for (i = 0; i < n; i++) {
        json_t *t, *item, *model;

        if (miss[i])
            continue;
        t = json_object_get(tags, json_string_value(json_array_get(recs[i], REC_ID)));
        item = json_array_get(recs[i], REC_ITEM);
        model = json_array_get(recs[i], REC_MODEL);
        if (!models && !json_is_null(item) && json_is_object(json_array_get(recs[i], REC_STUB)) &&
            json_equal(json_array_get(recs[i], REC_TAGS), t != NULL ? t : none)) {
            out[i] = json_incref(json_array_get(recs[i], REC_STUB));
        } else if (!json_is_null(model)) {
            /* its own top level: tags and reservations change it */
            out[i] = json_copy(model);
            json_object_set_new(out[i], "Tags", t != NULL ? json_copy(t) : json_array());
        } else {
            miss[i] = 1;
        }
    }
}

const json_t *
nova_memo_fips_basis(const struct nova_memo *m, const char *const *body, const size_t *len)
{
    /* the bodies' order of nova_models_in: groups, ports, floating IPs, volumes */
    if (m == NULL || m->owner == NULL || !nova_body_same(m->body[1], m->len[1], body[1], len[1]) ||
        !nova_body_same(m->body[2], m->len[2], body[2], len[2]))
        return NULL;
    return m->recs;
}

int
nova_memo_kept(const json_t *recs, const json_t *server)
{
    const json_t *rec = json_object_get(recs, nova_or(nova_str(server, "id")));

    return rec != NULL && json_array_get(rec, REC_SERVER) == server;
}

/* Records of @p m by InstanceId, for nova_models_render (pool). */
static json_t *
nova_memo_index(ec2gw_req_t *req, const struct nova_memo *m, const struct nova_models_in *in)
{
    json_t *index = nova_own(req, json_object()), *rec;
    const json_t *s;
    size_t i;

    json_array_foreach(in->servers, i, s)
    {
        rec = json_object_get(m->recs, nova_or(nova_str(s, "id")));
        if (rec != NULL && json_array_get(rec, REC_SERVER) == s)
            json_object_set(index, json_string_value(json_array_get(rec, REC_ID)), rec);
    }
    return index;
}

json_t *
nova_models_build(ec2gw_req_t *req, const struct nova_models_in *in, json_t *items)
{
    struct nova_memo *m = in->memo;
    size_t n = json_array_size(in->servers), i;
    json_t **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));
    json_t **recs = ec2gw->pcalloc(req, (n + 1) * sizeof(*recs));
    char *miss = ec2gw->pcalloc(req, n + 1);
    const char *owner = nova_or(ec2gw->identity(req)->owner_id);
    json_t *index = NULL, *fresh_items = nova_own(req, json_array());
    const json_t *s, *fresh;
    int memo;

    nova_heap_begin(req); /* forgetting kept models frees heap JSON */
    memo = m != NULL && EC2GW_HOST_HAS(ec2gw, items_get) && nova_memo_context(m, in, owner);
    nova_heap_end(req);
    if (!memo) {
        nova_models_fresh(req, in, NULL, out);
        memset(miss, 1, n);
    } else {
        json_array_foreach(in->servers, i, s)
        {
            recs[i] = json_object_get(m->recs, nova_or(nova_str(s, "id")));
            miss[i] = recs[i] == NULL || json_array_get(recs[i], REC_SERVER) != s;
        }
        nova_memo_check_data(req, in, recs, miss);
        nova_memo_pick(req, in, recs, miss, out);
        fresh = nova_models_fresh(req, in, miss, out);
        nova_memo_store(req, m, in, fresh, miss, out);
        if (json_object_size(m->recs) >
            2 * (json_object_size(in->live_map) + json_object_size(in->gone_map)) + 64) {
            /* servers gone from the cache: start over rather than keep them alive */
            nova_heap_begin(req);
            json_object_clear(m->recs);
            m->n_models = 0;
            nova_heap_end(req);
        } else if (nova_items_allowed(req)) {
            index = nova_memo_index(req, m, in);
        }
    }
    for (i = 0; i < n; i++)
        if (miss[i] && out[i] != NULL)
            json_array_append(fresh_items, out[i]);
    nova_attach_tags(req, fresh_items); /* the built ones; the others have theirs */
    for (i = 0; i < n; i++)
        if (out[i] != NULL)
            json_array_append_new(items, out[i]);
    return index;
}

/* The instances of @p reservations as the XML kept with their records: stand-ins become their
 * bytes (always: they cannot be answered otherwise), models of kept records (@p index, may be
 * NULL) are rendered now and kept with their tags. */
void
nova_models_render(ec2gw_req_t *req, struct nova_memo *m, const json_t *index, json_t *reservations)
{
    const json_t *res;
    json_t *it, *item, *rec, *list;
    size_t i, j;

    json_array_foreach(reservations, i, res)
    {
        list = json_object_get(res, "Instances");
        json_array_foreach(list, j, it)
        {
            if ((item = json_object_get(it, "_Item")) != NULL) {
                json_array_set(list, j, item);
                continue;
            }
            rec = json_object_get(index, nova_or(nova_str(it, "InstanceId")));
            if (m == NULL || rec == NULL)
                continue;
            item = json_array_get(rec, REC_ITEM);
            if (!json_is_null(item) &&
                json_equal(json_array_get(rec, REC_TAGS), json_object_get(it, "Tags"))) {
                json_array_set(list, j, item); /* a model was needed for Filters only */
                continue;
            }
            nova_heap_begin(req);
            if (ec2gw->render_item(req, "Reservations.Instances", it, &item) == 0) {
                json_array_set_new(rec, REC_TAGS, json_deep_copy(json_object_get(it, "Tags")));
                json_array_set_new(rec, REC_ITEM, item);
                /* what paging and reservations read, and the bytes */
                json_array_set_new(rec, REC_STUB,
                                   json_pack("{s:O, s:O, s:s?, s:O}", "InstanceId",
                                             json_array_get(rec, REC_ID), "_ReservationId",
                                             json_array_get(rec, REC_RID), "_OwnerId",
                                             ec2gw->identity(req)->owner_id, "_Item", item));
                json_array_set(list, j, item);
            }
            nova_heap_end(req);
        }
    }
}
