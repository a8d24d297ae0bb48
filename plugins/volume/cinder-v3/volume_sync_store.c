/*
 * volume_sync_store.c - the memory of the volume cache (volume_sync.c): entries per project,
 * write marks per project, and merging Cinder's answers into an entry.
 *
 * Single-threaded: every caller runs on the loop of one ec2gwd process (workers are
 * processes, each with its own cache). Sequence numbers, not clocks, order refreshes and
 * writes, so a write that ends in the same millisecond as a refresh starts still counts.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "volume_sync.h"

struct cinder_sync *
cinder_sync_new(void)
{
    return calloc(1, sizeof(struct cinder_sync));
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
    while (s->marks != NULL) {
        struct cinder_sync_mark *m = s->marks;

        s->marks = m->next;
        free(m->project);
        free(m);
    }
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

struct cinder_sync_mark *
cinder_sync_mark_get(struct cinder_sync *s, const char *project, int create)
{
    struct cinder_sync_mark *m, **pp, **old = NULL;
    size_t n = 0;

    for (m = s->marks; m != NULL; m = m->next, n++)
        if (strcmp(m->project, project) == 0)
            return m;
    if (!create)
        return NULL;
    if (n >= CINDER_SYNC_MAX_MARKS) {
        /* Forget the oldest idle mark; its project's entry starts over with a full list, so
         * no write it recorded can be missed. */
        for (pp = &s->marks; *pp != NULL; pp = &(*pp)->next)
            if ((*pp)->writing == 0 && (old == NULL || (*pp)->seq_end < (*old)->seq_end))
                old = pp;
        if (old != NULL) {
            m = *old;
            *old = m->next;
            for (struct cinder_sync_entry *e = s->entries; e != NULL; e = e->next)
                if (strcmp(e->project, m->project) == 0)
                    e->valid = 0;
            free(m->project);
            free(m);
        }
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->project = strdup(project)) == NULL) {
        free(m);
        return NULL;
    }
    m->next = s->marks;
    s->marks = m;
    return m;
}

int
cinder_sync_dirty(const struct cinder_sync *s, const struct cinder_sync_entry *e)
{
    const struct cinder_sync_mark *m;

    for (m = s->marks; m != NULL; m = m->next)
        if (strcmp(m->project, e->project) == 0)
            return m->writing > 0 || m->seq_end > e->seq_sync;
    return 0;
}

int
cinder_sync_need_full(const struct cinder_sync *s, const struct cinder_sync_entry *e)
{
    const struct cinder_sync_mark *m;

    for (m = s->marks; m != NULL; m = m->next)
        if (strcmp(m->project, e->project) == 0)
            return m->full_writing > 0 || m->seq_full > e->seq_full;
    return 0;
}

int64_t
cinder_sync_time(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (iso == NULL || sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
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
        int64_t t = cinder_sync_time(cinder_str(v, "updated_at"));

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
