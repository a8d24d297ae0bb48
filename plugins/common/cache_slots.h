/*
 * cache_slots.h - the list of a plugin read cache's entries (nova-v2.1's servers per key,
 * cinder-v3's volumes per project): the bookkeeping every entry has, the sweep that keeps the
 * list under its cap, and the invalidation of a project's entries when its write mark is
 * forgotten (write_marks.h). What an entry holds stays the plugin's.
 *
 * Single-threaded, like the write marks: every caller runs on the loop of one ec2gwd process.
 */
#ifndef EC2GW_PC_CACHE_SLOTS_H
#define EC2GW_PC_CACHE_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include <ec2gw/plugin.h>

/* The first member of a plugin's entry (so a slot pointer is the entry's). */
struct ec2gw_pc_slot {
    struct ec2gw_pc_slot *next;
    char *project;      /* heap; freed by the plugin's free_entry */
    int valid;          /* the entry holds a good refresh */
    int64_t t_used;     /* now_ms() of the last read */
    ec2gw_req_t *owner; /* the request refreshing it, or NULL */
    unsigned waiters;   /* requests waiting on it (a refresh, a probe): not swept meanwhile */
};

typedef void (*ec2gw_pc_free_entry_fn)(struct ec2gw_pc_slot *slot);

struct ec2gw_pc_slots {
    struct ec2gw_pc_slot *head;
    size_t n;
    int64_t idle_ms;                   /* an entry not read this long is dropped */
    ec2gw_pc_free_entry_fn free_entry; /* frees the whole entry */
};

void ec2gw_pc_slots_init(struct ec2gw_pc_slots *ss, int64_t idle_ms,
                         ec2gw_pc_free_entry_fn free_entry);
/* Free every entry (the struct itself is the caller's). */
void ec2gw_pc_slots_clear(struct ec2gw_pc_slots *ss);
/* Drop entries unused for idle_ms; then, while @p cap or more, the least recently used idle
 * one (busy ones stay: the cap is exceeded until they are done). Call before adding one. */
void ec2gw_pc_slots_sweep(struct ec2gw_pc_slots *ss, int64_t now, size_t cap);
/* Put a new entry (its slot zeroed but for project) first, read at @p now. */
void ec2gw_pc_slots_add(struct ec2gw_pc_slots *ss, struct ec2gw_pc_slot *slot, int64_t now);
/* A write mark of @p project was forgotten: its entries start over with a full list.
 * An ec2gw_pc_forget_fn, @p ctx the struct ec2gw_pc_slots. */
void ec2gw_pc_slots_forget(void *ctx, const char *project);

/* One refresh of an entry at a time: the first request leads it (slot->owner), the others
 * wait for it and look again every poll. */
/* Wait for the refresh another request leads: @p tick(req, @p arg) runs in @p poll_ms.
 * EC2GW_AGAIN: waiting (counted in slot->waiters and *@p waiting); else the host's error. */
int ec2gw_pc_slot_wait(const ec2gw_host_api_t *host, ec2gw_req_t *req, struct ec2gw_pc_slot *slot,
                       int *waiting, int64_t poll_ms, ec2gw_timer_fn tick, void *arg);
/* @p rc is what starting a refresh returned: on EC2GW_AGAIN @p req leads it (slot->owner,
 * *@p leading). Returns @p rc. */
int ec2gw_pc_slot_lead(ec2gw_req_t *req, struct ec2gw_pc_slot *slot, int *leading, int rc);

#endif /* EC2GW_PC_CACHE_SLOTS_H */
