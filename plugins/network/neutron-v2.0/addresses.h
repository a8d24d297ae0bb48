/*
 * addresses.h - declarations shared by the Elastic IP files of neutron-v2.0 (Neutron floating
 * IPs, openstack-mapping.md §10): the address model, id helpers and the address lookup.
 */
#ifndef NEUTRON_ADDRESSES_H
#define NEUTRON_ADDRESSES_H

#include "neutron.h"

/* What DescribeAddresses knows besides the floating IPs; maps are keyed by OpenStack id. */
struct neutron_addr_view {
    json_t *allocs;  /* floating IP → eipalloc- */
    json_t *ports;   /* port → Neutron port (id, device_id, device_owner, fixed_ips) */
    json_t *enis;    /* port → eni- */
    json_t *insts;   /* server → i- */
    json_t *subnets; /* subnet → subnet- */
    json_t *data;    /* eipalloc- → item data ({public_ip, domain?, ...}) */
};

/* address_model.c ------------------------------------------------------------------------ */

/* Fill @p v for the floating IPs of @p fips and the ports of @p ports (both Neutron list
 * answers; ports may be NULL): ids mapped in one batch per kind, item data in one query. */
void neutron_addr_view_build(ec2gw_req_t *req, struct neutron_addr_view *v, const json_t *fips,
                             const json_t *ports);
/* The EC2 Address model of floating IP @p fip (returns new). Standard-domain addresses carry
 * AllocationId too, for the filters; neutron_addr_strip() removes it before answering. */
json_t *neutron_addr_model(ec2gw_req_t *req, const struct neutron_addr_view *v, const json_t *fip);
void neutron_addr_strip(json_t *addresses);
/* Filter values of DescribeAddresses (ec2gw_filter_values_fn contract). */
int neutron_addr_filter_values(ec2gw_req_t *req, const json_t *item, const char *name,
                               json_t *values, void *arg);
/* Is @p data (an eipalloc row's data, may be NULL) a Domain=standard address? */
int neutron_addr_is_standard(const json_t *data);
/* "eipassoc-<hex>" of "eipalloc-<hex>" and back (pool); NULL when @p id has another kind. */
const char *neutron_addr_assoc_id(ec2gw_req_t *req, const char *alloc_id);
const char *neutron_addr_alloc_of_assoc(ec2gw_req_t *req, const char *assoc_id);
/* Is @p s a dotted IPv4 address? */
int neutron_addr_ipv4_ok(const char *s);
/* The floating IP uuid of AllocationId @p id; -1 after answering Malformed/NotFound. */
int neutron_addr_alloc_os(ec2gw_req_t *req, const char *id, const char **os_id);
/* NetworkBorderGroup, when given, must be the region; -1 after answering. */
int neutron_addr_check_border_group(ec2gw_req_t *req);
/* The address item's data (returns new object; {} without a row). */
json_t *neutron_addr_data(ec2gw_req_t *req, const char *alloc_id);

/* addresses_lookup.c -------------------------------------------------------------------- */

/* Called with the one floating IP found (borrowed, request-owned) and its eipalloc- id. */
typedef void (*neutron_addr_found_fn)(ec2gw_req_t *req, const json_t *fip, const char *alloc_id,
                                      void *arg);
/* Find the caller's floating IP by uuid @p os_id (from an AllocationId or AssociationId,
 * named by @p ec2_id for the errors) or by @p public_ip; answers the request's NotFound error
 * itself. Returns EC2GW_AGAIN or EC2GW_OK (answered). */
int neutron_addr_find(ec2gw_req_t *req, const char *os_id, const char *ec2_id,
                      const char *public_ip, neutron_addr_found_fn found, void *arg);

/* PUT port_id/fixed_ip_address of floating IP @p id (NULL port: disassociate); the os_call
 * return value. */
int neutron_addr_update(ec2gw_req_t *req, const char *id, const char *port, const char *fixed,
                        ec2gw_os_done_fn done, void *arg);
/* Mirror an association (eni- and fixed IP) or its end (@p eni NULL) in the eipalloc row, as
 * ec2-api kept it; a failed write is logged (Neutron is the truth). */
void neutron_addr_store(ec2gw_req_t *req, const char *alloc, const char *fip_id, const char *addr,
                        const char *eni, const char *fixed);

#endif /* NEUTRON_ADDRESSES_H */
