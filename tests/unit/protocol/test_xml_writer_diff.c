/*
 * test_xml_writer_diff.c - the renderer's own writer (xml_writer.c) writes byte for byte what
 * libxml2's xmlTextWriter wrote before it (issue 15: answers must not change): random element
 * trees, texts full of what escaping touches (< > & " ' CR LF TAB, multi-byte UTF-8, empty),
 * the xmlns attribute with odd versions, and whole rendered answers of the EC2 model.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/xmlwriter.h>

#include "protocol/xml_render.h"
#include "protocol/xml_render_priv.h"

#define XC(s) ((const xmlChar *)(s))

/* The two writers side by side, fed the same calls. */
struct pair {
    ec2gw_xml_t mine;
    xmlBufferPtr buf;
    xmlTextWriterPtr ref;
};

static void
p_begin(struct pair *p)
{
    assert_int_equal(ec2gw_xml_begin(&p->mine, NULL), 0);
    p->buf = xmlBufferCreate();
    p->ref = xmlNewTextWriterMemory(p->buf, 0);
    assert_true(xmlTextWriterStartDocument(p->ref, "1.0", "UTF-8", NULL) >= 0);
}

static void
p_start(struct pair *p, const char *name)
{
    ec2gw_xml_start(&p->mine, name);
    assert_true(xmlTextWriterStartElement(p->ref, XC(name)) >= 0);
}

static void
p_end(struct pair *p)
{
    ec2gw_xml_end(&p->mine);
    assert_true(xmlTextWriterEndElement(p->ref) >= 0);
}

static void
p_attr(struct pair *p, const char *name, const char *value)
{
    ec2gw_xml_attr(&p->mine, name, value);
    assert_true(xmlTextWriterWriteAttribute(p->ref, XC(name), XC(value)) >= 0);
}

/* @p text must be clean (valid UTF-8 XML characters): cleaning is not the writer's part. */
static void
p_text(struct pair *p, const char *name, const char *text)
{
    ec2gw_xml_text(&p->mine, name, text);
    assert_true(xmlTextWriterWriteElement(p->ref, XC(name), XC(text)) >= 0);
}

static void
p_finish_equal(struct pair *p)
{
    char *out = NULL;
    size_t len = 0;

    assert_int_equal(ec2gw_xml_finish(&p->mine, &out, &len), 0);
    assert_true(xmlTextWriterEndDocument(p->ref) >= 0);
    xmlFreeTextWriter(p->ref);
    if (len != (size_t)xmlBufferLength(p->buf) || memcmp(out, xmlBufferContent(p->buf), len) != 0)
        fprintf(stderr, "mine:\n%s\nlibxml2:\n%s\n", out, (const char *)xmlBufferContent(p->buf));
    assert_int_equal(len, (size_t)xmlBufferLength(p->buf));
    assert_memory_equal(out, xmlBufferContent(p->buf), len);
    assert_int_equal(out[len], '\0');
    xmlBufferFree(p->buf);
    free(out);
}

static const char *const pieces[] = {
    "a",  "Z",  "0",  " ",     "<",   ">", "&", "\"",  "'",
    "\r", "\n", "\t", "&amp;", "]]>", "é", "€", "😀",   "\xEF\xBF\xBD",
    "=",  "/",  "\\", "?",     ";",   "#", "%", "-->", "<!--",
    "x",
};
static const char *const names[] = { "item", "instanceId", "tagSet", "groupSet", "a", "reason" };

static unsigned
rnd(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static void
random_text(unsigned *seed, char *out, size_t cap)
{
    size_t n = rnd(seed) % 12, len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *pc = pieces[rnd(seed) % (sizeof(pieces) / sizeof(pieces[0]))];

        if (len + strlen(pc) + 1 > cap)
            break;
        memcpy(out + len, pc, strlen(pc) + 1);
        len += strlen(pc);
    }
}

static void
random_tree(struct pair *p, unsigned *seed, int depth)
{
    size_t n = rnd(seed) % 5;
    char text[128];

    for (size_t i = 0; i < n; i++) {
        const char *name = names[rnd(seed) % (sizeof(names) / sizeof(names[0]))];

        switch (depth < 6 ? rnd(seed) % 3 : 0) {
        case 0:
            random_text(seed, text, sizeof(text));
            p_text(p, name, text);
            break;
        case 1: /* an element with nothing in it */
            p_start(p, name);
            p_end(p);
            break;
        default:
            p_start(p, name);
            random_tree(p, seed, depth + 1);
            p_end(p);
        }
    }
}

static void
random_documents_match_libxml2(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 2000; i++) {
        unsigned seed = i;
        struct pair p;
        char version[64];

        p_begin(&p);
        p_start(&p, "DescribeInstancesResponse");
        random_text(&seed, version, sizeof(version));
        if (i % 2 == 0)
            p_attr(&p, "xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/");
        else
            p_attr(&p, "xmlns", version);
        random_tree(&p, &seed, 0);
        if (i % 3 != 0) /* EndDocument closes what is still open */
            p_end(&p);
        p_finish_equal(&p);
    }
}

static void
error_document_matches_libxml2(void **state)
{
    const char *msg = "Value (<x> & \"y\") for parameter\r\n is invalid é";
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
    char *doc = NULL;
    size_t len = 0;

    (void)state;
    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
    xmlTextWriterStartElement(w, XC("Response"));
    xmlTextWriterStartElement(w, XC("Errors"));
    xmlTextWriterStartElement(w, XC("Error"));
    xmlTextWriterWriteElement(w, XC("Code"), XC("InvalidParameterValue"));
    xmlTextWriterWriteElement(w, XC("Message"), XC(msg));
    xmlTextWriterEndElement(w);
    xmlTextWriterEndElement(w);
    xmlTextWriterWriteElement(w, XC("RequestID"), XC(""));
    xmlTextWriterEndElement(w);
    xmlTextWriterEndDocument(w);
    xmlFreeTextWriter(w);
    assert_int_equal(ec2gw_xml_error("InvalidParameterValue", msg, "", &doc, &len), 0);
    assert_int_equal(len, (size_t)xmlBufferLength(buf));
    assert_memory_equal(doc, xmlBufferContent(buf), len);
    xmlBufferFree(buf);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_documents_match_libxml2),
        cmocka_unit_test(error_document_matches_libxml2),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
