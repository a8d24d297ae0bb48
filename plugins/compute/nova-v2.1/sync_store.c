/*
 * sync_store.c - the memory of the server cache (instances_sync.c): entries per key, write
 * marks per project, and merging Nova's answers into an entry.
 *
 * Single-threaded: every caller runs on the loop of one ec2gwd process (workers are
 * processes, each with its own cache). Sequence numbers, not clocks, order refreshes and
 * writes, so a write that ends in the same millisecond as a refresh starts still counts.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

/* An ec2gw_pc_free_entry_fn: the slot is the entry's first member. */
static void
nova_entry_free(struct ec2gw_pc_slot *slot)
{
    struct nova_sync_entry *e = (struct nova_sync_entry *)slot;

    nova_memo_free(e->memo);
    json_decref(e->live);
    json_decref(e->gone);
    free(e->key);
    free(e->slot.project);
    free(e);
}

struct nova_sync *
nova_sync_new(void)
{
    struct nova_sync *s = calloc(1, sizeof(*s));

    if (s != NULL) {
        s->override_ms = -1;
        ec2gw_pc_slots_init(&s->entries, NOVA_SYNC_IDLE_MS, nova_entry_free);
        ec2gw_pc_marks_init(&s->marks, NOVA_SYNC_MAX_MARKS, ec2gw_pc_slots_forget, &s->entries);
    }
    return s;
}

void
nova_sync_set_staleness(struct nova_sync *s, int64_t ms)
{
    s->override_ms = ms;
}

void
nova_sync_free(struct nova_sync *s)
{
    if (s == NULL)
        return;
    ec2gw_pc_slots_clear(&s->entries);
    ec2gw_pc_marks_clear(&s->marks);
    free(s);
}

int
nova_sync_parse_staleness(const char *text, int64_t *ms)
{
    static const struct {
        const char *suffix;
        int64_t factor;
    } units[] = { { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 } };
    char *end = NULL;
    long long v;

    if (text == NULL || strcmp(text, "daemon") == 0) {
        *ms = -1;
        return 0;
    }
    if (text[0] < '0' || text[0] > '9')
        return -1;
    v = strtoll(text, &end, 10);
    if (v < 0 || v > 3600000)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            *ms = v * units[i].factor;
            return *ms <= 3600000 ? 0 : -1;
        }
    }
    return -1;
}

struct nova_sync_entry *
nova_sync_entry_get(struct nova_sync *s, const char *key, const char *project, int64_t now,
                    size_t cap)
{
    struct nova_sync_entry *e;

    for (e = (struct nova_sync_entry *)s->entries.head; e != NULL;
         e = (struct nova_sync_entry *)e->slot.next)
        if (strcmp(e->key, key) == 0)
            return e;
    ec2gw_pc_slots_sweep(&s->entries, now, cap > 0 ? cap : 1);
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->key = strdup(key);
    e->slot.project = strdup(project);
    e->live = json_object();
    e->gone = json_object();
    if (e->key == NULL || e->slot.project == NULL || e->live == NULL || e->gone == NULL) {
        nova_entry_free(&e->slot);
        return NULL;
    }
    ec2gw_pc_slots_add(&s->entries, &e->slot, now);
    return e;
}

static int
nova_is_deleted(const json_t *server)
{
    const char *st = nova_str(server, "status");

    return st != NULL && strcmp(st, "DELETED") == 0;
}

void
nova_sync_merge_full(struct nova_sync_entry *e, const json_t *live, const json_t *deleted)
{
    const json_t *s;
    size_t i;

    json_object_clear(e->live);
    json_object_clear(e->gone);
    json_array_foreach(live, i, s)
    {
        if (nova_str(s, "id") != NULL)
            json_object_set_new(e->live, nova_str(s, "id"), json_deep_copy(s));
    }
    /* As the caller, Nova lists every server changed in the window, live ones too: those are
     * in the live list already. One in the window only was deleted between the two calls. */
    json_array_foreach(deleted, i, s)
    {
        const char *id = nova_str(s, "id");

        if (id != NULL && json_object_get(e->live, id) == NULL)
            json_object_set_new(e->gone, id, json_deep_copy(s));
    }
    e->marker = ec2gw_pc_newest(deleted, "updated", ec2gw_pc_newest(live, "updated", 0));
}

void
nova_sync_merge_changes(struct nova_sync_entry *e, const json_t *changed)
{
    const json_t *s;
    size_t i;

    json_array_foreach(changed, i, s)
    {
        const char *id = nova_str(s, "id");

        if (id == NULL)
            continue;
        if (nova_is_deleted(s)) {
            json_object_del(e->live, id);
            json_object_set_new(e->gone, id, json_deep_copy(s));
        } else {
            json_object_del(e->gone, id);
            json_object_set_new(e->live, id, json_deep_copy(s));
        }
    }
    e->marker = ec2gw_pc_newest(changed, "updated", e->marker);
}

void
nova_sync_prune_gone(struct nova_sync_entry *e, int64_t oldest)
{
    const char *id;
    json_t *s, *tmp;

    json_object_foreach_safe(e->gone, tmp, id, s)
    {
        if (ec2gw_pc_time(nova_str(s, "updated")) < oldest)
            json_object_del(e->gone, id);
    }
}
