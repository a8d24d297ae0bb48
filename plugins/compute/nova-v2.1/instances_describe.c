/*
 * instances_describe.c - DescribeInstances: one fan-out of
 *   GET compute /servers/detail[?status=..&image=..]       (live servers; filters pushed down)
 *   GET compute /servers/detail?changes-since=<now-window>  (recently deleted: "terminated")
 *   GET network /v2.0/security-groups?fields=id&fields=name (group names to sg- ids)
 *   GET network /v2.0/ports?fields=...                      (network interfaces)
 * then, only when some server has volumes attached, GET volumev3 /volumes/detail (device
 * names); then the instance view, tags (one DB query), filters, paging, reservations.
 *
 * With `describe_as_service` the server lists are read with the service identity, scoped to
 * the caller's project (all_tenants + project_id, as ec2-api did), because the root device,
 * kernel and ramdisk are admin-only attributes in Nova.
 *
 * With a staleness bound (the default), the servers come from the project's cache instead
 * (instances_sync.c), the Neutron reads run beside it, and filters, ids and paging are applied
 * per request as before; the Neutron and Cinder reads are shared ones (EC2GW_CALL_SHARED): the
 * host coalesces and reuses them within the same bound. A bound of 0 is the path above.
 */
#include <string.h>

#include "nova.h"

struct nova_desc_state {
    struct nova_inst *ni;
    json_t *servers;     /* the wanted servers, live then deleted */
    json_t *groups;      /* Neutron security-groups answer (or NULL) */
    json_t *fips;        /* Neutron floatingips answer (cached path only, or NULL) */
    json_t *ports;       /* Neutron ports answer (or NULL) */
    const char **os_ids; /* requested server uuids, or NULL */
    size_t n_ids;
    int with_deleted; /* the changes-since call was made */
    int retried;      /* the fan-out ran twice */
    int as_user;      /* the service may not list other projects: the caller's token */
    const char *q;    /* pushed-down query of the live list */
    /* from the cache: */
    int cached;                        /* the servers come from instances_sync.c */
    int pending;                       /* answers still awaited: the Neutron reads, the cache */
    int fallback;                      /* the cache could not answer: list as without it */
    int answered;                      /* failed already; later answers are ignored */
    json_t *live, *gone;               /* the cache's servers (arrays, pool) */
    const json_t *live_map, *gone_map; /* ... as the cache's entry holds them */
    /* raw bodies of the groups, ports, floating IPs and volumes answers (the model memo) */
    const char *body[NOVA_MODELS_BODIES];
    size_t len[NOVA_MODELS_BODIES];
};

static void
nova_push(json_t *values, const char *s)
{
    if (s != NULL)
        json_array_append_new(values, json_string(s));
}

