/*
 * eni_create_check.c - what CreateNetworkInterface checks before Neutron is asked anything:
 * the members Neutron cannot back (named), tags, the description, the addresses (IPv4, one
 * primary, no repeats, a sane count), the subnet (an EC2 subnet of a VPC) and the groups (of
 * that VPC); and, once the subnet's CIDR is read, that every asked address lies in it.
 */
#include <string.h>

#include "eni.h"

static int
neutron_eni_tags_ok(ec2gw_req_t *req, const json_t *tags)
{
    const json_t *t;
    size_t i;

    json_array_foreach(tags, i, t)
    {
        const char *k = neutron_str(t, "Key"), *v = neutron_str(t, "Value");

        if (k == NULL || k[0] == '\0' || strlen(k) > 127 || (v != NULL && strlen(v) > 255) ||
            strncmp(k, "aws:", 4) == 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Tag keys must be 1 to 127 characters, values at most 255, and keys "
                        "may not start with 'aws:'");
            return 0;
        }
    }
    return 1;
}

/* Members of the model that Neutron cannot back: refused, named. */
static int
neutron_eni_create_unsupported(ec2gw_req_t *req, const json_t *params)
{
    static const char *const names[] = { "Ipv6Addresses",     "Ipv6AddressCount",
                                         "Ipv4Prefixes",      "Ipv4PrefixCount",
                                         "Ipv6Prefixes",      "Ipv6PrefixCount",
                                         "EnablePrimaryIpv6", "ConnectionTrackingSpecification",
                                         "Operator" };
    const char *type = neutron_str(params, "InterfaceType");

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (json_object_get(params, names[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "%s is not supported: this cloud's network interfaces are IPv4 Neutron "
                        "ports",
                        names[i]);
            return -1;
        }
    }
    if (type != NULL && strcmp(type, "interface") != 0) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "InterfaceType '%.32s' is not supported (only 'interface')", type);
        return -1;
    }
    return 0;
}

static int
neutron_eni_bad_ip(ec2gw_req_t *req, const char *ip)
{
    if (neutron_eni_ip_in(ip, "0.0.0.0/0"))
        return 0;
    ec2gw->fail(req, 400, "InvalidParameterValue",
                "Invalid value '%.64s' for PrivateIpAddress: not an IPv4 address", neutron_or(ip));
    return -1;
}

/* PrivateIpAddress, PrivateIpAddresses.N and SecondaryPrivateIpAddressCount into @p c. */
static int
neutron_eni_create_addresses(ec2gw_req_t *req, const json_t *params, struct neutron_eni_create *c)
{
    const json_t *spec, *count = json_object_get(params, "SecondaryPrivateIpAddressCount");
    json_t *seen = neutron_own(req, json_object());
    size_t i;

    c->primary = neutron_str(params, "PrivateIpAddress");
    if (c->primary != NULL && neutron_eni_bad_ip(req, c->primary) != 0)
        return -1;
    c->secondaries = neutron_own(req, json_array());
    json_array_foreach(json_object_get(params, "PrivateIpAddresses"), i, spec)
    {
        const char *ip = neutron_str(spec, "PrivateIpAddress");
        int primary = json_is_true(json_object_get(spec, "Primary"));

        if (neutron_eni_bad_ip(req, ip) != 0)
            return -1;
        if (json_object_get(seen, ip) != NULL ||
            (c->primary != NULL && strcmp(c->primary, ip) == 0 && !primary)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "The address %.64s is given more than once", ip);
            return -1;
        }
        json_object_set_new(seen, ip, json_true());
        if (!primary)
            json_array_append_new(c->secondaries, json_string(ip));
        else if (c->primary != NULL && strcmp(c->primary, ip) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Only one primary private IP address may be given (%.64s and %.64s)",
                        c->primary, ip);
            return -1;
        } else
            c->primary = ip;
    }
    if (count != NULL) {
        c->count = json_integer_value(count);
        if (!json_is_integer(count) || c->count < 1 || c->count > 49) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value for SecondaryPrivateIpAddressCount: 1 to 49 are allowed");
            return -1;
        }
    }
    return 0;
}

