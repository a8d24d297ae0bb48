/*
 * md.h - private declarations of the ec2-v1 metadata plugin (SDK only, no daemon headers).
 *
 * It serves the EC2 instance metadata tree (openstack-mapping.md §21) on the daemon's
 * metadata listener, behind Neutron's metadata proxy: who asks is the instance Neutron's
 * agent names in signed headers; what it gets is built from one Nova server, its ports and
 * its volume attachments (all fetched as the service user), with the EC2 ids the API shows.
 */
#ifndef MD_H
#define MD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

/** The host table, set in load(); shared by the plugin's files (hidden visibility). */
extern const ec2gw_host_api_t *ec2gw;

/** One instance: bound from `settings:`; the cache is the only mutable part. */
struct md_inst {
    int trust_neutron_ids;  /* accept unsigned X-Neutron-Network-ID/Router-ID + X-Forwarded-For */
    int64_t max_cached;     /* instances kept in the answer cache */
    const char *compute_mv; /* Nova microversion of the server read */
    json_t *cache;          /* uuid -> {"exp": ms, "facts": {...}} */
    unsigned long puts;     /* insertions, for the periodic sweep */
};

/* Per request (host->state). */
struct md_req {
    struct md_inst *inst;
    const char *uuid;   /* the verified Nova instance id */
    const char *tenant; /* its project, as the agent said */
    const char *xff;    /* X-Forwarded-For */
    json_t *facts;      /* borrowed from the cache, or owned by the pool */
};

/* identity.c: who asks. 0 with st->uuid/tenant set; EC2GW_AGAIN when a Neutron lookup runs
 * (md_identified() continues); or negative after answering. */
int md_identify(ec2gw_req_t *req, struct md_req *st);
/* serve.c: the instance is known: cache, fetch, answer. EC2GW_OK when answered now. */
int md_identified(ec2gw_req_t *req, struct md_req *st);

/* fetch.c: one server, its ports, its volume attachments and key -> facts, then md_answer. */
int md_fetch(ec2gw_req_t *req, struct md_req *st);
/* cache.c */
json_t *md_cache_get(struct md_inst *in, const char *uuid, int64_t now_ms);
void md_cache_put(ec2gw_req_t *req, struct md_inst *in, const char *uuid, json_t *facts,
                  int64_t now_ms, int64_t ttl_ms);

/* serve.c: answer the request from st->facts (options, token, path). */
void md_answer(ec2gw_req_t *req, struct md_req *st);

/* openstack.c: the /openstack/ facts of one server (returns new; *net returns new). */
json_t *md_facts_openstack(ec2gw_req_t *req, const json_t *server, const json_t *ports,
                           const char *host, const char *public_key, json_int_t launch_index,
                           json_t **net);

/* tree.c (pure): paths -> answers. */
/* facts.c: everything the answers need, EC2 ids mapped (returns new). */
json_t *md_facts(ec2gw_req_t *req, struct md_req *st, const json_t *server, const json_t *ports,
                 const json_t *vols, const char *public_key);
/* The text of @p path under @p root (a directory lists its keys, sub-directories with '/'):
 * returns pool text, or NULL when there is no such path. */
const char *md_tree_lookup(ec2gw_req_t *req, const json_t *root, const char *path);
/* The dated versions served (NULL-terminated). */
extern const char *const md_versions[];
int md_version_ok(const char *v, size_t len);
/* openstack.c: /openstack/... from the same facts. */
void md_openstack(ec2gw_req_t *req, struct md_req *st, const char *rest);

/* token.c: IMDSv2. */
void md_token_put(ec2gw_req_t *req, struct md_req *st);
/* 1 valid, 0 absent, -1 present but invalid or expired. */
int md_token_check(ec2gw_req_t *req, struct md_req *st);

/* serve.c */
void md_user_data(ec2gw_req_t *req, struct md_req *st);

/* small helpers (plugin.c) */
const char *md_str(const json_t *obj, const char *key);
void md_text(ec2gw_req_t *req, int status, const char *text);
int md_b64_decode(ec2gw_req_t *req, const char *in, unsigned char **out, size_t *len);

#endif
