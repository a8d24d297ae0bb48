/*
 * test_tags_query_ref.c - DescribeTags in SQL against the implementation it replaced: every tag
 * of the project read, ec2gw_filter_apply with the earlier value callback, ec2gw_page_apply
 * over all matches. Random tags (NULL and empty values, GLOB and LIKE metacharacters, UTF-8,
 * ids of every shape) and random filters (wildcards, escapes, several values and filters,
 * more values than are bound one by one); whole answers, pages and tokens compared.
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

#define SORT "\x01k"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng >> 33) % n);
}

/* Characters of generated keys and values: wildcard, GLOB and LIKE metacharacters, UTF-8. */
static const char *const atoms[] = {
    "a", "b", "N", "*", "?", "[", "]", "\\", "%", "_", " ", "-", "\xc3\xa9", "\xe6\x97\xa5",
};

static const char *const ids[] = {
    "i-0000000a",        "i-0000000b",          "i-0123456789abcdef0", "vol-00000001",
    "vpc-12345678",      "ami-0000abcd",        "aki-00000001",        "ari-00000002",
    "eni-0000000e",      "eni-attach-12345678", "key-00000003",        "eipalloc-0000004",
    "eipalloc-00000004", "lt-00000005",         "eipassoc-00000006",   "i-zzzzzzzz",
    "sg-1234567",        "snap-ABCDEF12",       "sg-00000007",         "subnet-0000000f",
    "rtb-00000010",      "igw-00000011",        "dopt-00000012",       "cgw-00000013",
    "vgw-00000014",      "vpn-00000015",        "snap-00000016",
};

static const char *const types[] = {
    "instance",    "image",          "volume",           "vpc",          "network-interface",
    "key-pair",    "elastic-ip",     "launch-template",  "snapshot",     "security-group",
    "subnet",      "route-table",    "internet-gateway", "dhcp-options", "customer-gateway",
    "vpn-gateway", "vpn-connection",
};

#define NATOMS (sizeof(atoms) / sizeof(atoms[0]))
#define NIDS   (sizeof(ids) / sizeof(ids[0]))
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* Keys and values in the database (for patterns that match something). */
static char keys[256][64], values[256][64];
static size_t nkeys, nvalues;

