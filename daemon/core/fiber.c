/*
 * fiber.c - ucontext fibers with guarded mmap'ed stacks (fiber.h).
 */
#include "core/fiber.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/err.h"
#include "core/json_arena.h"
#include "core/log.h"

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif

#ifdef FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
/* ASan's frames are larger: a plugin call chain needs about three times the stack. */
#define FIBER_STACK (1024 * 1024)
#else
#define FIBER_STACK (256 * 1024)
#endif

/* Stacks kept for the next fibers: enough for the requests a busy worker parks at once. */
#define FIBER_CACHE_MAX 32

struct ec2gw_fiber {
    ucontext_t ctx;
    void *map; /* guard page + stack */
    size_t map_len;
    char *stack;
    size_t stack_len;
    ec2gw_fiber_fn fn;
    _Alignas(max_align_t) unsigned char arg[EC2GW_FIBER_ARG_MAX];
    int done;
    void *local;
    void (*release)(void *);
    unsigned notes;
    ec2gw_json_scope_t js; /* the fiber's JSON arena state while it is switched out */
    ec2gw_fiber_t *next_free;
#ifdef FIBER_ASAN
    void *fake_stack;
#endif
};

static ucontext_t loop_ctx;
static ec2gw_fiber_t *cur;
static ec2gw_fiber_t *cache;
static int ncached, nalive;
#ifdef FIBER_ASAN
static const void *loop_bottom;
static size_t loop_size;
#endif

int
ec2gw_fiber_asan_annotated(void)
{
#ifdef FIBER_ASAN
    return 1;
#else
    return 0;
#endif
}

size_t
ec2gw_fiber_stack_size(void)
{
    return FIBER_STACK;
}

int
ec2gw_fiber_alive(void)
{
    return nalive;
}

int
ec2gw_fiber_cached(void)
{
    return ncached;
}

const void *
ec2gw_fiber_guard(const ec2gw_fiber_t *f)
{
    return f->map;
}

ec2gw_fiber_t *
ec2gw_fiber_self(void)
{
    return cur;
}

static ec2gw_fiber_t *
fiber_alloc(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    ec2gw_fiber_t *f;
    void *map;

    if (cache != NULL) {
        f = cache;
        cache = f->next_free;
        ncached--;
        return f;
    }
    map = mmap(NULL, FIBER_STACK + page, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    if (mprotect(map, page, PROT_NONE) != 0) {
        munmap(map, FIBER_STACK + page);
        return NULL;
    }
    /* The fiber's own record sits at the top of its stack: one mapping per fiber. */
    f = (ec2gw_fiber_t *)((char *)map + FIBER_STACK + page - sizeof(*f));
    f = (ec2gw_fiber_t *)((uintptr_t)f & ~(uintptr_t)63);
    memset(f, 0, sizeof(*f));
    f->map = map;
    f->map_len = FIBER_STACK + page;
    f->stack = (char *)map + page;
    f->stack_len = (size_t)((char *)f - f->stack);
    return f;
}

static void
fiber_free(ec2gw_fiber_t *f)
{
    if (ncached < FIBER_CACHE_MAX) {
        f->next_free = cache;
        cache = f;
        ncached++;
        return;
    }
    munmap(f->map, f->map_len);
}

/* Loop -> fiber, until it yields or ends. */
static void
switch_in(ec2gw_fiber_t *f)
{
    ec2gw_json_scope_t loop_js = ec2gw_json_arena_enter(NULL);
#ifdef FIBER_ASAN
    void *fake = NULL;
#endif

    ec2gw_json_arena_leave(f->js);
    cur = f;
#ifdef FIBER_ASAN
    __sanitizer_start_switch_fiber(&fake, f->stack, f->stack_len);
#endif
    swapcontext(&loop_ctx, &f->ctx);
#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    cur = NULL;
    ec2gw_json_arena_leave(loop_js);
    if (f->done) {
        nalive--;
        fiber_free(f);
    }
}

/* Fiber -> loop. @p dying: the fiber never runs again (ASan drops its fake stack). */
static void
switch_out(ec2gw_fiber_t *f, int dying)
{
    f->js = ec2gw_json_arena_enter(NULL);
#ifdef FIBER_ASAN
    __sanitizer_start_switch_fiber(dying ? NULL : &f->fake_stack, loop_bottom, loop_size);
#else
    (void)dying;
#endif
    swapcontext(&f->ctx, &loop_ctx);
#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(f->fake_stack, &loop_bottom, &loop_size);
#endif
}

static void
fiber_main(void)
{
    ec2gw_fiber_t *f = cur;

#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(NULL, &loop_bottom, &loop_size);
#endif
    f->fn(f->arg);
    if (f->release != NULL && f->local != NULL)
        f->release(f->local);
    f->local = NULL;
    f->release = NULL;
    f->done = 1;
    switch_out(f, 1);
    /* not reached: a done fiber is never resumed */
}

int
ec2gw_fiber_start(ec2gw_fiber_fn fn, const void *arg, size_t len)
{
    ec2gw_fiber_t *f;
    ec2gw_json_scope_t js;

    if (cur != NULL)
        return EC2GW_E_STATE;
    if (len > EC2GW_FIBER_ARG_MAX)
        return EC2GW_E_INVAL;
    if ((f = fiber_alloc()) == NULL)
        return EC2GW_E_NOMEM;
    if (getcontext(&f->ctx) != 0) {
        fiber_free(f);
        return EC2GW_E_FAIL;
    }
    f->ctx.uc_stack.ss_sp = f->stack;
    f->ctx.uc_stack.ss_size = f->stack_len;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, fiber_main, 0);
    f->fn = fn;
    if (len > 0)
        memcpy(f->arg, arg, len);
    f->done = 0;
    f->local = NULL;
    f->release = NULL;
    f->notes = 0;
#ifdef FIBER_ASAN
    f->fake_stack = NULL;
#endif
    /* The fiber starts with the caller's JSON arena current. */
    js = ec2gw_json_arena_enter(NULL);
    ec2gw_json_arena_leave(js);
    f->js = js;
    nalive++;
    switch_in(f);
    return 0;
}

void
ec2gw_fiber_yield(void)
{
    if (cur == NULL) {
        ec2gw_log(EC2GW_LOG_ERROR, "fiber", "yield outside a fiber ignored");
        return;
    }
    switch_out(cur, 0);
}

int
ec2gw_fiber_resume(ec2gw_fiber_t *f)
{
    if (cur != NULL || f == NULL || f->done)
        return EC2GW_E_STATE;
    switch_in(f);
    return 0;
}

void *
ec2gw_fiber_local(void)
{
    return cur != NULL ? cur->local : NULL;
}

void
ec2gw_fiber_set_local(void *value, void (*release)(void *value))
{
    if (cur == NULL)
        return;
    cur->local = value;
    cur->release = release;
}

void
ec2gw_fiber_release_local(void)
{
    void *v;

    if (cur == NULL || (v = cur->local) == NULL)
        return;
    cur->local = NULL;
    if (cur->release != NULL)
        cur->release(v);
    cur->release = NULL;
}

void
ec2gw_fiber_note(unsigned bits)
{
    if (cur != NULL)
        cur->notes |= bits;
}

unsigned
ec2gw_fiber_notes(void)
{
    return cur != NULL ? cur->notes : 0;
}
