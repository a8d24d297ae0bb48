/*
 * test_nova.c - the nova-v2.1 plugin through the fake host (fixtures recorded from the
 * all-in-one cloud, tokens scrubbed).
 */
/* clang-format off: cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>

#include <ec2gw/testing.h>

/* These tests script the uncached DescribeInstances (every read lists the servers); the
 * server cache has its own tests (test_nova_sync.c). */
#define NOVA_UNCACHED "{\"describe_staleness\": \"0\"}"

#define SRV "9ea0812c-9693-431b-8298-b2d9cf86b5cf"
#define IMG "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, NOVA_UNCACHED);

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static void
expect_describe(ec2gw_test_host_t *h, const char *servers)
{
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
                      servers);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "{\"security_groups\": [{\"id\": \"sg1\", \"name\": \"default\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{\"ports\": []}");
}

static void
test_zones(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/os-availability-zone", 200, "az.json");
    m = ec2gw_test_action(h, "DescribeAvailabilityZones", "{}");
    assert_non_null(m);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(m, "AvailabilityZones"), 0), "ZoneName")),
        "nova");
    json_decref(m);
    ec2gw_test_expect(h, "GET", "compute", "/os-availability-zone", 200, "az.json");
    assert_null(ec2gw_test_action(h, "DescribeAvailabilityZones", "{\"ZoneNames\": [\"x\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    ec2gw_test_expect(h, "GET", "compute", "/os-availability-zone", 500, "{}");
    assert_null(ec2gw_test_action(h, "DescribeAvailabilityZones", "{}"));
    ec2gw_test_expect_timeout(h, "GET", "compute", "/os-availability-zone");
    assert_null(ec2gw_test_action(h, "DescribeAvailabilityZones", "{}"));
    done(h);
}

static void
test_instance_types(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    m = ec2gw_test_action(h, "DescribeInstanceTypes", "{\"InstanceTypes\": [\"t2.micro\"]}");
    assert_non_null(m);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_object_get(json_array_get(json_object_get(m, "InstanceTypes"), 0), "MemoryInfo"),
            "SizeInMiB")),
        1024);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    assert_null(ec2gw_test_action(h, "DescribeInstanceTypes", "{\"InstanceTypes\": [\"x\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidInstanceType");
    done(h);
}

