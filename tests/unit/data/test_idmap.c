/* test_idmap.c - id syntax and generation, collision retry, OpenStack <-> EC2 mapping, items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/db.h"
#include "data/db_priv.h"
#include "data/idmap.h"
#include "data/tags.h"

static double
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

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
    ec2gw_id_set_rng(NULL);
    return 0;
}

static void
test_id_parse(void **state)
{
    char kind[16];
    static const char *const good[] = { "i-12345678",          "ami-deadbeef",
                                        "eni-attach-0123abcd", "vol-0123456789abcdef0",
                                        "eipalloc-00000000",   "key-0a1b2c3d",
                                        "rtbassoc-ffffffff",   "lt-01234567" };
    static const char *const bad[] = { "",
                                       "i-",
                                       "i-1234567",
                                       "i-123456789",
                                       "i-1234567g",
                                       "i-ABCDEF01",
                                       "x-12345678",
                                       "-12345678",
                                       "i12345678",
                                       "r-abcd1234",
                                       "ami-deadbeef ",
                                       " i-12345678",
                                       "I-12345678",
                                       "vol-0123456789abcdef",
                                       "i--12345678" };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(ec2gw_id_parse(good[i], NULL));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ec2gw_id_parse(bad[i], NULL))
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_false(ec2gw_id_parse(NULL, NULL));
    assert_true(ec2gw_id_parse("eni-attach-0123abcd", kind));
    assert_string_equal(kind, "eni-attach");
    assert_true(ec2gw_id_parse("vpc-1a2b3c4d", kind));
    assert_string_equal(kind, "vpc");
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_id_new_format(void **state)
{
    enum { N = 100000 };
    char(*ids)[EC2GW_ID_MAX] = malloc(N * sizeof(*ids));
    char **p = malloc(N * sizeof(*p));
    size_t dups = 0;
    char kind[16];

    (void)state;
    for (size_t i = 0; i < N; i++) {
        ec2gw_id_new("subnet", ids[i]);
        assert_int_equal(strlen(ids[i]), 7 + 8);
        assert_true(ec2gw_id_parse(ids[i], kind));
        assert_string_equal(kind, "subnet");
        p[i] = ids[i];
    }
    qsort(p, N, sizeof(*p), cmp_str);
    for (size_t i = 1; i < N; i++)
        dups += strcmp(p[i - 1], p[i]) == 0;
    /* 32 random bits: about 1.2 expected duplicates in 100k draws (hence the retry below);
     * many more would mean a broken generator. */
    assert_true(dups <= 8);
    free(p);
    free(ids);
}

/* 100k mapped ids are all distinct: the primary key plus the retry guarantee it. */
static void
test_idmap_unique_100k(void **state)
{
    enum { N = 100000 };
    ec2gw_db_t *db = *state;
    char(*ids)[EC2GW_ID_MAX] = malloc(N * sizeof(*ids));
    char **p = malloc(N * sizeof(*p)), os[40];
    double t0;

    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    t0 = now_us();
    for (size_t i = 0; i < N; i++) {
        snprintf(os, sizeof(os), "00000000-0000-0000-0000-%012zx", i);
        assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "vol", os, ids[i], NULL), 0);
        p[i] = ids[i];
    }
    print_message("idmap_to_ec2 (new row): %.2f us/call over %d\n", (now_us() - t0) / N, N);
    assert_int_equal(ec2gw_db_commit(db, NULL), 0);
    qsort(p, N, sizeof(*p), cmp_str);
    for (size_t i = 1; i < N; i++)
        assert_string_not_equal(p[i - 1], p[i]);
    free(p);
    free(ids);
}

/* A scripted RNG: yields the 4-byte values of `script` in turn (the last one forever). */
static const uint32_t *script;
static size_t script_len, script_pos;

static void
scripted_rng(unsigned char *buf, size_t n)
{
    uint32_t v = script[script_pos < script_len ? script_pos : script_len - 1];

    script_pos++;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(v >> (8 * (3 - (i % 4))));
}

static void
test_idmap_collision_retry(void **state)
{
    static const uint32_t seq[] = { 0x11111111, 0x11111111, 0x11111111, 0x22222222 };
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    char id[EC2GW_ID_MAX];

    script = seq;
    script_len = 4;
    script_pos = 0;
    ec2gw_id_set_rng(scripted_rng);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "os-a", id, &err), 0);
    assert_string_equal(id, "i-11111111");
    /* two collisions, then a free id */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "os-b", id, &err), 0);
    assert_string_equal(id, "i-22222222");
    assert_int_equal(script_pos, 4);
    /* the id space of the script is exhausted: bounded retries, then an error */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "os-c", id, &err), EC2GW_E_DB);
    assert_non_null(strstr(err.msg, "attempts"));
    /* a collision with another kind's prefix is no collision */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "vol", "os-d", id, &err), 0);
    assert_string_equal(id, "vol-22222222");
    ec2gw_id_set_rng(NULL);
}

