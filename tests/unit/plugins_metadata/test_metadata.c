/*
 * test_metadata.c - the ec2-v1 metadata plugin through the fake host: the agent's signed
 * headers, every path of the EC2 and OpenStack trees with the EC2 ids the API shows, the
 * per-instance cache on the fake clock, refusals that read nothing, OpenStack failures, and the
 * optional X-Neutron-Network-ID lookup. Answers recorded from the cloud (fixtures/record.py).
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

#include "md_test.h"

#define INSTANCE_DATA                                                                        \
    "{\"reservation_id\": \"r-0123456789abcdef0\", \"launch_index\": 2, "                    \
    "\"metadata_options\": {\"http_tokens\": \"optional\", \"http_endpoint\": \"enabled\", " \
    "\"http_put_response_hop_limit\": 1}}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = md_host("{}", INSTANCE_DATA);

    assert_non_null(h);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* GET @p path as the agent, expecting @p status and, when not NULL, exactly @p body. */
static void
get(ec2gw_test_host_t *h, const char *path, int status, const char *body)
{
    int got = ec2gw_test_http(h, "GET", path, AGENT(""));

    if (got != status || (body != NULL && strcmp(ec2gw_test_http_body(h, NULL), body) != 0))
        fail_msg("GET %s: %d \"%s\", want %d \"%s\"", path, got, ec2gw_test_http_body(h, NULL),
                 status, body ? body : "*");
}

static void
ec2_tree(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    assert_string_equal(ec2gw_test_http_content_type(h), "text/plain");
    /* every later path of the instance is served from the one miss above */
    get(h, "/latest/meta-data/ami-id", 200, "ami-0000000b");
    get(h, "/latest/meta-data/ami-launch-index", 200, "2");
    get(h, "/latest/meta-data/reservation-id", 200, "r-0123456789abcdef0");
    get(h, "/latest/meta-data/instance-type", 200, "m1.tiny");
    get(h, "/latest/meta-data/local-ipv4", 200, IP);
    get(h, "/latest/meta-data/hostname", 200, "fixture-md");
    get(h, "/latest/meta-data/local-hostname", 200, "fixture-md");
    get(h, "/latest/meta-data/mac", 200, MAC);
    get(h, "/latest/meta-data/placement/availability-zone", 200, "nova");
    get(h, "/latest/meta-data/placement/", 200, "availability-zone\nregion");
    get(h, "/latest/meta-data/public-keys", 200, "0=fixture-md");
    get(h, "/latest/meta-data/public-keys/0", 200, "openssh-key");
    get(h, "/latest/meta-data/public-keys/0/openssh-key", 200, KEY);
    get(h, "/latest/meta-data/block-device-mapping/", 200, "ami\nebs0\nroot");
    get(h, "/latest/meta-data/block-device-mapping/root", 200, "/dev/sda");
    get(h, "/latest/meta-data/block-device-mapping/ebs0", 200, "/dev/sdb");
    get(h, "/latest/meta-data/security-groups", 200, "default");
    get(h, "/latest/meta-data/network/interfaces/macs/", 200, MAC "/");
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/interface-id", 200, "eni-0000000c");
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/subnet-id", 200, "subnet-0000000d");
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/vpc-id", 200, "vpc-0000000f");
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/security-group-ids", 200,
        "sg-0000000e");
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/local-ipv4s", 200, IP);
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/device-number", 200, "0");
    get(h, "/latest/meta-data/network/interfaces/macs/" MAC "/owner-id", 200, TENANT);
    get(h, "/latest/meta-data/", 200,
        "ami-id\nami-launch-index\nami-manifest-path\nblock-device-mapping/\nhostname\n"
        "instance-action\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\n"
        "network/\nplacement/\npublic-keys/\nreservation-id\nsecurity-groups\nservices/");
    get(h, "/latest/meta-data", 200, NULL);
    get(h, "/2009-04-04/meta-data/instance-id", 200, "i-0000000a");
    get(h, "/1.0/meta-data/instance-id", 200, "i-0000000a");
    get(h, "/latest/user-data", 200, "#cloud-config\nruncmd: [echo fixture]\n");
    assert_string_equal(ec2gw_test_http_content_type(h), "application/octet-stream");
    get(h, "/latest/", 200, "dynamic\nmeta-data\nuser-data");
    get(h, "/", 200, NULL);
    assert_non_null(strstr(ec2gw_test_http_body(h, NULL), "2009-04-04\n"));
    assert_non_null(strstr(ec2gw_test_http_body(h, NULL), "\nlatest"));
    /* no public address: no public-ipv4, as on EC2 */
    get(h, "/latest/meta-data/public-ipv4", 404, NULL);
    get(h, "/latest/meta-data/no-such-key", 404, NULL);
    get(h, "/latest/meta-data/instance-id/deeper", 404, NULL);
    get(h, "/latest/meta-data/public-keys/0/_name", 404, NULL);
    get(h, "/1999-01-01/meta-data/instance-id", 404, NULL);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 4);
    done(h);
}

