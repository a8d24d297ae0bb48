/*
 * workers.c - listen.workers > 1: pre-forked serving processes sharing one listening socket
 * (bound by the parent, so a second ec2gwd on the same port fails instead of silently sharing,
 * as SO_REUSEPORT would allow). The parent only supervises: it forwards SIGHUP and SIGTERM,
 * restarts a worker that died unexpectedly, and exits when every worker has stopped.
 * Each worker has its own loop, Keystone cache and metrics; they share the SQLite database.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "server/daemon.h"

#define MAX_WORKERS 64

static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else if (sig != SIGCHLD)
        got_term = 1;
}

/* Fork worker @p id: returns its pid in the parent, 0 in the child. */
static pid_t
spawn(ec2gw_daemon_t *d, int id, const sigset_t *old_mask)
{
    pid_t pid = fork();

    if (pid == 0) {
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, old_mask, NULL);
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

    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
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
                if (got_term)
                    break;
                ec2gw_log(EC2GW_LOG_ERROR, NULL, "worker %d (pid %d) died (status %d); "
                          "restarting it", i + 1, (int)pid, status);
                if (time(NULL) - last_restart < 1)
                    sleep(1); /* a worker that dies at once must not spin the supervisor */
                last_restart = time(NULL);
                pids[i] = spawn(d, i + 1, &old);
                if (pids[i] == 0)
                    return 1;
                if (pids[i] > 0)
                    alive++;
            }
        }
        if (got_hup) {
            got_hup = 0;
            signal_all(pids, n, SIGHUP);
        }
        if (got_term == 1) {
            got_term = 2;
            signal_all(pids, n, SIGTERM);
        }
        if (alive > 0)
            sigsuspend(&wait_mask);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}