static void
test_idmap_both_ways(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    char id[EC2GW_ID_MAX], id2[EC2GW_ID_MAX], pub[EC2GW_ID_MAX];
    char *os = NULL;

    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "uuid-1", id, &err), 0);
    assert_int_equal(strncmp(id, "i-", 2), 0);
    /* stable, and global: another project gets the same id for the same object */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "uuid-1", id2, &err), 0);
    assert_string_equal(id, id2);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p2", "i", "uuid-1", id2, &err), 0);
    assert_string_equal(id, id2);
    /* owned by p1: p2 does not see its os_id */
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", id, &os, &err), 0);
    assert_string_equal(os, "uuid-1");
    free(os);
    assert_int_equal(ec2gw_idmap_to_os(db, "p2", id, &os, &err), EC2GW_E_NOTFOUND);
    assert_null(os);
    /* mapping-only rows (project NULL) are visible to every project */
    assert_int_equal(ec2gw_idmap_to_ec2(db, NULL, "ami", "img-public", pub, &err), 0);
    assert_int_equal(ec2gw_idmap_to_os(db, "p2", pub, &os, &err), 0);
    assert_string_equal(os, "img-public");
    free(os);
    assert_int_equal(ec2gw_item_get(db, "p2", pub, NULL, NULL, &err), EC2GW_E_NOTFOUND);
    /* the same OpenStack object cannot get an id of another kind */
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "aki", "img-public", id2, &err), EC2GW_E_EXISTS);
    /* errors */
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", "i-zz", &os, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", "i-99999999", &os, &err), EC2GW_E_NOTFOUND);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "bogus", "x", id2, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", "", id2, &err), EC2GW_E_INVAL);
}

static void
test_items(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    json_t *data = json_pack("{s:s, s:s, s:s, s:b}", "id", "x", "vpc_id", "vpc-0000abcd",
                             "cidr_block", "10.0.0.0/24", "is_default", 0);
    json_t *got = NULL, *tags = json_pack("[{s:s, s:s}]", "Key", "a", "Value", "b");
    char *os = NULL, *raw;
    char pub[EC2GW_ID_MAX];
    sqlite3_stmt *st;

    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000abcd", "neutron-s", data, &err), 0);
    assert_int_equal(ec2gw_item_get(db, "p1", "subnet-0000abcd", &got, &os, &err), 0);
    assert_string_equal(os, "neutron-s");
    assert_string_equal(json_string_value(json_object_get(got, "vpc_id")), "vpc-0000abcd");
    assert_string_equal(json_string_value(json_object_get(got, "cidr_block")), "10.0.0.0/24");
    assert_null(json_object_get(got, "id"));
    free(os);
    json_decref(got);
    /* vpc_id is a column and id/os_id never enter the data JSON (ec2-api's packing) */
    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db),
                                        "SELECT vpc_id || ' ' || data FROM items WHERE id ="
                                        " 'subnet-0000abcd'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    raw = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_string_equal(raw, "vpc-0000abcd {\"cidr_block\":\"10.0.0.0/24\",\"is_default\":false}");
    free(raw);

    /* another project cannot take or read the row; os_id may not change; NULL keeps it */
    assert_int_equal(ec2gw_item_put(db, "p2", "subnet-0000abcd", NULL, NULL, &err), EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_item_get(db, "p2", "subnet-0000abcd", &got, NULL, &err),
                     EC2GW_E_NOTFOUND);
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000abcd", "other", NULL, &err),
                     EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000abcd", NULL, NULL, &err), 0);
    assert_int_equal(ec2gw_item_get(db, "p1", "subnet-0000abcd", &got, &os, &err), 0);
    assert_string_equal(os, "neutron-s");
    assert_int_equal(json_object_size(got), 0);
    free(os);
    json_decref(got);
    /* os_id unique across ids */
    assert_int_equal(ec2gw_item_put(db, "p1", "subnet-0000ffff", "neutron-s", NULL, &err),
                     EC2GW_E_EXISTS);
    /* a mapping-only row is adopted by the project that puts it */
    assert_int_equal(ec2gw_idmap_to_ec2(db, NULL, "ami", "img", pub, &err), 0);
    assert_int_equal(ec2gw_item_put(db, "p2", pub, "img", NULL, &err), 0);
    assert_int_equal(ec2gw_item_get(db, "p2", pub, NULL, NULL, &err), 0);
    /* image ids stay resolvable by every project (Glance decides visibility) ... */
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", pub, &os, &err), 0);
    assert_string_equal(os, "img");
    free(os);
    /* ... other kinds are private to the project that adopted them */
    assert_int_equal(ec2gw_idmap_to_ec2(db, NULL, "vol", "cinder-v", pub, &err), 0);
    assert_int_equal(ec2gw_item_put(db, "p2", pub, "cinder-v", NULL, &err), 0);
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", pub, &os, &err), EC2GW_E_NOTFOUND);
    /* DB-only kinds: os_id NULL */
    assert_int_equal(ec2gw_item_put(db, "p1", "rtb-00000001", NULL, NULL, &err), 0);
    assert_int_equal(ec2gw_idmap_to_os(db, "p1", "rtb-00000001", &os, &err), 0);
    assert_null(os);
    /* delete takes the tags along */
    assert_int_equal(ec2gw_tags_set(db, "p1", "rtb-00000001", tags, &err), 0);
    assert_int_equal(ec2gw_item_delete(db, "p1", "rtb-00000001", &err), 0);
    assert_int_equal(ec2gw_tags_count(db, "p1", "rtb-00000001", &err), 0);
    assert_int_equal(ec2gw_item_get(db, "p1", "rtb-00000001", NULL, NULL, &err), EC2GW_E_NOTFOUND);
    assert_int_equal(ec2gw_item_delete(db, "p1", "rtb-00000001", &err), 0);
    assert_int_equal(ec2gw_item_put(db, "p1", "bad", NULL, NULL, &err), EC2GW_E_INVAL);
    json_decref(data);
    json_decref(tags);
}

