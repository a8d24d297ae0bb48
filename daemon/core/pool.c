/* pool.c - bump allocator over a list of blocks; large requests get a block of their own. */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool_block {
    struct pool_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct pool_cleanup {
    struct pool_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct ec2gw_pool {
    struct pool_block *blocks;
    struct pool_cleanup *cleanups;
    size_t block_size;
    size_t handed_out;
};

static struct pool_block *
block_new(size_t size)
{
    struct pool_block *b = malloc(sizeof(*b) + size);

    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

ec2gw_pool_t *
ec2gw_pool_new(size_t first_block)
{
    ec2gw_pool_t *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->block_size = first_block < 1024 ? 1024 : first_block;
    p->blocks = block_new(p->block_size);
    if (p->blocks == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void
ec2gw_pool_free(ec2gw_pool_t *p)
{
    if (p == NULL)
        return;
    /* Cleanups were pushed on the front, so this runs them newest first. */
    while (p->cleanups != NULL) {
        struct pool_cleanup *c = p->cleanups;

        p->cleanups = c->next;
        c->fn(c->arg);
    }
    while (p->blocks != NULL) {
        struct pool_block *b = p->blocks;

        p->blocks = b->next;
        free(b);
    }
    free(p);
}

void *
ec2gw_palloc(ec2gw_pool_t *p, size_t n)
{
    struct pool_block *b = p->blocks;
    size_t need = (n + 15) & ~(size_t)15;

    if (need < n)
        return NULL;
    if (b->size - b->used < need) {
        /* Big allocations get a private block behind the current one, keeping its free tail. */
        size_t size = need > p->block_size / 4 ? need : p->block_size;
        struct pool_block *nb = block_new(size);

        if (nb == NULL)
            return NULL;
        if (size == need) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            p->blocks = nb;
        }
        b = nb;
    }
    void *ptr = b->data + b->used;

    b->used += need;
    p->handed_out += need;
    return ptr;
}

void *
ec2gw_pcalloc(ec2gw_pool_t *p, size_t n)
{
    void *ptr = ec2gw_palloc(p, n);

    if (ptr != NULL)
        memset(ptr, 0, n);
    return ptr;
}

char *
ec2gw_pstrndup(ec2gw_pool_t *p, const char *s, size_t n)
{
    char *d = ec2gw_palloc(p, n + 1);

    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *
ec2gw_pstrdup(ec2gw_pool_t *p, const char *s)
{
    return s == NULL ? NULL : ec2gw_pstrndup(p, s, strlen(s));
}

char *
ec2gw_pvsprintf(ec2gw_pool_t *p, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    char *d;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    d = ec2gw_palloc(p, (size_t)n + 1);
    if (d != NULL)
        vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *
ec2gw_psprintf(ec2gw_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char *d;

    va_start(ap, fmt);
    d = ec2gw_pvsprintf(p, fmt, ap);
    va_end(ap);
    return d;
}

int
ec2gw_pool_on_cleanup(ec2gw_pool_t *p, void (*fn)(void *), void *arg)
{
    struct pool_cleanup *c = ec2gw_palloc(p, sizeof(*c));

    if (c == NULL)
        return EC2GW_E_NOMEM;
    c->fn = fn;
    c->arg = arg;
    c->next = p->cleanups;
    p->cleanups = c;
    return 0;
}

size_t
ec2gw_pool_used(const ec2gw_pool_t *p)
{
    return p->handed_out;
}
