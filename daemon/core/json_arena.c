/*
 * json_arena.c - jansson's allocator: per-request bump arenas over aligned mapped units, or the
 * heap (see json_arena.h).
 *
 * Why no header on heap blocks: callers free() json_dumps() results made outside requests, so
 * a heap allocation must stay a plain malloc block. Arena memory is told apart by address
 * instead: it is mapped in UNIT-aligned runs whose units are marked in a bitmap covering the
 * 47-bit user address space (16 MB reserved, a page touched per 32 GB of addresses in use).
 *
 * Sanitizer builds: each arena allocation carries its size and is poisoned when jansson frees
 * it; a dropped arena is poisoned whole and kept mapped in a bounded quarantine, so a value
 * kept past its request is an ASan use-after-poison report, not a stray read; live runs are
 * LeakSanitizer root regions (mapped memory is not scanned otherwise), dropped ones are not.
 */
#include "core/json_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <jansson.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define HDR            8 /* the allocation's size, to poison it when freed */
#define QUARANTINE_MAX ((size_t)64 << 20)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define HDR            0
#endif

#define UNIT_SHIFT 20
#define UNIT       ((size_t)1 << UNIT_SHIFT)
#define BIG        (UNIT / 4) /* larger allocations get a run of their own */
#define SPARES_MAX 64         /* standard runs kept for the next requests (trimmed when idle) */
#define ADDR_BITS  47
#define NUNITS     ((size_t)1 << (ADDR_BITS - UNIT_SHIFT))

/* One mapped run of UNIT-aligned memory; this header is its first bytes. */
struct run {
    struct run *next;
    size_t size;
};

struct ec2gw_json_arena {
    struct run *runs;
    char *cur, *end; /* the free part of the newest standard run */
    size_t used;
};

static ec2gw_json_arena_t *current;
static int heap_depth;
static uint64_t *unit_bits; /* NUNITS bits: 1 = the unit belongs to a live arena run */
static struct run *spares;
static size_t nspares, mapped;
#ifdef ARENA_ASAN
static struct run *quarantine, **quarantine_tail = &quarantine;
static size_t quarantined;
#endif

static void
mark(const struct run *r, int on)
{
    uintptr_t u = (uintptr_t)r >> UNIT_SHIFT;

    for (size_t i = 0; i < r->size >> UNIT_SHIFT; i++, u++) {
        if (on)
            unit_bits[u / 64] |= (uint64_t)1 << (u % 64);
        else
            unit_bits[u / 64] &= ~((uint64_t)1 << (u % 64));
    }
}

int
ec2gw_json_arena_owns(const void *p)
{
    uintptr_t u = (uintptr_t)p >> UNIT_SHIFT;

    return unit_bits != NULL && u < NUNITS && (unit_bits[u / 64] >> (u % 64)) & 1;
}

