/*
 * metrics_shm.h - where the metrics live: one shared-memory region mapped before the workers
 * fork, one slot per worker. Each worker writes only its own slot (no locks, no atomics
 * beyond ordered stores); a scrape on any worker sums every slot. The supervisor reads the
 * slots too (heartbeats for the systemd watchdog, reload acknowledgements).
 */
#ifndef EC2GW_OPS_METRICS_SHM_H
#define EC2GW_OPS_METRICS_SHM_H

#include <stdint.h>

#define EC2GW_METRICS_N_BOUNDS   13
#define EC2GW_METRICS_MAX_SERIES 2048 /* per worker; further series fold into "overflow" */
#define EC2GW_METRICS_INDEX      4096 /* hash index of a slot's series (load <= 1/2) */

enum ec2gw_mfamily {
    EC2GW_MF_REQUEST = 1, /**< a = action, b = EC2 code */
    EC2GW_MF_BACKEND,     /**< a = service, b = HTTP status */
    EC2GW_MF_METADATA,    /**< a = HTTP status */
    EC2GW_MF_COUNTER,     /**< a = metric name, b = label text ("k=\"v\"" or "") */
    EC2GW_MF_MAX,
};

typedef struct ec2gw_mseries {
    uint32_t used; /**< 1 once added */
    uint32_t family;
    char a[80];
    char b[48];
    uint64_t count;
    double sum;
    uint64_t buckets[EC2GW_METRICS_N_BOUNDS];
} ec2gw_mseries_t;

/** One worker's figures. Gauges are reset when a worker (re)starts, counters are kept. */
typedef struct ec2gw_mslot {
    int32_t pid;           /**< 0: no worker runs in this slot */
    uint64_t heartbeat_ms; /**< CLOCK_MONOTONIC of the loop's last heartbeat (0: not serving) */
    uint64_t generation;   /**< configuration generation in use */
    uint64_t hups_done;    /**< SIGHUPs handled, successful or not */
    uint64_t reloads_ok, reloads_failed;
    uint64_t auth_hits, auth_misses;
    uint64_t conn_events[3]; /**< header_timeout, accept_error, http_error */
    int64_t connections, in_flight;
    uint32_t n_series;                   /**< series[0, n_series) are in use (acquire) */
    uint16_t index[EC2GW_METRICS_INDEX]; /**< series position + 1 by key hash; 0: free */
    ec2gw_mseries_t series[EC2GW_METRICS_MAX_SERIES];
} ec2gw_mslot_t;

/**
 * Map the region for @p n_slots workers (>= 1). Call before forking; a second call is a no-op.
 * The metrics functions map one slot themselves when nobody called this (unit tests).
 */
int ec2gw_metrics_init(int n_slots);

/** This process writes slot @p worker_id - 1 (0 and 1 both mean the first); gauges reset. */
void ec2gw_metrics_use_slot(int worker_id);

/** Number of slots, and slot @p i (read-only use outside the owner), or NULL. */
int ec2gw_metrics_n_slots(void);
ec2gw_mslot_t *ec2gw_metrics_slot(int i);

/** This process's own slot (mapped on first use). */
ec2gw_mslot_t *ec2gw_metrics_self(void);

/** The series (@p family, @p a, @p b) of the own slot, created on first use; never NULL
 * once mapped (a full table answers its "overflow" series). Labels already sanitised. */
ec2gw_mseries_t *ec2gw_mseries_get(int family, const char *a, const char *b);

/**
 * The series (@p family, @p a, @p b) of table @p s; added when @p add and absent (by the
 * table's only writer). NULL when absent or the table is full.
 */
ec2gw_mseries_t *ec2gw_mslot_series(ec2gw_mslot_t *s, int family, const char *a, const char *b,
                                    int add);

/** The supervisor's counters, shared by every slot. */
void ec2gw_metrics_worker_restarted(void);
uint64_t ec2gw_metrics_worker_restarts(void);

/** Store/load a 64-bit figure another process may read concurrently. */
#define EC2GW_MSTORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define EC2GW_MLOAD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)

/** Unmap (at exit). */
void ec2gw_metrics_shm_free(void);

/** Free the scrape's merge table (metrics_render.c), at exit. */
void ec2gw_metrics_render_free(void);

#endif
