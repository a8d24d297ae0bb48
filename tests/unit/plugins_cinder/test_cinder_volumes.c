/*
 * test_cinder_volumes.c - the cinder-v3 plugin's volume actions through the fake host, with
 * Cinder and Nova answers recorded from the all-in-one cloud (fixtures/record.py).
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
test_create_volume(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body;
    json_t *m, *tags;
    char vid[32];

    (void)s;
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 1, \"AvailabilityZone\": \"nova\", \"ClientToken\": "
                          "\"tok-1\", \"TagSpecifications\": [{\"ResourceType\": \"volume\", "
                          "\"Tags\": [{\"Key\": \"Name\", \"Value\": \"fixture\"}]}]}");
    assert_non_null(m);
    /* the recorded volume is the one mapped as VID */
    assert_string_equal(str_at(m, "VolumeId"), VID);
    assert_string_equal(str_at(m, "State"), "creating");
    assert_string_equal(str_at(m, "VolumeType"), "fake");
    assert_string_equal(str_at(m, "AvailabilityZone"), "nova");
    assert_string_equal(str_at(m, "CreateTime"), "2026-12-02T16:22:45.000Z");
    assert_int_equal(json_integer_value(json_object_get(m, "Size")), 1);
    assert_string_equal(str_at(m, "Tags.0.Value"), "fixture");
    snprintf(vid, sizeof(vid), "%s", str_at(m, "VolumeId"));
    json_decref(m);
    body = json_object_get(last_call(h), "body");
    assert_string_equal(str_at(body, "volume.metadata.ec2_client_token"), "tok-1");
    assert_string_equal(str_at(body, "volume.name"), "fixture");
    assert_string_equal(str_at(body, "volume.availability_zone"), "nova");
    tags = ec2gw_test_get_tags(h, vid);
    assert_int_equal(json_array_size(tags), 1);
    json_decref(tags);
    /* the client-token filter reads the token back from Cinder's metadata */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, "volumes_in_use.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "server_attachments.json");
    m = ec2gw_test_action(h, "DescribeVolumes",
                          "{\"Filters\": [{\"Name\": \"client-token\", \"Values\": [\"tok-1\"]}]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), 1);
    json_decref(m);
    /* a volume from a snapshot: the snapshot's uuid goes to Cinder, its snap- id comes back */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_from_snapshot.json");
    m = ec2gw_test_action(h, "CreateVolume", "{\"SnapshotId\": \"" SID "\"}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "SnapshotId"), SID);
    assert_string_equal(str_at(json_object_get(last_call(h), "body"), "volume.snapshot_id"), SNAP);
    assert_null(
        json_object_get(json_object_get(json_object_get(last_call(h), "body"), "volume"), "size"));
    json_decref(m);
    done(h);
}

static void
test_create_volume_errors(void **s)
{
    static const struct {
        const char *params, *code;
    } bad[] = {
        { "{\"Size\": 0}", "InvalidParameterValue" },
        { "{\"Size\": 20000}", "InvalidParameterValue" },
        { "{}", "MissingParameter" },
        { "{\"Size\": 1, \"Iops\": 3000}", "UnsupportedOperation" },
        { "{\"Size\": 1, \"Throughput\": 125}", "UnsupportedOperation" },
        { "{\"Size\": 1, \"Encrypted\": true}", "UnsupportedOperation" },
        { "{\"Size\": 1, \"KmsKeyId\": \"k\"}", "UnsupportedOperation" },
        { "{\"Size\": 1, \"MultiAttachEnabled\": true}", "UnsupportedOperation" },
        { "{\"SnapshotId\": \"snap-12345678\"}", "InvalidSnapshot.NotFound" },
        { "{\"SnapshotId\": \"vol-12345678\"}", "InvalidSnapshotID.Malformed" },
        { "{\"Size\": 1, \"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": "
          "[{\"Key\": \"a\", \"Value\": \"b\"}]}]}",
          "InvalidParameterValue" },
    };
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    /* refused before anything is asked of Cinder: nothing half-made */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(h, "CreateVolume", bad[i].params, bad[i].code);
    assert_int_equal(ncalls(h), 0);
    /* Encrypted=false is what EBS does without encryption: fine */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create.json");
    m = ec2gw_test_action(h, "CreateVolume", "{\"Size\": 1, \"Encrypted\": false}");
    assert_non_null(m);
    json_decref(m);
    /* Cinder's own refusals, recorded */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 404, "create_type_404.json");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"gp3\"}",
                 "InvalidParameterValue");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "gp3"));
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 400, "create_zone_400.json");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"AvailabilityZone\": \"mars\"}",
                 "InvalidZone.NotFound");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 413, QUOTA);
    expect_error(h, "CreateVolume", "{\"Size\": 1}", "VolumeLimitExceeded");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 500, "{}");
    expect_error(h, "CreateVolume", "{\"Size\": 1}", "InternalError");
    ec2gw_test_expect_timeout(h, "POST", "volumev3", "/volumes");
    expect_error(h, "CreateVolume", "{\"Size\": 1}", "Unavailable");
    done(h);
}

