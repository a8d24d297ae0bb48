/*
 * json_arena.h - where jansson allocates: the current request's arena, or the heap.
 *
 * jansson's allocator is process-global (json_set_alloc_funcs); the daemon points it here
 * once at start. While a request's arena is current, new JSON values live in it and vanish
 * when the request's pool is freed; with no arena current, or inside a heap scope, they live
 * on the heap. Anything kept across requests (caches, shared OpenStack answers, Keystone
 * tokens) must be built inside ec2gw_json_heap_push()/ec2gw_json_heap_pop().
 */
#ifndef EC2GW_CORE_JSON_ARENA_H
#define EC2GW_CORE_JSON_ARENA_H

/** Begin a heap scope: new JSON values go to the heap until the matching pop. Nestable. */
void ec2gw_json_heap_push(void);
/** End the innermost heap scope. */
void ec2gw_json_heap_pop(void);

#endif
