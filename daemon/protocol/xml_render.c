/*
 * xml_render.c - response models (JSON keyed by output member names) into EC2 XML (§3), and
 * error documents (§4.1), written straight into one buffer (xml_writer.c).
 *
 * The walk follows the precomputed output shape (model order, locationNames, list element
 * names), never the JSON's key order. Anything the shape cannot place is dropped and named in
 * err->msg, so handlers find their typos in the log instead of clients finding empty fields.
 */
#include "protocol/xml_render.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/model_internal.h"
#include "protocol/xml_render_priv.h"

static void render_value(ec2gw_xml_t *r, const char *xml, const ec2gw_mshape_t *s, const json_t *v,
                         const char *where, const char *key);

/*
 * The last key order seen per structure shape (a small direct-mapped table), and where each
 * key goes in model order. The models of one handler list their keys in one order, so most
 * objects render with one strcmp per key present instead of one hash lookup per member of the
 * shape (61 for an Instance). Objects with a key outside the shape take the general path.
 */
#define ORDER_SLOTS    256
#define ORDER_WAYS     4 /* orders kept per slot: one shape is built in a few places */
#define ORDER_MAX_KEYS 64

struct key_order {
    const ec2gw_mshape_t *shape; /* NULL: empty */
    size_t n;
    char *keys[ORDER_MAX_KEYS];           /* the object's keys, in its order (owned) */
    unsigned char pos[ORDER_MAX_KEYS];    /* model order: index into keys */
    unsigned char member[ORDER_MAX_KEYS]; /* ... and the member it is */
};

static struct key_order orders[ORDER_SLOTS][ORDER_WAYS];
static unsigned order_victim[ORDER_SLOTS];

static void
order_forget(struct key_order *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->keys[i]);
    o->shape = NULL;
    o->n = 0;
}

/* Learn the order of @p keys for @p s; -1 when a key is not a member (or no memory). */
static int
order_learn(struct key_order *o, const ec2gw_mshape_t *s, const char *const *keys, size_t n)
{
    size_t idx[ORDER_MAX_KEYS];

    order_forget(o);
    if (s->nmembers > 255)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const ec2gw_mmember_t *m = ec2gw_model_member_by_name(s, keys[i]);

        if (m == NULL)
            return -1;
        idx[i] = (size_t)(m - s->members);
    }
    for (size_t i = 0; i < n; i++) { /* insertion sort by member index */
        size_t j = i;

        while (j > 0 && idx[o->pos[j - 1]] > idx[i]) {
            o->pos[j] = o->pos[j - 1];
            j--;
        }
        o->pos[j] = (unsigned char)i;
    }
    for (size_t i = 0; i < n; i++) {
        o->member[i] = (unsigned char)idx[o->pos[i]];
        if ((o->keys[i] = strdup(keys[i])) == NULL) {
            o->n = i;
            order_forget(o);
            return -1;
        }
        o->n = i + 1;
    }
    o->shape = s;
    return 0;
}

/* Render @p obj's members by its key order; -1 (nothing written) when that cannot be used. */
static int
render_members_ordered(ec2gw_xml_t *r, const ec2gw_mshape_t *s, const json_t *obj)
{
    size_t slot = ((uintptr_t)s >> 4) % ORDER_SLOTS, w;
    struct key_order *o = NULL;
    const char *keys[ORDER_MAX_KEYS];
    const json_t *vals[ORDER_MAX_KEYS];
    unsigned char pos[ORDER_MAX_KEYS], member[ORDER_MAX_KEYS];
    size_t n = json_object_size(obj), i = 0;
    const char *key;
    const json_t *v;
    int same = 0;

    if (n == 0 || n > ORDER_MAX_KEYS)
        return -1;
    json_object_foreach((json_t *)(uintptr_t)obj, key, v)
    {
        keys[i] = key;
        vals[i++] = v;
    }
    for (w = 0; w < ORDER_WAYS && !same; w++) {
        o = &orders[slot][w];
        same = o->shape == s && o->n == n;
        for (i = 0; same && i < n; i++)
            same = strcmp(o->keys[i], keys[i]) == 0;
    }
    if (!same) {
        o = &orders[slot][order_victim[slot]++ % ORDER_WAYS];
        if (order_learn(o, s, keys, n) != 0)
            return -1;
    }
    /* copied: rendering a child may reuse the slot */
    memcpy(pos, o->pos, n);
    memcpy(member, o->member, n);
    for (i = 0; i < n; i++) {
        const ec2gw_mmember_t *m = &s->members[member[i]];

        render_value(r, m->xml, m->shape, vals[pos[i]], s->name, m->name);
    }
    return 0;
}