/* The volume list, then (@p attachments) the attachments of the one server SRV. */
static void
expect_list(ec2gw_test_host_t *h, const char *volumes, const char *attachments)
{
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, volumes);
    if (attachments != NULL)
        ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                          attachments);
}

static void
test_describe_volumes(void **s)
{
    static const struct {
        const char *filter, *value;
        size_t n;
    } filters[] = {
        { "attachment.instance-id", IID, 1 },
        { "attachment.instance-id", "i-99999999", 0 },
        { "attachment.device", "/dev/sdf", 1 },
        { "attachment.status", "attached", 1 },
        { "attachment.delete-on-termination", "false", 1 },
        { "attachment.attach-time", "2026-12-02T16:23:01*", 1 },
        { "status", "in-use", 1 },
        { "status", "available", 0 },
        { "size", "1", 1 },
        { "volume-type", "fake", 1 },
        { "availability-zone", "nova", 1 },
        { "encrypted", "false", 1 },
        { "multi-attach-enabled", "false", 1 },
        { "volume-id", VID, 1 },
        { "create-time", "2026-12-02T16:22:45*", 1 },
        { "tag:Name", "data", 1 },
        { "tag-key", "nope", 0 },
    };
    ec2gw_test_host_t *h = host();
    const json_t *v;
    json_t *m;
    char params[256];

    (void)s;
    ec2gw_test_set_tags(h, VID, "[{\"Key\": \"Name\", \"Value\": \"data\"}]");
    expect_list(h, "volumes_in_use.json", "server_attachments.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    v = at(m, "Volumes.0");
    assert_string_equal(str_at(v, "VolumeId"), VID);
    assert_string_equal(str_at(v, "State"), "in-use");
    assert_string_equal(str_at(v, "Tags.0.Value"), "data");
    assert_string_equal(str_at(v, "Attachments.0.InstanceId"), IID);
    assert_string_equal(str_at(v, "Attachments.0.Device"), "/dev/sdf");
    assert_string_equal(str_at(v, "Attachments.0.State"), "attached");
    assert_string_equal(str_at(v, "Attachments.0.VolumeId"), VID);
    assert_string_equal(str_at(v, "Attachments.0.AttachTime"), "2026-12-02T16:23:01.000Z");
    assert_true(json_is_false(at(v, "Attachments.0.DeleteOnTermination")));
    json_decref(m);
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        snprintf(params, sizeof(params),
                 "{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}", filters[i].filter,
                 filters[i].value);
        expect_list(h, "volumes_in_use.json", "server_attachments.json");
        m = ec2gw_test_action(h, "DescribeVolumes", params);
        assert_non_null(m);
        if (json_array_size(json_object_get(m, "Volumes")) != filters[i].n)
            fail_msg("filter %s=%s: %zu volumes", filters[i].filter, filters[i].value,
                     json_array_size(json_object_get(m, "Volumes")));
        json_decref(m);
    }
    expect_list(h, "volumes_in_use.json", "server_attachments.json");
    expect_error(h, "DescribeVolumes", "{\"Filters\": [{\"Name\": \"iops\", \"Values\": [\"1\"]}]}",
                 "InvalidParameterValue");
    /* one id: one GET of that volume */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "server_attachments.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), 1);
    json_decref(m);
    /* Nova failing still shows Cinder's attachments */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 500, "{}");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Volumes.0.Attachments.0.InstanceId"), IID);
    json_decref(m);
    /* unknown (recorded 404), unmapped, malformed, Cinder failing */
    ec2gw_test_map_id(h, "vol-0000000d", "00000000-0000-0000-0000-000000000000");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/00000000-*", 404, "volume_404.json");
    expect_error(h, "DescribeVolumes", "{\"VolumeIds\": [\"vol-0000000d\"]}",
                 "InvalidVolume.NotFound");
    expect_list(h, "volumes_in_use.json", "server_attachments.json");
    expect_error(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\", \"vol-0000000d\"]}",
                 "InvalidVolume.NotFound");
    expect_error(h, "DescribeVolumes", "{\"VolumeIds\": [\"vol-12345678\"]}",
                 "InvalidVolume.NotFound");
    expect_error(h, "DescribeVolumes", "{\"VolumeIds\": [\"i-12345678\"]}",
                 "InvalidVolumeID.Malformed");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 500, "{}");
    expect_error(h, "DescribeVolumes", "{}", "InternalError");
    ec2gw_test_expect_timeout(h, "GET", "volumev3", "/volumes/detail");
    expect_error(h, "DescribeVolumes", "{}", "Unavailable");
    done(h);
}

