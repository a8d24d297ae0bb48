/*
 * client_token.c - ClientToken idempotency (ec2-protocol.md §6). A token is claimed (row with
 * result NULL) before any OpenStack object is created, so that a retry after a crash finds it
 * pending instead of creating a second set of objects; the answer is stored when the request
 * completes. Rows are kept at least 24 hours (ec2gw_client_token_expire is run with >= 86400).
 */
#include "data/client_token.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/db_priv.h"

static void
ctok_bind_key(sqlite3_stmt *st, const char *project_id, const char *action, const char *token)
{
    ec2gw_db_bind_text(st, 1, project_id);
    ec2gw_db_bind_text(st, 2, action);
    ec2gw_db_bind_text(st, 3, token);
}

/* Claim the token: 1 when this call inserted the pending row, 0 when a row existed. */
static int
ctok_claim(ec2gw_db_t *db, const char *project_id, const char *action, const char *token,
           const char *params_hash, ec2gw_err_t *err)
{
    sqlite3_stmt *st = ec2gw_db_stmt(db, DB_CTOK_INSERT, err);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    ctok_bind_key(st, project_id, action, token);
    ec2gw_db_bind_text(st, 4, params_hash);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    if ((rc = ec2gw_db_stmt_run(db, st, err)) != 0)
        return rc;
    return sqlite3_changes(ec2gw_db_sqlite(db)) == 1;
}

/* Read the existing row: the state, with *result filled on DONE; -1 with @p fault. */
static int
ctok_read(ec2gw_db_t *db, const char *project_id, const char *action, const char *token,
          const char *params_hash, json_t **result, ec2gw_fault_t *fault)
{
    ec2gw_err_t err = { 0 };
    sqlite3_stmt *st = ec2gw_db_stmt(db, DB_CTOK_GET, &err);
    const char *hash, *text;
    int rc;

    if (st == NULL)
        return ec2gw_fault_set(fault, "InternalError", "%s", err.msg);
    ctok_bind_key(st, project_id, action, token);
    if (sqlite3_step(st) != SQLITE_ROW) {
        /* Deleted between claim and read (an abort, or expiry): ask the client to retry. */
        ec2gw_db_fail(db, "client token", &err);
        rc = ec2gw_fault_set(fault, "InternalError", "%s", err.msg);
        goto done;
    }
    hash = (const char *)sqlite3_column_text(st, 0);
    text = (const char *)sqlite3_column_text(st, 1);
    if (hash == NULL || strcmp(hash, params_hash) != 0) {
        rc = ec2gw_fault_set(fault, "IdempotentParameterMismatch",
                             "The client token '%s' was already used with different parameters",
                             token);
    } else if (text == NULL) {
        rc = EC2GW_CTOK_PENDING;
    } else if ((*result = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL) {
        rc = ec2gw_fault_set(fault, "InternalError", "stored result of client token unreadable");
    } else {
        rc = EC2GW_CTOK_DONE;
    }

done:
    ec2gw_db_stmt_done(st);
    return rc;
}

int
ec2gw_client_token_begin(ec2gw_db_t *db, const char *project_id, const char *action,
                         const char *token, const char *params_hash, json_t **result,
                         ec2gw_fault_t *fault)
{
    ec2gw_err_t err = { 0 };
    int rc;

    *result = NULL;
    if (params_hash == NULL)
        params_hash = "";
    rc = ctok_claim(db, project_id, action, token, params_hash, &err);
    if (rc < 0)
        return ec2gw_fault_set(fault, "InternalError", "%s", err.msg);
    if (rc == 1)
        return EC2GW_CTOK_NEW;
    return ctok_read(db, project_id, action, token, params_hash, result, fault);
}

int
ec2gw_client_token_complete(ec2gw_db_t *db, const char *project_id, const char *action,
                            const char *token, const json_t *result)
{
    /* NULL (an operation answering <return>true</return>) is stored as JSON null: the row
     * must leave the pending state. */
    char *text = result != NULL ? json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    sqlite3_stmt *st = ec2gw_db_stmt(db, DB_CTOK_COMPLETE, NULL);
    int rc;

    if (st == NULL || (result != NULL && text == NULL)) {
        free(text);
        return st == NULL ? EC2GW_E_DB : EC2GW_E_NOMEM;
    }
    ctok_bind_key(st, project_id, action, token);
    ec2gw_db_bind_text(st, 4, text != NULL ? text : "null");
    rc = ec2gw_db_stmt_run(db, st, NULL);
    free(text);
    if (rc == 0 && sqlite3_changes(ec2gw_db_sqlite(db)) == 0)
        rc = EC2GW_E_NOTFOUND;
    return rc;
}

int
ec2gw_client_token_abort(ec2gw_db_t *db, const char *project_id, const char *action,
                         const char *token)
{
    sqlite3_stmt *st = ec2gw_db_stmt(db, DB_CTOK_DELETE, NULL);

    if (st == NULL)
        return EC2GW_E_DB;
    ctok_bind_key(st, project_id, action, token);
    return ec2gw_db_stmt_run(db, st, NULL);
}

int
ec2gw_client_token_expire(ec2gw_db_t *db, long long max_age_s)
{
    sqlite3_stmt *st = ec2gw_db_stmt(db, DB_CTOK_EXPIRE, NULL);

    if (st == NULL)
        return EC2GW_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL) - max_age_s);
    return ec2gw_db_stmt_run(db, st, NULL);
}
