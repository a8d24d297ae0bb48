/*
 * stats.c - latency samples, status classes and error codes; the printed table and the JSON
 * result file. Every latency is kept (4 bytes a request) and sorted once at the end, so the
 * percentiles are exact rather than bucketed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "loadgen.h"

int
lg_stats_init(lg_stats_t *st, size_t n_actions)
{
    memset(st, 0, sizeof(*st));
    st->act_req = calloc(n_actions, sizeof(*st->act_req));
    st->act_err = calloc(n_actions, sizeof(*st->act_err));
    return st->act_req != NULL && st->act_err != NULL ? 0 : -1;
}

void
lg_stats_free(lg_stats_t *st)
{
    free(st->lat_us);
    free(st->act_req);
    free(st->act_err);
    memset(st, 0, sizeof(*st));
}

static int
reserve(lg_stats_t *st, size_t more)
{
    size_t cap = st->cap_lat ? st->cap_lat : 65536;
    uint32_t *p;

    while (cap < st->n_lat + more)
        cap *= 2;
    if (cap == st->cap_lat)
        return 0;
    p = realloc(st->lat_us, cap * sizeof(*p));
    if (p == NULL)
        return -1;
    st->lat_us = p;
    st->cap_lat = cap;
    return 0;
}

int
lg_stats_add_latency(lg_stats_t *st, uint32_t us)
{
    if (reserve(st, 1) != 0)
        return -1;
    st->lat_us[st->n_lat++] = us;
    return 0;
}

static void
add_code_n(lg_stats_t *st, const char *code, uint64_t n)
{
    size_t i;

    for (i = 0; i < st->n_codes; i++) {
        if (strcmp(st->codes[i].name, code) == 0) {
            st->codes[i].count += n;
            return;
        }
    }
    if (st->n_codes == LG_MAX_CODES) {
        st->other_codes += n;
        return;
    }
    snprintf(st->codes[st->n_codes].name, sizeof(st->codes[0].name), "%s", code);
    st->codes[st->n_codes++].count = n;
}

void
lg_stats_add_code(lg_stats_t *st, const char *code)
{
    add_code_n(st, code, 1);
}

int
lg_stats_merge(lg_stats_t *dst, const lg_stats_t *src, size_t n_actions)
{
    size_t i;

    if (src->n_lat > 0) {
        if (reserve(dst, src->n_lat) != 0)
            return -1;
        memcpy(dst->lat_us + dst->n_lat, src->lat_us, src->n_lat * sizeof(*src->lat_us));
        dst->n_lat += src->n_lat;
    }
    for (i = 0; i < 6; i++)
        dst->status[i] += src->status[i];
    dst->transport += src->transport;
    dst->bytes += src->bytes;
    for (i = 0; i < n_actions; i++) {
        dst->act_req[i] += src->act_req[i];
        dst->act_err[i] += src->act_err[i];
    }
    for (i = 0; i < src->n_codes; i++)
        add_code_n(dst, src->codes[i].name, src->codes[i].count);
    dst->other_codes += src->other_codes;
    return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile in milliseconds (sorted samples). */
static double
pct_ms(const lg_stats_t *st, double p)
{
    size_t k;

    if (st->n_lat == 0)
        return 0;
    k = (size_t)(p / 100.0 * (double)st->n_lat + 0.5);
    k = k == 0 ? 0 : k - 1;
    if (k >= st->n_lat)
        k = st->n_lat - 1;
    return st->lat_us[k] / 1000.0;
}

static double
mean_ms(const lg_stats_t *st)
{
    double sum = 0;
    size_t i;

    for (i = 0; i < st->n_lat; i++)
        sum += st->lat_us[i];
    return st->n_lat ? sum / (double)st->n_lat / 1000.0 : 0;
}