/* Attaching: Cinder says reserved with no attachment yet, Nova already lists the volume. */
static void
test_describe_attach_race(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_attaching.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail", 200, "servers_attaching.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Volumes.0.State"), "in-use");
    assert_string_equal(str_at(m, "Volumes.0.Attachments.0.State"), "attaching");
    assert_string_equal(str_at(m, "Volumes.0.Attachments.0.InstanceId"), IID);
    json_decref(m);
    /* detaching: the attachment is still listed, as detaching */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_detaching.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "server_attachments.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Volumes.0.State"), "in-use");
    assert_string_equal(str_at(m, "Volumes.0.Attachments.0.State"), "detaching");
    json_decref(m);
    done(h);
}

/* A multi-attach volume shows every attachment, each with its own instance and device. */
static void
test_multi_attach(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_map_id(h, "i-0000000e", "srv-2");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"in-use\", \"size\": 2, "
                      "\"multiattach\": true, \"availability_zone\": \"nova\", \"attachments\": ["
                      "{\"server_id\": \"" SRV "\", \"device\": \"/dev/vdb\", \"attached_at\": "
                      "\"2026-12-02T16:23:01.000000\"}, {\"server_id\": \"srv-2\", \"device\": "
                      "\"/dev/vdc\"}]}]}");
    /* each server's attachments, together; delete-on-termination from Nova */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "server_attachments.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/srv-2/os-volume_attachments", 200,
                      "{\"volumeAttachments\": [{\"volumeId\": \"" VOL
                      "\", \"delete_on_termination\": true}]}");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(at(m, "Volumes.0.Attachments")), 2);
    assert_string_equal(str_at(m, "Volumes.0.Attachments.0.InstanceId"), IID);
    assert_string_equal(str_at(m, "Volumes.0.Attachments.1.InstanceId"), "i-0000000e");
    assert_string_equal(str_at(m, "Volumes.0.Attachments.1.Device"), "/dev/vdc");
    assert_true(json_is_true(at(m, "Volumes.0.Attachments.1.DeleteOnTermination")));
    assert_true(json_is_true(at(m, "Volumes.0.MultiAttachEnabled")));
    json_decref(m);
    done(h);
}

