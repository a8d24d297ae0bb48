/*
 * instances_run.c - RunInstances: validate, resolve image/flavor/key/network in one fan-out,
 * boot MaxCount servers concurrently (one POST per launch index), and roll back when fewer
 * than MinCount succeeded. ClientToken is enforced by the daemon (EC2GW_ACT_CLIENT_TOKEN); with
 * one, the servers an attempt cut short by a kill already made are adopted (run_recover.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nova.h"

struct nova_run_state {
    const struct nova_inst *ni;
    const json_t *params;
    const char *image, *flavor_id, *flavor, *network, *rid, *zone;
    long long min, max;
    json_t *groups;           /* [{"name": ..}] for Nova */
    json_t *nics;             /* NICs asked for (run_devices.c), or NULL for the default */
    json_t *networks;         /* Nova `networks` */
    json_t *bdms;             /* Nova block_device_mapping_v2, or NULL */
    int key_idx, subnets_idx; /* fan-out positions, or -1 */
    int sg_idx;               /* fan-out position of the VPC's groups, or -1 */
    struct nova_vpc_run vpc;  /* the VPC of the instances (run_vpc.c) */
    int router_idx;           /* fan-out position of the VPC's router (public IPs), or -1 */
    const char *ext_net;      /* public IPs: the router's gateway network, else NULL */
    json_t *pips;             /* public IPs mapped: server → address (run_public_ip.c) */
    const char **server_ids;  /* per launch index: the created server, or NULL */
    json_t *adopted;          /* {"<index>": server} made by an earlier attempt (run_recover.c) */
    long long *boot_idx;      /* launch index of each POST /servers sent */
    long long ok;             /* servers created */
    int first_fail;           /* launch index of the first failed boot, or -1 */
    const ec2gw_os_resp_t *fail_resp;
    long fail_status;
    const char *fail_msg;
};

/* Parameters Nova cannot back. */
static const char *const nova_run_unsupported[] = {
    "KernelId",
    "RamdiskId",
    "LaunchTemplate",
    "Ipv6AddressCount",
    "Ipv6Addresses",
    "ElasticGpuSpecification",
    "InstanceMarketOptions",
    "CpuOptions",
    "HibernationOptions",
    "LicenseSpecifications",
    "EnclaveOptions",
    "NetworkPerformanceOptions",
    NULL,
};

/* The server name of launch index @p i: unique, so a lost create can be found by it. */
static const char *
nova_run_name(ec2gw_req_t *req, const struct nova_run_state *st, long long i)
{
    return ec2gw->psprintf(req, "%s-%lld", st->rid, i);
}

static void
nova_run_fail_boot(ec2gw_req_t *req, struct nova_run_state *st)
{
    if (st->fail_status == 400) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "%s",
                    st->fail_msg ? st->fail_msg : "Nova refused the server");
        return;
    }
    if (st->fail_status == 409 && json_array_size(st->nics) > 0) {
        ec2gw->fail(req, 400, "InvalidNetworkInterface.InUse", "%s",
                    st->fail_msg ? st->fail_msg : "The network interface is in use");
        return;
    }
    if (st->fail_status == 403 || st->fail_status == 413) {
        ec2gw->fail(req, 400, "InstanceLimitExceeded", "%s",
                    st->fail_msg ? st->fail_msg : "Instance quota exceeded");
        return;
    }
    ec2gw->fail(req, st->fail_status == 0 ? 503 : 500,
                st->fail_status == 0 ? "Unavailable" : "InternalError",
                "Could not launch instance %d: %s", st->first_fail,
                st->fail_msg ? st->fail_msg : "Nova failed");
}

static void nova_run_answer(ec2gw_req_t *req, struct nova_run_state *st);

static void
nova_run_pips_done(ec2gw_req_t *req, json_t *ips, void *arg)
{
    struct nova_run_state *st = arg;

    st->pips = ips;
    nova_run_answer(req, st);
}

