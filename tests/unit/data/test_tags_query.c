/*
 * test_tags_query.c - DescribeTags filters and paging pushed into SQL (tags_query.c): each
 * filter alone, wildcards with escaped characters, values ORed, filters ANDed, pages, the
 * NextToken format, the indexes the statements read, and a randomised comparison with the
 * implementation it replaced (every tag of the project through ec2gw_filter_apply).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "actions/tags_actions.h"
#include "data/db_priv.h"
#include "data/filters.h"
#include "data/paging.h"
#include "data/tags.h"

/* Insert a row as ec2-api could have: any item id, NULL value. */
static void
raw_tag(ec2gw_db_t *db, const char *project, const char *id, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db),
                                        "INSERT OR REPLACE INTO tags VALUES (?1, ?2, ?3, ?4)", -1,
                                        &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, project, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, value, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static int
setup(void **state)
{
    static const char *const rows[][3] = {
        { "i-0000000a", "Name", "web" },
        { "i-0000000a", "env", "prod" },
        { "i-0000000a", "glob", "a*b" },
        { "i-0000000b", "Name", "db" },
        { "i-0000000b", "env", "dev" },
        { "i-0000000b", "glob", "a?b" },
        { "i-0123456789abcdef0", "Name", "big" },
        { "vol-00000001", "Name", "web" },
        { "vol-00000001", "glob", "a[b]" },
        { "vol-00000001", "back", "x\\" },
        { "ami-0000abcd", "Name", "img" },
        { "ami-0000abcd", "pct", "50%_off" },
        { "ami-0000abcd", "utf", "caf\xc3\xa9" },
        { "vpc-12345678", "env", "prod" },
        { "eni-attach-12345678", "Name", "derived" }, /* kind eni-attach: not taggable */
        { "eipassoc-00000001", "Name", "tmpl" },      /* a known kind, not taggable */
        { "i-zzzzzzzz", "Name", "bad" },              /* not hex: no resourceType */
        { "snap-ABCDEF12", "Name", "upper" },         /* upper-case hex: no resourceType */
        { "sg-1234567", "Name", "short" },            /* 7 digits: no resourceType */
    };
    ec2gw_db_t *db = NULL;

    assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        raw_tag(db, "p1", rows[i][0], rows[i][1], rows[i][2]);
    raw_tag(db, "p1", "vpc-12345678", "nullv", NULL); /* ec2-api's nullable value */
    raw_tag(db, "p1", "vpc-12345678", "empty", "");
    raw_tag(db, "p2", "i-0000000a", "Name", "other project");
    *state = db;
    return 0;
}

static int
teardown(void **state)
{
    ec2gw_db_close(*state);
    return 0;
}

/* DescribeTags with @p params (JSON): the model, or NULL with the fault code in @p code. */
static json_t *
describe(ec2gw_db_t *db, const char *project, const char *params, char code[64])
{
    json_error_t jerr;
    json_t *p = json_loads(params, 0, &jerr), *m = NULL;
    ec2gw_fault_t fault = { 0 };

    if (p == NULL)
        fail_msg("bad test JSON %s: %s", params, jerr.text);
    code[0] = '\0';
    if (ec2gw_action_describe_tags(db, project, p, &m, &fault) != 0)
        snprintf(code, 64, "%s", fault.code);
    json_decref(p);
    return m;
}

/* "<id>/<key>,..." of the tags DescribeTags answers for @p filters (static buffer). */
static const char *
ids_keys(ec2gw_db_t *db, const char *filters)
{
    static char out[2048];
    char params[1024], code[64];
    json_t *m, *t;
    size_t i, n = 0;

    snprintf(params, sizeof(params), "{\"Filters\": %s}", filters);
    m = describe(db, "p1", params, code);
    if (m == NULL)
        fail_msg("%s: %s", filters, code);
    out[0] = '\0';
    json_array_foreach(json_object_get(m, "Tags"), i, t)
    {
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s/%s", i > 0 ? "," : "",
                              json_string_value(json_object_get(t, "ResourceId")),
                              json_string_value(json_object_get(t, "Key")));
    }
    json_decref(m);
    return out;
}

