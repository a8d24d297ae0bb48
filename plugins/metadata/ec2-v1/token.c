/*
 * token.c - IMDSv2 session tokens: "<expiry>.<hex HMAC-SHA256 of instance uuid and expiry>"
 * keyed with the daemon's random local key (the host holds it). A token is bound to one
 * instance and dies at its expiry or with the daemon (its workers share the key); nothing is
 * stored. PUT /latest/api/token is refused when the request passed through another proxy
 * than Neutron's: EC2 refuses any X-Forwarded-For, but Neutron's agent always sends the
 * instance's own address there, so one address of the instance is what a direct PUT looks
 * like; a second hop appends a second address (or a second header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

static int
sign(ec2gw_req_t *req, const char *uuid, long long exp, char out[65])
{
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "imdsv2:%s:%lld", uuid, exp);

    if (n < 0 || (size_t)n >= sizeof(msg))
        return EC2GW_E_INVAL;
    return ec2gw->hmac_hex(req, EC2GW_KEY_LOCAL, msg, (size_t)n, out);
}

static int
direct(ec2gw_req_t *req, struct md_req *st)
{
    size_t n = 0, i;
    const char *xff = ec2gw->http_header(req, "X-Forwarded-For", &n);
    const json_t *ips = json_object_get(st->facts, "ips"), *ip;

    if (n == 0)
        return 1;
    if (n > 1 || strchr(xff, ',') != NULL)
        return 0;
    json_array_foreach(ips, i, ip)
    {
        if (strcmp(json_string_value(ip), xff) == 0)
            return 1;
    }
    return 0;
}

/* A decimal in [1, max], nothing else. */
static long long
ttl_value(const char *s, long long max)
{
    char *end = NULL;
    long long v;

    if (s == NULL || s[0] < '0' || s[0] > '9' || strlen(s) > 9)
        return -1;
    v = strtoll(s, &end, 10);
    return *end == '\0' && v >= 1 && v <= max ? v : -1;
}

void
md_token_put(ec2gw_req_t *req, struct md_req *st)
{
    long long max = ec2gw->metadata_conf(req)->token_ttl_max_s, ttl, exp;
    char mac[65], ttl_text[24];

    if (max < 1 || max > 21600)
        max = 21600;
    ttl = ttl_value(ec2gw->http_header(req, "X-aws-ec2-metadata-token-ttl-seconds", NULL), max);
    exp = ec2gw->now_ms(req) / 1000 + ttl;
    if (!direct(req, st)) {
        md_text(req, 403, "Forbidden\n");
    } else if (ttl < 0) {
        md_text(req, 400,
                ec2gw->psprintf(req,
                                "X-aws-ec2-metadata-token-ttl-seconds must be 1 "
                                "to %lld\n",
                                max));
    } else if (sign(req, st->uuid, exp, mac) != 0) {
        md_text(req, 500, "Internal error\n");
    } else {
        snprintf(ttl_text, sizeof(ttl_text), "%lld", ttl);
        ec2gw->reply_header(req, "X-aws-ec2-metadata-token-ttl-seconds", ttl_text);
        md_text(req, 200, ec2gw->psprintf(req, "%lld.%s", exp, mac));
    }
}

int
md_token_check(ec2gw_req_t *req, struct md_req *st)
{
    size_t n = 0;
    const char *tok = ec2gw->http_header(req, "X-aws-ec2-metadata-token", &n), *dot;
    char mac[65], *end = NULL;
    long long exp, now = ec2gw->now_ms(req) / 1000;

    if (tok == NULL)
        return 0;
    if (n > 1 || (dot = strchr(tok, '.')) == NULL || tok[0] < '0' || tok[0] > '9')
        return -1;
    exp = strtoll(tok, &end, 10);
    if (end != dot || exp <= now || exp > now + 21600)
        return -1;
    if (sign(req, st->uuid, exp, mac) != 0 || !ec2gw->secure_equal(mac, dot + 1))
        return -1;
    ec2gw->reply_header(req, "X-aws-ec2-metadata-token-ttl-seconds",
                        ec2gw->psprintf(req, "%lld", exp - now));
    return 1;
}
