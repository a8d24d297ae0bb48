/*
 * instances.c - plugin instances from conf.d and the action router.
 *
 * A conf.d file with a `plugin:` key describes one instance:
 *   plugin: nova-v2.1          # descriptor name; file defaults to <plugin_dir>/<plugin>.so
 *   file: /path/to/x.so        # optional explicit module path
 *   instance: compute          # routing name (default: the descriptor's service type)
 *   wraps: compute             # optional: sit in front of another instance
 *   actions: all | [A, B]      # optional subset of the descriptor's actions
 *   service: { type: compute, microversion: "2.79", interface: public }
 *   settings: { ... }          # bound through the plugin's settings schema
 *
 * The one-line form enables a wrapper with default settings, in any file without `plugin:`:
 *   wrap: { compute: /usr/lib/.../site.so }      # or site.so / site under plugin_dir
 *   wrap: { compute: [site.so, audit.so] }       # stacked: audit wraps site wraps compute
 * Each .so becomes an instance named after its descriptor, wrapping the instance named by
 * the key (or the previous .so of the list).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

#define MAX_INSTANCES 64

struct ec2gw_plugins {
    ec2gw_instance_t *inst[MAX_INSTANCES];
    size_t n;
    ec2gw_route_t *routes; /* sorted by action */
    ec2gw_action_t *acts;  /* per route: the outer action with the chain's flags */
    ec2gw_loop_t *loop;    /* set by start() */
    size_t n_routes;
};

/* The instance whose create/start/stop/destroy runs now (the loop is single-threaded). */
static const ec2gw_instance_t *lifecycle_inst;

const ec2gw_instance_t *
ec2gw_plugins_lifecycle(void)
{
    return lifecycle_inst;
}

static const char *const top_keys[] = { "plugin",  "file",    "instance", "wraps",
                                        "actions", "service", "settings", NULL };
static const char *const service_keys[] = { "type", "api", "microversion", "interface", NULL };

static int
check_keys(const ec2gw_conf_node_t *map, const char *const *allowed, const char *what,
           ec2gw_err_t *err)
{
    for (size_t i = 0; i < map->n; i++) {
        int ok = 0;

        for (size_t k = 0; allowed[k] != NULL; k++)
            ok |= strcmp(map->keys[i], allowed[k]) == 0;
        if (!ok) {
            char known[256] = "";

            for (size_t k = 0; allowed[k] != NULL; k++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         k ? ", " : "", allowed[k]);
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "%s:%d: unknown key '%s' in %s; known keys: %s",
                                 ec2gw_conf_key_file(map, map->keys[i]), map->key_lines[i],
                                 map->keys[i], what, known);
        }
    }
    return 0;
}

static const char *
scalar(const ec2gw_conf_node_t *map, const char *key, ec2gw_err_t *err, int *bad)
{
    const ec2gw_conf_node_t *n = ec2gw_conf_get(map, key);

    if (n == NULL)
        return NULL;
    if (n->type != EC2GW_CONF_SCALAR || n->value[0] == '\0') {
        *bad = ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: '%s' must be a non-empty string", n->file,
                             n->line, key);
        return NULL;
    }
    return n->value;
}

static int
bind_actions(ec2gw_conf_set_t *set, ec2gw_instance_t *in, const ec2gw_conf_node_t *n,
             ec2gw_err_t *err)
{
    static const ec2gw_setting_t schema[] = {
        { .key = "actions", .type = EC2GW_SET_STR_LIST, .offset = 0 },
        { .key = NULL },
    };
    ec2gw_strlist_t list = { 0 };
    const ec2gw_action_t *a;

    (void)set;
    if (n == NULL || (n->type == EC2GW_CONF_SCALAR && strcmp(n->value, "all") == 0))
        return 0;
    /* Reuse the binder for the sequence, through a one-key map view of this node. */
    ec2gw_conf_node_t view = { .type = EC2GW_CONF_MAP, .file = n->file, .line = n->line, .n = 1 };
    const char *k = "actions";
    int line = n->line;
    ec2gw_conf_node_t *item = (ec2gw_conf_node_t *)(uintptr_t)n;

    view.keys = &k;
    view.key_lines = &line;
    view.items = &item;
    if (ec2gw_conf_bind(set, &view, schema, &list, "actions", err) != 0)
        return EC2GW_E_INVAL;
    for (size_t i = 0; i < list.n; i++) {
        for (a = in->module->desc->actions; a->name != NULL; a++)
            if (strcmp(a->name, list.v[i]) == 0)
                break;
        if (a->name == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "%s:%d: plugin %s does not serve action '%s' (actions may only "
                                 "narrow what the plugin declares)",
                                 n->file, n->line, in->module->desc->name, list.v[i]);
    }
    if (list.n == 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: 'actions' is empty; list the actions to serve, write 'all', "
                             "or remove the instance",
                             n->file, n->line);
    in->actions = list.v;
    in->n_actions = list.n;
    return 0;
}