#define F(name, values) "[{\"Name\": \"" name "\", \"Values\": [" values "]}]"

static void
test_each_filter(void **state)
{
    ec2gw_db_t *db = *state;

    assert_string_equal(ids_keys(db, F("resource-id", "\"vol-00000001\"")),
                        "vol-00000001/Name,vol-00000001/back,vol-00000001/glob");
    assert_string_equal(ids_keys(db, F("resource-id", "\"i-0000000?\"")),
                        "i-0000000a/Name,i-0000000a/env,i-0000000a/glob,"
                        "i-0000000b/Name,i-0000000b/env,i-0000000b/glob");
    assert_string_equal(ids_keys(db, F("resource-type", "\"instance\"")),
                        "i-0000000a/Name,i-0000000a/env,i-0000000a/glob,"
                        "i-0000000b/Name,i-0000000b/env,i-0000000b/glob,i-0123456789abcdef0/Name");
    /* ids that do not parse, or whose kind is not taggable, have no resourceType */
    assert_string_equal(ids_keys(db, F("resource-type", "\"*\"")),
                        "ami-0000abcd/Name,ami-0000abcd/pct,ami-0000abcd/utf,"
                        "i-0000000a/Name,i-0000000a/env,i-0000000a/glob,"
                        "i-0000000b/Name,i-0000000b/env,i-0000000b/glob,i-0123456789abcdef0/Name,"
                        "vol-00000001/Name,vol-00000001/back,vol-00000001/glob,"
                        "vpc-12345678/empty,vpc-12345678/env,vpc-12345678/nullv");
    assert_string_equal(ids_keys(db, F("resource-type", "\"v*\"")),
                        "vol-00000001/Name,vol-00000001/back,vol-00000001/glob,"
                        "vpc-12345678/empty,vpc-12345678/env,vpc-12345678/nullv");
    assert_string_equal(ids_keys(db, F("resource-type", "\"nothing\", \"instance?\"")), "");
    assert_string_equal(ids_keys(db, F("key", "\"env\"")),
                        "i-0000000a/env,i-0000000b/env,vpc-12345678/env");
    assert_string_equal(ids_keys(db, F("tag-key", "\"?tf\"")), "ami-0000abcd/utf");
    assert_string_equal(ids_keys(db, F("value", "\"prod\"")), "i-0000000a/env,vpc-12345678/env");
    assert_string_equal(ids_keys(db, F("tag-value", "\"caf?\"")), "ami-0000abcd/utf");
    assert_string_equal(ids_keys(db, F("tag:env", "\"prod\"")), "i-0000000a/env,vpc-12345678/env");
    assert_string_equal(ids_keys(db, F("tag:env", "\"web\"")), "");
    assert_string_equal(ids_keys(db, F("tag:Name", "\"*\"")),
                        "ami-0000abcd/Name,eipassoc-00000001/Name,eni-attach-12345678/Name,"
                        "i-0000000a/Name,"
                        "i-0000000b/Name,i-0123456789abcdef0/Name,i-zzzzzzzz/Name,"
                        "sg-1234567/Name,snap-ABCDEF12/Name,vol-00000001/Name");
}

