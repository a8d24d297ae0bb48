/*
 * test_db_mysql.c - the data layer on a real MariaDB server (issue 17): ids, items, tags,
 * DescribeTags filters (answers compared with SQLite's), ClientToken claims from several
 * processes at once, nested transactions, reconnecting after a lost connection, and the
 * schema created by several processes at once. Not a ctest unit test: it needs a server,
 * which tests/integration/test_db_mysql.py starts and names in EC2GW_TEST_MYSQL_URL (an empty
 * database), EC2GW_TEST_MYSQL_URL2 (another, for the concurrent upgrade) and
 * EC2GW_TEST_MYSQL_PASSWORD. Without them it fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/client_token.h"
#include "data/db_priv.h"
#include "data/idmap.h"
#include "data/tags.h"

static const char *url, *url2, *password;

static int
setup(void **state)
{
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };

    if (ec2gw_db_open_as(url, password, &db, &err) != 0)
        fail_msg("open %s: %s", url, err.msg);
    assert_int_equal(db->drv->exec(db,
                                   "DELETE FROM items;\n DELETE FROM tags;\n"
                                   " DELETE FROM ec2gw_client_tokens;\n",
                                   &err),
                     0);
    *state = db;
    return 0;
}

static int
teardown(void **state)
{
    ec2gw_db_close(*state);
    return 0;
}

/* The first column of the first row of @p q (new, free()), or NULL. */
static char *
query1(ec2gw_db_t *db, const char *q)
{
    db_stmt_t *st = ec2gw_db_prepare(db, q, NULL);
    char *out = NULL;

    assert_non_null(st);
    if (ec2gw_db_step(st) == DB_ROW && ec2gw_db_col_text(st, 0) != NULL)
        out = strdup(ec2gw_db_col_text(st, 0));
    ec2gw_db_stmt_free(st);
    return out;
}

static void
assert_query(ec2gw_db_t *db, const char *q, const char *expect)
{
    char *got = query1(db, q);

    if (expect == NULL)
        assert_null(got);
    else
        assert_string_equal(got != NULL ? got : "(null)", expect);
    free(got);
}

static void
test_schema(void **state)
{
    ec2gw_db_t *db = *state, *again = NULL;

    assert_string_equal(ec2gw_db_backend(db), "mysql");
    assert_int_equal(ec2gw_db_schema_version(db), 3);
    assert_int_equal(ec2gw_db_open_as(url, password, &again, NULL), 0);
    assert_int_equal(ec2gw_db_schema_version(again), 3);
    ec2gw_db_close(again);
    assert_query(db, "SELECT count(*) FROM ec2gw_schema_version", "1");
    assert_query(db,
                 "SELECT group_concat(DISTINCT engine) FROM information_schema.tables"
                 " WHERE table_schema = DATABASE()",
                 "InnoDB");
    assert_query(db,
                 "SELECT column_type FROM information_schema.columns WHERE table_schema ="
                 " DATABASE() AND table_name = 'items' AND column_name = 'os_id'",
                 "varchar(36)");
}

static void
test_idmap(void **state)
{
    ec2gw_db_t *db = *state;
    char a[EC2GW_ID_MAX], b[EC2GW_ID_MAX], c[EC2GW_ID_MAX];
    char out[300][EC2GW_ID_MAX];
    const char *os[300];
    char names[300][16];
    char *os_id = NULL;
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "nova-1", a, &err), 0);
    assert_true(ec2gw_id_parse(a, NULL));
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "nova-1", b, &err), 0);
    assert_string_equal(a, b);
    /* os_id is unique globally: another project gets the same id */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p2", "i", "nova-1", c, &err), 0);
    assert_string_equal(a, c);
    /* mapped under another kind */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "vol", "nova-1", c, &err), EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", a, &os_id, &err), 0);
    assert_string_equal(os_id, "nova-1");
    free(os_id);
    assert_int_equal(ec2gw_idmap_to_os(db, "p2", a, &os_id, &err), EC2GW_E_NOTFOUND);
    /* a batch: 300 os_ids, a third known, some repeated */
    for (int i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), "os-%d", i % 250);
        os[i] = names[i];
        if (i < 100)
            assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "vol", os[i], out[i], &err), 0);
    }
    memcpy(b, out[7], EC2GW_ID_MAX);
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "vol", os, 300, out, &err), 0);
    assert_string_equal(out[7], b);
    for (int i = 0; i < 300; i++) {
        assert_true(ec2gw_id_parse(out[i], NULL));
        if (i >= 250)
            assert_string_equal(out[i], out[i - 250]);
    }
    assert_query(db, "SELECT count(*) FROM items WHERE id LIKE 'vol-%'", "250");
}

