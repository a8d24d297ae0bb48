/*
 * notify.c - sd_notify through dlopen("libsystemd.so.0"), as systemd recommends for optional
 * use. The library is looked up once, on the first message, and kept.
 */
#include "notify.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

typedef int (*sd_notify_fn)(int unset_environment, const char *state);

static enum { UNTRIED, READY, OFF } state = UNTRIED;
static sd_notify_fn sd_notify_p;

static int
load(void)
{
    void *lib;

    if (state != UNTRIED)
        return state == READY;
    state = OFF;
    if (getenv("NOTIFY_SOCKET") == NULL) {
        ec2gw_log(EC2GW_LOG_DEBUG, NULL, "systemd notify: NOTIFY_SOCKET is not set; not used");
        return 0;
    }
    lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        ec2gw_log(EC2GW_LOG_DEBUG, NULL, "systemd notify: %s; not used", dlerror());
        return 0;
    }
    *(void **)&sd_notify_p = dlsym(lib, "sd_notify");
    if (sd_notify_p == NULL) {
        ec2gw_log(EC2GW_LOG_DEBUG, NULL, "systemd notify: libsystemd has no sd_notify");
        dlclose(lib);
        return 0;
    }
    state = READY;
    return 1;
}

int
ec2gw_notify(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int rc;

    if (!load())
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rc = sd_notify_p(0, msg);
    if (rc < 0)
        ec2gw_log(EC2GW_LOG_WARN, NULL, "sd_notify: %s", strerror(-rc));
    return rc > 0 ? 1 : rc < 0 ? -1 : 0;
}

uint64_t
ec2gw_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
ec2gw_notify_reloading(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ec2gw_notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
                        (unsigned long long)ts.tv_sec * 1000000ull +
                            (unsigned long long)ts.tv_nsec / 1000ull);
}

uint64_t
ec2gw_notify_watchdog_usec(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    char *end;
    unsigned long long v;

    if (usec == NULL || !load())
        return 0; /* off, disabled in this process, or no library: nobody hears the pings */
    if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    v = strtoull(usec, &end, 10);
    return *end == '\0' && v > 0 ? (uint64_t)v : 0;
}

void
ec2gw_notify_disable(void)
{
    state = OFF;
    sd_notify_p = NULL;
}