/* The reservation model of the servers just created (state pending). */
static void
nova_run_answer(ec2gw_req_t *req, struct nova_run_state *st)
{
    const char *token = nova_str(st->params, "ClientToken");
    json_t *tags = nova_own(req, nova_tag_specs(st->params, "instance"));
    json_t *items, *res, *out;
    const char *created = nova_now_iso(req, 0);

    if (st->ext_net != NULL && st->pips == NULL) {
        nova_pip_start(req, st->ext_net, st->server_ids, (size_t)st->max,
                       json_object_size(st->adopted) > 0, nova_run_pips_done, st);
        return;
    }
    items = json_array();
    for (long long i = 0; i < st->max; i++) {
        const char *id = NULL;
        json_t *server, *data, *m;

        if (st->server_ids[i] == NULL || ec2gw->id_to_ec2(req, "i", st->server_ids[i], &id))
            continue;
        data = json_pack("{s:s, s:I}", "reservation_id", st->rid, "launch_index", (json_int_t)i);
        if (token != NULL)
            json_object_set_new(data, "client_token", json_string(token));
        if (json_is_true(json_object_get(st->params, "DisableApiTermination")))
            json_object_set_new(data, "disable_api_termination", json_true());
        if (json_object_get(st->params, "MetadataOptions") != NULL)
            nova_md_opts_apply(req, json_object_get(st->params, "MetadataOptions"), data);
        if (st->vpc.vpc_id != NULL)
            json_object_set_new(data, "vpc_id", json_string(st->vpc.vpc_id));
        if (nova_str(st->pips, st->server_ids[i]) != NULL)
            json_object_set_new(data, NOVA_F_PUBLIC_IP, json_true());
        ec2gw->item_put(req, id, st->server_ids[i], data);
        json_decref(data);
        if (json_array_size(tags) > 0)
            ec2gw->tags_set(req, id, tags);
        /* an adopted server is described as Nova has it now */
        server = json_deep_copy(json_object_get(st->adopted, ec2gw->psprintf(req, "%lld", i)));
        if (server == NULL)
            server = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:s, s:s, s:s, s:O, s:{}}", "id",
                               st->server_ids[i], "name", id, "image", "id", st->image, "flavor",
                               "original_name", st->flavor, "created", created, "status", "BUILD",
                               "OS-EXT-STS:vm_state", "building", "security_groups", st->groups,
                               "addresses");
        if (json_object_get(server, "OS-EXT-AZ:availability_zone") == NULL)
            json_object_set_new(server, "OS-EXT-AZ:availability_zone",
                                json_string(st->zone ? st->zone : ""));
        if (nova_str(st->params, "KeyName") != NULL)
            json_object_set(server, "key_name", json_object_get(st->params, "KeyName"));
        m = nova_instance_model(req, st->ni, server, NULL);
        json_decref(server);
        if (m != NULL && st->vpc.vpc_id != NULL)
            json_object_set_new(m, "VpcId", json_string(st->vpc.vpc_id));
        if (m != NULL && st->vpc.subnet_id != NULL)
            json_object_set_new(m, "SubnetId", json_string(st->vpc.subnet_id));
        if (m != NULL && nova_str(st->pips, st->server_ids[i]) != NULL) {
            json_object_set(m, "PublicIpAddress", json_object_get(st->pips, st->server_ids[i]));
            json_object_set(m, "PublicDnsName", json_object_get(st->pips, st->server_ids[i]));
        }
        if (m != NULL)
            json_array_append_new(items, m);
    }
    nova_attach_tags(req, items);
    res = nova_reservations(req, items);
    out = json_incref(json_array_get(res, 0));
    json_decref(res);
    if (out == NULL) {
        ec2gw->fail(req, 500, "InternalError", "No instance could be mapped");
        return;
    }
    ec2gw->finish(req, out);
}

/* After the cleanup deletes: answer with the servers kept, or the failure. */
static void
nova_run_cleaned(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_run_state *st = arg;

    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]) && r[i]->status != 404)
            ec2gw->log(req, EC2GW_LOG_WARN, "rollback: deleting a server failed (%ld)",
                       r[i]->status);
    if (st->ok >= st->min)
        nova_run_answer(req, st);
    else
        nova_run_fail_boot(req, st);
}

/* Delete the servers of lost answers (@p lost), and all of them when fewer than MinCount
 * booted; then answer. */
