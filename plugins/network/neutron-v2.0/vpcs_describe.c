/*
 * vpcs_describe.c - DescribeVpcs (openstack-mapping.md §16.2): from the database only (one
 * items_list and one tags read), after the default VPC is made sure of; filters cidr,
 * cidr-block, cidr-block-association.*, dhcp-options-id, is-default, state, vpc-id, owner-id
 * and tags; MaxResults/NextToken.
 */
#include <string.h>

#include "vpc_priv.h"

static void
vpcs_describe(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    json_t *items = vpc_items(req, VPC_KIND_VPC), *list = neutron_own(req, json_array()), *d, *page;
    const char *id, *next = NULL;
    void *tmp;

    (void)default_vpc;
    (void)arg;
    /* a default VPC still being made is not shown until it is whole */
    json_object_foreach_safe(items, tmp, id, d)
    {
        if (json_object_get(d, "default_state") != NULL)
            json_object_del(items, id);
    }
    if (vpc_check_ids(req, "VpcIds", items, "vpc-", "InvalidVpcID", "vpc") != 0)
        return;
    json_object_foreach(items, id, d)
    {
        const json_t *want = json_object_get(ec2gw->params(req), "VpcIds"), *w;
        size_t i;
        int keep = json_array_size(want) == 0;

        json_array_foreach(want, i, w) keep |= strcmp(neutron_or(json_string_value(w)), id) == 0;
        if (keep)
            json_array_append_new(list, vpc_model(req, id, d));
    }
    vpc_attach_tags(req, list, "VpcId");
    page = neutron_filter_page(req, list, "VpcId", "VpcId", vpc_filter_values, NULL, &next);
    if (page == NULL)
        return;
    neutron_finish_list(req, "Vpcs", page, next);
}

int
neutron_describe_vpcs(ec2gw_req_t *req, void *inst)
{
    return neutron_default_vpc_ensure(req, inst, vpcs_describe, NULL);
}
