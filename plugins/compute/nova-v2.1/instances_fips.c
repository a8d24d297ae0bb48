/*
 * instances_fips.c - floating addresses of cached servers as Neutron has them now.
 *
 * Nova updates a server's `addresses` (its network info cache) when Neutron tells it a
 * floating IP moved, without changing the server's `updated`: changes-since never shows it, so
 * a cached server would keep its old public IP until the next full list. DescribeInstances
 * served from the cache therefore reads Neutron's floating IPs beside the ports (a shared read
 * the host drops after every network write, AssociateAddress included) and puts them in place
 * of Nova's. Servers whose addresses already agree keep the cache's object; the others get a
 * request copy (the cache is never changed). The uncached path keeps Nova's view, as before.
 */
#include <string.h>

#include "nova.h"

/* Does Nova show @p fip (NULL: none) as the floating address of the port with @p mac? */
static int
nova_fip_agrees(const json_t *server, const char *mac, const char *fip)
{
    const char *net, *have = NULL;
    const json_t *list, *a;
    size_t i;

    json_object_foreach((json_t *)json_object_get(server, "addresses"), net, list)
    {
        json_array_foreach(list, i, a)
        {
            if (strcmp(nova_or(nova_str(a, "OS-EXT-IPS:type")), "floating") == 0 &&
                strcmp(nova_or(nova_str(a, "OS-EXT-IPS-MAC:mac_addr")), mac) == 0)
                have = nova_str(a, "addr");
        }
    }
    return have == NULL ? fip == NULL : fip != NULL && strcmp(have, fip) == 0;
}

/* A copy of @p server (returns new) whose floating entries on @p ports' MACs are Neutron's. */
static json_t *
nova_fip_rewrite(const json_t *server, const json_t *ports, const json_t *fip_of)
{
    json_t *copy = json_deep_copy(server), *addrs = json_object_get(copy, "addresses"), *list, *a;
    const json_t *p;
    const char *net;
    size_t i, j;

    json_object_foreach(addrs, net, list)
    {
        for (i = json_array_size(list); i-- > 0;) {
            const char *mac = nova_str(json_array_get(list, i), "OS-EXT-IPS-MAC:mac_addr");

            if (strcmp(nova_or(nova_str(json_array_get(list, i), "OS-EXT-IPS:type")), "floating") !=
                0)
                continue;
            json_array_foreach(
                ports, j, p) if (strcmp(nova_or(nova_str(p, "mac_address")), nova_or(mac)) == 0)
            {
                json_array_remove(list, i);
                break;
            }
        }
    }
    json_array_foreach(ports, j, p)
    {
        const char *mac = nova_str(p, "mac_address");
        const char *fip = nova_str(fip_of, nova_or(nova_str(p, "id")));

        if (fip == NULL || mac == NULL)
            continue;
        /* on the network Nova lists the port's fixed address under */
        json_object_foreach(addrs, net, list)
        {
            json_array_foreach(list, i, a) if (strcmp(nova_or(nova_str(a, "OS-EXT-IPS-MAC:"
                                                                          "mac_addr")),
                                                      mac) == 0)
            {
                json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:s}", "version", 4, "addr",
                                                      fip, "OS-EXT-IPS:type", "floating",
                                                      "OS-EXT-IPS-MAC:mac_addr", mac));
                goto next_port;
            }
        }
    next_port:;
    }
    return copy;
}

/* Neutron's floating address of each port id, and each device's ports (pool). */
static void
nova_fips_maps(ec2gw_req_t *req, const json_t *ports, const json_t *fips, json_t **fip_of,
               json_t **by_dev)
{
    json_t *list, *port;
    const json_t *p;
    size_t i;

    *fip_of = nova_own(req, json_object());
    *by_dev = nova_own(req, json_object());
    json_array_foreach(json_object_get(fips, "floatingips"), i, p)
    {
        if (nova_str(p, "port_id") != NULL && nova_str(p, "floating_ip_address") != NULL)
            json_object_set_new(*fip_of, nova_str(p, "port_id"),
                                json_string(nova_str(p, "floating_ip_address")));
    }
    json_array_foreach(json_object_get(ports, "ports"), i, port)
    {
        const char *dev = nova_str(port, "device_id");

        if (dev == NULL || dev[0] == '\0' || nova_str(port, "mac_address") == NULL)
            continue;
        if ((list = json_object_get(*by_dev, dev)) == NULL)
            json_object_set_new(*by_dev, dev, list = json_array());
        json_array_append(list, port);
    }
}

void
nova_fips_apply(ec2gw_req_t *req, json_t *servers, const json_t *ports, const json_t *fips,
                const json_t *kept)
{
    json_t *fip_of = NULL, *by_dev = NULL;
    const json_t *p, *s;
    size_t i, j;

    if (ports == NULL || fips == NULL)
        return; /* Neutron did not answer: Nova's view */
    json_array_foreach(servers, i, s)
    {
        const json_t *mine;
        int agree = 1;

        if (kept != NULL && nova_memo_kept(kept, s))
            continue; /* it agreed with these very answers when it was kept */
        if (fip_of == NULL)
            nova_fips_maps(req, ports, fips, &fip_of, &by_dev);
        mine = json_object_get(by_dev, nova_or(nova_str(s, "id")));
        json_array_foreach(mine, j, p) agree &= nova_fip_agrees(
            s, nova_str(p, "mac_address"), nova_str(fip_of, nova_or(nova_str(p, "id"))));
        if (!agree) /* the request's array now holds the only reference to the copy */
            json_array_set_new(servers, i, nova_fip_rewrite(s, mine, fip_of));
    }
}
