/*
 * test_fiber.c - request fibers (daemon/core/fiber.c): switching in and out, nested starts and
 * resumes refused, the fiber's local value released at its end, the JSON arena kept per
 * fiber, the guard page below each stack, stacks reused, ASan's annotations in ASan builds.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/err.h"
#include "core/fiber.h"
#include "core/json_arena.h"
#include "core/pool.h"

static ec2gw_fiber_t *parked[8];
static char trace[64];

static void
add(char c)
{
    size_t n = strlen(trace);

    trace[n] = c;
    trace[n + 1] = '\0';
}

typedef struct {
    char name;
    int yields;
    int slot;
} step_arg_t;

/* Writes name, yields n times (writing name each time it comes back), ends. */
static void
stepper(void *arg)
{
    step_arg_t a = *(step_arg_t *)arg;
    volatile char scratch[4096]; /* stack that ASan poisons and must see unpoisoned on return */

    memset((char *)scratch, a.name, sizeof(scratch));
    add(a.name);
    for (int i = 0; i < a.yields; i++) {
        parked[a.slot] = ec2gw_fiber_self();
        ec2gw_fiber_yield();
        assert_int_equal(scratch[i * 100], a.name);
        add(a.name);
    }
    parked[a.slot] = NULL;
}

static void
test_switching(void **state)
{
    step_arg_t a = { 'a', 2, 0 }, b = { 'b', 1, 1 };

    (void)state;
    trace[0] = '\0';
    assert_null(ec2gw_fiber_self());
    assert_int_equal(ec2gw_fiber_start(stepper, &a, sizeof(a)), 0);
    assert_int_equal(ec2gw_fiber_start(stepper, &b, sizeof(b)), 0);
    assert_int_equal(ec2gw_fiber_alive(), 2);
    assert_string_equal(trace, "ab");
    assert_int_equal(ec2gw_fiber_resume(parked[1]), 0); /* b ends */
    assert_int_equal(ec2gw_fiber_resume(parked[0]), 0);
    assert_int_equal(ec2gw_fiber_resume(parked[0]), 0); /* a ends */
    assert_string_equal(trace, "abbaa");
    assert_int_equal(ec2gw_fiber_alive(), 0);
    assert_true(ec2gw_fiber_cached() >= 2); /* stacks kept for the next fibers */
}

static int nested_rc, resume_rc;

static void
nester(void *arg)
{
    (void)arg;
    nested_rc = ec2gw_fiber_start(stepper, &(step_arg_t){ 'n', 0, 2 }, sizeof(step_arg_t));
    resume_rc = ec2gw_fiber_resume(parked[3]);
}

static void
test_nested_refused(void **state)
{
    step_arg_t p = { 'p', 1, 3 };
    char big[EC2GW_FIBER_ARG_MAX + 1] = { 0 };

    (void)state;
    assert_int_equal(ec2gw_fiber_start(stepper, &p, sizeof(p)), 0);
    assert_non_null(parked[3]);
    assert_int_equal(ec2gw_fiber_start(nester, NULL, 0), 0);
    assert_int_equal(nested_rc, EC2GW_E_STATE);
    assert_int_equal(resume_rc, EC2GW_E_STATE);
    assert_int_equal(ec2gw_fiber_start(stepper, big, sizeof(big)), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_fiber_resume(NULL), EC2GW_E_STATE);
    ec2gw_fiber_yield(); /* on the loop: ignored (logged) */
    assert_int_equal(ec2gw_fiber_resume(parked[3]), 0);
    assert_null(parked[3]);
    assert_int_equal(ec2gw_fiber_alive(), 0);
}

static int released;
static void
release(void *v)
{
    released += *(int *)v;
}

static void
with_local(void *arg)
{
    static int value = 7;

    (void)arg;
    ec2gw_fiber_set_local(&value, release);
    ec2gw_fiber_note(EC2GW_FIBER_NOTE_BUSY);
    parked[4] = ec2gw_fiber_self();
    ec2gw_fiber_yield();
    assert_ptr_equal(ec2gw_fiber_local(), &value);
    assert_int_equal(ec2gw_fiber_notes(), EC2GW_FIBER_NOTE_BUSY);
}