static void
nova_run_settle(ec2gw_req_t *req, json_t *lost, void *arg)
{
    struct nova_run_state *st = arg;
    size_t n = json_array_size(lost), nd = 0, i;
    ec2gw_os_call_t *dels = ec2gw->pcalloc(req, (n + (size_t)st->max + 1) * sizeof(*dels));
    const json_t *id;

    if (st->ok < st->min) {
        ec2gw->log(req, EC2GW_LOG_NOTICE,
                   "%lld of %lld servers booted (MinCount %lld): rolling back", st->ok, st->max,
                   st->min);
        for (long long k = 0; k < st->max; k++)
            if (st->server_ids[k] != NULL)
                dels[nd++] = EC2GW_OS_CALL("compute", "DELETE",
                                           ec2gw->psprintf(req, "/servers/%s", st->server_ids[k]),
                                           .flags = EC2GW_CALL_RETRY_SAFE);
    }
    json_array_foreach(lost, i, id)
    {
        ec2gw->log(req, EC2GW_LOG_NOTICE, "deleting server %s: its create answer was lost",
                   json_string_value(id));
        dels[nd++] = EC2GW_OS_CALL(
            "compute", "DELETE",
            ec2gw->psprintf(req, "/servers/%s", ec2gw->url_escape(req, json_string_value(id))),
            .flags = EC2GW_CALL_RETRY_SAFE);
    }
    if (nd > 0 && ec2gw->os_fanout(req, dels, nd, nova_run_cleaned, st) >= 0)
        return;
    if (st->ok >= st->min)
        nova_run_answer(req, st);
    else
        nova_run_fail_boot(req, st);
}

/* Could Nova have created the server although this answer says nothing of it? */
static int
nova_run_answer_lost(const ec2gw_os_resp_t *r)
{
    return r->status == 0 || r->status >= 500 || ec2gw_os_ok(r);
}

static void
nova_run_booted(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_run_state *st = arg;
    json_t *lost = nova_own(req, json_array());

    st->first_fail = -1;
    for (size_t k = 0; k < n; k++) {
        const char *id = nova_str(json_object_get(r[k]->json, "server"), "id");
        long long i = st->boot_idx[k];

        if (ec2gw_os_ok(r[k]) && id != NULL) {
            st->server_ids[i] = ec2gw->pstrdup(req, id);
            st->ok++;
            continue;
        }
        if (nova_run_answer_lost(r[k]))
            json_array_append_new(lost, json_string(nova_run_name(req, st, i)));
        if (st->first_fail < 0) {
            const char *key;
            json_t *v;

            st->first_fail = (int)i;
            st->fail_status = ec2gw_os_ok(r[k]) ? 502 : r[k]->status;
            st->fail_msg = r[k]->error;
            json_object_foreach(r[k]->json, key, v) if (nova_str(v, "message")) st->fail_msg =
                ec2gw->pstrdup(req, nova_str(v, "message"));
        }
    }
    nova_run_find_lost(req, lost, nova_run_settle, st);
}

