/*
 * config_bind.c - bind a YAML mapping into a C struct through an ec2gw_setting_t schema.
 *
 * Every message cites the file and line an operator has to edit, and the dotted key
 * (`settings.timeout`) as it reads in that file.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_priv.h"

struct bind {
    ec2gw_conf_set_t *set;
    const ec2gw_conf_node_t *map;
    void *base;
    const char *what;
    ec2gw_err_t *err;
};

/* Parse errors of parse_int() beyond EC2GW_E_INVAL: the text is a number, but too large. */
#define CONF_E_RANGE (-100)

static int
parse_int(const char *s, int64_t *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    uint64_t v = 0;
    int neg = *s == '-';

    if (*p == '\0')
        return EC2GW_E_INVAL;
    for (; *p != '\0'; p++) {
        unsigned d = (unsigned)(*p - '0');

        if (d > 9)
            return EC2GW_E_INVAL;
        if (v > (UINT64_MAX - d) / 10)
            return CONF_E_RANGE;
        v = v * 10 + d;
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return CONF_E_RANGE;
    /* -(INT64_MAX + 1) without signed overflow. */
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int
parse_bool(const char *s, int *out)
{
    static const char *const words[] = { "false", "true", "no", "yes", "off", "on" };

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i]) == 0) {
            *out = (int)(i % 2);
            return 0;
        }
    }
    return EC2GW_E_INVAL;
}

/** Convert @p text by @p type and store it at @p dst. 0, EC2GW_E_INVAL or CONF_E_RANGE. */
static int
store_scalar(ec2gw_setting_type_t type, const char *text, void *dst)
{
    int64_t i64 = 0;
    long long ms = 0;
    int b = 0;
    int rc = EC2GW_E_INVAL;

    switch (type) {
    case EC2GW_SET_STR:
        memcpy(dst, &text, sizeof(text));
        return 0;
    case EC2GW_SET_INT:
        rc = text != NULL ? parse_int(text, &i64) : 0;
        if (rc == 0)
            memcpy(dst, &i64, sizeof(i64));
        return rc;
    case EC2GW_SET_BOOL:
        rc = text != NULL ? parse_bool(text, &b) : 0;
        if (rc == 0)
            memcpy(dst, &b, sizeof(b));
        return rc;
    case EC2GW_SET_DURATION_MS:
        rc = text != NULL ? ec2gw_conf_parse_duration(text, &ms) : 0;
        i64 = ms;
        if (rc == 0)
            memcpy(dst, &i64, sizeof(i64));
        return rc;
    case EC2GW_SET_STR_LIST:
        break;
    }
    return rc;
}

static const char *
type_expected(ec2gw_setting_type_t type)
{
    switch (type) {
    case EC2GW_SET_STR:
        return "a string";
    case EC2GW_SET_INT:
        return "an integer";
    case EC2GW_SET_BOOL:
        return "a boolean (true/false)";
    case EC2GW_SET_DURATION_MS:
        return "a duration (500ms, 30s, 5m)";
    case EC2GW_SET_STR_LIST:
        return "a string or a list of strings";
    }
    return "a value";
}

static const char *
type_problem(ec2gw_setting_type_t type, int rc)
{
    if (rc == CONF_E_RANGE)
        return "is out of range for a 64-bit integer";
    switch (type) {
    case EC2GW_SET_INT:
        return "is not an integer";
    case EC2GW_SET_BOOL:
        return "is not a boolean (true/false)";
    case EC2GW_SET_DURATION_MS:
        return "is not a duration (use 500ms, 30s, 5m)";
    default:
        return "is not valid";
    }
}

static void *
field(const struct bind *b, const ec2gw_setting_t *s)
{
    return (char *)b->base + s->offset;
}

/** Bind a STR_LIST from @p node (a scalar, a sequence of scalars, or null for an empty list). */
static int
bind_list(const struct bind *b, const ec2gw_setting_t *s, const ec2gw_conf_node_t *node)
{
    ec2gw_strlist_t list = { 0, NULL };
    const char **v;

    if (node->type == EC2GW_CONF_MAP)
        return ec2gw_err_set(b->err, EC2GW_E_INVAL, "%s:%d: %s.%s: expected %s, found a mapping",
                             node->file, node->line, b->what, s->key, type_expected(s->type));
    if (node->type == EC2GW_CONF_SEQ)
        list.n = node->n;
    else if (!ec2gw_conf_is_null(node))
        list.n = 1; /* `actions: all` reads as `actions: [all]` */
    v = list.n != 0 ? ec2gw_conf_alloc(b->set, list.n * sizeof(*v)) : NULL;
    if (list.n != 0 && v == NULL)
        return ec2gw_err_set(b->err, EC2GW_E_NOMEM, "%s: out of memory", node->file);
    for (size_t i = 0; i < list.n; i++) {
        const ec2gw_conf_node_t *item = node->type == EC2GW_CONF_SEQ ? node->items[i] : node;

        if (item->type != EC2GW_CONF_SCALAR)
            return ec2gw_err_set(
                b->err, EC2GW_E_INVAL, "%s:%d: %s.%s: item %zu: expected a string, found a %s",
                item->file, item->line, b->what, s->key, i + 1, ec2gw_conf_type_name(item->type));
        if (ec2gw_conf_is_null(item))
            return ec2gw_err_set(b->err, EC2GW_E_INVAL,
                                 "%s:%d: %s.%s: item %zu: expected a string, found an empty value",
                                 item->file, item->line, b->what, s->key, i + 1);
        v[i] = item->value;
    }
    list.v = v;
    memcpy(field(b, s), &list, sizeof(list));
    return 0;
}

