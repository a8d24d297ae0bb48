/*
 * conf_tmpdir.h - a throwaway conf.d for the config unit tests: one directory per test group
 * (cmocka group setup/teardown), files written into it by name. Included by one test file each.
 */
#ifndef EC2GW_TEST_CONF_TMPDIR_H
#define EC2GW_TEST_CONF_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char tmpdir[64];

/** Writes @p text to "<tmpdir>/<name>"; the path, valid until the next call. */
static const char *
write_file(const char *name, const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ec2gw-conf-XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown_dir(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
