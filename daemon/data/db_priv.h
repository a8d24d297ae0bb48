/*
 * db_priv.h - shared by the files of daemon/data (and their tests): the database handle, its
 * cache of prepared statements and small step helpers. Nothing outside daemon/data includes it.
 */
#ifndef EC2GW_DATA_DB_PRIV_H
#define EC2GW_DATA_DB_PRIV_H

#include <stddef.h>

#include <sqlite3.h>

#include "data/db.h"
#include "data/idmap.h"

/** Every statement the data layer runs; prepared on first use, kept until close. */
typedef enum db_stmt_id {
    DB_ITEM_ID_BY_OS,    /* ?1 os_id, ?2 kind prefix "kind-" */
    DB_ITEM_INSERT_MAP,  /* ?1 id, ?2 project (may be NULL), ?3 os_id */
    DB_ITEM_OS_VISIBLE,  /* ?1 id, ?2 project: own and mapping-only rows */
    DB_ITEM_GET,         /* ?1 id, ?2 project */
    DB_ITEM_UPSERT,      /* ?1 id, ?2 project, ?3 vpc_id, ?4 os_id, ?5 data */
    DB_ITEM_DELETE,      /* ?1 id, ?2 project */
    DB_ITEM_IDS_BY_OS,   /* ?1 JSON array of os_ids, ?2 kind prefix: rows (os_id, id) */
    DB_ITEM_GET_MANY,    /* ?1 project, ?2 JSON array of ids: rows (id, vpc_id, data) */
    DB_ITEM_LIST_KIND,   /* ?1 project, ?2 kind prefix: rows (id, vpc_id, data, os_id) */
    DB_ITEM_INSERT,      /* ?1 id, ?2 project, ?3 vpc_id, ?4 os_id, ?5 data; no upsert */
    DB_ITEM_ID_USED,     /* ?1 id: a row when any project has it */
    DB_TAG_UPSERT,       /* ?1 project, ?2 item, ?3 key, ?4 value */
    DB_TAG_DELETE_ALL,   /* ?1 project, ?2 item */
    DB_TAG_DELETE_KEY,   /* ?1 project, ?2 item, ?3 key */
    DB_TAG_DELETE_KV,    /* ?1 project, ?2 item, ?3 key, ?4 value */
    DB_TAG_DELETE_VALUE, /* ?1 project, ?2 item, ?3 value */
    DB_TAG_GET_ITEM,     /* ?1 project, ?2 item */
    DB_TAG_GET_MANY,     /* ?1 project, ?2 JSON array of item ids */
    DB_TAG_LIST,         /* ?1 project */
    DB_TAG_COUNT,        /* ?1 project, ?2 item */
    DB_CTOK_INSERT,      /* ?1 project, ?2 action, ?3 token, ?4 hash, ?5 created, ?6 owner,
                          * ?7 lease */
    DB_CTOK_GET,         /* ?1 project, ?2 action, ?3 token */
    DB_CTOK_TAKE,        /* ?1-?3 key, ?4 owner and ?5 lease read, ?6 new owner, ?7 new lease */
    DB_CTOK_COMPLETE,    /* ?1 project, ?2 action, ?3 token, ?4 result */
    DB_CTOK_DELETE,      /* ?1 project, ?2 action, ?3 token */
    DB_CTOK_EXPIRE,      /* ?1 oldest created kept */
    DB_TX_BEGIN,
    DB_TX_SAVEPOINT,
    DB_TX_COMMIT,
    DB_TX_RELEASE,
    DB_TX_ROLLBACK,
    DB_TX_ROLLBACK_TO,
    DB_STMT_COUNT
} db_stmt_id_t;

/**
 * The cached statement @p id, reset and with its bindings cleared, or NULL with @p err
 * (EC2GW_E_DB). Borrowed: hand it back with ec2gw_db_stmt_done when finished with it, and
 * before any begin/commit/rollback: a statement found still running there (or when handed out
 * again) is reset and logged as an error, as it would pin the snapshot or fail the COMMIT.
 */
sqlite3_stmt *ec2gw_db_stmt(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err);

/** Reset a statement obtained from ec2gw_db_stmt (NULL is fine). */
void ec2gw_db_stmt_done(sqlite3_stmt *st);

/** Run a statement that returns no rows to completion and reset it. 0 or EC2GW_E_DB. */
int ec2gw_db_stmt_run(ec2gw_db_t *db, sqlite3_stmt *st, ec2gw_err_t *err);

/** Fill @p err from the handle's last error: "db: <what>: <sqlite message>". EC2GW_E_DB. */
int ec2gw_db_fail(ec2gw_db_t *db, const char *what, ec2gw_err_t *err);

/** The SQLite handle (tests and migrations). Borrowed. */
sqlite3 *ec2gw_db_sqlite(ec2gw_db_t *db);

/**
 * Create the missing tables (ec2-api's `items` and `tags` only when absent, never altered),
 * check that existing ones have the expected columns, and apply ec2gw's migrations in one
 * transaction. *version: the resulting schema version. 0 or EC2GW_E_DB.
 */
int ec2gw_db_schema_apply(ec2gw_db_t *db, int *version, ec2gw_err_t *err);

/** Bind a NUL-terminated string (NULL binds SQL NULL); static lifetime is not assumed. */
int ec2gw_db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/**
 * The JSON array text of the non-NULL, non-empty strings of @p strs (for json_each(?)):
 * returns new (free()), or NULL when out of memory.
 */
char *ec2gw_db_json_strings(const char *const *strs, size_t n);

/** 1 when @p kind is an id kind ec2gw knows ("i", "vol", "eni-attach", ...). */
int ec2gw_id_kind_valid(const char *kind);

/**
 * The insert half of ec2gw_idmap_to_ec2 for an @p os_id that had no row of @p kind: a new row
 * owned by @p project_id with a fresh id (retried on collisions), or the row another writer
 * inserted meanwhile. EC2GW_E_EXISTS when os_id is mapped to an id of another kind.
 */
int ec2gw_idmap_create(ec2gw_db_t *db, const char *project_id, const char *kind, const char *os_id,
                       char out[EC2GW_ID_MAX], ec2gw_err_t *err);

/** A source of random bytes for ids: fill @p buf with @p n bytes. */
typedef void (*ec2gw_id_rng_fn)(unsigned char *buf, size_t n);

/**
 * Tests only: make ec2gw_id_new draw from @p fn (NULL restores the CSPRNG). Process-wide, not
 * thread-safe; used to force id collisions.
 */
void ec2gw_id_set_rng(ec2gw_id_rng_fn fn);

#endif
