/*
 * zones.c - DescribeAvailabilityZones from Nova's os-availability-zone.
 */
#include <string.h>

#include "nova.h"

/* Values of filter @p name for one zone item. */
static int
nova_zone_filter(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    static const struct {
        const char *filter, *member;
    } map[] = {
        { "zone-name", "ZoneName" },        { "state", "State" },
        { "region-name", "RegionName" },    { "zone-id", "ZoneId" },
        { "zone-type", "ZoneType" },        { "group-name", "GroupName" },
        { "opt-in-status", "OptInStatus" }, { "network-border-group", "NetworkBorderGroup" },
    };

    (void)req;
    (void)arg;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(name, map[i].filter) == 0) {
            const char *v = nova_str(item, map[i].member);

            if (v != NULL)
                json_array_append_new(values, json_string(v));
            return 0;
        }
    }
    return EC2GW_E_NOTFOUND;
}

/* Is @p zone asked for by ZoneNames/ZoneIds (none asked: all)? */
static int
nova_zone_wanted(const json_t *params, const json_t *zone)
{
    const json_t *names = json_object_get(params, "ZoneNames");
    const json_t *ids = json_object_get(params, "ZoneIds");
    const json_t *v;
    size_t i;

    if (json_array_size(names) == 0 && json_array_size(ids) == 0)
        return 1;
    json_array_foreach(names, i, v) if (json_equal(v, json_object_get(zone, "ZoneName"))) return 1;
    json_array_foreach(ids, i, v) if (json_equal(v, json_object_get(zone, "ZoneId"))) return 1;
    return 0;
}

static void
nova_zones_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *params = ec2gw->params(req);
    const char *region = ec2gw->identity(req)->region;
    json_t *zones = nova_own(req, json_array()), *filtered;
    const json_t *z, *v;
    size_t i, j;

    (void)arg;
    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "availabilityZoneInfo"), i, z)
    {
        const char *name = nova_str(z, "zoneName");
        int up = json_is_true(json_object_get(json_object_get(z, "zoneState"), "available"));
        json_t *item;

        if (name == NULL || strcmp(name, "internal") == 0)
            continue;
        item = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "ZoneName", name,
                         "State", up ? "available" : "unavailable", "RegionName", region, "ZoneId",
                         ec2gw->psprintf(req, "%s-az%zu", region, i + 1), "ZoneType",
                         "availability-zone", "GroupName", region, "NetworkBorderGroup", region,
                         "OptInStatus", "opt-in-not-required", "Messages");
        if (nova_zone_wanted(params, item))
            json_array_append_new(zones, item);
        else
            json_decref(item);
    }
    /* Every asked name must exist. */
    json_array_foreach(json_object_get(params, "ZoneNames"), i, v)
    {
        int found = 0;

        json_array_foreach(zones, j, z) found |= json_equal(v, json_object_get(z, "ZoneName"));
        if (!found) {
            ec2gw->fail(req, 400, "InvalidParameterValue", "Invalid availability zone: [%s]",
                        json_string_value(v));
            return;
        }
    }
    filtered = ec2gw->filter(req, zones, NULL, nova_zone_filter, NULL);
    if (filtered == NULL)
        return;
    ec2gw->finish(req, json_pack("{s:o}", "AvailabilityZones", filtered));
}

int
nova_describe_availability_zones(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t call = EC2GW_OS_GET("compute", "/os-availability-zone");

    (void)inst;
    return ec2gw->os_call(req, &call, nova_zones_done, NULL);
}
