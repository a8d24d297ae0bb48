/*
 * test_manage_import.c - db import-ec2api on small SQLite files: new rows are copied with
 * their keys, identical rows are counted and left, conflicting rows (same id with another
 * os_id, project or data; an os_id mapped to another id; a tag with another value) refuse the
 * whole import, a dry run writes nothing (not even the database file), and a second import
 * finds everything identical.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <sqlite3.h>

#include "data/db.h"
#include "manage/manage.h"

/* ec2-api's tables as its 001_juno migration made them on SQLite. */
static const char ec2api_ddl[] =
    "CREATE TABLE items (id VARCHAR(30) NOT NULL, project_id VARCHAR(64), vpc_id VARCHAR(12),"
    " os_id VARCHAR(36), data TEXT, PRIMARY KEY (id), CONSTRAINT items_os_id_idx UNIQUE (os_id));"
    "CREATE TABLE tags (project_id VARCHAR(64) NOT NULL, item_id VARCHAR(30) NOT NULL,"
    " \"key\" VARCHAR(127) NOT NULL, value VARCHAR(255), PRIMARY KEY (project_id, item_id,"
    " \"key\"));";

static const char source_rows[] =
    "INSERT INTO items VALUES ('i-00000001', 'p1', 'vpc-0000000a', 'os-1',"
    " '{\"reservation_id\": \"r-abcdefgh\", \"launch_index\": 0}');"
    "INSERT INTO items VALUES ('vpc-0000000a', 'p1', NULL, 'os-2', '{\"cidr_block\": "
    "\"10.0.0.0/16\"}');"
    "INSERT INTO items VALUES ('rtb-00000003', 'p1', 'vpc-0000000a', NULL, '{\"routes\": []}');"
    "INSERT INTO items VALUES ('ami-00000004', NULL, NULL, 'os-4', '{}');"
    "INSERT INTO tags VALUES ('p1', 'i-00000001', 'Name', 'web');"
    "INSERT INTO tags VALUES ('p1', 'i-00000001', 'env', 'prod');"
    "INSERT INTO tags VALUES ('p1', 'vpc-0000000a', 'Name', 'main');";

struct fx {
    char dir[64], src[96], dst[96];
};

static void
sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static long
sql_count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/ec2gw-manage-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->src, sizeof(f->src), "%s/ec2api.sqlite", f->dir);
    snprintf(f->dst, sizeof(f->dst), "%s/ec2gw.sqlite", f->dir);
    sql_exec(f->src, ec2api_ddl);
    sql_exec(f->src, source_rows);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char path[128];
    static const char *const suffixes[] = { "", "-wal", "-shm" };

    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", f->dst, suffixes[i]);
        unlink(path);
    }
    unlink(f->src);
    rmdir(f->dir);
    free(f);
    return 0;
}

struct seen {
    int n;
    char text[8][256];
};

static void
on_conflict(void *arg, const char *what, const char *key, const char *why)
{
    struct seen *s = arg;

    if (s->n < 8)
        snprintf(s->text[s->n], sizeof(s->text[0]), "%s %s: %s", what, key, why);
    s->n++;
}

static void
test_import_then_again(void **state)
{
    struct fx *f = *state;
    ec2gw_import_report_t rep;
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_manage_import(f->dst, f->src, 0, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.items.read, 4);
    assert_int_equal(rep.items.imported, 4);
    assert_int_equal(rep.items.identical, 0);
    assert_int_equal(rep.tags.read, 3);
    assert_int_equal(rep.tags.imported, 3);
    /* the rows as they were, ids, os_ids, projects, VPCs and data unchanged */
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM items WHERE id = 'i-00000001'"
                                       " AND project_id = 'p1' AND vpc_id = 'vpc-0000000a'"
                                       " AND os_id = 'os-1' AND data LIKE '%r-abcdefgh%'"),
                     1);
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM items WHERE id = 'ami-00000004'"
                                       " AND project_id IS NULL"),
                     1);
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM tags WHERE item_id = 'i-00000001'"
                                       " AND \"key\" = 'env' AND value = 'prod'"),
                     1);
    /* the target has ec2gw's schema: the data layer made it */
    assert_true(sql_count(f->dst, "SELECT max(version) FROM ec2gw_schema_version") > 0);
    /* again: everything identical, nothing new */
    assert_int_equal(ec2gw_manage_import(f->dst, f->src, 0, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.items.imported, 0);
    assert_int_equal(rep.items.identical, 4);
    assert_int_equal(rep.tags.imported, 0);
    assert_int_equal(rep.tags.identical, 3);
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM items"), 4);
}

