/*
 * db.c - the SQLite handle: open with WAL, the prepared-statement cache and nested
 * transactions. Every query of the data layer is listed in stmt_sql so that it is prepared once
 * (SQLITE_PREPARE_PERSISTENT) and only reset between uses: a request costs a few microseconds
 * of SQLite work, not a parse.
 */
#include "data/db.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "data/db_priv.h"

/* COMMIT attempts while SQLite answers SQLITE_BUSY (a lock wait already used busy_timeout). */
#define DB_COMMIT_ATTEMPTS 3

struct ec2gw_db {
    sqlite3 *sql;
    sqlite3_stmt *stmt[DB_STMT_COUNT];
    int version; /* ec2gw schema version after the migrations */
    int depth;   /* open transactions: 1 = BEGIN, more = savepoints inside it */
};

/* The column `key` is quoted in the DDL (as SQLAlchemy wrote it) but is usable bare. */
static const char *const stmt_sql[DB_STMT_COUNT] = {
    [DB_ITEM_ID_BY_OS] = "SELECT id FROM items WHERE os_id = ?1"
                         " AND substr(id, 1, length(?2)) = ?2",
    [DB_ITEM_INSERT_MAP] = "INSERT INTO items (id, project_id, os_id, data)"
                           " VALUES (?1, ?2, ?3, '{}')",
    /* Image ids are shared: a public or shared image gets its id from whichever project
     * described it first, and Glance decides visibility anyway (ec2-api's get_os_image). */
    [DB_ITEM_OS_VISIBLE] = "SELECT os_id FROM items WHERE id = ?1"
                           " AND (project_id = ?2 OR project_id IS NULL"
                           " OR substr(id, 1, 4) IN ('ami-', 'aki-', 'ari-'))",
    [DB_ITEM_GET] = "SELECT os_id, vpc_id, data FROM items WHERE id = ?1 AND project_id = ?2",
    /* Adopts a mapping-only row; never takes another project's row nor changes a set os_id
     * (ec2-api refuses that too: EC2DBInvalidOsIdUpdate). No change → the caller reports. */
    [DB_ITEM_UPSERT] =
        "INSERT INTO items (id, project_id, vpc_id, os_id, data) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id,"
        " vpc_id = excluded.vpc_id, os_id = coalesce(excluded.os_id, items.os_id),"
        " data = excluded.data"
        " WHERE (items.project_id = excluded.project_id OR items.project_id IS NULL)"
        " AND (items.os_id IS NULL OR excluded.os_id IS NULL OR items.os_id = excluded.os_id)",
    [DB_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1 AND project_id = ?2",
    /* Batches: json_each drives and each id probes the index (half the time of IN (SELECT ..),
     * which sorts the list into a temporary index first). */
    [DB_ITEM_IDS_BY_OS] = "SELECT items.os_id, items.id FROM json_each(?1) AS j"
                          " JOIN items ON items.os_id = j.value"
                          " WHERE substr(items.id, 1, length(?2)) = ?2",
    [DB_ITEM_GET_MANY] = "SELECT items.id, vpc_id, data FROM json_each(?2) AS j"
                         " JOIN items ON items.id = j.value WHERE items.project_id = ?1",
    /* The id range of one kind: the primary key index serves it (no LIKE, which would scan
     * under a case-insensitive collation). */
    [DB_ITEM_LIST_KIND] = "SELECT id, vpc_id, data, os_id FROM items WHERE project_id = ?1"
                          " AND id > ?2 || '-' AND id < ?2 || '.' ORDER BY id",
    [DB_ITEM_INSERT] = "INSERT INTO items (id, project_id, vpc_id, os_id, data)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [DB_ITEM_ID_USED] = "SELECT 1 FROM items WHERE id = ?1",
    [DB_TAG_UPSERT] =
        "INSERT INTO tags (project_id, item_id, key, value) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (project_id, item_id, key) DO UPDATE SET value = excluded.value",
    [DB_TAG_DELETE_ALL] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2",
    [DB_TAG_DELETE_KEY] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2 AND key = ?3",
    [DB_TAG_DELETE_KV] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2 AND key = ?3"
                         " AND value = ?4",
    [DB_TAG_DELETE_VALUE] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2"
                            " AND value = ?3",
    [DB_TAG_GET_ITEM] = "SELECT item_id, key, value FROM tags WHERE project_id = ?1"
                        " AND item_id = ?2 ORDER BY key",
    /* One statement for any number of ids: SQLite probes the primary key per id. */
    [DB_TAG_GET_MANY] = "SELECT item_id, key, value FROM tags WHERE project_id = ?1"
                        " AND item_id IN (SELECT value FROM json_each(?2)) ORDER BY item_id, key",
    [DB_TAG_LIST] = "SELECT item_id, key, value FROM tags WHERE project_id = ?1"
                    " ORDER BY item_id, key",
    [DB_TAG_COUNT] = "SELECT count(*) FROM tags WHERE project_id = ?1 AND item_id = ?2",
    [DB_CTOK_INSERT] = "INSERT INTO ec2gw_client_tokens"
                       " (project_id, action, token, params_hash, result, created, owner, lease)"
                       " VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    [DB_CTOK_GET] = "SELECT params_hash, result, owner, lease, created FROM ec2gw_client_tokens"
                    " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    /* Compare and swap on the owner and lease just read: of several daemons seeing the same
     * orphaned claim, one takes it. */
    [DB_CTOK_TAKE] = "UPDATE ec2gw_client_tokens SET owner = ?6, lease = ?7"
                     " WHERE project_id = ?1 AND action = ?2 AND token = ?3 AND result IS NULL"
                     " AND owner IS ?4 AND lease IS ?5",
    [DB_CTOK_COMPLETE] = "UPDATE ec2gw_client_tokens SET result = ?4"
                         " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    /* only a pending claim: an answered token keeps its answer whatever happens after */
    [DB_CTOK_DELETE] = "DELETE FROM ec2gw_client_tokens"
                       " WHERE project_id = ?1 AND action = ?2 AND token = ?3"
                       " AND result IS NULL",
    [DB_CTOK_EXPIRE] = "DELETE FROM ec2gw_client_tokens WHERE created < ?1",
    [DB_TX_BEGIN] = "BEGIN IMMEDIATE",
    [DB_TX_SAVEPOINT] = "SAVEPOINT ec2gw_sp",
    [DB_TX_COMMIT] = "COMMIT",
    [DB_TX_RELEASE] = "RELEASE ec2gw_sp",
    [DB_TX_ROLLBACK] = "ROLLBACK",
    [DB_TX_ROLLBACK_TO] = "ROLLBACK TO ec2gw_sp",
};

int
ec2gw_db_fail(ec2gw_db_t *db, const char *what, ec2gw_err_t *err)
{
    return ec2gw_err_set(err, EC2GW_E_DB, "db: %s: %s", what,
                         db != NULL && db->sql != NULL ? sqlite3_errmsg(db->sql) : "no handle");
}

sqlite3 *
ec2gw_db_sqlite(ec2gw_db_t *db)
{
    return db->sql;
}

int
ec2gw_db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
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

    for (sqlite3_stmt *st = sqlite3_next_stmt(db->sql, NULL); st != NULL;
         st = sqlite3_next_stmt(db->sql, st)) {
        if (sqlite3_stmt_busy(st)) {
            db_stmt_unpin(st, when);
            n++;
        }
    }
    return n;
}