static int rng_fixed;

static void
rng(unsigned char *buf, size_t n)
{
    static unsigned x = 1;

    for (size_t i = 0; i < n; i++)
        buf[i] = rng_fixed ? 0xab : (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
}

/* A primary-key collision (DB_DUP_PRIMARY) is retried; 16 in a row fail. */
static void
test_id_collision(void **state)
{
    ec2gw_db_t *db = *state;
    char a[EC2GW_ID_MAX], b[EC2GW_ID_MAX];
    ec2gw_err_t err = { 0 };

    ec2gw_id_set_rng(rng);
    rng_fixed = 1;
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "nova-a", a, &err), 0);
    assert_string_equal(a, "i-abababab");
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "nova-b", b, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "no free i id"));
    rng_fixed = 0;
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "nova-b", b, &err), 0);
    assert_string_not_equal(a, b);
    ec2gw_id_set_rng(NULL);
}

static void
test_items(void **state)
{
    ec2gw_db_t *db = *state;
    json_t *d =
        json_pack("{s:s, s:s, s:i}", "vpc_id", "vpc-0000abcd", "cidr", "10.0.0.0/24", "n", 1);
    json_t *got = NULL, *list = NULL, *tags;
    char *os = NULL, id[EC2GW_ID_MAX], mapped[EC2GW_ID_MAX];
    const char *ids[] = { "subnet-0000abcd", "subnet-0000ffff", "" };
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000abcd", "neutron-s", d, &err), 0);
    /* the same again: a change that changes nothing is still accepted */
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000abcd", "neutron-s", d, &err), 0);
    assert_int_equal(ec2gw_item_get(db, "p1", "subnet-0000abcd", &got, &os, &err), 0);
    assert_string_equal(os, "neutron-s");
    assert_string_equal(json_string_value(json_object_get(got, "vpc_id")), "vpc-0000abcd");
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 1);
    free(os);
    json_decref(got);
    assert_query(db, "SELECT concat(vpc_id, ' ', data) FROM items WHERE id = 'subnet-0000abcd'",
                 "vpc-0000abcd {\"cidr\":\"10.0.0.0/24\",\"n\":1}");
    /* never another project's row, never another os_id, never an os_id of another id */
    assert_int_equal(ec2gw_item_put(db, "p2", "subnet-0000abcd", "neutron-s", d, &err),
                     EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000abcd", "neutron-x", d, &err),
                     EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000ffff", "neutron-s", d, &err),
                     EC2GW_E_EXISTS);
    assert_query(db, "SELECT concat(project_id, ' ', os_id) FROM items", "p1 neutron-s");
    /* a mapping-only row (project NULL, as ec2-api's os_id_to_ec2_id) is adopted */
    assert_int_equal(ec2gw_idmap_to_ec2(db, NULL, "ami", "glance-1", mapped, &err), 0);
    assert_int_equal(ec2gw_item_put(db, "p2", mapped, NULL, NULL, &err), 0);
    assert_query(db, "SELECT concat(project_id, ' ', os_id) FROM items WHERE id LIKE 'ami-%'",
                 "p2 glance-1");
    /* many, list, insert-only, unused ids */
    assert_int_equal(ec2gw_items_get(db, "p1", ids, 3, &got, &err), 0);
    assert_int_equal(json_object_size(got), 1);
    assert_non_null(json_object_get(got, "subnet-0000abcd"));
    json_decref(got);
    assert_int_equal(ec2gw_items_list(db, "p1", "subnet", &list, &err), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(list, "subnet-0000abcd"), "os_id")),
        "neutron-s");
    json_decref(list);
    assert_int_equal(ec2gw_item_insert(db, "p1", "subnet-0000abcd", NULL, d, &err), EC2GW_E_EXISTS);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(ec2gw_item_insert(db, "p1", "subnet-00001111", "neutron-s", d, &err),
                     EC2GW_E_EXISTS);
    assert_non_null(strstr(err.msg, "already mapped"));
    assert_int_equal(ec2gw_id_new_unused(db, "rtb", id, &err), 0);
    assert_int_equal(ec2gw_item_insert(db, "p1", id, NULL, NULL, &err), 0);
    /* delete takes the project's tags too */
    tags = json_pack("[{s:s, s:s}]", "Key", "k", "Value", "v");
    assert_int_equal(ec2gw_tags_set(db, "p1", "subnet-0000abcd", tags, &err), 0);
    json_decref(tags);
    assert_int_equal(ec2gw_item_delete(db, "p1", "subnet-0000abcd", &err), 0);
    assert_int_equal(ec2gw_item_get(db, "p1", "subnet-0000abcd", NULL, NULL, &err),
                     EC2GW_E_NOTFOUND);
    assert_int_equal(ec2gw_tags_count(db, "p1", "subnet-0000abcd", &err), 0);
    json_decref(d);
}

