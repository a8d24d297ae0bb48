/*
 * json_arena.h - where jansson allocates: the current request's arena, or the heap.
 *
 * jansson's allocator is process-global (json_set_alloc_funcs); the daemon points it here
 * once at start (ec2gw_json_arena_init). While a request's arena is current (entered where
 * the daemon runs a request's code: handler, OpenStack completions, timers), new JSON values
 * are bump-allocated in the arena, freeing one is a no-op, and the whole arena goes when the
 * request's pool is freed. With no arena current, or inside a heap scope, they live on the
 * heap. Anything kept across requests (caches, shared OpenStack answers, Keystone tokens)
 * must be built inside ec2gw_json_heap_push()/ec2gw_json_heap_pop().
 *
 * Arena memory is mapped in aligned units marked in a bitmap, so jansson's free tells arena
 * from heap by address, without a header: heap values stay plain malloc blocks. A string from
 * json_dumps() made while an arena is current lives in the arena: release json_dumps()
 * results with ec2gw_json_free(), never free().
 */
#ifndef EC2GW_CORE_JSON_ARENA_H
#define EC2GW_CORE_JSON_ARENA_H

#include <stddef.h>

#include <jansson.h>

#include "core/pool.h"

typedef struct ec2gw_json_arena ec2gw_json_arena_t;

/** What ec2gw_json_arena_enter replaced, for ec2gw_json_arena_leave. */
typedef struct ec2gw_json_scope {
    ec2gw_json_arena_t *arena;
    int heap_depth;
} ec2gw_json_scope_t;

/** Point jansson at the arena allocator. Once, before any JSON is made; idempotent. */
void ec2gw_json_arena_init(void);

/**
 * A new arena dropped when @p pool is freed (a cleanup registered now: register it before any
 * cleanup that drops JSON of the arena, as cleanups run newest first). Maps nothing until
 * used. Returns pool memory, or NULL when out of memory.
 */
ec2gw_json_arena_t *ec2gw_json_arena_new(ec2gw_pool_t *pool);

/**
 * Make @p a current (NULL: the heap). Entering another arena than the current one starts with
 * no heap scope open (a heap scope belongs to the code that opened it).
 */
ec2gw_json_scope_t ec2gw_json_arena_enter(ec2gw_json_arena_t *a);
/** Restore what ec2gw_json_arena_enter replaced. */
void ec2gw_json_arena_leave(ec2gw_json_scope_t prev);
/** The current arena (NULL: none, or a heap scope is open). */
ec2gw_json_arena_t *ec2gw_json_arena_current(void);

/** Begin a heap scope: new JSON values go to the heap until the matching pop. Nestable. */
void ec2gw_json_heap_push(void);
/** End the innermost heap scope. */
void ec2gw_json_heap_pop(void);

/** 1 when @p p points into memory of a live arena. */
int ec2gw_json_arena_owns(const void *p);

/** Release memory from jansson (json_dumps results): a no-op in an arena, else free(). */
void ec2gw_json_free(void *p);

/** json_dumps() made on the heap: the caller free()s the result, as jansson documents. */
char *ec2gw_json_dumps(const json_t *v, size_t flags);

/** Bytes this arena has handed out (the size of the request's JSON). */
size_t ec2gw_json_arena_used(const ec2gw_json_arena_t *a);
/** Bytes mapped by all arenas, spare units included. */
size_t ec2gw_json_arena_mapped(void);
/** Unmap the spare units kept for the next requests (when the loop is idle). */
void ec2gw_json_arena_trim(void);

#endif
