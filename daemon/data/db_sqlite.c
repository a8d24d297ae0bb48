/*
 * db_sqlite.c - the SQLite driver: WAL, the prepared-statement cache and nested transactions.
 * Every query of the data layer is listed in db_sql.c so that it is prepared once
 * (SQLITE_PREPARE_PERSISTENT) and only reset between uses: a request costs a few microseconds
 * of SQLite work, not a parse. Step results are SQLite's own codes (db_priv.h's DB_* are them).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "data/db_priv.h"

/* COMMIT attempts while SQLite answers SQLITE_BUSY (a lock wait already used busy_timeout). */
#define DB_COMMIT_ATTEMPTS 3

typedef struct lite_stmt {
    db_stmt_t base;
    sqlite3_stmt *st;
    char *list; /* a bound list's JSON text, freed at reset */
    int adhoc;  /* from lite_prepare: finalized, not cached */
} lite_stmt_t;

typedef struct lite_conn {
    sqlite3 *sql;
    lite_stmt_t stmt[DB_STMT_COUNT];
} lite_conn_t;

#define LITE(db) ((lite_conn_t *)(db)->conn)
#define LST(s)   ((lite_stmt_t *)(s))

static const char *
lite_errmsg(ec2gw_db_t *db)
{
    return LITE(db) != NULL && LITE(db)->sql != NULL ? sqlite3_errmsg(LITE(db)->sql) : "no handle";
}

sqlite3 *
ec2gw_db_sqlite(ec2gw_db_t *db)
{
    return db->drv == &ec2gw_db_sqlite_driver ? LITE(db)->sql : NULL;
}

/* A statement still running pins the connection's read snapshot (and, when it writes, makes
 * COMMIT fail): reset it and say so, since it means a code path skipped ec2gw_db_stmt_done. */
static void
db_stmt_unpin(sqlite3_stmt *st, const char *when)
{
    ec2gw_log(EC2GW_LOG_ERROR, "db", "statement left active (%s), reset: %s", when,
              sqlite3_sql(st));
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
}

/* Reset every statement of the connection that is still running. Returns how many were. */
static int
db_unpin_all(ec2gw_db_t *db, const char *when)
{
    int n = 0;

    for (sqlite3_stmt *st = sqlite3_next_stmt(LITE(db)->sql, NULL); st != NULL;
         st = sqlite3_next_stmt(LITE(db)->sql, st)) {
        if (sqlite3_stmt_busy(st)) {
            db_stmt_unpin(st, when);
            n++;
        }
    }
    return n;
}

static db_stmt_t *
lite_stmt(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    lite_stmt_t *s = &LITE(db)->stmt[id];

    if (s->st == NULL && sqlite3_prepare_v3(LITE(db)->sql, ec2gw_db_sql_text(DB_SQLITE, id), -1,
                                            SQLITE_PREPARE_PERSISTENT, &s->st, NULL) != SQLITE_OK) {
        s->st = NULL;
        ec2gw_db_fail(db, "prepare", err);
        return NULL;
    }
    /* Binding a running statement fails (SQLITE_MISUSE, unchecked by callers) and its next step
     * would continue the old query: a lookup would answer "not found". */
    if (sqlite3_stmt_busy(s->st))
        db_stmt_unpin(s->st, "reused");
    return &s->base;
}

static db_stmt_t *
lite_prepare(ec2gw_db_t *db, const char *sql, ec2gw_err_t *err)
{
    lite_stmt_t *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        return NULL;
    }
    if (sqlite3_prepare_v2(LITE(db)->sql, sql, -1, &s->st, NULL) != SQLITE_OK) {
        ec2gw_db_fail(db, "prepare", err);
        sqlite3_finalize(s->st);
        free(s);
        return NULL;
    }
    s->base = (db_stmt_t){ &ec2gw_db_sqlite_driver, db };
    s->adhoc = 1;
    return &s->base;
}

static void
lite_done(db_stmt_t *st)
{
    (void)sqlite3_reset(LST(st)->st); /* the step already reported any error */
    (void)sqlite3_clear_bindings(LST(st)->st);
    free(LST(st)->list);
    LST(st)->list = NULL;
}

static void
lite_finalize(db_stmt_t *st)
{
    sqlite3_finalize(LST(st)->st);
    free(LST(st)->list);
    free(st);
}

static int
lite_bind_text(db_stmt_t *st, int idx, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(LST(st)->st, idx);
    return sqlite3_bind_text(LST(st)->st, idx, s, -1, SQLITE_TRANSIENT);
}

static int
lite_bind_int64(db_stmt_t *st, int idx, long long v)
{
    return sqlite3_bind_int64(LST(st)->st, idx, (sqlite3_int64)v);
}

