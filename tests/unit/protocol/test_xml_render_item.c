/*
 * test_xml_render_item.c - items rendered ahead (ec2gw_xml_render_item, the host's render_item
 * of ABI 1.5): a model holding them renders byte for byte as the model they came from.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocol/ec2_model.h"
#include "protocol/xml_render.h"

static ec2gw_model_t *model;

/* An Instance with what makes rendering differ: escapes, a timestamp, nested lists, an empty
 * list, booleans and numbers. */
#define INSTANCE                                                                              \
    "{\"InstanceId\": \"i-0a1b2c3d\", \"ImageId\": \"ami-1\", \"InstanceType\": \"m1.tiny\"," \
    " \"LaunchTime\": \"2026-11-25 12:54:27.123456+01:00\", \"AmiLaunchIndex\": 0,"           \
    " \"State\": {\"Code\": 16, \"Name\": \"running\"}, \"KeyName\": \"a<b & \\\"c\\\"\","    \
    " \"Placement\": {\"AvailabilityZone\": \"nova\"}, \"SourceDestCheck\": true,"            \
    " \"Tags\": [{\"Key\": \"Name\", \"Value\": \"x\\r\\u00e9\"}], \"ProductCodes\": [],"     \
    " \"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"GroupName\": \"default\"}],"             \
    " \"NetworkInterfaces\": [{\"NetworkInterfaceId\": \"eni-1\", \"PrivateIpAddresses\":"    \
    " [{\"PrivateIpAddress\": \"10.0.0.5\", \"Primary\": true}]}]}"

static int
load_model(void **state)
{
    ec2gw_err_t err = { 0 };

    (void)state;
    if (ec2gw_model_load(EC2GW_SOURCE_DIR "/model/ec2-2016-11-15.json", &model, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int
free_model(void **state)
{
    (void)state;
    ec2gw_model_free(model);
    return 0;
}

static const ec2gw_model_op_t *
op(const char *action)
{
    const ec2gw_model_op_t *o = ec2gw_model_op(model, action);

    assert_non_null(o);
    return o;
}

static char *
render(const char *action, const json_t *m, ec2gw_err_t *err)
{
    char *out = NULL;
    size_t len = 0;

    assert_int_equal(ec2gw_xml_render(op(action), "2016-11-15", "req-1", m, &out, &len, err), 0);
    assert_int_equal(strlen(out), len);
    return out;
}

/* Two reservations, three instances: the same document from models and from items. */
static void
same_bytes_as_the_models(void **state)
{
    json_t *inst = json_loads(INSTANCE, 0, NULL), *plain, *ahead, *item, *list;
    ec2gw_err_t err = { 0 };
    char *a, *b;
    size_t i, r;

    (void)state;
    assert_non_null(inst);
    plain = json_pack("{s:[{s:s, s:s, s:[], s:[O, O]}, {s:s, s:s, s:[], s:[O]}]}", "Reservations",
                      "ReservationId", "r-1", "OwnerId", "o", "Groups", "Instances", inst, inst,
                      "ReservationId", "r-2", "OwnerId", "o", "Groups", "Instances", inst);
    ahead = json_deep_copy(plain);
    for (r = 0; r < 2; r++) {
        list =
            json_object_get(json_array_get(json_object_get(ahead, "Reservations"), r), "Instances");
        for (i = 0; i < json_array_size(list); i++) {
            assert_int_equal(ec2gw_xml_render_item(op("DescribeInstances"),
                                                   "Reservations.Instances",
                                                   json_array_get(list, i), &item, &err),
                             0);
            assert_string_equal(err.msg, "");
            json_array_set_new(list, i, item);
        }
    }
    a = render("DescribeInstances", plain, &err);
    assert_string_equal(err.msg, "");
    b = render("DescribeInstances", ahead, &err);
    assert_string_equal(err.msg, "");
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "<keyName>a&lt;b &amp; &quot;c&quot;</keyName>"));
    assert_non_null(strstr(a, "<launchTime>2026-11-25T11:54:27.123Z</launchTime>"));
    free(a);
    free(b);
    json_decref(plain);
    json_decref(ahead);
    json_decref(inst);
}

/* An empty item stays <item/>; a structure member (not a list) can be rendered ahead too. */
static void
empty_and_member_items(void **state)
{
    json_t *empty = json_object(), *item = NULL, *m;
    ec2gw_err_t err = { 0 };
    char *a, *b;

    (void)state;
    assert_int_equal(ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Instances", empty,
                                           &item, &err),
                     0);
    m = json_pack("{s:[{s:s, s:[o]}]}", "Reservations", "ReservationId", "r-1", "Instances", item);
    a = render("DescribeInstances", m, &err);
    assert_non_null(strstr(a, "<instancesSet><item/></instancesSet>"));
    free(a);
    json_decref(m);
    json_decref(empty);
    /* State is a structure member of Instance: Reservations.Instances.State */
    m = json_pack("{s:i, s:s}", "Code", 16, "Name", "running");
    assert_int_equal(ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Instances.State",
                                           m, &item, &err),
                     0);
    json_decref(m);
    m = json_pack("{s:[{s:[{s:s, s:O}]}]}", "Reservations", "Instances", "InstanceId", "i-1",
                  "State", item);
    json_decref(item);
    a = render("DescribeInstances", m, &err);
    json_decref(m);
    m = json_pack("{s:[{s:[{s:s, s:{s:i, s:s}}]}]}", "Reservations", "Instances", "InstanceId",
                  "i-1", "State", "Code", 16, "Name", "running");
    b = render("DescribeInstances", m, &err);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(m);
}

