/*
 * run_devices.c - RunInstances' devices: BlockDeviceMapping.N → Nova block_device_mapping_v2,
 * and SubnetId / PrivateIpAddress / NetworkInterface.N → Nova `networks`.
 *
 * Without a network plugin there is no VPC: a subnet id names a Neutron subnet (ids handed
 * out by DescribeInstances), and Nova creates the port on that subnet's network. Whatever
 * Nova cannot honour is refused with an error naming the parameter, never dropped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nova.h"

static const char *
dev_short(const char *dev)
{
    return dev != NULL && strncmp(dev, "/dev/", 5) == 0 ? dev + 5 : dev;
}

static int
nova_unsupported(ec2gw_req_t *req, const char *what)
{
    ec2gw->fail(req, 400, "UnsupportedOperation", "%s is not supported by this cloud", what);
    return -1;
}

/* One EBS mapping into @p out; 0 or -1 after failing the request. */
static int
nova_bdm_ebs(ec2gw_req_t *req, const json_t *ebs, const char *dev, int is_root, const char *image,
             json_t *out)
{
    const char *snap = nova_str(ebs, "SnapshotId"), *os = NULL, *vt = nova_str(ebs, "VolumeType");
    const json_t *size = json_object_get(ebs, "VolumeSize");
    const json_t *dot = json_object_get(ebs, "DeleteOnTermination");
    int rc;

    if (json_is_true(json_object_get(ebs, "Encrypted")) || nova_str(ebs, "KmsKeyId") != NULL)
        return nova_unsupported(req, "BlockDeviceMapping.Ebs.Encrypted");
    if (json_object_get(ebs, "Iops") != NULL || json_object_get(ebs, "Throughput") != NULL)
        return nova_unsupported(req, "BlockDeviceMapping.Ebs.Iops/Throughput");
    if (nova_str(ebs, "OutpostArn") != NULL)
        return nova_unsupported(req, "BlockDeviceMapping.Ebs.OutpostArn");
    if (size != NULL && json_integer_value(size) < 1) {
        ec2gw->fail(req, 400, "InvalidBlockDeviceMapping",
                    "Volume size for %s must be at least 1 GiB", dev);
        return -1;
    }
    json_object_set_new(out, "destination_type", json_string("volume"));
    json_object_set_new(out, "delete_on_termination", json_boolean(dot ? json_is_true(dot) : 1));
    if (size != NULL)
        json_object_set_new(out, "volume_size", json_integer(json_integer_value(size)));
    if (vt != NULL)
        json_object_set_new(out, "volume_type", json_string(vt));
    if (snap != NULL) {
        int is_vol = strncmp(snap, "vol-", 4) == 0;

        /* vol- as a source is ec2-api's extension: boot from/attach an existing volume. */
        if (strncmp(snap, "snap-", 5) != 0 && !is_vol) {
            ec2gw->fail(req, 400, "InvalidSnapshotID.Malformed",
                        "Invalid id: \"%s\" (expecting \"snap-...\")", snap);
            return -1;
        }
        rc = ec2gw->id_to_os(req, snap, &os);
        if (rc != 0) {
            ec2gw->fail(req, 400,
                        rc == EC2GW_E_INVAL ? "InvalidSnapshotID.Malformed"
                        : is_vol            ? "InvalidVolume.NotFound"
                                            : "InvalidSnapshot.NotFound",
                        "The %s '%s' does not exist", is_vol ? "volume" : "snapshot", snap);
            return -1;
        }
        json_object_set_new(out, "source_type", json_string(is_vol ? "volume" : "snapshot"));
        json_object_set_new(out, "uuid", json_string(os));
    } else if (is_root) {
        /* EBS root without a snapshot: a volume made from the image (boot from volume). */
        json_object_set_new(out, "source_type", json_string("image"));
        json_object_set_new(out, "uuid", json_string(image));
    } else {
        if (size == NULL) {
            ec2gw->fail(req, 400, "InvalidBlockDeviceMapping",
                        "The device %s needs Ebs.VolumeSize or Ebs.SnapshotId", dev);
            return -1;
        }
        json_object_set_new(out, "source_type", json_string("blank"));
    }
    return 0;
}

