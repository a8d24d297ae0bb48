/*
 * config_yaml.c - libyaml events to an ec2gw_conf_node_t tree that remembers file and line.
 *
 * We read events, not libyaml's document API: the loader resolves aliases silently and fills
 * in default tags, so it cannot tell us that a file used `&anchor`, `*alias` or `!!tag`. The
 * configuration language is deliberately plain YAML: every value is written where it applies.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config/config_priv.h"

struct yload {
    yaml_parser_t parser;
    yaml_event_t ev; /**< the current event, valid while have_ev */
    int have_ev;
    ec2gw_conf_set_t *set;
    const char *file;
    ec2gw_err_t *err;
};

/** Children of a map or sequence being read; handed to the set when complete. */
struct build {
    int is_map;
    size_t n;
    size_t cap;
    const char **keys;
    int *lines;
    ec2gw_conf_node_t **items;
};

static int parse_node(struct yload *ld, int depth, ec2gw_conf_node_t **out);

static int
ev_line(const struct yload *ld)
{
    return (int)ld->ev.start_mark.line + 1;
}

static int
syntax_error(struct yload *ld)
{
    const yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";

    if (p->error == YAML_MEMORY_ERROR)
        return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory reading YAML", ld->file);
    /* Reader errors (bad UTF-8, control characters) carry a byte offset, not a mark. */
    if (p->error == YAML_READER_ERROR)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL, "%s: byte %zu: %s", ld->file,
                             p->problem_offset, problem);
    if (p->context != NULL)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                             "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)", ld->file,
                             p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                             p->context, p->context_mark.line + 1);
    return ec2gw_err_set(ld->err, EC2GW_E_INVAL, "%s:%zu:%zu: YAML syntax error: %s", ld->file,
                         p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

static int
next_event(struct yload *ld)
{
    if (ld->have_ev) {
        yaml_event_delete(&ld->ev);
        ld->have_ev = 0;
    }
    if (!yaml_parser_parse(&ld->parser, &ld->ev))
        return syntax_error(ld);
    ld->have_ev = 1;
    return 0;
}

/** Refuse `&anchor` and `!tag` on the current node. */
static int
check_props(struct yload *ld, const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor != NULL)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                             "%s:%d: anchors (&%s) are not supported; write the value out",
                             ld->file, ev_line(ld), (const char *)anchor);
    if (tag != NULL)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                             "%s:%d: YAML tags (%s) are not supported; quote the value instead",
                             ld->file, ev_line(ld), (const char *)tag);
    return 0;
}

static ec2gw_conf_node_t *
new_node(struct yload *ld, ec2gw_conf_type_t type)
{
    ec2gw_conf_node_t *node = ec2gw_conf_alloc(ld->set, sizeof(*node));

    if (node == NULL)
        return NULL;
    node->type = type;
    node->file = ld->file;
    node->line = ev_line(ld);
    return node;
}

/** *out = a copy of the current scalar event's text, owned by the set. */
static int
scalar_text(struct yload *ld, const char **out)
{
    const char *v = (const char *)ld->ev.data.scalar.value;
    size_t len = ld->ev.data.scalar.length;

    /* "\0" is valid YAML, but every consumer of a setting is a C string. */
    if (memchr(v, '\0', len) != NULL)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL, "%s:%d: NUL characters are not allowed",
                             ld->file, ev_line(ld));
    *out = ec2gw_conf_strndup(ld->set, v, len);
    if (*out == NULL)
        return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory", ld->file);
    return 0;
}

static int
build_push(struct yload *ld, struct build *b, const char *key, int line, ec2gw_conf_node_t *item)
{
    if (b->n == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 8;
        ec2gw_conf_node_t **items = realloc(b->items, cap * sizeof(ec2gw_conf_node_t *));

        if (items == NULL)
            goto nomem;
        b->items = items;
        if (b->is_map) {
            const char **keys = realloc(b->keys, cap * sizeof(*keys));

            if (keys == NULL)
                goto nomem;
            b->keys = keys;
            int *lines = realloc(b->lines, cap * sizeof(*lines));

            if (lines == NULL)
                goto nomem;
            b->lines = lines;
        }
        b->cap = cap;
    }
    if (b->is_map) {
        b->keys[b->n] = key;
        b->lines[b->n] = line;
    }
    b->items[b->n++] = item;
    return 0;

nomem:
    return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory", ld->file);
}

/** Move the arrays of @p b into @p node and the set; @p b keeps what was not moved. */
static int
build_finish(struct yload *ld, struct build *b, ec2gw_conf_node_t *node)
{
    node->n = b->n;
    if (b->n == 0)
        return 0;
    if (ec2gw_conf_keep(ld->set, b->items) != 0)
        goto nomem_items;
    node->items = b->items;
    b->items = NULL;
    if (!b->is_map)
        return 0;
    if (ec2gw_conf_keep(ld->set, b->keys) != 0)
        goto nomem_keys;
    node->keys = b->keys;
    b->keys = NULL;
    if (ec2gw_conf_keep(ld->set, b->lines) != 0)
        goto nomem_lines;
    node->key_lines = b->lines;
    b->lines = NULL;
    return 0;

    /* ec2gw_conf_keep() freed the block it could not register. */
nomem_items:
    b->items = NULL;
    return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory", ld->file);
nomem_keys:
    b->keys = NULL;
    return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory", ld->file);
nomem_lines:
    b->lines = NULL;
    return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory", ld->file);
}

