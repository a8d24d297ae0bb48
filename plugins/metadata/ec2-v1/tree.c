/*
 * tree.c - paths into a metadata tree (a JSON object: directories are objects, values
 * strings). A directory answers its keys one a line, sub-directories with a trailing '/',
 * sorted; public-keys/ answers "0=<key name>" as EC2 does. Members starting with '_' are
 * the plugin's own and never served.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

/* ec2-api's versions, then the later ones whose paths this tree also serves. */
const char *const md_versions[] = { "1.0",        "2007-01-19", "2007-03-01", "2007-08-29",
                                    "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01",
                                    "2009-04-04", "2016-09-02", "2018-09-24", "latest",
                                    NULL };

int
md_version_ok(const char *v, size_t len)
{
    for (size_t i = 0; md_versions[i] != NULL; i++)
        if (strlen(md_versions[i]) == len && strncmp(md_versions[i], v, len) == 0)
            return 1;
    return 0;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *
listing(ec2gw_req_t *req, const json_t *root, const json_t *dir)
{
    size_t n = json_object_size(dir), k = 0;
    const char **keys = ec2gw->pcalloc(req, (n + 1) * sizeof(*keys)), *key, *out = "";
    json_t *v;

    if (dir == json_object_get(root, "public-keys")) {
        json_object_foreach((json_t *)(uintptr_t)dir, key, v) out =
            ec2gw->psprintf(req, "%s%s%s=%s", out, k++ ? "\n" : "", key,
                            md_str(v, "_name") ? md_str(v, "_name") : "");
        return out;
    }
    json_object_foreach((json_t *)(uintptr_t)dir, key, v)
    {
        if (key[0] != '_')
            keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), str_cmp);
    for (size_t i = 0; i < k; i++)
        out = ec2gw->psprintf(req, "%s%s%s%s", out, i ? "\n" : "", keys[i],
                              json_is_object(json_object_get(dir, keys[i])) ? "/" : "");
    return out;
}

const char *
md_tree_lookup(ec2gw_req_t *req, const json_t *root, const char *path)
{
    const json_t *node = root;

    for (const char *p = path; node != NULL;) {
        size_t n;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        n = strcspn(p, "/");
        if (!json_is_object(node) || p[0] == '_')
            return NULL;
        node = json_object_getn(node, p, n);
        p += n;
    }
    if (node == NULL)
        return NULL;
    if (json_is_string(node))
        return json_string_value(node);
    return json_is_object(node) ? listing(req, root, node) : NULL;
}