/* Members of structure @p s from @p obj in model order. At the root a missing boolean
 * `Return` is rendered true: Net::Amazon::EC2 and boto 2 read it as the call's status. */
static void
render_members(ec2gw_xml_t *r, const ec2gw_mshape_t *s, const json_t *obj, int is_root)
{
    size_t seen = 0;

    if (!is_root && render_members_ordered(r, s, obj) == 0)
        return;

    for (size_t i = 0; i < s->nmembers; i++) {
        const ec2gw_mmember_t *m = &s->members[i];
        const json_t *v = json_object_get(obj, m->name);

        if (v != NULL) {
            seen++;
            render_value(r, m->xml, m->shape, v, s->name, m->name);
        } else if (is_root && m->shape->type == EC2GW_MT_BOOLEAN &&
                   strcmp(m->name, "Return") == 0) {
            ec2gw_xml_text(r, m->xml, "true");
        }
    }
    /* Object keys are unique: fewer hits than keys means some key is not a member. */
    if (seen != json_object_size(obj)) {
        const char *key;
        const json_t *v;

        json_object_foreach((json_t *)(uintptr_t)obj, key, v)
        {
            if (ec2gw_model_member_by_name(s, key) == NULL)
                ec2gw_xml_drop(r, s->name, key, "not in the output shape");
        }
    }
}

static void
render_list(ec2gw_xml_t *r, const char *xml, const ec2gw_mshape_t *s, const json_t *v,
            const char *where, const char *key)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v)) {
        ec2gw_xml_drop(r, where, key, "not a JSON array");
        return;
    }
    /* An empty list still gets its wrapper (<tagSet/>): SDKs then return [] (§3.3). */
    ec2gw_xml_start(r, xml);
    json_array_foreach(v, i, e)
    {
        if (!json_is_null(e))
            render_value(r, s->elem_xml, s->elem, e, where, key);
    }
    ec2gw_xml_end(r);
}

/* An item ec2gw_xml_render_item() made: {"$xml": its members' bytes, "$shape": its shape}.
 * Writes them and returns 1; 0 for any other object (two keys: one lookup, rarely). */
static int
render_item_bytes(ec2gw_xml_t *r, const ec2gw_mshape_t *s, const json_t *v, const char *where,
                  const char *key)
{
    const json_t *bytes, *shape;

    if (json_object_size(v) != 2 || (bytes = json_object_get(v, EC2GW_XML_ITEM_BYTES)) == NULL)
        return 0;
    shape = json_object_get(v, EC2GW_XML_ITEM_SHAPE);
    if (!json_is_string(bytes) || !json_is_string(shape) ||
        strcmp(json_string_value(shape), s->name) != 0)
        ec2gw_xml_drop(r, where, key, "a rendered item of another shape");
    else
        ec2gw_xml_raw_ref(r, bytes);
    return 1;
}

static void
render_value(ec2gw_xml_t *r, const char *xml, const ec2gw_mshape_t *s, const json_t *v,
             const char *where, const char *key)
{
    char buf[EC2GW_XML_SCALAR_SIZE];
    const char *text;

    switch (s->type) {
    case EC2GW_MT_STRUCTURE:
        if (!json_is_object(v)) {
            if (!json_is_null(v))
                ec2gw_xml_drop(r, where, key, "not a JSON object");
            return;
        }
        ec2gw_xml_start(r, xml);
        if (!render_item_bytes(r, s, v, where, key))
            render_members(r, s, v, 0);
        ec2gw_xml_end(r);
        return;
    case EC2GW_MT_LIST:
        if (!json_is_null(v))
            render_list(r, xml, s, v, where, key);
        return;
    case EC2GW_MT_BLOB:
        ec2gw_xml_blob(r, xml, v, where, key);
        return;
    case EC2GW_MT_MAP:
        ec2gw_xml_drop(r, where, key, "map members are not rendered");
        return;
    default:
        break;
    }
    if (json_is_null(v))
        return;
    /* Never an empty element for a non-string scalar: botocore runs int('') (§3.3). */
    text = ec2gw_xml_scalar_text(s->type, v, buf);
    if (text == NULL)
        ec2gw_xml_drop(r, where, key, "value does not fit the member's type");
    else
        ec2gw_xml_text(r, xml, text);
}

