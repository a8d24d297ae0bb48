/*
 * idmap_bench.c - mapping a list answer's OpenStack ids to EC2 ids on a file database (WAL, as
 * ec2gwd runs it): n single ec2gw_idmap_to_ec2 calls in autocommit (one lock round per
 * statement, one commit per new row), the same inside one transaction (what a transaction
 * around each plugin callback would give), and one ec2gw_idmap_to_ec2_many, alone and inside
 * a transaction. New ids (first Describe) and known ids (every later one).
 *
 *     ec2gw-idmap-bench [dir] [rounds]      (dir: /tmp; rounds: 15)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/db.h"
#include "data/idmap.h"

enum { BACKGROUND = 10000, MAX_N = 1000 };

typedef enum { SINGLE, SINGLE_TX, BATCH, BATCH_TX, MODES } bench_mode_t;

static const char *const mode_names[MODES] = {
    "n x id_to_ec2 (autocommit)",
    "n x id_to_ec2 in one tx",
    "1 x ids_to_ec2",
    "1 x ids_to_ec2 in one tx",
};

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void
die(const char *what, const ec2gw_err_t *err)
{
    fprintf(stderr, "idmap_bench: %s: %s\n", what, err->msg);
    exit(1);
}

/* Map os[0..n) with @p mode; the time in ms. */
static double
run(ec2gw_db_t *db, bench_mode_t mode, const char *const *os, size_t n, char (*out)[EC2GW_ID_MAX])
{
    ec2gw_err_t err = { 0 };
    double t0 = now_ms();

    if ((mode == SINGLE_TX || mode == BATCH_TX) && ec2gw_db_begin(db, &err) != 0)
        die("begin", &err);
    if (mode == SINGLE || mode == SINGLE_TX) {
        for (size_t i = 0; i < n; i++)
            if (ec2gw_idmap_to_ec2(db, "proj-a", "i", os[i], out[i], &err) != 0)
                die("id_to_ec2", &err);
    } else if (ec2gw_idmap_to_ec2_many(db, "proj-a", "i", os, n, out, &err) != 0) {
        die("ids_to_ec2", &err);
    }
    if ((mode == SINGLE_TX || mode == BATCH_TX) && ec2gw_db_commit(db, &err) != 0)
        die("commit", &err);
    return now_ms() - t0;
}

/* Fill @p os with n UUID-like ids: fresh ones (never mapped) or known ones (background). */
static void
make_ids(char (*buf)[40], const char **os, size_t n, int fresh, unsigned *serial)
{
    for (size_t i = 0; i < n; i++) {
        if (fresh)
            snprintf(buf[i], 40, "f0000000-0000-4000-8000-%012u", (*serial)++);
        else
            snprintf(buf[i], 40, "b0000000-0000-4000-8000-%012zu",
                     (i * 7919 + *serial) % BACKGROUND);
        os[i] = buf[i];
    }
    if (!fresh)
        (*serial)++;
}

/* Modes interleaved round by round, so that load from elsewhere and WAL checkpoints (every
 * 1000 pages, with an fsync) fall on all of them alike. */
static void
bench(ec2gw_db_t *db, size_t n, int rounds, unsigned *serial)
{
    static char buf[MAX_N][40];
    static const char *os[MAX_N];
    static char out[MAX_N][EC2GW_ID_MAX];
    double *t = malloc((size_t)rounds * MODES * sizeof(*t));

    for (int fresh = 1; fresh >= 0; fresh--) {
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < MODES; k++) {
                int m = (k + r) % MODES; /* rotated: a checkpoint lands on each mode alike */

                make_ids(buf, os, n, fresh, serial);
                t[m * rounds + r] = run(db, (bench_mode_t)m, os, n, out);
            }
        }
        for (int m = 0; m < MODES; m++) {
            double *tm = t + m * rounds;

            qsort(tm, (size_t)rounds, sizeof(*tm), cmp_double);
            printf("n=%-5zu %-6s %-28s median %8.3f ms  (min %.3f, max %.3f)  %.2f us/id\n", n,
                   fresh ? "new" : "known", mode_names[m], tm[rounds / 2], tm[0], tm[rounds - 1],
                   tm[rounds / 2] * 1000 / (double)n);
        }
    }
    free(t);
}

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    char path[512], side[540], os[40], id[EC2GW_ID_MAX];
    ec2gw_db_t *db = NULL;
    ec2gw_err_t err = { 0 };
    unsigned serial = 0;

    if (rounds < 1)
        rounds = 1;
    snprintf(path, sizeof(path), "%s/ec2gw-idmap-bench-%d.db", dir, (int)getpid());
    if (ec2gw_db_open(path, &db, &err) != 0)
        die("open", &err);
    /* a database that has seen some use: 10k instances over a few projects */
    if (ec2gw_db_begin(db, &err) != 0)
        die("begin", &err);
    for (unsigned i = 0; i < BACKGROUND; i++) {
        snprintf(os, sizeof(os), "b0000000-0000-4000-8000-%012u", i);
        if (ec2gw_idmap_to_ec2(db, i % 3 ? "proj-a" : "proj-b", "i", os, id, &err) != 0)
            die("seed", &err);
    }
    if (ec2gw_db_commit(db, &err) != 0)
        die("commit", &err);
    printf("file database %s (WAL, synchronous=NORMAL), %d rows, %d rounds each\n", path,
           BACKGROUND, rounds);
    bench(db, 100, rounds, &serial);
    bench(db, 1000, rounds, &serial);
    ec2gw_db_close(db);
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    return 0;
}
