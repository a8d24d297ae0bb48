/*
 * test_cinder_copy.c - CopySnapshot of the cinder-v3 plugin through the fake host: the copy is
 * a hidden volume H made from the source plus a snapshot S of H, advanced by DescribeSnapshots,
 * deleted by DeleteSnapshot; Cinder's answers are the recorded fixtures with the copy's ids.
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

#define H    "7e1f0c55-5b3c-4b0e-9d51-6a8c2f0d1e01" /* the copy's hidden volume */
#define S1   "a3c4e1d2-0f7b-4c8e-b1a9-2d3e4f5a6b01" /* a snapshot of H */
#define S2   "a3c4e1d2-0f7b-4c8e-b1a9-2d3e4f5a6b02" /* another one (a race) */
#define COPY "snap-0000c0de"                        /* a copy made by an earlier request */
#define SRC_OK                                                                       \
    "{\"snapshot\": {\"id\": \"" SNAP "\", \"status\": \"available\", \"size\": 1, " \
    "\"volume_id\": \"" VOL "\", \"created_at\": \"2026-12-02T16:23:04.000000\"}}"

static char buf[8][2048];

/* Text with every "@" replaced by the copy's id @p x (one of a few rotating buffers). */
static const char *
with_id(const char *tmpl, const char *x)
{
    static int slot;
    char *out = buf[slot++ % 8], *o = out;

    for (const char *p = tmpl; *p != '\0' && o < out + sizeof(buf[0]) - 40; p++) {
        if (*p == '@')
            o += sprintf(o, "%s", x);
        else
            *o++ = *p;
    }
    *o = '\0';
    return out;
}

/* H in Cinder's answer with @p status. */
static const char *
h_vol(const char *x, const char *status)
{
    char t[1024];

    snprintf(t, sizeof(t),
             "{\"volume\": {\"id\": \"" H "\", \"status\": \"%s\", \"size\": 1, "
             "\"attachments\": [], \"snapshot_id\": \"" SNAP "\", \"availability_zone\": "
             "\"nova\", \"metadata\": {\"ec2gw_copy\": \"@\", \"ec2gw_copy_of\": \"" SID "\"}}}",
             status);
    return with_id(t, x);
}

/* Cinder's snapshot list: the source, plus S of H (@p s, NULL for none) with @p status. */
static const char *
list_with(const char *x, const char *s, const char *status, const char *created)
{
    char t[2048];

    if (s == NULL)
        return "snapshots.json";
    snprintf(t, sizeof(t),
             "{\"snapshots\": [{\"id\": \"" SNAP "\", \"status\": \"available\", \"size\": 1, "
             "\"volume_id\": \"" VOL "\", \"created_at\": \"2026-12-02T16:23:04.000000\", "
             "\"os-extended-snapshot-attributes:progress\": \"100%%\", \"metadata\": {}}, "
             "{\"id\": \"%s\", \"status\": \"%s\", \"size\": 1, \"volume_id\": \"" H "\", "
             "\"created_at\": \"%s\", \"metadata\": {\"ec2gw_copy\": \"@\"}}]}",
             s, status, created);
    return with_id(t, x);
}

static const char *
s_made(const char *x, const char *s)
{
    char t[512];

    snprintf(t, sizeof(t),
             "{\"snapshot\": {\"id\": \"%s\", \"status\": \"creating\", \"size\": 1, "
             "\"volume_id\": \"" H "\", \"metadata\": {\"ec2gw_copy\": \"@\"}}}",
             s);
    return with_id(t, x);
}

/* The copy's model in a DescribeSnapshots answer (NULL when not shown). */
static const json_t *
copy_in(const json_t *m, const char *x)
{
    const json_t *s;
    size_t i;

    json_array_foreach(json_object_get(m, "Snapshots"), i,
                       s) if (strcmp(str_at(s, "SnapshotId"), x) == 0) return s;
    return NULL;
}

