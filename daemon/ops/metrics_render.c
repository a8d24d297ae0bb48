/*
 * metrics_render.c - GET /metrics: every worker's slot summed into one table, then the
 * exposition text. Runs on the scraping worker's loop; it only reads shared memory (no
 * messages to other workers, so a busy or stuck worker cannot delay a scrape).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <ec2gw/plugin.h>

#include "ops/metrics.h"
#include "ops/metrics_shm.h"

typedef struct totals {
    uint64_t auth_hits, auth_misses, conn_events[3], reloads_ok, reloads_failed, generation;
    int64_t connections, in_flight;
    int workers;
} totals_t;

static void
merge_slot(ec2gw_mslot_t *sum, const ec2gw_mslot_t *w, totals_t *t)
{
    t->auth_hits += EC2GW_MLOAD(&w->auth_hits);
    t->auth_misses += EC2GW_MLOAD(&w->auth_misses);
    for (int i = 0; i < 3; i++)
        t->conn_events[i] += EC2GW_MLOAD(&w->conn_events[i]);
    t->reloads_ok += EC2GW_MLOAD(&w->reloads_ok);
    t->reloads_failed += EC2GW_MLOAD(&w->reloads_failed);
    t->connections += EC2GW_MLOAD(&w->connections);
    t->in_flight += EC2GW_MLOAD(&w->in_flight);
    if (EC2GW_MLOAD(&w->pid) != 0) {
        uint64_t g = EC2GW_MLOAD(&w->generation);

        t->workers++;
        if (g > t->generation)
            t->generation = g;
    }
    uint32_t n = __atomic_load_n(&w->n_series, __ATOMIC_ACQUIRE);

    for (uint32_t i = 0; i < n; i++) {
        const ec2gw_mseries_t *s = &w->series[i];
        ec2gw_mseries_t *d;
        double v;

        d = ec2gw_mslot_series(sum, (int)s->family, s->a, s->b, 1);
        if (d == NULL)
            continue;
        d->count += EC2GW_MLOAD(&s->count);
        __atomic_load(&s->sum, &v, __ATOMIC_RELAXED);
        d->sum += v;
        for (int b = 0; b < EC2GW_METRICS_N_BOUNDS; b++)
            d->buckets[b] += EC2GW_MLOAD(&s->buckets[b]);
    }
}

static int
cmp_series(const void *x, const void *y)
{
    const ec2gw_mseries_t *a = *(const ec2gw_mseries_t *const *)x;
    const ec2gw_mseries_t *b = *(const ec2gw_mseries_t *const *)y;
    int c;

    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if ((c = strcmp(a->a, b->a)) != 0)
        return c;
    return strcmp(a->b, b->b);
}

static void
render_histograms(struct evbuffer *out, const char *name, const char *la, const char *lb,
                  ec2gw_mseries_t **v, size_t n, int family)
{
    size_t nb;
    const double *bounds = ec2gw_metrics_bounds(&nb);

    for (size_t k = 0; k < n; k++) {
        const ec2gw_mseries_t *s = v[k];

        if (s->family != (uint32_t)family)
            continue;
        for (size_t i = 0; i < nb; i++)
            evbuffer_add_printf(out, "%s_bucket{%s=\"%s\",%s=\"%s\",le=\"%g\"} %llu\n", name, la,
                                s->a, lb, s->b, bounds[i], (unsigned long long)s->buckets[i]);
        evbuffer_add_printf(out, "%s_bucket{%s=\"%s\",%s=\"%s\",le=\"+Inf\"} %llu\n", name, la,
                            s->a, lb, s->b, (unsigned long long)s->count);
        evbuffer_add_printf(out, "%s_sum{%s=\"%s\",%s=\"%s\"} %.6f\n", name, la, s->a, lb, s->b,
                            s->sum);
        evbuffer_add_printf(out, "%s_count{%s=\"%s\",%s=\"%s\"} %llu\n", name, la, s->a, lb, s->b,
                            (unsigned long long)s->count);
    }
}

static void
render_series(struct evbuffer *out, ec2gw_mseries_t **v, size_t n)
{
    evbuffer_add_printf(out, "# HELP ec2gw_requests_total EC2 requests by action and EC2 code.\n"
                             "# TYPE ec2gw_requests_total counter\n");
    for (size_t k = 0; k < n; k++)
        if (v[k]->family == EC2GW_MF_REQUEST)
            evbuffer_add_printf(out, "ec2gw_requests_total{action=\"%s\",code=\"%s\"} %llu\n",
                                v[k]->a, v[k]->b, (unsigned long long)v[k]->count);
    evbuffer_add_printf(out, "# HELP ec2gw_request_duration_seconds EC2 request latency.\n"
                             "# TYPE ec2gw_request_duration_seconds histogram\n");
    render_histograms(out, "ec2gw_request_duration_seconds", "action", "code", v, n,
                      EC2GW_MF_REQUEST);
    evbuffer_add_printf(out, "# HELP ec2gw_backend_calls_total OpenStack calls by service and "
                             "HTTP status (0: transport error).\n"
                             "# TYPE ec2gw_backend_calls_total counter\n");
    for (size_t k = 0; k < n; k++)
        if (v[k]->family == EC2GW_MF_BACKEND)
            evbuffer_add_printf(out,
                                "ec2gw_backend_calls_total{service=\"%s\",status=\"%s\"} %llu\n",
                                v[k]->a, v[k]->b, (unsigned long long)v[k]->count);
    evbuffer_add_printf(out, "# HELP ec2gw_backend_call_duration_seconds OpenStack call latency.\n"
                             "# TYPE ec2gw_backend_call_duration_seconds histogram\n");
    render_histograms(out, "ec2gw_backend_call_duration_seconds", "service", "status", v, n,
                      EC2GW_MF_BACKEND);
    evbuffer_add_printf(out, "# HELP ec2gw_metadata_requests_total Metadata listener requests "
                             "by HTTP status.\n"
                             "# TYPE ec2gw_metadata_requests_total counter\n");
    for (size_t k = 0; k < n; k++)
        if (v[k]->family == EC2GW_MF_METADATA)
            evbuffer_add_printf(out, "ec2gw_metadata_requests_total{code=\"%s\"} %llu\n", v[k]->a,
                                (unsigned long long)v[k]->count);
    for (size_t k = 0; k < n; k++) {
        if (v[k]->family != EC2GW_MF_COUNTER)
            continue;
        if (k == 0 || v[k - 1]->family != EC2GW_MF_COUNTER || strcmp(v[k - 1]->a, v[k]->a) != 0)
            evbuffer_add_printf(out, "# TYPE %s counter\n", v[k]->a);
        evbuffer_add_printf(out, "%s%s%s%s %llu\n", v[k]->a, v[k]->b[0] ? "{" : "", v[k]->b,
                            v[k]->b[0] ? "}" : "", (unsigned long long)v[k]->count);
    }
}

static void
render_scalars(struct evbuffer *out, const totals_t *t)
{
    const char *version, *git;

    ec2gw_metrics_build(&version, &git);
    evbuffer_add_printf(
        out,
        "# HELP ec2gw_auth_cache_total Credential cache lookups.\n"
        "# TYPE ec2gw_auth_cache_total counter\n"
        "ec2gw_auth_cache_total{result=\"hit\"} %llu\n"
        "ec2gw_auth_cache_total{result=\"miss\"} %llu\n"
        "# HELP ec2gw_connection_events_total Connections closed for sending no "
        "complete request in time, failed accepts, libevent's own refusals.\n"
        "# TYPE ec2gw_connection_events_total counter\n"
        "ec2gw_connection_events_total{event=\"header_timeout\"} %llu\n"
        "ec2gw_connection_events_total{event=\"accept_error\"} %llu\n"
        "ec2gw_connection_events_total{event=\"http_error\"} %llu\n"
        "# HELP ec2gw_connections Open client connections.\n"
        "# TYPE ec2gw_connections gauge\nec2gw_connections %lld\n"
        "# HELP ec2gw_requests_in_flight Requests being processed.\n"
        "# TYPE ec2gw_requests_in_flight gauge\nec2gw_requests_in_flight %lld\n"
        "# HELP ec2gw_build_info The running ec2gwd: version, plugin ABI, git commit.\n"
        "# TYPE ec2gw_build_info gauge\n"
        "ec2gw_build_info{version=\"%s\",abi=\"%d.%d\",git=\"%s\"} 1\n"
        "# HELP ec2gw_config_generation Configuration generation served (SIGHUP adds one).\n"
        "# TYPE ec2gw_config_generation gauge\nec2gw_config_generation %llu\n"
        "# HELP ec2gw_config_reloads_total SIGHUP reloads by outcome, summed over workers.\n"
        "# TYPE ec2gw_config_reloads_total counter\n"
        "ec2gw_config_reloads_total{result=\"ok\"} %llu\n"
        "ec2gw_config_reloads_total{result=\"failed\"} %llu\n"
        "# HELP ec2gw_workers Serving processes running.\n"
        "# TYPE ec2gw_workers gauge\nec2gw_workers %d\n"
        "# HELP ec2gw_worker_restarts_total Workers that died and were restarted.\n"
        "# TYPE ec2gw_worker_restarts_total counter\nec2gw_worker_restarts_total %llu\n",
        (unsigned long long)t->auth_hits, (unsigned long long)t->auth_misses,
        (unsigned long long)t->conn_events[0], (unsigned long long)t->conn_events[1],
        (unsigned long long)t->conn_events[2], (long long)t->connections, (long long)t->in_flight,
        version, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR, git, (unsigned long long)t->generation,
        (unsigned long long)t->reloads_ok, (unsigned long long)t->reloads_failed, t->workers,
        (unsigned long long)ec2gw_metrics_worker_restarts());
}

/* The merge table, kept between scrapes: only its used part is cleared (a fresh 0.5 MB table
 * per scrape cost more than the rest of the scrape). */
