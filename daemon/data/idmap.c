/*
 * idmap.c - EC2 ids and their rows in ec2-api's `items` table (openstack-mapping.md §18.2,
 * §18.4): id syntax, generation, OpenStack <-> EC2 mapping, and item rows of a project.
 */
#include "data/idmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

#include "data/db_priv.h"

/* Ids ec2gw reads or writes; derived kinds (eipassoc, eni-attach, rtbassoc) are never stored
 * but are valid ids. Reservation ids (r-[0-9a-z]{8}) are not items and not hex: not here. */
static const char *const known_kinds[] = {
    "aki",        "ami",  "ari",    "cgw", "dopt", "eipalloc", "eipassoc", "eni",
    "eni-attach", "i",    "igw",    "key", "lt",   "rtb",      "rtbassoc", "sg",
    "sgr",        "snap", "subnet", "vgw", "vol",  "vpc",      "vpn",
};

/* More than a handful of collisions in a row means a full id space or a broken RNG. */
#define ID_ATTEMPTS 16

static ec2gw_id_rng_fn id_rng;

void
ec2gw_id_set_rng(ec2gw_id_rng_fn fn)
{
    id_rng = fn;
}

static int
kind_known(const char *kind, size_t len)
{
    for (size_t i = 0; i < sizeof(known_kinds) / sizeof(known_kinds[0]); i++)
        if (strlen(known_kinds[i]) == len && memcmp(known_kinds[i], kind, len) == 0)
            return 1;
    return 0;
}

int
ec2gw_id_kind_valid(const char *kind)
{
    return kind != NULL && kind_known(kind, strlen(kind));
}

int
ec2gw_id_parse(const char *id, char kind[16])
{
    const char *dash = id != NULL ? strrchr(id, '-') : NULL;
    size_t klen, hlen;

    if (dash == NULL)
        return 0;
    klen = (size_t)(dash - id);
    hlen = strlen(dash + 1);
    if (klen == 0 || klen >= 16 || (hlen != 8 && hlen != 17) || !kind_known(id, klen))
        return 0;
    for (const char *p = dash + 1; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    if (kind != NULL) {
        memcpy(kind, id, klen);
        kind[klen] = '\0';
    }
    return 1;
}

/* 0, or -1 when no CSPRNG answered (never a weak source: ids must not be predictable). */
static int
id_random(unsigned char *buf, size_t n)
{
    ssize_t got;

    if (id_rng != NULL) {
        id_rng(buf, n);
        return 0;
    }
    /* getrandom() blocks only until the pool is first initialised and, for a few bytes,
     * fails only on EINTR (retried) or ENOSYS (pre-3.17 kernels: OpenSSL's DRBG then). */
    do
        got = getrandom(buf, n, 0);
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)n)
        return 0;
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

static int
id_make(const char *kind, char out[EC2GW_ID_MAX])
{
    unsigned char r[4];

    if (id_random(r, sizeof(r)) != 0) {
        out[0] = '\0';
        return -1;
    }
    snprintf(out, EC2GW_ID_MAX, "%s-%02x%02x%02x%02x", kind, r[0], r[1], r[2], r[3]);
    return 0;
}

void
ec2gw_id_new(const char *kind, char out[EC2GW_ID_MAX])
{
    (void)id_make(kind, out); /* failure leaves "", which no parser accepts */
}

/* 1 and the id in @p out when @p os_id has a row of @p kind (any project), 0 when not. */
static int
idmap_find(ec2gw_db_t *db, const char *prefix, const char *os_id, char out[EC2GW_ID_MAX],
           ec2gw_err_t *err)
{
    db_stmt_t *st = ec2gw_db_stmt(db, DB_ITEM_ID_BY_OS, err);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, os_id);
    ec2gw_db_bind_text(st, 2, prefix);
    rc = ec2gw_db_step(st);
    if (rc == DB_ROW)
        snprintf(out, EC2GW_ID_MAX, "%s", ec2gw_db_col_text(st, 0));
    else if (rc != DB_DONE)
        ec2gw_db_fail(db, "find os_id", err);
    ec2gw_db_stmt_done(st);
    return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : EC2GW_E_DB;
}

