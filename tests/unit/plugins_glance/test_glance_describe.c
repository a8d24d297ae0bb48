/*
 * test_glance_describe.c - DescribeImages of the glance-v2 plugin through the fake host: the
 * image model (kinds from formats, states, EBS mappings, mapped kernel/ramdisk ids), Owner.N,
 * ExecutableBy.N, filters (wildcards, tags), paging over Glance and EC2, ImageId.N (mapped,
 * mapped by another project, malformed, unknown) and Glance failures.
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

/* The image of @p m named @p name (borrowed), or NULL. */
static json_t *
by_name(json_t *m, const char *name)
{
    json_t *im;
    size_t i;

    json_array_foreach(json_object_get(m, "Images"), i, im)
    {
        if (strcmp(json_string_value(json_object_get(im, "Name")), name) == 0)
            return im;
    }
    return NULL;
}

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_t *
describe(ec2gw_test_host_t *h, const char *params)
{
    glance_expect_list(h);
    return ec2gw_test_action(h, "DescribeImages", params);
}

static size_t
count(const json_t *m)
{
    return json_array_size(json_object_get(m, "Images"));
}

static void
model_of_every_image(void **state)
{
    ec2gw_test_host_t *h = glance_host_new(NULL);
    json_t *m, *im, *kernel, *bdm;

    (void)state;
    assert_non_null(h);
    m = describe(h, "{}");
    assert_non_null(m);
    assert_int_equal(count(m), 8);
    assert_null(json_object_get(m, "NextToken"));

    im = by_name(m, "cirros-fake");
    assert_string_equal(str(im, "ImageType"), "machine");
    assert_int_equal(strncmp(str(im, "ImageId"), "ami-", 4), 0);
    assert_string_equal(str(im, "State"), "available");
    assert_string_equal(str(im, "OwnerId"), ADMIN);
    assert_true(json_is_true(json_object_get(im, "Public")));
    assert_string_equal(str(im, "CreationDate"), "2026-11-25T12:45:32.000Z");
    assert_string_equal(str(im, "RootDeviceType"), "instance-store");
    assert_string_equal(str(im, "RootDeviceName"), "/dev/sda1");
    assert_string_equal(str(im, "ImageLocation"), ADMIN "/cirros-fake");
    assert_int_equal(json_array_size(json_object_get(im, "Tags")), 0);

    kernel = by_name(m, "cirros-fake-kernel");
    assert_string_equal(str(kernel, "ImageType"), "kernel");
    assert_int_equal(strncmp(str(kernel, "ImageId"), "aki-", 4), 0);
    assert_int_equal(strncmp(str(by_name(m, "cirros-fake-ramdisk"), "ImageId"), "ari-", 4), 0);

    im = by_name(m, "web-server");
    assert_false(json_is_true(json_object_get(im, "Public")));
    assert_string_equal(str(im, "Architecture"), "x86_64");
    assert_string_equal(str(im, "Description"), "the web tier");
    assert_string_equal(str(im, "KernelId"), str(kernel, "ImageId"));
    assert_string_equal(str(im, "RamdiskId"), str(by_name(m, "cirros-fake-ramdisk"), "ImageId"));

    im = by_name(m, "db-snapshot");
    assert_string_equal(str(im, "RootDeviceType"), "ebs");
    assert_string_equal(str(im, "RootDeviceName"), "/dev/vda");
    bdm = json_object_get(im, "BlockDeviceMappings");
    assert_int_equal(json_array_size(bdm), 2);
    assert_string_equal(str(json_array_get(bdm, 0), "DeviceName"), "/dev/vda");
    assert_int_equal(
        strncmp(str(json_object_get(json_array_get(bdm, 0), "Ebs"), "SnapshotId"), "snap-", 5), 0);
    assert_true(json_is_true(
        json_object_get(json_object_get(json_array_get(bdm, 0), "Ebs"), "DeleteOnTermination")));
    assert_string_equal(str(json_array_get(bdm, 1), "VirtualName"), "swap");

    assert_string_equal(str(by_name(m, "uploading"), "State"), "pending");
    assert_string_equal(str(by_name(m, "broken"), "State"), "failed");
    assert_string_equal(str(by_name(m, "partner-image"), "OwnerId"), OTHER);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    json_decref(m);
    ec2gw_test_host_free(h);
}

