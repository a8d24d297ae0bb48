/*
 * test_testhost_batch.c - the fake host's ids_to_ec2 and items_get (ABI 1.1) answer what
 * id_to_ec2 and item_get answer one by one, as the daemon's do (tests/unit/data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

/* Run @p action of the batch plugin with JSON input @p in; its JSON answer, or NULL. */
static json_t *
batch_run(ec2gw_test_host_t *h, const char *action, const char *in)
{
    json_t *p = json_pack("{s:s}", "NextToken", in), *m, *out = NULL;
    char *text = json_dumps(p, JSON_COMPACT);

    m = ec2gw_test_action(h, action, text);
    if (m != NULL)
        out = json_loads(json_string_value(json_object_get(m, "NextToken")), 0, NULL);
    json_decref(m);
    json_decref(p);
    free(text);
    return out;
}

static void
batch_matches_single(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(BATCH_SO, NULL);
    json_t *m, *b, *s;
    size_t i;

    (void)state;
    assert_non_null(h);
    assert_int_equal(ec2gw_test_map_id(h, "i-0000abcd", "os-known"), 0);
    m = batch_run(h, "DescribeInstances",
                  "{\"Kind\": \"i\", \"OsIds\": [\"os-a\", null, \"os-known\", \"\","
                  " \"os-a\", \"os-b\", \"os-known\"],"
                  " \"Put\": {\"i-0000abcd\": {\"x\": 1}, \"vol-00000001\": null},"
                  " \"ItemIds\": [\"i-0000abcd\", null, \"vol-00000001\", \"i-99999999\","
                  " \"i-0000abcd\"]}");
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "IdsRc")), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "ItemsRc")), 0);
    b = json_object_get(m, "Batch");
    s = json_object_get(m, "Single");
    assert_int_equal(json_array_size(b), 7);
    for (i = 0; i < json_array_size(b); i++)
        assert_true(json_equal(json_array_get(b, i), json_array_get(s, i)));
    /* NULL and "" stay NULL; repeats and a known mapping give the same id */
    assert_true(json_is_null(json_array_get(b, 1)));
    assert_true(json_is_null(json_array_get(b, 3)));
    assert_string_equal(json_string_value(json_array_get(b, 2)), "i-0000abcd");
    assert_true(json_equal(json_array_get(b, 0), json_array_get(b, 4)));
    assert_false(json_equal(json_array_get(b, 0), json_array_get(b, 5)));
    /* items_get: the ids item_get finds, data always an object ({} for an item put without) */
    assert_true(ec2gw_test_json_equal(h, json_object_get(m, "Items"),
                                      "{\"i-0000abcd\": {\"x\": 1}, \"vol-00000001\": {}}"));
    assert_int_equal(json_object_size(json_object_get(m, "Each")), 2);
    assert_int_equal(ec2gw_test_violations(h), 0);
    json_decref(m);
    /* another project sees none of it */
    ec2gw_test_set_project(h, "p2");
    m = batch_run(h, "DescribeInstances",
                  "{\"Kind\": \"i\", \"OsIds\": [], \"ItemIds\": [\"i-0000abcd\"]}");
    assert_non_null(m);
    assert_int_equal(json_object_size(json_object_get(m, "Items")), 0);
    json_decref(m);
    ec2gw_test_host_free(h);
}

/* ABI 1.2: items_list answers the project's items of one kind with os_id; item_insert
 * refuses an id any project has; new_id never answers an id in use. */
static void
items_list_insert_new_id(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(BATCH_SO, NULL);
    json_t *m, *ids;

    (void)state;
    assert_non_null(h);
    ec2gw_test_set_project(h, "p2");
    m = batch_run(h, "DescribeVpcs", "{\"Kind\": \"vpc\", \"Insert\": {\"vpc-00000009\": {}}}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_set_project(h, "p1");
    m = batch_run(
        h, "DescribeVpcs",
        "{\"Kind\": \"vpc\", \"Insert\": {\"vpc-00000001\": {\"os_id\": \"r-1\", \"cidr_block\":"
        " \"10.0.0.0/16\"}, \"vpc-00000009\": {}, \"subnet-00000001\": {\"vpc_id\":"
        " \"vpc-00000001\"}, \"vpc-bad\": {}}}");
    assert_non_null(m);
    assert_true(ec2gw_test_json_equal(h, json_object_get(m, "Insert"),
                                      "{\"vpc-00000001\": 0, \"vpc-00000009\": -7,"
                                      " \"subnet-00000001\": 0, \"vpc-bad\": -4}"));
    assert_int_equal(json_integer_value(json_object_get(m, "ListRc")), 0);
    assert_true(ec2gw_test_json_equal(h, json_object_get(m, "List"),
                                      "{\"vpc-00000001\": {\"os_id\": \"r-1\","
                                      " \"cidr_block\": \"10.0.0.0/16\"}}"));
    ids = json_object_get(m, "NewIds");
    assert_int_equal(json_array_size(ids), 2);
    assert_string_not_equal(json_string_value(json_array_get(ids, 0)),
                            json_string_value(json_array_get(ids, 1)));
    assert_int_equal(strncmp(json_string_value(json_array_get(ids, 0)), "vpc-", 4), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    json_decref(m);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_matches_single),
        cmocka_unit_test(items_list_insert_new_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
