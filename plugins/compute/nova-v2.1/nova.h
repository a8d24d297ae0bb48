/*
 * nova.h - private declarations of the nova-v2.1 compute plugin (SDK only, no daemon headers).
 */
#ifndef NOVA_H
#define NOVA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

/** The host table, set in load(); shared by the plugin's files (hidden visibility). */
extern const ec2gw_host_api_t *ec2gw;

/** One instance (one conf.d file): bound from `settings:`, read-only after create(). */
struct nova_inst {
    const char *default_instance_type; /* flavor name used without InstanceType */
    const char *network;               /* "auto" (the project's one network) or a name/uuid */
    int private_dns_show_ip;           /* PrivateDnsName is the IP, not the hostname */
    int64_t console_output_max_lines;  /* length asked of os-getConsoleOutput */
    int64_t terminated_visible_ms;     /* how long deleted servers show as terminated */
    int64_t max_count;                 /* largest MaxCount accepted */
    int describe_as_service;           /* list servers as the service (admin attributes) */
    const char *describe_staleness;    /* "daemon" or a duration: the server cache's bound */
    int64_t full_sync_interval_ms;     /* a full server list at least this often */
    int64_t sync_overlap_ms;           /* changes-since starts this much before the marker */
    int64_t sync_max_projects;         /* cap of cached projects */
    struct nova_sync *sync;            /* the server cache (instances_sync.c); mutable */
};

/* What DescribeInstances knows besides the servers (instance_view.c); maps are uuid → value. */
struct nova_view {
    json_t *ids;            /* server → i- */
    json_t *amis;           /* image → ami- */
    json_t *akis, *aris;    /* kernel / ramdisk image → aki- / ari- */
    json_t *data;           /* i- → item data (NULL: read per instance) */
    json_t *ports;          /* server → [Neutron ports], device-index order */
    json_t *enis;           /* port → eni- */
    json_t *subnets;        /* subnet → subnet- */
    json_t *vpcs;           /* subnet- → vpc- (subnets of a VPC only) */
    json_t *volumes;        /* volume → Cinder volume */
    json_t *vols;           /* volume → vol- */
    json_t *groups;         /* security group → {GroupId, GroupName} */
    json_t *groups_by_name; /* group name → sg- */
};

/* The keys of @p set mapped to EC2 ids of @p kind into @p map, one database round trip. */
void nova_map_kind(ec2gw_req_t *req, const char *kind, json_t *set, json_t *map);
void nova_view_build(ec2gw_req_t *req, struct nova_view *v, const json_t *servers,
                     const json_t *groups, const json_t *ports, const json_t *volumes);
json_t *nova_view_bdms(const struct nova_view *v, const json_t *server);
json_t *nova_view_nics(ec2gw_req_t *req, const struct nova_view *v, const json_t *server);
/* Filter values of "block-device-mapping.<sub>" / "network-interface.<sub>" (filter callback
 * contract: 0, or EC2GW_E_NOTFOUND for an unknown name). */
int nova_bdm_filter_values(ec2gw_req_t *req, const json_t *bdms, const char *sub, json_t *values);
int nova_nic_filter_values(ec2gw_req_t *req, const json_t *nics, const char *sub, json_t *values);

/* instances_sync.c: the servers of DescribeInstances, per project, kept across requests and
 * refreshed with changes-since (see the file's comment). */
struct nova_sync;
struct nova_sync *nova_sync_new(void);
void nova_sync_free(struct nova_sync *s);
/* Parse the describe_staleness setting: 0 and the bound in *ms (-1: the daemon's), or -1. */
int nova_sync_parse_staleness(const char *text, int64_t *ms);
void nova_sync_set_staleness(struct nova_sync *s, int64_t ms);
/* The cache's bound for this request in ms (0: no cache). */
int64_t nova_sync_staleness(ec2gw_req_t *req, const struct nova_inst *ni);
/* The servers, as uuid → server objects (borrowed: valid during the callback; never change
 * them): @p live the listed ones, @p gone the deleted ones still visible as terminated. Both
 * NULL when the cache could not answer: with @p fail, Nova's failing answer to report; without,
 * the caller lists the servers itself. @p as_user: listed with the caller's token. */
typedef void (*nova_sync_done_fn)(ec2gw_req_t *req, json_t *live, json_t *gone, int as_user,
                                  const ec2gw_os_resp_t *fail, void *arg);
/* Get them from the cache (refreshing it when older than the bound, or, with @p force, unless
 * a refresh began after the request): EC2GW_OK (done has run), EC2GW_AGAIN (done runs later) or
 * a negative code (no cache: done never runs). */
