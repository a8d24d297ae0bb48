/*
 * abi_variant.c - test plugins the loader must refuse (or accept), one per ABI_VARIANT:
 *   1 built for ABI 2.0 (major mismatch)     2 built for ABI 1.<minor+1> (newer minor)
 *   3 bad magic                               4 truncated descriptor (64 bytes)
 *   5 load() refuses                          6 declares an action the EC2 model lacks
 *   7 two actions, for `actions:` narrowing
 * The descriptor header is written by hand here; real plugins use EC2GW_ABI_HDR_INIT.
 */
#include <ec2gw/plugin.h>

#ifndef ABI_VARIANT
#error "define ABI_VARIANT"
#endif

static int
variant_noop(ec2gw_req_t *req, void *inst)
{
    (void)req;
    (void)inst;
    return EC2GW_OK;
}

static int
variant_load(const ec2gw_host_api_t *host)
{
    (void)host;
    return ABI_VARIANT == 5 ? -1 : 0;
}

static const ec2gw_action_t variant_actions[] = {
#if ABI_VARIANT == 6
    { .name = "DescribeUnicorns", .fn = variant_noop },
#elif ABI_VARIANT == 7
    { .name = "DescribeRegions", .fn = variant_noop },
    { .name = "DescribeAvailabilityZones", .fn = variant_noop },
#else
    { .name = "DescribeRegions", .fn = variant_noop },
#endif
    { .name = NULL },
};

#if ABI_VARIANT == 1
#define VARIANT_HDR                                                \
    {                                                              \
        EC2GW_PLUGIN_MAGIC, 2, 0, (uint32_t)sizeof(ec2gw_plugin_t) \
    }
#elif ABI_VARIANT == 2
#define VARIANT_HDR                                                                                \
    {                                                                                              \
        EC2GW_PLUGIN_MAGIC, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR + 1, (uint32_t)sizeof(ec2gw_plugin_t) \
    }
#elif ABI_VARIANT == 3
#define VARIANT_HDR                                                                     \
    {                                                                                   \
        0xdeadbeefu, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR, (uint32_t)sizeof(ec2gw_plugin_t) \
    }
#elif ABI_VARIANT == 4
#define VARIANT_HDR                                              \
    {                                                            \
        EC2GW_PLUGIN_MAGIC, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR, 64 \
    }
#else
#define VARIANT_HDR EC2GW_ABI_HDR_INIT(ec2gw_plugin_t)
#endif

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = VARIANT_HDR,
    .name = VARIANT_NAME,
    .version = "0.0.1",
    .description = "ABI gate test plugin",
    .actions = variant_actions,
    .load = variant_load,
};
