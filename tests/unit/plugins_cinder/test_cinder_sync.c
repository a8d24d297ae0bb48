/*
 * test_cinder_sync.c - DescribeVolumes' volume cache (volume_sync.c, issue 15) through the
 * fake host with shared reads on (describe_max_staleness 2 s on its fake clock): the first
 * read lists in full, reads within the bound call nothing, later ones ask Cinder what changed
 * (updated_at, 3.60) and check it against /volumes/summary, and anything untrusted, a write
 * through the plugin or an id the cache lacks gets a full list.
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

#define STALE 2000
#define FULL  "/volumes/detail"
#define DELTA "/volumes/detail?updated_at=gte*"
#define SUMM  "/volumes/summary"
#define ATT   "/servers/" SRV "/os-volume_attachments"

static ec2gw_test_host_t *
cached_host(void)
{
    ec2gw_test_host_t *h = host();

    ec2gw_test_set_staleness(h, STALE);
    return h;
}

/* The fake host's leak check runs before it drops its shared answers, which the plugin keeps
 * in requests (own_json): forget them first. */
static void
sync_done(ec2gw_test_host_t *h)
{
    ec2gw_test_set_staleness(h, 0);
    done(h);
}

/* DescribeVolumes answered with @p n volumes. */
static void
describe(ec2gw_test_host_t *h, size_t n)
{
    json_t *m = ec2gw_test_action(h, "DescribeVolumes", "{}");

    if (m == NULL)
        fail_msg("DescribeVolumes: %s %s", ec2gw_test_last_error(h),
                 ec2gw_test_last_error_message(h));
    assert_int_equal(json_array_size(json_object_get(m, "Volumes")), n);
    json_decref(m);
}

/* The first read: a full list and the summary; Nova for the attached volume. */
static void
first_read(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "volumes_in_use.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
}

/* Was call @p i of the log @p path (exactly) with microversion @p mv (NULL: none)? */
static void
call_is(ec2gw_test_host_t *h, size_t i, const char *path, const char *mv)
{
    const json_t *c = json_array_get(ec2gw_test_calls(h), i);

    assert_non_null(c);
    assert_string_equal(str_at(c, "path"), path);
    if (mv == NULL)
        assert_null(str_at(c, "microversion"));
    else
        assert_string_equal(str_at(c, "microversion"), mv);
}

static void
test_hit_within_bound(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    size_t n;

    (void)s;
    first_read(h);
    call_is(h, 0, FULL, NULL);
    call_is(h, 1, SUMM, "3.12");
    n = ncalls(h);
    /* within the bound: the summary probe and Nova's read are answered by the host */
    ec2gw_test_clock_advance(h, STALE - 500);
    describe(h, 1);
    describe(h, 1);
    assert_int_equal(ncalls(h), n);
    sync_done(h);
}

static void
test_delta_after_bound(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    json_t *m;
    size_t n;

    (void)s;
    first_read(h);
    n = ncalls(h);
    ec2gw_test_clock_advance(h, STALE + 1);
    /* a volume made outside ec2gw: in the delta, and the summary counts it */
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 200, "sync_delta_new.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_2.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 2);
    assert_int_equal(ncalls(h), n + 3);
    /* since = Cinder's newest updated_at (16:23:01) - sync_overlap 5 s */
    call_is(h, n, "/volumes/detail?updated_at=gte%3A2026-12-02T16%3A22%3A56", "3.60");
    /* the next delta starts from the new volume's updated_at (16:30:02) */
    ec2gw_test_clock_advance(h, STALE + 1);
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 200, "sync_delta_empty.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_2.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_non_null(m);
    /* ordered by id: the recorded volume, then the new one */
    assert_string_equal(str_at(m, "Volumes.0.VolumeId"), VID);
    assert_int_equal(json_integer_value(at(m, "Volumes.1.Size")), 2);
    json_decref(m);
    call_is(h, n + 3, "/volumes/detail?updated_at=gte%3A2026-12-02T16%3A29%3A57", "3.60");
    sync_done(h);
}

