/*
 * tags_sql.c - a DescribeTags query as SQL text and parameters: exact filter values become
 * "=" or IN, EC2 wildcards GLOB, resource-type the id shapes of its kinds, a page a keyset
 * bound and LIMIT. Filter values are always bound parameters: the text holds only column
 * and index names and the id kinds of tags.c's table. The MySQL dialect writes LIKE for
 * GLOB and REGEXP for the id shapes, and leaves index choice to the server.
 */
#include "data/tags_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "data/filters.h"

/* Values of one filter bound one by one up to this many, beyond as one JSON array parameter:
 * SQLite allows 32 766 parameters and a 1 MB request can carry more values. */
#define INLINE_MAX 32

/* An id's hex part: 8 or 17 lowercase hex digits (ec2gw_id_parse). */
#define HEX1  "[0-9a-f]"
#define HEX8  HEX1 HEX1 HEX1 HEX1 HEX1 HEX1 HEX1 HEX1
#define HEX17 HEX8 HEX8 HEX1

/* A statement being built: its text and the parameters ?2, ?3, ... (?1 is the project). */
typedef struct qb {
    sqlite3_str *sql;
    int mysql;   /* MySQL dialect: LIKE and REGEXP, `key` quoted, lists always inline */
    char **bind; /* sqlite3_malloc'd */
    int nbind, cap;
    int nomem;
} qb_t;

static const char *const filter_names[] = {
    "key", "tag-key", "value", "tag-value", "resource-id", "resource-type",
};

int
ec2gw_tags_filter_known(const char *name)
{
    if (name == NULL)
        return 0;
    if (strncmp(name, "tag:", 4) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(filter_names) / sizeof(filter_names[0]); i++)
        if (strcmp(name, filter_names[i]) == 0)
            return 1;
    return 0;
}

/* Take @p s (sqlite3_malloc'd, NULL when that failed) as the next parameter: its number. */
static int
qb_param(qb_t *b, char *s)
{
    if (s != NULL && b->nbind == b->cap) {
        int cap = b->cap * 2 + 8;
        char **p = realloc(b->bind, (size_t)cap * sizeof(*p));

        if (p == NULL) {
            sqlite3_free(s);
            s = NULL;
        } else {
            b->bind = p;
            b->cap = cap;
        }
    }
    if (s == NULL) {
        b->nomem = 1; /* the statement is not run */
        return 0;
    }
    b->bind[b->nbind++] = s;
    return b->nbind + 1;
}

static int
qb_param_copy(qb_t *b, const char *s)
{
    return qb_param(b, sqlite3_mprintf("%s", s));
}

/* A JSON array of @p values (borrowed strings) as one parameter, for json_each. */
static int
qb_param_json(qb_t *b, json_t *values)
{
    char *text = values != NULL ? ec2gw_json_dumps(values, JSON_COMPACT) : NULL;
    int p = text != NULL ? qb_param_copy(b, text) : qb_param(b, NULL);

    free(text);
    return p;
}

/* "tags.<col>" in the statement's dialect (`key` is reserved in MySQL). */
static void
qb_col(qb_t *b, const char *col)
{
    sqlite3_str_appendf(b->sql, b->mysql ? "tags.`%s`" : "tags.%s", col);
}

/*
 * EC2 wildcard → MySQL LIKE pattern (sqlite3_malloc'd): '*' → '%', '?' → '_' (one character
 * of the column's character set); '%', '_' and '\' meant literally are escaped with '\'.
 */
static char *
like_of(const char *p)
{
    sqlite3_str *s = sqlite3_str_new(NULL);

    for (; *p != '\0'; p++) {
        char c = *p;

        if (c == '*' || c == '?') {
            sqlite3_str_appendchar(s, 1, c == '*' ? '%' : '_');
            continue;
        }
        if (c == '\\' && p[1] != '\0')
            c = *++p;
        if (c == '%' || c == '_' || c == '\\')
            sqlite3_str_appendchar(s, 1, '\\');
        sqlite3_str_appendchar(s, 1, c);
    }
    return sqlite3_str_finish(s);
}

