/* log.c - stderr logging (journald adds its own timestamps; we keep ours for plain files). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static ec2gw_log_level_t log_level = EC2GW_LOG_INFO;
static const char *const level_names[] = { "error", "warn", "notice", "info", "debug" };

void
ec2gw_log_set_level(ec2gw_log_level_t level)
{
    log_level = level;
}

int
ec2gw_log_parse_level(const char *s, ec2gw_log_level_t *out)
{
    for (int i = 0; i <= EC2GW_LOG_DEBUG; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (ec2gw_log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = EC2GW_LOG_WARN;
        return 0;
    }
    return EC2GW_E_INVAL;
}

int
ec2gw_log_enabled(ec2gw_log_level_t level)
{
    return level <= log_level;
}

static void
format_now(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

void
ec2gw_logv(ec2gw_log_level_t level, const char *prefix, const char *fmt, va_list ap)
{
    char ts[64], msg[4096];

    if (!ec2gw_log_enabled(level))
        return;
    format_now(ts, sizeof(ts));
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* One fprintf per line keeps lines whole when several processes share the stream. */
    fprintf(stderr, "%s %s %s%s%s\n", ts, level_names[level], prefix ? prefix : "",
            prefix ? " " : "", msg);
}

void
ec2gw_log(ec2gw_log_level_t level, const char *prefix, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ec2gw_logv(level, prefix, fmt, ap);
    va_end(ap);
}

void
ec2gw_log_access(const char *line)
{
    char ts[64];

    format_now(ts, sizeof(ts));
    fprintf(stderr, "%s access %s\n", ts, line);
}
