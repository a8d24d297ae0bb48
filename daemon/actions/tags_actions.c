/*
 * tags_actions.c - CreateTags, DeleteTags, DescribeTags, answered from the gateway's database
 * (openstack-mapping.md §15). Writes run in one transaction: all tags of a call or none.
 */
#include "actions/tags_actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/filters.h"
#include "data/idmap.h"
#include "data/paging.h"
#include "data/tags.h"

#define TAGS_PER_RESOURCE_MAX 50
#define DESCRIBE_TAGS_MIN     5 /* ec2api-tempest-plugin expects InvalidParameterValue below 5 */
#define DESCRIBE_TAGS_MAX     1000

/* NotFound code and noun per taggable kind; images are not checked (as on AWS). */
static const struct {
    const char *kind;
    const char *code;
    const char *noun;
} not_found[] = {
    { "i", "InvalidInstanceID.NotFound", "instance ID" },
    { "vol", "InvalidVolume.NotFound", "volume" },
    { "snap", "InvalidSnapshot.NotFound", "snapshot" },
    { "sg", "InvalidGroup.NotFound", "security group" },
    { "vpc", "InvalidVpcID.NotFound", "vpc ID" },
    { "subnet", "InvalidSubnetID.NotFound", "subnet ID" },
    { "eni", "InvalidNetworkInterfaceID.NotFound", "network interface ID" },
    { "rtb", "InvalidRouteTableID.NotFound", "routeTable ID" },
    { "igw", "InvalidInternetGatewayID.NotFound", "internetGateway ID" },
    { "dopt", "InvalidDhcpOptionsID.NotFound", "dhcp options ID" },
    { "cgw", "InvalidCustomerGatewayID.NotFound", "customer gateway ID" },
    { "vgw", "InvalidVpnGatewayID.NotFound", "vpn gateway ID" },
    { "vpn", "InvalidVpnConnectionID.NotFound", "vpn connection ID" },
    { "key", "InvalidKeyPair.NotFound", "key pair ID" },
    { "eipalloc", "InvalidAllocationID.NotFound", "allocation ID" },
    { "lt", "InvalidLaunchTemplateId.NotFound", "launch template ID" },
};

static int
db_fault(ec2gw_fault_t *fault, const ec2gw_err_t *err)
{
    return ec2gw_fault_set(fault, "InternalError", "%s", err->msg);
}

/* Resources must be a non-empty list of strings. */
static int
check_resources(const json_t *res, ec2gw_fault_t *fault)
{
    size_t i;
    const json_t *r;

    if (json_array_size(res) == 0)
        return ec2gw_fault_set(fault, "MissingParameter",
                               "The request must contain the parameter resourceIdSet");
    json_array_foreach(res, i, r)
    {
        if (!ec2gw_id_parse(json_string_value(r), NULL))
            return ec2gw_fault_set(fault, "InvalidID", "Invalid id: \"%s\"",
                                   json_is_string(r) ? json_string_value(r) : "");
    }
    return 0;
}

/* A resource CreateTags may tag: taggable kind and, except images, a row of the project. */
static int
check_taggable(ec2gw_db_t *db, const char *project_id, const char *id, ec2gw_fault_t *fault)
{
    ec2gw_err_t err = { 0 };
    char kind[16];
    int rc;

    if (!ec2gw_id_parse(id, kind) || ec2gw_tags_resource_type(id) == NULL)
        return ec2gw_fault_set(fault, "InvalidID", "Invalid id: \"%s\"", id);
    if (strcmp(kind, "ami") == 0 || strcmp(kind, "aki") == 0 || strcmp(kind, "ari") == 0)
        return 0;
    rc = ec2gw_item_get(db, project_id, id, NULL, NULL, &err);
    if (rc == EC2GW_E_NOTFOUND) {
        for (size_t i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++)
            if (strcmp(not_found[i].kind, kind) == 0)
                return ec2gw_fault_set(fault, not_found[i].code, "The %s '%s' does not exist",
                                       not_found[i].noun, id);
        return ec2gw_fault_set(fault, "InvalidID", "Invalid id: \"%s\"", id);
    }
    return rc == 0 ? 0 : db_fault(fault, &err);
}

