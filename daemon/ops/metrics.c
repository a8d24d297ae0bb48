/* metrics.c - a small registry: labelled counters kept in lists (few distinct labels). */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

static const double latency_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1,     2.5,  5,     10 };
#define N_BOUNDS (sizeof(latency_bounds) / sizeof(latency_bounds[0]))

struct series {
    struct series *next;
    char *a, *b;
    unsigned long long count;
    double sum;
    unsigned long long buckets[N_BOUNDS];
};

static struct series *requests, *backends, *md_requests;
static unsigned long long auth_hits, auth_misses;
static unsigned long long conn_header_timeouts, conn_accept_errors, conn_http_errors;
static long connections, in_flight;
static time_t started;

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

static struct series *
series_get(struct series **list, const char *a_raw, const char *b_raw)
{
    char abuf[96], bbuf[96];
    const char *a = label(abuf, sizeof(abuf), a_raw), *b = label(bbuf, sizeof(bbuf), b_raw);

    for (struct series *s = *list; s != NULL; s = s->next)
        if (strcmp(s->a, a) == 0 && strcmp(s->b, b) == 0)
            return s;
    struct series *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->a = strdup(a);
    s->b = strdup(b);
    if (s->a == NULL || s->b == NULL) {
        free(s->a);
        free(s->b);
        free(s);
        return NULL;
    }
    s->next = *list;
    *list = s;
    return s;
}

static void
observe(struct series *s, double seconds)
{
    if (s == NULL)
        return;
    s->count++;
    s->sum += seconds;
    for (size_t i = 0; i < N_BOUNDS; i++)
        if (seconds <= latency_bounds[i])
            s->buckets[i]++;
}

void
ec2gw_metrics_request(const char *action, const char *code, double seconds)
{
    if (started == 0)
        started = time(NULL);
    observe(series_get(&requests, action, code), seconds);
}

void
ec2gw_metrics_metadata(int status, double seconds)
{
    char st[16];

    snprintf(st, sizeof(st), "%d", status >= 100 && status <= 599 ? status : 0);
    observe(series_get(&md_requests, st, ""), seconds);
}

void
ec2gw_metrics_backend(const char *service, long status, double seconds)
{
    char st[24];

    snprintf(st, sizeof(st), "%ld", status);
    observe(series_get(&backends, service, st), seconds);
}

void
ec2gw_metrics_auth_cache(int hit)
{
    if (hit)
        auth_hits++;
    else
        auth_misses++;
}

void
ec2gw_metrics_conn_event(const char *event)
{
    if (strcmp(event, "header_timeout") == 0)
        conn_header_timeouts++;
    else if (strcmp(event, "accept_error") == 0)
        conn_accept_errors++;
    else
        conn_http_errors++;
}

void
ec2gw_metrics_set_connections(long n)
{
    connections = n;
}

void
ec2gw_metrics_set_in_flight(long n)
{
    in_flight = n;
}

unsigned long long
ec2gw_metrics_backend_total(const char *service)
{
    unsigned long long n = 0;

    for (struct series *s = backends; s != NULL; s = s->next)
        if (strcmp(s->a, service) == 0)
            n += s->count;
    return n;
}

static void
render_histograms(struct evbuffer *out, const char *name, const char *la, const char *lb,
                  const struct series *list)
{
    for (const struct series *s = list; s != NULL; s = s->next) {
        for (size_t i = 0; i < N_BOUNDS; i++)
            evbuffer_add_printf(out, "%s_bucket{%s=\"%s\",%s=\"%s\",le=\"%g\"} %llu\n", name, la,
                                s->a, lb, s->b, latency_bounds[i], s->buckets[i]);
        evbuffer_add_printf(out, "%s_bucket{%s=\"%s\",%s=\"%s\",le=\"+Inf\"} %llu\n", name, la,
                            s->a, lb, s->b, s->count);
        evbuffer_add_printf(out, "%s_sum{%s=\"%s\",%s=\"%s\"} %.6f\n", name, la, s->a, lb, s->b,
                            s->sum);
        evbuffer_add_printf(out, "%s_count{%s=\"%s\",%s=\"%s\"} %llu\n", name, la, s->a, lb, s->b,
                            s->count);
    }
}

void
ec2gw_metrics_render(struct evbuffer *out)
{
    evbuffer_add_printf(out, "# HELP ec2gw_requests_total EC2 requests by action and EC2 code.\n"
                             "# TYPE ec2gw_requests_total counter\n");
    for (struct series *s = requests; s != NULL; s = s->next)
        evbuffer_add_printf(out, "ec2gw_requests_total{action=\"%s\",code=\"%s\"} %llu\n", s->a,
                            s->b, s->count);
    evbuffer_add_printf(out, "# HELP ec2gw_request_duration_seconds EC2 request latency.\n"
                             "# TYPE ec2gw_request_duration_seconds histogram\n");
    render_histograms(out, "ec2gw_request_duration_seconds", "action", "code", requests);
    evbuffer_add_printf(out, "# HELP ec2gw_backend_calls_total OpenStack calls by service and "
                             "HTTP status (0: transport error).\n"
                             "# TYPE ec2gw_backend_calls_total counter\n");
    for (struct series *s = backends; s != NULL; s = s->next)
        evbuffer_add_printf(out, "ec2gw_backend_calls_total{service=\"%s\",status=\"%s\"} %llu\n",
                            s->a, s->b, s->count);
    evbuffer_add_printf(out, "# HELP ec2gw_backend_call_duration_seconds OpenStack call latency.\n"
                             "# TYPE ec2gw_backend_call_duration_seconds histogram\n");
    render_histograms(out, "ec2gw_backend_call_duration_seconds", "service", "status", backends);
    evbuffer_add_printf(out, "# HELP ec2gw_metadata_requests_total Metadata listener requests "
                             "by HTTP status.\n"
                             "# TYPE ec2gw_metadata_requests_total counter\n");
    for (struct series *s = md_requests; s != NULL; s = s->next)
        evbuffer_add_printf(out, "ec2gw_metadata_requests_total{code=\"%s\"} %llu\n", s->a,
                            s->count);
    evbuffer_add_printf(out,
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
                        "# TYPE ec2gw_connections gauge\nec2gw_connections %ld\n"
                        "# HELP ec2gw_requests_in_flight Requests being processed.\n"
                        "# TYPE ec2gw_requests_in_flight gauge\nec2gw_requests_in_flight %ld\n",
                        auth_hits, auth_misses, conn_header_timeouts, conn_accept_errors,
                        conn_http_errors, connections, in_flight);
}

static void
free_list(struct series **list)
{
    while (*list != NULL) {
        struct series *s = *list;

        *list = s->next;
        free(s->a);
        free(s->b);
        free(s);
    }
}

void
ec2gw_metrics_reset(void)
{
    free_list(&requests);
    free_list(&backends);
    free_list(&md_requests);
    auth_hits = auth_misses = 0;
    conn_header_timeouts = conn_accept_errors = conn_http_errors = 0;
}