static void
nova_run_boot(ec2gw_req_t *req, struct nova_run_state *st)
{
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (size_t)st->max * sizeof(*calls));
    const char *key = nova_str(st->params, "KeyName");
    const char *ud = nova_str(st->params, "UserData");
    size_t n = 0;

    st->boot_idx = ec2gw->pcalloc(req, (size_t)st->max * sizeof(*st->boot_idx));
    for (long long i = 0; i < st->max; i++) {
        json_t *server;

        if (st->server_ids[i] != NULL) /* adopted */
            continue;
        server = json_pack("{s:s, s:s, s:s, s:O, s:i, s:i, s:{s:s, s:s}}", "name",
                           nova_run_name(req, st, i), "imageRef", st->image, "flavorRef",
                           st->flavor_id, "networks", st->networks, "min_count", 1, "max_count", 1,
                           "metadata", "ec2_reservation_id", st->rid, "ec2_launch_index",
                           ec2gw->psprintf(req, "%lld", i));

        if (key != NULL)
            json_object_set_new(server, "key_name", json_string(key));
        if (ud != NULL && ud[0] != '\0')
            json_object_set_new(server, "user_data", json_string(ud));
        if (st->zone != NULL)
            json_object_set_new(server, "availability_zone", json_string(st->zone));
        if (json_array_size(st->groups) > 0)
            json_object_set(server, "security_groups", st->groups);
        if (st->bdms != NULL)
            json_object_set(server, "block_device_mapping_v2", st->bdms);
        st->boot_idx[n] = i;
        calls[n++] = EC2GW_OS_CALL("compute", "POST", "/servers",
                                   .body = nova_own(req, json_pack("{s:o}", "server", server)));
    }
    if (n == 0) { /* an earlier attempt made them all */
        nova_run_settle(req, NULL, st);
        return;
    }
    if (ec2gw->os_fanout(req, calls, n, nova_run_booted, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

/* With a ClientToken: the servers an earlier attempt made are this run's (run_recover.c). */
static void
nova_run_adopt(ec2gw_req_t *req, json_t *found, void *arg)
{
    struct nova_run_state *st = arg;
    const char *idx;
    json_t *s;

    st->adopted = found;
    json_object_foreach(found, idx, s)
    {
        st->server_ids[atoll(idx)] = ec2gw->pstrdup(req, nova_str(s, "id"));
        st->ok++;
    }
    if (st->ok > 0)
        ec2gw->log(req, EC2GW_LOG_NOTICE,
                   "ClientToken: %lld of %lld servers of %s were made by an earlier attempt: "
                   "adopted, %lld to boot",
                   st->ok, st->max, st->rid, st->max - st->ok);
    nova_run_boot(req, st);
}

static void
nova_run_start(ec2gw_req_t *req, struct nova_run_state *st)
{
    st->server_ids = ec2gw->pcalloc(req, (size_t)st->max * sizeof(*st->server_ids));
    if (nova_or(nova_str(st->params, "ClientToken"))[0] != '\0')
        nova_run_find_own(req, st->rid, st->max, nova_run_adopt, st);
    else
        nova_run_boot(req, st);
}

/* Does some NIC (or the default NIC) need the project's network? */
static int
nova_run_needs_default_net(const json_t *nics)
{
    const json_t *nic;
    size_t i;

    if (nics == NULL)
        return 1;
    json_array_foreach(nics, i, nic) if (nova_str(nic, "port") == NULL &&
                                         nova_str(nic, "subnet") == NULL) return 1;
    return 0;
}

/* The image's root device (Glance property), as DescribeImages shows it. */
static const char *
nova_image_root_device(const json_t *prop)
{
    return json_string_value(prop) ? json_string_value(prop) : "/dev/sda1";
}

/* The network for new servers from a Neutron list, or NULL after failing the request. */
static const char *
nova_run_network(ec2gw_req_t *req, struct nova_run_state *st, const json_t *nets)
{
    const char *own = NULL, *any = NULL, *proj = ec2gw->identity(req)->project_id;
    size_t n_own = 0, n_any = 0, i;
    const json_t *net;

    json_array_foreach(json_object_get(nets, "networks"), i, net)
    {
        /* external networks, and the networks of VPC subnets (named after their subnet- id,
         * as ec2-api named them) are not the classic network */
        if (json_is_true(json_object_get(net, "router:external")) ||
            strncmp(nova_or(nova_str(net, "name")), "subnet-", 7) == 0)
            continue;
        if (strcmp(st->ni->network, "auto") != 0 &&
            strcmp(st->ni->network, nova_str(net, "name") ? nova_str(net, "name") : "") != 0 &&
            strcmp(st->ni->network, nova_str(net, "id") ? nova_str(net, "id") : "") != 0)
            continue;
        if (strcmp(nova_str(net, "project_id") ? nova_str(net, "project_id") : "", proj) == 0)
            own = nova_str(net, "id"), n_own++;
        any = nova_str(net, "id"), n_any++;
    }
    if (n_own == 1)
        return own;
    if (n_own == 0 && n_any == 1)
        return any;
    ec2gw->fail(req, 400, "Unsupported",
                "No single network for the instance: %zu candidates (setting network: %s)",
                n_own ? n_own : n_any, st->ni->network);
    return NULL;
}

static void
nova_run_resolved(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_run_state *st = arg;
    const json_t *f;
    size_t i;

    if (r[1]->status == 404) {
        ec2gw->fail(req, 400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist",
                    nova_str(st->params, "ImageId"));
        return;
    }
    if (st->key_idx >= 0 && r[st->key_idx]->status == 404) {
        ec2gw->fail(req, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
                    nova_str(st->params, "KeyName"));
        return;
    }
    if ((i = (size_t)nova_first_failure(r, n)) < n) {
        ec2gw->fail_from_os(req, r[i], NULL);
        return;
    }
    if (strcmp(nova_str(r[1]->json, "status") ? nova_str(r[1]->json, "status") : "", "active") !=
        0) {
        ec2gw->fail(req, 400, "InvalidAMIID.Unavailable", "Image %s is not active",
                    nova_str(st->params, "ImageId"));
        return;
    }
    json_array_foreach(json_object_get(r[0]->json, "flavors"), i, f)
    {
        if (strcmp(nova_str(f, "name") ? nova_str(f, "name") : "", st->flavor) == 0)
            st->flavor_id = nova_str(f, "id");
    }
    if (st->flavor_id == NULL) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "Invalid value '%s' for InstanceType.",
                    st->flavor);
        return;
    }
    if (nova_run_bdms(req, st->params, st->image,
                      nova_image_root_device(json_object_get(r[1]->json, "root_device_name")),
                      &st->bdms) != 0)
        return;
    if (nova_run_needs_default_net(st->nics) &&
        (st->network = nova_run_network(req, st, r[2]->json)) == NULL)
        return;
    if (st->nics == NULL)
        st->networks = nova_own(req, json_pack("[{s:s}]", "uuid", st->network));
    else if ((st->networks = nova_own(
                  req, nova_run_networks(req, st->nics,
                                         st->subnets_idx >= 0 ? r[st->subnets_idx]->json : NULL,
                                         st->network))) == NULL)
        return;
    if (st->sg_idx >= 0 && nova_run_vpc_groups(req, &st->vpc, r[st->sg_idx]->json, st->groups) != 0)
        return;
    if (st->router_idx >= 0) {
        st->ext_net = nova_str(json_object_get(json_object_get(r[st->router_idx]->json, "router"),
                                               "external_gateway_info"),
                               "network_id");
        if (st->ext_net == NULL) {
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "VPC %s has no internet gateway attached, so no public IP can be mapped: "
                        "attach one, or set NetworkInterface.0.AssociatePublicIpAddress=false",
                        st->vpc.vpc_id);
            return;
        }
    }
    /* DryRun answers only once everything was checked, as AWS does (issue 11 #11). */
    if (json_is_true(json_object_get(st->params, "DryRun"))) {
        ec2gw->fail(req, 0, "DryRunOperation",
                    "Request would have succeeded, but DryRun flag is set.");
        return;
    }
    nova_run_start(req, st);
}

