/*
 * vpc_items.c - what the compute plugin reads of the network plugin's VPC items (the layout of
 * neutron-v2.0's vpc.h, ec2-api's database): the VPC of subnets and network interfaces, the
 * EC2 names of VPC security groups, and the project's default subnets. Only through the
 * host's batched item calls: one query per request, never one per object.
 */
#include <string.h>

#include "nova.h"

/* The ids (keys or string values of @p map) as an array for items_get (pool). */
static const char **
nova_ids_of(ec2gw_req_t *req, json_t *map, int values, size_t *n)
{
    const char **ids = ec2gw->pcalloc(req, (json_object_size(map) + 1) * sizeof(*ids));
    const char *k;
    json_t *v;

    *n = 0;
    json_object_foreach(map, k, v)
    {
        const char *id = values ? json_string_value(v) : k;

        if (id != NULL)
            ids[(*n)++] = id;
    }
    return ids;
}

json_t *
nova_items(ec2gw_req_t *req, const char *const *ids, size_t n)
{
    json_t *data = NULL;

    if (n == 0 || !EC2GW_HOST_HAS(ec2gw, items_get) || ec2gw->items_get(req, ids, n, &data) != 0)
        return json_object();
    return data;
}

json_t *
nova_subnet_vpcs(ec2gw_req_t *req, json_t *subnets)
{
    size_t n;
    const char **ids = nova_ids_of(req, subnets, 1, &n);
    json_t *data = nova_items(req, ids, n), *out = json_object(), *d;
    const char *id;

    json_object_foreach(data, id, d)
    {
        const char *vpc = nova_str(d, NOVA_F_VPC_ID);

        /* a subnet of a classic (non-EC2) network has a mapping row without a VPC */
        if (vpc != NULL && strncmp(id, "subnet-", 7) == 0)
            json_object_set_new(out, id, json_string(vpc));
    }
    json_decref(data);
    return out;
}

void
nova_group_names(ec2gw_req_t *req, json_t *groups)
{
    json_t *by_id = json_object(), *g, *data, *d;
    const char *os, *id, **ids;
    size_t n;

    json_object_foreach(groups, os, g)
    {
        if (nova_str(g, "GroupId") != NULL)
            json_object_set(by_id, nova_str(g, "GroupId"), g);
    }
    ids = nova_ids_of(req, by_id, 0, &n);
    data = nova_items(req, ids, n);
    /* A VPC's default group is "default" in EC2; Neutron reserves that name. */
    json_object_foreach(data, id, d)
    {
        if (nova_str(d, NOVA_F_GROUP_NAME) != NULL && (g = json_object_get(by_id, id)) != NULL)
            json_object_set(g, "GroupName", json_object_get(d, NOVA_F_GROUP_NAME));
    }
    json_decref(data);
    json_decref(by_id);
}

/* Is @p a before @p b as a default subnet: its zone first, then by zone name, then id. */
static int
nova_subnet_better(const char *zone, const char *a_zone, const char *a_id, const char *b_zone,
                   const char *b_id)
{
    int a_match = zone != NULL && strcmp(zone, nova_or(a_zone)) == 0;
    int b_match = zone != NULL && strcmp(zone, nova_or(b_zone)) == 0;
    int c = strcmp(nova_or(a_zone), nova_or(b_zone));

    if (a_match != b_match)
        return a_match;
    return c != 0 ? c < 0 : strcmp(a_id, b_id) < 0;
}

int
nova_default_subnet(ec2gw_req_t *req, const char *zone, const char **ec2_id, const char **os_id)
{
    json_t *items = NULL, *d;
    const char *id, *best = NULL, *best_zone = NULL;

    *ec2_id = *os_id = NULL;
    if (!EC2GW_HOST_HAS(ec2gw, items_list) || ec2gw->items_list(req, "subnet", &items) != 0)
        return 0;
    json_object_foreach(items, id, d)
    {
        const char *z = nova_str(d, NOVA_F_AVAILABILITY_ZONE);

        if (!json_is_true(json_object_get(d, NOVA_F_DEFAULT_FOR_AZ)) ||
            nova_str(d, NOVA_F_OS_ID) == NULL)
            continue;
        if (best == NULL || nova_subnet_better(zone, z, id, best_zone, best)) {
            best = id;
            best_zone = z;
            *os_id = ec2gw->pstrdup(req, nova_str(d, NOVA_F_OS_ID));
        }
    }
    if (best != NULL)
        *ec2_id = ec2gw->pstrdup(req, best);
    json_decref(items);
    return best != NULL;
}
