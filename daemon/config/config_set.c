/*
 * config_set.c - the memory of a configuration set and read access to its nodes.
 *
 * Every node, string and array of a set is a separate malloc() block registered in the set's
 * private list, so freeing a set is one walk over that list, and ASan still sees each block's
 * exact bounds (a bump allocator would hide overruns between neighbouring nodes).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_priv.h"

struct conf_priv {
    void **blocks; /**< every block owned by the set */
    size_t n;
    size_t cap;
};

ec2gw_conf_set_t *
ec2gw_conf_set_new(void)
{
    ec2gw_conf_set_t *set = calloc(1, sizeof(*set));

    if (set == NULL)
        return NULL;
    set->priv = calloc(1, sizeof(struct conf_priv));
    if (set->priv == NULL) {
        free(set);
        return NULL;
    }
    return set;
}

int
ec2gw_conf_keep(ec2gw_conf_set_t *set, void *p)
{
    struct conf_priv *priv = set->priv;

    if (priv->n == priv->cap) {
        size_t cap = priv->cap != 0 ? priv->cap * 2 : 64;
        void **blocks = realloc(priv->blocks, cap * sizeof(*blocks));

        if (blocks == NULL) {
            free(p);
            return EC2GW_E_NOMEM;
        }
        priv->blocks = blocks;
        priv->cap = cap;
    }
    priv->blocks[priv->n++] = p;
    return 0;
}

void *
ec2gw_conf_alloc(ec2gw_conf_set_t *set, size_t size)
{
    void *p = calloc(1, size != 0 ? size : 1);

    if (p == NULL || ec2gw_conf_keep(set, p) != 0)
        return NULL;
    return p;
}

char *
ec2gw_conf_strndup(ec2gw_conf_set_t *set, const char *s, size_t len)
{
    char *copy = ec2gw_conf_alloc(set, len + 1);

    if (copy != NULL)
        memcpy(copy, s, len);
    return copy;
}

int
ec2gw_conf_set_add(ec2gw_conf_set_t *set, const char *path, ec2gw_conf_node_t *root)
{
    const char **paths = realloc(set->paths, (set->n + 1) * sizeof(*paths));
    ec2gw_conf_node_t **roots;

    if (paths == NULL)
        return EC2GW_E_NOMEM;
    set->paths = paths;
    roots = realloc(set->roots, (set->n + 1) * sizeof(ec2gw_conf_node_t *));
    if (roots == NULL)
        return EC2GW_E_NOMEM;
    set->roots = roots;
    set->paths[set->n] = path;
    set->roots[set->n] = root;
    set->n++;
    return 0;
}

void
ec2gw_conf_set_free(ec2gw_conf_set_t *set)
{
    struct conf_priv *priv;

    if (set == NULL)
        return;
    priv = set->priv;
    if (priv != NULL) {
        for (size_t i = 0; i < priv->n; i++)
            free(priv->blocks[i]);
        free(priv->blocks);
        free(priv);
    }
    free(set->paths);
    free(set->roots);
    free(set->files);
    free(set);
}

const ec2gw_conf_node_t *
ec2gw_conf_get(const ec2gw_conf_node_t *map, const char *key)
{
    if (map == NULL || map->type != EC2GW_CONF_MAP || key == NULL)
        return NULL;
    /* Maps are small (a handful of settings); duplicates were refused when loading. */
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    }
    return NULL;
}

int
ec2gw_conf_key_line(const ec2gw_conf_node_t *map, const char *key)
{
    if (map == NULL)
        return 0;
    if (map->type == EC2GW_CONF_MAP && key != NULL) {
        for (size_t i = 0; i < map->n; i++) {
            if (strcmp(map->keys[i], key) == 0)
                return map->key_lines[i];
        }
    }
    return map->line;
}

const char *
ec2gw_conf_key_file(const ec2gw_conf_node_t *map, const char *key)
{
    if (map == NULL)
        return NULL;
    if (map->type == EC2GW_CONF_MAP && map->key_files != NULL && key != NULL) {
        for (size_t i = 0; i < map->n; i++) {
            if (strcmp(map->keys[i], key) == 0)
                return map->key_files[i];
        }
    }
    return map->file;
}

const char *
ec2gw_conf_type_name(ec2gw_conf_type_t type)
{
    switch (type) {
    case EC2GW_CONF_MAP:
        return "mapping";
    case EC2GW_CONF_SEQ:
        return "sequence";
    case EC2GW_CONF_SCALAR:
        return "scalar";
    }
    return "node";
}

int
ec2gw_conf_is_null(const ec2gw_conf_node_t *node)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

    if (node == NULL || node->type != EC2GW_CONF_SCALAR || node->quoted)
        return 0;
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (strcmp(node->value, nulls[i]) == 0)
            return 1;
    }
    return 0;
}
