/* test_db.c - schema exactness, opening ec2-api databases, migrations, transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/db.h"
#include "data/db_priv.h"
#include "data/idmap.h"
#include "data/tags.h"

/* What SQLAlchemy emitted for ec2-api's 001_juno.py on SQLite (as stored in sqlite_master). */
static const char items_sql[] = "CREATE TABLE items (\n"
                                "\tid VARCHAR(30) NOT NULL, \n"
                                "\tproject_id VARCHAR(64), \n"
                                "\tvpc_id VARCHAR(12), \n"
                                "\tos_id VARCHAR(36), \n"
                                "\tdata TEXT, \n"
                                "\tPRIMARY KEY (id), \n"
                                "\tCONSTRAINT items_os_id_idx UNIQUE (os_id)\n"
                                ")";
static const char tags_sql[] = "CREATE TABLE tags (\n"
                               "\tproject_id VARCHAR(64) NOT NULL, \n"
                               "\titem_id VARCHAR(30) NOT NULL, \n"
                               "\t\"key\" VARCHAR(127) NOT NULL, \n"
                               "\tvalue VARCHAR(255), \n"
                               "\tPRIMARY KEY (project_id, item_id, \"key\")\n"
                               ")";

static char *
tmp_path(void)
{
    char *p = strdup("/tmp/ec2gw-test-db-XXXXXX");
    int fd = mkstemp(p);

    assert_true(fd >= 0);
    close(fd);
    unlink(p);
    return p;
}

static void
rm_db(char *p)
{
    char buf[300];

    unlink(p);
    snprintf(buf, sizeof(buf), "%s-wal", p);
    unlink(buf);
    snprintf(buf, sizeof(buf), "%s-shm", p);
    unlink(buf);
    free(p);
}

/* The single text column of the first row of @p q, returns new (free()) or NULL. */
static char *
query_text(sqlite3 *db, const char *q)
{
    sqlite3_stmt *st;
    char *out = NULL;

    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void
assert_query(sqlite3 *db, const char *q, const char *expect)
{
    char *got = query_text(db, q);

    assert_non_null(got);
    assert_string_equal(got, expect);
    free(got);
}

static void
test_schema_exact(void **state)
{
    char *path = tmp_path();
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };
    sqlite3 *s;

    (void)state;
    assert_int_equal(ec2gw_db_open(path, &db, &err), 0);
    s = ec2gw_db_sqlite(db);
    assert_query(s, "SELECT sql FROM sqlite_master WHERE name = 'items'", items_sql);
    assert_query(s, "SELECT sql FROM sqlite_master WHERE name = 'tags'", tags_sql);
    /* the unique index on os_id exists and is the only index of items besides the pk */
    assert_query(
        s, "SELECT group_concat(name || ':' || \"unique\", ',') FROM pragma_index_list('items')",
        "sqlite_autoindex_items_2:1,sqlite_autoindex_items_1:1");
    assert_query(s, "SELECT group_concat(name) FROM pragma_index_info('sqlite_autoindex_items_2')",
                 "os_id");
    assert_query(s, "SELECT group_concat(name) FROM pragma_table_info('ec2gw_client_tokens')",
                 "project_id,action,token,params_hash,result,created,owner,lease");
    assert_query(s,
                 "SELECT group_concat(name) FROM pragma_table_info('ec2gw_client_tokens')"
                 " WHERE pk > 0",
                 "project_id,action,token");
    assert_query(s,
                 "SELECT \"notnull\" FROM pragma_table_info('ec2gw_client_tokens')"
                 " WHERE name = 'result'",
                 "0");
    assert_query(s, "PRAGMA journal_mode", "wal");
    assert_query(s, "PRAGMA synchronous", "1");
    assert_query(s, "PRAGMA busy_timeout", "2000");
    assert_int_equal(ec2gw_db_schema_version(db), 3);
    assert_query(s, "SELECT version FROM ec2gw_schema_version", "3");
    ec2gw_db_close(db);

    /* reopening changes nothing */
    assert_int_equal(ec2gw_db_open(path, &db, &err), 0);
    assert_int_equal(ec2gw_db_schema_version(db), 3);
    assert_query(ec2gw_db_sqlite(db), "SELECT count(*) FROM ec2gw_schema_version", "1");
    ec2gw_db_close(db);
    rm_db(path);
}

/* An ec2-api database: its DDL (older SQLAlchemy: no NOT NULL), migrate_version and rows. */
static const char ec2api_db[] =
    "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT,"
    " version INTEGER, PRIMARY KEY (repository_id));"
    "INSERT INTO migrate_version VALUES ('ec2api', '/x/migrate_repo', 1);"
    "CREATE TABLE items (\n\tid VARCHAR(30), \n\tproject_id VARCHAR(64), \n"
    "\tvpc_id VARCHAR(12), \n\tos_id VARCHAR(36), \n\tdata TEXT, \n\tPRIMARY KEY (id), \n"
    "\tCONSTRAINT items_os_id_idx UNIQUE (os_id)\n);"
    "CREATE TABLE tags (\n\tproject_id VARCHAR(64), \n\titem_id VARCHAR(30), \n"
    "\t\"key\" VARCHAR(127), \n\tvalue VARCHAR(255), \n"
    "\tPRIMARY KEY (project_id, item_id, \"key\")\n);"
    "INSERT INTO items VALUES ('i-0000002a', 'p1', NULL, 'uuid-i1',"
    " '{\"reservation_id\": \"r-abcd1234\", \"launch_index\": 0}');"
    "INSERT INTO items VALUES ('vpc-1a2b3c4d', 'p1', NULL, 'uuid-r1',"
    " '{\"cidr_block\": \"10.0.0.0/16\", \"is_default\": false}');"
    "INSERT INTO items VALUES ('ami-deadbeef', NULL, NULL, 'uuid-img', NULL);"
    "INSERT INTO items VALUES ('subnet-00aa11bb', 'p1', 'vpc-1a2b3c4d', 'uuid-s1', '{}');"
    "INSERT INTO tags VALUES ('p1', 'i-0000002a', 'Name', 'web');"
    "INSERT INTO tags VALUES ('p1', 'vpc-1a2b3c4d', 'env', NULL);";