/* @p size bytes (a multiple of UNIT) at a UNIT-aligned address, or NULL. */
static struct run *
run_map(size_t size)
{
    char *p = mmap(NULL, size + UNIT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *start;
    size_t head;

    if (p == MAP_FAILED)
        return NULL;
    start = (char *)(((uintptr_t)p + UNIT - 1) & ~(uintptr_t)(UNIT - 1));
    head = (size_t)(start - p);
    if (head > 0)
        munmap(p, head);
    if (UNIT - head > 0)
        munmap(start + size, UNIT - head);
    if (((uintptr_t)start + size) >> ADDR_BITS != 0) { /* beyond the bitmap: not ours */
        munmap(start, size);
        return NULL;
    }
    mapped += size;
    ((struct run *)start)->size = size;
    return (struct run *)start;
}

static void
run_unmap(struct run *r)
{
    mapped -= r->size;
    UNPOISON(r, r->size); /* the addresses may be mapped again by anyone */
    munmap(r, r->size);
}

/* A live run: marked, a LeakSanitizer root, its free part poisoned until handed out. */
static struct run *
run_get(size_t size)
{
    struct run *r = NULL;

    if (size == UNIT && spares != NULL) {
        r = spares;
        spares = r->next;
        nspares--;
    } else {
        r = run_map(size);
    }
    if (r == NULL)
        return NULL;
    mark(r, 1);
#ifdef ARENA_ASAN
    __lsan_register_root_region(r, r->size);
#endif
    POISON((char *)r + sizeof(*r), r->size - sizeof(*r));
    return r;
}

/* A dropped run: unmarked; kept as a spare, quarantined (sanitizers) or unmapped. */
static void
run_put(struct run *r)
{
    mark(r, 0);
#ifdef ARENA_ASAN
    __lsan_unregister_root_region(r, r->size);
    POISON((char *)r + sizeof(*r), r->size - sizeof(*r));
    r->next = NULL;
    *quarantine_tail = r;
    quarantine_tail = &r->next;
    quarantined += r->size;
    while (quarantined > QUARANTINE_MAX && quarantine != NULL) {
        struct run *old = quarantine;

        quarantine = old->next;
        if (quarantine == NULL)
            quarantine_tail = &quarantine;
        quarantined -= old->size;
        run_unmap(old);
    }
#else
    if (r->size == UNIT && nspares < SPARES_MAX) {
        r->next = spares;
        spares = r;
        nspares++;
        return;
    }
    run_unmap(r);
#endif
}

static void *
arena_alloc(ec2gw_json_arena_t *a, size_t n)
{
    size_t need = (n + HDR + 7) & ~(size_t)7;
    char *p;

    if (need < n)
        return NULL;
    if (need > BIG) {
        size_t size = (need + sizeof(struct run) + UNIT - 1) & ~(UNIT - 1);
        struct run *r = size < need ? NULL : run_get(size);

        if (r == NULL)
            return NULL;
        /* behind the newest standard run, whose free tail stays in use */
        r->next = a->runs != NULL ? a->runs->next : NULL;
        if (a->runs != NULL)
            a->runs->next = r;
        else
            a->runs = r;
        p = (char *)r + sizeof(*r);
    } else {
        if ((size_t)(a->end - a->cur) < need) {
            struct run *r = run_get(UNIT);

            if (r == NULL)
                return NULL;
            r->next = a->runs;
            a->runs = r;
            a->cur = (char *)r + sizeof(*r);
            a->end = (char *)r + r->size;
        }
        p = a->cur;
        a->cur += need;
    }
    a->used += need;
    UNPOISON(p, HDR + n);
#ifdef ARENA_ASAN
    *(size_t *)p = n;
#endif
    return p + HDR;
}

static void *
json_alloc(size_t n)
{
    if (current != NULL && heap_depth == 0)
        return arena_alloc(current, n);
    return malloc(n);
}

void
ec2gw_json_free(void *p)
{
    if (p == NULL)
        return;
    if (!ec2gw_json_arena_owns(p)) {
        free(p);
        return;
    }
#ifdef ARENA_ASAN
    POISON((char *)p - HDR, HDR + *(size_t *)((char *)p - HDR));
#endif
}

char *
ec2gw_json_dumps(const json_t *v, size_t flags)
{
    char *text;

    heap_depth++;
    text = json_dumps(v, flags);
    heap_depth--;
    return text;
}

void
ec2gw_json_arena_init(void)
{
    static int done;

    if (done)
        return;
    unit_bits = mmap(NULL, NUNITS / 8, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (unit_bits == MAP_FAILED) {
        unit_bits = NULL; /* no arenas: everything on the heap */
        return;
    }
    json_set_alloc_funcs(json_alloc, ec2gw_json_free);
    done = 1;
}

static void
arena_drop(void *arg)
{
    ec2gw_json_arena_t *a = arg;

    if (current == a) /* a request freed inside its own callback: nothing may use it now */
        current = NULL;
    while (a->runs != NULL) {
        struct run *r = a->runs;

        a->runs = r->next;
        run_put(r);
    }
    a->cur = a->end = NULL;
}

ec2gw_json_arena_t *
ec2gw_json_arena_new(ec2gw_pool_t *pool)
{
    ec2gw_json_arena_t *a = ec2gw_pcalloc(pool, sizeof(*a));

    if (a == NULL || ec2gw_pool_on_cleanup(pool, arena_drop, a) != 0)
        return NULL;
    return a;
}

ec2gw_json_scope_t
ec2gw_json_arena_enter(ec2gw_json_arena_t *a)
{
    ec2gw_json_scope_t prev = { current, heap_depth };

    /* Without the bitmap (init not run or failed) there are no arenas. */
    if (unit_bits == NULL)
        a = NULL;
    if (a != current)
        heap_depth = 0;
    current = a;
    return prev;
}

void
ec2gw_json_arena_leave(ec2gw_json_scope_t prev)
{
    current = prev.arena;
    heap_depth = prev.heap_depth;
}

ec2gw_json_arena_t *
ec2gw_json_arena_current(void)
{
    return heap_depth == 0 ? current : NULL;
}

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

size_t
ec2gw_json_arena_used(const ec2gw_json_arena_t *a)
{
    return a != NULL ? a->used : 0;
}

size_t
ec2gw_json_arena_mapped(void)
{
    return mapped;
}

void
ec2gw_json_arena_trim(void)
{
    while (spares != NULL) {
        struct run *r = spares;

        spares = r->next;
        nspares--;
        run_unmap(r);
    }
}
