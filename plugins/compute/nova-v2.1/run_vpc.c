/*
 * run_vpc.c - RunInstances in a VPC: the VPC of the instance's subnet (or network interface),
 * the project's default subnet when none is asked for, and the security groups, which must be
 * of that VPC (by id; by name only in the default VPC; none: the VPC's default group).
 *
 * First a synchronous step on the items (nova_run_vpc_prepare), then, when names or the
 * default group must be found, one Neutron security-group list that joins RunInstances'
 * fan-out (nova_run_vpc_groups). A subnet of no VPC keeps the classic behaviour.
 */
#include <string.h>

#include "nova.h"

static const char *
nova_nic_ec2_id(const json_t *nic)
{
    return nova_str(nic, "SubnetId") ? nova_str(nic, "SubnetId")
                                     : nova_str(nic, "NetworkInterfaceId");
}

/* Without a subnet or interface asked for: the default subnet (of the zone), if any. */
static void
nova_vpc_default_nic(ec2gw_req_t *req, const json_t *params, json_t **nics)
{
    const char *zone = nova_str(json_object_get(params, "Placement"), "AvailabilityZone");
    json_t *nic0 = json_array_get(*nics, 0);
    const char *id, *os;

    if (json_object_get(params, "NetworkInterfaces") != NULL || json_array_size(*nics) > 1 ||
        (nic0 != NULL && nova_nic_ec2_id(nic0) != NULL))
        return;
    if (!nova_default_subnet(req, zone, &id, &os))
        return;
    if (*nics == NULL)
        *nics = nova_own(req, json_array());
    if (json_array_size(*nics) == 0)
        json_array_append_new(*nics, json_object());
    nic0 = json_array_get(*nics, 0);
    json_object_set_new(nic0, "SubnetId", json_string(id));
    json_object_set_new(nic0, "subnet", json_string(os));
}

/* The EC2 security group ids asked for: instance level, or those of the new interfaces. */
static json_t *
nova_vpc_group_ids(const json_t *params)
{
    json_t *out = json_array(), *g;
    const json_t *nic;
    size_t i, j;

    json_array_foreach(json_object_get(params, "SecurityGroupIds"), i, g) json_array_append(out, g);
    json_array_foreach(json_object_get(params, "NetworkInterfaces"), i, nic)
    {
        if (nova_str(nic, "NetworkInterfaceId") != NULL || json_array_size(out) > 0)
            continue;
        json_array_foreach(json_object_get(nic, "Groups"), j, g) json_array_append(out, g);
    }
    return out;
}

/* The VPC of every NIC (all the same) into @p vr; 0, or -1 after failing the request. */
static int
nova_vpc_of_nics(ec2gw_req_t *req, const json_t *nics, const json_t *data, struct nova_vpc_run *vr)
{
    const json_t *nic;
    size_t i;

    json_array_foreach(nics, i, nic)
    {
        const char *id = nova_nic_ec2_id(nic);
        const json_t *d = json_object_get(data, nova_or(id));
        const char *vpc = nova_str(d, NOVA_F_VPC_ID);

        if (i == 0) {
            vr->vpc_id = vpc;
            vr->subnet_id = nova_str(nic, "SubnetId") ? nova_str(nic, "SubnetId")
                                                      : nova_str(d, NOVA_F_SUBNET_ID);
            vr->map_public_ip = nova_str(nic, "SubnetId") != NULL &&
                                json_is_true(json_object_get(d, NOVA_F_MAP_PUBLIC_IP_ON_LAUNCH));
            continue;
        }
        if (strcmp(nova_or(vpc), nova_or(vr->vpc_id)) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Network interfaces of an instance must be in the same VPC: %s is in %s, "
                        "the first in %s",
                        nova_or(id), vpc ? vpc : "no VPC", vr->vpc_id ? vr->vpc_id : "no VPC");
            return -1;
        }
    }
    return 0;
}

/* Security group ids of the VPC → Nova groups; 0, or -1 after failing the request. */
static int
nova_vpc_check_groups(ec2gw_req_t *req, const json_t *ids, json_t *groups,
                      const struct nova_vpc_run *vr)
{
    size_t n = json_array_size(ids), i;
    const char **v = ec2gw->pcalloc(req, (n + 1) * sizeof(*v));
    json_t *data;
    const json_t *g;

    json_array_foreach(ids, i, g) v[i] = nova_or(json_string_value(g));
    data = nova_items(req, v, n);
    for (i = 0; i < n; i++) {
        const char *os = NULL;
        const char *vpc = nova_str(json_object_get(data, v[i]), NOVA_F_VPC_ID);

        if (strncmp(v[i], "sg-", 3) != 0 || ec2gw->id_to_os(req, v[i], &os) != 0) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
                        v[i]);
            break;
        }
        if (strcmp(nova_or(vpc), vr->vpc_id) != 0) {
            /* AWS's words for a group of another VPC (or EC2-Classic) */
            ec2gw->fail(req, 400, "InvalidParameter",
                        "Security group %s and subnet %s belong to different networks.", v[i],
                        nova_or(vr->subnet_id));
            break;
        }
        json_array_append_new(groups, json_pack("{s:s}", "name", os));
    }
    json_decref(data);
    return i < n ? -1 : 0;
}

/* Map a public IP? NetworkInterface.0.AssociatePublicIpAddress, else the subnet's
 * MapPublicIpOnLaunch (one new interface only, as AWS); 0, or -1 after failing the request. */
static int
nova_vpc_public_ip(ec2gw_req_t *req, const json_t *params, const json_t *nics,
                   struct nova_vpc_run *vr)
{
    const json_t *nic0 = json_array_get(json_object_get(params, "NetworkInterfaces"), 0);
    const json_t *ask = json_object_get(nic0, "AssociatePublicIpAddress");
    const char *os = NULL;