/* Cinder answers at most osapi_max_limit volumes a call: the next pages are followed. */
static void
test_cinder_pages(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_map_id(h, "vol-00000011", "v-page2");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"available\", "
                      "\"size\": 1}], \"volumes_links\": [{\"rel\": \"next\", \"href\": "
                      "\"http://x/v3/p/volumes/detail?limit=1&marker=" VOL "\"}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail?marker=" VOL, 200,
                      "{\"volumes\": [{\"id\": \"v-page2\", \"status\": \"available\", "
                      "\"size\": 2}]}");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), 2);
    assert_string_equal(str_at(m, "Volumes.1.VolumeId"), "vol-00000011");
    json_decref(m);
    /* a failing next page fails the request (no silently short list) */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"available\"}], "
                      "\"volumes_links\": [{\"rel\": \"next\", \"href\": \"x\"}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail?marker=" VOL, 500, "{}");
    expect_error(h, "DescribeVolumes", "{}", "InternalError");
    done(h);
}

/* Every Cinder status lands on one of EC2's six volume states. */
static void
test_status_mapping(void **s)
{
    static const char *const map[][2] = {
        { "creating", "creating" },     { "available", "available" },
        { "in-use", "in-use" },         { "deleting", "deleting" },
        { "error", "error" },           { "error_deleting", "error" },
        { "error_extending", "error" }, { "error_restoring", "error" },
        { "extending", "available" },   { "retyping", "available" },
        { "maintenance", "available" }, { "downloading", "creating" },
        { "reserved", "in-use" },       { "attaching", "in-use" },
        { "detaching", "in-use" },      { "awaiting-transfer", "available" },
        { "backing-up", "available" },  { "restoring-backup", "creating" },
        { "uploading", "available" },   { "some-new-status", "error" },
    };
    ec2gw_test_host_t *h = host();
    json_t *m;
    char list[256];

    (void)s;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        snprintf(list, sizeof(list),
                 "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"%s\", \"size\": 1}]}",
                 map[i][0]);
        expect_list(h, list, NULL);
        /* being attached: Cinder does not name the server yet, so Nova's list is read */
        if (strcmp(map[i][0], "reserved") == 0 || strcmp(map[i][0], "attaching") == 0)
            ec2gw_test_expect(h, "GET", "compute", "/servers/detail", 200, "{\"servers\": []}");
        m = ec2gw_test_action(h, "DescribeVolumes", "{}");
        assert_non_null(m);
        if (strcmp(str_at(m, "Volumes.0.State"), map[i][1]) != 0)
            fail_msg("Cinder %s → %s, want %s", map[i][0], str_at(m, "Volumes.0.State"), map[i][1]);
        json_decref(m);
    }
    done(h);
}

static void
test_volume_status(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_map_id(h, "vol-0000000f", "bad-uuid");
    expect_list(h,
                "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"available\", \"size\": 1, "
                "\"availability_zone\": \"nova\"}, {\"id\": \"bad-uuid\", \"status\": "
                "\"error\", \"size\": 1, \"availability_zone\": \"nova\"}]}",
                NULL);
    m = ec2gw_test_action(h, "DescribeVolumeStatus", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "VolumeStatuses")), 2);
    assert_string_equal(str_at(m, "VolumeStatuses.0.VolumeStatus.Status"), "ok");
    assert_string_equal(str_at(m, "VolumeStatuses.0.VolumeStatus.Details.0.Status"), "passed");
    assert_string_equal(str_at(m, "VolumeStatuses.1.VolumeStatus.Status"), "impaired");
    json_decref(m);
    expect_list(h, "volumes_in_use.json", NULL);
    m = ec2gw_test_action(h, "DescribeVolumeStatus",
                          "{\"Filters\": [{\"Name\": \"volume-status.status\", \"Values\": "
                          "[\"impaired\"]}]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "VolumeStatuses")), 0);
    json_decref(m);
    done(h);
}

static void
expect_attach_reads(ec2gw_test_host_t *h, const char *volume, const char *server)
{
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, volume);
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200, server);
}

