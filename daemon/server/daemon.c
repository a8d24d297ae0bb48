/*
 * daemon.c - start-up, generations (SIGHUP reload), signals and draining (SIGTERM).
 */
#include "server/daemon.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "ops/notify.h"
#include "server/conn.h"
#include "server/req_fiber.h"

int ec2gw_intake_setup(ec2gw_daemon_t *d, ec2gw_err_t *err);

static unsigned long next_generation_id = 1;

static int
build_plugins(ec2gw_daemon_t *d, ec2gw_generation_t *g, ec2gw_err_t *err)
{
    const char *dir = d->opts.plugin_dir ? d->opts.plugin_dir : g->conf.plugin_dir;

    if (dir == NULL)
        dir = getenv("EC2GW_PLUGIN_DIR");
    if (dir == NULL)
        dir = EC2GW_DEFAULT_PLUGIN_DIR;
    return ec2gw_plugins_build(g->set, dir, ec2gw_host_api(), d->model, &g->plugins, err);
}

int
ec2gw_generation_load(ec2gw_daemon_t *d, ec2gw_generation_t **out, ec2gw_err_t *err)
{
    ec2gw_generation_t *g = calloc(1, sizeof(*g));
    int rc;

    if (g == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    g->refs = 1;
    g->id = next_generation_id++;
    if ((rc = ec2gw_conf_load_dir(d->opts.conf_dir, &g->set, err)) != 0 ||
        (rc = ec2gw_daemon_conf_bind(g->set, &g->conf, err)) != 0)
        goto fail;
    if (g->conf.endpoint == NULL) {
        static char endpoint[300];
        /* A reload does not move the listener (reload() warns): advertise where it is. */
        const ec2gw_daemon_conf_t *bound = d->first != NULL ? &d->first->conf : &g->conf;

        snprintf(endpoint, sizeof(endpoint), "http://%s:%lld", bound->listen_address,
                 (long long)bound->listen_port);
        g->conf.endpoint = endpoint;
    }
    if (d->model != NULL && (rc = build_plugins(d, g, err)) != 0)
        goto fail;
    *out = g;
    return 0;

fail:
    ec2gw_generation_unref(g);
    return rc;
}

void
ec2gw_generation_unref(ec2gw_generation_t *g)
{
    if (g == NULL || --g->refs > 0)
        return;
    ec2gw_plugins_free(g->plugins);
    ec2gw_conf_set_free(g->set);
    free(g);
}

/* 0 when the new generation serves, -1 when the running one stays. */
static int
reload(ec2gw_daemon_t *d)
{
    ec2gw_generation_t *g = NULL;
    ec2gw_err_t err = { 0 };
    ec2gw_log_level_t lvl;

    if (ec2gw_generation_load(d, &g, &err) != 0) {
        ec2gw_log(EC2GW_LOG_ERROR, NULL, "reload failed, keeping the running configuration: %s",
                  err.msg);
        return -1;
    }
    if (strcmp(g->conf.listen_address, d->first->conf.listen_address) != 0 ||
        g->conf.listen_port != d->first->conf.listen_port ||
        strcmp(g->conf.database, d->first->conf.database) != 0 ||
        strcmp(g->conf.keystone.url, d->first->conf.keystone.url) != 0 ||
        g->conf.md_enabled != d->first->conf.md_enabled ||
        g->conf.md_port != d->first->conf.md_port ||
        strcmp(g->conf.md_address, d->first->conf.md_address) != 0)
        ec2gw_log(EC2GW_LOG_WARN, NULL,
                  "listen, paths.database, keystone and the metadata listener's enabled, "
                  "address and port take effect on restart only");
    if (ec2gw_plugins_start(g->plugins, (ec2gw_loop_t *)(void *)d, &err) != 0) {
        ec2gw_log(EC2GW_LOG_ERROR, NULL, "reload failed, keeping the running configuration: %s",
                  err.msg);
        ec2gw_generation_unref(g);
        return -1;
    }
    if (ec2gw_log_parse_level(g->conf.log_level, &lvl) == 0)
        ec2gw_log_set_level(lvl);
    if (ec2gw_log_configure(g->conf.log_format, g->conf.access_log_path, &err) != 0)
        ec2gw_log(EC2GW_LOG_ERROR, NULL, "log: %s", err.msg);
    ec2gw_generation_t *old = d->gen;

    d->gen = g;
    size_t n_routes = 0, n = ec2gw_plugins_count(g->plugins, &n_routes);

    ec2gw_log(EC2GW_LOG_NOTICE, NULL,
              "configuration generation %lu loaded: %zu plugin "
              "instances, %zu actions routed",
              g->id, n, n_routes);
    if (old != d->first)
        ec2gw_generation_unref(old);
    return 0;
}

static void
on_sighup(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_daemon_t *d = arg;
    int rc;

    (void)fd;
    (void)what;
    if (d->worker_id == 0)
        ec2gw_notify_reloading();
    rc = reload(d);
    ec2gw_metrics_set_generation(d->gen->id);
    ec2gw_metrics_reload_done(rc == 0);
    if (d->worker_id == 0)
        ec2gw_notify("READY=1\nSTATUS=%s configuration generation %lu",
                     rc == 0 ? "serving" : "reload failed; still serving", d->gen->id);
}

static void
maybe_exit(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_daemon_t *d = arg;

    (void)fd;
    (void)what;
    if (d->in_flight == 0 || what == EV_TIMEOUT) {
        if (d->in_flight > 0)
            ec2gw_log(EC2GW_LOG_WARN, NULL, "drain deadline passed with %ld requests in flight",
                      d->in_flight);
        event_base_loopbreak(d->base);
    }
}

static void
on_sigterm(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_daemon_t *d = arg;
    struct timeval poll = { 0, 100000 };

    (void)fd;
    (void)what;
    if (d->draining) {
        event_base_loopbreak(d->base);
        return;
    }
    d->draining = 1;
    ec2gw_log(EC2GW_LOG_NOTICE, NULL, "shutting down: draining %ld requests in flight",
              d->in_flight);
    if (d->worker_id == 0)
        ec2gw_notify("STOPPING=1\nSTATUS=draining %ld requests in flight", d->in_flight);
    if (d->listener != NULL)
        evconnlistener_disable(d->listener);
    if (d->md_listener != NULL)
        evconnlistener_disable(d->md_listener);
    /* Poll every 100 ms until the requests are done, at most the request timeout. */
    d->drain_timer = event_new(d->base, -1, EV_PERSIST, maybe_exit, d);
    event_add(d->drain_timer, &poll);
    struct timeval limit = { .tv_sec = (time_t)(d->gen->conf.request_timeout_ms / 1000) + 1 };

    event_base_once(d->base, -1, EV_TIMEOUT, maybe_exit, d, &limit);
}

static int
resolve_model_path(ec2gw_daemon_t *d, char *out, size_t size)
{
    const char *cands[] = { d->opts.model_path, d->gen->conf.model_path, getenv("EC2GW_MODEL"),
                            EC2GW_DEFAULT_MODEL, EC2GW_SOURCE_MODEL };
    struct stat st;

    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        if (cands[i] != NULL && stat(cands[i], &st) == 0) {
            snprintf(out, size, "%s", cands[i]);
            return 0;
        }
        if (cands[i] != NULL && i < 3) {
            snprintf(out, size, "%s", cands[i]);
            return EC2GW_E_NOTFOUND; /* an explicit path that does not exist is an error */
        }
    }
    return EC2GW_E_NOTFOUND;
}

