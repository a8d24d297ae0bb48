/* import_cmd.c - `db import-ec2api`: run the import and print its report. */
#include <stdio.h>

#include "manage/manage.h"

/* Conflicts printed one per line; more than this are counted only. */
#define CONFLICTS_SHOWN 100

struct shown {
    long n;
};

static void
on_conflict(void *arg, const char *what, const char *key, const char *why)
{
    struct shown *s = arg;

    if (s->n++ < CONFLICTS_SHOWN)
        fprintf(stderr, "conflict: %s %s: %s\n", what, key ? key : "(null)", why ? why : "");
}

static void
print_row(const char *name, const ec2gw_import_counts_t *c)
{
    printf("%-6s %10ld %10ld %10ld %10ld\n", name, c->read, c->imported, c->identical,
           c->conflicts);
}

int
ec2gw_manage_db_import(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a)
{
    ec2gw_import_report_t rep;
    ec2gw_err_t err = { 0 };
    struct shown shown = { 0 };
    int rc = ec2gw_manage_import(c->conf.database, a->source, a->dry_run, &rep, on_conflict, &shown,
                                 &err);

    if (rc != 0 && rep.items.read == 0 && rep.tags.read == 0 && shown.n == 0) {
        fprintf(stderr, "ec2gw-manage: db import-ec2api: %s\n", err.msg);
        return EC2GW_MANAGE_FAIL;
    }
    if (shown.n > CONFLICTS_SHOWN)
        fprintf(stderr, "conflict: ... and %ld more\n", shown.n - CONFLICTS_SHOWN);
    int written = rc == 0 && !a->dry_run;

    printf("import from %s into %s%s\n", a->source, c->conf.database,
           written      ? ""
           : a->dry_run ? " (dry run: nothing written)"
                        : " (refused: nothing written)");
    printf("%-6s %10s %10s %10s %10s\n", "table", "read", written ? "imported" : "to import",
           "identical", "conflicts");
    print_row("items", &rep.items);
    print_row("tags", &rep.tags);
    printf("time: %.3f s\n", rep.seconds);
    if (rc != 0) {
        fprintf(stderr, "ec2gw-manage: db import-ec2api: %s\n", err.msg);
        return EC2GW_MANAGE_FAIL;
    }
    return EC2GW_MANAGE_OK;
}
