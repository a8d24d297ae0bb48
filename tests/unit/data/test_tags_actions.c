/* test_tags_actions.c - CreateTags, DeleteTags, DescribeTags end to end on a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "actions/tags_actions.h"
#include "data/idmap.h"
#include "data/tags.h"

static int
setup(void **state)
{
    ec2gw_db_t *db = NULL;
    static const char *const rows[] = { "i-00000001",   "i-00000002",   "vol-00000001",
                                        "vpc-00000001", "key-00000001", "eipalloc-00000001" };

    assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(ec2gw_item_put(db, "p1", rows[i], NULL, NULL, NULL), 0);
    assert_int_equal(ec2gw_item_put(db, "p2", "i-00000099", NULL, NULL, NULL), 0);
    *state = db;
    return 0;
}

static int
teardown(void **state)
{
    ec2gw_db_close(*state);
    return 0;
}

typedef int (*action_fn)(ec2gw_db_t *, const char *, const json_t *, json_t **, ec2gw_fault_t *);

/* Run @p fn with params parsed from @p json: "" on success (model in *model if asked), else
 * the fault code (static buffer). */
static const char *
call(action_fn fn, ec2gw_db_t *db, const char *project, const char *json, json_t **model)
{
    static char code[96];
    json_error_t jerr;
    json_t *params = json_loads(json, 0, &jerr), *m = NULL;
    ec2gw_fault_t fault = { 0 };
    int rc;

    if (params == NULL)
        fail_msg("bad test JSON: %s", jerr.text);
    rc = fn(db, project, params, &m, &fault);
    json_decref(params);
    snprintf(code, sizeof(code), "%s", rc == 0 ? "" : fault.code);
    if (rc != 0)
        assert_null(m);
    if (model != NULL)
        *model = m;
    else
        json_decref(m);
    return code;
}

static const char *
create(ec2gw_db_t *db, const char *project, const char *json)
{
    json_t *m = NULL;
    const char *code = call(ec2gw_action_create_tags, db, project, json, &m);

    assert_null(m); /* CreateTags answers <return>true</return> */
    return code;
}

static size_t
count_tags(ec2gw_db_t *db, const char *project)
{
    json_t *m = NULL;
    size_t n;

    assert_string_equal(call(ec2gw_action_describe_tags, db, project, "{}", &m), "");
    n = json_array_size(json_object_get(m, "Tags"));
    json_decref(m);
    return n;
}

static void
test_create_describe_delete(void **state)
{
    ec2gw_db_t *db = *state;
    json_t *m = NULL, *t;

    assert_string_equal(
        create(db, "p1",
               "{\"Resources\":[\"i-00000001\",\"vol-00000001\",\"ami-0000abcd\"],"
               " \"Tags\":[{\"Key\":\"a\",\"Value\":\"0123\"},{\"Key\":\"Name\"}]}"),
        "");
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", "{}", &m), "");
    t = json_object_get(m, "Tags");
    assert_int_equal(json_array_size(t), 6);
    assert_null(json_object_get(m, "NextToken"));
    /* sorted by (ResourceId, Key); output members per the botocore model */
    t = json_array_get(t, 0);
    assert_string_equal(json_string_value(json_object_get(t, "ResourceId")), "ami-0000abcd");
    assert_string_equal(json_string_value(json_object_get(t, "ResourceType")), "image");
    assert_string_equal(json_string_value(json_object_get(t, "Key")), "Name");
    assert_string_equal(json_string_value(json_object_get(t, "Value")), "");
    assert_int_equal(json_object_size(t), 4);
    json_decref(m);
    /* other projects see nothing */
    assert_int_equal(count_tags(db, "p2"), 0);

    /* DeleteTags: value must match when given; resources are not checked */
    assert_string_equal(call(ec2gw_action_delete_tags, db, "p1",
                             "{\"Resources\":[\"i-00000001\",\"i-0000ffff\"],"
                             " \"Tags\":[{\"Key\":\"a\",\"Value\":\"nope\"},{\"Key\":\"Name\"}]}",
                             NULL),
                        "");
    assert_int_equal(count_tags(db, "p1"), 5);
    assert_string_equal(call(ec2gw_action_delete_tags, db, "p1",
                             "{\"Resources\":[\"vol-00000001\",\"ami-0000abcd\"]}", NULL),
                        "");
    assert_int_equal(count_tags(db, "p1"), 1);
    assert_string_equal(call(ec2gw_action_delete_tags, db, "p1", "{\"Resources\":[\"bad\"]}", NULL),
                        "InvalidID");
    assert_string_equal(call(ec2gw_action_delete_tags, db, "p1", "{}", NULL), "MissingParameter");
}