static int
instance_serves(const ec2gw_instance_t *in, const char *action)
{
    if (in->actions == NULL)
        return 1;
    for (size_t i = 0; i < in->n_actions; i++)
        if (strcmp(in->actions[i], action) == 0)
            return 1;
    return 0;
}

static int
bind_service(ec2gw_instance_t *in, const ec2gw_conf_node_t *svc, ec2gw_err_t *err)
{
    const ec2gw_plugin_t *d = in->module->desc;
    int bad = 0;

    in->service_type = d->service.type;
    in->microversion = d->service.microversion;
    if (svc == NULL)
        return 0;
    if (svc->type != EC2GW_CONF_MAP)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: 'service' must be a mapping", svc->file,
                             svc->line);
    if (check_keys(svc, service_keys, "service", err) != 0)
        return EC2GW_E_INVAL;
    const char *type = scalar(svc, "type", err, &bad);
    const char *api = scalar(svc, "api", err, &bad);
    const char *mv = scalar(svc, "microversion", err, &bad);
    const char *ifc = scalar(svc, "interface", err, &bad);

    if (bad)
        return bad;
    if (api != NULL && d->service.api != NULL && strcmp(api, d->service.api) != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: plugin %s speaks %s API %s, not '%s'; pick the plugin for "
                             "that API version",
                             ec2gw_conf_key_file(svc, "api"), ec2gw_conf_key_line(svc, "api"),
                             d->name, d->service.type ? d->service.type : "?", d->service.api, api);
    if (ifc != NULL && strcmp(ifc, "public") != 0 && strcmp(ifc, "internal") != 0 &&
        strcmp(ifc, "admin") != 0)
        return ec2gw_err_set(
            err, EC2GW_E_INVAL, "%s:%d: service.interface must be public, internal or admin",
            ec2gw_conf_key_file(svc, "interface"), ec2gw_conf_key_line(svc, "interface"));
    if (type != NULL)
        in->service_type = type;
    if (mv != NULL)
        in->microversion = mv;
    in->interface = ifc;
    return 0;
}

static int
instance_open(ec2gw_instance_t *in, const char *path, const char *label, const char *file, int line,
              const ec2gw_host_api_t *host, ec2gw_err_t *err)
{
    int rc = ec2gw_module_open(path, host, &in->module, err);

    if (rc != 0) {
        char msg[sizeof(err->msg)];

        memcpy(msg, err->msg, sizeof(msg));
        return ec2gw_err_set(err, rc, "%s:%d: plugin '%.100s': %.700s", file, line, label, msg);
    }
    return 0;
}

/* The instance struct, with @p settings (may be NULL: defaults) bound into it. */
static int
instance_settings(ec2gw_conf_set_t *set, ec2gw_instance_t *in, const ec2gw_conf_node_t *settings,
                  ec2gw_err_t *err)
{
    const ec2gw_plugin_t *d = in->module->desc;

    in->data = calloc(1, d->inst_size ? d->inst_size : 1);
    if (in->data == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    in->settings_node = settings;
    if (d->settings != NULL) {
        char what[128];

        snprintf(what, sizeof(what), "settings of %s", in->name);
        if (ec2gw_conf_bind(set, settings, d->settings, in->data, what, err) != 0)
            return EC2GW_E_INVAL;
    } else if (settings != NULL) {
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: plugin %s takes no settings",
                             settings->file, settings->line, d->name);
    }
    return 0;
}

