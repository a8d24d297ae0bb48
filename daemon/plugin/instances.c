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
    ec2gw_loop_t *loop;    /* set by start() */
    size_t n_routes;
};

static const char *const top_keys[] = { "plugin", "file", "instance", "wraps",
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
            return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: unknown key '%s' in %s; known keys: %s",
                                 map->file, map->key_lines[i], map->keys[i], what, known);
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
        *bad = ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: '%s' must be a non-empty string",
                             n->file, n->line, key);
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
                             svc->file, ec2gw_conf_key_line(svc, "api"), d->name,
                             d->service.type ? d->service.type : "?", d->service.api, api);
    if (ifc != NULL && strcmp(ifc, "public") != 0 && strcmp(ifc, "internal") != 0 &&
        strcmp(ifc, "admin") != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: service.interface must be public, internal or admin",
                             svc->file, ec2gw_conf_key_line(svc, "interface"));
    if (type != NULL)
        in->service_type = type;
    if (mv != NULL)
        in->microversion = mv;
    in->interface = ifc;
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
    if ((rc = ec2gw_module_open(path, host, &in->module, err)) != 0) {
        char msg[sizeof(err->msg)];

        memcpy(msg, err->msg, sizeof(msg));
        return ec2gw_err_set(err, rc, "%s:%d: plugin '%.100s': %.700s", root->file,
                             ec2gw_conf_key_line(root, plugin ? "plugin" : "file"),
                             plugin ? plugin : file, msg);
    }
    if (plugin != NULL && strcmp(plugin, in->module->desc->name) != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: %s holds plugin '%s', not '%s'",
                             root->file, ec2gw_conf_key_line(root, "plugin"), path,
                             in->module->desc->name, plugin);
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
    in->data = calloc(1, in->module->desc->inst_size ? in->module->desc->inst_size : 1);
    if (in->data == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    in->settings_node = ec2gw_conf_get(root, "settings");
    if (in->module->desc->settings != NULL) {
        char what[128];

        snprintf(what, sizeof(what), "settings of %s", in->name);
        if (ec2gw_conf_bind(set, ec2gw_conf_get(root, "settings"), in->module->desc->settings,
                            in->data, what, err) != 0)
            return EC2GW_E_INVAL;
    } else if (ec2gw_conf_get(root, "settings") != NULL) {
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: plugin %s takes no settings", root->file,
                             ec2gw_conf_key_line(root, "settings"), in->module->desc->name);
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
                return ec2gw_err_set(err, EC2GW_E_INVAL,
                                     "%s:%d: instance name '%s' is already used by %s:%d",
                                     p->inst[j]->file, p->inst[j]->line, in->name, in->file,
                                     in->line);
            if (in->wraps_name != NULL && strcmp(p->inst[j]->name, in->wraps_name) == 0)
                in->wraps = p->inst[j];
        }
        if (in->wraps_name != NULL && in->wraps == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "%s:%d: wraps: no instance named '%s' is configured", in->file,
                                 in->line, in->wraps_name);
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
                             "%s:%d: plugin %s declares '%s', which is not an EC2 action",
                             in->file, in->line, in->module->desc->name, a->name);
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
                             in->file, in->line, a->name, in->name, rt->inst->name,
                             rt->inst->file, rt->inst->line);
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
            ec2gw_conf_get(set->roots[i], "file") == NULL)
            continue;
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
        rc = build_routes(p, model, err);
    /* create() runs wrapped instances first, so a wrapper may rely on what it wraps. */
    for (size_t pass = 0; rc == 0 && pass < p->n; pass++) {
        for (size_t i = 0; rc == 0 && i < p->n; i++) {
            ec2gw_instance_t *in = p->inst[i];

            if (in->created || (in->wraps != NULL && !in->wraps->created))
                continue;
            struct ec2gw_cfg cfg = { .inst = in, .err = err };

            err->code = 0;
            if (in->module->desc->create != NULL && in->module->desc->create(in->data, &cfg) != 0)
                rc = err->code != 0 ? err->code
                                    : ec2gw_err_set(err, EC2GW_E_INVAL,
                                                    "%s:%d: instance '%s' refused its settings",
                                                    in->file, in->line, in->name);
            in->created = 1;
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

        if (in->module->desc->start != NULL && in->module->desc->start(in->data, loop) != 0)
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

        if (in->started && in->module->desc->stop != NULL)
            in->module->desc->stop(in->data, p->loop);

        if (in->created && in->module->desc->destroy != NULL)
            in->module->desc->destroy(in->data);
        free(in->data);
        free(in);
    }
    free(p->routes);
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
