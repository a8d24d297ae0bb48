/*
 * volume_sync_store.c - the memory of the volume cache (volume_sync.c): entries per project,
 * write marks per project, and merging Cinder's answers into an entry.
 *
 * Single-threaded: every caller runs on the loop of one ec2gwd process (workers are
 * processes, each with its own cache). Sequence numbers, not clocks, order refreshes and
 * writes, so a write that ends in the same millisecond as a refresh starts still counts.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "volume_sync.h"

/* An ec2gw_pc_free_entry_fn: the slot is the entry's first member. */
static void
cinder_entry_free(struct ec2gw_pc_slot *slot)
{
    struct cinder_sync_entry *e = (struct cinder_sync_entry *)slot;

    json_decref(e->vols);
    json_decref(e->token);
    free(e->slot.project);
    free(e);
}

struct cinder_sync *
cinder_sync_new(void)
{
    struct cinder_sync *s = calloc(1, sizeof(*s));

    if (s != NULL) {
        ec2gw_pc_slots_init(&s->entries, CINDER_SYNC_IDLE_MS, cinder_entry_free);
        ec2gw_pc_marks_init(&s->marks, CINDER_SYNC_MAX_MARKS, ec2gw_pc_slots_forget, &s->entries);
    }
    return s;
}

void
cinder_sync_free(struct cinder_sync *s)
{
    if (s == NULL)
        return;
    ec2gw_pc_slots_clear(&s->entries);
    ec2gw_pc_marks_clear(&s->marks);
    free(s);
}

struct cinder_sync_entry *
cinder_sync_entry_get(struct cinder_sync *s, const char *project, int64_t now, size_t cap)
{
    struct cinder_sync_entry *e;

    for (e = (struct cinder_sync_entry *)s->entries.head; e != NULL;
         e = (struct cinder_sync_entry *)e->slot.next)
        if (strcmp(e->slot.project, project) == 0)
            return e;
    ec2gw_pc_slots_sweep(&s->entries, now, cap > 0 ? cap : 1);
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->slot.project = strdup(project);
    e->vols = json_object();
    if (e->slot.project == NULL || e->vols == NULL) {
        cinder_entry_free(&e->slot);
        return NULL;
    }
    ec2gw_pc_slots_add(&s->entries, &e->slot, now);
    return e;
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
    e->marker = ec2gw_pc_newest(list, "updated_at", 0);
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
    e->marker = ec2gw_pc_newest(list, "updated_at", e->marker);
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
