/*
 * config_suggest.c - "did you mean 'listen'?" for an unknown key, and the list of known keys.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "config/config_priv.h"

/* Keys longer than this get no suggestion (no schema key is anywhere near it). */
#define SUGGEST_MAX_LEN 63

static size_t
min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;

    return m < c ? m : c;
}

/* A function, not the <ctype.h> macro: the macro's expansion is long and we use it 4 times. */
static int
lower(char c)
{
    return tolower((unsigned char)c);
}

/** One row of the distance table: row @p i (character @p ca of a) against all of @p b. */
static void
osa_row(const char *a, size_t i, const char *b, size_t lb, const size_t *prev2, const size_t *prev,
        size_t *cur)
{
    int ca = lower(a[i - 1]);

    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
        int cb = lower(b[j - 1]);
        int swapped = i > 1 && j > 1 && ca == lower(b[j - 2]) && lower(a[i - 2]) == cb;

        cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb));
        if (swapped && prev2[j - 2] + 1 < cur[j])
            cur[j] = prev2[j - 2] + 1;
    }
}

/*
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions, the commonest
 * typo), ignoring case so `Listen` suggests `listen`. Three rolling rows, no allocation.
 */
static size_t
osa_distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t rows[3][SUGGEST_MAX_LEN + 1] = { { 0 } };
    size_t *prev2 = rows[0];
    size_t *prev = rows[1];
    size_t *cur = rows[2];

    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *t = prev2;

        osa_row(a, i, b, lb, prev2, prev, cur);
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/** How many edits still read as a typo of @p candidate: 1 for short keys, 2 from 5 chars. */
static size_t
typo_budget(const char *candidate)
{
    return strlen(candidate) < 5 ? 1 : 2;
}

void
ec2gw_conf_suggest(const ec2gw_setting_t *schema, const char *key, const char **best, char *known,
                   size_t size)
{
    size_t best_d = SIZE_MAX;
    size_t used = 0;

    *best = NULL;
    known[0] = '\0';
    for (const ec2gw_setting_t *s = schema; s != NULL && s->key != NULL; s++) {
        size_t d = osa_distance(key, s->key);
        size_t klen = strlen(s->key);

        if (d <= typo_budget(s->key) && d < best_d) {
            best_d = d;
            *best = s->key;
        }
        /* Room for ", key" and a final "..." plus NUL. */
        if (used + klen + 2 + 4 > size) {
            if (used + 4 <= size)
                memcpy(known + used, "...", 4);
            used = size; /* full: append nothing more */
            continue;
        }
        if (used != 0) {
            memcpy(known + used, ", ", 2);
            used += 2;
        }
        memcpy(known + used, s->key, klen + 1);
        used += klen;
    }
    if (known[0] == '\0' && size > 6)
        memcpy(known, "(none)", 7);
}