/* A copy row as CopySnapshot leaves it. */
static void
put_copy(ec2gw_test_host_t *h, const char *x, const char *os, const char *extra)
{
    char d[512];

    snprintf(d, sizeof(d),
             "{\"copy_of\": \"" SID "\", \"src\": \"" SNAP "\", \"vol\": \"" H "\", "
             "\"description\": \"copied\", \"start\": \"2026-12-03T10:00:00Z\", \"size\": 1%s}",
             extra ? extra : "");
    assert_int_equal(ec2gw_test_put_item(h, x, os, d), 0);
}

static void
test_copy_lifecycle(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body, *c;
    json_t *m;
    char x[32];
    size_t before;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, SRC_OK);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, h_vol("snap-00000000", "creating"));
    m = ec2gw_test_action(h, "CopySnapshot",
                          "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
                          "\"DestinationRegion\": \"RegionOne\", \"PresignedUrl\": "
                          "\"https://ec2.RegionOne/?Action=CopySnapshot\", \"Description\": "
                          "\"copied\", \"TagSpecifications\": [{\"ResourceType\": \"snapshot\", "
                          "\"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}]}");
    assert_non_null(m);
    snprintf(x, sizeof(x), "%s", str_at(m, "SnapshotId"));
    assert_true(strncmp(x, "snap-", 5) == 0 && strcmp(x, SID) != 0);
    assert_string_equal(str_at(m, "Tags.0.Key"), "k");
    json_decref(m);
    /* H: a volume from the source, marked as the copy's */
    body = ec2gw_test_call_body(h, "POST", "volumev3", "/volumes");
    assert_string_equal(str_at(body, "volume.snapshot_id"), SNAP);
    assert_int_equal(json_integer_value(at(body, "volume.size")), 1);
    assert_string_equal(str_at(body, "volume.metadata.ec2gw_copy"), x);
    assert_string_equal(str_at(body, "volume.metadata.ec2gw_copy_of"), SID);

    /* H creating: pending, nothing made yet */
    before = ncalls(h);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(x, "creating"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 2);
    c = copy_in(m, x);
    assert_non_null(c);
    assert_string_equal(str_at(c, "State"), "pending");
    assert_string_equal(str_at(c, "Progress"), "0%");
    assert_string_equal(str_at(c, "VolumeId"), "vol-ffffffff");
    assert_string_equal(str_at(c, "Description"), "copied");
    assert_string_equal(str_at(c, "OwnerId"), "b57b507c5df448afa0855a6cbe36bf37");
    assert_string_equal(str_at(c, "Tags.0.Value"), "v");
    assert_int_equal(json_integer_value(json_object_get(c, "VolumeSize")), 1);
    assert_non_null(str_at(c, "StartTime"));
    json_decref(m);
    assert_int_equal(ncalls(h), before + 2);

    /* H hidden from DescribeVolumes: never a vol- id */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200,
                      with_id("{\"volumes\": [{\"id\": \"" H "\", \"status\": \"available\", "
                              "\"size\": 1, \"attachments\": [], \"metadata\": {\"ec2gw_copy\": "
                              "\"@\"}}, {\"id\": \"" VOL "\", \"status\": \"available\", "
                              "\"size\": 1, \"attachments\": [], \"metadata\": {}}]}",
                              x));
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), 1);
    assert_string_equal(str_at(m, "Volumes.0.VolumeId"), VID);
    json_decref(m);

    /* H available: Describe makes S of H, marked as the copy's; still pending */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(x, "available"));
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, s_made(x, S1));
    m = ec2gw_test_action(h, "DescribeSnapshots", with_id("{\"SnapshotIds\": [\"@\"]}", x));
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "pending");
    assert_string_equal(str_at(m, "Snapshots.0.Progress"), "50%");
    json_decref(m);
    body = ec2gw_test_call_body(h, "POST", "volumev3", "/snapshots");
    assert_string_equal(str_at(body, "snapshot.volume_id"), H);
    assert_true(json_is_true(at(body, "snapshot.force")));
    assert_string_equal(str_at(body, "snapshot.metadata.ec2gw_copy"), x);

    /* S available: completed, S shown only as the copy (no snap- of its own, no vol- for H) */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200,
                      list_with(x, S1, "available", "2026-12-03T10:01:00.000000"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 2);
    c = copy_in(m, x);
    assert_non_null(c);
    assert_string_equal(str_at(c, "State"), "completed");
    assert_string_equal(str_at(c, "Progress"), "100%");
    assert_string_equal(str_at(c, "VolumeId"), "vol-ffffffff");
    json_decref(m);

    /* snap-X is S for every other action: a volume from the copy */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_from_snapshot.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          with_id("{\"SnapshotId\": \"@\", \"AvailabilityZone\": \"nova\"}", x));
    assert_non_null(m);
    json_decref(m);
    assert_string_equal(str_at(json_object_get(last_call(h), "body"), "volume.snapshot_id"), S1);

    /* DeleteSnapshot: S, then H once S is gone, then the row */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(x, "available"));
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail?volume_id=" H, 200,
                      list_with(x, S1, "available", "2026-12-03T10:01:00.000000"));
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" S1, 202, NULL);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(x, "available"));
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail?volume_id=" H, 200,
                      list_with(x, S1, "deleting", "2026-12-03T10:01:00.000000"));
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(x, "available"));
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail?volume_id=" H, 200,
                      "{\"snapshots\": []}");
    ec2gw_test_expect(h, "DELETE", "volumev3", "/volumes/" H, 202, NULL);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 404, "volume_404.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail?volume_id=" H, 200,
                      "{\"snapshots\": []}");
    m = ec2gw_test_action(h, "DeleteSnapshot", with_id("{\"SnapshotId\": \"@\"}", x));
    assert_non_null(m);
    json_decref(m);
    /* gone: not listed, no call about it any more, its id unknown */
    before = ncalls(h);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    assert_null(copy_in(m, x));
    json_decref(m);
    assert_int_equal(ncalls(h), before + 1);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    expect_error(h, "DescribeSnapshots", with_id("{\"SnapshotIds\": [\"@\"]}", x),
                 "InvalidSnapshot.NotFound");
    done(h);
}

