/*
 * facts.c - the facts every answer of one instance is built from, made once per cache miss
 * from its Nova server, its Neutron ports (device order: creation time) and its volume
 * attachments, with the EC2 ids DescribeInstances shows (one ids_to_ec2 per kind):
 *   {"tenant", "uuid", "instance_id", "user_data" (base64 or null), "md_opts", "ips",
 *    "tree" (meta-data/), "document" (the identity document text), "os_meta", "os_net"}
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"


/* json_dumps() text goes back through jansson's allocator: made in a request, it lives in the
 * request's arena (host ABI 1.4), which free() does not know. */
static void
json_free_text(char *text)
{
    json_free_t jfree;

    json_get_alloc_funcs(NULL, &jfree);
    jfree(text);
}

static int
port_cmp(const void *a, const void *b)
{
    const json_t *pa = *(const json_t *const *)a, *pb = *(const json_t *const *)b;
    const char *ca = md_str(pa, "created_at"), *cb = md_str(pb, "created_at");
    int c = strcmp(ca ? ca : "", cb ? cb : "");

    return c != 0 ? c
                  : strcmp(md_str(pa, "id") ? md_str(pa, "id") : "",
                           md_str(pb, "id") ? md_str(pb, "id") : "");
}

/* The IPv4 fixed addresses of @p port, newline-joined (pool), and the first one's subnet. */
static const char *
port_v4(ec2gw_req_t *req, const json_t *port, const char **subnet, const char **first)
{
    const char *out = NULL;
    const json_t *ip;
    size_t i;

    *subnet = *first = NULL;
    json_array_foreach(json_object_get(port, "fixed_ips"), i, ip)
    {
        const char *a = md_str(ip, "ip_address");

        if (a == NULL || strchr(a, ':') != NULL)
            continue;
        if (out == NULL) {
            *subnet = md_str(ip, "subnet_id");
            *first = a;
        }
        out = out ? ec2gw->psprintf(req, "%s\n%s", out, a) : a;
    }
    return out;
}

/* Floating IPv4 addresses Nova shows on @p mac (any network), newline-joined, or NULL. */
static const char *
floating(ec2gw_req_t *req, const json_t *server, const char *mac)
{
    const char *net, *out = NULL;
    const json_t *list, *a;
    size_t i;

    json_object_foreach((json_t *)(uintptr_t)json_object_get(server, "addresses"), net, list)
    {
        json_array_foreach(list, i, a)
        {
            const char *t = md_str(a, "OS-EXT-IPS:type"), *m = md_str(a, "OS-EXT-IPS-MAC:mac_addr");

            if (t == NULL || strcmp(t, "floating") != 0 || md_str(a, "addr") == NULL ||
                json_integer_value(json_object_get(a, "version")) != 4 ||
                (mac != NULL && (m == NULL || strcmp(m, mac) != 0)))
                continue;
            out = out ? ec2gw->psprintf(req, "%s\n%s", out, md_str(a, "addr")) : md_str(a, "addr");
        }
    }
    return out;
}

static void
set_str(json_t *o, const char *k, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, k, json_string(v));
}

/* The server's group names, each once, newline-joined. */
static const char *
group_names(ec2gw_req_t *req, const json_t *server)
{
    const char *out = NULL;
    const json_t *g;
    size_t i;
    json_t *seen = json_object();

    json_array_foreach(json_object_get(server, "security_groups"), i, g)
    {
        const char *n = md_str(g, "name");

        if (n == NULL || json_object_get(seen, n) != NULL)
            continue;
        json_object_set_new(seen, n, json_true());
        out = out ? ec2gw->psprintf(req, "%s\n%s", out, n) : n;
    }
    json_decref(seen);
    return out;
}

/* The EC2 ids of the ports, their first subnets, VPCs and groups, per mac. */
struct md_nics {
    size_t n;
    const json_t **ports;
    const char **enis, **subnets, **vpcs, **sub_os;
};

static void
nics_map(ec2gw_req_t *req, const json_t *ports, struct md_nics *v)
{
    const char **port_ids, *first;
    json_t *sdata = NULL;
    size_t i;

    v->n = json_array_size(ports);
    v->ports = ec2gw->pcalloc(req, (v->n + 1) * sizeof(*v->ports));
    port_ids = ec2gw->pcalloc(req, (v->n + 1) * sizeof(*port_ids));
    v->sub_os = ec2gw->pcalloc(req, (v->n + 1) * sizeof(*v->sub_os));
    v->enis = ec2gw->pcalloc(req, (v->n + 1) * sizeof(*v->enis));
    v->subnets = ec2gw->pcalloc(req, (v->n + 1) * sizeof(*v->subnets));
    v->vpcs = ec2gw->pcalloc(req, (v->n + 1) * sizeof(*v->vpcs));
    for (i = 0; i < v->n; i++)
        v->ports[i] = json_array_get(ports, i);
    qsort(v->ports, v->n, sizeof(*v->ports), port_cmp);
    for (i = 0; i < v->n; i++) {
        port_ids[i] = md_str(v->ports[i], "id");
        port_v4(req, v->ports[i], &v->sub_os[i], &first);
    }
    if (v->n == 0 || ec2gw->ids_to_ec2(req, "eni", port_ids, v->n, v->enis) != 0 ||
        ec2gw->ids_to_ec2(req, "subnet", v->sub_os, v->n, v->subnets) != 0)
        return;
    if (ec2gw->items_get(req, v->subnets, v->n, &sdata) == 0) {
        for (i = 0; i < v->n; i++)
            v->vpcs[i] =
                v->subnets[i] ? md_str(json_object_get(sdata, v->subnets[i]), "vpc_id") : NULL;
        for (i = 0; i < v->n; i++)
            v->vpcs[i] = v->vpcs[i] ? ec2gw->pstrdup(req, v->vpcs[i]) : NULL;
        json_decref(sdata);
    }
}

