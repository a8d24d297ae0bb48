/*
 * xml_writer.c - the libxml2 side of rendering: writer setup, escaped text (libxml2 does the
 * escaping; we only replace what XML 1.0 cannot carry at all), scalar formatting (§3.4).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#include "protocol/xml_render.h"
#include "protocol/xml_render_priv.h"

#define XC(s) ((const xmlChar *)(s))

int
ec2gw_xml_begin(ec2gw_xml_t *r, ec2gw_err_t *err)
{
    memset(r, 0, sizeof(*r));
    r->err = err;
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
    r->buf = xmlBufferCreateSize(2048);
    r->w = r->buf != NULL ? xmlNewTextWriterMemory(r->buf, 0) : NULL;
    if (r->w == NULL) {
        xmlBufferFree(r->buf);
        return EC2GW_E_NOMEM;
    }
    /* Exactly <?xml version="1.0" encoding="UTF-8"?>: HTCondor probes it (§3.1). */
    if (xmlTextWriterStartDocument(r->w, "1.0", "UTF-8", NULL) < 0)
        r->failed = 1;
    return 0;
}

int
ec2gw_xml_finish(ec2gw_xml_t *r, char **out, size_t *len)
{
    const xmlChar *content;
    size_t n;

    if (xmlTextWriterEndDocument(r->w) < 0)
        r->failed = 1;
    xmlFreeTextWriter(r->w); /* flushes into r->buf */
    content = xmlBufferContent(r->buf);
    n = (size_t)xmlBufferLength(r->buf);
    *out = r->failed || content == NULL ? NULL : malloc(n + 1);
    if (*out != NULL) {
        memcpy(*out, content, n);
        (*out)[n] = '\0';
        *len = n;
    }
    xmlBufferFree(r->buf);
    if (*out == NULL)
        return ec2gw_err_set(r->err, EC2GW_E_NOMEM, "xml_render: out of memory");
    return 0;
}

void
ec2gw_xml_start(ec2gw_xml_t *r, const char *name)
{
    if (xmlTextWriterStartElement(r->w, XC(name)) < 0)
        r->failed = 1;
}

void
ec2gw_xml_end(ec2gw_xml_t *r)
{
    if (xmlTextWriterEndElement(r->w) < 0)
        r->failed = 1;
}

void
ec2gw_xml_attr(ec2gw_xml_t *r, const char *name, const char *value)
{
    if (xmlTextWriterWriteAttribute(r->w, XC(name), XC(value)) < 0)
        r->failed = 1;
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
    char *clean = clean_text(text);

    if (xmlTextWriterWriteElement(r->w, XC(name), XC(clean != NULL ? clean : text)) < 0)
        r->failed = 1;
    free(clean);
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