/* Two requests both made an S of H: one copy shows, the other S is deleted. */
static void
test_copy_race(void **s)
{
    ec2gw_test_host_t *h = host();
    char list[2048];
    json_t *m;

    (void)s;
    put_copy(h, COPY, NULL, NULL);
    snprintf(list, sizeof(list),
             "{\"snapshots\": [{\"id\": \"" S2 "\", \"status\": \"creating\", \"size\": 1, "
             "\"volume_id\": \"" H "\", \"created_at\": \"2026-12-03T10:01:00.500000\", "
             "\"metadata\": {\"ec2gw_copy\": \"" COPY "\"}}, {\"id\": \"" S1 "\", \"status\": "
             "\"available\", \"size\": 1, \"volume_id\": \"" H "\", \"created_at\": "
             "\"2026-12-03T10:01:00.100000\", \"metadata\": {\"ec2gw_copy\": \"" COPY "\"}}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, list);
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" S2, 202, NULL); /* the younger */
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    assert_string_equal(str_at(m, "Snapshots.0.SnapshotId"), COPY);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "completed");
    json_decref(m);
    /* snap-X now stands for the older S */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_from_snapshot.json");
    m = ec2gw_test_action(h, "CreateVolume", "{\"SnapshotId\": \"" COPY "\"}");
    assert_non_null(m);
    json_decref(m);
    assert_string_equal(str_at(json_object_get(last_call(h), "body"), "volume.snapshot_id"), S1);
    /* the S the row maps to wins even when younger (another request may have used it) */
    put_copy(h, "snap-0000c0df", S2, NULL);
    snprintf(list, sizeof(list),
             "{\"snapshots\": [{\"id\": \"" S2 "\", \"status\": \"available\", \"size\": 1, "
             "\"volume_id\": \"" H "\", \"created_at\": \"2026-12-03T10:01:00.500000\", "
             "\"metadata\": {\"ec2gw_copy\": \"snap-0000c0df\"}}, {\"id\": \"" S1 "\", "
             "\"status\": \"available\", \"size\": 1, \"volume_id\": \"" H "\", \"created_at\": "
             "\"2026-12-03T10:01:00.100000\", \"metadata\": {\"ec2gw_copy\": "
             "\"snap-0000c0df\"}}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, list);
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" S1, 202, NULL);
    m = ec2gw_test_action(h, "DescribeSnapshots",
                          "{\"SnapshotIds\": [\"snap-0000c0df\", \"" COPY "\"]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 2);
    assert_string_equal(str_at(copy_in(m, "snap-0000c0df"), "State"), "completed");
    json_decref(m);
    done(h);
}

/* The S made by this request lost to one another request mapped meanwhile: deleted again. */
static void
test_copy_post_race(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    put_copy(h, COPY, NULL, NULL);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "available"));
    /* the other request's S is mapped while this one's POST is in flight */
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, s_made(COPY, S2));
    assert_int_equal(ec2gw_test_begin(h, "DescribeSnapshots", "{}"), EC2GW_AGAIN);
    ec2gw_test_run_one(h); /* the list */
    ec2gw_test_run_one(h); /* H */
    assert_int_equal(ec2gw_test_map_id(h, COPY, S1), 0);
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" S2, 202, NULL);
    ec2gw_test_run(h);
    m = ec2gw_test_end(h);
    assert_non_null(m);
    assert_string_equal(str_at(copy_in(m, COPY), "State"), "pending");
    json_decref(m);
    done(h);
    /* another request claimed the making of S a moment ago: this one does not make one too */
    h = host();
    put_copy(h, "snap-0000c0df", NULL, ", \"s_claimed_ms\": 1767225600000");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "{\"snapshots\": []}");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200,
                      h_vol("snap-0000c0df", "available"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-0000c0df\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "pending");
    assert_string_equal(str_at(m, "Snapshots.0.Progress"), "50%");
    json_decref(m);
    /* a claim a minute old is stale (its request is long gone): S is made; a failure to make
     * it (Cinder down) drops the claim, so the next pass tries at once */
    ec2gw_test_clock_advance(h, 61000);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "{\"snapshots\": []}");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200,
                      h_vol("snap-0000c0df", "available"));
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 503, "{}");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-0000c0df\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "pending");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "{\"snapshots\": []}");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200,
                      h_vol("snap-0000c0df", "available"));
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, s_made("snap-0000c0df", S1));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-0000c0df\"]}");
    assert_non_null(m);
    json_decref(m);
    done(h);
}

