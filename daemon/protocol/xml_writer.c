/*
 * xml_writer.c - the writing side of rendering: one buffer the document is written into (the
 * caller gets it without a copy), element text escaped as libxml2 escaped it before (we only
 * replace what XML 1.0 cannot carry at all), scalar formatting (§3.4).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "protocol/xml_render.h"
#include "protocol/xml_render_priv.h"

/* The first block: a DescribeRegions answer fits; large answers double from here. */
#define XML_FIRST_BLOCK 4096

static int
grow(ec2gw_xml_t *r, size_t more)
{
    size_t cap = r->cap != 0 ? r->cap : XML_FIRST_BLOCK;
    char *nb;

    if (r->failed)
        return -1;
    while (cap - r->len < more + 1) {
        if (cap > ((size_t)-1) / 2) {
            r->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    nb = realloc(r->buf, cap);
    if (nb == NULL) {
        r->failed = 1;
        return -1;
    }
    r->buf = nb;
    r->cap = cap;
    return 0;
}

static void
put(ec2gw_xml_t *r, const char *s, size_t n)
{
    if (r->cap - r->len < n + 1 && grow(r, n) != 0)
        return;
    memcpy(r->buf + r->len, s, n);
    r->len += n;
}

static void
puts_(ec2gw_xml_t *r, const char *s)
{
    put(r, s, strlen(s));
}

/* The '>' a start tag waits for until its first content. */
static void
close_tag(ec2gw_xml_t *r)
{
    if (r->tag_open) {
        put(r, ">", 1);
        r->tag_open = 0;
    }
}

/* Element text escaped as libxml2's xmlEncodeSpecialChars does (xmlTextWriterWriteString). */
static void
put_escaped(ec2gw_xml_t *r, const char *s)
{
    const char *run = s;

    for (;; s++) {
        const char *rep;

        switch (*s) {
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '&':
            rep = "&amp;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\r':
            rep = "&#13;";
            break;
        case '\0':
            put(r, run, (size_t)(s - run));
            return;
        default:
            continue;
        }
        put(r, run, (size_t)(s - run));
        puts_(r, rep);
        run = s + 1;
    }
}

int
ec2gw_xml_begin(ec2gw_xml_t *r, ec2gw_err_t *err)
{
    memset(r, 0, sizeof(*r));
    r->err = err;
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
    if (grow(r, XML_FIRST_BLOCK - 1) != 0)
        return EC2GW_E_NOMEM;
    /* Exactly <?xml version="1.0" encoding="UTF-8"?>: HTCondor probes it (§3.1). */
    puts_(r, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    return 0;
}

int
ec2gw_xml_begin_bare(ec2gw_xml_t *r, ec2gw_err_t *err)
{
    int rc = ec2gw_xml_begin(r, err);

    r->len = 0; /* no prolog: the item goes inside someone else's document */
    r->bare = 1;
    return rc;
}

int
ec2gw_xml_finish(ec2gw_xml_t *r, char **out, size_t *len)
{
    while (r->depth > 0)
        ec2gw_xml_end(r);
    if (!r->bare)
        put(r, "\n", 1);
    if (r->failed) {
        free(r->buf);
        ec2gw_xml_refs_drop(r);
        *out = NULL;
        return ec2gw_err_set(r->err, EC2GW_E_NOMEM, "xml_render: out of memory");
    }
    r->buf[r->len] = '\0'; /* grow() always leaves room for it */
    *out = r->buf;
    *len = r->len;
    r->buf = NULL;
    return 0;
}

void
ec2gw_xml_start(ec2gw_xml_t *r, const char *name)
{
    if (r->depth == EC2GW_XML_DEPTH) {
        r->failed = 1;
        return;
    }
    close_tag(r);
    put(r, "<", 1);
    puts_(r, name);
    r->open[r->depth++] = name;
    r->tag_open = 1;
}

void
ec2gw_xml_end(ec2gw_xml_t *r)
{
    const char *name;

    if (r->depth == 0) {
        r->failed = 1;
        return;
    }
    name = r->open[--r->depth];
    if (r->tag_open) {
        put(r, "/>", 2);
        r->tag_open = 0;
        return;
    }
    put(r, "</", 2);
    puts_(r, name);
    put(r, ">", 1);
}

void
ec2gw_xml_reserve(ec2gw_xml_t *r, size_t n)
{
    char *nb;

    if (r->failed || r->cap - r->len >= n + 1 || n > ((size_t)-1) / 4)
        return;
    /* exactly: the hint is the answer's size, not a step of a doubling */
    if ((nb = realloc(r->buf, r->len + n + 1)) == NULL)
        return; /* writing grows as without the hint */
    r->buf = nb;
    r->cap = r->len + n + 1;
}

void
ec2gw_xml_raw(ec2gw_xml_t *r, const char *bytes, size_t n)
{
    if (n == 0)
        return; /* an empty item stays <item/>, as its members would have left it */
    close_tag(r);
    put(r, bytes, n);
}

void
ec2gw_xml_raw_ref(ec2gw_xml_t *r, const json_t *str)
{
    size_t n = json_string_length(str);

    if (!r->by_ref || n < EC2GW_XML_REF_MIN || r->failed) {
        ec2gw_xml_raw(r, json_string_value(str), n);
        return;
    }
    close_tag(r);
    if (r->nrefs == r->caprefs) {
        size_t cap = r->caprefs ? r->caprefs * 2 : 64;
        ec2gw_xml_ref_t *nr = realloc(r->refs, cap * sizeof(*nr));

        if (nr == NULL) {
            ec2gw_xml_raw(r, json_string_value(str), n); /* copied after all */
            return;
        }
        r->refs = nr;
        r->caprefs = cap;
    }
    /* Kept items are immutable and made on the heap (render_item): a reference keeps them
     * alive until the answer is sent, whatever the plugin's cache does meanwhile. */
    r->refs[r->nrefs].at = r->len;
    r->refs[r->nrefs++].str = json_incref((json_t *)(uintptr_t)str);
}

void
ec2gw_xml_refs_drop(ec2gw_xml_t *r)
{
    for (size_t i = 0; i < r->nrefs; i++)
        json_decref(r->refs[i].str);
    free(r->refs);
    r->refs = NULL;
    r->nrefs = r->caprefs = 0;
}

/* Attribute values go through libxml2's own serialiser (the only attribute is xmlns, once a
 * document): its escaping of attribute text is not the element text's, and with a UTF-8
 * document (as xmlTextWriter's own) it keeps non-ASCII characters as they are. */
void
ec2gw_xml_attr(ec2gw_xml_t *r, const char *name, const char *value)
{
    static xmlDocPtr utf8_doc; /* one per process, never freed */
    xmlBufferPtr b = xmlBufferCreate();

    if (utf8_doc == NULL && (utf8_doc = xmlNewDoc(NULL)) != NULL)
        utf8_doc->encoding = xmlStrdup((const xmlChar *)"UTF-8");
    if (b == NULL || utf8_doc == NULL || !r->tag_open) {
        xmlBufferFree(b);
        r->failed = 1;
        return;
    }
    xmlAttrSerializeTxtContent(b, utf8_doc, NULL, (const xmlChar *)value);
    put(r, " ", 1);
    puts_(r, name);
    put(r, "=\"", 2);
    put(r, (const char *)xmlBufferContent(b), (size_t)xmlBufferLength(b));
    put(r, "\"", 1);
    xmlBufferFree(b);
}

/* Length of the valid UTF-8 sequence at @p s that is also an XML 1.0 Char, or 0. */
static size_t
xml_char_len(const unsigned char *s)
{
    unsigned int c;
    size_t n;

    if (s[0] < 0x80)
        return (s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') ? 1 : 0;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        c = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        c = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        c = s[0] & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    /* Overlong forms, surrogates, U+FFFE/U+FFFF and beyond U+10FFFF are not XML characters. */
    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || (c >= 0xD800 && c <= 0xDFFF) ||
        c == 0xFFFE || c == 0xFFFF || c > 0x10FFFF)
        return 0;
    return n;
}

/* NULL when @p s is clean (the common case, no copy); else a cleaned copy (caller frees). */
static char *
clean_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char *copy, *o;

    while (*p != '\0') {
        size_t n = xml_char_len(p);

        if (n == 0)
            break;
        p += n;
    }
    if (*p == '\0')
        return NULL;
    copy = malloc(strlen(s) * 3 + 1);
    if (copy == NULL)
        return NULL;
    for (p = (const unsigned char *)s, o = copy; *p != '\0';) {
        size_t n = xml_char_len(p);

        if (n == 0) {
            memcpy(o, "\xEF\xBF\xBD", 3); /* U+FFFD for each bad byte */
            o += 3;
            p++;
        } else {
            memcpy(o, p, n);
            o += n;
            p += n;
        }
    }
    *o = '\0';
    return copy;
}

void
ec2gw_xml_text(ec2gw_xml_t *r, const char *name, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    char *clean;

    /* Most text is printable ASCII with nothing to escape: copied as it is, in one pass. */
    while (*p >= 0x20 && *p < 0x80 && *p != '<' && *p != '>' && *p != '&' && *p != '"')
        p++;
    ec2gw_xml_start(r, name);
    close_tag(r); /* even for "": <name></name>, as xmlTextWriterWriteElement */
    if (*p == '\0') {
        put(r, text, (size_t)(p - (const unsigned char *)text));
    } else {
        clean = clean_text(text);
        put_escaped(r, clean != NULL ? clean : text);
        free(clean);
    }
    ec2gw_xml_end(r);
}

void
ec2gw_xml_blob(ec2gw_xml_t *r, const char *name, const json_t *v, const char *where,
               const char *key)
{
    size_t n = json_string_length(v);
    unsigned char *b64;

    if (!json_is_string(v)) {
        if (!json_is_null(v))
            ec2gw_xml_drop(r, where, key, "blob is not a JSON string");
        return;
    }
    b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64 == NULL) {
        r->failed = 1;
        return;
    }
    EVP_EncodeBlock(b64, (const unsigned char *)json_string_value(v), (int)n);
    ec2gw_xml_text(r, name, (const char *)b64);
    free(b64);
}

void
ec2gw_xml_drop(ec2gw_xml_t *r, const char *where, const char *key, const char *why)
{
    size_t cap;
    int w;

    r->ndropped++;
    if (r->err == NULL)
        return;
    if (r->ndropped == 1) {
        r->err->code = EC2GW_E_INVAL;
        r->msg_len = (size_t)snprintf(r->err->msg, sizeof(r->err->msg), "xml_render: dropped");
    }
    cap = sizeof(r->err->msg) - r->msg_len;
    if (cap <= 1)
        return;
    w = snprintf(r->err->msg + r->msg_len, cap, "%s %s.%s (%s)", r->ndropped > 1 ? "," : "", where,
                 key, why);
    r->msg_len += w < 0 ? 0 : (size_t)w >= cap ? cap - 1 : (size_t)w;
}

/* Shortest of %.15g..%.17g that reads back as the same double. */
static const char *
fmt_double(double d, char *buf)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, EC2GW_XML_SCALAR_SIZE, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return buf;
}

