/*
 * config_print.c - the merged configuration as YAML, each value followed by the file:line it
 * came from: what `ec2gwd --check-config --print-config` shows an operator who wonders which
 * drop-in won. The output reads back as the same configuration (one document per instance).
 */
#include <stdio.h>
#include <string.h>

#include "config/config_priv.h"

/* Values are padded to this column before their origin comment, so origins line up. */
#define ORIGIN_COLUMN 48

/* Keys whose value is a secret itself; *_env and *_file name where a secret is, and show. */
static int
is_secret_key(const char *key)
{
    size_t n = key != NULL ? strlen(key) : 0;

    if (key == NULL || (n > 4 && strcmp(key + n - 4, "_env") == 0) ||
        (n > 5 && strcmp(key + n - 5, "_file") == 0))
        return 0;
    return strstr(key, "password") != NULL || strstr(key, "secret") != NULL;
}

/* Plain YAML when it reads back as the same string, else double-quoted with escapes. */
static int
print_scalar(FILE *out, const ec2gw_conf_node_t *v)
{
    const char *s = v->value;
    int plain = !v->quoted && s[0] != '\0' && strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) == NULL &&
                strstr(s, ": ") == NULL && strstr(s, " #") == NULL && s[strlen(s) - 1] != ' ' &&
                s[strlen(s) - 1] != ':';
    int w = 0;

    for (const char *p = s; plain && *p != '\0'; p++)
        plain = (unsigned char)*p >= 0x20 && *p != 0x7f;
    if (ec2gw_conf_is_null(v))
        return fprintf(out, "~");
    if (plain)
        return fprintf(out, "%s", s);
    w += fprintf(out, "\"");
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            w += fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            w += fprintf(out, "\\n");
        else if ((unsigned char)*p < 0x20 || *p == 0x7f)
            w += fprintf(out, "\\x%02x", (unsigned)(unsigned char)*p);
        else
            w += fprintf(out, "%c", *p);
    }
    return w + fprintf(out, "\"");
}

static void
origin(FILE *out, int col, const char *file, int line)
{
    fprintf(out, "%*s# %s:%d\n", col < ORIGIN_COLUMN ? ORIGIN_COLUMN - col : 1, "", file, line);
}

static void print_value(FILE *out, const ec2gw_conf_node_t *v, int indent, int col,
                        const char *key);

static void
print_map(FILE *out, const ec2gw_conf_node_t *map, int indent)
{
    for (size_t i = 0; i < map->n; i++) {
        int col = fprintf(out, "%*s%s:", indent, "", map->keys[i]);
        const ec2gw_conf_node_t *v = map->items[i];

        /* A nested block's own origin is where its key was written. */
        if ((v->type == EC2GW_CONF_MAP || v->type == EC2GW_CONF_SEQ) && v->n > 0)
            origin(out, col, ec2gw_conf_key_file(map, map->keys[i]), map->key_lines[i]);
        print_value(out, v, indent + 2, col, map->keys[i]);
    }
}

/* @p col: what the current line already holds; a scalar or empty block ends that line. */
static void
print_value(FILE *out, const ec2gw_conf_node_t *v, int indent, int col, const char *key)
{
    switch (v->type) {
    case EC2GW_CONF_SCALAR:
        col += fprintf(out, " ");
        col += is_secret_key(key) && !ec2gw_conf_is_null(v) ? fprintf(out, "\"(hidden)\"")
                                                            : print_scalar(out, v);
        origin(out, col, v->file, v->line);
        return;
    case EC2GW_CONF_MAP:
        if (v->n == 0) {
            origin(out, col + fprintf(out, " {}"), v->file, v->line);
            return;
        }
        print_map(out, v, indent);
        return;
    case EC2GW_CONF_SEQ:
        if (v->n == 0) {
            origin(out, col + fprintf(out, " []"), v->file, v->line);
            return;
        }
        for (size_t i = 0; i < v->n; i++) {
            int c = fprintf(out, "%*s-", indent, "");

            if (v->items[i]->type != EC2GW_CONF_SCALAR && v->items[i]->n > 0)
                origin(out, c, v->items[i]->file, v->items[i]->line);
            print_value(out, v->items[i], indent + 2, c, key);
        }
        return;
    }
}

void
ec2gw_conf_print(const ec2gw_conf_set_t *set, FILE *out)
{
    fprintf(out, "# Effective configuration: ");
    for (size_t i = 0; i < set->n_files; i++)
        fprintf(out, "%s%s", i ? ", " : "", set->files[i]);
    fprintf(out,
            "%s\n# merged in that order: a later file overrides an earlier one key by key."
            "\n# Keys not shown take their defaults (--list-plugins shows plugins').\n",
            set->n_files == 0 ? "(no files)" : "");
    for (size_t d = 0; d < set->n; d++) {
        const ec2gw_conf_node_t *inst = ec2gw_conf_get(set->roots[d], "instance");
        int is_plugin = inst != NULL || ec2gw_conf_get(set->roots[d], "plugin") != NULL ||
                        ec2gw_conf_get(set->roots[d], "file") != NULL;

        if (is_plugin)
            fprintf(out, "---\n# plugin instance%s%s (first in %s)\n", inst ? " " : "",
                    inst && inst->type == EC2GW_CONF_SCALAR ? inst->value : "", set->paths[d]);
        else
            fprintf(out, "---\n# daemon sections (first in %s)\n", set->paths[d]);
        print_map(out, set->roots[d], 0);
    }
}