/* The same tags in SQLite and MySQL: every query must answer the same. */
static void
test_tags_same_as_sqlite(void **state)
{
    ec2gw_db_t *my = *state, *lite = NULL;
    json_t *del;
    static const char *const keys[] = { "Name", "name", "env", "a%b", "a_b", "x\\y", "ünï", "k*" };
    static const char *const values[] = { "web", "db", "",      "50%", "a_c",
                                          "A?c", "ß",  "value", "x*y", "web-1" };
    static const char *const filters[] = {
        "[]",
        "[{\"Name\":\"key\",\"Values\":[\"Name\"]}]",
        "[{\"Name\":\"key\",\"Values\":[\"a%b\",\"a_b\",\"env\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"we*\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"50\\\\%\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"*%\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"a?c\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"x\\\\*y\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"\"]}]",
        "[{\"Name\":\"value\",\"Values\":[\"?\"]}]",
        "[{\"Name\":\"key\",\"Values\":[\"a_*\"]}]",
        "[{\"Name\":\"tag:env\",\"Values\":[\"*\"]}]",
        "[{\"Name\":\"resource-type\",\"Values\":[\"instance\",\"volume\"]}]",
        "[{\"Name\":\"resource-id\",\"Values\":[\"i-00000002\",\"vol-0000000000000000a\"]}]",
        "[{\"Name\":\"resource-type\",\"Values\":[\"image\"]},"
        "{\"Name\":\"key\",\"Values\":[\"*e\"]}]",
    };
    static const char *const items[] = { "i-00000001", "i-00000002", "vol-0000000000000000a",
                                         "ami-0000000f", "i-0000000g" };
    ec2gw_err_t err = { 0 };
    int n = 0;

    assert_int_equal(ec2gw_db_open(":memory:", &lite, NULL), 0);
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        json_t *tags = json_array();

        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if ((i + k) % 3 != 0)
                json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", keys[k], "Value",
                                                      values[(i * 3 + k) % 10]));
        assert_int_equal(ec2gw_tags_set(my, "p1", items[i], tags, &err), 0);
        assert_int_equal(ec2gw_tags_set(lite, "p1", items[i], tags, &err), 0);
        json_decref(tags);
    }
    del = json_pack("[{s:s}]", "Key", "other");
    assert_int_equal(ec2gw_tags_set(my, "p2", "i-00000001", del, &err), 0);
    json_decref(del);
    for (size_t f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
        for (long long limit = -1; limit <= 3; limit += 4) {
            json_t *fl = json_loads(filters[f], 0, NULL), *a = NULL, *b = NULL;
            ec2gw_tags_query_t q = { .filters = fl, .limit = limit };
            char *ta, *tb;

            assert_non_null(fl);
            assert_int_equal(ec2gw_tags_find(my, "p1", &q, &a, &err), 0);
            assert_int_equal(ec2gw_tags_find(lite, "p1", &q, &b, &err), 0);
            ta = json_dumps(a, JSON_COMPACT);
            tb = json_dumps(b, JSON_COMPACT);
            if (strcmp(ta, tb) != 0)
                fail_msg("filter %s limit %lld:\nmysql  %s\nsqlite %s", filters[f], limit, ta, tb);
            n += (int)json_array_size(a);
            free(ta);
            free(tb);
            json_decref(a);
            json_decref(b);
            json_decref(fl);
        }
    }
    assert_true(n > 20);
    /* reads of given ids (few: one probe each; many: one IN list) */
    {
        const char *ids[12] = { "i-00000001", "i-00000002", "vol-0000000000000000a" };
        json_t *a = NULL, *b = NULL;
        char *ta, *tb;

        for (int i = 3; i < 12; i++)
            ids[i] = "ami-0000000f";
        for (size_t cnt = 3; cnt <= 12; cnt += 9) {
            assert_int_equal(ec2gw_tags_get(my, "p1", ids, cnt, &a, &err), 0);
            assert_int_equal(ec2gw_tags_get(lite, "p1", ids, cnt, &b, &err), 0);
            ta = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
            tb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
            assert_string_equal(ta, tb);
            free(ta);
            free(tb);
            json_decref(a);
            json_decref(b);
        }
    }
    /* deletes by key, key and value, value */
    del = json_pack("[{s:s}, {s:s, s:s}, {s:s}]", "Key", "name", "Key", "env", "Value", "nope",
                    "Value", "50%");
    assert_int_equal(ec2gw_tags_delete(my, "p1", "i-00000001", del, &err), 0);
    assert_int_equal(ec2gw_tags_delete(lite, "p1", "i-00000001", del, &err), 0);
    json_decref(del);
    assert_int_equal(ec2gw_tags_count(my, "p1", "i-00000001", &err),
                     ec2gw_tags_count(lite, "p1", "i-00000001", &err));
    ec2gw_db_close(lite);
}

