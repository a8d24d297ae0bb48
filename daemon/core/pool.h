/* pool.h - arena allocator with cleanup callbacks (one per request, one per generation). */
#ifndef EC2GW_CORE_POOL_H
#define EC2GW_CORE_POOL_H

#include <stdarg.h>
#include <stddef.h>

#include <ec2gw/plugin.h>

typedef struct ec2gw_pool ec2gw_pool_t;

/** A new pool whose first block holds @p first_block bytes. Returns new (ec2gw_pool_free). */
ec2gw_pool_t *ec2gw_pool_new(size_t first_block);

/** Run the cleanups in reverse order of registration, then free every block. NULL is fine. */
void ec2gw_pool_free(ec2gw_pool_t *p);

/** Pool memory, 16-byte aligned; NULL only when out of memory. */
void *ec2gw_palloc(ec2gw_pool_t *p, size_t n);
void *ec2gw_pcalloc(ec2gw_pool_t *p, size_t n);
char *ec2gw_pstrdup(ec2gw_pool_t *p, const char *s);
char *ec2gw_pstrndup(ec2gw_pool_t *p, const char *s, size_t n);
char *ec2gw_psprintf(ec2gw_pool_t *p, const char *fmt, ...) EC2GW_PRINTF(2, 3);
char *ec2gw_pvsprintf(ec2gw_pool_t *p, const char *fmt, va_list ap) EC2GW_PRINTF(2, 0);

/** Run fn(arg) when the pool is freed. 0 or EC2GW_E_NOMEM. */
int ec2gw_pool_on_cleanup(ec2gw_pool_t *p, void (*fn)(void *), void *arg);

/** Bytes handed out so far (for metrics and tests). */
size_t ec2gw_pool_used(const ec2gw_pool_t *p);

#endif
