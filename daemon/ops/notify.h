/*
 * notify.h - the systemd notify protocol (sd_notify(3)) through libsystemd's own sd_notify,
 * loaded at run time: no build dependency, and a no-op when NOTIFY_SOCKET is unset or
 * libsystemd.so.0 is absent (said once, at debug level).
 */
#ifndef EC2GW_OPS_NOTIFY_H
#define EC2GW_OPS_NOTIFY_H

#include <stdint.h>

#include <ec2gw/plugin.h>

/** Send one notify message ("READY=1\nSTATUS=..."). 1 sent, 0 no-op, -1 failed. */
int ec2gw_notify(const char *fmt, ...) EC2GW_PRINTF(1, 2);

/** "RELOADING=1" with MONOTONIC_USEC (what systemd wants with Type=notify-reload too). */
int ec2gw_notify_reloading(void);

/**
 * The watchdog interval systemd asked for (WATCHDOG_USEC, when WATCHDOG_PID is unset or names
 * this process), in microseconds; 0 when the watchdog is off.
 */
uint64_t ec2gw_notify_watchdog_usec(void);

/** Stop notifying from this process (workers: only the main process may notify). */
void ec2gw_notify_disable(void);

/** CLOCK_MONOTONIC in milliseconds. */
uint64_t ec2gw_monotonic_ms(void);

#endif
