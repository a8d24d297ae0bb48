/*
 * volume_sync.h - the volume cache's private parts, shared by volume_sync.c (the refresh flow)
 * and volume_sync_store.c (its memory). The rest of the plugin uses cinder.h's cinder_sync_*.
 */
#ifndef CINDER_VOLUME_SYNC_H
#define CINDER_VOLUME_SYNC_H

#include "cache_slots.h"
#include "cinder.h"
#include "iso_time.h"
#include "write_marks.h"

#define CINDER_SYNC_IDLE_MS   (10 * 60 * 1000) /* an entry not read this long is dropped */
#define CINDER_SYNC_POLL_MS   20               /* how often a waiting request looks again */
#define CINDER_SYNC_MAX_MARKS 4096             /* projects whose writes are remembered */
#define CINDER_DELTA_MV       "3.60"           /* GET /volumes/detail?updated_at=gte:... */
#define CINDER_SUMMARY_MV     "3.12"           /* GET /volumes/summary (total_count) */

/* The volumes of one project, as the project's members list them. */
struct cinder_sync_entry {
    struct ec2gw_pc_slot slot; /* project, valid (vols holds a good refresh), owner... */
    json_t *vols;              /* uuid → Cinder volume (heap JSON, replaced, never changed) */
    json_t *token;             /* the "volume-summary" the entry was checked with (copy), or NULL */
    int failed;                /* the last refresh failed */
    uint64_t seq_sync;         /* sequence when the refresh behind vols started */
    uint64_t seq_full;         /* sequence when the last full list started */
    int64_t t_sync;            /* now_ms() when that refresh started */
    int64_t t_full;            /* now_ms() when the last full list started */
    int64_t marker; /* newest updated_at Cinder showed (epoch s, Cinder's clock); 0: none */
    unsigned gen;   /* counts the refreshes that ended */
};

struct cinder_sync {
    struct ec2gw_pc_slots entries; /* of struct cinder_sync_entry */
    /* Writes per project (full ones add or remove volumes); marks.seq orders refresh starts
     * and write ends */
    struct ec2gw_pc_marks marks;
    int no_delta; /* Cinder refused the updated_at filter (< 3.60): full lists only */
    uint64_t full, delta, untrusted; /* refreshes made, incrementals replaced by a full list */
};

/* The entry of @p project (made when missing; may drop idle ones to stay under @p cap). */
struct cinder_sync_entry *cinder_sync_entry_get(struct cinder_sync *s, const char *project,
                                                int64_t now, size_t cap);
/* Replace the entry's volumes with a full list. Heap scope. */
void cinder_sync_merge_full(struct cinder_sync_entry *e, const json_t *list);
/* Merge a delta: changed volumes replaced, new ones added. Heap scope. */
void cinder_sync_merge_delta(struct cinder_sync_entry *e, const json_t *list);
/* Keep a copy of @p token (Cinder's "volume-summary") as the entry's. Heap scope. */
void cinder_sync_set_token(struct cinder_sync_entry *e, const json_t *token);
/* Would the entry's volumes with @p delta merged add up to Cinder's "volume-summary"? */
int cinder_sync_matches(const struct cinder_sync_entry *e, const json_t *delta,
                        const json_t *summary);

#endif /* CINDER_VOLUME_SYNC_H */
