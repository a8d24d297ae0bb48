/*
 * tags_read.c - reading the tags of given ids (Describe* attaching tagSet): single statements
 * over the (project_id, item_id, key) primary key. DescribeTags is tags_query.c.
 */
#include <stdlib.h>

#include "core/json_arena.h"
#include "data/db_priv.h"
#include "data/tags.h"

static const char *
col_text(db_stmt_t *st, int col)
{
    const char *s = ec2gw_db_col_text(st, col);

    return s != NULL ? s : ""; /* ec2-api's value column is nullable */
}

/* Append {"Key","Value"} of the current row (columns 1, 2) to the array of @p id in @p out. */
static int
tags_add_row(json_t *out, db_stmt_t *st)
{
    const char *id = col_text(st, 0);
    json_t *list = json_object_get(out, id);
    json_t *tag;

    if (list == NULL) {
        list = json_array();
        if (json_object_set_new(out, id, list) != 0)
            return EC2GW_E_NOMEM;
    }
    /* Built by hand rather than with json_pack: this runs once per tag of every Describe. */
    tag = json_object();
    if (tag == NULL || json_object_set_new_nocheck(tag, "Key", json_string(col_text(st, 1))) ||
        json_object_set_new_nocheck(tag, "Value", json_string(col_text(st, 2)))) {
        json_decref(tag);
        return EC2GW_E_NOMEM;
    }
    return json_array_append_new(list, tag) == 0 ? 0 : EC2GW_E_NOMEM;
}

/* Step @p st (rows: item_id, key, value) to the end, adding each row to @p res; resets it. */
static int
tags_collect(ec2gw_db_t *db, db_stmt_t *st, json_t *res, ec2gw_err_t *err)
{
    int rc = 0, step;

    while ((step = ec2gw_db_step(st)) == DB_ROW)
        if ((rc = tags_add_row(res, st)) != 0)
            break;
    if (rc != 0)
        ec2gw_err_set(err, rc, "db: out of memory");
    else if (step != DB_DONE)
        rc = ec2gw_db_fail(db, "tags get", err);
    ec2gw_db_stmt_done(st);
    return rc;
}

/* A few ids (a Describe of named resources): one primary-key probe each. */
static int
tags_get_each(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n, json_t *res,
              ec2gw_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        db_stmt_t *st;
        int rc;

        if (ids[i] == NULL)
            continue;
        if ((st = ec2gw_db_stmt(db, DB_TAG_GET_ITEM, err)) == NULL)
            return EC2GW_E_DB;
        ec2gw_db_bind_text(st, 1, project_id);
        ec2gw_db_bind_text(st, 2, ids[i]);
        if ((rc = tags_collect(db, st, res, err)) != 0)
            return rc;
    }
    return 0;
}

/* Many ids: one statement, the ids as a list (SQLite probes the key per id). */
static int
tags_get_many(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n, json_t *res,
              ec2gw_err_t *err)
{
    db_stmt_t *st;

    if ((st = ec2gw_db_stmt(db, DB_TAG_GET_MANY, err)) == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, project_id);
    if (ec2gw_db_bind_list(st, 2, ids, n) != 0) {
        ec2gw_db_stmt_done(st);
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    }
    return tags_collect(db, st, res, err);
}

int
ec2gw_tags_get(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n,
               json_t **out, ec2gw_err_t *err)
{
    json_t *res = json_object();
    int rc;

    *out = NULL;
    if (res == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    /* One id costs ~3 us by key probe against ~8 us through json_each (array, dump, parse,
     * sorter); for long lists the single statement avoids a step loop per id. */
    if (n <= 8)
        rc = tags_get_each(db, project_id, ids, n, res, err);
    else
        rc = tags_get_many(db, project_id, ids, n, res, err);
    if (rc != 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}
