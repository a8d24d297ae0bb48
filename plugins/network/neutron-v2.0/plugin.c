/*
 * plugin.c - the neutron-v2.0 descriptor, settings schema and action table.
 *
 * EC2 security groups, Elastic IPs (floating IPs) and account attributes on Neutron API
 * v2.0 (openstack-mapping.md §9-§11). Built with the SDK only.
 */
#include <string.h>

#include "neutron.h"
#include "eni.h"
#include "rtb.h"
#include "vpc.h"

const ec2gw_host_api_t *ec2gw;

static const ec2gw_setting_t neutron_settings[] = {
    { .key = "external_network",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct neutron_inst, external_network),
      .def = "auto",
      .help = "network of Elastic IPs: auto (the only router:external network) or a name or id" },
    { .key = "default_vpc",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct neutron_inst, default_vpc),
      .def = "false",
      .help = "give every project a default VPC 172.31.0.0/16 with a subnet per zone" },
    { .key = "availability_zone",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct neutron_inst, availability_zone),
      .def = "nova",
      .help = "availability zone of subnets when Neutron reports none" },
    { .key = NULL },
};

/* One line per action; keep the families together. */
static const ec2gw_action_t neutron_actions[] = {
    { "CreateSecurityGroup", neutron_create_security_group, 0 },
    { "DeleteSecurityGroup", neutron_delete_security_group, 0 },
    { "DescribeSecurityGroups", neutron_describe_security_groups, EC2GW_ACT_READONLY },
    { "AuthorizeSecurityGroupIngress", neutron_authorize_security_group, 0 },
    { "AuthorizeSecurityGroupEgress", neutron_authorize_security_group, 0 },
    { "RevokeSecurityGroupIngress", neutron_revoke_security_group, 0 },
    { "RevokeSecurityGroupEgress", neutron_revoke_security_group, 0 },
    { "DescribeSecurityGroupRules", neutron_describe_security_group_rules, EC2GW_ACT_READONLY },
    { "ModifySecurityGroupRules", neutron_modify_security_group_rules, 0 },
    { "UpdateSecurityGroupRuleDescriptionsIngress", neutron_update_security_group_rule_descriptions,
      0 },
    { "UpdateSecurityGroupRuleDescriptionsEgress", neutron_update_security_group_rule_descriptions,
      0 },
    { "DescribeAccountAttributes", neutron_describe_account_attributes, EC2GW_ACT_READONLY },
    { "AllocateAddress", neutron_allocate_address, 0 },
    { "ReleaseAddress", neutron_release_address, 0 },
    { "AssociateAddress", neutron_associate_address, 0 },
    { "DisassociateAddress", neutron_disassociate_address, 0 },
    { "DescribeAddresses", neutron_describe_addresses, EC2GW_ACT_READONLY },
    { "CreateVpc", neutron_create_vpc, 0 },
    { "DeleteVpc", neutron_delete_vpc, 0 },
    { "DescribeVpcs", neutron_describe_vpcs, EC2GW_ACT_READONLY },
    { "DescribeVpcAttribute", neutron_describe_vpc_attribute, EC2GW_ACT_READONLY },
    { "ModifyVpcAttribute", neutron_modify_vpc_attribute, 0 },
    { "CreateDefaultVpc", neutron_create_default_vpc, 0 },
    { "CreateInternetGateway", neutron_create_internet_gateway, 0 },
    { "DeleteInternetGateway", neutron_delete_internet_gateway, 0 },
    { "DescribeInternetGateways", neutron_describe_internet_gateways, EC2GW_ACT_READONLY },
    { "AttachInternetGateway", neutron_attach_internet_gateway, 0 },
    { "DetachInternetGateway", neutron_detach_internet_gateway, 0 },
    { "CreateSubnet", neutron_create_subnet, 0 },
    { "DeleteSubnet", neutron_delete_subnet, 0 },
    { "DescribeSubnets", neutron_describe_subnets, EC2GW_ACT_READONLY },
    { "ModifySubnetAttribute", neutron_modify_subnet_attribute, 0 },
    /* route tables, DHCP options, VPN (rtb*.c, dopt*.c, vpn.c) */
    { "CreateRouteTable", neutron_create_route_table, EC2GW_ACT_CLIENT_TOKEN },
    { "DeleteRouteTable", neutron_delete_route_table, 0 },
    { "DescribeRouteTables", neutron_describe_route_tables, EC2GW_ACT_READONLY },
    { "CreateRoute", neutron_create_route, 0 },
    { "ReplaceRoute", neutron_replace_route, 0 },
    { "DeleteRoute", neutron_delete_route, 0 },
    { "AssociateRouteTable", neutron_associate_route_table, 0 },
    { "DisassociateRouteTable", neutron_disassociate_route_table, 0 },
    { "ReplaceRouteTableAssociation", neutron_replace_route_table_association, 0 },
    { "CreateDhcpOptions", neutron_create_dhcp_options, 0 },
    { "DeleteDhcpOptions", neutron_delete_dhcp_options, 0 },
    { "DescribeDhcpOptions", neutron_describe_dhcp_options, EC2GW_ACT_READONLY },
    { "AssociateDhcpOptions", neutron_associate_dhcp_options, 0 },
    { "CreateVpnGateway", neutron_vpn_action, 0 },
    { "DeleteVpnGateway", neutron_vpn_action, 0 },
    { "DescribeVpnGateways", neutron_vpn_action, EC2GW_ACT_READONLY },
    { "AttachVpnGateway", neutron_vpn_action, 0 },
    { "DetachVpnGateway", neutron_vpn_action, 0 },
    { "CreateCustomerGateway", neutron_vpn_action, 0 },
    { "DeleteCustomerGateway", neutron_vpn_action, 0 },
    { "DescribeCustomerGateways", neutron_vpn_action, EC2GW_ACT_READONLY },
    { "CreateVpnConnection", neutron_vpn_action, 0 },
    { "DeleteVpnConnection", neutron_vpn_action, 0 },
    { "DescribeVpnConnections", neutron_vpn_action, EC2GW_ACT_READONLY },
    { "CreateVpnConnectionRoute", neutron_vpn_action, 0 },
    { "DeleteVpnConnectionRoute", neutron_vpn_action, 0 },
    { "EnableVgwRoutePropagation", neutron_vpn_action, 0 },
    { "DisableVgwRoutePropagation", neutron_vpn_action, 0 },
    /* network interfaces (eni*.c) */
    { "CreateNetworkInterface", neutron_create_network_interface, EC2GW_ACT_CLIENT_TOKEN },
    { "DeleteNetworkInterface", neutron_delete_network_interface, 0 },
    { "DescribeNetworkInterfaces", neutron_describe_network_interfaces, EC2GW_ACT_READONLY },
    { "DescribeNetworkInterfaceAttribute", neutron_describe_network_interface_attribute,
      EC2GW_ACT_READONLY },
    { "ModifyNetworkInterfaceAttribute", neutron_modify_network_interface_attribute, 0 },
    { "ResetNetworkInterfaceAttribute", neutron_reset_network_interface_attribute, 0 },
    { "AttachNetworkInterface", neutron_attach_network_interface, 0 },
    { "DetachNetworkInterface", neutron_detach_network_interface, 0 },
    { "AssignPrivateIpAddresses", neutron_assign_private_ip_addresses, 0 },
    { "UnassignPrivateIpAddresses", neutron_unassign_private_ip_addresses, 0 },
    { NULL, NULL, 0 },
};

static const ec2gw_service_t neutron_uses[] = {
    { .type = "compute", .api = "v2.1" }, /* DescribeAccountAttributes: Nova's quota */
    { .type = NULL },
};

static int
neutron_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

static int
neutron_create(void *inst, ec2gw_cfg_t *cfg)
{
    const struct neutron_inst *ni = inst;

    if (ni->external_network == NULL || ni->external_network[0] == '\0') {
        ec2gw->cfg_error(cfg, "external_network",
                         "\"auto\", a network name or a network id is required");
        return EC2GW_E_INVAL;
    }
    return 0;
}

static void
neutron_destroy(void *inst)
{
    neutron_vpn_forget(inst); /* a later generation may get the same address */
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "neutron-v2.0",
    .version = "1.0.0",
    .description = "EC2 security groups, Elastic IPs and account attributes on Neutron v2.0",
    .service = { .type = "network", .api = "v2.0" },
    .uses = neutron_uses,
    .actions = neutron_actions,
    .settings = neutron_settings,
    .inst_size = sizeof(struct neutron_inst),
    .load = neutron_load,
    .create = neutron_create,
    .destroy = neutron_destroy,
};
