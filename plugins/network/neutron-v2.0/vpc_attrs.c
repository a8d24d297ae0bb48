/*
 * vpc_attrs.c - Describe/ModifyVpcAttribute (enableDnsSupport, enableDnsHostnames: flags
 * stored in the vpc row, openstack-mapping.md §17) and ModifySubnetAttribute
 * (MapPublicIpOnLaunch, stored in the subnet row for RunInstances).
 */
#include <string.h>

#include "vpc_priv.h"

static const struct {
    const char *attr, *member, *field;
    int def;
} vpc_attrs[] = {
    { "enableDnsSupport", "EnableDnsSupport", VPC_F_ENABLE_DNS_SUPPORT, 1 },
    { "enableDnsHostnames", "EnableDnsHostnames", VPC_F_ENABLE_DNS_HOSTNAMES, 0 },
};
#define VPC_N_ATTRS (sizeof(vpc_attrs) / sizeof(vpc_attrs[0]))

int
neutron_describe_vpc_attribute(ec2gw_req_t *req, void *inst)
{
    const char *attr = neutron_param_str(req, "Attribute");
    const char *id = neutron_param_str(req, "VpcId");
    json_t *data = NULL;

    (void)inst;
    if (attr == NULL)
        return vpc_missing(req, "Attribute");
    if (neutron_vpc_get(req, id, &data) != EC2GW_OK || data == NULL)
        return EC2GW_OK;
    neutron_own(req, data);
    if (strcmp(attr, "enableNetworkAddressUsageMetrics") == 0) {
        ec2gw->finish(req, json_pack("{s:s, s:{s:b}}", "VpcId", id,
                                     "EnableNetworkAddressUsageMetrics", "Value", 0));
        return EC2GW_OK;
    }
    for (size_t i = 0; i < VPC_N_ATTRS; i++)
        if (strcmp(attr, vpc_attrs[i].attr) == 0) {
            ec2gw->finish(req,
                          json_pack("{s:s, s:{s:b}}", "VpcId", id, vpc_attrs[i].member, "Value",
                                    vpc_flag(data, vpc_attrs[i].field, vpc_attrs[i].def)));
            return EC2GW_OK;
        }
    ec2gw->fail(req, 400, "InvalidParameterValue",
                "Value (%.64s) for parameter Attribute is invalid: expecting enableDnsSupport, "
                "enableDnsHostnames or enableNetworkAddressUsageMetrics",
                attr);
    return EC2GW_OK;
}

int
neutron_modify_vpc_attribute(ec2gw_req_t *req, void *inst)
{
    const json_t *p = ec2gw->params(req), *v = NULL;
    const char *id = neutron_param_str(req, "VpcId");
    json_t *data = NULL;
    size_t which = VPC_N_ATTRS;
    int given = 0;

    (void)inst;
    for (size_t i = 0; i < VPC_N_ATTRS; i++)
        if (json_object_get(p, vpc_attrs[i].member) != NULL) {
            given++;
            which = i;
            v = json_object_get(json_object_get(p, vpc_attrs[i].member), "Value");
        }
    if (json_object_get(p, "EnableNetworkAddressUsageMetrics") != NULL) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "EnableNetworkAddressUsageMetrics is not supported");
        return EC2GW_OK;
    }
    if (given != 1) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "Exactly one of EnableDnsSupport and EnableDnsHostnames must be given");
        return EC2GW_OK;
    }
    if (!json_is_boolean(v)) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "%s.Value must be true or false",
                    vpc_attrs[which].member);
        return EC2GW_OK;
    }
    if (neutron_vpc_get(req, id, &data) != EC2GW_OK || data == NULL)
        return EC2GW_OK;
    neutron_own(req, data);
    /* AWS: DNS hostnames need DNS support */
    if (which == 1 && json_is_true(v) && !vpc_flag(data, VPC_F_ENABLE_DNS_SUPPORT, 1)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "enableDnsHostnames cannot be true while enableDnsSupport is false");
        return EC2GW_OK;
    }
    json_object_set_new(data, vpc_attrs[which].field, json_boolean(json_is_true(v)));
    if (ec2gw->item_put(req, id, neutron_str(data, VPC_F_OS_ID), data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The VPC's row could not be stored");
        return EC2GW_OK;
    }
    ec2gw->finish(req, json_object());
    return EC2GW_OK;
}

int
neutron_modify_subnet_attribute(ec2gw_req_t *req, void *inst)
{
    static const char *const unsupported[] = {
        "AssignIpv6AddressOnCreation",
        "MapCustomerOwnedIpOnLaunch",
        "CustomerOwnedIpv4Pool",
        "EnableDns64",
        "PrivateDnsHostnameTypeOnLaunch",
        "EnableResourceNameDnsARecordOnLaunch",
        "EnableResourceNameDnsAAAARecordOnLaunch",
        "EnableLniAtDeviceIndex",
        "DisableLniAtDeviceIndex",
    };
    const json_t *p = ec2gw->params(req);
    const json_t *v = json_object_get(json_object_get(p, "MapPublicIpOnLaunch"), "Value");
    const char *id = neutron_param_str(req, "SubnetId");
    json_t *data = NULL;

    (void)inst;
    if (id == NULL)
        return vpc_missing(req, "SubnetId");
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (json_object_get(p, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "%s is not supported: only MapPublicIpOnLaunch can be modified",
                        unsupported[i]);
            return EC2GW_OK;
        }
    if (!json_is_boolean(v)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "MapPublicIpOnLaunch.Value (true or false) is required");
        return EC2GW_OK;
    }
    if (strncmp(id, "subnet-", 7) != 0 || ec2gw->item_get(req, id, &data) != 0 ||
        json_object_get(data, VPC_F_VPC_ID) == NULL) {
        json_decref(data);
        return vpc_fail_id(req, "InvalidSubnetID", "subnet", id, "subnet-");
    }
    neutron_own(req, data);
    json_object_set_new(data, VPC_F_MAP_PUBLIC_IP_ON_LAUNCH, json_boolean(json_is_true(v)));
    if (ec2gw->item_put(req, id, NULL, data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The subnet's row could not be stored");
        return EC2GW_OK;
    }
    ec2gw->finish(req, json_object());
    return EC2GW_OK;
}
