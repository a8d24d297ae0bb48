/*
 * test_idmap_batch.c - ec2gw_idmap_to_ec2_many and ec2gw_items_get give what n single calls
 * give (ids, rows written, id draws), with duplicates, NULL and empty entries, other projects'
 * rows, mapping-only image rows, kind conflicts, id collisions and odd characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/db.h"
#include "data/db_priv.h"
#include "data/idmap.h"

/* A seeded RNG over a small id space (4096 values), so that collisions happen and both runs of
 * a comparison draw the same ids in the same order. */
static uint32_t rng_state;

static void
small_rng(unsigned char *buf, size_t n)
{
    uint32_t v;

    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    v = rng_state % 4096;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(v >> (8 * (3 - (i % 4))));
}

static void
rng_seed(uint32_t seed)
{
    rng_state = seed;
    ec2gw_id_set_rng(small_rng);
}

static int
teardown_rng(void **state)
{
    (void)state;
    ec2gw_id_set_rng(NULL);
    return 0;
}

static ec2gw_db_t *
db_new(void)
{
    ec2gw_db_t *db = NULL;

    assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
    return db;
}

/* Rows existing before the comparison: other projects, mapping-only, another kind. */
static void
db_seed(ec2gw_db_t *db)
{
    char id[EC2GW_ID_MAX], os[40];

    rng_seed(7);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p2", "i", "os-p2", id, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, NULL, "ami", "img-shared", id, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p2", "ami", "img-p2", id, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "vol", "os-vol", id, NULL), 0);
    for (int k = 0; k < 150; k++) {
        snprintf(os, sizeof(os), "os-old-%d", k);
        assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", os, id, NULL), 0);
    }
}

/* Every row of `items`, one line each (returns new, free()). With @p mask, ids are reduced to
 * their kind: new ids then compare between runs that drew different random values. */
static char *
db_dump(ec2gw_db_t *db, int mask)
{
    sqlite3_stmt *st;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);

    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db),
                                        mask ? "SELECT substr(id, 1, instr(id, '-')) || ' ' ||"
                                               " ifnull(project_id, '-') || ' ' || os_id || ' ' ||"
                                               " data FROM items ORDER BY os_id"
                                             : "SELECT id || ' ' || ifnull(project_id, '-') || ' '"
                                               " || os_id || ' ' || data FROM items ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *row = (const char *)sqlite3_column_text(st, 0);
        size_t n = strlen(row);

        if (len + n + 2 > cap)
            out = realloc(out, cap = 2 * (cap + n));
        memcpy(out + len, row, n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
    return out;
}

static void
assert_same_rows(ec2gw_db_t *a, ec2gw_db_t *b, int mask)
{
    char *dump_a = db_dump(a, mask), *dump_b = db_dump(b, mask);
    size_t at = 0, line = 1;

    /* name the first differing row: cmocka cuts long strings short */
    while (dump_a[at] != '\0' && dump_a[at] == dump_b[at])
        line += dump_a[at++] == '\n';
    if (dump_a[at] != dump_b[at])
        fail_msg("rows differ from row %zu: \"%.80s\" vs \"%.80s\"", line, dump_a + at,
                 dump_b + at);
    free(dump_a);
    free(dump_b);
}

/*
 * n single calls on one database, one batch on another seeded alike. @p exact: both draw ids
 * in the same order, so ids and rows must be identical. That holds unless a repeated os_id is
 * mapped under another kind (each single call draws an id before it learns; the batch draws
 * once): then new ids may differ, and the rows must be the same up to their random part, each
 * batch id must be what a single call answers afterwards, and failures must coincide.
 */