static int
create_tags_tx(ec2gw_db_t *db, const char *project_id, const json_t *res, const json_t *tags,
               ec2gw_fault_t *fault)
{
    ec2gw_err_t err = { 0 };
    size_t i;
    const json_t *r;

    json_array_foreach(res, i, r)
    {
        const char *id = json_string_value(r);
        int n;

        if (check_taggable(db, project_id, id, fault) != 0)
            return -1;
        if (ec2gw_tags_set(db, project_id, id, tags, &err) != 0)
            return db_fault(fault, &err);
        if ((n = ec2gw_tags_count(db, project_id, id, &err)) < 0)
            return db_fault(fault, &err);
        if (n > TAGS_PER_RESOURCE_MAX)
            return ec2gw_fault_set(fault, "TagLimitExceeded",
                                   "The maximum number of tags (%d) for resource '%s' has "
                                   "been exceeded",
                                   TAGS_PER_RESOURCE_MAX, id);
    }
    return 0;
}

int
ec2gw_action_create_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                         json_t **model, ec2gw_fault_t *fault)
{
    const json_t *res = json_object_get(params, "Resources");
    const json_t *tags = json_object_get(params, "Tags");
    ec2gw_err_t err = { 0 };

    *model = NULL;
    if (check_resources(res, fault) != 0)
        return -1;
    if (tags == NULL)
        return ec2gw_fault_set(fault, "MissingParameter",
                               "The request must contain the parameter tagSet");
    if (ec2gw_tags_check(tags, &err) != 0)
        return ec2gw_fault_set(fault, "InvalidParameterValue", "%s", err.msg);
    if (ec2gw_db_begin(db, &err) != 0)
        return db_fault(fault, &err);
    if (create_tags_tx(db, project_id, res, tags, fault) != 0) {
        ec2gw_db_rollback(db);
        return -1;
    }
    return ec2gw_db_commit(db, &err) == 0 ? 0 : db_fault(fault, &err);
}

int
ec2gw_action_delete_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                         json_t **model, ec2gw_fault_t *fault)
{
    const json_t *res = json_object_get(params, "Resources");
    const json_t *tags = json_object_get(params, "Tags");
    ec2gw_err_t err = { 0 };
    size_t i;
    const json_t *r;

    /* ec2-api does not check that the resources exist; DeleteTags is always true. */
    *model = NULL;
    if (check_resources(res, fault) != 0)
        return -1;
    if (tags != NULL && !json_is_array(tags))
        return ec2gw_fault_set(fault, "InvalidParameterValue", "Tags must be a list");
    if (ec2gw_db_begin(db, &err) != 0)
        return db_fault(fault, &err);
    json_array_foreach(res, i, r)
    {
        if (ec2gw_tags_delete(db, project_id, json_string_value(r), tags, &err) != 0) {
            ec2gw_db_rollback(db);
            return db_fault(fault, &err);
        }
    }
    return ec2gw_db_commit(db, &err) == 0 ? 0 : db_fault(fault, &err);
}

/*
 * DescribeTags filter values of one {ResourceId, ResourceType, Key, Value} entry. AWS also
 * documents tag:<key> here: the entries with that key whose value matches.
 */
