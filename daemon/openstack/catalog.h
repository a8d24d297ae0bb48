/* catalog.h - endpoint lookup in a Keystone token's service catalog. */
#ifndef EC2GW_OPENSTACK_CATALOG_H
#define EC2GW_OPENSTACK_CATALOG_H

#include <jansson.h>

/**
 * The URL of service @p type (aliases: volumev3 ⇄ block-storage ⇄ volume) for @p interface
 * ("public", "internal", "admin") in @p region (NULL: any) in @p catalog (the token's
 * "catalog" array), without a trailing slash. Borrowed from the catalog, or NULL.
 */
const char *ec2gw_catalog_url(const json_t *catalog, const char *type, const char *interface,
                              const char *region);

#endif