/* Insert a new row with a fresh id: 0, 1 on an id collision, 2 when os_id appeared meanwhile. */
static int
idmap_insert(ec2gw_db_t *db, const char *project_id, const char *kind, const char *os_id,
             char out[EC2GW_ID_MAX], ec2gw_err_t *err)
{
    db_stmt_t *st;
    int rc;

    if (id_make(kind, out) != 0)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "idmap: no random source for new ids");
    if ((st = ec2gw_db_stmt(db, DB_ITEM_INSERT_MAP, err)) == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, out);
    ec2gw_db_bind_text(st, 2, project_id);
    ec2gw_db_bind_text(st, 3, os_id);
    rc = ec2gw_db_step(st);
    if (rc != DB_DONE && rc != DB_DUP_PRIMARY && rc != DB_DUP_UNIQUE)
        ec2gw_db_fail(db, "insert id", err);
    ec2gw_db_stmt_done(st);
    switch (rc) {
    case DB_DONE:
        return 0;
    case DB_DUP_PRIMARY:
        return 1;
    case DB_DUP_UNIQUE:
        return 2;
    default:
        return EC2GW_E_DB;
    }
}

int
ec2gw_idmap_create(ec2gw_db_t *db, const char *project_id, const char *kind, const char *os_id,
                   char out[EC2GW_ID_MAX], ec2gw_err_t *err)
{
    char prefix[24];
    int rc;

    snprintf(prefix, sizeof(prefix), "%s-", kind);
    /* ec2-api did not retry a primary-key collision (§18.2); ec2gw does. */
    for (int attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
        rc = idmap_insert(db, project_id, kind, os_id, out, err);
        if (rc == 0 || rc < 0)
            return rc;
        if (rc == 2) {
            /* Another writer mapped os_id first, or it is mapped under another kind. */
            if ((rc = idmap_find(db, prefix, os_id, out, err)) != 0)
                return rc < 0 ? rc : 0;
            return ec2gw_err_set(err, EC2GW_E_EXISTS,
                                 "idmap: %s is already mapped to an id of another kind", os_id);
        }
    }
    return ec2gw_err_set(err, EC2GW_E_DB, "idmap: no free %s id after %d attempts", kind,
                         ID_ATTEMPTS);
}

int
ec2gw_idmap_to_ec2(ec2gw_db_t *db, const char *project_id, const char *kind, const char *os_id,
                   char out[EC2GW_ID_MAX], ec2gw_err_t *err)
{
    char prefix[24];
    int rc;

    if (kind == NULL || !kind_known(kind, strlen(kind)) || os_id == NULL || *os_id == '\0')
        return ec2gw_err_set(err, EC2GW_E_INVAL, "idmap: bad kind or os_id");
    snprintf(prefix, sizeof(prefix), "%s-", kind);
    if ((rc = idmap_find(db, prefix, os_id, out, err)) != 0)
        return rc < 0 ? rc : 0;
    return ec2gw_idmap_create(db, project_id, kind, os_id, out, err);
}

int
ec2gw_idmap_to_os(ec2gw_db_t *db, const char *project_id, const char *ec2_id, char **os_id,
                  ec2gw_err_t *err)
{
    db_stmt_t *st;
    int rc, ret = 0;

    *os_id = NULL;
    if (!ec2gw_id_parse(ec2_id, NULL))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "Invalid id: \"%s\"",
                             ec2_id != NULL ? ec2_id : "");
    if ((st = ec2gw_db_stmt(db, DB_ITEM_OS_VISIBLE, err)) == NULL)
        return EC2GW_E_DB;
    ec2gw_db_bind_text(st, 1, ec2_id);
    ec2gw_db_bind_text(st, 2, project_id);
    rc = ec2gw_db_step(st);
    if (rc == DB_ROW) {
        const char *v = ec2gw_db_col_text(st, 0);

        if (v != NULL && (*os_id = strdup(v)) == NULL)
            ret = ec2gw_err_set(err, EC2GW_E_NOMEM, "idmap: out of memory");
    } else if (rc == DB_DONE) {
        ret = ec2gw_err_set(err, EC2GW_E_NOTFOUND, "The id '%s' does not exist", ec2_id);
    } else {
        ret = ec2gw_db_fail(db, "id to os_id", err);
    }
    ec2gw_db_stmt_done(st);
    return ret;
}