    if (ask != NULL && json_is_true(ask) &&
        (vr->vpc_id == NULL || json_array_size(nics) > 1 ||
         nova_str(nic0, "NetworkInterfaceId") != NULL)) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "AssociatePublicIpAddress needs a single new network interface in a VPC "
                    "subnet");
        return -1;
    }
    vr->public_ip =
        ask != NULL ? json_is_true(ask) : vr->map_public_ip && json_array_size(nics) == 1;
    if (!vr->public_ip)
        return 0;
    if (ec2gw->id_to_os(req, vr->vpc_id, &os) != 0 || os == NULL) {
        ec2gw->fail(req, 500, "InternalError", "VPC %s has no Neutron router", vr->vpc_id);
        return -1;
    }
    vr->router = os;
    return 0;
}

int
nova_run_vpc_prepare(ec2gw_req_t *req, const json_t *params, json_t **nics, json_t *groups,
                     struct nova_vpc_run *vr)
{
    size_t n, i;
    const char **ids;
    const json_t *nic;
    json_t *data, *gids;
    int rc;

    memset(vr, 0, sizeof(*vr));
    nova_vpc_default_nic(req, params, nics);
    n = json_array_size(*nics);
    ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_array_foreach(*nics, i, nic) ids[i] = nova_or(nova_nic_ec2_id(nic));
    data = nova_own(req, nova_items(req, ids, n));
    if (nova_vpc_of_nics(req, *nics, data, vr) != 0)
        return -1;
    if (nova_vpc_public_ip(req, params, *nics, vr) != 0)
        return -1;
    if (vr->vpc_id == NULL)
        return 0; /* EC2-Classic: groups by name on the project's network, as before */
    vr->names = json_object_get(params, "SecurityGroups");
    if (json_array_size(vr->names) > 0) {
        const char *vpc_ids[1] = { vr->vpc_id };
        json_t *vpc = nova_items(req, vpc_ids, 1);

        rc = json_is_true(json_object_get(json_object_get(vpc, vr->vpc_id), NOVA_F_IS_DEFAULT));
        json_decref(vpc);
        if (!rc) {
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "The parameter groupName cannot be used with the parameter subnet");
            return -1;
        }
    }
    /* rebuilt from the ids: names are resolved among the VPC's groups, not Nova's */
    json_array_clear(groups);
    gids = nova_vpc_group_ids(params);
    rc = nova_vpc_check_groups(req, gids, groups, vr);
    json_decref(gids);
    if (rc != 0)
        return -1;
    json_array_foreach(*nics, i, nic) if (nova_str(nic, "NetworkInterfaceId") == NULL)
        vr->new_ports = 1;
    vr->need_list =
        json_array_size(vr->names) > 0 || (json_array_size(groups) == 0 && vr->new_ports);
    return 0;
}

int
nova_run_vpc_groups(ec2gw_req_t *req, const struct nova_vpc_run *vr, const json_t *list,
                    json_t *groups)
{
    json_t *set = json_object(), *by_id = nova_own(req, json_object()), *data, *g;
    json_t *names = nova_own(req, json_object());
    const json_t *sg, *name;
    const char *want_default = json_array_size(vr->names) == 0 ? "default" : NULL;
    const char *dflt = ec2gw->psprintf(req, "%s%s", NOVA_SG_DEFAULT_PREFIX, vr->vpc_id);
    const char **ids, *key;
    size_t i, n;

    json_array_foreach(json_object_get(list, "security_groups"), i,
                       sg) if (nova_str(sg, "id") != NULL)
        json_object_set_new(set, nova_str(sg, "id"), json_true());
    nova_map_kind(req, "sg", set, by_id);
    json_decref(set);
    ids = ec2gw->pcalloc(req, (json_object_size(by_id) + 1) * sizeof(*ids));
    n = 0;
    json_object_foreach(by_id, key, g) ids[n++] = json_string_value(g);
    data = nova_own(req, nova_items(req, ids, n));
    /* The VPC's groups by EC2 name: the stored one, else Neutron's ("default-vpc-..." is the
     * VPC's "default": Neutron reserves that name). */
    json_array_foreach(json_object_get(list, "security_groups"), i, sg)
    {
        const char *ec2 = nova_str(by_id, nova_or(nova_str(sg, "id")));
        const json_t *d = json_object_get(data, nova_or(ec2));
        const char *nm = nova_str(d, NOVA_F_GROUP_NAME);

        if (ec2 == NULL || strcmp(nova_or(nova_str(d, NOVA_F_VPC_ID)), vr->vpc_id) != 0)
            continue;
        if (nm == NULL)
            nm = strcmp(nova_or(nova_str(sg, "name")), dflt) == 0 ? "default"
                                                                  : nova_or(nova_str(sg, "name"));
        json_object_set_new(names, nm, json_string(nova_str(sg, "id")));
    }
    if (want_default != NULL) {
        if ((g = json_object_get(names, want_default)) == NULL) {
            ec2gw->fail(req, 500, "InternalError",
                        "VPC %s has no default security group (DescribeSecurityGroups repairs "
                        "it, or give SecurityGroupId)",
                        vr->vpc_id);
            return -1;
        }
        json_array_append_new(groups, json_pack("{s:O}", "name", g));
        return 0;
    }
    json_array_foreach(vr->names, i, name)
    {
        if ((g = json_object_get(names, nova_or(json_string_value(name)))) == NULL) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%s' does not exist in VPC '%s'",
                        nova_or(json_string_value(name)), vr->vpc_id);
            return -1;
        }
        json_array_append_new(groups, json_pack("{s:O}", "name", g));
    }
    return 0;
}
