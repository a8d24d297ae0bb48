/*
 * subnets_describe.c - DescribeSubnets (openstack-mapping.md §16.4): the subnet rows of the
 * caller, then concurrently the Neutron subnets (their CIDRs and allocation pools) and the
 * ports of their networks; availableIpAddressCount is the pools' size minus the addresses
 * ports hold in them (right with or without a DHCP agent; the router's gateway address is
 * outside the pools). Filters of the model; MaxResults/NextToken.
 *
 * The filters are pushed down: before any Neutron call the same matcher runs over models built
 * from the rows alone (a filter that needs Neutron's data lets every row through), so a vpc-id
 * filter reads one VPC's subnets and ports instead of every VPC's, and one no row passes makes
 * no call at all.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vpc_priv.h"

json_t *
subnet_model(ec2gw_req_t *req, struct neutron_inst *ni, const char *id, const json_t *data,
             json_int_t count)
{
    const ec2gw_identity_t *who = ec2gw->identity(req);
    const char *az = neutron_str(data, VPC_F_AVAILABILITY_ZONE);

    if (az == NULL)
        az = ni->availability_zone;
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:b, s:b, s:b, s:[], s:s, s:s, s:[]}", "SubnetId", id,
        "State", "available", "VpcId", neutron_or(neutron_str(data, VPC_F_VPC_ID)), "CidrBlock",
        neutron_or(neutron_str(data, VPC_F_CIDR_BLOCK)), "AvailableIpAddressCount", count,
        "AvailabilityZone", az, "AvailabilityZoneId", az, "DefaultForAz",
        vpc_flag(data, VPC_F_DEFAULT_FOR_AZ, 0), "MapPublicIpOnLaunch",
        vpc_flag(data, VPC_F_MAP_PUBLIC_IP_ON_LAUNCH, 0), "AssignIpv6AddressOnCreation", 0,
        "Ipv6CidrBlockAssociationSet", "OwnerId", neutron_or(who->owner_id), "SubnetArn",
        ec2gw->psprintf(req, "arn:aws:ec2:%s:%s:subnet/%s", neutron_or(who->region),
                        neutron_or(who->owner_id), id),
        "Tags");
}

static int
subnet_ip(const char *s, uint32_t *ip)
{
    int prefix;
    char buf[32];

    if (s == NULL || strlen(s) > 15)
        return -1;
    snprintf(buf, sizeof(buf), "%s/32", s);
    return vpc_cidr_parse(buf, ip, &prefix);
}

/* Addresses of the allocation pools of Neutron subnet @p sn not held by a port of @p ports. */
static json_int_t
subnet_free(const json_t *sn, const json_t *ports)
{
    const json_t *pool, *port, *ip;
    size_t i, j, k;
    json_int_t total = 0;

    json_array_foreach(json_object_get(sn, "allocation_pools"), i, pool)
    {
        uint32_t a, b;

        if (subnet_ip(neutron_str(pool, "start"), &a) == 0 &&
            subnet_ip(neutron_str(pool, "end"), &b) == 0 && b >= a)
            total += (json_int_t)(b - a) + 1;
    }
    json_array_foreach(ports, j, port) json_array_foreach(json_object_get(port, "fixed_ips"), k, ip)
    {
        uint32_t x, a, b;

        if (strcmp(neutron_or(neutron_str(ip, "subnet_id")), neutron_or(neutron_str(sn, "id"))) !=
                0 ||
            subnet_ip(neutron_str(ip, "ip_address"), &x) != 0)
            continue;
        json_array_foreach(json_object_get(sn, "allocation_pools"), i, pool)
        {
            if (subnet_ip(neutron_str(pool, "start"), &a) == 0 &&
                subnet_ip(neutron_str(pool, "end"), &b) == 0 && x >= a && x <= b) {
                total--;
                break;
            }
        }
    }
    return total < 0 ? 0 : total;
}

static void
subnet_add(json_t *values, const char *s)
{
    if (s != NULL)
        json_array_append_new(values, json_string(s));
}

/* A value EC2 wildcard @p pattern surely matches: '*' as nothing, '?' as one character, "\x"
 * as x (a trailing lone backslash stands for itself); a plain value is itself. Pool. */
static const char *
subnet_witness(ec2gw_req_t *req, const char *pattern)
{
    char *out = ec2gw->pcalloc(req, strlen(pattern) + 1), *o = out;
    const char *p;

    for (p = pattern; *p != '\0'; p++) {
        if (*p == '*')
            continue;
        if (*p == '?')
            *o++ = 'x';
        else if (*p == '\\' && p[1] != '\0')
            *o++ = *++p;
        else
            *o++ = *p;
    }
    return out;
}

