/*
 * test_cinder_snapshots.c - the cinder-v3 plugin's snapshot actions through the fake host,
 * with Cinder and Nova answers recorded from the all-in-one cloud (fixtures/record.py).
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include <ec2gw/testing.h>

#include "cinder_test.h"

static void
test_create_snapshot(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, "snapshot_create.json");
    m = ec2gw_test_action(h, "CreateSnapshot",
                          "{\"VolumeId\": \"" VID "\", \"Description\": \"before upgrade\", "
                          "\"TagSpecifications\": [{\"ResourceType\": \"snapshot\", \"Tags\": "
                          "[{\"Key\": \"Name\", \"Value\": \"pre\"}]}]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "SnapshotId"), SID);
    assert_string_equal(str_at(m, "VolumeId"), VID);
    assert_string_equal(str_at(m, "State"), "pending");
    assert_string_equal(str_at(m, "Progress"), "0%");
    assert_string_equal(str_at(m, "Description"), "before upgrade");
    assert_string_equal(str_at(m, "OwnerId"), "b57b507c5df448afa0855a6cbe36bf37");
    assert_string_equal(str_at(m, "Tags.0.Value"), "pre");
    assert_int_equal(json_integer_value(json_object_get(m, "VolumeSize")), 1);
    json_decref(m);
    /* in-use volumes too: force, as EBS snapshots attached volumes */
    body = json_object_get(last_call(h), "body");
    assert_true(json_is_true(at(body, "snapshot.force")));
    assert_string_equal(str_at(body, "snapshot.volume_id"), VOL);
    assert_string_equal(str_at(body, "snapshot.name"), "pre");
    /* errors */
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 413, QUOTA);
    expect_error(h, "CreateSnapshot", "{\"VolumeId\": \"" VID "\"}", "SnapshotLimitExceeded");
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 400,
                      "{\"badRequest\": {\"code\": 400, \"message\": \"Invalid volume: Volume "
                      "status must be available or in-use\"}}");
    expect_error(h, "CreateSnapshot", "{\"VolumeId\": \"" VID "\"}", "IncorrectState");
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 404, "volume_404.json");
    expect_error(h, "CreateSnapshot", "{\"VolumeId\": \"" VID "\"}", "InvalidVolume.NotFound");
    ec2gw_test_expect_timeout(h, "POST", "volumev3", "/snapshots");
    expect_error(h, "CreateSnapshot", "{\"VolumeId\": \"" VID "\"}", "Unavailable");
    expect_error(h, "CreateSnapshot", "{\"VolumeId\": \"vol-12345678\"}", "InvalidVolume.NotFound");
    expect_error(h, "CreateSnapshot",
                 "{\"VolumeId\": \"" VID "\", \"TagSpecifications\": [{\"ResourceType\": "
                 "\"volume\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}]}",
                 "InvalidParameterValue");
    expect_error(h, "CreateSnapshot", "{\"VolumeId\": \"" VID "\", \"Location\": \"local\"}",
                 "UnsupportedOperation");
    done(h);
}

