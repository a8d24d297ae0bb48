/*
 * eni_util.c - small helpers of the network interface files: IPv4 in a CIDR, the derived
 * attachment id, the source/destination check emulation and the primary address of a port.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eni.h"

int
neutron_eni_ip_in(const char *s, const char *cidr)
{
    struct in_addr a, net;
    char buf[32];
    const char *slash;
    char *end;
    long bits;
    uint32_t mask;

    if (s == NULL || cidr == NULL || inet_pton(AF_INET, s, &a) != 1)
        return 0;
    if ((slash = strchr(cidr, '/')) == NULL || (size_t)(slash - cidr) >= sizeof(buf))
        return 0;
    memcpy(buf, cidr, (size_t)(slash - cidr));
    buf[slash - cidr] = '\0';
    bits = strtol(slash + 1, &end, 10);
    if (*end != '\0' || bits < 0 || bits > 32 || inet_pton(AF_INET, buf, &net) != 1)
        return 0;
    mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));
    return (a.s_addr & mask) == (net.s_addr & mask);
}

static const char *
neutron_eni_hex(const char *id, const char *prefix)
{
    size_t n = strlen(prefix);

    return id != NULL && strncmp(id, prefix, n) == 0 && id[n] != '\0' ? id + n : NULL;
}

const char *
neutron_eni_attach_id(ec2gw_req_t *req, const char *eni_id)
{
    const char *hex = neutron_eni_hex(eni_id, "eni-");

    return hex != NULL ? ec2gw->psprintf(req, "eni-attach-%s", hex) : NULL;
}

const char *
neutron_eni_of_attach(ec2gw_req_t *req, const char *attach_id)
{
    const char *hex = neutron_eni_hex(attach_id, "eni-attach-");

    return hex != NULL ? ec2gw->psprintf(req, "eni-%s", hex) : NULL;
}

int
neutron_eni_sdc_off(const json_t *port)
{
    const json_t *p;
    size_t i;

    json_array_foreach(json_object_get(port, "allowed_address_pairs"), i, p)
    {
        const char *ip = neutron_str(p, "ip_address");

        if (ip != NULL && strcmp(ip, "0.0.0.0/0") == 0)
            return 1;
    }
    return 0;
}

const char *
neutron_eni_primary(const json_t *port, const json_t *data)
{
    const char *want = neutron_str(data, "private_ip_address");
    const char *first = NULL;
    const json_t *ip;
    size_t i;

    json_array_foreach(json_object_get(port, "fixed_ips"), i, ip)
    {
        const char *a = neutron_str(ip, "ip_address");

        if (a == NULL || strchr(a, ':') != NULL)
            continue;
        if (want != NULL && strcmp(a, want) == 0)
            return a;
        if (first == NULL)
            first = a;
    }
    return first;
}

const char *
neutron_eni_port_path(ec2gw_req_t *req, const char *port_id)
{
    return ec2gw->psprintf(req, "/v2.0/ports/%s", ec2gw->url_escape(req, port_id));
}

const char *
neutron_eni_now(ec2gw_req_t *req)
{
    struct timespec ts;
    struct tm tm;
    char buf[40];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return ec2gw->psprintf(req, "%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}