/* Pre-filter: a filter the row alone cannot answer gets a witness of every value of every
 * filter so named, so it passes and only rows that surely fail are dropped. */
static void
subnet_unknown(ec2gw_req_t *req, const char *name, json_t *values)
{
    const json_t *f, *v;
    size_t i, j;

    json_array_foreach(json_object_get(ec2gw->params(req), "Filters"), i, f)
    {
        if (strcmp(neutron_or(neutron_str(f, "Name")), name) != 0)
            continue;
        json_array_foreach(json_object_get(f, "Values"), j, v)
        {
            if (json_string_value(v) != NULL)
                subnet_add(values, subnet_witness(req, json_string_value(v)));
        }
    }
}

static int
subnet_is_cidr(const char *name)
{
    return strcmp(name, "cidr") == 0 || strcmp(name, "cidrBlock") == 0 ||
           strcmp(name, "cidr-block") == 0;
}

/* ec2gw_filter_values_fn; @p arg is non-NULL in the pre-filter, where @p item is built from
 * the row alone: no free-address count, and no CidrBlock when the row has none. */
static int
subnet_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values,
                     void *arg)
{
    if (arg != NULL && (strcmp(name, "available-ip-address-count") == 0 ||
                        (subnet_is_cidr(name) && neutron_str(item, "CidrBlock") == NULL)))
        subnet_unknown(req, name, values);
    else if (strcmp(name, "availability-zone") == 0 || strcmp(name, "availabilityZone") == 0)
        subnet_add(values, neutron_str(item, "AvailabilityZone"));
    else if (strcmp(name, "availability-zone-id") == 0 || strcmp(name, "availabilityZoneId") == 0)
        subnet_add(values, neutron_str(item, "AvailabilityZoneId"));
    else if (strcmp(name, "available-ip-address-count") == 0)
        json_array_append_new(
            values,
            json_sprintf("%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(item, "AvailableIpAddressCount"))));
    else if (subnet_is_cidr(name))
        subnet_add(values, neutron_str(item, "CidrBlock"));
    else if (strcmp(name, "default-for-az") == 0 || strcmp(name, "defaultForAz") == 0)
        subnet_add(values, json_is_true(json_object_get(item, "DefaultForAz")) ? "true" : "false");
    else if (strcmp(name, "map-public-ip-on-launch") == 0)
        subnet_add(values,
                   json_is_true(json_object_get(item, "MapPublicIpOnLaunch")) ? "true" : "false");
    else if (strcmp(name, "owner-id") == 0)
        subnet_add(values, neutron_str(item, "OwnerId"));
    else if (strcmp(name, "state") == 0)
        subnet_add(values, neutron_str(item, "State"));
    else if (strcmp(name, "subnet-id") == 0)
        subnet_add(values, neutron_str(item, "SubnetId"));
    else if (strcmp(name, "subnet-arn") == 0)
        subnet_add(values, neutron_str(item, "SubnetArn"));
    else if (strcmp(name, "vpc-id") == 0)
        subnet_add(values, neutron_str(item, "VpcId"));
    else if (strcmp(name, "ipv6-cidr-block-association.ipv6-cidr-block") == 0 ||
             strcmp(name, "ipv6-cidr-block-association.association-id") == 0 ||
             strcmp(name, "ipv6-cidr-block-association.state") == 0)
        ; /* IPv4 only: no values */
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

struct subnets_desc {
    struct neutron_inst *ni;
    json_t *rows; /* subnet- → row (pool) */
};

static void
subnets_listed(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct subnets_desc *s = arg;
    json_t *list = neutron_own(req, json_array()), *by_os = neutron_own(req, json_object()), *d;
    const json_t *sn, *ports = n > 1 ? json_object_get(r[1]->json, "ports") : NULL;
    const char *id, *next = NULL;
    json_t *page;
    size_t i;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        vpc_os_fail(req, r[bad], NULL);
        return;
    }
    json_array_foreach(json_object_get(r[0]->json, "subnets"), i, sn)
        json_object_set(by_os, neutron_or(neutron_str(sn, "id")), (json_t *)(uintptr_t)sn);
    json_object_foreach(s->rows, id, d)
    {
        /* a subnet deleted behind the gateway's back is not shown */
        sn = json_object_get(by_os, neutron_or(neutron_str(d, VPC_F_OS_ID)));
        if (sn == NULL)
            continue;
        if (neutron_str(d, VPC_F_CIDR_BLOCK) == NULL)
            json_object_set_new(d, VPC_F_CIDR_BLOCK,
                                json_string(neutron_or(neutron_str(sn, "cidr"))));
        json_array_append_new(list, subnet_model(req, s->ni, id, d, subnet_free(sn, ports)));
    }
    vpc_attach_tags(req, list, "SubnetId");
    page =
        neutron_filter_page(req, list, "SubnetId", "SubnetId", subnet_filter_values, NULL, &next);
    if (page != NULL)
        neutron_finish_list(req, "Subnets", page, next);
}

/* Drop from s->rows the rows the request's filters surely exclude (see subnet_filter_values).
 * 0, or -1 after the host failed the request (a bad filter: before any Neutron call). */
static int
subnets_prefilter(ec2gw_req_t *req, struct subnets_desc *s)
{
    json_t *models = neutron_own(req, json_array()), *ids = neutron_own(req, json_object());
    json_t *kept, *d, *m;
    const char *id;
    void *tmp;
    size_t i;
    int pre = 1;

    if (json_array_size(json_object_get(ec2gw->params(req), "Filters")) == 0 ||
        json_object_size(s->rows) == 0)
        return 0;
    json_object_foreach(s->rows, id, d)
    {
        m = subnet_model(req, s->ni, id, d, 0);
        if (neutron_str(d, VPC_F_CIDR_BLOCK) == NULL)
            json_object_del(m, "CidrBlock"); /* Neutron's, later */
        json_array_append_new(models, m);
    }
    if ((kept = ec2gw->filter(req, models, "SubnetId", subnet_filter_values, &pre)) == NULL)
        return -1;
    neutron_own(req, kept);
    json_array_foreach(kept, i, m)
        json_object_set_new(ids, neutron_or(neutron_str(m, "SubnetId")), json_true());
    json_object_foreach_safe(s->rows, tmp, id, d)
    {
        if (json_object_get(ids, id) == NULL)
            json_object_del(s->rows, id);
    }
    return 0;
}

static void
subnets_describe(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    struct subnets_desc *s = arg;
    json_t *items = vpc_items(req, VPC_KIND_SUBNET), *d;
    const json_t *want = json_object_get(ec2gw->params(req), "SubnetIds"), *w;
    char *sq = NULL, *pq = NULL;
    const char *id;
    ec2gw_os_call_t calls[2];
    size_t i;

    (void)default_vpc;
    if (vpc_check_ids(req, "SubnetIds", items, "subnet-", "InvalidSubnetID", "subnet") != 0)
        return;
    s->rows = neutron_own(req, json_object());
    /* subnet rows only: the compute plugin maps Neutron subnets of non-VPC networks too */
    json_object_foreach(items, id, d)
    {
        int keep = json_array_size(want) == 0;

        json_array_foreach(want, i, w) keep |= strcmp(neutron_or(json_string_value(w)), id) == 0;
        if (keep && neutron_str(d, VPC_F_VPC_ID) != NULL && neutron_str(d, VPC_F_OS_ID) != NULL)
            json_object_set(s->rows, id, d);
    }
    if (subnets_prefilter(req, s) != 0)
        return;
    json_object_foreach(s->rows, id, d)
    {
        sq = ec2gw->psprintf(req, "%s&id=%s", neutron_or(sq),
                             ec2gw->url_escape(req, neutron_str(d, VPC_F_OS_ID)));
        if (neutron_str(d, VPC_F_OS_NETWORK_ID) != NULL)
            pq = ec2gw->psprintf(req, "%s&network_id=%s", neutron_or(pq),
                                 ec2gw->url_escape(req, neutron_str(d, VPC_F_OS_NETWORK_ID)));
    }
    if (json_object_size(s->rows) == 0) {
        json_t *page;
        const char *next = NULL;

        /* nothing left to ask Neutron about; the filters are still checked */
        page = neutron_filter_page(req, neutron_own(req, json_array()), "SubnetId", "SubnetId",
                                   subnet_filter_values, NULL, &next);
        if (page != NULL)
            neutron_finish_list(req, "Subnets", page, next);
        return;
    }
    calls[0] = EC2GW_OS_GET(
        "network",
        neutron_path(req, "subnets",
                     ec2gw->psprintf(req, "%s&fields=id&fields=cidr&fields=allocation_pools", sq)));
    calls[0].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    calls[1] = EC2GW_OS_GET(
        "network",
        neutron_path(req, "ports", ec2gw->psprintf(req, "%s&fields=fixed_ips", neutron_or(pq))));
    calls[1].flags = EC2GW_CALL_SHARED; /* read-only list: shared (ABI 1.4) */
    if (ec2gw->os_fanout(req, calls, pq != NULL ? 2 : 1, subnets_listed, s) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_describe_subnets(ec2gw_req_t *req, void *inst)
{
    struct subnets_desc *s = ec2gw->pcalloc(req, sizeof(*s));

    s->ni = inst;
    return neutron_default_vpc_ensure(req, inst, subnets_describe, s);
}
