/*
 * hook_plugin.c - test plugins of the ABI 1.3 OpenStack hooks, run by the fake host
 * (test_os_hooks.c) and by ec2gwd's host (tests/unit/server_host/test_os_hooks_daemon.c) with
 * the same assertions:
 *   HOOK_ROLE 1  hk-inner: DescribeKeyPairs (GET /os-keypairs), DescribeRegions (a fan-out
 *                of POST /servers and GET /flavors) and DescribeImages (os_transfer of GET
 *                /blob into PUT /blob-copy); each answer shows what it received.
 *   HOOK_ROLE 2  hk-outer: wraps hk-inner. Its hooks add a query and a header to the key pair
 *                list and a key pair to its answer, add Nova metadata to POST /servers (or, with
 *                `refuse: true`, fail the request there), and turn a failed /flavors answer
 *                into a list of one, put a header on both halves of the transfer and a query on
 *                its upload, and turn the upload's 204 into 201. Its own GET /os-keypairs
 *                (before delegating) is not hooked.
 */
#include "hook_plugin.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

#if HOOK_ROLE == 1

static void
keypairs_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct hook_obs *obs = arg;
    json_t *kps = json_array(), *kp;
    size_t i, len = 0;

    obs->key_names[0] = '\0';
    json_array_foreach(json_object_get(resp->json, "keypairs"), i, kp)
    {
        json_t *name = json_object_get(json_object_get(kp, "keypair"), "name");

        if (json_is_string(name) && len < sizeof(obs->key_names))
            len += (size_t)snprintf(obs->key_names + len, sizeof(obs->key_names) - len, "%s%s",
                                    len ? " " : "", json_string_value(name));
        json_array_append_new(kps, json_pack("{s:O?, s:s}", "KeyName", name, "KeyFingerprint",
                                             ec2gw->psprintf(req, "%ld", resp->status)));
    }
    ec2gw->finish(req, json_pack("{s:o}", "KeyPairs", kps));
}

static int
describe_key_pairs(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t c = EC2GW_OS_GET("compute", "/os-keypairs");

    return ec2gw->os_call(req, &c, keypairs_done, inst);
}

static void
regions_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *resps, size_t n, void *arg)
{
    struct hook_obs *obs = arg;
    json_t *regions = json_array();

    obs->status[0] = resps[0]->status;
    obs->status[1] = resps[1]->status;
    obs->flavors = (long)json_array_size(json_object_get(resps[1]->json, "flavors"));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            regions, json_pack("{s:s, s:s}", "RegionName",
                               ec2gw->psprintf(req, "%ld", resps[i]->status), "Endpoint",
                               ec2gw->psprintf(
                                   req, "%zu",
                                   json_array_size(json_object_get(resps[i]->json, "flavors")))));
    ec2gw->finish(req, json_pack("{s:o}", "Regions", regions));
}

static int
describe_regions(ec2gw_req_t *req, void *inst)
{
    json_t *body = json_pack("{s:{s:s, s:{s:s}}}", "server", "name", "vm", "metadata",
                             "ec2_reservation_id", "r-1");
    ec2gw_os_call_t calls[2] = { EC2GW_OS_CALL("compute", "POST", "/servers", .body = body),
                                 EC2GW_OS_GET("compute", "/flavors") };
    int rc = ec2gw->os_fanout(req, calls, 2, regions_done, inst);

    json_decref(body);                          /* the host copied it */
    return rc == EC2GW_E_STATE ? EC2GW_OK : rc; /* E_STATE: a hook answered the request */
}

static void
copied(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct hook_obs *obs = arg;

    obs->status[0] = resp->status;
    ec2gw->finish(req, json_pack("{s:[{s:s, s:s}]}", "Images", "ImageId", "ami-00000001",
                                 "Description", ec2gw->psprintf(req, "%ld", resp->status)));
}

/* A stream: GET /blob into PUT /blob-copy. */
static int
describe_images(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t src = EC2GW_OS_GET("compute", "/blob");
    ec2gw_os_call_t dst =
        EC2GW_OS_CALL("compute", "PUT", "/blob-copy", .content_type = "application/octet-stream");

    return ec2gw->os_transfer(req, &src, &dst, copied, inst);
}