/* Exact values compare with strcmp in ec2gw_filter_apply; the rest are wildcards. */
static int
is_plain(const char *s)
{
    return strpbrk(s, "*?\\") == NULL;
}

/*
 * EC2 wildcard → GLOB pattern (sqlite3_malloc'd). '*' and '?' (one UTF-8 character in both)
 * keep their meaning. GLOB has no escape character: "\c", and '*', '?', '[' meant literally,
 * become the one-character class "[c]"; a trailing lone '\' is itself, as in
 * ec2gw_wildcard_match.
 */
static char *
glob_of(const char *p)
{
    sqlite3_str *s = sqlite3_str_new(NULL);

    for (; *p != '\0'; p++) {
        char c = *p;

        if (c == '*' || c == '?') {
            sqlite3_str_appendchar(s, 1, c);
            continue;
        }
        if (c == '\\' && p[1] != '\0')
            c = *++p;
        if (c == '*' || c == '?' || c == '[')
            sqlite3_str_appendf(s, "[%c]", c);
        else
            sqlite3_str_appendchar(s, 1, c);
    }
    return sqlite3_str_finish(s);
}

/* 1 when a value of @p values (strings) matches @p s as ec2gw_filter_apply compares. */
static int
values_match(const json_t *values, const char *s)
{
    size_t i;
    const json_t *v;

    json_array_foreach(values, i, v)
    {
        const char *p = json_string_value(v);

        if (p != NULL && (is_plain(p) ? strcmp(p, s) == 0 : ec2gw_wildcard_match(p, s)))
            return 1;
    }
    return 0;
}

/* Opens the filter's parenthesis, then " OR " between its terms. */
static void
qb_or(qb_t *b, int *terms)
{
    sqlite3_str_appendall(b->sql, (*terms)++ > 0 ? " OR " : "(");
}

static void
qb_exact(qb_t *b, const char *col, const json_t *values, size_t n, int *terms)
{
    json_t *list = json_array();
    size_t i;
    const json_t *v;
    int p;

    json_array_foreach(values, i, v)
    {
        if (is_plain(json_string_value(v)) &&
            json_array_append_new(list, json_string(json_string_value(v))) != 0)
            b->nomem = 1;
    }
    qb_or(b, terms);
    if (n == 1) {
        p = qb_param_copy(b, json_string_value(json_array_get(list, 0)));
        qb_col(b, col);
        sqlite3_str_appendf(b->sql, " = ?%d", p);
    } else if (n <= INLINE_MAX || b->mysql) {
        qb_col(b, col);
        sqlite3_str_appendall(b->sql, " IN (");
        json_array_foreach(list, i, v)
        {
            p = qb_param_copy(b, json_string_value(v));
            sqlite3_str_appendf(b->sql, "%s?%d", i > 0 ? ", " : "", p);
        }
        sqlite3_str_appendall(b->sql, ")");
    } else {
        p = qb_param_json(b, list);
        sqlite3_str_appendf(b->sql, "tags.%s IN (SELECT j.value FROM json_each(?%d) AS j)", col, p);
    }
    json_decref(list);
}

static void
qb_wild(qb_t *b, const char *col, const json_t *values, size_t n, int *terms)
{
    json_t *list = n > INLINE_MAX && !b->mysql ? json_array() : NULL;
    size_t i;
    const json_t *v;

    json_array_foreach(values, i, v)
    {
        const char *s = json_string_value(v);
        char *g;

        if (is_plain(s))
            continue;
        g = b->mysql ? like_of(s) : glob_of(s);
        if (list == NULL) {
            int p = qb_param(b, g); /* takes g */

            qb_or(b, terms);
            qb_col(b, col);
            sqlite3_str_appendf(b->sql, b->mysql ? " LIKE ?%d" : " GLOB ?%d", p);
            continue;
        }
        if (g == NULL || json_array_append_new(list, json_string(g)) != 0)
            b->nomem = 1;
        sqlite3_free(g);
    }
    if (list != NULL) {
        int p = qb_param_json(b, list);

        qb_or(b, terms);
        sqlite3_str_appendf(b->sql,
                            "EXISTS (SELECT 1 FROM json_each(?%d) AS j WHERE tags.%s GLOB j.value)",
                            p, col);
        json_decref(list);
    }
}

