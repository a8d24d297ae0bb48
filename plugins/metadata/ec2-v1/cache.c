/*
 * cache.c - answers per instance for metadata.cache_ttl: a boot storm asks each instance's
 * tree dozens of times in a few seconds. Bounded by max_cached_instances: expired entries
 * (which hold up to 64 KiB of user data each) are swept every SWEEP_EVERY insertions and when
 * the cache is full; if it is still full, everything goes (a full cache of live entries means
 * max_cached_instances instances asked within cache_ttl, which the setting should exceed).
 */
#include "md.h"

json_t *
md_cache_get(struct md_inst *in, const char *uuid, int64_t now_ms)
{
    json_t *e = json_object_get(in->cache, uuid);

    if (e == NULL)
        return NULL;
    if (json_integer_value(json_object_get(e, "exp")) <= now_ms) {
        json_object_del(in->cache, uuid);
        return NULL;
    }
    return json_object_get(e, "facts");
}

static void
evict(struct md_inst *in, int64_t now_ms)
{
    const char *k;
    json_t *e;
    void *tmp;

    json_object_foreach_safe(in->cache, tmp, k, e)
    {
        if (json_integer_value(json_object_get(e, "exp")) <= now_ms)
            json_object_del(in->cache, k);
    }
    if ((int64_t)json_object_size(in->cache) >= in->max_cached)
        json_object_clear(in->cache);
}

#define SWEEP_EVERY 256

/* The cache outlives the request whose arena @p facts may live in (host ABI 1.4): a heap copy,
 * and the cache's own table grown, inside a heap scope. */
void
md_cache_put(ec2gw_req_t *req, struct md_inst *in, const char *uuid, json_t *facts, int64_t now_ms,
             int64_t ttl_ms)
{
    int scoped = EC2GW_HOST_HAS(ec2gw, json_heap_begin) && EC2GW_HOST_HAS(ec2gw, json_heap_end);

    if (scoped)
        ec2gw->json_heap_begin(req);
    if ((int64_t)json_object_size(in->cache) >= in->max_cached || ++in->puts % SWEEP_EVERY == 0)
        evict(in, now_ms);
    json_object_set_new(in->cache, uuid,
                        json_pack("{s:I, s:o}", "exp", (json_int_t)(now_ms + ttl_ms), "facts",
                                  json_deep_copy(facts)));
    if (scoped)
        ec2gw->json_heap_end(req);
}
