/*
 * fuzz_query.c - the query/form decoder: a form body (as a client sends it) is split into
 * pairs, then decoded against the operation it names (or one picked from the input) by the
 * EC2 model, as intake and request.c do before the signature check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/kv.h"
#include "protocol/ec2_model.h"
#include "protocol/query_decode.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ec2gw_kvlist_t params = { 0 };
    const ec2gw_model_op_t *op;
    ec2gw_fault_t fault = { 0 };
    const char *action;
    json_t *out = NULL;
    unsigned h = 0;

    if (ec2gw_kvlist_parse_form(&params, (const char *)data, size) != 0)
        goto done;
    action = ec2gw_kvlist_get(&params, "Action");
    op = action != NULL ? ec2gw_model_op(model, action) : NULL;
    if (op == NULL) {
        /* no known Action: any operation, so every shape sees random parameters */
        for (size_t i = 0; i < size && i < 16; i++)
            h = h * 31 + data[i];
        op = ec2gw_model_op(model, ec2gw_model_op_name_at(model, h % ec2gw_model_op_count(model)));
    }
    if (ec2gw_query_decode(op, &params, &out, &fault) == 0 && out == NULL)
        abort();
    json_decref(out);
done:
    ec2gw_kvlist_free(&params);
    return 0;
}