static void
rand_text(char *buf, size_t cap, unsigned minlen, unsigned maxlen)
{
    unsigned n = minlen + rnd(maxlen - minlen + 1);

    buf[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        strncat(buf, atoms[rnd(NATOMS)], cap - strlen(buf) - 1);
}

/* Bytes of the UTF-8 character at @p s. */
static size_t
char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;

    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* A pattern derived from @p base, character by character, so that some of them match. */
static void
rand_pattern(char *out, size_t cap, const char *base)
{
    size_t n = 0, len = strlen(base), cut = len > 0 ? rnd((unsigned)len + 1) : 0;
    unsigned how = rnd(7);

    if (how == 6) { /* unrelated */
        rand_text(out, cap, 0, 4);
        if (rnd(2))
            strncat(out, rnd(2) ? "*" : "?", cap - strlen(out) - 1);
        return;
    }
    if (how == 3)
        out[n++] = '*';
    for (size_t i = 0; i < len && n + 8 < cap;) {
        size_t cl = char_len(base + i);
        int special = base[i] == '*' || base[i] == '?' || base[i] == '\\';

        if (how == 2 && i >= cut) { /* prefix, then '*' */
            break;
        } else if (how == 3 && i < cut) { /* '*', then suffix */
            i += cl;
            continue;
        } else if (how == 1 && rnd(3) == 0) { /* some characters become '?' */
            out[n++] = '?';
        } else {
            if ((how == 4 && special) || (how == 5 && rnd(2) == 0))
                out[n++] = '\\'; /* escaped: literal */
            memcpy(out + n, base + i, cl);
            n += cl;
        }
        i += cl;
    }
    if (how == 2)
        out[n++] = '*';
    out[n] = '\0';
}

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

static void
fill(ec2gw_db_t *db)
{
    nkeys = nvalues = 0;
    for (size_t i = 0; i < NIDS; i++) {
        unsigned n = i == 0 ? 1 + rnd(5) : rnd(6);

        for (unsigned j = 0; j < n && nkeys < 256; j++) {
            char *k = keys[nkeys++], *v = values[nvalues++];
            unsigned kind = rnd(8);

            rand_text(k, 64, 1, 4);
            rand_text(v, 64, 0, 5);
            raw_tag(db, "p1", ids[i], k, kind == 0 ? NULL : kind == 1 ? "" : v);
            if (kind < 2)
                v[0] = '\0';
        }
    }
    raw_tag(db, "p2", ids[0], keys[0], "other project");
}

/* The earlier DescribeTags value callback (tags_actions.c before the SQL filters). */
static int
old_values(const json_t *item, const char *name, json_t *values_out, void *arg)
{
    const char *key = json_string_value(json_object_get(item, "Key"));
    const char *member;

    (void)arg;
    if (strcmp(name, "key") == 0 || strcmp(name, "tag-key") == 0)
        member = "Key";
    else if (strcmp(name, "value") == 0 || strcmp(name, "tag-value") == 0)
        member = "Value";
    else if (strcmp(name, "resource-id") == 0)
        member = "ResourceId";
    else if (strcmp(name, "resource-type") == 0)
        member = "ResourceType";
    else if (strncmp(name, "tag:", 4) == 0)
        member = key != NULL && strcmp(key, name + 4) == 0 ? "Value" : NULL;
    else
        return EC2GW_E_NOTFOUND;
    if (member != NULL && json_is_string(json_object_get(item, member)))
        return json_array_append(values_out, json_object_get(item, member)) == 0 ? 0
                                                                                 : EC2GW_E_NOMEM;
    return 0;
}

/* Every tag of the project through ec2gw_filter_apply, with the "<id> <key>" sort member. */
static json_t *
reference(ec2gw_db_t *db, const json_t *filters)
{
    sqlite3_stmt *st = NULL;
    json_t *all = json_array(), *kept, *t;
    ec2gw_fault_t fault = { 0 };
    char sk[512], *next = NULL;
    size_t i;

    assert_int_equal(sqlite3_prepare_v2(ec2gw_db_sqlite(db),
                                        "SELECT item_id, key, ifnull(value, '') FROM tags"
                                        " WHERE project_id = 'p1'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *type = ec2gw_tags_resource_type(id);

        t = json_pack("{s:s, s:s, s:s}", "ResourceId", id, "Key", sqlite3_column_text(st, 1),
                      "Value", sqlite3_column_text(st, 2));
        assert_non_null(t);
        if (type != NULL)
            json_object_set_new(t, "ResourceType", json_string(type));
        json_array_append_new(all, t);
    }
    sqlite3_finalize(st);
    kept = ec2gw_filter_apply(filters, all, NULL, NULL, old_values, NULL, &fault);
    assert_non_null(kept);
    json_array_foreach(kept, i, t)
    {
        snprintf(sk, sizeof(sk), "%s %s", json_string_value(json_object_get(t, "ResourceId")),
                 json_string_value(json_object_get(t, "Key")));
        json_object_set_new(t, SORT, json_string(sk));
    }
    json_decref(all);
    /* sorted as the earlier action did: ec2gw_page_apply by "<id> <key>", all of them */
    all = ec2gw_page_apply(kept, SORT, -1, NULL, "", 5, 1000, &next, &fault);
    assert_non_null(all);
    assert_null(next);
    json_decref(kept);
    return all;
}

static json_t *
strip(json_t *page)
{
    size_t i;
    json_t *t;

    json_array_foreach(page, i, t)(void) json_object_del(t, SORT);
    return page;
}

static json_t *
rand_filter(void)
{
    static const char *const names[] = { "key",         "tag-key",       "value", "tag-value",
                                         "resource-id", "resource-type", "tag:" };
    const char *name = names[rnd(sizeof(names) / sizeof(names[0]))];
    unsigned n = rnd(12) == 0 ? 34 + rnd(10) : 1 + rnd(3);
    json_t *vals = json_array();
    char full[80], pat[256];

    snprintf(full, sizeof(full), "%s%s", name,
             strcmp(name, "tag:") == 0 ? keys[rnd((unsigned)nkeys)] : "");
    for (unsigned i = 0; i < n; i++) {
        const char *base = name[0] == 'k' || strcmp(name, "tag-key") == 0
                               ? keys[rnd((unsigned)nkeys)]
                           : strcmp(name, "resource-id") == 0   ? ids[rnd(NIDS)]
                           : strcmp(name, "resource-type") == 0 ? types[rnd(NTYPES)]
                                                                : values[rnd((unsigned)nvalues)];

        rand_pattern(pat, sizeof(pat), base);
        assert_int_equal(json_array_append_new(vals, json_string(pat)), 0);
    }
    return json_pack("{s:s, s:o}", "Name", full, "Values", vals);
}

static json_t *
call(ec2gw_db_t *db, json_t *params)
{
    ec2gw_fault_t fault = { 0 };
    json_t *m = NULL;

    if (ec2gw_action_describe_tags(db, "p1", params, &m, &fault) != 0) {
        char *p = json_dumps(params, 0);

        fail_msg("%s: %s %s", p, fault.code, fault.message);
    }
    return m;
}

/* Pages of @p max: the earlier ec2gw_page_apply over all matches, page by page and token. */
static void
compare_pages(ec2gw_db_t *db, json_t *filters, json_t *ref, int max)
{
    char *fs = json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS), *scope = NULL;
    char *token = NULL, *next = NULL;
    ec2gw_fault_t fault = { 0 };

    assert_true(asprintf(&scope, "DescribeTags\np1\n%s", fs) > 0);
    do {
        json_t *page = ec2gw_page_apply(ref, SORT, max, token, scope, 5, 1000, &next, &fault);
        json_t *params = json_pack("{s:O, s:i}", "Filters", filters, "MaxResults", max), *m, *want;

        assert_non_null(page);
        if (token != NULL)
            json_object_set_new(params, "NextToken", json_string(token));
        m = call(db, params);
        want = json_deep_copy(page); /* its items are ref's */
        json_decref(page);
        assert_true(json_equal(json_object_get(m, "Tags"), strip(want)));
        if (next == NULL)
            assert_null(json_object_get(m, "NextToken"));
        else
            assert_string_equal(json_string_value(json_object_get(m, "NextToken")), next);
        json_decref(want);
        json_decref(m);
        json_decref(params);
        free(token);
        token = next;
        next = NULL;
    } while (token != NULL);
    free(scope);
    free(fs);
}

static void
test_against_reference(void **state)
{
    ec2gw_db_t *db = NULL;
    size_t compared = 0, nonempty = 0;

    (void)state;
    if (getenv("TAGS_REF_SEED") != NULL) /* other data and filters: TAGS_REF_SEED=n */
        rng = strtoull(getenv("TAGS_REF_SEED"), NULL, 10);
    for (int round = 0; round < 4; round++) {
        assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
        fill(db);
        for (int i = 0; i < 400; i++) {
            json_t *filters = json_array(), *ref, *m, *params, *want;
            unsigned nf = rnd(4);

            for (unsigned f = 0; f < nf; f++)
                json_array_append_new(filters, rand_filter());
            ref = reference(db, filters);
            params = json_pack("{s:O}", "Filters", filters);
            m = call(db, params);
            want = strip(json_deep_copy(ref));
            if (!json_equal(json_object_get(m, "Tags"), want)) {
                char *f = json_dumps(filters, 0), *got = json_dumps(m, 0),
                     *exp = json_dumps(want, 0);

                fail_msg("filters %s\n got %s\nwant %s", f, got, exp);
            }
            nonempty += json_array_size(want) > 0;
            compared++;
            if (i % 8 == 0)
                compare_pages(db, filters, ref, 5 + (int)rnd(3));
            json_decref(want);
            json_decref(m);
            json_decref(params);
            json_decref(ref);
            json_decref(filters);
        }
        ec2gw_db_close(db);
    }
    print_message("%zu filter sets compared, %zu with matches\n", compared, nonempty);
    assert_true(nonempty > compared / 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
