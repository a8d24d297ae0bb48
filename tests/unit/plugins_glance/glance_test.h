/* glance_test.h - shared set-up of the glance-v2 unit tests. */
#ifndef GLANCE_TEST_H
#define GLANCE_TEST_H

#include <ec2gw/testing.h>

#define ME    "91dfec2b753d46b2a4b140062b75950a" /* demo */
#define OTHER "4f826ee4efd74767aea47e6170014053" /* demo2 */
#define ADMIN "9fbad483e8a14a02a0b313df777dc897" /* owner of the seeded public images */

#define UUID_CIRROS  "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"
#define UUID_KERNEL  "d0c82b52-3495-424b-b23c-2c778a59e499"
#define UUID_RAMDISK "53344bae-29f9-46c0-9feb-33afa627a6d6"
#define UUID_PRIVATE "1a6e0f7c-1111-4c1e-9d43-000000000001"
#define UUID_EBS     "2b7f1e8d-3333-4a2b-8c3d-000000000003"
#define UUID_SHARED  "3c8a2f9e-5555-4d3c-8e4f-000000000005"

#define LIST_PATH   "/v2/images?limit=500"
#define SHARED_PATH "/v2/images?limit=500&visibility=shared&member_status=all"

static inline ec2gw_test_host_t *
glance_host_new(const char *settings)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(GLANCE_SO, settings);

    if (h == NULL)
        return NULL;
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_set_project(h, ME);
    return h;
}

static inline void
glance_expect_list(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "image", LIST_PATH, 200, "images_list.json");
    ec2gw_test_expect(h, "GET", "image", SHARED_PATH, 200, "images_shared.json");
}

#endif
