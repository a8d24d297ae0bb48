/*
 * attrs_metadata.c - the instance metadata service options: ModifyInstanceMetadataOptions,
 * RunInstances' MetadataOptions and the MetadataOptions DescribeInstances shows.
 *
 * Stored in the instance's item data as
 *   "metadata_options": {"http_tokens", "http_put_response_hop_limit", "http_endpoint"}
 * which the metadata plugin reads (exactly these keys). Nothing of it reaches Nova: the
 * metadata listener enforces the options. Missing keys mean AWS's defaults: optional, 1,
 * enabled.
 */
#include <string.h>

#include "nova.h"

#define NOVA_MD_KEY "metadata_options"

/* One enumerated option: its EC2 member, stored key, the values EC2 allows. */
static const struct {
    const char *member, *key, *def;
    const char *allowed[2];
} nova_md_enums[] = {
    { "HttpTokens", "http_tokens", "optional", { "optional", "required" } },
    { "HttpEndpoint", "http_endpoint", "enabled", { "enabled", "disabled" } },
};

/* Options EC2 knows that this metadata service does not offer: only "disabled" is accepted. */
static const struct {
    const char *member, *why;
} nova_md_off[] = {
    { "HttpProtocolIpv6", "the metadata service answers on 169.254.169.254 (IPv4) only" },
    { "InstanceMetadataTags", "instance tags are not served in the instance metadata" },
};

/* Check the enumerated member @p i of @p in; set it in @p opts. 0, or -1 after failing. */
static int
nova_md_enum(ec2gw_req_t *req, const json_t *in, size_t i, json_t *opts)
{
    const json_t *v = json_object_get(in, nova_md_enums[i].member);
    const char *s = json_string_value(v);

    if (v == NULL)
        return 0;
    if (s != NULL && (strcmp(s, nova_md_enums[i].allowed[0]) == 0 ||
                      strcmp(s, nova_md_enums[i].allowed[1]) == 0)) {
        if (opts != NULL)
            json_object_set_new(opts, nova_md_enums[i].key, json_string(s));
        return 0;
    }
    ec2gw->fail(req, 400, "InvalidParameterValue",
                "Value (%s) for parameter %s is invalid. Valid values: %s, %s", s ? s : "",
                nova_md_enums[i].member, nova_md_enums[i].allowed[0], nova_md_enums[i].allowed[1]);
    return -1;
}

/*
 * Validate the options of @p in (members as EC2 names them: HttpTokens,
 * HttpPutResponseHopLimit, HttpEndpoint, HttpProtocolIpv6, InstanceMetadataTags) and, when
 * @p data is not NULL, merge them into its "metadata_options" (created with the defaults).
 * Returns 0, or -1 after failing the request (then @p data is unchanged).
 */
int
nova_md_opts_apply(ec2gw_req_t *req, const json_t *in, json_t *data)
{
    json_t *opts = json_object(), *cur = json_object_get(data, NOVA_MD_KEY);
    const json_t *hop = json_object_get(in, "HttpPutResponseHopLimit");
    size_t i;

    if (in != NULL && !json_is_object(in)) {
        json_decref(opts);
        ec2gw->fail(req, 400, "InvalidParameterValue", "MetadataOptions must be a structure");
        return -1;
    }
    for (i = 0; i < sizeof(nova_md_enums) / sizeof(nova_md_enums[0]); i++) {
        if (nova_md_enum(req, in, i, opts) != 0) {
            json_decref(opts);
            return -1;
        }
    }
    if (hop != NULL &&
        (!json_is_integer(hop) || json_integer_value(hop) < 1 || json_integer_value(hop) > 64)) {
        json_decref(opts);
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%s) for parameter HttpPutResponseHopLimit is invalid. Valid values: "
                    "an integer from 1 to 64",
                    json_is_integer(hop)
                        ? ec2gw->psprintf(req, "%lld", (long long)json_integer_value(hop))
                        : nova_or(json_string_value(hop)));
        return -1;
    }
    if (hop != NULL)
        json_object_set_new(opts, "http_put_response_hop_limit",
                            json_integer(json_integer_value(hop)));
    for (i = 0; i < sizeof(nova_md_off) / sizeof(nova_md_off[0]); i++) {
        const char *s = json_string_value(json_object_get(in, nova_md_off[i].member));

        if (json_object_get(in, nova_md_off[i].member) == NULL ||
            (s != NULL && strcmp(s, "disabled") == 0))
            continue;
        json_decref(opts);
        ec2gw->fail(req, 400,
                    s != NULL && strcmp(s, "enabled") == 0 ? "UnsupportedOperation"
                                                           : "InvalidParameterValue",
                    "Value (%s) for parameter %s is not supported: %s", nova_or(s),
                    nova_md_off[i].member, nova_md_off[i].why);
        return -1;
    }
    if (data != NULL) {
        json_t *merged = json_is_object(cur) ? json_copy(cur) : json_object();

        json_object_update(merged, opts);
        json_object_set_new(data, NOVA_MD_KEY, merged);
    }
    json_decref(opts);
    return 0;
}

