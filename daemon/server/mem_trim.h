/*
 * mem_trim.h - give memory back after large answers: once the loop has had no request in
 * flight for a moment, unmap the JSON arenas' spare units and malloc_trim(0). Not per request:
 * trimming costs a walk of the heap and a page fault per page reused afterwards.
 */
#ifndef EC2GW_SERVER_MEM_TRIM_H
#define EC2GW_SERVER_MEM_TRIM_H

#include <stddef.h>

#include "server/daemon.h"

/** Requests that held at least this many bytes (JSON and pool) ask for a trim. */
#define EC2GW_MEM_TRIM_BYTES ((size_t)4 << 20)
/** How long the loop must stay without a request in flight before trimming. */
#define EC2GW_MEM_TRIM_IDLE_MS 500

/** A request that held @p bytes ended (call after d->in_flight was decremented). */
void ec2gw_mem_trim_note(ec2gw_daemon_t *d, size_t bytes);

/** Trims done so far (tests). */
unsigned long ec2gw_mem_trim_count(void);

#endif
