/*
 * xml_render.h - response model (JSON keyed by the output shape's member names) into EC2 XML,
 * and EC2 error documents, written straight into one buffer (xml_writer.c).
 */
#ifndef EC2GW_PROTOCOL_XML_RENDER_H
#define EC2GW_PROTOCOL_XML_RENDER_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "protocol/ec2_model.h"

/**
 * Render a success document for @p op:
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <{Op}Response xmlns="http://ec2.amazonaws.com/doc/{version}/"><requestId>..</requestId>
 *   ...members in model order, by locationName; lists as wrapper + item children (the list
 *   member's locationName); booleans true/false; timestamps YYYY-MM-DDTHH:MM:SS.sssZ; null or
 *   absent members omitted, never an empty element for a non-string scalar...
 *   </{Op}Response>
 * Operations without output (or only Return) get <return>true</return>. Members of the model
 * JSON that the shape does not have are dropped and reported in @p err->msg (code 0 = clean).
 *
 * @p model is borrowed (NULL = empty). *out: returns new (free()), *len its length.
 */
int ec2gw_xml_render(const ec2gw_model_op_t *op, const char *version, const char *request_id,
                     const json_t *model, char **out, size_t *len, ec2gw_err_t *err);

/** A kept item's bytes placed in a document by reference: they go before buf[at]. */
typedef struct ec2gw_xml_ref {
    size_t at;   /**< offset in the document's own buffer */
    json_t *str; /**< the item's bytes (a reference held until the document is freed) */
} ec2gw_xml_ref_t;

/**
 * A rendered document in pieces: its own bytes (buf, len), with the bytes of kept items
 * (render_item) between them by reference, not copied. A 1 000-instance answer is megabytes
 * of kept XML: copying it into a fresh buffer per answer costs more (page faults) than making
 * it did.
 */
typedef struct ec2gw_xml_doc {
    char *buf;
    size_t len;
    ec2gw_xml_ref_t *refs; /**< ascending `at` */
    size_t nrefs;
} ec2gw_xml_doc_t;

/**
 * ec2gw_xml_render() into @p doc: the same bytes, with kept items of at least
 * EC2GW_XML_REF_MIN bytes by reference. Free with ec2gw_xml_doc_free().
 */
int ec2gw_xml_render_doc(const ec2gw_model_op_t *op, const char *version, const char *request_id,
                         const json_t *model, ec2gw_xml_doc_t *doc, ec2gw_err_t *err);
/** Kept items shorter than this are copied (a reference costs an evbuffer chain). */
#define EC2GW_XML_REF_MIN 256
/** The document's bytes in order into one new buffer (tests; free()). */
int ec2gw_xml_doc_flatten(const ec2gw_xml_doc_t *doc, char **out, size_t *len);
/** Release @p doc's buffer and references (NULL or zeroed: nothing). */
void ec2gw_xml_doc_free(ec2gw_xml_doc_t *doc);

/** The keys of an item rendered ahead (ec2gw_xml_render_item): its bytes and shape name. */
#define EC2GW_XML_ITEM_BYTES "$xml"
#define EC2GW_XML_ITEM_SHAPE "$shape"

/**
 * Render @p item (borrowed), a value of the structure at @p path of @p op's output (member
 * names joined by '.', lists stepped into: "Reservations.Instances" is an Instance of
 * DescribeInstances), as ec2gw_xml_render writes its members, into *out: returns new
 * {"$xml": the bytes, "$shape": the shape's name}. Put in a model where a value of that shape
 * goes, ec2gw_xml_render writes those bytes inside the element instead of walking a model
 * (byte for byte the same document), so a plugin can keep an item's XML across requests.
 * Members dropped are reported in @p err->msg as by ec2gw_xml_render (code 0 = clean).
 * EC2GW_E_NOTFOUND for a path without a structure there, EC2GW_E_INVAL for a non-object.
 */
int ec2gw_xml_render_item(const ec2gw_model_op_t *op, const char *path, const json_t *item,
                          json_t **out, ec2gw_err_t *err);

/**
 * Render the compact error document
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors>
 *   <RequestID>..</RequestID></Response>
 * with no whitespace between tags. *out: returns new (free()).
 */
int ec2gw_xml_error(const char *code, const char *message, const char *request_id, char **out,
                    size_t *len);

/** Buffer size for the ec2gw_xml_timestamp* functions: "YYYY-MM-DDTHH:MM:SS.sssZ" plus NUL. */
#define EC2GW_XML_TIMESTAMP_SIZE 32

/**
 * Normalise a timestamp string to EC2's YYYY-MM-DDTHH:MM:SS.sssZ (UTC, milliseconds, section
 * 3.4). Accepts the OpenStack variants: 'T' or ' ' between date and time, optional fraction
 * (truncated to milliseconds), and 'Z', +HH:MM, +HHMM, +HH or nothing (UTC) as the zone.
 * Writes @p out (caller's buffer). Returns 0, or EC2GW_E_INVAL when @p in is not one of those.
 */
int ec2gw_xml_timestamp(const char *in, char out[EC2GW_XML_TIMESTAMP_SIZE]);

/** As ec2gw_xml_timestamp for seconds since the epoch (years 0000-9999). */
int ec2gw_xml_timestamp_epoch(double secs, char out[EC2GW_XML_TIMESTAMP_SIZE]);

#endif