static int
instance_new(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *root, const char *plugin_dir,
             const ec2gw_host_api_t *host, ec2gw_instance_t **out, ec2gw_err_t *err)
{
    int bad = 0, rc;
    const char *plugin, *file, *name;
    char path[4096];
    ec2gw_instance_t *in;

    if (check_keys(root, top_keys, "a plugin instance", err) != 0)
        return EC2GW_E_INVAL;
    plugin = scalar(root, "plugin", err, &bad);
    file = scalar(root, "file", err, &bad);
    if (bad)
        return bad;
    if (file != NULL)
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/%s.so", plugin_dir, plugin);
    in = calloc(1, sizeof(*in));
    if (in == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    *out = in;
    in->file = root->file;
    in->line = root->line;
    if ((rc = instance_open(in, path, plugin ? plugin : file,
                            ec2gw_conf_key_file(root, plugin ? "plugin" : "file"),
                            ec2gw_conf_key_line(root, plugin ? "plugin" : "file"), host, err)) != 0)
        return rc;
    if (plugin != NULL && strcmp(plugin, in->module->desc->name) != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: %s holds plugin '%s', not '%s'",
                             ec2gw_conf_key_file(root, "plugin"),
                             ec2gw_conf_key_line(root, "plugin"), path, in->module->desc->name,
                             plugin);
    name = scalar(root, "instance", err, &bad);
    in->wraps_name = scalar(root, "wraps", err, &bad);
    if (bad)
        return bad;
    in->name = name ? name : in->module->desc->service.type;
    if (in->name == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: 'instance' is required for plugin %s",
                             root->file, root->line, in->module->desc->name);
    if ((rc = bind_service(in, ec2gw_conf_get(root, "service"), err)) != 0)
        return rc;
    if ((rc = bind_actions(set, in, ec2gw_conf_get(root, "actions"), err)) != 0)
        return rc;
    return instance_settings(set, in, ec2gw_conf_get(root, "settings"), err);
}

/* One `wrap:` value: a path with a '/', else a file (".so" optional) under @p plugin_dir. */
static void
wrap_path(const char *v, const char *plugin_dir, char *path, size_t size)
{
    size_t n = strlen(v);

    if (strchr(v, '/') != NULL)
        snprintf(path, size, "%s", v);
    else
        snprintf(path, size, "%s/%s%s", plugin_dir, v,
                 n > 3 && strcmp(v + n - 3, ".so") == 0 ? "" : ".so");
}

/* One .so of a `wrap:` line: an instance named after its descriptor, wrapping @p target. */
static int
wrap_instance(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *v, const char *target,
              const char *plugin_dir, const ec2gw_host_api_t *host, ec2gw_instance_t **out,
              ec2gw_err_t *err)
{
    char path[4096];
    ec2gw_instance_t *in;
    int rc;

    if (v->type != EC2GW_CONF_SCALAR || v->value[0] == '\0')
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: wrap: %s: give the plugin file (a path, or a name under "
                             "the plugin directory), or a list of them",
                             v->file, v->line, target);
    wrap_path(v->value, plugin_dir, path, sizeof(path));
    if ((in = calloc(1, sizeof(*in))) == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    *out = in;
    in->file = v->file;
    in->line = v->line;
    in->one_line = 1;
    if ((rc = instance_open(in, path, v->value, v->file, v->line, host, err)) != 0)
        return rc;
    in->name = in->module->desc->name;
    in->wraps_name = target;
    in->service_type = in->module->desc->service.type;
    in->microversion = in->module->desc->service.microversion;
    if ((rc = instance_settings(set, in, NULL, err)) != 0) {
        char msg[sizeof(err->msg)];

        memcpy(msg, err->msg, sizeof(msg));
        return ec2gw_err_set(err, rc,
                             "%s:%d: %.600s (a wrap: line takes the default settings; give them "
                             "in the long form: plugin:, instance:, wraps:, settings:)",
                             v->file, v->line, msg);
    }
    return 0;
}

/* `wrap: { <instance>: <file> | [<file>, ...] }` of file @p root. */
static int
wrap_entries(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *root, const char *plugin_dir,
             const ec2gw_host_api_t *host, ec2gw_plugins_t *p, ec2gw_err_t *err)
{
    const ec2gw_conf_node_t *w = ec2gw_conf_get(root, "wrap");

    if (w == NULL)
        return 0;
    if (w->type != EC2GW_CONF_MAP)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: wrap: must map an instance to the plugin file that wraps it, "
                             "e.g. wrap: { compute: %s/site.so }",
                             w->file, w->line, plugin_dir);
    for (size_t k = 0; k < w->n; k++) {
        const ec2gw_conf_node_t *v = w->items[k];
        const char *target = w->keys[k];
        size_t n = v->type == EC2GW_CONF_SEQ ? v->n : 1;

        for (size_t i = 0; i < n; i++) {
            int rc;

            if (p->n == MAX_INSTANCES)
                return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: more than %d plugin instances",
                                     w->file, w->key_lines[k], MAX_INSTANCES);
            rc = wrap_instance(set, v->type == EC2GW_CONF_SEQ ? v->items[i] : v, target, plugin_dir,
                               host, &p->inst[p->n], err);
            if (p->inst[p->n] != NULL)
                target = p->inst[p->n++]->name;
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int
resolve_wraps(ec2gw_plugins_t *p, ec2gw_err_t *err)
{
    for (size_t i = 0; i < p->n; i++) {
        ec2gw_instance_t *in = p->inst[i];

        for (size_t j = 0; j < p->n; j++) {
            if (j != i && strcmp(p->inst[j]->name, in->name) == 0)
                return ec2gw_err_set(
                    err, EC2GW_E_INVAL, "%s:%d: instance name '%s' is already used by %s:%d%s",
                    p->inst[j]->file, p->inst[j]->line, in->name, in->file, in->line,
                    in->one_line || p->inst[j]->one_line
                        ? " (a wrap: line names its instance after the "
                          "plugin; use the long form with instance: to "
                          "load one plugin twice)"
                        : "");
            if (in->wraps_name != NULL && strcmp(p->inst[j]->name, in->wraps_name) == 0)
                in->wraps = p->inst[j];
        }
        if (in->wraps_name != NULL && in->wraps == NULL) {
            char known[512] = "";

            for (size_t j = 0; j < p->n; j++)
                if (j != i)
                    snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                             known[0] ? ", " : "", p->inst[j]->name);
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "%s:%d: wraps: no instance named '%s' is configured "
                                 "(instances: %s)",
                                 in->file, in->line, in->wraps_name, known[0] ? known : "none");
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        size_t depth = 0;

        for (ec2gw_instance_t *w = p->inst[i]->wraps; w != NULL; w = w->wraps)
            if (++depth > p->n)
                return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: wraps: cycle through '%s'",
                                     p->inst[i]->file, p->inst[i]->line, p->inst[i]->name);
    }
    return 0;
}

/*
 * A wrapper must wrap something: serve one action the instances below it serve, or hook
 * their OpenStack calls. Anything else is a misconfiguration that would change nothing.
 */
static int
check_wraps_something(const ec2gw_plugins_t *p, ec2gw_err_t *err)
{
    for (size_t i = 0; i < p->n; i++) {
        const ec2gw_instance_t *in = p->inst[i];
        const ec2gw_plugin_t *d = in->module->desc;
        ec2gw_instance_t *next;
        char declared[256] = "";
        int overlap = 0;

        /* ABI 1.3: a wrapper may only hook the OpenStack calls below it */
        if (in->wraps == NULL || EC2GW_PLUGIN_HAS(d, os_hooks))
            continue;
        for (const ec2gw_action_t *a = d->actions; a->name != NULL && !overlap; a++) {
            if (!instance_serves(in, a->name))
                continue;
            overlap = ec2gw_plugins_next(in, a->name, &next) != NULL;
            snprintf(declared + strlen(declared), sizeof(declared) - strlen(declared), "%s%s",
                     declared[0] ? ", " : "", a->name);
        }
        if (!overlap)
            return ec2gw_err_set(
                err, EC2GW_E_INVAL,
                "%s:%d: plugin %s wraps '%s' but wraps nothing: it has no OpenStack "
                "hooks and serves none of the actions '%s' serves (it serves: %s)",
                in->file, in->line, d->name, in->wraps->name, in->wraps->name,
                declared[0] ? declared : "none");
    }
    return 0;
}

/* The flags of @p a served by @p in, with what it inherits from the layers below. */
static uint32_t
chain_flags(const ec2gw_instance_t *in, const ec2gw_action_t *a)
{
    const uint32_t inherited = EC2GW_ACT_CLIENT_TOKEN | EC2GW_ACT_DRYRUN;
    /* promises about the whole chain: true only when every layer makes them */
    const uint32_t every = EC2GW_ACT_READONLY | EC2GW_ACT_CLIENT_TOKEN_RERUN;
    ec2gw_instance_t *next = NULL;
    const ec2gw_action_t *below;
    uint32_t own = a->flags, low;

    if ((own & EC2GW_ACT_OWN_FLAGS) || (below = ec2gw_plugins_next(in, a->name, &next)) == NULL)
        return own;
    low = chain_flags(next, below);
    return (own & ~every) | (low & inherited) | (own & low & every);
}

static int
route_cmp(const void *a, const void *b)
{
    return strcmp(((const ec2gw_route_t *)a)->action, ((const ec2gw_route_t *)b)->action);
}

/* Is @p inner somewhere below @p outer in a wrap chain? */
static int
wraps_below(const ec2gw_instance_t *outer, const ec2gw_instance_t *inner)
{
    for (const ec2gw_instance_t *w = outer->wraps; w != NULL; w = w->wraps)
        if (w == inner)
            return 1;
    return 0;
}

static int
add_route(ec2gw_plugins_t *p, ec2gw_instance_t *in, const ec2gw_action_t *a,
          const ec2gw_model_t *model, ec2gw_err_t *err)
{
    /* The metadata listener's handler is routed like an action; EC2 requests never reach it
     * (dispatch refuses names that are not model operations before routing). */
    if (ec2gw_model_op(model, a->name) == NULL && strcmp(a->name, EC2GW_ACTION_METADATA) != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: plugin %s declares '%s', which is not an EC2 action", in->file,
                             in->line, in->module->desc->name, a->name);
    for (size_t r = 0; r < p->n_routes; r++) {
        ec2gw_route_t *rt = &p->routes[r];

        if (strcmp(rt->action, a->name) != 0)
            continue;
        if (wraps_below(in, rt->inst)) { /* the wrapper takes the route */
            rt->inst = in;
            rt->act = a;
            return 0;
        }
        if (wraps_below(rt->inst, in))
            return 0;
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: action %s is served by both '%s' and '%s' (%s:%d); narrow "
                             "one with 'actions:' or make one wrap the other",
                             in->file, in->line, a->name, in->name, rt->inst->name, rt->inst->file,
                             rt->inst->line);
    }
    ec2gw_route_t *routes = realloc(p->routes, (p->n_routes + 1) * sizeof(*routes));

    if (routes == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    p->routes = routes;
    p->routes[p->n_routes++] = (ec2gw_route_t){ .action = a->name, .inst = in, .act = a };
    return 0;
}

static int
build_routes(ec2gw_plugins_t *p, const ec2gw_model_t *model, ec2gw_err_t *err)
{
    for (size_t i = 0; i < p->n; i++) {
        ec2gw_instance_t *in = p->inst[i];

        for (const ec2gw_action_t *a = in->module->desc->actions; a->name != NULL; a++)
            if (instance_serves(in, a->name) && add_route(p, in, a, model, err) != 0)
                return EC2GW_E_INVAL;
    }
    if (p->n_routes > 0)
        qsort(p->routes, p->n_routes, sizeof(*p->routes), route_cmp);
    /* dispatch reads DryRun/ClientToken from route->act: give it the chain's flags. */
    p->acts = calloc(p->n_routes ? p->n_routes : 1, sizeof(*p->acts));
    if (p->acts == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    for (size_t r = 0; r < p->n_routes; r++) {
        p->acts[r] = *p->routes[r].act;
        p->acts[r].flags = chain_flags(p->routes[r].inst, p->routes[r].act);
        p->routes[r].act = &p->acts[r];
    }
    return 0;
}

int
ec2gw_plugins_build(ec2gw_conf_set_t *set, const char *plugin_dir, const ec2gw_host_api_t *host,
                    const ec2gw_model_t *model, ec2gw_plugins_t **out, ec2gw_err_t *err)
{
    ec2gw_plugins_t *p = calloc(1, sizeof(*p));
    int rc = 0;

    if (p == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < set->n && rc == 0; i++) {
        if (ec2gw_conf_get(set->roots[i], "plugin") == NULL &&
            ec2gw_conf_get(set->roots[i], "file") == NULL) {
            rc = wrap_entries(set, set->roots[i], plugin_dir, host, p, err);
            continue;
        }
        if (p->n == MAX_INSTANCES) {
            rc = ec2gw_err_set(err, EC2GW_E_INVAL, "%s: more than %d plugin instances",
                               set->paths[i], MAX_INSTANCES);
            break;
        }
        rc = instance_new(set, set->roots[i], plugin_dir, host, &p->inst[p->n], err);
        if (p->inst[p->n] != NULL)
            p->n++;
    }
    if (rc == 0)
        rc = resolve_wraps(p, err);
    if (rc == 0)
        rc = check_wraps_something(p, err);
    if (rc == 0)
        rc = build_routes(p, model, err);
    /* create() runs wrapped instances first, so a wrapper may rely on what it wraps. */
    for (size_t pass = 0; rc == 0 && pass < p->n; pass++) {
        for (size_t i = 0; rc == 0 && i < p->n; i++) {
            ec2gw_instance_t *in = p->inst[i];

            if (in->created || (in->wraps != NULL && !in->wraps->created))
                continue;
            struct ec2gw_cfg cfg = { .inst = in, .err = err };

            err->code = 0;
            lifecycle_inst = in;
            if (in->module->desc->create != NULL && in->module->desc->create(in->data, &cfg) != 0)
                rc = err->code != 0 ? err->code
                                    : ec2gw_err_set(err, EC2GW_E_INVAL,
                                                    "%s:%d: instance '%s' refused its settings",
                                                    in->file, in->line, in->name);
            in->created = 1;
            lifecycle_inst = NULL;
        }
    }
    if (rc != 0) {
        ec2gw_plugins_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int
ec2gw_plugins_start(ec2gw_plugins_t *p, ec2gw_loop_t *loop, ec2gw_err_t *err)
{
    p->loop = loop;
    for (size_t i = 0; i < p->n; i++) {
        ec2gw_instance_t *in = p->inst[i];
        int rc;

        lifecycle_inst = in;
        rc = in->module->desc->start != NULL ? in->module->desc->start(in->data, loop) : 0;
        lifecycle_inst = NULL;
        if (rc != 0)
            return ec2gw_err_set(err, EC2GW_E_FAIL, "%s:%d: instance '%s' failed to start",
                                 in->file, in->line, in->name);
        in->started = 1;
    }
    return 0;
}

void
ec2gw_plugins_free(ec2gw_plugins_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        ec2gw_instance_t *in = p->inst[i];

        lifecycle_inst = in;
        if (in->started && in->module->desc->stop != NULL)
            in->module->desc->stop(in->data, p->loop);
        if (in->created && in->module->desc->destroy != NULL)
            in->module->desc->destroy(in->data);
        lifecycle_inst = NULL;
        free(in->data);
        free(in);
    }
    free(p->routes);
    free(p->acts);
    free(p);
}

const ec2gw_route_t *
ec2gw_plugins_route(const ec2gw_plugins_t *p, const char *action)
{
    ec2gw_route_t key = { .action = action };

    if (p == NULL || p->n_routes == 0)
        return NULL;
    return bsearch(&key, p->routes, p->n_routes, sizeof(key), route_cmp);
}

const ec2gw_action_t *
ec2gw_plugins_next(const ec2gw_instance_t *inst, const char *action, ec2gw_instance_t **next)
{
    for (ec2gw_instance_t *w = inst->wraps; w != NULL; w = w->wraps) {
        if (!instance_serves(w, action))
            continue;
        for (const ec2gw_action_t *a = w->module->desc->actions; a->name != NULL; a++) {
            if (strcmp(a->name, action) == 0) {
                *next = w;
                return a;
            }
        }
    }
    return NULL;
}

size_t
ec2gw_plugins_count(const ec2gw_plugins_t *p, size_t *n_routes)
{
    if (n_routes != NULL)
        *n_routes = p ? p->n_routes : 0;
    return p ? p->n : 0;
}

ec2gw_instance_t *
ec2gw_plugins_instance(const ec2gw_plugins_t *p, size_t i)
{
    return i < p->n ? p->inst[i] : NULL;
}

const ec2gw_route_t *
ec2gw_plugins_route_at(const ec2gw_plugins_t *p, size_t i)
{
    return p != NULL && i < p->n_routes ? &p->routes[i] : NULL;
}
