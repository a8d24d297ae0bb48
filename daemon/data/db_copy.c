/*
 * db_copy.c - ec2-api's `items` and `tags` rows of a MySQL database copied into a new SQLite
 * file with ec2-api's own SQLite schema, so that `ec2gw-manage db import-ec2api mysql://...`
 * compares and imports them with the same set-based statements as an ec2-api SQLite file.
 * The source is only read.
 */
#include <stdio.h>
#include <string.h>

#include "data/db_priv.h"

/* ec2-api's 001_juno on SQLite (as tests/integration/ec2api_fixture.py makes it). */
static const char ec2api_sqlite_ddl[] =
    "CREATE TABLE items (id VARCHAR(30) NOT NULL, project_id VARCHAR(64), vpc_id VARCHAR(12),"
    " os_id VARCHAR(36), data TEXT, PRIMARY KEY (id), CONSTRAINT items_os_id_idx UNIQUE (os_id));"
    "CREATE TABLE tags (project_id VARCHAR(64) NOT NULL, item_id VARCHAR(30) NOT NULL,"
    " \"key\" VARCHAR(127) NOT NULL, value VARCHAR(255),"
    " PRIMARY KEY (project_id, item_id, \"key\"));";

static const struct {
    const char *select, *insert;
    int ncol;
} copies[] = {
    { "SELECT id, project_id, vpc_id, os_id, data FROM items",
      "INSERT INTO items (id, project_id, vpc_id, os_id, data) VALUES (?, ?, ?, ?, ?)", 5 },
    { "SELECT project_id, item_id, `key`, value FROM tags",
      "INSERT INTO tags (project_id, item_id, \"key\", value) VALUES (?, ?, ?, ?)", 4 },
};

/* Copy one table: rows into *n. */
static int
copy_table(ec2gw_db_t *src, sqlite3 *dst, size_t t, long *n, ec2gw_err_t *err)
{
    db_stmt_t *st = ec2gw_db_prepare(src, copies[t].select, err);
    sqlite3_stmt *ins = NULL;
    int step, rc = 0;

    *n = 0;
    if (st == NULL)
        return EC2GW_E_DB;
    if (sqlite3_prepare_v2(dst, copies[t].insert, -1, &ins, NULL) != SQLITE_OK) {
        ec2gw_db_stmt_free(st);
        return ec2gw_err_set(err, EC2GW_E_DB, "copy: %s", sqlite3_errmsg(dst));
    }
    while ((step = ec2gw_db_step(st)) == DB_ROW) {
        for (int c = 0; c < copies[t].ncol; c++)
            sqlite3_bind_text(ins, c + 1, ec2gw_db_col_text(st, c), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = ec2gw_err_set(err, EC2GW_E_DB, "copy: %s", sqlite3_errmsg(dst));
            break;
        }
        sqlite3_reset(ins);
        (*n)++;
    }
    if (rc == 0 && step != DB_DONE)
        rc = ec2gw_err_set(err, EC2GW_E_INVAL,
                           "the source has no ec2-api items and tags tables with ec2-api's "
                           "columns (%s)",
                           src->drv->errmsg(src));
    sqlite3_finalize(ins);
    ec2gw_db_stmt_free(st);
    return rc;
}

int
ec2gw_db_copy_ec2api(const char *src_url, const char *password, const char *sqlite_path,
                     long *items, long *tags, ec2gw_err_t *err)
{
    ec2gw_db_t *src = NULL;
    sqlite3 *dst = NULL;
    int rc;

    *items = *tags = 0;
    if (!ec2gw_db_is_url(src_url))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s is not a mysql:// URL", src_url);
    if ((rc = ec2gw_db_connect_only(src_url, password, &src, err)) != 0)
        return rc;
    if (sqlite3_open_v2(sqlite_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(dst, ec2api_sqlite_ddl, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = ec2gw_err_set(err, EC2GW_E_DB, "%s: %s", sqlite_path,
                           dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
        goto out;
    }
    /* one snapshot of the source for both tables (the session reads committed otherwise) */
    if ((rc = src->drv->exec(src, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", err)) != 0 ||
        (rc = ec2gw_db_begin(src, err)) != 0)
        goto out;
    if ((rc = copy_table(src, dst, 0, items, err)) == 0)
        rc = copy_table(src, dst, 1, tags, err);
    ec2gw_db_rollback(src);
    if (rc == 0 && sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = ec2gw_err_set(err, EC2GW_E_DB, "%s: %s", sqlite_path, sqlite3_errmsg(dst));
out:
    sqlite3_close(dst);
    ec2gw_db_close(src);
    return rc;
}
