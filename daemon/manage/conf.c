/*
 * conf.c - conf.d for ec2gw-manage: loaded and bound by the daemon's own code
 * (ec2gw_daemon_conf_bind), so that both read the same file the same way. The db commands run
 * where the daemon's secret may not be (a package's postinst, an operator's shell): they bind
 * a view of the tree whose keystone section has a placeholder instead of the password keys.
 */
#include <stdlib.h>
#include <string.h>

#include "manage/manage.h"

static int
is_password_key(const char *k)
{
    return strcmp(k, "service_password") == 0 || strcmp(k, "service_password_env") == 0 ||
           strcmp(k, "service_password_file") == 0;
}

/* The views made: freed after binding (bound strings point into the original nodes). */
struct view {
    ec2gw_conf_node_t root, ks, placeholder;
    const char **keys;
    ec2gw_conf_node_t **items;
    const char **ks_keys, **ks_files; /* ks_files: a merged keystone map's key files */
    int *ks_lines, *lines;
    ec2gw_conf_node_t **ks_items;
};

static void
view_free(struct view *v)
{
    free(v->keys);
    free(v->items);
    free(v->lines);
    free(v->ks_keys);
    free(v->ks_files);
    free(v->ks_lines);
    free(v->ks_items);
}

/* @p root with its keystone map's password keys replaced by one placeholder. */
static int
view_make(const ec2gw_conf_node_t *root, size_t ks_idx, struct view *v)
{
    const ec2gw_conf_node_t *ks = root->items[ks_idx];
    size_t n = 0;

    v->root = *root;
    v->ks = *ks;
    v->keys = malloc(root->n * sizeof(*v->keys));
    v->items = malloc(root->n * sizeof(*v->items));
    v->lines = malloc(root->n * sizeof(*v->lines));
    v->ks_keys = malloc((ks->n + 1) * sizeof(*v->ks_keys));
    v->ks_files = malloc((ks->n + 1) * sizeof(*v->ks_files));
    v->ks_lines = malloc((ks->n + 1) * sizeof(*v->ks_lines));
    v->ks_items = malloc((ks->n + 1) * sizeof(*v->ks_items));
    if (!v->keys || !v->items || !v->lines || !v->ks_keys || !v->ks_files || !v->ks_lines ||
        !v->ks_items)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < ks->n; i++) {
        if (is_password_key(ks->keys[i]))
            continue;
        v->ks_keys[n] = ks->keys[i];
        v->ks_files[n] = ec2gw_conf_key_file(ks, ks->keys[i]);
        v->ks_lines[n] = ks->key_lines[i];
        v->ks_items[n++] = ks->items[i];
    }
    v->placeholder = (ec2gw_conf_node_t){ .type = EC2GW_CONF_SCALAR,
                                          .file = ks->file,
                                          .line = ks->line,
                                          .value = "(not needed)",
                                          .quoted = 1 };
    v->ks_keys[n] = "service_password";
    v->ks_files[n] = ks->file;
    v->ks_lines[n] = ks->line;
    v->ks_items[n++] = &v->placeholder;
    v->ks.n = n;
    v->ks.keys = v->ks_keys;
    v->ks.key_lines = v->ks_lines;
    v->ks.key_files = v->ks_files;
    v->ks.items = v->ks_items;
    for (size_t i = 0; i < root->n; i++) {
        v->keys[i] = root->keys[i];
        v->lines[i] = root->key_lines[i];
        v->items[i] = i == ks_idx ? &v->ks : root->items[i];
    }
    v->root.keys = v->keys;
    v->root.key_lines = v->lines;
    v->root.items = v->items;
    return 0;
}

/* Bind without resolving the password: the set seen through views. */
static int
bind_without_password(ec2gw_conf_set_t *set, ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    ec2gw_conf_set_t seen = *set;
    struct view *views = calloc(set->n + 1, sizeof(*views));
    ec2gw_conf_node_t **roots = calloc(set->n + 1, sizeof(*roots));
    /* No keystone section at all: one of a file of its own, with just the placeholder. */
    static const char *only_ks[] = { "keystone" }, *only_pw[] = { "service_password" };
    static const int line1[] = { 1 };
    ec2gw_conf_node_t pw = { .type = EC2GW_CONF_SCALAR,
                             .file = "(ec2gw-manage)",
                             .line = 1,
                             .value = "(not needed)",
                             .quoted = 1 };
    ec2gw_conf_node_t *pw_items[] = { &pw };
    ec2gw_conf_node_t ks = { .type = EC2GW_CONF_MAP,
                             .file = "(ec2gw-manage)",
                             .line = 1,
                             .n = 1,
                             .keys = only_pw,
                             .key_lines = line1,
                             .items = pw_items };
    ec2gw_conf_node_t *ks_items[] = { &ks };
    ec2gw_conf_node_t extra = { .type = EC2GW_CONF_MAP,
                                .file = "(ec2gw-manage)",
                                .line = 1,
                                .n = 1,
                                .keys = only_ks,
                                .key_lines = line1,
                                .items = ks_items };
    int rc = 0, found = 0;

    if (views == NULL || roots == NULL) {
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < set->n && rc == 0; i++) {
        const ec2gw_conf_node_t *r = set->roots[i];

        roots[i] = set->roots[i];
        if (ec2gw_conf_get(r, "plugin") != NULL || ec2gw_conf_get(r, "file") != NULL)
            continue;
        for (size_t k = 0; k < r->n; k++) {
            if (strcmp(r->keys[k], "keystone") != 0 || r->items[k]->type != EC2GW_CONF_MAP)
                continue;
            if ((rc = view_make(r, k, &views[i])) != 0)
                rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
            roots[i] = &views[i].root;
            found = 1;
        }
    }
    if (!found)
        roots[seen.n++] = &extra;
    seen.roots = roots;
    if (rc == 0)
        rc = ec2gw_daemon_conf_bind(&seen, conf, err);
    conf->keystone.service_password = NULL;
out:
    for (size_t i = 0; views != NULL && i < set->n; i++)
        view_free(&views[i]);
    free(views);
    free(roots);
    return rc;
}

int
ec2gw_manage_conf_load(const char *dir, int need_password, ec2gw_manage_conf_t *out,
                       ec2gw_err_t *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    out->dir = dir;
    if ((rc = ec2gw_conf_load_dir(dir, &out->set, err)) != 0)
        return rc;
    rc = need_password ? ec2gw_daemon_conf_bind(out->set, &out->conf, err)
                       : bind_without_password(out->set, &out->conf, err);
    if (rc != 0) {
        ec2gw_conf_set_free(out->set);
        out->set = NULL;
    }
    return rc;
}

void
ec2gw_manage_conf_free(ec2gw_manage_conf_t *c)
{
    ec2gw_conf_set_free(c->set);
    c->set = NULL;
}