static void
test_copy_states(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *c;
    json_t *m;

    (void)s;
    /* H failed in Cinder: the copy is in error (the waiter stops) */
    put_copy(h, COPY, NULL, NULL);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "error"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"" COPY "\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "error");
    assert_non_null(str_at(m, "Snapshots.0.StateMessage"));
    json_decref(m);
    /* H gone behind the gateway's back: error too */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 404, "volume_404.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_string_equal(str_at(copy_in(m, COPY), "State"), "error");
    json_decref(m);
    /* S failed: error */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200,
                      list_with(COPY, S1, "error", "2026-12-03T10:01:00.000000"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_string_equal(str_at(copy_in(m, COPY), "State"), "error");
    json_decref(m);
    /* (COPY now maps to its failed S: no call for it below) */
    /* the snapshot quota refuses S: error naming the limit, kept (no retry storm) */
    put_copy(h, "snap-0000c0df", NULL, NULL);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "{\"snapshots\": []}");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200,
                      h_vol("snap-0000c0df", "available"));
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 413, QUOTA);
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    c = copy_in(m, "snap-0000c0df");
    assert_string_equal(str_at(c, "State"), "error");
    assert_non_null(strstr(str_at(c, "StateMessage"), "SnapshotLimitExceeded"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "{\"snapshots\": []}");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-0000c0df\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "error");
    json_decref(m);
    done(h);
}

