/*
 * idmap_batch.c - ec2gw_idmap_to_ec2 for a list answer: one SELECT for every os_id of the
 * list and the missing rows inserted in one transaction, so that mapping 1000 servers costs
 * one statement and one commit instead of 1000 of each. Same rules as the single call
 * (idmap.c): an existing row of any project wins; new rows belong to the caller's project.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/db_priv.h"
#include "data/idmap.h"

/* An input position; sorted by (os, i), the first of each run of equal os_ids is mapped and
 * the others copy its id. */
struct batch_ent {
    const char *os;
    size_t i;
};

struct batch {
    const char *const *os_ids;
    char (*out)[EC2GW_ID_MAX];
    struct batch_ent *ents; /* the non-empty os_ids, sorted */
    size_t m;
    const char **distinct; /* one per run of ents, for the SELECT */
    size_t nd;
    unsigned char *first; /* first[i]: position i is the first of its run */
};

static int
ent_cmp(const void *a, const void *b)
{
    const struct batch_ent *x = a, *y = b;
    int c = strcmp(x->os, y->os);

    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static int
ent_key_cmp(const void *key, const void *e)
{
    return strcmp(key, ((const struct batch_ent *)e)->os);
}

static int
batch_prepare(struct batch *b, size_t n)
{
    b->ents = malloc((n > 0 ? n : 1) * sizeof(*b->ents));
    b->distinct = malloc((n > 0 ? n : 1) * sizeof(*b->distinct));
    b->first = calloc(n > 0 ? n : 1, 1);
    if (b->ents == NULL || b->distinct == NULL || b->first == NULL)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        b->out[i][0] = '\0';
        if (b->os_ids[i] != NULL && b->os_ids[i][0] != '\0')
            b->ents[b->m++] = (struct batch_ent){ b->os_ids[i], i };
    }
    qsort(b->ents, b->m, sizeof(*b->ents), ent_cmp);
    for (size_t k = 0; k < b->m; k++) {
        if (k > 0 && strcmp(b->ents[k - 1].os, b->ents[k].os) == 0)
            continue;
        b->distinct[b->nd++] = b->ents[k].os;
        b->first[b->ents[k].i] = 1;
    }
    return 0;
}

/* The ids of the os_ids that have a row of the kind (any project), into their first slot. */
static int
batch_select(ec2gw_db_t *db, struct batch *b, const char *prefix, ec2gw_err_t *err)
{
    db_stmt_t *st;
    int step, rc;

    if ((st = ec2gw_db_stmt(db, DB_ITEM_IDS_BY_OS, err)) == NULL)
        return EC2GW_E_DB;
    if (ec2gw_db_bind_list(st, 1, b->distinct, b->nd) != 0) {
        ec2gw_db_stmt_done(st);
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "idmap: out of memory");
    }
    ec2gw_db_bind_text(st, 2, prefix);
    while ((step = ec2gw_db_step(st)) == DB_ROW) {
        const char *os = ec2gw_db_col_text(st, 0);
        const char *id = ec2gw_db_col_text(st, 1);
        const struct batch_ent *e =
            os != NULL ? bsearch(os, b->ents, b->m, sizeof(*b->ents), ent_key_cmp) : NULL;

        if (e == NULL || id == NULL)
            continue; /* not one of ours: SQL and strcmp compare bytes alike, so never */
        while (e > b->ents && strcmp(e[-1].os, os) == 0)
            e--;
        snprintf(b->out[e->i], EC2GW_ID_MAX, "%s", id);
    }
    rc = step == DB_DONE ? 0 : ec2gw_db_fail(db, "find os_ids", err);
    ec2gw_db_stmt_done(st);
    return rc;
}

/* Insert the missing ones in input order (the order n single calls would draw ids in). */
static int
batch_insert(ec2gw_db_t *db, struct batch *b, size_t n, const char *project_id, const char *kind,
             ec2gw_err_t *err)
{
    ec2gw_err_t one = { 0 };
    size_t missing = 0;
    int rc;

    for (size_t i = 0; i < n; i++)
        missing += b->first[i] && b->out[i][0] == '\0';
    if (missing == 0)
        return 0;
    if ((rc = ec2gw_db_begin(db, err)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!b->first[i] || b->out[i][0] != '\0')
            continue;
        rc = ec2gw_idmap_create(db, project_id, kind, b->os_ids[i], b->out[i], &one);
        if (rc == EC2GW_E_EXISTS) {
            /* Mapped under another kind: where the single call fails, this entry stays "". */
            b->out[i][0] = '\0';
            continue;
        }
        if (rc != 0) {
            ec2gw_db_rollback(db);
            return ec2gw_err_set(err, rc, "%s", one.msg);
        }
    }
    return ec2gw_db_commit(db, err);
}

int
ec2gw_idmap_to_ec2_many(ec2gw_db_t *db, const char *project_id, const char *kind,
                        const char *const *os_ids, size_t n, char (*out)[EC2GW_ID_MAX],
                        ec2gw_err_t *err)
{
    struct batch b = { .os_ids = os_ids, .out = out };
    char prefix[24];
    int rc;

    if (!ec2gw_id_kind_valid(kind) || (n > 0 && (os_ids == NULL || out == NULL)))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "idmap: bad kind or os_ids");
    if (n == 0)
        return 0;
    snprintf(prefix, sizeof(prefix), "%s-", kind);
    if ((rc = batch_prepare(&b, n)) != 0)
        rc = ec2gw_err_set(err, rc, "idmap: out of memory");
    else if (b.nd > 0 && (rc = batch_select(db, &b, prefix, err)) == 0)
        rc = batch_insert(db, &b, n, project_id, kind, err);
    if (rc == 0) {
        for (size_t k = 1; k < b.m; k++)
            if (!b.first[b.ents[k].i])
                memcpy(out[b.ents[k].i], out[b.ents[k - 1].i], EC2GW_ID_MAX);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i][0] = '\0';
    }
    free(b.ents);
    free(b.distinct);
    free(b.first);
    return rc;
}