static void
test_wildcards_and_escapes(void **state)
{
    ec2gw_db_t *db = *state;

    /* '\' makes '*', '?', '\' literal; '[' and ']' are plain characters */
    assert_string_equal(ids_keys(db, F("value", "\"a\\\\*b\"")), "i-0000000a/glob");
    assert_string_equal(ids_keys(db, F("value", "\"a\\\\?b\"")), "i-0000000b/glob");
    assert_string_equal(ids_keys(db, F("value", "\"a?b\"")), "i-0000000a/glob,i-0000000b/glob");
    assert_string_equal(ids_keys(db, F("value", "\"a[b]\"")), "vol-00000001/glob");
    assert_string_equal(ids_keys(db, F("value", "\"a[*\"")), "vol-00000001/glob");
    assert_string_equal(ids_keys(db, F("value", "\"a[?]\"")), "vol-00000001/glob");
    assert_string_equal(ids_keys(db, F("value", "\"a[ab]\"")), "");
    assert_string_equal(ids_keys(db, F("value", "\"\\\\a\\\\[b\\\\]\"")), "vol-00000001/glob");
    /* a trailing lone '\' is itself; "\\" is one '\' */
    assert_string_equal(ids_keys(db, F("value", "\"x\\\\\"")), "vol-00000001/back");
    assert_string_equal(ids_keys(db, F("value", "\"x\\\\\\\\\"")), "vol-00000001/back");
    assert_string_equal(ids_keys(db, F("value", "\"*\\\\\"")), "vol-00000001/back");
    /* LIKE's '%' and '_' are plain characters */
    assert_string_equal(ids_keys(db, F("value", "\"50%_off\"")), "ami-0000abcd/pct");
    assert_string_equal(ids_keys(db, F("value", "\"5_%*\"")), "");
    assert_string_equal(ids_keys(db, F("value", "\"50%_o?f\"")), "ami-0000abcd/pct");
    /* '?' is one character, not one byte */
    assert_string_equal(ids_keys(db, F("value", "\"caf??\"")), "");
    assert_string_equal(ids_keys(db, F("value", "\"ca??\"")), "ami-0000abcd/utf");
    /* case-sensitive */
    assert_string_equal(ids_keys(db, F("key", "\"name\"")), "");
    assert_string_equal(ids_keys(db, F("key", "\"n*\"")), "vpc-12345678/nullv");
    /* NULL values read as "": matched by "" and "*", not by "?*" */
    assert_string_equal(ids_keys(db, F("value", "\"\"")), "vpc-12345678/empty,vpc-12345678/nullv");
    assert_string_equal(ids_keys(db, F("tag:nullv", "\"*\"")), "vpc-12345678/nullv");
    assert_string_equal(ids_keys(db, F("tag:nullv", "\"?*\"")), "");
}

static void
test_or_and(void **state)
{
    ec2gw_db_t *db = *state;

    /* values of one filter are ORed, exact and wildcard mixed */
    assert_string_equal(ids_keys(db, F("value", "\"web\", \"d?v\", \"nope\"")),
                        "i-0000000a/Name,i-0000000b/env,vol-00000001/Name");
    assert_string_equal(ids_keys(db, F("resource-id", "\"vpc-12345678\", \"ami-*\"")),
                        "ami-0000abcd/Name,ami-0000abcd/pct,ami-0000abcd/utf,"
                        "vpc-12345678/empty,vpc-12345678/env,vpc-12345678/nullv");
    /* filters are ANDed */
    assert_string_equal(ids_keys(db, "[{\"Name\": \"resource-type\", \"Values\": [\"instance\"]},"
                                     " {\"Name\": \"key\", \"Values\": [\"env\", \"glob\"]},"
                                     " {\"Name\": \"value\", \"Values\": [\"*o*\", \"a?b\"]}]"),
                        "i-0000000a/env,i-0000000a/glob,i-0000000b/glob");
    assert_string_equal(ids_keys(db, "[{\"Name\": \"key\", \"Values\": [\"Name\"]},"
                                     " {\"Name\": \"tag-key\", \"Values\": [\"env\"]}]"),
                        "");
    assert_string_equal(ids_keys(db, "[{\"Name\": \"tag:Name\", \"Values\": [\"web\"]},"
                                     " {\"Name\": \"resource-id\", \"Values\": [\"vol-*\"]}]"),
                        "vol-00000001/Name");
}