/* <return>true</return> for operations without output or with only Return (§3.5). */
static void
render_return(ec2gw_xml_t *r, const ec2gw_model_op_t *op, const json_t *model)
{
    const json_t *ret = json_object_get(model, "Return");
    const char *xml = op->output != NULL ? op->output->members[0].xml : "return";
    const char *key;
    const json_t *v;

    ec2gw_xml_text(r, xml, json_is_false(ret) ? "false" : "true");
    json_object_foreach((json_t *)(uintptr_t)model, key, v)
    {
        if (strcmp(key, "Return") != 0)
            ec2gw_xml_drop(r, op->name, key, "operation returns only Return");
    }
}

/* Operations whose AWS answer has <return>true</return> before members that botocore's
 * output shape lists without it; Net::Amazon::EC2 checks it as the call's status. */
static int
returns_true_too(const ec2gw_model_op_t *op)
{
    static const char *const ops[] = { "CreateSecurityGroup", "AssociateAddress", NULL };

    if (op->output == NULL || ec2gw_model_member_by_name(op->output, "Return") != NULL)
        return 0;
    for (size_t i = 0; ops[i] != NULL; i++)
        if (strcmp(op->name, ops[i]) == 0)
            return 1;
    return 0;
}

/* The bytes of the items rendered ahead in @p v, with room for the elements around them (0:
 * none): reserved at once, a 2 MB answer of kept items is not grown by doubling from 4 kB
 * (a copy and fresh pages at each step: most of its cost besides the items themselves). */
static size_t
items_bytes(const json_t *v, unsigned depth, int by_ref)
{
    const json_t *e;
    const char *k;
    size_t n = 0, i;

    if (depth > 8)
        return 0;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) n += items_bytes(e, depth + 1, by_ref);
        return n;
    }
    if (!json_is_object(v))
        return 0;
    if (json_object_size(v) == 2 && json_is_string(e = json_object_get(v, EC2GW_XML_ITEM_BYTES)))
        return (by_ref && json_string_length(e) >= EC2GW_XML_REF_MIN ? 0 : json_string_length(e)) +
               64;
    json_object_foreach((json_t *)(uintptr_t)v, k, e)
    {
        if (json_is_array(e) || json_is_object(e))
            n += items_bytes(e, depth + 1, by_ref);
    }
    return n > 0 ? n + 256 : 0;
}

/* The document of @p model into @p r (begun): kept items by reference with r->by_ref. */
static void
render_document(ec2gw_xml_t *r, const ec2gw_model_op_t *op, const char *version,
                const char *request_id, const json_t *model)
{
    size_t hint;
    char ns[160];

    if ((hint = items_bytes(model, 0, r->by_ref)) > 0)
        ec2gw_xml_reserve(r, hint + 1024);
    if (model != NULL && !json_is_object(model)) {
        ec2gw_xml_drop(r, op->name, "(response)", "not a JSON object");
        model = NULL;
    }
    /* The request's Version, with the trailing slash: libcloud's XPath has it baked in. */
    snprintf(ns, sizeof(ns), "http://ec2.amazonaws.com/doc/%.64s/",
             version != NULL && version[0] != '\0' ? version : "2016-11-15");
    ec2gw_xml_start(r, op->response_elem);
    ec2gw_xml_attr(r, "xmlns", ns);
    if (request_id != NULL)
        ec2gw_xml_text(r, "requestId", request_id);
    if (op->returns_true) {
        render_return(r, op, model);
    } else {
        if (returns_true_too(op))
            ec2gw_xml_text(r, "return", "true");
        render_members(r, op->output, model, 1);
    }
    ec2gw_xml_end(r);
}

int
ec2gw_xml_render(const ec2gw_model_op_t *op, const char *version, const char *request_id,
                 const json_t *model, char **out, size_t *len, ec2gw_err_t *err)
{
    ec2gw_xml_t r;

    if (ec2gw_xml_begin(&r, err) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "xml_render: out of memory");
    render_document(&r, op, version, request_id, model);
    return ec2gw_xml_finish(&r, out, len);
}

int
ec2gw_xml_render_doc(const ec2gw_model_op_t *op, const char *version, const char *request_id,
                     const json_t *model, ec2gw_xml_doc_t *doc, ec2gw_err_t *err)
{
    ec2gw_xml_t r;
    int rc;

    memset(doc, 0, sizeof(*doc));
    if (ec2gw_xml_begin(&r, err) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "xml_render: out of memory");
    r.by_ref = 1;
    render_document(&r, op, version, request_id, model);
    doc->refs = r.refs; /* finish() drops them itself when it fails */
    doc->nrefs = r.nrefs;
    if ((rc = ec2gw_xml_finish(&r, &doc->buf, &doc->len)) != 0) {
        doc->refs = NULL;
        doc->nrefs = 0;
    }
    return rc;
}

