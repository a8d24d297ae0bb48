/*
 * metrics_shm.c - the shared metrics region (see metrics_shm.h for why shared memory): an
 * anonymous MAP_SHARED mapping made before fork, so every worker and the supervisor see the
 * same pages. Each slot's series are appended (never removed) behind an open-addressed index;
 * the slot's owner is the only writer and publishes a new series with a release store of
 * n_series, so readers walk only the series in use (and touch only their pages).
 */
#include "metrics_shm.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct region {
    uint32_t n_slots;
    uint64_t worker_restarts;
    ec2gw_mslot_t slots[];
};

static struct region *region;
static size_t region_size;
static int self_index;

int
ec2gw_metrics_init(int n_slots)
{
    size_t size;
    void *p;

    if (region != NULL)
        return 0;
    if (n_slots < 1)
        n_slots = 1;
    size = offsetof(struct region, slots) + (size_t)n_slots * sizeof(ec2gw_mslot_t);
    /* Untouched pages cost nothing: a slot's table is mostly never written. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    region = p;
    region_size = size;
    region->n_slots = (uint32_t)n_slots;
    self_index = 0;
    return 0;
}

void
ec2gw_metrics_use_slot(int worker_id)
{
    ec2gw_mslot_t *s;

    if (region == NULL && ec2gw_metrics_init(1) != 0)
        return;
    self_index = worker_id > 1 && (uint32_t)worker_id <= region->n_slots ? worker_id - 1 : 0;
    s = &region->slots[self_index];
    EC2GW_MSTORE(&s->pid, (int32_t)getpid());
    EC2GW_MSTORE(&s->heartbeat_ms, 0);
    EC2GW_MSTORE(&s->connections, 0);
    EC2GW_MSTORE(&s->in_flight, 0);
}

int
ec2gw_metrics_n_slots(void)
{
    return region != NULL ? (int)region->n_slots : 0;
}

ec2gw_mslot_t *
ec2gw_metrics_slot(int i)
{
    if (region == NULL || i < 0 || (uint32_t)i >= region->n_slots)
        return NULL;
    return &region->slots[i];
}

ec2gw_mslot_t *
ec2gw_metrics_self(void)
{
    if (region == NULL && ec2gw_metrics_init(1) != 0)
        return NULL;
    return &region->slots[self_index];
}

static uint32_t
hash(int family, const char *a, const char *b)
{
    uint32_t h = 2166136261u ^ (uint32_t)family;

    for (; *a != '\0'; a++)
        h = (h ^ (unsigned char)*a) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (; *b != '\0'; b++)
        h = (h ^ (unsigned char)*b) * 16777619u;
    return h;
}

ec2gw_mseries_t *
ec2gw_mslot_series(ec2gw_mslot_t *s, int family, const char *a, const char *b, int add)
{
    uint32_t i = hash(family, a, b) % EC2GW_METRICS_INDEX;

    for (uint32_t probes = 0; probes < EC2GW_METRICS_INDEX; probes++) {
        uint32_t at = s->index[i];
        ec2gw_mseries_t *e;

        if (at == 0) {
            uint32_t n = s->n_series;

            if (!add || n >= EC2GW_METRICS_MAX_SERIES)
                return NULL;
            e = &s->series[n];
            e->family = (uint32_t)family;
            snprintf(e->a, sizeof(e->a), "%s", a);
            snprintf(e->b, sizeof(e->b), "%s", b);
            e->used = 1;
            s->index[i] = (uint16_t)(n + 1);
            /* Readers walk series[0, n_series): the entry is whole before it is counted. */
            __atomic_store_n(&s->n_series, n + 1, __ATOMIC_RELEASE);
            return e;
        }
        e = &s->series[at - 1];
        if (e->family == (uint32_t)family && strcmp(e->a, a) == 0 && strcmp(e->b, b) == 0)
            return e;
        i = (i + 1) % EC2GW_METRICS_INDEX;
    }
    return NULL;
}

ec2gw_mseries_t *
ec2gw_mseries_get(int family, const char *a, const char *b)
{
    ec2gw_mslot_t *s = ec2gw_metrics_self();
    ec2gw_mseries_t *e;

    if (s == NULL)
        return NULL;
    /* Near full, only known keys are found; the last few entries are kept for one "overflow"
     * series per family, so a flood of new label values cannot hide the totals. */
    if (s->n_series + EC2GW_MF_MAX >= EC2GW_METRICS_MAX_SERIES) {
        if ((e = ec2gw_mslot_series(s, family, a, b, 0)) != NULL)
            return e;
        return ec2gw_mslot_series(s, family, family == EC2GW_MF_COUNTER ? a : "overflow",
                                  family == EC2GW_MF_COUNTER ? "overflow=\"1\"" : "overflow", 1);
    }
    return ec2gw_mslot_series(s, family, a, b, 1);
}

void
ec2gw_metrics_worker_restarted(void)
{
    if (region != NULL)
        __atomic_fetch_add(&region->worker_restarts, 1, __ATOMIC_RELAXED);
}

uint64_t
ec2gw_metrics_worker_restarts(void)
{
    return region != NULL ? EC2GW_MLOAD(&region->worker_restarts) : 0;
}

void
ec2gw_metrics_shm_free(void)
{
    if (region != NULL)
        munmap(region, region_size);
    region = NULL;
    region_size = 0;
    self_index = 0;
}