static int
ctok(ec2gw_db_t *db, const char *token, const char *hash, json_t **result, ec2gw_fault_t *fault)
{
    memset(fault, 0, sizeof(*fault));
    return ec2gw_client_token_begin(db, "p1", "RunInstances", token, hash, NULL, result, fault);
}

static void
test_client_token(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_fault_t fault;
    json_t *result = NULL, *model = json_pack("{s:s}", "ReservationId", "r-abcd1234");

    assert_int_equal(ctok(db, "tok-1", "h1", &result, &fault), EC2GW_CTOK_NEW);
    assert_int_equal(ctok(db, "tok-1", "h1", &result, &fault), EC2GW_CTOK_PENDING);
    assert_int_equal(ctok(db, "tok-1", "h2", &result, &fault), -1);
    assert_string_equal(fault.code, "IdempotentParameterMismatch");
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "RunInstances", "tok-1", model), 0);
    /* completing again with the same answer still finds the row */
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "RunInstances", "tok-1", model), 0);
    assert_int_equal(ctok(db, "tok-1", "h1", &result, &fault), EC2GW_CTOK_DONE);
    assert_true(json_equal(result, model));
    json_decref(result);
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "RunInstances", "tok-x", model),
                     EC2GW_E_NOTFOUND);
    /* an aborted claim can be claimed again; an answered one is kept */
    assert_int_equal(ctok(db, "tok-2", "h1", &result, &fault), EC2GW_CTOK_NEW);
    assert_int_equal(ec2gw_client_token_abort(db, "p1", "RunInstances", "tok-2"), 0);
    assert_int_equal(ctok(db, "tok-2", "h1", &result, &fault), EC2GW_CTOK_NEW);
    assert_int_equal(ec2gw_client_token_abort(db, "p1", "RunInstances", "tok-1"), 0);
    assert_int_equal(ctok(db, "tok-1", "h1", &result, &fault), EC2GW_CTOK_DONE);
    json_decref(result);
    assert_int_equal(ec2gw_client_token_expire(db, -10), 0);
    assert_query(db, "SELECT count(*) FROM ec2gw_client_tokens", "0");
    json_decref(model);
}

