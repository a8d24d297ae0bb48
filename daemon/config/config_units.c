/*
 * config_units.c - durations ("250ms", "30s", "5m", "1h") and byte sizes ("64k", "2MiB").
 *
 * Strict on purpose: a non-negative decimal integer immediately followed by one of the listed
 * units, no spaces, no fractions, no signs, no overflow. A typo must fail at load time, not
 * turn into a surprising timeout.
 */
#include <stdint.h>
#include <string.h>

#include "config/config_priv.h"

struct unit {
    const char *suffix;
    long long factor;
};

static const struct unit duration_units[] = {
    { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60LL * 1000 }, { "h", 60LL * 60 * 1000 },
};

/* Binary multiples, as nginx and most daemons read "64k"; there is no SI (1000) variant. */
static const struct unit size_units[] = {
    { "", 1 },
    { "k", 1024LL },
    { "K", 1024LL },
    { "KiB", 1024LL },
    { "m", 1024LL * 1024 },
    { "M", 1024LL * 1024 },
    { "MiB", 1024LL * 1024 },
    { "g", 1024LL * 1024 * 1024 },
    { "G", 1024LL * 1024 * 1024 },
    { "GiB", 1024LL * 1024 * 1024 },
};

/** "<digits><unit>" with a unit of @p units; *out = digits * factor, within int64. */
static int
parse_scaled(const char *s, const struct unit *units, size_t n_units, long long *out)
{
    long long v = 0;
    const char *p = s;

    if (s == NULL || *p < '0' || *p > '9')
        return EC2GW_E_INVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';

        if (v > (INT64_MAX - d) / 10)
            return EC2GW_E_INVAL;
        v = v * 10 + d;
    }
    for (size_t i = 0; i < n_units; i++) {
        if (strcmp(p, units[i].suffix) != 0)
            continue;
        if (v > INT64_MAX / units[i].factor)
            return EC2GW_E_INVAL;
        *out = v * units[i].factor;
        return 0;
    }
    return EC2GW_E_INVAL;
}

int
ec2gw_conf_parse_duration(const char *s, long long *ms)
{
    return parse_scaled(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]), ms);
}

int
ec2gw_conf_parse_size(const char *s, long long *bytes)
{
    return parse_scaled(s, size_units, sizeof(size_units) / sizeof(size_units[0]), bytes);
}