int nova_sync_servers(ec2gw_req_t *req, struct nova_inst *ni, int force, nova_sync_done_fn done,
                      void *arg);
/* A write through the plugin (the action handler wrappers of plugin.c): the caller's project
 * is refreshed by any read until the request has ended and once more after; @p full: with a
 * full list (new servers). */
void nova_sync_write(ec2gw_req_t *req, struct nova_inst *ni, int full);
/* instances_memo.c: the Instance models of @p servers in their order (unmappable ones left
 * out), with their Tags, appended to @p items, reusing what is kept with the cache entry when
 * nothing it was built from changed; an instance whose XML is kept may come as a stand-in
 * (InstanceId, _ReservationId, _OwnerId, _Item) that nova_models_render() turns into its XML.
 * Returns the request's index of the kept records for nova_models_render(), or NULL. */
#define NOVA_MODELS_BODIES 4 /* raw answers a model depends on: groups, ports, fips, volumes */
struct nova_memo;
struct nova_models_in {
    struct nova_inst *ni;
    const json_t *servers;                  /* the wanted servers (array) */
    const json_t *groups, *ports, *volumes; /* the view's answers (or NULL) */
    struct nova_memo *memo;                 /* NULL: build every model */
    const json_t *live_map, *gone_map;      /* the cache entry's servers (uuid → server) */
    const char *body[NOVA_MODELS_BODIES];   /* raw bodies of those answers, NULL: none */
    size_t len[NOVA_MODELS_BODIES];
};
json_t *nova_models_build(ec2gw_req_t *req, const struct nova_models_in *in, json_t *items);
/* After nova_reservations(): the stand-ins of @p reservations as their XML; the other kept
 * instances rendered (render_item) and kept with their records. */
void nova_models_render(ec2gw_req_t *req, struct nova_memo *m, const json_t *index,
                        json_t *reservations);
/* instances_sync.c: the memo kept with the entry whose servers are @p live_map (made when
 * missing), or NULL. */
struct nova_memo *nova_sync_memo(ec2gw_req_t *req, struct nova_inst *ni, const json_t *live_map);
/* instances_fips.c: Neutron's floating IPs (@p fips, a floatingips answer) in place of Nova's in
 * the `addresses` of the servers (array, pool) whose ports (@p ports answer) disagree: those
 * elements are replaced by request copies. NULL answers change nothing. Servers kept in @p kept
 * (nova_memo_fips_basis, may be NULL) are not looked at. */
void nova_fips_apply(ec2gw_req_t *req, json_t *servers, const json_t *ports, const json_t *fips,
                     const json_t *kept);
/* instances_memo.c: the memo's records when they were built with these ports and floating-IP
 * answers (@p body, @p len as in nova_models_in), else NULL. A server with a record there
 * (nova_memo_kept) showed Neutron's floating addresses when it was kept, so it still does. */
const json_t *nova_memo_fips_basis(const struct nova_memo *m, const char *const *body,
                                   const size_t *len);
int nova_memo_kept(const json_t *recs, const json_t *server);

/* plugin.c: small shared helpers */
static inline const char *
nova_or(const char *s)
{
    return s != NULL ? s : "";
}
json_t *nova_own(ec2gw_req_t *req, json_t *j);
const char *nova_str(const json_t *obj, const char *key);
const char *nova_param_str(ec2gw_req_t *req, const char *key);
int nova_first_failure(const ec2gw_os_resp_t *const *r, size_t n);
char *nova_now_iso(ec2gw_req_t *req, int64_t offset_s);
char *nova_b64(ec2gw_req_t *req, const unsigned char *data, size_t len);
int nova_instance_ids(ec2gw_req_t *req, const json_t *ids, const char ***os_ids);
void nova_incorrect_state(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *ec2_id);
json_t *nova_tag_specs(const json_t *params, const char *resource_type);
/* The request's Filters (tag filters on the member @p tag_key, or none with NULL), then
 * MaxResults/NextToken ordered by @p page_key: a new page and *next, or NULL after the host
 * answered with an error. */
json_t *nova_filter_page(ec2gw_req_t *req, const json_t *items, const char *tag_key,
                         const char *page_key, ec2gw_filter_values_fn values, void *arg,
                         const char **next);
/* Answer {key: list (stolen), NextToken: next}. */
void nova_finish_list(ec2gw_req_t *req, const char *key, json_t *list, const char *next);

