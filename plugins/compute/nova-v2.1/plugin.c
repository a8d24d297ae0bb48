/*
 * plugin.c - the nova-v2.1 descriptor, settings schema and small shared helpers.
 *
 * EC2 instances, key pairs, availability zones and instance types on Nova API v2.1
 * (microversion 2.47 or later: servers embed their flavor). Built with the SDK only.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nova.h"

const ec2gw_host_api_t *ec2gw;

static const ec2gw_setting_t nova_settings[] = {
    { .key = "default_instance_type",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct nova_inst, default_instance_type),
      .def = "m1.small",
      .help = "flavor name used when RunInstances has no InstanceType" },
    { .key = "network",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct nova_inst, network),
      .def = "auto",
      .help = "network for new instances: auto (the project's only network) or a name or id" },
    { .key = "private_dns_show_ip",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct nova_inst, private_dns_show_ip),
      .def = "false",
      .help = "PrivateDnsName shows the private IP instead of the host name" },
    { .key = "console_output_max_lines",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct nova_inst, console_output_max_lines),
      .def = "500",
      .help = "lines of console log returned by GetConsoleOutput" },
    { .key = "terminated_visible",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct nova_inst, terminated_visible_ms),
      .def = "1h",
      .help = "how long deleted servers stay visible as terminated" },
    { .key = "max_count",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct nova_inst, max_count),
      .def = "20",
      .help = "largest MaxCount of one RunInstances" },
    { .key = "describe_as_service",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct nova_inst, describe_as_service),
      .def = "true",
      .help = "DescribeInstances lists the caller's servers with the service identity, to show "
              "Nova's admin-only root device, kernel and ramdisk" },
    { .key = "describe_staleness",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct nova_inst, describe_staleness),
      .def = "daemon",
      .help = "how old DescribeInstances' cached server list may be: \"daemon\" (the daemon's "
              "describe_max_staleness, 2s without one) or a duration (500ms, 2s; 0: no cache)" },
    { .key = "full_sync_interval",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct nova_inst, full_sync_interval_ms),
      .def = "60s",
      .help = "the cached server list is listed in full at least this often (changes-since "
              "between)" },
    { .key = "sync_overlap",
      .type = EC2GW_SET_DURATION_MS,
      .offset = offsetof(struct nova_inst, sync_overlap_ms),
      .def = "5s",
      .help = "changes-since asks from this long before the newest change seen (clocks of "
              "Nova's services, late commits)" },
    { .key = "sync_max_projects",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct nova_inst, sync_max_projects),
      .def = "256",
      .help = "projects (or users, listing as the caller) whose server lists are cached" },
    { .key = NULL },
};

/* Writes that change servers: reads of the project refresh while one is in flight and once
 * after (a client reads its own writes); Nova makes or drops ports for Run and Terminate, and
 * volumes (EBS mappings, DeleteOnTermination): cinder-v3's volume cache probes a shared
 * Cinder read, dropped here. */
static int
nova_write(ec2gw_req_t *req, void *inst, ec2gw_action_fn fn, int full, int ports)
{
    int rc;

    nova_sync_write(req, inst, full);
    rc = fn(req, inst);
    if (ports && EC2GW_HOST_HAS(ec2gw, os_invalidate)) {
        ec2gw->os_invalidate(req, "network");
        ec2gw->os_invalidate(req, "volumev3");
    }
    return rc;
}

#define NOVA_WRITE(name, fn, full, ports)              \
    static int name(ec2gw_req_t *req, void *inst)      \
    {                                                  \
        return nova_write(req, inst, fn, full, ports); \
    }
NOVA_WRITE(nova_w_run, nova_run_instances, 1, 1)
NOVA_WRITE(nova_w_terminate, nova_terminate_instances, 0, 1)
NOVA_WRITE(nova_w_stop, nova_stop_instances, 0, 0)
NOVA_WRITE(nova_w_start, nova_start_instances, 0, 0)
NOVA_WRITE(nova_w_reboot, nova_reboot_instances, 0, 0)
NOVA_WRITE(nova_w_modify, nova_modify_instance_attribute, 0, 0)
NOVA_WRITE(nova_w_reset, nova_reset_instance_attribute, 0, 0)
NOVA_WRITE(nova_w_md_options, nova_modify_instance_metadata_options, 0, 0)

