/*
 * test_glance_register.c - RegisterImage (EBS mappings, an existing Glance image, a URL with
 * Glance's web-download) and CopyImage of the glance-v2 plugin through the fake host: the
 * Glance bodies, the data of a copy streamed with os_transfer, the compensation when filling
 * the new image fails, and the error codes.
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

#include "glance_test.h"

#define NEW_UUID  "6f1d5c2b-8888-4a6f-9b7c-000000000008"
#define SNAP_UUID "5b0d8a5e-2222-4f5e-8d1b-000000000002"
#define CREATED   "{\"id\": \"" NEW_UUID "\", \"container_format\": \"bare\", \"status\": \"queued\"}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = glance_host_new(NULL);

    assert_non_null(h);
    assert_int_equal(ec2gw_test_map_id(h, "ami-0000aaaa", UUID_PRIVATE), 0);
    assert_int_equal(ec2gw_test_map_id(h, "ami-0000bbbb", UUID_EBS), 0);
    assert_int_equal(ec2gw_test_map_id(h, "aki-0000cccc", UUID_KERNEL), 0);
    assert_int_equal(ec2gw_test_map_id(h, "snap-0000eeee", SNAP_UUID), 0);
    return h;
}

static void
expect_error(ec2gw_test_host_t *h, const char *action, const char *params, const char *code)
{
    json_t *m = ec2gw_test_action(h, action, params);

    if (m != NULL || ec2gw_test_last_error(h) == NULL ||
        strcmp(ec2gw_test_last_error(h), code) != 0)
        fail_msg("%s %s: got %s, want %s", action, params, m ? "a model" : ec2gw_test_last_error(h),
                 code);
}

static const json_t *
call_at(ec2gw_test_host_t *h, size_t i)
{
    return json_array_get(ec2gw_test_calls(h), i);
}

static void
register_ebs(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;
    json_t *m, *bdm;
    const char *id;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=1&owner=" ME "&name=*", 200,
                      "{\"images\": []}");
    ec2gw_test_expect(h, "POST", "image", "/v2/images", 201, CREATED);
    ec2gw_test_expect(h, "PUT", "image", "/v2/images/" NEW_UUID "/file", 204, NULL);
    m = ec2gw_test_action(
        h, "RegisterImage",
        "{\"Name\": \"ebs1\", \"Description\": \"d\", \"Architecture\": \"x86_64\", "
        "\"KernelId\": \"aki-0000cccc\", \"RootDeviceName\": \"/dev/vda\", "
        "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/vda\", \"Ebs\": {\"SnapshotId\": "
        "\"snap-0000eeee\", \"VolumeSize\": 2, \"DeleteOnTermination\": false}}, "
        "{\"DeviceName\": \"/dev/vdb\", \"VirtualName\": \"ephemeral0\"}, "
        "{\"DeviceName\": \"/dev/vdc\", \"NoDevice\": \"\"}]}");
    assert_non_null(m);
    id = json_string_value(json_object_get(m, "ImageId"));
    assert_int_equal(strncmp(id, "ami-", 4), 0);
    body = json_object_get(call_at(h, 1), "body"); /* after the name check */
    assert_string_equal(json_string_value(json_object_get(body, "name")), "ebs1");
    assert_string_equal(json_string_value(json_object_get(body, "visibility")), "private");
    assert_string_equal(json_string_value(json_object_get(body, "root_device_name")), "/dev/vda");
    assert_string_equal(json_string_value(json_object_get(body, "bdm_v2")), "True");
    assert_string_equal(json_string_value(json_object_get(body, "kernel_id")), UUID_KERNEL);
    assert_string_equal(json_string_value(json_object_get(body, "description")), "d");
    bdm = json_loads(json_string_value(json_object_get(body, "block_device_mapping")), 0, NULL);
    assert_true(ec2gw_test_json_equal(
        h, bdm,
        "[{\"device_name\": \"/dev/vda\", \"boot_index\": 0, \"source_type\": \"snapshot\", "
        "\"destination_type\": \"volume\", \"snapshot_id\": \"" SNAP_UUID "\", "
        "\"volume_size\": 2, \"delete_on_termination\": false}, "
        "{\"device_name\": \"/dev/vdb\", \"boot_index\": -1, \"source_type\": \"blank\", "
        "\"destination_type\": \"local\"}, {\"device_name\": \"/dev/vdc\", \"no_device\": true}]"));
    json_decref(bdm);
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
register_errors_and_compensation(void **state)
{
    ec2gw_test_host_t *h = host();
    size_t n;

    (void)state;
    expect_error(h, "RegisterImage", "{\"ImageLocation\": \"http://x/y\"}", "MissingParameter");
    expect_error(h, "RegisterImage", "{\"Name\": \"n1\"}", "InvalidParameterCombination");
    expect_error(h, "RegisterImage", "{\"Name\": \"n1\", \"RootDeviceName\": \"/dev/vda\"}",
                 "InvalidParameterCombination");
    expect_error(h, "RegisterImage",
                 "{\"Name\": \"n1\", \"ImageLocation\": \"bucket/x.manifest.xml\"}",
                 "InvalidParameterValue");
    expect_error(h, "RegisterImage",
                 "{\"Name\": \"n1\", \"RootDeviceName\": \"/dev/vda\", \"BlockDeviceMappings\": "
                 "[{\"DeviceName\": \"/dev/vda\", \"Ebs\": {\"SnapshotId\": \"snap-12345678\"}}]}",
                 "InvalidSnapshot.NotFound");
    expect_error(h, "RegisterImage",
                 "{\"Name\": \"n1\", \"KernelId\": \"aki-12345678\", \"RootDeviceName\": "
                 "\"/dev/vda\", \"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/vda\", "
                 "\"Ebs\": {\"VolumeSize\": 1}}]}",
                 "InvalidAMIID.NotFound");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 0);
    /* web-download refused: the new image is deleted again */
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=1&owner=" ME "&name=*", 200,
                      "{\"images\": []}");
    ec2gw_test_expect(h, "POST", "image", "/v2/images", 201, CREATED);
    ec2gw_test_expect(h, "POST", "image", "/v2/images/" NEW_UUID "/import", 400,
                      "URI for web-download does not pass filtering");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" NEW_UUID, 204, NULL);
    assert_null(ec2gw_test_action(h, "RegisterImage",
                                  "{\"Name\": \"u1\", \"ImageLocation\": \"http://x/y.img\"}"));
    assert_int_equal(ec2gw_test_last_status(h), 400);
    n = json_array_size(ec2gw_test_calls(h));
    assert_true(ec2gw_test_json_equal(h, json_object_get(call_at(h, n - 2), "body"),
                                      "{\"method\": {\"name\": \"web-download\", \"uri\": "
                                      "\"http://x/y.img\"}}"));
    assert_string_equal(json_string_value(json_object_get(call_at(h, n - 1), "method")), "DELETE");
    /* an upload that times out: deleted too */
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=1&owner=" ME "&name=*", 200,
                      "{\"images\": []}");
    ec2gw_test_expect(h, "POST", "image", "/v2/images", 201, CREATED);
    ec2gw_test_expect_timeout(h, "PUT", "image", "/v2/images/" NEW_UUID "/file");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" NEW_UUID, 204, NULL);
    assert_null(ec2gw_test_action(h, "RegisterImage",
                                  "{\"Name\": \"n1\", \"RootDeviceName\": \"/dev/vda\", "
                                  "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/vda\", "
                                  "\"Ebs\": {\"VolumeSize\": 1}}]}"));
    assert_true(ec2gw_test_last_status(h) >= 500);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* A create whose answer is lost (a timeout, a reset): the image Glance made all the same is
 * found by the request id it carries and deleted; another request's image of that name stays. */
