/*
 * db_pool.h - a worker's connections to a database server, lent to request fibers, and the
 * waits of a fiber on the loop (a connection's socket, or a free connection).
 *
 * A fiber borrows one connection for as long as it runs (db_mysql.c returns it when the fiber
 * ends), so a transaction never changes connection and a statement's connection is never
 * shared. When all are lent, fibers wait in FIFO order, each until its deadline: then the
 * request gets a retryable error rather than a hang. Connections are opened lazily by the
 * borrower: db_pool_get may hand out an empty slot.
 */
#ifndef EC2GW_DATA_DB_POOL_H
#define EC2GW_DATA_DB_POOL_H

struct event_base;

typedef struct db_pool db_pool_t;

/**
 * A pool of @p size connections (1-64) on @p base; a fiber waits at most @p wait_ms for one,
 * and at most @p max_waiters fibers wait at once. NULL when out of memory.
 */
db_pool_t *db_pool_new(struct event_base *base, int size, int max_waiters, int wait_ms);

/** Free the pool (no fiber may be waiting). The connections are the caller's to close. */
void db_pool_free(db_pool_t *p);

/**
 * In a fiber: a connection for it. 0 with *conn a free connection, or with *conn NULL for an
 * empty slot the caller opens a connection in (or gives back with db_pool_put(p, NULL)).
 * EC2GW_E_DB when none came free before the deadline or too many fibers wait (the fiber is
 * noted EC2GW_FIBER_NOTE_BUSY); EC2GW_E_STATE outside a fiber.
 */
int db_pool_get(db_pool_t *p, void **conn);

/** Give back @p conn (NULL: the slot, its connection closed): the longest waiter gets it. */
void db_pool_put(db_pool_t *p, void *conn);

/** Slots lent, fibers waiting, waits that timed out. */
int db_pool_lent(const db_pool_t *p);
int db_pool_waiting(const db_pool_t *p);
unsigned long db_pool_timeouts(const db_pool_t *p);

/**
 * In a fiber: park until @p fd is ready for @p what (EV_READ|EV_WRITE) or @p timeout_ms pass
 * (< 0: no timeout). Returns the EV_* bits that fired (EV_TIMEOUT on timeout), or 0 outside a
 * fiber or when the event could not be made.
 */
short db_pool_wait_fd(db_pool_t *p, int fd, short what, int timeout_ms);

#endif