/* Per-call cost on a file database in WAL mode with 10k rows. */
static void
test_idmap_timing(void **state)
{
    enum { N = 10000 };
    char path[] = "/tmp/ec2gw-test-idmap-XXXXXX", buf[300], os[40];
    int fd = mkstemp(path);
    ec2gw_db_t *db = NULL;
    char(*ids)[EC2GW_ID_MAX] = malloc(N * sizeof(*ids)), id[EC2GW_ID_MAX];
    char *o = NULL;
    double t0, per;

    (void)state;
    close(fd);
    assert_int_equal(ec2gw_db_open(path, &db, NULL), 0);
    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    for (size_t i = 0; i < N; i++) {
        snprintf(os, sizeof(os), "os-%zu", i);
        assert_int_equal(ec2gw_idmap_to_ec2(db, i % 2 ? "p1" : "p2", "i", os, ids[i], NULL), 0);
    }
    assert_int_equal(ec2gw_db_commit(db, NULL), 0);
    t0 = now_us();
    for (size_t i = 0; i < N; i++) {
        snprintf(os, sizeof(os), "os-%zu", (i * 7919) % N);
        assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "i", os, id, NULL), 0);
    }
    per = (now_us() - t0) / N;
    print_message("idmap_to_ec2 (existing): %.2f us/call\n", per);
    assert_true(per < 1000);
    t0 = now_us();
    for (size_t i = 1; i < N; i += 2) {
        assert_int_equal(ec2gw_idmap_to_os(db, "p1", ids[i], &o, NULL), 0);
        free(o);
    }
    per = (now_us() - t0) / (N / 2);
    print_message("idmap_to_os: %.2f us/call\n", per);
    assert_true(per < 1000);
    t0 = now_us();
    for (size_t i = 0; i < 1000; i++) {
        snprintf(os, sizeof(os), "new-%zu", i);
        assert_int_equal(ec2gw_idmap_to_ec2(db, "p1", "vol", os, id, NULL), 0);
    }
    print_message("idmap_to_ec2 (new row, autocommit, WAL file): %.2f us/call\n",
                  (now_us() - t0) / 1000);
    ec2gw_db_close(db);
    free(ids);
    unlink(path);
    snprintf(buf, sizeof(buf), "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof(buf), "%s-shm", path);
    unlink(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_parse),
        cmocka_unit_test(test_id_new_format),
        cmocka_unit_test_setup_teardown(test_idmap_unique_100k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idmap_collision_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idmap_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items, setup, teardown),
        cmocka_unit_test(test_idmap_timing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
