/*
 * model_arena.h - the bump allocator and string hash map behind the loaded model. Private to
 * the protocol subsystem.
 */
#ifndef EC2GW_PROTOCOL_MODEL_ARENA_H
#define EC2GW_PROTOCOL_MODEL_ARENA_H

#include <stddef.h>

/** A chain of chunks freed all at once. Zero-initialise before use. */
typedef struct ec2gw_arena {
    struct ec2gw_arena_chunk *head;
} ec2gw_arena_t;

/** @p size zeroed bytes, suitably aligned, owned by @p a (pool), or NULL. */
void *ec2gw_arena_alloc(ec2gw_arena_t *a, size_t size);

/** A copy of the @p len bytes at @p s plus a NUL, owned by @p a (pool), or NULL. */
char *ec2gw_arena_strndup(ec2gw_arena_t *a, const char *s, size_t len);

/** Free every chunk; @p a is empty afterwards. */
void ec2gw_arena_free(ec2gw_arena_t *a);

/** Open-addressing map from NUL-terminated names (borrowed, must outlive it) to pointers. */
typedef struct ec2gw_strmap {
    const char **keys;
    void **vals;
    size_t mask;
} ec2gw_strmap_t;

/** Size @p m for @p n entries, allocating from @p a. Returns 0 or EC2GW_E_NOMEM. */
int ec2gw_strmap_init(ec2gw_strmap_t *m, ec2gw_arena_t *a, size_t n);

/** Insert @p key (borrowed). Returns 0, or EC2GW_E_EXISTS when already there. */
int ec2gw_strmap_put(ec2gw_strmap_t *m, const char *key, void *val);

/** The value stored under @p key, or NULL. */
void *ec2gw_strmap_get(const ec2gw_strmap_t *m, const char *key);

#endif
