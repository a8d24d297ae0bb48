/*
 * db.c - the database handle over its driver: SQLite (db_sqlite.c) for a path, MySQL/MariaDB
 * (db_mysql.c) for a mysql:// target; nested transactions, the statement cache and schema
 * set-up are the same calls for both.
 */
#include "data/db.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "data/db_priv.h"

int
ec2gw_db_fail(ec2gw_db_t *db, const char *what, ec2gw_err_t *err)
{
    return ec2gw_err_set(err, EC2GW_E_DB, "db: %s: %s", what,
                         db != NULL && db->conn != NULL ? db->drv->errmsg(db) : "no handle");
}

db_dialect_t
ec2gw_db_dialect(ec2gw_db_t *db)
{
    return db->drv->dialect;
}

const char *
ec2gw_db_backend(ec2gw_db_t *db)
{
    return db->drv->name;
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

db_stmt_t *
ec2gw_db_stmt(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    assert(id >= 0 && id < DB_STMT_COUNT);
    return db->drv->stmt(db, id, err);
}

db_stmt_t *
ec2gw_db_prepare(ec2gw_db_t *db, const char *sql, ec2gw_err_t *err)
{
    return db->drv->prepare(db, sql, err);
}

void
ec2gw_db_stmt_free(db_stmt_t *st)
{
    if (st != NULL)
        st->drv->finalize(st);
}

void
ec2gw_db_stmt_done(db_stmt_t *st)
{
    if (st != NULL)
        st->drv->done(st);
}

int
ec2gw_db_stmt_run(ec2gw_db_t *db, db_stmt_t *st, ec2gw_err_t *err)
{
    int rc = ec2gw_db_step(st);

    if (rc != DB_DONE && rc != DB_ROW)
        ec2gw_db_fail(db, st->drv->sql(st), err);
    ec2gw_db_stmt_done(st);
    return rc == DB_DONE || rc == DB_ROW ? 0 : EC2GW_E_DB;
}

int
ec2gw_db_begin(ec2gw_db_t *db, ec2gw_err_t *err)
{
    return db->drv->begin(db, err);
}

int
ec2gw_db_commit(ec2gw_db_t *db, ec2gw_err_t *err)
{
    /* MySQL's depth is per connection (the driver checks it) */
    assert(db->drv->dialect != DB_SQLITE || db->depth > 0);
    return db->drv->commit(db, err);
}

void
ec2gw_db_rollback(ec2gw_db_t *db)
{
    assert(db->drv->dialect != DB_SQLITE || db->depth > 0);
    db->drv->rollback(db);
}

/* Connect @p db to @p target with its driver; then the schema (unless @p no_schema). */
static int
db_connect(const char *target, const char *password, ec2gw_db_t **out, int no_schema,
           ec2gw_err_t *err)
{
    ec2gw_db_t *db = calloc(1, sizeof(*db));
    int rc;

    *out = NULL;
    if (db == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if (ec2gw_db_is_url(target)) {
        db->drv = &ec2gw_db_mysql_driver;
        rc = ec2gw_db_mysql_connect(db, target, password, err);
    } else {
        db->drv = &ec2gw_db_sqlite_driver;
        rc = ec2gw_db_sqlite_connect(db, target, err);
    }
    if (rc == 0 && !no_schema)
        rc = ec2gw_db_schema_apply(db, &db->version, err);
    if (rc != 0) {
        ec2gw_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

int
ec2gw_db_connect_only(const char *target, const char *password, ec2gw_db_t **out, ec2gw_err_t *err)
{
    return db_connect(target, password, out, 1, err);
}

int
ec2gw_db_open_as(const char *target, const char *password, ec2gw_db_t **out, ec2gw_err_t *err)
{
    return db_connect(target, password, out, 0, err);
}

int
ec2gw_db_open(const char *path, ec2gw_db_t **out, ec2gw_err_t *err)
{
    return db_connect(path, NULL, out, 0, err);
}

int
ec2gw_db_read_version(const char *target, const char *password, int *version, ec2gw_err_t *err)
{
    ec2gw_db_t *db = NULL;
    struct stat st;
    int rc;

    *version = -1;
    if (!ec2gw_db_is_url(target) && stat(target, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return ec2gw_err_set(err, EC2GW_E_DB, "%s: %s", target, strerror(errno));
    }
    if ((rc = db_connect(target, password, &db, 1, err)) != 0)
        return rc;
    rc = ec2gw_db_schema_read(db, version, err);
    ec2gw_db_close(db);
    return rc;
}

int
ec2gw_db_probe_write(const char *target, const char *password, ec2gw_err_t *err)
{
    ec2gw_db_t *db = NULL;
    int rc, version = 0;

    if ((rc = db_connect(target, password, &db, 1, err)) != 0)
        return rc;
    if ((rc = ec2gw_db_schema_read(db, &version, err)) == 0 &&
        (rc = ec2gw_db_begin(db, err)) == 0) {
        /* a table of ec2gw's once it exists; before, the right to create one */
        rc = db->drv->exec(db,
                           version > 0 ? "UPDATE ec2gw_schema_version SET version = version"
                                       : "CREATE TEMPORARY TABLE ec2gw_probe (x INTEGER)",
                           err);
        ec2gw_db_rollback(db);
    }
    ec2gw_db_close(db);
    return rc;
}

int
ec2gw_db_attach_loop(ec2gw_db_t *db, struct event_base *base, int pool_size, ec2gw_err_t *err)
{
    if (db->drv->dialect != DB_MYSQL)
        return 0;
    return ec2gw_db_mysql_attach(db, base, pool_size, err) == 0 ? 1 : EC2GW_E_INVAL;
}

void
ec2gw_db_close(ec2gw_db_t *db)
{
    if (db == NULL)
        return;
    if (db->conn != NULL)
        db->drv->close(db);
    free(db);
}

int
ec2gw_db_schema_version(ec2gw_db_t *db)
{
    return db->version;
}
