/*
 * workers.c - listen.workers > 1: pre-forked serving processes sharing one listening socket
 * (bound by the parent, so a second ec2gwd on the same port fails instead of silently sharing,
 * as SO_REUSEPORT would allow). The parent only supervises: it forwards SIGHUP and SIGTERM,
 * restarts a worker that died unexpectedly, and exits when every worker has stopped.
 * Each worker has its own loop and Keystone cache; they share the SQLite database and the
 * metrics region (metrics_shm.h), mapped here before the first fork.
 *
 * The supervisor is systemd's main process, so it alone notifies (NotifyAccess=main): READY
 * once every worker has started its loop, RELOADING/READY around a SIGHUP until every worker
 * has acknowledged it, STOPPING, and WATCHDOG=1 only while every worker's loop heartbeat is
 * fresh: a worker stuck in a handler withholds the pings and systemd restarts the service.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "ops/metrics_shm.h"
#include "ops/notify.h"
#include "server/daemon.h"

#define MAX_WORKERS    64
#define RELOAD_WAIT_MS 30000 /* READY=1 after a SIGHUP at the latest */

static volatile sig_atomic_t got_term, got_hup, got_usr1;

/* What the supervisor tracks for systemd. */
typedef struct sup {
    int ready_sent, reloading, n;
    unsigned long hups; /**< SIGHUPs forwarded so far */
    const pid_t *pids;  /**< the workers forked (0: none in that slot now) */
    uint64_t reload_deadline, next_ping, wd_ms;
    uint64_t hup_target[MAX_WORKERS];
    int stale_said[MAX_WORKERS];
} sup_t;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGUSR1)
        got_usr1 = 1;
    else if (sig != SIGCHLD)
        got_term = 1;
}

/* A worker's slot once it has gone: its gauges no longer count. */
static void
clear_slot(int i)
{
    ec2gw_mslot_t *s = ec2gw_metrics_slot(i);

    if (s == NULL)
        return;
    EC2GW_MSTORE(&s->pid, 0);
    EC2GW_MSTORE(&s->heartbeat_ms, 0);
    EC2GW_MSTORE(&s->connections, 0);
    EC2GW_MSTORE(&s->in_flight, 0);
}

/* 1 when every worker forked has taken its slot and runs its loop. */
static int
all_started(const sup_t *s)
{
    for (int i = 0; i < s->n; i++) {
        ec2gw_mslot_t *w = ec2gw_metrics_slot(i);

        if (s->pids[i] != 0 &&
            (EC2GW_MLOAD(&w->pid) != s->pids[i] || EC2GW_MLOAD(&w->heartbeat_ms) == 0))
            return 0;
    }
    return 1;
}

static int
all_reloaded(const sup_t *s)
{
    for (int i = 0; i < s->n; i++) {
        ec2gw_mslot_t *w = ec2gw_metrics_slot(i);

        if (EC2GW_MLOAD(&w->pid) != 0 &&
            __atomic_load_n(&w->hups_done, __ATOMIC_ACQUIRE) < s->hup_target[i])
            return 0;
    }
    return 1;
}

/* The loops are alive when no started worker's heartbeat is older than the watchdog period. */
static int
loops_alive(sup_t *s, uint64_t now)
{
    int ok = 1;

    for (int i = 0; i < s->n; i++) {
        ec2gw_mslot_t *w = ec2gw_metrics_slot(i);
        uint64_t beat = EC2GW_MLOAD(&w->heartbeat_ms);
        int stale = EC2GW_MLOAD(&w->pid) != 0 && beat != 0 && now - beat > s->wd_ms;

        if (stale && !s->stale_said[i])
            ec2gw_log(EC2GW_LOG_ERROR, NULL,
                      "worker %d (pid %d): its loop has not run for %llu ms; withholding the "
                      "systemd watchdog ping",
                      i + 1, (int)EC2GW_MLOAD(&w->pid), (unsigned long long)(now - beat));
        s->stale_said[i] = stale;
        ok &= !stale;
    }
    return ok;
}

/* systemd's part of one supervisor pass; returns how long to sleep (ms). */
static int
supervise(sup_t *s, const ec2gw_daemon_t *d)
{
    uint64_t now = ec2gw_monotonic_ms();
    int wait = 1000;

    if (!s->ready_sent && all_started(s)) {
        s->ready_sent = 1;
        ec2gw_notify("READY=1\nSTATUS=serving EC2 on http://%s:%lld with %d workers",
                     d->gen->conf.listen_address, (long long)d->gen->conf.listen_port, s->n);
    }
    if (s->reloading && (all_reloaded(s) || now >= s->reload_deadline)) {
        s->reloading = 0;
        ec2gw_notify("READY=1\nSTATUS=serving with %d workers (%s)", s->n,
                     now >= s->reload_deadline ? "some workers did not confirm the reload"
                                               : "reloaded");
    }
    if (s->wd_ms != 0 && now >= s->next_ping) {
        if (loops_alive(s, now))
            ec2gw_notify("WATCHDOG=1");
        s->next_ping = now + s->wd_ms / 2;
    }
    if (!s->ready_sent || s->reloading)
        wait = 50;
    if (s->wd_ms != 0 && (uint64_t)wait > s->wd_ms / 4)
        wait = (int)(s->wd_ms / 4 > 0 ? s->wd_ms / 4 : 1);
    return wait;
}

