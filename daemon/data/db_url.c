/*
 * db_url.c - mysql://USER@HOST[:PORT]/DBNAME targets (also mariadb://). Anything else is a
 * SQLite path. The password never travels in the URL: it would end up in logs, `ps` and
 * conf.d files readable by more people than the secret should be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/db.h"

static const char *
url_rest(const char *target)
{
    if (target == NULL)
        return NULL;
    if (strncmp(target, "mysql://", 8) == 0)
        return target + 8;
    if (strncmp(target, "mariadb://", 10) == 0)
        return target + 10;
    return NULL;
}

int
ec2gw_db_is_url(const char *target)
{
    return url_rest(target) != NULL;
}

/* Copy [s, e) into @p out of @p size; -1 when empty or too long. */
static int
url_part(const char *s, const char *e, char *out, size_t size)
{
    size_t n = (size_t)(e - s);

    if (n == 0 || n >= size)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int
ec2gw_db_url_parse(const char *target, ec2gw_db_url_t *out, ec2gw_err_t *err)
{
    const char *p = url_rest(target), *at, *slash, *colon, *host_end;
    char *end = NULL;
    unsigned long port = 3306;

    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "paths.database: '%s' is not a mysql:// URL",
                             target != NULL ? target : "");
    slash = strchr(p, '/');
    at = memchr(p, '@', slash != NULL ? (size_t)(slash - p) : strlen(p));
    if (at == NULL || slash == NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "paths.database: expected mysql://USER@HOST[:PORT]/DBNAME");
    if (memchr(p, ':', (size_t)(at - p)) != NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "paths.database: the URL must not carry a password (USER:PASSWORD@);"
                             " set paths.database_password_env or database_password_file");
    colon = memchr(at + 1, ':', (size_t)(slash - at - 1));
    host_end = colon != NULL ? colon : slash;
    if (colon != NULL) {
        port = strtoul(colon + 1, &end, 10);
        if (end != slash || port < 1 || port > 65535)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "paths.database: bad port in '%s'", target);
    }
    if (url_part(p, at, out->user, sizeof(out->user)) != 0 ||
        url_part(at + 1, host_end, out->host, sizeof(out->host)) != 0 ||
        url_part(slash + 1, slash + 1 + strcspn(slash + 1, "?#"), out->name, sizeof(out->name)) !=
            0 ||
        slash[1 + strcspn(slash + 1, "?#")] != '\0' || strchr(out->name, '/') != NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "paths.database: expected mysql://USER@HOST[:PORT]/DBNAME, got '%s'",
                             target);
    out->port = (unsigned)port;
    return 0;
}
