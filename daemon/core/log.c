/* log.c - stderr logging (journald adds its own timestamps; we keep ours for plain files). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "core/log_priv.h"

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

/* Length of the valid UTF-8 sequence at @p s (1-4), or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

const char *
ec2gw_log_escape(char *dst, size_t size, const char *src, int field)
{
    const unsigned char *s = (const unsigned char *)(src != NULL ? src : "-");
    size_t o = 0;

    if (size == 0)
        return dst;
    while (*s != '\0') {
        char esc[8];
        size_t n = utf8_len(s), elen;

        if (n > 1) {
            memcpy(esc, s, n);
            elen = n;
        } else if (*s == '\n' || *s == '\r' || *s == '\t') {
            esc[0] = '\\';
            esc[1] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
            elen = 2;
        } else if (*s == '\\' || (field && *s == '"')) {
            esc[0] = '\\';
            esc[1] = (char)*s;
            elen = 2;
        } else if (n == 0 || *s < 0x20 || *s == 0x7f || (field && *s == ' ')) {
            snprintf(esc, sizeof(esc), "\\x%02x", *s);
            elen = 4;
            n = 1;
        } else {
            esc[0] = (char)*s;
            elen = 1;
        }
        if (o + elen + 4 > size) { /* room for "..." and the NUL */
            if (size >= 4) {
                memcpy(dst + (o < size - 4 ? o : size - 4), "...", 3);
                o = (o < size - 4 ? o : size - 4) + 3;
            }
            break;
        }
        memcpy(dst + o, esc, elen);
        o += elen;
        s += n;
    }
    dst[o < size ? o : size - 1] = '\0';
    return dst;
}

void
ec2gw_logv(ec2gw_log_level_t level, const char *prefix, const char *fmt, va_list ap)
{
    char ts[64], msg[4096], line[4096], pfx[512];

    if (!ec2gw_log_enabled(level))
        return;
    format_now(ts, sizeof(ts));
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* Messages carry values from clients and backends: one line each, whatever they hold. */
    ec2gw_log_escape(line, sizeof(line), msg, 0);
    if (ec2gw_log_json()) {
        ec2gw_log_emit_json(ts, level_names[level],
                            prefix ? ec2gw_log_escape(pfx, sizeof(pfx), prefix, 0) : NULL, line);
        return;
    }
    /* One fprintf per line keeps lines whole when several processes share the stream. */
    fprintf(stderr, "%s %s %s%s%s\n", ts, level_names[level],
            prefix ? ec2gw_log_escape(pfx, sizeof(pfx), prefix, 0) : "", prefix ? " " : "", line);
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
    /* The fields were escaped one by one; this only keeps a stray byte from ending the line. */
    ec2gw_log_emit_access(ts, strpbrk(line, "\n\r") == NULL ? line : "(unprintable)");
}