static void
compare_runs(const char *kind, const char *const *os, size_t n, int exact)
{
    ec2gw_db_t *a = db_new(), *b = db_new();
    char(*single)[EC2GW_ID_MAX] = calloc(n, EC2GW_ID_MAX);
    char(*batch)[EC2GW_ID_MAX] = calloc(n, EC2GW_ID_MAX), again[EC2GW_ID_MAX];
    int *rcs = calloc(n, sizeof(*rcs));

    db_seed(a);
    db_seed(b);
    rng_seed(99);
    for (size_t i = 0; i < n; i++)
        rcs[i] = ec2gw_idmap_to_ec2(a, "p1", kind, os[i], single[i], NULL);
    rng_seed(99);
    assert_int_equal(ec2gw_idmap_to_ec2_many(b, "p1", kind, os, n, batch, NULL), 0);
    assert_same_rows(a, b, !exact);
    for (size_t i = 0; i < n; i++) {
        if (rcs[i] != 0) {
            /* where a single call fails for its entry, the batch leaves it empty */
            assert_true(rcs[i] == EC2GW_E_INVAL || rcs[i] == EC2GW_E_EXISTS);
            assert_string_equal(batch[i], "");
            assert_int_equal(ec2gw_idmap_to_ec2(b, "p1", kind, os[i], again, NULL), rcs[i]);
        } else if (exact && strcmp(single[i], batch[i]) != 0) {
            fail_msg("%zu (%s): single %s, batch %s", i, os[i], single[i], batch[i]);
        } else {
            assert_int_equal(ec2gw_idmap_to_ec2(b, "p9", kind, os[i], again, NULL), 0);
            assert_string_equal(batch[i], again);
        }
    }
    assert_same_rows(a, b, !exact); /* and the checks above created nothing */
    free(rcs);
    free(single);
    free(batch);
    ec2gw_db_close(a);
    ec2gw_db_close(b);
}

static void
test_batch_equals_single(void **state)
{
    static const char *const fixed[] = {
        "os-new-0",        NULL,        "os-old-3",    "",         "os-p2",
        "os-new-0",        "os-vol",    "img-shared",  "os-new-1", "os-old-3",
        "quote\"back\\sl", "tab\tnl\n", "\xc3\xbcnic", "os-new-1", "os-old-149",
        "os-new-2",        NULL,        "os-p2",
    };
    const size_t nf = sizeof(fixed) / sizeof(fixed[0]);
    const char **os = malloc((nf + 400) * sizeof(*os));
    char(*names)[32] = malloc(400 * sizeof(*names));
    size_t n = 0;

    (void)state;
    for (size_t i = 0; i < nf; i++)
        os[n++] = fixed[i];
    /* new ids (colliding now and then in the 4096-value space), old ones, and repeats */
    for (size_t k = 0; k < 400; k++) {
        if (k % 3 == 0)
            snprintf(names[k], sizeof(names[k]), "os-old-%zu", k % 150);
        else
            snprintf(names[k], sizeof(names[k]), "os-new-%zu", k / 2);
        os[n++] = names[k];
    }
    compare_runs("i", os, n, 1);
    /* images: rows of other projects and mapping-only rows resolve the same way; the
     * repeated os-old-* and os-p2 are instances, so these runs draw ids differently */
    compare_runs("ami", os, n, 0);
    compare_runs("vol", os, nf, 0);
    /* volumes without instance ids among them: exact again */
    n = 0;
    for (size_t k = 0; k < 400; k++)
        if (strncmp(names[k], "os-new-", 7) == 0)
            os[n++] = names[k];
    os[n++] = "os-vol";
    os[n++] = NULL;
    compare_runs("vol", os, n, 1);
    free(names);
    free(os);
}

/* 1200 ids in one call (json_each has no bound-parameter limit), half of them known. */
static void
test_batch_large(void **state)
{
    enum { N = 1200 };
    ec2gw_db_t *db = db_new();
    char(*out)[EC2GW_ID_MAX] = calloc(N, EC2GW_ID_MAX), id[EC2GW_ID_MAX];
    char(*names)[32] = malloc(N * sizeof(*names));
    const char **os = malloc(N * sizeof(*os));

    (void)state;
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "uuid-%zu", i);
        os[i] = names[i];
        if (i % 2 == 0)
            assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", os[i], id, NULL), 0);
    }
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "i", os, N, out, NULL), 0);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(ec2gw_idmap_to_ec2(db, "p9", "i", os[i], id, NULL), 0);
        assert_string_equal(out[i], id);
    }
    free(names);
    free(os);
    free(out);
    ec2gw_db_close(db);
}

