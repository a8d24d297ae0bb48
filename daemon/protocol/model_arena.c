/* model_arena.c - bump allocation and a string hash map for the model's load-once tables. */
#include "model_arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ec2gw/plugin.h>

#define ARENA_CHUNK (256 * 1024)

struct ec2gw_arena_chunk {
    struct ec2gw_arena_chunk *next;
    size_t used;
    size_t cap;
    max_align_t data[];
};

void *
ec2gw_arena_alloc(ec2gw_arena_t *a, size_t size)
{
    struct ec2gw_arena_chunk *c = a->head;
    size_t need = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    void *p;

    if (c == NULL || c->cap - c->used < need) {
        /* Large requests get a chunk of their own, placed behind the current one so that the
         * current chunk's free space is not wasted. */
        size_t cap = need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK;
        struct ec2gw_arena_chunk *n = malloc(sizeof(*n) + cap);

        if (n == NULL)
            return NULL;
        n->used = 0;
        n->cap = cap;
        if (c != NULL && cap != ARENA_CHUNK) {
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            a->head = n;
        }
        c = n;
    }
    p = (char *)c->data + c->used;
    c->used += need;
    memset(p, 0, size);
    return p;
}

char *
ec2gw_arena_strndup(ec2gw_arena_t *a, const char *s, size_t len)
{
    char *p = ec2gw_arena_alloc(a, len + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void
ec2gw_arena_free(ec2gw_arena_t *a)
{
    struct ec2gw_arena_chunk *c = a->head;

    while (c != NULL) {
        struct ec2gw_arena_chunk *next = c->next;

        free(c);
        c = next;
    }
    a->head = NULL;
}

/* FNV-1a: short keys, no adversary (the keys come from our own model file). Lookups with
 * client-supplied names (Action) only probe, they never insert. */
static size_t
strmap_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

int
ec2gw_strmap_init(ec2gw_strmap_t *m, ec2gw_arena_t *a, size_t n)
{
    size_t cap = 16;

    while (cap < n * 2)
        cap *= 2;
    m->keys = ec2gw_arena_alloc(a, cap * sizeof(*m->keys));
    m->vals = ec2gw_arena_alloc(a, cap * sizeof(*m->vals));
    if (m->keys == NULL || m->vals == NULL)
        return EC2GW_E_NOMEM;
    m->mask = cap - 1;
    return 0;
}

int
ec2gw_strmap_put(ec2gw_strmap_t *m, const char *key, void *val)
{
    size_t i = strmap_hash(key) & m->mask;

    while (m->keys[i] != NULL) {
        if (strcmp(m->keys[i], key) == 0)
            return EC2GW_E_EXISTS;
        i = (i + 1) & m->mask;
    }
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

void *
ec2gw_strmap_get(const ec2gw_strmap_t *m, const char *key)
{
    size_t i;

    if (m->keys == NULL)
        return NULL;
    i = strmap_hash(key) & m->mask;
    while (m->keys[i] != NULL) {
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
        i = (i + 1) & m->mask;
    }
    return NULL;
}