static const ec2gw_action_t nova_actions[] = {
    { "DescribeAvailabilityZones", nova_describe_availability_zones, EC2GW_ACT_READONLY },
    { "CreateKeyPair", nova_create_key_pair, 0 },
    { "ImportKeyPair", nova_import_key_pair, 0 },
    { "DescribeKeyPairs", nova_describe_key_pairs, EC2GW_ACT_READONLY },
    { "DeleteKeyPair", nova_delete_key_pair, 0 },
    { "DescribeInstanceTypes", nova_describe_instance_types, EC2GW_ACT_READONLY },
    { "DescribeInstanceTypeOfferings", nova_describe_instance_type_offerings, EC2GW_ACT_READONLY },
    { "RunInstances", nova_w_run,
      EC2GW_ACT_CLIENT_TOKEN | EC2GW_ACT_CLIENT_TOKEN_RERUN | EC2GW_ACT_DRYRUN },
    { "DescribeInstances", nova_describe_instances, EC2GW_ACT_READONLY },
    { "DescribeInstanceStatus", nova_describe_instance_status, EC2GW_ACT_READONLY },
    { "DescribeInstanceCreditSpecifications", nova_describe_instance_credit_specifications,
      EC2GW_ACT_READONLY },
    { "TerminateInstances", nova_w_terminate, 0 },
    { "StopInstances", nova_w_stop, 0 },
    { "StartInstances", nova_w_start, 0 },
    { "RebootInstances", nova_w_reboot, 0 },
    { "GetConsoleOutput", nova_get_console_output, EC2GW_ACT_READONLY },
    { "GetPasswordData", nova_get_password_data, EC2GW_ACT_READONLY },
    { "DescribeInstanceAttribute", nova_describe_instance_attribute, EC2GW_ACT_READONLY },
    { "ModifyInstanceAttribute", nova_w_modify, 0 },
    { "ResetInstanceAttribute", nova_w_reset, 0 },
    { "ModifyInstanceMetadataOptions", nova_w_md_options, EC2GW_ACT_DRYRUN },
    { NULL, NULL, 0 },
};

static const ec2gw_service_t nova_uses[] = {
    { .type = "network", .api = "v2.0" },
    { .type = "image", .api = "v2" },
    { .type = "volumev3", .api = "v3" },
    { .type = NULL },
};

/* The string member @p key of @p obj, or NULL. */
const char *
nova_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The string request parameter @p key, or NULL. */
const char *
nova_param_str(ec2gw_req_t *req, const char *key)
{
    return nova_str(ec2gw->params(req), key);
}

/* Index of the first non-2xx answer of a fan-out, or -1 when all succeeded. */
int
nova_first_failure(const ec2gw_os_resp_t *const *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]))
            return (int)i;
    return -1;
}

/* Now + @p offset_s as an ISO 8601 UTC timestamp (pool). */
char *
nova_now_iso(ec2gw_req_t *req, int64_t offset_s)
{
    time_t t = time(NULL) + (time_t)offset_s;
    struct tm tm;
    char buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return ec2gw->pstrdup(req, buf);
}

/* Standard base64 of @p data (pool). */
char *
nova_b64(ec2gw_req_t *req, const unsigned char *data, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = ec2gw->palloc(req, (len + 2) / 3 * 4 + 1);
    size_t o = 0;

    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;

        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/*
 * Resolve the EC2 instance ids of array @p ids to server uuids (*os_ids, pool, same order).
 * Returns 0, or -1 after answering Malformed/NotFound for the first bad id.
 */
int
nova_instance_ids(ec2gw_req_t *req, const json_t *ids, const char ***os_ids)
{
    size_t n = json_array_size(ids);
    const char **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));

    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        int rc;

        if (id == NULL || strncmp(id, "i-", 2) != 0) {
            ec2gw->fail(req, 400, "InvalidInstanceID.Malformed",
                        "Invalid id: \"%s\" (expecting \"i-...\")", id ? id : "");
            return -1;
        }
        rc = ec2gw->id_to_os(req, id, &out[i]);
        if (rc == EC2GW_E_INVAL) {
            ec2gw->fail(req, 400, "InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id);
            return -1;
        }
        if (rc != 0) {
            ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                        "The instance ID '%s' does not exist", id);
            return -1;
        }
    }
    *os_ids = out;
    return 0;
}

