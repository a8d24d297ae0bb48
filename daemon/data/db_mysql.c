/*
 * db_mysql.c - the MySQL/MariaDB driver (libmariadb): statements, parameters, transactions;
 * its connections are db_mysql_conn.c's.
 *
 * Statements go over the text protocol: the ?N parameters of db_sql.c's texts are written in
 * as escaped literals (mysql_real_escape_string, which follows the connection's character set
 * and sql_mode) and the whole answer is read with mysql_store_result, so a statement is one
 * round trip and rows are then stepped locally.
 *
 * Session: utf8mb4, strict sql_mode without ANSI_QUOTES/PIPES_AS_CONCAT (the texts rely on
 * both being off), READ COMMITTED so that a statement after a duplicate-key error sees the row
 * the other writer committed (idmap.c re-reads it), CLIENT_FOUND_ROWS so that an UPDATE's
 * changes are the rows it matched, as in SQLite.
 */
#include "data/db_mysql.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"


/* A growable string. */
typedef struct buf {
    char *s;
    size_t len, cap;
    int nomem;
} buf_t;

static void
buf_need(buf_t *b, size_t more)
{
    if (b->nomem || b->len + more + 1 <= b->cap)
        return;
    size_t cap = (b->len + more + 1) * 2;
    char *p = realloc(b->s, cap);

    if (p == NULL) {
        b->nomem = 1;
        return;
    }
    b->s = p;
    b->cap = cap;
}

