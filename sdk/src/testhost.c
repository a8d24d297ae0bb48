/*
 * testhost.c - the fake host's lifecycle: pools, loading modules behind the same ABI gate as
 * ec2gwd (daemon/plugin/module.c), instances and wrap stacks, environment setters.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhost_priv.h"

static char load_error[1024];

struct th_block {
    th_block_t *next;
    max_align_t data[];
};

struct th_cleanup {
    th_cleanup_t *next;
    void (*fn)(void *);
    void *arg;
};

void *
th_pcalloc(th_pool_t *pool, size_t n)
{
    th_block_t *b;

    if (n > SIZE_MAX - sizeof(*b))
        return NULL;
    b = calloc(1, sizeof(*b) + (n ? n : 1));
    if (b == NULL)
        return NULL;
    b->next = pool->blocks;
    pool->blocks = b;
    return b->data;
}

char *
th_pstrdup(th_pool_t *pool, const char *s)
{
    char *p;

    if (s == NULL)
        return NULL;
    p = th_pcalloc(pool, strlen(s) + 1);
    if (p != NULL)
        memcpy(p, s, strlen(s) + 1);
    return p;
}

int
th_pool_on_cleanup(th_pool_t *pool, void (*fn)(void *), void *arg)
{
    th_cleanup_t *c = malloc(sizeof(*c));

    if (c == NULL)
        return EC2GW_E_NOMEM;
    c->fn = fn;
    c->arg = arg;
    c->next = pool->cleanups;
    pool->cleanups = c;
    return 0;
}

void
th_pool_release(th_pool_t *pool)
{
    while (pool->cleanups != NULL) {
        th_cleanup_t *c = pool->cleanups;

        pool->cleanups = c->next;
        c->fn(c->arg);
        free(c);
    }
    while (pool->blocks != NULL) {
        th_block_t *b = pool->blocks;

        pool->blocks = b->next;
        free(b);
    }
}

void
th_load_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(load_error, sizeof(load_error), fmt, ap);
    va_end(ap);
}

const char *
ec2gw_test_load_error(void)
{
    return load_error;
}

void
th_violation(ec2gw_test_host_t *h, const char *fmt, ...)
{
    va_list ap;

    h->violations++;
    fprintf(stderr, "ec2gw_test: violation: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The daemon's gate, check for check, with the same wording. */
static int
abi_gate(const char *path, const ec2gw_plugin_t *p)
{
    if (p == NULL || p->hdr.magic != EC2GW_PLUGIN_MAGIC) {
        th_load_error("%s: not an ec2gw plugin (no valid ec2gw_plugin symbol)", path);
        return EC2GW_E_INVAL;
    }
    if (p->hdr.abi_major != EC2GW_ABI_MAJOR || p->hdr.abi_minor > EC2GW_ABI_MINOR) {
        th_load_error("%s: plugin built for ABI %u.%u, this test host provides ABI %u.%u; "
                      "rebuild the plugin against SDK %u.%u",
                      path, p->hdr.abi_major, p->hdr.abi_minor, EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR,
                      EC2GW_ABI_MAJOR, EC2GW_ABI_MINOR);
        return EC2GW_E_INVAL;
    }
    if (p->hdr.size < EC2GW_PLUGIN_SIZE_V1_0) {
        th_load_error("%s: plugin descriptor truncated (%u bytes)", path, p->hdr.size);
        return EC2GW_E_INVAL;
    }
    if (p->name == NULL || p->actions == NULL) {
        th_load_error("%s: plugin descriptor has no name or actions", path);
        return EC2GW_E_INVAL;
    }
    return 0;
}

