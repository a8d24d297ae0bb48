/*
 * probe_plugin.c - a test plugin exercising the fake host's machinery: os_fanout, os_call,
 * fail_from_os, id mapping, filter, page, state, own_json, tags and offload. Its answers use
 * only members of the EC2 model (the fake host renders them as ec2gwd does): values the tests
 * read back travel in members of fitting types (KeyName, AmiLaunchIndex, Size, ...).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

struct probe_state {
    int calls_done;
};

static int
probe_values_cb(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values_out,
                void *arg)
{
    (void)req;
    (void)arg;
    if (strcmp(name, "name") == 0) {
        json_array_append(values_out, json_object_get(item, "KeyName"));
        return 0;
    }
    if (strcmp(name, "instance-id") == 0) {
        json_array_append(values_out, json_object_get(item, "InstanceId"));
        return 0;
    }
    return EC2GW_E_NOTFOUND;
}

static size_t
probe_ports_of(const json_t *ports, const char *device)
{
    size_t i, n = 0;
    json_t *p;

    json_array_foreach(json_object_get(ports, "ports"), i, p) n +=
        strcmp(json_string_value(json_object_get(p, "device_id")), device) == 0;
    return n;
}

static void
probe_instances_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    json_t *items = json_array(), *kept, *page, *s, *model;
    const char *next = NULL;
    size_t i;

    (void)arg;
    for (i = 0; i < n; i++) {
        if (!ec2gw_os_ok(r[i])) {
            json_decref(items);
            ec2gw->fail_from_os(req, r[i], "InvalidInstanceID.NotFound");
            return;
        }
    }
    ec2gw->own_json(req, items);
    json_decref(items); /* the request's pool keeps it now */
    json_array_foreach(json_object_get(r[0]->json, "servers"), i, s)
    {
        const char *os_id = json_string_value(json_object_get(s, "id")), *ec2_id = NULL;

        if (ec2gw->id_to_ec2(req, "i", os_id, &ec2_id) != 0) {
            ec2gw->fail(req, 500, "InternalError", "id mapping failed");
            return;
        }
        /* the server's name as KeyName, its port count as AmiLaunchIndex */
        json_array_append_new(items, json_pack("{s:s, s:O, s:I}", "InstanceId", ec2_id, "KeyName",
                                               json_object_get(s, "name"), "AmiLaunchIndex",
                                               (json_int_t)probe_ports_of(r[1]->json, os_id)));
    }
    if ((kept = ec2gw->filter(req, items, "InstanceId", probe_values_cb, NULL)) == NULL)
        return; /* the host answered */
    page = ec2gw->page(req, kept, "InstanceId", &next);
    json_decref(kept);
    if (page == NULL)
        return;
    model = json_pack("{s:[{s:s, s:o}]}", "Reservations", "ReservationId", "r-00000001",
                      "Instances", page);
    if (next != NULL)
        json_object_set_new(model, "NextToken", json_string(next));
    ec2gw->finish(req, model);
}

static int
probe_describe_instances(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t calls[2] = {
        EC2GW_OS_GET("compute", "/servers/detail?all_tenants=1"),
        EC2GW_OS_GET("network", "/v2.0/ports"),
    };

    (void)inst;
    calls[0].path =
        ec2gw->psprintf(req, "/servers/detail?project_id=%s", ec2gw->identity(req)->project_id);
    return ec2gw->os_fanout(req, calls, 2, probe_instances_done, NULL);
}

static void
probe_volumes_done(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct probe_state *st = ec2gw->state(req, sizeof(*st));
    json_t *vols = json_array(), *v;
    size_t i;

    (void)arg;
    st->calls_done++;
    if (!ec2gw_os_ok(resp)) {
        json_decref(vols);
        ec2gw->fail_from_os(req, resp, "InvalidVolume.NotFound");
        return;
    }
    json_array_foreach(json_object_get(resp->json, "volumes"), i, v)
    {
        const char *id = NULL;

        ec2gw->id_to_ec2(req, "vol", json_string_value(json_object_get(v, "id")), &id);
        /* how many answers this request's state saw, as each volume's Size */
        json_array_append_new(vols,
                              json_pack("{s:s, s:i}", "VolumeId", id, "Size", st->calls_done));
    }
    ec2gw->finish(req, json_pack("{s:o}", "Volumes", vols));
}

