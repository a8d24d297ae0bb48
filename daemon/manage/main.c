/* main.c - ec2gw-manage: parse the command line, load conf.d, run the command. */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "core/log.h"
#include "manage/manage.h"

static int
run(const ec2gw_manage_args_t *a)
{
    ec2gw_manage_conf_t c;
    ec2gw_err_t err = { 0 };
    int need_password = a->cmd == EC2GW_MANAGE_CRED_CREATE || a->cmd == EC2GW_MANAGE_CRED_LIST ||
                        a->cmd == EC2GW_MANAGE_CATALOG_REGISTER ||
                        a->cmd == EC2GW_MANAGE_CATALOG_SHOW;
    int rc;

    if (a->cmd == EC2GW_MANAGE_CHECK)
        return ec2gw_manage_check(a);
    /* With an OS_* admin, credentials and catalog do not need the service user's password. */
    if (need_password && getenv("OS_USERNAME") != NULL && getenv("OS_PASSWORD") != NULL)
        need_password = 0;
    if (ec2gw_manage_conf_load(a->conf_dir, need_password, &c, &err) != 0) {
        fprintf(stderr, "ec2gw-manage: configuration %s: %s\n", a->conf_dir, err.msg);
        return EC2GW_MANAGE_FAIL;
    }
    switch (a->cmd) {
    case EC2GW_MANAGE_DB_VERSION:
        rc = ec2gw_manage_db_version(&c);
        break;
    case EC2GW_MANAGE_DB_UPGRADE:
        rc = ec2gw_manage_db_upgrade(&c);
        break;
    case EC2GW_MANAGE_DB_IMPORT:
        rc = ec2gw_manage_db_import(&c, a);
        break;
    case EC2GW_MANAGE_CRED_CREATE:
        rc = ec2gw_manage_cred_create(&c, a);
        break;
    case EC2GW_MANAGE_CRED_LIST:
        rc = ec2gw_manage_cred_list(&c, a);
        break;
    case EC2GW_MANAGE_CATALOG_REGISTER:
        rc = ec2gw_manage_catalog_register(&c, a);
        break;
    case EC2GW_MANAGE_CATALOG_SHOW:
        rc = ec2gw_manage_catalog_show(&c, a);
        break;
    default:
        rc = EC2GW_MANAGE_USAGE;
        break;
    }
    ec2gw_manage_conf_free(&c);
    return rc;
}

int
main(int argc, char **argv)
{
    ec2gw_manage_args_t a;
    char msg[256];
    int rc;

    if (ec2gw_manage_args_parse(argc, argv, &a, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "ec2gw-manage: %s (see ec2gw-manage --help)\n", msg);
        return EC2GW_MANAGE_USAGE;
    }
    if (a.cmd == EC2GW_MANAGE_HELP) {
        ec2gw_manage_usage(stdout);
        return EC2GW_MANAGE_OK;
    }
    if (a.cmd == EC2GW_MANAGE_VERSION) {
        printf("ec2gw-manage %s\n", EC2GW_MANAGE_VERSION_STR);
        return EC2GW_MANAGE_OK;
    }
    if (a.conf_dir == NULL)
        a.conf_dir = EC2GW_MANAGE_DEFAULT_CONF_DIR;
    ec2gw_log_set_level(EC2GW_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = run(&a);
    curl_global_cleanup();
    return rc;
}
