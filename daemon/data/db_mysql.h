/*
 * db_mysql.h - shared by the MySQL driver's two files: db_mysql.c (statements, parameters,
 * transactions) and db_mysql_conn.c (connections, their waits, lending them to fibers).
 */
#ifndef EC2GW_DATA_DB_MYSQL_H
#define EC2GW_DATA_DB_MYSQL_H

#include <mysql.h>

#include "data/db_pool.h"
#include "data/db_priv.h"

/* Every wait is bounded. A row lock held by another node waits at most MY_ROW_LOCK_WAIT_S
 * (InnoDB's default is 50 s); a fiber waits for a free connection at most MY_POOL_WAIT_MS
 * (above the row-lock wait: a connection held by a waiting statement comes free by then). */
#define MY_CONNECT_TIMEOUT_S 5
#define MY_IO_TIMEOUT_S      10
#define MY_LOCK_WAIT_S       60
#define MY_ROW_LOCK_WAIT_S   "5"
#define MY_POOL_WAIT_MS      6000
#define MY_POOL_WAITERS_MAX  4096

enum my_kind { P_UNSET, P_NULL, P_TEXT, P_INT, P_LIST };

typedef struct my_param {
    enum my_kind kind;
    char *text; /* P_TEXT: a copy; P_LIST: the rendered list */
    long long v;
} my_param_t;

typedef struct my_conn my_conn_t;

typedef struct my_stmt {
    db_stmt_t base;
    my_conn_t *c; /* the connection it runs on */
    int id;       /* db_stmt_id_t, or -1 ad hoc */
    const char *sql;
    char *owned; /* ad hoc text */
    my_param_t *p;
    int np;
    MYSQL_RES *res;
    MYSQL_ROW row;
    int ran;
} my_stmt_t;

typedef struct my_db my_db_t;

/* One connection. */
struct my_conn {
    my_db_t *owner;
    MYSQL *m;
    int nonblock; /* lent to fibers: MariaDB's non-blocking calls, waits park the fiber */
    int depth;    /* open transactions on this connection (the handle's depth is SQLite's) */
    my_stmt_t stmt[DB_STMT_COUNT];
    long long changes;
    int tx_lost; /* the server ended the open transaction (deadlock, lost connection) */
    char err[512];
};

/* The handle's state: the blocking connection and, once a loop is attached, the pool. */
struct my_db {
    ec2gw_db_t *db;
    ec2gw_db_url_t url;
    char *password;
    my_conn_t *main;
    db_pool_t *pool;
    my_conn_t *opened[64]; /* the pool's connections, for close */
    char err[1100];        /* why a fiber got no connection */
};

#define MYDB(db) ((my_db_t *)(db)->conn)
#define MST(s)   ((my_stmt_t *)(s))

/** Note @p c's last error ("message (errno)") in c->err. */
void db_my_note(my_conn_t *c);
/** c->err, else the library's message. */
const char *db_my_conn_errmsg(my_conn_t *c);
/** Close and free @p c (NULL is fine). */
void db_my_conn_free(my_conn_t *c);
/** The connection the caller's statements run on (a fiber's own, borrowed on first use, else
 * the blocking one); NULL with x->err when none came free or connecting failed. */
my_conn_t *db_my_cur(ec2gw_db_t *db);
/** The caller's connection without borrowing one (NULL: a fiber that has none yet). */
my_conn_t *db_my_peek(ec2gw_db_t *db);
/** Send @p q (reconnecting once outside a transaction): 0 or the MySQL error number. */
unsigned db_my_query(my_conn_t *c, const char *q, size_t len);
/** db_my_query and drop any result. */
unsigned db_my_run(my_conn_t *c, const char *q);
/** mysql_store_result, parking the fiber on a non-blocking connection. */
MYSQL_RES *db_my_store_result(my_conn_t *c);
/** db_mysql.c: reset a statement (free its result and parameters). */
void db_my_stmt_reset(db_stmt_t *st);
/** db_mysql.c: roll back @p c's innermost transaction or savepoint. */
void db_my_rollback_conn(my_conn_t *c);

#endif
