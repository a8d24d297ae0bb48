/*
 * manage.h - ec2gw-manage: the operator's command-line tool (database version, upgrade and
 * import from ec2-api, EC2 credentials through Keystone, a check of what conf.d points at).
 * A CLI, not the loop: every call here blocks.
 */
#ifndef EC2GW_MANAGE_MANAGE_H
#define EC2GW_MANAGE_MANAGE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "config/config.h"
#include "core/err.h"
#include "server/daemon.h"

/* Exit statuses, as --help documents them. */
#define EC2GW_MANAGE_OK      0
#define EC2GW_MANAGE_FAIL    1
#define EC2GW_MANAGE_USAGE   2
#define EC2GW_MANAGE_CHANGES 3 /**< catalog register --dry-run: the catalog would change */

typedef enum ec2gw_manage_cmd {
    EC2GW_MANAGE_NONE = 0,
    EC2GW_MANAGE_HELP,
    EC2GW_MANAGE_VERSION,
    EC2GW_MANAGE_DB_VERSION,
    EC2GW_MANAGE_DB_UPGRADE,
    EC2GW_MANAGE_DB_IMPORT,
    EC2GW_MANAGE_CRED_CREATE,
    EC2GW_MANAGE_CRED_LIST,
    EC2GW_MANAGE_CHECK,
    EC2GW_MANAGE_CATALOG_REGISTER,
    EC2GW_MANAGE_CATALOG_SHOW,
} ec2gw_manage_cmd_t;

/** The command line, parsed. Strings borrowed from argv. */
typedef struct ec2gw_manage_args {
    ec2gw_manage_cmd_t cmd;
    const char *conf_dir;   /**< --config-dir (default: the daemon's) */
    const char *plugin_dir; /**< --plugin-dir (check) */
    const char *source;     /**< db import-ec2api SOURCE */
    int dry_run;            /**< db import-ec2api, catalog register --dry-run */
    const char *user;       /**< credentials --user (name or id) */
    const char *project;    /**< credentials --project (name or id) */
    const char *domain;     /**< --domain: where names are looked up (default Default) */
    const char *url;        /**< credentials create --url: EC2_URL; catalog register --url */
    const char *region;     /**< catalog --region (default ec2.region) */
    const char *interfaces; /**< catalog register --interfaces (default all three) */
} ec2gw_manage_args_t;

/**
 * Parse argv (argv[0] skipped). Returns 0, or EC2GW_MANAGE_USAGE with @p msg saying what is
 * wrong. --help anywhere gives EC2GW_MANAGE_HELP.
 */
int ec2gw_manage_args_parse(int argc, char **argv, ec2gw_manage_args_t *out, char *msg,
                            size_t msg_size);

/** The --help text. */
void ec2gw_manage_usage(FILE *out);

/** conf.d bound as ec2gwd binds it. */
typedef struct ec2gw_manage_conf {
    ec2gw_conf_set_t *set;
    ec2gw_daemon_conf_t conf;
    const char *dir;
} ec2gw_manage_conf_t;

/**
 * Load and bind conf.d @p dir as ec2gwd does. Without @p need_password the service password
 * is not resolved (database commands run where the daemon's secret is not in the environment)
 * and conf.keystone.service_password is NULL. Free with ec2gw_manage_conf_free.
 */
int ec2gw_manage_conf_load(const char *dir, int need_password, ec2gw_manage_conf_t *out,
                           ec2gw_err_t *err);

void ec2gw_manage_conf_free(ec2gw_manage_conf_t *c);

/**
 * The ec2gw schema version recorded in the SQLite file or MySQL database @p path (password
 * @p password for MySQL), read without changing it: 0 and *version (-1: the file does not
 * exist; 0: no ec2gw schema in it yet), or EC2GW_E_DB.
 */
int ec2gw_manage_db_read_version(const char *path, const char *password, int *version,
                                 ec2gw_err_t *err);

/** The schema version this build's data layer brings a database to. */
int ec2gw_manage_db_expected_version(ec2gw_err_t *err);

int ec2gw_manage_db_version(const ec2gw_manage_conf_t *c);
int ec2gw_manage_db_upgrade(const ec2gw_manage_conf_t *c);

/** Counts of one table's import. */
typedef struct ec2gw_import_counts {
    long read;      /**< rows in the source */
    long imported;  /**< new rows written (dry run: that would be written) */
    long identical; /**< already in the database with the same content */
    long conflicts; /**< same key, different content: refused */
} ec2gw_import_counts_t;

typedef struct ec2gw_import_report {
    ec2gw_import_counts_t items, tags;
    double seconds;
} ec2gw_import_report_t;

/** Called once per conflicting row: @p what "item" or "tag", @p key its key, @p why. */
typedef void (*ec2gw_import_conflict_fn)(void *arg, const char *what, const char *key,
                                         const char *why);

/**
 * Copy every `items` and `tags` row of the ec2-api SQLite database @p source into the ec2gw
 * database @p target (created and migrated first unless @p dry_run), in one transaction:
 * nothing is written when any row conflicts (EC2GW_E_EXISTS, each one reported through
 * @p conflict) or with @p dry_run. 0 or a negative EC2GW_E_* with @p err.
 */
