/*
 * keystone.h - identity from Keystone, kept off the hot path.
 *
 * Per access key the daemon caches the EC2 secret (read through Keystone's credentials API
 * with the service user's token) and the user-scoped token that /v3/ec2tokens issued. A warm
 * request is verified locally and makes no Keystone call. The secret is re-read after
 * credential_ttl so that a deleted or changed credential stops working within that time.
 */
#ifndef EC2GW_OPENSTACK_KEYSTONE_H
#define EC2GW_OPENSTACK_KEYSTONE_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "auth/signature.h"
#include "core/fault.h"
#include "openstack/http_client.h"

/** Keystone settings (bound from conf.d `keystone:`). */
typedef struct ec2gw_keystone_conf {
    const char *url;              /**< identity v3 URL, e.g. http://127.0.0.1:5000/v3 */
    const char *service_user;     /**< the gateway's service user */
    const char *service_password; /**< resolved from password, password_file or password_env */
    const char *service_password_file;
    const char *service_password_env;
    const char *service_project;
    const char *user_domain;
    const char *project_domain;
    const char *interface;     /**< catalog interface for OpenStack calls: public/internal */
    const char *region;        /**< catalog region, NULL = any */
    int64_t timeout_ms;        /**< each Keystone call */
    int64_t credential_ttl_ms; /**< how long a cached secret is trusted */
    int64_t token_margin_ms;   /**< refresh tokens this long before they expire */
} ec2gw_keystone_conf_t;

typedef struct ec2gw_keystone ec2gw_keystone_t;
typedef struct ec2gw_auth_job ec2gw_auth_job_t;

/** Who a request is. Strings and catalog borrowed: copy them before returning. */
typedef struct ec2gw_auth_result {
    const char *user_id;
    const char *project_id;
    const char *token;        /**< user-scoped token for OpenStack calls */
    const char *roles_digest; /**< hex SHA-256 of the token's sorted role names, or NULL */
    const json_t *catalog;    /**< that token's service catalog */
} ec2gw_auth_result_t;

/** Completion of an asynchronous authentication: @p res NULL means @p fault says why. */
typedef void (*ec2gw_auth_done_fn)(void *arg, const ec2gw_auth_result_t *res,
                                   const ec2gw_fault_t *fault);

/** Completion of a service-token request (for EC2GW_CALL_AS_SERVICE). */
typedef void (*ec2gw_service_token_fn)(void *arg, const char *token, const json_t *catalog,
                                       const ec2gw_fault_t *fault);

/** Returns new (ec2gw_keystone_free). @p conf borrowed for the object's lifetime. */
ec2gw_keystone_t *ec2gw_keystone_new(ec2gw_http_t *http, const ec2gw_keystone_conf_t *conf,
                                     int max_skew_s);

/** Cancel pending work (no callbacks) and free. */
void ec2gw_keystone_free(ec2gw_keystone_t *ks);

/**
 * Authenticate a request whose signature was parsed into @p sig. Returns 0 with @p now filled
 * (warm cache, no callback), -1 with @p fault filled, or EC2GW_AGAIN: @p done runs later,
 * unless the job (*job) is cancelled first. @p sig and @p in must stay valid until then.
 */
int ec2gw_keystone_authenticate(ec2gw_keystone_t *ks, const ec2gw_sig_t *sig,
                                const ec2gw_sig_input_t *in, ec2gw_auth_result_t *now,
                                ec2gw_fault_t *fault, ec2gw_auth_done_fn done, void *arg,
                                ec2gw_auth_job_t **job);

/**
 * The service user's token. Returns 0 with token and catalog set (borrowed, valid until the
 * next loop iteration), or EC2GW_AGAIN and @p done runs later (cancel with *job).
 */
int ec2gw_keystone_service_token(ec2gw_keystone_t *ks, const char **token, const json_t **catalog,
                                 ec2gw_service_token_fn done, void *arg, ec2gw_auth_job_t **job);

/** Stop a pending job: its callback will not run. */
void ec2gw_auth_job_cancel(ec2gw_auth_job_t *job);

/** Forget the cached token of @p access_key (after OpenStack answered 401 with it). */
void ec2gw_keystone_forget_token(ec2gw_keystone_t *ks, const char *access_key);

/** When Keystone last answered (any status but a transport error), 0 if never. */
time_t ec2gw_keystone_last_answer(const ec2gw_keystone_t *ks);

/* /healthz re-checks a failing Keystone at most this often, with this timeout. */
#define EC2GW_KEYSTONE_PROBE_INTERVAL_S 2
#define EC2GW_KEYSTONE_PROBE_TIMEOUT_MS 5000

/**
 * Ask Keystone's version document (GET of the identity URL) once, in the background, unless a
 * probe runs or ran within EC2GW_KEYSTONE_PROBE_INTERVAL_S; its answer updates last_answer /
 * last_failure. /healthz calls it while Keystone is "failing": a node a load balancer took out
 * gets no requests, so without it nothing would ever find Keystone back.
 */
void ec2gw_keystone_probe(ec2gw_keystone_t *ks);

/** When Keystone last failed to answer (transport error or 5xx), 0 if never. */
time_t ec2gw_keystone_last_failure(const ec2gw_keystone_t *ks);

#endif