static void
test_create_errors(void **state)
{
    ec2gw_db_t *db = *state;
    static const struct {
        const char *id, *code;
    } nf[] = {
        { "i-0000ffff", "InvalidInstanceID.NotFound" },
        { "i-00000099", "InvalidInstanceID.NotFound" }, /* exists, in another project */
        { "vol-0000ffff", "InvalidVolume.NotFound" },
        { "snap-0000ffff", "InvalidSnapshot.NotFound" },
        { "sg-0000ffff", "InvalidGroup.NotFound" },
        { "vpc-0000ffff", "InvalidVpcID.NotFound" },
        { "subnet-0000ffff", "InvalidSubnetID.NotFound" },
        { "eni-0000ffff", "InvalidNetworkInterfaceID.NotFound" },
        { "rtb-0000ffff", "InvalidRouteTableID.NotFound" },
        { "igw-0000ffff", "InvalidInternetGatewayID.NotFound" },
        { "dopt-0000ffff", "InvalidDhcpOptionsID.NotFound" },
        { "cgw-0000ffff", "InvalidCustomerGatewayID.NotFound" },
        { "vgw-0000ffff", "InvalidVpnGatewayID.NotFound" },
        { "vpn-0000ffff", "InvalidVpnConnectionID.NotFound" },
        { "key-0000ffff", "InvalidKeyPair.NotFound" },
        { "eipalloc-0000ffff", "InvalidAllocationID.NotFound" },
        { "bogus", "InvalidID" },
        { "i-1234", "InvalidID" },
        { "eipassoc-00000001", "InvalidID" }, /* valid id, not taggable */
        { "rtbassoc-00000001", "InvalidID" },
    };
    char json[256];

    for (size_t i = 0; i < sizeof(nf) / sizeof(nf[0]); i++) {
        snprintf(
            json, sizeof(json),
            "{\"Resources\":[\"i-00000001\",\"%s\"], \"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
            nf[i].id);
        assert_string_equal(create(db, "p1", json), nf[i].code);
    }
    /* atomic: the valid first resource got nothing */
    assert_int_equal(count_tags(db, "p1"), 0);
    /* tag rules */
    assert_string_equal(create(db, "p1",
                               "{\"Resources\":[\"i-00000001\"],"
                               " \"Tags\":[{\"Key\":\"aws:x\",\"Value\":\"v\"}]}"),
                        "InvalidParameterValue");
    assert_string_equal(create(db, "p1",
                               "{\"Resources\":[\"i-00000001\"],"
                               " \"Tags\":[{\"Key\":\"\",\"Value\":\"v\"}]}"),
                        "InvalidParameterValue");
    assert_string_equal(create(db, "p1", "{\"Resources\":[\"i-00000001\"]}"), "MissingParameter");
    assert_string_equal(create(db, "p1", "{\"Tags\":[{\"Key\":\"k\"}]}"), "MissingParameter");
    /* ec2gw additions: key pairs and Elastic IP allocations are taggable */
    assert_string_equal(create(db, "p1",
                               "{\"Resources\":[\"key-00000001\",\"eipalloc-00000001\","
                               "\"vpc-00000001\"], \"Tags\":[{\"Key\":\"k\"}]}"),
                        "");
    assert_int_equal(count_tags(db, "p1"), 3);
}

static void
test_tag_limit(void **state)
{
    ec2gw_db_t *db = *state;
    json_t *params = json_pack("{s:[s, s], s:[]}", "Resources", "i-00000001", "i-00000002", "Tags"),
           *m = NULL;
    ec2gw_fault_t fault = { 0 };
    char key[16];

    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "k%02d", i);
        json_array_append_new(json_object_get(params, "Tags"),
                              json_pack("{s:s, s:s}", "Key", key, "Value", "v"));
    }
    assert_int_equal(ec2gw_action_create_tags(db, "p1", params, &m, &fault), 0);
    assert_int_equal(count_tags(db, "p1"), 100);
    /* re-tagging existing keys does not count twice */
    assert_int_equal(ec2gw_action_create_tags(db, "p1", params, &m, &fault), 0);
    json_decref(params);
    /* the 51st key fails, and the whole call is undone */
    params = json_pack("{s:[s, s], s:[{s:s}, {s:s}]}", "Resources", "vol-00000001", "i-00000002",
                       "Tags", "Key", "k00", "Key", "k50");
    assert_int_equal(ec2gw_action_create_tags(db, "p1", params, &m, &fault), -1);
    assert_string_equal(fault.code, "TagLimitExceeded");
    assert_int_equal(count_tags(db, "p1"), 100);
    json_decref(params);
}