static void
test_describe_snapshots(void **s)
{
    static const struct {
        const char *params;
        size_t n;
    } cases[] = {
        { "{}", 1 },
        { "{\"OwnerIds\": [\"self\"]}", 1 },
        { "{\"OwnerIds\": [\"b57b507c5df448afa0855a6cbe36bf37\"]}", 1 },
        { "{\"OwnerIds\": [\"123456789012\"]}", 0 },
        { "{\"OwnerIds\": [\"amazon\"]}", 0 },
        { "{\"RestorableByUserIds\": [\"all\"]}", 0 },
        { "{\"RestorableByUserIds\": [\"self\"]}", 1 },
        { "{\"SnapshotIds\": [\"" SID "\"]}", 1 },
        { "{\"Filters\": [{\"Name\": \"status\", \"Values\": [\"completed\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"status\", \"Values\": [\"pending\"]}]}", 0 },
        { "{\"Filters\": [{\"Name\": \"volume-id\", \"Values\": [\"" VID "\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"volume-size\", \"Values\": [\"1\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"progress\", \"Values\": [\"100%\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"description\", \"Values\": [\"before*\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"owner-id\", \"Values\": [\"b57b*\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"start-time\", \"Values\": [\"2026-12-02*\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"pre\"]}]}", 1 },
        { "{\"Filters\": [{\"Name\": \"owner-alias\", \"Values\": [\"amazon\"]}]}", 0 },
    };
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_set_tags(h, SID, "[{\"Key\": \"Name\", \"Value\": \"pre\"}]");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
        m = ec2gw_test_action(h, "DescribeSnapshots", cases[i].params);
        if (m == NULL)
            fail_msg("%s: %s", cases[i].params, ec2gw_test_last_error(h));
        if (json_array_size(json_object_get(m, "Snapshots")) != cases[i].n)
            fail_msg("%s: %zu snapshots, want %zu", cases[i].params,
                     json_array_size(json_object_get(m, "Snapshots")), cases[i].n);
        if (cases[i].n == 1) {
            assert_string_equal(str_at(m, "Snapshots.0.State"), "completed");
            assert_string_equal(str_at(m, "Snapshots.0.Progress"), "100%");
            assert_string_equal(str_at(m, "Snapshots.0.VolumeId"), VID);
            assert_string_equal(str_at(m, "Snapshots.0.StartTime"), "2026-12-02T16:23:04.000Z");
        }
        json_decref(m);
    }
    /* statuses: deleted ones are hidden, the others map to pending/completed/error */
    ec2gw_test_map_id(h, "snap-0000000d", "s2");
    ec2gw_test_map_id(h, "snap-0000000e", "s3");
    ec2gw_test_map_id(h, "snap-0000000f", "s4");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200,
                      "{\"snapshots\": [{\"id\": \"" SNAP "\", \"status\": \"creating\"}, "
                      "{\"id\": \"s2\", \"status\": \"error_deleting\"}, {\"id\": \"s3\", "
                      "\"status\": \"deleting\"}, {\"id\": \"s4\", \"status\": \"deleted\"}]}");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 3);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "pending");
    assert_string_equal(str_at(m, "Snapshots.0.Progress"), "0%");
    assert_string_equal(str_at(m, "Snapshots.1.State"), "error");
    assert_string_equal(str_at(m, "Snapshots.2.State"), "pending");
    json_decref(m);
    /* the next page of Cinder's list is followed */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200,
                      "{\"snapshots\": [{\"id\": \"s2\", \"status\": \"available\"}], "
                      "\"snapshots_links\": [{\"rel\": \"next\", \"href\": \"x\"}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail?marker=s2", 200, "snapshots.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 2);
    json_decref(m);
    /* unknown, malformed, Cinder failing */
    ec2gw_test_map_id(h, "snap-00000010", "gone");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    expect_error(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-00000010\"]}",
                 "InvalidSnapshot.NotFound");
    expect_error(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-12345678\"]}",
                 "InvalidSnapshot.NotFound");
    expect_error(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"vol-12345678\"]}",
                 "InvalidSnapshotID.Malformed");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 503, "{}");
    expect_error(h, "DescribeSnapshots", "{}", "Unavailable");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    expect_error(h, "DescribeSnapshots",
                 "{\"Filters\": [{\"Name\": \"nope\", \"Values\": [\"x\"]}]}",
                 "InvalidParameterValue");
    done(h);
}

static void
test_delete_snapshot(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" SNAP, 202, NULL);
    m = ec2gw_test_action(h, "DeleteSnapshot", "{\"SnapshotId\": \"" SID "\"}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" SNAP, 404,
                      "{\"itemNotFound\": {\"code\": 404, \"message\": \"Snapshot could not be "
                      "found.\"}}");
    expect_error(h, "DeleteSnapshot", "{\"SnapshotId\": \"" SID "\"}", "InvalidSnapshot.NotFound");
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" SNAP, 400,
                      "{\"badRequest\": {\"code\": 400, \"message\": \"Invalid snapshot: "
                      "Snapshot status must be available or error\"}}");
    expect_error(h, "DeleteSnapshot", "{\"SnapshotId\": \"" SID "\"}", "IncorrectState");
    expect_error(h, "DeleteSnapshot", "{\"SnapshotId\": \"snap-12345678\"}",
                 "InvalidSnapshot.NotFound");
    done(h);
}

