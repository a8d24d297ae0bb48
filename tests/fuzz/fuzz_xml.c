/*
 * fuzz_xml.c - the XML renderer: a JSON response model (random, or mutated from models
 * generated from the EC2 model's output shapes) rendered for an operation picked by the first
 * input line ("DescribeInstances\n{...}"), and the error document with random code/message.
 * The output must be well-formed XML (checked with libxml2).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "protocol/ec2_model.h"
#include "protocol/xml_render.h"

static ec2gw_model_t *model;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (ec2gw_model_load(EC2GW_FUZZ_MODEL, &model, NULL) != 0)
        abort();
    return 0;
}

static void
quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* The renderer must never produce a document libxml2 cannot read. */
static void
check_xml(const char *xml, size_t len)
{
    xmlDocPtr doc;

    xmlSetGenericErrorFunc(NULL, quiet);
    doc = xmlReadMemory(xml, (int)len, "fuzz.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (doc == NULL)
        abort();
    xmlFreeDoc(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *lf = memchr(p, '\n', size);
    char name[128], *out = NULL;
    const ec2gw_model_op_t *op;
    ec2gw_err_t err = { 0 };
    json_t *m;
    size_t len = 0;

    if (lf == NULL || (size_t)(lf - p) >= sizeof(name))
        return 0;
    memcpy(name, p, (size_t)(lf - p));
    name[lf - p] = '\0';
    op = ec2gw_model_op(model, name);
    if (op == NULL)
        op = ec2gw_model_op(model, ec2gw_model_op_name_at(model, (size_t)(lf - p) * 7 %
                                                                     ec2gw_model_op_count(model)));
    m = json_loadb(lf + 1, size - (size_t)(lf - p) - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (m != NULL && ec2gw_xml_render(op, "2016-11-15", "fuzz-req", m, &out, &len, &err) == 0) {
        check_xml(out, len);
        free(out);
        out = NULL;
    }
    if (json_is_object(m) && json_object_size(m) > 0) {
        const char *k = json_object_iter_key(json_object_iter(m));
        const char *v = json_string_value(json_object_iter_value(json_object_iter(m)));

        if (v != NULL && ec2gw_xml_error(k, v, name, &out, &len) == 0) {
            check_xml(out, len);
            free(out);
        }
    }
    json_decref(m);
    return 0;
}
