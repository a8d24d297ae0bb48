/*
 * tags.c - EC2 tags in ec2-api's `tags` table (openstack-mapping.md §15), always scoped by
 * the caller's project: a tag on another project's image is private to the tagging project.
 */
#include "data/tags.h"

#include <string.h>

#include "data/db_priv.h"
#include "data/idmap.h"

static const struct {
    const char *kind;
    const char *type;
} resource_types[] = {
    /* ec2-api's taggable kinds */
    { "aki", "image" },
    { "ami", "image" },
    { "ari", "image" },
    { "cgw", "customer-gateway" },
    { "dopt", "dhcp-options" },
    { "eni", "network-interface" },
    { "i", "instance" },
    { "igw", "internet-gateway" },
    { "rtb", "route-table" },
    { "sg", "security-group" },
    { "snap", "snapshot" },
    { "subnet", "subnet" },
    { "vgw", "vpn-gateway" },
    { "vol", "volume" },
    { "vpc", "vpc" },
    { "vpn", "vpn-connection" },
    /* added by ec2gw, with AWS's resourceType names */
    { "eipalloc", "elastic-ip" },
    { "key", "key-pair" },
    { "lt", "launch-template" },
    { "sgr", "security-group-rule" },
};

const char *
ec2gw_tags_resource_type(const char *ec2_id)
{
    char kind[16];

    if (!ec2gw_id_parse(ec2_id, kind))
        return NULL;
    for (size_t i = 0; i < sizeof(resource_types) / sizeof(resource_types[0]); i++)
        if (strcmp(resource_types[i].kind, kind) == 0)
            return resource_types[i].type;
    return NULL;
}

const char *
ec2gw_tags_kind(size_t i)
{
    return i < sizeof(resource_types) / sizeof(resource_types[0]) ? resource_types[i].kind : NULL;
}

/* Characters (code points) of a UTF-8 string: AWS limits count characters, not bytes. */
static size_t
utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int
ec2gw_tags_check(const json_t *tags, ec2gw_err_t *err)
{
    size_t i;
    const json_t *t;

    if (!json_is_array(tags))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "Tags must be a list");
    json_array_foreach(tags, i, t)
    {
        const char *key = json_string_value(json_object_get(t, "Key"));
        const json_t *value = json_object_get(t, "Value");

        if (key == NULL || *key == '\0')
            return ec2gw_err_set(err, EC2GW_E_INVAL, "Tag keys must not be empty");
        if (utf8_chars(key) > 127)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "Tag key exceeds the maximum length of 127 characters");
        if (strncmp(key, "aws:", 4) == 0)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "Tag keys starting with 'aws:' are reserved for internal use");
        if (value != NULL && !json_is_null(value) && !json_is_string(value))
            return ec2gw_err_set(err, EC2GW_E_INVAL, "Tag value for key '%s' is invalid", key);
        if (json_is_string(value) && utf8_chars(json_string_value(value)) > 255)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "Tag value exceeds the maximum length of 255 characters");
    }
    return 0;
}

int
ec2gw_tags_set(ec2gw_db_t *db, const char *project_id, const char *item_id, const json_t *tags,
               ec2gw_err_t *err)
{
    size_t i;
    const json_t *t;
    int rc;

    if ((rc = ec2gw_tags_check(tags, err)) != 0)
        return rc;
    if ((rc = ec2gw_db_begin(db, err)) != 0)
        return rc;
    json_array_foreach(tags, i, t)
    {
        const char *value = json_string_value(json_object_get(t, "Value"));
        db_stmt_t *st = ec2gw_db_stmt(db, DB_TAG_UPSERT, err);

        if (st == NULL) {
            rc = EC2GW_E_DB;
            break;
        }
        ec2gw_db_bind_text(st, 1, project_id);
        ec2gw_db_bind_text(st, 2, item_id);
        ec2gw_db_bind_text(st, 3, json_string_value(json_object_get(t, "Key")));
        ec2gw_db_bind_text(st, 4, value != NULL ? value : ""); /* AWS: missing value = "" */
        if ((rc = ec2gw_db_stmt_run(db, st, err)) != 0)
            break;
    }
    if (rc != 0) {
        ec2gw_db_rollback(db);
        return rc;
    }
    return ec2gw_db_commit(db, err);
}

/* Delete the tags one {"Key"?, "Value"?} entry selects; an entry with neither is ignored. */
static int
tags_delete_one(ec2gw_db_t *db, const char *project_id, const char *item_id, const json_t *t,
                ec2gw_err_t *err)
{
    const char *key = json_string_value(json_object_get(t, "Key"));
    const json_t *jv = json_object_get(t, "Value");
    const char *value = json_is_null(jv) ? NULL : json_string_value(jv);
    db_stmt_id_t id;
    db_stmt_t *st;

    if (key == NULL && value == NULL)
        return 0;
    id = key == NULL ? DB_TAG_DELETE_VALUE : value == NULL ? DB_TAG_DELETE_KEY : DB_TAG_DELETE_KV;
    if ((st = ec2gw_db_stmt(db, id, err)) == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, project_id);
    ec2gw_db_bind_text(st, 2, item_id);
    ec2gw_db_bind_text(st, 3, key != NULL ? key : value);
    if (key != NULL && value != NULL)
        ec2gw_db_bind_text(st, 4, value);
    return ec2gw_db_stmt_run(db, st, err);
}

int
ec2gw_tags_delete(ec2gw_db_t *db, const char *project_id, const char *item_id, const json_t *tags,
                  ec2gw_err_t *err)
{
    size_t i;
    const json_t *t;
    db_stmt_t *st;
    int rc;

    if (tags == NULL || json_array_size(tags) == 0) {
        if ((st = ec2gw_db_stmt(db, DB_TAG_DELETE_ALL, err)) == NULL)
            return EC2GW_E_DB;
        ec2gw_db_bind_text(st, 1, project_id);
        ec2gw_db_bind_text(st, 2, item_id);
        return ec2gw_db_stmt_run(db, st, err);
    }
    if ((rc = ec2gw_db_begin(db, err)) != 0)
        return rc;
    json_array_foreach(tags, i, t)
    {
        if ((rc = tags_delete_one(db, project_id, item_id, t, err)) != 0) {
            ec2gw_db_rollback(db);
            return rc;
        }
    }
    return ec2gw_db_commit(db, err);
}

int
ec2gw_tags_count(ec2gw_db_t *db, const char *project_id, const char *item_id, ec2gw_err_t *err)
{
    db_stmt_t *st = ec2gw_db_stmt(db, DB_TAG_COUNT, err);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, project_id);
    ec2gw_db_bind_text(st, 2, item_id);
    if (ec2gw_db_step(st) == DB_ROW)
        rc = (int)ec2gw_db_col_int64(st, 0);
    else
        rc = ec2gw_db_fail(db, "count tags", err);
    ec2gw_db_stmt_done(st);
    return rc;
}