int
nova_run_bdms(ec2gw_req_t *req, const json_t *params, const char *image, const char *root_dev,
              json_t **out)
{
    const json_t *m, *ebs;
    json_t *list = nova_own(req, json_array()), *seen = nova_own(req, json_object());
    size_t i;
    int has_root = 0;

    *out = NULL;
    json_array_foreach(json_object_get(params, "BlockDeviceMappings"), i, m)
    {
        const char *dev = nova_str(m, "DeviceName"), *vn = nova_str(m, "VirtualName");
        int is_root =
            root_dev != NULL && dev != NULL && strcmp(dev_short(dev), dev_short(root_dev)) == 0;
        json_t *b;

        if (dev == NULL || dev[0] == '\0') {
            ec2gw->fail(req, 400, "MissingParameter",
                        "The request must contain the parameter BlockDeviceMapping.%zu.DeviceName",
                        i + 1);
            return -1;
        }
        if (json_object_get(seen, dev) != NULL) {
            ec2gw->fail(req, 400, "InvalidBlockDeviceMapping",
                        "The device '%s' is used in more than one block-device mapping", dev);
            return -1;
        }
        json_object_set_new(seen, dev, json_true());
        has_root |= is_root;
        ebs = json_object_get(m, "Ebs");
        if ((ebs != NULL) + (vn != NULL) + (json_object_get(m, "NoDevice") != NULL) != 1) {
            ec2gw->fail(req, 400, "InvalidBlockDeviceMapping",
                        "The device '%s' needs exactly one of Ebs, VirtualName and NoDevice", dev);
            return -1;
        }
        b = json_pack("{s:s, s:i}", "device_name", dev, "boot_index", is_root ? 0 : -1);
        json_array_append_new(list, b);
        if (json_object_get(m, "NoDevice") != NULL) {
            if (is_root) {
                ec2gw->fail(req, 400, "InvalidBlockDeviceMapping",
                            "The root device '%s' cannot be suppressed with NoDevice", dev);
                return -1;
            }
            json_object_del(b, "boot_index");
            json_object_set_new(b, "no_device", json_true());
        } else if (vn != NULL) {
            /* ephemeralN: a local blank disk from the flavor's ephemeral space. */
            if (strncmp(vn, "ephemeral", 9) != 0 || is_root) {
                ec2gw->fail(req, 400, "InvalidBlockDeviceMapping",
                            "Invalid VirtualName '%s' for device %s (expecting ephemeralN)", vn,
                            dev);
                return -1;
            }
            json_object_set_new(b, "source_type", json_string("blank"));
            json_object_set_new(b, "destination_type", json_string("local"));
            json_object_set_new(b, "delete_on_termination", json_true());
        } else if (nova_bdm_ebs(req, ebs, dev, is_root, image, b) != 0) {
            return -1;
        }
    }
    if (json_array_size(list) == 0)
        return 0;
    /* Nova wants the boot device spelled out once any mapping is given. */
    if (!has_root)
        json_array_insert_new(list, 0,
                              json_pack("{s:s, s:s, s:s, s:i, s:b}", "source_type", "image",
                                        "destination_type", "local", "uuid", image, "boot_index", 0,
                                        "delete_on_termination", 1));
    *out = list;
    return 0;
}

/* -- networks ------------------------------------------------------------------------------ */

static int
nova_nic_cmp(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    json_int_t dx = json_integer_value(json_object_get(x, "DeviceIndex"));
    json_int_t dy = json_integer_value(json_object_get(y, "DeviceIndex"));

    return dx < dy ? -1 : dx > dy;
}

/* The primary private IP of a NIC spec (PrivateIpAddress or the primary of the list). */
static const char *
nova_nic_ip(ec2gw_req_t *req, const json_t *nic, int *bad)
{
    const char *ip = nova_str(nic, "PrivateIpAddress");
    const json_t *list = json_object_get(nic, "PrivateIpAddresses"), *e;
    size_t i;

    json_array_foreach(list, i, e)
    {
        if (json_array_size(list) > 1 || !json_is_true(json_object_get(e, "Primary"))) {
            *bad = nova_unsupported(req, "NetworkInterface.PrivateIpAddresses with secondary "
                                         "addresses");
            return NULL;
        }
        if (ip != NULL && nova_str(e, "PrivateIpAddress") != NULL &&
            strcmp(ip, nova_str(e, "PrivateIpAddress")) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "PrivateIpAddress and the primary of PrivateIpAddresses differ");
            *bad = -1;
            return NULL;
        }
        ip = nova_str(e, "PrivateIpAddress");
    }
    return ip;
}

