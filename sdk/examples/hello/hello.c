/*
 * hello.c - the smallest ec2gw plugin: one synchronous action, a settings schema, and a
 * create() that validates what the schema cannot express.
 *
 * conf.d/50-hello.yaml:
 *   plugin: hello
 *   instance: hello
 *   settings:
 *     platforms: [VPC]
 *     max_instances: 20
 *
 * $ aws ec2 describe-account-attributes --endpoint-url http://127.0.0.1:8788/
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

/** One instance (one conf.d file): bound from `settings:`, read-only after create(). */
struct hello_inst {
    ec2gw_strlist_t platforms; /* supported-platforms: EC2 and/or VPC */
    int64_t max_instances;     /* max-instances */
    const char *default_vpc;   /* default-vpc: "none" or a vpc id */
};

static const ec2gw_setting_t hello_settings[] = {
    { .key = "platforms",
      .type = EC2GW_SET_STR_LIST,
      .offset = offsetof(struct hello_inst, platforms),
      .def = "[VPC]",
      .help = "values of supported-platforms (EC2, VPC)" },
    { .key = "max_instances",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct hello_inst, max_instances),
      .def = "20",
      .help = "value of max-instances" },
    { .key = "default_vpc",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct hello_inst, default_vpc),
      .def = "none",
      .help = "value of default-vpc" },
    { .key = NULL },
};

/* Is attribute @p name asked for? No AttributeNames means all of them. */
static int
hello_wanted(const json_t *names, const char *name)
{
    size_t i;
    json_t *n;

    if (json_array_size(names) == 0)
        return 1;
    json_array_foreach(names, i, n) if (json_is_string(n) &&
                                        strcmp(json_string_value(n), name) == 0) return 1;
    return 0;
}

/* {"AttributeName": name, "AttributeValues": [{"AttributeValue": v}, ...]}: returns new. */
static json_t *
hello_attribute(const char *name, const char *const *values, size_t n)
{
    json_t *vals = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(vals, json_pack("{s:s}", "AttributeValue", values[i]));
    return json_pack("{s:s, s:o}", "AttributeName", name, "AttributeValues", vals);
}

static int
hello_describe_account_attributes(ec2gw_req_t *req, void *inst)
{
    const struct hello_inst *hi = inst;
    const json_t *names = json_object_get(ec2gw->params(req), "AttributeNames");
    json_t *attrs = json_array();
    const char *max = ec2gw->psprintf(req, "%lld", (long long)hi->max_instances);

    if (hello_wanted(names, "supported-platforms"))
        json_array_append_new(
            attrs, hello_attribute("supported-platforms", hi->platforms.v, hi->platforms.n));
    if (hello_wanted(names, "max-instances"))
        json_array_append_new(attrs, hello_attribute("max-instances", &max, 1));
    if (hello_wanted(names, "default-vpc"))
        json_array_append_new(attrs, hello_attribute("default-vpc", &hi->default_vpc, 1));
    ec2gw->log(req, EC2GW_LOG_DEBUG, "answering %zu attributes", json_array_size(attrs));
    ec2gw->finish(req, json_pack("{s:o}", "AccountAttributes", attrs));
    return EC2GW_OK;
}

static const ec2gw_action_t hello_actions[] = {
    { .name = "DescribeAccountAttributes",
      .fn = hello_describe_account_attributes,
      .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

static int
hello_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

/* Cross-field and value rules the schema's types cannot say. */
static int
hello_create(void *inst, ec2gw_cfg_t *cfg)
{
    const struct hello_inst *hi = inst;

    if (hi->platforms.n == 0) {
        ec2gw->cfg_error(cfg, "platforms", "at least one platform is required");
        return EC2GW_E_INVAL;
    }
    for (size_t i = 0; i < hi->platforms.n; i++) {
        if (strcmp(hi->platforms.v[i], "EC2") != 0 && strcmp(hi->platforms.v[i], "VPC") != 0) {
            ec2gw->cfg_error(cfg, "platforms", "'%s' is not a platform (EC2 or VPC)",
                             hi->platforms.v[i]);
            return EC2GW_E_INVAL;
        }
    }
    if (hi->max_instances < 0 || hi->max_instances > 100000) {
        ec2gw->cfg_error(cfg, "max_instances", "%lld is out of range (0..100000)",
                         (long long)hi->max_instances);
        return EC2GW_E_INVAL;
    }
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "hello",
    .version = "1.0.0",
    .description = "SDK example: DescribeAccountAttributes from settings",
    .actions = hello_actions,
    .settings = hello_settings,
    .inst_size = sizeof(struct hello_inst),
    .load = hello_load,
    .create = hello_create,
};
