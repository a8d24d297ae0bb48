/*
 * run_recover.c - RunInstances with a ClientToken after the gateway was killed mid-launch
 * (issue 11). The daemon lets a retry run the action again once the first attempt's claim is
 * orphaned (daemon/data/client_token.c). So that the retry finds what that attempt made, the
 * reservation id of a ClientToken is derived from the project and the token: the claim (its
 * key) records it before any POST /servers, and the servers are named <reservation>-<index>.
 * Before booting, a run with a token looks those names up: a launch index found is adopted
 * (mapped and answered with the same reservation id, as AWS answers a retry), only the
 * missing ones are booted.
 *
 * The host does not tell the plugin that a claim was recovered (no ABI member needed), so
 * every RunInstances with a token pays that one lookup; it finds nothing on a first attempt.
 * A token may be used again once its record expired (24 h): its old servers carry the same
 * names, so servers older than NOVA_RUN_OWN_WINDOW_S are never taken for this run's.
 */
#define _DEFAULT_SOURCE     /* timegm */
#define _XOPEN_SOURCE   700 /* strptime */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "nova.h"

/* A ClientToken's record lives 24 h; an earlier use of the token is older than that. */
#define NOVA_RUN_OWN_WINDOW_S (12 * 3600)

const char *
nova_run_token_rid(ec2gw_req_t *req, const char *token)
{
    const char *text =
        ec2gw->psprintf(req, "%s\nRunInstances\n%s", ec2gw->identity(req)->project_id, token);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];

    if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) != 1 || len < 9)
        return NULL;
    for (unsigned i = 0; i < 9; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[17] = '\0'; /* r- and 17 hex digits, as AWS's reservation ids */
    return ec2gw->psprintf(req, "r-%s", hex);
}

int
nova_run_server_recent(const json_t *server, int64_t now_ms)
{
    const char *created = nova_str(server, "created");
    struct tm tm = { 0 };

    /* unknown: recent (a lookup must not miss a server for want of a date) */
    if (created == NULL || strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 1;
    return (int64_t)timegm(&tm) >= now_ms / 1000 - NOVA_RUN_OWN_WINDOW_S;
}

struct nova_own_lookup {
    const char *rid;
    long long max;
    nova_own_done_fn done;
    void *arg;
};

static void
nova_own_answered(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg)
{
    struct nova_own_lookup *l = arg;
    json_t *found = nova_own(req, json_object());
    size_t rlen = strlen(l->rid), i;
    const json_t *s;

    if (!ec2gw_os_ok(resp)) {
        /* Cannot tell what an earlier attempt made: booting now could make it twice. */
        ec2gw->fail_from_os(req, resp, NULL);
        return;
    }
    json_array_foreach(json_object_get(resp->json, "servers"), i, s)
    {
        const char *name = nova_or(nova_str(s, "name")), *id = nova_str(s, "id");
        char *end = NULL;
        long long idx;

        /* the name filter is a regular expression: keep exact names of this reservation */
        if (id == NULL || strncmp(name, l->rid, rlen) != 0 || name[rlen] != '-' ||
            name[rlen + 1] < '0' || name[rlen + 1] > '9')
            continue;
        idx = strtoll(name + rlen + 1, &end, 10);
        if (*end != '\0' || idx < 0 || idx >= l->max)
            continue;
        /* a server being deleted (a failed attempt's rollback, or a terminate) is not one */
        if (strcmp(nova_or(nova_str(s, "OS-EXT-STS:task_state")), "deleting") == 0 ||
            strcmp(nova_or(nova_str(s, "status")), "DELETED") == 0 ||
            strcmp(nova_or(nova_str(s, "status")), "SOFT_DELETED") == 0) {
            ec2gw->log(req, EC2GW_LOG_INFO, "server %s (%s) is being deleted: not adopted", id,
                       name);
            continue;
        }
        if (!nova_run_server_recent(s, ec2gw->now_ms(req))) {
            ec2gw->log(req, EC2GW_LOG_NOTICE,
                       "server %s (%s) is older than this ClientToken: not adopted", id, name);
            continue;
        }
        if (json_object_get(found, name + rlen + 1) != NULL) {
            ec2gw->log(req, EC2GW_LOG_WARN, "two servers named %s: adopting one, %s left", name,
                       id);
            continue;
        }
        json_object_set_new(found, name + rlen + 1, json_deep_copy(s));
    }
    l->done(req, found, l->arg);
}

void
nova_run_find_own(ec2gw_req_t *req, const char *rid, long long max, nova_own_done_fn done,
                  void *arg)
{
    struct nova_own_lookup *l = ec2gw->pcalloc(req, sizeof(*l));
    const char *re = ec2gw->psprintf(req, "^%s-[0-9]+$", rid);

    l->rid = rid;
    l->max = max;
    l->done = done;
    l->arg = arg;
    if (ec2gw->os_call(req,
                       &EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/servers/detail?name=%s",
                                                                ec2gw->url_escape(req, re))),
                       nova_own_answered, l) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}
