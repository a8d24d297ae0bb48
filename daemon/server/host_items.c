/*
 * host_items.c - the ABI 1.2 item functions of the host table (items_list, item_insert,
 * new_id) over daemon/data/items_list.c, for the VPC family's objects.
 */
#include <string.h>

#include "core/log.h"
#include "data/idmap.h"
#include "server/request.h"

int ec2gw_host_items_list(ec2gw_req_t *r, const char *kind, json_t **out);
int ec2gw_host_item_insert(ec2gw_req_t *r, const char *ec2_id, const char *os_id,
                           const json_t *data);
int ec2gw_host_new_id(ec2gw_req_t *r, const char *kind, const char **out);

int
ec2gw_host_items_list(ec2gw_req_t *r, const char *kind, json_t **out)
{
    ec2gw_err_t err = { 0 };
    int rc;

    if (out == NULL)
        return EC2GW_E_INVAL;
    rc = ec2gw_items_list(r->d->db, r->identity.project_id, kind, out, &err);
    if (rc != 0)
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "items_list %s: %s", kind ? kind : "-", err.msg);
    return rc;
}

int
ec2gw_host_item_insert(ec2gw_req_t *r, const char *ec2_id, const char *os_id, const json_t *data)
{
    ec2gw_err_t err = { 0 };
    int rc = ec2gw_item_insert(r->d->db, r->identity.project_id, ec2_id, os_id, data, &err);

    /* EXISTS is the answer the caller asked for (lost a race), not a fault */
    if (rc != 0 && rc != EC2GW_E_EXISTS)
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "item_insert %s: %s", ec2_id ? ec2_id : "-",
                  err.msg);
    return rc;
}

int
ec2gw_host_new_id(ec2gw_req_t *r, const char *kind, const char **out)
{
    ec2gw_err_t err = { 0 };
    char id[EC2GW_ID_MAX];
    int rc;

    if (out == NULL)
        return EC2GW_E_INVAL;
    *out = NULL;
    if ((rc = ec2gw_id_new_unused(r->d->db, kind, id, &err)) != 0) {
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "new_id %s: %s", kind ? kind : "-", err.msg);
        return rc;
    }
    if ((*out = ec2gw_pstrdup(r->pool, id)) == NULL)
        return EC2GW_E_NOMEM;
    return 0;
}