static int
probe_describe_volumes(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t c = EC2GW_OS_CALL("volumev3", "GET", "/volumes/detail", .timeout_ms = 500);

    (void)inst;
    return ec2gw->os_call(req, &c, probe_volumes_done, NULL);
}

struct probe_work {
    int in, out;
};

static void
probe_work(void *arg)
{
    struct probe_work *w = arg;

    w->out = w->in * 2;
}

static void
probe_work_done(ec2gw_req_t *req, void *arg)
{
    struct probe_work *w = arg;

    ec2gw->finish(req, json_pack("{s:[{s:s, s:s}]}", "Images", "ImageId", "ami-00000001",
                                 "Description", ec2gw->psprintf(req, "%d", w->out)));
}

static int
probe_describe_images(ec2gw_req_t *req, void *inst)
{
    struct probe_work *w = ec2gw->pcalloc(req, sizeof(*w));

    (void)inst;
    w->in = 21;
    return ec2gw->offload(req, probe_work, probe_work_done, w);
}

/* Ids, items and tags: map an id, tag it, read both back, and resolve it again. */
static int
probe_describe_key_pairs(ec2gw_req_t *req, void *inst)
{
    const char *id = NULL, *os = NULL;
    json_t *tags = NULL, *data = NULL, *t = json_pack("[{s:s, s:s}]", "Key", "k", "Value", "v");
    const char *idv[1], *scratch = NULL;
    char *dump;
    int rc, malformed, unknown;

    (void)inst;
    rc = ec2gw->id_to_ec2(req, "key", "kp-os-1", &id);
    rc |= ec2gw->tags_set(req, id, t);
    idv[0] = id;
    rc |= ec2gw->tags_get(req, idv, 1, &tags);
    rc |= ec2gw->id_to_os(req, id, &os);
    rc |= ec2gw->item_put(req, id, os, t);
    rc |= ec2gw->item_get(req, id, &data);
    json_decref(t);
    malformed = ec2gw->id_to_os(req, "bogus", &scratch);
    unknown = ec2gw->id_to_os(req, "key-00000000", &scratch);
    if (rc != 0) {
        json_decref(tags);
        json_decref(data);
        ec2gw->fail(req, 500, "InternalError", "data calls failed");
        return EC2GW_OK;
    }
    /* The OpenStack id as KeyName, both codes as KeyFingerprint, tags and item as PublicKey. */
    dump = json_dumps(t = json_pack("{s:o, s:o}", "Tags", tags, "Item", data), JSON_COMPACT);
    json_decref(t);
    ec2gw->finish(req,
                  json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "KeyPairs", "KeyPairId", id, "KeyName",
                            os, "KeyFingerprint", ec2gw->psprintf(req, "%d %d", malformed, unknown),
                            "PublicKey", dump != NULL ? dump : ""));
    free(dump);
    return EC2GW_OK;
}

static const ec2gw_action_t probe_actions[] = {
    { .name = "DescribeInstances", .fn = probe_describe_instances, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeVolumes", .fn = probe_describe_volumes, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeImages", .fn = probe_describe_images, .flags = EC2GW_ACT_READONLY },
    { .name = "DescribeKeyPairs", .fn = probe_describe_key_pairs, .flags = EC2GW_ACT_READONLY },
    { .name = NULL },
};

static int
probe_load(const ec2gw_host_api_t *host)
{
    if (host->hdr.size < EC2GW_HOST_SIZE_V1_0)
        return EC2GW_E_INVAL;
    ec2gw = host;
    return 0;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "th-probe",
    .version = "0.0.1",
    .service = { .type = "compute", .api = "v2.1" },
    .actions = probe_actions,
    .load = probe_load,
};
