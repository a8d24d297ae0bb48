/*
 * rtb.h - route tables of neutron-v2.0 (openstack-mapping.md §16.5): the VPC objects a
 * route-table action reads (rtb_common.c), the projection onto Neutron subnets (rtb_sync.c)
 * and the all-or-nothing commit every write ends with.
 */
#ifndef NEUTRON_RTB_H
#define NEUTRON_RTB_H

#include <stdint.h>

#include "vpc.h"

/* The database view of one VPC, read in a few queries (every member pool-owned). */
struct rtb_world {
    const char *vpc_id;
    json_t *vpc;     /* the VPC's data */
    json_t *subnets; /* {subnet-id: data (os_id, route_table_id?)} of the VPC */
    json_t *rtbs;    /* {rtb-id: data} of the VPC */
    json_t *igws;    /* {igw-id: data (vpc_id when attached)} of the project */
    json_t *enis;    /* {eni-id: data (os_id, private_ip_address?)} of the project */
    json_t *dns;     /* the subnets' dns_nameservers: the VPC's DHCP options' servers, or [] */
};

/* What the routes' targets are right now: {eni-id: {"ip", "active", "instance"}} (pool). */
struct rtb_targets {
    const char *vpc_id;
    json_t *igws;
    json_t *enis;
};

/* rtb_common.c ----------------------------------------------------------------------------- */
/* items_list of @p kind, only those of VPC @p vpc_id unless NULL (pool); NULL after failing. */
json_t *rtb_items(ec2gw_req_t *req, const char *kind, const char *vpc_id);
/* The data of route table @p id of the caller (pool), or NULL after failing the request with
 * InvalidRouteTableID.NotFound/Malformed (or MissingParameter naming @p param). */
json_t *rtb_get(ec2gw_req_t *req, const char *id, const char *param);
/* The data of VPC @p id of the caller (pool), or NULL after failing the request with
 * InvalidVpcID.NotFound/Malformed (or MissingParameter VpcId). */
json_t *rtb_vpc(ec2gw_req_t *req, const char *id);
/* Read the world of VPC @p vpc_id: 0, or -1 after failing the request. */
int rtb_world_load(ec2gw_req_t *req, const char *vpc_id, struct rtb_world *w);
/* The route table a subnet follows (its explicit one, else the VPC's main one), or NULL. */
const char *rtb_of_subnet(const struct rtb_world *w, const json_t *subnet);
/* "rtbassoc-<hex>" of a subnet- or vpc- id (pool). */
const char *rtb_assoc_id(ec2gw_req_t *req, const char *parent_id);
/* Data without the column members (returns new): what item_put stores. */
json_t *rtb_row(const json_t *data);

/* IPv4 CIDR "a.b.c.d/n": 0 with the network (host bits cleared) and prefix, or -1. */
int rtb_cidr_parse(const char *s, uint32_t *net, int *prefix);
/* Is @p a/@p ap inside @p b/@p bp? */
int rtb_cidr_within(uint32_t a, int ap, uint32_t b, int bp);
/* "a.b.c.d" of @p addr (pool). */
const char *rtb_ip_text(ec2gw_req_t *req, uint32_t addr);

/* The next hop of @p route for a subnet whose gateway is @p gw: @p gw for an attached
 * internet gateway, the ENI's address, "local" for the local route, NULL for a blackhole. */
const char *rtb_next_hop(const struct rtb_targets *t, const json_t *route, const char *gw);
/* "active" or "blackhole" as DescribeRouteTables shows @p route. */
const char *rtb_route_state(const struct rtb_targets *t, const json_t *route);
/* The ENI ids the routes of the tables @p rtbs ({id: data}) point at (returns new array). */
json_t *rtb_route_enis(json_t *rtbs);
/* The GET of the Neutron ports behind ENIs @p eni_ids (fields for rtb_targets_fill), or
 * NULL when none is known (pool). */
const char *rtb_ports_path(ec2gw_req_t *req, const json_t *eni_ids, const json_t *eni_rows);
/* {eni-id: {"ip", "active", "instance"?}} from a ports answer (pool). */
json_t *rtb_targets_fill(ec2gw_req_t *req, json_t *eni_rows, const json_t *ports);

/* rtb_describe.c --------------------------------------------------------------------------- */
/* The RouteTable model of table @p id (data @p rtb) of VPC @p vpc with subnets @p subnets
 * ({id: data}); @p t says what the routes point at (returns new; Tags empty). */
json_t *rtb_table_model(ec2gw_req_t *req, const char *id, const json_t *rtb, const json_t *vpc,
                        json_t *subnets, const struct rtb_targets *t);

/* rtb_sync.c ------------------------------------------------------------------------------- */
/* host_routes and gateway_ip of a subnet of @p cidr following @p routes (returns new
 * {"host_routes": [...], "gateway_ip": ip|null}); NULL for a malformed cidr. */
json_t *rtb_project(ec2gw_req_t *req, const struct rtb_targets *t, const json_t *routes,
                    const char *cidr);
/* neutron_rtb_sync that never fails the request: on a Neutron failure it logs and calls
 * done(req, -status or -1, arg). */
int rtb_sync_quiet(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id,
                   neutron_done_fn done, void *arg);

/* rtb_commit.c ----------------------------------------------------------------------------- */
/* One row a write changes: @p after is stored, @p before put back if Neutron refuses
 * (NULL before: the row did not exist; NULL after: the row is deleted). */
struct rtb_change {
    const char *id, *os_id;
    json_t *before, *after;
};
/* Store the changes, project the VPC's routes onto its subnets, answer @p model (stolen).
 * When Neutron refuses, the old rows and their projection are put back and the request fails.
 * Returns EC2GW_AGAIN or EC2GW_OK. */
int rtb_commit(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id,
               const struct rtb_change *ch, size_t n, json_t *model);

/* action handlers -------------------------------------------------------------------------- */
int neutron_create_route_table(ec2gw_req_t *req, void *inst);
int neutron_delete_route_table(ec2gw_req_t *req, void *inst);
int neutron_describe_route_tables(ec2gw_req_t *req, void *inst);
int neutron_create_route(ec2gw_req_t *req, void *inst);
int neutron_replace_route(ec2gw_req_t *req, void *inst);
int neutron_delete_route(ec2gw_req_t *req, void *inst);
int neutron_associate_route_table(ec2gw_req_t *req, void *inst);
int neutron_disassociate_route_table(ec2gw_req_t *req, void *inst);
int neutron_replace_route_table_association(ec2gw_req_t *req, void *inst);

int neutron_create_dhcp_options(ec2gw_req_t *req, void *inst);
int neutron_delete_dhcp_options(ec2gw_req_t *req, void *inst);
int neutron_describe_dhcp_options(ec2gw_req_t *req, void *inst);
int neutron_associate_dhcp_options(ec2gw_req_t *req, void *inst);

/* vpn.c: every VPN gateway, customer gateway and VPN connection action */
int neutron_vpn_action(ec2gw_req_t *req, void *inst);
/* Drop what vpn.c cached about instance @p inst (its generation ended). */
void neutron_vpn_forget(const void *inst);

#endif /* NEUTRON_RTB_H */
