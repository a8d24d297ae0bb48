/*
 * instance_types.c - DescribeInstanceTypes and DescribeInstanceTypeOfferings from flavors.
 */
#include <string.h>

#include "nova.h"

/* One InstanceTypeInfo from a Nova flavor: returns new. */
static json_t *
nova_flavor_type(const json_t *f)
{
    json_int_t vcpus = json_integer_value(json_object_get(f, "vcpus"));
    json_int_t ram = json_integer_value(json_object_get(f, "ram"));
    json_int_t disk = json_integer_value(json_object_get(f, "disk"));
    json_t *t = json_pack(
        "{s:s, s:b, s:b, s:[s], s:[s,s], s:[s], s:b, s:{s:[s]}, s:{s:I, s:I, s:I}, s:{s:I},"
        " s:b, s:b, s:b, s:b}",
        "InstanceType", nova_str(f, "name"), "CurrentGeneration", 1, "FreeTierEligible", 0,
        "SupportedUsageClasses", "on-demand", "SupportedRootDeviceTypes", "ebs", "instance-store",
        "SupportedVirtualizationTypes", "hvm", "BareMetal", 0, "ProcessorInfo",
        "SupportedArchitectures", "x86_64", "VCpuInfo", "DefaultVCpus", vcpus, "DefaultCores",
        vcpus, "DefaultThreadsPerCore", (json_int_t)1, "MemoryInfo", "SizeInMiB", ram,
        "InstanceStorageSupported", disk > 0, "HibernationSupported", 0,
        "BurstablePerformanceSupported", 0, "AutoRecoverySupported", 0);

    if (disk > 0)
        json_object_set_new(t, "InstanceStorageInfo",
                            json_pack("{s:I, s:[{s:I, s:I, s:s}]}", "TotalSizeInGB", disk, "Disks",
                                      "SizeInGB", disk, "Count", (json_int_t)1, "Type", "ssd"));
    json_object_set_new(t, "EbsInfo",
                        json_pack("{s:s, s:s}", "EbsOptimizedSupport", "unsupported",
                                  "EncryptionSupport", "unsupported"));
    json_object_set_new(t, "NetworkInfo",
                        json_pack("{s:s, s:i, s:i, s:b}", "NetworkPerformance", "Moderate",
                                  "MaximumNetworkInterfaces", 1, "Ipv4AddressesPerInterface", 1,
                                  "Ipv6Supported", 0));
    return t;
}

static int
nova_type_filter(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    (void)arg;
    if (strcmp(name, "instance-type") == 0)
        json_array_append(values, json_object_get(item, "InstanceType"));
    else if (strcmp(name, "vcpu-info.default-vcpus") == 0)
        json_array_append_new(
            values,
            json_string(ec2gw->psprintf(req, "%lld",
                                        (long long)json_integer_value(json_object_get(
                                            json_object_get(item, "VCpuInfo"), "DefaultVCpus")))));
    else if (strcmp(name, "memory-info.size-in-mib") == 0)
        json_array_append_new(values, json_string(ec2gw->psprintf(
                                          req, "%lld",
                                          (long long)json_integer_value(json_object_get(
                                              json_object_get(item, "MemoryInfo"), "SizeInMiB")))));
    else if (strcmp(name, "current-generation") == 0)
        json_array_append_new(values, json_string("true"));
    else if (strcmp(name, "processor-info.supported-architecture") == 0)
        json_array_append_new(values, json_string("x86_64"));
    else if (strcmp(name, "supported-virtualization-type") == 0)
        json_array_append_new(values, json_string("hvm"));
    else if (strcmp(name, "bare-metal") == 0 || strcmp(name, "free-tier-eligible") == 0)
        json_array_append_new(values, json_string("false"));
    else if (strcmp(name, "instance-storage-supported") == 0)
        json_array_append_new(
            values,
            json_string(json_is_true(json_object_get(item, "InstanceStorageSupported")) ? "true"
                                                                                        : "false"));
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

static void
nova_types_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *asked = json_object_get(ec2gw->params(req), "InstanceTypes");
    json_t *types = nova_own(req, json_array()), *page;
    const json_t *f, *v;
    const char *next = NULL;
    size_t i;

    (void)arg;
    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "flavors"), i, f)
    {
        if (nova_str(f, "name") != NULL)
            json_array_append_new(types, nova_flavor_type(f));
    }
    if (json_array_size(asked) > 0) {
        json_t *keep = nova_own(req, json_array());

        json_array_foreach(asked, i, v)
        {
            json_t *t;
            size_t j;
            int found = 0;

            json_array_foreach(types, j, t) if (json_equal(v, json_object_get(t, "InstanceType")))
            {
                json_array_append(keep, t);
                found = 1;
                break;
            }
            if (!found) {
                ec2gw->fail(req, 400, "InvalidInstanceType",
                            "The following supplied instance types do not exist: [%s]",
                            json_string_value(v));
                return;
            }
        }
        types = keep;
    }
    if ((page = nova_filter_page(req, types, NULL, "InstanceType", nova_type_filter, NULL,
                                 &next)) != NULL)
        nova_finish_list(req, "InstanceTypes", page, next);
}

int
nova_describe_instance_types(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t call = EC2GW_OS_GET("compute", "/flavors/detail?is_public=None");

    (void)inst;
    return ec2gw->os_call(req, &call, nova_types_done, NULL);
}

static int
nova_offering_filter(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values,
                     void *arg)
{
    (void)req;
    (void)arg;
    if (strcmp(name, "instance-type") == 0)
        json_array_append(values, json_object_get(item, "InstanceType"));
    else if (strcmp(name, "location") == 0)
        json_array_append(values, json_object_get(item, "Location"));
    else
        return EC2GW_E_NOTFOUND;
    return 0;
}

static void
nova_offerings_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    const char *lt = nova_param_str(req, "LocationType");
    json_t *locs = nova_own(req, json_array());
    json_t *items = nova_own(req, json_array()), *page;
    const json_t *f, *z, *loc;
    const char *next = NULL;
    size_t i, j;
    int bad = nova_first_failure(r, n);

    (void)arg;
    if (bad >= 0) {
        ec2gw->fail_from_os(req, r[bad], NULL);
        return;
    }
    if (lt == NULL)
        lt = "region";
    if (strcmp(lt, "region") == 0) {
        json_array_append_new(locs, json_string(ec2gw->identity(req)->region));
    } else if (strcmp(lt, "availability-zone") == 0) {
        json_array_foreach(json_object_get(r[1]->json, "availabilityZoneInfo"), i, z)
            json_array_append(locs, json_object_get(z, "zoneName"));
    } else {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "LocationType '%s' is not supported (region, availability-zone)", lt);
        return;
    }
    json_array_foreach(json_object_get(r[0]->json, "flavors"), i, f)
    {
        json_array_foreach(locs, j, loc)
        {
            json_t *it = json_pack("{s:O, s:s, s:O}", "InstanceType", json_object_get(f, "name"),
                                   "LocationType", lt, "Location", loc);
            if (it != NULL)
                json_array_append_new(items, it);
        }
    }
    if ((page = nova_filter_page(req, items, NULL, "InstanceType", nova_offering_filter, NULL,
                                 &next)) != NULL)
        nova_finish_list(req, "InstanceTypeOfferings", page, next);
}

int
nova_describe_instance_type_offerings(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t calls[2] = {
        EC2GW_OS_GET("compute", "/flavors/detail"),
        EC2GW_OS_GET("compute", "/os-availability-zone"),
    };

    (void)inst;
    return ec2gw->os_fanout(req, calls, 2, nova_offerings_done, NULL);
}
