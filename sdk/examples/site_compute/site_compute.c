/*
 * site_compute.c - a wrapper plugin (c-style.md §5.11): it sits in front of another instance
 * with `wraps:`, lets the wrapped handler answer DescribeAccountAttributes, and edits the
 * model on its way out (the post-processing pattern). Actions it does not declare reach the
 * wrapped instance untouched.
 *
 * conf.d/90-site.yaml:
 *   plugin: site-compute
 *   instance: site
 *   wraps: hello                  # the instance it sits in front of
 *   settings:
 *     max_security_groups: 10
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

#define SITE_SG_ATTRIBUTE "vpc-max-security-groups-per-interface"

struct site_inst {
    int64_t max_security_groups;
};

static const ec2gw_setting_t site_settings[] = {
    { .key = "max_security_groups",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct site_inst, max_security_groups),
      .def = "5",
      .help = "value of " SITE_SG_ATTRIBUTE },
    { .key = NULL },
};

/* Was the attribute asked for (no AttributeNames: all of them)? */
static int
site_wanted(ec2gw_req_t *req, const char *name)
{
    const json_t *names = json_object_get(ec2gw->params(req), "AttributeNames");
    size_t i;
    json_t *n;

    if (json_array_size(names) == 0)
        return 1;
    json_array_foreach(names, i, n) if (json_is_string(n) &&
                                        strcmp(json_string_value(n), name) == 0) return 1;
    return 0;
}

/* The wrapped handler's model arrives here (stolen): edit it, then answer. */
static void
site_account_attributes_edit(ec2gw_req_t *req, json_t *model, void *arg)
{
    const struct site_inst *si = arg;
    json_t *attrs = json_object_get(model, "AccountAttributes");
    const char *v = ec2gw->psprintf(req, "%lld", (long long)si->max_security_groups);

    if (!json_is_array(attrs)) {
        attrs = json_array();
        json_object_set_new(model, "AccountAttributes", attrs);
    }
    if (site_wanted(req, SITE_SG_ATTRIBUTE))
        json_array_append_new(attrs,
                              json_pack("{s:s, s:[{s:s}]}", "AttributeName", SITE_SG_ATTRIBUTE,
                                        "AttributeValues", "AttributeValue", v));
    ec2gw->finish(req, model);
}

static int
site_describe_account_attributes(ec2gw_req_t *req, void *inst)
{
    int rc = ec2gw->delegate(req, site_account_attributes_edit, inst);

    if (rc == EC2GW_E_NOTFOUND) { /* configured without `wraps:` */
        ec2gw->fail(req, 500, "InternalError", "site-compute wraps no instance serving %s",
                    ec2gw->action(req));
        return EC2GW_OK;
    }
    return rc;
}

static const ec2gw_action_t site_actions[] = {
    { .name = "DescribeAccountAttributes",
      .fn = site_describe_account_attributes,
      .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

static int
site_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

static int
site_create(void *inst, ec2gw_cfg_t *cfg)
{
    const struct site_inst *si = inst;

    if (si->max_security_groups < 1 || si->max_security_groups > 16) {
        ec2gw->cfg_error(cfg, "max_security_groups", "%lld is out of range (1..16)",
                         (long long)si->max_security_groups);
        return EC2GW_E_INVAL;
    }
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "site-compute",
    .version = "1.0.0",
    .description = "SDK example: a wrapper that post-processes DescribeAccountAttributes",
    .actions = site_actions,
    .settings = site_settings,
    .inst_size = sizeof(struct site_inst),
    .load = site_load,
    .create = site_create,
};