static void
buf_add(buf_t *b, const char *s, size_t n)
{
    buf_need(b, n);
    if (b->nomem)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* 'escaped' */
static void
buf_quote(buf_t *b, MYSQL *m, const char *s)
{
    size_t n = strlen(s);

    buf_need(b, 2 * n + 3);
    if (b->nomem)
        return;
    b->s[b->len++] = '\'';
    b->len += mysql_real_escape_string(m, b->s + b->len, s, (unsigned long)n);
    b->s[b->len++] = '\'';
    b->s[b->len] = '\0';
}

static const char *
my_errmsg(ec2gw_db_t *db)
{
    my_conn_t *c = db_my_peek(db);

    return c != NULL ? db_my_conn_errmsg(c) : MYDB(db)->err;
}

static void
my_params_clear(my_stmt_t *s)
{
    for (int i = 0; i < s->np; i++) {
        free(s->p[i].text);
        s->p[i] = (my_param_t){ 0 };
    }
}

void
db_my_stmt_reset(db_stmt_t *st)
{
    my_stmt_t *s = MST(st);

    if (s->res != NULL)
        mysql_free_result(s->res);
    s->res = NULL;
    s->row = NULL;
    s->ran = 0;
    my_params_clear(s);
}

static db_stmt_t *
my_stmt(ec2gw_db_t *db, db_stmt_id_t id, ec2gw_err_t *err)
{
    my_conn_t *c = db_my_cur(db);
    my_stmt_t *s;

    if (c == NULL) {
        ec2gw_err_set(err, EC2GW_E_DB, "db: %s", MYDB(db)->err);
        return NULL;
    }
    s = &c->stmt[id];
    if (s->sql == NULL) {
        ec2gw_err_set(err, EC2GW_E_DB, "db: statement %d has no MySQL text", (int)id);
        return NULL;
    }
    if (s->ran) {
        ec2gw_log(EC2GW_LOG_ERROR, "db", "statement left active (reused), reset: %s", s->sql);
        db_my_stmt_reset(&s->base);
    }
    return &s->base;
}

static db_stmt_t *
my_prepare(ec2gw_db_t *db, const char *sql, ec2gw_err_t *err)
{
    my_conn_t *c = db_my_cur(db);
    my_stmt_t *s;

    if (c == NULL) {
        ec2gw_err_set(err, EC2GW_E_DB, "db: %s", MYDB(db)->err);
        return NULL;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL || (s->owned = strdup(sql)) == NULL) {
        free(s);
        ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        return NULL;
    }
    s->base = (db_stmt_t){ &ec2gw_db_mysql_driver, db };
    s->c = c;
    s->id = -1;
    s->sql = s->owned;
    return &s->base;
}
static void
my_finalize(db_stmt_t *st)
{
    my_stmt_t *s = MST(st);

    db_my_stmt_reset(st);
    free(s->p);
    free(s->owned);
    free(s);
}

/* The slot of ?idx, growing the array. NULL when out of memory or idx < 1. */
static my_param_t *
my_slot(my_stmt_t *s, int idx)
{
    if (idx < 1)
        return NULL;
    if (idx > s->np) {
        my_param_t *p = realloc(s->p, (size_t)idx * sizeof(*p));

        if (p == NULL)
            return NULL;
        memset(p + s->np, 0, (size_t)(idx - s->np) * sizeof(*p));
        s->p = p;
        s->np = idx;
    }
    free(s->p[idx - 1].text);
    s->p[idx - 1] = (my_param_t){ 0 };
    return &s->p[idx - 1];
}

static int
my_bind_text(db_stmt_t *st, int idx, const char *v)
{
    my_param_t *p = my_slot(MST(st), idx);

    if (p == NULL)
        return DB_ERROR;
    if (v == NULL) {
        p->kind = P_NULL;
        return 0;
    }
    if ((p->text = strdup(v)) == NULL)
        return DB_ERROR;
    p->kind = P_TEXT;
    return 0;
}

static int
my_bind_int64(db_stmt_t *st, int idx, long long v)
{
    my_param_t *p = my_slot(MST(st), idx);

    if (p == NULL)
        return DB_ERROR;
    p->kind = P_INT;
    p->v = v;
    return 0;
}

static int
my_bind_null(db_stmt_t *st, int idx)
{
    my_param_t *p = my_slot(MST(st), idx);

    if (p == NULL)
        return DB_ERROR;
    p->kind = P_NULL;
    return 0;
}

/* Rendered now: 'a', 'b', ... (NULL for an empty list: IN (NULL) matches nothing). */
static int
my_bind_list(db_stmt_t *st, int idx, const char *const *strs, size_t n)
{
    my_param_t *p = my_slot(MST(st), idx);
    buf_t b = { 0 };

    if (p == NULL)
        return DB_ERROR;
    for (size_t i = 0; i < n; i++) {
        if (strs[i] == NULL || strs[i][0] == '\0')
            continue;
        if (b.len > 0)
            buf_add(&b, ", ", 2);
        buf_quote(&b, MST(st)->c->m, strs[i]);
    }
    if (b.len == 0)
        buf_add(&b, "NULL", 4);
    if (b.nomem) {
        free(b.s);
        return DB_ERROR;
    }
    p->kind = P_LIST;
    p->text = b.s;
    return 0;
}

/* The statement's text with its parameters written in; NULL when out of memory or a
 * parameter is not bound (a bug: SQLite would bind NULL, which is logged here). */
static char *
my_render(my_stmt_t *s, size_t *len)
{
    MYSQL *m = s->c->m;
    buf_t b = { 0 };
    char quote = 0;

    for (const char *q = s->sql; *q != '\0'; q++) {
        if (quote != 0) {
            if (*q == quote)
                quote = 0;
            buf_add(&b, q, 1);
            continue;
        }
        if (*q == '\'' || *q == '`' || *q == '"') {
            quote = *q;
            buf_add(&b, q, 1);
            continue;
        }
        if (*q != '?' || q[1] < '0' || q[1] > '9') {
            buf_add(&b, q, 1);
            continue;
        }
        char *end;
        long idx = strtol(q + 1, &end, 10);
        const my_param_t *p = idx >= 1 && idx <= s->np ? &s->p[idx - 1] : NULL;
        char num[32];

        q = end - 1;
        if (p == NULL || p->kind == P_UNSET || p->kind == P_NULL) {
            buf_add(&b, "NULL", 4);
        } else if (p->kind == P_INT) {
            snprintf(num, sizeof(num), "%lld", p->v);
            buf_add(&b, num, strlen(num));
        } else if (p->kind == P_LIST) {
            buf_add(&b, p->text, strlen(p->text));
        } else {
            buf_quote(&b, m, p->text);
        }
    }
    if (b.nomem || b.s == NULL) {
        free(b.s);
        return NULL;
    }
    *len = b.len;
    return b.s;
}

/* A failed statement's code for the caller (db_priv.h's DB_*). */
static int
my_map_error(my_conn_t *c, my_stmt_t *s, unsigned e)
{

    switch (e) {
    case ER_DUP_ENTRY:
    case ER_DUP_KEY:
        /* "Duplicate entry 'x' for key 'PRIMARY'" (MariaDB) or "'items.PRIMARY'" (MySQL 8) */
        return strstr(mysql_error(c->m), "PRIMARY'") != NULL ? DB_DUP_PRIMARY : DB_DUP_UNIQUE;
    case ER_BAD_NULL_ERROR:
        /* db_sql.c's DB_ITEM_UPSERT refusing the update: no row changed */
        if (s->id == DB_ITEM_UPSERT) {
            c->changes = 0;
            return DB_DONE;
        }
        return DB_ERROR;
    case ER_LOCK_DEADLOCK:
        /* InnoDB rolled the whole transaction back */
        if (c->depth > 0)
            c->tx_lost = 1;
        return DB_ERROR;
    default:
        return DB_ERROR;
    }
}

static int
my_step(db_stmt_t *st)
{
    my_stmt_t *s = MST(st);
    my_conn_t *c = s->c;
    unsigned e;
    size_t len = 0;
    char *q;

    if (s->ran) {
        if (s->res == NULL)
            return DB_DONE;
        s->row = mysql_fetch_row(s->res);
        return s->row != NULL ? DB_ROW : DB_DONE;
    }
    s->ran = 1;
    if (c->tx_lost) {
        snprintf(c->err, sizeof(c->err), "the transaction was rolled back by the server");
        return DB_ERROR;
    }
    if ((q = my_render(s, &len)) == NULL) {
        snprintf(c->err, sizeof(c->err), "out of memory");
        return DB_ERROR;
    }
    e = db_my_query(c, q, len);
    free(q);
    if (e != 0)
        return my_map_error(c, s, e);
    c->err[0] = '\0';
    if (mysql_field_count(c->m) == 0) {
        c->changes = (long long)mysql_affected_rows(c->m);
        return DB_DONE;
    }
    if ((s->res = db_my_store_result(c)) == NULL) {
        db_my_note(c);
        return DB_ERROR;
    }
    s->row = mysql_fetch_row(s->res);
    return s->row != NULL ? DB_ROW : DB_DONE;
}

static const char *
my_col_text(db_stmt_t *st, int col)
{
    my_stmt_t *s = MST(st);

    if (s->row == NULL || col < 0 || (unsigned)col >= mysql_num_fields(s->res))
        return NULL;
    return s->row[col]; /* NUL-terminated by the client library */
}

static long long
my_col_int64(db_stmt_t *st, int col)
{
    const char *v = my_col_text(st, col);

    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static int
my_col_is_null(db_stmt_t *st, int col)
{
    return my_col_text(st, col) == NULL;
}

static const char *
my_sql(db_stmt_t *st)
{
    return MST(st)->sql;
}

static long long
my_changes(ec2gw_db_t *db)
{
    my_conn_t *c = db_my_peek(db);

    return c != NULL ? c->changes : 0;
}

/* A transaction-control statement; a savepoint is named after its depth @p n (>= 0). */
static int
my_tx(my_conn_t *c, const char *verb, int n, ec2gw_err_t *err)
{
    char q[96];

    if (n >= 0)
        snprintf(q, sizeof(q), "%s ec2gw_sp%d", verb, n);
    else
        snprintf(q, sizeof(q), "%s", verb);
    if (db_my_run(c, q) != 0)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: %s: %s", q, db_my_conn_errmsg(c));
    return 0;
}

/* The handle's depth mirrors the blocking connection's (what ec2gw-manage and tests see). */
static void
my_sync_depth(ec2gw_db_t *db)
{
    db->depth = MYDB(db)->main->depth;
}

static int
my_begin_conn(ec2gw_db_t *db, ec2gw_err_t *err)
{
    my_conn_t *c = db_my_cur(db);
    int rc;

    if (c == NULL)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: %s", MYDB(db)->err);
    if (c->depth > 0) {
        /* MySQL replaces a savepoint of the same name: one name per depth */
        if ((rc = my_tx(c, "SAVEPOINT", c->depth, err)) == 0)
            c->depth++;
        return rc;
    }
    c->tx_lost = 0;
    if ((rc = my_tx(c, "START TRANSACTION", -1, err)) == 0)
        c->depth = 1;
    return rc;
}

static int
my_begin(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc = my_begin_conn(db, err);

    my_sync_depth(db);
    return rc;
}

void
db_my_rollback_conn(my_conn_t *c)
{
    if (c->depth == 1) {
        if (my_tx(c, "ROLLBACK", -1, NULL) != 0 && !c->tx_lost)
            ec2gw_log(EC2GW_LOG_ERROR, "db", "ROLLBACK failed: %s", c->err);
        c->tx_lost = 0;
    } else if (!c->tx_lost) {
        (void)my_tx(c, "ROLLBACK TO SAVEPOINT", c->depth - 1, NULL);
        (void)my_tx(c, "RELEASE SAVEPOINT", c->depth - 1, NULL);
    }
    c->depth--;
}

static void
my_rollback(ec2gw_db_t *db)
{
    my_conn_t *c = db_my_peek(db);

    if (c == NULL || c->depth <= 0) {
        ec2gw_log(EC2GW_LOG_ERROR, "db", "rollback without a transaction ignored");
        return;
    }
    db_my_rollback_conn(c);
    my_sync_depth(db);
}

static int
my_commit_conn(ec2gw_db_t *db, ec2gw_err_t *err)
{
    my_conn_t *c = db_my_peek(db);
    int rc;

    if (c == NULL || c->depth <= 0)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: commit without a transaction");
    if (c->tx_lost) {
        ec2gw_err_set(err, EC2GW_E_DB, "db: the transaction was rolled back by the server (%s)",
                      c->err);
        db_my_rollback_conn(c);
        return EC2GW_E_DB;
    }
    if (c->depth > 1) {
        if ((rc = my_tx(c, "RELEASE SAVEPOINT", c->depth - 1, err)) != 0) {
            db_my_rollback_conn(c);
            return rc;
        }
        c->depth--;
        return 0;
    }
    if ((rc = my_tx(c, "COMMIT", -1, err)) != 0) {
        ec2gw_log(EC2GW_LOG_ERROR, "db", "COMMIT failed (%s): the transaction is rolled back",
                  c->err);
        db_my_rollback_conn(c);
        return rc;
    }
    c->depth--;
    return 0;
}

static int
my_commit(ec2gw_db_t *db, ec2gw_err_t *err)
{
    int rc = my_commit_conn(db, err);

    my_sync_depth(db);
    return rc;
}

/* Statements separated by ";\n" (db_schema.c's DDL), one at a time. */
static int
my_exec(ec2gw_db_t *db, const char *script, ec2gw_err_t *err)
{
    my_conn_t *c = db_my_cur(db);
    const char *p = script;

    if (c == NULL)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: %s", MYDB(db)->err);
    while (*p != '\0') {
        const char *end = strstr(p, ";\n");
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char *one = strndup(p, n);
        unsigned e;

        if (one == NULL)
            return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
        e = one[strspn(one, " \t\n")] != '\0' ? db_my_run(c, one) : 0;
        free(one);
        if (e != 0)
            return ec2gw_db_fail(db, "exec", err);
        p += n + (end != NULL ? 2 : 0);
    }
    return 0;
}

/* GET_LOCK is server-wide: named after the database, so two databases on one server do not
 * wait for each other. */
static int
my_schema_lock(ec2gw_db_t *db, int lock, ec2gw_err_t *err)
{
    my_db_t *x = MYDB(db);
    char q[256 + 64];
    buf_t name = { 0 };
    db_stmt_t *st;
    int rc;

    buf_quote(&name, x->main->m, x->url.name);
    if (name.nomem)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if (lock)
        snprintf(q, sizeof(q), "SELECT GET_LOCK(CONCAT('ec2gw_schema.', %s), %d)", name.s,
                 MY_LOCK_WAIT_S);
    else
        snprintf(q, sizeof(q), "SELECT RELEASE_LOCK(CONCAT('ec2gw_schema.', %s))", name.s);
    free(name.s);
    if ((st = my_prepare(db, q, err)) == NULL)
        return EC2GW_E_NOMEM;
    rc = my_step(st);
    if (rc != DB_ROW)
        rc = ec2gw_db_fail(db, "schema lock", err);
    else if (lock && my_col_int64(st, 0) != 1)
        rc = ec2gw_err_set(err, EC2GW_E_DB,
                           "db: another process held the schema lock for %d s (a migration "
                           "still running?)",
                           MY_LOCK_WAIT_S);
    else
        rc = 0;
    my_finalize(st);
    return rc;
}

static void
my_close(ec2gw_db_t *db)
{
    my_db_t *x = MYDB(db);

    if (x == NULL)
        return;
    for (int i = 0; i < 64; i++)
        db_my_conn_free(x->opened[i]);
    db_my_conn_free(x->main);
    db_pool_free(x->pool);
    if (x->password != NULL) {
        explicit_bzero(x->password, strlen(x->password));
        free(x->password);
    }
    free(x);
    db->conn = NULL;
}

const db_driver_t ec2gw_db_mysql_driver = {
    .dialect = DB_MYSQL,
    .name = "mysql",
    .stmt = my_stmt,
    .prepare = my_prepare,
    .finalize = my_finalize,
    .done = db_my_stmt_reset,
    .bind_text = my_bind_text,
    .bind_int64 = my_bind_int64,
    .bind_null = my_bind_null,
    .bind_list = my_bind_list,
    .step = my_step,
    .col_text = my_col_text,
    .col_int64 = my_col_int64,
    .col_is_null = my_col_is_null,
    .sql = my_sql,
    .changes = my_changes,
    .errmsg = my_errmsg,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .exec = my_exec,
    .schema_lock = my_schema_lock,
    .close = my_close,
};
