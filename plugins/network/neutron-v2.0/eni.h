/*
 * eni.h - declarations shared by the network interface files of neutron-v2.0 (eni_*.c):
 * an ENI is a Neutron port named after its eni- id (openstack-mapping.md §16.7); its row
 * (kind "eni") keeps subnet_id, description, private_ip_address, source_dest_check and,
 * while attached, instance_id, device_index, attach_time, delete_on_termination.
 */
#ifndef NEUTRON_ENI_H
#define NEUTRON_ENI_H

#include "neutron.h"
#include "vpc.h"

/* eni_util.c ---------------------------------------------------------------------------- */

/* Is @p s a dotted IPv4 address inside @p cidr ("a.b.c.d/n")? 1, else 0. */
int neutron_eni_ip_in(const char *s, const char *cidr);
/* "eni-attach-<hex>" of "eni-<hex>" and back (pool); NULL for another kind. */
const char *neutron_eni_attach_id(ec2gw_req_t *req, const char *eni_id);
const char *neutron_eni_of_attach(ec2gw_req_t *req, const char *attach_id);
/* Is the port's source/destination check off (allowed_address_pairs holds 0.0.0.0/0)? */
int neutron_eni_sdc_off(const json_t *port);
/* The port's primary address: the row's private_ip_address when still on the port, else the
 * first IPv4 fixed IP. */
const char *neutron_eni_primary(const json_t *port, const json_t *data);
/* "/v2.0/ports/<id>" (pool). */
const char *neutron_eni_port_path(ec2gw_req_t *req, const char *port_id);
/* The current time as EC2 writes it ("2026-12-02T22:30:00.000Z"; pool). */
const char *neutron_eni_now(ec2gw_req_t *req);

/* eni_lookup.c -------------------------------------------------------------------------- */

/* One ENI of the caller: its ids, the Neutron port (request-owned) and its row's data
 * (request-owned; {} for a port Nova made without a row). */
struct neutron_eni;
typedef void (*neutron_eni_loaded_fn)(ec2gw_req_t *req, struct neutron_eni *e);
struct neutron_eni {
    const char *eni_id, *port_id;
    json_t *port, *data;
    void *arg; /* the caller's */
    neutron_eni_loaded_fn loaded;
};

/* Load NetworkInterfaceId @p eni_id: answers MissingParameter/Malformed/NotFound itself.
 * Returns EC2GW_AGAIN or EC2GW_OK (answered). */
int neutron_eni_load(ec2gw_req_t *req, const char *eni_id, neutron_eni_loaded_fn loaded, void *arg);
/* Store @p e's row (data with vpc_id); -1 after answering InternalError. */
int neutron_eni_store(ec2gw_req_t *req, const struct neutron_eni *e);
/* PUT @p body ({"port": {...}}) on the ENI's port; the os_call return value. */
int neutron_eni_port_put(ec2gw_req_t *req, const struct neutron_eni *e, json_t *body,
                         ec2gw_os_done_fn done, void *arg);
/* After an address change: neutron_rtb_sync for the ENI's VPC when a route targets the ENI,
 * then done(req, rc, arg) (rc 0 at once when none does). */
void neutron_eni_routes_changed(ec2gw_req_t *req, struct neutron_inst *ni,
                                const struct neutron_eni *e, neutron_done_fn done, void *arg);

/* eni_model.c --------------------------------------------------------------------------- */

/* What the model of a port needs besides the port; maps keyed by OpenStack id. */
struct neutron_eni_view {
    json_t *enis;       /* port → eni- */
    json_t *data;       /* eni- → row data */
    json_t *subnets;    /* Neutron subnet → {"id": subnet-, "vpc_id", "availability_zone"} */
    json_t *groups;     /* security group → {"id": sg-, "name": EC2 name} */
    const json_t *fips; /* floating IPs (Neutron list) of the project */
    json_t *allocs;     /* floating IP → eipalloc- */
    json_t *insts;      /* server → i- */
    const char *zone;   /* the zone of a subnet whose row names none */
};

/* Fill the id maps of @p v for @p ports (a Neutron ports array), @p sgs (a Neutron
 * security-groups array) and @p fips (floatingips array, may be NULL), one query per kind;
 * @p subnets must be set by the caller. */
void neutron_eni_view_build(ec2gw_req_t *req, struct neutron_eni_view *v, const json_t *ports,
                            const json_t *sgs, const json_t *fips);
/* The EC2 NetworkInterface of @p port (returns new), or NULL for a port outside EC2 subnets. */
json_t *neutron_eni_model(ec2gw_req_t *req, const struct neutron_eni_view *v, const json_t *port);
/* Filter values of DescribeNetworkInterfaces (ec2gw_filter_values_fn; arg: the view). */
int neutron_eni_filter_values(ec2gw_req_t *req, const json_t *item, const char *name,
                              json_t *values, void *arg);

/* eni_create_check.c -------------------------------------------------------------------- */

/* One CreateNetworkInterface in flight. */
struct neutron_eni_create {
    const char *subnet_id, *subnet_os, *vpc_id, *network_id, *eni_id, *port_id;
    const char *primary; /* asked primary address, or NULL */
    json_t *secondaries; /* asked secondary addresses */
    json_int_t count;    /* SecondaryPrivateIpAddressCount */
    json_t *group_os;    /* asked groups' Neutron ids, or NULL: the VPC default */
    json_t *tags, *groups, *port;
    const char *code, *msg; /* the error answered once the port is gone */
    struct neutron_inst *ni;
};

/* Check the request's parameters into @p c (subnet, VPC, groups, addresses, tags): -1 after
 * answering the error. */
int neutron_eni_create_check(ec2gw_req_t *req, struct neutron_eni_create *c);
/* Every asked address inside @p cidr (the subnet's): -1 after answering. */
int neutron_eni_check_range(ec2gw_req_t *req, struct neutron_eni_create *c, const char *cidr);

/* action handlers (plugin.c) ------------------------------------------------------------- */
int neutron_create_network_interface(ec2gw_req_t *req, void *inst);
int neutron_delete_network_interface(ec2gw_req_t *req, void *inst);
int neutron_describe_network_interfaces(ec2gw_req_t *req, void *inst);
int neutron_describe_network_interface_attribute(ec2gw_req_t *req, void *inst);
int neutron_modify_network_interface_attribute(ec2gw_req_t *req, void *inst);
int neutron_reset_network_interface_attribute(ec2gw_req_t *req, void *inst);
int neutron_attach_network_interface(ec2gw_req_t *req, void *inst);
int neutron_detach_network_interface(ec2gw_req_t *req, void *inst);
int neutron_assign_private_ip_addresses(ec2gw_req_t *req, void *inst);
int neutron_unassign_private_ip_addresses(ec2gw_req_t *req, void *inst);

#endif /* NEUTRON_ENI_H */
