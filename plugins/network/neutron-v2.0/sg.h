/*
 * sg.h - the security group half of neutron-v2.0: canonical rules (sg_rule.c), the group
 * lookup every write starts with (sg_lookup.c), permission parsing (sg_perms.c) and the
 * all-or-nothing rule change engine (sg_change.c).
 */
#ifndef NEUTRON_SG_H
#define NEUTRON_SG_H

#include <jansson.h>

#include <ec2gw/plugin.h>

/* What a model needs besides a group: EC2 ids and names by Neutron id (all pool-owned). */
struct sg_names {
    json_t *group_ids;   /* Neutron group id → sg- */
    json_t *group_names; /* Neutron group id → name */
    json_t *rule_ids;    /* Neutron rule id → sgr- */
    const char *owner;   /* ownerId / userId of the caller's groups */
};

/* sg_rule.c (pure) ------------------------------------------------------------------------ */
/* EC2 IpProtocol → canonical ("-1", tcp, udp, icmp, icmpv6, or "0".."255"); -1 if unknown. */
int sg_proto_from_ec2(const char *in, char out[8]);
int sg_proto_has_ports(const char *proto);
int sg_proto_is_icmp(const char *proto);
/* Validate and normalise a CIDR (host bits cleared) into @p out; *eth IPv4/IPv6. 0 or -1. */
int sg_cidr_normalize(const char *in, char out[64], const char **eth);
/* Canonical rule of a Neutron rule object (returns new). */
json_t *sg_canon_from_neutron(const json_t *r);
/* Canonical rule of a validated EC2 permission entry (returns new); group is a Neutron id. */
json_t *sg_canon_new(const char *dir, const char *proto, json_int_t from, json_int_t to,
                     const char *eth, const char *cidr, const char *group, const char *desc);
/* The comparison key of a canonical rule (description and id excluded). */
char *sg_canon_key(const json_t *c, char *buf, size_t size);
/* Neutron {"security_group_rule": {...}} body of a canonical rule (returns new). */
json_t *sg_neutron_body(const json_t *c, const char *group_os_id);
/* EC2 FromPort/ToPort of a canonical rule; returns 1 when an IpPermission shows them. */
int sg_ec2_ports(const json_t *c, json_int_t *from, json_int_t *to);
/* The SecurityGroupRule model of a canonical rule (returns new). */
json_t *sg_rule_model(const json_t *c, const struct sg_names *n);
/* The SecurityGroup model of a Neutron group with its rules (returns new; Tags empty). */
json_t *sg_group_model(const json_t *g, const struct sg_names *n);
/* IpPermissions grouping canonical rules @p canon (returns new). */
json_t *sg_perms_model(const json_t *canon, const struct sg_names *n);
/* AWS's text of a rule in InvalidPermission.* messages. */
char *sg_rule_text(const json_t *c, const struct sg_names *n, char *buf, size_t size);

/* sg_lookup.c ------------------------------------------------------------------------------ */
struct sg_ctx;
typedef void (*sg_next_fn)(ec2gw_req_t *req, struct sg_ctx *c);

/* Per-request state of a security group write (ec2gw->state()). */
struct sg_ctx {
    json_t *groups;        /* the caller's Neutron groups with their rules (pool) */
    struct sg_names names; /* ids and names of them, and of their rules */
    const json_t *group;   /* the target group (GroupId/GroupName), or NULL */
    const char *group_id;  /* its sg- id */
    int egress;            /* the action is about egress rules */
    json_t *add, *del;     /* sg_change: canonical rules to create / Neutron rules to delete */
    json_t *keep_ids;      /* sg_change: per add[i], the sgr- id it takes over, or null */
    json_t *created;       /* sg_change: the Neutron rules created */
    json_t *work;          /* action-specific */
    sg_next_fn next;       /* what runs when the lookup or the change succeeded */
    const void *inst;
};

/* The state of this request, zeroed the first time. */
struct sg_ctx *sg_ctx(ec2gw_req_t *req);
/* List the caller's groups, map their ids (and rules' ids), resolve GroupId/GroupName when
 * @p target, then run @p next. Returns EC2GW_AGAIN, or EC2GW_OK after failing the request. */
int sg_load(ec2gw_req_t *req, int target, sg_next_fn next);
/* The Neutron group of the caller with EC2 id @p ec2_id or name @p name, or NULL. */
const json_t *sg_find(struct sg_ctx *c, const char *ec2_id, const char *name);
/* Canonical forms of the target group's rules of the action's direction (pool). */
json_t *sg_existing(ec2gw_req_t *req, struct sg_ctx *c);
/* Add the sg- ids of remote groups the rules of @p objs (groups or rules) name to @p map. */
void sg_map_remote_groups(ec2gw_req_t *req, const json_t *objs, json_t *map);
/* Fail InvalidGroup.NotFound for @p what. */
void sg_not_found(ec2gw_req_t *req, const char *what);

/* sg_perms.c ------------------------------------------------------------------------------- */
/* The canonical rules of IpPermissions.N and the legacy flat members (pool), or NULL after
 * failing the request; each rule's "perm" is the index of the permission it came from. */
json_t *sg_perms_parse(ec2gw_req_t *req, struct sg_ctx *c, const json_t *params);
/* Append the canonical rules of one IpPermissions entry @p perm (index @p pi, direction of
 * c->egress) to @p out; 0, or -1 after failing the request. */
int sg_perm_parse(ec2gw_req_t *req, struct sg_ctx *c, const json_t *perm, size_t pi, json_t *out);

/* sg_change.c ------------------------------------------------------------------------------- */
/* Delete c->del, then create c->add, all or nothing: on a failure what was deleted is made
 * again (its sgr- id kept) and what was created is deleted; the client gets one error. On
 * success c->created holds the new Neutron rules and c->next runs. Returns EC2GW_AGAIN. */
int sg_change(ec2gw_req_t *req, struct sg_ctx *c);

#endif /* NEUTRON_SG_H */
