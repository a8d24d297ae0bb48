/*
 * model_shapes.c - turn the model's "shapes" object into per-shape tables at load time, so
 * that the decoder and renderer never look at JSON describing the model per request: every
 * member carries its SDK name, query wire name, XML element name and resolved target shape,
 * and every structure a by-wire-name index for bsearch.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocol/model_internal.h"

static const struct {
    const char *name;
    ec2gw_mtype_t type;
} shape_types[] = {
    { "string", EC2GW_MT_STRING },
    { "integer", EC2GW_MT_INTEGER },
    { "long", EC2GW_MT_LONG },
    { "double", EC2GW_MT_DOUBLE },
    { "float", EC2GW_MT_FLOAT },
    { "boolean", EC2GW_MT_BOOLEAN },
    { "timestamp", EC2GW_MT_TIMESTAMP },
    { "blob", EC2GW_MT_BLOB },
    { "list", EC2GW_MT_LIST },
    { "structure", EC2GW_MT_STRUCTURE },
    { "map", EC2GW_MT_MAP },
};

static int
parse_type(const char *s, ec2gw_mtype_t *out)
{
    for (size_t i = 0; i < sizeof(shape_types) / sizeof(shape_types[0]); i++) {
        if (strcmp(s, shape_types[i].name) == 0) {
            *out = shape_types[i].type;
            return 0;
        }
    }
    return -1;
}

static const char *
json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static char *
adup(ec2gw_arena_t *a, const char *s)
{
    return ec2gw_arena_strndup(a, s, strlen(s));
}

/* EC2 protocol wire name (ec2-protocol.md §2.4): queryName; else locationName with the first
 * letter upper-cased; else the member name. */
static char *
wire_name(ec2gw_arena_t *a, const char *name, const json_t *def)
{
    const char *q = json_str(def, "queryName");
    const char *loc = json_str(def, "locationName");
    char *w;

    if (q != NULL)
        return adup(a, q);
    if (loc == NULL || loc[0] == '\0')
        return adup(a, name);
    w = adup(a, loc);
    if (w != NULL)
        w[0] = (char)toupper((unsigned char)w[0]);
    return w;
}

static int
by_wire_cmp(const void *pa, const void *pb)
{
    const ec2gw_mmember_t *a = *(const ec2gw_mmember_t *const *)pa;
    const ec2gw_mmember_t *b = *(const ec2gw_mmember_t *const *)pb;

    return strcmp(a->wire, b->wire);
}

static int
is_required(const json_t *required, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(required, i, v)
    {
        const char *s = json_string_value(v);

        if (s != NULL && strcmp(s, name) == 0)
            return 1;
    }
    return 0;
}

