/*
 * test_ctok_owner.c - ClientToken claims after kill -9 (issue 11): claims carry their owner and
 * a lease; a claim whose owner is gone (a process of this machine that exited) or whose lease
 * ended is orphaned, waits until what the owner sent can no longer land, then is taken over
 * once; a live claim (this process, or another machine within its lease) never is.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/claim_owner.h"
#include "data/client_token.h"
#include "data/db_priv.h"

static int
setup(void **state)
{
    ec2gw_db_t *db = NULL;

    assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
    *state = db;
    return 0;
}

static int
teardown(void **state)
{
    ec2gw_db_close(*state);
    return 0;
}

static int
begin(ec2gw_db_t *db, const char *token, long long settle_s, long long *wait_s)
{
    ec2gw_ctok_opts_t t = { 120, settle_s, 1, -1 };
    ec2gw_fault_t fault = { 0 };
    json_t *result = NULL;
    int st = ec2gw_client_token_begin(db, "p1", "RunInstances", token, "h", &t, &result, &fault);

    json_decref(result);
    if (wait_s != NULL)
        *wait_s = t.wait_s;
    return st;
}

/* Rewrite a claim's owner, lease and created as another process would have left it. */
static void
set_row(ec2gw_db_t *db, const char *token, const char *owner, long long lease, long long created)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db),
                                        "UPDATE ec2gw_client_tokens SET owner = ?1, lease = ?2,"
                                        " created = ?3 WHERE token = ?4",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    if (lease < 0)
        sqlite3_bind_null(st, 2);
    else
        sqlite3_bind_int64(st, 2, lease);
    sqlite3_bind_int64(st, 3, created);
    sqlite3_bind_text(st, 4, token, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* The owner and lease of a claim (owner "" when NULL). */
static long long
row_lease(ec2gw_db_t *db, const char *token, char *owner, size_t size)
{
    sqlite3_stmt *st = NULL;
    long long lease;

    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db),
                                        "SELECT owner, lease FROM ec2gw_client_tokens"
                                        " WHERE token = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(owner, size, "%s",
             sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    lease = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    return lease;
}

/* The identity of a process that existed and is gone now (forked, exited, reaped). */
static void
dead_owner(char *out, size_t size)
{
    int pipefd[2], status;
    char go;
    pid_t pid;

    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[1]);
        (void)read(pipefd[0], &go, 1); /* wait until the parent has read our identity */
        _exit(0);
    }
    close(pipefd[0]);
    assert_int_equal(ec2gw_claim_owner_of(pid, out, size), 0);
    assert_int_equal(ec2gw_claim_owner_state(out), EC2GW_OWNER_ALIVE);
    kill(pid, SIGKILL);
    close(pipefd[1]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void
test_owner_identity(void **state)
{
    char dead[EC2GW_OWNER_MAX], other[EC2GW_OWNER_MAX], reused[EC2GW_OWNER_MAX];
    char host[256], boot[64], ns[64];
    const char *self = ec2gw_claim_owner_self();
    unsigned long long start;
    long pid;

    (void)state;
    assert_int_equal(sscanf(self, "%255s %63s %63s %ld %llu", host, boot, ns, &pid, &start), 5);
    assert_int_equal(pid, (long)getpid());
    assert_int_equal(ec2gw_claim_owner_state(self), EC2GW_OWNER_ALIVE);
    dead_owner(dead, sizeof(dead));
    assert_int_equal(ec2gw_claim_owner_state(dead), EC2GW_OWNER_GONE);
    /* a live pid with another start time: the pid was reused, the owner is gone */
    snprintf(reused, sizeof(reused), "%s %s %s %ld %llu", host, boot, ns, pid, start + 1);
    assert_int_equal(ec2gw_claim_owner_state(reused), EC2GW_OWNER_GONE);
    /* another machine, boot or pid namespace: only its lease can tell */
    snprintf(other, sizeof(other), "%s %s pid:[1] %ld %llu", host, boot, pid, start);
    assert_int_equal(ec2gw_claim_owner_state(other), EC2GW_OWNER_ELSEWHERE);
    snprintf(other, sizeof(other), "otherhost %s %s %ld %llu", boot, ns, pid, start);
    assert_int_equal(ec2gw_claim_owner_state(other), EC2GW_OWNER_ELSEWHERE);
    assert_int_equal(ec2gw_claim_owner_state(NULL), EC2GW_OWNER_ELSEWHERE);
    assert_int_equal(ec2gw_claim_owner_state("garbage"), EC2GW_OWNER_ELSEWHERE);
}

/* A claim is written with this process as owner and a lease of lease_s; while it runs, a
 * retry waits, whatever the settle time. */
static void
test_live_claim_is_never_taken(void **state)
{
    ec2gw_db_t *db = *state;
    char owner[EC2GW_OWNER_MAX];
    long long lease, now = (long long)time(NULL);

    assert_int_equal(begin(db, "live", 0, NULL), EC2GW_CTOK_NEW);
    lease = row_lease(db, "live", owner, sizeof(owner));
    assert_string_equal(owner, ec2gw_claim_owner_self());
    assert_true(lease >= now + 120 && lease <= now + 121);
    assert_int_equal(begin(db, "live", 0, NULL), EC2GW_CTOK_PENDING);
    assert_int_equal(begin(db, "live", 0, NULL), EC2GW_CTOK_PENDING);
}

/* kill -9 of the owner: the first retry records the death and waits settle_s; once that has
 * passed one retry takes the claim over; the next one finds it held again. */
static void
test_dead_owner_settles_then_recovers(void **state)
{
    ec2gw_db_t *db = *state;
    char dead[EC2GW_OWNER_MAX], owner[EC2GW_OWNER_MAX];
    long long now = (long long)time(NULL), wait = -1, lease;

    assert_int_equal(begin(db, "killed", 30, NULL), EC2GW_CTOK_NEW);
    dead_owner(dead, sizeof(dead));
    set_row(db, "killed", dead, now + 100, now - 5);
    assert_int_equal(begin(db, "killed", 30, &wait), EC2GW_CTOK_ORPHANED);
    assert_int_equal(wait, 30);
    lease = row_lease(db, "killed", owner, sizeof(owner));
    assert_string_equal(owner, ""); /* nobody's: its end is when the death was seen */
    assert_true(lease >= now && lease <= now + 1);
    assert_int_equal(begin(db, "killed", 30, &wait), EC2GW_CTOK_ORPHANED);
    assert_true(wait >= 29 && wait <= 30);
    /* as if the settle time had passed */
    set_row(db, "killed", NULL, now - 31, now - 40);
    assert_int_equal(begin(db, "killed", 30, NULL), EC2GW_CTOK_RECOVER);
    lease = row_lease(db, "killed", owner, sizeof(owner));
    assert_string_equal(owner, ec2gw_claim_owner_self());
    assert_true(lease >= now + 120);
    assert_int_equal(begin(db, "killed", 30, NULL), EC2GW_CTOK_PENDING);
    /* the recovered request answers: retries get the answer */
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "RunInstances", "killed", NULL), 0);
    assert_int_equal(begin(db, "killed", 30, NULL), EC2GW_CTOK_DONE);
}

