/* catalog.c - Keystone v3 catalog: [{type, endpoints: [{interface, region_id, url}]}]. */
#include "catalog.h"

#include <string.h>

static const char *const volume_aliases[] = { "volumev3", "block-storage", "volume", NULL };

static int
type_matches(const char *want, const char *have)
{
    if (strcmp(want, have) == 0)
        return 1;
    int want_vol = 0, have_vol = 0;

    for (int i = 0; volume_aliases[i] != NULL; i++) {
        want_vol |= strcmp(want, volume_aliases[i]) == 0;
        have_vol |= strcmp(have, volume_aliases[i]) == 0;
    }
    return want_vol && have_vol;
}

static const char *
endpoint_url(const json_t *svc, const char *interface, const char *region)
{
    size_t i;
    json_t *ep;

    json_array_foreach(json_object_get(svc, "endpoints"), i, ep)
    {
        const char *ifc = json_string_value(json_object_get(ep, "interface"));
        const char *reg = json_string_value(json_object_get(ep, "region_id"));

        if (reg == NULL)
            reg = json_string_value(json_object_get(ep, "region"));
        if (ifc == NULL || strcmp(ifc, interface) != 0)
            continue;
        if (region != NULL && (reg == NULL || strcmp(reg, region) != 0))
            continue;
        return json_string_value(json_object_get(ep, "url"));
    }
    return NULL;
}

const char *
ec2gw_catalog_url(const json_t *catalog, const char *type, const char *interface,
                  const char *region)
{
    size_t i;
    json_t *svc;
    const char *fallback = NULL;

    json_array_foreach(catalog, i, svc)
    {
        const char *t = json_string_value(json_object_get(svc, "type"));

        if (t == NULL || !type_matches(type, t))
            continue;
        const char *url = endpoint_url(svc, interface, region);

        /* Prefer the exact type: "volumev3" over "block-storage" when both are registered. */
        if (url != NULL && strcmp(t, type) == 0)
            return url;
        if (url != NULL && fallback == NULL)
            fallback = url;
    }
    return fallback;
}
