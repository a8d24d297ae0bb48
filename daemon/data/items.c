/*
 * items.c - item rows of a project. As in ec2-api's _pack_item_data/_unpack_item_data, the
 * `vpc_id` attribute lives in its own column and everything else in the `data` JSON; `id` and
 * `os_id` are columns and never stored in `data`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "data/db_priv.h"
#include "data/idmap.h"

/* Columns kept out of the data JSON. */
static const char *const column_keys[] = { "id", "os_id", "vpc_id" };

static int
item_data_load(const char *text, const char *vpc_id, json_t **data, const char *ec2_id,
               ec2gw_err_t *err)
{
    json_t *d = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : json_object();

    /* Rows of the very first ec2-api releases held Python repr() text; those are refused
     * rather than silently replaced by {} (a later put would lose them). */
    if (d == NULL || !json_is_object(d)) {
        json_decref(d);
        return ec2gw_err_set(err, EC2GW_E_DB, "db: item %s: data is not a JSON object", ec2_id);
    }
    if (vpc_id != NULL && json_object_set_new(d, "vpc_id", json_string(vpc_id)) != 0) {
        json_decref(d);
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    }
    *data = d;
    return 0;
}

int
ec2gw_item_get(ec2gw_db_t *db, const char *project_id, const char *ec2_id, json_t **data,
               char **os_id, ec2gw_err_t *err)
{
    db_stmt_t *st;
    const char *v;
    int rc, ret = 0;

    if (data != NULL)
        *data = NULL;
    if (os_id != NULL)
        *os_id = NULL;
    if ((st = ec2gw_db_stmt(db, DB_ITEM_GET, err)) == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, ec2_id);
    ec2gw_db_bind_text(st, 2, project_id);
    rc = ec2gw_db_step(st);
    if (rc == DB_DONE) {
        ret = ec2gw_err_set(err, EC2GW_E_NOTFOUND, "The id '%s' does not exist", ec2_id);
        goto done;
    }
    if (rc != DB_ROW) {
        ret = ec2gw_db_fail(db, "item get", err);
        goto done;
    }
    if (data != NULL) {
        ret = item_data_load(ec2gw_db_col_text(st, 2), ec2gw_db_col_text(st, 1), data, ec2_id, err);
        if (ret != 0)
            goto done;
    }
    v = ec2gw_db_col_text(st, 0);
    if (os_id != NULL && v != NULL && (*os_id = strdup(v)) == NULL) {
        ret = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        if (data != NULL) {
            json_decref(*data);
            *data = NULL;
        }
    }

done:
    ec2gw_db_stmt_done(st);
    return ret;
}

/* Add the row of @p st (id, vpc_id, data) to @p res; a row whose data is unreadable is left
 * out, as ec2gw_item_get fails for it. 0 or EC2GW_E_NOMEM. */
static int
items_add_row(json_t *res, db_stmt_t *st)
{
    const char *id = ec2gw_db_col_text(st, 0);
    json_t *data = NULL;
    int rc;

    if (id == NULL)
        return 0;
    rc = item_data_load(ec2gw_db_col_text(st, 2), ec2gw_db_col_text(st, 1), &data, id, NULL);
    if (rc == EC2GW_E_DB)
        return 0;
    if (rc != 0 || json_object_set_new(res, id, data) != 0)
        return EC2GW_E_NOMEM;
    return 0;
}

int
ec2gw_items_get(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n,
                json_t **out, ec2gw_err_t *err)
{
    json_t *res = json_object();
    db_stmt_t *st = NULL;
    int step = DB_DONE, rc = 0;

    *out = NULL;
    if (res == NULL) {
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        goto done;
    }
    if (n == 0 || ids == NULL || project_id == NULL)
        goto done; /* nothing asked, or no project: no row can match */
    if ((st = ec2gw_db_stmt(db, DB_ITEM_GET_MANY, err)) == NULL) {
        rc = EC2GW_E_DB;
        goto done;
    }
    ec2gw_db_bind_text(st, 1, project_id);
    if (ec2gw_db_bind_list(st, 2, ids, n) != 0) {
        ec2gw_db_stmt_done(st);
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        goto done;
    }
    while (rc == 0 && (step = ec2gw_db_step(st)) == DB_ROW)
        if ((rc = items_add_row(res, st)) != 0)
            ec2gw_err_set(err, rc, "db: out of memory");
    if (rc == 0 && step != DB_DONE)
        rc = ec2gw_db_fail(db, "items get", err);
    ec2gw_db_stmt_done(st);

done:
    if (rc != 0)
        json_decref(res);
    else
        *out = res;
    return rc;
}

