/*
 * layer_plugin.c - wrap-chain test plugins, one per LAYER:
 *   1 inner: RunInstances (ClientToken, DryRun, rerun) reads a zeroed state() block and answers
 *   2 outer: RunInstances (no flags) marks its state(), waits 1 ms with after(), delegates
 *            from the timer callback and checks its state again in the model hook
 *   3 own:   RunInstances with EC2GW_ACT_OWN_FLAGS (its flags replace the wrapped ones)
 *   4 stranger: only DescribeAvailabilityZones (wraps nothing when put on inner)
 *   5 hooker: like stranger, but with an OpenStack request hook (so it wraps something)
 *   6 needs: like own, with a required setting (a wrap: line cannot give it)
 * Each declares DescribeRegions too (READONLY in inner and own only); create() logs.
 */
#include "layer_plugin.h"

#include <stddef.h>
#include <string.h>

#include <ec2gw/plugin.h>

#ifndef LAYER
#error "define LAYER"
#endif

EC2GW_HOST_DECLARE;

#if LAYER < 4 || LAYER == 6
static void
outer_model(ec2gw_req_t *req, json_t *model, void *arg)
{
    struct layer_obs *o = arg;

    o->hook_runs++;
    o->hook_state_ok = memcmp(ec2gw->state(req, 16), LAYER_OUTER_MARK, 16) == 0;
    ec2gw->log(req, EC2GW_LOG_NOTICE, "layer-hook");
    ec2gw->finish(req, model);
}

static void
outer_later(ec2gw_req_t *req, void *arg)
{
    struct layer_obs *o = arg;

    o->later_runs++;
    o->later_state_ok = memcmp(ec2gw->state(req, 16), LAYER_OUTER_MARK, 16) == 0;
    ec2gw->log(req, EC2GW_LOG_NOTICE, "layer-later");
    o->delegate_rc = ec2gw->delegate(req, outer_model, o);
    if (o->delegate_rc < 0)
        ec2gw->fail(req, 500, "InternalError", "delegate failed (%d)", o->delegate_rc);
}

static int
layer_run(ec2gw_req_t *req, void *inst)
{
    struct layer_obs *o = inst;

    if (LAYER == 2) {
        memcpy(ec2gw->state(req, 16), LAYER_OUTER_MARK, 16);
        return ec2gw->after(req, 1, outer_later, o);
    }
    unsigned char *s = ec2gw->state(req, 64);
    int zero = 1;

    for (size_t i = 0; i < 64; i++)
        zero &= s[i] == 0;
    o->inner_runs++;
    o->inner_state_zero = zero;
    memset(s, 'I', 64);
    ec2gw->finish(req, json_object());
    return EC2GW_OK;
}

#endif

static int
layer_noop(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    ec2gw->finish(req, json_object());
    return EC2GW_OK;
}

static const ec2gw_action_t layer_actions[] = {
#if LAYER == 1
    { .name = "RunInstances",
      .fn = layer_run,
      .flags = EC2GW_ACT_CLIENT_TOKEN | EC2GW_ACT_DRYRUN | EC2GW_ACT_CLIENT_TOKEN_RERUN },
    { .name = "DescribeRegions", .fn = layer_noop, .flags = EC2GW_ACT_READONLY },
#elif LAYER == 2
    { .name = "RunInstances", .fn = layer_run, .flags = 0 },
    { .name = "DescribeRegions", .fn = layer_noop, .flags = 0 },
#elif LAYER == 3 || LAYER == 6
    { .name = "RunInstances", .fn = layer_run, .flags = EC2GW_ACT_OWN_FLAGS },
    { .name = "DescribeRegions", .fn = layer_noop, .flags = EC2GW_ACT_READONLY },
#else
    { .name = "DescribeAvailabilityZones", .fn = layer_noop, .flags = EC2GW_ACT_READONLY },
#endif
    { .name = NULL },
};

#if LAYER == 6
static const ec2gw_setting_t layer_settings[] = {
    { .key = "site",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct layer_obs, site),
      .flags = EC2GW_SET_REQUIRED },
    { .key = NULL },
};
#endif

#if LAYER == 5
static int
hooker_request(ec2gw_req_t *req, void *inst, ec2gw_os_hook_call_t *call)
{
    (void)req;
    (void)inst;
    (void)call;
    return EC2GW_OK;
}

static const ec2gw_os_hook_t layer_hooks[] = {
    { .action = "RunInstances", .on_request = hooker_request },
    { .on_request = NULL, .on_answer = NULL },
};
#endif

static int
layer_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

static int
layer_create(void *inst, ec2gw_cfg_t *cfg)
{
    (void)inst;
    (void)cfg;
    ec2gw->log(NULL, EC2GW_LOG_NOTICE, "layer-create");
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = LAYER_NAME,
    .version = "0.0.1",
    .description = "wrap-chain test plugin",
    .actions = layer_actions,
    .inst_size = sizeof(struct layer_obs),
    .load = layer_load,
    .create = layer_create,
#if LAYER == 5
    .os_hooks = layer_hooks,
#endif
#if LAYER == 6
    .settings = layer_settings,
#endif
};
