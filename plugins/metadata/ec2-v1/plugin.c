/*
 * plugin.c - the ec2-v1 metadata plugin: descriptor, settings, the listener's handler and
 * small shared helpers. Named after the tree it serves (EC2's metadata versions 1.0 to
 * latest), not after an OpenStack API: it reads Nova and Neutron through the host.
 */
#include <stdio.h>
#include <string.h>

#include "md.h"

const ec2gw_host_api_t *ec2gw;

static const ec2gw_setting_t md_settings[] = {
    { .key = "trust_neutron_ids",
      .type = EC2GW_SET_BOOL,
      .offset = offsetof(struct md_inst, trust_neutron_ids),
      .def = "false",
      .help = "also accept unsigned X-Neutron-Network-ID/X-Neutron-Router-ID with "
              "X-Forwarded-For (only when nothing but Neutron's proxy can reach the listener)" },
    { .key = "max_cached_instances",
      .type = EC2GW_SET_INT,
      .offset = offsetof(struct md_inst, max_cached),
      .def = "4096",
      .help = "instances whose answers are cached (metadata.cache_ttl long; each holds its "
              "user data, up to 64 KiB)" },
    { .key = "compute_microversion",
      .type = EC2GW_SET_STR,
      .offset = offsetof(struct md_inst, compute_mv),
      .def = "2.79",
      .help = "Nova microversion of the server read (>= 2.47: the flavor is embedded)" },
    { .key = NULL },
};

const char *
md_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

void
md_text(ec2gw_req_t *req, int status, const char *text)
{
    ec2gw->reply(req, status, "text/plain", text, strlen(text));
}

static int
b64_val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 (whitespace skipped) into pool bytes; 0 or EC2GW_E_INVAL. */
int
md_b64_decode(ec2gw_req_t *req, const char *in, unsigned char **out, size_t *len)
{
    size_t n = strlen(in), o = 0;
    unsigned char *buf = ec2gw->palloc(req, n / 4 * 3 + 4);
    uint32_t acc = 0;
    int bits = 0;

    if (buf == NULL)
        return EC2GW_E_NOMEM;
    for (const char *p = in; *p != '\0' && *p != '='; p++) {
        int v = b64_val((unsigned char)*p);

        if (v < 0) {
            if (*p == '\n' || *p == '\r' || *p == ' ')
                continue;
            return EC2GW_E_INVAL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out = buf;
    *len = o;
    return 0;
}

static int
md_serve(ec2gw_req_t *req, void *inst)
{
    struct md_req *st = ec2gw->state(req, sizeof(*st));
    int rc;

    if (st == NULL || ec2gw->http_method(req) == NULL) {
        ec2gw->fail(req, 500, "InternalError", "not a metadata request");
        return EC2GW_OK;
    }
    st->inst = inst;
    rc = md_identify(req, st);
    if (rc == EC2GW_AGAIN)
        return EC2GW_AGAIN;
    if (rc < 0)
        return EC2GW_OK;
    return md_identified(req, st);
}

static const ec2gw_action_t md_actions[] = {
    { EC2GW_ACTION_METADATA, md_serve, EC2GW_ACT_READONLY },
    { NULL, NULL, 0 },
};

static const ec2gw_service_t md_uses[] = {
    { .type = "network", .api = "v2.0" },
    { .type = NULL },
};

static int
md_load(const ec2gw_host_api_t *host)
{
    if (!EC2GW_HOST_HAS(host, metadata_conf))
        return EC2GW_E_FAIL; /* a 1.2 host without the raw request members */
    ec2gw = host;
    return 0;
}

static int
md_create(void *inst, ec2gw_cfg_t *cfg)
{
    struct md_inst *in = inst;

    if (in->max_cached < 1) {
        ec2gw->cfg_error(cfg, "max_cached_instances", "must be at least 1");
        return EC2GW_E_INVAL;
    }
    in->cache = json_object();
    return in->cache != NULL ? 0 : EC2GW_E_NOMEM;
}

static void
md_destroy(void *inst)
{
    struct md_inst *in = inst;

    json_decref(in->cache);
    in->cache = NULL;
}

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t),
    .name = "ec2-v1",
    .version = "1.0.0",
    .description = "EC2 instance metadata (IMDSv1 and IMDSv2) behind Neutron's metadata proxy",
    .service = { .type = "compute", .api = "v2.1", .microversion = "2.47" },
    .uses = md_uses,
    .actions = md_actions,
    .settings = md_settings,
    .inst_size = sizeof(struct md_inst),
    .load = md_load,
    .create = md_create,
    .destroy = md_destroy,
};