/* Answer a failed server action: 409 is IncorrectInstanceState, the rest as mapped. */
void
nova_incorrect_state(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *ec2_id)
{
    if (r->status == 409) {
        ec2gw->fail(req, 400, "IncorrectInstanceState",
                    "The instance '%s' is not in a state from which it can be %s", ec2_id,
                    "changed this way");
        return;
    }
    ec2gw->fail_from_os(req, r, "InvalidInstanceID.NotFound");
}

/* The tags of TagSpecifications for @p resource_type: returns new array (maybe empty). */
json_t *
nova_tag_specs(const json_t *params, const char *resource_type)
{
    json_t *out = json_array();
    const json_t *spec;
    size_t i;

    json_array_foreach(json_object_get(params, "TagSpecifications"), i, spec)
    {
        const char *rt = nova_str(spec, "ResourceType");

        if (rt == NULL || strcmp(rt, resource_type) == 0)
            json_array_extend(out, json_object_get(spec, "Tags"));
    }
    return out;
}

static int
nova_load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

static int
nova_create(void *inst, ec2gw_cfg_t *cfg)
{
    struct nova_inst *ni = inst;
    int64_t staleness;

    if (ni->default_instance_type == NULL || ni->default_instance_type[0] == '\0') {
        ec2gw->cfg_error(cfg, "default_instance_type", "a flavor name is required");
        return EC2GW_E_INVAL;
    }
    if (ni->network == NULL || ni->network[0] == '\0') {
        ec2gw->cfg_error(cfg, "network", "\"auto\", a network name or a network id is required");
        return EC2GW_E_INVAL;
    }
    if (ni->console_output_max_lines < 1 || ni->console_output_max_lines > 100000) {
        ec2gw->cfg_error(cfg, "console_output_max_lines", "out of range (1..100000)");
        return EC2GW_E_INVAL;
    }
    if (ni->max_count < 1 || ni->max_count > 1000) {
        ec2gw->cfg_error(cfg, "max_count", "out of range (1..1000)");
        return EC2GW_E_INVAL;
    }
    if (nova_sync_parse_staleness(ni->describe_staleness, &staleness) != 0) {
        ec2gw->cfg_error(cfg, "describe_staleness",
                         "\"daemon\" or a duration up to 1h (500ms, 2s, 1m; 0: no cache)");
        return EC2GW_E_INVAL;
    }
    if (ni->sync_max_projects < 1 || ni->sync_max_projects > 100000) {
        ec2gw->cfg_error(cfg, "sync_max_projects", "out of range (1..100000)");
        return EC2GW_E_INVAL;
    }
    if ((ni->sync = nova_sync_new()) == NULL)
        return EC2GW_E_NOMEM;
    nova_sync_set_staleness(ni->sync, staleness);
    return 0;
}

static void
nova_destroy(void *inst)
{
    struct nova_inst *ni = inst;

    nova_sync_free(ni->sync);
    ni->sync = NULL;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "nova-v2.1",
    .version = "1.0.0",
    .description = "EC2 instances, key pairs, zones and instance types on Nova v2.1",
    .service = { .type = "compute", .api = "v2.1", .microversion = "2.47" },
    .uses = nova_uses,
    .actions = nova_actions,
    .settings = nova_settings,
    .inst_size = sizeof(struct nova_inst),
    .load = nova_load,
    .create = nova_create,
    .destroy = nova_destroy,
};

/* Hand @p j (a new reference) to the request's pool: it lives until the request ends. */
json_t *
nova_own(ec2gw_req_t *req, json_t *j)
{
    if (j == NULL)
        return NULL;
    ec2gw->own_json(req, j);
    json_decref(j);
    return j;
}

json_t *
nova_filter_page(ec2gw_req_t *req, const json_t *items, const char *tag_key, const char *page_key,
                 ec2gw_filter_values_fn values, void *arg, const char **next)
{
    json_t *filtered = ec2gw->filter(req, items, tag_key, values, arg);

    *next = NULL;
    if (filtered == NULL)
        return NULL;
    nova_own(req, filtered); /* always a new reference, also when nothing was filtered out */
    return ec2gw->page(req, filtered, page_key, next);
}

void
nova_finish_list(ec2gw_req_t *req, const char *key, json_t *list, const char *next)
{
    json_t *out = json_pack("{s:o}", key, list);

    if (next != NULL)
        json_object_set_new(out, "NextToken", json_string(next));
    ec2gw->finish(req, out);
}
