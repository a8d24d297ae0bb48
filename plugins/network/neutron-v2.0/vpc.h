/*
 * vpc.h - the header shared by the VPC family of neutron-v2.0 (issue 13): VPCs, subnets,
 * internet gateways (vpc-core), route tables, DHCP options, VPN (vpc-rtb) and network
 * interfaces (vpc-eni). The items layout follows ec2-api's database (openstack-mapping §18.3)
 * so a site sharing the database with ec2-api sees the same objects.
 *
 * Items (os_id and vpc_id are columns of the items row; the rest is its `data` JSON):
 *   vpc     os_id router       data: cidr_block, is_default, route_table_id, dhcp_options_id,
 *                                    enable_dns_support, enable_dns_hostnames
 *   subnet  os_id subnet       vpc_id; data: route_table_id, os_network_id, availability_zone,
 *                                    map_public_ip_on_launch, default_for_az
 *   igw     -                  vpc_id (attached VPC); data: {}
 *   rtb     -                  vpc_id; data: routes [{destination_cidr_block, gateway_id, ...}]
 *   dopt    -                  data: dhcp_configuration {"domain-name-servers": [..], ...}
 *   eni     os_id port         vpc_id; data: subnet_id, description, private_ip_address, ...
 *   sg      os_id group        vpc_id (NULL: classic); data: group_name when it differs
 */
#ifndef NEUTRON_VPC_H
#define NEUTRON_VPC_H

#include <jansson.h>

#include <ec2gw/plugin.h>

#include "neutron.h"

/* Item kinds (EC2 id prefixes) -------------------------------------------------------------- */
#define VPC_KIND_VPC    "vpc"
#define VPC_KIND_SUBNET "subnet"
#define VPC_KIND_IGW    "igw"
#define VPC_KIND_RTB    "rtb"
#define VPC_KIND_DOPT   "dopt"
#define VPC_KIND_ENI    "eni"
#define VPC_KIND_SG     "sg"

/* Members of every item's data that the host moves to/from columns ------------------------- */
#define VPC_F_OS_ID  "os_id"  /* in items_list answers only */
#define VPC_F_VPC_ID "vpc_id" /* item_put/item_get/items_list: the items.vpc_id column */

/* vpc data ---------------------------------------------------------------------------------- */
#define VPC_F_CIDR_BLOCK           "cidr_block"
#define VPC_F_IS_DEFAULT           "is_default"           /* bool */
#define VPC_F_ROUTE_TABLE_ID       "route_table_id"       /* vpc: main rtb; subnet: explicit */
#define VPC_F_DHCP_OPTIONS_ID      "dhcp_options_id"      /* absent: "default" */
#define VPC_F_ENABLE_DNS_SUPPORT   "enable_dns_support"   /* bool, default true */
#define VPC_F_ENABLE_DNS_HOSTNAMES "enable_dns_hostnames" /* bool, default false */

/* subnet data -------------------------------------------------------------------------------- */
#define VPC_F_OS_NETWORK_ID           "os_network_id"
#define VPC_F_AVAILABILITY_ZONE       "availability_zone"
#define VPC_F_MAP_PUBLIC_IP_ON_LAUNCH "map_public_ip_on_launch" /* bool */
#define VPC_F_DEFAULT_FOR_AZ          "default_for_az"          /* bool */

/* rtb data ----------------------------------------------------------------------------------- */
#define VPC_F_ROUTES                  "routes"
#define VPC_F_DESTINATION_CIDR_BLOCK  "destination_cidr_block"
#define VPC_F_GATEWAY_ID              "gateway_id" /* "local" for the local route, or igw-... */
#define VPC_F_NETWORK_INTERFACE_ID    "network_interface_id"
#define VPC_F_INSTANCE_ID             "instance_id"
#define VPC_F_ORIGIN                  "origin" /* "CreateRouteTable" or "CreateRoute" */
#define VPC_GATEWAY_LOCAL             "local"
#define VPC_ORIGIN_CREATE_ROUTE_TABLE "CreateRouteTable"
#define VPC_ORIGIN_CREATE_ROUTE       "CreateRoute"

/* dopt data ---------------------------------------------------------------------------------- */
#define VPC_F_DHCP_CONFIGURATION "dhcp_configuration"