static void
register_lost_answer(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=1&owner=" ME "&name=*", 200,
                      "{\"images\": []}");
    ec2gw_test_expect_timeout(h, "POST", "image", "/v2/images");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?name=lost1&owner=" ME, 200,
                      "{\"images\": [{\"id\": \"" SNAP_UUID "\", \"ec2gw_request_id\": \"req-x\"}, "
                      "{\"id\": \"" NEW_UUID "\", \"ec2gw_request_id\": \"req-test-00000001\"}]}");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" NEW_UUID, 204, NULL);
    assert_null(ec2gw_test_action(h, "RegisterImage",
                                  "{\"Name\": \"lost1\", \"RootDeviceName\": \"/dev/vda\", "
                                  "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/vda\", "
                                  "\"Ebs\": {\"VolumeSize\": 1}}]}"));
    assert_int_equal(ec2gw_test_last_status(h), 503);
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    body = json_object_get(call_at(h, 1), "body");
    assert_string_equal(json_string_value(json_object_get(body, "ec2gw_request_id")),
                        "req-test-00000001");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
register_existing(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "PATCH", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    m = ec2gw_test_action(h, "RegisterImage",
                          "{\"Name\": \"renamed\", \"ImageLocation\": \"glance:" UUID_PRIVATE
                          "\"}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"ImageId\": \"ami-0000aaaa\"}"));
    json_decref(m);
    /* someone else's image: its id, nothing written */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_CIRROS, 200, "image_public.json");
    m = ec2gw_test_action(h, "RegisterImage",
                          "{\"Name\": \"mine\", \"ImageLocation\": \"" UUID_CIRROS "\"}");
    assert_non_null(m);
    assert_int_equal(strncmp(json_string_value(json_object_get(m, "ImageId")), "ami-", 4), 0);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" NEW_UUID, 404, "not_found.html");
    expect_error(h, "RegisterImage",
                 "{\"Name\": \"x\", \"ImageLocation\": \"glance:" NEW_UUID "\"}",
                 "InvalidAMIID.NotFound");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
