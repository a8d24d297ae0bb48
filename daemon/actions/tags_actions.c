/*
 * tags_actions.c - CreateTags, DeleteTags, DescribeTags, answered from the gateway's database
 * (openstack-mapping.md §15). Writes run in one transaction: all tags of a call or none.
 */
#include "actions/tags_actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/json_arena.h"
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

/* Filter names (for ec2gw_filter_apply's checks and messages); values are matched in SQL. */
static int
describe_tags_name(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    (void)item;
    (void)values_out;
    (void)arg;
    return ec2gw_tags_filter_known(name) ? 0 : EC2GW_E_NOTFOUND;
}

/* The checks and faults ec2gw_filter_apply makes (names, values), on no items. */
static int
describe_tags_check_filters(const json_t *filters, ec2gw_fault_t *fault)
{
    json_t *none = json_array(), *kept;

    if (none == NULL)
        return ec2gw_fault_set(fault, "InternalError", "out of memory");
    kept = ec2gw_filter_apply(filters, none, NULL, NULL, describe_tags_name, NULL, fault);
    json_decref(none);
    if (kept == NULL)
        return -1;
    json_decref(kept);
    return 0;
}

/*
 * Pages are ordered by (ResourceId, Key): a hidden member "\x01k" holds "<id> <key>"; the
 * space sorts below every character of an id, so string order equals pair order (the SQL
 * order of tags_query.c).
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
    char *f = filters != NULL ? ec2gw_json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *scope = NULL;

    if (asprintf(&scope, "DescribeTags\n%s\n%s", project_id, f != NULL ? f : "") < 0)
        scope = NULL;
    free(f);
    return scope;
}

/*
 * ec2gw_page_apply over @p rows (all after the token already): checks MaxResults and
 * NextToken, keeps @p max rows and makes the next token. Returns new, or NULL with @p fault.
 */
static json_t *
describe_tags_paginate(const json_t *filters, const char *project_id, json_t *rows, long long max,
                       const char *token, char **next, ec2gw_fault_t *fault)
{
    char *scope = describe_tags_scope(project_id, filters);
    json_t *page = NULL;
    size_t i;
    json_t *t;

    *next = NULL;
    if (scope == NULL || add_sort_keys(rows) != 0)
        ec2gw_fault_set(fault, "InternalError", "out of memory");
    else
        page = ec2gw_page_apply(rows, SORT_MEMBER, max, token, scope, DESCRIBE_TAGS_MIN,
                                DESCRIBE_TAGS_MAX, next, fault);
    free(scope);
    json_array_foreach(page, i, t)(void) json_object_del(t, SORT_MEMBER); /* on every item */
    return page;
}

/*
 * The "<ResourceId> <Key>" a NextToken resumes after, for the SQL keyset. paging.c has no
 * accessor: its token is base64url of 0x01 | 12 hash bytes | key, and ec2gw_page_apply has
 * accepted this one. Returns new (free()), or NULL when out of memory.
 */
static char *
token_last_key(const char *token)
{
    size_t n = strlen(token), pad = (4 - n % 4) % 4;
    unsigned char *b64 = malloc(n + pad + 1), *bin = malloc(n + 4);
    char *key = NULL;
    int len = -1;

    if (b64 != NULL && bin != NULL) {
        for (size_t i = 0; i < n; i++)
            b64[i] = token[i] == '-' ? '+' : token[i] == '_' ? '/' : (unsigned char)token[i];
        memset(b64 + n, '=', pad);
        b64[n + pad] = '\0';
        len = EVP_DecodeBlock(bin, b64, (int)(n + pad)) - (int)pad;
    }
    if (len >= 13 && (key = malloc((size_t)len - 13 + 1)) != NULL) {
        memcpy(key, bin + 13, (size_t)len - 13);
        key[len - 13] = '\0';
    }
    free(b64);
    free(bin);
    return key;
}

/* The rows of the page: after the token's key, one more than MaxResults (is there more?). */
static int
describe_tags_rows(ec2gw_db_t *db, const char *project_id, const json_t *filters, long long max,
                   const char *token, json_t **rows, ec2gw_fault_t *fault)
{
    ec2gw_tags_query_t q = { .filters = filters, .limit = max >= 0 ? max + 1 : -1 };
    ec2gw_err_t err = { 0 };
    char *last = NULL, *sp;
    int rc;

    if (token != NULL && *token != '\0') {
        if ((last = token_last_key(token)) == NULL)
            return ec2gw_fault_set(fault, "InternalError", "out of memory");
        /* ids hold no space; a key may */
        q.after_id = last;
        if ((sp = strchr(last, ' ')) != NULL) {
            *sp = '\0';
            q.after_key = sp + 1;
        }
    }
    rc = ec2gw_tags_find(db, project_id, &q, rows, &err);
    free(last);
    if (rc == EC2GW_E_INVAL)
        return ec2gw_fault_set(fault, "InvalidParameterValue", "%s", err.msg);
    return rc == 0 ? 0 : db_fault(fault, &err);
}

/* MaxResults and NextToken faults before the query: ec2gw_page_apply on no rows. */
static int
describe_tags_check_paging(const json_t *filters, const char *project_id, long long max,
                           const char *token, ec2gw_fault_t *fault)
{
    json_t *none = json_array(), *page;
    char *next = NULL;

    if (none == NULL)
        return ec2gw_fault_set(fault, "InternalError", "out of memory");
    page = describe_tags_paginate(filters, project_id, none, max, token, &next, fault);
    json_decref(none);
    free(next);
    if (page == NULL)
        return -1;
    json_decref(page);
    return 0;
}

int
ec2gw_action_describe_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                           json_t **model, ec2gw_fault_t *fault)
{
    const json_t *filters = json_object_get(params, "Filters");
    const json_t *jmax = json_object_get(params, "MaxResults");
    const char *token = json_string_value(json_object_get(params, "NextToken"));
    json_t *rows = NULL, *page;
    char *next = NULL;
    long long max;

    *model = NULL;
    if (describe_tags_check_filters(filters, fault) != 0)
        return -1;
    if (ec2gw_page_max_results(jmax, DESCRIBE_TAGS_MIN, DESCRIBE_TAGS_MAX, &max, fault) != 0 ||
        describe_tags_check_paging(filters, project_id, max, token, fault) != 0 ||
        describe_tags_rows(db, project_id, filters, max, token, &rows, fault) != 0)
        return -1;
    /* without MaxResults the rows are the answer: in order, after the token */
    page = max >= 0 ? describe_tags_paginate(filters, project_id, rows, max, token, &next, fault)
                    : json_incref(rows);
    json_decref(rows);
    if (page == NULL)
        return -1;
    *model = json_pack("{s:o}", "Tags", page);
    if (*model != NULL && next != NULL)
        json_object_set_new(*model, "NextToken", json_string(next));
    free(next);
    return *model != NULL ? 0 : ec2gw_fault_set(fault, "InternalError", "out of memory");
}