static void
test_deletion_by_count(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    size_t n;

    (void)s;
    first_read(h);
    n = ncalls(h);
    ec2gw_test_clock_advance(h, STALE + 1);
    /* deleted outside ec2gw: not in the delta, but the summary no longer counts it */
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 200, "sync_delta_empty.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_0.json");
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "sync_full_empty.json");
    describe(h, 0); /* the full list's summary is the one just read (shared) */
    call_is(h, n + 2, FULL, NULL);
    assert_int_equal(ncalls(h), n + 3);
    sync_done(h);
}

static void
test_untrusted_delta(void **s)
{
    static const struct {
        long status;
        const char *body;
    } bad[] = {
        { 500, "{\"computeFault\": {\"message\": \"boom\"}}" }, /* an error */
        { 200, "sync_delta_ignored.json" },                     /* the filter ignored */
        { 200, "{\"volumes\": [], \"volumes_links\": [{\"rel\": \"next\", \"href\": \"x\"}]}" },
    };

    (void)s;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ec2gw_test_host_t *h = cached_host();
        size_t n;

        first_read(h);
        n = ncalls(h);
        ec2gw_test_clock_advance(h, STALE + 1);
        ec2gw_test_expect(h, "GET", "volumev3", DELTA, bad[i].status, bad[i].body);
        ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
        ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "volumes_in_use.json");
        ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
        describe(h, 1);
        call_is(h, n + 2, FULL, NULL);
        sync_done(h);
    }
}

static void
test_refused_filter_full_only(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    size_t n;

    (void)s;
    first_read(h);
    ec2gw_test_clock_advance(h, STALE + 1);
    /* a Cinder older than 3.60 */
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 400,
                      "{\"badRequest\": {\"message\": \"Invalid filters updated_at\"}}");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "volumes_in_use.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1);
    /* no delta asked again */
    n = ncalls(h);
    ec2gw_test_clock_advance(h, STALE + 1);
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "volumes_in_use.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1);
    call_is(h, n, FULL, NULL);
    sync_done(h);
}

static void
test_own_write_refreshes(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    json_t *m;
    size_t n;

    (void)s;
    first_read(h);
    /* DeleteVolume through ec2gw: the next read, within the bound, lists in full */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_available.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/snapshots?volume_id=" VOL, 200,
                      "{\"snapshots\": []}");
    ec2gw_test_expect(h, "DELETE", "volumev3", "/volumes/" VOL, 202, NULL);
    m = ec2gw_test_action(h, "DeleteVolume", "{\"VolumeId\": \"" VID "\"}");
    assert_non_null(m);
    json_decref(m);
    n = ncalls(h);
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "sync_full_empty.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_0.json");
    describe(h, 0);
    call_is(h, n, FULL, NULL);
    /* and the one after it is a hit again */
    n = ncalls(h);
    describe(h, 0);
    assert_int_equal(ncalls(h), n);
    sync_done(h);
}

static void
test_attach_refreshes(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    json_t *m;
    size_t n;

    (void)s;
    first_read(h);
    /* a write that neither adds nor removes volumes: a delta, though the summary is unchanged */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_in_use.json");
    ec2gw_test_expect(h, "DELETE", "compute", ATT "/" VOL, 202, NULL);
    m = ec2gw_test_action(h, "DetachVolume", "{\"VolumeId\": \"" VID "\"}");
    if (m == NULL)
        fail_msg("DetachVolume: %s", ec2gw_test_last_error_message(h));
    json_decref(m);
    n = ncalls(h);
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 200, "{\"volumes\": []}");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1); /* the summary: still the shared one (Nova's DELETE is no Cinder write) */
    call_is(h, n, "/volumes/detail?updated_at=gte%3A2026-12-02T16%3A22%3A56", "3.60");
    sync_done(h);
}

