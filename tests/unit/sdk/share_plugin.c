/*
 * share_plugin.c - a test plugin for the fake host's shared reads (ABI 1.4): DescribeVolumes
 * reads a shared GET as it should; DescribeSnapshots changes the shared answer it got (the
 * bug the fake host must report).
 */
#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

static int bad_marker; /* the callback argument of the bad action */

static void
listed(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    size_t n = json_array_size(json_object_get(resp->json, "volumes"));

    if (arg != NULL) { /* the bug: a shared answer changed in place */
        json_object_del(resp->json, "volumes");
        ec2gw->finish(req, json_pack("{s:[]}", "Snapshots"));
        return;
    }
    ec2gw->finish(req, json_pack("{s:[{s:s, s:I}]}", "Volumes", "VolumeId", "vol-00000001", "Size",
                                 (json_int_t)n));
}

static int
list(ec2gw_req_t *req, void *bad)
{
    ec2gw_os_call_t c =
        EC2GW_OS_CALL("volumev3", "GET", "/volumes/detail", .flags = EC2GW_CALL_SHARED);

    return ec2gw->os_call(req, &c, listed, bad) < 0 ? EC2GW_OK : EC2GW_AGAIN;
}

static int
describe_volumes(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return list(req, NULL);
}

static int
describe_snapshots(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return list(req, &bad_marker);
}

static const ec2gw_action_t actions[] = {
    { .name = "DescribeVolumes", .fn = describe_volumes, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeSnapshots", .fn = describe_snapshots, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

static int
share_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "th-share",
    .version = "0.0.1",
    .service = { .type = "volumev3", .api = "v3" },
    .actions = actions,
    .load = share_load,
};
