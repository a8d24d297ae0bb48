/*
 * main.c - ec2gw-loadgen command line: parse the options and the action mix, start the worker
 * threads, merge what they measured and report it (table on stdout, JSON file).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "loadgen.h"

static const char usage[] =
    "usage: ec2gw-loadgen [options]\n"
    "  -e, --endpoint URL      EC2 endpoint (http://127.0.0.1:8788/)\n"
    "  -a, --access KEY        access key ($EC2_ACCESS_KEY)\n"
    "  -s, --secret KEY        secret key ($EC2_SECRET_KEY)\n"
    "  -r, --region NAME       signing region (RegionOne; us-east-1 for moto)\n"
    "      --service NAME      signing service (ec2)\n"
    "  -c, --connections N     concurrent connections (50)\n"
    "  -t, --threads N         worker threads sharing the connections (1)\n"
    "  -d, --duration SECONDS  run time (10), unless -n\n"
    "  -n, --requests N        send N requests in all instead of a duration\n"
    "  -A, --action NAME       the action (DescribeRegions)\n"
    "  -p, --param K=V         a parameter of --action (repeatable; values are URL-encoded)\n"
    "  -m, --mix SPEC          weighted mix instead of --action: \"A:3,B&K=V&K2=V2:1\"\n"
    "      --api-version V     Version parameter (2016-11-15)\n"
    "      --method M          POST (form body, default) or GET (query string)\n"
    "      --no-sign           send no SigV4 headers\n"
    "      --raw               GET the URL as is: no Action, no signature (HTTP overhead)\n"
    "      --timeout SECONDS   per-request timeout (30)\n"
    "      --target RPS        print the target beside the figures\n"
    "  -o, --json PATH         JSON result file (loadgen-result.json; '-' for none)\n"
    "  -l, --label TEXT        label stored in the JSON\n"
    "  -H, --header 'N: V'     extra request header (repeatable; e.g. X-Auth-Token)\n";

/* Append @p s to @p out percent-encoded (RFC 3986 unreserved kept, as SigV4 wants). */
static void
append_enc(char *out, size_t size, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = strlen(out), i;

    for (i = 0; i < len && o + 4 < size; i++) {
        unsigned char ch = (unsigned char)s[i];

        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}

/* Append "&K=V" for a "K=V" parameter. */
static void
append_param(char *out, size_t size, const char *kv, size_t len)
{
    const char *eq = memchr(kv, '=', len);
    size_t klen = eq != NULL ? (size_t)(eq - kv) : len;

    if (out[0] != '\0')
        strncat(out, "&", size - strlen(out) - 1);
    append_enc(out, size, kv, klen);
    strncat(out, "=", size - strlen(out) - 1);
    if (eq != NULL)
        append_enc(out, size, eq + 1, len - klen - 1);
}

/* Add an action: "Name" or "Name&K=V&...", extra "K=V" params from -p, weight. */
static int
add_action(lg_conf_t *conf, const char *spec, size_t len, char **params, int n_params,
           unsigned weight, int raw)
{
    const char *amp = memchr(spec, '&', len);
    size_t nlen = amp != NULL ? (size_t)(amp - spec) : len;
    char body[8192] = "";
    lg_action_t *a, *grown;
    int i;

    grown = realloc(conf->actions, (conf->n_actions + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    conf->actions = grown;
    a = &conf->actions[conf->n_actions];
    if (!raw) {
        snprintf(body, sizeof(body), "Action=");
        append_enc(body, sizeof(body), spec, nlen);
        strncat(body, "&Version=", sizeof(body) - strlen(body) - 1);
        append_enc(body, sizeof(body), conf->version, strlen(conf->version));
    }
    while (amp != NULL && (size_t)(amp - spec) < len) {
        const char *start = amp + 1, *next = memchr(start, '&', len - (size_t)(start - spec));
        size_t plen = next != NULL ? (size_t)(next - start) : len - (size_t)(start - spec);

        append_param(body, sizeof(body), start, plen);
        amp = next;
    }
    for (i = 0; i < n_params; i++)
        append_param(body, sizeof(body), params[i], strlen(params[i]));
    a->name = raw ? strdup("(raw)") : strndup(spec, nlen);
    a->body = strdup(body);
    a->body_len = strlen(body);
    a->weight = weight ? weight : 1;
    if (a->name == NULL || a->body == NULL)
        return -1;
    conf->total_weight += a->weight;
    conf->n_actions++;
    return 0;
}

/* "A:3,B&K=V:1" */
static int
parse_mix(lg_conf_t *conf, const char *mix)
{
    const char *p = mix;

    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *colon = NULL, *q;
        unsigned weight = 1;

        for (q = p; q < p + len; q++)
            if (*q == ':')
                colon = q;
        if (colon != NULL) {
            weight = (unsigned)strtoul(colon + 1, NULL, 10);
            len = (size_t)(colon - p);
        }
        if (len == 0 || add_action(conf, p, len, NULL, 0, weight, 0) != 0)
            return -1;
        p = end != NULL ? end + 1 : p + strlen(p);
    }
    return conf->n_actions > 0 ? 0 : -1;
}

/* Host header and path from the URL ("http://h:p/path"). */
static int
split_url(lg_conf_t *conf)
{
    const char *h = strstr(conf->url, "://"), *slash;

    if (h == NULL)
        return -1;
    h += 3;
    slash = strchr(h, '/');
    snprintf(conf->host, sizeof(conf->host), "%.*s",
             (int)(slash != NULL ? (size_t)(slash - h) : strlen(h)), h);
    snprintf(conf->path, sizeof(conf->path), "%s", slash != NULL ? slash : "/");
    return conf->host[0] != '\0' ? 0 : -1;
}

static int
parse_args(lg_conf_t *conf, int argc, char **argv)
{
    static const struct option opts[] = {
        { "endpoint", 1, NULL, 'e' },
        { "access", 1, NULL, 'a' },
        { "secret", 1, NULL, 's' },
        { "region", 1, NULL, 'r' },
        { "service", 1, NULL, 'S' },
        { "connections", 1, NULL, 'c' },
        { "threads", 1, NULL, 't' },
        { "duration", 1, NULL, 'd' },
        { "requests", 1, NULL, 'n' },
        { "action", 1, NULL, 'A' },
        { "param", 1, NULL, 'p' },
        { "mix", 1, NULL, 'm' },
        { "api-version", 1, NULL, 'V' },
        { "method", 1, NULL, 'M' },
        { "no-sign", 0, NULL, 'N' },
        { "raw", 0, NULL, 'R' },
        { "timeout", 1, NULL, 'T' },
        { "target", 1, NULL, 'G' },
        { "json", 1, NULL, 'o' },
        { "label", 1, NULL, 'l' },
        { "header", 1, NULL, 'H' },
        { "help", 0, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *action = "DescribeRegions", *mix = NULL;
    char *params[64];
    int n_params = 0, raw = 0, ch;

    while ((ch = getopt_long(argc, argv, "e:a:s:r:c:t:d:n:A:p:m:o:l:H:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            conf->url = optarg;
            break;
        case 'a':
            conf->access = optarg;
            break;
        case 's':
            conf->secret = optarg;
            break;
        case 'r':
            conf->region = optarg;
            break;
        case 'S':
            conf->service = optarg;
            break;
        case 'c':
            conf->connections = atoi(optarg);
            break;
        case 't':
            conf->threads = atoi(optarg);
            break;
        case 'd':
            conf->duration = atof(optarg);
            break;
        case 'n':
            conf->count = atol(optarg);
            break;
        case 'A':
            action = optarg;
            break;
        case 'p':
            if (n_params == 64)
                return -1;
            params[n_params++] = optarg;
            break;
        case 'm':
            mix = optarg;
            break;
        case 'V':
            conf->version = optarg;
            break;
        case 'M':
            conf->method = optarg;
            break;
        case 'N':
            conf->sign = false;
            break;
        case 'R':
            raw = 1;
            break;
        case 'T':
            conf->timeout = atof(optarg);
            break;
        case 'G':
            conf->target_rps = atof(optarg);
            break;
        case 'o':
            conf->json_path = strcmp(optarg, "-") == 0 ? NULL : optarg;
            break;
        case 'l':
            conf->label = optarg;
            break;
        case 'H':
            if (conf->n_headers == 16)
                return -1;
            conf->headers[conf->n_headers++] = optarg;
            break;
        default:
            return -1;
        }
    }
    if (raw) {
        conf->method = "GET";
        conf->sign = false;
    }
    if (optind != argc || conf->connections < 1 || conf->threads < 1 ||
        (conf->duration <= 0 && conf->count <= 0) || split_url(conf) != 0 ||
        (strcmp(conf->method, "POST") != 0 && strcmp(conf->method, "GET") != 0))
        return -1;
    if (conf->threads > conf->connections)
        conf->threads = conf->connections;
    if (conf->count > 0)
        conf->duration = 0;
    if (conf->sign && (conf->access == NULL || conf->secret == NULL)) {
        fprintf(stderr, "ec2gw-loadgen: no credentials (-a/-s or EC2_ACCESS_KEY/SECRET_KEY)\n");
        return -1;
    }
    if (mix != NULL && !raw)
        return parse_mix(conf, mix);
    return add_action(conf, action, strlen(action), params, n_params, 1, raw);
}

static void
started_now(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "?");
}

/* Start the workers, wait for them, merge into @p total. Returns the elapsed seconds or -1. */
static double
run(lg_conf_t *conf, lg_stats_t *total)
{
    lg_worker_t *w = calloc((size_t)conf->threads, sizeof(*w));
    pthread_t *tid = calloc((size_t)conf->threads, sizeof(*tid));
    double t0 = lg_now(), t_end = t0;
    int i, started = 0, failed = 0;

    if (w == NULL || tid == NULL) {
        free(w);
        free(tid);
        return -1;
    }
    for (i = 0; i < conf->threads; i++) {
        w[i].conf = conf;
        w[i].connections =
            conf->connections / conf->threads + (i < conf->connections % conf->threads ? 1 : 0);
        w[i].seed = 0x9e3779b9u * (unsigned)(i + 1);
        w[i].t_start = t0;
        if (lg_stats_init(&w[i].stats, conf->n_actions) != 0 ||
            pthread_create(&tid[i], NULL, lg_worker_run, &w[i]) != 0)
            break;
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        failed |= w[i].failed;
        if (w[i].t_end > t_end)
            t_end = w[i].t_end;
        if (lg_stats_merge(total, &w[i].stats, conf->n_actions) != 0)
            failed = 1;
    }
    for (i = 0; i < conf->threads; i++)
        lg_stats_free(&w[i].stats);
    free(w);
    free(tid);
    return failed || started < conf->threads ? -1 : t_end - t0;
}

int
main(int argc, char **argv)
{
    lg_conf_t conf = {
        .url = "http://127.0.0.1:8788/",
        .access = getenv("EC2_ACCESS_KEY"),
        .secret = getenv("EC2_SECRET_KEY"),
        .region = "RegionOne",
        .service = "ec2",
        .version = "2016-11-15",
        .method = "POST",
        .sign = true,
        .connections = 50,
        .threads = 1,
        .duration = 10,
        .timeout = 30,
        .json_path = "loadgen-result.json",
    };
    lg_stats_t total;
    char started[32];
    double elapsed;
    size_t i;
    int rc = 1;

    atomic_init(&conf.issued, 0);
    if (parse_args(&conf, argc, argv) != 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        lg_stats_init(&total, conf.n_actions) != 0)
        return 1;
    started_now(started, sizeof(started));
    elapsed = run(&conf, &total);
    if (elapsed < 0)
        fprintf(stderr, "ec2gw-loadgen: could not set up the workers\n");
    else if (lg_report(&conf, &total, elapsed, started) == 0)
        rc = 0;
    lg_stats_free(&total);
    for (i = 0; i < conf.n_actions; i++) {
        free(conf.actions[i].name);
        free(conf.actions[i].body);
    }
    free(conf.actions);
    curl_global_cleanup();
    return rc;
}