static void
print_table(const lg_conf_t *conf, const lg_stats_t *st, double elapsed, uint64_t total)
{
    double rps = elapsed > 0 ? (double)total / elapsed : 0;
    size_t i;

    printf("ec2gw-loadgen %s %s  %d connections, %d thread%s, %.2f s%s\n", conf->method, conf->url,
           conf->connections, conf->threads, conf->threads == 1 ? "" : "s", elapsed,
           conf->sign ? ", SigV4 per request" : ", unsigned");
    printf("  %-32s %12s %10s\n", "action", "requests", "errors");
    for (i = 0; i < conf->n_actions; i++)
        printf("  %-32s %12llu %10llu\n", conf->actions[i].name, (unsigned long long)st->act_req[i],
               (unsigned long long)st->act_err[i]);
    printf("  %-14s %llu  (2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu, no response %llu)\n", "requests",
           (unsigned long long)total, (unsigned long long)st->status[2],
           (unsigned long long)st->status[3], (unsigned long long)st->status[4],
           (unsigned long long)st->status[5], (unsigned long long)st->transport);
    printf("  %-14s %.1f\n", "requests/s", rps);
    printf("  %-14s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f\n", "latency ms",
           pct_ms(st, 50), pct_ms(st, 90), pct_ms(st, 99), pct_ms(st, 100), mean_ms(st));
    if (st->n_codes == 0)
        printf("  %-14s none\n", "error codes");
    for (i = 0; i < st->n_codes; i++)
        printf("  %-14s %-40s %llu\n", i == 0 ? "error codes" : "", st->codes[i].name,
               (unsigned long long)st->codes[i].count);
    if (st->other_codes)
        printf("  %-14s %-40s %llu\n", "", "(other codes)", (unsigned long long)st->other_codes);
    if (conf->target_rps > 0)
        printf("  %-14s >= %.0f req/s: %s (%.0f%%)\n", "target", conf->target_rps,
               rps >= conf->target_rps ? "MET" : "NOT MET", 100.0 * rps / conf->target_rps);
}

static json_t *
result_json(const lg_conf_t *conf, const lg_stats_t *st, double elapsed, uint64_t total,
            const char *started)
{
    json_t *actions = json_object(), *codes = json_object();
    size_t i;

    for (i = 0; i < conf->n_actions; i++)
        json_object_set_new(actions, conf->actions[i].name,
                            json_pack("{s:I,s:I,s:i}", "requests", (json_int_t)st->act_req[i],
                                      "errors", (json_int_t)st->act_err[i], "weight",
                                      (int)conf->actions[i].weight));
    for (i = 0; i < st->n_codes; i++)
        json_object_set_new(codes, st->codes[i].name, json_integer((json_int_t)st->codes[i].count));
    if (st->other_codes)
        json_object_set_new(codes, "(other codes)", json_integer((json_int_t)st->other_codes));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:i,s:f,s:I,s:f,s:I,s:f,"
                     "s:{s:f,s:f,s:f,s:f,s:f},s:{s:I,s:I,s:I,s:I,s:I},s:I,s:o,s:o,s:f}",
                     "tool", "ec2gw-loadgen", "label", conf->label ? conf->label : "", "started",
                     started, "endpoint", conf->url, "method", conf->method, "signed", conf->sign,
                     "connections", conf->connections, "threads", conf->threads, "elapsed_s",
                     elapsed, "requests", (json_int_t)total, "requests_per_s",
                     elapsed > 0 ? (double)total / elapsed : 0.0, "response_bytes",
                     (json_int_t)st->bytes, "duration_s", conf->duration, "latency_ms", "p50",
                     pct_ms(st, 50), "p90", pct_ms(st, 90), "p99", pct_ms(st, 99), "max",
                     pct_ms(st, 100), "mean", mean_ms(st), "status", "2xx",
                     (json_int_t)st->status[2], "3xx", (json_int_t)st->status[3], "4xx",
                     (json_int_t)st->status[4], "5xx", (json_int_t)st->status[5], "other",
                     (json_int_t)st->status[0], "no_response", (json_int_t)st->transport, "actions",
                     actions, "error_codes", codes, "target_rps", conf->target_rps);
}

int
lg_report(const lg_conf_t *conf, lg_stats_t *st, double elapsed, const char *started)
{
    uint64_t total = st->transport;
    json_t *j;
    size_t i;
    int rc = 0;

    for (i = 0; i < 6; i++)
        total += st->status[i];
    qsort(st->lat_us, st->n_lat, sizeof(*st->lat_us), cmp_u32);
    print_table(conf, st, elapsed, total);
    if (conf->json_path == NULL)
        return 0;
    j = result_json(conf, st, elapsed, total, started);
    if (j == NULL ||
        json_dump_file(j, conf->json_path,
                       JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) != 0) {
        fprintf(stderr, "ec2gw-loadgen: cannot write %s\n", conf->json_path);
        rc = -1;
    } else {
        printf("  %-14s %s\n", "json", conf->json_path);
    }
    json_decref(j);
    return rc;
}