/*
 * "Column @p col matches one of @p values". A NULL column (ec2-api's nullable value) reads
 * as "" (ec2gw_tags_list), so it matches when "" does.
 */
static int
qb_match(qb_t *b, const char *col, const json_t *values)
{
    size_t i, nexact = 0, nwild = 0;
    const json_t *v;
    int terms = 0, empty = 0;

    json_array_foreach(values, i, v)
    {
        const char *s = json_string_value(v);

        if (s == NULL)
            return EC2GW_E_INVAL;
        if (is_plain(s))
            nexact++;
        else
            nwild++;
        empty |= is_plain(s) ? *s == '\0' : ec2gw_wildcard_match(s, "");
    }
    if (nexact > 0)
        qb_exact(b, col, values, nexact, &terms);
    if (nwild > 0)
        qb_wild(b, col, values, nwild, &terms);
    if (empty) {
        qb_or(b, &terms);
        qb_col(b, col);
        sqlite3_str_appendall(b->sql, " IS NULL");
    }
    sqlite3_str_appendall(b->sql, ")");
    return 0;
}

/*
 * resource-type: the kinds whose resourceType a value matches, each as the ids that parse to
 * that kind ("<kind>-" and 8 or 17 hex digits): GLOB with a literal prefix, so SQLite turns
 * each into a range of the primary key. Kinds come from tags.c's table.
 */
static int
qb_types(qb_t *b, const json_t *values)
{
    const char *kind;
    size_t i;
    const json_t *v;
    int terms = 0;

    json_array_foreach(values, i, v)
    {
        if (!json_is_string(v))
            return EC2GW_E_INVAL;
    }
    for (i = 0; (kind = ec2gw_tags_kind(i)) != NULL; i++) {
        char id[32];
        const char *type;

        snprintf(id, sizeof(id), "%s-00000000", kind);
        if ((type = ec2gw_tags_resource_type(id)) == NULL || !values_match(values, type))
            continue;
        qb_or(b, &terms);
        if (b->mysql)
            sqlite3_str_appendf(b->sql, "tags.item_id REGEXP '^%q-([0-9a-f]{8}|[0-9a-f]{17})$'",
                                kind);
        else
            sqlite3_str_appendf(
                b->sql, "tags.item_id GLOB '%q-" HEX8 "' OR tags.item_id GLOB '%q-" HEX17 "'", kind,
                kind);
    }
    sqlite3_str_appendall(b->sql, terms > 0 ? ")" : "0");
    return 0;
}

/* 1 when every value is an exact, non-empty string: "=" or IN terms, no IS NULL. */
static int
all_exact(const json_t *values)
{
    size_t i;
    const json_t *v;

    json_array_foreach(values, i, v)
    {
        const char *s = json_string_value(v);

        if (s == NULL || *s == '\0' || !is_plain(s))
            return 0;
    }
    return json_array_size(values) > 0;
}

/*
 * The index to read. Without ANALYZE statistics SQLite takes "project_id = ?" for selective
 * and walks the primary key in (item_id, key) order to save a sort, i.e. reads every tag of
 * the project. An exact key (key, tag-key, tag:<k>) or value filter reads only its own
 * entries of ec2gw_tags_key_idx or ec2gw_tags_value_idx and sorts those. resource-id and
 * resource-type are probes and ranges of the primary key: the planner's own choice.
 */
static const char *
qb_index(const json_t *filters)
{
    const char *idx = "";
    size_t i;
    const json_t *f;

    json_array_foreach(filters, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "Name"));
        const json_t *values = json_object_get(f, "Values");

        if (name == NULL)
            continue;
        if (strcmp(name, "resource-id") == 0 || strcmp(name, "resource-type") == 0)
            return "";
        if (strncmp(name, "tag:", 4) == 0 ||
            ((strcmp(name, "key") == 0 || strcmp(name, "tag-key") == 0) && all_exact(values)))
            idx = " INDEXED BY ec2gw_tags_key_idx";
        else if (*idx == '\0' && (strcmp(name, "value") == 0 || strcmp(name, "tag-value") == 0) &&
                 all_exact(values))
            idx = " INDEXED BY ec2gw_tags_value_idx";
    }
    return idx;
}

