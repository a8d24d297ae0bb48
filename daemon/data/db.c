/*
 * db.c - the SQLite handle: open with WAL, the prepared-statement cache and nested
 * transactions. Every query of the data layer is listed in stmt_sql so that it is prepared once
 * (SQLITE_PREPARE_PERSISTENT) and only reset between uses: a request costs a few microseconds
 * of SQLite work, not a parse.
 */
#include "data/db.h"

#include <assert.h>
#include <stdlib.h>

#include "data/db_priv.h"

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
                       " (project_id, action, token, params_hash, result, created)"
                       " VALUES (?1, ?2, ?3, ?4, NULL, ?5) ON CONFLICT DO NOTHING",
    [DB_CTOK_GET] = "SELECT params_hash, result FROM ec2gw_client_tokens"
                    " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    [DB_CTOK_COMPLETE] = "UPDATE ec2gw_client_tokens SET result = ?4"
                         " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    [DB_CTOK_DELETE] = "DELETE FROM ec2gw_client_tokens"
                       " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
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

static int
db_tx_run(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    sqlite3_stmt *st = ec2gw_db_stmt(db, id, err);

    return st == NULL ? EC2GW_E_DB : ec2gw_db_stmt_run(db, st, err);
}

int
ec2gw_db_begin(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc = db_tx_run(db, db->depth == 0 ? DB_TX_BEGIN : DB_TX_SAVEPOINT, err);

    if (rc == 0)
        db->depth++;
    return rc;
}

int
ec2gw_db_commit(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc;

    assert(db->depth > 0);
    rc = db_tx_run(db, db->depth == 1 ? DB_TX_COMMIT : DB_TX_RELEASE, err);
    if (rc != 0) {
        ec2gw_db_rollback(db);
        return rc;
    }
    db->depth--;
    return 0;
}

void
ec2gw_db_rollback(ec2gw_db_t *db)
{
    assert(db->depth > 0);
    if (db->depth == 1) {
        /* Fails only when SQLite already rolled back by itself (e.g. SQLITE_FULL). */
        (void)db_tx_run(db, DB_TX_ROLLBACK, NULL);
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
