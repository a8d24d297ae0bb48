/*
 * dopt_describe.c - DescribeDhcpOptions: the caller's dopt rows in one query, their tags in
 * another; filters dhcp-options-id, key, value, owner-id and tags; paging.
 */
#include <string.h>

#include "dopt.h"

static int
dopt_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *out, void *arg)
{
    const json_t *c, *v;
    size_t i, j;

    (void)req;
    (void)arg;
    if (strcmp(name, "dhcp-options-id") == 0 || strcmp(name, "owner-id") == 0) {
        json_array_append(out, json_object_get(item, name[0] == 'd' ? "DhcpOptionsId" : "OwnerId"));
        return 0;
    }
    if (strcmp(name, "key") != 0 && strcmp(name, "value") != 0)
        return EC2GW_E_NOTFOUND;
    json_array_foreach(json_object_get(item, "DhcpConfigurations"), i, c)
    {
        if (strcmp(name, "key") == 0)
            json_array_append(out, json_object_get(c, "Key"));
        else
            json_array_foreach(json_object_get(c, "Values"), j, v)
                json_array_append(out, json_object_get(v, "Value"));
    }
    return 0;
}

int
neutron_describe_dhcp_options(ec2gw_req_t *req, void *inst)
{
    const json_t *want = json_object_get(ec2gw->params(req), "DhcpOptionsIds"), *w;
    json_t *rows, *list, *tags = NULL, *page;
    const char **ids, *k, *next;
    json_t *v;
    size_t n, i = 0;

    (void)inst;
    if ((rows = rtb_items(req, VPC_KIND_DOPT, NULL)) == NULL)
        return EC2GW_OK;
    json_array_foreach(want, i, w)
    {
        if (json_object_get(rows, neutron_or(json_string_value(w))) == NULL) {
            ec2gw->fail(req, 400, "InvalidDhcpOptionID.NotFound",
                        "The dhcpOption ID '%.64s' does not exist",
                        neutron_or(json_string_value(w)));
            return EC2GW_OK;
        }
    }
    n = json_object_size(rows);
    ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    i = 0;
    json_object_foreach(rows, k, v) ids[i++] = k;
    if (n > 0 && ec2gw->tags_get(req, ids, n, &tags) != 0) {
        ec2gw->fail(req, 500, "InternalError", "could not read the DHCP options' tags");
        return EC2GW_OK;
    }
    neutron_own(req, tags);
    list = neutron_own(req, json_array());
    json_object_foreach(rows, k, v)
    {
        json_t *m;
        int asked = json_array_size(want) == 0;

        json_array_foreach(want, i, w) asked |= strcmp(neutron_or(json_string_value(w)), k) == 0;
        if (!asked)
            continue;
        m = dopt_model(req, k, v);
        if (json_object_get(tags, k) != NULL)
            json_object_set(m, "Tags", json_object_get(tags, k));
        json_array_append_new(list, m);
    }
    page = neutron_filter_page(req, list, "DhcpOptionsId", "DhcpOptionsId", dopt_filter_values,
                               NULL, &next);
    if (page != NULL)
        neutron_finish_list(req, "DhcpOptions", page, next);
    return EC2GW_OK;
}
