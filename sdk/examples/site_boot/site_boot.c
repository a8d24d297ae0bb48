/* site_boot.c - a site's Nova metadata, scheduler hint and tag on compute's boots (ABI 1.3). */
#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

struct site {
    const char *site, *group; /* metadata and tag value; a Nova server group uuid, or NULL */
};

static int
boot_hook(ec2gw_req_t *req, void *inst, ec2gw_os_hook_call_t *call)
{
    const struct site *s = inst;
    json_t *md = json_object_get(json_object_get(call->body, "server"), "metadata");

    if (!json_is_object(md)) /* not a boot (compute's carry their ec2_* metadata) */
        return EC2GW_OK;
    json_object_set_new(md, "site", json_string(s->site));
    json_object_set_new(call->body, "os:scheduler_hints", json_pack("{s:s*}", "group", s->group));
    return (void)req, EC2GW_OK;
}

static int
run_instances(ec2gw_req_t *req, void *inst)
{
    json_t *p = ec2gw->params_mut(req),
           *specs = json_pack("[{s:s, s:[{s:s, s:s}]}]", "ResourceType", "instance", "Tags", "Key",
                              "site", "Value", ((struct site *)inst)->site);
    json_array_extend(specs, json_object_get(p, "TagSpecifications"));
    json_object_set_new(p, "TagSpecifications", specs);
    return ec2gw->delegate(req, NULL, inst);
}

static int
site_load(const ec2gw_host_api_t *host)
{
    return (ec2gw = host) != NULL ? 0 : EC2GW_E_FAIL;
}

static const ec2gw_setting_t settings[] = {
    { "site", EC2GW_SET_STR, offsetof(struct site, site), "cern", 0, "metadata and tag value" },
    { "server_group", EC2GW_SET_STR, offsetof(struct site, group), NULL, 0, "hint: group uuid" },
    { NULL },
};
static const ec2gw_os_hook_t hooks[] = {
    { "RunInstances", "compute", "POST", "/servers", boot_hook, NULL }, { NULL }
};
static const ec2gw_action_t actions[] = {
    { "RunInstances", run_instances, EC2GW_ACT_CLIENT_TOKEN_RERUN }, { NULL }
};
EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "site-boot",
    .actions = actions,
    .settings = settings,
    .os_hooks = hooks,
    .inst_size = sizeof(struct site),
    .load = site_load,
};