static void
test_snapshot_attributes(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *snap = "{\"snapshot\": {\"id\": \"" SNAP "\", \"status\": \"available\"}}";
    size_t before;
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, snap);
    m = ec2gw_test_action(h, "DescribeSnapshotAttribute",
                          "{\"SnapshotId\": \"" SID "\", \"Attribute\": "
                          "\"createVolumePermission\"}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "CreateVolumePermissions")), 0);
    assert_string_equal(str_at(m, "SnapshotId"), SID);
    json_decref(m);
    /* Cinder cannot share snapshots: adding is refused before anything changes */
    before = ncalls(h);
    expect_error(h, "ModifySnapshotAttribute",
                 "{\"SnapshotId\": \"" SID "\", \"Attribute\": \"createVolumePermission\", "
                 "\"OperationType\": \"add\", \"UserIds\": [\"123456789012\"]}",
                 "UnsupportedOperation");
    expect_error(h, "ModifySnapshotAttribute",
                 "{\"SnapshotId\": \"" SID "\", \"CreateVolumePermission\": {\"Add\": "
                 "[{\"Group\": \"all\"}]}}",
                 "UnsupportedOperation");
    assert_int_equal(ncalls(h), before);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, snap);
    m = ec2gw_test_action(h, "ModifySnapshotAttribute",
                          "{\"SnapshotId\": \"" SID "\", \"CreateVolumePermission\": {\"Remove\": "
                          "[{\"UserId\": \"123456789012\"}]}}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, snap);
    m = ec2gw_test_action(h, "ResetSnapshotAttribute",
                          "{\"SnapshotId\": \"" SID "\", \"Attribute\": "
                          "\"createVolumePermission\"}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 404, "{}");
    expect_error(h, "DescribeSnapshotAttribute",
                 "{\"SnapshotId\": \"" SID "\", \"Attribute\": \"productCodes\"}",
                 "InvalidSnapshot.NotFound");
    /* CopySnapshot (test_cinder_copy.c) only within the region */
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"us-east-1\"}",
                 "UnsupportedOperation");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"snap-12345678\", \"SourceRegion\": \"RegionOne\"}",
                 "InvalidSnapshot.NotFound");
    done(h);
}

static void
test_create_snapshots(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "server_attachments.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, "snapshot_create.json");
    m = ec2gw_test_action(h, "CreateSnapshots",
                          "{\"InstanceSpecification\": {\"InstanceId\": \"" IID "\"}, "
                          "\"Description\": \"all\"}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    assert_string_equal(str_at(m, "Snapshots.0.SnapshotId"), SID);
    assert_string_equal(str_at(m, "Snapshots.0.VolumeId"), VID);
    json_decref(m);
    /* excluded data volume: nothing to snapshot */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "server_attachments.json");
    m = ec2gw_test_action(h, "CreateSnapshots",
                          "{\"InstanceSpecification\": {\"InstanceId\": \"" IID
                          "\", \"ExcludeDataVolumeIds\": [\"" VID "\"]}}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 0);
    json_decref(m);
    /* one of two fails (quota): the one made is deleted again, nothing half-made */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "{\"volumeAttachments\": [{\"volumeId\": \"" VOL
                      "\", \"device\": \"/dev/vdb\"}, {\"volumeId\": \"v2\", \"device\": "
                      "\"/dev/vdc\"}]}");
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, "snapshot_create.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 413, QUOTA);
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" SNAP, 202, NULL);
    expect_error(h, "CreateSnapshots", "{\"InstanceSpecification\": {\"InstanceId\": \"" IID "\"}}",
                 "SnapshotLimitExceeded");
    expect_error(h, "CreateSnapshots",
                 "{\"InstanceSpecification\": {\"InstanceId\": \"i-1234abcd\"}}",
                 "InvalidInstanceID.NotFound");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 404, "{}");
    expect_error(h, "CreateSnapshots", "{\"InstanceSpecification\": {\"InstanceId\": \"" IID "\"}}",
                 "InvalidInstanceID.NotFound");
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_snapshot),  cmocka_unit_test(test_describe_snapshots),
        cmocka_unit_test(test_delete_snapshot),  cmocka_unit_test(test_snapshot_attributes),
        cmocka_unit_test(test_create_snapshots),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
