/* tags.h - EC2 tags in ec2-api's `tags` table, scoped by project. */
#ifndef EC2GW_DATA_TAGS_H
#define EC2GW_DATA_TAGS_H

#include <stddef.h>

#include <jansson.h>

#include "data/db.h"

/** EC2 resourceType of an id ("instance", "image", "volume", ...), or NULL if not taggable. */
const char *ec2gw_tags_resource_type(const char *ec2_id);

/** Upsert @p tags ([{"Key":..,"Value":..}], borrowed) on @p item_id. */
int ec2gw_tags_set(ec2gw_db_t *db, const char *project_id, const char *item_id, const json_t *tags,
                   ec2gw_err_t *err);

/**
 * Delete tags of @p item_id: @p tags NULL deletes all; else each {"Key":k} deletes k, and
 * {"Key":k,"Value":v} deletes k only when its value is v.
 */
int ec2gw_tags_delete(ec2gw_db_t *db, const char *project_id, const char *item_id,
                      const json_t *tags, ec2gw_err_t *err);

/**
 * Tags of the given ids (NULL entries skipped): *out returns new
 * {"<id>": [{"Key":..,"Value":..}], ...} sorted by key; ids without tags are absent.
 */
int ec2gw_tags_get(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n,
                   json_t **out, ec2gw_err_t *err);

/**
 * Every tag of the project, sorted by (ResourceId, Key): *out returns new
 * [{"ResourceId":..,"ResourceType":..,"Key":..,"Value":..}, ...].
 */
int ec2gw_tags_list(ec2gw_db_t *db, const char *project_id, json_t **out, ec2gw_err_t *err);

/** A DescribeTags query, answered by one SQL statement (tags_query.c). */
typedef struct ec2gw_tags_query {
    /* [{"Name":..,"Values":[..]}] (borrowed; NULL = all): key, tag-key, value, tag-value,
     * resource-id, resource-type, tag:<key>; values ORed, filters ANDed, EC2 wildcards. */
    const json_t *filters;
    const char *after_id;  /* only tags after (after_id, after_key); NULL: from the first */
    const char *after_key; /* NULL with after_id set: the tags of ids >= after_id */
    long long limit;       /* at most this many tags; -1: all */
} ec2gw_tags_query_t;

/** 1 when @p name is a filter ec2gw_tags_find knows, else 0. */
int ec2gw_tags_filter_known(const char *name);

/** The @p i-th taggable id kind ("aki", "ami", ...), or NULL past the last. */
const char *ec2gw_tags_kind(size_t i);

/**
 * The project's tags that pass @p q, sorted by (ResourceId, Key) as ec2gw_tags_list returns
 * them (same members, NULL values as ""): *out returns new array. Filter values match exactly
 * as ec2gw_filter_apply would on ec2gw_tags_list's entries. EC2GW_E_INVAL for an unknown filter
 * name or a value that is not a string (check names with ec2gw_filter_apply first for EC2's
 * messages), EC2GW_E_DB, EC2GW_E_NOMEM.
 */
int ec2gw_tags_find(ec2gw_db_t *db, const char *project_id, const ec2gw_tags_query_t *q,
                    json_t **out, ec2gw_err_t *err);

/**
 * Check tags before writing them (CreateTags rules, openstack-mapping.md §15): each Key a
 * non-empty string of at most 127 characters not starting with "aws:", each Value absent,
 * null or a string of at most 255 characters. @p tags borrowed. 0, or EC2GW_E_INVAL with a
 * message fit for an InvalidParameterValue answer.
 */
int ec2gw_tags_check(const json_t *tags, ec2gw_err_t *err);

/** Number of tags of @p item_id in the project (>= 0), or a negative EC2GW_E_* code. */
int ec2gw_tags_count(ec2gw_db_t *db, const char *project_id, const char *item_id, ec2gw_err_t *err);

#endif
