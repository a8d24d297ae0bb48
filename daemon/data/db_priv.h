/*
 * db_priv.h - shared by the files of daemon/data (and their tests): the database handle, the
 * driver interface (SQLite in db_sqlite.c, MySQL/MariaDB in db_mysql.c), the statement table
 * and small step helpers. Nothing outside daemon/data includes it.
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
    DB_TX_BEGIN, /* transaction control: SQLite only; the MySQL driver names its savepoints */
    DB_TX_SAVEPOINT,
    DB_TX_COMMIT,
    DB_TX_RELEASE,
    DB_TX_ROLLBACK,
    DB_TX_ROLLBACK_TO,
    DB_STMT_COUNT
} db_stmt_id_t;

/*
 * The driver interface. A statement is borrowed from the connection's cache by id (or prepared
 * ad hoc from text), bound, stepped row by row and handed back. Step results are SQLite's
 * codes, which the MySQL driver maps to: DB_ROW, DB_DONE, DB_DUP_PRIMARY (duplicate primary
 * key), DB_DUP_UNIQUE (duplicate unique key), anything else an error (ec2gw_db_fail tells it).
 */
enum {
    DB_ROW = SQLITE_ROW,
    DB_DONE = SQLITE_DONE,
    DB_DUP_PRIMARY = SQLITE_CONSTRAINT_PRIMARYKEY,
    DB_DUP_UNIQUE = SQLITE_CONSTRAINT_UNIQUE,
    DB_ERROR = SQLITE_ERROR,
};

/** SQL dialects: the statement table has one text per dialect (db_sql.c). */
typedef enum db_dialect { DB_SQLITE, DB_MYSQL } db_dialect_t;

struct event_base;
typedef struct db_stmt db_stmt_t;
typedef struct db_driver db_driver_t;

/** What every driver's statement starts with. */
struct db_stmt {
    const db_driver_t *drv;
    ec2gw_db_t *db;
};

struct db_driver {
    db_dialect_t dialect;
    const char *name;
    db_stmt_t *(*stmt)(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err);
    db_stmt_t *(*prepare)(ec2gw_db_t *db, const char *sql, ec2gw_err_t *err);
    void (*finalize)(db_stmt_t *st);
    void (*done)(db_stmt_t *st);
    int (*bind_text)(db_stmt_t *st, int idx, const char *s);
    int (*bind_int64)(db_stmt_t *st, int idx, long long v);
    int (*bind_null)(db_stmt_t *st, int idx);
    int (*bind_list)(db_stmt_t *st, int idx, const char *const *strs, size_t n);
    int (*step)(db_stmt_t *st);
    const char *(*col_text)(db_stmt_t *st, int col);
    long long (*col_int64)(db_stmt_t *st, int col);
    int (*col_is_null)(db_stmt_t *st, int col);
    const char *(*sql)(db_stmt_t *st);
    long long (*changes)(ec2gw_db_t *db);
    const char *(*errmsg)(ec2gw_db_t *db);
    int (*begin)(ec2gw_db_t *db, ec2gw_err_t *err);
    int (*commit)(ec2gw_db_t *db, ec2gw_err_t *err);
    void (*rollback)(ec2gw_db_t *db);
    /* Run a script of statements separated by ";\n" (DDL, migrations). */
    int (*exec)(ec2gw_db_t *db, const char *script, ec2gw_err_t *err);
    /* Serialize schema changes with other processes (MySQL: GET_LOCK), around the migrations. */
    int (*schema_lock)(ec2gw_db_t *db, int lock, ec2gw_err_t *err);
    void (*close)(ec2gw_db_t *db);
};

/** The handle: the driver and its connection (db_sqlite.c, db_mysql.c). */
struct ec2gw_db {
    const db_driver_t *drv;
    void *conn;  /* the driver's connection state */
    int version; /* ec2gw schema version after the migrations */
    int depth;   /* open transactions: 1 = BEGIN, more = savepoints inside it */
};

extern const db_driver_t ec2gw_db_sqlite_driver;
extern const db_driver_t ec2gw_db_mysql_driver;

/** Open the SQLite file at @p path into @p db (drv set). 0 or EC2GW_E_DB. */
int ec2gw_db_sqlite_connect(ec2gw_db_t *db, const char *path, ec2gw_err_t *err);

/** Connect @p db (drv set) to the server of a mysql:// @p target. 0 or EC2GW_E_DB/_INVAL. */
int ec2gw_db_mysql_connect(ec2gw_db_t *db, const char *target, const char *password,
                           ec2gw_err_t *err);

