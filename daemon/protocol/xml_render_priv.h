/*
 * xml_render_priv.h - the writer state and helpers shared by xml_render.c (the shape walk) and
 * xml_writer.c (libxml2 calls, text cleaning, scalar formatting). Private.
 */
#ifndef EC2GW_PROTOCOL_XML_RENDER_PRIV_H
#define EC2GW_PROTOCOL_XML_RENDER_PRIV_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "protocol/model_internal.h"

/** Buffer size for ec2gw_xml_scalar_text(). */
#define EC2GW_XML_SCALAR_SIZE 64

/** Open elements a document may nest (the EC2 model nests far less). */
#define EC2GW_XML_DEPTH 64

/**
 * One document being written straight into one growing buffer, byte for byte what libxml2's
 * xmlTextWriter wrote before (test_xml_writer_diff proves it), without its allocation per
 * element and per escaped string.
 */
typedef struct ec2gw_xml {
    char *buf;
    size_t len, cap;
    const char *open[EC2GW_XML_DEPTH]; /**< names of the open elements (borrowed) */
    size_t depth;
    int tag_open;     /**< the innermost start tag still lacks its '>' */
    ec2gw_err_t *err; /**< borrowed, may be NULL: where dropped members are reported */
    size_t ndropped;
    size_t msg_len;
    int failed; /**< out of memory, or nested too deep */
    int bare;   /**< an item's members only (ec2gw_xml_render_item): no prolog, no newline */
    int by_ref; /**< kept items by reference (ec2gw_xml_render_doc) */
    struct ec2gw_xml_ref *refs;
    size_t nrefs, caprefs;
} ec2gw_xml_t;

/** Start a document (prolog written). Returns 0 or EC2GW_E_NOMEM. Clears @p err. */
int ec2gw_xml_begin(ec2gw_xml_t *r, ec2gw_err_t *err);

/** Start the members of one item: no prolog, nothing open. Returns 0 or EC2GW_E_NOMEM. */
int ec2gw_xml_begin_bare(ec2gw_xml_t *r, ec2gw_err_t *err);

/** End the document; *out: returns new (free()), NUL-terminated, *len bytes. Frees @p r. */
int ec2gw_xml_finish(ec2gw_xml_t *r, char **out, size_t *len);

void ec2gw_xml_start(ec2gw_xml_t *r, const char *name);
void ec2gw_xml_end(ec2gw_xml_t *r);
/** Make room for @p n more bytes at once (a hint: writing more still grows). */
void ec2gw_xml_reserve(ec2gw_xml_t *r, size_t n);

/** Bytes written as they are, inside the innermost open element (an item rendered before). */
void ec2gw_xml_raw(ec2gw_xml_t *r, const char *bytes, size_t n);
/** A kept item's bytes @p str: by reference when the writer keeps them so, else copied. */
void ec2gw_xml_raw_ref(ec2gw_xml_t *r, const json_t *str);
/** Drop the references taken (the document failed or was copied). */
void ec2gw_xml_refs_drop(ec2gw_xml_t *r);
void ec2gw_xml_attr(ec2gw_xml_t *r, const char *name, const char *value);

/** <name>text</name>, escaped; invalid UTF-8 and XML-forbidden characters become U+FFFD. */
void ec2gw_xml_text(ec2gw_xml_t *r, const char *name, const char *text);

/** A blob member: JSON string bytes written as base64. */
void ec2gw_xml_blob(ec2gw_xml_t *r, const char *name, const json_t *v, const char *where,
                    const char *key);

/** Record that @p where.@p key was not rendered, and why, in r->err. */
void ec2gw_xml_drop(ec2gw_xml_t *r, const char *where, const char *key, const char *why);

/**
 * Text of scalar @p v as type @p t: a pointer into @p v or @p buf (EC2GW_XML_SCALAR_SIZE), or
 * NULL when @p v cannot be rendered as that type.
 */
const char *ec2gw_xml_scalar_text(ec2gw_mtype_t t, const json_t *v, char *buf);

#endif
