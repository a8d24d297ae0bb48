/*
 * test_testhost_share.c - the fake host's shared reads (ABI 1.4, sdk/src/testhost_share.c)
 * with a small plugin (share_plugin.c): describe_staleness_ms() answers the setting, a shared
 * GET is answered again within it without a call and not beyond it, and a plugin that changes
 * a shared answer is reported as a contract violation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

#define VOLS "{\"volumes\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(SHARE_SO, NULL);

    assert_non_null(h);
    ec2gw_test_set_staleness(h, 1000);
    return h;
}

static void
reuse_within_the_bound(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, VOLS);
    m = ec2gw_test_action(h, "DescribeVolumes", "{}");
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"Volumes\": [{\"VolumeId\": \"vol-00000001\", "
                                      "\"Size\": 2}]}"));
    json_decref(m);
    m = ec2gw_test_action(h, "DescribeVolumes", "{}"); /* nothing scripted */
    assert_true(ec2gw_test_json_equal(h, m,
                                      "{\"Volumes\": [{\"VolumeId\": \"vol-00000001\", "
                                      "\"Size\": 2}]}"));
    json_decref(m);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 1);
    assert_int_equal(ec2gw_test_shared_hits(h), 1);
    ec2gw_test_clock_advance(h, 1001);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, VOLS);
    json_decref(ec2gw_test_action(h, "DescribeVolumes", "{}"));
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 2);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
changed_answer_is_a_violation(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, VOLS);
    json_decref(ec2gw_test_action(h, "DescribeSnapshots", "{}"));
    assert_int_equal(ec2gw_test_violations(h), 1);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reuse_within_the_bound),
        cmocka_unit_test(changed_answer_is_a_violation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