/* Bad paths, non-objects, drops, and an item of another shape put where it does not go. */
static void
refusals(void **state)
{
    json_t *inst = json_loads(INSTANCE, 0, NULL), *item = NULL, *m, *bad;
    ec2gw_err_t err = { 0 };
    char *a;

    (void)state;
    assert_int_equal(
        ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Nope", inst, &item, &err),
        EC2GW_E_NOTFOUND);
    assert_null(item);
    assert_int_equal(ec2gw_xml_render_item(op("DescribeInstances"), "", inst, &item, &err),
                     EC2GW_E_NOTFOUND);
    assert_int_equal(ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.ReservationId",
                                           inst, &item, &err),
                     EC2GW_E_NOTFOUND); /* a string, not a structure */
    m = json_string("x");
    assert_int_equal(
        ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Instances", m, &item, &err),
        EC2GW_E_INVAL);
    json_decref(m);
    /* a member the shape lacks: rendered without it, and reported */
    bad = json_pack("{s:s, s:s}", "InstanceId", "i-1", "Typo", "x");
    assert_int_equal(
        ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Instances", bad, &item, &err),
        0);
    assert_non_null(strstr(err.msg, "Typo"));
    json_decref(bad);
    json_decref(item);
    /* an Instance item where a Reservation goes: dropped, and reported */
    assert_int_equal(
        ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Instances", inst, &item, &err),
        0);
    m = json_pack("{s:[o]}", "Reservations", item);
    a = render("DescribeInstances", m, &err);
    assert_non_null(strstr(err.msg, "another shape"));
    assert_null(strstr(a, "i-0a1b2c3d"));
    free(a);
    json_decref(m);
    json_decref(inst);
}

/* The document in pieces (ec2gw_xml_render_doc, what ec2gwd sends): the same bytes, the kept
 * items by reference (held until the document is freed), short ones copied. */
static void
doc_refers_to_kept_items(void **state)
{
    json_t *inst = json_loads(INSTANCE, 0, NULL), *plain, *ahead, *item, *list, *tiny;
    ec2gw_xml_doc_t doc;
    ec2gw_err_t err = { 0 };
    char *a, *flat;
    size_t len, i;

    (void)state;
    plain =
        json_pack("{s:[{s:s, s:s, s:[], s:[O, O, {s:s}]}]}", "Reservations", "ReservationId", "r-1",
                  "OwnerId", "o", "Groups", "Instances", inst, inst, "InstanceId", "i-2");
    ahead = json_deep_copy(plain);
    list = json_object_get(json_array_get(json_object_get(ahead, "Reservations"), 0), "Instances");
    for (i = 0; i < json_array_size(list); i++) {
        assert_int_equal(ec2gw_xml_render_item(op("DescribeInstances"), "Reservations.Instances",
                                               json_array_get(list, i), &item, &err),
                         0);
        json_array_set_new(list, i, item);
    }
    a = render("DescribeInstances", plain, &err);
    assert_int_equal(
        ec2gw_xml_render_doc(op("DescribeInstances"), "2016-11-15", "req-1", ahead, &doc, &err), 0);
    assert_string_equal(err.msg, "");
    /* two instances over EC2GW_XML_REF_MIN bytes by reference; <instanceId>i-2 copied */
    assert_int_equal(doc.nrefs, 2);
    tiny = json_object_get(json_array_get(list, 2), EC2GW_XML_ITEM_BYTES);
    assert_true(json_string_length(tiny) < EC2GW_XML_REF_MIN);
    assert_true(json_string_length(doc.refs[0].str) >= EC2GW_XML_REF_MIN);
    assert_true(doc.refs[0].at < doc.refs[1].at && doc.refs[1].at < doc.len);
    assert_true(doc.len < strlen(a) / 2); /* the kept bytes are not in the document's buffer */
    item = json_object_get(json_array_get(list, 0), EC2GW_XML_ITEM_BYTES);
    assert_ptr_equal(doc.refs[0].str, item);
    assert_int_equal(item->refcount, 2); /* the model's and the document's */
    json_decref(ahead); /* the plugin drops its item: the document still holds it */
    assert_int_equal(doc.refs[0].str->refcount, 1);
    assert_int_equal(ec2gw_xml_doc_flatten(&doc, &flat, &len), 0);
    assert_int_equal(len, strlen(a));
    assert_string_equal(flat, a);
    ec2gw_xml_doc_free(&doc);
    assert_null(doc.buf);
    assert_int_equal(doc.nrefs, 0);
    free(flat);
    free(a);
    json_decref(plain);
    json_decref(inst);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bytes_as_the_models),
        cmocka_unit_test(empty_and_member_items),
        cmocka_unit_test(refusals),
        cmocka_unit_test(doc_refers_to_kept_items),
    };

    return cmocka_run_group_tests(tests, load_model, free_model);
}
