/*
 * dopt.c - CreateDhcpOptions, DeleteDhcpOptions, and the extra_dhcp_opts of a VPC's ports
 * (openstack-mapping.md §16.6). Values are checked before they reach dnsmasq: IP-valued keys
 * must be IPv4 addresses, names may not carry the separators of its option syntax.
 */
#include "dopt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* EC2 key → dnsmasq option name; ip: the values are addresses. */
static const struct {
    const char *key, *opt;
    int ip, max;
} dopt_keys[] = {
    { "domain-name-servers", "dns-server", 1, 4 },
    { "domain-name", "domain-name", 0, 1 },
    { "ntp-servers", "ntp-server", 1, 4 },
    { "netbios-name-servers", "netbios-ns", 1, 4 },
    { "netbios-node-type", "netbios-nodetype", 0, 1 },
};
#define DOPT_NKEYS      (sizeof(dopt_keys) / sizeof(dopt_keys[0]))
#define DOPT_AMAZON_DNS "AmazonProvidedDNS" /* Neutron's own resolver: no option */

json_t *
dopt_port_opts(const json_t *config, json_int_t mtu)
{
    json_t *out = json_array();

    for (size_t i = 0; i < DOPT_NKEYS; i++) {
        const json_t *vals = json_object_get(config, dopt_keys[i].key), *v;
        char buf[1024] = "";
        size_t j, o = 0;

        json_array_foreach(vals, j, v)
        {
            const char *s = json_string_value(v);

            if (s == NULL || strcmp(s, DOPT_AMAZON_DNS) == 0 || o + strlen(s) + 2 >= sizeof(buf))
                continue;
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? "," : "", s);
        }
        json_array_append_new(out, json_pack("{s:s, s:s?}", "opt_name", dopt_keys[i].opt,
                                             "opt_value", o > 0 ? buf : NULL));
    }
    if (config != NULL && mtu > 0) {
        char m[24];

        snprintf(m, sizeof(m), "%" JSON_INTEGER_FORMAT, mtu);
        json_array_append_new(out, json_pack("{s:s, s:s}", "opt_name", "mtu", "opt_value", m));
    } else
        json_array_append_new(out, json_pack("{s:s, s:n}", "opt_name", "mtu", "opt_value"));
    return out;
}

json_t *
neutron_dopt_port_opts(ec2gw_req_t *req, const json_t *vpc_data)
{
    const char *id = neutron_str(vpc_data, VPC_F_DHCP_OPTIONS_ID);
    json_t *data = NULL, *out, *kept;
    json_t *o;
    size_t i;

    if (id == NULL || strcmp(id, "default") == 0 || ec2gw->item_get(req, id, &data) != 0)
        return NULL;
    out = dopt_port_opts(json_object_get(data, VPC_F_DHCP_CONFIGURATION), 0);
    json_decref(data);
    /* a new port has nothing to remove: keep only the options with a value */
    kept = json_array();
    json_array_foreach(out, i, o) if (json_is_string(json_object_get(o, "opt_value")))
        json_array_append(kept, o);
    json_decref(out);
    return kept;
}

json_t *
dopt_get(ec2gw_req_t *req, const char *id)
{
    json_t *d = NULL;

    if (id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter DhcpOptionsId");
        return NULL;
    }
    if (strncmp(id, "dopt-", 5) != 0 || ec2gw->item_get(req, id, &d) != 0 || !json_is_object(d)) {
        json_decref(d);
        ec2gw->fail(req, 400, "InvalidDhcpOptionID.NotFound",
                    "The dhcpOption ID '%.64s' does not exist", id);
        return NULL;
    }
    return neutron_own(req, d);
}

json_t *
dopt_model(ec2gw_req_t *req, const char *id, const json_t *data)
{
    const json_t *cfg = json_object_get(data, VPC_F_DHCP_CONFIGURATION);
    json_t *set = json_array();

    for (size_t i = 0; i < DOPT_NKEYS; i++) {
        const json_t *vals = json_object_get(cfg, dopt_keys[i].key), *v;
        json_t *vs;
        size_t j;

        if (vals == NULL)
            continue;
        vs = json_array();
        json_array_foreach(vals, j, v) json_array_append_new(vs, json_pack("{s:O}", "Value", v));
        json_array_append_new(set, json_pack("{s:s, s:o}", "Key", dopt_keys[i].key, "Values", vs));
    }
    return json_pack("{s:s, s:s, s:o, s:[]}", "DhcpOptionsId", id, "OwnerId",
                     ec2gw->identity(req)->owner_id, "DhcpConfigurations", set, "Tags");
}

/* -- CreateDhcpOptions -------------------------------------------------------------------- */

static int
dopt_bad(ec2gw_req_t *req, const char *key, const char *value, const char *why)
{
    ec2gw->fail(req, 400, "InvalidParameterValue", "Value (%.128s) for parameter %s is invalid. %s",
                value, key, why);
    return -1;
}