static int
is_decimal_integer(const char *s)
{
    const char *p = s[0] == '-' ? s + 1 : s;

    return *p != '\0' && strspn(p, "0123456789") == strlen(p) && strlen(p) <= 19;
}

static const char *
number_text(ec2gw_mtype_t t, const json_t *v, char *buf)
{
    if (json_is_integer(v)) {
        snprintf(buf, EC2GW_XML_SCALAR_SIZE, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);

        if (!isfinite(d))
            return NULL;
        if (t == EC2GW_MT_DOUBLE || t == EC2GW_MT_FLOAT)
            return fmt_double(d, buf);
        if (d > 9007199254740992.0 || d < -9007199254740992.0 || d != (double)(long long)d)
            return NULL;
        snprintf(buf, EC2GW_XML_SCALAR_SIZE, "%.0f", d);
        return buf;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;

        if (t == EC2GW_MT_INTEGER || t == EC2GW_MT_LONG)
            return is_decimal_integer(s) ? s : NULL;
        errno = 0;
        if (s[0] != '\0' && strspn(s, "0123456789+-.eE") == strlen(s) &&
            (strtod(s, &end), errno == 0 && *end == '\0'))
            return s;
    }
    return NULL;
}

const char *
ec2gw_xml_scalar_text(ec2gw_mtype_t t, const json_t *v, char *buf)
{
    switch (t) {
    case EC2GW_MT_STRING:
        if (json_is_string(v))
            return json_string_value(v);
        if (json_is_boolean(v))
            return json_is_true(v) ? "true" : "false";
        return number_text(EC2GW_MT_DOUBLE, v, buf);
    case EC2GW_MT_INTEGER:
    case EC2GW_MT_LONG:
    case EC2GW_MT_DOUBLE:
    case EC2GW_MT_FLOAT:
        return number_text(t, v, buf);
    case EC2GW_MT_BOOLEAN:
        /* Exactly true/false: botocore and JS v3 disagree on "True" (§3.4). */
        if (json_is_boolean(v))
            return json_is_true(v) ? "true" : "false";
        if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0)
            return "true";
        if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0)
            return "false";
        return NULL;
    case EC2GW_MT_TIMESTAMP:
        if (json_is_string(v))
            return ec2gw_xml_timestamp(json_string_value(v), buf) == 0 ? buf : NULL;
        if (json_is_number(v))
            return ec2gw_xml_timestamp_epoch(json_number_value(v), buf) == 0 ? buf : NULL;
        return NULL;
    default:
        return NULL;
    }
}
