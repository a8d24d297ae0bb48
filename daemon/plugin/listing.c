/*
 * listing.c - `ec2gwd --list-plugins` and `--list-actions`: what the configuration loaded and
 * how each action is routed, from the built instances (nothing is started).
 */
#include <stdio.h>
#include <string.h>

#include "plugin/plugin.h"

static const char *
type_name(ec2gw_setting_type_t t)
{
    switch (t) {
    case EC2GW_SET_STR:
        return "string";
    case EC2GW_SET_INT:
        return "integer";
    case EC2GW_SET_BOOL:
        return "boolean";
    case EC2GW_SET_DURATION_MS:
        return "duration";
    case EC2GW_SET_STR_LIST:
        return "list";
    }
    return "?";
}

static void
flags_text(uint32_t flags, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s%s%s", flags & EC2GW_ACT_READONLY ? "readonly," : "",
             flags & EC2GW_ACT_CLIENT_TOKEN ? "client-token," : "",
             flags & EC2GW_ACT_CLIENT_TOKEN_RERUN ? "rerun," : "",
             flags & EC2GW_ACT_DRYRUN ? "dryrun," : "",
             flags & EC2GW_ACT_OWN_FLAGS ? "own-flags," : "");
    if (buf[0] == '\0')
        snprintf(buf, size, "-");
    else
        buf[strlen(buf) - 1] = '\0';
}

static void
list_instance(const ec2gw_instance_t *in, FILE *out)
{
    const ec2gw_plugin_t *d = in->module->desc;
    size_t n = 0;

    fprintf(out, "%s\n", in->name);
    fprintf(out, "  conf      %s:%d%s\n", in->file, in->line, in->one_line ? " (wrap: line)" : "");
    fprintf(out, "  plugin    %s%s%s, ABI %u.%u%s%s\n", d->name, d->version ? " " : "",
            d->version ? d->version : "", d->hdr.abi_major, d->hdr.abi_minor,
            d->description ? ": " : "", d->description ? d->description : "");
    fprintf(out, "  file      %s", in->module->path);
    if (in->module->generation > 1)
        fprintf(out, " (replaced on disk: load %d, from a private copy)", in->module->generation);
    fprintf(out, "\n");
    if (in->service_type != NULL)
        fprintf(out, "  service   %s%s%s%s%s\n", in->service_type, d->service.api ? " " : "",
                d->service.api ? d->service.api : "", in->microversion ? " microversion " : "",
                in->microversion ? in->microversion : "");
    fprintf(out, "  wraps     ");
    if (in->wraps == NULL)
        fprintf(out, "-");
    for (const ec2gw_instance_t *w = in->wraps; w != NULL; w = w->wraps)
        fprintf(out, "%s%s", w->name, w->wraps ? " > " : "");
    fprintf(out, "\n");
    int col = fprintf(out, "  actions  ");

    for (const ec2gw_action_t *a = d->actions; a->name != NULL; a++) {
        int served = in->actions == NULL;

        for (size_t i = 0; i < in->n_actions; i++)
            served |= strcmp(in->actions[i], a->name) == 0;
        if (!served)
            continue;
        if (col > 11 && col + 1 + (int)strlen(a->name) > 96)
            col = fprintf(out, "\n           ");
        col += fprintf(out, " %s", a->name);
        n++;
    }
    fprintf(out, "%s\n", n == 0 ? " none" : "");
    if (EC2GW_PLUGIN_HAS(d, os_hooks)) {
        size_t h = 0;

        for (const ec2gw_os_hook_t *k = d->os_hooks; k->on_request || k->on_answer; k++)
            h++;
        fprintf(out, "  os_hooks  %zu\n", h);
    }
    for (const ec2gw_setting_t *s = d->settings; s != NULL && s->key != NULL; s++)
        fprintf(out, "  setting   %s (%s%s%s%s)%s%s\n", s->key, type_name(s->type),
                s->def ? ", default " : "", s->def ? s->def : "",
                s->flags & EC2GW_SET_REQUIRED ? ", required" : "", s->help ? ": " : "",
                s->help ? s->help : "");
}

void
ec2gw_plugins_list(const ec2gw_plugins_t *p, FILE *out)
{
    size_t n = ec2gw_plugins_count(p, NULL);

    if (n == 0)
        fprintf(out, "no plugin instances configured\n");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fprintf(out, "\n");
        list_instance(ec2gw_plugins_instance(p, i), out);
    }
}

void
ec2gw_plugins_list_actions(const ec2gw_plugins_t *p, int (*builtin)(const char *action), FILE *out)
{
    const ec2gw_route_t *r;

    fprintf(out, "%-40s %-16s %-40s %s\n", "ACTION", "INSTANCE", "THROUGH", "FLAGS");
    for (size_t i = 0; (r = ec2gw_plugins_route_at(p, i)) != NULL; i++) {
        char chain[512] = "", flags[64];
        const ec2gw_instance_t *in = r->inst, *last = r->inst;
        ec2gw_instance_t *next = NULL;

        snprintf(chain, sizeof(chain), "%s", in->name);
        while (ec2gw_plugins_next(last, r->action, &next) != NULL) {
            snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), " > %s", next->name);
            last = next;
        }
        flags_text(r->act->flags, flags, sizeof(flags));
        fprintf(out, "%-40s %-16s %-40s %s%s\n", r->action, last->name, last == in ? "-" : chain,
                flags,
                builtin != NULL && builtin(r->action) ? " (served by the daemon itself)" : "");
    }
}
