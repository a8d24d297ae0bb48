/*
 * db_mysql_conn.c - the MySQL driver's connections (db_mysql.h).
 *
 * Waiting: outside a fiber (start-up, migrations, ec2gw-manage, the loop's own rare calls) the
 * handle's first connection blocks, bounded by the timeouts of db_mysql.h. Once ec2gwd attaches its
 * loop (ec2gw_db_attach_loop), request code runs on fibers (core/fiber.h) and each fiber
 * borrows a connection of a small pool (db_pool.h) for as long as it runs; those connections
 * use MariaDB's non-blocking API, and a statement that would wait parks the fiber on the
 * socket (libevent) so the loop serves other requests meanwhile. Why not a thread pool: the
 * data layer's callers are synchronous plugin code that must run on the loop thread (request
 * pools, JSON arenas, the host API are single-threaded), so a thread could run the statement
 * but the caller would still have to be suspended: the fiber alone does that, without locks.
 *
 * A connection lost outside a transaction is reconnected once and the statement sent again;
 * inside one the transaction is lost and the error reported (the caller's rollback ends it).
 */
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/fiber.h"
#include "core/log.h"
#include "data/db_mysql.h"

void
db_my_note(my_conn_t *c)
{
    snprintf(c->err, sizeof(c->err), "%s (%u)", mysql_error(c->m), mysql_errno(c->m));
}

static int
my_lost(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == ER_CONNECTION_KILLED;
}

/* Errors another client or the server's load caused: the request may be retried. */
static int
my_busy(unsigned e)
{
    return my_lost(e) || e == ER_LOCK_WAIT_TIMEOUT || e == ER_LOCK_DEADLOCK ||
           e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR;
}

/* Park the fiber until the socket is as MariaDB's @p status asks; the status to continue with. */
static int
my_wait(my_conn_t *c, int status)
{
    short what = 0, fired;
    int ms = -1, st = 0;

    if (status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT))
        what |= EV_READ;
    if (status & MYSQL_WAIT_WRITE)
        what |= EV_WRITE;
    if (status & MYSQL_WAIT_TIMEOUT)
        ms = (int)mysql_get_timeout_value_ms(c->m);
    fired = db_pool_wait_fd(c->owner->pool, mysql_get_socket(c->m), what, ms);
    if (fired & EV_READ)
        st |= MYSQL_WAIT_READ;
    if (fired & EV_WRITE)
        st |= MYSQL_WAIT_WRITE;
    if ((fired & EV_TIMEOUT) || fired == 0)
        st |= MYSQL_WAIT_TIMEOUT;
    return st;
}

static int
my_real_query(my_conn_t *c, const char *q, size_t len)
{
    int ret = 0, st;

    if (!c->nonblock)
        return mysql_real_query(c->m, q, (unsigned long)len);
    for (st = mysql_real_query_start(&ret, c->m, q, (unsigned long)len); st != 0;)
        st = mysql_real_query_cont(&ret, c->m, my_wait(c, st));
    return ret;
}

MYSQL_RES *
db_my_store_result(my_conn_t *c)
{
    MYSQL_RES *r = NULL;
    int st;

    if (!c->nonblock)
        return mysql_store_result(c->m);
    for (st = mysql_store_result_start(&r, c->m); st != 0;)
        st = mysql_store_result_cont(&r, c->m, my_wait(c, st));
    return r;
}

const char *
db_my_conn_errmsg(my_conn_t *c)
{
    return c->err[0] != '\0' ? c->err : mysql_error(c->m);
}

