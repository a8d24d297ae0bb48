/*
 * vpn.c - VPN gateways, customer gateways and VPN connections (openstack-mapping.md §16.8).
 * They need Neutron VPNaaS (extension "vpnaas"). Every action first asks Neutron
 *   GET /v2.0/extensions   (cached per plugin instance for RTB_VPN_CACHE_S seconds)
 * and answers UnsupportedOperation saying why: the cloud lacks VPNaaS, or ec2gw does not
 * drive it yet. An honest error rather than objects that would never carry traffic.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "rtb.h"

#define RTB_VPN_CACHE_S 300
#define RTB_VPN_SLOTS   8

/* Instances are few and live per configuration generation; worker loops share them. */
static struct {
    const void *inst;
    time_t until;
    int has_vpnaas;
} rtb_vpn_cache[RTB_VPN_SLOTS];
static pthread_mutex_t rtb_vpn_lock = PTHREAD_MUTEX_INITIALIZER;

static time_t
rtb_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* 1 or 0 when the answer is cached and fresh, else -1. */
static int
rtb_vpn_cached(const void *inst)
{
    int v = -1;
    time_t now = rtb_now();

    pthread_mutex_lock(&rtb_vpn_lock);
    for (int i = 0; i < RTB_VPN_SLOTS; i++)
        if (rtb_vpn_cache[i].inst == inst && rtb_vpn_cache[i].until > now)
            v = rtb_vpn_cache[i].has_vpnaas;
    pthread_mutex_unlock(&rtb_vpn_lock);
    return v;
}

static void
rtb_vpn_remember(const void *inst, int has)
{
    time_t now = rtb_now();
    int slot = 0;

    pthread_mutex_lock(&rtb_vpn_lock);
    for (int i = 0; i < RTB_VPN_SLOTS; i++) {
        if (rtb_vpn_cache[i].inst == inst) {
            slot = i;
            break;
        }
        if (rtb_vpn_cache[i].until < rtb_vpn_cache[slot].until)
            slot = i; /* else reuse the stalest slot */
    }
    rtb_vpn_cache[slot].inst = inst;
    rtb_vpn_cache[slot].until = now + RTB_VPN_CACHE_S;
    rtb_vpn_cache[slot].has_vpnaas = has;
    pthread_mutex_unlock(&rtb_vpn_lock);
}

static void
rtb_vpn_answer(ec2gw_req_t *req, int has)
{
    if (has)
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "%s: this cloud's Neutron has VPNaaS, but ec2gw does not drive it yet "
                    "(not implemented yet)",
                    ec2gw->action(req));
    else
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "%s: this cloud's Neutron has no VPNaaS (extension vpnaas)",
                    ec2gw->action(req));
}

static void
rtb_vpn_extensions(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *e;
    size_t i;
    int has = 0;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "extensions"), i, e)
    {
        if (strcmp(neutron_or(neutron_str(e, "alias")), "vpnaas") == 0)
            has = 1;
    }
    rtb_vpn_remember(arg, has);
    rtb_vpn_answer(req, has);
}

int
neutron_vpn_action(ec2gw_req_t *req, void *inst)
{
    int has = rtb_vpn_cached(inst);
    ec2gw_os_call_t call = EC2GW_OS_GET("network", "/v2.0/extensions");

    if (has >= 0) {
        rtb_vpn_answer(req, has);
        return EC2GW_OK;
    }
    return ec2gw->os_call(req, &call, rtb_vpn_extensions, inst);
}

void
neutron_vpn_forget(const void *inst)
{
    pthread_mutex_lock(&rtb_vpn_lock);
    for (int i = 0; i < RTB_VPN_SLOTS; i++)
        if (rtb_vpn_cache[i].inst == inst)
            rtb_vpn_cache[i].inst = NULL;
    pthread_mutex_unlock(&rtb_vpn_lock);
}