static void
test_attach_volume(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *params =
        "{\"VolumeId\": \"" VID "\", \"InstanceId\": \"" IID "\", \"Device\": \"/dev/sdf\"}";
    json_t *m;

    (void)s;
    expect_attach_reads(h, "volume_available.json", "server.json");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/os-volume_attachments", 200,
                      "attach.json");
    m = ec2gw_test_action(h, "AttachVolume", params);
    assert_non_null(m);
    assert_string_equal(str_at(m, "State"), "attaching");
    assert_string_equal(str_at(m, "Device"), "/dev/sdf");
    assert_string_equal(str_at(m, "InstanceId"), IID);
    assert_string_equal(str_at(m, "VolumeId"), VID);
    json_decref(m);
    assert_string_equal(str_at(json_object_get(last_call(h), "body"), "volumeAttachment.device"),
                        "/dev/vdf");
    assert_string_equal(str_at(last_call(h), "microversion"), "2.79");
    /* the device shows as the caller named it even where Nova names it otherwise */
    expect_list(h,
                "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"in-use\", \"size\": 1, "
                "\"attachments\": [{\"server_id\": \"" SRV "\", \"device\": \"/dev/vdf\"}]}]}",
                "server_attachments.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Volumes.0.Attachments.0.Device"), "/dev/sdf");
    json_decref(m);
    /* refusals before Nova is asked: nothing half-made */
    expect_error(h, "AttachVolume",
                 "{\"VolumeId\": \"" VID "\", \"InstanceId\": \"" IID "\", \"Device\": \"/x/y\"}",
                 "InvalidParameterValue");
    expect_error(h, "AttachVolume", "{\"VolumeId\": \"" VID "\", \"InstanceId\": \"" IID "\"}",
                 "MissingParameter");
    expect_error(h, "AttachVolume",
                 "{\"VolumeId\": \"" VID "\", \"InstanceId\": \"i-12345678\", \"Device\": "
                 "\"/dev/sdf\"}",
                 "InvalidInstanceID.NotFound");
    expect_attach_reads(h, "volume_in_use.json", "server.json");
    expect_error(h, "AttachVolume", params, "VolumeInUse");
    expect_attach_reads(h, "volume_attaching.json", "server.json");
    expect_error(h, "AttachVolume", params, "VolumeInUse");
    expect_attach_reads(h, "volume_available.json",
                        "{\"server\": {\"id\": \"" SRV "\", \"status\": \"ACTIVE\", "
                        "\"OS-EXT-AZ:availability_zone\": \"other\"}}");
    expect_error(h, "AttachVolume", params, "InvalidVolume.ZoneMismatch");
    expect_attach_reads(h, "volume_available.json",
                        "{\"server\": {\"id\": \"" SRV "\", \"status\": \"DELETED\", "
                        "\"OS-EXT-STS:vm_state\": \"deleted\"}}");
    expect_error(h, "AttachVolume", params, "IncorrectInstanceState");
    expect_attach_reads(h, "{\"volume\": {\"id\": \"" VOL "\", \"status\": \"error\"}}",
                        "server.json");
    expect_error(h, "AttachVolume", params, "IncorrectState");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 404, "{}");
    expect_error(h, "AttachVolume", params, "InvalidInstanceID.NotFound");
    /* Nova's own refusals */
    expect_attach_reads(h, "volume_available.json", "server.json");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/os-volume_attachments", 409,
                      "{\"conflictingRequest\": {\"message\": \"locked\"}}");
    expect_error(h, "AttachVolume", params, "IncorrectInstanceState");
    done(h);
}

