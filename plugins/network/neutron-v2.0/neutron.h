/*
 * neutron.h - private declarations of the neutron-v2.0 network plugin (SDK only, no daemon
 * headers). Shared by the security group, Elastic IP and account attribute files.
 */
#ifndef NEUTRON_H
#define NEUTRON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

/** The host table, set in load(); shared by the plugin's files (hidden visibility). */
extern const ec2gw_host_api_t *ec2gw;

/** One instance (one conf.d file): bound from `settings:`, read-only after create(). */
struct neutron_inst {
    const char *external_network; /* floating IP pool: "auto" (the only external) or name/id */
    int default_vpc;               /* every project gets a default VPC (vpc.h) */
    const char *availability_zone; /* the zone of subnets when Neutron has none */
};

/* neutron_common.c: small shared helpers ------------------------------------------------ */

static inline const char *
neutron_or(const char *s)
{
    return s != NULL ? s : "";
}
/* Hand @p j (a new reference) to the request's pool: it lives until the request ends. */
json_t *neutron_own(ec2gw_req_t *req, json_t *j);
/* The string member @p key of @p obj, or NULL. */
const char *neutron_str(const json_t *obj, const char *key);
/* The string request parameter @p key, or NULL. */
const char *neutron_param_str(ec2gw_req_t *req, const char *key);
/* Index of the first non-2xx answer of a fan-out, or -1 when all succeeded. */
int neutron_first_failure(const ec2gw_os_resp_t *const *r, size_t n);
/* Neutron's error type ("SecurityGroupInUse", "OverQuota"...) of a failed answer, or "". */
const char *neutron_error_type(const ec2gw_os_resp_t *r);
/* Neutron's error message of a failed answer (control characters blanked; pool), or "". */
const char *neutron_error_message(ec2gw_req_t *req, const ec2gw_os_resp_t *r);

/* How one action names Neutron's failures; NULL members fall back to the host mapping. */
struct neutron_errmap {
    const char *not_found; /* 404 */
    const char *conflict;  /* 409 that is not a quota */
    const char *quota;     /* OverQuota (409/413/403) */
};
/* Answer the EC2 error of a failed Neutron call (@p map may be NULL). */
void neutron_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const struct neutron_errmap *map);

/* The tags of TagSpecifications for @p resource_type: returns new array (maybe empty). */
json_t *neutron_tag_specs(const json_t *params, const char *resource_type);
/* Is a TagSpecification for another resource type than @p resource_type present? Then fail
 * the request (InvalidParameterValue) and return -1; else 0. */
int neutron_check_tag_specs(ec2gw_req_t *req, const char *resource_type);
/* The EC2 ids of kind @p kind for the "id" members of the objects of @p objs, in one
 * database round trip: returns {os_id: ec2_id} (pool-owned). */
json_t *neutron_map_ids(ec2gw_req_t *req, const char *kind, const json_t *objs);
/* The request's Filters (tag filters on the member @p tag_key, or none with NULL), then
 * MaxResults/NextToken ordered by @p page_key: a new page and *next, or NULL after the host
 * answered with an error. */
json_t *neutron_filter_page(ec2gw_req_t *req, const json_t *items, const char *tag_key,
                            const char *page_key, ec2gw_filter_values_fn values, void *arg,
                            const char **next);
/* Answer {key: list (stolen), NextToken: next}. */
void neutron_finish_list(ec2gw_req_t *req, const char *key, json_t *list, const char *next);
/* Answer {Return: true}. */
void neutron_finish_true(ec2gw_req_t *req);
/* "/v2.0/<what>?<query>" with @p query of the form "k=v&k=v" (already escaped); pool. */
const char *neutron_path(ec2gw_req_t *req, const char *what, const char *query);
/* Append "&<key>=<escaped value>" for each string of @p values to @p q (pool); returns it. */
char *neutron_query_add(ec2gw_req_t *req, char *q, const char *key, const json_t *values);

/* action handlers ------------------------------------------------------------------------ */

/* Security groups (sg_*.c) and account attributes (account.c) */
int neutron_create_security_group(ec2gw_req_t *req, void *inst);
int neutron_delete_security_group(ec2gw_req_t *req, void *inst);
int neutron_describe_security_groups(ec2gw_req_t *req, void *inst);
int neutron_authorize_security_group(ec2gw_req_t *req, void *inst); /* Ingress and Egress */
int neutron_revoke_security_group(ec2gw_req_t *req, void *inst);
int neutron_describe_security_group_rules(ec2gw_req_t *req, void *inst);
int neutron_modify_security_group_rules(ec2gw_req_t *req, void *inst);
int neutron_update_security_group_rule_descriptions(ec2gw_req_t *req, void *inst);
int neutron_describe_account_attributes(ec2gw_req_t *req, void *inst);

/* Elastic IPs (addresses_*.c) */
int neutron_allocate_address(ec2gw_req_t *req, void *inst);
int neutron_release_address(ec2gw_req_t *req, void *inst);
int neutron_associate_address(ec2gw_req_t *req, void *inst);
int neutron_disassociate_address(ec2gw_req_t *req, void *inst);
int neutron_describe_addresses(ec2gw_req_t *req, void *inst);

#endif /* NEUTRON_H */
