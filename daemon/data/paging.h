/*
 * paging.h - MaxResults/NextToken over a list sorted by a stable key. Tokens are opaque
 * (base64 of the last key and a hash of the request's scope), survive restarts, and a token
 * from another query is refused.
 */
#ifndef EC2GW_DATA_PAGING_H
#define EC2GW_DATA_PAGING_H

#include <jansson.h>

#include "core/fault.h"

/**
 * Sort @p items by string member @p key and return the page after @p next_token (NULL: the
 * first) of at most @p max_results items (-1: all). @p scope is a string identifying the
 * query (action + filters + ids) baked into tokens. @p min/@p max bound MaxResults
 * (InvalidParameterValue outside). *next_out returns new (free()) or NULL on the last page.
 * Faults: InvalidPaginationToken, InvalidParameterValue. Returns new array or NULL.
 */
json_t *ec2gw_page_apply(const json_t *items, const char *key, long long max_results,
                         const char *next_token, const char *scope, long long min, long long max,
                         char **next_out, ec2gw_fault_t *fault);

/**
 * The MaxResults a client sent (@p jmax, NULL when absent), checked against the operation's
 * range as AWS does (issue 11 #11, #13): absent gives -1 (everything); not an integer, or
 * below @p min (0 and negative numbers included: -1 is not "no limit") is
 * InvalidParameterValue; above @p max is capped to @p max (DescribeTags MaxResults=1100 reads
 * 1000). Returns 0 with *out set, or -1 with @p fault.
 */
int ec2gw_page_max_results(const json_t *jmax, long long min, long long max, long long *out,
                           ec2gw_fault_t *fault);

#endif