/* eni data ----------------------------------------------------------------------------------- */
#define VPC_F_SUBNET_ID             "subnet_id"
#define VPC_F_DESCRIPTION           "description"
#define VPC_F_PRIVATE_IP_ADDRESS    "private_ip_address"
#define VPC_F_SOURCE_DEST_CHECK     "source_dest_check"
#define VPC_F_DEVICE_INDEX          "device_index"
#define VPC_F_ATTACH_TIME           "attach_time"
#define VPC_F_DELETE_ON_TERMINATION "delete_on_termination"
/* (instance_id: VPC_F_INSTANCE_ID) */

/* sg data ------------------------------------------------------------------------------------ */
#define VPC_F_GROUP_NAME "group_name" /* the EC2 name when it differs from Neutron's */
/* Neutron reserves "default": a VPC's default group is "default-vpc-XXXXXXXX" there. */
#define VPC_SG_DEFAULT_PREFIX "default-" /* + vpc id */

/* The default VPC ---------------------------------------------------------------------------- */
#define VPC_DEFAULT_CIDR "172.31.0.0/16"

/* Callbacks ---------------------------------------------------------------------------------- */
/** An asynchronous step finished: @p rc is 0, or negative after the request was failed. */
typedef void (*neutron_done_fn)(ec2gw_req_t *req, int rc, void *arg);
/** The default VPC is ready: @p vpc_id (pool) or NULL when the setting is off. */
typedef void (*neutron_vpc_ready_fn)(ec2gw_req_t *req, const char *vpc_id, void *arg);

/* [vpc-core] vpc_model.c --------------------------------------------------------------------- */
/**
 * The data of VPC @p vpc_id of the caller (returns new in *data, with os_id), or a failed
 * request: InvalidVpcID.NotFound (or Malformed). Returns EC2GW_OK either way; *data is NULL
 * after failing.
 */
int neutron_vpc_get(ec2gw_req_t *req, const char *vpc_id, json_t **data);

/* [vpc-core] default_vpc.c ------------------------------------------------------------------- */
/**
 * With `default_vpc: true`, make sure the caller's project has its default VPC (once,
 * race-safe through an item_insert marker, resumable when a former attempt stopped half
 * way), then call done(req, default_vpc_id, arg); with false, done(req, NULL, arg) at once.
 * On a failure the request is failed and @p done is not called. Returns EC2GW_AGAIN (also
 * when it answered or called done at once: the handler returns what it returns).
 */
int neutron_default_vpc_ensure(ec2gw_req_t *req, struct neutron_inst *ni, neutron_vpc_ready_fn done,
                               void *arg);

/* [vpc-rtb] rtb_sync.c ----------------------------------------------------------------------- */
/**
 * Recompute, from the database as it is now, the host_routes and gateway_ip of every subnet of
 * VPC @p vpc_id (the §16.5 projection) and PUT each subnet whose routes changed; then
 * done(req, rc, arg) (rc 0, or negative after the request was failed). Returns EC2GW_AGAIN,
 * or EC2GW_OK when done was called synchronously.
 */
int neutron_rtb_sync(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id,
                     neutron_done_fn done, void *arg);

/* [vpc-rtb] dopt.c --------------------------------------------------------------------------- */
/**
 * The DHCP options of VPC @p vpc_data (its item data) as a Neutron port's extra_dhcp_opts
 * array (returns new), or NULL when the VPC has the default options ("default" or none).
 */
json_t *neutron_dopt_port_opts(ec2gw_req_t *req, const json_t *vpc_data);

/* [vpc-core] action handlers ----------------------------------------------------------------- */
int neutron_create_vpc(ec2gw_req_t *req, void *inst);
int neutron_delete_vpc(ec2gw_req_t *req, void *inst);
int neutron_describe_vpcs(ec2gw_req_t *req, void *inst);
int neutron_describe_vpc_attribute(ec2gw_req_t *req, void *inst);
int neutron_modify_vpc_attribute(ec2gw_req_t *req, void *inst);
int neutron_create_default_vpc(ec2gw_req_t *req, void *inst);
int neutron_create_internet_gateway(ec2gw_req_t *req, void *inst);
int neutron_delete_internet_gateway(ec2gw_req_t *req, void *inst);
int neutron_describe_internet_gateways(ec2gw_req_t *req, void *inst);
int neutron_attach_internet_gateway(ec2gw_req_t *req, void *inst);
int neutron_detach_internet_gateway(ec2gw_req_t *req, void *inst);
int neutron_create_subnet(ec2gw_req_t *req, void *inst);
int neutron_delete_subnet(ec2gw_req_t *req, void *inst);
int neutron_describe_subnets(ec2gw_req_t *req, void *inst);
int neutron_modify_subnet_attribute(ec2gw_req_t *req, void *inst);

#endif /* NEUTRON_VPC_H */