static const char *
group_ids(ec2gw_req_t *req, const json_t *port)
{
    const json_t *sgs = json_object_get(port, "security_groups");
    size_t n = json_array_size(sgs);
    const char **os = ec2gw->pcalloc(req, (n + 1) * sizeof(*os));
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    const char *out = NULL;

    for (size_t i = 0; i < n; i++)
        os[i] = json_string_value(json_array_get(sgs, i));
    if (n == 0 || ec2gw->ids_to_ec2(req, "sg", os, n, ids) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != NULL)
            out = out ? ec2gw->psprintf(req, "%s\n%s", out, ids[i]) : ids[i];
    return out;
}

/* network/interfaces/macs/ and the primary interface's mac, local-ipv4 and subnet. */
static json_t *
macs_tree(ec2gw_req_t *req, const struct md_nics *v, const json_t *server, const char *host,
          const char *tenant, json_t *ips, const char **primary_mac, const char **primary_ip)
{
    json_t *macs = json_object();

    for (size_t i = 0; i < v->n; i++) {
        const json_t *p = v->ports[i];
        const char *mac = md_str(p, "mac_address"), *sub, *first;
        const char *v4 = port_v4(req, p, &sub, &first);
        json_t *m = json_object();

        if (mac == NULL)
            continue;
        if (*primary_mac == NULL) {
            *primary_mac = mac;
            *primary_ip = first;
        }
        for (const char *a = v4; a != NULL && *a != '\0';) {
            size_t len = strcspn(a, "\n");

            json_array_append_new(ips, json_stringn(a, len));
            a += len + (a[len] == '\n');
        }
        json_object_set_new(m, "device-number", json_sprintf("%zu", i));
        set_str(m, "interface-id", v->enis[i]);
        set_str(m, "local-hostname", host);
        set_str(m, "local-ipv4s", v4);
        set_str(m, "mac", mac);
        set_str(m, "owner-id", tenant);
        set_str(m, "public-ipv4s", floating(req, server, mac));
        set_str(m, "security-group-ids", group_ids(req, p));
        set_str(m, "subnet-id", v->subnets[i]);
        set_str(m, "vpc-id", v->vpcs[i]);
        json_object_set_new(macs, mac, m);
    }
    return macs;
}

/* block-device-mapping/: ami and root, then ebs0.. for the other attached volumes, sorted. */
static json_t *
bdm_tree(const json_t *server, const json_t *vols)
{
    const char *root = md_str(server, "OS-EXT-SRV-ATTR:root_device_name");
    json_t *b = json_object(), *devs = json_array(), *d;
    size_t i, k = 0;
    const json_t *a;

    if (root == NULL)
        root = "/dev/vda";
    json_object_set_new(b, "ami", json_string(root));
    json_object_set_new(b, "root", json_string(root));
    json_array_foreach(vols, i, a)
    {
        const char *dev = md_str(a, "device");

        if (dev != NULL && strcmp(dev, root) != 0)
            json_array_append_new(devs, json_string(dev));
    }
    /* insertion sort: a handful of volumes */
    for (i = 1; i < json_array_size(devs); i++)
        for (size_t j = i; j > 0 && strcmp(json_string_value(json_array_get(devs, j - 1)),
                                           json_string_value(json_array_get(devs, j))) > 0;
             j--) {
            d = json_incref(json_array_get(devs, j));
            json_array_remove(devs, j);
            json_array_insert_new(devs, j - 1, d);
        }
    json_array_foreach(devs, k, d)
    {
        char key[24];

        snprintf(key, sizeof(key), "ebs%zu", k);
        json_object_set(b, key, d);
    }
    json_decref(devs);
    return b;
}