static int
dopt_check_value(ec2gw_req_t *req, size_t k, const char *s)
{
    struct in_addr a;

    if (s == NULL || *s == '\0' || strlen(s) > 255)
        return dopt_bad(req, dopt_keys[k].key, neutron_or(s), "1 to 255 characters are allowed.");
    if (dopt_keys[k].ip) {
        if (k == 0 && strcmp(s, DOPT_AMAZON_DNS) == 0)
            return 0;
        if (inet_pton(AF_INET, s, &a) != 1)
            return dopt_bad(req, dopt_keys[k].key, s, "It is not an IPv4 address.");
        return 0;
    }
    if (strcmp(dopt_keys[k].key, "netbios-node-type") == 0 && strcmp(s, "1") != 0 &&
        strcmp(s, "2") != 0 && strcmp(s, "4") != 0 && strcmp(s, "8") != 0)
        return dopt_bad(req, dopt_keys[k].key, s, "Valid node types are 1, 2, 4 and 8.");
    if (strpbrk(s, ",\"'\\\n\r\t") != NULL)
        return dopt_bad(req, dopt_keys[k].key, s, "It contains characters not allowed here.");
    return 0;
}

/* {key: [values]} of DhcpConfiguration.N (returns new), or NULL after failing. */
static json_t *
dopt_config(ec2gw_req_t *req)
{
    const json_t *list = json_object_get(ec2gw->params(req), "DhcpConfigurations"), *c, *v;
    json_t *cfg = json_object();
    size_t i, j, k;

    if (json_array_size(list) == 0) {
        json_decref(cfg);
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter dhcpConfiguration");
        return NULL;
    }
    json_array_foreach(list, i, c)
    {
        const char *key = neutron_str(c, "Key");
        json_t *vals = json_object_get(c, "Values");

        for (k = 0; k < DOPT_NKEYS && strcmp(neutron_or(key), dopt_keys[k].key) != 0; k++)
            ;
        if (k == DOPT_NKEYS || json_object_get(cfg, key) != NULL || json_array_size(vals) == 0 ||
            json_array_size(vals) > (size_t)dopt_keys[k].max) {
            json_decref(cfg);
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        k == DOPT_NKEYS ? "Invalid value '%.64s' for dhcp-configuration key"
                        : json_array_size(vals) == 0        ? "The key %.64s needs a value"
                        : json_object_get(cfg, key) != NULL ? "The key %.64s is given twice"
                                                            : "Too many values for the key %.64s",
                        neutron_or(key));
            return NULL;
        }
        json_array_foreach(vals, j, v) if (dopt_check_value(req, k, json_string_value(v)) != 0)
        {
            json_decref(cfg);
            return NULL;
        }
        json_object_set(cfg, key, vals);
    }
    return cfg;
}

int
neutron_create_dhcp_options(ec2gw_req_t *req, void *inst)
{
    const char *id = NULL;
    json_t *cfg, *tags, *data, *model;

    (void)inst;
    if (neutron_check_tag_specs(req, "dhcp-options") != 0 || (cfg = dopt_config(req)) == NULL)
        return EC2GW_OK;
    tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), "dhcp-options"));
    data = neutron_own(req, json_pack("{s:o}", VPC_F_DHCP_CONFIGURATION, cfg));
    if (ec2gw->new_id(req, VPC_KIND_DOPT, &id) != 0 || ec2gw->item_put(req, id, NULL, data) != 0) {
        ec2gw->fail(req, 500, "InternalError", "the DHCP options could not be stored");
        return EC2GW_OK;
    }
    if (json_array_size(tags) > 0 && ec2gw->tags_set(req, id, tags) != 0) {
        ec2gw->item_delete(req, id);
        ec2gw->fail(req, 500, "InternalError", "the DHCP options' tags could not be stored");
        return EC2GW_OK;
    }
    model = dopt_model(req, id, data);
    json_object_set(model, "Tags", tags);
    ec2gw->finish(req, json_pack("{s:o}", "DhcpOptions", model));
    return EC2GW_OK;
}

/* -- DeleteDhcpOptions -------------------------------------------------------------------- */

int
neutron_delete_dhcp_options(ec2gw_req_t *req, void *inst)
{
    const char *id = neutron_param_str(req, "DhcpOptionsId"), *k;
    json_t *vpcs, *v;

    (void)inst;
    if (dopt_get(req, id) == NULL || (vpcs = rtb_items(req, VPC_KIND_VPC, NULL)) == NULL)
        return EC2GW_OK;
    json_object_foreach(vpcs, k, v)
    {
        if (strcmp(neutron_or(neutron_str(v, VPC_F_DHCP_OPTIONS_ID)), id) == 0) {
            ec2gw->fail(req, 400, "DependencyViolation",
                        "The dhcpOptions '%s' has dependencies and cannot be deleted: %s uses "
                        "them",
                        id, k);
            return EC2GW_OK;
        }
    }
    if (ec2gw->item_delete(req, id) != 0) {
        ec2gw->fail(req, 500, "InternalError", "the DHCP options could not be deleted");
        return EC2GW_OK;
    }
    neutron_finish_true(req);
    return EC2GW_OK;
}
