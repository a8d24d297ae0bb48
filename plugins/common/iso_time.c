/*
 * iso_time.c - OpenStack's UTC times as epoch seconds and back (iso_time.h).
 */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include "iso_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
ec2gw_pc_time(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (iso == NULL || sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

void
ec2gw_pc_iso(int64_t t, int zulu, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, zulu ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S", &tm);
}

int64_t
ec2gw_pc_newest(const json_t *list, const char *field, int64_t since)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        int64_t t = ec2gw_pc_time(json_string_value(json_object_get(v, field)));

        if (t > since)
            since = t;
    }
    return since;
}