int
ec2gw_daemon_prepare(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    char model_path[4096] = "";
    int rc;
    ec2gw_log_level_t lvl;

    d->started = time(NULL);
    d->listen_fd = -1;
    d->md_listen_fd = -1;
    /* The first generation is read twice: once for the model path, once with plugins. */
    if ((rc = ec2gw_generation_load(d, &d->gen, err)) != 0)
        return rc;
    if (ec2gw_log_parse_level(d->gen->conf.log_level, &lvl) != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "log.level: '%s' is not error, warn, notice, "
                             "info or debug",
                             d->gen->conf.log_level);
    ec2gw_log_set_level(lvl);
    rc = d->opts.check_only
             ? ec2gw_log_check(d->gen->conf.log_format, d->gen->conf.access_log_path, err)
             : ec2gw_log_configure(d->gen->conf.log_format, d->gen->conf.access_log_path, err);
    if (rc != 0)
        return rc;
    if (resolve_model_path(d, model_path, sizeof(model_path)) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOTFOUND,
                             "EC2 model file not found: %s (set "
                             "paths.model or --model)",
                             model_path[0] ? model_path : "(none)");
    if ((rc = ec2gw_model_load(model_path, &d->model, err)) != 0)
        return rc;
    if ((rc = build_plugins(d, d->gen, err)) != 0)
        return rc;
    d->first = d->gen;
    d->gen->refs++;
    return 0;
}

int
ec2gw_daemon_listen(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    const ec2gw_daemon_conf_t *c = &d->gen->conf;
    struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC,
                                     .ai_socktype = SOCK_STREAM,
                                     .ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICHOST };
    struct evutil_addrinfo *ai = NULL;
    char port[16];
    int fd;

    snprintf(port, sizeof(port), "%lld", (long long)c->listen_port);
    if (evutil_getaddrinfo(c->listen_address, port, &hints, &ai) != 0 || ai == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "listen.address '%s' is not a numeric address",
                             c->listen_address);
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || evutil_make_listen_socket_reuseable(fd) != 0 ||
        bind(fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        evutil_make_socket_nonblocking(fd) != 0 || evutil_make_socket_closeonexec(fd) != 0) {
        int e = errno;

        if (fd >= 0)
            close(fd);
        evutil_freeaddrinfo(ai);
        return ec2gw_err_set(err, EC2GW_E_FAIL, "cannot listen on %s:%s: %s", c->listen_address,
                             port, strerror(e));
    }
    evutil_freeaddrinfo(ai);
    d->listen_fd = fd;
    /* Create or migrate the database once, before any worker exists: a path that cannot be
     * opened fails here, with one message, and workers never race on the schema. */
    ec2gw_db_t *db = NULL;
    int rc = ec2gw_db_open_as(c->database, c->database_password, &db, err);

    ec2gw_db_close(db);
    if (rc == 0)
        rc = ec2gw_metadata_listen(d, err);
    return rc;
}