static int
describe_tags_values(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    const char *key = json_string_value(json_object_get(item, "Key"));
    const char *member;

    (void)arg;
    if (strcmp(name, "key") == 0 || strcmp(name, "tag-key") == 0)
        member = "Key";
    else if (strcmp(name, "value") == 0 || strcmp(name, "tag-value") == 0)
        member = "Value";
    else if (strcmp(name, "resource-id") == 0)
        member = "ResourceId";
    else if (strcmp(name, "resource-type") == 0)
        member = "ResourceType";
    else if (strncmp(name, "tag:", 4) == 0)
        member = key != NULL && strcmp(key, name + 4) == 0 ? "Value" : NULL;
    else
        return EC2GW_E_NOTFOUND;
    if (member != NULL && json_is_string(json_object_get(item, member)))
        return json_array_append(values_out, json_object_get(item, member)) == 0 ? 0
                                                                                 : EC2GW_E_NOMEM;
    return 0;
}

/*
 * Pages are ordered by (ResourceId, Key): a hidden member "\x01k" holds "<id> <key>"; the
 * space sorts below every character of an id, so string order equals pair order.
 */
#define SORT_MEMBER "\x01k"

static int
add_sort_keys(json_t *items)
{
    size_t i;
    json_t *t;
    char buf[1024];

    json_array_foreach(items, i, t)
    {
        snprintf(buf, sizeof(buf), "%s %s", json_string_value(json_object_get(t, "ResourceId")),
                 json_string_value(json_object_get(t, "Key")));
        if (json_object_set_new(t, SORT_MEMBER, json_string(buf)) != 0)
            return -1;
    }
    return 0;
}

/* The query a token belongs to: action, project and filters. Returns new (free()). */
static char *
describe_tags_scope(const char *project_id, const json_t *filters)
{
    char *f = filters != NULL ? json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *scope = NULL;

    if (asprintf(&scope, "DescribeTags\n%s\n%s", project_id, f != NULL ? f : "") < 0)
        scope = NULL;
    free(f);
    return scope;
}

static int
describe_tags_page(const json_t *params, const char *project_id, json_t *items, json_t **model,
                   ec2gw_fault_t *fault)
{
    const json_t *jmax = json_object_get(params, "MaxResults");
    const char *token = json_string_value(json_object_get(params, "NextToken"));
    char *scope = describe_tags_scope(project_id, json_object_get(params, "Filters"));
    char *next = NULL;
    json_t *page = NULL;
    size_t i;
    json_t *t;

    if (jmax != NULL && !json_is_integer(jmax)) {
        free(scope);
        return ec2gw_fault_set(fault, "InvalidParameterValue", "MaxResults must be an integer");
    }
    if (scope == NULL || add_sort_keys(items) != 0) {
        free(scope);
        return ec2gw_fault_set(fault, "InternalError", "out of memory");
    }
    page = ec2gw_page_apply(items, SORT_MEMBER, jmax != NULL ? json_integer_value(jmax) : -1, token,
                            scope, DESCRIBE_TAGS_MIN, DESCRIBE_TAGS_MAX, &next, fault);
    free(scope);
    if (page == NULL)
        return -1;
    json_array_foreach(page, i, t)(void)
        json_object_del(t, SORT_MEMBER); /* present on every item */
    *model = json_pack("{s:o}", "Tags", page);
    if (*model != NULL && next != NULL)
        json_object_set_new(*model, "NextToken", json_string(next));
    free(next);
    return *model != NULL ? 0 : ec2gw_fault_set(fault, "InternalError", "out of memory");
}

int
ec2gw_action_describe_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                           json_t **model, ec2gw_fault_t *fault)
{
    ec2gw_err_t err = { 0 };
    json_t *all = NULL, *kept;
    int rc;

    *model = NULL;
    if (ec2gw_tags_list(db, project_id, &all, &err) != 0)
        return db_fault(fault, &err);
    /* id_key NULL: tag-key and tag-value are this entry's own Key and Value. */
    kept = ec2gw_filter_apply(json_object_get(params, "Filters"), all, NULL, NULL,
                              describe_tags_values, NULL, fault);
    json_decref(all);
    if (kept == NULL)
        return -1;
    rc = describe_tags_page(params, project_id, kept, model, fault);
    json_decref(kept);
    return rc;
}