char *
ec2gw_db_json_strings(const char *const *strs, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t cap = 3, len = 0;
    char *out;

    for (size_t i = 0; i < n; i++)
        if (strs[i] != NULL)
            cap += strlen(strs[i]) * 6 + 3; /* worst case: every byte a \u00XX escape */
    if ((out = malloc(cap)) == NULL)
        return NULL;
    out[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (strs[i] == NULL || strs[i][0] == '\0')
            continue;
        if (len > 1)
            out[len++] = ',';
        out[len++] = '"';
        for (const unsigned char *p = (const unsigned char *)strs[i]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\') {
                out[len++] = '\\';
                out[len++] = (char)*p;
            } else if (*p < 0x20) {
                memcpy(out + len, "\\u00", 4);
                len += 4;
                out[len++] = hex[*p >> 4];
                out[len++] = hex[*p & 15];
            } else {
                out[len++] = (char)*p;
            }
        }
        out[len++] = '"';
    }
    out[len++] = ']';
    out[len] = '\0';
    return out;
}

sqlite3_stmt *
ec2gw_db_stmt(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    assert(id >= 0 && id < DB_STMT_COUNT);
    if (db->stmt[id] == NULL &&
        sqlite3_prepare_v3(db->sql, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[id],
                           NULL) != SQLITE_OK) {
        ec2gw_db_fail(db, "prepare", err);
        return NULL;
    }
    /* Binding a running statement fails (SQLITE_MISUSE, unchecked by callers) and its next step
     * would continue the old query: a lookup would answer "not found". */
    if (sqlite3_stmt_busy(db->stmt[id]))
        db_stmt_unpin(db->stmt[id], "reused");
    return db->stmt[id];
}

void
ec2gw_db_stmt_done(sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    (void)sqlite3_reset(st); /* the step already reported any error */
    (void)sqlite3_clear_bindings(st);
}