int
nova_instance_filter_values(ec2gw_req_t *req, const json_t *it, const char *name, json_t *values,
                            void *arg)
{
    static const struct {
        const char *filter, *member;
    } direct[] = {
        { "instance-id", "InstanceId" },
        { "instance-type", "InstanceType" },
        { "image-id", "ImageId" },
        { "key-name", "KeyName" },
        { "private-ip-address", "PrivateIpAddress" },
        { "ip-address", "PublicIpAddress" },
        { "private-dns-name", "PrivateDnsName" },
        { "dns-name", "PublicDnsName" },
        { "launch-time", "LaunchTime" },
        { "client-token", "ClientToken" },
        { "reservation-id", "_ReservationId" },
        { "owner-id", "_OwnerId" },
        { "architecture", "Architecture" },
        { "root-device-type", "RootDeviceType" },
        { "virtualization-type", "VirtualizationType" },
        { "hypervisor", "Hypervisor" },
        { "association.public-ip", "PublicIpAddress" },
        { "subnet-id", "SubnetId" },
        { "vpc-id", "VpcId" },
        { "kernel-id", "KernelId" },
        { "ramdisk-id", "RamdiskId" },
        { "root-device-name", "RootDeviceName" },
    };
    const json_t *state = json_object_get(it, "State"), *g;
    size_t i;

    (void)arg;
    for (i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
        if (strcmp(name, direct[i].filter) == 0) {
            nova_push(values, nova_str(it, direct[i].member));
            return 0;
        }
    }
    if (strcmp(name, "instance-state-name") == 0) {
        nova_push(values, nova_str(state, "Name"));
    } else if (strcmp(name, "instance-state-code") == 0) {
        nova_push(values,
                  ec2gw->psprintf(req, "%lld",
                                  (long long)json_integer_value(json_object_get(state, "Code"))));
    } else if (strcmp(name, "availability-zone") == 0) {
        nova_push(values, nova_str(json_object_get(it, "Placement"), "AvailabilityZone"));
    } else if (strcmp(name, "tenancy") == 0) {
        nova_push(values, "default");
    } else if (strcmp(name, "monitoring-state") == 0) {
        nova_push(values, "disabled");
    } else if (strcmp(name, "launch-index") == 0 || strcmp(name, "ami-launch-index") == 0) {
        nova_push(values, ec2gw->psprintf(req, "%lld",
                                          (long long)json_integer_value(
                                              json_object_get(it, "AmiLaunchIndex"))));
    } else if (strcmp(name, "group-name") == 0 || strcmp(name, "instance.group-name") == 0 ||
               strcmp(name, "group-id") == 0 || strcmp(name, "instance.group-id") == 0) {
        const char *m = strstr(name, "group-id") ? "GroupId" : "GroupName";

        json_array_foreach(json_object_get(it, "SecurityGroups"), i, g)
            nova_push(values, nova_str(g, m));
    } else if (strcmp(name, "state-reason-code") == 0) {
        nova_push(values, nova_str(json_object_get(it, "StateReason"), "Code"));
    } else if (strncmp(name, "block-device-mapping.", 21) == 0) {
        return nova_bdm_filter_values(req, json_object_get(it, "BlockDeviceMappings"), name + 21,
                                      values);
    } else if (strncmp(name, "metadata-options.", 17) == 0) {
        return nova_md_filter_values(req, it, name + 17, values);
    } else if (strncmp(name, "network-interface.", 18) == 0) {
        return nova_nic_filter_values(req, json_object_get(it, "NetworkInterfaces"), name + 18,
                                      values);
    } else if (strcmp(name, "source-dest-check") == 0) {
        if (json_object_get(it, "SourceDestCheck") != NULL)
            nova_push(values,
                      json_is_true(json_object_get(it, "SourceDestCheck")) ? "true" : "false");
    } else if (strcmp(name, "platform") == 0 || strcmp(name, "association.ip-owner-id") == 0) {
        /* Known filters that no data backs here (platform: no Windows images). */
        if (strcmp(name, "association.ip-owner-id") == 0 && nova_str(it, "PublicIpAddress"))
            nova_push(values, nova_str(it, "_OwnerId"));
    } else {
        return EC2GW_E_NOTFOUND;
    }
    return 0;
}

/* Nova statuses of the EC2 state names in @p values, or NULL when not pushable. */
static const char *
nova_status_pushdown(ec2gw_req_t *req, const json_t *values)
{
    const char *out = "";
    const json_t *v;
    size_t i;

    json_array_foreach(values, i, v)
    {
        const char *s = json_string_value(v), *add;

        if (s == NULL)
            return NULL;
        if (strcmp(s, "running") == 0)
            add = "&status=ACTIVE&status=RESCUE&status=VERIFY_RESIZE";
        else if (strcmp(s, "stopped") == 0)
            add = "&status=SHUTOFF&status=PAUSED&status=SUSPENDED&status=SHELVED"
                  "&status=SHELVED_OFFLOADED&status=ERROR";
        else if (strcmp(s, "pending") == 0)
            add = "&status=BUILD&status=SHUTOFF";
        else if (strcmp(s, "stopping") == 0)
            add = "&status=ACTIVE";
        else
            return NULL;
        out = ec2gw->psprintf(req, "%s%s", out, add);
    }
    return out;
}

