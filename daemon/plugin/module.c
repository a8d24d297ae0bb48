/*
 * module.c - dlopen and the ABI gate (c-style.md §5.2): the descriptor is a data symbol read
 * and checked before any plugin code runs.
 *
 * Reload (issue 16 #6): a path already loaded is reused while the file is the same (device,
 * inode, size, mtime). A replaced file cannot be loaded again by its path: glibc's dlopen
 * answers a name it has loaded with the old handle. So it is copied into a memfd and loaded
 * from /proc/self/fd/N; the fd stays open, which keeps that name unique for the process.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s: plugin descriptor truncated (%u bytes)", path,
                             p->hdr.size);
    if (p->name == NULL || p->actions == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s: plugin descriptor has no name or actions",
                             path);
    return 0;
}

static int
same_file(const ec2gw_module_t *m, const struct stat *st)
{
    return m->dev == st->st_dev && m->ino == st->st_ino && m->size == st->st_size &&
           m->mtime.tv_sec == st->st_mtim.tv_sec && m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* dlopen a private copy of @p real (a replaced file): *fd_out keeps the copy's name alive. */
static void *
open_copy(const char *real, int *fd_out, ec2gw_err_t *err)
{
    int in = open(real, O_RDONLY | O_CLOEXEC), out = -1;
    char buf[65536], name[64];
    ssize_t n = 0;
    void *h = NULL;

    if (in >= 0)
        out = memfd_create("ec2gw-plugin", MFD_CLOEXEC);
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            n = -1;
    if (in < 0 || out < 0 || n < 0) {
        ec2gw_err_set(err, EC2GW_E_FAIL,
                      "%s: the file was replaced, and copying it to load it failed: %s; restart "
                      "ec2gwd to load it",
                      real, strerror(errno));
        goto done;
    }
    snprintf(name, sizeof(name), "/proc/self/fd/%d", out);
    if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL)
        ec2gw_err_set(err, EC2GW_E_INVAL, "%s: cannot load the replaced plugin: %s", real,
                      dlerror());
done:
    if (in >= 0)
        close(in);
    if (h == NULL && out >= 0)
        close(out);
    *fd_out = h != NULL ? out : -1;
    return h;
}

const ec2gw_module_t *
ec2gw_modules(void)
{
    return modules;
}

int
ec2gw_module_open(const char *path, const ec2gw_host_api_t *host, const ec2gw_module_t **out,
                  ec2gw_err_t *err)
{
    char *real = realpath(path, NULL);
    ec2gw_module_t *m, *prev = NULL;
    void *h;
    const ec2gw_plugin_t *desc;
    struct stat st;
    int rc, copy_fd = -1, copy = 0;

    if (real == NULL || stat(real, &st) != 0) {
        free(real);
        return ec2gw_err_set(err, EC2GW_E_NOTFOUND, "%s: plugin file not found", path);
    }
    for (m = modules; m != NULL; m = m->next) { /* newest first */
        if (strcmp(m->path, real) == 0) {
            if (!same_file(m, &st)) {
                prev = m;
                break;
            }
            free(real);
            *out = m;
            return 0;
        }
    }
    if ((rc = check_file(real, err)) != 0)
        goto fail;
    /* Loaded already under this name (replaced, or refused before): only a copy is fresh. */
    if (prev == NULL && (h = dlopen(real, RTLD_LAZY | RTLD_NOLOAD)) != NULL) {
        dlclose(h); /* drops the reference RTLD_NOLOAD took */
        copy = 1;
    }
    h = copy || prev != NULL ? open_copy(real, &copy_fd, err) : dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        rc = copy || prev != NULL
                 ? EC2GW_E_INVAL
                 : ec2gw_err_set(err, EC2GW_E_INVAL, "%s: cannot load plugin: %s", real, dlerror());
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
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    m->size = st.st_size;
    m->mtime = st.st_mtim;
    m->copy_fd = copy_fd;
    m->generation = prev != NULL ? prev->generation + 1 : 1 + copy;
    m->next = modules;
    modules = m;
    *out = m;
    return 0;

fail:
    /* A refused copy keeps copy_fd open: its handle stays loaded under that fd's name. */
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
        if (m->copy_fd >= 0)
            close(m->copy_fd);
        free(m->path);
        free(m);
    }
}
