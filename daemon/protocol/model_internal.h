/*
 * model_internal.h - the loaded EC2 model's tables, shared by the protocol subsystem's files
 * (ec2_model.c builds them; query_decode.c and xml_render.c read them). Not for other
 * subsystems: they use ec2_model.h.
 *
 * Everything here lives in the model's arena and is valid until ec2gw_model_free().
 */
#ifndef EC2GW_PROTOCOL_MODEL_INTERNAL_H
#define EC2GW_PROTOCOL_MODEL_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "protocol/ec2_model.h"
#include "protocol/model_arena.h"

typedef enum ec2gw_mtype {
    EC2GW_MT_STRING,
    EC2GW_MT_INTEGER,
    EC2GW_MT_LONG,
    EC2GW_MT_DOUBLE,
    EC2GW_MT_FLOAT,
    EC2GW_MT_BOOLEAN,
    EC2GW_MT_TIMESTAMP,
    EC2GW_MT_BLOB,
    EC2GW_MT_LIST,
    EC2GW_MT_STRUCTURE,
    EC2GW_MT_MAP, /**< none in the EC2 model; treated as an opaque structure without members */
} ec2gw_mtype_t;

typedef struct ec2gw_mshape ec2gw_mshape_t;

/** One member of a structure shape, with its names precomputed. */
typedef struct ec2gw_mmember {
    const char *name;            /**< SDK member name: the JSON key */
    const char *wire;            /**< query wire name (queryName / LocationName / name) */
    const char *xml;             /**< response element name (locationName, else name) */
    size_t wire_len;             /**< strlen(wire) */
    const ec2gw_mshape_t *shape; /**< target shape */
    unsigned char required;      /**< listed in the structure's "required" */
    unsigned char idempotency;   /**< idempotencyToken */
} ec2gw_mmember_t;

/** A shape. Structures carry their members twice: in model order and sorted by wire name. */
struct ec2gw_mshape {
    const char *name;
    ec2gw_mtype_t type;
    const ec2gw_mshape_t *elem;      /**< lists: element shape */
    const char *elem_xml;            /**< lists: element name in responses ("item" mostly) */
    const ec2gw_mmember_t *members;  /**< structures: model order */
    const ec2gw_mmember_t **by_wire; /**< structures: sorted by wire name (bsearch) */
    size_t nmembers;
};

/** One operation. */
struct ec2gw_model_op {
    const char *name;
    const char *response_elem;      /**< "{name}Response" */
    const ec2gw_mshape_t *input;    /**< NULL when the model has none */
    const ec2gw_mshape_t *output;   /**< NULL when the model has none */
    const char *idempotency_member; /**< NULL when none */
    int returns_true;               /**< no output, or output is only Return */
    int has_max_results;            /**< max_results known */
    int max_results_min, max_results_max;
    ec2gw_model_paginator_t paginator; /**< input_token NULL when not paginated */
};

/** Member of structure @p s whose wire name is the @p len bytes at @p seg, or NULL. */
const ec2gw_mmember_t *ec2gw_model_member_by_wire(const ec2gw_mshape_t *s, const char *seg,
                                                  size_t len);

/** Member of structure @p s named @p name (SDK name), or NULL. Linear: for slow paths. */
const ec2gw_mmember_t *ec2gw_model_member_by_name(const ec2gw_mshape_t *s, const char *name);

/**
 * Build every shape of the model's "shapes" object (@p shapes, borrowed) into @p a, and index
 * them by name in @p byname (initialised here). Strings are copied: @p shapes may be freed
 * afterwards. Returns 0, or a negative code with @p err naming the offending shape.
 */
int ec2gw_model_build_shapes(ec2gw_arena_t *a, json_t *shapes, ec2gw_strmap_t *byname,
                             ec2gw_err_t *err);

/** 1 for the scalar types (everything but list, structure and map). */
static inline int
ec2gw_mtype_is_scalar(ec2gw_mtype_t t)
{
    return t != EC2GW_MT_LIST && t != EC2GW_MT_STRUCTURE && t != EC2GW_MT_MAP;
}

#endif
