/*
 * vpc_priv.h - helpers shared by vpc-core's files (VPCs, subnets, internet gateways, the
 * default VPC); the family's shared declarations are in vpc.h.
 */
#ifndef NEUTRON_VPC_PRIV_H
#define NEUTRON_VPC_PRIV_H

#include <stdint.h>

#include "vpc.h"

/* vpc_model.c ------------------------------------------------------------------------------ */

/* Parse an IPv4 CIDR "a.b.c.d/n" (host bits cleared into *net). 0, or -1 when malformed. */
int vpc_cidr_parse(const char *s, uint32_t *net, int *prefix);
/* "a.b.c.d/n" (pool). */
const char *vpc_cidr_str(ec2gw_req_t *req, uint32_t net, int prefix);
/* Is @p inner (net/prefix) inside @p outer? Do two blocks overlap? */
int vpc_cidr_inside(uint32_t inner, int ip, uint32_t outer, int op);
int vpc_cidr_overlap(uint32_t a, int ap, uint32_t b, int bp);
/* CidrBlock of a VPC or subnet: a /16 to /28 IPv4 block (pool, normalised), or NULL after
 * failing the request: InvalidParameterValue naming @p param when malformed, @p range_code
 * (InvalidVpc.Range, InvalidSubnet.Range, as AWS) for another size. */
const char *vpc_cidr_param(ec2gw_req_t *req, const char *param, const char *value,
                           const char *range_code);

/* The tags of the request's TagSpecifications for @p type, checked (key 1-127, value <= 255,
 * no aws: prefix, no other resource type): pool array, or NULL after failing the request. */
json_t *vpc_tags_param(ec2gw_req_t *req, const char *type);
/* Put Tags on each model of @p items keyed by @p key (one database read). */
void vpc_attach_tags(ec2gw_req_t *req, json_t *items, const char *key);
/* Items of @p kind of the caller (pool object; {} on a database failure, logged). */
json_t *vpc_items(ec2gw_req_t *req, const char *kind);
/* Is @p data's bool member @p key true (@p def when absent)? */
int vpc_flag(const json_t *data, const char *key, int def);

/* The EC2 Vpc model of VPC @p id with item @p data (returns new; Tags empty). */
json_t *vpc_model(ec2gw_req_t *req, const char *id, const json_t *data);
/* Filter values of DescribeVpcs (ec2gw_filter_values_fn contract). */
int vpc_filter_values(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values,
                      void *arg);
/* Check the ids of list parameter @p param: each must be a key of @p items (an object of
 * item data), else fail with @p code ("InvalidVpcID.NotFound"...) naming it. 0 or -1. */
int vpc_check_ids(ec2gw_req_t *req, const char *param, const json_t *items, const char *prefix,
                  const char *code, const char *what);
/* Fail InvalidXxxID.Malformed / .NotFound for a single id parameter; returns EC2GW_OK. */
int vpc_fail_id(ec2gw_req_t *req, const char *code_base, const char *what, const char *id,
                const char *prefix);
/* "The request must contain the parameter @p name"; returns EC2GW_OK. */
int vpc_missing(ec2gw_req_t *req, const char *name);
/* A Neutron call failed at the start of an action: fail the request; for callbacks. */
void vpc_os_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *not_found);
/* Start @p call or fail the request with InternalError; EC2GW_AGAIN or EC2GW_OK. */
int vpc_call(ec2gw_req_t *req, const ec2gw_os_call_t *call, ec2gw_os_done_fn done, void *arg);
/* A fire-and-forget cleanup call (a compensation step whose failure is only logged), then
 * @p then(req, arg). */
typedef void (*vpc_then_fn)(ec2gw_req_t *req, void *arg);
void vpc_cleanup_call(ec2gw_req_t *req, const char *method, const char *path, const json_t *body,
                      vpc_then_fn then, void *arg);

/* vpcs.c: the VPC pipeline CreateVpc, CreateDefaultVpc and the default VPC share ----------- */

struct vpc_make;
typedef void (*vpc_made_fn)(ec2gw_req_t *req, struct vpc_make *m, int rc);
struct vpc_make {
    struct neutron_inst *ni;
    const char *vpc_id, *cidr;
    int is_default;
    const json_t *tags;  /* TagSpecification tags, or NULL */
    const json_t *extra; /* more members of the vpc row (the default VPC's progress), or NULL */
    const char *router;  /* Neutron router id, once made or found */
    const char *sg_os;   /* the default group, once made or found */
    const char *rtb_id;  /* the main route table */
    const char *code;    /* the error to answer after a compensation */
    const char *msg;
    vpc_made_fn done; /* rc 0; negative after the request was failed (all undone) */
    void *arg;
};
/* Make a VPC (router named vpc_id, rows, main route table, default group), all or nothing. */
void vpc_make_start(ec2gw_req_t *req, struct vpc_make *m);

/* subnets.c: the subnet pipeline CreateSubnet and the default VPC share ---------------------- */

struct subnet_make;
typedef void (*subnet_made_fn)(ec2gw_req_t *req, struct subnet_make *m, int rc);
struct subnet_make {
    struct neutron_inst *ni;
    const char *vpc_id, *router, *cidr, *az;
    const char *subnet_id; /* new_id("subnet") */
    int default_for_az;
    const json_t *tags;
    const char *net_os, *subnet_os;
    const char *code, *msg;
    subnet_made_fn done;
    void *arg;
};
void subnet_make_start(ec2gw_req_t *req, struct subnet_make *m);
/* The EC2 Subnet model of subnet @p id (item data @p data) with @p count free addresses, or -1
 * when unknown (returns new). */
json_t *subnet_model(ec2gw_req_t *req, struct neutron_inst *ni, const char *id, const json_t *data,
                     json_int_t count);

/* igw.c -------------------------------------------------------------------------------------- */
/* PUT the router's external gateway (@p attach) or clear it; done(req, rc, arg). */
void igw_router_gateway(ec2gw_req_t *req, struct neutron_inst *ni, const char *router, int attach,
                        neutron_done_fn done, void *arg);

#endif /* NEUTRON_VPC_PRIV_H */