/* Checks of one NetworkInterface.N entry that need no OpenStack call. */
static int
nova_nic_check(ec2gw_req_t *req, const json_t *nic, long long max)
{
    static const char *const unsupported[] = {
        "Ipv6AddressCount",
        "Ipv6Addresses",
        "Ipv4Prefixes",
        "Ipv4PrefixCount",
        "Ipv6Prefixes",
        "Ipv6PrefixCount",
        "AssociateCarrierIpAddress",
        "ConnectionTrackingSpecification",
        "EnaSrdSpecification",
        "EnaQueueCount",
        NULL,
    };
    const char *eni = nova_str(nic, "NetworkInterfaceId"), *type = nova_str(nic, "InterfaceType");
    const json_t *dot = json_object_get(nic, "DeleteOnTermination");

    for (size_t k = 0; unsupported[k] != NULL; k++)
        if (json_object_get(nic, unsupported[k]) != NULL)
            return nova_unsupported(req,
                                    ec2gw->psprintf(req, "NetworkInterface.%s", unsupported[k]));
    if (json_integer_value(json_object_get(nic, "SecondaryPrivateIpAddressCount")) > 0)
        return nova_unsupported(req, "NetworkInterface.SecondaryPrivateIpAddressCount");
    if (json_integer_value(json_object_get(nic, "NetworkCardIndex")) > 0)
        return nova_unsupported(req, "NetworkInterface.NetworkCardIndex other than 0");
    if (type != NULL && strcmp(type, "interface") != 0)
        return nova_unsupported(req, ec2gw->psprintf(req, "InterfaceType %s", type));
    if (nova_str(nic, "Description") != NULL && nova_str(nic, "Description")[0] != '\0')
        return nova_unsupported(req, "NetworkInterface.Description for a new interface");
    if (eni != NULL) {
        if (nova_str(nic, "SubnetId") != NULL || nova_str(nic, "PrivateIpAddress") != NULL ||
            json_array_size(json_object_get(nic, "Groups")) > 0) {
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "A network interface ID cannot be combined with a subnet, private IP or "
                        "security groups");
            return -1;
        }
        if (max > 1) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "An existing network interface cannot be attached to more than one "
                        "instance (MaxCount %lld)",
                        max);
            return -1;
        }
        /* Nova never deletes a port it did not create. */
        if (json_is_true(dot))
            return nova_unsupported(req, "DeleteOnTermination=true for an existing network "
                                         "interface");
    } else if (dot != NULL && !json_is_true(dot)) {
        /* Nova always deletes the ports it creates with the server. */
        return nova_unsupported(req, "DeleteOnTermination=false for a new network interface");
    }
    return 0;
}

/* Map each NIC's subnet- and eni- ids to Neutron ids ("subnet", "port"); 0 or -1. */
static int
nova_nics_resolve_ids(ec2gw_req_t *req, json_t *nics, json_t **out)
{
    json_t *nic;
    size_t i;

    json_array_foreach(nics, i, nic)
    {
        const char *subnet = nova_str(nic, "SubnetId"), *eni = nova_str(nic, "NetworkInterfaceId");
        const char *os = NULL;
        int rc;

        if (subnet != NULL) {
            rc = strncmp(subnet, "subnet-", 7) == 0 ? ec2gw->id_to_os(req, subnet, &os)
                                                    : EC2GW_E_INVAL;
            if (rc != 0) {
                ec2gw->fail(req, 400,
                            rc == EC2GW_E_INVAL ? "InvalidSubnetID.Malformed"
                                                : "InvalidSubnetID.NotFound",
                            "The subnet ID '%s' %s", subnet,
                            rc == EC2GW_E_INVAL ? "is malformed" : "does not exist");
                return -1;
            }
            json_object_set_new(nic, "subnet", json_string(os));
        }
        if (eni != NULL) {
            rc = strncmp(eni, "eni-", 4) == 0 ? ec2gw->id_to_os(req, eni, &os) : EC2GW_E_INVAL;
            if (rc != 0) {
                ec2gw->fail(req, 400,
                            rc == EC2GW_E_INVAL ? "InvalidNetworkInterfaceID.Malformed"
                                                : "InvalidNetworkInterfaceID.NotFound",
                            "The networkInterface ID '%s' %s", eni,
                            rc == EC2GW_E_INVAL ? "is malformed" : "does not exist");
                return -1;
            }
            json_object_set_new(nic, "port", json_string(os));
        }
    }
    *out = nics;
    return 0;
}