static void
test_detach_volume(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/" SRV "/os-volume_attachments/" VOL, 202,
                      NULL);
    m = ec2gw_test_action(h, "DetachVolume", "{\"VolumeId\": \"" VID "\"}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "State"), "detaching");
    assert_string_equal(str_at(m, "InstanceId"), IID);
    assert_string_equal(str_at(m, "Device"), "/dev/sdf");
    json_decref(m);
    /* instance and device checked against the attachment (vdf and sdf are the same disk) */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/" SRV "/os-volume_attachments/" VOL, 202,
                      NULL);
    m = ec2gw_test_action(h, "DetachVolume",
                          "{\"VolumeId\": \"" VID "\", \"InstanceId\": \"" IID
                          "\", \"Device\": \"/dev/xvdf\"}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_map_id(h, "i-0000000e", "srv-2");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    expect_error(h, "DetachVolume", "{\"VolumeId\": \"" VID "\", \"InstanceId\": \"i-0000000e\"}",
                 "InvalidAttachment.NotFound");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    expect_error(h, "DetachVolume", "{\"VolumeId\": \"" VID "\", \"Device\": \"/dev/sdg\"}",
                 "InvalidAttachment.NotFound");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    expect_error(h, "DetachVolume", "{\"VolumeId\": \"" VID "\"}", "IncorrectState");
    /* Force on a server Nova lost: Cinder's force-detach, as the service */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/" SRV "/os-volume_attachments/" VOL, 404,
                      "{}");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes/" VOL "/action", 202, NULL);
    m = ec2gw_test_action(h, "DetachVolume", "{\"VolumeId\": \"" VID "\", \"Force\": true}");
    assert_non_null(m);
    json_decref(m);
    assert_non_null(at(json_object_get(last_call(h), "body"), "os-force_detach.attachment_id"));
    assert_int_equal(json_integer_value(json_object_get(last_call(h), "flags")) & 2, 2);
    /* without Force the lost server is an error */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/" SRV "/os-volume_attachments/" VOL, 404,
                      "{}");
    expect_error(h, "DetachVolume", "{\"VolumeId\": \"" VID "\"}", "InvalidAttachment.NotFound");
    done(h);
}

static void
test_delete_volume(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots?volume_id=" VOL, 200,
                      "{\"snapshots\": []}");
    expect_error(h, "DeleteVolume", "{\"VolumeId\": \"" VID "\"}", "VolumeInUse");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots?volume_id=" VOL, 200, "snapshots.json");
    expect_error(h, "DeleteVolume", "{\"VolumeId\": \"" VID "\"}", "IncorrectState");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 404, "volume_404.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots?volume_id=" VOL, 200,
                      "{\"snapshots\": []}");
    expect_error(h, "DeleteVolume", "{\"VolumeId\": \"" VID "\"}", "InvalidVolume.NotFound");
    /* Cinder refusing anyway (recorded 400) */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots?volume_id=" VOL, 200,
                      "{\"snapshots\": []}");
    ec2gw_test_expect(h, "DELETE", "volumev3", "/volumes/" VOL, 400, "delete_in_use_400.json");
    expect_error(h, "DeleteVolume", "{\"VolumeId\": \"" VID "\"}", "IncorrectState");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots?volume_id=" VOL, 200,
                      "{\"snapshots\": []}");
    ec2gw_test_expect(h, "DELETE", "volumev3", "/volumes/" VOL, 202, NULL);
    m = ec2gw_test_action(h, "DeleteVolume", "{\"VolumeId\": \"" VID "\"}");
    assert_non_null(m);
    assert_true(json_is_true(json_object_get(m, "Return")));
    json_decref(m);
    expect_error(h, "DeleteVolume", "{}", "MissingParameter");
    done(h);
}

