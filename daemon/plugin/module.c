/*
 * module.c - dlopen and the ABI gate (c-style.md §5.2): the descriptor is a data symbol read
 * and checked before any plugin code runs.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/plugin.h"

static ec2gw_module_t *modules;

static int
check_file(const char *path, ec2gw_err_t *err)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOTFOUND, "%s: plugin file not found", path);
    if (st.st_mode & S_IWOTH)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s: refusing a world-writable plugin file (chmod o-w)", path);
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s: refusing a plugin owned by another user (uid %u)", path,
                             (unsigned)st.st_uid);
    return 0;
}

static int
abi_gate(const char *path, const ec2gw_plugin_t *p, ec2gw_err_t *err)
{
    if (p == NULL || p->hdr.magic != EC2GW_PLUGIN_MAGIC)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s: not an ec2gw plugin (no valid ec2gw_plugin symbol)", path);
    if (p->hdr.abi_major != EC2GW_ABI_MAJOR || p->hdr.abi_minor > EC2GW_ABI_MINOR)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s: plugin built for ABI %u.%u, this ec2gwd provides ABI %u.%u; "
                             "rebuild the plugin against SDK %u.%u",
                             path, p->hdr.abi_major, p->hdr.abi_minor, EC2GW_ABI_MAJOR,
                             EC2GW_ABI_MINOR, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR);
    if (p->hdr.size < EC2GW_PLUGIN_SIZE_V1_0)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s: plugin descriptor truncated (%u bytes)",
                             path, p->hdr.size);
    if (p->name == NULL || p->actions == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s: plugin descriptor has no name or actions",
                             path);
    return 0;
}

int
ec2gw_module_open(const char *path, const ec2gw_host_api_t *host, const ec2gw_module_t **out,
                  ec2gw_err_t *err)
{
    char *real = realpath(path, NULL);
    ec2gw_module_t *m;
    void *h;
    const ec2gw_plugin_t *desc;
    int rc;

    if (real == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOTFOUND, "%s: plugin file not found", path);
    for (m = modules; m != NULL; m = m->next) {
        if (strcmp(m->path, real) == 0) {
            free(real);
            *out = m;
            return 0;
        }
    }
    if ((rc = check_file(real, err)) != 0)
        goto fail;
    h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        rc = ec2gw_err_set(err, EC2GW_E_INVAL, "%s: cannot load plugin: %s", real, dlerror());
        goto fail;
    }
    desc = dlsym(h, "ec2gw_plugin");
    if ((rc = abi_gate(real, desc, err)) != 0)
        goto fail; /* the handle stays open: nothing of it ran, and dlclose buys nothing here */
    if (desc->load != NULL && (rc = desc->load(host)) != 0) {
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "%s: plugin %s refused to load (%d)", real,
                           desc->name, rc);
        goto fail;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
        goto fail;
    }
    m->path = real;
    m->handle = h;
    m->desc = desc;
    m->next = modules;
    modules = m;
    *out = m;
    return 0;

fail:
    free(real);
    return rc;
}

void
ec2gw_modules_unload_all(void)
{
    while (modules != NULL) {
        ec2gw_module_t *m = modules;

        modules = m->next;
        if (m->desc->unload != NULL)
            m->desc->unload();
        free(m->path);
        free(m);
    }
}
