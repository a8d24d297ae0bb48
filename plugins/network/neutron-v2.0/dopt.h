/*
 * dopt.h - DHCP options of neutron-v2.0 (openstack-mapping.md §16.6): DB-only dopt rows
 * {dhcp_configuration: {"domain-name-servers": [..], ...}}, pushed as extra_dhcp_opts onto the
 * ports of the subnets of the VPCs that use them.
 */
#ifndef NEUTRON_DOPT_H
#define NEUTRON_DOPT_H

#include "rtb.h"

/* The extra_dhcp_opts of @p config ({key: [values]}, NULL for the default options): every
 * option ec2gw manages, those @p config does not set with a null value (Neutron then removes
 * them); the "mtu" option is @p mtu when > 0 and options are set. Returns new. */
json_t *dopt_port_opts(const json_t *config, json_int_t mtu);
/* The data of DHCP options @p id (pool), or NULL after failing the request. */
json_t *dopt_get(ec2gw_req_t *req, const char *id);
/* The DhcpOptions model of @p id (returns new; Tags empty). */
json_t *dopt_model(ec2gw_req_t *req, const char *id, const json_t *data);

#endif /* NEUTRON_DOPT_H */
