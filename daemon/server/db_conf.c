/*
 * db_conf.c - paths.database and its password keys. The password of a MySQL target is read
 * from an environment variable or a file, as keystone's service_password_env/_file are, once
 * when the configuration is bound (ec2gw-manage binds the same keys the same way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/daemon.h"

int
ec2gw_db_conf_check(ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    static char from_file[512];
    ec2gw_db_url_t url;

    conf->database_password = NULL;
    /* Each parked request holds one: a few cover a row lock's wait; the server's
     * max_connections bounds workers x pool x nodes. */
    if (conf->database_pool < 1 || conf->database_pool > 64)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "paths.database_pool must be 1-64 (connections per worker), not %lld",
                             (long long)conf->database_pool);
    if (!ec2gw_db_is_url(conf->database)) {
        if (conf->database_password_env != NULL || conf->database_password_file != NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "paths.database_password_env/_file apply to a mysql:// "
                                 "database only ('%s' is a SQLite path)",
                                 conf->database);
        return 0;
    }
    if (ec2gw_db_url_parse(conf->database, &url, err) != 0)
        return EC2GW_E_INVAL;
    if (conf->database_password_env != NULL && conf->database_password_file != NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "paths: give only one of database_password_env, "
                             "database_password_file");
    if (conf->database_password_env != NULL) {
        conf->database_password = getenv(conf->database_password_env);
        if (conf->database_password == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "paths.database_password_env: the environment variable %s is "
                                 "not set",
                                 conf->database_password_env);
    } else if (conf->database_password_file != NULL) {
        FILE *f = fopen(conf->database_password_file, "r");

        if (f == NULL || fgets(from_file, sizeof(from_file), f) == NULL) {
            if (f != NULL)
                fclose(f);
            return ec2gw_err_set(err, EC2GW_E_INVAL, "paths.database_password_file: cannot read %s",
                                 conf->database_password_file);
        }
        fclose(f);
        from_file[strcspn(from_file, "\r\n")] = '\0';
        conf->database_password = from_file;
    }
    return 0;
}