static int
module_open(ec2gw_test_host_t *h, const char *path, const th_module_t **out)
{
    char *real = realpath(path, NULL);
    th_module_t *m;
    void *handle;
    const ec2gw_plugin_t *desc;
    int rc;

    if (real == NULL) {
        th_load_error("%s: plugin file not found", path);
        return EC2GW_E_NOTFOUND;
    }
    for (m = h->modules; m != NULL; m = m->next) {
        if (strcmp(m->path, real) == 0) {
            free(real);
            *out = m;
            return 0;
        }
    }
    /* Never dlclose()d, as in the daemon: sanitizer reports keep the plugin's symbols. */
    handle = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        th_load_error("%s: cannot load plugin: %s", real, dlerror());
        free(real);
        return EC2GW_E_INVAL;
    }
    desc = dlsym(handle, "ec2gw_plugin");
    if ((rc = abi_gate(real, desc)) != 0) {
        free(real);
        return rc;
    }
    if (desc->load != NULL && (rc = desc->load(&th_host_api)) != 0) {
        th_load_error("%s: plugin %s refused to load (%d)", real, desc->name, rc);
        free(real);
        return EC2GW_E_FAIL;
    }
    if ((m = calloc(1, sizeof(*m))) == NULL) {
        free(real);
        return EC2GW_E_NOMEM;
    }
    m->path = real;
    m->handle = handle;
    m->desc = desc;
    m->next = h->modules;
    h->modules = m;
    *out = m;
    return 0;
}

static void
inst_free(th_inst_t *in)
{
    if (in->created && in->mod->desc->destroy != NULL)
        in->mod->desc->destroy(in->data);
    th_pool_release(&in->pool);
    json_decref(in->keep);
    free(in->data);
    free(in);
}

/* Load, bind and create one instance on top of the current stack. */
static int
push_instance(ec2gw_test_host_t *h, const char *path, const char *settings)
{
    th_inst_t *in;
    json_t *parsed;
    int rc;

    load_error[0] = '\0';
    if ((in = calloc(1, sizeof(*in))) == NULL)
        return EC2GW_E_NOMEM;
    if ((rc = module_open(h, path, &in->mod)) != 0) {
        free(in);
        return rc;
    }
    in->data = calloc(1, in->mod->desc->inst_size ? in->mod->desc->inst_size : 1);
    in->keep = json_array();
    parsed = th_settings_parse(settings);
    if (in->data == NULL || in->keep == NULL || parsed == NULL) {
        json_decref(parsed);
        inst_free(in);
        return load_error[0] ? EC2GW_E_INVAL : EC2GW_E_NOMEM;
    }
    json_array_append_new(in->keep, parsed);
    if ((rc = th_settings_bind(in, parsed)) != 0) {
        inst_free(in);
        return rc;
    }
    if (in->mod->desc->create != NULL) {
        struct ec2gw_cfg cfg = { .h = h, .inst = in };

        rc = in->mod->desc->create(in->data, &cfg);
        if (rc != 0 || cfg.failed) {
            if (load_error[0] == '\0')
                th_load_error("%s: create() refused its settings (%d)", in->mod->desc->name, rc);
            in->created = 1; /* destroy() releases what create() got before failing */
            inst_free(in);
            return rc != 0 ? rc : EC2GW_E_INVAL;
        }
    }
    in->created = 1;
    in->below = h->top;
    h->top = in;
    return 0;
}

ec2gw_test_host_t *
ec2gw_test_host_new(const char *plugin_so_path, const char *settings)
{
    ec2gw_test_host_t *h = calloc(1, sizeof(*h));
    const char *verbose = getenv("EC2GW_TEST_VERBOSE");

    load_error[0] = '\0';
    if (h == NULL) {
        th_load_error("out of memory");
        return NULL;
    }
    if (th_model_init() != 0) {
        free(h);
        return NULL;
    }
    h->log_level =
        verbose != NULL && *verbose != '\0' && *verbose != '0' ? EC2GW_LOG_DEBUG : EC2GW_LOG_WARN;
    h->calls = json_array();
    h->shared = json_object();
    h->ids = json_object();
    h->rev_ids = json_object();
    h->items = json_object();
    h->tags = json_object();
    h->rendered = json_object();
    h->last_status = 0;
    if (h->calls == NULL || h->ids == NULL || h->rev_ids == NULL || h->items == NULL ||
        h->tags == NULL || h->rendered == NULL) {
        th_load_error("out of memory");
        ec2gw_test_host_free(h);
        return NULL;
    }
    ec2gw_test_set_project(h, "project-test");
    if (push_instance(h, plugin_so_path, settings) != 0) {
        ec2gw_test_host_free(h);
        return NULL;
    }
    return h;
}

