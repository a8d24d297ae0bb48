/*
 * tags_read.c - reading tags: per id (Describe* attaching tagSet) and the whole project
 * (DescribeTags). Both are single statements over the (project_id, item_id, key) primary key.
 */
#include <stdlib.h>

#include "data/db_priv.h"
#include "data/tags.h"

static const char *
col_text(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    return s != NULL ? s : ""; /* ec2-api's value column is nullable */
}

/* Append {"Key","Value"} of the current row (columns 1, 2) to the array of @p id in @p out. */
static int
tags_add_row(json_t *out, sqlite3_stmt *st)
{
    const char *id = col_text(st, 0);
    json_t *list = json_object_get(out, id);
    json_t *tag;

    if (list == NULL) {
        list = json_array();
        if (json_object_set_new(out, id, list) != 0)
            return EC2GW_E_NOMEM;
    }
    tag = json_pack("{s:s, s:s}", "Key", col_text(st, 1), "Value", col_text(st, 2));
    return json_array_append_new(list, tag) == 0 ? 0 : EC2GW_E_NOMEM;
}

int
ec2gw_tags_get(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n,
               json_t **out, ec2gw_err_t *err)
{
    json_t *res = json_object(), *idv = json_array();
    sqlite3_stmt *st = NULL;
    char *idtext = NULL;
    int rc = 0, step;

    *out = NULL;
    for (size_t i = 0; res != NULL && idv != NULL && i < n; i++)
        if (json_array_append_new(idv, json_string(ids[i])) != 0)
            break;
    if (res == NULL || json_array_size(idv) != n || (idtext = json_dumps(idv, 0)) == NULL) {
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        goto done;
    }
    if (n == 0)
        goto done;
    if ((st = ec2gw_db_stmt(db, DB_TAG_GET_MANY, err)) == NULL) {
        rc = EC2GW_E_DB;
        goto done;
    }
    ec2gw_db_bind_text(st, 1, project_id);
    ec2gw_db_bind_text(st, 2, idtext);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = tags_add_row(res, st)) != 0)
            break;
    if (rc == 0 && step != SQLITE_DONE)
        rc = ec2gw_db_fail(db, "tags get", err);
    else if (rc != 0)
        ec2gw_err_set(err, rc, "db: out of memory");

done:
    ec2gw_db_stmt_done(st);
    free(idtext);
    json_decref(idv);
    if (rc == 0)
        *out = res;
    else
        json_decref(res);
    return rc;
}

int
ec2gw_tags_list(ec2gw_db_t *db, const char *project_id, json_t **out, ec2gw_err_t *err)
{
    json_t *res = json_array();
    sqlite3_stmt *st;
    int step, rc = 0;

    *out = NULL;
    if (res == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if ((st = ec2gw_db_stmt(db, DB_TAG_LIST, err)) == NULL) {
        json_decref(res);
        return EC2GW_E_DB;
    }
    ec2gw_db_bind_text(st, 1, project_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = col_text(st, 0);
        const char *type = ec2gw_tags_resource_type(id);
        json_t *t = json_pack("{s:s, s:s, s:s}", "ResourceId", id, "Key", col_text(st, 1), "Value",
                              col_text(st, 2));

        /* Rows of kinds no longer taggable keep no resourceType rather than a wrong one. */
        if (t == NULL ||
            (type != NULL && json_object_set_new(t, "ResourceType", json_string(type)) != 0) ||
            json_array_append_new(res, t) != 0) {
            rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = ec2gw_db_fail(db, "tags list", err);
    ec2gw_db_stmt_done(st);
    if (rc != 0)
        json_decref(res);
    else
        *out = res;
    return rc;
}