#define RACERS 4
#define TOKENS 200

/* RACERS processes, each on its own connection, claim the same TOKENS tokens at once: every
 * token is won exactly once. */
static void
test_client_token_race(void **state)
{
    int fds[RACERS][2], ready[2], go[2];
    pid_t pids[RACERS];
    int total = 0, winners[RACERS] = { 0 };
    char c;

    (void)state;
    /* all connect first, then start together when go's write end closes */
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    for (int r = 0; r < RACERS; r++) {
        assert_int_equal(pipe(fds[r]), 0);
        if ((pids[r] = fork()) == 0) {
            ec2gw_db_t *db = NULL;
            int won = 0;

            close(go[1]);
            if (ec2gw_db_open_as(url, password, &db, NULL) != 0)
                _exit(2);
            if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 0)
                _exit(5);
            for (int t = 0; t < TOKENS; t++) {
                char tok[32];
                ec2gw_fault_t fault;
                json_t *res = NULL;
                int rc;

                snprintf(tok, sizeof(tok), "race-%d", t);
                rc = ctok(db, tok, "h", &res, &fault);
                if (rc == EC2GW_CTOK_NEW)
                    won++;
                else if (rc != EC2GW_CTOK_PENDING && rc != EC2GW_CTOK_LOST)
                    _exit(3); /* LOST: a racer that already exited holds it (claim_owner.c) */
            }
            ec2gw_db_close(db);
            if (write(fds[r][1], &won, sizeof(won)) != sizeof(won))
                _exit(4);
            _exit(0);
        }
        close(fds[r][1]);
    }
    close(go[0]);
    for (int r = 0; r < RACERS; r++)
        assert_int_equal(read(ready[0], &c, 1), 1);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
    for (int r = 0; r < RACERS; r++) {
        int status = 0;

        assert_int_equal(read(fds[r][0], &winners[r], sizeof(int)), sizeof(int));
        close(fds[r][0]);
        assert_int_equal(waitpid(pids[r], &status, 0), pids[r]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        total += winners[r];
    }
    print_message("claims won per process: %d %d %d %d (of %d tokens)\n", winners[0], winners[1],
                  winners[2], winners[3], TOKENS);
    assert_int_equal(total, TOKENS);
}

static void
test_transactions(void **state)
{
    ec2gw_db_t *db = *state;
    char a[EC2GW_ID_MAX], b[EC2GW_ID_MAX], c[EC2GW_ID_MAX];

    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "tx-a", a, NULL), 0);
    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "tx-b", b, NULL), 0);
    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "tx-c", c, NULL), 0);
    assert_int_equal(ec2gw_db_commit(db, NULL), 0); /* c kept inside b's savepoint */
    ec2gw_db_rollback(db);                          /* b and c undone */
    assert_int_equal(ec2gw_db_commit(db, NULL), 0);
    assert_int_equal(db->depth, 0);
    assert_query(db, "SELECT group_concat(os_id ORDER BY os_id) FROM items", "tx-a");
    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "tx-d", a, NULL), 0);
    ec2gw_db_rollback(db);
    assert_query(db, "SELECT group_concat(os_id ORDER BY os_id) FROM items", "tx-a");
}