static void
identity_document(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *doc;

    (void)state;
    md_expect_miss(h, NULL);
    get(h, "/latest/dynamic/", 200, "instance-identity/");
    get(h, "/latest/dynamic/instance-identity/", 200, "document");
    get(h, "/latest/dynamic/instance-identity/document", 200, NULL);
    doc = json_loads(ec2gw_test_http_body(h, NULL), 0, NULL);
    assert_non_null(doc);
    assert_true(ec2gw_test_json_equal(
        h, doc,
        "{\"accountId\": \"" TENANT "\", \"architecture\": \"x86_64\", \"availabilityZone\": "
        "\"nova\", \"imageId\": \"ami-0000000b\", \"instanceId\": \"i-0000000a\", "
        "\"instanceType\": \"m1.tiny\", \"privateIp\": \"" IP "\", \"region\": \"RegionOne\", "
        "\"version\": \"2017-09-30\", \"billingProducts\": null, \"devpayProductCodes\": null, "
        "\"marketplaceProductCodes\": null, \"kernelId\": null, \"ramdiskId\": null, "
        "\"pendingTime\": \"2026-12-02T22:28:24Z\"}"));
    json_decref(doc);
    done(h);
}

static void
openstack_tree(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *meta, *net;

    (void)state;
    md_expect_miss(h, NULL);
    get(h, "/openstack", 200, NULL);
    assert_non_null(strstr(ec2gw_test_http_body(h, NULL), "2012-08-10\n"));
    get(h, "/openstack/latest/", 200,
        "meta_data.json\nnetwork_data.json\nuser_data\nvendor_data.json");
    get(h, "/openstack/2013-04-04/meta_data.json", 200, NULL);
    assert_string_equal(ec2gw_test_http_content_type(h), "application/json");
    meta = json_loads(ec2gw_test_http_body(h, NULL), 0, NULL);
    assert_non_null(meta);
    assert_string_equal(json_string_value(json_object_get(meta, "uuid")), UUID);
    assert_string_equal(json_string_value(json_object_get(meta, "project_id")), TENANT);
    assert_string_equal(json_string_value(json_object_get(meta, "hostname")), "fixture-md");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(meta, "public_keys"), "fixture-md")),
        KEY);
    json_decref(meta);
    get(h, "/openstack/latest/network_data.json", 200, NULL);
    net = json_loads(ec2gw_test_http_body(h, NULL), 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(net, "links"), 0),
                                          "ethernet_mac_address")),
        MAC);
    json_decref(net);
    get(h, "/openstack/latest/user_data", 200, "#cloud-config\nruncmd: [echo fixture]\n");
    get(h, "/openstack/latest/vendor_data.json", 200, "{}");
    get(h, "/openstack/latest/nothing", 404, NULL);
    get(h, "/openstack/1999-01-01/meta_data.json", 404, NULL);
    done(h);
}

/* A request refused before anything is read: no OpenStack call, nothing of the instance. */
static void
refused(ec2gw_test_host_t *h, const char *headers, int status)
{
    int got = ec2gw_test_http(h, "GET", "/latest/meta-data/instance-id", headers);

    if (got != status)
        fail_msg("headers %s: %d \"%s\", want %d", headers, got, ec2gw_test_http_body(h, NULL),
                 status);
    assert_null(strstr(ec2gw_test_http_body(h, NULL), "i-0000000a"));
}