int
nova_run_nics(ec2gw_req_t *req, const json_t *params, long long max, json_t **nics, json_t *groups)
{
    const json_t *list = json_object_get(params, "NetworkInterfaces");
    const char *subnet = nova_str(params, "SubnetId"), *ip = nova_str(params, "PrivateIpAddress");
    json_t *out = nova_own(req, json_array());
    const json_t **v, *gv, *first_groups = NULL;
    size_t n = json_array_size(list), i;
    int bad = 0;

    *nics = NULL;
    if (n == 0) {
        if (subnet == NULL && ip == NULL)
            return 0;
        if (ip != NULL && max > 1) {
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "A private IP address cannot be given for more than one instance");
            return -1;
        }
        json_array_append_new(
            out, json_pack("{s:s*, s:s*}", "SubnetId", subnet, "PrivateIpAddress", ip));
        return nova_nics_resolve_ids(req, out, nics);
    }
    if (subnet != NULL || ip != NULL ||
        json_array_size(json_object_get(params, "SecurityGroupIds")) > 0 ||
        json_array_size(json_object_get(params, "SecurityGroups")) > 0) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "Network interfaces and an instance-level subnet ID, private IP address or "
                    "security groups may not be specified on the same request");
        return -1;
    }
    v = ec2gw->pcalloc(req, n * sizeof(*v));
    for (i = 0; i < n; i++) {
        v[i] = json_array_get(list, i);
        if (json_object_get(v[i], "DeviceIndex") == NULL) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Each network interface requires a device index.");
            return -1;
        }
        if (nova_nic_check(req, v[i], max) != 0)
            return -1;
    }
    qsort(v, n, sizeof(*v), nova_nic_cmp);
    for (i = 0; i < n; i++) {
        const json_t *g = json_object_get(v[i], "Groups");
        json_int_t di = json_integer_value(json_object_get(v[i], "DeviceIndex"));
        const char *nic_ip = nova_nic_ip(req, v[i], &bad);

        if (bad)
            return -1;
        if ((i == 0 && di != 0) ||
            (i > 0 && di == json_integer_value(json_object_get(v[i - 1], "DeviceIndex")))) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        i == 0 ? "A network interface with device index 0 is required"
                               : "Device index %lld is used by more than one network interface",
                        (long long)di);
            return -1;
        }
        if (nic_ip != NULL && max > 1) {
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "A private IP address cannot be given for more than one instance");
            return -1;
        }
        /* Nova applies the server's groups to every port it creates: one set for all NICs. */
        if (nova_str(v[i], "NetworkInterfaceId") == NULL) {
            if (first_groups == NULL)
                first_groups = g;
            else if (!json_equal(first_groups, g) &&
                     (json_array_size(first_groups) || json_array_size(g)))
                return nova_unsupported(req, "Different security groups per network interface");
        }
        json_array_append_new(out, json_pack("{s:s*, s:s*, s:s*}", "SubnetId",
                                             nova_str(v[i], "SubnetId"), "PrivateIpAddress", nic_ip,
                                             "NetworkInterfaceId",
                                             nova_str(v[i], "NetworkInterfaceId")));
    }
    json_array_foreach(first_groups, i, gv)
    {
        const char *sg = json_string_value(gv), *sg_os = NULL;

        if (sg == NULL || strncmp(sg, "sg-", 3) != 0 || ec2gw->id_to_os(req, sg, &sg_os) != 0) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
                        sg ? sg : "");
            return -1;
        }
        json_array_append_new(groups, json_pack("{s:s}", "name", sg_os));
    }
    return nova_nics_resolve_ids(req, out, nics);
}

