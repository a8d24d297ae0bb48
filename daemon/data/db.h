/*
 * db.h - the gateway's database: SQLite (WAL) with the `items` and `tags` tables exactly as
 * OpenStack's ec2-api has them, plus ec2gw's own tables (schema version, ClientToken records).
 * All calls are synchronous and run on the loop thread (prepared statements, WAL: well under a
 * millisecond).
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