static int
lite_bind_null(db_stmt_t *st, int idx)
{
    return sqlite3_bind_null(LST(st)->st, idx);
}

/* The list as one JSON array text, for json_each(?n): kept until the reset, not copied. */
static int
lite_bind_list(db_stmt_t *st, int idx, const char *const *strs, size_t n)
{
    char *text = ec2gw_db_json_strings(strs, n);

    if (text == NULL)
        return SQLITE_NOMEM;
    free(LST(st)->list);
    LST(st)->list = text;
    return sqlite3_bind_text(LST(st)->st, idx, text, -1, SQLITE_STATIC);
}

static int
lite_step(db_stmt_t *st)
{
    return sqlite3_step(LST(st)->st);
}

static const char *
lite_col_text(db_stmt_t *st, int col)
{
    return (const char *)sqlite3_column_text(LST(st)->st, col);
}

static long long
lite_col_int64(db_stmt_t *st, int col)
{
    return (long long)sqlite3_column_int64(LST(st)->st, col);
}

static int
lite_col_is_null(db_stmt_t *st, int col)
{
    return sqlite3_column_type(LST(st)->st, col) == SQLITE_NULL;
}

static const char *
lite_sql(db_stmt_t *st)
{
    return sqlite3_sql(LST(st)->st);
}

static long long
lite_changes(ec2gw_db_t *db)
{
    return sqlite3_changes(LITE(db)->sql);
}