/* instance_state.c (pure) */
void nova_state(const json_t *server, int *code, const char **name, const char **reason);
json_t *nova_state_json(int code, const char *name);

/* instance_model.c */
json_t *nova_instance_model(ec2gw_req_t *req, const struct nova_inst *ni, const json_t *server,
                            const struct nova_view *view);
void nova_attach_tags(ec2gw_req_t *req, json_t *instances);
json_t *nova_reservations(ec2gw_req_t *req, json_t *instances);
int nova_instance_filter_values(ec2gw_req_t *req, const json_t *item, const char *name,
                                json_t *values, void *arg);

/* run_devices.c: RunInstances' block devices and NICs; 0, or -1 after failing the request */
int nova_run_bdms(ec2gw_req_t *req, const json_t *params, const char *image, const char *root_dev,
                  json_t **out);
int nova_run_nics(ec2gw_req_t *req, const json_t *params, long long max, json_t **nics,
                  json_t *groups);
/* Nova `networks` for the NICs (returns new), or NULL after failing the request. */
json_t *nova_run_networks(ec2gw_req_t *req, const json_t *nics, const json_t *subnets,
                          const char *default_net);

/* Members of the network plugin's items (neutron-v2.0 vpc.h, ec2-api's layout) read here. */
#define NOVA_F_VPC_ID                  "vpc_id"
#define NOVA_F_OS_ID                   "os_id"
#define NOVA_F_SUBNET_ID               "subnet_id"
#define NOVA_F_IS_DEFAULT              "is_default"
#define NOVA_F_GROUP_NAME              "group_name"
#define NOVA_F_AVAILABILITY_ZONE       "availability_zone"
#define NOVA_F_DEFAULT_FOR_AZ          "default_for_az"
#define NOVA_F_MAP_PUBLIC_IP_ON_LAUNCH "map_public_ip_on_launch"
#define NOVA_SG_DEFAULT_PREFIX         "default-" /* + vpc id: a VPC's default group in Neutron */
#define NOVA_F_PUBLIC_IP               "public_ip_mapped" /* i- data: run_public_ip.c made one */

/* vpc_items.c: item data of @p ids (returns new object, {} when none or no host support) */
json_t *nova_items(ec2gw_req_t *req, const char *const *ids, size_t n);
/* {subnet-: vpc-} of the subnet- ids that are the values of @p subnets (returns new). */
json_t *nova_subnet_vpcs(ec2gw_req_t *req, json_t *subnets);
/* GroupName of the view's groups ({GroupId, GroupName} values) from their items, when stored. */
void nova_group_names(ec2gw_req_t *req, json_t *groups);
/* The project's default subnet (of @p zone first): 1 with its ids (pool), or 0 when none. */
int nova_default_subnet(ec2gw_req_t *req, const char *zone, const char **ec2_id,
                        const char **os_id);

/* run_vpc.c: RunInstances in a VPC subnet */
struct nova_vpc_run {
    const char *vpc_id;    /* the instance's VPC, or NULL (EC2-Classic) */
    const char *subnet_id; /* EC2 id of the primary interface's subnet */
    const json_t *names;   /* SecurityGroup.N, resolved among the default VPC's groups */
    int map_public_ip;     /* the subnet maps a public IP on launch */
    int new_ports;         /* Nova creates a port (not only existing interfaces) */
    int need_list;         /* names or the VPC's default group: Neutron's groups are needed */
    int public_ip;         /* map a public IP to each instance (run_public_ip.c) */
    const char *router;    /* the VPC's Neutron router (its gateway network gives the IPs) */
};
/* The VPC of the NICs (the default subnet added when none is asked for), the group ids
 * checked against it and put in @p groups: 0, or -1 after failing the request. */
int nova_run_vpc_prepare(ec2gw_req_t *req, const json_t *params, json_t **nics, json_t *groups,
                         struct nova_vpc_run *vr);
/* With vr->need_list: group names or the VPC's default group from Neutron's group @p list into
 * @p groups; 0, or -1 after failing the request. */
int nova_run_vpc_groups(ec2gw_req_t *req, const struct nova_vpc_run *vr, const json_t *list,
                        json_t *groups);

/* run_public_ip.c: after the boots, a floating IP per instance on @p ext_net (with @p reuse,
 * for adopted servers, the ones an earlier attempt made are kept); then done() with
 * {server uuid: public ip}, or the request failed after the IPs and servers were deleted. */
typedef void (*nova_pip_done_fn)(ec2gw_req_t *req, json_t *ips, void *arg);
void nova_pip_start(ec2gw_req_t *req, const char *ext_net, const char *const *servers, size_t n,
                    int reuse, nova_pip_done_fn done, void *arg);
