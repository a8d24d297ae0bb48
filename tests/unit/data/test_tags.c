/* test_tags.c - tag storage: resource types, checks, upsert, delete forms, project isolation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "data/db.h"
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
    return 0;
}

/* The value of @p key on @p id in the project, or NULL. Borrowed from a static copy. */
static const char *
tag_value(ec2gw_db_t *db, const char *project, const char *id, const char *key)
{
    static char buf[300];
    json_t *out = NULL, *t;
    size_t i;
    const char *res = NULL;

    assert_int_equal(ec2gw_tags_get(db, project, &id, 1, &out, NULL), 0);
    json_array_foreach(json_object_get(out, id), i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "Key")), key) == 0) {
            snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(t, "Value")));
            res = buf;
        }
    }
    json_decref(out);
    return res;
}

static void
test_resource_types(void **state)
{
    static const char *const map[][2] = {
        { "i-12345678", "instance" },
        { "ami-12345678", "image" },
        { "aki-12345678", "image" },
        { "ari-12345678", "image" },
        { "vol-12345678", "volume" },
        { "snap-12345678", "snapshot" },
        { "sg-12345678", "security-group" },
        { "vpc-12345678", "vpc" },
        { "subnet-12345678", "subnet" },
        { "eni-12345678", "network-interface" },
        { "rtb-12345678", "route-table" },
        { "igw-12345678", "internet-gateway" },
        { "dopt-12345678", "dhcp-options" },
        { "vgw-12345678", "vpn-gateway" },
        { "cgw-12345678", "customer-gateway" },
        { "vpn-12345678", "vpn-connection" },
        { "key-12345678", "key-pair" },
        { "eipalloc-12345678", "elastic-ip" },
        { "lt-0123456789abcdef0", "launch-template" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        assert_string_equal(ec2gw_tags_resource_type(map[i][0]), map[i][1]);
    assert_null(ec2gw_tags_resource_type("eipassoc-12345678"));
    assert_null(ec2gw_tags_resource_type("rtbassoc-12345678"));
    assert_null(ec2gw_tags_resource_type("i-123"));
    assert_null(ec2gw_tags_resource_type(NULL));
}

static void
check_rejects(const char *key, const char *value, const char *msg_part)
{
    json_t *t = json_pack("[{s:s, s:s?}]", "Key", key, "Value", value);
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_tags_check(t, &err), EC2GW_E_INVAL);
    assert_non_null(strstr(err.msg, msg_part));
    json_decref(t);
}

static void
test_check(void **state)
{
    char k127[128], k128[129], v256[257], utf8[127 * 2 + 1];
    json_t *t;

    (void)state;
    memset(k127, 'k', 127);
    k127[127] = '\0';
    memset(k128, 'k', 128);
    k128[128] = '\0';
    memset(v256, 'v', 256);
    v256[256] = '\0';
    for (int i = 0; i < 127; i++)
        memcpy(utf8 + 2 * i, "\xc3\xa9", 2); /* 127 characters, 254 bytes */
    utf8[254] = '\0';
    check_rejects("", "v", "empty");
    check_rejects(k128, "v", "127");
    check_rejects("aws:x", "v", "aws:");
    check_rejects("k", v256, "255");
    t = json_pack("[{s:s, s:s}, {s:s}, {s:s, s:n}, {s:s, s:s}]", "Key", k127, "Value", v256 + 1,
                  "Key", "no-value", "Key", "null-value", "Value", "Key", utf8, "Value", "");
    assert_int_equal(ec2gw_tags_check(t, NULL), 0);
    json_decref(t);
    t = json_pack("[{s:i}]", "Key", 1);
    assert_int_equal(ec2gw_tags_check(t, NULL), EC2GW_E_INVAL);
    json_decref(t);
    t = json_pack("[{s:s, s:i}]", "Key", "k", "Value", 1);
    assert_int_equal(ec2gw_tags_check(t, NULL), EC2GW_E_INVAL);
    json_decref(t);
    assert_int_equal(ec2gw_tags_check(NULL, NULL), EC2GW_E_INVAL);
}

static void
test_crud(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    json_t *t = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s}]", "Key", "b", "Value", "1", "Key", "a",
                          "Value", "0123", "Key", "empty");
    json_t *out = NULL, *list = NULL, *del;
    const char *ids[] = { "i-00000001", "vol-00000002", "i-00000009" };

    assert_int_equal(ec2gw_tags_set(db, "p1", ids[0], t, &err), 0);
    assert_int_equal(ec2gw_tags_set(db, "p1", ids[1], t, &err), 0);
    assert_int_equal(ec2gw_tags_count(db, "p1", ids[0], &err), 3);
    /* ordered by key; missing value stored as "" */
    assert_int_equal(ec2gw_tags_get(db, "p1", ids, 3, &out, &err), 0);
    assert_int_equal(json_object_size(out), 2); /* ids without tags are absent */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(out, ids[0]), 0), "Key")),
        "a");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(out, ids[0]), 1), "Value")),
                        "1");
    json_decref(out);
    assert_string_equal(tag_value(db, "p1", ids[0], "empty"), "");

    /* upsert */
    json_decref(t);
    t = json_pack("[{s:s, s:s}]", "Key", "a", "Value", "new");
    assert_int_equal(ec2gw_tags_set(db, "p1", ids[0], t, &err), 0);
    assert_string_equal(tag_value(db, "p1", ids[0], "a"), "new");
    assert_int_equal(ec2gw_tags_count(db, "p1", ids[0], &err), 3);

    /* list: sorted by (ResourceId, Key), with resource types */
    assert_int_equal(ec2gw_tags_list(db, "p1", &list, &err), 0);
    assert_int_equal(json_array_size(list), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "ResourceId")),
                        ids[0]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 5), "ResourceType")),
                        "volume");
    json_decref(list);

    /* delete: key+value only when it matches; key alone; value alone */
    del = json_pack("[{s:s, s:s}]", "Key", "a", "Value", "other");
    assert_int_equal(ec2gw_tags_delete(db, "p1", ids[0], del, &err), 0);
    assert_string_equal(tag_value(db, "p1", ids[0], "a"), "new");
    json_decref(del);
    del = json_pack("[{s:s, s:s}, {s:s}, {s:s}]", "Key", "a", "Value", "new", "Key", "b", "Key",
                    "missing");
    assert_int_equal(ec2gw_tags_delete(db, "p1", ids[0], del, &err), 0);
    assert_int_equal(ec2gw_tags_count(db, "p1", ids[0], &err), 1);
    json_decref(del);
    del = json_pack("[{s:s}]", "Value", "0123");
    assert_int_equal(ec2gw_tags_delete(db, "p1", ids[1], del, &err), 0);
    assert_null(tag_value(db, "p1", ids[1], "a"));
    assert_string_equal(tag_value(db, "p1", ids[1], "b"), "1");
    json_decref(del);
    /* NULL and [] delete all */
    assert_int_equal(ec2gw_tags_delete(db, "p1", ids[1], NULL, &err), 0);
    assert_int_equal(ec2gw_tags_count(db, "p1", ids[1], &err), 0);
    del = json_array();
    assert_int_equal(ec2gw_tags_delete(db, "p1", ids[0], del, &err), 0);
    assert_int_equal(ec2gw_tags_count(db, "p1", ids[0], &err), 0);
    json_decref(del);
    /* an invalid set writes nothing */
    json_decref(t);
    t = json_pack("[{s:s, s:s}, {s:s, s:s}]", "Key", "ok", "Value", "", "Key", "aws:no", "Value",
                  "");
    assert_int_equal(ec2gw_tags_set(db, "p1", ids[0], t, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_tags_count(db, "p1", ids[0], &err), 0);
    json_decref(t);
    {
        /* NULL ids (items without an id member) are skipped, on both plans */
        const char *some[12] = { NULL, "vol-00000002" };

        assert_int_equal(ec2gw_tags_get(db, "p1", some, 2, &out, &err), 0);
        json_decref(out);
        assert_int_equal(ec2gw_tags_get(db, "p1", some, 12, &out, &err), 0);
        json_decref(out);
    }
    assert_int_equal(ec2gw_tags_get(db, "p1", ids, 0, &out, &err), 0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
}

static void
test_project_isolation(void **state)
{
    ec2gw_db_t *db = *state;
    json_t *t1 = json_pack("[{s:s, s:s}]", "Key", "owner", "Value", "p1");
    json_t *t2 = json_pack("[{s:s, s:s}]", "Key", "owner", "Value", "p2");
    json_t *list = NULL;
    const char *img = "ami-0000beef";

    assert_int_equal(ec2gw_tags_set(db, "p1", img, t1, NULL), 0);
    assert_int_equal(ec2gw_tags_set(db, "p2", img, t2, NULL), 0);
    assert_string_equal(tag_value(db, "p1", img, "owner"), "p1");
    assert_string_equal(tag_value(db, "p2", img, "owner"), "p2");
    assert_null(tag_value(db, "p3", img, "owner"));
    assert_int_equal(ec2gw_tags_list(db, "p3", &list, NULL), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_int_equal(ec2gw_tags_delete(db, "p2", img, NULL, NULL), 0);
    assert_string_equal(tag_value(db, "p1", img, "owner"), "p1");
    json_decref(t1);
    json_decref(t2);
}

/* tags_get for 100 ids among 5000 tagged resources (3 tags each). */
static void
test_tags_get_timing(void **state)
{
    enum { RES = 5000, ROUNDS = 200 };
    ec2gw_db_t *db = *state;
    json_t *t = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "Key", "Name", "Value", "x",
                          "Key", "env", "Value", "prod", "Key", "team", "Value", "a");
    static char idbuf[RES][16];
    const char *ids[100];
    json_t *out = NULL;
    double t0, per;

    assert_int_equal(ec2gw_db_begin(db, NULL), 0);
    for (int i = 0; i < RES; i++) {
        snprintf(idbuf[i], sizeof(idbuf[i]), "i-%08x", (unsigned)i * 2654435761u);
        assert_int_equal(ec2gw_tags_set(db, "p1", idbuf[i], t, NULL), 0);
    }
    assert_int_equal(ec2gw_db_commit(db, NULL), 0);
    for (int i = 0; i < 100; i++)
        ids[i] = idbuf[i * 37];
    t0 = now_us();
    for (int r = 0; r < ROUNDS; r++) {
        assert_int_equal(ec2gw_tags_get(db, "p1", ids, 100, &out, NULL), 0);
        assert_int_equal(json_object_size(out), 100);
        assert_int_equal(json_array_size(json_object_get(out, ids[99])), 3);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(out, ids[99]), 2), "Key")),
                            "team");
        json_decref(out);
    }
    per = (now_us() - t0) / ROUNDS;
    print_message("tags_get 100 ids (300 tags) of 15000: %.1f us/call\n", per);
    assert_true(per < 50000); /* generous: ASan builds, busy CI hosts */
    json_decref(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_types),
        cmocka_unit_test(test_check),
        cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_get_timing, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
