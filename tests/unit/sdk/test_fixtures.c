/*
 * test_fixtures.c - issue 16 #5: the stock plugins' recorded conversations the SDK installs
 * (sdk/fixtures/<plugin>/<Action>.json) replay through their plugin in the fake host to the
 * recorded answer, and a wrapper's unit test is about ten lines: sdk/examples/site_compute
 * over neutron-v2.0's DescribeAccountAttributes, sdk/examples/site_boot over nova-v2.1's
 * RunInstances.
 *
 *     test_fixtures <fixture dir> <plugin dir>
 *
 * With EC2GW_FIXTURES_UPDATE=1 the answers are written into the fixtures instead (after
 * sdk/fixtures/record.py recorded new calls).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

/* Members a fresh run answers differently (the boot's time, a random reservation id). */
static void
drop_volatile(json_t *v)
{
    const char *k;
    json_t *c;
    size_t i;

    if (json_is_array(v))
        json_array_foreach(v, i, c) drop_volatile(c);
    if (!json_is_object(v))
        return;
    json_object_del(v, "LaunchTime");
    json_object_del(v, "ReservationId");
    json_object_foreach(v, k, c) drop_volatile(c);
}

static const char *const fixtures[] = {
    "nova-v2.1/RunInstances",
    "nova-v2.1/DescribeInstances",
    "nova-v2.1/TerminateInstances",
    "neutron-v2.0/DescribeAccountAttributes",
};

/* Each fixture through its stock plugin: every call used, no violation, the recorded answer. */
static void
replay_stock(void **state)
{
    int update = getenv("EC2GW_FIXTURES_UPDATE") != NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        json_t *fx = ec2gw_test_fixture(fixtures[i]), *m;
        char so[512], *settings;
        ec2gw_test_host_t *h;

        assert_non_null(fx);
        snprintf(so, sizeof(so), "%s/%s.so", PLUGIN_DIR,
                 json_string_value(json_object_get(fx, "plugin")));
        settings = json_dumps(json_object_get(fx, "settings"), JSON_COMPACT);
        h = ec2gw_test_host_new(so, settings);
        free(settings);
        if (h == NULL)
            fail_msg("%s: %s", so, ec2gw_test_load_error());
        m = ec2gw_test_action(h, json_string_value(json_object_get(fx, "action")),
                              ec2gw_test_replay(h, fixtures[i]));
        if (m == NULL)
            fail_msg("%s: %s: %s", fixtures[i], ec2gw_test_last_error(h),
                     ec2gw_test_last_error_message(h));
        assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
        assert_int_equal(ec2gw_test_violations(h), 0);
        if (update) {
            char path[512];

            snprintf(path, sizeof(path), "%s/%s.json", FIXTURE_DIR, fixtures[i]);
            json_object_set(fx, "answer", m);
            assert_int_equal(json_dump_file(fx, path, JSON_INDENT(1) | JSON_SORT_KEYS), 0);
        } else if (drop_volatile(m), drop_volatile(json_object_get(fx, "answer")),
                   !json_equal(m, json_object_get(fx, "answer"))) {
            char *got = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);

            fail_msg("%s: the answer differs from the recorded one (record again?): %.400s",
                     fixtures[i], got);
        }
        json_decref(m);
        json_decref(fx);
        ec2gw_test_host_free(h);
    }
}

/* The wrapper's test: the stock plugin's side is the recording, only the wrapper is checked. */
static void
site_compute_over_neutron(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(PLUGIN_DIR "/neutron-v2.0.so", NULL);
    const json_t *attrs;
    json_t *m;

    (void)state;
    assert_int_equal(ec2gw_test_host_wrap(h, SITE_SO, "max_security_groups: 7"), 0);
    m = ec2gw_test_action(h, "DescribeAccountAttributes",
                          ec2gw_test_replay(h, "neutron-v2.0/DescribeAccountAttributes"));
    assert_non_null(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h) + ec2gw_test_violations(h), 0);
    attrs = json_object_get(m, "AccountAttributes"); /* neutron's, then the site's */
    assert_true(
        ec2gw_test_json_equal(h, json_array_get(attrs, json_array_size(attrs) - 1),
                              "{\"AttributeName\": \"vpc-max-security-groups-per-interface\","
                              " \"AttributeValues\": [{\"AttributeValue\": \"7\"}]}"));
    json_decref(m);
    ec2gw_test_host_free(h);
}

/* The README's example: site_boot over nova-v2.1's recorded RunInstances. */
static void
site_boot_over_nova(void **state)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(PLUGIN_DIR "/nova-v2.1.so", "{}");
    json_t *m;
    const json_t *boot;

    (void)state;
    assert_int_equal(ec2gw_test_host_wrap(h, SITE_BOOT_SO, "site: lab1"), 0);
    m = ec2gw_test_action(h, "RunInstances", ec2gw_test_replay(h, "nova-v2.1/RunInstances"));
    boot = ec2gw_test_call_body(h, "POST", "compute", "/servers");
    assert_non_null(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h) + ec2gw_test_violations(h), 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(boot, "server"), "metadata"), "site")),
                        "lab1");
    json_decref(m);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_stock),
        cmocka_unit_test(site_compute_over_neutron),
        cmocka_unit_test(site_boot_over_nova),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
