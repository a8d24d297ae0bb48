/*
 * dispatch.c - an authenticated request: Action, Version, parameters decoded by the model,
 * DryRun, ClientToken, then the daemon's own actions or the plugin that serves the action.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "actions/tags_actions.h"
#include "core/json_arena.h"
#include "core/log.h"
#include "data/client_token.h"
#include "protocol/query_decode.h"
#include "server/builtins.h"
#include "server/req_fiber.h"
#include "server/request.h"

/* Hash of the parameters that define the request, without ClientToken and DryRun. */
static char *
params_hash(ec2gw_req_t *r, const char *token_member)
{
    json_t *copy = json_deep_copy(r->params_json);
    unsigned char md[32];
    unsigned mdlen = 0;
    char *text, *hex;

    json_object_del(copy, token_member);
    json_object_del(copy, "DryRun");
    text = ec2gw_json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (text == NULL)
        return NULL;
    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
    free(text);
    hex = ec2gw_palloc(r->pool, 65);
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return hex;
}

/*
 * Old ClientToken rows are deleted when claims come in, at most once every EXPIRE_EVERY_S
 * (issue 11 #12): rows are only added here, so the table stays bounded without a timer.
 */
#define EXPIRE_EVERY_S 600

static void
client_token_expire(ec2gw_req_t *r)
{
    static time_t last;
    time_t now = time(NULL);

    if (now - last < EXPIRE_EVERY_S)
        return;
    last = now;
    if (ec2gw_client_token_expire(r->d->db, EC2GW_CLIENT_TOKEN_TTL_S) != 0)
        ec2gw_log(EC2GW_LOG_WARN, r->log_prefix, "could not expire old ClientToken records");
}

/* 1 when the request may go on; 0 when it was answered from (or refused by) the token. */
static int
client_token_claim(ec2gw_req_t *r)
{
    const char *member = ec2gw_model_op_idempotency_member(r->op);
    const char *token = member ? json_string_value(json_object_get(r->params_json, member)) : NULL;
    json_t *stored = NULL;
    ec2gw_fault_t f = { 0 };
    ec2gw_ctok_opts_t opts = { r->gen->conf.request_timeout_ms / 1000 + 1,
                               r->gen->conf.os_timeout_ms / 1000 + 1,
                               (r->route->act->flags & EC2GW_ACT_CLIENT_TOKEN_RERUN) != 0, 0 };
    char *hash;
    int st;

    if (token == NULL || token[0] == '\0')
        return 1;
    if (strlen(token) > 64) {
        ec2gw_req_failf(r, "InvalidParameterValue", "ClientToken is longer than 64 characters");
        return 0;
    }
    client_token_expire(r);
    hash = params_hash(r, member);
    st = ec2gw_client_token_begin(r->d->db, r->identity.project_id, r->action, token, hash, &opts,
                                  &stored, &f);
    if (st < 0) {
        ec2gw_req_fail(r, &f);
        return 0;
    }
    if (st == EC2GW_CTOK_DONE) {
        ec2gw_req_finish(r, stored);
        return 0;
    }
    if (st == EC2GW_CTOK_PENDING) {
        ec2gw_req_failf(r, "Unavailable",
                        "A request with ClientToken '%s' is still in progress; retry later", token);
        return 0;
    }
    if (st == EC2GW_CTOK_ORPHANED) {
        ec2gw_req_failf(r, "Unavailable",
                        "The request with ClientToken '%s' was interrupted; it can be recovered "
                        "in %lld s: retry then",
                        token, opts.wait_s);
        return 0;
    }
    if (st == EC2GW_CTOK_LOST) {
        ec2gw_req_failf(r, "IncorrectState",
                        "The request with ClientToken '%s' was interrupted (the gateway stopped) "
                        "and %s cannot be resumed: what it made, if anything, shows in the "
                        "Describe actions; use a new ClientToken",
                        token, r->action);
        return 0;
    }
    /* A recovered claim runs the action again: the plugin finds what the first attempt made
     * (RunInstances: servers named after the token's reservation id) instead of redoing it. */
    if (st == EC2GW_CTOK_RECOVER)
        ec2gw_log(EC2GW_LOG_NOTICE, r->log_prefix,
                  "ClientToken '%s': the claim of a process that is gone was taken over", token);
    r->client_token = ec2gw_pstrdup(r->pool, token);
    return 1;
}