static ec2gw_mslot_t *scratch;
static ec2gw_mseries_t **order;

void
ec2gw_metrics_render_free(void)
{
    free(scratch);
    free(order);
    scratch = NULL;
    order = NULL;
}

void
ec2gw_metrics_render(struct evbuffer *out)
{
    totals_t t = { 0 };
    size_t n = 0;

    if (scratch == NULL)
        scratch = calloc(1, sizeof(*scratch));
    if (order == NULL)
        order = calloc(EC2GW_METRICS_MAX_SERIES, sizeof(*order));
    if (scratch == NULL || order == NULL || ec2gw_metrics_self() == NULL) {
        evbuffer_add_printf(out, "# ec2gw: out of memory\n");
        return;
    }
    memset(scratch->index, 0, sizeof(scratch->index));
    memset(scratch->series, 0, scratch->n_series * sizeof(scratch->series[0]));
    scratch->n_series = 0;
    for (int w = 0; w < ec2gw_metrics_n_slots(); w++)
        merge_slot(scratch, ec2gw_metrics_slot(w), &t);
    for (uint32_t i = 0; i < scratch->n_series; i++)
        order[n++] = &scratch->series[i];
    qsort(order, n, sizeof(*order), cmp_series);
    render_series(out, order, n);
    render_scalars(out, &t);
}
