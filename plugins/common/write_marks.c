/*
 * write_marks.c - the per-project write marks of the plugins' read caches (write_marks.h).
 */
#define _DEFAULT_SOURCE /* strdup */
#include "write_marks.h"

#include <stdlib.h>
#include <string.h>

void
ec2gw_pc_marks_init(struct ec2gw_pc_marks *ms, size_t max, ec2gw_pc_forget_fn forget, void *ctx)
{
    memset(ms, 0, sizeof(*ms));
    ms->max = max;
    ms->forget = forget;
    ms->ctx = ctx;
}

static void
ec2gw_pc_mark_free(struct ec2gw_pc_mark *m)
{
    free(m->project);
    free(m);
}

void
ec2gw_pc_marks_clear(struct ec2gw_pc_marks *ms)
{
    while (ms->list != NULL) {
        struct ec2gw_pc_mark *m = ms->list;

        ms->list = m->next;
        ec2gw_pc_mark_free(m);
    }
}

struct ec2gw_pc_mark *
ec2gw_pc_mark_get(struct ec2gw_pc_marks *ms, const char *project, int create)
{
    struct ec2gw_pc_mark *m, **pp, **old = NULL;
    size_t n = 0;

    for (m = ms->list; m != NULL; m = m->next, n++)
        if (strcmp(m->project, project) == 0)
            return m;
    if (!create)
        return NULL;
    if (n >= ms->max) {
        /* Forget the oldest idle mark; its project's entries start over with a full list, so
         * no write it recorded can be missed. */
        for (pp = &ms->list; *pp != NULL; pp = &(*pp)->next)
            if ((*pp)->writing == 0 && (old == NULL || (*pp)->seq_end < (*old)->seq_end))
                old = pp;
        if (old != NULL) {
            m = *old;
            *old = m->next;
            if (ms->forget != NULL)
                ms->forget(ms->ctx, m->project);
            ec2gw_pc_mark_free(m);
        }
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->project = strdup(project)) == NULL) {
        free(m);
        return NULL;
    }
    m->next = ms->list;
    ms->list = m;
    return m;
}

/* The mark of @p project, without making one. */
static const struct ec2gw_pc_mark *
ec2gw_pc_mark_find(const struct ec2gw_pc_marks *ms, const char *project)
{
    const struct ec2gw_pc_mark *m;

    for (m = ms->list; m != NULL; m = m->next)
        if (strcmp(m->project, project) == 0)
            return m;
    return NULL;
}

int
ec2gw_pc_dirty(const struct ec2gw_pc_marks *ms, const char *project, uint64_t seq_sync)
{
    const struct ec2gw_pc_mark *m = ec2gw_pc_mark_find(ms, project);

    return m != NULL && (m->writing > 0 || m->seq_end > seq_sync);
}

int
ec2gw_pc_need_full(const struct ec2gw_pc_marks *ms, const char *project, uint64_t seq_full)
{
    const struct ec2gw_pc_mark *m = ec2gw_pc_mark_find(ms, project);

    return m != NULL && (m->full_writing > 0 || m->seq_full > seq_full);
}

struct ec2gw_pc_write {
    struct ec2gw_pc_marks *ms;
    char *project;
    int full;
};

/* The write request ended: reads after it refresh (the mark is found again by project, as it
 * may have been forgotten and made again meanwhile). */
static void
ec2gw_pc_write_end(void *arg)
{
    struct ec2gw_pc_write *w = arg;
    struct ec2gw_pc_mark *m = ec2gw_pc_mark_get(w->ms, w->project, 0);

    if (m == NULL)
        return;
    m->writing--;
    m->seq_end = ++w->ms->seq;
    if (w->full) {
        m->full_writing--;
        m->seq_full = m->seq_end;
    }
}

void
ec2gw_pc_write(const ec2gw_host_api_t *host, ec2gw_req_t *req, struct ec2gw_pc_marks *ms,
               const char *project, int full)
{
    struct ec2gw_pc_write *w = host->pcalloc(req, sizeof(*w));
    struct ec2gw_pc_mark *m = ec2gw_pc_mark_get(ms, project, 1);

    if (w == NULL || m == NULL)
        return;
    w->ms = ms;
    w->project = host->pstrdup(req, m->project);
    w->full = full;
    if (w->project == NULL || host->on_cleanup(req, ec2gw_pc_write_end, w) != 0)
        return;
    m->writing++;
    if (full)
        m->full_writing++;
}