static void
test_describe_filters_and_paging(void **state)
{
    ec2gw_db_t *db = *state;
    json_t *m = NULL;
    char *token = NULL, json[512];
    size_t total = 0;
    int pages = 0;

    assert_string_equal(create(db, "p1",
                               "{\"Resources\":[\"i-00000001\",\"i-00000002\","
                               "\"vol-00000001\",\"vpc-00000001\"],"
                               " \"Tags\":[{\"Key\":\"Name\",\"Value\":\"web\"},"
                               "{\"Key\":\"env\",\"Value\":\"prod\"},"
                               "{\"Key\":\"team\",\"Value\":\"a*b\"}]}"),
                        "");
#define COUNT(filters, n)                                                                 \
    do {                                                                                  \
        assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", filters, &m), ""); \
        assert_int_equal(json_array_size(json_object_get(m, "Tags")), n);                 \
        json_decref(m);                                                                   \
    } while (0)
    COUNT("{\"Filters\":[{\"Name\":\"key\",\"Values\":[\"Name\"]}]}", 4);
    COUNT("{\"Filters\":[{\"Name\":\"tag-key\",\"Values\":[\"N*\",\"e??\"]}]}", 8);
    COUNT("{\"Filters\":[{\"Name\":\"value\",\"Values\":[\"a\\\\*b\"]}]}", 4);
    COUNT("{\"Filters\":[{\"Name\":\"tag-value\",\"Values\":[\"a[*]b\"]}]}", 0);
    COUNT("{\"Filters\":[{\"Name\":\"resource-type\",\"Values\":[\"instance\"]},"
          " {\"Name\":\"key\",\"Values\":[\"env\"]}]}",
          2);
    COUNT("{\"Filters\":[{\"Name\":\"resource-id\",\"Values\":[\"vpc-*\"]}]}", 3);
    COUNT("{\"Filters\":[{\"Name\":\"tag:Name\",\"Values\":[\"web\"]}]}", 4);
    COUNT("{\"Filters\":[{\"Name\":\"tag:Name\",\"Values\":[\"prod\"]}]}", 0);
#undef COUNT
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1",
                             "{\"Filters\":[{\"Name\":\"resource\",\"Values\":[\"x\"]}]}", NULL),
                        "InvalidParameterValue");
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", "{\"MaxResults\":4}", NULL),
                        "InvalidParameterValue");
    /* above 1000 AWS caps (issue 11 #13); 0 and -1 are no "no limit" (#11) */
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", "{\"MaxResults\":1001}", NULL),
                        "");
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", "{\"MaxResults\":-1}", NULL),
                        "InvalidParameterValue");
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", "{\"MaxResults\":0}", NULL),
                        "InvalidParameterValue");
    assert_string_equal(
        call(ec2gw_action_describe_tags, db, "p1", "{\"NextToken\":\"zzzz\"}", NULL),
        "InvalidPaginationToken");
    /* walk 12 tags five at a time */
    do {
        snprintf(json, sizeof(json), "{\"MaxResults\":5%s%s%s}", token ? ",\"NextToken\":\"" : "",
                 token ? token : "", token ? "\"" : "");
        free(token);
        token = NULL;
        assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", json, &m), "");
        total += json_array_size(json_object_get(m, "Tags"));
        assert_null(json_object_get(json_array_get(json_object_get(m, "Tags"), 0), "\x01k"));
        if (json_object_get(m, "NextToken") != NULL)
            token = strdup(json_string_value(json_object_get(m, "NextToken")));
        json_decref(m);
        pages++;
    } while (token != NULL);
    assert_int_equal(total, 12);
    assert_int_equal(pages, 3);
    /* a token is bound to its filters and project */
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", "{\"MaxResults\":5}", &m), "");
    snprintf(json, sizeof(json),
             "{\"MaxResults\":5,\"NextToken\":\"%s\","
             "\"Filters\":[{\"Name\":\"key\",\"Values\":[\"*\"]}]}",
             json_string_value(json_object_get(m, "NextToken")));
    assert_string_equal(call(ec2gw_action_describe_tags, db, "p1", json, NULL),
                        "InvalidPaginationToken");
    json_decref(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_describe_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_filters_and_paging, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