int ec2gw_manage_import(const char *target, const char *source, int dry_run,
                        ec2gw_import_report_t *rep, ec2gw_import_conflict_fn conflict, void *arg,
                        ec2gw_err_t *err);

int ec2gw_manage_db_import(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a);

/* ---------------------------------------------------------------- Keystone (blocking) */

/** One answer of Keystone. */
typedef struct ec2gw_ks_resp {
    long status;     /**< HTTP status, 0 when there was no answer */
    json_t *json;    /**< the body parsed, or NULL */
    char *subject;   /**< X-Subject-Token, or NULL */
    char error[256]; /**< the transport error when status is 0 */
} ec2gw_ks_resp_t;

/** Who to log in as. */
typedef struct ec2gw_ks_login {
    const char *url; /**< identity v3 URL */
    const char *user, *password, *user_domain;
    const char *project, *project_domain;
    long timeout_ms;
} ec2gw_ks_login_t;

/** A logged-in session. */
typedef struct ec2gw_ks_session {
    char *url;
    char *token;
    char *user_id;
    char *project_id;
    json_t *token_body; /**< the token document (catalog, roles) */
    long timeout_ms;
} ec2gw_ks_session_t;

/** @p method @p url (absolute) with @p token (may be NULL) and JSON @p body (may be NULL). */
int ec2gw_ks_request(const char *method, const char *url, const char *token, const json_t *body,
                     long timeout_ms, ec2gw_ks_resp_t *out);

/** @p path relative to the session's URL ("/users/x"). */
int ec2gw_ks_call(const ec2gw_ks_session_t *s, const char *method, const char *path,
                  const json_t *body, ec2gw_ks_resp_t *out);

void ec2gw_ks_resp_free(ec2gw_ks_resp_t *r);

/** Log in (a project-scoped password token). 0 or EC2GW_E_FAIL with @p err saying why. */
int ec2gw_ks_session_open(const ec2gw_ks_login_t *l, ec2gw_ks_session_t *s, ec2gw_err_t *err);

void ec2gw_ks_session_close(ec2gw_ks_session_t *s);

/**
 * The login of the gateway's service user from @p c, or of the admin of the OS_* environment
 * when OS_USERNAME and OS_PASSWORD are set. @p who says which.
 */
int ec2gw_ks_login_from(const ec2gw_manage_conf_t *c, ec2gw_ks_login_t *l, const char **who);

/**
 * ec2gw_ks_login_from + ec2gw_ks_session_open for command @p cmd: 0, or -1 after saying on
 * stderr who could not log in and why.
 */
int ec2gw_ks_login_session(const ec2gw_manage_conf_t *c, ec2gw_ks_session_t *s, const char *cmd);

/** The id of user or project @p name_or_id (kind "users" or "projects"), into @p out. */
int ec2gw_ks_resolve(const ec2gw_ks_session_t *s, const char *kind, const char *name_or_id,
                     const char *domain, char *out, size_t out_size, ec2gw_err_t *err);

int ec2gw_manage_cred_create(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a);
int ec2gw_manage_cred_list(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a);

/** Print one shell-quoted `export NAME='value'` line. */
void ec2gw_manage_export(FILE *out, const char *name, const char *value);

/**
 * Sign a DescribeRegions request with @p access / @p secret as botocore does and ask Keystone's
 * /v3/ec2tokens about it through the daemon's signature code. The HTTP status into @p status.
 */
int ec2gw_manage_ec2tokens_probe(const ec2gw_ks_session_t *s, const char *access,
                                 const char *secret, long *status, ec2gw_err_t *err);

int ec2gw_manage_check(const ec2gw_manage_args_t *a);

/* ---------------------------------------------------------------- catalog */

/** The name register gives the ec2 service it creates. */
#define EC2GW_CATALOG_NAME "ec2gw"

/** "public,internal,admin" (any non-empty subset, no repeats) as a bit mask; 0 or -1. */
int ec2gw_manage_interfaces_parse(const char *list, unsigned *mask);

typedef enum ec2gw_catalog_action {
    EC2GW_CATALOG_UNCHANGED = 0,
    EC2GW_CATALOG_CREATE,
    EC2GW_CATALOG_UPDATE, /**< another URL, or disabled */
} ec2gw_catalog_action_t;

/** Of Keystone's services of type ec2, the one to register into (named ec2gw first), or NULL. */
const json_t *ec2gw_manage_catalog_pick_service(const json_t *services);

/**
 * What register does to the @p interface endpoint in @p region for @p url, given the service's
 * @p endpoints (Keystone's list); the endpoint to update into @p found (borrowed).
 */
ec2gw_catalog_action_t ec2gw_manage_catalog_plan(const json_t *endpoints, const char *interface,
                                                 const char *region, const char *url,
                                                 const json_t **found);

int ec2gw_manage_catalog_register(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a);
int ec2gw_manage_catalog_show(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a);

#endif