static const ec2gw_action_t actions[] = {
    { .name = "DescribeKeyPairs", .fn = describe_key_pairs, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeRegions", .fn = describe_regions, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeImages", .fn = describe_images, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

#else

struct outer {
    int refuse;
    int steal_token; /* set X-Auth-Token: the host must refuse the call */
};

static const ec2gw_setting_t settings[] = {
    { .key = "refuse", .type = EC2GW_SET_BOOL, .offset = offsetof(struct outer, refuse) },
    { .key = "steal_token", .type = EC2GW_SET_BOOL, .offset = offsetof(struct outer, steal_token) },
    { .key = NULL },
};

static int
kp_request(ec2gw_req_t *req, void *inst, ec2gw_os_hook_call_t *call)
{
    call->path = ec2gw->psprintf(req, "%s?site=cern", call->path);
    json_object_set_new(call->headers, "X-Site", json_string("cern"));
    if (((struct outer *)inst)->steal_token)
        json_object_set_new(call->headers, "x-auth-token", json_string("site-token"));
    return EC2GW_OK;
}

static int
kp_answer(ec2gw_req_t *req, void *inst, ec2gw_os_hook_answer_t *a)
{
    (void)req;
    (void)inst;
    json_array_append_new(json_object_get(a->json, "keypairs"),
                          json_pack("{s:{s:s}}", "keypair", "name", "added-by-hook"));
    return EC2GW_OK;
}

static int
boot_request(ec2gw_req_t *req, void *inst, ec2gw_os_hook_call_t *call)
{
    if (((struct outer *)inst)->refuse) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "the site refuses this boot");
        return EC2GW_E_STATE;
    }
    json_object_set_new(json_object_get(json_object_get(call->body, "server"), "metadata"), "site",
                        json_string("cern"));
    return EC2GW_OK;
}

static int
flavors_answer(ec2gw_req_t *req, void *inst, ec2gw_os_hook_answer_t *a)
{
    (void)req;
    (void)inst;
    if (a->status >= 500) { /* a replacement json is stolen by the host */
        a->status = 200;
        a->json = json_pack("{s:[{s:s}]}", "flavors", "name", "site.small");
    }
    return EC2GW_OK;
}

/* Both halves of a transfer: a header on each, a query on the upload. */
static int
blob_request(ec2gw_req_t *req, void *inst, ec2gw_os_hook_call_t *call)
{
    (void)inst;
    json_object_set_new(call->headers, "X-Site", json_string("cern"));
    if (strcmp(call->method, "PUT") == 0)
        call->path = ec2gw->psprintf(req, "%s?site=cern", call->path);
    return EC2GW_OK;
}

static int
blob_answer(ec2gw_req_t *req, void *inst, ec2gw_os_hook_answer_t *a)
{
    (void)req;
    (void)inst;
    if (a->status == 204)
        a->status = 201;
    return EC2GW_OK;
}

static const ec2gw_os_hook_t hooks[] = {
    { "DescribeImages", "compute", NULL, "/blob", blob_request, blob_answer },
    { "DescribeKeyPairs", "compute", "GET", "/os-keypairs", kp_request, kp_answer },
    { "DescribeRegions", "compute", "POST", "/servers", boot_request, NULL },
    { NULL, NULL, "GET", "/flavors", NULL, flavors_answer },
    { NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
own_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    int rc;

    if (!ec2gw_os_ok(resp)) {
        ec2gw->fail_from_os(req, resp, NULL);
        return;
    }
    rc = ec2gw->delegate(req, NULL, arg);
    if (rc < 0 && rc != EC2GW_E_STATE)
        ec2gw->fail(req, 500, "InternalError", "delegate: %d", rc);
}

/* The wrapper's own call first (not hooked: hooks see the instances below only). */
static int
outer_key_pairs(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t c = EC2GW_OS_GET("compute", "/os-keypairs");

    return ec2gw->os_call(req, &c, own_done, inst);
}

static const ec2gw_action_t actions[] = {
    { .name = "DescribeKeyPairs", .fn = outer_key_pairs, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

#endif

static int
hook_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
#if HOOK_ROLE == 1
    .name = "hk-inner",
    .service = { .type = "compute" },
    .inst_size = sizeof(struct hook_obs),
#else
    .name = "hk-outer",
    .settings = settings,
    .inst_size = sizeof(struct outer),
    .os_hooks = hooks,
#endif
    .version = "1.0.0",
    .actions = actions,
    .load = hook_load,
};