static void
test_copy_refused(void **s)
{
    ec2gw_test_host_t *h = host();
    size_t before;
    json_t *m;

    (void)s;
    /* the source must be completed; nothing is made or recorded otherwise */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200,
                      "{\"snapshot\": {\"id\": \"" SNAP "\", \"status\": \"creating\", "
                      "\"size\": 1}}");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\"}",
                 "IncorrectState");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 404, "{}");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\"}",
                 "InvalidSnapshot.NotFound");
    before = ncalls(h);
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"snap-12345678\", \"SourceRegion\": \"RegionOne\"}",
                 "InvalidSnapshot.NotFound");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"vol-12345678\", \"SourceRegion\": \"RegionOne\"}",
                 "InvalidSnapshotID.Malformed");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"us-east-1\"}",
                 "UnsupportedOperation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "SourceRegion"));
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
                 "\"DestinationRegion\": \"eu-west-1\"}",
                 "UnsupportedOperation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "DestinationRegion"));
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
                 "\"Encrypted\": true}",
                 "UnsupportedOperation");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "Encrypted"));
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
                 "\"KmsKeyId\": \"k\"}",
                 "UnsupportedOperation");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
                 "\"CompletionDurationMinutes\": 15}",
                 "UnsupportedOperation");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
                 "\"TagSpecifications\": [{\"ResourceType\": \"volume\", \"Tags\": []}]}",
                 "InvalidParameterValue");
    assert_int_equal(ncalls(h), before);
    /* a copy whose S does not exist yet cannot be copied again */
    put_copy(h, COPY, NULL, NULL);
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" COPY "\", \"SourceRegion\": \"RegionOne\"}",
                 "IncorrectState");
    /* Cinder's volume quota refuses H: a limit error, the row is gone again */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, SRC_OK);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 413, QUOTA);
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\"}",
                 "VolumeLimitExceeded");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "gigabytes"));
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "creating"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 2); /* source + COPY */
    json_decref(m);
    /* another project sees neither the source nor the copy */
    ec2gw_test_set_project(h, "other-project");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\"}",
                 "InvalidSnapshot.NotFound");
    expect_error(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"" COPY "\"]}",
                 "InvalidSnapshot.NotFound");
    expect_error(h, "DeleteSnapshot", "{\"SnapshotId\": \"" COPY "\"}", "InvalidSnapshot.NotFound");
    done(h);
}

/* A pending copy (H still being made) is deleted: DeleteSnapshot waits a bounded time, then
 * leaves the rest to DescribeSnapshots, which deletes H and then the row. */
static void
test_copy_delete_pending(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;
    int64_t t0;

    (void)s;
    put_copy(h, COPY, NULL, NULL);
    for (int i = 0; i <= 20000 / 2000; i++) { /* every 2 s while H is made, for 20 s */
        ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "creating"));
        ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail?volume_id=" H, 200,
                          "{\"snapshots\": []}");
    }
    t0 = ec2gw_test_clock_ms(h);
    m = ec2gw_test_action(h, "DeleteSnapshot", "{\"SnapshotId\": \"" COPY "\"}");
    assert_non_null(m);
    json_decref(m);
    assert_true(ec2gw_test_clock_ms(h) - t0 <= 20000);
    /* marked deleting: not shown; H is available now, so it goes */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "available"));
    ec2gw_test_expect(h, "DELETE", "volumev3", "/volumes/" H, 202, NULL);
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_null(copy_in(m, COPY));
    json_decref(m);
    /* H gone: the row goes; then nothing is asked about it */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 404, "volume_404.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    json_decref(m);
    expect_error(h, "DeleteSnapshot", "{\"SnapshotId\": \"" COPY "\"}", "InvalidSnapshot.NotFound");
    /* a deleting row's leftover S is deleted by DescribeSnapshots before H */
    put_copy(h, "snap-0000c0df", S1, ", \"deleting\": true");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200,
                      list_with("snap-0000c0df", S1, "available", "2026-12-03T10:01:00.000000"));
    ec2gw_test_expect(h, "DELETE", "volumev3", "/snapshots/" S1, 202, NULL);
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    json_decref(m);
    done(h);
}

/* A pending copy: used nowhere yet (IncorrectState), its attributes answer without Cinder;
 * AWS's description when none is given; a Description longer than EC2 allows is refused. */
