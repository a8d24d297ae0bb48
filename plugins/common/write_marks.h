/*
 * write_marks.h - the per-project write marks of the plugins' read caches (nova-v2.1's
 * servers, cinder-v3's volumes): which projects have writes in flight or ended since a cache
 * entry's refresh started, so that a read after a write never answers from older data.
 *
 * Single-threaded: every caller runs on the loop of one ec2gwd process. One sequence orders
 * refresh starts and write ends (not clocks: a write ending in the same millisecond as a
 * refresh starts still counts).
 */
#ifndef EC2GW_PC_WRITE_MARKS_H
#define EC2GW_PC_WRITE_MARKS_H

#include <stddef.h>
#include <stdint.h>

#include <ec2gw/plugin.h>

/* Writes of one project through the plugin. */
struct ec2gw_pc_mark {
    struct ec2gw_pc_mark *next;
    char *project;
    int writing;       /* write requests in flight */
    int full_writing;  /* ... of them adding or removing items (a full list after) */
    uint64_t seq_end;  /* sequence when the last one ended */
    uint64_t seq_full; /* ... the last full one */
};

/* Called with the project of a mark forgotten to stay under the bound: the caller's entries
 * of that project must start over with a full list, as the writes it recorded are lost. */
typedef void (*ec2gw_pc_forget_fn)(void *ctx, const char *project);

struct ec2gw_pc_marks {
    struct ec2gw_pc_mark *list;
    uint64_t seq; /* orders refresh starts (the caller's ++seq) and write ends */
    size_t max;   /* projects remembered */
    ec2gw_pc_forget_fn forget;
    void *ctx;
};

void ec2gw_pc_marks_init(struct ec2gw_pc_marks *ms, size_t max, ec2gw_pc_forget_fn forget,
                         void *ctx);
/* Free every mark (the struct itself is the caller's). */
void ec2gw_pc_marks_clear(struct ec2gw_pc_marks *ms);
/* The mark of @p project (made with @p create, forgetting the oldest idle one when at the
 * bound), or NULL. */
struct ec2gw_pc_mark *ec2gw_pc_mark_get(struct ec2gw_pc_marks *ms, const char *project, int create);
/* Has a write of @p project been in flight, or ended after sequence @p seq_sync? */
int ec2gw_pc_dirty(const struct ec2gw_pc_marks *ms, const char *project, uint64_t seq_sync);
/* ... and a full one (in flight, or ended after @p seq_full)? */
int ec2gw_pc_need_full(const struct ec2gw_pc_marks *ms, const char *project, uint64_t seq_full);
/* Mark @p req as a write of @p project until it ends (its cleanup, through @p host); @p full:
 * it adds or removes items. Without memory the write goes unmarked, as before. */
void ec2gw_pc_write(const ec2gw_host_api_t *host, ec2gw_req_t *req, struct ec2gw_pc_marks *ms,
                    const char *project, int full);

#endif /* EC2GW_PC_WRITE_MARKS_H */
