/*
 * process.c - from a read request to an authenticated one: Action and Version, the
 * signature, then Keystone (usually the local cache).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "server/request.h"

static int
copy_identity(ec2gw_req_t *r, const ec2gw_auth_result_t *res)
{
    r->identity.access_key = ec2gw_pstrdup(r->pool, r->sig.access_key);
    r->identity.user_id = ec2gw_pstrdup(r->pool, res->user_id);
    r->identity.project_id = ec2gw_pstrdup(r->pool, res->project_id);
    r->identity.owner_id = r->identity.project_id;
    r->identity.region = r->gen->conf.region;
    r->token = ec2gw_pstrdup(r->pool, res->token);
    r->roles_digest = ec2gw_pstrdup(r->pool, res->roles_digest);
    r->catalog = json_incref((json_t *)(uintptr_t)res->catalog);
    char action[128];

    /* Escaped as a field: a client's Action cannot add fields to the json log's prefix. */
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=%s action=%s project=%s", r->id,
             ec2gw_log_escape(action, sizeof(action), r->action, 1),
             r->identity.project_id ? r->identity.project_id : "-");
    return r->identity.project_id != NULL ? 0 : -1;
}

static void
on_authenticated(void *arg, const ec2gw_auth_result_t *res, const ec2gw_fault_t *fault)
{
    ec2gw_req_t *r = arg;

    r->auth_job = NULL;
    if (res == NULL) {
        ec2gw_req_fail(r, fault);
    } else if (copy_identity(r, res) != 0) {
        ec2gw_req_failf(r, "InternalError", "Keystone returned no project");
    } else {
        ec2gw_dispatch(r);
    }
    ec2gw_req_unref(r); /* the reference the auth job held */
}

static void
fill_sig_input(ec2gw_req_t *r)
{
    ec2gw_sig_input_t *in = &r->sig_in;

    in->method = r->method;
    in->path = r->path;
    in->raw_query = r->raw_query;
    in->query = &r->query;
    in->form = r->form.n > 0 ? &r->form : NULL;
    in->headers = &r->headers;
    in->body = r->body;
    in->body_len = r->body_len;
    in->now = time(NULL);
    in->max_skew_s = (int)(r->gen->conf.max_skew_ms / 1000);
    in->source = r->remote;
}

void
ec2gw_req_process(ec2gw_req_t *r)
{
    ec2gw_fault_t f = { 0 };
    ec2gw_auth_result_t now = { 0 };
    int rc;

    /* The action name is only recorded here; it is judged after authentication. */
    const char *action = ec2gw_kvlist_get(&r->params, "Action");

    r->action = action ? ec2gw_pstrdup(r->pool, action) : NULL;
    fill_sig_input(r);
    if (ec2gw_sig_parse(&r->sig_in, &r->sig, &f) != 0) {
        ec2gw_req_fail(r, &f);
        return;
    }
    rc = ec2gw_keystone_authenticate(r->d->ks, &r->sig, &r->sig_in, &now, &f, on_authenticated,
                                     r, &r->auth_job);
    if (rc == EC2GW_AGAIN) {
        ec2gw_req_ref(r);
        return;
    }
    if (rc != 0) {
        ec2gw_req_fail(r, &f);
        return;
    }
    if (copy_identity(r, &now) != 0) {
        ec2gw_req_failf(r, "InternalError", "Keystone returned no project");
        return;
    }
    ec2gw_dispatch(r);
}
