/*
 * metrics.h - Prometheus counters and histograms, rendered as text exposition format for
 * GET /metrics. Each process records into its own slot of a region shared by all workers
 * (metrics_shm.h); a scrape on any worker answers the sum of every worker.
 */
#ifndef EC2GW_OPS_METRICS_H
#define EC2GW_OPS_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/**
 * One finished EC2 request: its action (the caller passes only model operations, anything
 * else as "unknown": each distinct value is a series kept forever), EC2 code ("OK" on
 * success). Bytes other than [A-Za-z0-9._-] in either become '_'.
 */
void ec2gw_metrics_request(const char *action, const char *code, double seconds);

/** One metadata listener request answered with HTTP @p status (the only label). */
void ec2gw_metrics_metadata(int status, double seconds);

/** One backend call: service ("identity", "compute", ...), HTTP status (0: transport error). */
void ec2gw_metrics_backend(const char *service, long status, double seconds);

/** Authentication cache outcome. */
void ec2gw_metrics_auth_cache(int hit);

/** A connection event: "header_timeout", "accept_error" or "http_error" (libevent refused). */
void ec2gw_metrics_conn_event(const char *event);

/** Gauges the daemon updates. */
void ec2gw_metrics_set_connections(long n);
void ec2gw_metrics_set_in_flight(long n);

/**
 * Add @p n to counter @p name (one family per name; [A-Za-z0-9_] else '_') with @p labels, a
 * constant label text such as "result=\"hit\"" (or "" / NULL). Summed over the workers and
 * rendered as "name{labels} total" under "# TYPE name counter".
 */
void ec2gw_metrics_counter_add(const char *name, const char *labels, unsigned long long n);

/** The configuration generation this process serves (ec2gw_config_generation). */
void ec2gw_metrics_set_generation(unsigned long id);

/** A SIGHUP handled: @p ok says whether the new generation was swapped in. */
void ec2gw_metrics_reload_done(int ok);

/** The loop is alive at CLOCK_MONOTONIC @p now_ms (the supervisor's watchdog reads it). */
void ec2gw_metrics_heartbeat(uint64_t now_ms);

/** ec2gw_build_info's labels (main.c's version and git commit); read back by the renderer. */
void ec2gw_metrics_set_build(const char *version, const char *git);
void ec2gw_metrics_build(const char **version, const char **git);

/** The latency histogram's bucket bounds (seconds). */
const double *ec2gw_metrics_bounds(size_t *n);

/** Total backend calls made to @p service so far (tests and benchmarks read this). */
unsigned long long ec2gw_metrics_backend_total(const char *service);

/** Append the exposition text to @p out. */
void ec2gw_metrics_render(struct evbuffer *out);

/** Unmap the shared region (at exit; tests start again from zero). */
void ec2gw_metrics_reset(void);

#endif
