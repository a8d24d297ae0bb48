/*
 * attrs.c - DescribeInstanceAttribute (service identity for OS-EXT-SRV-ATTR fields, scoped to
 * the caller's project), ModifyInstanceAttribute and ResetInstanceAttribute.
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
nova_attr_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const char *attr = nova_param_str(req, "Attribute"), *id = nova_param_str(req, "InstanceId");
    const json_t *s = json_object_get(r->json, "server"), *g;
    json_t *out, *data = NULL, *v = NULL;
    const char *aki = NULL;
    size_t i;

    (void)arg;
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
        json_object_set_new(out, "DisableApiStop", nova_val_b(0));
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
        json_object_set_new(out, "BlockDeviceMappings", json_array());
    } else if (strcmp(attr, "productCodes") == 0) {
        json_object_set_new(out, "ProductCodes", json_array());
    } else if (strcmp(attr, "groupSet") == 0) {
        v = json_array();
        json_array_foreach(json_object_get(s, "security_groups"), i, g)
            json_array_append_new(v, json_pack("{s:O}", "GroupName", json_object_get(g, "name")));
        json_object_set_new(out, "Groups", v);
    } else if (strcmp(attr, "sourceDestCheck") == 0) {
        json_object_set_new(out, "SourceDestCheck", nova_val_b(1));
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
static const char *
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
    const char *os;
    ec2gw_os_call_t call;

    (void)inst;
    if (nova_param_str(req, "Attribute") == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter Attribute");
        return EC2GW_OK;
    }
    if ((os = nova_attr_instance(req)) == NULL)
        return EC2GW_OK;
    call = EC2GW_OS_CALL("compute", "GET", ec2gw->psprintf(req, "/servers/%s", os),
                         .flags = EC2GW_CALL_AS_SERVICE);
    return ec2gw->os_call(req, &call, nova_attr_done, NULL);
}

/* Store disableApiTermination in the instance's item data. */
static void
nova_attr_set_termination(ec2gw_req_t *req, const char *id, const char *os, int on)
{
    json_t *data = NULL;

    if (ec2gw->item_get(req, id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    json_object_set_new(data, "disable_api_termination", json_boolean(on));
    ec2gw->item_put(req, id, os, data);
    json_decref(data);
}

int
nova_modify_instance_attribute(ec2gw_req_t *req, void *inst)
{
    const json_t *p = ec2gw->params(req);
    const char *attr = nova_str(p, "Attribute"), *id = nova_str(p, "InstanceId"), *os;
    const json_t *dat = json_object_get(json_object_get(p, "DisableApiTermination"), "Value");
    static const char *const unsupported[] = { "InstanceType",
                                               "Kernel",
                                               "Ramdisk",
                                               "UserData",
                                               "Groups",
                                               "BlockDeviceMappings",
                                               "EbsOptimized",
                                               "SriovNetSupport",
                                               "EnaSupport",
                                               "DisableApiStop",
                                               "InstanceInitiatedShutdownBehavior",
                                               "SourceDestCheck",
                                               NULL };

    (void)inst;
    if ((os = nova_attr_instance(req)) == NULL)
        return EC2GW_OK;
    if (attr != NULL && strcmp(attr, "disableApiTermination") == 0) {
        const char *v = nova_str(json_object_get(p, "Value"), "Value");

        if (v == NULL) {
            ec2gw->fail(req, 400, "MissingParameter",
                        "The request must contain the parameter Value");
            return EC2GW_OK;
        }
        nova_attr_set_termination(req, id, os, strcmp(v, "true") == 0);
        ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
        return EC2GW_OK;
    }
    if (dat != NULL) {
        nova_attr_set_termination(req, id, os, json_is_true(dat));
        ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
        return EC2GW_OK;
    }
    for (size_t i = 0; unsupported[i] != NULL; i++) {
        if (json_object_get(p, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "Modifying %s is not supported by this cloud", unsupported[i]);
            return EC2GW_OK;
        }
    }
    ec2gw->fail(req, 400, attr ? "UnsupportedOperation" : "InvalidParameterCombination",
                attr ? "Modifying %s is not supported by this cloud"
                     : "%sExactly one attribute must be given",
                attr ? attr : "");
    return EC2GW_OK;
}

int
nova_reset_instance_attribute(ec2gw_req_t *req, void *inst)
{
    const char *attr = nova_param_str(req, "Attribute");

    (void)inst;
    if (nova_attr_instance(req) == NULL)
        return EC2GW_OK;
    if (attr != NULL && strcmp(attr, "sourceDestCheck") == 0) {
        ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
        return EC2GW_OK;
    }
    if (attr != NULL && (strcmp(attr, "kernel") == 0 || strcmp(attr, "ramdisk") == 0)) {
        ec2gw->fail(req, 400, "UnsupportedOperation", "Resetting %s is not supported", attr);
        return EC2GW_OK;
    }
    ec2gw->fail(req, 400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid",
                attr ? attr : "");
    return EC2GW_OK;
}
