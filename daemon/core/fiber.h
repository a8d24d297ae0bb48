/*
 * fiber.h - request fibers: plugin code run on a stack of its own, so that a synchronous call
 * deep inside it (a MySQL statement) can park the request and hand the loop back until a
 * socket is ready, instead of making every other request of the worker wait.
 *
 * One thread, cooperative: a fiber runs from ec2gw_fiber_start or ec2gw_fiber_resume (called on
 * the loop's stack only) until its function returns or it calls ec2gw_fiber_yield. Fibers do not
 * nest: starting or resuming one from inside a fiber is refused (EC2GW_E_STATE). Stacks are
 * mmap'ed with a PROT_NONE guard page below them (an overflow faults instead of overwriting the
 * heap) and kept for reuse. The JSON arena state (json_arena.h) is per fiber: switching saves
 * one side's and restores the other's. ASan builds annotate every switch.
 */
#ifndef EC2GW_CORE_FIBER_H
#define EC2GW_CORE_FIBER_H

#include <stddef.h>

typedef struct ec2gw_fiber ec2gw_fiber_t;
typedef void (*ec2gw_fiber_fn)(void *arg);

/** Bytes of argument ec2gw_fiber_start copies into the fiber. */
#define EC2GW_FIBER_ARG_MAX 64

/** Note of ec2gw_fiber_note: a shared resource was busy, an error the fiber's work gets is
 * retryable (the database's connection pool or a row lock timed out). */
#define EC2GW_FIBER_NOTE_BUSY 1u

/**
 * Run fn(copy of @p arg) on a new fiber now, until it returns or yields. 0 (ended or
 * suspended), EC2GW_E_STATE inside a fiber, EC2GW_E_INVAL when @p len exceeds
 * EC2GW_FIBER_ARG_MAX, EC2GW_E_NOMEM when no stack could be mapped.
 */
int ec2gw_fiber_start(ec2gw_fiber_fn fn, const void *arg, size_t len);

/** The fiber running now, NULL on the loop's own stack. */
ec2gw_fiber_t *ec2gw_fiber_self(void);

/** Suspend the running fiber: back to the loop until someone resumes it. */
void ec2gw_fiber_yield(void);

/** Continue a suspended fiber (on the loop's stack only). 0, or EC2GW_E_STATE. */
int ec2gw_fiber_resume(ec2gw_fiber_t *f);

/**
 * The running fiber's one local value (NULL on the loop), and setting it with the function that
 * releases it when the fiber ends (still on the fiber: it may yield).
 */
void *ec2gw_fiber_local(void);
void ec2gw_fiber_set_local(void *value, void (*release)(void *value));
/** Release the running fiber's local value now (before a long wait) and clear it. */
void ec2gw_fiber_release_local(void);

/** Add @p bits to the running fiber's notes (nothing on the loop); read them. */
void ec2gw_fiber_note(unsigned bits);
unsigned ec2gw_fiber_notes(void);

/** Usable stack bytes per fiber; fibers alive now (suspended or running); stacks kept. */
size_t ec2gw_fiber_stack_size(void);
int ec2gw_fiber_alive(void);
int ec2gw_fiber_cached(void);

/** Tests: the first byte of @p f's guard page (lowest address below its stack). */
const void *ec2gw_fiber_guard(const ec2gw_fiber_t *f);

/** 1 when this build annotates switches for AddressSanitizer. */
int ec2gw_fiber_asan_annotated(void);

#endif
