/*
 * subnets_delete.c - DeleteSubnet (openstack-mapping.md §16.4): DependencyViolation while a
 * network interface of the gateway or any port but the router's and DHCP's holds an address
 * in it; otherwise the router interface is removed, the network deleted (a failure there is
 * only logged: the subnet is gone for EC2) and the row deleted.
 */
#include <string.h>

#include "vpc_priv.h"

struct subnet_del {
    const char *id, *os_id, *net_os, *router;
};

static void
subnet_del_row(ec2gw_req_t *req, void *arg)
{
    struct subnet_del *d = arg;

    if (ec2gw->item_delete(req, d->id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "The subnet's row could not be deleted");
        return;
    }
    neutron_finish_true(req);
}

static void
subnet_del_network(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct subnet_del *d = arg;

    if (!ec2gw_os_ok(r) && r->status != 404) {
        vpc_os_fail(req, r, "InvalidSubnetID.NotFound");
        return;
    }
    if (d->net_os == NULL) {
        subnet_del_row(req, d);
        return;
    }
    vpc_cleanup_call(req, "DELETE",
                     ec2gw->psprintf(req, "/v2.0/networks/%s", ec2gw->url_escape(req, d->net_os)),
                     NULL, subnet_del_row, d);
}

static int
subnet_port_is_ours(const char *owner)
{
    return strncmp(owner, "network:router_interface", 24) == 0 ||
           strcmp(owner, "network:dhcp") == 0 || strcmp(owner, "network:distributed") == 0;
}

static void
subnet_del_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct subnet_del *d = arg;
    const json_t *port;
    ec2gw_os_call_t call;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        vpc_os_fail(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "ports"), i, port)
    {
        if (!subnet_port_is_ours(neutron_or(neutron_str(port, "device_owner")))) {
            ec2gw->fail(req, 400, "DependencyViolation",
                        "The subnet '%s' has dependencies and cannot be deleted: port %s", d->id,
                        neutron_or(neutron_str(port, "id")));
            return;
        }
    }
    if (d->router == NULL) {
        ec2gw_os_resp_t none = { .size = sizeof(none), .status = 200 };

        subnet_del_network(req, &none, d);
        return;
    }
    call = EC2GW_OS_CALL("network", "PUT",
                         ec2gw->psprintf(req, "/v2.0/routers/%s/remove_router_interface",
                                         ec2gw->url_escape(req, d->router)),
                         .body = neutron_own(req, json_pack("{s:s}", "subnet_id", d->os_id)));
    if (ec2gw->os_call(req, &call, subnet_del_network, d) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_delete_subnet(ec2gw_req_t *req, void *inst)
{
    struct subnet_del *d = ec2gw->pcalloc(req, sizeof(*d));
    json_t *data = NULL, *enis, *e;
    const char *vpc, *eid;
    ec2gw_os_call_t call;

    (void)inst;
    d->id = neutron_param_str(req, "SubnetId");
    if (d->id == NULL)
        return vpc_missing(req, "SubnetId");
    if (strncmp(d->id, "subnet-", 7) != 0 || ec2gw->item_get(req, d->id, &data) != 0 ||
        (vpc = neutron_str(data, VPC_F_VPC_ID)) == NULL ||
        ec2gw->id_to_os(req, d->id, &d->os_id) != 0 || d->os_id == NULL) {
        json_decref(data);
        return vpc_fail_id(req, "InvalidSubnetID", "subnet", d->id, "subnet-");
    }
    neutron_own(req, data);
    d->net_os = neutron_str(data, VPC_F_OS_NETWORK_ID);
    if (ec2gw->id_to_os(req, vpc, &d->router) != 0)
        d->router = NULL;
    enis = vpc_items(req, VPC_KIND_ENI);
    json_object_foreach(enis, eid, e)
    {
        if (strcmp(neutron_or(neutron_str(e, VPC_F_SUBNET_ID)), d->id) == 0) {
            ec2gw->fail(req, 400, "DependencyViolation",
                        "The subnet '%s' has dependencies and cannot be deleted: network "
                        "interface %s",
                        d->id, eid);
            return EC2GW_OK;
        }
    }
    call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "ports",
                     ec2gw->psprintf(
                         req, "fixed_ips=%s&fields=id&fields=device_owner",
                         ec2gw->url_escape(req, ec2gw->psprintf(req, "subnet_id=%s", d->os_id)))));
    return vpc_call(req, &call, subnet_del_ports, d);
}
