/*
 * import.c - db import-ec2api: ec2-api's `items` and `tags` rows into ec2gw's database, keys
 * unchanged. A MySQL source is first copied into a private SQLite file (db_copy.c). The source is
 * ATTACHed read-only to a connection on the target, so that the comparison and the copy are a few
 * set-based statements inside one transaction (10 000 items take well under a second): either every
 * new row is written, or none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "data/db.h"
#include "manage/manage.h"

/* A JSON text compared by value where it is valid JSON (json() drops insignificant spaces). */
#define NORM(x) "(CASE WHEN json_valid(" x ") THEN json(" x ") ELSE " x " END)"
#define ITEM_SAME                                                                  \
    "s.project_id IS m.project_id AND s.vpc_id IS m.vpc_id AND s.os_id IS m.os_id" \
    " AND " NORM("s.data") " IS " NORM("m.data")
#define TAG_KEY "m.project_id = s.project_id AND m.item_id = s.item_id AND m.\"key\" = s.\"key\""

/* What a dry run against a database that does not exist yet compares with: nothing. */
static const char empty_schema[] =
    "CREATE TABLE items (id VARCHAR(30) NOT NULL PRIMARY KEY, project_id VARCHAR(64),"
    " vpc_id VARCHAR(12), os_id VARCHAR(36) UNIQUE, data TEXT);"
    "CREATE TABLE tags (project_id VARCHAR(64) NOT NULL, item_id VARCHAR(30) NOT NULL,"
    " \"key\" VARCHAR(127) NOT NULL, value VARCHAR(255), PRIMARY KEY (project_id, item_id,"
    " \"key\"));";

static const char q_items_read[] = "SELECT count(*) FROM src.items";
static const char q_items_same[] = "SELECT count(*) FROM src.items s JOIN main.items m"
                                   " ON m.id = s.id WHERE " ITEM_SAME;
/* Rows whose id is free and whose os_id is not another id's: what the copy writes. */
static const char new_items_where[] =
    " WHERE NOT EXISTS (SELECT 1 FROM main.items m WHERE m.id = s.id)"
    " AND (s.os_id IS NULL OR NOT EXISTS (SELECT 1 FROM main.items m WHERE m.os_id = s.os_id))";
static const char q_item_conflicts[] =
    "SELECT s.id, CASE"
    " WHEN s.os_id IS NOT m.os_id THEN 'os_id ' || quote(s.os_id) || ' in the source, '"
    "  || quote(m.os_id) || ' in the database'"
    " WHEN s.project_id IS NOT m.project_id THEN 'project_id ' || quote(s.project_id)"
    "  || ' in the source, ' || quote(m.project_id) || ' in the database'"
    " WHEN s.vpc_id IS NOT m.vpc_id THEN 'vpc_id ' || quote(s.vpc_id) || ' in the source, '"
    "  || quote(m.vpc_id) || ' in the database'"
    " ELSE 'data differs: ' || quote(substr(s.data, 1, 80)) || ' in the source, '"
    "  || quote(substr(m.data, 1, 80)) || ' in the database' END"
    " FROM src.items s JOIN main.items m ON m.id = s.id WHERE NOT (" ITEM_SAME ")"
    " UNION ALL"
    " SELECT s.id, 'os_id ' || quote(s.os_id) || ' is already mapped to ' || m.id"
    " FROM src.items s JOIN main.items m ON m.os_id = s.os_id AND m.id <> s.id"
    " ORDER BY 1";
static const char q_tags_read[] = "SELECT count(*) FROM src.tags";
static const char q_tags_same[] =
    "SELECT count(*) FROM src.tags s JOIN main.tags m ON " TAG_KEY " WHERE s.value IS m.value";
static const char q_tag_conflicts[] =
    "SELECT s.project_id || '/' || s.item_id || '/' || s.\"key\", 'value ' || quote(s.value)"
    " || ' in the source, ' || quote(m.value) || ' in the database'"
    " FROM src.tags s JOIN main.tags m ON " TAG_KEY " WHERE s.value IS NOT m.value ORDER BY 1";
static const char new_tags_where[] =
    " WHERE NOT EXISTS (SELECT 1 FROM main.tags m WHERE " TAG_KEY ")";

struct imp {
    sqlite3 *sql;
    ec2gw_err_t *err;
};

static int
imp_fail(struct imp *im, const char *what)
{
    return ec2gw_err_set(im->err, EC2GW_E_DB, "%s: %s", what, sqlite3_errmsg(im->sql));
}