/* Run a transaction-control statement: the SQLite result code (extended). */
static int
db_tx_step(ec2gw_db_t *db, db_stmt_id_t id)
{
    db_stmt_t *st = lite_stmt(db, id, NULL);
    int rc;

    if (st == NULL)
        return sqlite3_extended_errcode(LITE(db)->sql);
    rc = sqlite3_step(LST(st)->st);
    (void)sqlite3_reset(LST(st)->st);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static int
db_tx_run(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    int rc = db_tx_step(db, id);

    return rc == SQLITE_DONE ? 0 : ec2gw_db_fail(db, ec2gw_db_sql_text(DB_SQLITE, id), err);
}

static int
lite_begin(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc;

    if (db->depth > 0) {
        if ((rc = db_tx_run(db, DB_TX_SAVEPOINT, err)) == 0)
            db->depth++;
        return rc;
    }
    /* A statement left running holds an old snapshot: BEGIN IMMEDIATE then fails at once with
     * SQLITE_BUSY_SNAPSHOT (no busy wait) as soon as another process has written. */
    db_unpin_all(db, "BEGIN");
    if ((rc = db_tx_step(db, DB_TX_BEGIN)) == SQLITE_BUSY_SNAPSHOT) {
        db_unpin_all(db, "BEGIN retry");
        rc = db_tx_step(db, DB_TX_BEGIN);
    }
    if (rc != SQLITE_DONE)
        return ec2gw_db_fail(db, "BEGIN IMMEDIATE", err);
    db->depth = 1;
    return 0;
}

/* COMMIT, retried while SQLite says it may succeed later; 0 or the SQLite code. */
static int
db_commit_outer(ec2gw_db_t *db)
{
    int rc = SQLITE_DONE;

    /* A write statement still running makes COMMIT fail with SQLITE_BUSY ("SQL statements in
     * progress") and a read one survives it pinning the snapshot: the reverted 1138903 rolled
     * back on that failure and lost the transaction's writes. */
    for (int attempt = 0; attempt < DB_COMMIT_ATTEMPTS; attempt++) {
        if (attempt > 0)
            ec2gw_log(EC2GW_LOG_WARN, "db", "COMMIT busy (%s), retrying", lite_errmsg(db));
        db_unpin_all(db, "COMMIT");
        if ((rc = db_tx_step(db, DB_TX_COMMIT)) == SQLITE_DONE)
            return 0;
        /* Only a busy COMMIT keeps the transaction open and can be retried; after IOERR, FULL
         * or NOMEM SQLite may already have rolled it back (autocommit is on again). */
        if ((rc & 0xff) != SQLITE_BUSY || sqlite3_get_autocommit(LITE(db)->sql))
            break;
    }
    return rc;
}

static void lite_rollback(ec2gw_db_t *db);

static int
lite_commit(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc;

    if (db->depth > 1) {
        if ((rc = db_tx_run(db, DB_TX_RELEASE, err)) != 0) {
            lite_rollback(db);
            return rc;
        }
        db->depth--;
        return 0;
    }
    if (sqlite3_get_autocommit(LITE(db)->sql)) {
        /* SQLite rolled the transaction back by itself after an earlier error. */
        ec2gw_log(EC2GW_LOG_ERROR, "db",
                  "COMMIT of a transaction SQLite already rolled back: its writes are lost");
        db->depth--;
        return ec2gw_err_set(err, EC2GW_E_DB, "db: transaction was rolled back by SQLite");
    }
    if ((rc = db_commit_outer(db)) == 0) {
        db->depth--;
        return 0;
    }
    ec2gw_db_fail(db, "COMMIT", err);
    ec2gw_log(EC2GW_LOG_ERROR, "db", "COMMIT failed (%d: %s): the transaction is rolled back", rc,
              lite_errmsg(db));
    lite_rollback(db);
    return EC2GW_E_DB;
}

static void
lite_rollback(ec2gw_db_t *db)
{
    if (sqlite3_get_autocommit(LITE(db)->sql)) {
        /* Already rolled back by SQLite (IOERR, FULL, NOMEM): nothing left to undo; every
         * begin still gets its one commit or rollback. */
        db->depth--;
        return;
    }
    if (db->depth == 1) {
        if (db_tx_step(db, DB_TX_ROLLBACK) != SQLITE_DONE)
            ec2gw_log(EC2GW_LOG_ERROR, "db", "ROLLBACK failed: %s", lite_errmsg(db));
    } else {
        (void)db_tx_run(db, DB_TX_ROLLBACK_TO, NULL);
        (void)db_tx_run(db, DB_TX_RELEASE, NULL);
    }
    db->depth--;
}

static int
lite_exec(ec2gw_db_t *db, const char *script, ec2gw_err_t *err)
{
    if (sqlite3_exec(LITE(db)->sql, script, NULL, NULL, NULL) != SQLITE_OK)
        return ec2gw_db_fail(db, "exec", err);
    return 0;
}

/* One process at a time is ensured by BEGIN IMMEDIATE around the migrations. */
static int
lite_schema_lock(ec2gw_db_t *db, int lock, ec2gw_err_t *err)
{
    (void)db, (void)lock, (void)err;
    return 0;
}

static void
lite_close(ec2gw_db_t *db)
{
    lite_conn_t *c = LITE(db);

    if (c == NULL)
        return;
    for (int i = 0; i < DB_STMT_COUNT; i++) {
        sqlite3_finalize(c->stmt[i].st);
        free(c->stmt[i].list);
    }
    sqlite3_close(c->sql);
    free(c);
    db->conn = NULL;
}

static int
db_pragmas(ec2gw_db_t *db, ec2gw_err_t *err)
{
    /* WAL: readers never block the writer; NORMAL: no fsync per commit in WAL mode (a power
     * loss may lose the last commits, never corrupt). busy_timeout covers an ec2gw-manage
     * process or a backup holding the lock briefly. */
    /* busy_timeout first: several workers may open the database at the same moment. */
    static const char pragmas[] = "PRAGMA busy_timeout = 2000;"
                                  "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = NORMAL;"
                                  "PRAGMA foreign_keys = OFF;";

    if (sqlite3_exec(LITE(db)->sql, pragmas, NULL, NULL, NULL) != SQLITE_OK)
        return ec2gw_db_fail(db, "pragmas", err);
    return 0;
}

/* Open the file at @p path into @p db (whose drv is this driver). */
int
ec2gw_db_sqlite_connect(ec2gw_db_t *db, const char *path, ec2gw_err_t *err)
{
    lite_conn_t *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    db->conn = c;
    for (int i = 0; i < DB_STMT_COUNT; i++)
        c->stmt[i].base = (db_stmt_t){ &ec2gw_db_sqlite_driver, db };
    if (sqlite3_open_v2(path, &c->sql,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: open %s: %s", path,
                             c->sql != NULL ? sqlite3_errmsg(c->sql) : "out of memory");
    sqlite3_extended_result_codes(c->sql, 1);
    return db_pragmas(db, err);
}

const db_driver_t ec2gw_db_sqlite_driver = {
    .dialect = DB_SQLITE,
    .name = "sqlite",
    .stmt = lite_stmt,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .done = lite_done,
    .bind_text = lite_bind_text,
    .bind_int64 = lite_bind_int64,
    .bind_null = lite_bind_null,
    .bind_list = lite_bind_list,
    .step = lite_step,
    .col_text = lite_col_text,
    .col_int64 = lite_col_int64,
    .col_is_null = lite_col_is_null,
    .sql = lite_sql,
    .changes = lite_changes,
    .errmsg = lite_errmsg,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .exec = lite_exec,
    .schema_lock = lite_schema_lock,
    .close = lite_close,
};
