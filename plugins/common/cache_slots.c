/*
 * cache_slots.c - the list of a plugin read cache's entries (cache_slots.h).
 */
#include "cache_slots.h"

#include <string.h>

void
ec2gw_pc_slots_init(struct ec2gw_pc_slots *ss, int64_t idle_ms, ec2gw_pc_free_entry_fn free_entry)
{
    memset(ss, 0, sizeof(*ss));
    ss->idle_ms = idle_ms;
    ss->free_entry = free_entry;
}

void
ec2gw_pc_slots_clear(struct ec2gw_pc_slots *ss)
{
    while (ss->head != NULL) {
        struct ec2gw_pc_slot *e = ss->head;

        ss->head = e->next;
        ss->free_entry(e);
    }
    ss->n = 0;
}

/* Can @p e be dropped now (no request refers to it)? */
static int
ec2gw_pc_slot_idle(const struct ec2gw_pc_slot *e)
{
    return e->owner == NULL && e->waiters == 0;
}

void
ec2gw_pc_slots_sweep(struct ec2gw_pc_slots *ss, int64_t now, size_t cap)
{
    struct ec2gw_pc_slot **pp = &ss->head, **lru, *e;

    while (*pp != NULL) {
        e = *pp;
        if (ec2gw_pc_slot_idle(e) && now - e->t_used > ss->idle_ms) {
            *pp = e->next;
            ss->free_entry(e);
            ss->n--;
            continue;
        }
        pp = &e->next;
    }
    while (ss->n >= cap) {
        lru = NULL;
        for (pp = &ss->head; *pp != NULL; pp = &(*pp)->next)
            if (ec2gw_pc_slot_idle(*pp) && (lru == NULL || (*pp)->t_used < (*lru)->t_used))
                lru = pp;
        if (lru == NULL)
            return; /* every entry is busy: the cap is exceeded until they are done */
        e = *lru;
        *lru = e->next;
        ss->free_entry(e);
        ss->n--;
    }
}

void
ec2gw_pc_slots_add(struct ec2gw_pc_slots *ss, struct ec2gw_pc_slot *slot, int64_t now)
{
    slot->t_used = now;
    slot->next = ss->head;
    ss->head = slot;
    ss->n++;
}

void
ec2gw_pc_slots_forget(void *ctx, const char *project)
{
    struct ec2gw_pc_slots *ss = ctx;

    for (struct ec2gw_pc_slot *e = ss->head; e != NULL; e = e->next)
        if (strcmp(e->project, project) == 0)
            e->valid = 0;
}

int
ec2gw_pc_slot_wait(const ec2gw_host_api_t *host, ec2gw_req_t *req, struct ec2gw_pc_slot *slot,
                   int *waiting, int64_t poll_ms, ec2gw_timer_fn tick, void *arg)
{
    int rc = host->after(req, poll_ms, tick, arg);

    if (rc == EC2GW_AGAIN) {
        *waiting = 1;
        slot->waiters++;
    }
    return rc;
}

int
ec2gw_pc_slot_lead(ec2gw_req_t *req, struct ec2gw_pc_slot *slot, int *leading, int rc)
{
    if (rc == EC2GW_AGAIN) {
        slot->owner = req;
        *leading = 1;
    }
    return rc;
}