/* The query string of the live-server list: filters Nova can apply (a superset). */
static const char *
nova_servers_query(ec2gw_req_t *req, int *with_deleted)
{
    const json_t *f;
    const char *q = "";
    size_t i;

    *with_deleted = 1;
    json_array_foreach(json_object_get(ec2gw->params(req), "Filters"), i, f)
    {
        const char *name = nova_str(f, "Name");
        const json_t *vals = json_object_get(f, "Values");
        const char *v = json_string_value(json_array_get(vals, 0)), *os = NULL;

        if (name == NULL)
            continue;
        if (strcmp(name, "instance-state-name") == 0) {
            const char *st = nova_status_pushdown(req, vals);

            if (st != NULL) {
                q = ec2gw->psprintf(req, "%s%s", q, st);
                *with_deleted = 0;
            }
        } else if (strcmp(name, "image-id") == 0 && json_array_size(vals) == 1 && v &&
                   strpbrk(v, "*?\\") == NULL && ec2gw->id_to_os(req, v, &os) == 0) {
            q = ec2gw->psprintf(req, "%s&image=%s", q, ec2gw->url_escape(req, os));
        }
    }
    return q[0] == '&' ? ec2gw->psprintf(req, "?%s", q + 1) : q;
}

/* Is @p uuid one of the requested ids (or were none requested)? */
static int
nova_desc_wanted(const struct nova_desc_state *st, const char *uuid)
{
    if (st->os_ids == NULL)
        return 1;
    for (size_t i = 0; i < st->n_ids; i++)
        if (strcmp(st->os_ids[i], uuid) == 0)
            return 1;
    return 0;
}

/* Everything is there: build the views, then tags, filters, paging, reservations. */
static void
nova_desc_finish(ec2gw_req_t *req, struct nova_desc_state *st, const json_t *volumes)
{
    json_t *items = nova_own(req, json_array());
    json_t *page, *index, *res;
    const char *next = NULL;
    struct nova_models_in in = {
        .ni = st->ni,
        .servers = st->servers,
        .groups = st->groups,
        .ports = st->ports,
        .volumes = volumes,
        .memo = st->cached ? nova_sync_memo(req, st->ni, st->live_map) : NULL,
        .live_map = st->live_map,
        .gone_map = st->gone_map,
    };

    memcpy(in.body, st->body, sizeof(in.body));
    memcpy(in.len, st->len, sizeof(in.len));
    index = nova_models_build(req, &in, items);
    page = nova_filter_page(req, items, "InstanceId", "InstanceId", nova_instance_filter_values, st,
                            &next);
    if (page == NULL)
        return;
    res = nova_reservations(req, page);
    nova_models_render(req, in.memo, index, res);
    nova_finish_list(req, "Reservations", res, next);
}

/* Keep the raw body of answer @p r (ok) as the memo's @p i-th input. */
static void
nova_desc_body(struct nova_desc_state *st, size_t i, const ec2gw_os_resp_t *r)
{
    st->body[i] = r->body;
    st->len[i] = r->body_len;
}

static void
nova_desc_volumes(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    /* Without Cinder's answer the mappings still list the volumes, only without devices. */
    struct nova_desc_state *st = arg;

    if (!ec2gw_os_ok(r))
        ec2gw->log(req, EC2GW_LOG_WARN, "volume list failed (%ld): devices not shown", r->status);
    else
        nova_desc_body(st, 3, r);
    nova_desc_finish(req, st, ec2gw_os_ok(r) ? r->json : NULL);
}

static int nova_desc_fanout(ec2gw_req_t *req, struct nova_desc_state *st);
static int nova_desc_again(ec2gw_req_t *req, struct nova_desc_state *st);
static void nova_desc_servers(ec2gw_req_t *req, struct nova_desc_state *st, const json_t *live,
                              const json_t *gone);