static void
test_open_ec2api_db(void **state)
{
    char *path = tmp_path(), *before_items, *before_dump, *os_id = NULL;
    const char *dump = "SELECT group_concat(id || '|' || ifnull(project_id, '-') || '|' ||"
                       " ifnull(vpc_id, '-') || '|' || ifnull(os_id, '-') || '|' ||"
                       " ifnull(data, '-'), ';') FROM (SELECT * FROM items ORDER BY id)";
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };
    json_t *data = NULL, *list = NULL;
    sqlite3 *raw;

    (void)state;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, ec2api_db, NULL, NULL, NULL), SQLITE_OK);
    before_items = query_text(raw, "SELECT sql FROM sqlite_master WHERE name = 'items'");
    before_dump = query_text(raw, dump);
    sqlite3_close(raw);

    assert_int_equal(ec2gw_db_open(path, &db, &err), 0);
    assert_query(ec2gw_db_sqlite(db), "SELECT sql FROM sqlite_master WHERE name = 'items'",
                 before_items);
    assert_query(ec2gw_db_sqlite(db), dump, before_dump);
    assert_query(ec2gw_db_sqlite(db), "SELECT version FROM migrate_version", "1");
    assert_int_equal(ec2gw_db_schema_version(db), 3);

    /* the rows are usable through the API */
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", "i-0000002a", &os_id, &err), 0);
    assert_string_equal(os_id, "uuid-i1");
    free(os_id);
    assert_int_equal(ec2gw_idmap_to_os(db, "p2", "ami-deadbeef", &os_id, &err), 0);
    assert_string_equal(os_id, "uuid-img");
    free(os_id);
    assert_int_equal(ec2gw_item_get(db, "p1", "subnet-00aa11bb", &data, NULL, &err), 0);
    assert_string_equal(json_string_value(json_object_get(data, "vpc_id")), "vpc-1a2b3c4d");
    json_decref(data);
    assert_int_equal(ec2gw_item_get(db, "p1", "i-0000002a", &data, NULL, &err), 0);
    assert_string_equal(json_string_value(json_object_get(data, "reservation_id")), "r-abcd1234");
    json_decref(data);
    assert_int_equal(ec2gw_tags_list(db, "p1", &list, &err), 0);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "Value")), "");
    json_decref(list);
    ec2gw_db_close(db);
    free(before_items);
    free(before_dump);
    rm_db(path);
}

static void
test_open_refuses_foreign_shape(void **state)
{
    char *path = tmp_path();
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };
    sqlite3 *raw;

    (void)state;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(raw, "CREATE TABLE items (id TEXT PRIMARY KEY, x TEXT)", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(ec2gw_db_open(path, &db, &err), EC2GW_E_DB);
    assert_null(db);
    assert_non_null(strstr(err.msg, "ec2-api"));
    rm_db(path);

    /* a schema from a newer ec2gw */
    path = tmp_path();
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "CREATE TABLE ec2gw_schema_version (version INTEGER);"
                                  "INSERT INTO ec2gw_schema_version VALUES (99)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(ec2gw_db_open(path, &db, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "newer"));
    rm_db(path);
}

static void
test_nested_transactions(void **state)
{
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };
    json_t *tags = json_pack("[{s:s, s:s}]", "Key", "k", "Value", "v"), *got = NULL;
    const char *ids[] = { "i-00000001", "i-00000002" };

    (void)state;
    assert_int_equal(ec2gw_db_open(":memory:", &db, &err), 0);
    assert_int_equal(ec2gw_db_begin(db, &err), 0);
    assert_int_equal(ec2gw_tags_set(db, "p", ids[0], tags, &err), 0);
    assert_int_equal(ec2gw_db_begin(db, &err), 0);
    assert_int_equal(ec2gw_tags_set(db, "p", ids[1], tags, &err), 0);
    ec2gw_db_rollback(db); /* inner only */
    assert_int_equal(ec2gw_db_commit(db, &err), 0);
    assert_int_equal(ec2gw_tags_get(db, "p", ids, 2, &got, &err), 0);
    assert_non_null(json_object_get(got, ids[0]));
    assert_null(json_object_get(got, ids[1]));
    json_decref(got);

    assert_int_equal(ec2gw_db_begin(db, &err), 0);
    assert_int_equal(ec2gw_tags_set(db, "p", ids[1], tags, &err), 0);
    ec2gw_db_rollback(db);
    assert_int_equal(ec2gw_tags_count(db, "p", ids[1], &err), 0);
    json_decref(tags);
    ec2gw_db_close(db);
    ec2gw_db_close(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_exact),
        cmocka_unit_test(test_open_ec2api_db),
        cmocka_unit_test(test_open_refuses_foreign_shape),
        cmocka_unit_test(test_nested_transactions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