/* More values than are bound one by one: one JSON array parameter. */
static void
test_many_values(void **state)
{
    ec2gw_db_t *db = *state;
    char filters[4096];
    size_t n;

    n = (size_t)snprintf(filters, sizeof(filters), "[{\"Name\": \"key\", \"Values\": [");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(filters + n, sizeof(filters) - n, "\"k%d\", ", i);
    snprintf(filters + n, sizeof(filters) - n, "\"env\"]}]");
    assert_string_equal(ids_keys(db, filters), "i-0000000a/env,i-0000000b/env,vpc-12345678/env");
    n = (size_t)snprintf(filters, sizeof(filters), "[{\"Name\": \"value\", \"Values\": [");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(filters + n, sizeof(filters) - n, "\"k%d*\", ", i);
    snprintf(filters + n, sizeof(filters) - n, "\"a\\\\**\", \"\"]}]");
    assert_string_equal(ids_keys(db, filters),
                        "i-0000000a/glob,vpc-12345678/empty,vpc-12345678/nullv");
}

static void
test_errors(void **state)
{
    ec2gw_db_t *db = *state;
    char code[64];
    json_t *out = NULL, *bad = json_loads("[{\"Name\": \"owner\", \"Values\": [\"x\"]}]", 0, NULL);
    ec2gw_tags_query_t q = { .filters = bad, .limit = -1 };
    ec2gw_err_t err = { 0 };

    assert_null(describe(db, "p1", "{\"Filters\": " F("owner", "\"x\"") "}", code));
    assert_string_equal(code, "InvalidParameterValue");
    assert_null(describe(db, "p1", "{\"Filters\": [{\"Name\": \"key\", \"Values\": []}]}", code));
    assert_string_equal(code, "InvalidParameterValue");
    assert_null(describe(db, "p1", "{\"Filters\": " F("key", "1") "}", code));
    assert_string_equal(code, "InvalidParameterValue");
    /* the data layer refuses what it cannot translate */
    assert_int_equal(ec2gw_tags_find(db, "p1", &q, &out, &err), EC2GW_E_INVAL);
    assert_null(out);
    json_decref(bad);
}

/* Walk DescribeTags pages of @p max for @p filters: the concatenation (new). */
static json_t *
walk_pages(ec2gw_db_t *db, const char *filters, int max, size_t *pages)
{
    json_t *all = json_array(), *m;
    char *token = NULL, params[4096], code[64];

    *pages = 0;
    do {
        snprintf(params, sizeof(params), "{\"MaxResults\": %d, \"Filters\": %s%s%s%s}", max,
                 filters, token ? ", \"NextToken\": \"" : "", token ? token : "",
                 token ? "\"" : "");
        free(token);
        token = NULL;
        m = describe(db, "p1", params, code);
        if (m == NULL)
            fail_msg("%s: %s", params, code);
        assert_true(json_array_size(json_object_get(m, "Tags")) <= (size_t)max);
        json_array_extend(all, json_object_get(m, "Tags"));
        if (json_object_get(m, "NextToken") != NULL)
            token = strdup(json_string_value(json_object_get(m, "NextToken")));
        json_decref(m);
        (*pages)++;
    } while (token != NULL);
    return all;
}