/* A reservation id for a server made outside EC2, as nova-v2.1 derives it. */
static const char *
derived_rid(ec2gw_req_t *req, const char *uuid)
{
    char hex[18];
    size_t n = 0;

    for (const char *p = uuid; *p != '\0' && n < 17; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
            hex[n++] = *p;
    while (n < 17)
        hex[n++] = '0';
    hex[17] = '\0';
    return ec2gw->psprintf(req, "r-%s", hex);
}

json_t *
md_facts(ec2gw_req_t *req, struct md_req *st, const json_t *server, const json_t *ports,
         const json_t *vols, const char *public_key)
{
    const char *uuid = st->uuid, *image = md_str(json_object_get(server, "image"), "id");
    const char *iid = NULL, *ami = NULL, *mac = NULL, *lip = NULL, *pub, *host, *key, *rid;
    const char *region = ec2gw->identity(req)->region;
    json_t *data = NULL, *facts, *t, *opts, *ips = json_array(), *net = NULL, *doc;
    struct md_nics v;
    json_int_t idx;

    if (ec2gw->ids_to_ec2(req, "i", &uuid, 1, &iid) != 0 || iid == NULL)
        return NULL;
    if (image != NULL && image[0] != '\0' && ec2gw->ids_to_ec2(req, "ami", &image, 1, &ami) != 0)
        ami = NULL;
    if (ec2gw->item_get(req, iid, &data) != 0)
        data = NULL;
    idx = json_integer_value(json_object_get(data, "launch_index"));
    rid = md_str(data, "reservation_id") ? md_str(data, "reservation_id") : derived_rid(req, uuid);
    host = md_str(server, "OS-EXT-SRV-ATTR:hostname") ? md_str(server, "OS-EXT-SRV-ATTR:hostname")
                                                      : md_str(server, "name");
    key = md_str(server, "key_name");
    nics_map(req, ports, &v);
    t = json_object();
    set_str(t, "ami-id", ami ? ami : "");
    json_object_set_new(t, "ami-launch-index", json_sprintf("%lld", (long long)idx));
    set_str(t, "ami-manifest-path", "FIXME");
    json_object_set_new(t, "block-device-mapping", bdm_tree(server, vols));
    set_str(t, "hostname", host);
    set_str(t, "instance-action", "none");
    set_str(t, "instance-id", iid);
    set_str(t, "instance-type", md_str(json_object_get(server, "flavor"), "original_name"));
    set_str(t, "local-hostname", host);
    json_object_set_new(t, "network",
                        json_pack("{s:{s:o}}", "interfaces", "macs",
                                  macs_tree(req, &v, server, host, st->tenant, ips, &mac, &lip)));
    if (lip == NULL) /* no Neutron port seen: the address the agent saw (ec2-api does so) */
        lip = st->xff;
    set_str(t, "local-ipv4", lip);
    set_str(t, "mac", mac);
    json_object_set_new(t, "placement",
                        json_pack("{s:s, s:s}", "availability-zone",
                                  md_str(server, "OS-EXT-AZ:availability_zone")
                                      ? md_str(server, "OS-EXT-AZ:availability_zone")
                                      : "nova",
                                  "region", region ? region : ""));
    if ((pub = floating(req, server, mac)) != NULL) {
        json_object_set_new(t, "public-hostname", json_stringn(pub, strcspn(pub, "\n")));
        json_object_set_new(t, "public-ipv4", json_stringn(pub, strcspn(pub, "\n")));
    }
    if (key != NULL && public_key != NULL)
        json_object_set_new(
            t, "public-keys",
            json_pack("{s:{s:s, s:s}}", "0", "openssh-key", public_key, "_name", key));
    set_str(t, "reservation-id", rid);
    set_str(t, "security-groups", group_names(req, server));
    json_object_set_new(t, "services",
                        json_pack("{s:s, s:s}", "domain", "amazonaws.com", "partition", "aws"));
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:n, s:n, s:n, s:n, s:n}",
                    "accountId", st->tenant, "architecture", "x86_64", "availabilityZone",
                    md_str(json_object_get(t, "placement"), "availability-zone"), "imageId",
                    ami ? ami : "", "instanceId", iid, "instanceType",
                    md_str(t, "instance-type") ? md_str(t, "instance-type") : "", "privateIp", lip,
                    "region", region ? region : "", "version", "2017-09-30", "billingProducts",
                    "devpayProductCodes", "marketplaceProductCodes", "kernelId", "ramdiskId");
    if (doc != NULL && md_str(server, "created") != NULL)
        json_object_set_new(doc, "pendingTime", json_string(md_str(server, "created")));
    opts = json_object_get(data, "metadata_options");
    facts = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "tenant", st->tenant, "uuid", uuid,
                      "instance_id", iid, "md_opts", opts ? json_deep_copy(opts) : json_object(),
                      "ips", ips, "tree", t, "os_meta",
                      md_facts_openstack(req, server, ports, host, public_key, idx, &net));
    if (facts != NULL) {
        char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

        set_str(facts, "document", text);
        json_free_text(text);
        json_object_set_new(facts, "os_net", net ? net : json_object());
        json_object_set_new(facts, "user_data",
                            md_str(server, "OS-EXT-SRV-ATTR:user_data")
                                ? json_string(md_str(server, "OS-EXT-SRV-ATTR:user_data"))
                                : json_null());
    } else {
        json_decref(net);
    }
    json_decref(doc);
    json_decref(data);
    return facts;
}
