/*
 * os_share.h - shared OpenStack reads (ABI 1.4, EC2GW_CALL_SHARED): identical GETs of one token
 * scope in flight at once are sent once, and a 2xx answer is reused by calls that start within
 * describe_max_staleness of when its HTTP call started. Writes of a project drop its entries.
 * Used by os_call.c; the entries live on the heap, outside any request.
 */
#ifndef EC2GW_SERVER_OS_SHARE_H
#define EC2GW_SERVER_OS_SHARE_H

#include <stdint.h>

#include <jansson.h>

#include "openstack/http_client.h"
#include "server/request.h"

/** Caps on what is kept: beyond them the oldest entries go first. */
#define EC2GW_SHARE_MAX_ENTRIES 512
#define EC2GW_SHARE_MAX_BYTES   (64u * 1024u * 1024u)

struct ec2gw_share_entry;

/** One answer as every waiter sees it (borrowed from the entry, which outlives the request). */
typedef struct ec2gw_share_answer {
    long status;
    int timed_out;
    const char *error;
    const char *body;
    size_t body_len;
    const char *request_id;
    const char *location;
    json_t *json; /**< decoded on the heap; shared: never changed */
    int shared;   /**< 1 when the HTTP call was another request's (joined or reused) */
} ec2gw_share_answer_t;

typedef struct ec2gw_share_waiter ec2gw_share_waiter_t;
typedef void (*ec2gw_share_deliver_fn)(ec2gw_share_waiter_t *w, const ec2gw_share_answer_t *a);

/** Embedded in a call: the entry it waits on. Zeroed = not shared. */
struct ec2gw_share_waiter {
    ec2gw_share_waiter_t *next; /* the entry's waiters, or the list of reuses to deliver */
    struct ec2gw_share_entry *entry;
    ec2gw_req_t *r;
    ec2gw_share_deliver_fn deliver;
    int leader;  /* its request started the HTTP call */
    int pending; /* a reuse waiting for the 0 ms event */
};

/**
 * Join the shared read (service, url, microversion, raw, r's token scope; @p as_service: the
 * service user's token) if one is in flight or fresh: then 1, and @p deliver runs later on the
 * loop. Otherwise 0: @p w now leads a new entry; start its HTTP call with
 * ec2gw_os_share_start(). Negative when out of memory (send the call unshared).
 */
int ec2gw_os_share_join(ec2gw_req_t *r, ec2gw_share_waiter_t *w, ec2gw_share_deliver_fn deliver,
                        const char *service, const char *url, const char *microversion, int raw,
                        int as_service);

/** Start the leader's call @p hc (the entry owns it from here). 0, or negative (w left). */
int ec2gw_os_share_start(ec2gw_share_waiter_t *w, ec2gw_http_call_t *hc);

/**
 * @p w's request no longer wants the answer (cancelled): it is not delivered. The HTTP call is
 * cancelled when no other waiter is left. Returns 1 when that stopped a transfer.
 */
int ec2gw_os_share_leave(ec2gw_share_waiter_t *w);

/**
 * A write of @p project_id to @p service (NULL: every service) was made or tried: the entries
 * of that service are not reused or joined any more (calls in flight still answer their
 * waiters). Every project's go, not only the writer's: a write can change what another
 * project sees (an image shared or unshared, a network made shared), and the next read of any
 * client must see it.
 */
void ec2gw_os_share_invalidate(const char *project_id, const char *service);

/** Count an OpenStack call stopped because its request ended first (os_call.c). */
void ec2gw_os_share_note_cancel(void);

/** Free every entry no request holds (at exit and in tests). */
void ec2gw_os_share_clear(void);

/** What this process did and keeps (counters also go to /metrics as they change). */
typedef struct ec2gw_share_stats {
    unsigned long long hits, joins, misses, invalidated, evicted, cancelled;
    long entries;
    unsigned long long bytes;
} ec2gw_share_stats_t;

void ec2gw_os_share_stats(ec2gw_share_stats_t *out);

struct evbuffer;
/** The gauges of /metrics: entries, bytes, and the configured staleness (ops_serve.c). */
void ec2gw_os_share_render(struct evbuffer *out, int64_t staleness_ms);

#endif
