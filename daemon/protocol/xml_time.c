/*
 * xml_time.c - timestamps in EC2's one format, YYYY-MM-DDTHH:MM:SS.sssZ.
 *
 * OpenStack services answer with several formats (Nova "2024-01-02T03:04:05Z", Neutron
 * "2024-01-02T03:04:05Z" or without zone, Cinder "2024-01-02T03:04:05.123456", Glance
 * "2024-01-02T03:04:05Z", database rows "2024-01-02 03:04:05", offsets "+00:00"); JS v3 rejects
 * anything but RFC 3339, so every one of them is converted. Civil-date arithmetic is done by
 * hand (days_from_civil) instead of timegm(): no locale, no TZ environment, no libc quirks.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol/xml_render.h"

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

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* @p v (0 <= v < 10^n) as @p n decimal digits, zero-padded. */
static void
put_digits(char *o, int v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
}

static int
format_ms(int64_t ms, char out[EC2GW_XML_TIMESTAMP_SIZE])
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400, y;
    int m, d;

    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return EC2GW_E_INVAL;
    /* "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" without snprintf: every field is in range here,
     * and a large answer formats thousands of these */
    put_digits(out, (int)y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, (int)(rem / 3600), 2);
    out[13] = ':';
    put_digits(out + 14, (int)(rem / 60 % 60), 2);
    out[16] = ':';
    put_digits(out + 17, (int)(rem % 60), 2);
    out[19] = '.';
    put_digits(out + 20, (int)(ms - secs * 1000), 3);
    out[23] = 'Z';
    out[24] = '\0';
    return 0;
}

/* Zone suffix at @p s: "", Z, +HH, +HHMM, +HH:MM. Sets *off_min. */
static int
parse_zone(const char *s, int *off_min)
{
    int sign, hh, mm = 0;

    *off_min = 0;
    if (*s == '\0')
        return 0;
    if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
        return 0;
    if (*s != '+' && *s != '-')
        return -1;
    sign = *s == '-' ? -1 : 1;
    if (digits(s + 1, 2, &hh) != 0 || hh > 23)
        return -1;
    s += 3;
    if (*s == ':')
        s++;
    if (*s != '\0' && (digits(s, 2, &mm) != 0 || mm > 59 || s[2] != '\0'))
        return -1;
    *off_min = sign * (hh * 60 + mm);
    return 0;
}

static int
days_in_month(int y, int m)
{
    static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 29;
    return dim[m - 1];
}

int
ec2gw_xml_timestamp(const char *in, char out[EC2GW_XML_TIMESTAMP_SIZE])
{
    int y, mo, d, h, mi, s, ms = 0, off;
    const char *p;

    if (digits(in, 4, &y) || in[4] != '-' || digits(in + 5, 2, &mo) || in[7] != '-' ||
        digits(in + 8, 2, &d) || (in[10] != 'T' && in[10] != 't' && in[10] != ' ') ||
        digits(in + 11, 2, &h) || in[13] != ':' || digits(in + 14, 2, &mi) || in[16] != ':' ||
        digits(in + 17, 2, &s))
        return EC2GW_E_INVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return EC2GW_E_INVAL;
    p = in + 19;
    if (*p == '.' || *p == ',') {
        int scale = 100, n = 0;

        for (p++; *p >= '0' && *p <= '9'; p++, n++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (n == 0)
            return EC2GW_E_INVAL;
    }
    if (parse_zone(p, &off) != 0)
        return EC2GW_E_INVAL;
    return format_ms(
        ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) - (int64_t)off * 60) * 1000 +
            ms,
        out);
}

int
ec2gw_xml_timestamp_epoch(double secs, char out[EC2GW_XML_TIMESTAMP_SIZE])
{
    /* 253402300800 is 10000-01-01T00:00:00Z; the range keeps the int64 conversion defined. */
    double x = secs * 1000.0;
    int64_t ms;

    if (!isfinite(secs) || secs < -62167219200.0 || secs >= 253402300800.0)
        return EC2GW_E_INVAL;
    ms = (int64_t)x;
    if ((double)ms > x) /* floor, without libm */
        ms--;
    return format_ms(ms, out);
}
