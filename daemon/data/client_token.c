/*
 * client_token.c - ClientToken idempotency (ec2-protocol.md §6). A token is claimed (row with
 * result NULL) before any OpenStack object is created, so that a retry after a crash finds it
 * pending instead of creating a second set of objects; the answer is stored when the request
 * completes. Rows are kept at least 24 hours (ec2gw_client_token_expire is run with >= 86400).
 *
 * A pending row names its owner (claim_owner.c) and a lease. After kill -9 nobody completes or
 * releases it: a retry finds it orphaned (owner gone, or lease over), waits until whatever the
 * owner sent can no longer land (settle), then takes it over with a compare-and-swap and runs
 * the action again (EC2GW_CTOK_RECOVER), which finds the first attempt's objects by the names
 * it gave them. Recovery is lazy, on the retry, not a start-up pass: the action needs the
 * caller's credentials and parameters, which only the retry brings, and with several daemons
 * on one database only the one the client comes back to acts.
 */
#include "data/client_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json_arena.h"
#include "data/claim_owner.h"
#include "data/db_priv.h"

static void
ctok_bind_key(db_stmt_t *st, const char *project_id, const char *action, const char *token)
{
    ec2gw_db_bind_text(st, 1, project_id);
    ec2gw_db_bind_text(st, 2, action);
    ec2gw_db_bind_text(st, 3, token);
}

/* Claim the token: 1 when this call inserted the pending row, 0 when a row existed. */
static int
ctok_claim(ec2gw_db_t *db, const char *project_id, const char *action, const char *token,
           const char *params_hash, long long lease_s, ec2gw_err_t *err)
{
    time_t now = time(NULL);
    db_stmt_t *st = ec2gw_db_stmt(db, DB_CTOK_INSERT, err);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    ctok_bind_key(st, project_id, action, token);
    ec2gw_db_bind_text(st, 4, params_hash);
    ec2gw_db_bind_int64(st, 5, (long long)now);
    ec2gw_db_bind_text(st, 6, ec2gw_claim_owner_self());
    ec2gw_db_bind_int64(st, 7, (long long)(now + lease_s));
    if ((rc = ec2gw_db_stmt_run(db, st, err)) != 0)
        return rc;
    return ec2gw_db_changes(db) == 1;
}

/* Set the owner and lease of a pending row if they are still @p owner and @p lease: 1 when
 * this call changed them, 0 when another request or daemon did first, or EC2GW_E_DB. */
static int
ctok_take(ec2gw_db_t *db, const char *project_id, const char *action, const char *token,
          const char *owner, long long lease, int lease_null, const char *new_owner,
          long long new_lease)
{
    db_stmt_t *st = ec2gw_db_stmt(db, DB_CTOK_TAKE, NULL);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    ctok_bind_key(st, project_id, action, token);
    ec2gw_db_bind_text(st, 4, owner);
    if (lease_null)
        ec2gw_db_bind_null(st, 5);
    else
        ec2gw_db_bind_int64(st, 5, lease);
    ec2gw_db_bind_text(st, 6, new_owner);
    ec2gw_db_bind_int64(st, 7, new_lease);
    if ((rc = ec2gw_db_stmt_run(db, st, NULL)) != 0)
        return rc;
    return ec2gw_db_changes(db) == 1;
}

/*
 * A pending row (columns 2-4 of @p st: owner, lease, created): still held, orphaned and
 * settling, or taken over now. A row without a lease (schema 2) was leased from `created`.
 * The row is rewritten (through ctok_take), so @p st is reset first.
 */
static int
ctok_pending(ec2gw_db_t *db, db_stmt_t *st, const char *project_id, const char *action,
             const char *token, ec2gw_ctok_opts_t *t, ec2gw_fault_t *fault)
{
    char owner_buf[EC2GW_OWNER_MAX];
    const char *col = ec2gw_db_col_text(st, 2), *owner = NULL;
    int lease_null = ec2gw_db_col_is_null(st, 3);
    long long lease = ec2gw_db_col_int64(st, 3), end;
    long long now = (long long)time(NULL);
    ec2gw_owner_state_t who;
    int rc;

    if (lease_null)
        lease = ec2gw_db_col_int64(st, 4) + t->lease_s;
    if (col != NULL) /* copied: the column's text goes with the reset */
        owner = owner_buf, snprintf(owner_buf, sizeof(owner_buf), "%s", col);
    ec2gw_db_stmt_done(st);
    /* No owner but a lease: a claim already found orphaned, its lease ending when the death
     * was seen. Neither: a row of schema 2, whose owner is unknown: judged by its lease. */
    who = owner != NULL ? ec2gw_claim_owner_state(owner)
          : lease_null  ? EC2GW_OWNER_ELSEWHERE
                        : EC2GW_OWNER_GONE;
    if (lease > now && who != EC2GW_OWNER_GONE)
        return EC2GW_CTOK_PENDING;
    /* An action that would make its objects again is not rerun: the claim stays, unanswerable
     * (better an honest error than a second volume), until it expires. */
    if (!t->rerun)
        return EC2GW_CTOK_LOST;
    if (lease > now) {
        /* Died before its lease ended: from now on nothing new leaves it; record that. */
        rc = ctok_take(db, project_id, action, token, owner, lease_null ? 0 : lease, lease_null,
                       NULL, now);
        if (rc < 0)
            return ec2gw_fault_set(fault, "InternalError", "could not record an orphaned claim");
        t->wait_s = t->settle_s;
        return rc == 1 ? EC2GW_CTOK_ORPHANED : EC2GW_CTOK_PENDING;
    }
    end = lease + t->settle_s;
    if (now < end) {
        t->wait_s = (long long)(end - now);
        return EC2GW_CTOK_ORPHANED;
    }
    rc = ctok_take(db, project_id, action, token, owner, lease_null ? 0 : lease, lease_null,
                   ec2gw_claim_owner_self(), now + t->lease_s);
    if (rc < 0)
        return ec2gw_fault_set(fault, "InternalError", "could not take over an orphaned claim");
    return rc == 1 ? EC2GW_CTOK_RECOVER : EC2GW_CTOK_PENDING;
}