int
ec2gw_xml_doc_flatten(const ec2gw_xml_doc_t *doc, char **out, size_t *len)
{
    size_t n = doc->len, at = 0, o = 0;
    char *b;

    for (size_t i = 0; i < doc->nrefs; i++)
        n += json_string_length(doc->refs[i].str);
    if ((b = malloc(n + 1)) == NULL)
        return EC2GW_E_NOMEM;
    for (size_t i = 0; i < doc->nrefs; i++) {
        size_t k = json_string_length(doc->refs[i].str);

        memcpy(b + o, doc->buf + at, doc->refs[i].at - at);
        o += doc->refs[i].at - at;
        at = doc->refs[i].at;
        memcpy(b + o, json_string_value(doc->refs[i].str), k);
        o += k;
    }
    memcpy(b + o, doc->buf + at, doc->len - at);
    o += doc->len - at;
    b[o] = '\0';
    *out = b;
    *len = o;
    return 0;
}

void
ec2gw_xml_doc_free(ec2gw_xml_doc_t *doc)
{
    if (doc == NULL)
        return;
    for (size_t i = 0; i < doc->nrefs; i++)
        json_decref(doc->refs[i].str);
    free(doc->refs);
    free(doc->buf);
    memset(doc, 0, sizeof(*doc));
}

/* The structure shape at @p path (member names joined by '.', lists stepped into) of @p op's
 * output, or NULL. */
static const ec2gw_mshape_t *
item_shape(const ec2gw_model_op_t *op, const char *path)
{
    const ec2gw_mshape_t *s = op->output;
    size_t steps = 0;
    char seg[128];

    while (s != NULL && path != NULL) {
        const char *dot = strchr(path, '.');
        size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
        const ec2gw_mmember_t *m;

        if (s->type != EC2GW_MT_STRUCTURE || n == 0 || n >= sizeof(seg))
            return NULL;
        memcpy(seg, path, n);
        seg[n] = '\0';
        if ((m = ec2gw_model_member_by_name(s, seg)) == NULL)
            return NULL;
        s = m->shape->type == EC2GW_MT_LIST ? m->shape->elem : m->shape;
        path = dot != NULL ? dot + 1 : NULL;
        steps++;
    }
    return s != NULL && s->type == EC2GW_MT_STRUCTURE && steps > 0 ? s : NULL;
}

int
ec2gw_xml_render_item(const ec2gw_model_op_t *op, const char *path, const json_t *item,
                      json_t **out, ec2gw_err_t *err)
{
    const ec2gw_mshape_t *s = item_shape(op, path);
    ec2gw_xml_t r;
    char *buf = NULL;
    size_t len = 0;
    json_t *bytes;

    *out = NULL;
    if (s == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOTFOUND, "%s has no structure at %.100s", op->name,
                             path != NULL ? path : "(null)");
    if (!json_is_object(item))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "%s.%.100s: the item is not a JSON object",
                             op->name, path);
    if (ec2gw_xml_begin_bare(&r, err) != 0)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "xml_render: out of memory");
    render_members(&r, s, item, 0);
    if (ec2gw_xml_finish(&r, &buf, &len) != 0)
        return EC2GW_E_NOMEM;
    /* the renderer's own output: valid UTF-8 already */
    bytes = json_stringn_nocheck(buf, len);
    free(buf);
    *out = json_object();
    if (bytes == NULL || *out == NULL ||
        json_object_set_new(*out, EC2GW_XML_ITEM_BYTES, bytes) != 0 ||
        json_object_set_new(*out, EC2GW_XML_ITEM_SHAPE, json_string(s->name)) != 0) {
        json_decref(*out);
        *out = NULL;
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "xml_render: out of memory");
    }
    return 0;
}

int
ec2gw_xml_error(const char *code, const char *message, const char *request_id, char **out,
                size_t *len)
{
    ec2gw_xml_t r;

    if (ec2gw_xml_begin(&r, NULL) != 0)
        return EC2GW_E_NOMEM;
    ec2gw_xml_start(&r, "Response");
    ec2gw_xml_start(&r, "Errors");
    ec2gw_xml_start(&r, "Error");
    ec2gw_xml_text(&r, "Code", code != NULL ? code : "InternalError");
    ec2gw_xml_text(&r, "Message", message != NULL ? message : "");
    ec2gw_xml_end(&r);
    ec2gw_xml_end(&r);
    /* RequestID with a capital ID: botocore special-cases exactly this spelling. */
    ec2gw_xml_text(&r, "RequestID", request_id != NULL ? request_id : "");
    ec2gw_xml_end(&r);
    return ec2gw_xml_finish(&r, out, len);
}
