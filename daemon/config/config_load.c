/*
 * config_load.c - conf.d: the *.yaml files of a directory, in byte order of their names, each
 * parsed into a root mapping of one set, then merged (config_merge.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_priv.h"

/* Larger than any sane configuration file; guards against pointing us at a device or a log. */
#define CONF_MAX_FILE ((size_t)16 * 1024 * 1024)

static const char *
errno_text(int errnum, char *buf, size_t size)
{
    /* The GNU strerror_r (we build with _GNU_SOURCE) returns the text, maybe not in buf. */
    return strerror_r(errnum, buf, size);
}

/** Read the whole of @p path into *out (returns new, caller frees) and *len. */
static int
read_file(const char *path, char **out, size_t *len, ec2gw_err_t *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    size_t cap = 0;
    char ebuf[128];
    int errnum;

    if (f == NULL)
        goto fail;
    for (;;) {
        if (cap - n < 4096) {
            char *grown;

            cap = cap != 0 ? cap * 2 : 8192;
            grown = cap <= CONF_MAX_FILE * 2 ? realloc(buf, cap) : NULL;
            if (grown == NULL) {
                errno = cap > CONF_MAX_FILE * 2 ? EFBIG : ENOMEM;
                goto fail;
            }
            buf = grown;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f))
            goto fail;
        if (feof(f))
            break;
    }
    (void)fclose(f); /* read-only stream: nothing to flush, nothing to lose */
    *out = buf;
    *len = n;
    return 0;

fail:
    errnum = errno;
    if (f != NULL)
        (void)fclose(f); /* read-only stream, already failing */
    free(buf);
    return ec2gw_err_set(err, errnum == ENOMEM ? EC2GW_E_NOMEM : EC2GW_E_INVAL,
                         "cannot read %s: %s", path, errno_text(errnum, ebuf, sizeof(ebuf)));
}

/** Parse @p len bytes as file @p file (owned by @p set) and add its root unless it is empty. */
static int
load_text(ec2gw_conf_set_t *set, const char *text, size_t len, const char *file, ec2gw_err_t *err)
{
    ec2gw_conf_node_t *root;
    int rc = ec2gw_conf_parse(set, text, len, file, &root, err);

    if (rc != 0)
        return rc;
    /* Nothing but comments, or a lone `---`: an empty file, skipped. */
    if (root == NULL || ec2gw_conf_is_null(root))
        return 0;
    if (root->type != EC2GW_CONF_MAP)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: the top level must be a mapping (key: value), not a %s", file,
                             root->line, ec2gw_conf_type_name(root->type));
    if (ec2gw_conf_set_add(set, file, root) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "%s: out of memory", file);
    return 0;
}

/** Read and add the file @p path (owned by @p set). */
static int
load_path(ec2gw_conf_set_t *set, const char *path, ec2gw_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, err);

    if (rc != 0)
        return rc;
    rc = load_text(set, text, len, path, err);
    free(text);
    return rc;
}

int
ec2gw_conf_load_string(const char *yaml, const char *name, ec2gw_conf_set_t **out, ec2gw_err_t *err)
{
    ec2gw_conf_set_t *set = ec2gw_conf_set_new();
    const char *file;
    int rc = EC2GW_E_NOMEM;

    *out = NULL;
    if (set == NULL)
        return ec2gw_err_set(err, rc, "%s: out of memory", name);
    file = ec2gw_conf_strndup(set, name, strlen(name));
    if (file == NULL)
        ec2gw_err_set(err, rc, "%s: out of memory", name);
    else
        rc = load_text(set, yaml, strlen(yaml), file, err);
    if (rc != 0) {
        ec2gw_conf_set_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

int
ec2gw_conf_load_file(const char *path, ec2gw_conf_set_t **out, ec2gw_err_t *err)
{
    ec2gw_conf_set_t *set = ec2gw_conf_set_new();
    const char *file;
    int rc = EC2GW_E_NOMEM;

    *out = NULL;
    if (set == NULL)
        return ec2gw_err_set(err, rc, "%s: out of memory", path);
    file = ec2gw_conf_strndup(set, path, strlen(path));
    if (file == NULL)
        ec2gw_err_set(err, rc, "%s: out of memory", path);
    else
        rc = load_path(set, file, err);
    if (rc != 0) {
        ec2gw_conf_set_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

/*
 * `*.yaml` only: not `*.yaml.example`, `*.yaml~`, `#x.yaml#`, nor hidden files such as
 * Emacs's `.#x.yaml` lock links or vim's `.x.yaml.swp`.
 */
static int
is_conf_name(const struct dirent *d)
{
    size_t len = strlen(d->d_name);

    return len > 5 && d->d_name[0] != '.' && d->d_name[0] != '#' &&
           strcmp(d->d_name + len - 5, ".yaml") == 0;
}

/* Byte order, not alphasort()'s strcoll(): the load order must not depend on the locale. */
static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/** "dir/name" owned by @p set, or NULL. */
static const char *
join_path(ec2gw_conf_set_t *set, const char *dir, const char *name)
{
    size_t dlen = strlen(dir);
    size_t nlen = strlen(name);
    int slash = dlen > 0 && dir[dlen - 1] != '/';
    char *path = ec2gw_conf_alloc(set, dlen + (size_t)slash + nlen + 1);

    if (path == NULL)
        return NULL;
    memcpy(path, dir, dlen);
    if (slash)
        path[dlen] = '/';
    memcpy(path + dlen + slash, name, nlen);
    path[dlen + (size_t)slash + nlen] = '\0';
    return path;
}

int
ec2gw_conf_load_dir(const char *dir, ec2gw_conf_set_t **out, ec2gw_err_t *err)
{
    struct dirent **names = NULL;
    ec2gw_conf_set_t *set = NULL;
    int n = scandir(dir, &names, is_conf_name, name_cmp);
    int rc = 0;

    *out = NULL;
    if (n < 0) {
        char ebuf[128];
        int errnum = errno;

        return ec2gw_err_set(err, errnum == ENOMEM ? EC2GW_E_NOMEM : EC2GW_E_INVAL,
                             "cannot read directory %s: %s", dir,
                             errno_text(errnum, ebuf, sizeof(ebuf)));
    }
    set = ec2gw_conf_set_new();
    if (set == NULL)
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "%s: out of memory", dir);
    for (int i = 0; i < n; i++) {
        const char *path = rc == 0 ? join_path(set, dir, names[i]->d_name) : NULL;

        if (rc == 0 && path == NULL)
            rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "%s: out of memory", dir);
        if (rc == 0)
            rc = load_path(set, path, err);
        free(names[i]);
    }
    free(names);
    if (rc == 0)
        rc = ec2gw_conf_merge(set, err);
    if (rc != 0) {
        ec2gw_conf_set_free(set);
        return rc;
    }
    *out = set;
    return 0;
}