static void
test_foreign_write_seen_by_probe(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    size_t n;

    (void)s;
    first_read(h);
    /* another plugin's write drops the shared answers (as os_invalidate): the probe asks
     * Cinder; an unchanged summary keeps the cache */
    ec2gw_test_set_staleness(h, STALE);
    n = ncalls(h);
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1);
    assert_int_equal(ncalls(h), n + 2);
    call_is(h, n, SUMM, "3.12");
    /* a count that moved: the read refreshes at once, within the bound */
    ec2gw_test_set_staleness(h, STALE);
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_2.json");
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 200, "sync_delta_new.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 2);
    sync_done(h);
}

static void
test_unknown_id_forces_full(void **s)
{
    ec2gw_test_host_t *h = cached_host();
    json_t *m;

    (void)s;
    first_read(h);
    ec2gw_test_map_id(h, "vol-0000000d", "9d1f3c1e-0b7a-4c55-9d5e-3f1f2a7c0b11");
    /* made through another ec2gwd: one full list begun after the request */
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "sync_delta_new.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"vol-0000000d\"]}");
    assert_non_null(m);
    assert_string_equal(str_at(m, "Volumes.0.VolumeId"), "vol-0000000d");
    json_decref(m);
    /* still absent after that: NotFound, without listing again */
    ec2gw_test_map_id(h, "vol-0000000e", "00000000-0000-4000-8000-00000000000e");
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "sync_delta_new.json");
    expect_error(h, "DescribeVolumes", "{\"VolumeIds\": [\"vol-0000000e\"]}",
                 "InvalidVolume.NotFound");
    sync_done(h);
}

static void
test_staleness_zero_lists_every_time(void **s)
{
    ec2gw_test_host_t *h = host(); /* describe_max_staleness 0 */

    (void)s;
    for (int i = 0; i < 2; i++) {
        ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "volumes_in_use.json");
        ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
        describe(h, 1);
    }
    assert_int_equal(ncalls(h), 4);
    sync_done(h);
}

static void
test_full_interval(void **s)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(CINDER_SO, "{\"full_sync_interval\": \"3s\"}");
    size_t n;

    (void)s;
    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_set_project(h, "b57b507c5df448afa0855a6cbe36bf37");
    ec2gw_test_map_id(h, VID, VOL);
    ec2gw_test_map_id(h, IID, SRV);
    ec2gw_test_set_staleness(h, STALE);
    first_read(h);
    ec2gw_test_clock_advance(h, STALE + 1); /* 2 s after the full list: a delta */
    ec2gw_test_expect(h, "GET", "volumev3", DELTA, 200, "sync_delta_empty.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1);
    ec2gw_test_clock_advance(h, STALE + 1); /* 4 s: a full list */
    n = ncalls(h);
    ec2gw_test_expect(h, "GET", "volumev3", FULL, 200, "volumes_in_use.json");
    ec2gw_test_expect(h, "GET", "volumev3", SUMM, 200, "sync_summary_1.json");
    ec2gw_test_expect(h, "GET", "compute", ATT, 200, "server_attachments.json");
    describe(h, 1);
    call_is(h, n, FULL, NULL);
    sync_done(h);
}

static void
test_settings_checked(void **s)
{
    static const char *bad[] = { "{\"full_sync_interval\": \"25h\"}", "{\"sync_overlap\": \"2h\"}",
                                 "{\"sync_max_projects\": 0}" };

    (void)s;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(ec2gw_test_host_new(CINDER_SO, bad[i]));
        assert_non_null(strstr(ec2gw_test_load_error(), "sync"));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_within_bound),
        cmocka_unit_test(test_delta_after_bound),
        cmocka_unit_test(test_deletion_by_count),
        cmocka_unit_test(test_untrusted_delta),
        cmocka_unit_test(test_refused_filter_full_only),
        cmocka_unit_test(test_own_write_refreshes),
        cmocka_unit_test(test_attach_refreshes),
        cmocka_unit_test(test_foreign_write_seen_by_probe),
        cmocka_unit_test(test_unknown_id_forces_full),
        cmocka_unit_test(test_staleness_zero_lists_every_time),
        cmocka_unit_test(test_full_interval),
        cmocka_unit_test(test_settings_checked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