static void
test_key_pairs(void **s)
{
    ec2gw_test_host_t *h = host();
    const char *list = "{\"keypairs\": [{\"keypair\": {\"name\": \"k1\", \"public_key\": "
                       "\"ssh-rsa AAAA\", \"fingerprint\": \"aa:bb\", \"type\": \"ssh\"}}]}";
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs", 200, list);
    m = ec2gw_test_action(h, "DescribeKeyPairs",
                          "{\"Filters\": [{\"Name\": \"key-name\", \"Values\": [\"k*\"]}]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "KeyPairs")), 1);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "compute", "/os-keypairs", 200, list);
    assert_null(ec2gw_test_action(h, "DescribeKeyPairs", "{\"KeyNames\": [\"nope\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidKeyPair.NotFound");
    ec2gw_test_expect(h, "POST", "compute", "/os-keypairs", 409, "{}");
    assert_null(ec2gw_test_action(h, "ImportKeyPair",
                                  "{\"KeyName\": \"k1\", \"PublicKeyMaterial\": \"ssh-rsa A\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidKeyPair.Duplicate");
    ec2gw_test_expect(h, "POST", "compute", "/os-keypairs", 200,
                      "{\"keypair\": {\"name\": \"k2\", \"fingerprint\": \"cc:dd\"}}");
    m = ec2gw_test_action(h, "CreateKeyPair", "{\"KeyName\": \"k2\", \"KeyType\": \"ed25519\"}");
    assert_non_null(m);
    assert_non_null(strstr(json_string_value(json_object_get(m, "KeyMaterial")), "OPENSSH"));
    json_decref(m);
    ec2gw_test_expect(h, "DELETE", "compute", "/os-keypairs/k1", 404, "{}");
    m = ec2gw_test_action(h, "DeleteKeyPair", "{\"KeyName\": \"k1\"}");
    assert_non_null(m);
    json_decref(m);
    done(h);
}

static void
test_describe_instances(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m, *inst;

    (void)s;
    ec2gw_test_map_id(h, "i-0000000000000001a", SRV);
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    ec2gw_test_set_tags(h, "i-0000000000000001a", "[{\"Key\": \"Name\", \"Value\": \"web\"}]");
    expect_describe(h, "servers_one.json");
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"web\"]}]}");
    assert_non_null(m);
    inst = json_array_get(
        json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances"), 0);
    assert_string_equal(json_string_value(json_object_get(inst, "InstanceId")),
                        "i-0000000000000001a");
    assert_string_equal(json_string_value(json_object_get(inst, "ImageId")), "ami-00000001");
    assert_string_equal(json_string_value(json_object_get(inst, "InstanceType")), "m1.small");
    assert_string_equal(json_string_value(json_object_get(inst, "PrivateIpAddress")), "10.0.0.209");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(inst, "State"), "Code")),
                     16);
    assert_null(json_object_get(inst, "_ReservationId"));
    json_decref(m);
    /* unknown, malformed, Nova failure */
    assert_null(
        ec2gw_test_action(h, "DescribeInstances", "{\"InstanceIds\": [\"i-0123456789abcdef0\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidInstanceID.NotFound");
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{\"InstanceIds\": [\"bogus\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidInstanceID.Malformed");
    /* a known id in neither list: asked twice (a delete may fall between the two lists),
     * then unknown */
    ec2gw_test_map_id(h, "i-0000000000000002b", "gone-uuid");
    expect_describe(h, "servers_one.json");
    expect_describe(h, "servers_one.json");
    assert_null(ec2gw_test_action(h, "DescribeInstances",
                                  "{\"InstanceIds\": [\"i-0000000000000002b\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidInstanceID.NotFound");
    /* kernel and ramdisk (admin attributes) as mapped aki-/ari- ids */
    ec2gw_test_map_id(h, "aki-0000000c", "kernel-uuid");
    ec2gw_test_map_id(h, "ari-0000000d", "ramdisk-uuid");
    expect_describe(h, "{\"servers\": [{\"id\": \"" SRV "\", \"status\": \"ACTIVE\", "
                       "\"OS-EXT-STS:vm_state\": \"active\", \"OS-EXT-SRV-ATTR:kernel_id\": "
                       "\"kernel-uuid\", \"OS-EXT-SRV-ATTR:ramdisk_id\": \"ramdisk-uuid\"}]}");
    m = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"kernel-id\", \"Values\": "
                          "[\"aki-0000000c\"]}]}");
    assert_non_null(m);
    inst = json_array_get(
        json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances"), 0);
    assert_string_equal(json_string_value(json_object_get(inst, "KernelId")), "aki-0000000c");
    assert_string_equal(json_string_value(json_object_get(inst, "RamdiskId")), "ari-0000000d");
    json_decref(m);
    /* the service may not list servers: answered with the caller's lists */
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 403,
                      "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail", 200, "servers_one.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{}");
    m = ec2gw_test_action(h, "DescribeInstances", "{}");
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    assert_int_equal(json_array_size(json_object_get(m, "Reservations")), 1);
    json_decref(m);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all*", 500, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200, "{}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{}");
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{}"));
    done(h);
}

#define VOL_SRV "a8ed79b9-499a-4d16-a133-671bf1d3d204"

/* Run DescribeInstances over the recorded server with a volume and a port; first instance. */
static json_t *
describe_devices(ec2gw_test_host_t *h, const char *params, json_t **model)
{
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
                      "servers_volume.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "security_groups.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "ports.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 200, "volumes.json");
    *model = ec2gw_test_action(h, "DescribeInstances", params);
    if (*model == NULL)
        return NULL;
    return json_array_get(
        json_object_get(json_array_get(json_object_get(*model, "Reservations"), 0), "Instances"),
        0);
}

static void
test_describe_devices(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m, *inst, *nic, *bdm;
    const char *eni, *subnet, *vol;

    (void)s;
    inst = describe_devices(h, "{}", &m);
    assert_non_null(inst);
    /* the volume Nova attached, with Cinder's device name */
    bdm = json_array_get(json_object_get(inst, "BlockDeviceMappings"), 0);
    assert_string_equal(json_string_value(json_object_get(bdm, "DeviceName")), "/dev/vdb");
    vol = json_string_value(json_object_get(json_object_get(bdm, "Ebs"), "VolumeId"));
    assert_non_null(vol);
    assert_memory_equal(vol, "vol-", 4);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(bdm, "Ebs"), "Status")), "attached");
    assert_true(json_is_true(json_object_get(json_object_get(bdm, "Ebs"), "DeleteOnTermination")));
    /* root device from the admin attributes; the root is local: instance-store */
    assert_string_equal(json_string_value(json_object_get(inst, "RootDeviceName")), "/dev/sda");
    assert_string_equal(json_string_value(json_object_get(inst, "RootDeviceType")),
                        "instance-store");
    assert_null(json_object_get(inst, "KernelId"));
    /* the port as network interface 0, its subnet as the instance's */
    assert_int_equal(json_array_size(json_object_get(inst, "NetworkInterfaces")), 1);
    nic = json_array_get(json_object_get(inst, "NetworkInterfaces"), 0);
    eni = json_string_value(json_object_get(nic, "NetworkInterfaceId"));
    subnet = json_string_value(json_object_get(nic, "SubnetId"));
    assert_non_null(eni);
    assert_memory_equal(eni, "eni-", 4);
    assert_non_null(subnet);
    assert_memory_equal(subnet, "subnet-", 7);
    assert_string_equal(json_string_value(json_object_get(inst, "SubnetId")), subnet);
    assert_string_equal(json_string_value(json_object_get(nic, "PrivateIpAddress")), "10.0.0.78");
    assert_string_equal(json_string_value(json_object_get(nic, "MacAddress")),
                        "fa:16:3e:bd:37:c2");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(nic, "Attachment"), "DeviceIndex")), 0);
    assert_true(json_is_true(json_object_get(inst, "SourceDestCheck")));
    assert_string_equal(json_string_value(json_object_get(inst, "PrivateIpAddress")), "10.0.0.78");
    /* ids are stable across requests and usable in filters */
    {
        char params[512];
        json_t *m2, *again;

        snprintf(params, sizeof(params),
                 "{\"Filters\": [{\"Name\": \"network-interface.subnet-id\", \"Values\": "
                 "[\"%s\"]}, {\"Name\": \"block-device-mapping.volume-id\", \"Values\": "
                 "[\"%s\"]}, {\"Name\": \"root-device-name\", \"Values\": [\"/dev/sd*\"]}]}",
                 subnet, vol);
        again = describe_devices(h, params, &m2);
        assert_non_null(again);
        assert_string_equal(
            json_string_value(json_object_get(
                json_array_get(json_object_get(again, "NetworkInterfaces"), 0),
                "NetworkInterfaceId")),
            eni);
        json_decref(m2);
        snprintf(params, sizeof(params),
                 "{\"Filters\": [{\"Name\": \"block-device-mapping.device-name\", "
                 "\"Values\": [\"/dev/vdc\"]}]}");
        again = describe_devices(h, params, &m2);
        assert_null(again);
        assert_non_null(m2);
        assert_int_equal(json_array_size(json_object_get(m2, "Reservations")), 0);
        json_decref(m2);
    }
    json_decref(m);
    /* Cinder down: the mapping is still listed (no device), the request does not fail */
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=*", 200,
                      "servers_volume.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "security_groups.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "ports.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/detail", 503, "{}");
    m = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(m);
    json_decref(m);
    done(h);
}

