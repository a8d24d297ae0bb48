/*
 * config_merge.c - conf.d drop-ins: the per-file roots of a set merged into one daemon document
 * and one document per plugin instance, so that a site file such as 50-site.yaml can change one
 * key of a packaged file without copying (and then owning) the rest of it.
 *
 * Merged maps are new nodes; parsed nodes stay untouched, and every value keeps the file and
 * line it was written at, so binding errors still point at the line an operator has to edit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_priv.h"

/* A dotted key path for messages ("listen.port", "settings.network"). */
#define KEY_PATH_MAX 256

/** Key @p i of @p map as (file, line). */
static const char *
key_file_at(const ec2gw_conf_node_t *map, size_t i)
{
    return map->key_files != NULL ? map->key_files[i] : map->file;
}

static int
nomem(ec2gw_err_t *err, const char *file)
{
    return ec2gw_err_set(err, EC2GW_E_NOMEM, "%s: out of memory", file);
}

/* A map being built: the node's own arrays are const to its readers. */
struct out_map {
    ec2gw_conf_node_t *node;
    const char **keys;
    int *lines;
    const char **files;
};

/** An empty map of room @p cap with @p base's file and line, owned by @p set. */
static int
map_new(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *base, size_t cap, struct out_map *o)
{
    o->node = ec2gw_conf_alloc(set, sizeof(*o->node));
    o->keys = ec2gw_conf_alloc(set, cap * sizeof(*o->keys));
    o->lines = ec2gw_conf_alloc(set, cap * sizeof(*o->lines));
    o->files = ec2gw_conf_alloc(set, cap * sizeof(*o->files));
    if (o->node == NULL || o->keys == NULL || o->lines == NULL || o->files == NULL)
        return EC2GW_E_NOMEM;
    o->node->items = ec2gw_conf_alloc(set, cap * sizeof(*o->node->items));
    if (o->node->items == NULL)
        return EC2GW_E_NOMEM;
    o->node->type = EC2GW_CONF_MAP;
    o->node->file = base->file;
    o->node->line = base->line;
    o->node->keys = o->keys;
    o->node->key_lines = o->lines;
    o->node->key_files = o->files;
    return 0;
}

static void
put(struct out_map *o, size_t at, const char *key, int line, const char *file,
    ec2gw_conf_node_t *item)
{
    o->keys[at] = key;
    o->lines[at] = line;
    o->files[at] = file;
    o->node->items[at] = item;
}

static int merge_map(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *base,
                     const ec2gw_conf_node_t *over, const char *path, ec2gw_conf_node_t **out,
                     ec2gw_err_t *err);

/** Merge value @p ov (key @p j of @p over) into slot @p k of @p o, which holds an earlier one. */
static int
merge_slot(ec2gw_conf_set_t *set, struct out_map *o, size_t k, const ec2gw_conf_node_t *over,
           size_t j, const char *path, ec2gw_err_t *err)
{
    ec2gw_conf_node_t *bv = o->node->items[k];
    ec2gw_conf_node_t *ov = over->items[j];
    char sub[KEY_PATH_MAX];

    (void)snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", over->keys[j]);
    if (bv->type == EC2GW_CONF_MAP && ov->type == EC2GW_CONF_MAP)
        return merge_map(set, bv, ov, sub, &o->node->items[k], err);
    /* An empty key (`settings:`) is "nothing yet": anything may fill it. */
    if ((bv->type == EC2GW_CONF_MAP) != (ov->type == EC2GW_CONF_MAP) && !ec2gw_conf_is_null(bv))
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: '%s' is a %s here but a %s in %s:%d; a later conf.d file "
                             "merges a mapping into a mapping key by key and replaces a scalar "
                             "or a sequence whole, but cannot turn one kind into the other",
                             key_file_at(over, j), over->key_lines[j], sub,
                             ec2gw_conf_type_name(ov->type), ec2gw_conf_type_name(bv->type),
                             o->files[k], o->lines[k]);
    put(o, k, over->keys[j], over->key_lines[j], key_file_at(over, j), ov);
    return 0;
}