static void
owners_and_executable_by(void **state)
{
    static const struct {
        const char *params;
        size_t n;
    } cases[] = {
        { "{\"Owners\": [\"self\"]}", 4 },
        { "{\"Owners\": [\"" ME "\"]}", 4 },
        { "{\"Owners\": [\"" OTHER "\"]}", 1 },
        { "{\"Owners\": [\"" ADMIN "\", \"" OTHER "\"]}", 4 },
        { "{\"Owners\": [\"amazon\"]}", 0 },
        { "{\"ExecutableUsers\": [\"all\"]}", 3 },
        { "{\"ExecutableUsers\": [\"self\"]}", 5 },
        { "{\"Owners\": [\"self\"], \"ExecutableUsers\": [\"all\"]}", 0 },
    };
    ec2gw_test_host_t *h = glance_host_new(NULL);
    json_t *m;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = describe(h, cases[i].params);

        if (m == NULL || count(m) != cases[i].n)
            fail_msg("%s: %zu images, want %zu (%s)", cases[i].params, m ? count(m) : 0, cases[i].n,
                     ec2gw_test_last_error(h) ? ec2gw_test_last_error(h) : "");
        json_decref(m);
    }
    /* another account: my images shared with it (Glance members) */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS "/members", 200, "members.json");
    m = describe(h, "{\"ExecutableUsers\": [\"" OTHER "\"]}");
    assert_int_equal(count(m), 1);
    assert_non_null(by_name(m, "db-snapshot"));
    json_decref(m);
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS "/members", 200, "members.json");
    m = describe(h, "{\"ExecutableUsers\": [\"someone-else\", \"all\"]}");
    assert_int_equal(count(m), 3);
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
filters(void **state)
{
    static const struct {
        const char *filters;
        size_t n;
    } cases[] = {
        { "[{\"Name\": \"name\", \"Values\": [\"cirros-fake*\"]}]", 3 },
        { "[{\"Name\": \"name\", \"Values\": [\"cirros-fake?kernel\"]}]", 1 },
        { "[{\"Name\": \"name\", \"Values\": [\"CIRROS*\"]}]", 0 },
        { "[{\"Name\": \"state\", \"Values\": [\"pending\", \"failed\"]}]", 2 },
        { "[{\"Name\": \"image-type\", \"Values\": [\"ramdisk\"]}]", 1 },
        { "[{\"Name\": \"is-public\", \"Values\": [\"false\"]}]", 5 },
        { "[{\"Name\": \"owner-id\", \"Values\": [\"" ADMIN "\"]}]", 3 },
        { "[{\"Name\": \"root-device-type\", \"Values\": [\"ebs\"]}]", 1 },
        /* images without the Glance property are x86_64 too */
        { "[{\"Name\": \"architecture\", \"Values\": [\"x86_64\"]}]", 7 },
        { "[{\"Name\": \"block-device-mapping.device-name\", \"Values\": [\"/dev/vdb\"]}]", 1 },
        { "[{\"Name\": \"block-device-mapping.volume-size\", \"Values\": [\"1\"]}]", 1 },
        { "[{\"Name\": \"description\", \"Values\": [\"*web*\"]}]", 1 },
        { "[{\"Name\": \"is-public\", \"Values\": [\"true\"]},"
          " {\"Name\": \"image-type\", \"Values\": [\"machine\"]}]",
          1 },
        { "[{\"Name\": \"tag:role\", \"Values\": [\"db\"]}]", 1 },
        { "[{\"Name\": \"tag-key\", \"Values\": [\"role\"]}]", 1 },
    };
    ec2gw_test_host_t *h = glance_host_new(NULL);
    json_t *m = describe(h, "{\"Filters\": [{\"Name\": \"name\", \"Values\": [\"db-snapshot\"]}]}");
    const char *id;
    char params[512];

    (void)state;
    assert_int_equal(count(m), 1);
    id = json_string_value(
        json_object_get(json_array_get(json_object_get(m, "Images"), 0), "ImageId"));
    assert_int_equal(ec2gw_test_set_tags(h, id, "[{\"Key\": \"role\", \"Value\": \"db\"}]"), 0);
    json_decref(m);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(params, sizeof(params), "{\"Filters\": %s}", cases[i].filters);
        m = describe(h, params);
        if (m == NULL || count(m) != cases[i].n)
            fail_msg("%s: %zu images, want %zu (%s)", cases[i].filters, m ? count(m) : 0,
                     cases[i].n, ec2gw_test_last_error(h) ? ec2gw_test_last_error(h) : "");
        json_decref(m);
    }
    m = describe(h, "{\"Filters\": [{\"Name\": \"tag:role\", \"Values\": [\"db\"]}]}");
    assert_true(ec2gw_test_json_equal(
        h, json_object_get(json_array_get(json_object_get(m, "Images"), 0), "Tags"),
        "[{\"Key\": \"role\", \"Value\": \"db\"}]"));
    json_decref(m);
    m = describe(h, "{\"Filters\": [{\"Name\": \"no-such-filter\", \"Values\": [\"x\"]}]}");
    assert_null(m);
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
paging(void **state)
{
    ec2gw_test_host_t *h = glance_host_new("page_size: 4");
    json_t *m, *m2;
    char params[256];

    (void)state;
    assert_non_null(h);
    /* Glance pages: the plugin follows `next` before the shared listing */
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=4", 200, "images_page1.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=4&marker=*", 200, "images_page2.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=4&visibility=shared&member_status=all",
                      200, "images_shared.json");
    m = ec2gw_test_action(h, "DescribeImages", "{\"MaxResults\": 5}");
    assert_non_null(m);
    assert_int_equal(count(m), 5);
    assert_non_null(json_object_get(m, "NextToken"));
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=4", 200, "images_page1.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=4&marker=*", 200, "images_page2.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images?limit=4&visibility=shared&member_status=all",
                      200, "images_shared.json");
    snprintf(params, sizeof(params), "{\"MaxResults\": 5, \"NextToken\": \"%s\"}",
             str(m, "NextToken"));
    m2 = ec2gw_test_action(h, "DescribeImages", params);
    assert_non_null(m2);
    assert_int_equal(count(m2), 3);
    assert_null(json_object_get(m2, "NextToken"));
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    json_decref(m);
    json_decref(m2);
    ec2gw_test_host_free(h);

    h = glance_host_new(NULL);
    m = describe(h, "{\"MaxResults\": 3}");
    assert_null(m);
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    m = ec2gw_test_action(h, "DescribeImages",
                          "{\"MaxResults\": 5, \"ImageIds\": [\"ami-12345678\"]}");
    assert_null(m);
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterCombination");
    ec2gw_test_host_free(h);
}