/* Kill our connection from another one. */
static void
kill_conn(ec2gw_db_t *victim)
{
    ec2gw_db_t *killer = NULL;
    char *id = query1(victim, "SELECT CONNECTION_ID()"), q[64];

    assert_non_null(id);
    assert_int_equal(ec2gw_db_open_as(url, password, &killer, NULL), 0);
    snprintf(q, sizeof(q), "KILL %s", id);
    assert_int_equal(killer->drv->exec(killer, q, NULL), 0);
    ec2gw_db_close(killer);
    free(id);
}

static void
test_reconnect(void **state)
{
    ec2gw_db_t *db = *state;
    char a[EC2GW_ID_MAX];
    ec2gw_err_t err = { 0 };

    /* outside a transaction: reconnected, the statement sent again */
    kill_conn(db);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "re-a", a, &err), 0);
    /* inside one: the transaction is lost, and said so; then the next works */
    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "re-b", a, &err), 0);
    kill_conn(db);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "re-c", a, &err), EC2GW_E_DB);
    assert_int_equal(ec2gw_db_commit(db, &err), EC2GW_E_DB);
    assert_int_equal(db->depth, 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "re-d", a, &err), 0);
    assert_query(db, "SELECT group_concat(os_id ORDER BY os_id) FROM items", "re-a,re-d");
}

/* RACERS processes create and migrate a fresh database at the same moment. */
static void
test_upgrade_race(void **state)
{
    pid_t pids[RACERS];
    ec2gw_db_t *db = NULL;

    (void)state;
    for (int r = 0; r < RACERS; r++) {
        if ((pids[r] = fork()) == 0) {
            ec2gw_db_t *mine = NULL;
            ec2gw_err_t err = { 0 };

            if (ec2gw_db_open_as(url2, password, &mine, &err) != 0) {
                fprintf(stderr, "racer %d: %s\n", r, err.msg);
                _exit(2);
            }
            _exit(ec2gw_db_schema_version(mine) == 3 ? 0 : 3);
        }
    }
    for (int r = 0; r < RACERS; r++) {
        int status = 0;

        assert_int_equal(waitpid(pids[r], &status, 0), pids[r]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(ec2gw_db_open_as(url2, password, &db, NULL), 0);
    assert_query(db, "SELECT group_concat(version) FROM ec2gw_schema_version", "3");
    ec2gw_db_close(db);
}

static void
test_bad_targets(void **state)
{
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };

    (void)state;
    assert_int_equal(ec2gw_db_open_as("mysql://u:secret@127.0.0.1/x", NULL, &db, &err),
                     EC2GW_E_INVAL);
    assert_non_null(strstr(err.msg, "must not carry a password"));
    assert_int_equal(ec2gw_db_open_as("mysql://u@127.0.0.1:1/x", NULL, &db, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "cannot connect"));
    assert_int_equal(ec2gw_db_open_as(url, "wrong password", &db, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "Access denied"));
    assert_null(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_collision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_same_as_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_token_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
        cmocka_unit_test(test_upgrade_race),
        cmocka_unit_test(test_bad_targets),
    };

    url = getenv("EC2GW_TEST_MYSQL_URL");
    url2 = getenv("EC2GW_TEST_MYSQL_URL2");
    password = getenv("EC2GW_TEST_MYSQL_PASSWORD");
    if (url == NULL || url2 == NULL || password == NULL) {
        fprintf(stderr, "test_db_mysql: set EC2GW_TEST_MYSQL_URL, EC2GW_TEST_MYSQL_URL2 and "
                        "EC2GW_TEST_MYSQL_PASSWORD (tests/integration/test_db_mysql.py does)\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
