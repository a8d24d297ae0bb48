/*
 * run.c - one worker thread: a libcurl multi handle driving its connections in a closed loop.
 * Each easy handle is one "connection": when its transfer ends it is re-signed and re-added at
 * once, and libcurl reuses the kept-alive connection from the multi handle's cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "auth/signature.h"
#include "loadgen.h"

#define LG_BODY_KEEP 8192 /* body bytes kept per response, enough for <Code> */
#define LG_CT        "application/x-www-form-urlencoded; charset=utf-8"

typedef struct lg_conn {
    CURL *easy;
    struct curl_slist *hdrs;
    lg_worker_t *w;
    size_t action;
    double t0;
    char body[LG_BODY_KEEP + 1];
    size_t body_len;
    char url[2048]; /* GET: endpoint + "?" + query */
} lg_conn_t;

double
lg_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
    lg_conn_t *c = userdata;
    size_t n = size * nmemb, room = LG_BODY_KEEP - c->body_len;

    if (room > 0) {
        size_t k = n < room ? n : room;

        memcpy(c->body + c->body_len, data, k);
        c->body_len += k;
    }
    c->w->stats.bytes += n;
    return n;
}

/* Weighted pick; rand_r is enough for a mix. */
static size_t
pick_action(lg_worker_t *w)
{
    const lg_conf_t *conf = w->conf;
    unsigned r;
    size_t i;

    if (conf->n_actions == 1)
        return 0;
    r = (unsigned)rand_r(&w->seed) % conf->total_weight;
    for (i = 0; i < conf->n_actions; i++) {
        if (r < conf->actions[i].weight)
            return i;
        r -= conf->actions[i].weight;
    }
    return conf->n_actions - 1;
}

/* May another request start? Duration mode: before the deadline; count mode: a ticket left. */
static int
may_start(lg_worker_t *w)
{
    lg_conf_t *conf = w->conf;

    if (conf->count > 0)
        return atomic_fetch_add(&conf->issued, 1) < conf->count;
    return lg_now() < w->t_start + conf->duration;
}

static int
amz_date_now(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y%m%dT%H%M%SZ", &tm) == 0)
        return -1;
    return 0;
}

/* Sign and configure the next request of @p c; 0 or -1. */
static int
prepare(lg_conn_t *c)
{
    const lg_conf_t *conf = c->w->conf;
    const lg_action_t *a;
    char date[32], auth[1024], line[1100], path[2048];
    int post = strcmp(conf->method, "POST") == 0;

    c->action = pick_action(c->w);
    a = &conf->actions[c->action];
    c->body_len = 0;
    curl_slist_free_all(c->hdrs);
    c->hdrs = curl_slist_append(NULL, "Expect:");
    if (post) {
        c->hdrs = curl_slist_append(c->hdrs, "Content-Type: " LG_CT);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, a->body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)a->body_len);
    } else {
        snprintf(c->url, sizeof(c->url), "%s%s%s", conf->url, a->body_len ? "?" : "", a->body);
        curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
    }
    if (conf->sign) {
        if (amz_date_now(date, sizeof(date)) != 0)
            return -1;
        snprintf(path, sizeof(path), "%s%s%s", conf->path, !post && a->body_len ? "?" : "",
                 post ? "" : a->body);
        if (ec2gw_sigv4_sign(conf->access, conf->secret, conf->region, conf->service, conf->method,
                             conf->host, path, post ? LG_CT : NULL,
                             post ? (const unsigned char *)a->body : NULL, post ? a->body_len : 0,
                             date, auth, sizeof(auth)) != 0)
            return -1;
        snprintf(line, sizeof(line), "X-Amz-Date: %s", date);
        c->hdrs = curl_slist_append(c->hdrs, line);
        snprintf(line, sizeof(line), "Authorization: %s", auth);
        c->hdrs = curl_slist_append(c->hdrs, line);
    }
    for (int i = 0; i < conf->n_headers; i++)
        c->hdrs = curl_slist_append(c->hdrs, conf->headers[i]);
    if (c->hdrs == NULL)
        return -1;
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
    c->t0 = lg_now();
    return 0;
}

/* The first <Code>...</Code> of an EC2 error body, or HTTP_<status>. */
static void
count_error(lg_conn_t *c, long status)
{
    char code[64];
    const char *p, *e;

    c->body[c->body_len] = '\0';
    p = strstr(c->body, "<Code>");
    e = p != NULL ? strstr(p + 6, "</Code>") : NULL;
    if (p != NULL && e != NULL && e - (p + 6) < (long)sizeof(code))
        snprintf(code, sizeof(code), "%.*s", (int)(e - (p + 6)), p + 6);
    else
        snprintf(code, sizeof(code), "HTTP_%ld", status);
    lg_stats_add_code(&c->w->stats, code);
}

static void
finished(lg_conn_t *c, CURLcode res)
{
    lg_stats_t *st = &c->w->stats;
    double t = lg_now();
    long status = 0;

    c->w->t_end = t;
    st->act_req[c->action]++;
    if (res != CURLE_OK) {
        char code[64];

        st->transport++;
        st->act_err[c->action]++;
        snprintf(code, sizeof(code), "curl: %s", curl_easy_strerror(res));
        lg_stats_add_code(st, code);
        return;
    }
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    (void)lg_stats_add_latency(st, (uint32_t)((t - c->t0) * 1e6)); /* OOM: sample lost */
    st->status[status >= 200 && status < 600 ? status / 100 : 0]++;
    if (status < 200 || status >= 300) {
        st->act_err[c->action]++;
        count_error(c, status);
    }
}

static int
conn_init(lg_conn_t *c, lg_worker_t *w)
{
    const lg_conf_t *conf = w->conf;

    c->w = w;
    c->easy = curl_easy_init();
    if (c->easy == NULL)
        return -1;
    curl_easy_setopt(c->easy, CURLOPT_URL, conf->url);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)(conf->timeout * 1000));
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
    if (strcmp(conf->method, "POST") != 0)
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    return 0;
}

static void
drive(lg_worker_t *w, CURLM *multi, lg_conn_t *conns, int n)
{
    int running = 0, active = 0, i;

    for (i = 0; i < n; i++) {
        if (!may_start(w) || prepare(&conns[i]) != 0)
            break;
        curl_multi_add_handle(multi, conns[i].easy);
        active++;
    }
    while (active > 0) {
        CURLMsg *m;
        int left;

        curl_multi_perform(multi, &running);
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            lg_conn_t *c;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            finished(c, m->data.result);
            curl_multi_remove_handle(multi, c->easy);
            if (may_start(w) && prepare(c) == 0)
                curl_multi_add_handle(multi, c->easy);
            else
                active--;
        }
        if (active > 0)
            curl_multi_poll(multi, NULL, 0, 50, NULL);
    }
}

void *
lg_worker_run(void *arg)
{
    lg_worker_t *w = arg;
    lg_conn_t *conns = calloc((size_t)w->connections, sizeof(*conns));
    CURLM *multi = curl_multi_init();
    int i, n = 0;

    if (conns == NULL || multi == NULL)
        goto fail;
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)w->connections);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)w->connections);
    for (n = 0; n < w->connections; n++)
        if (conn_init(&conns[n], w) != 0)
            goto fail;
    w->t_end = w->t_start;
    drive(w, multi, conns, n);
    goto done;

fail:
    w->failed = 1;
done:
    for (i = 0; i < n; i++) {
        curl_easy_cleanup(conns[i].easy);
        curl_slist_free_all(conns[i].hdrs);
    }
    if (multi != NULL)
        curl_multi_cleanup(multi);
    free(conns);
    return NULL;
}
