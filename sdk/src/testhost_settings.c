/*
 * testhost_settings.c - an instance's `settings:` for the fake host: JSON or simple block YAML
 * text, bound through the plugin's settings schema with the daemon's rules (defaults, types,
 * unknown keys and missing required keys refused).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testhost_priv.h"

static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* An unquoted scalar loses a trailing comment; a quoted one its quotes. */
static json_t *
yaml_scalar(char *s)
{
    size_t n;
    char *hash;

    s = trim(s);
    n = strlen(s);
    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s[n - 1] = '\0';
        return json_string(s + 1);
    }
    if ((hash = strstr(s, " #")) != NULL)
        *hash = '\0';
    s = trim(s);
    if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0)
        return json_null();
    return json_string(s);
}

/* "[a, b]" → ["a", "b"]; anything else → a scalar. */
static json_t *
yaml_value(char *s)
{
    json_t *list;
    char *end, *item, *save = NULL;

    s = trim(s);
    if (*s != '[')
        return yaml_scalar(s);
    if ((end = strrchr(s, ']')) == NULL)
        return NULL;
    *end = '\0';
    list = json_array();
    for (item = strtok_r(s + 1, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save))
        if (*trim(item) != '\0')
            json_array_append_new(list, yaml_scalar(item));
    return list;
}

static json_t *
yaml_parse(char *text)
{
    json_t *obj = json_object(), *val;
    const char *list_key = NULL;
    int line = 0;

    for (char *l = text, *nl; l != NULL; l = nl) {
        int indented = l[0] == ' ' || l[0] == '\t';
        char *t, *colon;

        if ((nl = strchr(l, '\n')) != NULL)
            *nl++ = '\0';
        t = trim(l);
        line++;
        if (*t == '\0' || *t == '#' || strcmp(t, "---") == 0)
            continue;
        if (indented && t[0] == '-' && (t[1] == ' ' || t[1] == '\0') && list_key != NULL) {
            json_t *cur = json_object_get(obj, list_key);

            if (!json_is_array(cur))
                json_object_set_new(obj, list_key, cur = json_array());
            json_array_append_new(cur, yaml_scalar(t + 1));
            continue;
        }
        if (indented || (colon = strchr(t, ':')) == NULL) {
            th_load_error("settings line %d: expected 'key: value' (the test host reads flat "
                          "YAML or JSON)",
                          line);
            json_decref(obj);
            return NULL;
        }
        *colon = '\0';
        t = trim(t);
        if (json_object_get(obj, t) != NULL) {
            th_load_error("settings line %d: duplicate key '%s'", line, t);
            json_decref(obj);
            return NULL;
        }
        if ((val = yaml_value(colon + 1)) == NULL) {
            th_load_error("settings line %d: '%s': unterminated [list]", line, t);
            json_decref(obj);
            return NULL;
        }
        json_object_set_new(obj, t, val);
        /* `key:` with nothing after it may open a block list of "- item" lines. */
        list_key = json_is_null(val) ? json_object_iter_key(json_object_iter_at(obj, t)) : NULL;
    }
    return obj;
}

json_t *
th_settings_parse(const char *text)
{
    const char *t = text;
    json_error_t err;
    json_t *j;
    char *copy;

    while (t != NULL && isspace((unsigned char)*t))
        t++;
    if (t == NULL || *t == '\0')
        return json_object();
    if (*t == '{') {
        if ((j = json_loads(t, 0, &err)) == NULL)
            th_load_error("settings: bad JSON at line %d: %s", err.line, err.text);
        return j;
    }
    if ((copy = strdup(t)) == NULL)
        return NULL;
    j = yaml_parse(copy);
    free(copy);
    return j;
}

/* -- binding ------------------------------------------------------------------------------ */

static int
parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (s == NULL || *s == '\0')
        return -1;
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int
parse_bool(const char *s, int *out)
{
    static const char *const words[] = { "false", "true", "no", "yes", "off", "on" };

    for (size_t i = 0; s != NULL && i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i]) == 0) {
            *out = (int)(i % 2);
            return 0;
        }
    }
    return -1;
}

static int
parse_duration(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t mul;
    } units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1 } };
    char *end;
    long long v;

    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    v = strtoll(s, &end, 10);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *ms = (int64_t)v * units[i].mul;
            return 0;
        }
    }
    return -1;
}

/* The text of a JSON scalar (pool copy for numbers and booleans); NULL for null. */
static const char *
scalar_text(th_inst_t *in, const json_t *v, int *bad)
{
    char buf[64];

    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_null(v))
        return NULL;
    if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_real(v))
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
    else {
        *bad = 1;
        return NULL;
    }
    return th_pstrdup(&in->pool, buf);
}