/** *out = @p base with the keys of @p over merged in: a new map owned by @p set. */
static int
merge_map(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *base, const ec2gw_conf_node_t *over,
          const char *path, ec2gw_conf_node_t **out, ec2gw_err_t *err)
{
    struct out_map o;
    ec2gw_conf_node_t *m;
    size_t n = 0;

    if (map_new(set, base, base->n + over->n + 1, &o) != 0)
        return nomem(err, over->file);
    m = o.node;
    for (size_t i = 0; i < base->n; i++, n++)
        put(&o, n, base->keys[i], base->key_lines[i], key_file_at(base, i), base->items[i]);
    m->n = n;
    for (size_t j = 0; j < over->n; j++) {
        size_t k = 0;

        while (k < n && strcmp(o.keys[k], over->keys[j]) != 0)
            k++;
        if (k < n) {
            int rc = merge_slot(set, &o, k, over, j, path, err);

            if (rc != 0)
                return rc;
            continue;
        }
        put(&o, n++, over->keys[j], over->key_lines[j], key_file_at(over, j), over->items[j]);
        m->n = n;
    }
    *out = m;
    return 0;
}

/*
 * The instance a root configures: its `instance:` text, NULL for a daemon document. A plugin
 * file without (or with a malformed) `instance:` gets "", which never merges: instances.c
 * names it after its plugin's service and reports a malformed value.
 */
static const char *
doc_instance(const ec2gw_conf_node_t *root, int *is_plugin)
{
    const ec2gw_conf_node_t *inst = ec2gw_conf_get(root, "instance");

    *is_plugin = inst != NULL || ec2gw_conf_get(root, "plugin") != NULL ||
                 ec2gw_conf_get(root, "file") != NULL;
    if (!*is_plugin)
        return NULL;
    if (inst == NULL || inst->type != EC2GW_CONF_SCALAR || inst->value[0] == '\0')
        return "";
    return inst->value;
}

/** Merge root @p r into the first earlier document of the same kind, or append it. */
static int
merge_root(ec2gw_conf_set_t *set, ec2gw_conf_node_t **docs, const char **names, const char **paths,
           size_t *n, const char *path, ec2gw_conf_node_t *r, ec2gw_err_t *err)
{
    int is_plugin = 0;
    const char *name = doc_instance(r, &is_plugin);

    for (size_t d = 0; d < *n && (name == NULL || name[0] != '\0'); d++) {
        if ((name == NULL) != (names[d] == NULL) || (name != NULL && strcmp(name, names[d]) != 0))
            continue;
        return merge_map(set, docs[d], r, "", &docs[d], err);
    }
    if (is_plugin && ec2gw_conf_get(r, "plugin") == NULL && ec2gw_conf_get(r, "file") == NULL &&
        name[0] == '\0')
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: 'instance' must be a non-empty string",
                             path, ec2gw_conf_key_line(r, "instance"));
    if (is_plugin && ec2gw_conf_get(r, "plugin") == NULL && ec2gw_conf_get(r, "file") == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: instance '%s' is not configured by an earlier conf.d file; "
                             "a drop-in that changes an instance must sort after the file that "
                             "has its plugin: (or give plugin: itself)",
                             path, ec2gw_conf_key_line(r, "instance"), name);
    docs[*n] = r;
    names[*n] = name;
    paths[*n] = path;
    (*n)++;
    return 0;
}

int
ec2gw_conf_merge(ec2gw_conf_set_t *set, ec2gw_err_t *err)
{
    size_t count = set->n, n = 0;
    ec2gw_conf_node_t **docs = calloc(count + 1, sizeof(*docs));
    const char **names = calloc(count + 1, sizeof(*names));
    const char **paths = calloc(count + 1, sizeof(*paths));
    const char **files = calloc(count + 1, sizeof(*files));
    int rc = 0;

    if (docs == NULL || names == NULL || paths == NULL || files == NULL) {
        free(docs);
        free(names);
        free(paths);
        free(files);
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "conf.d: out of memory");
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        files[i] = set->paths[i];
        rc = merge_root(set, docs, names, paths, &n, set->paths[i], set->roots[i], err);
    }
    free(names);
    if (rc != 0) {
        free(docs);
        free(paths);
        free(files);
        return rc;
    }
    /* The arrays were sized for one document per file; n <= count. */
    memcpy(set->roots, docs, n * sizeof(*docs));
    memcpy(set->paths, paths, n * sizeof(*paths));
    set->n = n;
    free(set->files);
    set->files = files;
    set->n_files = count;
    free(docs);
    free(paths);
    return 0;
}