int
ec2gw_dispatch_run(ec2gw_req_t *r, ec2gw_instance_t *inst, const ec2gw_action_t *act)
{
    ec2gw_instance_t *prev = r->cur_inst;
    ec2gw_json_scope_t js = ec2gw_req_json_enter(r);
    int rc;

    r->cur_inst = inst;
    ec2gw_req_ref(r);
    ec2gw_req_plugin_enter();
    rc = act->fn(r, inst->data);
    ec2gw_req_plugin_leave();
    r->cur_inst = prev;
    ec2gw_json_arena_leave(js);
    /* OK with calls outstanding happens when a wrapper's model hook went asynchronous. */
    if (rc == EC2GW_OK && !r->answered && r->calls == NULL) {
        ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix, "plugin %s returned OK for %s without answering",
                  inst->module->desc->name, r->action);
        ec2gw_req_failf(r, "InternalError", "The request was not answered");
    } else if (rc == EC2GW_AGAIN && !r->answered && r->calls == NULL && r->refs <= 2) {
        ec2gw_log(EC2GW_LOG_ERROR, r->log_prefix,
                  "plugin %s returned AGAIN for %s with nothing outstanding",
                  inst->module->desc->name, r->action);
        ec2gw_req_failf(r, "InternalError", "The request was not answered");
    } else if (rc < 0 && !r->answered) {
        ec2gw_req_failf(r, "InternalError", "The request failed (%d)", rc);
    }
    ec2gw_req_unref(r);
    return rc;
}

static int
decode(ec2gw_req_t *r)
{
    ec2gw_fault_t f = { 0 };
    const char *version = ec2gw_kvlist_get(&r->params, "Version");

    if (r->action == NULL || r->action[0] == '\0') {
        ec2gw_req_failf(r, "MissingAction", "The request must contain the parameter Action");
        return -1;
    }
    r->op = ec2gw_model_op(r->d->model, r->action);
    if (r->op == NULL) {
        ec2gw_req_failf(r, "InvalidAction", "The action %s is not valid for this web service",
                        r->action);
        return -1;
    }
    if (version == NULL || version[0] == '\0') {
        ec2gw_req_failf(r, "MissingParameter", "The request must contain the parameter Version");
        return -1;
    }
    r->version = ec2gw_pstrdup(r->pool, version);
    if (ec2gw_query_decode(r->op, &r->params, &r->params_json, &f) != 0) {
        ec2gw_req_fail(r, &f);
        return -1;
    }
    return 0;
}

static void
dispatch(ec2gw_req_t *r)
{
    const ec2gw_route_t *route;
    int dry_run;

    if (decode(r) != 0)
        return;
    dry_run = json_is_true(json_object_get(r->params_json, "DryRun"));
    if (ec2gw_builtin_serves(r->action)) {
        if (dry_run)
            ec2gw_req_failf(r, "DryRunOperation",
                            "Request would have succeeded, but DryRun flag is set.");
        else
            ec2gw_builtin_run(r);
        return;
    }
    route = ec2gw_plugins_route(r->gen->plugins, r->action);
    if (route == NULL) {
        ec2gw_req_failf(r, "UnsupportedOperation", "The action %s is not supported by this gateway",
                        r->action);
        return;
    }
    r->route = route;
    if (dry_run && !(route->act->flags & EC2GW_ACT_DRYRUN)) {
        ec2gw_req_failf(r, "DryRunOperation",
                        "Request would have succeeded, but DryRun flag is set.");
        return;
    }
    /* A DryRun creates nothing: its ClientToken is neither claimed nor answered from. */
    if ((route->act->flags & EC2GW_ACT_CLIENT_TOKEN) && !dry_run && !client_token_claim(r))
        return;
    ec2gw_dispatch_run(r, route->inst, route->act);
}

static void
dispatch_body(ec2gw_req_t *r, void *a, void *b)
{
    (void)a;
    (void)b;
    dispatch(r);
}

void
ec2gw_dispatch(ec2gw_req_t *r)
{
    ec2gw_json_scope_t js;

    ec2gw_req_ref(r); /* the arena must outlive the scope */
    js = ec2gw_req_json_enter(r);
    ec2gw_req_run(r, dispatch_body, NULL, NULL); /* on a fiber with MySQL (req_fiber.h) */
    ec2gw_json_arena_leave(js);
    ec2gw_req_unref(r);
}
