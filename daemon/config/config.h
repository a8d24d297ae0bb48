/*
 * config.h - conf.d YAML: every *.yaml of a directory, in name order, parsed with libyaml into
 * a node tree that remembers file and line, merged (later files override earlier ones key by
 * key, like systemd drop-ins), and bound into C structs through settings schemas (the same
 * ec2gw_setting_t tables plugins declare).
 */
#ifndef EC2GW_CONFIG_CONFIG_H
#define EC2GW_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include <ec2gw/plugin.h>

#include "core/err.h"

typedef enum ec2gw_conf_type {
    EC2GW_CONF_SCALAR = 1,
    EC2GW_CONF_MAP,
    EC2GW_CONF_SEQ,
} ec2gw_conf_type_t;

/** One YAML node. Owned by its document; never modified after loading. */
typedef struct ec2gw_conf_node {
    ec2gw_conf_type_t type;
    const char *file;  /**< path of the file it came from */
    int line;          /**< 1-based line */
    const char *value; /**< SCALAR: the text ("" for an empty scalar) */
    int quoted;        /**< SCALAR: written in quotes (so `"123"` is a string, `~` is not null) */
    size_t n;          /**< MAP: pairs; SEQ: items */
    const char **keys; /**< MAP: keys, in file order */
    const int *key_lines; /**< MAP: the line of each key */
    /** MAP: the file of each key when a merge brought keys from several files; NULL when all
     *  are in @c file (read it through ec2gw_conf_key_file) */
    const char *const *key_files;
    struct ec2gw_conf_node **items; /**< MAP: values; SEQ: items */
} ec2gw_conf_node_t;

/**
 * The documents of a configuration. From ec2gw_conf_load_dir they are merged: one document of
 * daemon sections (every file without plugin:/file:/instance:), then one per plugin instance,
 * each placed where its first file was read.
 */
typedef struct ec2gw_conf_set {
    size_t n;
    const char **paths;        /**< the first file of each document */
    ec2gw_conf_node_t **roots; /**< each document's root node (a MAP) */
    size_t n_files;
    const char **files; /**< every non-empty file read, in name order */
    void *priv;         /**< loader-private memory */
} ec2gw_conf_set_t;

/**
 * Load every `*.yaml` file of @p dir in name order and merge them (ec2gw_conf_merge). Errors
 * name the file and line (YAML syntax, a root that is not a mapping, duplicate keys,
 * anchors/aliases and tags are refused, and merge conflicts).
 * *out: caller frees with ec2gw_conf_set_free.
 */
int ec2gw_conf_load_dir(const char *dir, ec2gw_conf_set_t **out, ec2gw_err_t *err);

/** Load one file (a set of one). */
int ec2gw_conf_load_file(const char *path, ec2gw_conf_set_t **out, ec2gw_err_t *err);

/** Load YAML from memory, reported as file @p name (for tests). */
int ec2gw_conf_load_string(const char *yaml, const char *name, ec2gw_conf_set_t **out,
                           ec2gw_err_t *err);

void ec2gw_conf_set_free(ec2gw_conf_set_t *set);

/**
 * Merge the per-file roots of @p set in place, in their order. Files without plugin:, file: or
 * instance: merge into one daemon document; files with the same `instance:` merge into one
 * instance document (a later one may omit plugin:). Mappings merge key by key, recursively;
 * a later scalar or sequence replaces the earlier value whole (an earlier null is replaced by
 * anything). A mapping against a non-mapping is an error citing both file:line, as is an
 * instance that no earlier file configures.
 */
int ec2gw_conf_merge(ec2gw_conf_set_t *set, ec2gw_err_t *err);

/**
 * Print the documents of @p set as YAML, each value with its origin (`# file:line`), keys
 * holding a password or secret masked. For operators checking what conf.d drop-ins add up to.
 */
void ec2gw_conf_print(const ec2gw_conf_set_t *set, FILE *out);

/** The value of @p key in MAP @p map, or NULL. Borrowed. */
const ec2gw_conf_node_t *ec2gw_conf_get(const ec2gw_conf_node_t *map, const char *key);

/** The line of @p key in @p map, or the map's own line. */
int ec2gw_conf_key_line(const ec2gw_conf_node_t *map, const char *key);

/** The file @p key of @p map came from (after a merge, maybe not the map's), or the map's. */
const char *ec2gw_conf_key_file(const ec2gw_conf_node_t *map, const char *key);

/**
 * Bind MAP @p map into the struct at @p base through @p schema: apply defaults, convert each
 * key by type (STR; INT decimal; BOOL true/false/yes/no/on/off; DURATION_MS "250ms" "30s" "5m"
 * "1h" or a bare number of milliseconds; STR_LIST a sequence of scalars, or one scalar), refuse
 * unknown keys ("file:line: unknown key 'x' in <what>; known keys: a, b") and missing
 * EC2GW_SET_REQUIRED keys. @p map may be NULL (defaults only). @p what names the section in
 * messages. Bound strings point into the node tree or the schema defaults; STR_LIST arrays are
 * allocated and registered in the set (freed with it).
 */
int ec2gw_conf_bind(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *map,
                    const ec2gw_setting_t *schema, void *base, const char *what, ec2gw_err_t *err);

/** Parse a duration ("250ms", "30s", "5m", "1h", "1500") into milliseconds. 0 or EC2GW_E_INVAL. */
int ec2gw_conf_parse_duration(const char *s, long long *ms);

/** Parse a byte size ("64k", "1m", "512", "1KiB", "2MiB") into bytes. 0 or EC2GW_E_INVAL. */
int ec2gw_conf_parse_size(const char *s, long long *bytes);

#endif
