/*
 * db_cmd.c - db version and db upgrade. Upgrading is ec2gw_db_open_as, the code ec2gwd runs at
 * start; reading the version opens the file read-only (a MySQL database: connects and reads
 * the version table only) so that `db version` never changes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "data/db.h"
#include "manage/manage.h"

int
ec2gw_manage_db_read_version(const char *path, const char *password, int *version, ec2gw_err_t *err)
{
    struct stat st;
    sqlite3 *sql = NULL;
    sqlite3_stmt *q = NULL;
    int rc;

    *version = -1;
    if (ec2gw_db_is_url(path))
        return ec2gw_db_read_version(path, password, version, err);
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return ec2gw_err_set(err, EC2GW_E_DB, "%s: %s", path, strerror(errno));
    }
    if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = ec2gw_err_set(err, EC2GW_E_DB, "open %s: %s", path,
                           sql ? sqlite3_errmsg(sql) : "out of memory");
        sqlite3_close(sql);
        return rc;
    }
    sqlite3_busy_timeout(sql, 2000);
    *version = 0;
    rc = sqlite3_prepare_v2(sql, "SELECT max(version) FROM ec2gw_schema_version", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        if ((rc = sqlite3_step(q)) == SQLITE_ROW)
            *version = sqlite3_column_int(q, 0); /* NULL (no row) reads as 0 */
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
    } else if (strstr(sqlite3_errmsg(sql), "no such table") != NULL) {
        rc = 0; /* an ec2-api database, or an empty file: no ec2gw schema yet */
    } else {
        rc = -1;
    }
    if (rc != 0)
        rc = ec2gw_err_set(err, EC2GW_E_DB, "%s: %s", path, sqlite3_errmsg(sql));
    sqlite3_finalize(q);
    sqlite3_close(sql);
    return rc;
}

int
ec2gw_manage_db_expected_version(ec2gw_err_t *err)
{
    ec2gw_db_t *db = NULL;
    int v;

    /* The migrations applied to an empty in-memory database: the version this build makes. */
    if (ec2gw_db_open(":memory:", &db, err) != 0)
        return -1;
    v = ec2gw_db_schema_version(db);
    ec2gw_db_close(db);
    return v;
}

int
ec2gw_manage_db_version(const ec2gw_manage_conf_t *c)
{
    const char *path = c->conf.database;
    ec2gw_err_t err = { 0 };
    int have, want = ec2gw_manage_db_expected_version(&err);

    if (want < 0 ||
        ec2gw_manage_db_read_version(path, c->conf.database_password, &have, &err) != 0) {
        fprintf(stderr, "ec2gw-manage: db version: %s\n", err.msg);
        return EC2GW_MANAGE_FAIL;
    }
    printf("database: %s\n", path);
    if (have < 0)
        printf("schema version: none (the file does not exist)\n");
    else if (have == 0 && ec2gw_db_is_url(path))
        printf("schema version: none (no ec2gw tables yet)\n");
    else
        printf("schema version: %d\n", have);
    printf("expected version: %d\n", want);
    if (have == want) {
        printf("status: current\n");
        return EC2GW_MANAGE_OK;
    }
    if (have > want) {
        printf("status: newer than this ec2gw (downgrades are not supported)\n");
        return EC2GW_MANAGE_FAIL;
    }
    printf("status: needs upgrade (run: ec2gw-manage db upgrade)\n");
    return EC2GW_MANAGE_FAIL;
}

int
ec2gw_manage_db_upgrade(const ec2gw_manage_conf_t *c)
{
    const char *path = c->conf.database;
    ec2gw_err_t err = { 0 };
    ec2gw_db_t *db = NULL;
    int before, after;

    if (ec2gw_manage_db_read_version(path, c->conf.database_password, &before, &err) != 0 ||
        ec2gw_db_open_as(path, c->conf.database_password, &db, &err) != 0) {
        fprintf(stderr, "ec2gw-manage: db upgrade: %s\n", err.msg);
        return EC2GW_MANAGE_FAIL;
    }
    after = ec2gw_db_schema_version(db);
    ec2gw_db_close(db);
    if (before == after)
        printf("database %s: schema version %d, already current\n", path, after);
    else if (before < 0)
        printf("database %s: created, schema version %d\n", path, after);
    else
        printf("database %s: upgraded from schema version %d to %d\n", path, before, after);
    return EC2GW_MANAGE_OK;
}
