/* sig_time.c - the time formats of SigV4 (X-Amz-Date, Date) and SigV2 (Timestamp, Expires). */
#include <stdio.h>
#include <string.h>

#include "sig_util.h"

/* Read exactly @p n digits. */
static int
digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int
make_time(int y, int mo, int d, int h, int mi, int s, time_t *t)
{
    struct tm tm = { 0 };

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    *t = timegm(&tm);
    return *t == (time_t)-1 ? -1 : 0;
}

int
ec2gw_sig_parse_amz_date(const char *s, time_t *t)
{
    int y, mo, d, h, mi, sec;

    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    if (digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
        digits(s + 11, 2, &mi) || digits(s + 13, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, t);
}

/* The zone suffix of an ISO 8601 time: seconds east of UTC in *off. */
static int
parse_zone(const char *s, long *off)
{
    int h, m;
    int sign;

    *off = 0;
    if (*s == '\0' || strcmp(s, "Z") == 0)
        return 0;
    if (*s != '+' && *s != '-')
        return -1;
    sign = *s == '-' ? -1 : 1;
    s++;
    if (digits(s, 2, &h) != 0)
        return -1;
    s += 2;
    if (*s == ':')
        s++;
    if (digits(s, 2, &m) != 0 || s[2] != '\0' || h > 23 || m > 59)
        return -1;
    *off = sign * (h * 3600L + m * 60L);
    return 0;
}

int
ec2gw_sig_parse_iso8601(const char *s, time_t *t)
{
    int y, mo, d, h, mi, sec;
    long off;

    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
        return -1;
    s += 19;
    if (*s == '.') { /* the AWS Java SDK sends milliseconds */
        s++;
        if (*s < '0' || *s > '9')
            return -1;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (parse_zone(s, &off) != 0 || make_time(y, mo, d, h, mi, sec, t) != 0)
        return -1;
    *t -= off;
    return 0;
}

int
ec2gw_sig_parse_http_date(const char *s, time_t *t)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const char *const zones[] = { "GMT", "UTC", "+0000", "-0000" };
    int d, y, h, mi, sec, mon = -1, zone_ok = 0;

    /*
     * The fixed layout of RFC 1123, "Tue, 02 Jan 2024 03:04:05 GMT"; botocore's
     * email.utils.formatdate writes the zone as "-0000".
     */
    if (strlen(s) < 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ')
        return -1;
    if (digits(s + 5, 2, &d) || digits(s + 12, 4, &y) || digits(s + 17, 2, &h) ||
        digits(s + 20, 2, &mi) || digits(s + 23, 2, &sec))
        return -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months + (size_t)3 * (size_t)i, 3) == 0)
            mon = i + 1;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
        zone_ok |= strcmp(s + 26, zones[i]) == 0;
    if (mon < 0 || !zone_ok)
        return -1;
    return make_time(y, mon, d, h, mi, sec, t);
}

void
ec2gw_sig_format_amz_date(time_t t, char *out, size_t out_size)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, out_size, "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(out, out_size, "?");
}