static int
build_members(ec2gw_arena_t *a, ec2gw_mshape_t *s, const json_t *def, const ec2gw_strmap_t *byname,
              ec2gw_err_t *err)
{
    json_t *members = json_object_get(def, "members");
    const json_t *required = json_object_get(def, "required");
    ec2gw_mmember_t *mv;
    const ec2gw_mmember_t **idx;
    const char *name;
    json_t *mdef;
    size_t i = 0;

    s->nmembers = json_object_size(members);
    mv = ec2gw_arena_alloc(a, (s->nmembers + 1) * sizeof(*mv));
    idx = ec2gw_arena_alloc(a, (s->nmembers + 1) * sizeof(*idx));
    if (mv == NULL || idx == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    /* jansson keeps insertion order, which is the model's member order: the XML order. */
    json_object_foreach(members, name, mdef)
    {
        const char *target = json_str(mdef, "shape");
        const char *loc = json_str(mdef, "locationName");
        ec2gw_mmember_t *m = &mv[i];

        m->shape = target != NULL ? ec2gw_strmap_get(byname, target) : NULL;
        if (m->shape == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "model: %s.%s: unknown shape %s", s->name,
                                 name, target != NULL ? target : "(none)");
        m->name = adup(a, name);
        m->wire = wire_name(a, name, mdef);
        m->xml = adup(a, loc != NULL ? loc : name);
        if (m->name == NULL || m->wire == NULL || m->xml == NULL)
            return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
        m->wire_len = strlen(m->wire);
        m->required = (unsigned char)is_required(required, name);
        m->idempotency = json_is_true(json_object_get(mdef, "idempotencyToken"));
        idx[i] = m;
        i++;
    }
    qsort(idx, s->nmembers, sizeof(*idx), by_wire_cmp);
    s->members = mv;
    s->by_wire = idx;
    return 0;
}

static int
build_list(ec2gw_arena_t *a, ec2gw_mshape_t *s, const json_t *def, const ec2gw_strmap_t *byname,
           ec2gw_err_t *err)
{
    const json_t *member = json_object_get(def, "member");
    const char *target = json_str(member, "shape");
    const char *loc = json_str(member, "locationName");

    s->elem = target != NULL ? ec2gw_strmap_get(byname, target) : NULL;
    if (s->elem == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "model: list %s: unknown member shape %s", s->name,
                             target != NULL ? target : "(none)");
    /* botocore's default for a list member without a name is "member" (§3.2). */
    s->elem_xml = adup(a, loc != NULL ? loc : "member");
    if (s->elem_xml == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    return 0;
}

int
ec2gw_model_build_shapes(ec2gw_arena_t *a, json_t *shapes, ec2gw_strmap_t *byname, ec2gw_err_t *err)
{
    size_t n = json_object_size(shapes), i = 0;
    ec2gw_mshape_t *sv = ec2gw_arena_alloc(a, (n + 1) * sizeof(*sv));
    const char *name;
    json_t *def;
    int rc;

    if (sv == NULL || ec2gw_strmap_init(byname, a, n) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
    /* Pass 1: names and types, so that pass 2 can resolve forward references. */
    json_object_foreach(shapes, name, def)
    {
        const char *type = json_str(def, "type");

        sv[i].name = adup(a, name);
        if (sv[i].name == NULL)
            return ec2gw_err_set(err, EC2GW_E_NOMEM, "model: out of memory");
        if (type == NULL || parse_type(type, &sv[i].type) != 0)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "model: shape %s: bad type %s", name,
                                 type != NULL ? type : "(none)");
        if (ec2gw_strmap_put(byname, sv[i].name, &sv[i]) != 0)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "model: duplicate shape %s", name);
        i++;
    }
    i = 0;
    json_object_foreach(shapes, name, def)
    {
        rc = 0;
        if (sv[i].type == EC2GW_MT_STRUCTURE)
            rc = build_members(a, &sv[i], def, byname, err);
        else if (sv[i].type == EC2GW_MT_LIST)
            rc = build_list(a, &sv[i], def, byname, err);
        if (rc != 0)
            return rc;
        i++;
    }
    return 0;
}

/* A wire-name segment that is not NUL-terminated (a piece of "Filter.1.Name"). */
struct wire_key {
    const char *s;
    size_t len;
};

static int
wire_key_cmp(const void *key, const void *elem)
{
    const struct wire_key *k = key;
    const ec2gw_mmember_t *m = *(const ec2gw_mmember_t *const *)elem;
    size_t n = k->len < m->wire_len ? k->len : m->wire_len;
    int c = memcmp(k->s, m->wire, n);

    if (c != 0)
        return c;
    return k->len < m->wire_len ? -1 : k->len > m->wire_len ? 1 : 0;
}

const ec2gw_mmember_t *
ec2gw_model_member_by_wire(const ec2gw_mshape_t *s, const char *seg, size_t len)
{
    struct wire_key key = { seg, len };
    const ec2gw_mmember_t *const *hit;

    if (s->type != EC2GW_MT_STRUCTURE || s->nmembers == 0)
        return NULL;
    hit = bsearch(&key, s->by_wire, s->nmembers, sizeof(*s->by_wire), wire_key_cmp);
    return hit != NULL ? *hit : NULL;
}

const ec2gw_mmember_t *
ec2gw_model_member_by_name(const ec2gw_mshape_t *s, const char *name)
{
    for (size_t i = 0; i < s->nmembers; i++)
        if (strcmp(s->members[i].name, name) == 0)
            return &s->members[i];
    return NULL;
}
