/*
 * tags_query.c - DescribeTags as one SQL statement (tags_sql.c writes it), so a request reads
 * the index entries it returns instead of every tag of the project (issue 6: 18 req/s with
 * 10 000 tags). The answers are those of ec2gw_filter_apply over every tag of the project;
 * tests/unit/data/test_tags_query_ref.c compares both on random tags and filters.
 *
 * Statements are prepared per call (tens of microseconds): their text depends on the filters,
 * and db.c's cache holds fixed statements only.
 */
#include <stdlib.h>

#include "data/db_priv.h"
#include "data/tags.h"
#include "data/tags_sql.h"

static const char *
col_text(db_stmt_t *st, int col)
{
    const char *s = ec2gw_db_col_text(st, col);

    return s != NULL ? s : ""; /* ec2-api's columns are nullable */
}

/* Append the current row (item_id, key, value) as a DescribeTags entry. */
static int
tag_row(json_t *res, db_stmt_t *st)
{
    const char *id = col_text(st, 0);
    const char *type = ec2gw_tags_resource_type(id);
    json_t *t = json_object();

    /* By hand rather than with json_pack: this runs once per tag listed. Rows of kinds no
     * longer taggable keep no resourceType rather than a wrong one. */
    if (t == NULL || json_object_set_new_nocheck(t, "ResourceId", json_string(id)) != 0 ||
        json_object_set_new_nocheck(t, "Key", json_string(col_text(st, 1))) != 0 ||
        json_object_set_new_nocheck(t, "Value", json_string(col_text(st, 2))) != 0 ||
        (type != NULL && json_object_set_new_nocheck(t, "ResourceType", json_string(type)) != 0)) {
        json_decref(t);
        return EC2GW_E_NOMEM;
    }
    return json_array_append_new(res, t) == 0 ? 0 : EC2GW_E_NOMEM;
}

static int
tags_run(ec2gw_db_t *db, const char *project_id, const ec2gw_tags_sql_t *q, json_t *res,
         ec2gw_err_t *err)
{
    db_stmt_t *st = NULL;
    int rc = 0, step;

    if ((st = ec2gw_db_prepare(db, q->sql, err)) == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, project_id);
    for (int i = 0; i < q->nbind; i++)
        ec2gw_db_bind_text(st, i + 2, q->bind[i]);
    while ((step = ec2gw_db_step(st)) == DB_ROW)
        if ((rc = tag_row(res, st)) != 0)
            break;
    if (rc != 0)
        ec2gw_err_set(err, rc, "db: out of memory");
    else if (step != DB_DONE)
        rc = ec2gw_db_fail(db, "tags query", err);
    ec2gw_db_stmt_free(st);
    return rc;
}

int
ec2gw_tags_find(ec2gw_db_t *db, const char *project_id, const ec2gw_tags_query_t *q, json_t **out,
                ec2gw_err_t *err)
{
    ec2gw_tags_sql_t sql = { 0 };
    json_t *res;
    int rc;

    *out = NULL;
    if ((rc = ec2gw_tags_sql_build_for(q, ec2gw_db_dialect(db) == DB_MYSQL, &sql, err)) != 0)
        return rc;
    if ((res = json_array()) == NULL)
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    else
        rc = tags_run(db, project_id, &sql, res, err);
    ec2gw_tags_sql_free(&sql);
    if (rc != 0)
        json_decref(res);
    else
        *out = res;
    return rc;
}

int
ec2gw_tags_list(ec2gw_db_t *db, const char *project_id, json_t **out, ec2gw_err_t *err)
{
    const ec2gw_tags_query_t all = { .limit = -1 };

    return ec2gw_tags_find(db, project_id, &all, out, err);
}