/* Another machine's claim: held while its lease runs, orphaned after it, recovered after the
 * settle time. */
static void
test_other_host_lease(void **state)
{
    ec2gw_db_t *db = *state;
    const char *other = "otherhost 00000000-0000-0000-0000-000000000000 pid:[1] 4242 77";
    long long now = (long long)time(NULL), wait = -1;

    assert_int_equal(begin(db, "remote", 10, NULL), EC2GW_CTOK_NEW);
    set_row(db, "remote", other, now + 60, now - 60);
    assert_int_equal(begin(db, "remote", 10, NULL), EC2GW_CTOK_PENDING);
    set_row(db, "remote", other, now - 4, now - 124);
    assert_int_equal(begin(db, "remote", 10, &wait), EC2GW_CTOK_ORPHANED);
    assert_true(wait >= 5 && wait <= 6);
    set_row(db, "remote", other, now - 11, now - 131);
    assert_int_equal(begin(db, "remote", 10, NULL), EC2GW_CTOK_RECOVER);
    assert_int_equal(begin(db, "remote", 10, NULL), EC2GW_CTOK_PENDING);
}

/* Rows of schema 2 have neither owner nor lease: leased from `created`. */
static void
test_old_rows(void **state)
{
    ec2gw_db_t *db = *state;
    long long now = (long long)time(NULL);

    assert_int_equal(ec2gw_db_schema_version(db), 3);
    assert_int_equal(begin(db, "old", 0, NULL), EC2GW_CTOK_NEW);
    set_row(db, "old", NULL, -1, now - 10);
    assert_int_equal(begin(db, "old", 0, NULL), EC2GW_CTOK_PENDING);
    set_row(db, "old", NULL, -1, now - 200);
    assert_int_equal(begin(db, "old", 0, NULL), EC2GW_CTOK_RECOVER);
}

/* An answered token keeps its answer whoever claimed it. */
static void
test_done_is_kept(void **state)
{
    ec2gw_db_t *db = *state;
    char dead[EC2GW_OWNER_MAX];
    json_t *m = json_pack("{s:s}", "ReservationId", "r-0123456789abcdef0");

    assert_int_equal(begin(db, "done", 0, NULL), EC2GW_CTOK_NEW);
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "RunInstances", "done", m), 0);
    dead_owner(dead, sizeof(dead));
    set_row(db, "done", dead, 0, 0);
    assert_int_equal(begin(db, "done", 0, NULL), EC2GW_CTOK_DONE);
    json_decref(m);
}

/* An action that cannot find what an earlier attempt made is never run again: its orphaned
 * claim answers EC2GW_CTOK_LOST and stays as it is. */
static void
test_not_rerun(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_ctok_opts_t t = { 120, 0, 0, -1 };
    char dead[EC2GW_OWNER_MAX], owner[EC2GW_OWNER_MAX];
    ec2gw_fault_t fault = { 0 };
    json_t *result = NULL;
    long long now = (long long)time(NULL);

    assert_int_equal(
        ec2gw_client_token_begin(db, "p1", "CreateVolume", "vol", "h", &t, &result, &fault),
        EC2GW_CTOK_NEW);
    assert_int_equal(
        ec2gw_client_token_begin(db, "p1", "CreateVolume", "vol", "h", &t, &result, &fault),
        EC2GW_CTOK_PENDING);
    dead_owner(dead, sizeof(dead));
    set_row(db, "vol", dead, now + 100, now - 5);
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            ec2gw_client_token_begin(db, "p1", "CreateVolume", "vol", "h", &t, &result, &fault),
            EC2GW_CTOK_LOST);
    assert_int_equal(row_lease(db, "vol", owner, sizeof(owner)), now + 100);
    assert_string_equal(owner, dead);
    /* NULL options: the defaults never rerun */
    assert_int_equal(
        ec2gw_client_token_begin(db, "p1", "CreateVolume", "vol", "h", NULL, &result, &fault),
        EC2GW_CTOK_LOST);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_identity),
        cmocka_unit_test_setup_teardown(test_live_claim_is_never_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_owner_settles_then_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_host_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_rerun, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
