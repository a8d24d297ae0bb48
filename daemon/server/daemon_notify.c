/*
 * daemon_notify.c - what a serving process tells systemd and the supervisor: READY with a
 * STATUS line, the loop's heartbeat (WATCHDOG=1 from the loop itself in a single process, a
 * timestamp in the shared metrics slot that the supervisor checks with workers), and SIGUSR1,
 * which reopens the access log (logrotate's postrotate).
 */
#include <signal.h>

#include <event2/event.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "ops/metrics_shm.h"
#include "ops/notify.h"
#include "server/daemon.h"

/* Workers beat this often; the supervisor allows a watchdog period without a beat. */
#define WORKER_BEAT_MS 250

static void
on_beat(evutil_socket_t fd, short what, void *arg)
{
    ec2gw_daemon_t *d = arg;

    (void)fd;
    (void)what;
    ec2gw_metrics_heartbeat(ec2gw_monotonic_ms());
    /* From the loop: a loop stuck in a handler stops the pings and systemd restarts us. */
    if (d->worker_id == 0)
        ec2gw_notify("WATCHDOG=1");
}

static void
on_sigusr1(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    ec2gw_log_reopen();
}

int
ec2gw_daemon_notify_setup(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    uint64_t wd = d->worker_id == 0 ? ec2gw_notify_watchdog_usec() : 0;
    struct timeval every = { 0, WORKER_BEAT_MS * 1000 };

    ec2gw_metrics_use_slot(d->worker_id);
    ec2gw_metrics_set_generation(d->gen->id);
    d->sig_usr1 = evsignal_new(d->base, SIGUSR1, on_sigusr1, d);
    if (d->sig_usr1 == NULL || evsignal_add(d->sig_usr1, NULL) != 0)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "cannot watch SIGUSR1");
    /* A worker was forked with both blocked (workers.c); the loop handles them from now. */
    sigset_t both;

    sigemptyset(&both);
    sigaddset(&both, SIGHUP);
    sigaddset(&both, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &both, NULL);
    if (d->worker_id == 0 && wd == 0)
        return 0; /* nobody reads the heartbeat */
    if (wd != 0) {
        every.tv_sec = (time_t)(wd / 2 / 1000000);
        every.tv_usec = (suseconds_t)(wd / 2 % 1000000);
    }
    d->heartbeat = event_new(d->base, -1, EV_PERSIST, on_beat, d);
    if (d->heartbeat == NULL || event_add(d->heartbeat, &every) != 0)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "cannot start the heartbeat timer");
    return 0;
}

void
ec2gw_daemon_notify_ready(ec2gw_daemon_t *d)
{
    const ec2gw_daemon_conf_t *c = &d->gen->conf;

    ec2gw_metrics_heartbeat(ec2gw_monotonic_ms()); /* the supervisor's "this worker serves" */
    if (d->worker_id == 0)
        ec2gw_notify("READY=1\nSTATUS=serving EC2 on http://%s:%lld, configuration generation %lu",
                     c->listen_address, (long long)c->listen_port, d->gen->id);
}

void
ec2gw_daemon_notify_free(ec2gw_daemon_t *d)
{
    if (d->sig_usr1 != NULL)
        event_free(d->sig_usr1);
    if (d->heartbeat != NULL)
        event_free(d->heartbeat);
    d->sig_usr1 = d->heartbeat = NULL;
}
