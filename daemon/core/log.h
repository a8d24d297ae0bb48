/* log.h - levelled, one-line, key=value logging to stderr; secrets are never passed in. */
#ifndef EC2GW_CORE_LOG_H
#define EC2GW_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include <ec2gw/plugin.h>

#include "core/err.h"

/** Set the most verbose level written. */
void ec2gw_log_set_level(ec2gw_log_level_t level);

/** Parse "error", "warn", "notice", "info", "debug". 0 or EC2GW_E_INVAL. */
int ec2gw_log_parse_level(const char *s, ec2gw_log_level_t *out);

/** 1 when @p level would be written. */
int ec2gw_log_enabled(ec2gw_log_level_t level);

/** Write one line "TIME LEVEL [prefix] message". @p prefix may be NULL. */
void ec2gw_log(ec2gw_log_level_t level, const char *prefix, const char *fmt, ...)
    EC2GW_PRINTF(3, 4);
void ec2gw_logv(ec2gw_log_level_t level, const char *prefix, const char *fmt, va_list ap)
    EC2GW_PRINTF(3, 0);

/**
 * Copy @p src into @p dst (@p size bytes, NUL-terminated) fit for one log line: control bytes
 * and DEL as \n, \r, \t or \xNN, bytes that are not valid UTF-8 as \xNN, a backslash doubled;
 * with @p field also double quotes and spaces escaped (\" and \x20), so that a client-supplied
 * value stays one key=value field. Truncated with "..." when @p dst is too small. Returns dst.
 */
const char *ec2gw_log_escape(char *dst, size_t size, const char *src, int field);

/**
 * Write an access-log line (no level) to the access log: stderr, or the file configured. Its
 * fields are space-separated key=value pairs escaped by the caller (ec2gw_log_escape with
 * field); in json format they become one object ("remote" as "peer", "req" as "request_id",
 * "status" and "ms" as numbers, a bare word such as "metadata" as "listener").
 */
void ec2gw_log_access(const char *line);

/**
 * log.format ("text" or "json"; NULL: text) and log.access_log's file (NULL: stderr), opened
 * for appending (created 0640). A path already open is kept. 0 or EC2GW_E_INVAL / _FAIL.
 */
int ec2gw_log_configure(const char *format, const char *access_path, ec2gw_err_t *err);

/**
 * The same checks for --check-config, without opening or creating the access log: a check
 * run as root must not leave a root-owned file that the service's user then cannot open.
 * The file must be writable, or its directory allow creating it. 0 or EC2GW_E_INVAL / _FAIL.
 */
int ec2gw_log_check(const char *format, const char *access_path, ec2gw_err_t *err);

/** Reopen the access log file by its path (SIGUSR1, after logrotate renamed it). */
void ec2gw_log_reopen(void);

#endif
