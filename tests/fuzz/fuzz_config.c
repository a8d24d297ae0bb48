/*
 * fuzz_config.c - the conf.d YAML loader (libyaml events into the node tree: duplicate keys,
 * anchors, aliases and tags refused) and the duration and size parsers it binds with.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *yaml = strndup((const char *)data, size);
    ec2gw_conf_set_t *set = NULL;
    ec2gw_err_t err = { 0 };
    long long v;

    if (yaml == NULL)
        return 0;
    if (ec2gw_conf_load_string(yaml, "fuzz.yaml", &set, &err) == 0)
        ec2gw_conf_set_free(set);
    if (size < 64) {
        (void)ec2gw_conf_parse_duration(yaml, &v);
        (void)ec2gw_conf_parse_size(yaml, &v);
    }
    free(yaml);
    return 0;
}