/* Read the existing row: the state, with *result filled on DONE; -1 with @p fault. */
static int
ctok_read(ec2gw_db_t *db, const char *project_id, const char *action, const char *token,
          const char *params_hash, ec2gw_ctok_opts_t *t, json_t **result, ec2gw_fault_t *fault)
{
    ec2gw_err_t err = { 0 };
    db_stmt_t *st = ec2gw_db_stmt(db, DB_CTOK_GET, &err);
    const char *hash, *text;
    int rc;

    if (st == NULL)
        return ec2gw_fault_set(fault, "InternalError", "%s", err.msg);
    ctok_bind_key(st, project_id, action, token);
    if (ec2gw_db_step(st) != DB_ROW) {
        /* Deleted between claim and read (an abort, or expiry): ask the client to retry. */
        ec2gw_db_fail(db, "client token", &err);
        rc = ec2gw_fault_set(fault, "InternalError", "%s", err.msg);
        goto done;
    }
    hash = ec2gw_db_col_text(st, 0);
    text = ec2gw_db_col_text(st, 1);
    if (hash == NULL || strcmp(hash, params_hash) != 0) {
        rc = ec2gw_fault_set(fault, "IdempotentParameterMismatch",
                             "The client token '%s' was already used with different parameters",
                             token);
    } else if (text == NULL) {
        return ctok_pending(db, st, project_id, action, token, t, fault);
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
                         const char *token, const char *params_hash, ec2gw_ctok_opts_t *opts,
                         json_t **result, ec2gw_fault_t *fault)
{
    ec2gw_ctok_opts_t defaults = { EC2GW_CTOK_LEASE_S, EC2GW_CTOK_SETTLE_S, 0, 0 };
    ec2gw_err_t err = { 0 };
    int rc;

    if (opts == NULL)
        opts = &defaults;
    opts->wait_s = 0;
    *result = NULL;
    if (params_hash == NULL)
        params_hash = "";
    rc = ctok_claim(db, project_id, action, token, params_hash, opts->lease_s, &err);
    if (rc < 0)
        return ec2gw_fault_set(fault, "InternalError", "%s", err.msg);
    if (rc == 1)
        return EC2GW_CTOK_NEW;
    return ctok_read(db, project_id, action, token, params_hash, opts, result, fault);
}

int
ec2gw_client_token_complete(ec2gw_db_t *db, const char *project_id, const char *action,
                            const char *token, const json_t *result)
{
    /* NULL (an operation answering <return>true</return>) is stored as JSON null: the row
     * must leave the pending state. */
    char *text = result != NULL ? ec2gw_json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    db_stmt_t *st = ec2gw_db_stmt(db, DB_CTOK_COMPLETE, NULL);
    int rc;

    if (st == NULL || (result != NULL && text == NULL)) {
        free(text);
        return st == NULL ? EC2GW_E_DB : EC2GW_E_NOMEM;
    }
    ctok_bind_key(st, project_id, action, token);
    ec2gw_db_bind_text(st, 4, text != NULL ? text : "null");
    rc = ec2gw_db_stmt_run(db, st, NULL);
    free(text);
    if (rc == 0 && ec2gw_db_changes(db) == 0)
        rc = EC2GW_E_NOTFOUND;
    return rc;
}

int
ec2gw_client_token_abort(ec2gw_db_t *db, const char *project_id, const char *action,
                         const char *token)
{
    db_stmt_t *st = ec2gw_db_stmt(db, DB_CTOK_DELETE, NULL);

    if (st == NULL)
        return EC2GW_E_DB;
    ctok_bind_key(st, project_id, action, token);
    return ec2gw_db_stmt_run(db, st, NULL);
}

int
ec2gw_client_token_expire(ec2gw_db_t *db, long long max_age_s)
{
    db_stmt_t *st = ec2gw_db_stmt(db, DB_CTOK_EXPIRE, NULL);

    if (st == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_int64(st, 1, (long long)time(NULL) - max_age_s);
    return ec2gw_db_stmt_run(db, st, NULL);
}
