/*
 * filters.h - EC2 Filter.N semantics: values within a filter ORed, filters ANDed, wildcards
 * '*' and '?' with '\' escapes (no character classes), tag:<key>, tag-key, tag-value.
 */
#ifndef EC2GW_DATA_FILTERS_H
#define EC2GW_DATA_FILTERS_H

#include <jansson.h>

#include "core/fault.h"

/** 1 when @p value matches the EC2 wildcard @p pattern (case-sensitive). */
int ec2gw_wildcard_match(const char *pattern, const char *value);

/**
 * Values of filter @p name for @p item: append JSON strings to @p values_out and return 0, or
 * return EC2GW_E_NOTFOUND when the filter name is unknown.
 */
typedef int (*ec2gw_filter_values_cb)(const json_t *item, const char *name, json_t *values_out,
                                      void *arg);

/**
 * Keep the items that pass @p filters ([{"Name":..,"Values":[..]}], borrowed; NULL = all).
 * tag:<k>, tag-key and tag-value are answered from @p tags_by_id ({"<id>": [{"Key","Value"}]},
 * may be NULL) with the item's id read from member @p id_key; other names through @p cb.
 * Faults: InvalidParameterValue "The filter 'x' is invalid" for unknown names,
 * FilterLimitExceeded for more than 200 values (or filters) in all.
 * Returns new array, or NULL with @p fault filled.
 */
json_t *ec2gw_filter_apply(const json_t *filters, const json_t *items, const char *id_key,
                           const json_t *tags_by_id, ec2gw_filter_values_cb cb, void *arg,
                           ec2gw_fault_t *fault);

#endif