/* A random reservation id: r- and 17 hex digits (pool). */
static const char *
nova_run_rid(ec2gw_req_t *req)
{
    unsigned char b[9] = { 0 };
    FILE *f = fopen("/dev/urandom", "rb");
    char hex[19];

    if (f == NULL || fread(b, 1, sizeof(b), f) != sizeof(b)) {
        unsigned long long t = (unsigned long long)time(NULL) ^ (unsigned long long)(size_t)req;

        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(t >> (i * 7));
    }
    if (f != NULL)
        fclose(f);
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(hex + i * 2, 3, "%02x", b[i]);
    hex[17] = '\0';
    return ec2gw->psprintf(req, "r-%s", hex);
}

/* Validate what needs no OpenStack call; 0, or -1 after failing the request. */
static int
nova_run_validate(ec2gw_req_t *req, struct nova_run_state *st)
{
    const json_t *p = st->params, *v, *spec;
    const char *ami = nova_str(p, "ImageId"), *os = NULL;
    size_t i;
    int rc;

    for (i = 0; nova_run_unsupported[i] != NULL; i++) {
        if (json_object_get(p, nova_run_unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "The parameter %s is not supported by this cloud", nova_run_unsupported[i]);
            return -1;
        }
    }
    json_array_foreach(json_object_get(p, "TagSpecifications"), i, spec)
    {
        const char *rt = nova_str(spec, "ResourceType");

        if (rt != NULL && strcmp(rt, "instance") != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "TagSpecification resource type '%s' is not supported (instance)", rt);
            return -1;
        }
    }
    if (nova_md_opts_apply(req, json_object_get(p, "MetadataOptions"), NULL) != 0)
        return -1;
    st->min = json_integer_value(json_object_get(p, "MinCount"));
    st->max = json_integer_value(json_object_get(p, "MaxCount"));
    if (json_object_get(p, "MinCount") == NULL)
        st->min = 1;
    if (json_object_get(p, "MaxCount") == NULL)
        st->max = st->min;
    if (st->min < 1 || st->max < 1) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "MinCount and MaxCount must be >= 1");
        return -1;
    }
    if (st->min > st->max) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "MinCount (%lld) must be less than or equal to MaxCount (%lld)", st->min,
                    st->max);
        return -1;
    }
    if (st->max > st->ni->max_count) {
        ec2gw->fail(req, 400, "InstanceLimitExceeded",
                    "MaxCount %lld exceeds the limit of %lld instances per request", st->max,
                    (long long)st->ni->max_count);
        return -1;
    }
    if (ami == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter ImageId");
        return -1;
    }
    rc = strncmp(ami, "ami-", 4) == 0 ? ec2gw->id_to_os(req, ami, &os) : EC2GW_E_INVAL;
    if (rc != 0) {
        ec2gw->fail(
            req, 400, rc == EC2GW_E_INVAL ? "InvalidAMIID.Malformed" : "InvalidAMIID.NotFound",
            "The image id '[%s]' %s", ami, rc == EC2GW_E_INVAL ? "is malformed" : "does not exist");
        return -1;
    }
    st->image = os;
    st->flavor =
        nova_str(p, "InstanceType") ? nova_str(p, "InstanceType") : st->ni->default_instance_type;
    st->zone = nova_str(json_object_get(p, "Placement"), "AvailabilityZone");
    st->groups = nova_own(req, json_array());
    json_array_foreach(json_object_get(p, "SecurityGroups"), i, v)
        json_array_append_new(st->groups, json_pack("{s:O}", "name", v));
    json_array_foreach(json_object_get(p, "SecurityGroupIds"), i, v)
    {
        const char *sg = json_string_value(v), *sg_os = NULL;

        if (sg == NULL || strncmp(sg, "sg-", 3) != 0 || ec2gw->id_to_os(req, sg, &sg_os) != 0) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
                        sg ? sg : "");
            return -1;
        }
        json_array_append_new(st->groups, json_pack("{s:s}", "name", sg_os));
    }
    return nova_run_nics(req, p, st->max, &st->nics, st->groups);
}

