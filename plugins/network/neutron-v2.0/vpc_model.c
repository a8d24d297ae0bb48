/*
 * vpc_model.c - what vpc-core's actions share: IPv4 CIDR arithmetic, parameter checks, tags,
 * item reads, the Vpc model and its filters, and neutron_vpc_get (vpc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpc_priv.h"

int
vpc_cidr_parse(const char *s, uint32_t *net, int *prefix)
{
    unsigned a, b, c, d, n;
    char tail;
    uint32_t ip, mask;

    if (s == NULL || sscanf(s, "%3u.%3u.%3u.%3u/%2u%c", &a, &b, &c, &d, &n, &tail) != 5)
        return -1;
    if (a > 255 || b > 255 || c > 255 || d > 255 || n > 32 || strchr(s, ' ') != NULL ||
        strchr(s, '+') != NULL || strchr(s, '-') != NULL)
        return -1;
    ip = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
    mask = n == 0 ? 0 : 0xffffffffu << (32 - n);
    *net = ip & mask;
    *prefix = (int)n;
    return 0;
}

const char *
vpc_cidr_str(ec2gw_req_t *req, uint32_t net, int prefix)
{
    return ec2gw->psprintf(req, "%u.%u.%u.%u/%d", net >> 24, (net >> 16) & 255, (net >> 8) & 255,
                           net & 255, prefix);
}

static uint32_t
vpc_mask(int prefix)
{
    return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int
vpc_cidr_inside(uint32_t inner, int ip, uint32_t outer, int op)
{
    return ip >= op && (inner & vpc_mask(op)) == outer;
}

int
vpc_cidr_overlap(uint32_t a, int ap, uint32_t b, int bp)
{
    int p = ap < bp ? ap : bp;

    return (a & vpc_mask(p)) == (b & vpc_mask(p));
}

const char *
vpc_cidr_param(ec2gw_req_t *req, const char *param, const char *value, const char *range_code)
{
    uint32_t net;
    int prefix;

    if (value == NULL) {
        vpc_missing(req, param);
        return NULL;
    }
    if (vpc_cidr_parse(value, &net, &prefix) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%.64s) for parameter %s is invalid. This is not a valid CIDR block.",
                    value, param);
        return NULL;
    }
    if (prefix < 16 || prefix > 28) {
        ec2gw->fail(req, 400, range_code,
                    "The CIDR '%.64s' is invalid (%s): the block size "
                    "must be between /16 and /28.",
                    value, param);
        return NULL;
    }
    return vpc_cidr_str(req, net, prefix);
}

json_t *
vpc_tags_param(ec2gw_req_t *req, const char *type)
{
    json_t *tags;
    const json_t *t;
    size_t i;

    if (neutron_check_tag_specs(req, type) != 0)
        return NULL;
    tags = neutron_own(req, neutron_tag_specs(ec2gw->params(req), type));
    json_array_foreach(tags, i, t)
    {
        const char *k = neutron_str(t, "Key"), *v = neutron_str(t, "Value");

        if (k == NULL || k[0] == '\0' || strlen(k) > 127 || (v != NULL && strlen(v) > 255)) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Tag keys must be 1 to 127 characters and values at most 255");
            return NULL;
        }
        if (strncmp(k, "aws:", 4) == 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Tag keys starting with 'aws:' are reserved for internal use");
            return NULL;
        }
    }
    return tags;
}

void
vpc_attach_tags(ec2gw_req_t *req, json_t *items, const char *key)
{
    size_t n = json_array_size(items);
    const char **ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*ids));
    json_t *tags = NULL, *it;
    size_t i;

    json_array_foreach(items, i, it) ids[i] = neutron_or(neutron_str(it, key));
    if (n == 0 || ec2gw->tags_get(req, ids, n, &tags) != 0)
        return;
    json_array_foreach(items, i, it)
    {
        json_t *t = json_object_get(tags, ids[i]);

        if (t != NULL)
            json_object_set(it, "Tags", t);
    }
    json_decref(tags);
}

json_t *
vpc_items(ec2gw_req_t *req, const char *kind)
{
    json_t *out = NULL;

    if (ec2gw->items_list(req, kind, &out) != 0 || out == NULL) {
        ec2gw->log(req, EC2GW_LOG_ERROR, "items_list %s failed", kind);
        return neutron_own(req, json_object());
    }
    return neutron_own(req, out);
}

int
vpc_flag(const json_t *data, const char *key, int def)
{
    const json_t *v = json_object_get(data, key);

    return json_is_boolean(v) ? json_is_true(v) : def;
}

int
neutron_vpc_get(ec2gw_req_t *req, const char *vpc_id, json_t **data)
{
    json_t *d = NULL;

    *data = NULL;
    if (vpc_id == NULL)
        return vpc_missing(req, "VpcId");
    if (strncmp(vpc_id, "vpc-", 4) != 0)
        return vpc_fail_id(req, "InvalidVpcID", "vpc", vpc_id, "vpc-");
    /* a default VPC still being made has no router yet: not a VPC for the caller */
    if (ec2gw->item_get(req, vpc_id, &d) != 0 || !json_is_object(d) ||
        json_object_get(d, "default_state") != NULL) {
        json_decref(d);
        return vpc_fail_id(req, "InvalidVpcID", "vpc", vpc_id, "vpc-");
    }
    *data = d;
    return EC2GW_OK;
}

