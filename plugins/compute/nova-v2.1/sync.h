/*
 * sync.h - the server cache's private parts, shared by instances_sync.c (the refresh flow)
 * and sync_store.c (its memory). The rest of the plugin uses nova.h's nova_sync_* only.
 */
#ifndef NOVA_SYNC_H
#define NOVA_SYNC_H

#include "cache_slots.h"
#include "iso_time.h"
#include "nova.h"
#include "write_marks.h"

#define NOVA_SYNC_IDLE_MS    (10 * 60 * 1000) /* an entry not read this long is dropped */
#define NOVA_SYNC_POLL_MS    20               /* how often a waiting request looks again */
#define NOVA_SYNC_DEFAULT_MS 2000             /* the bound when the host has none (< ABI 1.4) */
#define NOVA_SYNC_MAX_MARKS  4096             /* projects whose writes are remembered */
/* Instance models kept per cache entry (instances_memo.c), for requests with Filters: a kept
 * model costs ~13 kB of heap JSON, and issue 15 wants the daemon back under 40 MB after
 * 1 000-instance answers; each instance's XML (~2.2 kB) is kept besides, for all of them */
#define NOVA_MEMO_MAX 50

/* The servers of one key: a project's (service-scoped) or one user's of a project. */
struct nova_sync_entry {
    struct ec2gw_pc_slot slot; /* project, valid (live/gone hold a good refresh), owner... */
    char *key;
    json_t *live, *gone; /* uuid → server (heap JSON): listed / deleted but still shown */
    int failed;          /* the last refresh failed */
    uint64_t seq_sync;   /* sequence when the refresh behind live/gone started */
    uint64_t seq_full;   /* sequence when the last full list started */
    int64_t t_sync;      /* now_ms() when that refresh started */
    int64_t t_full;      /* now_ms() when the last full list started */
    int64_t marker;      /* newest `updated` Nova showed (epoch s, Nova's clock); 0: none */
    unsigned gen;        /* counts the refreshes that ended */
    /* Instance models of these servers (instances_memo.c), or NULL */
    struct nova_memo *memo;
};

struct nova_sync {
    struct ec2gw_pc_slots entries; /* of struct nova_sync_entry */
    /* Writes per project (full ones: RunInstances, new servers); marks.seq orders refresh
     * starts and write ends */
    struct ec2gw_pc_marks marks;
    int64_t override_ms; /* describe_staleness setting; -1: the daemon's */
    int svc_refused;     /* Nova refused a service-scoped list (403): list as the caller */
};

/* The entry of @p key (made when missing; may drop idle ones to stay under @p cap), or NULL. */
struct nova_sync_entry *nova_sync_entry_get(struct nova_sync *s, const char *key,
                                            const char *project, int64_t now, size_t cap);
/* Replace the entry's servers with a full list (@p live) and the deleted window's. */
void nova_sync_merge_full(struct nova_sync_entry *e, const json_t *live, const json_t *deleted);
/* Merge a changes-since answer: changed servers replaced, new ones added, DELETED ones moved. */
void nova_sync_merge_changes(struct nova_sync_entry *e, const json_t *changed);
/* Forget deleted servers last updated before @p oldest (epoch s). */
void nova_sync_prune_gone(struct nova_sync_entry *e, int64_t oldest);
/* Make (or end) the JSON made meanwhile live on the heap, past the request (host >= 1.4). */
void nova_heap_begin(ec2gw_req_t *req);
void nova_heap_end(ec2gw_req_t *req);
/* instances_memo.c: the memo of one entry. */
struct nova_memo *nova_memo_new(void);
void nova_memo_free(struct nova_memo *m);

#endif /* NOVA_SYNC_H */
