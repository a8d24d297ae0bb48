/*
 * test_site_boot.c - the site_boot example through the SDK's fake host, wrapping the stock
 * compute plugin (nova-v2.1): Nova's side of RunInstances is scripted here, or replayed from
 * the recording the SDK installs (ec2gw_test_replay), and the test checks only what the
 * wrapper changes. Plain C (no test framework), so that it builds out of tree
 * with the installed SDK alone:
 *     test_site_boot <site_boot.so> <nova-v2.1.so>
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/testing.h>

#define IMG   "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"
#define GROUP "4c3c3d5e-1e7b-4f43-9d1f-2f0a3e1b9c11"

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

/* What the stock compute plugin asks OpenStack for one boot, answered as the cloud did. */
static void
expect_boot(ec2gw_test_host_t *h, const char *server_id)
{
    char body[128];

    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200,
                      "{\"flavors\": [{\"id\": \"f1\", \"name\": \"m1.small\", \"ram\": 2048, "
                      "\"disk\": 20, \"vcpus\": 1, \"OS-FLV-EXT-DATA:ephemeral\": 0}]}");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net1\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
    snprintf(body, sizeof(body), "{\"server\": {\"id\": \"%s\"}}", server_id);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, body);
}

/* Is @p v the string @p s? */
static int
str_is(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* The body of the last call @p method @p path, or NULL. */
static const json_t *
last_body(ec2gw_test_host_t *h, const char *method, const char *path)
{
    const json_t *c, *body = NULL;
    size_t i;

    json_array_foreach(ec2gw_test_calls(h), i, c)
    {
        if (str_is(json_object_get(c, "method"), method) &&
            str_is(json_object_get(c, "path"), path))
            body = json_object_get(c, "body");
    }
    return body;
}

/* Does tag list @p tags hold site=@p value? */
static int
has_site_tag(const json_t *tags, const char *value)
{
    const json_t *t;
    size_t i;

    json_array_foreach(tags, i, t)
    {
        if (str_is(json_object_get(t, "Key"), "site"))
            return str_is(json_object_get(t, "Value"), value);
    }
    return 0;
}

static ec2gw_test_host_t *
wrapped(const char *site_so, const char *nova_so, const char *settings)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(nova_so, "{}");

    if (h == NULL || ec2gw_test_host_wrap(h, site_so, settings) != 0) {
        fprintf(stderr, "cannot load: %s\n", ec2gw_test_load_error());
        ec2gw_test_host_free(h);
        return NULL;
    }
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    return h;
}

/* One boot: Nova sees the site's metadata (beside compute's own) and the group hint, the
 * instance the site tag (answer and tag store), next to the caller's own tags. */
static void
test_boot(const char *site_so, const char *nova_so)
{
    ec2gw_test_host_t *h = wrapped(site_so, nova_so,
                                   "{\"site\": \"cern\", \"server_group\": "
                                   "\"" GROUP "\"}");
    const json_t *body, *server, *inst;
    json_t *m, *tags;

    if (h == NULL) {
        failures++;
        return;
    }
    expect_boot(h, "s1");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, "
                          "\"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": "
                          "[{\"Key\": \"Name\", \"Value\": \"web\"}]}]}");
    CHECK(m != NULL);
    body = last_body(h, "POST", "/servers");
    server = json_object_get(body, "server");
    CHECK(json_is_object(server));
    CHECK(str_is(json_object_get(json_object_get(server, "metadata"), "site"), "cern"));
    CHECK(json_object_get(json_object_get(server, "metadata"), "ec2_reservation_id") != NULL);
    CHECK(str_is(json_object_get(json_object_get(body, "os:scheduler_hints"), "group"), GROUP));
    /* the GETs before the boot are not touched */
    CHECK(json_is_null(last_body(h, "GET", "/v2/images/" IMG)));
    inst = json_array_get(json_object_get(m, "Instances"), 0);
    CHECK(has_site_tag(json_object_get(inst, "Tags"), "cern"));
    CHECK(json_array_size(json_object_get(inst, "Tags")) == 2); /* Name=web too */
    tags = ec2gw_test_get_tags(h, json_string_value(json_object_get(inst, "InstanceId")));
    CHECK(has_site_tag(tags, "cern"));
    json_decref(tags);
    json_decref(m);
    CHECK(ec2gw_test_unmet_expectations(h) == 0);
    CHECK(ec2gw_test_violations(h) == 0);
    ec2gw_test_host_free(h);
}

/* Without a server group the hint is empty (Nova ignores it); the site defaults to cern. */
static void
test_no_group(const char *site_so, const char *nova_so)
{
    ec2gw_test_host_t *h = wrapped(site_so, nova_so, NULL);
    const json_t *body;
    json_t *m;

    if (h == NULL) {
        failures++;
        return;
    }
    expect_boot(h, "s2");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1}");
    CHECK(m != NULL);
    body = last_body(h, "POST", "/servers");
    CHECK(json_object_size(json_object_get(body, "os:scheduler_hints")) == 0);
    CHECK(str_is(
        json_object_get(json_object_get(json_object_get(body, "server"), "metadata"), "site"),
        "cern"));
    json_decref(m);
    CHECK(ec2gw_test_violations(h) == 0);
    ec2gw_test_host_free(h);
}

/* Over the conversation the SDK ships (recorded on the all-in-one cloud): the wrapper's part
 * only, as a site's own test would be. */
static void
test_boot_replayed(const char *site_so, const char *nova_so)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(nova_so, "{}");
    const json_t *boot;
    json_t *m;

    if (h == NULL || ec2gw_test_host_wrap(h, site_so, "{\"server_group\": \"" GROUP "\"}") != 0) {
        fprintf(stderr, "cannot load: %s\n", ec2gw_test_load_error());
        failures++;
        ec2gw_test_host_free(h);
        return;
    }
    m = ec2gw_test_action(h, "RunInstances", ec2gw_test_replay(h, "nova-v2.1/RunInstances"));
    boot = ec2gw_test_call_body(h, "POST", "compute", "/servers");
    CHECK(m != NULL);
    CHECK(str_is(
        json_object_get(json_object_get(json_object_get(boot, "server"), "metadata"), "site"),
        "cern"));
    CHECK(str_is(json_object_get(json_object_get(boot, "os:scheduler_hints"), "group"), GROUP));
    CHECK(has_site_tag(json_object_get(json_array_get(json_object_get(m, "Instances"), 0), "Tags"),
                       "cern"));
    json_decref(m);
    CHECK(ec2gw_test_unmet_expectations(h) == 0);
    CHECK(ec2gw_test_violations(h) == 0);
    ec2gw_test_host_free(h);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <site_boot.so> <nova-v2.1.so>\n", argv[0]);
        return 2;
    }
    test_boot(argv[1], argv[2]);
    test_no_group(argv[1], argv[2]);
    test_boot_replayed(argv[1], argv[2]);
    if (failures == 0)
        printf("test_site_boot: ok\n");
    return failures == 0 ? 0 : 1;
}