json_t *
vpc_model(ec2gw_req_t *req, const char *id, const json_t *data)
{
    const char *dopt = neutron_str(data, VPC_F_DHCP_OPTIONS_ID);
    const char *cidr = neutron_or(neutron_str(data, VPC_F_CIDR_BLOCK));

    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:[{s:s, s:s, s:{s:s}}], s:[]}", "VpcId",
                     id, "State", "available", "CidrBlock", cidr, "DhcpOptionsId",
                     dopt != NULL ? dopt : "default", "InstanceTenancy", "default", "IsDefault",
                     vpc_flag(data, VPC_F_IS_DEFAULT, 0), "OwnerId",
                     neutron_or(ec2gw->identity(req)->owner_id), "CidrBlockAssociationSet",
                     "AssociationId", ec2gw->psprintf(req, "vpc-cidr-assoc-%s", id + 4),
                     "CidrBlock", cidr, "CidrBlockState", "State", "associated", "Tags");
}

static void
vpc_add(json_t *values, const char *s)
{
    if (s != NULL)
        json_array_append_new(values, json_string(s));
}

int
vpc_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    const json_t *assoc = json_array_get(json_object_get(item, "CidrBlockAssociationSet"), 0);

    (void)req;
    (void)arg;
    if (strcmp(name, "cidr") == 0 || strcmp(name, "cidr-block") == 0 ||
        strcmp(name, "cidrBlock") == 0 || strcmp(name, "cidr-block-association.cidr-block") == 0)
        vpc_add(values, neutron_str(item, "CidrBlock"));
    else if (strcmp(name, "cidr-block-association.association-id") == 0)
        vpc_add(values, neutron_str(assoc, "AssociationId"));
    else if (strcmp(name, "cidr-block-association.state") == 0)
        vpc_add(values, "associated");
    else if (strcmp(name, "dhcp-options-id") == 0)
        vpc_add(values, neutron_str(item, "DhcpOptionsId"));
    else if (strcmp(name, "is-default") == 0 || strcmp(name, "isDefault") == 0)
        vpc_add(values, json_is_true(json_object_get(item, "IsDefault")) ? "true" : "false");
    else if (strcmp(name, "state") == 0)
        vpc_add(values, neutron_str(item, "State"));
    else if (strcmp(name, "vpc-id") == 0)
        vpc_add(values, neutron_str(item, "VpcId"));
    else if (strcmp(name, "owner-id") == 0)
        vpc_add(values, neutron_str(item, "OwnerId"));
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

int
vpc_check_ids(ec2gw_req_t *req, const char *param, const json_t *items, const char *prefix,
              const char *code, const char *what)
{
    const json_t *v;
    size_t i;

    json_array_foreach(json_object_get(ec2gw->params(req), param), i, v)
    {
        const char *id = json_string_value(v);

        if (id == NULL || json_object_get(items, id) == NULL) {
            vpc_fail_id(req, code, what, neutron_or(id), prefix);
            return -1;
        }
    }
    return 0;
}

int
vpc_fail_id(ec2gw_req_t *req, const char *code_base, const char *what, const char *id,
            const char *prefix)
{
    if (strncmp(id, prefix, strlen(prefix)) != 0)
        ec2gw->fail(req, 400, ec2gw->psprintf(req, "%s.Malformed", code_base),
                    "Invalid id: \"%.64s\" (expecting \"%s...\")", id, prefix);
    else
        ec2gw->fail(req, 400, ec2gw->psprintf(req, "%s.NotFound", code_base),
                    "The %s ID '%.64s' does not exist", what, id);
    return EC2GW_OK;
}

int
vpc_missing(ec2gw_req_t *req, const char *name)
{
    ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter %s", name);
    return EC2GW_OK;
}

void
vpc_os_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *not_found)
{
    ec2gw->fail_from_os(req, r, not_found);
}

int
vpc_call(ec2gw_req_t *req, const ec2gw_os_call_t *call, ec2gw_os_done_fn done, void *arg)
{
    if (ec2gw->os_call(req, call, done, arg) < 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
        return EC2GW_OK;
    }
    return EC2GW_AGAIN;
}

struct vpc_cleanup {
    const char *what;
    vpc_then_fn then;
    void *arg;
};

static void
vpc_cleaned(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct vpc_cleanup *c = arg;

    if (!ec2gw_os_ok(r) && r->status != 404)
        ec2gw->log(req, EC2GW_LOG_ERROR, "cleanup %s failed (%ld): %s", c->what, r->status,
                   neutron_error_message(req, r));
    c->then(req, c->arg);
}

void
vpc_cleanup_call(ec2gw_req_t *req, const char *method, const char *path, const json_t *body,
                 vpc_then_fn then, void *arg)
{
    struct vpc_cleanup *c = ec2gw->pcalloc(req, sizeof(*c));
    ec2gw_os_call_t call = EC2GW_OS_CALL("network", method, path, .body = body);

    c->what = ec2gw->psprintf(req, "%s %s", method, path);
    c->then = then;
    c->arg = arg;
    if (ec2gw->os_call(req, &call, vpc_cleaned, c) < 0) {
        ec2gw->log(req, EC2GW_LOG_ERROR, "cleanup %s could not start", c->what);
        then(req, arg);
    }
}