static void
test_state_mapping(void **s)
{
    static const struct {
        const char *vm, *task, *status;
        int code;
    } t[] = {
        { "building", "spawning", "BUILD", 0 },
        { "active", "null", "ACTIVE", 16 },
        { "active", "\"powering-off\"", "ACTIVE", 64 },
        { "stopped", "null", "SHUTOFF", 80 },
        { "stopped", "\"powering-on\"", "SHUTOFF", 0 },
        { "active", "\"deleting\"", "ACTIVE", 32 },
        { "deleted", "null", "DELETED", 48 },
        { "error", "null", "ERROR", 80 },
        { "paused", "null", "PAUSED", 80 },
        { "shelved_offloaded", "null", "SHELVED", 80 },
        { "rescued", "null", "RESCUE", 16 },
        { "suspended", "null", "SUSPENDED", 80 },
    };
    (void)s;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ec2gw_test_host_t *h = host();
        char buf[512];
        json_t *m, *st;
        const char *task = strcmp(t[i].task, "spawning") == 0 ? "\"spawning\"" : t[i].task;

        snprintf(buf, sizeof(buf),
                 "{\"servers\": [{\"id\": \"s%zu\", \"status\": \"%s\", \"OS-EXT-STS:vm_state\":"
                 " \"%s\", \"OS-EXT-STS:task_state\": %s, \"flavor\": {\"original_name\": "
                 "\"m1.tiny\"}}]}",
                 i, t[i].status, t[i].vm, task);
        expect_describe(h, buf);
        m = ec2gw_test_action(h, "DescribeInstances", "{}");
        assert_non_null(m);
        st = json_object_get(
            json_array_get(
                json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances"),
                0),
            "State");
        assert_int_equal(json_integer_value(json_object_get(st, "Code")), t[i].code);
        json_decref(m);
        done(h);
    }
}