/* The stored option @p key of @p data, else @p def (borrowed string). */
static const char *
nova_md_str(const json_t *data, const char *key, const char *def)
{
    const char *s = nova_str(json_object_get(data, NOVA_MD_KEY), key);

    return s != NULL ? s : def;
}

static json_int_t
nova_md_hop(const json_t *data)
{
    const json_t *hop =
        json_object_get(json_object_get(data, NOVA_MD_KEY), "http_put_response_hop_limit");

    return json_is_integer(hop) ? json_integer_value(hop) : 1;
}

/* The InstanceMetadataOptionsResponse of an instance's item @p data in @p state (new). */
json_t *
nova_md_opts_model(const json_t *data, const char *state)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "State", state, "HttpTokens",
                     nova_md_str(data, "http_tokens", nova_md_enums[0].def),
                     "HttpPutResponseHopLimit", nova_md_hop(data), "HttpEndpoint",
                     nova_md_str(data, "http_endpoint", nova_md_enums[1].def), "HttpProtocolIpv6",
                     "disabled", "InstanceMetadataTags", "disabled");
}

/* Filter values of "metadata-options.<sub>" of an Instance model (filter callback contract). */
int
nova_md_filter_values(ec2gw_req_t *req, const json_t *it, const char *sub, json_t *values)
{
    const json_t *mo = json_object_get(it, "MetadataOptions");
    static const struct {
        const char *filter, *member;
    } names[] = {
        { "http-tokens", "HttpTokens" },
        { "http-endpoint", "HttpEndpoint" },
        { "http-protocol-ipv6", "HttpProtocolIpv6" },
        { "instance-metadata-tags", "InstanceMetadataTags" },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(sub, names[i].filter) == 0) {
            if (nova_str(mo, names[i].member) != NULL)
                json_array_append(values, json_object_get(mo, names[i].member));
            return 0;
        }
    }
    if (strcmp(sub, "http-put-response-hop-limit") == 0) {
        if (json_is_integer(json_object_get(mo, "HttpPutResponseHopLimit")))
            json_array_append_new(
                values, json_string(ec2gw->psprintf(req, "%lld",
                                                    (long long)json_integer_value(json_object_get(
                                                        mo, "HttpPutResponseHopLimit")))));
        return 0;
    }
    return EC2GW_E_NOTFOUND;
}

struct nova_md_state {
    const char *id, *os;
};

/* The server is the caller's (Nova answered it with the caller's token): store and answer. */
static void
nova_md_seen(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_md_state *st = arg;
    const json_t *params = ec2gw->params(req);
    json_t *data = NULL;

    if (!ec2gw_os_ok(r)) {
        if (r->status == 404)
            ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                        "The instance ID '%s' does not exist", st->id);
        else
            ec2gw->fail_from_os(req, r, "InvalidInstanceID.NotFound");
        return;
    }
    if (json_is_true(json_object_get(params, "DryRun"))) {
        ec2gw->fail(req, 0, "DryRunOperation",
                    "Request would have succeeded, but DryRun flag is set.");
        return;
    }
    if (ec2gw->item_get(req, st->id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    if (nova_md_opts_apply(req, params, data) != 0) {
        json_decref(data);
        return;
    }
    if (ec2gw->item_put(req, st->id, st->os, data) != 0) {
        json_decref(data);
        ec2gw->fail(req, 500, "InternalError", "Could not store the metadata options");
        return;
    }
    /* "pending" as AWS answers: the listener's per-instance cache may hold the old options
     * for its cache time; DescribeInstances shows them "applied". */
    ec2gw->finish(req, json_pack("{s:s, s:o}", "InstanceId", st->id, "InstanceMetadataOptions",
                                 nova_md_opts_model(data, "pending")));
    json_decref(data);
}

int
nova_modify_instance_metadata_options(ec2gw_req_t *req, void *inst)
{
    struct nova_md_state *st = ec2gw->state(req, sizeof(*st));
    ec2gw_os_call_t call;

    (void)inst;
    /* bad values are refused before any OpenStack call */
    if (nova_md_opts_apply(req, ec2gw->params(req), NULL) != 0)
        return EC2GW_OK;
    if ((st->os = nova_attr_instance(req)) == NULL)
        return EC2GW_OK;
    st->id = nova_param_str(req, "InstanceId");
    call = EC2GW_OS_GET("compute",
                        ec2gw->psprintf(req, "/servers/%s", ec2gw->url_escape(req, st->os)));
    return ec2gw->os_call(req, &call, nova_md_seen, st);
}