int
ec2gw_test_host_wrap(ec2gw_test_host_t *h, const char *wrapper_so_path, const char *settings)
{
    return push_instance(h, wrapper_so_path, settings);
}

static size_t leaked_total;

size_t
ec2gw_test_leaked_json(void)
{
    return leaked_total;
}

/* After destroy() and unload(): references the plugins kept (testhost_leaks.c). */
static void
leak_report(ec2gw_test_host_t *h)
{
    size_t n = th_owned_check(h);
    const char *mode = getenv("EC2GW_TEST_LEAKS");

    if (n == 0)
        return;
    leaked_total += n;
    if (mode != NULL && strcmp(mode, "warn") == 0)
        return;
    fprintf(stderr,
            "ec2gw_test: %zu leaked json reference%s: failing the test "
            "(EC2GW_TEST_LEAKS=warn only reports)\n",
            n, n == 1 ? "" : "s");
    abort();
}

void
ec2gw_test_host_free(ec2gw_test_host_t *h)
{
    if (h == NULL)
        return;
    if (h->req != NULL) {
        ec2gw_test_cancel(h);
        json_decref(ec2gw_test_end(h));
    }
    while (h->top != NULL) {
        th_inst_t *in = h->top;

        h->top = in->below;
        inst_free(in);
    }
    th_http_free(h);
    while (h->modules != NULL) {
        th_module_t *m = h->modules;

        h->modules = m->next;
        if (m->desc->unload != NULL)
            m->desc->unload();
        free(m->path);
        free(m);
    }
    leak_report(h);
    for (size_t i = 0; i < h->n_expects; i++) {
        th_expect_t *e = &h->expects[i];

        free(e->method);
        free(e->service);
        free(e->pattern);
        free(e->body);
        free(e->error);
    }
    free(h->expects);
    for (size_t i = 0; i < h->n_queue; i++)
        th_event_free(h->queue[i]);
    free(h->queue);
    json_decref(h->calls);
    json_decref(h->shared);
    json_decref(h->ids);
    json_decref(h->rev_ids);
    json_decref(h->items);
    json_decref(h->tags);
    json_decref(h->last_model);
    json_decref(h->rendered);
    free(h->last_xml);
    free(h->fixture_dir);
    free(h->project);
    free(h->replay_params);
    free(h);
}

void *
ec2gw_test_instance_data(ec2gw_test_host_t *h)
{
    return h->top != NULL ? h->top->data : NULL;
}

void
ec2gw_test_set_fixture_dir(ec2gw_test_host_t *h, const char *dir)
{
    free(h->fixture_dir);
    h->fixture_dir = dir != NULL ? strdup(dir) : NULL;
}

void
ec2gw_test_set_project(ec2gw_test_host_t *h, const char *project_id)
{
    char *p = strdup(project_id != NULL ? project_id : "project-test");

    if (p == NULL)
        return;
    free(h->project);
    h->project = p;
    h->identity = (ec2gw_identity_t){
        .access_key = "AKIDTESTHOST0000",
        .user_id = "user-test",
        .project_id = h->project,
        .owner_id = h->project,
        .region = "RegionOne",
    };
}

void
ec2gw_test_set_shuffle(ec2gw_test_host_t *h, unsigned seed)
{
    h->shuffle = seed != 0;
    h->rng = seed;
}

void
ec2gw_test_set_log_level(ec2gw_test_host_t *h, ec2gw_log_level_t level)
{
    h->log_level = level;
}

size_t
ec2gw_test_violations(const ec2gw_test_host_t *h)
{
    return h->violations;
}