/** Lend @p db's requests a pool of @p pool_size non-blocking connections on @p base. */
int ec2gw_db_mysql_attach(ec2gw_db_t *db, struct event_base *base, int pool_size, ec2gw_err_t *err);

/** Connect to @p target without creating or migrating anything (reads of another database). */
int ec2gw_db_connect_only(const char *target, const char *password, ec2gw_db_t **out,
                          ec2gw_err_t *err);

/** The recorded schema version without changing anything (0: no ec2gw tables). */
int ec2gw_db_schema_read(ec2gw_db_t *db, int *version, ec2gw_err_t *err);

/** The text of statement @p id in @p dialect (db_sql.c). */
const char *ec2gw_db_sql_text(db_dialect_t dialect, db_stmt_id_t id);

/**
 * The cached statement @p id, reset and with its bindings cleared, or NULL with @p err
 * (EC2GW_E_DB). Borrowed: hand it back with ec2gw_db_stmt_done when finished with it, and
 * before any begin/commit/rollback: a statement found still running there (or when handed out
 * again) is reset and logged as an error, as it would pin the snapshot or fail the COMMIT.
 */
db_stmt_t *ec2gw_db_stmt(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err);

/** A statement from @p sql text (?N parameters), finalized with ec2gw_db_stmt_free. */
db_stmt_t *ec2gw_db_prepare(ec2gw_db_t *db, const char *sql, ec2gw_err_t *err);

/** Free a statement of ec2gw_db_prepare (NULL is fine). */
void ec2gw_db_stmt_free(db_stmt_t *st);

/** Reset a statement obtained from ec2gw_db_stmt (NULL is fine). */
void ec2gw_db_stmt_done(db_stmt_t *st);

/** Run a statement that returns no rows to completion and reset it. 0 or EC2GW_E_DB. */
int ec2gw_db_stmt_run(ec2gw_db_t *db, db_stmt_t *st, ec2gw_err_t *err);

/** Fill @p err from the handle's last error: "db: <what>: <driver message>". EC2GW_E_DB. */
int ec2gw_db_fail(ec2gw_db_t *db, const char *what, ec2gw_err_t *err);

/** The SQLite handle (tests and migrations of a SQLite database; NULL for MySQL). Borrowed. */
sqlite3 *ec2gw_db_sqlite(ec2gw_db_t *db);

/** The dialect of @p db. */
db_dialect_t ec2gw_db_dialect(ec2gw_db_t *db);

/** Step: DB_ROW, DB_DONE, DB_DUP_PRIMARY, DB_DUP_UNIQUE or another (error) code. */
static inline int
ec2gw_db_step(db_stmt_t *st)
{
    return st->drv->step(st);
}

/** Column @p col of the current row as text (NULL for SQL NULL); valid until the next step. */
static inline const char *
ec2gw_db_col_text(db_stmt_t *st, int col)
{
    return st->drv->col_text(st, col);
}

static inline long long
ec2gw_db_col_int64(db_stmt_t *st, int col)
{
    return st->drv->col_int64(st, col);
}

static inline int
ec2gw_db_col_is_null(db_stmt_t *st, int col)
{
    return st->drv->col_is_null(st, col);
}

/** Rows changed by the last write statement of @p db. */
static inline long long
ec2gw_db_changes(ec2gw_db_t *db)
{
    return db->drv->changes(db);
}

static inline int
ec2gw_db_bind_int64(db_stmt_t *st, int idx, long long v)
{
    return st->drv->bind_int64(st, idx, v);
}

static inline int
ec2gw_db_bind_null(db_stmt_t *st, int idx)
{
    return st->drv->bind_null(st, idx);
}

/**
 * Bind a list of strings to ?idx, used as "IN (?idx)" in MySQL texts and as json_each(?idx)
 * in SQLite ones; NULL and empty strings are left out. The strings are copied.
 */
static inline int
ec2gw_db_bind_list(db_stmt_t *st, int idx, const char *const *strs, size_t n)
{
    return st->drv->bind_list(st, idx, strs, n);
}

/**
 * Create the missing tables (ec2-api's `items` and `tags` only when absent, never altered),
 * check that existing ones have the expected columns, and apply ec2gw's migrations in one
 * transaction. *version: the resulting schema version. 0 or EC2GW_E_DB.
 */
int ec2gw_db_schema_apply(ec2gw_db_t *db, int *version, ec2gw_err_t *err);

/** Bind a NUL-terminated string (NULL binds SQL NULL); static lifetime is not assumed. */
static inline int
ec2gw_db_bind_text(db_stmt_t *st, int idx, const char *s)
{
    return st->drv->bind_text(st, idx, s);
}

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