static void
image_ids(void **state)
{
    ec2gw_test_host_t *h = glance_host_new(NULL);
    json_t *m;
    char params[256];

    (void)state;
    assert_int_equal(ec2gw_test_map_id(h, "ami-0000aaaa", UUID_PRIVATE), 0);
    assert_int_equal(ec2gw_test_map_id(h, "ami-0000bbbb", UUID_EBS), 0);
    /* mapped ids: one GET each, concurrently (any answer order) */
    for (unsigned seed = 0; seed < 4; seed++) {
        ec2gw_test_set_shuffle(h, seed);
        ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 200, "image_private.json");
        ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_EBS, 200, "image_ebs.json");
        m = ec2gw_test_action(h, "DescribeImages",
                              "{\"ImageIds\": [\"ami-0000aaaa\", \"ami-0000bbbb\"]}");
        assert_non_null(m);
        assert_int_equal(count(m), 2);
        assert_non_null(by_name(m, "web-server"));
        assert_string_equal(str(by_name(m, "db-snapshot"), "ImageId"), "ami-0000bbbb");
        json_decref(m);
    }
    ec2gw_test_set_shuffle(h, 0);
    /* malformed: no call */
    m = ec2gw_test_action(h, "DescribeImages", "{\"ImageIds\": [\"ami-xyz\"]}");
    assert_null(m);
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.Malformed");
    m = ec2gw_test_action(h, "DescribeImages", "{\"ImageIds\": [\"i-12345678\"]}");
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.Malformed");
    /* unknown: looked for among the visible images, then NotFound */
    m = describe(h, "{\"ImageIds\": [\"ami-12345678\"]}");
    assert_null(m);
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.NotFound");
    /* the mapped image is gone from Glance */
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" UUID_PRIVATE, 404, "not_found.html");
    m = ec2gw_test_action(h, "DescribeImages", "{\"ImageIds\": [\"ami-0000aaaa\"]}");
    assert_null(m);
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.NotFound");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "ami-0000aaaa"));

    /* an id another project mapped first: found by listing, the same id */
    m = describe(h, "{\"Filters\": [{\"Name\": \"name\", \"Values\": [\"cirros-fake\"]}]}");
    snprintf(params, sizeof(params), "{\"ImageIds\": [\"%s\"]}",
             str(json_array_get(json_object_get(m, "Images"), 0), "ImageId"));
    json_decref(m);
    ec2gw_test_set_project(h, OTHER);
    m = describe(h, params);
    assert_non_null(m);
    assert_int_equal(count(m), 1);
    assert_string_equal(str(json_array_get(json_object_get(m, "Images"), 0), "Name"),
                        "cirros-fake");
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
glance_failures(void **state)
{
    ec2gw_test_host_t *h = glance_host_new(NULL);
    json_t *m;

    (void)state;
    ec2gw_test_expect(h, "GET", "image", LIST_PATH, 500, "{\"message\": \"boom\"}");
    m = ec2gw_test_action(h, "DescribeImages", "{}");
    assert_null(m);
    assert_true(ec2gw_test_last_status(h) >= 500);
    ec2gw_test_expect(h, "GET", "image", LIST_PATH, 200, "images_list.json");
    ec2gw_test_expect_timeout(h, "GET", "image", SHARED_PATH);
    m = ec2gw_test_action(h, "DescribeImages", "{}");
    assert_null(m);
    assert_true(ec2gw_test_last_status(h) >= 500);
    ec2gw_test_expect_error(h, "GET", "image", LIST_PATH, "Connection refused");
    m = ec2gw_test_action(h, "DescribeImages", "{}");
    assert_null(m);
    assert_true(ec2gw_test_last_status(h) >= 500);
    /* the shared listing can be turned off */
    ec2gw_test_host_free(h);
    h = glance_host_new("list_shared_pending: false");
    ec2gw_test_expect(h, "GET", "image", LIST_PATH, 200, "images_list.json");
    m = ec2gw_test_action(h, "DescribeImages", "{}");
    assert_int_equal(count(m), 7);
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
    /* settings are checked */
    assert_null(glance_host_new("page_size: 5000"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_of_every_image),
        cmocka_unit_test(owners_and_executable_by),
        cmocka_unit_test(filters),
        cmocka_unit_test(paging),
        cmocka_unit_test(image_ids),
        cmocka_unit_test(glance_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