static void
nova_desc_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_desc_state *st = arg;
    size_t j;

    (void)n;
    if (r[0]->status == 403 && st->ni->describe_as_service && !st->as_user) {
        /* A site whose service user is not a Nova admin: still answer, without the admin
         * attributes (root device, kernel, ramdisk). */
        ec2gw->log(req, EC2GW_LOG_WARN,
                   "Nova refused the service-scoped server list (403): listing as the caller; "
                   "set describe_as_service: false to skip this attempt");
        st->as_user = 1;
        if (nova_desc_fanout(req, st) < 0)
            ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
        return;
    }
    if (!ec2gw_os_ok(r[0]) || (st->with_deleted && !ec2gw_os_ok(r[1]))) {
        ec2gw->fail_from_os(req, ec2gw_os_ok(r[0]) ? r[1] : r[0], NULL);
        return;
    }
    j = st->with_deleted ? 2 : 1;
    st->groups = ec2gw_os_ok(r[j]) ? nova_own(req, json_incref(r[j]->json)) : NULL;
    st->ports = ec2gw_os_ok(r[j + 1]) ? nova_own(req, json_incref(r[j + 1]->json)) : NULL;
    nova_desc_servers(req, st, json_object_get(r[0]->json, "servers"),
                      st->with_deleted ? json_object_get(r[1]->json, "servers") : NULL);
}

/* The wanted servers of @p live then @p gone (arrays); then ids, volumes and the answer. */
static void
nova_desc_servers(ec2gw_req_t *req, struct nova_desc_state *st, const json_t *live,
                  const json_t *gone)
{
    json_t *seen = nova_own(req, json_object()), *s;
    const json_t *lists[2] = { live, gone };
    size_t i, j;
    int with_volumes = 0;

    st->servers = nova_own(req, json_array());
    for (j = 0; j < 2; j++) {
        json_array_foreach(lists[j], i, s)
        {
            const char *uuid = nova_str(s, "id");

            if (uuid == NULL || json_object_get(seen, uuid) != NULL || !nova_desc_wanted(st, uuid))
                continue;
            /* Live in the changes-since answer but absent from the live list: it was deleted
             * between the two concurrent calls. Show it as being deleted, not as missing. */
            if (j == 1 && strcmp(nova_or(nova_str(s, "status")), "DELETED") != 0) {
                s = nova_own(req, json_copy(s));
                json_object_set_new(s, "OS-EXT-STS:task_state", json_string("deleting"));
            }
            json_object_set_new(seen, uuid, json_true());
            json_array_append(st->servers, s);
            if (json_array_size(json_object_get(s, "os-extended-volumes:volumes_attached")) > 0)
                with_volumes = 1;
        }
    }
    for (i = 0; i < st->n_ids; i++) {
        if (json_object_get(seen, st->os_ids[i]) == NULL && !st->retried &&
            (st->with_deleted || st->cached)) {
            /* Deleted after the live list was read but before the deleted list was: gone
             * from both answers (or made since the cache was refreshed). Ask once more
             * before calling it unknown. */
            st->retried = 1;
            if (nova_desc_again(req, st) < 0)
                ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
            return;
        }
        if (json_object_get(seen, st->os_ids[i]) == NULL) {
            ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                        "The instance ID '%s' does not exist",
                        json_string_value(
                            json_array_get(json_object_get(ec2gw->params(req), "InstanceIds"), i)));
            return;
        }
    }
    if (with_volumes && ec2gw->os_endpoint(req, "volumev3") != NULL) {
        ec2gw_os_call_t call =
            EC2GW_OS_CALL("volumev3", "GET", "/volumes/detail",
                          .flags = nova_sync_staleness(req, st->ni) > 0 ? EC2GW_CALL_SHARED : 0);

        if (ec2gw->os_call(req, &call, nova_desc_volumes, st) < 0)
            nova_desc_finish(req, st, NULL);
        return;
    }
    nova_desc_finish(req, st, NULL);
}

