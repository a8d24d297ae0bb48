/*
 * fetch.c - a cache miss: one fan-out as the service user (the server, its ports, its volume
 * attachments), the ownership check, then the key pair when the server has one (Nova keeps
 * key pairs per user: ?user_id= of the server's owner), then the facts, cached.
 * Four OpenStack calls at most, in two rounds; no Keystone call (the daemon caches the
 * service token).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "md.h"

struct md_fetch {
    struct md_req *st;
    const json_t *server, *ports, *vols;
};

static void
md_built(ec2gw_req_t *req, struct md_fetch *f, const char *public_key)
{
    struct md_req *st = f->st;
    json_t *facts = md_facts(req, st, f->server, f->ports, f->vols, public_key);
    int64_t ttl = ec2gw->metadata_conf(req)->cache_ttl_ms;

    if (facts == NULL) {
        md_text(req, 500, "Unable to build the instance metadata\n");
        return;
    }
    if (ttl > 0)
        md_cache_put(req, st->inst, st->uuid, facts, ec2gw->now_ms(req), ttl);
    st->facts = ec2gw->own_json(req, facts);
    json_decref(facts);
    md_answer(req, st);
}

static void
on_key(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct md_fetch *f = arg;
    const json_t *kp = json_object_get(resp->json, "keypair");

    /* A deleted key pair leaves the instance without public-keys, as on EC2. */
    if (!ec2gw_os_ok(resp) && resp->status != 404) {
        md_text(req, 503, "The compute service did not answer\n");
        return;
    }
    md_built(req, f, ec2gw_os_ok(resp) ? md_str(kp, "public_key") : NULL);
}

static void
on_fetched(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct md_fetch *f = arg;
    struct md_req *st = f->st;
    const json_t *server = json_object_get(r[0]->json, "server");
    const char *key, *user;

    (void)n;
    if (r[0]->status == 404) {
        md_text(req, 404, "Not Found\n");
        return;
    }
    if (!ec2gw_os_ok(r[0]) || !json_is_object(server) || !ec2gw_os_ok(r[1]) || !ec2gw_os_ok(r[2])) {
        md_text(req, 503, "The compute or network service did not answer\n");
        return;
    }
    /* The agent's tenant must own the server: never another project's instance. */
    if (md_str(server, "tenant_id") == NULL || strcmp(md_str(server, "tenant_id"), st->tenant)) {
        ec2gw->log(req, EC2GW_LOG_WARN, "metadata: instance %s is not of the project %s", st->uuid,
                   st->tenant);
        md_text(req, 404, "Not Found\n");
        return;
    }
    user = md_str(server, "user_id");
    if (ec2gw->act_as(req, st->tenant, user) != 0) {
        md_text(req, 500, "Internal error\n");
        return;
    }
    f->server = ec2gw->own_json(req, (json_t *)(uintptr_t)server);
    f->ports = ec2gw->own_json(req, json_object_get(r[1]->json, "ports"));
    f->vols = ec2gw->own_json(req, json_object_get(r[2]->json, "volumeAttachments"));
    key = md_str(server, "key_name");
    if (key == NULL || key[0] == '\0' || user == NULL) {
        md_built(req, f, NULL);
        return;
    }
    ec2gw_os_call_t c =
        EC2GW_OS_CALL("compute", "GET",
                      ec2gw->psprintf(req, "/os-keypairs/%s?user_id=%s",
                                      ec2gw->url_escape(req, key), ec2gw->url_escape(req, user)),
                      .microversion = "2.10", .flags = EC2GW_CALL_AS_SERVICE);

    if (ec2gw->os_call(req, &c, on_key, f) != EC2GW_AGAIN)
        md_text(req, 500, "Internal error\n");
}

int
md_fetch(ec2gw_req_t *req, struct md_req *st)
{
    struct md_fetch *f = ec2gw->pcalloc(req, sizeof(*f));
    const char *u = ec2gw->url_escape(req, st->uuid);
    ec2gw_os_call_t calls[3] = {
        EC2GW_OS_CALL("compute", "GET", ec2gw->psprintf(req, "/servers/%s", u),
                      .microversion = st->inst->compute_mv, .flags = EC2GW_CALL_AS_SERVICE),
        EC2GW_OS_CALL("network", "GET", ec2gw->psprintf(req, "/v2.0/ports?device_id=%s", u),
                      .flags = EC2GW_CALL_AS_SERVICE),
        EC2GW_OS_CALL("compute", "GET",
                      ec2gw->psprintf(req, "/servers/%s/os-volume_attachments", u),
                      .microversion = st->inst->compute_mv, .flags = EC2GW_CALL_AS_SERVICE),
    };

    if (f == NULL || u == NULL)
        return EC2GW_E_NOMEM;
    f->st = st;
    return ec2gw->os_fanout(req, calls, 3, on_fetched, f);
}
