/*
 * metrics.h - Prometheus counters and histograms of the process (one event loop, so plain
 * integers), rendered as text exposition format for GET /metrics.
 */
#ifndef EC2GW_OPS_METRICS_H
#define EC2GW_OPS_METRICS_H

#include <stddef.h>

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

/** Total backend calls made to @p service so far (tests and benchmarks read this). */
unsigned long long ec2gw_metrics_backend_total(const char *service);

/** Append the exposition text to @p out. */
void ec2gw_metrics_render(struct evbuffer *out);

/** Free the registry (at exit, so leak checkers stay quiet). */
void ec2gw_metrics_reset(void);

#endif