/* TerminateInstances: release the public IPs mapped to @p ids (EC2 ids) at launch; returns
 * EC2GW_AGAIN (done() runs later, whatever happened) or EC2GW_OK (none: done() is not run). */
typedef void (*nova_pip_released_fn)(ec2gw_req_t *req, void *arg);
int nova_pip_release(ec2gw_req_t *req, const json_t *ids, nova_pip_released_fn done, void *arg);

/* run_lost.c: the servers named @p names (boots whose POST answer was lost), looked up a few
 * times on the request's timers; @p done always runs, with the ids found (pool-owned). */
typedef void (*nova_lost_done_fn)(ec2gw_req_t *req, json_t *found, void *arg);
void nova_run_find_lost(ec2gw_req_t *req, const json_t *names, nova_lost_done_fn done, void *arg);

/* run_recover.c: RunInstances with a ClientToken. The reservation id of @p token (pool; NULL
 * when hashing failed): the same for every attempt, so the servers of an attempt cut short by
 * a kill are found by name. The servers named <rid>-<index> (index < max) recent enough to be
 * this token's, as {"<index>": server} (pool), to done(); or the request failed when Nova could
 * not say. 1 when @p server was created recently enough to be this run's or token's. */
typedef void (*nova_own_done_fn)(ec2gw_req_t *req, json_t *found, void *arg);
const char *nova_run_token_rid(ec2gw_req_t *req, const char *token);
void nova_run_find_own(ec2gw_req_t *req, const char *rid, long long max, nova_own_done_fn done,
                       void *arg);
int nova_run_server_recent(const json_t *server, int64_t now_ms);

/* attrs.c: the server uuid of the request's InstanceId, or NULL after failing the request */
const char *nova_attr_instance(ec2gw_req_t *req);

/* attrs_metadata.c: metadata options (item data "metadata_options"). Validate @p in
 * (HttpTokens, HttpPutResponseHopLimit, ...) and merge it into @p data when not NULL; 0, or
 * -1 after failing the request. */
int nova_md_opts_apply(ec2gw_req_t *req, const json_t *in, json_t *data);
/* The MetadataOptions model of item @p data (defaults when unset) in @p state (new). */
json_t *nova_md_opts_model(const json_t *data, const char *state);
/* Filter values of "metadata-options.<sub>" (filter callback contract). */
int nova_md_filter_values(ec2gw_req_t *req, const json_t *it, const char *sub, json_t *values);

/* action handlers */
int nova_describe_availability_zones(ec2gw_req_t *req, void *inst);
int nova_create_key_pair(ec2gw_req_t *req, void *inst);
int nova_import_key_pair(ec2gw_req_t *req, void *inst);
int nova_describe_key_pairs(ec2gw_req_t *req, void *inst);
int nova_delete_key_pair(ec2gw_req_t *req, void *inst);
int nova_describe_instance_types(ec2gw_req_t *req, void *inst);
int nova_describe_instance_type_offerings(ec2gw_req_t *req, void *inst);
int nova_run_instances(ec2gw_req_t *req, void *inst);
int nova_describe_instances(ec2gw_req_t *req, void *inst);
int nova_describe_instance_status(ec2gw_req_t *req, void *inst);
int nova_describe_instance_credit_specifications(ec2gw_req_t *req, void *inst);
int nova_terminate_instances(ec2gw_req_t *req, void *inst);
int nova_stop_instances(ec2gw_req_t *req, void *inst);
int nova_start_instances(ec2gw_req_t *req, void *inst);
int nova_reboot_instances(ec2gw_req_t *req, void *inst);
int nova_get_console_output(ec2gw_req_t *req, void *inst);
int nova_get_password_data(ec2gw_req_t *req, void *inst);
int nova_describe_instance_attribute(ec2gw_req_t *req, void *inst);
int nova_modify_instance_attribute(ec2gw_req_t *req, void *inst);
int nova_reset_instance_attribute(ec2gw_req_t *req, void *inst);
int nova_modify_instance_metadata_options(ec2gw_req_t *req, void *inst);

/* keygen.c (pure, runs offloaded): OpenSSH public key and private key text of @p type (rsa,
 * ed25519) in @p format (pem: OpenSSL/OpenSSH PEM; ppk: PuTTY v3, @p comment in it); 0 or -1 */
int nova_keygen(const char *type, const char *format, const char *comment, char **public_key,
                char **private_key);

#endif /* NOVA_H */
