/*
 * test_glance_shared.c - DescribeImages' shared reads (ABI 1.4, EC2GW_CALL_SHARED) in the fake
 * host, on its fake clock: a second DescribeImages within describe_max_staleness costs no
 * Glance call and gives the same answer; another project, an expired answer, a write
 * (DeregisterImage's DELETE) and staleness 0 all go to Glance again; the plugin never changes
 * a shared answer (the fake host compares it with a pristine copy); a write action
 * (DeregisterImage) reads its image fresh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

#include "glance_test.h"

#define AMI_PRIVATE "ami-0000aaaa"

static size_t
n_images(const json_t *m)
{
    return json_array_size(json_object_get(m, "Images"));
}

static json_t *
describe(ec2gw_test_host_t *h)
{
    return ec2gw_test_action(h, "DescribeImages", "{}");
}

static ec2gw_test_host_t *
host(int64_t staleness)
{
    ec2gw_test_host_t *h = glance_host_new(NULL);

    assert_non_null(h);
    ec2gw_test_set_staleness(h, staleness);
    assert_int_equal(ec2gw_test_map_id(h, AMI_PRIVATE, UUID_PRIVATE), 0);
    return h;
}

static void
reused_within_staleness(void **state)
{
    ec2gw_test_host_t *h = host(2000);
    json_t *a, *b;
    size_t calls;

    (void)state;
    glance_expect_list(h);
    a = describe(h);
    calls = json_array_size(ec2gw_test_calls(h));
    assert_int_equal(n_images(a), 8);
    b = describe(h); /* nothing scripted: both list GETs come from the shared answers */
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), calls);
    assert_int_equal(ec2gw_test_shared_hits(h), 2);
    assert_true(json_equal(a, b));
    json_decref(b);
    /* the answers' project only */
    ec2gw_test_set_project(h, OTHER);
    glance_expect_list(h);
    b = describe(h);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), calls + 2);
    json_decref(b);
    ec2gw_test_set_project(h, ME);
    /* older than the bound: asked again */
    ec2gw_test_clock_advance(h, 2001);
    glance_expect_list(h);
    b = describe(h);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), calls + 4);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0); /* nobody changed a shared answer */
    ec2gw_test_host_free(h);
}

static void
write_invalidates(void **state)
{
    ec2gw_test_host_t *h = host(2000);
    json_t *m;
    size_t calls;

    (void)state;
    glance_expect_list(h);
    json_decref(describe(h));
    /* a write action reads the image it changes fresh, then deletes it */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
    ec2gw_test_expect(h, "DELETE", "image", "/v2/images/" UUID_PRIVATE, 204, NULL);
    m = ec2gw_test_action(h, "DeregisterImage", "{\"ImageId\": \"" AMI_PRIVATE "\"}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"Return\": true}"));
    json_decref(m);
    calls = json_array_size(ec2gw_test_calls(h));
    glance_expect_list(h); /* the DELETE dropped the shared lists: Glance is asked again */
    json_decref(describe(h));
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), calls + 2);
    assert_int_equal(ec2gw_test_shared_hits(h), 0);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
off_by_default(void **state)
{
    ec2gw_test_host_t *h = host(0);

    (void)state;
    glance_expect_list(h);
    json_decref(describe(h));
    glance_expect_list(h);
    json_decref(describe(h));
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 4);
    assert_int_equal(ec2gw_test_shared_hits(h), 0);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reused_within_staleness),
        cmocka_unit_test(write_invalidates),
        cmocka_unit_test(off_by_default),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
