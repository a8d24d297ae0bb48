/*
 * items_list.c - the ABI 1.2 item reads and writes of the VPC family: every row of one kind of
 * a project in one statement, a create-only insert (the once-only guard several daemons on one
 * database may race for) and unused ids for objects without an OpenStack id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "data/db_priv.h"
#include "data/idmap.h"

/* More than a handful of collisions in a row means a full id space or a broken RNG. */
#define NEW_ID_ATTEMPTS 16

/* Add the row of @p st (id, vpc_id, data, os_id) to @p res when its id is of @p kind; rows
 * with unreadable data are left out, as item_get fails for them. 0 or EC2GW_E_NOMEM. */
static int
items_list_row(json_t *res, db_stmt_t *st, const char *kind)
{
    const char *id = ec2gw_db_col_text(st, 0);
    const char *vpc_id = ec2gw_db_col_text(st, 1);
    const char *text = ec2gw_db_col_text(st, 2);
    const char *os_id = ec2gw_db_col_text(st, 3);
    char got[16];
    json_t *d;

    /* the range also holds ids of longer kinds ("eni-attach-..." after "eni-") */
    if (id == NULL || !ec2gw_id_parse(id, got) || strcmp(got, kind) != 0)
        return 0;
    d = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : json_object();
    if (d == NULL || !json_is_object(d)) {
        json_decref(d);
        return 0;
    }
    if ((vpc_id != NULL && json_object_set_new(d, "vpc_id", json_string(vpc_id)) != 0) ||
        (os_id != NULL && json_object_set_new(d, "os_id", json_string(os_id)) != 0) ||
        json_object_set_new(res, id, d) != 0)
        return EC2GW_E_NOMEM;
    return 0;
}

int
ec2gw_items_list(ec2gw_db_t *db, const char *project_id, const char *kind, json_t **out,
                 ec2gw_err_t *err)
{
    json_t *res = json_object();
    db_stmt_t *st;
    int step = DB_DONE, rc = 0;

    *out = NULL;
    if (res == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if (!ec2gw_id_kind_valid(kind)) {
        json_decref(res);
        return ec2gw_err_set(err, EC2GW_E_INVAL, "db: unknown id kind \"%s\"",
                             kind != NULL ? kind : "");
    }
    if (project_id == NULL) {
        *out = res; /* no project: no row can match */
        return 0;
    }
    if ((st = ec2gw_db_stmt(db, DB_ITEM_LIST_KIND, err)) == NULL) {
        json_decref(res);
        return EC2GW_E_DB;
    }
    ec2gw_db_bind_text(st, 1, project_id);
    ec2gw_db_bind_text(st, 2, kind);
    while (rc == 0 && (step = ec2gw_db_step(st)) == DB_ROW)
        if ((rc = items_list_row(res, st, kind)) != 0)
            ec2gw_err_set(err, rc, "db: out of memory");
    if (rc == 0 && step != DB_DONE)
        rc = ec2gw_db_fail(db, "items list", err);
    ec2gw_db_stmt_done(st);
    if (rc != 0)
        json_decref(res);
    else
        *out = res;
    return rc;
}

int
ec2gw_item_insert(ec2gw_db_t *db, const char *project_id, const char *ec2_id, const char *os_id,
                  const json_t *data, ec2gw_err_t *err)
{
    db_stmt_t *st;
    json_t *copy = NULL;
    const char *vpc_id = NULL;
    char *text;
    int rc, ret = 0;

    if (!ec2gw_id_parse(ec2_id, NULL) || project_id == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "Invalid id: \"%s\"",
                             ec2_id != NULL ? ec2_id : "");
    if (data != NULL && json_is_object(data)) {
        /* ec2-api's packing, as item_put: vpc_id is a column, id/os_id never in data */
        vpc_id = json_string_value(json_object_get(data, "vpc_id"));
        if ((copy = json_copy((json_t *)(uintptr_t)data)) == NULL)
            return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        (void)json_object_del(copy, "id");
        (void)json_object_del(copy, "os_id");
        (void)json_object_del(copy, "vpc_id");
    }
    text = copy != NULL ? ec2gw_json_dumps(copy, JSON_COMPACT) : strdup("{}");
    if (text == NULL) {
        json_decref(copy);
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    }
    if ((st = ec2gw_db_stmt(db, DB_ITEM_INSERT, err)) == NULL) {
        ret = EC2GW_E_DB;
        goto done;
    }
    ec2gw_db_bind_text(st, 1, ec2_id);
    ec2gw_db_bind_text(st, 2, project_id);
    ec2gw_db_bind_text(st, 3, vpc_id);
    ec2gw_db_bind_text(st, 4, os_id);
    ec2gw_db_bind_text(st, 5, text);
    rc = ec2gw_db_step(st);
    if (rc == DB_DUP_PRIMARY)
        ret = ec2gw_err_set(err, EC2GW_E_EXISTS, "db: %s already exists", ec2_id);
    else if (rc == DB_DUP_UNIQUE)
        ret = ec2gw_err_set(err, EC2GW_E_EXISTS, "db: %s is already mapped to another id", os_id);
    else if (rc != DB_DONE)
        ret = ec2gw_db_fail(db, "item insert", err);
    ec2gw_db_stmt_done(st);

done:
    free(text);
    json_decref(copy);
    return ret;
}

/* 1 when any project has a row with @p id, 0 when none, or EC2GW_E_DB. */
static int
id_used(ec2gw_db_t *db, const char *id, ec2gw_err_t *err)
{
    db_stmt_t *st = ec2gw_db_stmt(db, DB_ITEM_ID_USED, err);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, id);
    rc = ec2gw_db_step(st);
    if (rc != DB_ROW && rc != DB_DONE)
        ec2gw_db_fail(db, "id used", err);
    ec2gw_db_stmt_done(st);
    return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : EC2GW_E_DB;
}

int
ec2gw_id_new_unused(ec2gw_db_t *db, const char *kind, char out[EC2GW_ID_MAX], ec2gw_err_t *err)
{
    int rc;

    out[0] = '\0';
    if (!ec2gw_id_kind_valid(kind))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "db: unknown id kind \"%s\"",
                             kind != NULL ? kind : "");
    for (int attempt = 0; attempt < NEW_ID_ATTEMPTS; attempt++) {
        ec2gw_id_new(kind, out);
        if (out[0] == '\0')
            return ec2gw_err_set(err, EC2GW_E_FAIL, "idmap: no random source for new ids");
        if ((rc = id_used(db, out, err)) <= 0) {
            if (rc < 0)
                out[0] = '\0';
            return rc;
        }
    }
    out[0] = '\0';
    return ec2gw_err_set(err, EC2GW_E_DB, "idmap: no free %s id after %d attempts", kind,
                         NEW_ID_ATTEMPTS);
}
