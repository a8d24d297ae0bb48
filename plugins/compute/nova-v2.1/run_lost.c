/*
 * run_lost.c - RunInstances' boots whose POST /servers answer cannot be trusted (transport
 * error, timeout, 5xx, a 2xx without a server id): Nova may have created the server anyway.
 * Each boot has a unique name (its random reservation id and launch index), so the servers
 * are found by name and RunInstances deletes them instead of leaving orphans nobody mapped.
 * With a ClientToken the name is the token's (run_recover.c), which an old use of the token
 * may have given too: servers older than this request's token are not this run's.
 */
#include <string.h>

#include "nova.h"

/* Delays before each lookup: Nova may still be storing a create it has not answered. */
static const int64_t nova_lost_delay_ms[] = { 0, 1000, 2000 };
#define NOVA_LOST_TRIES (sizeof(nova_lost_delay_ms) / sizeof(nova_lost_delay_ms[0]))

struct nova_lost {
    json_t *names; /* names not found yet */
    json_t *found; /* server ids found */
    size_t tries;
    nova_lost_done_fn done;
    void *arg;
};

static void nova_lost_ask(ec2gw_req_t *req, void *arg);

static void
nova_lost_give_up(ec2gw_req_t *req, struct nova_lost *l)
{
    const json_t *name;
    size_t i;

    /* Nova did not list them: not created, or not yet visible; the names find them later. */
    json_array_foreach(l->names, i, name)
        ec2gw->log(req, EC2GW_LOG_WARN, "lost boot: no server named %s found after %zu lookups",
                   json_string_value(name), l->tries);
    l->done(req, l->found, l->arg);
}

static void
nova_lost_answered(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_lost *l = arg;
    json_t *left = nova_own(req, json_array());

    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(l->names, i));
        const json_t *s;
        size_t j, hits = 0;

        /* The name filter is a regular expression: keep only exact names. */
        json_array_foreach(json_object_get(r[i]->json, "servers"), j, s)
        {
            if (ec2gw_os_ok(r[i]) && nova_str(s, "id") != NULL &&
                strcmp(nova_or(nova_str(s, "name")), name) == 0 &&
                nova_run_server_recent(s, ec2gw->now_ms(req))) {
                json_array_append_new(l->found, json_string(nova_str(s, "id")));
                hits++;
            }
        }
        if (hits == 0)
            json_array_append_new(left, json_string(name));
    }
    l->names = left;
    l->tries++;
    if (json_array_size(left) > 0 && l->tries < NOVA_LOST_TRIES &&
        ec2gw->after(req, nova_lost_delay_ms[l->tries], nova_lost_ask, l) >= 0)
        return;
    nova_lost_give_up(req, l);
}

static void
nova_lost_ask(ec2gw_req_t *req, void *arg)
{
    struct nova_lost *l = arg;
    size_t n = json_array_size(l->names);
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, n * sizeof(*calls));

    for (size_t i = 0; i < n; i++) {
        const char *re =
            ec2gw->psprintf(req, "^%s$", json_string_value(json_array_get(l->names, i)));

        calls[i] = EC2GW_OS_GET(
            "compute", ec2gw->psprintf(req, "/servers/detail?name=%s", ec2gw->url_escape(req, re)));
    }
    if (ec2gw->os_fanout(req, calls, n, nova_lost_answered, l) < 0)
        nova_lost_give_up(req, l);
}

void
nova_run_find_lost(ec2gw_req_t *req, const json_t *names, nova_lost_done_fn done, void *arg)
{
    struct nova_lost *l = ec2gw->pcalloc(req, sizeof(*l));

    l->names = nova_own(req, json_deep_copy(names));
    l->found = nova_own(req, json_array());
    l->done = done;
    l->arg = arg;
    if (json_array_size(names) == 0)
        done(req, l->found, arg);
    else
        nova_lost_ask(req, l);
}