static void
signature_refusals(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    /* made with another secret */
    refused(h,
            "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" TENANT
            "\", \"X-Instance-ID-Signature\": \"" BAD_SIG "\"}",
            403);
    /* missing */
    refused(h, "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" TENANT "\"}", 403);
    /* another instance's signature on this id, and this one's on another id */
    refused(h,
            "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" TENANT
            "\", \"X-Instance-ID-Signature\": \"" OTHER_SIG "\"}",
            403);
    refused(h,
            "{\"X-Instance-ID\": \"" OTHER_ID "\", \"X-Tenant-ID\": \"" TENANT
            "\", \"X-Instance-ID-Signature\": \"" SIG "\"}",
            403);
    /* upper-case hex of the right signature is not what the agent sends */
    refused(h,
            "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" TENANT
            "\", \"X-Instance-ID-Signature\": "
            "\"88DB186C30C074EEE87AE75DECF9546E4D235B08D0D7CB907DD611E81B49E231\"}",
            403);
    /* no identity at all, no tenant, an id twice */
    refused(h, "{\"X-Forwarded-For\": \"" IP "\"}", 400);
    refused(h, "{\"X-Instance-ID\": \"" UUID "\", \"X-Instance-ID-Signature\": \"" SIG "\"}", 400);
    refused(h,
            "{\"X-Instance-ID\": [\"" UUID "\", \"" OTHER_ID "\"], \"X-Tenant-ID\": \"" TENANT
            "\", \"X-Instance-ID-Signature\": \"" SIG "\"}",
            400);
    /* Neutron ids are not trusted by default */
    refused(h, "{\"X-Neutron-Network-ID\": \"" NETWORK "\", \"X-Forwarded-For\": \"" IP "\"}", 400);
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 0);
    done(h);
}

static void
tenant_mismatch(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    /* a valid signature, but the server belongs to another project than the agent says */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID, 200, "md_server.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" UUID, 200, "md_ports.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID "/os-volume_attachments", 200,
                      "md_attachments.json");
    refused(h,
            "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" OTHER
            "\", \"X-Instance-ID-Signature\": \"" SIG "\"}",
            404);
    /* once cached for its own project, still not served to the other one */
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    refused(h,
            "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" OTHER
            "\", \"X-Instance-ID-Signature\": \"" SIG "\"}",
            404);
    done(h);
}

static void
cache_expires(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    ec2gw_test_set_metadata_conf(h, 10000, 21600);
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    ec2gw_test_clock_advance(h, 9999);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 4);
    ec2gw_test_clock_advance(h, 1);
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), 8);
    /* cache_ttl 0: every request reads OpenStack */
    ec2gw_test_set_metadata_conf(h, 0, 21600);
    ec2gw_test_clock_advance(h, 10000);
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    done(h);
}

static void
openstack_failures(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    /* a signed id of no server */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID, 404,
                      "{\"itemNotFound\": {\"code\": 404, \"message\": \"not found\"}}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" UUID, 200, "{\"ports\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID "/os-volume_attachments", 404, NULL);
    get(h, "/latest/meta-data/instance-id", 404, NULL);
    /* Neutron down: no half tree */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID, 200, "md_server.json");
    ec2gw_test_expect_error(h, "GET", "network", "/v2.0/ports?device_id=" UUID,
                            "Connection refused");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID "/os-volume_attachments", 200,
                      "md_attachments.json");
    get(h, "/latest/meta-data/instance-id", 503, NULL);
    /* a deleted key pair: served without public-keys */
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID, 200, "md_server.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" UUID, 200, "md_ports.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID "/os-volume_attachments", 200,
                      "md_attachments.json");
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs/fixture-md?user_id=*", 404, NULL);
    get(h, "/latest/meta-data/instance-id", 200, "i-0000000a");
    get(h, "/latest/meta-data/public-keys/", 404, NULL);
    done(h);
}

