/*
 * no_mysql.c - the fuzz build's stand-in for daemon/data/db_mysql.c, which needs libmariadb:
 * the harnesses fuzz parsers and open no database, but db.c's dispatch names the driver.
 */
#include "data/db_priv.h"

const db_driver_t ec2gw_db_mysql_driver = { 0 };

int
ec2gw_db_mysql_connect(ec2gw_db_t *db, const char *target, const char *password, ec2gw_err_t *err)
{
    (void)db;
    (void)password;
    return ec2gw_err_set(err, EC2GW_E_DB, "db: %s: MySQL is not in the fuzz build", target);
}

int
ec2gw_db_mysql_attach(ec2gw_db_t *db, struct event_base *base, int pool_size, ec2gw_err_t *err)
{
    (void)db;
    (void)base;
    (void)pool_size;
    return ec2gw_err_set(err, EC2GW_E_DB, "db: MySQL is not in the fuzz build");
}