/* SubnetId → its port network, VPC and Neutron subnet; -1 after answering. */
static int
neutron_eni_create_subnet(ec2gw_req_t *req, struct neutron_eni_create *c)
{
    json_t *data = NULL;
    int rc;

    if (c->subnet_id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter SubnetId");
        return -1;
    }
    rc = ec2gw->id_to_os(req, c->subnet_id, &c->subnet_os);
    if (strncmp(c->subnet_id, "subnet-", 7) != 0 || rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, "InvalidSubnetID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"subnet-...\")", c->subnet_id);
        return -1;
    }
    if (rc == 0 && c->subnet_os != NULL && ec2gw->item_get(req, c->subnet_id, &data) == 0) {
        neutron_own(req, data);
        c->vpc_id = neutron_str(data, VPC_F_VPC_ID);
        c->network_id = neutron_str(data, VPC_F_OS_NETWORK_ID);
    }
    /* a subnet- id the compute plugin mapped for a plain Neutron subnet is no EC2 subnet */
    if (c->vpc_id == NULL || c->network_id == NULL) {
        ec2gw->fail(req, 400, "InvalidSubnetID.NotFound", "The subnet ID '%.64s' does not exist",
                    c->subnet_id);
        return -1;
    }
    return 0;
}

/* Groups.N: each a group of the subnet's VPC; -1 after answering. */
static int
neutron_eni_create_groups(ec2gw_req_t *req, const json_t *params, struct neutron_eni_create *c)
{
    const json_t *ids = json_object_get(params, "Groups"), *v;
    size_t n = json_array_size(ids), i;
    const char **list = ec2gw->pcalloc(req, (n + 1) * sizeof(*list));
    json_t *rows = NULL;

    if (n == 0)
        return 0;
    c->group_os = neutron_own(req, json_array());
    json_array_foreach(ids, i, v)
    {
        const char *os = NULL;
        int rc;

        list[i] = neutron_or(json_string_value(v));
        rc = ec2gw->id_to_os(req, list[i], &os);
        if (strncmp(list[i], "sg-", 3) != 0 || rc == EC2GW_E_INVAL) {
            ec2gw->fail(req, 400, "InvalidGroupId.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"sg-...\")", list[i]);
            return -1;
        }
        if (rc != 0 || os == NULL) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%.64s' does not exist", list[i]);
            return -1;
        }
        json_array_append_new(c->group_os, json_string(os));
    }
    if (ec2gw->items_get(req, list, n, &rows) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not read the security groups");
        return -1;
    }
    neutron_own(req, rows);
    for (i = 0; i < n; i++) {
        const char *vpc = neutron_str(json_object_get(rows, list[i]), VPC_F_VPC_ID);

        if (vpc == NULL || strcmp(vpc, c->vpc_id) != 0) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%.64s' does not exist in VPC '%.64s'", list[i],
                        c->vpc_id);
            return -1;
        }
    }
    return 0;
}

/* Every asked address inside the subnet's CIDR; -1 after answering. */
int
neutron_eni_check_range(ec2gw_req_t *req, struct neutron_eni_create *c, const char *cidr)
{
    const json_t *s;
    size_t i;

    if (c->primary != NULL && !neutron_eni_ip_in(c->primary, cidr)) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Address %s does not fall within the subnet's address range (%s)", c->primary,
                    cidr);
        return -1;
    }
    json_array_foreach(c->secondaries, i, s)
    {
        if (!neutron_eni_ip_in(json_string_value(s), cidr)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Address %s does not fall within the subnet's address range (%s)",
                        json_string_value(s), cidr);
            return -1;
        }
    }
    return 0;
}

int
neutron_eni_create_check(ec2gw_req_t *req, struct neutron_eni_create *c)
{
    const json_t *params = ec2gw->params(req);
    const char *desc = neutron_param_str(req, "Description");

    if (neutron_eni_create_unsupported(req, params) != 0 ||
        neutron_check_tag_specs(req, "network-interface") != 0)
        return -1;
    c->tags = neutron_own(req, neutron_tag_specs(params, "network-interface"));
    if (!neutron_eni_tags_ok(req, c->tags))
        return -1;
    if (desc != NULL && strlen(desc) > 255) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value for Description: at most 255 characters are allowed");
        return -1;
    }
    if (neutron_eni_create_addresses(req, params, c) != 0 ||
        neutron_eni_create_subnet(req, c) != 0 || neutron_eni_create_groups(req, params, c) != 0)
        return -1;
    return 0;
}
