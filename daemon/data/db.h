/*
 * db.h - the gateway's database: SQLite (WAL, the default) or MySQL/MariaDB (a
 * mysql://USER@HOST[:PORT]/DB target), with the `items` and `tags` tables exactly as
 * OpenStack's ec2-api has them, plus ec2gw's own tables (schema version, ClientToken records).
 * All calls are synchronous and run on the loop thread (SQLite: prepared statements, WAL, well
 * under a millisecond; MySQL: one round trip per statement, bounded by the driver's timeouts).
 */
#ifndef EC2GW_DATA_DB_H
#define EC2GW_DATA_DB_H

#include "core/err.h"

typedef struct ec2gw_db ec2gw_db_t;

/**
 * Open (creating if needed) the SQLite database at @p path, set WAL and a busy timeout, create
 * missing tables and apply ec2gw's migrations (never altering ec2-api's tables). *out: caller
 * closes with ec2gw_db_close.
 */
int ec2gw_db_open(const char *path, ec2gw_db_t **out, ec2gw_err_t *err);

/** The parts of a mysql:// (or mariadb://) target: USER@HOST[:PORT]/DBNAME. */
typedef struct ec2gw_db_url {
    char user[128];
    char host[256];
    char name[128];
    unsigned port; /* 3306 when not given */
} ec2gw_db_url_t;

/** 1 when @p target is a mysql:// or mariadb:// URL, 0 when it is a SQLite path. */
int ec2gw_db_is_url(const char *target);

/**
 * Parse a MySQL target into @p out. A URL carrying a password (USER:PASS@) is refused: the
 * password comes from paths.database_password_env or _file. 0 or EC2GW_E_INVAL.
 */
int ec2gw_db_url_parse(const char *target, ec2gw_db_url_t *out, ec2gw_err_t *err);

/**
 * ec2gw_db_open for either backend: @p password is used for a MySQL target (NULL: none) and
 * ignored for SQLite. A MySQL server that cannot be reached fails here with its message.
 */
int ec2gw_db_open_as(const char *target, const char *password, ec2gw_db_t **out, ec2gw_err_t *err);

/**
 * The schema version recorded at @p target without creating or migrating anything: -1 when
 * the SQLite file does not exist, 0 when no ec2gw table does. 0 or EC2GW_E_DB.
 */
int ec2gw_db_read_version(const char *target, const char *password, int *version, ec2gw_err_t *err);

/**
 * MySQL: connect to @p target and write in a transaction rolled back (the schema version
 * table, or a temporary table when there is none yet), changing nothing. 0 or EC2GW_E_DB.
 */
int ec2gw_db_probe_write(const char *target, const char *password, ec2gw_err_t *err);

/**
 * Copy ec2-api's `items` and `tags` rows of the MySQL database @p src_url into a new SQLite
 * file @p sqlite_path with ec2-api's SQLite schema (db import-ec2api of a MySQL source); the
 * source is only read, in one snapshot. *items, *tags: rows copied. 0 or EC2GW_E_*.
 */
int ec2gw_db_copy_ec2api(const char *src_url, const char *password, const char *sqlite_path,
                         long *items, long *tags, ec2gw_err_t *err);

struct event_base;

/**
 * ec2gwd's workers: from now on @p db's callers may run on request fibers (core/fiber.h) of the
 * loop @p base. MySQL: each fiber borrows one of @p pool_size connections and a statement that
 * waits parks it instead of the loop; returns 1 (run request code on fibers). SQLite: nothing
 * changes (a local file answers in microseconds); returns 0. < 0 with @p err on failure.
 */
int ec2gw_db_attach_loop(ec2gw_db_t *db, struct event_base *base, int pool_size, ec2gw_err_t *err);

/** "sqlite" or "mysql". */
const char *ec2gw_db_backend(ec2gw_db_t *db);

/** Close (NULL is fine). */
void ec2gw_db_close(ec2gw_db_t *db);

/** ec2gw's schema version recorded in the database. */
int ec2gw_db_schema_version(ec2gw_db_t *db);

/**
 * Start a transaction (BEGIN IMMEDIATE), or a savepoint when one is already open, so that
 * calls nest. Every successful begin is ended by exactly one commit or rollback. 0 or
 * EC2GW_E_DB.
 */
int ec2gw_db_begin(ec2gw_db_t *db, ec2gw_err_t *err);

/** Commit the innermost transaction or savepoint. 0 or EC2GW_E_DB (then it was rolled back). */
int ec2gw_db_commit(ec2gw_db_t *db, ec2gw_err_t *err);

/** Roll back the innermost transaction or savepoint (errors are not reportable here). */
void ec2gw_db_rollback(ec2gw_db_t *db);

#endif