static int
qb_filter(qb_t *b, const json_t *f, ec2gw_err_t *err)
{
    const char *name = json_string_value(json_object_get(f, "Name"));
    const json_t *values = json_object_get(f, "Values");
    int rc = EC2GW_E_INVAL;

    if (name == NULL || json_array_size(values) == 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "tags: a filter needs a name and values");
    sqlite3_str_appendall(b->sql, " AND ");
    if (strcmp(name, "key") == 0 || strcmp(name, "tag-key") == 0) {
        rc = qb_match(b, "key", values);
    } else if (strcmp(name, "value") == 0 || strcmp(name, "tag-value") == 0) {
        rc = qb_match(b, "value", values);
    } else if (strcmp(name, "resource-id") == 0) {
        rc = qb_match(b, "item_id", values);
    } else if (strcmp(name, "resource-type") == 0) {
        rc = qb_types(b, values);
    } else if (strncmp(name, "tag:", 4) == 0) {
        /* tag:<k> on DescribeTags: the tags with key <k> whose value matches */
        int p = qb_param_copy(b, name + 4);

        sqlite3_str_appendall(b->sql, "(");
        qb_col(b, "key");
        sqlite3_str_appendf(b->sql, " = ?%d AND ", p);
        rc = qb_match(b, "value", values);
        sqlite3_str_appendall(b->sql, ")");
    }
    return rc == 0 ? 0 : ec2gw_err_set(err, rc, "tags: invalid filter '%s'", name);
}

/* The page: after the last (item_id, key) returned, in primary-key order, LIMIT. */
static void
qb_page(qb_t *b, const ec2gw_tags_query_t *q)
{
    if (q->after_id != NULL) {
        int pid = qb_param_copy(b, q->after_id);

        if (q->after_key != NULL) {
            int pkey = qb_param_copy(b, q->after_key);

            sqlite3_str_appendf(b->sql, " AND (tags.item_id, %s) > (?%d, ?%d)",
                                b->mysql ? "tags.`key`" : "tags.key", pid, pkey);
        } else {
            sqlite3_str_appendf(b->sql, " AND tags.item_id >= ?%d", pid);
        }
    }
    sqlite3_str_appendall(b->sql, b->mysql ? " ORDER BY tags.item_id, tags.`key`"
                                           : " ORDER BY tags.item_id, tags.key");
    if (q->limit >= 0)
        sqlite3_str_appendf(b->sql, " LIMIT %lld", q->limit);
}

int
ec2gw_tags_sql_build(const ec2gw_tags_query_t *q, ec2gw_tags_sql_t *out, ec2gw_err_t *err)
{
    return ec2gw_tags_sql_build_for(q, 0, out, err);
}

int
ec2gw_tags_sql_build_for(const ec2gw_tags_query_t *q, int mysql, ec2gw_tags_sql_t *out,
                         ec2gw_err_t *err)
{
    qb_t b = { .sql = sqlite3_str_new(NULL), .mysql = mysql };
    size_t i;
    const json_t *f;
    int rc = 0;

    /* the index names come from db_schema.c's migration 2 */
    sqlite3_str_appendf(b.sql,
                        "SELECT tags.item_id, %s, tags.value FROM tags%s"
                        " WHERE tags.project_id = ?1",
                        mysql ? "tags.`key`" : "tags.key", mysql ? "" : qb_index(q->filters));
    json_array_foreach(q->filters, i, f)
    {
        if ((rc = qb_filter(&b, f, err)) != 0)
            break;
    }
    qb_page(&b, q);
    out->sql = sqlite3_str_finish(b.sql);
    out->bind = b.bind;
    out->nbind = b.nbind;
    if (rc == 0 && (out->sql == NULL || b.nomem))
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "db: out of memory");
    if (rc != 0)
        ec2gw_tags_sql_free(out);
    return rc;
}

void
ec2gw_tags_sql_free(ec2gw_tags_sql_t *s)
{
    sqlite3_free(s->sql);
    for (int i = 0; i < s->nbind; i++)
        sqlite3_free(s->bind[i]);
    free(s->bind);
    memset(s, 0, sizeof(*s));
}
