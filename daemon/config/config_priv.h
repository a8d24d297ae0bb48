/*
 * config_priv.h - declarations shared by the files of daemon/config/ only: the set's memory
 * (every allocation is registered in the set and freed with it) and the YAML-to-node parser.
 */
#ifndef EC2GW_CONFIG_CONFIG_PRIV_H
#define EC2GW_CONFIG_CONFIG_PRIV_H

#include <stddef.h>

#include "config/config.h"

/** Deepest nesting of maps and sequences accepted in one file. */
#define EC2GW_CONF_MAX_DEPTH 64

/** An empty set. Returns new (caller frees with ec2gw_conf_set_free), NULL when out of memory. */
ec2gw_conf_set_t *ec2gw_conf_set_new(void);

/**
 * Hand the malloc()ed block @p p to @p set (steals): freed with the set. On failure @p p is
 * freed at once and EC2GW_E_NOMEM returned.
 */
int ec2gw_conf_keep(ec2gw_conf_set_t *set, void *p) EC2GW_MUST_CHECK;

/** @p size zeroed bytes owned by @p set, or NULL when out of memory. */
void *ec2gw_conf_alloc(ec2gw_conf_set_t *set, size_t size);

/** A NUL-terminated copy of @p len bytes of @p s, owned by @p set, or NULL. */
char *ec2gw_conf_strndup(ec2gw_conf_set_t *set, const char *s, size_t len);

/**
 * Append a file's root to @p set. @p path and @p root must be owned by the set already.
 * 0 or EC2GW_E_NOMEM.
 */
int ec2gw_conf_set_add(ec2gw_conf_set_t *set, const char *path,
                       ec2gw_conf_node_t *root) EC2GW_MUST_CHECK;

/**
 * Parse @p len bytes of YAML into a node tree owned by @p set; @p file (owned by the set, or
 * static) is what nodes and messages cite. *out is the root of any type, or NULL for a stream
 * without a document. Anchors, aliases, tags, duplicate keys and multiple documents are
 * refused. 0 or a negative EC2GW_E_* code with @p err filled.
 */
int ec2gw_conf_parse(ec2gw_conf_set_t *set, const char *text, size_t len, const char *file,
                     ec2gw_conf_node_t **out, ec2gw_err_t *err) EC2GW_MUST_CHECK;

/** "mapping", "sequence" or "scalar", for messages. */
const char *ec2gw_conf_type_name(ec2gw_conf_type_t type);

/** Whether @p node is a YAML null: an unquoted "", "~" or "null". @p node may be NULL. */
int ec2gw_conf_is_null(const ec2gw_conf_node_t *node);

/**
 * For an unknown @p key: *best = the schema key closest to it by edit distance (borrowed from
 * @p schema), or NULL when none is close; @p known = "a, b, c" (truncated with "...").
 */
void ec2gw_conf_suggest(const ec2gw_setting_t *schema, const char *key, const char **best,
                        char *known, size_t size);

#endif