static void
test_modify_volume(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes/" VOL "/action", 202, NULL);
    m = ec2gw_test_action(h, "ModifyVolume", "{\"VolumeId\": \"" VID "\", \"Size\": 2}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "VolumeModification.ModificationState"), "modifying");
    assert_int_equal(json_integer_value(at(m, "VolumeModification.TargetSize")), 2);
    assert_int_equal(json_integer_value(at(m, "VolumeModification.OriginalSize")), 1);
    json_decref(m);
    assert_int_equal(
        json_integer_value(at(json_object_get(last_call(h), "body"), "os-extend.new_size")), 2);
    /* the recorded fake driver cannot extend: error_extending → failed */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"error_extending\", "
                      "\"size\": 1, \"volume_type\": \"fake\"}]}");
    m = ec2gw_test_action(h, "DescribeVolumesModifications", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "VolumesModifications.0.ModificationState"), "failed");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      "{\"volumes\": [{\"id\": \"" VOL "\", \"status\": \"available\", "
                      "\"size\": 2, \"volume_type\": \"fake\"}]}");
    m = ec2gw_test_action(h, "DescribeVolumesModifications",
                          "{\"Filters\": [{\"Name\": \"modification-state\", \"Values\": "
                          "[\"completed\"]}]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "VolumesModifications")), 1);
    json_decref(m);
    /* retype */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes/" VOL "/action", 202, NULL);
    m = ec2gw_test_action(h, "ModifyVolume",
                          "{\"VolumeId\": \"" VID "\", \"VolumeType\": \"fast\"}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "VolumeModification.TargetVolumeType"), "fast");
    assert_string_equal(str_at(m, "VolumeModification.OriginalVolumeType"), "fake");
    json_decref(m);
    assert_string_equal(str_at(json_object_get(last_call(h), "body"), "os-retype.new_type"),
                        "fast");
    /* refusals */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    expect_error(h, "ModifyVolume", "{\"VolumeId\": \"" VID "\", \"Size\": 1}",
                 "InvalidParameterValue");
    expect_error(h, "ModifyVolume", "{\"VolumeId\": \"" VID "\", \"Iops\": 100}",
                 "UnsupportedOperation");
    expect_error(h, "ModifyVolume", "{\"VolumeId\": \"" VID "\"}", "MissingParameter");
    expect_error(h, "ModifyVolume",
                 "{\"VolumeId\": \"" VID "\", \"Size\": 3, \"VolumeType\": \"fast\"}",
                 "InvalidParameterCombination");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200,
                      "{\"volume\": {\"id\": \"" VOL "\", \"status\": \"creating\", \"size\": 1}}");
    expect_error(h, "ModifyVolume", "{\"VolumeId\": \"" VID "\", \"Size\": 3}",
                 "IncorrectModificationState");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, "{\"volumes\": []}");
    expect_error(h, "DescribeVolumesModifications", "{\"VolumeIds\": [\"" VID "\"]}",
                 "InvalidVolumeModification.NotFound");
    done(h);
}

static void
test_volume_attribute(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    m = ec2gw_test_action(h, "DescribeVolumeAttribute",
                          "{\"VolumeId\": \"" VID "\", \"Attribute\": \"autoEnableIO\"}");
    assert_non_null(m);
    assert_true(json_is_false(at(m, "AutoEnableIO.Value")));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    m = ec2gw_test_action(h, "ModifyVolumeAttribute",
                          "{\"VolumeId\": \"" VID "\", \"AutoEnableIO\": {\"Value\": true}}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    m = ec2gw_test_action(h, "DescribeVolumeAttribute",
                          "{\"VolumeId\": \"" VID "\", \"Attribute\": \"autoEnableIO\"}");
    assert_non_null(m);
    assert_true(json_is_true(at(m, "AutoEnableIO.Value")));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    m = ec2gw_test_action(h, "DescribeVolumeAttribute",
                          "{\"VolumeId\": \"" VID "\", \"Attribute\": \"productCodes\"}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "ProductCodes")), 0);
    json_decref(m);
    expect_error(h, "DescribeVolumeAttribute",
                 "{\"VolumeId\": \"" VID "\", \"Attribute\": \"size\"}", "InvalidParameterValue");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 404, "volume_404.json");
    expect_error(h, "ModifyVolumeAttribute",
                 "{\"VolumeId\": \"" VID "\", \"AutoEnableIO\": {\"Value\": true}}",
                 "InvalidVolume.NotFound");
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_volume),    cmocka_unit_test(test_create_volume_errors),
        cmocka_unit_test(test_describe_volumes), cmocka_unit_test(test_describe_attach_race),
        cmocka_unit_test(test_multi_attach),     cmocka_unit_test(test_cinder_pages),
        cmocka_unit_test(test_status_mapping),   cmocka_unit_test(test_volume_status),
        cmocka_unit_test(test_attach_volume),    cmocka_unit_test(test_detach_volume),
        cmocka_unit_test(test_delete_volume),    cmocka_unit_test(test_modify_volume),
        cmocka_unit_test(test_volume_attribute),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
