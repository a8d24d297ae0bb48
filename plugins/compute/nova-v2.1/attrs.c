/*
 * attrs.c - DescribeInstanceAttribute: the server with the service identity (OS-EXT-SRV-ATTR
 * fields; checked to be the caller's project), its ports and security groups, and Cinder's
 * volumes when the block devices are asked for. Modify/Reset live in attrs_modify.c.
 */
#include <string.h>

#include "nova.h"

static json_t *
nova_val_s(const char *v)
{
    return v ? json_pack("{s:s}", "Value", v) : json_object();
}

static json_t *
nova_val_b(int v)
{
    return json_pack("{s:b}", "Value", v);
}

static void
nova_attr_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *rs, size_t n, void *arg)
{
    const char *attr = nova_param_str(req, "Attribute"), *id = nova_param_str(req, "InstanceId");
    const ec2gw_os_resp_t *r = rs[0];
    json_t *s = json_object_get(r->json, "server"), *out, *data = NULL, *nics;
    json_t *servers = nova_own(req, json_pack("[O]", s ? s : json_null()));
    const char *aki = NULL;
    struct nova_view view;

    nova_view_build(req, &view, servers, ec2gw_os_ok(rs[2]) ? rs[2]->json : NULL,
                    ec2gw_os_ok(rs[1]) ? rs[1]->json : NULL,
                    n > 3 && ec2gw_os_ok(rs[3]) ? rs[3]->json : NULL);
    if (!ec2gw_os_ok(r) || strcmp(nova_str(s, "tenant_id") ? nova_str(s, "tenant_id") : "",
                                  ec2gw->identity(req)->project_id) != 0) {
        if (ec2gw_os_ok(r) || r->status == 404)
            ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                        "The instance ID '%s' does not exist", id);
        else
            ec2gw->fail_from_os(req, r, "InvalidInstanceID.NotFound");
        return;
    }
    out = json_pack("{s:s}", "InstanceId", id);
    if (strcmp(attr, "instanceType") == 0) {
        json_object_set_new(out, "InstanceType",
                            nova_val_s(nova_str(json_object_get(s, "flavor"), "original_name")));
    } else if (strcmp(attr, "userData") == 0) {
        json_object_set_new(out, "UserData", nova_val_s(nova_str(s, "OS-EXT-SRV-ATTR:user_data")));
    } else if (strcmp(attr, "disableApiTermination") == 0) {
        ec2gw->item_get(req, id, &data);
        json_object_set_new(
            out, "DisableApiTermination",
            nova_val_b(json_is_true(json_object_get(data, "disable_api_termination"))));
        json_decref(data);
    } else if (strcmp(attr, "disableApiStop") == 0) {
        ec2gw->item_get(req, id, &data);
        json_object_set_new(out, "DisableApiStop",
                            nova_val_b(json_is_true(json_object_get(data, "disable_api_stop"))));
        json_decref(data);
    } else if (strcmp(attr, "instanceInitiatedShutdownBehavior") == 0) {
        json_object_set_new(out, "InstanceInitiatedShutdownBehavior", nova_val_s("stop"));
    } else if (strcmp(attr, "rootDeviceName") == 0) {
        json_object_set_new(out, "RootDeviceName",
                            nova_val_s(nova_str(s, "OS-EXT-SRV-ATTR:root_device_name")));
    } else if (strcmp(attr, "kernel") == 0 || strcmp(attr, "ramdisk") == 0) {
        int k = strcmp(attr, "kernel") == 0;
        const char *os =
            nova_str(s, k ? "OS-EXT-SRV-ATTR:kernel_id" : "OS-EXT-SRV-ATTR:ramdisk_id");

        if (os != NULL && os[0] != '\0')
            ec2gw->id_to_ec2(req, k ? "aki" : "ari", os, &aki);
        json_object_set_new(out, k ? "KernelId" : "RamdiskId", nova_val_s(aki));
    } else if (strcmp(attr, "blockDeviceMapping") == 0) {
        json_object_set_new(out, "BlockDeviceMappings", nova_view_bdms(&view, s));
    } else if (strcmp(attr, "productCodes") == 0) {
        json_object_set_new(out, "ProductCodes", json_array());
    } else if (strcmp(attr, "groupSet") == 0 || strcmp(attr, "sourceDestCheck") == 0) {
        json_t *m = nova_instance_model(req, arg, s, &view);

        nics = json_object_get(m, "NetworkInterfaces");
        if (attr[0] == 'g')
            json_object_set(out, "Groups", json_object_get(m, "SecurityGroups"));
        else
            json_object_set_new(out, "SourceDestCheck",
                                nova_val_b(json_array_size(nics) == 0 ||
                                           json_is_true(json_object_get(json_array_get(nics, 0),
                                                                        "SourceDestCheck"))));
        json_decref(m);
    } else if (strcmp(attr, "ebsOptimized") == 0 || strcmp(attr, "enaSupport") == 0) {
        json_object_set_new(out, attr[0] == 'e' && attr[1] == 'b' ? "EbsOptimized" : "EnaSupport",
                            nova_val_b(0));
    } else if (strcmp(attr, "sriovNetSupport") == 0) {
        json_object_set_new(out, "SriovNetSupport", json_object());
    } else if (strcmp(attr, "enclaveOptions") == 0) {
        json_object_set_new(out, "EnclaveOptions", json_pack("{s:b}", "Enabled", 0));
    } else {
        json_decref(out);
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%s) for parameter attribute is "
                    "invalid. Unknown attribute.",
                    attr);
        return;
    }
    ec2gw->finish(req, out);
}

/* Resolve InstanceId; fail and return NULL when missing/unknown. */
const char *
nova_attr_instance(ec2gw_req_t *req)
{
    json_t *ids = nova_own(req, json_array());
    const char *id = nova_param_str(req, "InstanceId");
    const char **os = NULL;

    if (id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter InstanceId");
        return NULL;
    }
    json_array_append_new(ids, json_string(id));
    return nova_instance_ids(req, ids, &os) == 0 ? os[0] : NULL;
}

int
nova_describe_instance_attribute(ec2gw_req_t *req, void *inst)
{
    const char *os, *attr = nova_param_str(req, "Attribute");
    ec2gw_os_call_t calls[4];
    size_t n = 0;

    if (attr == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter Attribute");
        return EC2GW_OK;
    }
    if ((os = nova_attr_instance(req)) == NULL)
        return EC2GW_OK;
    calls[n++] = EC2GW_OS_CALL("compute", "GET", ec2gw->psprintf(req, "/servers/%s", os),
                               .flags = EC2GW_CALL_AS_SERVICE);
    calls[n++] = EC2GW_OS_GET(
        "network", ec2gw->psprintf(req,
                                   "/v2.0/ports?device_id=%s&fields=id&fields=device_id"
                                   "&fields=mac_address&fields=fixed_ips&fields=security_groups"
                                   "&fields=created_at&fields=allowed_address_pairs",
                                   ec2gw->url_escape(req, os)));
    calls[n++] = EC2GW_OS_GET("network", "/v2.0/security-groups?fields=id&fields=name");
    if (strcmp(attr, "blockDeviceMapping") == 0 && ec2gw->os_endpoint(req, "volumev3") != NULL)
        calls[n++] = EC2GW_OS_GET("volumev3", "/volumes/detail");
    return ec2gw->os_fanout(req, calls, n, nova_attr_done, inst);
}
