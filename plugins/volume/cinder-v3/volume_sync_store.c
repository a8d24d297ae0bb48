/*
 * volume_sync_store.c - the memory of the volume cache (volume_sync.c): entries per project,
 * write marks per project, and merging Cinder's answers into an entry.
 *
 * Single-threaded: every caller runs on the loop of one ec2gwd process (workers are
 * processes, each with its own cache). Sequence numbers, not clocks, order refreshes and
 * writes, so a write that ends in the same millisecond as a refresh starts still counts.
 */
#define _DEFAULT_SOURCE /* gmtime_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "volume_sync.h"

/* A write mark was forgotten: the project's entry starts over with a full list. */
static void
cinder_sync_forget(void *ctx, const char *project)
{
    struct cinder_sync *s = ctx;

    for (struct cinder_sync_entry *e = s->entries; e != NULL; e = e->next)
        if (strcmp(e->project, project) == 0)
            e->valid = 0;
}

struct cinder_sync *
cinder_sync_new(void)
{
    struct cinder_sync *s = calloc(1, sizeof(*s));

    if (s != NULL)
        ec2gw_pc_marks_init(&s->marks, CINDER_SYNC_MAX_MARKS, cinder_sync_forget, s);
    return s;
}

static void
cinder_entry_free(struct cinder_sync_entry *e)
{
    json_decref(e->vols);
    json_decref(e->token);
    free(e->project);
    free(e);
}

void
cinder_sync_free(struct cinder_sync *s)
{
    if (s == NULL)
        return;
    while (s->entries != NULL) {
        struct cinder_sync_entry *e = s->entries;

        s->entries = e->next;
        cinder_entry_free(e);
    }
    ec2gw_pc_marks_clear(&s->marks);
    free(s);
}

static int
cinder_entry_idle(const struct cinder_sync_entry *e)
{
    return e->owner == NULL && e->waiters == 0;
}

/* Drop entries unused for CINDER_SYNC_IDLE_MS; then, over @p cap, the least recently used. */
static void
cinder_sync_sweep(struct cinder_sync *s, int64_t now, size_t cap)
{
    struct cinder_sync_entry **pp = &s->entries, **lru, *e;

    while (*pp != NULL) {
        e = *pp;
        if (cinder_entry_idle(e) && now - e->t_used > CINDER_SYNC_IDLE_MS) {
            *pp = e->next;
            cinder_entry_free(e);
            s->n--;
            continue;
        }
        pp = &e->next;
    }
    while (s->n >= cap) {
        lru = NULL;
        for (pp = &s->entries; *pp != NULL; pp = &(*pp)->next)
            if (cinder_entry_idle(*pp) && (lru == NULL || (*pp)->t_used < (*lru)->t_used))
                lru = pp;
        if (lru == NULL)
            return; /* every entry is busy: over the cap until they are done */
        e = *lru;
        *lru = e->next;
        cinder_entry_free(e);
        s->n--;
    }
}

struct cinder_sync_entry *
cinder_sync_entry_get(struct cinder_sync *s, const char *project, int64_t now, size_t cap)
{
    struct cinder_sync_entry *e;

    for (e = s->entries; e != NULL; e = e->next)
        if (strcmp(e->project, project) == 0)
            return e;
    cinder_sync_sweep(s, now, cap > 0 ? cap : 1);
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->project = strdup(project);
    e->vols = json_object();
    if (e->project == NULL || e->vols == NULL) {
        cinder_entry_free(e);
        return NULL;
    }
    e->t_used = now;
    e->next = s->entries;
    s->entries = e;
    s->n++;
    return e;
}

void
cinder_sync_iso(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The newest updated_at of @p list (epoch s, seconds cut), at least @p since. */
static int64_t
cinder_newest(const json_t *list, int64_t since)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        int64_t t = ec2gw_pc_time(cinder_str(v, "updated_at"));

        if (t > since)
            since = t;
    }
    return since;
}

void
cinder_sync_merge_full(struct cinder_sync_entry *e, const json_t *list)
{
    const json_t *v;
    size_t i;

    json_object_clear(e->vols);
    json_array_foreach(list, i, v)
    {
        if (cinder_str(v, "id") != NULL)
            json_object_set_new(e->vols, cinder_str(v, "id"), json_deep_copy(v));
    }
    e->marker = cinder_newest(list, 0);
}

void
cinder_sync_merge_delta(struct cinder_sync_entry *e, const json_t *list)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        if (cinder_str(v, "id") != NULL)
            json_object_set_new(e->vols, cinder_str(v, "id"), json_deep_copy(v));
    }
    e->marker = cinder_newest(list, e->marker);
}

void
cinder_sync_set_token(struct cinder_sync_entry *e, const json_t *token)
{
    json_decref(e->token);
    e->token = token != NULL ? json_deep_copy(token) : NULL;
}

int
cinder_sync_matches(const struct cinder_sync_entry *e, const json_t *delta, const json_t *summary)
{
    const json_t *vs = summary, *v;
    const json_t *count = json_object_get(vs, "total_count");
    const json_t *size = json_object_get(vs, "total_size");
    size_t n = json_object_size(e->vols), i;
    json_int_t gib = 0;
    const char *k;

    if (!json_is_integer(count))
        return 0;
    json_object_foreach((json_t *)e->vols, k, v) gib +=
        json_integer_value(json_object_get(v, "size"));
    json_array_foreach(delta, i, v)
    {
        const json_t *old =
            json_object_get(e->vols, cinder_str(v, "id") ? cinder_str(v, "id") : "");

        if (old == NULL)
            n++;
        gib += json_integer_value(json_object_get(v, "size")) -
               json_integer_value(json_object_get(old, "size"));
    }
    /* the GiB as a second sum: a volume gone and another come between the summary and the
     * delta keep the count */
    return (size_t)json_integer_value(count) == n &&
           (!json_is_number(size) || (json_int_t)json_number_value(size) == gib);
}