static void
test_paging(void **state)
{
    ec2gw_db_t *db = *state;
    char code[64];
    json_t *all, *m, *paged;
    size_t pages;

    all = describe(db, "p1", "{\"Filters\": " F("key", "\"Name\", \"env\", \"glob\"") "}", code);
    assert_non_null(all);
    assert_int_equal(json_array_size(json_object_get(all, "Tags")), 16);
    paged = walk_pages(db, F("key", "\"Name\", \"env\", \"glob\""), 5, &pages);
    assert_int_equal(pages, 4);
    assert_true(json_equal(paged, json_object_get(all, "Tags")));
    json_decref(paged);
    json_decref(all);
    /* exactly one page's worth: no token after it */
    m = describe(db, "p1", "{\"MaxResults\": 6, \"Filters\": " F("tag:Name", "\"*b*\"") "}", code);
    assert_int_equal(json_array_size(json_object_get(m, "Tags")), 5);
    assert_null(json_object_get(m, "NextToken"));
    json_decref(m);
    /* a token resumes after its (id, key) even when that tag is gone meanwhile */
    m = describe(db, "p1", "{\"MaxResults\": 6}", code);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(m, "Tags"), 5), "ResourceId")),
                        "i-0000000a");
    raw_tag(db, "p1", "i-0000000a", "AAA", "new, sorts before the token");
    assert_int_equal(sqlite3_exec(ec2gw_db_sqlite(db),
                                  "DELETE FROM tags WHERE item_id = 'i-0000000a' AND key = 'env'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    {
        char params[512];
        json_t *next;

        snprintf(params, sizeof(params), "{\"MaxResults\": 6, \"NextToken\": \"%s\"}",
                 json_string_value(json_object_get(m, "NextToken")));
        next = describe(db, "p1", params, code);
        assert_non_null(next);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(next, "Tags"), 0), "Key")),
                            "glob");
        json_decref(next);
    }
    json_decref(m);
    /* MaxResults and NextToken are checked as before */
    assert_null(describe(db, "p1", "{\"MaxResults\": 4}", code));
    assert_string_equal(code, "InvalidParameterValue");
    assert_null(describe(db, "p1", "{\"MaxResults\": \"5\"}", code));
    assert_string_equal(code, "InvalidParameterValue");
    assert_null(describe(db, "p1", "{\"NextToken\": \"AQ\"}", code));
    assert_string_equal(code, "InvalidPaginationToken");
}

/* The token is paging.c's, over the same scope and last key as before issue 6. */
static void
test_token_format(void **state)
{
    ec2gw_db_t *db = *state;
    const char *filters = F("resource-type", "\"instance\", \"volume\"");
    json_t *f = json_loads(filters, 0, NULL), *m, *items = json_array(), *page;
    char params[512], code[64], *scope = NULL, *fs = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
    char *next = NULL;
    ec2gw_fault_t fault = { 0 };

    snprintf(params, sizeof(params), "{\"MaxResults\": 5, \"Filters\": %s}", filters);
    m = describe(db, "p1", params, code);
    assert_non_null(m);
    /* what the earlier implementation did: page_apply over all matches, keyed "<id> <key>" */
    assert_true(asprintf(&scope, "DescribeTags\np1\n%s", fs) > 0);
    for (int i = 0; i < 7; i++) {
        static const char *const keys[] = { "i-0000000a Name",  "i-0000000a env", "i-0000000a glob",
                                            "i-0000000b Name",  "i-0000000b env", "i-0000000b glob",
                                            "vol-00000001 Name" };

        json_array_append_new(items, json_pack("{s:s}", "k", keys[i]));
    }
    page = ec2gw_page_apply(items, "k", 5, NULL, scope, 5, 1000, &next, &fault);
    assert_non_null(page);
    assert_string_equal(json_string_value(json_object_get(m, "NextToken")), next);
    json_decref(page);
    json_decref(items);
    json_decref(m);
    json_decref(f);
    free(next);
    free(scope);
    free(fs);
}

/* The last statement the query ran, with its parameters inlined (sqlite3_free). */
static char *last_sql;

static int
trace_stmt(unsigned type, void *ctx, void *stmt, void *x)
{
    char *sql = sqlite3_expanded_sql(stmt);

    (void)type;
    (void)ctx;
    (void)x;
    if (sql != NULL && strstr(sql, "FROM tags") != NULL && strstr(sql, "ORDER BY") != NULL) {
        sqlite3_free(last_sql);
        last_sql = sql;
    } else {
        sqlite3_free(sql);
    }
    return 0;
}

