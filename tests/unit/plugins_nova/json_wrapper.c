/*
 * json_wrapper.c - a test wrapper of nova-v2.1's DescribeInstances that, for requests with
 * MaxResults only, reads the answer's instances in on_model: each must be JSON with an
 * InstanceId (render_item, ABI 1.5, is refused while it waits, so no XML kept by an earlier
 * request may reach it); else it answers InternalError. Other requests pass through.
 */
#include <stddef.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

static void
check_model(ec2gw_req_t *req, json_t *model, void *arg)
{
    const json_t *res, *it;
    size_t i, j;

    (void)arg;
    json_array_foreach(json_object_get(model, "Reservations"), i, res)
    {
        json_array_foreach(json_object_get(res, "Instances"), j, it)
        {
            if (!json_is_string(json_object_get(it, "InstanceId"))) {
                json_decref(model);
                ec2gw->fail(req, 500, "InternalError", "an instance the wrapper cannot read");
                return;
            }
        }
    }
    ec2gw->finish(req, model);
}

static int
describe_instances(ec2gw_req_t *req, void *inst)
{
    if (json_object_get(ec2gw->params(req), "MaxResults") == NULL)
        return ec2gw->delegate(req, NULL, inst);
    return ec2gw->delegate(req, check_model, inst);
}

static int
wrapper_load(const ec2gw_host_api_t *host)
{
    return (ec2gw = host) != NULL ? 0 : EC2GW_E_FAIL;
}

static const ec2gw_action_t actions[] = {
    { .name = "DescribeInstances", .fn = describe_instances, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "nova-json-wrapper",
    .version = "1",
    .description = "test: reads DescribeInstances' instances as JSON",
    .actions = actions,
    .load = wrapper_load,
};
