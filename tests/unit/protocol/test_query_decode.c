/* test_query_decode.c - EC2 query parameters into typed JSON (ec2-protocol.md §2.4-2.9). */
/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "protocol/ec2_model.h"
#include "protocol/query_decode.h"

static ec2gw_model_t *model;

static int
load_model(void **state)
{
    ec2gw_err_t err = { 0 };

    (void)state;
    if (ec2gw_model_load(EC2GW_SOURCE_DIR "/model/ec2-2016-11-15.json", &model, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int
free_model(void **state)
{
    (void)state;
    ec2gw_model_free(model);
    return 0;
}

/* Decode the form-encoded @p form for @p action. */
static int
decode(const char *action, const char *form, json_t **out, ec2gw_fault_t *fault)
{
    ec2gw_kvlist_t l = { 0 };
    const ec2gw_model_op_t *op = ec2gw_model_op(model, action);
    int rc;

    assert_non_null(op);
    assert_int_equal(ec2gw_kvlist_parse_form(&l, form, strlen(form)), 0);
    rc = ec2gw_query_decode(op, &l, out, fault);
    ec2gw_kvlist_free(&l);
    return rc;
}

static void
expect_json(const char *action, const char *form, const char *expected)
{
    ec2gw_fault_t fault = { 0 };
    json_t *out = NULL, *exp = json_loads(expected, 0, NULL);
    int rc = decode(action, form, &out, &fault);

    if (rc != 0)
        fail_msg("%s: %s %s", action, fault.code, fault.message);
    assert_non_null(exp);
    if (!json_equal(out, exp)) {
        char *got = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);

        print_error("got      %s\nexpected %s\n", got, expected);
        free(got);
        fail();
    }
    json_decref(out);
    json_decref(exp);
}

static void
expect_fault(const char *action, const char *form, const char *code, const char *in_message)
{
    ec2gw_fault_t fault = { 0 };
    json_t *out = NULL;

    assert_int_equal(decode(action, form, &out, &fault), -1);
    assert_null(out);
    assert_string_equal(fault.code, code);
    assert_int_equal(fault.status, 400);
    if (strstr(fault.message, in_message) == NULL)
        fail_msg("message '%s' does not contain '%s'", fault.message, in_message);
}

static void
test_describe_instances_example(void **state)
{
    (void)state;
    expect_json("DescribeInstances",
                "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&Filter.1.Name=x&"
                "Filter.1.Value.1=y&MaxResults=5",
                "{\"InstanceIds\":[\"i-1\"],\"Filters\":[{\"Name\":\"x\",\"Values\":[\"y\"]}],"
                "\"MaxResults\":5}");
}

/* ec2-api sorted index strings, so "10" came before "2". */
static void
test_numeric_list_order(void **state)
{
    (void)state;
    expect_json("DescribeInstances",
                "InstanceId.10=i-j&InstanceId.2=i-b&InstanceId.1=i-a&InstanceId.3=i-c&"
                "InstanceId.9=i-i",
                "{\"InstanceIds\":[\"i-a\",\"i-b\",\"i-c\",\"i-i\",\"i-j\"]}");
}

static void
test_nested_lists(void **state)
{
    (void)state;
    expect_json("DescribeInstances",
                "Filter.2.Name=tag:Name&Filter.2.Value.10=z&Filter.2.Value.2=y&"
                "Filter.1.Name=instance-state-name&Filter.1.Value.1=running&Filter.2.Value.1=x",
                "{\"Filters\":[{\"Name\":\"instance-state-name\",\"Values\":[\"running\"]},"
                "{\"Name\":\"tag:Name\",\"Values\":[\"x\",\"y\",\"z\"]}]}");
}

/* "0123" stays a string (ec2-api made it 83); an empty value stays an empty string. */
static void
test_create_tags(void **state)
{
    (void)state;
    expect_json("CreateTags",
                "Action=CreateTags&ResourceId.1=i-1&ResourceId.2=vol-2&Tag.1.Key=a&"
                "Tag.1.Value=0123&Tag.2.Key=empty&Tag.2.Value=",
                "{\"Resources\":[\"i-1\",\"vol-2\"],\"Tags\":[{\"Key\":\"a\",\"Value\":\"0123\"},"
                "{\"Key\":\"empty\",\"Value\":\"\"}]}");
}

/* Wire names: TagSpecification.N.Tag.N, SecurityGroupId.N, queryName PrivateIpAddresses,
 * SecurityGroupId inside NetworkInterface.N (member Groups), Placement, Ebs. */
static void
test_run_instances_wire_names(void **state)
{
    (void)state;
    expect_json(
        "RunInstances",
        "ImageId=ami-1&MinCount=1&MaxCount=1&SecurityGroupId.1=sg-1&SecurityGroup.1=default&"
        "TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&"
        "TagSpecification.1.Tag.1.Value=web&NetworkInterface.1.DeviceIndex=0&"
        "NetworkInterface.1.SecurityGroupId.1=sg-2&"
        "NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress=10.0.0.5&"
        "NetworkInterface.1.PrivateIpAddresses.1.Primary=true&"
        "NetworkInterface.1.Ipv6Addresses.1.Ipv6Address=fe80::1&"
        "BlockDeviceMapping.1.DeviceName=/dev/sda1&BlockDeviceMapping.1.Ebs.VolumeSize=20&"
        "BlockDeviceMapping.2.DeviceName=/dev/sdb&BlockDeviceMapping.2.VirtualName=ephemeral0&"
        "Placement.AvailabilityZone=nova&UserData=dGVzdA%3D%3D&ClientToken=tok-1&"
        "InstanceInitiatedShutdownBehavior=terminate",
        "{\"ImageId\":\"ami-1\",\"MinCount\":1,\"MaxCount\":1,\"SecurityGroupIds\":[\"sg-1\"],"
        "\"SecurityGroups\":[\"default\"],\"TagSpecifications\":[{\"ResourceType\":\"instance\","
        "\"Tags\":[{\"Key\":\"Name\",\"Value\":\"web\"}]}],\"NetworkInterfaces\":[{"
        "\"DeviceIndex\":0,\"Groups\":[\"sg-2\"],\"PrivateIpAddresses\":[{\"PrivateIpAddress\":"
        "\"10.0.0.5\",\"Primary\":true}],\"Ipv6Addresses\":[{\"Ipv6Address\":\"fe80::1\"}]}],"
        "\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/sda1\",\"Ebs\":{\"VolumeSize\":20}},"
        "{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"ephemeral0\"}],"
        "\"Placement\":{\"AvailabilityZone\":\"nova\"},\"UserData\":\"dGVzdA==\","
        "\"ClientToken\":\"tok-1\",\"InstanceInitiatedShutdownBehavior\":\"terminate\"}");
}

/* The member name is not a wire name: SecurityGroupIds.1 is unknown. */
static void
test_member_name_is_not_wire_name(void **state)
{
    (void)state;
    expect_fault("RunInstances", "MinCount=1&MaxCount=1&SecurityGroupIds.1=sg-1",
                 "UnknownParameter", "SecurityGroupIds.1");
    /* Case-sensitive (§2.2). */
    expect_fault("DescribeInstances", "instanceId.1=i-1", "UnknownParameter", "instanceId.1");
}

static void
test_scalars(void **state)
{
    (void)state;
    expect_json("DescribeInstances", "DryRun=TRUE&MaxResults=-5",
                "{\"DryRun\":true,\"MaxResults\":-5}");
    expect_json("DescribeInstances", "DryRun=false", "{\"DryRun\":false}");
    expect_fault("DescribeInstances", "DryRun=yes", "InvalidParameterValue", "DryRun");
    expect_fault("DescribeInstances", "DryRun=1", "InvalidParameterValue", "DryRun");
    expect_fault("DescribeInstances", "MaxResults=abc", "InvalidParameterValue", "MaxResults");
    expect_fault("DescribeInstances", "MaxResults=0x10", "InvalidParameterValue", "MaxResults");
    expect_fault("DescribeInstances", "MaxResults=", "InvalidParameterValue", "MaxResults");
    expect_fault("DescribeInstances", "MaxResults=5.5", "InvalidParameterValue", "MaxResults");
    expect_fault("DescribeInstances", "MaxResults=+5", "InvalidParameterValue", "MaxResults");
    /* Integer is 32-bit in the model; out of range is rejected, not wrapped. */
    expect_fault("DescribeInstances", "MaxResults=2147483648", "InvalidParameterValue",
                 "MaxResults");
    expect_json("DescribeInstances", "MaxResults=2147483647", "{\"MaxResults\":2147483647}");
    expect_fault("RunInstances", "MinCount=1&MaxCount=1&BlockDeviceMapping.1.Ebs.VolumeSize=x",
                 "InvalidParameterValue", "BlockDeviceMapping.1.Ebs.VolumeSize");
    /* Invalid UTF-8 in a string. */
    expect_fault("DescribeInstances", "Filter.1.Name=%FF", "InvalidParameterValue",
                 "Filter.1.Name");
}

static void
test_timestamp_input(void **state)
{
    (void)state;
    expect_json("DescribeSpotPriceHistory",
                "StartTime=2024-01-02T03:04:05Z&EndTime=2024-01-02T05:04:05.5%2B02:00",
                "{\"StartTime\":\"2024-01-02T03:04:05.000Z\","
                "\"EndTime\":\"2024-01-02T03:04:05.500Z\"}");
    expect_fault("DescribeSpotPriceHistory", "StartTime=yesterday", "InvalidParameterValue",
                 "StartTime");
}

static void
test_missing_required(void **state)
{
    (void)state;
    expect_fault("CreateTags", "Action=CreateTags&Version=2016-11-15&Tag.1.Key=a",
                 "MissingParameter", "ResourceId");
    expect_fault("CreateTags", "ResourceId.1=i-1", "MissingParameter", "Tag");
    /* Nested: a present structure is checked, with its wire path. */
    expect_fault("RunInstances", "MinCount=1&MaxCount=1&ElasticInferenceAccelerator.1.Count=1",
                 "MissingParameter", "ElasticInferenceAccelerator.1.Type");
    expect_fault("RunInstances", "MinCount=1", "MissingParameter", "MaxCount");
}

static void
test_unknown_parameter(void **state)
{
    (void)state;
    expect_fault("DescribeRegions", "Action=DescribeRegions&Foo=1", "UnknownParameter", "Foo");
    expect_fault("DescribeInstances", "Filter.1.Bogus=1", "UnknownParameter", "Filter.1.Bogus");
    expect_fault("RunInstances", "MinCount=1&MaxCount=1&Placement=x", "UnknownParameter",
                 "Placement");
    expect_fault("DescribeInstances", "MaxResults.1.X=1", "UnknownParameter", "MaxResults.1.X");
}

static void
test_bad_index(void **state)
{
    (void)state;
    expect_fault("DescribeInstances", "InstanceId.x=i-1", "InvalidParameterValue", "InstanceId.x");
    expect_fault("DescribeInstances", "InstanceId.-1=i-1", "InvalidParameterValue",
                 "InstanceId.-1");
    expect_fault("DescribeInstances", "InstanceId.1=a&InstanceId.01=b", "InvalidParameterValue",
                 "more than once");
    expect_fault("DescribeInstances", "MaxResults=5&MaxResults=6", "InvalidParameterValue",
                 "MaxResults");
}

/* Old boto sends InstanceId.1 where the model member is a scalar (GetPasswordData). */
static void
test_scalar_as_one_element_list(void **state)
{
    (void)state;
    expect_json("GetPasswordData", "InstanceId.1=i-1", "{\"InstanceId\":\"i-1\"}");
    expect_json("GetPasswordData", "InstanceId=i-1", "{\"InstanceId\":\"i-1\"}");
    expect_fault("GetPasswordData", "InstanceId.1=i-1&InstanceId.2=i-2", "InvalidParameterValue",
                 "InstanceId.2");
    /* Only for a scalar member: an element of a list of strings takes no further index. */
    expect_fault("DescribeInstances", "InstanceId.1.1=i-1", "UnknownParameter", "InstanceId.1.1");
    expect_fault("GetPasswordData", "InstanceId.1.1=i-1", "UnknownParameter", "InstanceId.1.1");
}

/* libcloud counts from 0 (CreateTags ResourceId.0, Tag.0.Key); the index only orders. */
static void
test_zero_based_index(void **state)
{
    (void)state;
    expect_json("CreateTags", "ResourceId.0=i-1&Tag.0.Key=a&Tag.0.Value=&Tag.1.Key=b&Tag.1.Value=2",
                "{\"Resources\":[\"i-1\"],\"Tags\":[{\"Key\":\"a\",\"Value\":\"\"},"
                "{\"Key\":\"b\",\"Value\":\"2\"}]}");
    expect_fault("DescribeInstances", "InstanceId.0=a&InstanceId.00=b", "InvalidParameterValue",
                 "more than once");
}

/* A list of scalars named without an index is a one-element list, as AWS reads it
 * (libcloud's get_key_pair sends DescribeKeyPairs KeyName=k). */
static void
test_unindexed_scalar_list(void **state)
{
    (void)state;
    expect_json("DescribeKeyPairs", "KeyName=k", "{\"KeyNames\":[\"k\"]}");
    expect_json("DescribeInstances", "InstanceId=i-1", "{\"InstanceIds\":[\"i-1\"]}");
    expect_fault("DescribeKeyPairs", "KeyName=k&KeyName.1=j", "InvalidParameterValue",
                 "more than once");
    expect_fault("DescribeKeyPairs", "KeyName.1=j&KeyName=k", "InvalidParameterValue",
                 "more than once");
    /* Not for a list of structures: "Filter" alone says nothing. */
    expect_fault("DescribeInstances", "Filter=x", "UnknownParameter", "Filter");
    /* Net::Amazon::EC2's scalar forms: the index omitted before a member name is 1. */
    expect_json("DescribeTags", "Filter.Name=resource-id&Filter.Value=i-1",
                "{\"Filters\":[{\"Name\":\"resource-id\",\"Values\":[\"i-1\"]}]}");
    expect_json("DeleteTags", "ResourceId=i-1&Tag.Key=k",
                "{\"Resources\":[\"i-1\"],\"Tags\":[{\"Key\":\"k\"}]}");
    expect_fault("DeleteTags", "ResourceId=i-1&Tag.Key=k&Tag.1.Key=j", "InvalidParameterValue",
                 "more than once");
    expect_fault("DescribeTags", "Filter.Nope=x", "InvalidParameterValue", "Filter.Nope");
    expect_fault("DescribeTags", "Filter.Name.Value=x", "UnknownParameter", "Filter.Name.Value");
}

/* Value wrappers stay structures (§2.6); the older Attribute/Value form also decodes. */
static void
test_value_wrapper(void **state)
{
    (void)state;
    expect_json("ModifyInstanceAttribute",
                "InstanceId=i-1&DisableApiTermination.Value=true&Kernel.Value=x%26y",
                "{\"InstanceId\":\"i-1\",\"DisableApiTermination\":{\"Value\":true},"
                "\"Kernel\":{\"Value\":\"x&y\"}}");
    expect_json("ModifyInstanceAttribute", "InstanceId=i-1&Attribute=kernel&Value=aki-1",
                "{\"InstanceId\":\"i-1\",\"Attribute\":\"kernel\",\"Value\":\"aki-1\"}");
}

static void
test_blob_base64(void **state)
{
    (void)state;
    /* base64("ssh-ed25519 AAAAC3 me@host") */
    expect_json("ImportKeyPair",
                "KeyName=k&PublicKeyMaterial=c3NoLWVkMjU1MTkgQUFBQUMzIG1lQGhvc3Q%3D",
                "{\"KeyName\":\"k\",\"PublicKeyMaterial\":\"ssh-ed25519 AAAAC3 me@host\"}");
    expect_json("ImportKeyPair", "KeyName=k&PublicKeyMaterial=YWI%3D",
                "{\"KeyName\":\"k\",\"PublicKeyMaterial\":\"ab\"}");
    expect_json("ImportKeyPair", "KeyName=k&PublicKeyMaterial=YWI",
                "{\"KeyName\":\"k\",\"PublicKeyMaterial\":\"ab\"}");
    expect_fault("ImportKeyPair", "KeyName=k&PublicKeyMaterial=not*base64", "InvalidParameterValue",
                 "PublicKeyMaterial");
    expect_fault("ImportKeyPair", "KeyName=k&PublicKeyMaterial=YW%3DI", "InvalidParameterValue",
                 "PublicKeyMaterial");
    expect_fault("ImportKeyPair", "KeyName=k&PublicKeyMaterial=Y", "InvalidParameterValue",
                 "PublicKeyMaterial");
}

/* Protocol and authentication parameters never reach the shape. */
static void
test_protocol_params_skipped(void **state)
{
    (void)state;
    expect_json("DescribeRegions",
                "Action=DescribeRegions&Version=2016-11-15&AWSAccessKeyId=AK&Signature=x&"
                "SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2024-01-02T03:04:05Z&"
                "X-Amz-Date=20240102T030405Z&X-Amz-Credential=a%2Fb&SecurityToken=t",
                "{}");
    expect_json("DescribeRegions", "RegionName.1=RegionOne&AllRegions=true",
                "{\"RegionNames\":[\"RegionOne\"],\"AllRegions\":true}");
}

/* The flat legacy form of the security group rule calls (§2.8). */
static void
test_legacy_flat_rule(void **state)
{
    (void)state;
    expect_json("AuthorizeSecurityGroupIngress",
                "GroupName=web&IpProtocol=tcp&FromPort=22&ToPort=22&CidrIp=0.0.0.0/0",
                "{\"GroupName\":\"web\",\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
                "\"CidrIp\":\"0.0.0.0/0\"}");
    expect_json("AuthorizeSecurityGroupIngress",
                "GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80&"
                "IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8&"
                "IpPermissions.1.Groups.1.GroupId=sg-2",
                "{\"GroupId\":\"sg-1\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":80,"
                "\"ToPort\":80,\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}],"
                "\"UserIdGroupPairs\":[{\"GroupId\":\"sg-2\"}]}]}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_instances_example),
        cmocka_unit_test(test_numeric_list_order),
        cmocka_unit_test(test_nested_lists),
        cmocka_unit_test(test_create_tags),
        cmocka_unit_test(test_run_instances_wire_names),
        cmocka_unit_test(test_member_name_is_not_wire_name),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_timestamp_input),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_unknown_parameter),
        cmocka_unit_test(test_bad_index),
        cmocka_unit_test(test_scalar_as_one_element_list),
        cmocka_unit_test(test_unindexed_scalar_list),
        cmocka_unit_test(test_zero_based_index),
        cmocka_unit_test(test_value_wrapper),
        cmocka_unit_test(test_blob_base64),
        cmocka_unit_test(test_protocol_params_skipped),
        cmocka_unit_test(test_legacy_flat_rule),
    };

    return cmocka_run_group_tests(tests, load_model, free_model);
}