static void
test_copy_pending_uses(void **s)
{
    ec2gw_test_host_t *h = host();
    char params[600], x[32];
    size_t before;
    json_t *m;

    (void)s;
    put_copy(h, COPY, NULL, NULL);
    before = ncalls(h);
    expect_error(h, "CreateVolume", "{\"SnapshotId\": \"" COPY "\"}", "IncorrectState");
    m = ec2gw_test_action(h, "DescribeSnapshotAttribute",
                          "{\"SnapshotId\": \"" COPY "\", \"Attribute\": "
                          "\"createVolumePermission\"}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "SnapshotId"), COPY);
    assert_int_equal(json_array_size(json_object_get(m, "CreateVolumePermissions")), 0);
    json_decref(m);
    snprintf(params, sizeof(params),
             "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\", "
             "\"Description\": \"%0256d\"}",
             0);
    expect_error(h, "CopySnapshot", params, "InvalidParameterValue");
    assert_int_equal(ncalls(h), before);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, SRC_OK);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, h_vol("snap-00000000", "creating"));
    m = ec2gw_test_action(h, "CopySnapshot",
                          "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\"}");
    assert_non_null(m);
    snprintf(x, sizeof(x), "%s", str_at(m, "SnapshotId"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(x, "creating"));
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "creating"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_string_equal(str_at(copy_in(m, x), "Description"), "[Copied " SID " from RegionOne]");
    json_decref(m);
    done(h);
}

/* A copy whose CopySnapshot was cut short (ec2gwd killed before H was recorded): found again by
 * H's metadata once older than any request, else in error, and its row deleted with it. */
static void
test_copy_orphan(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *row = "{\"copy_of\": \"" SID "\", \"src\": \"" SNAP "\", \"description\": \"d\", "
                      "\"start\": \"%s\", \"size\": 1}";
    char d[512];
    size_t before;
    json_t *m;

    (void)s;
    /* young: CopySnapshot may still be answering, nothing asked */
    snprintf(d, sizeof(d), row, "2026-01-01T00:00:00Z");
    assert_int_equal(ec2gw_test_put_item(h, "snap-0000c0df", NULL, d), 0);
    snprintf(d, sizeof(d), row, "2025-12-31T23:00:00Z");
    assert_int_equal(ec2gw_test_put_item(h, COPY, NULL, d), 0);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail?metadata=*", 200,
                      with_id("{\"volumes\": [{\"id\": \"" H "\", \"status\": \"creating\", "
                              "\"metadata\": {\"ec2gw_copy\": \"@\"}}]}",
                              COPY));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_string_equal(str_at(copy_in(m, COPY), "State"), "pending");
    assert_string_equal(str_at(copy_in(m, "snap-0000c0df"), "State"), "pending");
    json_decref(m);
    assert_non_null(strstr(str_at(json_array_get(ec2gw_test_calls(h), 1), "path"),
                           "%22ec2gw_copy%22%3A%20%22" COPY "%22"));
    /* H recorded: followed as any copy */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "creating"));
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"" COPY "\"]}");
    assert_non_null(m);
    json_decref(m);
    /* no H anywhere: error; deleted, its row goes on the next DescribeSnapshots */
    snprintf(d, sizeof(d), row, "2025-12-31T22:00:00Z");
    assert_int_equal(ec2gw_test_put_item(h, "snap-0000c0e0", NULL, d), 0);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "creating"));
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail?metadata=*", 200, "{\"volumes\": []}");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"snap-0000c0e0\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "error");
    json_decref(m);
    before = ncalls(h);
    m = ec2gw_test_action(h, "DeleteSnapshot", "{\"SnapshotId\": \"snap-0000c0e0\"}");
    assert_non_null(m);
    json_decref(m);
    assert_int_equal(ncalls(h), before);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H, 200, h_vol(COPY, "creating"));
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail?metadata=*", 200, "{\"volumes\": []}");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_null(copy_in(m, "snap-0000c0e0"));
    json_decref(m);
    expect_error(h, "DeleteSnapshot", "{\"SnapshotId\": \"snap-0000c0e0\"}",
                 "InvalidSnapshot.NotFound");
    done(h);
}

/* POST /volumes timed out: H may exist all the same. The copy stays hidden; once no request
 * can still be making H, DescribeSnapshots finds it by its metadata and deletes it. */
