/*
 * test_db_tx.c - what lost a write under the reverted per-callback transaction (1138903):
 * a statement still active at COMMIT. A writing one made COMMIT fail with SQLITE_BUSY and the
 * old commit rolled back; a reading one survived COMMIT pinning the old snapshot, so that the
 * next BEGIN IMMEDIATE failed (SQLITE_BUSY_SNAPSHOT) and lookups missed other workers' rows.
 * Two connections on one WAL file play two workers. Also: a failing COMMIT is reported and
 * rolled back explicitly, and a nested begin is a savepoint.
 */
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

struct two {
    char path[64];
    ec2gw_db_t *a, *b; /* two workers */
};

static int
setup(void **state)
{
    struct two *t = calloc(1, sizeof(*t));
    int fd;

    snprintf(t->path, sizeof(t->path), "/tmp/ec2gw-test-tx-XXXXXX");
    fd = mkstemp(t->path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ec2gw_db_open(t->path, &t->a, NULL), 0);
    assert_int_equal(ec2gw_db_open(t->path, &t->b, NULL), 0);
    *state = t;
    return 0;
}

static int
teardown(void **state)
{
    struct two *t = *state;
    char buf[96];

    ec2gw_db_close(t->a);
    ec2gw_db_close(t->b);
    unlink(t->path);
    snprintf(buf, sizeof(buf), "%s-wal", t->path);
    unlink(buf);
    snprintf(buf, sizeof(buf), "%s-shm", t->path);
    unlink(buf);
    free(t);
    return 0;
}

/* @p db resolves @p id to @p os (project p1). */
static void
assert_maps(ec2gw_db_t *db, const char *id, const char *os)
{
    char *got = NULL;

    assert_int_equal(ec2gw_idmap_to_os(db, "p1", id, &got, NULL), 0);
    assert_string_equal(got, os);
    free(got);
}

/* A write still running at COMMIT (here: INSERT ... RETURNING stepped once). */
static void
test_commit_with_active_write(void **state)
{
    struct two *t = *state;
    char id[EC2GW_ID_MAX];
    sqlite3_stmt *st;

    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-1", id, NULL), 0);
    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(t->a),
                                        "INSERT INTO tags (project_id, item_id, key, value)"
                                        " VALUES ('p1', 'i-00000001', 'k', 'v') RETURNING key",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
    sqlite3_finalize(st);
    /* the other worker sees both writes */
    assert_maps(t->b, id, "os-1");
    assert_int_equal(ec2gw_tags_count(t->b, "p1", "i-00000001", NULL), 1);
}

/* A cached read still running at COMMIT (a path that skipped ec2gw_db_stmt_done). */
static void
test_commit_with_active_read(void **state)
{
    struct two *t = *state;
    char id1[EC2GW_ID_MAX], id2[EC2GW_ID_MAX], id3[EC2GW_ID_MAX], again[EC2GW_ID_MAX];
    db_stmt_t *st;

    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-1", id1, NULL), 0);
    st = ec2gw_db_stmt(t->a, DB_ITEM_ID_BY_OS, NULL);
    ec2gw_db_bind_text(st, 1, "os-1");
    ec2gw_db_bind_text(st, 2, "i-");
    assert_int_equal(ec2gw_db_step(st), DB_ROW); /* and not reset */
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
    assert_maps(t->b, id1, "os-1");
    /* the other worker writes; the first must see it, both through another statement and
     * through the one left running */
    assert_int_equal(ec2gw_idmap_to_ec2(t->b, "p1", "i", "os-2", id2, NULL), 0);
    assert_maps(t->a, id2, "os-2");
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-2", again, NULL), 0);
    assert_string_equal(again, id2);
    /* and its next transaction starts and commits */
    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-3", id3, NULL), 0);
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
    assert_maps(t->b, id3, "os-3");
}

/* The same when the statement is left running outside a transaction, before BEGIN. */
static void
test_begin_after_active_read(void **state)
{
    struct two *t = *state;
    char id1[EC2GW_ID_MAX], id2[EC2GW_ID_MAX];
    db_stmt_t *st;

    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-1", id1, NULL), 0);
    st = ec2gw_db_stmt(t->a, DB_ITEM_OS_VISIBLE, NULL);
    ec2gw_db_bind_text(st, 1, id1);
    ec2gw_db_bind_text(st, 2, "p1");
    assert_int_equal(ec2gw_db_step(st), DB_ROW); /* pins a's snapshot */
    assert_int_equal(ec2gw_idmap_to_ec2(t->b, "p1", "i", "os-2", id2, NULL), 0);
    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_maps(t->a, id2, "os-2");
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
}

/* A cached statement handed out again while still running: binding it would fail and its step
 * continue the old query, answering "not found" (InvalidInstanceID.NotFound in 1d58371). */
static void
test_reused_active_statement(void **state)
{
    struct two *t = *state;
    char id1[EC2GW_ID_MAX], id2[EC2GW_ID_MAX];
    db_stmt_t *st;

    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-1", id1, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-2", id2, NULL), 0);
    st = ec2gw_db_stmt(t->a, DB_ITEM_OS_VISIBLE, NULL);
    ec2gw_db_bind_text(st, 1, id1);
    ec2gw_db_bind_text(st, 2, "p1");
    assert_int_equal(ec2gw_db_step(st), DB_ROW); /* and not reset */
    assert_maps(t->a, id2, "os-2");
}

/* A COMMIT that cannot succeed is reported, and the transaction is rolled back explicitly. */
static void
test_commit_failure_reported(void **state)
{
    struct two *t = *state;
    sqlite3 *sa = ec2gw_db_sqlite(t->a);
    ec2gw_err_t err = { 0 };
    char id[EC2GW_ID_MAX], id2[EC2GW_ID_MAX];
    char *os = NULL;

    /* A deferred foreign key is only checked by COMMIT, which then fails and stays open. */
    assert_int_equal(sqlite3_exec(sa,
                                  "PRAGMA foreign_keys = ON;"
                                  "CREATE TABLE t_parent (id INTEGER PRIMARY KEY);"
                                  "CREATE TABLE t_child (p INTEGER REFERENCES t_parent (id)"
                                  " DEFERRABLE INITIALLY DEFERRED);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-lost", id, NULL), 0);
    assert_int_equal(sqlite3_exec(sa, "INSERT INTO t_child VALUES (7)", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(ec2gw_db_commit(t->a, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "FOREIGN KEY"));
    assert_true(sqlite3_get_autocommit(sa)); /* not left open */
    assert_int_equal(ec2gw_idmap_to_os(t->b, "p1", id, &os, NULL), EC2GW_E_NOTFOUND);
    /* the handle is usable: begin/commit pair up again */
    assert_int_equal(sqlite3_exec(sa, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-kept", id2, NULL), 0);
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
    assert_maps(t->b, id2, "os-kept");
}

/* A begin inside a transaction is a savepoint: its commit publishes nothing yet. */
static void
test_nested_begin(void **state)
{
    struct two *t = *state;
    char id[EC2GW_ID_MAX];
    char *os = NULL;

    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_db_begin(t->a, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(t->a, "p1", "i", "os-n", id, NULL), 0);
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
    assert_false(sqlite3_get_autocommit(ec2gw_db_sqlite(t->a)));
    assert_int_equal(ec2gw_idmap_to_os(t->b, "p1", id, &os, NULL), EC2GW_E_NOTFOUND);
    assert_int_equal(ec2gw_db_commit(t->a, NULL), 0);
    assert_maps(t->b, id, "os-n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_with_active_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_with_active_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_after_active_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reused_active_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_failure_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_begin, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
