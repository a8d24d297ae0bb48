/*
 * host_batch.c - the ABI 1.1 batched data functions of the host table (ids_to_ec2,
 * items_get): a list answer maps its ids in one statement instead of one per object.
 */
#include <stdint.h>
#include <string.h>

#include "core/log.h"
#include "data/idmap.h"
#include "server/request.h"

int ec2gw_host_ids_to_ec2(ec2gw_req_t *r, const char *kind, const char *const *os_ids, size_t n,
                          const char **out);
int ec2gw_host_items_get(ec2gw_req_t *r, const char *const *ec2_ids, size_t n, json_t **out);

int
ec2gw_host_ids_to_ec2(ec2gw_req_t *r, const char *kind, const char *const *os_ids, size_t n,
                      const char **out)
{
    char(*ids)[EC2GW_ID_MAX];
    ec2gw_err_t err = { 0 };
    size_t unmapped = 0;
    int rc;

    if (n == 0)
        return 0;
    if (os_ids == NULL || out == NULL || n > SIZE_MAX / EC2GW_ID_MAX)
        return EC2GW_E_INVAL;
    memset(out, 0, n * sizeof(*out));
    /* The ids live in the request's pool: out[i] points into this block. */
    if ((ids = ec2gw_palloc(r->pool, n * EC2GW_ID_MAX)) == NULL)
        return EC2GW_E_NOMEM;
    rc = ec2gw_idmap_to_ec2_many(r->d->db, r->identity.project_id, kind, os_ids, n, ids, &err);
    if (rc != 0) {
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "ids_to_ec2 %s x%zu: %s", kind ? kind : "-", n,
                  err.msg);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = ids[i][0] != '\0' ? ids[i] : NULL;
        unmapped += out[i] == NULL && os_ids[i] != NULL && os_ids[i][0] != '\0';
    }
    /* id_to_ec2 answers these EC2GW_E_EXISTS, silently; one line per call, not per id */
    if (unmapped > 0)
        ec2gw_log(EC2GW_LOG_INFO, r->log_prefix,
                  "ids_to_ec2: %zu of %zu %s objects are mapped to ids of another kind", unmapped,
                  n, kind);
    return 0;
}

int
ec2gw_host_items_get(ec2gw_req_t *r, const char *const *ec2_ids, size_t n, json_t **out)
{
    ec2gw_err_t err = { 0 };
    int rc;

    if (out == NULL || (n > 0 && ec2_ids == NULL))
        return EC2GW_E_INVAL;
    rc = ec2gw_items_get(r->d->db, r->identity.project_id, ec2_ids, n, out, &err);
    if (rc != 0)
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "items_get x%zu: %s", n, err.msg);
    return rc;
}