int
ec2gw_daemon_serve_init(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    int rc;

    if ((rc = ec2gw_db_open_as(d->gen->conf.database, d->gen->conf.database_password, &d->db,
                               err)) != 0)
        return rc;
    /* The changelist folds libevent's per-request disable/enable of a connection into one
     * epoll_ctl at most: epoll_ctl was the largest single cost in the DescribeRegions profile. */
    struct event_config *cfg = event_config_new();

    if (cfg != NULL)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    d->base = cfg != NULL ? event_base_new_with_config(cfg) : event_base_new();
    if (cfg != NULL)
        event_config_free(cfg);
    if (d->base == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "cannot create the event loop");
    /* MySQL: request code runs on fibers that park on the database, not the loop. */
    if ((rc = ec2gw_db_attach_loop(d->db, d->base, (int)d->gen->conf.database_pool, err)) < 0)
        return rc;
    ec2gw_req_fibers_enable(rc == 1 ? d->base : NULL);
    d->client = ec2gw_http_new(d->base, (long)d->gen->conf.os_max_host_connections);
    d->ks = ec2gw_keystone_new(d->client, &d->first->conf.keystone,
                               (int)(d->gen->conf.max_skew_ms / 1000));
    if (d->client == NULL || d->ks == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    if ((rc = ec2gw_intake_setup(d, err)) != 0 || (rc = ec2gw_metadata_setup(d, err)) != 0)
        return rc;
    if ((rc = ec2gw_plugins_start(d->gen->plugins, (ec2gw_loop_t *)(void *)d, err)) != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    d->sig_hup = evsignal_new(d->base, SIGHUP, on_sighup, d);
    d->sig_term = evsignal_new(d->base, SIGTERM, on_sigterm, d);
    d->sig_int = evsignal_new(d->base, SIGINT, on_sigterm, d);
    evsignal_add(d->sig_hup, NULL);
    evsignal_add(d->sig_term, NULL);
    evsignal_add(d->sig_int, NULL);
    return ec2gw_daemon_notify_setup(d, err);
}

int
ec2gw_daemon_run(ec2gw_daemon_t *d)
{
    size_t n_routes = 0, n = ec2gw_plugins_count(d->gen->plugins, &n_routes);

    if (d->worker_id <= 1)
        ec2gw_log(EC2GW_LOG_NOTICE, NULL,
                  "ec2gwd listening on http://%s:%lld (region %s, %zu plugin instances, %zu "
                  "actions routed, %lld worker(s), keystone %s)",
                  d->gen->conf.listen_address, (long long)d->gen->conf.listen_port,
                  d->gen->conf.region, n, n_routes, (long long)d->gen->conf.workers,
                  d->first->conf.keystone.url);
    ec2gw_daemon_notify_ready(d);
    event_base_dispatch(d->base);
    ec2gw_log(EC2GW_LOG_NOTICE, NULL, "stopped");
    return 0;
}

void
ec2gw_daemon_free(ec2gw_daemon_t *d)
{
    if (d->sig_hup)
        event_free(d->sig_hup);
    if (d->sig_term)
        event_free(d->sig_term);
    if (d->sig_int)
        event_free(d->sig_int);
    if (d->drain_timer)
        event_free(d->drain_timer);
    ec2gw_daemon_notify_free(d);
    d->listener = NULL; /* evhttp_free() frees it, then closes the connections */
    if (d->http)
        evhttp_free(d->http);
    d->md_listener = NULL;
    if (d->md_http)
        evhttp_free(d->md_http);
    ec2gw_conn_shutdown();
    if (d->listen_fd >= 0)
        close(d->listen_fd);
    if (d->md_listen_fd > 0)
        close(d->md_listen_fd);
    ec2gw_keystone_free(d->ks);
    ec2gw_http_free(d->client);
    if (d->gen != d->first)
        ec2gw_generation_unref(d->gen);
    ec2gw_generation_unref(d->first);
    ec2gw_generation_unref(d->first);
    ec2gw_modules_unload_all();
    ec2gw_db_close(d->db);
    ec2gw_model_free(d->model);
    if (d->base)
        event_base_free(d->base);
    ec2gw_metrics_reset();
}
