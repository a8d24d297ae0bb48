/* json_arena.c - jansson allocation scopes (see json_arena.h). */
#include "json_arena.h"

/* Until request arenas exist every value lives on the heap; the scope only counts. */
static int heap_depth;

void
ec2gw_json_heap_push(void)
{
    heap_depth++;
}

void
ec2gw_json_heap_pop(void)
{
    if (heap_depth > 0)
        heap_depth--;
}