/* Is IPv4 @p ip inside @p cidr ("10.0.0.0/24")? 1, 0, or -1 when either is malformed. */
static int
nova_ip_in_cidr(const char *ip, const char *cidr)
{
    char net[64];
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    struct in_addr a, b;
    long bits;
    uint32_t mask;

    if (ip == NULL || slash == NULL || (size_t)(slash - cidr) >= sizeof(net))
        return -1;
    memcpy(net, cidr, (size_t)(slash - cidr));
    net[slash - cidr] = '\0';
    bits = strtol(slash + 1, NULL, 10);
    if (inet_pton(AF_INET, ip, &a) != 1)
        return -1;
    if (inet_pton(AF_INET, net, &b) != 1 || bits < 0 || bits > 32)
        return 0; /* an IPv6 subnet never holds an IPv4 address */
    mask = bits == 0 ? 0 : htonl(0xffffffffu << (32 - bits));
    return (a.s_addr & mask) == (b.s_addr & mask);
}

json_t *
nova_run_networks(ec2gw_req_t *req, const json_t *nics, const json_t *subnets,
                  const char *default_net)
{
    json_t *out = json_array(), *nic;
    const json_t *s, *list = json_object_get(subnets, "subnets");
    size_t i, j;

    json_array_foreach(nics, i, nic)
    {
        const char *port = nova_str(nic, "port"), *sub = nova_str(nic, "subnet");
        const char *ip = nova_str(nic, "PrivateIpAddress"), *net = default_net, *cidr = NULL;
        size_t siblings = 0;
        json_t *e;

        if (port != NULL) {
            json_array_append_new(out, json_pack("{s:s}", "port", port));
            continue;
        }
        if (ip != NULL && nova_ip_in_cidr(ip, "0.0.0.0/0") < 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%s' for PrivateIpAddress", ip);
            goto fail;
        }
        if (sub != NULL) {
            net = NULL;
            json_array_foreach(list, j,
                               s) if (strcmp(nova_str(s, "id") ? nova_str(s, "id") : "", sub) == 0)
            {
                net = nova_str(s, "network_id");
                cidr = nova_str(s, "cidr");
            }
            if (net == NULL) {
                ec2gw->fail(req, 400, "InvalidSubnetID.NotFound",
                            "The subnet ID '%s' does not exist", nova_str(nic, "SubnetId"));
                goto fail;
            }
            json_array_foreach(
                list, j, s) if (strcmp(nova_str(s, "network_id") ? nova_str(s, "network_id") : "",
                                       net) == 0) siblings++;
            if (ip != NULL && nova_ip_in_cidr(ip, cidr) != 1) {
                ec2gw->fail(req, 400, "InvalidParameterValue",
                            "Address %s does not fall within the subnet's address range %s", ip,
                            cidr ? cidr : "?");
                goto fail;
            }
            /* Nova picks the subnet from the fixed IP only: without one, the network must not
             * hold other subnets, or the port could land on the wrong one. */
            if (ip == NULL && siblings > 1) {
                nova_unsupported(req, ec2gw->psprintf(req,
                                                      "Choosing subnet %s of a network with %zu "
                                                      "subnets without a PrivateIpAddress",
                                                      nova_str(nic, "SubnetId"), siblings));
                goto fail;
            }
        }
        if (sub == NULL && ip != NULL) {
            /* the address must fall in one of the network's subnets, or Nova would accept
             * the request and fail the server later */
            int inside = 0;

            json_array_foreach(list, j, s)
            {
                if (strcmp(nova_or(nova_str(s, "network_id")), nova_or(net)) == 0 &&
                    nova_ip_in_cidr(ip, nova_str(s, "cidr")) == 1)
                    inside = 1;
            }
            if (!inside) {
                ec2gw->fail(req, 400, "InvalidParameterValue",
                            "Address %s does not fall within a subnet of the instance's network",
                            ip);
                goto fail;
            }
        }
        e = json_pack("{s:s}", "uuid", net);
        if (ip != NULL)
            json_object_set_new(e, "fixed_ip", json_string(ip));
        json_array_append_new(out, e);
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}