static void
neutron_network_id(void **state)
{
    ec2gw_test_host_t *h = md_host("{\"trust_neutron_ids\": true}", INSTANCE_DATA);
    const char *hdrs =
        "{\"X-Neutron-Network-ID\": \"" NETWORK "\", \"X-Forwarded-For\": \"" IP "\"}";

    (void)state;
    assert_non_null(h);
    ec2gw_test_expect(h, "GET", "network",
                      "/v2.0/ports?network_id=" NETWORK "&fixed_ips=ip_address%3D" IP, 200,
                      "md_ports.json");
    md_expect_miss(h, NULL);
    assert_int_equal(ec2gw_test_http(h, "GET", "/latest/meta-data/instance-id", hdrs), 200);
    assert_string_equal(ec2gw_test_http_body(h, NULL), "i-0000000a");
    /* an address no compute port has */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?network_id=" NETWORK "&fixed_ips=*", 200,
                      "{\"ports\": []}");
    refused(h, "{\"X-Neutron-Network-ID\": \"" NETWORK "\", \"X-Forwarded-For\": \"10.9.9.9\"}",
            404);
    /* not an address: refused before Neutron is asked */
    refused(h, "{\"X-Neutron-Network-ID\": \"" NETWORK "\", \"X-Forwarded-For\": \"a&b=c\"}", 400);
    done(h);
}

static void
neutron_router_id(void **state)
{
    ec2gw_test_host_t *h = md_host("{\"trust_neutron_ids\": true}", INSTANCE_DATA);
    const char *router = "6f1c1b4a-3a3e-4f57-9d3c-2b7d9c0e1a11";
    const char *ext = "0b4e4e0e-6a43-4b1d-8bd4-7f8c1a2e3d4f";
    char hdrs[256], answer[512];

    (void)state;
    assert_non_null(h);
    snprintf(hdrs, sizeof(hdrs),
             "{\"X-Neutron-Router-ID\": \"%s\", \"X-Forwarded-For\": \"" IP "\"}", router);
    snprintf(answer, sizeof(answer),
             "{\"ports\": [{\"network_id\": \"%s\", \"device_owner\": \"network:router_gateway\"}, "
             "{\"network_id\": \"" NETWORK "\", \"device_owner\": \"network:router_interface\"}]}",
             ext);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=6f1c1b4a-*", 200, answer);
    /* the address on the router's interface networks only, not on its external network */
    ec2gw_test_expect(h, "GET", "network",
                      "/v2.0/ports?fixed_ips=ip_address%3D" IP "&network_id=" NETWORK, 200,
                      "md_ports.json");
    md_expect_miss(h, NULL);
    assert_int_equal(ec2gw_test_http(h, "GET", "/latest/meta-data/instance-id", hdrs), 200);
    assert_string_equal(ec2gw_test_http_body(h, NULL), "i-0000000a");
    /* a router without interfaces names no instance */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=6f1c1b4a-*", 200,
                      "{\"ports\": []}");
    refused(h, hdrs, 404);
    done(h);
}

static void
endpoint_disabled(void **state)
{
    ec2gw_test_host_t *h =
        md_host("{}", "{\"metadata_options\": {\"http_endpoint\": \"disabled\", \"http_tokens\": "
                      "\"optional\"}}");

    (void)state;
    assert_non_null(h);
    md_expect_miss(h, NULL);
    get(h, "/latest/meta-data/instance-id", 404, "Not Found\n");
    get(h, "/latest/user-data", 404, NULL);
    assert_int_equal(ec2gw_test_http(h, "PUT", "/latest/api/token",
                                     AGENT(", \"X-aws-ec2-metadata-token-ttl-seconds\": \"60\"")),
                     404);
    done(h);
}

static void
methods(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    md_expect_miss(h, NULL);
    assert_int_equal(ec2gw_test_http(h, "PUT", "/latest/meta-data/instance-id", AGENT("")), 405);
    assert_int_equal(ec2gw_test_http(h, "GET", "/latest/api/token", AGENT("")), 405);
    assert_string_equal(ec2gw_test_http_reply_header(h, "Allow"), "PUT");
    assert_int_equal(ec2gw_test_http(h, "HEAD", "/latest/meta-data/instance-id", AGENT("")), 200);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ec2_tree),
        cmocka_unit_test(identity_document),
        cmocka_unit_test(openstack_tree),
        cmocka_unit_test(signature_refusals),
        cmocka_unit_test(tenant_mismatch),
        cmocka_unit_test(cache_expires),
        cmocka_unit_test(openstack_failures),
        cmocka_unit_test(neutron_network_id),
        cmocka_unit_test(neutron_router_id),
        cmocka_unit_test(endpoint_disabled),
        cmocka_unit_test(methods),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