static void
test_local_released_at_end(void **state)
{
    (void)state;
    released = 0;
    assert_int_equal(ec2gw_fiber_start(with_local, NULL, 0), 0);
    assert_null(ec2gw_fiber_local()); /* the loop has none */
    assert_int_equal(ec2gw_fiber_notes(), 0);
    assert_int_equal(released, 0);
    assert_int_equal(ec2gw_fiber_resume(parked[4]), 0);
    assert_int_equal(released, 7);
}

static ec2gw_json_arena_t *arena_b;

static void
arena_user(void *arg)
{
    ec2gw_json_arena_t *mine = *(ec2gw_json_arena_t **)arg;

    assert_ptr_equal(ec2gw_json_arena_current(), mine); /* inherited from the starter */
    (void)ec2gw_json_arena_enter(arena_b);
    parked[5] = ec2gw_fiber_self();
    ec2gw_fiber_yield();
    assert_ptr_equal(ec2gw_json_arena_current(), arena_b); /* its own again */
    json_t *v = json_string("in arena b");
    assert_true(ec2gw_json_arena_owns(v));
    json_decref(v);
}

static void
test_json_arena_per_fiber(void **state)
{
    ec2gw_pool_t *pool = ec2gw_pool_new(4096);
    ec2gw_json_arena_t *a;
    ec2gw_json_scope_t js;

    (void)state;
    ec2gw_json_arena_init();
    a = ec2gw_json_arena_new(pool);
    arena_b = ec2gw_json_arena_new(pool);
    js = ec2gw_json_arena_enter(a);
    assert_int_equal(ec2gw_fiber_start(arena_user, &a, sizeof(a)), 0);
    assert_ptr_equal(ec2gw_json_arena_current(), a); /* the loop's, not the parked fiber's */
    ec2gw_json_arena_leave(js);
    assert_null(ec2gw_json_arena_current());
    assert_int_equal(ec2gw_fiber_resume(parked[5]), 0);
    assert_null(ec2gw_json_arena_current());
    ec2gw_pool_free(pool);
}

/* The guard page: a write below the stack faults (here: at the guard's first byte). */
static const void *guard;
static void
on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    _exit(si->si_addr == guard ? 42 : 43);
}

static void
guard_writer(void *arg)
{
    (void)arg;
    guard = ec2gw_fiber_guard(ec2gw_fiber_self());
    *(volatile char *)guard = 1;
}

static void
test_stack_guard(void **state)
{
    struct sigaction sa = { 0 };
    pid_t pid;
    int st = 0;

    (void)state;
    assert_true(ec2gw_fiber_stack_size() >= 256 * 1024);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        ec2gw_fiber_start(guard_writer, NULL, 0);
        _exit(0); /* the write did not fault: no guard */
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
}

static void
test_asan_annotations(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    assert_int_equal(ec2gw_fiber_asan_annotated(), 1);
#else
    assert_int_equal(ec2gw_fiber_asan_annotated(), 0);
#endif
    /* Many interleaved fibers with poisoned stack frames: wrong annotations make ASan report. */
    for (int round = 0; round < 50; round++) {
        step_arg_t a = { 'x', 1, 6 }, b = { 'y', 1, 7 };

        trace[0] = '\0';
        assert_int_equal(ec2gw_fiber_start(stepper, &a, sizeof(a)), 0);
        assert_int_equal(ec2gw_fiber_start(stepper, &b, sizeof(b)), 0);
        assert_int_equal(ec2gw_fiber_resume(parked[6]), 0);
        assert_int_equal(ec2gw_fiber_resume(parked[7]), 0);
    }
    assert_int_equal(ec2gw_fiber_alive(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switching),
        cmocka_unit_test(test_nested_refused),
        cmocka_unit_test(test_local_released_at_end),
        cmocka_unit_test(test_json_arena_per_fiber),
        cmocka_unit_test(test_stack_guard),
        cmocka_unit_test(test_asan_annotations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