static void
build_free(struct build *b)
{
    free(b->items);
    free(b->keys);
    free(b->lines);
}

/** Read the current event as a key of @p b: a non-empty scalar not seen before. */
static int
read_key(struct yload *ld, const struct build *b, const char **key)
{
    int rc;

    if (ld->ev.type != YAML_SCALAR_EVENT)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                             "%s:%d: keys must be plain strings, not a mapping or sequence",
                             ld->file, ev_line(ld));
    rc = check_props(ld, ld->ev.data.scalar.anchor, ld->ev.data.scalar.tag);
    if (rc != 0)
        return rc;
    if (ld->ev.data.scalar.length == 0)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL, "%s:%d: empty key", ld->file, ev_line(ld));
    rc = scalar_text(ld, key);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->keys[i], *key) == 0)
            return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                                 "%s:%d: duplicate key '%s' (first at line %d)", ld->file,
                                 ev_line(ld), *key, b->lines[i]);
    }
    return 0;
}

/** Read the children of the map or sequence whose start event is current. */
static int
parse_children(struct yload *ld, int depth, ec2gw_conf_node_t *node)
{
    struct build b = { .is_map = node->type == EC2GW_CONF_MAP };
    yaml_event_type_t end = b.is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    int rc;

    for (;;) {
        const char *key = NULL;
        int line = 0;
        ec2gw_conf_node_t *item = NULL;

        rc = next_event(ld);
        if (rc != 0 || ld->ev.type == end)
            break;
        if (b.is_map) {
            line = ev_line(ld);
            rc = read_key(ld, &b, &key);
            if (rc == 0)
                rc = next_event(ld);
            if (rc != 0)
                break;
        }
        rc = parse_node(ld, depth + 1, &item);
        if (rc == 0)
            rc = build_push(ld, &b, key, line, item);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = build_finish(ld, &b, node);
    build_free(&b);
    return rc;
}

/** Turn the current event, which starts a node, into *out. */
static int
parse_node(struct yload *ld, int depth, ec2gw_conf_node_t **out)
{
    const yaml_event_t *ev = &ld->ev;
    ec2gw_conf_node_t *node;
    int rc;

    if (depth > EC2GW_CONF_MAX_DEPTH)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL, "%s:%d: nested deeper than %d levels",
                             ld->file, ev_line(ld), EC2GW_CONF_MAX_DEPTH);
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        rc = check_props(ld, ev->data.scalar.anchor, ev->data.scalar.tag);
        if (rc != 0)
            return rc;
        node = new_node(ld, EC2GW_CONF_SCALAR);
        if (node == NULL)
            break;
        /* Block scalars (| and >) count as quoted too: they are always strings. */
        node->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        rc = scalar_text(ld, &node->value);
        if (rc == 0)
            *out = node;
        return rc;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (ev->type == YAML_SEQUENCE_START_EVENT)
            rc = check_props(ld, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
        else
            rc = check_props(ld, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
        if (rc != 0)
            return rc;
        node = new_node(ld, ev->type == YAML_MAPPING_START_EVENT ? EC2GW_CONF_MAP : EC2GW_CONF_SEQ);
        if (node == NULL)
            break;
        *out = node;
        return parse_children(ld, depth, node);
    case YAML_ALIAS_EVENT:
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                             "%s:%d: aliases (*%s) are not supported; write the value out",
                             ld->file, ev_line(ld), (const char *)ev->data.alias.anchor);
    default:
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL, "%s:%d: unexpected YAML event %d", ld->file,
                             ev_line(ld), (int)ev->type);
    }
    return ec2gw_err_set(ld->err, EC2GW_E_NOMEM, "%s: out of memory", ld->file);
}

/** STREAM-START [DOCUMENT-START node DOCUMENT-END] STREAM-END; one document at most. */
static int
parse_stream(struct yload *ld, ec2gw_conf_node_t **out)
{
    int rc = next_event(ld);

    if (rc == 0)
        rc = next_event(ld);
    if (rc != 0 || ld->ev.type == YAML_STREAM_END_EVENT)
        return rc;
    rc = next_event(ld);
    if (rc == 0)
        rc = parse_node(ld, 0, out);
    if (rc == 0)
        rc = next_event(ld); /* DOCUMENT-END */
    if (rc == 0)
        rc = next_event(ld);
    if (rc == 0 && ld->ev.type == YAML_DOCUMENT_START_EVENT)
        return ec2gw_err_set(ld->err, EC2GW_E_INVAL,
                             "%s:%d: more than one YAML document (---) in one file", ld->file,
                             ev_line(ld));
    return rc;
}

int
ec2gw_conf_parse(ec2gw_conf_set_t *set, const char *text, size_t len, const char *file,
                 ec2gw_conf_node_t **out, ec2gw_err_t *err)
{
    struct yload ld = { .set = set, .file = file, .err = err };
    int rc;

    *out = NULL;
    if (!yaml_parser_initialize(&ld.parser))
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "%s: out of memory", file);
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)text, len);
    rc = parse_stream(&ld, out);
    if (ld.have_ev)
        yaml_event_delete(&ld.ev);
    yaml_parser_delete(&ld.parser);
    if (rc != 0)
        *out = NULL;
    return rc;
}