/* EXPLAIN QUERY PLAN of the statement DescribeTags ran for @p params ("; "-joined). */
static const char *
plan_of(ec2gw_db_t *db, const char *params)
{
    static char out[2048];
    char code[64], *eqp;
    sqlite3_stmt *st = NULL;
    size_t n = 0;

    json_decref(describe(db, "p1", params, code));
    assert_string_equal(code, "");
    assert_non_null(last_sql);
    eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", last_sql);
    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db), eqp, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n > 0 ? "; " : "",
                              (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    sqlite3_free(eqp);
    print_message("%s\n  -> %s\n", params, out);
    return out;
}

static void
test_query_plans(void **state)
{
    ec2gw_db_t *db = *state;
    static const struct {
        const char *params, *plan;
    } t[] = {
        { "{}", "SEARCH tags USING INDEX sqlite_autoindex_tags_1 (project_id=?)" },
        { "{\"Filters\": " F("resource-id", "\"i-0000000a\"") "}",
          "SEARCH tags USING INDEX sqlite_autoindex_tags_1 (project_id=? AND item_id=?)" },
        { "{\"Filters\": " F("resource-id", "\"i-0000000a\", \"vol-00000001\"") "}",
          "SEARCH tags USING INDEX sqlite_autoindex_tags_1 (project_id=? AND item_id=?)" },
        { "{\"Filters\": " F("resource-id", "\"ami-*\"") "}",
          "SEARCH tags USING INDEX sqlite_autoindex_tags_1 (project_id=? AND item_id>? AND "
          "item_id<?)" },
        { "{\"Filters\": " F("resource-type", "\"instance\"") "}",
          "SEARCH tags USING INDEX sqlite_autoindex_tags_1 (project_id=? AND item_id>? AND "
          "item_id<?)" },
        { "{\"Filters\": " F("key", "\"env\"") "}",
          "SEARCH tags USING INDEX ec2gw_tags_key_idx (project_id=? AND key=?)" },
        { "{\"Filters\": " F("key", "\"env\", \"Name\"") "}",
          "SEARCH tags USING INDEX ec2gw_tags_key_idx (project_id=? AND key=?)" },
        { "{\"Filters\": " F("tag:Name", "\"web\"") "}",
          "SEARCH tags USING INDEX ec2gw_tags_key_idx (project_id=? AND key=? AND value=?)" },
        { "{\"Filters\": " F("tag:Name", "\"w*\"") "}",
          "SEARCH tags USING INDEX ec2gw_tags_key_idx (project_id=? AND key=? AND value>? AND "
          "value<?)" },
        { "{\"Filters\": " F("value", "\"prod\"") "}",
          "SEARCH tags USING INDEX ec2gw_tags_value_idx (project_id=? AND value=?)" },
        { "{\"MaxResults\": 5, \"NextToken\": \"\"}",
          "SEARCH tags USING INDEX sqlite_autoindex_tags_1 (project_id=?)" },
    };
    char params[512], code[64];
    json_t *m;

    sqlite3_trace_v2(ec2gw_db_sqlite(db), SQLITE_TRACE_STMT, trace_stmt, NULL);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const char *plan = plan_of(db, t[i].params);

        assert_non_null(strstr(plan, t[i].plan));
        assert_null(strstr(plan, "SCAN tags"));
    }
    /* the next page starts at its key in the primary key */
    m = describe(db, "p1", "{\"MaxResults\": 5}", code);
    snprintf(params, sizeof(params), "{\"MaxResults\": 5, \"NextToken\": \"%s\"}",
             json_string_value(json_object_get(m, "NextToken")));
    json_decref(m);
    assert_non_null(strstr(plan_of(db, params), "sqlite_autoindex_tags_1 (project_id=? AND "
                                                "(item_id,key)>(?,?))"));
    sqlite3_trace_v2(ec2gw_db_sqlite(db), 0, NULL, NULL);
    sqlite3_free(last_sql);
    last_sql = NULL;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wildcards_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_or_and, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_plans, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
