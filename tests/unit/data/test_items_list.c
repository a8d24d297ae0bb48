/* test_items_list.c - ABI 1.2 data functions: items of one kind, the create-once insert and
 * unused ids (daemon/data/items_list.c). */
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
put(ec2gw_db_t *db, const char *project, const char *id, const char *os_id, const char *data)
{
    json_t *d = json_loads(data, 0, NULL);

    assert_non_null(d);
    assert_int_equal(ec2gw_item_put(db, project, id, os_id, d, NULL), 0);
    json_decref(d);
}

static void
test_items_list_kind(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    json_t *out = NULL, *v;

    put(db, "p1", "vpc-00000001", "router-1", "{\"cidr_block\": \"10.0.0.0/16\"}");
    put(db, "p1", "vpc-00000002", "router-2", "{\"is_default\": true}");
    put(db, "p1", "subnet-00000001", "sn-1", "{\"vpc_id\": \"vpc-00000001\"}");
    put(db, "p1", "igw-00000001", NULL, "{\"vpc_id\": \"vpc-00000002\"}");
    put(db, "p2", "vpc-00000003", "router-3", "{}");
    /* a row of a longer kind sharing the prefix, and an id mapping without data */
    put(db, "p1", "eni-00000001", "port-1", "{}");
    put(db, "p1", "eni-attach-00000001", NULL, "{}");

    assert_int_equal(ec2gw_items_list(db, "p1", "vpc", &out, &err), 0);
    assert_int_equal(json_object_size(out), 2);
    v = json_object_get(out, "vpc-00000001");
    assert_string_equal(json_string_value(json_object_get(v, "cidr_block")), "10.0.0.0/16");
    assert_string_equal(json_string_value(json_object_get(v, "os_id")), "router-1");
    assert_null(json_object_get(v, "vpc_id"));
    assert_true(json_is_true(json_object_get(json_object_get(out, "vpc-00000002"), "is_default")));
    json_decref(out);

    assert_int_equal(ec2gw_items_list(db, "p1", "subnet", &out, &err), 0);
    v = json_object_get(out, "subnet-00000001");
    assert_string_equal(json_string_value(json_object_get(v, "vpc_id")), "vpc-00000001");
    assert_string_equal(json_string_value(json_object_get(v, "os_id")), "sn-1");
    json_decref(out);

    /* igw without os_id: no os_id member */
    assert_int_equal(ec2gw_items_list(db, "p1", "igw", &out, &err), 0);
    v = json_object_get(out, "igw-00000001");
    assert_null(json_object_get(v, "os_id"));
    assert_string_equal(json_string_value(json_object_get(v, "vpc_id")), "vpc-00000002");
    json_decref(out);

    assert_int_equal(ec2gw_items_list(db, "p1", "eni", &out, &err), 0);
    assert_int_equal(json_object_size(out), 1);
    assert_non_null(json_object_get(out, "eni-00000001"));
    json_decref(out);

    /* other project, empty kind, unknown kind, no project */
    assert_int_equal(ec2gw_items_list(db, "p2", "vpc", &out, &err), 0);
    assert_int_equal(json_object_size(out), 1);
    json_decref(out);
    assert_int_equal(ec2gw_items_list(db, "p1", "rtb", &out, &err), 0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    assert_int_equal(ec2gw_items_list(db, "p1", "nope", &out, &err), EC2GW_E_INVAL);
    assert_null(out);
    assert_int_equal(ec2gw_items_list(db, NULL, "vpc", &out, &err), 0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
}

static void
test_items_list_skips_bad_data(void **state)
{
    ec2gw_db_t *db = *state;
    json_t *out = NULL;

    put(db, "p1", "vpc-00000001", "router-1", "{}");
    assert_int_equal(sqlite3_exec(ec2gw_db_sqlite(db),
                                  "INSERT INTO items (id, project_id, data) VALUES"
                                  " ('vpc-00000009', 'p1', '{''cidr'': u''x''}')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(ec2gw_items_list(db, "p1", "vpc", &out, NULL), 0);
    assert_int_equal(json_object_size(out), 1);
    assert_non_null(json_object_get(out, "vpc-00000001"));
    json_decref(out);
}

static void
test_item_insert_once(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    json_t *d =
        json_pack("{s:s, s:s, s:b}", "vpc_id", "vpc-00000001", "os_id", "ignored", "is_default", 1);
    json_t *got = NULL;
    char *os_id = NULL;

    assert_int_equal(ec2gw_item_insert(db, "p1", "rtb-00000001", NULL, d, &err), 0);
    /* a second insert of the same id fails, in this project or another, and changes nothing */
    assert_int_equal(ec2gw_item_insert(db, "p1", "rtb-00000001", NULL, NULL, &err), EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_item_insert(db, "p2", "rtb-00000001", NULL, NULL, &err), EC2GW_E_EXISTS);
    assert_int_equal(ec2gw_item_get(db, "p1", "rtb-00000001", &got, &os_id, &err), 0);
    assert_null(os_id);
    assert_string_equal(json_string_value(json_object_get(got, "vpc_id")), "vpc-00000001");
    assert_true(json_is_true(json_object_get(got, "is_default")));
    assert_null(json_object_get(got, "os_id")); /* a column, never data */
    json_decref(got);
    assert_int_equal(ec2gw_item_get(db, "p2", "rtb-00000001", &got, NULL, &err), EC2GW_E_NOTFOUND);

    /* an os_id already mapped to another id */
    assert_int_equal(ec2gw_item_insert(db, "p1", "vpc-00000001", "router-1", NULL, &err), 0);
    assert_int_equal(ec2gw_item_insert(db, "p1", "vpc-00000002", "router-1", NULL, &err),
                     EC2GW_E_EXISTS);
    /* a mapping-only row (ids_to_ec2 made it) counts as existing too */
    assert_int_equal(sqlite3_exec(ec2gw_db_sqlite(db),
                                  "INSERT INTO items (id, project_id, os_id, data) VALUES"
                                  " ('subnet-00000001', NULL, 'sn-1', '{}')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(ec2gw_item_insert(db, "p1", "subnet-00000001", NULL, NULL, &err),
                     EC2GW_E_EXISTS);
    /* malformed id, no project */
    assert_int_equal(ec2gw_item_insert(db, "p1", "vpc-xyz", NULL, NULL, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_item_insert(db, NULL, "vpc-00000003", NULL, NULL, &err), EC2GW_E_INVAL);
    json_decref(d);
}

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
test_new_id_unused(void **state)
{
    static const uint32_t seq[] = { 0x11111111, 0x22222222, 0x33333333 };
    ec2gw_db_t *db = *state;
    ec2gw_err_t err = { 0 };
    char id[EC2GW_ID_MAX];

    put(db, "p1", "igw-11111111", NULL, "{}");
    put(db, "p2", "igw-22222222", NULL, "{}"); /* another project's id is taken too */
    script = seq;
    script_len = 3;
    script_pos = 0;
    ec2gw_id_set_rng(scripted_rng);
    assert_int_equal(ec2gw_id_new_unused(db, "igw", id, &err), 0);
    assert_string_equal(id, "igw-33333333");
    assert_int_equal(script_pos, 3);
    /* nothing is stored: the same id comes again */
    script_pos = 2;
    assert_int_equal(ec2gw_id_new_unused(db, "igw", id, &err), 0);
    assert_string_equal(id, "igw-33333333");
    /* another kind: 0x11111111 is free for rtb */
    script_pos = 0;
    assert_int_equal(ec2gw_id_new_unused(db, "rtb", id, &err), 0);
    assert_string_equal(id, "rtb-11111111");
    /* every draw collides: bounded, then an error */
    script_pos = 0;
    script_len = 1;
    assert_int_equal(ec2gw_id_new_unused(db, "igw", id, &err), EC2GW_E_DB);
    assert_string_equal(id, "");
    assert_non_null(strstr(err.msg, "attempts"));
    ec2gw_id_set_rng(NULL);
    assert_int_equal(ec2gw_id_new_unused(db, "bogus", id, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_id_new_unused(db, "dopt", id, &err), 0);
    assert_true(ec2gw_id_parse(id, NULL));
    assert_int_equal(strncmp(id, "dopt-", 5), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_items_list_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items_list_skips_bad_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_item_insert_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_id_unused, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