copy_image(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;
    json_t *m, *tags;
    const char *id;

    (void)state;
    assert_int_equal(ec2gw_test_set_tags(h, "ami-0000bbbb", "[{\"Key\": \"a\", \"Value\": \"b\"}]"),
                     0);
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=1&owner=" ME "&name=*", 200,
                      "{\"images\": []}");
    ec2gw_test_expect(h, "POST", "image", "/v2/images", 201, CREATED);
    ec2gw_test_expect(h, "PUT", "image", "/v2/images/" NEW_UUID "/file", 204, NULL);
    m = ec2gw_test_action(h, "CopyImage",
                          "{\"SourceImageId\": \"ami-0000bbbb\", \"SourceRegion\": \"RegionOne\", "
                          "\"Name\": \"copy1\", \"CopyImageTags\": true, \"ClientToken\": \"t1\"}");
    assert_non_null(m);
    id = json_string_value(json_object_get(m, "ImageId"));
    assert_string_not_equal(id, "ami-0000bbbb");
    body = json_object_get(call_at(h, 2), "body"); /* source, name check, create */
    assert_string_equal(json_string_value(json_object_get(body, "name")), "copy1");
    assert_string_equal(json_string_value(json_object_get(body, "visibility")), "private");
    assert_string_equal(json_string_value(json_object_get(body, "root_device_name")), "/dev/vda");
    assert_non_null(json_object_get(body, "block_device_mapping"));
    assert_null(json_object_get(body, "id"));
    assert_null(json_object_get(body, "owner"));
    assert_null(json_object_get(body, "os_hash_value"));
    tags = ec2gw_test_get_tags(h, id);
    assert_true(ec2gw_test_json_equal(h, tags, "[{\"Key\": \"a\", \"Value\": \"b\"}]"));
    json_decref(tags);
    json_decref(m);
    /* encryption, other regions, bad ids: refused before any call */
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"copy2\", \"Encrypted\": true}",
                 "InvalidParameterValue");
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"copy2\", \"KmsKeyId\": \"alias/x\"}",
                 "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "KmsKeyId"));
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionTwo\", "
                 "\"Name\": \"copy2\"}",
                 "InvalidParameterValue");
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-zz\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"copy2\"}",
                 "InvalidAMIID.Malformed");
    expect_error(h, "CopyImage", "{\"SourceImageId\": \"ami-0000aaaa\", \"Name\": \"copy2\"}",
                 "MissingParameter");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

#define SRC_FILE "/v2/images/" UUID_PRIVATE "/file"
#define NEW_FILE "/v2/images/" NEW_UUID "/file"
#define BYTES    "not really a disk image\n"

static void
expect_copy_start(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=1&owner=" ME "&name=*", 200,
                      "{\"images\": []}");
    ec2gw_test_expect(h, "POST", "image", "/v2/images", 201, CREATED);
}