static void
test_copy_timeout(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/" SNAP, 200, SRC_OK);
    ec2gw_test_expect_timeout(h, "POST", "volumev3", "/volumes");
    expect_error(h, "CopySnapshot",
                 "{\"SourceSnapshotId\": \"" SID "\", \"SourceRegion\": \"RegionOne\"}",
                 "Unavailable");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1); /* the source only */
    json_decref(m);
    ec2gw_test_clock_advance(h, 11 * 60 * 1000);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail?metadata=*", 200,
                      "{\"volumes\": [{\"id\": \"" H "2\", \"status\": \"available\"}]}");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H "2", 200,
                      "{\"volume\": {\"id\": \"" H "2\", \"status\": \"available\"}}");
    ec2gw_test_expect(h, "DELETE", "volumev3", "/volumes/" H "2", 202, NULL);
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), 1);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" H "2", 404, "volume_404.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}"); /* the row is gone: no call for it */
    assert_non_null(m);
    json_decref(m);
    done(h);
}

/* The same steps replayed with Cinder's own answers (fixtures/record_copy.py): H and S as the
 * Ceph-backed cloud made them, the lists as it showed them. */
static void
test_copy_recorded(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *hc = ec2gw_test_json_load(h, "copy_h_create.json");
    json_t *sc = ec2gw_test_json_load(h, "copy_s_create.json");
    json_t *vols = ec2gw_test_json_load(h, "copy_volumes.json");
    json_t *snaps = ec2gw_test_json_load(h, "copy_snapshots.json");
    const char *hid = str_at(hc, "volume.id"), *sid = str_at(sc, "snapshot.id");
    char d[512], path[128];
    size_t nv = json_array_size(json_object_get(vols, "volumes"));
    size_t ns = json_array_size(json_object_get(snaps, "snapshots"));
    json_t *m;

    (void)s;
    assert_string_equal(str_at(hc, "volume.metadata.ec2gw_copy"), COPY);
    snprintf(d, sizeof(d),
             "{\"copy_of\": \"" SID "\", \"src\": \"%s\", \"vol\": \"%s\", \"description\": "
             "\"recorded\", \"start\": \"2026-12-03T17:03:25Z\", \"size\": 1}",
             str_at(hc, "volume.snapshot_id"), hid);
    assert_int_equal(ec2gw_test_put_item(h, COPY, NULL, d), 0);
    /* H available: S made */
    snprintf(path, sizeof(path), "/volumes/%s", hid);
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "snapshots.json");
    ec2gw_test_expect(h, "GET", "volumev3", path, 200, "copy_h_available.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/snapshots", 202, "copy_s_create.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{\"SnapshotIds\": [\"" COPY "\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Snapshots.0.State"), "pending");
    json_decref(m);
    assert_string_equal(
        str_at(ec2gw_test_call_body(h, "POST", "volumev3", "/snapshots"), "snapshot.volume_id"),
        hid);
    /* Cinder's lists: S is the copy (completed), H no volume of EC2's */
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots/detail", 200, "copy_snapshots.json");
    m = ec2gw_test_action(h, "DescribeSnapshots", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Snapshots")), ns); /* S shown as COPY */
    assert_string_equal(str_at(copy_in(m, COPY), "State"), "completed");
    assert_string_equal(str_at(copy_in(m, COPY), "Description"), "recorded");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, "copy_volumes.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), nv - 1);
    json_decref(m);
    /* a volume from the copy is made from S */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_from_snapshot.json");
    m = ec2gw_test_action(h, "CreateVolume", "{\"SnapshotId\": \"" COPY "\"}");
    assert_non_null(m);
    json_decref(m);
    assert_string_equal(str_at(json_object_get(last_call(h), "body"), "volume.snapshot_id"), sid);
    json_decref(hc);
    json_decref(sc);
    json_decref(vols);
    json_decref(snaps);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_lifecycle),    cmocka_unit_test(test_copy_race),
        cmocka_unit_test(test_copy_post_race),    cmocka_unit_test(test_copy_states),
        cmocka_unit_test(test_copy_refused),      cmocka_unit_test(test_copy_delete_pending),
        cmocka_unit_test(test_copy_pending_uses), cmocka_unit_test(test_copy_orphan),
        cmocka_unit_test(test_copy_timeout),      cmocka_unit_test(test_copy_recorded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