/* The Neutron reads of the view: shared (the host coalesces and reuses them) unless this
 * instance's bound is 0, which keeps every read its own, as before the cache. */
static size_t
nova_desc_net_calls(ec2gw_req_t *req, const struct nova_desc_state *st, ec2gw_os_call_t *calls)
{
    uint32_t shared = nova_sync_staleness(req, st->ni) > 0 ? EC2GW_CALL_SHARED : 0;

    calls[0] = EC2GW_OS_CALL("network", "GET", "/v2.0/security-groups?fields=id&fields=name",
                             .flags = shared);
    calls[1] = EC2GW_OS_CALL("network", "GET",
                             "/v2.0/ports?fields=id&fields=device_id"
                             "&fields=mac_address&fields=fixed_ips"
                             "&fields=security_groups&fields=description"
                             "&fields=created_at&fields=allowed_address_pairs",
                             .flags = shared);
    return 2;
}

static void nova_desc_go(ec2gw_req_t *req, struct nova_desc_state *st);

/* Start (or, once, restart) the fan-out. */
static int
nova_desc_fanout(ec2gw_req_t *req, struct nova_desc_state *st)
{
    const char *scope = "", *since;
    ec2gw_os_call_t calls[4];
    uint32_t flags = 0;
    size_t n = 0;

    if (st->ni->describe_as_service && !st->as_user) {
        scope = ec2gw->psprintf(req, "all_tenants=1&project_id=%s",
                                ec2gw->url_escape(req, ec2gw->identity(req)->project_id));
        flags = EC2GW_CALL_AS_SERVICE;
    }
    calls[n++] = EC2GW_OS_CALL("compute", "GET",
                               ec2gw->psprintf(req, "/servers/detail%s%s%s",
                                               st->q[0] ? st->q : (scope[0] ? "?" : ""),
                                               st->q[0] && scope[0] ? "&" : "", scope),
                               .flags = flags);
    if (st->with_deleted) {
        /* As the service, Nova can list only the deleted ones: a third of the work of listing
         * every server changed in the window (Nova serialises the two lists). */
        since = nova_now_iso(req, -(st->ni->terminated_visible_ms / 1000));
        calls[n++] =
            EC2GW_OS_CALL("compute", "GET",
                          ec2gw->psprintf(req, "/servers/detail?changes-since=%s%s%s%s",
                                          ec2gw->url_escape(req, since), scope[0] ? "&" : "", scope,
                                          scope[0] ? "&deleted=true" : ""),
                          .flags = flags);
    }
    n += nova_desc_net_calls(req, st, calls + n);
    return ec2gw->os_fanout(req, calls, n, nova_desc_done, st);
}

/* The cache answered (or could not): the servers wait for the Neutron reads, or fail. */
static void
nova_desc_synced(ec2gw_req_t *req, json_t *live, json_t *gone, int as_user,
                 const ec2gw_os_resp_t *fail, void *arg)
{
    struct nova_desc_state *st = arg;
    const char *k;
    json_t *v;

    st->as_user = as_user;
    if (fail != NULL) {
        st->answered = 1;
        ec2gw->fail_from_os(req, fail, NULL);
        return;
    }
    if (live == NULL) {
        st->fallback = 1;
    } else {
        /* References to the cache's servers, held by the request: a refresh may replace them
         * in the cache meanwhile, never change them. */
        st->live = nova_own(req, json_array());
        st->gone = nova_own(req, json_array());
        /* held: the entry may be dropped meanwhile, its servers must not be */
        st->live_map = nova_own(req, json_incref(live));
        st->gone_map = nova_own(req, json_incref(gone));
        json_object_foreach(live, k, v) json_array_append(st->live, v);
        if (st->with_deleted)
            json_object_foreach(gone, k, v) json_array_append(st->gone, v);
    }
    if (--st->pending == 0)
        nova_desc_go(req, st);
}