/* An image with data: a new image, then its data streamed by os_transfer (GET → PUT). */
static void
copy_data(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *body, *put;
    json_t *m;

    (void)state;
    expect_copy_start(h);
    ec2gw_test_expect(h, "GET", "image", SRC_FILE, 200, BYTES);
    ec2gw_test_expect(h, "PUT", "image", NEW_FILE, 204, NULL);
    m = ec2gw_test_action(h, "CopyImage",
                          "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                          "\"Name\": \"copy-data\", \"Description\": \"my copy\", "
                          "\"Encrypted\": false, \"ClientToken\": \"t2\"}");
    assert_non_null(m);
    assert_int_equal(strncmp(json_string_value(json_object_get(m, "ImageId")), "ami-", 4), 0);
    assert_string_not_equal(json_string_value(json_object_get(m, "ImageId")), "ami-0000aaaa");
    json_decref(m);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 5);
    body = json_object_get(call_at(h, 2), "body");
    assert_string_equal(json_string_value(json_object_get(body, "name")), "copy-data");
    assert_string_equal(json_string_value(json_object_get(body, "description")), "my copy");
    assert_string_equal(json_string_value(json_object_get(body, "disk_format")), "raw");
    assert_string_equal(json_string_value(json_object_get(body, "container_format")), "bare");
    assert_string_equal(json_string_value(json_object_get(body, "architecture")), "x86_64");
    assert_string_equal(json_string_value(json_object_get(body, "kernel_id")), UUID_KERNEL);
    assert_string_equal(json_string_value(json_object_get(body, "source_image_id")),
                        "ami-0000aaaa");
    assert_null(json_object_get(body, "checksum"));
    assert_null(json_object_get(body, "size"));
    assert_string_equal(json_string_value(json_object_get(call_at(h, 3), "path")), SRC_FILE);
    put = call_at(h, 4);
    assert_string_equal(json_string_value(json_object_get(put, "method")), "PUT");
    assert_string_equal(json_string_value(json_object_get(put, "path")), NEW_FILE);
    assert_string_equal(json_string_value(json_object_get(put, "body")), BYTES); /* moved */
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* The download or the upload fails: the half-made copy is deleted, a clear error answered. */
static void
copy_data_fails(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *calls;
    size_t n;

    (void)state;
    /* the source's data is gone (404): no upload; InvalidAMIID.NotFound */
    expect_copy_start(h);
    ec2gw_test_expect(h, "GET", "image", SRC_FILE, 404, "not_found.html");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" NEW_UUID, 204, NULL);
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"c1\"}",
                 "InvalidAMIID.NotFound");
    calls = ec2gw_test_calls(h);
    n = json_array_size(calls);
    assert_string_equal(json_string_value(json_object_get(call_at(h, n - 2), "path")), SRC_FILE);
    assert_string_equal(json_string_value(json_object_get(call_at(h, n - 1), "method")), "DELETE");
    /* Glance fails the upload (500): deleted, InternalError */
    expect_copy_start(h);
    ec2gw_test_expect(h, "GET", "image", SRC_FILE, 200, BYTES);
    ec2gw_test_expect(h, "PUT", "image", NEW_FILE, 500, "500 Internal Server Error\n\nboom\n");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" NEW_UUID, 204, NULL);
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"c2\"}",
                 "InternalError");
    assert_int_equal(ec2gw_test_last_status(h), 500);
    assert_string_equal(json_string_value(json_object_get(call_at(h, n + 4), "method")), "PUT");
    assert_string_equal(json_string_value(json_object_get(call_at(h, n + 5), "method")), "DELETE");
    /* the upload is refused for its size (413 quota): deleted, ResourceLimitExceeded */
    expect_copy_start(h);
    ec2gw_test_expect(h, "GET", "image", SRC_FILE, 200, BYTES);
    ec2gw_test_expect(h, "PUT", "image", NEW_FILE, 413,
                      "413 Request Entity Too Large\n\nDenying attempt to upload image because "
                      "it exceeds the quota: image_size_total\n");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" NEW_UUID, 204, NULL);
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"c3\"}",
                 "ResourceLimitExceeded");
    /* a source that is not active is not copied */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200,
                      "{\"id\": \"" UUID_PRIVATE "\", \"status\": \"queued\", \"owner\": \"" ME
                      "\", \"disk_format\": \"raw\", \"container_format\": \"bare\", "
                      "\"size\": null}");
    expect_error(h, "CopyImage",
                 "{\"SourceImageId\": \"ami-0000aaaa\", \"SourceRegion\": \"RegionOne\", "
                 "\"Name\": \"c4\"}",
                 "IncorrectState");
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_ebs),         cmocka_unit_test(register_errors_and_compensation),
        cmocka_unit_test(register_lost_answer), cmocka_unit_test(register_existing),
        cmocka_unit_test(copy_image),           cmocka_unit_test(copy_data),
        cmocka_unit_test(copy_data_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
