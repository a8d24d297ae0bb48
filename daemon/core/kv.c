/* kv.c - name/value lists and form decoding (libevent's uridecode does the escapes). */
#include "kv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include <ec2gw/plugin.h>

int
ec2gw_kvlist_add(ec2gw_kvlist_t *l, const char *name, const char *value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ec2gw_kv_t *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL)
            return EC2GW_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].name = strdup(name);
    l->v[l->n].value = strdup(value);
    if (l->v[l->n].name == NULL || l->v[l->n].value == NULL) {
        free(l->v[l->n].name);
        free(l->v[l->n].value);
        return EC2GW_E_NOMEM;
    }
    l->n++;
    return 0;
}

/* Decode one component; '+' is a space in forms. NULL on a NUL byte (which would truncate). */
static char *
decode_part(const char *s, size_t len)
{
    char *raw = strndup(s, len);
    size_t out_len = 0;
    char *dec;

    if (raw == NULL)
        return NULL;
    dec = evhttp_uridecode(raw, 1, &out_len);
    free(raw);
    if (dec != NULL && strlen(dec) != out_len) {
        free(dec);
        return NULL;
    }
    return dec;
}

int
ec2gw_kvlist_parse_form(ec2gw_kvlist_t *l, const char *s, size_t len)
{
    const char *end = s + len;

    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        char *name, *value;
        int rc;

        if (pe == s) {
            s = pe + 1;
            continue;
        }
        name = decode_part(s, (size_t)((eq ? eq : pe) - s));
        value = eq ? decode_part(eq + 1, (size_t)(pe - eq - 1)) : strdup("");
        if (name == NULL || value == NULL) {
            free(name);
            free(value);
            return EC2GW_E_INVAL;
        }
        rc = ec2gw_kvlist_add(l, name, value);
        free(name);
        free(value);
        if (rc != 0)
            return rc;
        s = pe + 1;
    }
    return 0;
}

const char *
ec2gw_kvlist_get(const ec2gw_kvlist_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return l->v[i].value;
    return NULL;
}

const char *
ec2gw_kvlist_get_ci(const ec2gw_kvlist_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i].name, name) == 0)
            return l->v[i].value;
    return NULL;
}

void
ec2gw_kvlist_free(ec2gw_kvlist_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
