/*
 * wildcard.c - EC2 filter-value wildcards (ec2-protocol.md §8): '*' any run of characters
 * (also none), '?' exactly one character, '\' makes the next character literal. Unlike
 * fnmatch() (what ec2-api used) there are no [...] classes: '[' is an ordinary character.
 */
#include <stddef.h>

#include "data/filters.h"

/* Bytes of the UTF-8 character at @p s ('?' matches a character, not a byte); never past NUL. */
static size_t
utf8_step(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;

    for (size_t i = 1; i < n; i++)
        if (s[i] == '\0')
            return i;
    return n;
}

/*
 * Greedy matching with a single backtrack point: on a mismatch, the last '*' absorbs one more
 * character of the value. Correct for patterns of '*', '?' and literals, and O(len(p) *
 * len(v)) at worst without recursion (no stack blow-up on hostile patterns).
 */
int
ec2gw_wildcard_match(const char *pattern, const char *value)
{
    const char *p = pattern, *v = value;
    const char *star_p = NULL, *star_v = NULL;

    while (*v != '\0') {
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (*p == '\0')
                return 1;
            star_p = p;
            star_v = v;
            continue;
        }
        if (*p == '?') {
            p++;
            v += utf8_step(v);
            continue;
        }
        if (*p != '\0') {
            /* A trailing lone backslash stands for itself. */
            int esc = *p == '\\' && p[1] != '\0';
            char lit = esc ? p[1] : *p;

            if (lit == *v) {
                p += esc ? 2 : 1;
                v++;
                continue;
            }
        }
        if (star_p == NULL)
            return 0;
        star_v += utf8_step(star_v);
        v = star_v;
        p = star_p;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}