static void
begin_reload(sup_t *s)
{
    ec2gw_notify_reloading();
    for (int i = 0; i < s->n; i++)
        s->hup_target[i] = __atomic_load_n(&ec2gw_metrics_slot(i)->hups_done, __ATOMIC_ACQUIRE) + 1;
    s->reloading = 1;
    s->reload_deadline = ec2gw_monotonic_ms() + RELOAD_WAIT_MS;
}

/* Fork worker @p id: returns its pid in the parent, 0 in the child. */
static pid_t
spawn(ec2gw_daemon_t *d, int id, const sigset_t *old_mask)
{
    pid_t pid = fork();

    if (pid == 0) {
        ec2gw_notify_disable(); /* only the main process may notify */
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        /* SIGHUP and SIGUSR1 stay blocked until the loop watches them (daemon_notify.c): one
         * sent while the worker starts is handled then, instead of killing it. */
        sigset_t mask = *old_mask;

        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        d->worker_id = id;
    }
    return pid;
}

static void
signal_all(const pid_t *pids, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], sig);
}

int
ec2gw_workers_run(ec2gw_daemon_t *d, ec2gw_err_t *err)
{
    int n = (int)d->gen->conf.workers, alive = 0;
    pid_t pids[MAX_WORKERS] = { 0 };
    struct sigaction sa = { .sa_handler = on_signal };
    sigset_t block, old;
    time_t last_restart = 0;
    sup_t sup = { .n = n, .pids = pids, .wd_ms = ec2gw_notify_watchdog_usec() / 1000 };

    if (ec2gw_metrics_init(n) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "cannot map the shared metrics: %s",
                             strerror(errno));
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL); /* ignored by default, which sigsuspend would never see */
    for (int i = 0; i < n; i++) {
        pids[i] = spawn(d, i + 1, &old);
        if (pids[i] == 0)
            return 1;
        if (pids[i] < 0) {
            signal_all(pids, n, SIGTERM);
            return ec2gw_err_set(err, EC2GW_E_FAIL, "fork: %s", strerror(errno));
        }
        alive++;
    }
    ec2gw_log(EC2GW_LOG_NOTICE, NULL, "supervisor pid %d runs %d workers", (int)getpid(), n);
    while (alive > 0) {
        sigset_t wait_mask = old;
        int status;
        pid_t pid;

        sigdelset(&wait_mask, SIGCHLD);
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < n; i++) {
                if (pids[i] != pid)
                    continue;
                pids[i] = 0;
                alive--;
                clear_slot(i);
                if (got_term)
                    break;
                ec2gw_metrics_worker_restarted();
                ec2gw_log(EC2GW_LOG_ERROR, NULL,
                          "worker %d (pid %d) died (status %d); "
                          "restarting it",
                          i + 1, (int)pid, status);
                if (time(NULL) - last_restart < 1)
                    sleep(1); /* a worker that dies at once must not spin the supervisor */
                last_restart = time(NULL);
                pids[i] = spawn(d, i + 1, &old);
                if (pids[i] == 0)
                    return 1;
                if (pids[i] > 0)
                    alive++;
                /* The supervisor never reloads: a worker forked after a SIGHUP would serve the
                 * start-up conf.d. It reloads once its loop runs (SIGHUP waits, blocked). */
                if (pids[i] > 0 && sup.hups > 0)
                    kill(pids[i], SIGHUP);
            }
        }
        if (got_usr1) {
            got_usr1 = 0;
            ec2gw_log_reopen();
            signal_all(pids, n, SIGUSR1);
        }
        if (got_hup && !got_term) {
            got_hup = 0;
            begin_reload(&sup);
            sup.hups++;
            signal_all(pids, n, SIGHUP);
        }
        if (got_term == 1) {
            got_term = 2;
            ec2gw_notify("STOPPING=1\nSTATUS=draining %d workers", alive);
            signal_all(pids, n, SIGTERM);
        }
        int wait = got_term ? 1000 : supervise(&sup, d);
        struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000L };

        if (alive > 0)
            ppoll(NULL, 0, &ts, &wait_mask); /* wakes on a signal or the timeout */
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}