static void
expect_run_resolve(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net1\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
}

static void
test_run_instances(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *calls, *c;
    size_t i, deletes = 0;
    json_t *m;

    (void)s;
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-00000001\", \"MinCount\": 3, "
                                  "\"MaxCount\": 1}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-0000000f\", \"MinCount\": 1, "
                                  "\"MaxCount\": 1}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.NotFound");
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"bad\", \"MinCount\": 1, \"MaxCount\": 1}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.Malformed");
    /* DryRun validates first (issue 11 #11): MinCount=0, an unknown image, then a good one */
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-00000001\", \"MinCount\": 0, "
                                  "\"MaxCount\": 1, \"DryRun\": true}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-0000000f\", \"MinCount\": 1, "
                                  "\"MaxCount\": 1, \"DryRun\": true}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidAMIID.NotFound");
    expect_run_resolve(h);
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, "
                                  "\"MaxCount\": 1, \"DryRun\": true}"));
    assert_string_equal(ec2gw_test_last_error(h), "DryRunOperation");
    expect_run_resolve(h);
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, "
                                  "\"MaxCount\": 1, \"InstanceType\": \"x9.huge\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    /* the third boot fails: the two created servers are deleted */
    expect_run_resolve(h);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s2\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 500, "{}");
    /* a 500 may hide a created server: looked up by name (three times), none found */
    for (i = 0; i < 3; i++)
        ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, "{\"servers\": []}");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/s1", 204, NULL);
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/s2", 204, NULL);
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-00000001\", \"MinCount\": 3, "
                                  "\"MaxCount\": 3}"));
    calls = ec2gw_test_calls(h);
    json_array_foreach(calls, i, c) deletes +=
        strcmp(json_string_value(json_object_get(c, "method")), "DELETE") == 0;
    assert_int_equal(deletes, 2);
    /* success with tags */
    expect_run_resolve(h);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s3\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, "
                          "\"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": "
                          "[{\"Key\": \"Name\", \"Value\": \"x\"}]}]}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Instances")), 1);
    json_decref(m);
    done(h);
}

