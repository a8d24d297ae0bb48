/*
 * loadgen.h - ec2gw-loadgen, a closed-loop HTTP load generator for EC2 Query APIs: N
 * connections over T threads (one libcurl multi handle each), every request SigV4-signed with
 * the daemon's own signer, latency and EC2 error codes counted per thread and merged at the end.
 */
#ifndef EC2GW_BENCH_LOADGEN_H
#define EC2GW_BENCH_LOADGEN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_MAX_CODES 64 /* distinct error codes kept; the rest count as "(other)" */

/** One action of the mix: its form body, already encoded. */
typedef struct lg_action {
    char *name;      /**< Action value ("DescribeRegions"); owned */
    char *body;      /**< "Action=...&Version=...&K=V..." (POST) or query (GET); owned */
    size_t body_len; /**< strlen(body) */
    unsigned weight; /**< relative weight in the mix (>= 1) */
} lg_action_t;

/** Command-line settings, shared read-only by the worker threads. */
typedef struct lg_conf {
    const char *url;         /**< endpoint URL as given, e.g. "http://127.0.0.1:8788/"; borrowed */
    char host[256];          /**< Host header curl sends (host[:port]) */
    char path[1024];         /**< request path ("/") */
    const char *access;      /**< access key; borrowed */
    const char *secret;      /**< secret key; borrowed */
    const char *region;      /**< signing region ("RegionOne") */
    const char *service;     /**< signing service ("ec2") */
    const char *version;     /**< API Version parameter ("2016-11-15") */
    const char *method;      /**< "POST" (form body) or "GET" (query in the URL) */
    bool sign;               /**< false: send no Authorization (raw HTTP overhead checks) */
    int connections;         /**< total concurrent connections */
    int threads;             /**< worker threads (connections are split between them) */
    double duration;         /**< seconds to run, or 0 when count is used */
    long count;              /**< total requests to send, or 0 when duration is used */
    double timeout;          /**< per-request timeout, seconds */
    double target_rps;       /**< printed beside the figures when > 0 */
    const char *json_path;   /**< result file; borrowed */
    const char *label;       /**< free-form run label stored in the JSON; borrowed */
    const char *headers[16]; /**< extra "Name: value" headers (-H); borrowed */
    int n_headers;
    lg_action_t *actions; /**< the mix; owned */
    size_t n_actions;
    unsigned total_weight;
    atomic_long issued; /**< requests started so far (for count mode) */
} lg_conf_t;

/** An error code and how often it came back. */
typedef struct lg_code {
    char name[64];
    uint64_t count;
} lg_code_t;

/** What one worker measured; merged by lg_stats_merge. */
typedef struct lg_stats {
    uint32_t *lat_us; /**< latency of every HTTP response, microseconds; owned */
    size_t n_lat, cap_lat;
    uint64_t status[6]; /**< responses by class: [2] 2xx ... [5] 5xx, [0] other */
    uint64_t transport; /**< transfers that got no HTTP response (connect, timeout, ...) */
    uint64_t bytes;     /**< response body bytes */
    uint64_t *act_req;  /**< per action: responses; owned, n_actions long */
    uint64_t *act_err;  /**< per action: non-2xx responses and transport errors; owned */
    lg_code_t codes[LG_MAX_CODES];
    size_t n_codes;
    uint64_t other_codes;
} lg_stats_t;

/** Per-thread state: its share of the connections and its statistics. */
typedef struct lg_worker {
    lg_conf_t *conf; /**< borrowed */
    int connections; /**< this thread's share */
    unsigned seed;   /**< action picker state */
    double t_start;  /**< monotonic seconds when the run started */
    double t_end;    /**< monotonic seconds when its last transfer ended */
    lg_stats_t stats;
    int failed; /**< set when libcurl could not be set up */
} lg_worker_t;

/** Monotonic clock in seconds. */
double lg_now(void);

/** Allocate the per-action counters of @p st for @p n_actions. Returns 0 or -1. */
int lg_stats_init(lg_stats_t *st, size_t n_actions);

/** Free what lg_stats_init and lg_stats_add allocated. */
void lg_stats_free(lg_stats_t *st);

/** Record one latency sample. Returns 0 or -1 (out of memory). */
int lg_stats_add_latency(lg_stats_t *st, uint32_t us);

/** Count one occurrence of error code @p code (copied). */
void lg_stats_add_code(lg_stats_t *st, const char *code);

/** Add @p src into @p dst, both with @p n_actions actions. Returns 0 or -1. */
int lg_stats_merge(lg_stats_t *dst, const lg_stats_t *src, size_t n_actions);

/**
 * Print the result table on stdout and write the JSON result file (conf->json_path, unless
 * NULL). @p elapsed is the wall time of the run in seconds. Sorts st->lat_us. Returns 0 or -1.
 */
int lg_report(const lg_conf_t *conf, lg_stats_t *st, double elapsed, const char *started);

/** Worker thread body (pthread start routine); @p arg is an lg_worker_t. */
void *lg_worker_run(void *arg);

#endif