static int
bind_value(const struct bind *b, const ec2gw_setting_t *s, const ec2gw_conf_node_t *node)
{
    int rc;

    if (s->type == EC2GW_SET_STR_LIST)
        return bind_list(b, s, node);
    if (node->type != EC2GW_CONF_SCALAR)
        return ec2gw_err_set(b->err, EC2GW_E_INVAL, "%s:%d: %s.%s: expected %s, found a %s",
                             node->file, node->line, b->what, s->key, type_expected(s->type),
                             ec2gw_conf_type_name(node->type));
    if (ec2gw_conf_is_null(node)) {
        /* `key: ~` unsets a string (NULL, overriding its default); other types need a value. */
        if (s->type != EC2GW_SET_STR || (s->flags & EC2GW_SET_REQUIRED) != 0)
            return ec2gw_err_set(b->err, EC2GW_E_INVAL, "%s:%d: %s.%s: no value; expected %s",
                                 node->file, node->line, b->what, s->key, type_expected(s->type));
        return store_scalar(s->type, NULL, field(b, s));
    }
    rc = store_scalar(s->type, node->value, field(b, s));
    if (rc != 0)
        return ec2gw_err_set(b->err, EC2GW_E_INVAL, "%s:%d: %s.%s: '%s' %s", node->file, node->line,
                             b->what, s->key, node->value, type_problem(s->type, rc));
    return 0;
}

/** Apply the schema's defaults (YAML text) to every field. */
static int
apply_defaults(const struct bind *b, const ec2gw_setting_t *schema)
{
    for (const ec2gw_setting_t *s = schema; s != NULL && s->key != NULL; s++) {
        ec2gw_conf_node_t *node = NULL;
        int rc;

        if (s->type != EC2GW_SET_STR_LIST) {
            rc = store_scalar(s->type, s->def, field(b, s));
        } else {
            rc = s->def != NULL ? ec2gw_conf_parse(b->set, s->def, strlen(s->def),
                                                   "<schema default>", &node, b->err)
                                : 0;
            if (rc == 0 && node != NULL)
                rc = bind_list(b, s, node);
            else if (rc == 0)
                memset(field(b, s), 0, sizeof(ec2gw_strlist_t));
        }
        if (rc == EC2GW_E_NOMEM)
            return rc;
        if (rc != 0)
            return ec2gw_err_set(b->err, EC2GW_E_INVAL,
                                 "schema of %s: the default '%s' of '%s' is not %s", b->what,
                                 s->def, s->key, type_expected(s->type));
    }
    return 0;
}

static const ec2gw_setting_t *
find_setting(const ec2gw_setting_t *schema, const char *key)
{
    for (const ec2gw_setting_t *s = schema; s != NULL && s->key != NULL; s++) {
        if (strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

static int
unknown_key(const struct bind *b, const ec2gw_setting_t *schema, size_t i)
{
    const char *key = b->map->keys[i];
    const char *best = NULL;
    char known[512];
    char hint[160] = "";

    ec2gw_conf_suggest(schema, key, &best, known, sizeof(known));
    if (best != NULL)
        (void)snprintf(hint, sizeof(hint), " (did you mean '%s'?)", best); /* may truncate */
    return ec2gw_err_set(b->err, EC2GW_E_INVAL, "%s:%d: unknown key '%s' in %s%s; known keys: %s",
                         ec2gw_conf_key_file(b->map, key), b->map->key_lines[i], key, b->what, hint,
                         known);
}

static int
check_required(const struct bind *b, const ec2gw_setting_t *schema)
{
    for (const ec2gw_setting_t *s = schema; s != NULL && s->key != NULL; s++) {
        if ((s->flags & EC2GW_SET_REQUIRED) == 0 || ec2gw_conf_get(b->map, s->key) != NULL)
            continue;
        if (b->map == NULL)
            return ec2gw_err_set(b->err, EC2GW_E_INVAL, "missing required key '%s' in %s", s->key,
                                 b->what);
        return ec2gw_err_set(b->err, EC2GW_E_INVAL, "%s:%d: missing required key '%s' in %s",
                             b->map->file, b->map->line, s->key, b->what);
    }
    return 0;
}

int
ec2gw_conf_bind(ec2gw_conf_set_t *set, const ec2gw_conf_node_t *map, const ec2gw_setting_t *schema,
                void *base, const char *what, ec2gw_err_t *err)
{
    struct bind b = { set, map, base, what != NULL ? what : "settings", err };
    int rc;

    if (map != NULL && map->type != EC2GW_CONF_MAP)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: %s must be a mapping (key: value), found a %s", map->file,
                             map->line, b.what, ec2gw_conf_type_name(map->type));
    rc = apply_defaults(&b, schema);
    for (size_t i = 0; rc == 0 && map != NULL && i < map->n; i++) {
        const ec2gw_setting_t *s = find_setting(schema, map->keys[i]);

        rc = s != NULL ? bind_value(&b, s, map->items[i]) : unknown_key(&b, schema, i);
    }
    if (rc == 0)
        rc = check_required(&b, schema);
    return rc;
}