/* Ask the cache for the servers (once more, with @p force, for an id it did not have). */
static int
nova_desc_sync(ec2gw_req_t *req, struct nova_desc_state *st, int force)
{
    int rc;

    st->pending++;
    rc = nova_sync_servers(req, st->ni, force, nova_desc_synced, st);
    if (rc < 0) {
        st->fallback = 1;
        st->pending--;
    }
    return rc;
}

static void
nova_desc_net_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_desc_state *st = arg;

    if (st->answered)
        return;
    st->groups = ec2gw_os_ok(r[0]) ? nova_own(req, json_incref(r[0]->json)) : NULL;
    st->ports = ec2gw_os_ok(r[1]) ? nova_own(req, json_incref(r[1]->json)) : NULL;
    st->fips = n > 2 && ec2gw_os_ok(r[2]) ? nova_own(req, json_incref(r[2]->json)) : NULL;
    for (size_t i = 0; i < n && i < 3; i++)
        if (ec2gw_os_ok(r[i]))
            nova_desc_body(st, i, r[i]);
    if (--st->pending == 0)
        nova_desc_go(req, st);
}

/* Servers and Neutron's answers are in: on with the view, or without the cache. */
static void
nova_desc_go(ec2gw_req_t *req, struct nova_desc_state *st)
{
    if (st->fallback) {
        st->cached = 0;
        st->fallback = 0;
        if (nova_desc_fanout(req, st) < 0)
            ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
        return;
    }
    nova_fips_apply(
        req, st->live, st->ports, st->fips,
        nova_memo_fips_basis(nova_sync_memo(req, st->ni, st->live_map), st->body, st->len));
    nova_desc_servers(req, st, st->live, st->gone);
}

static int
nova_desc_again(ec2gw_req_t *req, struct nova_desc_state *st)
{
    if (!st->cached)
        return nova_desc_fanout(req, st);
    if (nova_desc_sync(req, st, 1) < 0)
        nova_desc_go(req, st); /* the fallback: list as without the cache */
    return 0;
}

/* The Neutron reads beside the servers' list; the cache's path first. */
static int
nova_desc_cached(ec2gw_req_t *req, struct nova_desc_state *st)
{
    ec2gw_os_call_t calls[3];
    size_t n = nova_desc_net_calls(req, st, calls);
    int rc;

    /* Floating IPs: Nova's `addresses` change without `updated` (instances_fips.c). */
    calls[n++] = EC2GW_OS_CALL("network", "GET",
                               "/v2.0/floatingips?fields=port_id&fields=floating_ip_address",
                               .flags = EC2GW_CALL_SHARED);
    st->cached = 1;
    st->pending = 1;
    rc = ec2gw->os_fanout(req, calls, n, nova_desc_net_done, st);
    if (rc < 0)
        return rc;
    nova_desc_sync(req, st, 0);
    return EC2GW_AGAIN;
}

int
nova_describe_instances(ec2gw_req_t *req, void *inst)
{
    struct nova_desc_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *params = ec2gw->params(req);
    const json_t *ids = json_object_get(params, "InstanceIds");

    st->ni = inst;
    if (json_array_size(ids) > 0 && json_object_get(params, "MaxResults") != NULL) {
        ec2gw->fail(req, 400, "InvalidParameterCombination",
                    "The parameter instancesSet cannot be used with the parameter maxResults");
        return EC2GW_OK;
    }
    if (json_array_size(ids) > 0) {
        if (nova_instance_ids(req, ids, &st->os_ids) != 0)
            return EC2GW_OK;
        st->n_ids = json_array_size(ids);
    }
    st->q = nova_servers_query(req, &st->with_deleted);
    if (st->ni->terminated_visible_ms <= 0)
        st->with_deleted = 0;
    if (nova_sync_staleness(req, st->ni) > 0)
        return nova_desc_cached(req, st);
    return nova_desc_fanout(req, st);
}
