/* mem_trim.c - trim the heap and the arenas' spares when the loop goes idle (mem_trim.h). */
#include "server/mem_trim.h"

#include <malloc.h>

#include <event2/event.h>

#include "core/json_arena.h"

static struct event *timer;
static struct event_base *timer_base;
static ec2gw_daemon_t *timer_daemon;
static int wanted;
static unsigned long trims;

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    /* busy again: the next request to end re-arms */
    if (timer_daemon->in_flight > 0)
        return;
    ec2gw_json_arena_trim();
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    wanted = 0;
    trims++;
}

void
ec2gw_mem_trim_note(ec2gw_daemon_t *d, size_t bytes)
{
    struct timeval tv = { 0, EC2GW_MEM_TRIM_IDLE_MS * 1000 };

    /* spares alone count too: many small answers at once may leave a pile of them */
    if (bytes >= EC2GW_MEM_TRIM_BYTES || ec2gw_json_arena_mapped() >= EC2GW_MEM_TRIM_BYTES)
        wanted = 1;
    if (!wanted || d->in_flight > 0 || d->base == NULL)
        return;
    /* a worker's loop is its own (after fork): the timer follows the base */
    if (timer == NULL || timer_base != d->base) {
        timer = evtimer_new(d->base, on_idle, NULL);
        timer_base = d->base;
        if (timer == NULL)
            return;
    }
    timer_daemon = d;
    evtimer_add(timer, &tv);
}

unsigned long
ec2gw_mem_trim_count(void)
{
    return trims;
}
