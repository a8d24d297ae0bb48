/*
 * request.h - one EC2 request: its pool, parameters, identity, outstanding OpenStack calls,
 * and the one answer it gets. Reference-counted: the HTTP side holds one reference and each
 * outstanding call one more; the pool is freed at zero.
 */
#ifndef EC2GW_SERVER_REQUEST_H
#define EC2GW_SERVER_REQUEST_H

#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

#include "auth/signature.h"
#include "core/fault.h"
#include "core/json_arena.h"
#include "core/kv.h"
#include "core/pool.h"
#include "openstack/keystone.h"
#include "server/daemon.h"

#define EC2GW_REQ_MAGIC 0x52455131u /* "REQ1" */
#define EC2GW_MAX_WRAP_DEPTH 8

struct evhttp_request;
struct event;
struct req_call;

struct ec2gw_req {
    uint32_t magic;
    int refs;
    ec2gw_pool_t *pool;
    ec2gw_json_arena_t *jarena; /**< its JSON (json_arena.h); NULL: on the heap */
    ec2gw_daemon_t *d;
    ec2gw_generation_t *gen;
    struct evhttp_request *http; /**< NULL once the client went away */
    char id[40];                 /**< the EC2 request id (UUID) */
    char log_prefix[160];
    double t_start;

    /* what arrived */
    const char *method;
    const char *path;
    const char *raw_query;
    ec2gw_kvlist_t query, form, headers, params;
    unsigned char *body;
    size_t body_len;
    size_t n_body_pairs; /**< form pairs in the body, counted before decoding */
    const char *remote;
    const char *action;  /**< pool; NULL until known */
    const char *version;
    const ec2gw_model_op_t *op;
    ec2gw_sig_input_t sig_in;
    ec2gw_sig_t sig;
    json_t *params_json; /**< decoded, owned */

    /* who */
    ec2gw_identity_t identity;
    const char *token;
    const char *roles_digest; /**< of the token's roles (shared reads' scope), or NULL */
    json_t *catalog;
    ec2gw_auth_job_t *auth_job;

    /* where it goes */
    const ec2gw_route_t *route;
    ec2gw_instance_t *cur_inst;  /**< the instance whose handler runs now */
    struct {
        ec2gw_model_fn fn; /**< a wrapper's post-processing hook, or NULL (pre-process only) */
        void *arg;
    } hooks[EC2GW_MAX_WRAP_DEPTH]; /**< pushed by delegate(), popped innermost first by finish */
    int n_hooks;
    const char *client_token;    /**< claimed ClientToken, or NULL */
    void *plugin_state;
    size_t plugin_state_size;
    struct req_call *calls;      /**< OpenStack calls in flight */

    /* a raw request of the metadata listener: answered by reply(), not as EC2 XML */
    int raw;

    /* the answer */
    int answered;
    int status;
    const char *code;            /**< "OK" or the EC2 error code (pool) */
    struct event *deadline;
};

/**
 * Make @p r's JSON arena current while the daemon runs code for it (its handler, OpenStack
 * completions, timers); restore with ec2gw_json_arena_leave().
 */
static inline ec2gw_json_scope_t
ec2gw_req_json_enter(ec2gw_req_t *r)
{
    return ec2gw_json_arena_enter(r->jarena);
}

/** A new request for @p http in the current generation. Returns new or NULL. */
ec2gw_req_t *ec2gw_req_new(ec2gw_daemon_t *d, struct evhttp_request *http);

void ec2gw_req_ref(ec2gw_req_t *r);
/** Drop a reference; at zero: cancel what is outstanding, run pool cleanups, free. */
void ec2gw_req_unref(ec2gw_req_t *r);

/** Answer with a success document for the model (steals it; NULL = empty). */
void ec2gw_req_finish(ec2gw_req_t *r, json_t *model);
/** Answer with an error document. */
void ec2gw_req_fail(ec2gw_req_t *r, const ec2gw_fault_t *f);
void ec2gw_req_failf(ec2gw_req_t *r, const char *code, const char *fmt, ...) EC2GW_PRINTF(3, 4);

/** The client went away or the deadline passed: cancel outstanding work, no callbacks. */
void ec2gw_req_cancel(ec2gw_req_t *r);

/** The client closed the connection before the answer (conn.c): cancel, free its evhttp side. */
void ec2gw_req_client_gone(ec2gw_req_t *r);

/** Entry after intake: authenticate, decode, dispatch. */
void ec2gw_req_process(ec2gw_req_t *r);

/** Dispatch an authenticated request (decode, DryRun, ClientToken, builtin or plugin). */
void ec2gw_dispatch(ec2gw_req_t *r);

/** Run the handler of @p act on @p inst for @p r. */
int ec2gw_dispatch_run(ec2gw_req_t *r, ec2gw_instance_t *inst, const ec2gw_action_t *act);

/** Cancel every OpenStack call in flight for @p r (their callbacks will not run). */
void ec2gw_os_calls_cancel(ec2gw_req_t *r);
/** The service name of OpenStack's microversion header for catalog type @p type (os_call.c). */
const char *ec2gw_os_microversion_service(const char *type);

/** Answer a raw (metadata) request: status, content type, bytes; logs and counts it. */
void ec2gw_raw_reply(ec2gw_req_t *r, int status, const char *content_type, const void *body,
                     size_t len);

/** Serve /healthz and /metrics. */
void ec2gw_ops_serve(ec2gw_daemon_t *d, struct evhttp_request *http, const char *path);

/** A new EC2 request id (a UUID) into @p out. */
void ec2gw_req_make_id(char out[40]);

/** Seconds since the epoch, as a double (monotonic enough for latency). */
double ec2gw_now(void);

#endif