static int
bind_list(th_inst_t *in, const ec2gw_setting_t *s, const json_t *v)
{
    ec2gw_strlist_t list = { 0, NULL };
    const char **items;
    size_t n = json_is_array(v) ? json_array_size(v) : json_is_null(v) ? 0 : 1;
    int bad = 0;

    items = th_pcalloc(&in->pool, (n + 1) * sizeof(*items));
    if (items == NULL)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_is_array(v) ? json_array_get(v, i) : v;

        if (json_is_array(it) || json_is_object(it) || json_is_null(it) ||
            (items[i] = scalar_text(in, it, &bad)) == NULL || bad) {
            th_load_error("%s: settings.%s: item %zu: expected a string", in->mod->desc->name,
                          s->key, i + 1);
            return EC2GW_E_INVAL;
        }
    }
    list.n = n;
    list.v = n != 0 ? items : NULL;
    memcpy((char *)in->data + s->offset, &list, sizeof(list));
    return 0;
}

static int
bind_one(th_inst_t *in, const ec2gw_setting_t *s, const json_t *v)
{
    void *dst = (char *)in->data + s->offset;
    const char *text;
    int64_t i64 = 0;
    int b = 0, bad = 0, rc = 0;

    if (s->type == EC2GW_SET_STR_LIST)
        return bind_list(in, s, v);
    text = scalar_text(in, v, &bad);
    if (bad || (text == NULL && s->type != EC2GW_SET_STR)) {
        th_load_error("%s: settings.%s: expected a scalar value", in->mod->desc->name, s->key);
        return EC2GW_E_INVAL;
    }
    switch (s->type) {
    case EC2GW_SET_STR:
        memcpy(dst, &text, sizeof(text));
        return 0;
    case EC2GW_SET_INT:
        rc = parse_int(text, &i64);
        break;
    case EC2GW_SET_DURATION_MS:
        rc = parse_duration(text, &i64);
        break;
    case EC2GW_SET_BOOL:
        if ((rc = parse_bool(text, &b)) == 0)
            memcpy(dst, &b, sizeof(b));
        break;
    default:
        rc = -1;
    }
    if (rc != 0) {
        th_load_error("%s: settings.%s: '%s' is not valid for this setting", in->mod->desc->name,
                      s->key, text);
        return EC2GW_E_INVAL;
    }
    if (s->type != EC2GW_SET_BOOL)
        memcpy(dst, &i64, sizeof(i64));
    return 0;
}

static int
apply_default(th_inst_t *in, const ec2gw_setting_t *s)
{
    json_t *def;
    char *copy;
    int rc;

    if (s->def == NULL) {
        /* The instance is zeroed: NULL strings, empty lists, 0, false. */
        return 0;
    }
    if (s->type == EC2GW_SET_STR) {
        memcpy((char *)in->data + s->offset, &s->def, sizeof(s->def));
        return 0;
    }
    if ((copy = strdup(s->def)) == NULL)
        return EC2GW_E_NOMEM;
    def = yaml_value(copy);
    free(copy);
    if (def == NULL)
        return EC2GW_E_NOMEM;
    json_array_append_new(in->keep, def); /* bound strings point into it */
    rc = bind_one(in, s, def);
    if (rc != 0)
        th_load_error("%s: schema default '%s' of '%s' is not valid", in->mod->desc->name, s->def,
                      s->key);
    return rc;
}

int
th_settings_bind(th_inst_t *in, const json_t *settings)
{
    const ec2gw_setting_t *schema = in->mod->desc->settings, *s;
    const char *key;
    json_t *v;
    int rc;

    if (schema == NULL) {
        if (json_object_size(settings) != 0) {
            th_load_error("%s: plugin takes no settings", in->mod->desc->name);
            return EC2GW_E_INVAL;
        }
        return 0;
    }
    for (s = schema; s->key != NULL; s++)
        if ((rc = apply_default(in, s)) != 0)
            return rc;
    json_object_foreach((json_t *)(uintptr_t)settings, key, v)
    {
        for (s = schema; s->key != NULL && strcmp(s->key, key) != 0; s++)
            ;
        if (s->key == NULL) {
            char known[512] = "";

            for (s = schema; s->key != NULL; s++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         s == schema ? "" : ", ", s->key);
            th_load_error("%s: unknown key '%s' in settings; known keys: %s", in->mod->desc->name,
                          key, known);
            return EC2GW_E_INVAL;
        }
        if ((rc = bind_one(in, s, v)) != 0)
            return rc;
    }
    for (s = schema; s->key != NULL; s++) {
        if ((s->flags & EC2GW_SET_REQUIRED) != 0 && json_object_get(settings, s->key) == NULL) {
            th_load_error("%s: settings.%s is required", in->mod->desc->name, s->key);
            return EC2GW_E_INVAL;
        }
    }
    return 0;
}
