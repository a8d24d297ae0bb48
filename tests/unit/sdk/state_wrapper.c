/*
 * state_wrapper.c - wraps th-probe's DescribeVolumes and fills its own state() block with 0xAB
 * before delegating: with one block per layer, as ec2gwd gives (host_layer.c), the probe still
 * counts its answers from zero (test_testhost.c, layers_have_their_own_state).
 */
#include <string.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

#define STATE_BYTES 64

static int
describe_volumes(ec2gw_req_t *req, void *inst)
{
    unsigned char *st = ec2gw->state(req, STATE_BYTES);

    for (size_t i = 0; i < STATE_BYTES; i++) {
        if (st[i] != 0) {
            ec2gw->fail(req, 500, "InternalError", "the wrapper's state() was not zeroed");
            return EC2GW_OK;
        }
    }
    memset(st, 0xAB, STATE_BYTES);
    return ec2gw->delegate(req, NULL, inst);
}

static int
wrapper_load(const ec2gw_host_api_t *host)
{
    return (ec2gw = host) != NULL ? 0 : EC2GW_E_FAIL;
}

static const ec2gw_action_t actions[] = {
    { .name = "DescribeVolumes", .fn = describe_volumes, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "th-state-wrapper",
    .actions = actions,
    .load = wrapper_load,
};
