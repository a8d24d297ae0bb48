/* metrics.c - recording: each figure goes to this process's slot of the shared region. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/metrics_shm.h"

static const double latency_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1,     2.5,  5,     10 };
#define N_BOUNDS (sizeof(latency_bounds) / sizeof(latency_bounds[0]))

static char build_version[32] = "unknown", build_git[48] = "unknown";
/* Label values are ours (model action names, EC2 codes, service names); whatever else
 * reaches here becomes '_' so that no value can end its label or line. */
static const char *
label(char *buf, size_t size, const char *v)
{
    size_t i = 0;

    for (; v[i] != '\0' && i + 1 < size; i++) {
        char ch = v[i];

        buf[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                         ch == '.' || ch == '-' || ch == '_'
                     ? ch
                     : '_';
    }
    buf[i] = '\0';
    return buf;
}

static ec2gw_mseries_t *
series_get(int family, const char *a_raw, const char *b_raw)
{
    char abuf[80], bbuf[48];

    return ec2gw_mseries_get(family, label(abuf, sizeof(abuf), a_raw),
                             label(bbuf, sizeof(bbuf), b_raw));
}

/* Only this process writes its slot; the stores keep each 8-byte figure whole for readers. */
static void
observe(ec2gw_mseries_t *s, double seconds)
{
    double sum;

    if (s == NULL)
        return;
    EC2GW_MSTORE(&s->count, s->count + 1);
    sum = s->sum + seconds;
    __atomic_store(&s->sum, &sum, __ATOMIC_RELAXED);
    for (size_t i = 0; i < N_BOUNDS; i++)
        if (seconds <= latency_bounds[i])
            EC2GW_MSTORE(&s->buckets[i], s->buckets[i] + 1);
}

void
ec2gw_metrics_request(const char *action, const char *code, double seconds)
{
    observe(series_get(EC2GW_MF_REQUEST, action, code), seconds);
}

void
ec2gw_metrics_metadata(int status, double seconds)
{
    char st[16];

    snprintf(st, sizeof(st), "%d", status >= 100 && status <= 599 ? status : 0);
    observe(series_get(EC2GW_MF_METADATA, st, ""), seconds);
}

void
ec2gw_metrics_backend(const char *service, long status, double seconds)
{
    char st[24];

    snprintf(st, sizeof(st), "%ld", status);
    observe(series_get(EC2GW_MF_BACKEND, service, st), seconds);
}

void
ec2gw_metrics_counter_add(const char *name, const char *labels, unsigned long long n)
{
    char nbuf[80];
    /* The label text is the caller's constant ("k=\"v\""), so it is kept as written. */
    ec2gw_mseries_t *s = ec2gw_mseries_get(EC2GW_MF_COUNTER, label(nbuf, sizeof(nbuf), name),
                                           labels != NULL ? labels : "");

    if (s != NULL)
        EC2GW_MSTORE(&s->count, s->count + n);
}

void
ec2gw_metrics_auth_cache(int hit)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();

    if (s == NULL)
        return;
    if (hit)
        EC2GW_MSTORE(&s->auth_hits, s->auth_hits + 1);
    else
        EC2GW_MSTORE(&s->auth_misses, s->auth_misses + 1);
}

void
ec2gw_metrics_conn_event(const char *event)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();
    int i = strcmp(event, "header_timeout") == 0 ? 0 : strcmp(event, "accept_error") == 0 ? 1 : 2;

    if (s != NULL)
        EC2GW_MSTORE(&s->conn_events[i], s->conn_events[i] + 1);
}

void
ec2gw_metrics_set_connections(long n)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();

    if (s != NULL)
        EC2GW_MSTORE(&s->connections, (int64_t)n);
}

void
ec2gw_metrics_set_in_flight(long n)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();

    if (s != NULL)
        EC2GW_MSTORE(&s->in_flight, (int64_t)n);
}

void
ec2gw_metrics_set_generation(unsigned long id)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();

    if (s != NULL)
        EC2GW_MSTORE(&s->generation, (uint64_t)id);
}

void
ec2gw_metrics_reload_done(int ok)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();

    if (s == NULL)
        return;
    if (ok)
        EC2GW_MSTORE(&s->reloads_ok, s->reloads_ok + 1);
    else
        EC2GW_MSTORE(&s->reloads_failed, s->reloads_failed + 1);
    /* Last: the supervisor reads it as "this worker has finished its reload". */
    __atomic_store_n(&s->hups_done, s->hups_done + 1, __ATOMIC_RELEASE);
}

void
ec2gw_metrics_heartbeat(uint64_t now_ms)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();

    if (s != NULL)
        EC2GW_MSTORE(&s->heartbeat_ms, now_ms);
}

void
ec2gw_metrics_set_build(const char *version, const char *git)
{
    snprintf(build_version, sizeof(build_version), "%s", version);
    label(build_git, sizeof(build_git), git);
}

void
ec2gw_metrics_build(const char **version, const char **git)
{
    *version = build_version;
    *git = build_git;
}

unsigned long long
ec2gw_metrics_backend_total(const char *service)
{
    unsigned long long n = 0;

    for (int w = 0; w < ec2gw_metrics_n_slots(); w++) {
        const ec2gw_mslot_t *slot = ec2gw_metrics_slot(w);

        uint32_t used = __atomic_load_n(&slot->n_series, __ATOMIC_ACQUIRE);

        for (uint32_t i = 0; i < used; i++) {
            const ec2gw_mseries_t *s = &slot->series[i];

            if (s->family == EC2GW_MF_BACKEND && strcmp(s->a, service) == 0)
                n += EC2GW_MLOAD(&s->count);
        }
    }
    return n;
}

const double *
ec2gw_metrics_bounds(size_t *n)
{
    *n = N_BOUNDS;
    return latency_bounds;
}

void
ec2gw_metrics_reset(void)
{
    ec2gw_metrics_render_free();
    ec2gw_metrics_shm_free();
}
