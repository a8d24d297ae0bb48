/*
 * daemon.h - the ec2gwd process: one event loop, the HTTP listener, the OpenStack client,
 * Keystone, the model, the database, and the current configuration generation.
 */
#ifndef EC2GW_SERVER_DAEMON_H
#define EC2GW_SERVER_DAEMON_H

#include <stdint.h>
#include <time.h>

#include <ec2gw/plugin.h>

#include "config/config.h"
#include "core/err.h"
#include "data/db.h"
#include "openstack/http_client.h"
#include "openstack/keystone.h"
#include "plugin/plugin.h"
#include "protocol/ec2_model.h"

struct event_base;
struct evhttp;
struct evconnlistener;

/** Daemon settings from conf.d (files without `plugin:`), section by section. */
typedef struct ec2gw_daemon_conf {
    /* listen: */
    const char *listen_address;
    int64_t listen_port;
    int64_t workers;           /**< processes sharing the listening socket */
    /* limits: */
    int64_t max_body_bytes;
    int64_t max_header_bytes;
    int64_t max_connections;
    int64_t request_timeout_ms;
    int64_t idle_timeout_ms;
    int64_t header_timeout_ms; /**< from accept (or the last answer) to a whole request */
    int64_t max_params;        /**< URL and body parameters of one request */
    /* ec2: */
    const char *region;
    const char *endpoint;      /**< advertised in DescribeRegions */
    ec2gw_strlist_t extra_regions; /**< "name=endpoint" */
    const char *owner_id;      /**< "project" (Keystone project id) or "account" (12 digits) */
    int64_t max_skew_ms;
    int server_header_amazon;
    /* paths: */
    const char *plugin_dir;
    const char *model_path;
    const char *database;              /**< a SQLite path, or mysql://USER@HOST[:PORT]/DB */
    const char *database_password_env;  /**< MySQL: the variable holding the password */
    const char *database_password_file; /**< MySQL: the file holding it (first line) */
    const char *database_password;      /**< resolved from either, or NULL */
    int64_t database_pool;              /**< MySQL: connections per worker lent to requests */
    /* log: */
    const char *log_level;
    int access_log;
    const char *log_format;      /**< "text" or "json" */
    const char *access_log_spec; /**< "true", "false" or a file path */
    const char *access_log_path; /**< the file, or NULL for stderr */
    /* openstack: */
    int64_t os_timeout_ms;
    int64_t os_max_host_connections;
    /* keystone: */
    ec2gw_keystone_conf_t keystone;
    /* metadata: the instance metadata listener (metadata_listen.c) */
    int md_enabled;
    const char *md_address;
    int64_t md_port;
    const char *md_secret_env;
    const char *md_secret_file;
    const char *md_secret;    /**< resolved from the env variable or the file */
    ec2gw_metadata_conf_t md; /**< cache_ttl, token_ttl_max: what plugins read */
    /* top level: */
    int64_t describe_staleness_ms; /**< describe_max_staleness: shared reads (0: off) */
} ec2gw_daemon_conf_t;

/** One configuration generation: what SIGHUP rebuilds and swaps. */
typedef struct ec2gw_generation {
    ec2gw_conf_set_t *set;
    ec2gw_daemon_conf_t conf;
    ec2gw_plugins_t *plugins;
    int refs;        /**< the daemon's + one per request in flight */
    unsigned long id;
} ec2gw_generation_t;

/** Command-line overrides. */
typedef struct ec2gw_options {
    const char *conf_dir;
    const char *plugin_dir;  /**< --plugin-dir, beats conf */
    const char *model_path;  /**< --model, beats conf */
    int check_only;
} ec2gw_options_t;

typedef struct ec2gw_daemon {
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *listener;
    ec2gw_http_t *client;
    ec2gw_keystone_t *ks;
    ec2gw_model_t *model;
    ec2gw_db_t *db;
    ec2gw_generation_t *gen;
    ec2gw_generation_t *first; /**< keeps start-only settings (listen, keystone, db) alive */
    ec2gw_options_t opts;
    int listen_fd;   /**< bound before the workers fork; -1 until then */
    int worker_id;   /**< 0 in a single-process daemon, 1..N in workers */
    long connections;
    long in_flight;
    int listener_paused;
    int draining;
    time_t started;
    struct event *sig_hup, *sig_term, *sig_int, *drain_timer;
    struct event *sig_usr1, *heartbeat; /**< daemon_notify.c */
    struct evhttp *md_http; /**< the metadata listener, or NULL */
    struct evconnlistener *md_listener;
    int md_listen_fd;               /**< bound before the workers fork; -1 when off */
    unsigned char md_local_key[32]; /**< drawn at start: signs IMDSv2 tokens */
} ec2gw_daemon_t;

/** Load conf.d (+ options) into a new generation, plugins built. */
int ec2gw_generation_load(ec2gw_daemon_t *d, ec2gw_generation_t **out, ec2gw_err_t *err);

/** Drop a reference; frees at zero. */
void ec2gw_generation_unref(ec2gw_generation_t *g);

/** Bind the daemon's own sections of @p set into @p conf (validation errors name file:line). */
int ec2gw_daemon_conf_bind(ec2gw_conf_set_t *set, ec2gw_daemon_conf_t *conf, ec2gw_err_t *err);

/** Configuration, model and plugins; with --check-config nothing more. */
int ec2gw_daemon_prepare(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** Bind the listening socket (before workers fork, so that they share it). */
int ec2gw_daemon_listen(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** In the serving process: database, loop, HTTP server on listen_fd, signals, plugin start. */
int ec2gw_daemon_serve_init(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** Run the loop until SIGTERM/SIGINT has drained the requests. */
int ec2gw_daemon_run(ec2gw_daemon_t *d);

/**
 * listen.workers > 1: fork that many serving processes sharing listen_fd, forward SIGHUP and
 * SIGTERM to them, restart one that dies unexpectedly, and return when all have stopped.
 * Returns 0 in the parent after shutdown, or 1 in a child (which must then serve and exit).
 */
int ec2gw_workers_run(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** Bind the metadata listener's socket when metadata.enabled (before workers fork). */
int ec2gw_metadata_listen(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** In the serving process: the metadata listener's HTTP server on md_listen_fd. */
int ec2gw_metadata_setup(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** Bind the `metadata:` section's cross-field checks and secret (daemon_conf.c). */
int ec2gw_metadata_conf_check(ec2gw_daemon_conf_t *conf, ec2gw_err_t *err);

/** paths.database: a MySQL URL is well formed and carries no password; its password is read
 * from database_password_env or _file into database_password (db_conf.c). */
int ec2gw_db_conf_check(ec2gw_daemon_conf_t *conf, ec2gw_err_t *err);

/** daemon_notify.c: SIGUSR1 (reopen the access log), the heartbeat/watchdog timer. */
int ec2gw_daemon_notify_setup(ec2gw_daemon_t *d, ec2gw_err_t *err);

/** daemon_notify.c: the loop is about to run: READY=1 (single process) or a first heartbeat. */
void ec2gw_daemon_notify_ready(ec2gw_daemon_t *d);

void ec2gw_daemon_notify_free(ec2gw_daemon_t *d);

/** Free everything. */
void ec2gw_daemon_free(ec2gw_daemon_t *d);

/** The host API table handed to plugins. */
const ec2gw_host_api_t *ec2gw_host_api(void);

#endif
