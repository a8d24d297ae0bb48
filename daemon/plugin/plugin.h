/*
 * plugin.h (daemon side) - loading plugin modules behind the ABI gate, instances built from
 * conf.d, and the router from EC2 actions to the instance (and wrap chain) that serves them.
 */
#ifndef EC2GW_PLUGIN_PLUGIN_H
#define EC2GW_PLUGIN_PLUGIN_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <ec2gw/plugin.h>

#include "config/config.h"
#include "core/err.h"
#include "protocol/ec2_model.h"

/**
 * A loaded module; never unloaded (dlclose would break sanitizer traces and reload rules).
 * A reload that finds the file at @p path replaced (another inode, size or mtime) loads the
 * new file as a new module from a private copy; the old one stays mapped for the requests of
 * older generations.
 */
typedef struct ec2gw_module {
    struct ec2gw_module *next;
    char *path; /**< realpath of the file conf.d named */
    void *handle;
    const ec2gw_plugin_t *desc;
    dev_t dev; /**< the file's identity when it was loaded */
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int copy_fd;    /**< the private copy a replaced file was loaded from, or -1 */
    int generation; /**< 1 for the first load of path, 2 after one replacement... */
} ec2gw_module_t;

/** One configured plugin instance (one conf.d file with `plugin:`). */
typedef struct ec2gw_instance {
    const char *name; /**< `instance:` (defaults to the service type) */
    const char *file; /**< conf file */
    int line;
    const ec2gw_module_t *module;
    void *data;                   /**< inst_size bytes, settings bound */
    struct ec2gw_instance *wraps; /**< the instance this one sits in front of, or NULL */
    const char *wraps_name;
    const char *service_type;   /**< catalog type (descriptor's, or YAML service.type) */
    const char *microversion;   /**< descriptor's, or YAML service.microversion */
    const char *interface;      /**< NULL: keystone.interface */
    const char *const *actions; /**< YAML subset, NULL = all of the descriptor's */
    size_t n_actions;
    const ec2gw_conf_node_t *settings_node; /**< the YAML `settings:` map, or NULL */
    int created;
    int started;
    int one_line; /**< made by a `wrap:` line (name: the descriptor's) */
} ec2gw_instance_t;

/** The handle create() gets: cfg_error() reports through it. */
struct ec2gw_cfg {
    ec2gw_instance_t *inst;
    ec2gw_err_t *err;
};

/**
 * What serves one action: the outermost instance of a wrap chain. act is that instance's
 * entry with the chain's flags: a wrapper inherits the wrapped action's ClientToken and DryRun
 * flags unless it sets EC2GW_ACT_OWN_FLAGS.
 */
typedef struct ec2gw_route {
    const char *action;
    ec2gw_instance_t *inst;
    const ec2gw_action_t *act;
} ec2gw_route_t;

typedef struct ec2gw_plugins ec2gw_plugins_t;

/**
 * Open @p path (or reuse an already opened module), check the ABI header, call load(host)
 * once. Errors name the file and both ABI versions. *out borrowed (lives for the process).
 */
int ec2gw_module_open(const char *path, const ec2gw_host_api_t *host, const ec2gw_module_t **out,
                      ec2gw_err_t *err);

/** The loaded modules, newest first (for --list-plugins). Borrowed. */
const ec2gw_module_t *ec2gw_modules(void);

/** dlclose nothing; call every module's unload() and free the list (process exit). */
void ec2gw_modules_unload_all(void);

/**
 * Build every instance of @p set (files with a `plugin:` key): resolve `plugin:`/`file:` under
 * @p plugin_dir, bind settings, run create(), resolve `wraps:` (cycles and unknown names are
 * errors), and build the action routes, checking every action against @p model (unknown
 * actions and two unrelated instances serving one action are errors). *out: returns new.
 */
int ec2gw_plugins_build(ec2gw_conf_set_t *set, const char *plugin_dir, const ec2gw_host_api_t *host,
                        const ec2gw_model_t *model, ec2gw_plugins_t **out, ec2gw_err_t *err);

/** Call every instance's start() for @p loop (once per serving process). */
int ec2gw_plugins_start(ec2gw_plugins_t *p, ec2gw_loop_t *loop, ec2gw_err_t *err);

/** Call stop/destroy of every instance and free (NULL is fine). */
void ec2gw_plugins_free(ec2gw_plugins_t *p);

/** The route of @p action, or NULL when no instance serves it. Borrowed. */
const ec2gw_route_t *ec2gw_plugins_route(const ec2gw_plugins_t *p, const char *action);

/** The next instance down the wrap chain of @p inst serving @p action (for delegate). */
const ec2gw_action_t *ec2gw_plugins_next(const ec2gw_instance_t *inst, const char *action,
                                         ec2gw_instance_t **next);

/** Number of instances and routed actions (for the start-up log line). */
size_t ec2gw_plugins_count(const ec2gw_plugins_t *p, size_t *n_routes);

/** Instance i (for start/stop and --check-config listings). */
ec2gw_instance_t *ec2gw_plugins_instance(const ec2gw_plugins_t *p, size_t i);

/** The instance whose create/start/stop/destroy runs now, or NULL (for log prefixes). */
const ec2gw_instance_t *ec2gw_plugins_lifecycle(void);

/** Route i, in action order, or NULL past the end (for --list-actions). */
const ec2gw_route_t *ec2gw_plugins_route_at(const ec2gw_plugins_t *p, size_t i);

/**
 * `ec2gwd --list-plugins`: each instance, its conf file, module file, plugin version and ABI,
 * service, what it wraps, its actions and settings (listing.c).
 */
void ec2gw_plugins_list(const ec2gw_plugins_t *p, FILE *out);

/**
 * `ec2gwd --list-actions`: each routed action, the instance that serves it, the wrap chain it
 * goes through (outermost first) and its effective flags. @p builtin (may be NULL) says which
 * actions the daemon serves itself (those routes are never used).
 */
void ec2gw_plugins_list_actions(const ec2gw_plugins_t *p, int (*builtin)(const char *action),
                                FILE *out);

#endif