int
ec2gw_db_stmt_run(ec2gw_db_t *db, sqlite3_stmt *st, ec2gw_err_t *err)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ec2gw_db_fail(db, sqlite3_sql(st), err);
    ec2gw_db_stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : EC2GW_E_DB;
}

/* Run a transaction-control statement: the SQLite result code (extended). */
static int
db_tx_step(ec2gw_db_t *db, db_stmt_id_t id)
{
    sqlite3_stmt *st = ec2gw_db_stmt(db, id, NULL);
    int rc;

    if (st == NULL)
        return sqlite3_extended_errcode(db->sql);
    rc = sqlite3_step(st);
    (void)sqlite3_reset(st);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static int
db_tx_run(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    int rc = db_tx_step(db, id);

    return rc == SQLITE_DONE ? 0 : ec2gw_db_fail(db, stmt_sql[id], err);
}

int
ec2gw_db_begin(ec2gw_db_t *db, ec2gw_err_t *err)
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
            ec2gw_log(EC2GW_LOG_WARN, "db", "COMMIT busy (%s), retrying", sqlite3_errmsg(db->sql));
        db_unpin_all(db, "COMMIT");
        if ((rc = db_tx_step(db, DB_TX_COMMIT)) == SQLITE_DONE)
            return 0;
        /* Only a busy COMMIT keeps the transaction open and can be retried; after IOERR, FULL
         * or NOMEM SQLite may already have rolled it back (autocommit is on again). */
        if ((rc & 0xff) != SQLITE_BUSY || sqlite3_get_autocommit(db->sql))
            break;
    }
    return rc;
}

int
ec2gw_db_commit(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc;

    assert(db->depth > 0);
    if (db->depth > 1) {
        if ((rc = db_tx_run(db, DB_TX_RELEASE, err)) != 0) {
            ec2gw_db_rollback(db);
            return rc;
        }
        db->depth--;
        return 0;
    }
    if (sqlite3_get_autocommit(db->sql)) {
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
              sqlite3_errmsg(db->sql));
    ec2gw_db_rollback(db);
    return EC2GW_E_DB;
}

void
ec2gw_db_rollback(ec2gw_db_t *db)
{
    assert(db->depth > 0);
    if (sqlite3_get_autocommit(db->sql)) {
        /* Already rolled back by SQLite (IOERR, FULL, NOMEM): nothing left to undo; every
         * begin still gets its one commit or rollback. */
        db->depth--;
        return;
    }
    if (db->depth == 1) {
        if (db_tx_step(db, DB_TX_ROLLBACK) != SQLITE_DONE)
            ec2gw_log(EC2GW_LOG_ERROR, "db", "ROLLBACK failed: %s", sqlite3_errmsg(db->sql));
    } else {
        (void)db_tx_run(db, DB_TX_ROLLBACK_TO, NULL);
        (void)db_tx_run(db, DB_TX_RELEASE, NULL);
    }
    db->depth--;
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

    if (sqlite3_exec(db->sql, pragmas, NULL, NULL, NULL) != SQLITE_OK)
        return ec2gw_db_fail(db, "pragmas", err);
    return 0;
}

int
ec2gw_db_open_as(const char *target, const char *password, ec2gw_db_t **out, ec2gw_err_t *err)
{
    ec2gw_db_url_t url;

    (void)password;
    if (!ec2gw_db_is_url(target))
        return ec2gw_db_open(target, out, err);
    *out = NULL;
    if (ec2gw_db_url_parse(target, &url, err) != 0)
        return EC2GW_E_INVAL;
    return ec2gw_err_set(err, EC2GW_E_DB, "db: %s: the MySQL backend is not in this build yet",
                         target);
}

int
ec2gw_db_open(const char *path, ec2gw_db_t **out, ec2gw_err_t *err)
{
    ec2gw_db_t *db = calloc(1, sizeof(*db));
    int rc;

    *out = NULL;
    if (db == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if (sqlite3_open_v2(path, &db->sql,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = ec2gw_err_set(err, EC2GW_E_DB, "db: open %s: %s", path,
                           db->sql != NULL ? sqlite3_errmsg(db->sql) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    if ((rc = db_pragmas(db, err)) != 0)
        goto fail;
    if ((rc = ec2gw_db_schema_apply(db, &db->version, err)) != 0)
        goto fail;
    *out = db;
    return 0;

fail:
    ec2gw_db_close(db);
    return rc;
}

void
ec2gw_db_close(ec2gw_db_t *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < DB_STMT_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    sqlite3_close(db->sql);
    free(db);
}

int
ec2gw_db_schema_version(ec2gw_db_t *db)
{
    return db->version;
}
