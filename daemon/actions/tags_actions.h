/* tags_actions.h - CreateTags, DeleteTags, DescribeTags: served by the daemon itself. */
#ifndef EC2GW_ACTIONS_TAGS_ACTIONS_H
#define EC2GW_ACTIONS_TAGS_ACTIONS_H

#include <jansson.h>

#include "core/fault.h"
#include "data/db.h"

/**
 * Each takes the decoded parameters (borrowed, keyed by model member names) of the caller's
 * project and returns 0 with *model (returns new, keyed by output member names; NULL for
 * operations that answer <return>true</return>), or -1 with @p fault.
 *
 * CreateTags: Resources + Tags; keys non-empty, <= 127 chars, not "aws:"; values <= 255;
 * resources must be taggable kinds and, except images, rows of the project (else the kind's
 * *.NotFound; malformed → InvalidID).
 * DeleteTags: Resources + optional Tags.
 * DescribeTags: Filters key, value, tag-key, tag-value, resource-id, resource-type (wildcards);
 * MaxResults (5..1000)/NextToken.
 */
int ec2gw_action_create_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                             json_t **model, ec2gw_fault_t *fault);
int ec2gw_action_delete_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                             json_t **model, ec2gw_fault_t *fault);
int ec2gw_action_describe_tags(ec2gw_db_t *db, const char *project_id, const json_t *params,
                               json_t **model, ec2gw_fault_t *fault);

#endif