/* Identical JSON written with other spacing is the same data. */
static void
test_identical_json_spacing(void **state)
{
    struct fx *f = *state;
    ec2gw_import_report_t rep;
    ec2gw_err_t err = { 0 };
    ec2gw_db_t *db = NULL;

    assert_int_equal(ec2gw_db_open(f->dst, &db, &err), 0);
    ec2gw_db_close(db);
    sql_exec(f->dst, "INSERT INTO items VALUES ('vpc-0000000a', 'p1', NULL, 'os-2',"
                     " '{\"cidr_block\":\"10.0.0.0/16\"}');"
                     "INSERT INTO tags VALUES ('p1', 'i-00000001', 'Name', 'web');");
    assert_int_equal(ec2gw_manage_import(f->dst, f->src, 0, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.items.identical, 1);
    assert_int_equal(rep.items.imported, 3);
    assert_int_equal(rep.tags.identical, 1);
    assert_int_equal(rep.tags.imported, 2);
}

static void
expect_conflict(struct fx *f, const char *existing, const char *needle)
{
    ec2gw_import_report_t rep;
    ec2gw_err_t err = { 0 };
    ec2gw_db_t *db = NULL;
    struct seen seen = { 0 };
    long items_before, tags_before;

    assert_int_equal(ec2gw_db_open(f->dst, &db, &err), 0);
    ec2gw_db_close(db);
    sql_exec(f->dst, existing);
    items_before = sql_count(f->dst, "SELECT count(*) FROM items");
    tags_before = sql_count(f->dst, "SELECT count(*) FROM tags");
    assert_int_equal(ec2gw_manage_import(f->dst, f->src, 0, &rep, on_conflict, &seen, &err),
                     EC2GW_E_EXISTS);
    assert_int_equal(seen.n, 1);
    assert_int_equal(rep.items.conflicts + rep.tags.conflicts, 1);
    if (strstr(seen.text[0], needle) == NULL)
        fail_msg("conflict '%s' does not say '%s'", seen.text[0], needle);
    assert_non_null(strstr(err.msg, "nothing imported"));
    /* nothing at all was written: not even the rows that did not conflict */
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM items"), items_before);
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM tags"), tags_before);
}

static void
test_conflict_os_id(void **state)
{
    expect_conflict(*state,
                    "INSERT INTO items VALUES ('i-00000001', 'p1', 'vpc-0000000a', 'os-other',"
                    " '{\"reservation_id\": \"r-abcdefgh\", \"launch_index\": 0}')",
                    "item i-00000001: os_id 'os-1' in the source, 'os-other' in the database");
}

static void
test_conflict_project(void **state)
{
    expect_conflict(*state,
                    "INSERT INTO items VALUES ('rtb-00000003', 'p2', 'vpc-0000000a', NULL,"
                    " '{\"routes\": []}')",
                    "item rtb-00000003: project_id 'p1' in the source, 'p2'");
}

static void
test_conflict_data(void **state)
{
    expect_conflict(*state,
                    "INSERT INTO items VALUES ('rtb-00000003', 'p1', 'vpc-0000000a', NULL,"
                    " '{\"routes\": [1]}')",
                    "item rtb-00000003: data differs");
}

static void
test_conflict_os_id_mapped_elsewhere(void **state)
{
    expect_conflict(*state, "INSERT INTO items VALUES ('vol-0000000f', 'p1', NULL, 'os-4', '{}')",
                    "item ami-00000004: os_id 'os-4' is already mapped to vol-0000000f");
}

static void
test_conflict_tag(void **state)
{
    expect_conflict(*state, "INSERT INTO tags VALUES ('p1', 'i-00000001', 'env', 'dev')",
                    "tag p1/i-00000001/env: value 'prod' in the source, 'dev' in the database");
}

static void
test_dry_run_writes_nothing(void **state)
{
    struct fx *f = *state;
    ec2gw_import_report_t rep;
    ec2gw_err_t err = { 0 };

    /* no database yet: counted against an empty one, and still no file afterwards */
    assert_int_equal(ec2gw_manage_import(f->dst, f->src, 1, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.items.imported, 4);
    assert_int_equal(rep.tags.imported, 3);
    assert_int_equal(access(f->dst, F_OK), -1);
    /* an existing database is compared with and left as it was */
    sql_exec(f->dst, ec2api_ddl);
    sql_exec(f->dst, "INSERT INTO tags VALUES ('p1', 'i-00000001', 'Name', 'web')");
    assert_int_equal(ec2gw_manage_import(f->dst, f->src, 1, &rep, NULL, NULL, &err), 0);
    assert_int_equal(rep.tags.identical, 1);
    assert_int_equal(rep.tags.imported, 2);
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM items"), 0);
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM tags"), 1);
    /* not upgraded either */
    assert_int_equal(sql_count(f->dst, "SELECT count(*) FROM sqlite_master"
                                       " WHERE name = 'ec2gw_schema_version'"),
                     0);
}

static void
test_bad_sources(void **state)
{
    struct fx *f = *state;
    ec2gw_import_report_t rep;
    ec2gw_err_t err = { 0 };

    assert_int_equal(
        ec2gw_manage_import(f->dst, "mysql+pymysql://ec2api@db/ec2api", 0, &rep, NULL, NULL, &err),
        EC2GW_E_INVAL);
    assert_non_null(strstr(err.msg, "a mysql://USER@HOST[:PORT]/DB database"));
    assert_int_equal(
        ec2gw_manage_import(f->dst, "/nonexistent/ec2api.sqlite", 0, &rep, NULL, NULL, &err),
        EC2GW_E_NOTFOUND);
    /* an SQLite file without ec2-api's tables: an ec2gw database made empty */
    assert_int_equal(ec2gw_manage_import(f->src, f->dst, 1, &rep, NULL, NULL, &err),
                     EC2GW_E_NOTFOUND);
    sql_exec(f->dst, "CREATE TABLE other (x)");
    assert_int_equal(ec2gw_manage_import(f->src, f->dst, 1, &rep, NULL, NULL, &err), EC2GW_E_INVAL);
    assert_non_null(strstr(err.msg, "is not an ec2-api database"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_then_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_json_spacing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_os_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_project, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_os_id_mapped_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_sources, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