/* Connect (or reconnect) @p c: 0, or EC2GW_E_DB with the server's message. */
static int
my_open(my_conn_t *c, ec2gw_err_t *err)
{
    my_db_t *x = c->owner;
    unsigned int ct = MY_CONNECT_TIMEOUT_S, io = MY_IO_TIMEOUT_S;
    MYSQL *ok = NULL;

    if (c->m != NULL)
        mysql_close(c->m);
    if ((c->m = mysql_init(NULL)) == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if (c->nonblock)
        mysql_options(c->m, MYSQL_OPT_NONBLOCK, 0);
    mysql_options(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(c->m, MYSQL_OPT_READ_TIMEOUT, &io);
    mysql_options(c->m, MYSQL_OPT_WRITE_TIMEOUT, &io);
    mysql_options(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(c->m, MYSQL_INIT_COMMAND,
                  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
    mysql_options(c->m, MYSQL_INIT_COMMAND,
                  "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    mysql_options(c->m, MYSQL_INIT_COMMAND,
                  "SET SESSION innodb_lock_wait_timeout = " MY_ROW_LOCK_WAIT_S);
    if (!c->nonblock) {
        ok = mysql_real_connect(c->m, x->url.host, x->url.user, x->password, x->url.name,
                                x->url.port, NULL, CLIENT_FOUND_ROWS);
    } else {
        int st = mysql_real_connect_start(&ok, c->m, x->url.host, x->url.user, x->password,
                                          x->url.name, x->url.port, NULL, CLIENT_FOUND_ROWS);

        while (st != 0)
            st = mysql_real_connect_cont(&ok, c->m, my_wait(c, st));
    }
    if (ok == NULL) {
        db_my_note(c);
        return ec2gw_err_set(err, EC2GW_E_DB, "db: cannot connect to MySQL %s@%s:%u/%s: %s",
                             x->url.user, x->url.host, x->url.port, x->url.name, c->err);
    }
    c->err[0] = '\0';
    return 0;
}

static my_conn_t *
my_conn_new(my_db_t *x, int nonblock)
{
    my_conn_t *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->owner = x;
    c->nonblock = nonblock;
    for (int i = 0; i < DB_STMT_COUNT; i++) {
        c->stmt[i].base = (db_stmt_t){ &ec2gw_db_mysql_driver, x->db };
        c->stmt[i].c = c;
        c->stmt[i].id = i;
        c->stmt[i].sql = ec2gw_db_sql_text(DB_MYSQL, (db_stmt_id_t)i);
    }
    return c;
}


void
db_my_conn_free(my_conn_t *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < DB_STMT_COUNT; i++) {
        db_my_stmt_reset(&c->stmt[i].base);
        free(c->stmt[i].p);
    }
    if (c->m != NULL)
        mysql_close(c->m);
    free(c);
}


/* A fiber ends: its connection goes back to the pool, cleaned of what the fiber left. */
static void
my_release(void *arg)
{
    my_conn_t *c = arg;
    my_db_t *x = c->owner;

    for (int i = 0; i < DB_STMT_COUNT; i++)
        if (c->stmt[i].ran)
            db_my_stmt_reset(&c->stmt[i].base);
    while (c->depth > 0) {
        ec2gw_log(EC2GW_LOG_ERROR, "db", "a request ended with a transaction open: rolled back");
        db_my_rollback_conn(c);
    }
    db_pool_put(x->pool, c);
}

/* The connection the caller's statements run on: the fiber's own (borrowed from the pool on
 * its first statement, possibly after a wait), else the blocking one. NULL: none came free or
 * it could not connect (x->err says why). */
my_conn_t *
db_my_cur(ec2gw_db_t *db)
{
    my_db_t *x = MYDB(db);
    my_conn_t *c;
    void *got = NULL;
    int slot;

    if (x->pool == NULL || ec2gw_fiber_self() == NULL)
        return x->main;
    if ((c = ec2gw_fiber_local()) != NULL)
        return c;
    if (db_pool_get(x->pool, &got) != 0) {
        snprintf(x->err, sizeof(x->err),
                 "no database connection came free within %d ms (%d in use, %d requests waiting)",
                 MY_POOL_WAIT_MS, db_pool_lent(x->pool), db_pool_waiting(x->pool));
        return NULL;
    }
    if ((c = got) == NULL) {
        ec2gw_err_t e = { 0 };

        for (slot = 0; slot < 64 && x->opened[slot] != NULL; slot++)
            ;
        if (slot == 64 || (c = my_conn_new(x, 1)) == NULL) {
            snprintf(x->err, sizeof(x->err), "out of memory");
            db_pool_put(x->pool, NULL);
            return NULL;
        }
        x->opened[slot] = c;
        if (my_open(c, &e) != 0) {
            snprintf(x->err, sizeof(x->err), "%s", e.msg);
            ec2gw_fiber_note(EC2GW_FIBER_NOTE_BUSY);
            x->opened[slot] = NULL;
            db_my_conn_free(c);
            db_pool_put(x->pool, NULL);
            return NULL;
        }
    }
    ec2gw_fiber_set_local(c, my_release);
    return c;
}

/* The connection of the caller without borrowing one (messages, counts). */
my_conn_t *
db_my_peek(ec2gw_db_t *db)
{
    my_db_t *x = MYDB(db);

    if (x->pool == NULL || ec2gw_fiber_self() == NULL)
        return x->main;
    return ec2gw_fiber_local();
}

/* Send @p q, reconnecting once when the connection was lost outside a transaction.
 * 0 or the MySQL error number. */
unsigned
db_my_query(my_conn_t *c, const char *q, size_t len)
{
    unsigned e;

    if (my_real_query(c, q, len) == 0)
        return 0;
    e = mysql_errno(c->m);
    db_my_note(c);
    if (my_busy(e))
        ec2gw_fiber_note(EC2GW_FIBER_NOTE_BUSY);
    if (!my_lost(e))
        return e;
    if (c->depth > 0) {
        c->tx_lost = 1;
        return e;
    }
    ec2gw_log(EC2GW_LOG_WARN, "db", "MySQL connection lost (%s), reconnecting", c->err);
    if (my_open(c, NULL) != 0)
        return e;
    if (my_real_query(c, q, len) == 0)
        return 0;
    db_my_note(c);
    return mysql_errno(c->m);
}

/* Run @p q and drop any result. 0 or the MySQL error number. */
unsigned
db_my_run(my_conn_t *c, const char *q)
{
    unsigned e = db_my_query(c, q, strlen(q));
    MYSQL_RES *r;

    if (e != 0)
        return e;
    if ((r = db_my_store_result(c)) != NULL)
        mysql_free_result(r);
    else if (mysql_field_count(c->m) != 0) {
        db_my_note(c);
        return mysql_errno(c->m);
    }
    return 0;
}

int
ec2gw_db_mysql_connect(ec2gw_db_t *db, const char *target, const char *password, ec2gw_err_t *err)
{
    my_db_t *x = calloc(1, sizeof(*x));
    int rc;

    if (x == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    db->conn = x;
    x->db = db;
    if ((rc = ec2gw_db_url_parse(target, &x->url, err)) != 0)
        return rc;
    if (password != NULL && (x->password = strdup(password)) == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if ((x->main = my_conn_new(x, 0)) == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    return my_open(x->main, err);
}

int
ec2gw_db_mysql_attach(ec2gw_db_t *db, struct event_base *base, int pool_size, ec2gw_err_t *err)
{
    my_db_t *x = MYDB(db);

    if (pool_size < 1 || pool_size > 64)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "db: a pool of %d connections (1-64)", pool_size);
    db_pool_free(x->pool);
    x->pool = db_pool_new(base, pool_size, MY_POOL_WAITERS_MAX, MY_POOL_WAIT_MS);
    if (x->pool == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    return 0;
}