int
nova_run_instances(ec2gw_req_t *req, void *inst)
{
    struct nova_run_state *st = ec2gw->state(req, sizeof(*st));
    const char *key;
    ec2gw_os_call_t calls[7];
    const json_t *nic;
    size_t i;
    size_t n = 0;

    st->ni = inst;
    st->params = ec2gw->params(req);
    if (nova_run_validate(req, st) != 0 ||
        nova_run_vpc_prepare(req, st->params, &st->nics, st->groups, &st->vpc) != 0)
        return EC2GW_OK;
    st->rid = nova_or(nova_str(st->params, "ClientToken"))[0] != '\0'
                  ? nova_run_token_rid(req, nova_str(st->params, "ClientToken"))
                  : NULL;
    if (st->rid == NULL)
        st->rid = nova_run_rid(req);
    calls[n++] = EC2GW_OS_GET("compute", "/flavors/detail?is_public=None");
    calls[n++] = EC2GW_OS_GET(
        "image", ec2gw->psprintf(req, "/v2/images/%s", ec2gw->url_escape(req, st->image)));
    calls[n++] = EC2GW_OS_GET("network", "/v2.0/networks?router:external=false");
    st->key_idx = st->subnets_idx = st->sg_idx = st->router_idx = -1;
    if (st->vpc.public_ip) {
        st->router_idx = (int)n;
        calls[n++] =
            EC2GW_OS_GET("network", ec2gw->psprintf(req, "/v2.0/routers/%s",
                                                    ec2gw->url_escape(req, st->vpc.router)));
    }
    if (st->vpc.need_list) {
        st->sg_idx = (int)n;
        calls[n++] = EC2GW_OS_GET("network", "/v2.0/security-groups?fields=id&fields=name");
    }
    if ((key = nova_str(st->params, "KeyName")) != NULL) {
        st->key_idx = (int)n;
        calls[n++] = EC2GW_OS_GET(
            "compute", ec2gw->psprintf(req, "/os-keypairs/%s", ec2gw->url_escape(req, key)));
    }
    json_array_foreach(st->nics, i, nic)
    {
        if ((nova_str(nic, "subnet") != NULL || nova_str(nic, "PrivateIpAddress") != NULL) &&
            st->subnets_idx < 0) {
            st->subnets_idx = (int)n;
            calls[n++] =
                EC2GW_OS_GET("network", "/v2.0/subnets?fields=id&fields=network_id&fields=cidr");
        }
    }
    return ec2gw->os_fanout(req, calls, n, nova_run_resolved, st);
}