static void
test_actions(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_map_id(h, "i-0000000000000001a", SRV);
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"id\": \"" SRV "\", \"OS-EXT-STS:vm_state\": \"active\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 409, "{}");
    assert_null(
        ec2gw_test_action(h, "RebootInstances", "{\"InstanceIds\": [\"i-0000000000000001a\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "IncorrectInstanceState");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": {\"id\": \"" SRV "\", \"OS-EXT-STS:vm_state\": \"active\"}}");
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/" SRV, 204, NULL);
    m = ec2gw_test_action(h, "TerminateInstances", "{\"InstanceIds\": [\"i-0000000000000001a\"]}");
    assert_non_null(m);
    assert_true(ec2gw_test_json_equal(
        h, m,
        "{\"TerminatingInstances\": [{\"InstanceId\": \"i-0000000000000001a\", \"PreviousState\":"
        " {\"Code\": 16, \"Name\": \"running\"}, \"CurrentState\": {\"Code\": 32, \"Name\": "
        "\"shutting-down\"}}]}"));
    json_decref(m);
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 200,
                      "{\"output\": \"FAKE\"}");
    m = ec2gw_test_action(h, "GetConsoleOutput", "{\"InstanceId\": \"i-0000000000000001a\"}");
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "Output")), "RkFLRQ==");
    json_decref(m);
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 404, "{}");
    assert_null(
        ec2gw_test_action(h, "GetConsoleOutput", "{\"InstanceId\": \"i-0000000000000001a\"}"));
    done(h);
}

/* The body of the last POST /servers the plugin sent. */
static const json_t *
last_boot_body(ec2gw_test_host_t *h)
{
    const json_t *calls = ec2gw_test_calls(h), *c, *body = NULL;
    size_t i;

    json_array_foreach(calls, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "method")), "POST") == 0 &&
            strcmp(json_string_value(json_object_get(c, "path")), "/servers") == 0)
            body = json_object_get(json_object_get(c, "body"), "server");
    }
    return body;
}