static int
count_items(ec2gw_db_t *db)
{
    sqlite3_stmt *st;
    int n;

    assert_int_equal(
        sqlite3_prepare_v2(ec2gw_db_sqlite(db), "SELECT count(*) FROM items", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void
fixed_rng(unsigned char *buf, size_t n)
{
    memset(buf, 0x42, n);
}

static void
test_batch_errors(void **state)
{
    ec2gw_db_t *db = db_new();
    const char *os[] = { "a", "b", "c" };
    char out[3][EC2GW_ID_MAX];
    ec2gw_err_t err = { 0 };
    int before;

    (void)state;
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "bogus", os, 3, out, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", NULL, os, 3, out, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "i", NULL, 3, out, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "i", os, 0, NULL, &err), 0);
    /* The id space runs out at "b": nothing of the batch is kept, and it says so. */
    ec2gw_id_set_rng(fixed_rng);
    before = count_items(db);
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "i", os, 3, out, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "attempts"));
    assert_int_equal(count_items(db), before);
    for (int i = 0; i < 3; i++)
        assert_string_equal(out[i], "");
    /* and the database is usable afterwards (the transaction was closed) */
    assert_int_equal(ec2gw_idmap_to_ec2_many(db, "p1", "i", os, 1, out, &err), 0);
    assert_string_equal(out[0], "i-42424242");
    ec2gw_db_close(db);
}

static void
test_items_get_equals_item_get(void **state)
{
    ec2gw_db_t *db = db_new();
    json_t *d1 = json_pack("{s:s, s:s}", "cidr_block", "10.0.0.0/24", "vpc_id", "vpc-0000abcd");
    json_t *d2 = json_pack("{s:b}", "is_default", 1), *got = NULL;
    char inst[EC2GW_ID_MAX], img[EC2GW_ID_MAX];
    const char *ids[] = { "subnet-00000001", "subnet-00000002", inst, img,
                          "vpc-0000dead",    "i-99999999",      NULL, "subnet-00000001",
                          "bogus",           "key-00000001" };
    const size_t n = sizeof(ids) / sizeof(ids[0]);

    (void)state;
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-00000001", "os-s1", d1, NULL), 0);
    assert_int_equal(ec2gw_item_put(db, "p2", "subnet-00000002", "os-s2", d2, NULL), 0);
    assert_int_equal(ec2gw_item_put(db, "p1", "key-00000001", NULL, d2, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "os-i1", inst, NULL), 0);
    assert_int_equal(ec2gw_idmap_to_ec2(db, NULL, "ami", "img-shared", img, NULL), 0);
    /* a legacy row whose data is not JSON: item_get refuses it, so the batch leaves it out */
    assert_int_equal(sqlite3_exec(ec2gw_db_sqlite(db),
                                  "INSERT INTO items (id, project_id, os_id, data) VALUES"
                                  " ('vpc-0000dead', 'p1', 'os-v', '{u''x'': 1}')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int pass = 0; pass < 2; pass++) {
        const char *project = pass == 0 ? "p1" : "p2";
        json_t *want = json_object();

        /* what item_get answers, id by id */
        for (size_t i = 0; i < n; i++) {
            json_t *one = NULL;

            if (ids[i] != NULL && ec2gw_item_get(db, project, ids[i], &one, NULL, NULL) == 0)
                json_object_set_new(want, ids[i], one);
        }
        assert_int_equal(ec2gw_items_get(db, project, ids, n, &got, NULL), 0);
        assert_true(json_equal(want, got));
        /* p1: subnet 1 (with its vpc_id column), the instance ({}), the key; p2: subnet 2 */
        assert_int_equal(json_object_size(got), pass == 0 ? 3 : 1);
        json_decref(want);
        json_decref(got);
    }
    assert_int_equal(ec2gw_items_get(db, "p1", NULL, 0, &got, NULL), 0);
    assert_int_equal(json_object_size(got), 0);
    json_decref(got);
    json_decref(d1);
    json_decref(d2);
    ec2gw_db_close(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_batch_equals_single, teardown_rng),
        cmocka_unit_test_teardown(test_batch_large, teardown_rng),
        cmocka_unit_test_teardown(test_batch_errors, teardown_rng),
        cmocka_unit_test(test_items_get_equals_item_get),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