/* The data text to store (returns new, free()) and the vpc_id column (borrowed from data). */
static char *
item_data_dump(const json_t *data, const char **vpc_id)
{
    json_t *copy;
    char *text;

    *vpc_id = NULL;
    if (data == NULL || !json_is_object(data))
        return strdup("{}");
    *vpc_id = json_string_value(json_object_get(data, "vpc_id"));
    copy = json_copy((json_t *)(uintptr_t)data); /* shallow: jansson's API is not const */
    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(column_keys) / sizeof(column_keys[0]); i++)
        (void)json_object_del(copy, column_keys[i]); /* absent is fine */
    text = ec2gw_json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return text;
}

int
ec2gw_item_put(ec2gw_db_t *db, const char *project_id, const char *ec2_id, const char *os_id,
               const json_t *data, ec2gw_err_t *err)
{
    db_stmt_t *st;
    const char *vpc_id;
    char *text;
    int rc, ret = 0;

    if (!ec2gw_id_parse(ec2_id, NULL) || project_id == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "Invalid id: \"%s\"",
                             ec2_id != NULL ? ec2_id : "");
    if ((text = item_data_dump(data, &vpc_id)) == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if ((st = ec2gw_db_stmt(db, DB_ITEM_UPSERT, err)) == NULL) {
        free(text);
        return EC2GW_E_DB;
    }
    ec2gw_db_bind_text(st, 1, ec2_id);
    ec2gw_db_bind_text(st, 2, project_id);
    ec2gw_db_bind_text(st, 3, vpc_id);
    ec2gw_db_bind_text(st, 4, os_id);
    ec2gw_db_bind_text(st, 5, text);
    rc = ec2gw_db_step(st);
    if (rc == DB_DUP_UNIQUE)
        ret = ec2gw_err_set(err, EC2GW_E_EXISTS, "db: %s is already mapped to another id", os_id);
    else if (rc != DB_DONE)
        ret = ec2gw_db_fail(db, "item put", err);
    else if (ec2gw_db_changes(db) == 0)
        ret = ec2gw_err_set(err, EC2GW_E_EXISTS,
                            "db: %s belongs to another project or has another os_id", ec2_id);
    ec2gw_db_stmt_done(st);
    free(text);
    return ret;
}

static int
item_delete_stmt(ec2gw_db_t *db, db_stmt_id_t id, const char *project_id, const char *ec2_id,
                 ec2gw_err_t *err)
{
    /* The two statements bind (id, project) and (project, item) respectively. */
    db_stmt_t *st = ec2gw_db_stmt(db, id, err);

    if (st == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, id == DB_ITEM_DELETE ? 1 : 2, ec2_id);
    ec2gw_db_bind_text(st, id == DB_ITEM_DELETE ? 2 : 1, project_id);
    return ec2gw_db_stmt_run(db, st, err);
}

int
ec2gw_item_delete(ec2gw_db_t *db, const char *project_id, const char *ec2_id, ec2gw_err_t *err)
{
    int rc;

    /* Idempotent, like ec2-api's delete_item; tags of the project go even without a row
     * (tags on images of other projects have none in this project). */
    if ((rc = ec2gw_db_begin(db, err)) != 0)
        return rc;
    if ((rc = item_delete_stmt(db, DB_ITEM_DELETE, project_id, ec2_id, err)) != 0 ||
        (rc = item_delete_stmt(db, DB_TAG_DELETE_ALL, project_id, ec2_id, err)) != 0) {
        ec2gw_db_rollback(db);
        return rc;
    }
    return ec2gw_db_commit(db, err);
}