static void
test_run_devices(void **s)
{
    ec2gw_test_host_t *h = host();
    const json_t *body, *b;
    json_t *m;

    (void)s;
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    ec2gw_test_map_id(h, "subnet-0000000a", "sub1");
    ec2gw_test_map_id(h, "snap-0000000b", "snapuuid");
    /* a blank volume, an ephemeral disk, a snapshot volume, on a chosen subnet and address */
    expect_run_resolve(h);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                      "{\"subnets\": [{\"id\": \"sub1\", \"network_id\": \"net1\", "
                      "\"cidr\": \"10.0.0.0/24\"}]}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    m = ec2gw_test_action(
        h, "RunInstances",
        "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, \"SubnetId\": "
        "\"subnet-0000000a\", \"PrivateIpAddress\": \"10.0.0.50\", \"BlockDeviceMappings\": "
        "[{\"DeviceName\": \"/dev/sdb\", \"Ebs\": {\"VolumeSize\": 2, \"VolumeType\": "
        "\"fake\", \"DeleteOnTermination\": false}}, {\"DeviceName\": \"/dev/sdc\", "
        "\"VirtualName\": \"ephemeral0\"}, {\"DeviceName\": \"/dev/sdd\", \"Ebs\": "
        "{\"SnapshotId\": \"snap-0000000b\"}}]}");
    assert_non_null(m);
    json_decref(m);
    body = last_boot_body(h);
    assert_non_null(body);
    assert_true(ec2gw_test_json_equal(h, json_object_get(body, "networks"),
                                      "[{\"uuid\": \"net1\", \"fixed_ip\": \"10.0.0.50\"}]"));
    b = json_object_get(body, "block_device_mapping_v2");
    assert_int_equal(json_array_size(b), 4);
    assert_true(ec2gw_test_json_equal(
        h, json_array_get(b, 0),
        "{\"source_type\": \"image\", \"destination_type\": \"local\", \"uuid\": \"" IMG
        "\", \"boot_index\": 0, \"delete_on_termination\": true}"));
    assert_true(ec2gw_test_json_equal(
        h, json_array_get(b, 1),
        "{\"device_name\": \"/dev/sdb\", \"boot_index\": -1, \"destination_type\": "
        "\"volume\", \"delete_on_termination\": false, \"volume_size\": 2, \"volume_type\": "
        "\"fake\", \"source_type\": \"blank\"}"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 2), "destination_type")),
                        "local");
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 3), "uuid")),
                        "snapuuid");
    /* an EBS root from the image: boot from volume */
    expect_run_resolve(h);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s2\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", "
                          "\"BlockDeviceMappings\": "
                          "[{\"DeviceName\": \"/dev/sda1\", \"Ebs\": {\"VolumeSize\": 5}}]}");
    assert_non_null(m);
    json_decref(m);
    b = json_object_get(last_boot_body(h), "block_device_mapping_v2");
    assert_int_equal(json_array_size(b), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "source_type")),
                        "image");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(b, 0), "destination_type")), "volume");
    /* bad input: every case answered before any boot */
    static const struct {
        const char *params, *code;
    } bad[] = {
        { "\"SubnetId\": \"subnet-0000000f\"", "InvalidSubnetID.NotFound" },
        { "\"SubnetId\": \"bogus\"", "InvalidSubnetID.Malformed" },
        { "\"PrivateIpAddress\": \"10.0.0.5\", \"MaxCount\": 2", "InvalidParameterCombination" },
        { "\"SubnetId\": \"subnet-0000000a\", \"NetworkInterfaces\": [{\"DeviceIndex\": 0}]",
          "InvalidParameterCombination" },
        { "\"NetworkInterfaces\": [{\"DeviceIndex\": 1}]", "InvalidParameterValue" },
        { "\"NetworkInterfaces\": [{\"SubnetId\": \"subnet-0000000a\"}]", "InvalidParameterValue" },
        /* a public IP is mapped only in a VPC subnet (test_nova_vpc.c) */
        { "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, \"AssociatePublicIpAddress\": true}]",
          "InvalidParameterCombination" },
        { "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, \"NetworkInterfaceId\": \"eni-0000000f\"}]",
          "InvalidNetworkInterfaceID.NotFound" },
        { "\"BlockDeviceMappings\": [{\"Ebs\": {\"VolumeSize\": 1}}]", "MissingParameter" },
        { "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdb\", \"Ebs\": {\"Encrypted\": true, "
          "\"VolumeSize\": 1}}]",
          "UnsupportedOperation" },
        { "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdb\", \"Ebs\": {}}]",
          "InvalidBlockDeviceMapping" },
        { "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdb\", \"Ebs\": {\"SnapshotId\": "
          "\"ami-1\"}}]",
          "InvalidSnapshotID.Malformed" },
        { "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdb\", \"VirtualName\": \"x\"}]",
          "InvalidBlockDeviceMapping" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char params[512];
        int resolves = strstr(bad[i].params, "BlockDevice") != NULL ||
                       strstr(bad[i].params, "subnet-0000000f") != NULL;

        snprintf(params, sizeof(params),
                 "{\"MinCount\": 1, \"MaxCount\": 1, \"ImageId\": \"ami-00000001\", %s}",
                 bad[i].params);
        if (resolves) {
            /* these need the image (root device) or Neutron's subnets first */
            expect_run_resolve(h);
            if (strstr(bad[i].params, "subnet-0000000f") != NULL)
                ec2gw_test_map_id(h, "subnet-0000000f", "gone");
            if (strstr(bad[i].params, "SubnetId") != NULL)
                ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                                  "{\"subnets\": []}");
        }
        assert_null(ec2gw_test_action(h, "RunInstances", params));
        if (strcmp(ec2gw_test_last_error(h), bad[i].code) != 0)
            fail_msg("case %zu (%s): got %s, want %s", i, bad[i].params, ec2gw_test_last_error(h),
                     bad[i].code);
    }
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zones),         cmocka_unit_test(test_instance_types),
        cmocka_unit_test(test_key_pairs),     cmocka_unit_test(test_describe_instances),
        cmocka_unit_test(test_state_mapping), cmocka_unit_test(test_run_instances),
        cmocka_unit_test(test_actions),       cmocka_unit_test(test_describe_devices),
        cmocka_unit_test(test_run_devices),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