static int
imp_exec(struct imp *im, const char *sql)
{
    return sqlite3_exec(im->sql, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : imp_fail(im, sql);
}

/* The one integer a query answers into *out. */
static int
imp_count(struct imp *im, const char *sql, long *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(im->sql, sql, -1, &st, NULL);

    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : imp_fail(im, "count");
}

/* Report each row of a conflict query; their number into *n. */
static int
imp_conflicts(struct imp *im, const char *sql, const char *what, long *n,
              ec2gw_import_conflict_fn fn, void *arg)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(im->sql, sql, -1, &st, NULL);

    *n = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        (*n)++;
        if (fn != NULL)
            fn(arg, what, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : imp_fail(im, "conflicts");
}

/* ATTACH the source read-only: a file: URI with the characters URIs reserve escaped. */
static int
imp_attach(struct imp *im, const char *source)
{
    char uri[4200], *p = uri;
    sqlite3_stmt *st = NULL;
    int rc;

    p += snprintf(uri, sizeof(uri), "file:");
    for (const char *s = source; *s != '\0' && p < uri + sizeof(uri) - 16; s++) {
        if (*s == '?' || *s == '#' || *s == '%')
            p += sprintf(p, "%%%02X", (unsigned char)*s);
        else
            *p++ = *s;
    }
    strcpy(p, "?mode=ro");
    rc = sqlite3_prepare_v2(im->sql, "ATTACH DATABASE ?1 AS src", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ec2gw_err_set(im->err, EC2GW_E_DB, "cannot open %s: %s", source,
                             sqlite3_errmsg(im->sql));
    /* ec2-api's columns, as its 001_juno migration made them. */
    if (sqlite3_exec(im->sql,
                     "SELECT id, project_id, vpc_id, os_id, data FROM src.items LIMIT 0;"
                     "SELECT project_id, item_id, \"key\", value FROM src.tags LIMIT 0",
                     NULL, NULL, NULL) != SQLITE_OK)
        return ec2gw_err_set(im->err, EC2GW_E_INVAL,
                             "%s is not an ec2-api database (no items and tags tables with "
                             "ec2-api's columns: %s)",
                             source, sqlite3_errmsg(im->sql));
    return 0;
}

/* The connection on the target: created and migrated by the data layer unless a dry run. */
static int
imp_open(struct imp *im, const char *target, int dry_run)
{
    struct stat st;
    ec2gw_db_t *db = NULL;
    int exists = stat(target, &st) == 0;
    int flags = SQLITE_OPEN_URI | (dry_run ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);

    if (!dry_run) {
        if (ec2gw_db_open(target, &db, im->err) != 0)
            return EC2GW_E_DB;
        ec2gw_db_close(db);
    }
    if (dry_run && !exists) {
        if (sqlite3_open_v2(":memory:", &im->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) !=
            SQLITE_OK)
            return imp_fail(im, "open");
        return imp_exec(im, empty_schema);
    }
    if (sqlite3_open_v2(target, &im->sql, flags, NULL) != SQLITE_OK)
        return ec2gw_err_set(im->err, EC2GW_E_DB, "open %s: %s", target,
                             im->sql ? sqlite3_errmsg(im->sql) : "out of memory");
    sqlite3_busy_timeout(im->sql, 5000);
    return 0;
}

static int
imp_compare(struct imp *im, ec2gw_import_report_t *rep, ec2gw_import_conflict_fn fn, void *arg)
{
    char q[1024];
    int rc;

    if ((rc = imp_count(im, q_items_read, &rep->items.read)) != 0 ||
        (rc = imp_count(im, q_items_same, &rep->items.identical)) != 0 ||
        (rc = imp_conflicts(im, q_item_conflicts, "item", &rep->items.conflicts, fn, arg)) != 0)
        return rc;
    snprintf(q, sizeof(q), "SELECT count(*) FROM src.items s%s", new_items_where);
    if ((rc = imp_count(im, q, &rep->items.imported)) != 0)
        return rc;
    if ((rc = imp_count(im, q_tags_read, &rep->tags.read)) != 0 ||
        (rc = imp_count(im, q_tags_same, &rep->tags.identical)) != 0 ||
        (rc = imp_conflicts(im, q_tag_conflicts, "tag", &rep->tags.conflicts, fn, arg)) != 0)
        return rc;
    snprintf(q, sizeof(q), "SELECT count(*) FROM src.tags s%s", new_tags_where);
    return imp_count(im, q, &rep->tags.imported);
}

/* The copy; each statement must write exactly the rows counted. */
static int
imp_copy(struct imp *im, const ec2gw_import_report_t *rep)
{
    char q[1024];
    int rc;

    snprintf(q, sizeof(q),
             "INSERT INTO main.items (id, project_id, vpc_id, os_id, data)"
             " SELECT s.id, s.project_id, s.vpc_id, s.os_id, s.data FROM src.items s%s",
             new_items_where);
    if ((rc = imp_exec(im, q)) != 0)
        return rc;
    if (sqlite3_changes(im->sql) != rep->items.imported)
        return ec2gw_err_set(im->err, EC2GW_E_DB, "items: %d rows written, %ld expected",
                             sqlite3_changes(im->sql), rep->items.imported);
    snprintf(q, sizeof(q),
             "INSERT INTO main.tags (project_id, item_id, \"key\", value)"
             " SELECT s.project_id, s.item_id, s.\"key\", s.value FROM src.tags s%s",
             new_tags_where);
    if ((rc = imp_exec(im, q)) != 0)
        return rc;
    if (sqlite3_changes(im->sql) != rep->tags.imported)
        return ec2gw_err_set(im->err, EC2GW_E_DB, "tags: %d rows written, %ld expected",
                             sqlite3_changes(im->sql), rep->tags.imported);
    return 0;
}

static int
imp_check_source(const char *source, ec2gw_err_t *err)
{
    if (strstr(source, "://") != NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s: only an ec2-api SQLite file or a mysql://USER@HOST[:PORT]/DB "
                             "database can be imported",
                             source);
    if (access(source, R_OK) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOTFOUND, "%s: cannot read it", source);
    return 0;
}

/*
 * A MySQL source (mysql://USER@HOST[:PORT]/DB, password in EC2GW_SOURCE_DB_PASSWORD) is first
 * copied into a private SQLite file with ec2-api's schema, which is then imported as a file
 * source is. *tmp: that file's path, removed by the caller ("" for a file source).
 */
static int
imp_fetch_mysql(const char *source, char *tmp, size_t size, ec2gw_err_t *err)
{
    const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    long items, tags;
    int fd, rc;

    snprintf(tmp, size, "%s/ec2gw-import-XXXXXX", dir);
    if ((fd = mkstemp(tmp)) < 0) {
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "%s: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        return rc;
    }
    close(fd);
    return ec2gw_db_copy_ec2api(source, getenv("EC2GW_SOURCE_DB_PASSWORD"), tmp, &items, &tags,
                                err);
}

int
ec2gw_manage_import(const char *target, const char *source, int dry_run, ec2gw_import_report_t *rep,
                    ec2gw_import_conflict_fn conflict, void *arg, ec2gw_err_t *err)
{
    struct imp im = { NULL, err };
    struct timespec t0, t1;
    char tmp[4096] = "";
    int rc, in_tx = 0;

    memset(rep, 0, sizeof(*rep));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ec2gw_db_is_url(target)) {
        rc = ec2gw_err_set(err, EC2GW_E_INVAL,
                           "%s: importing into a MySQL database is not supported: there, "
                           "ec2gw uses ec2-api's own tables in place (point paths.database at "
                           "ec2-api's database)",
                           target);
        goto out;
    }
    if (ec2gw_db_is_url(source)) {
        if ((rc = imp_fetch_mysql(source, tmp, sizeof(tmp), err)) != 0)
            goto out;
        source = tmp;
    }
    if ((rc = imp_check_source(source, err)) != 0)
        goto out;
    if ((rc = imp_open(&im, target, dry_run)) != 0 || (rc = imp_attach(&im, source)) != 0)
        goto out;
    /* IMMEDIATE: no daemon writes between the comparison and the copy. */
    if ((rc = imp_exec(&im, dry_run ? "BEGIN" : "BEGIN IMMEDIATE")) != 0)
        goto out;
    in_tx = 1;
    if ((rc = imp_compare(&im, rep, conflict, arg)) != 0)
        goto out;
    if (rep->items.conflicts + rep->tags.conflicts > 0) {
        rc = ec2gw_err_set(err, EC2GW_E_EXISTS,
                           "%ld item and %ld tag rows conflict with the database: nothing "
                           "imported",
                           rep->items.conflicts, rep->tags.conflicts);
        goto out;
    }
    if (dry_run)
        goto out;
    if ((rc = imp_copy(&im, rep)) != 0 || (rc = imp_exec(&im, "COMMIT")) != 0)
        goto out;
    in_tx = 0;
out:
    if (in_tx)
        (void)sqlite3_exec(im.sql, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(im.sql);
    if (tmp[0] != '\0')
        unlink(tmp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
