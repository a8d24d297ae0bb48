/* kv.h - ordered lists of name/value string pairs: form parameters and HTTP headers. */
#ifndef EC2GW_CORE_KV_H
#define EC2GW_CORE_KV_H

#include <stddef.h>

typedef struct ec2gw_kv {
    char *name;  /**< NUL-terminated, decoded */
    char *value; /**< NUL-terminated, decoded (may contain no NUL: embedded %00 is rejected) */
} ec2gw_kv_t;

/** A growable array of pairs, in arrival order. Zero-initialise before use. */
typedef struct ec2gw_kvlist {
    ec2gw_kv_t *v;
    size_t n;
    size_t cap;
} ec2gw_kvlist_t;

/** Append a copy of name/value. Returns 0 or EC2GW_E_NOMEM. */
int ec2gw_kvlist_add(ec2gw_kvlist_t *l, const char *name, const char *value);

/**
 * Parse an application/x-www-form-urlencoded string (a query string or POST body) of @p len
 * bytes: pairs split on '&', name and value split on the first '=', both percent-decoded with
 * '+' as space. A pair without '=' has an empty value; empty pairs are skipped. Returns 0, or
 * EC2GW_E_INVAL for a bad escape or an embedded NUL.
 */
int ec2gw_kvlist_parse_form(ec2gw_kvlist_t *l, const char *s, size_t len);

/** The first value named @p name (case-sensitive), or NULL. Borrowed. */
const char *ec2gw_kvlist_get(const ec2gw_kvlist_t *l, const char *name);

/** The first value named @p name compared case-insensitively (HTTP headers), or NULL. */
const char *ec2gw_kvlist_get_ci(const ec2gw_kvlist_t *l, const char *name);

/** Free every pair and reset the list to empty. */
void ec2gw_kvlist_free(ec2gw_kvlist_t *l);

#endif
