/*
 * os_hook.h - wrappers' hooks on the OpenStack calls of the instances they wrap (ABI 1.3,
 * ec2gw_os_hook_t): which hooks a call passes through, running them on the call before it is
 * sent and on its answer before the caller sees it. Used by os_call.c and os_transfer.c.
 */
#ifndef EC2GW_SERVER_OS_HOOK_H
#define EC2GW_SERVER_OS_HOOK_H

#include <ec2gw/plugin.h>

#include "openstack/http_client.h"
#include "server/request.h"

#define EC2GW_OS_HOOKS_MAX 16

/** One call's hooks and the call as they left it (request pool). */
typedef struct ec2gw_os_hooked {
    size_t n;
    struct {
        ec2gw_instance_t *inst; /**< the wrapper */
        const ec2gw_os_hook_t *hook;
        int depth; /**< wrap levels between the wrapper and the caller */
    } v[EC2GW_OS_HOOKS_MAX];
    ec2gw_os_hook_call_t view; /**< body and headers dropped with the pool */
} ec2gw_os_hooked_t;

/**
 * The instance making an OpenStack call now: r->cur_inst (host_layer.c keeps it current in
 * callbacks too), else the innermost instance serving the action. NULL for the daemon's own
 * actions.
 */
ec2gw_instance_t *ec2gw_os_hook_caller(ec2gw_req_t *r);

/**
 * Run the request hooks that apply to @p call (strings in r's pool, changed in place; its body
 * borrowed) made by @p caller. *out: NULL when none applies (send call as it is), else the
 * hooked call: send out->view.body instead of call->body, and its headers. Returns 0, or
 * EC2GW_E_STATE when a hook refused the call (the request is answered).
 */
int ec2gw_os_hook_request(ec2gw_req_t *r, ec2gw_instance_t *caller, ec2gw_os_call_t *call,
                          ec2gw_os_hooked_t **out);

/**
 * Run the answer hooks of @p h (NULL: none) on @p resp (status and json may change). Returns 0,
 * or EC2GW_E_STATE when a hook answered the request (the answer is not delivered).
 */
int ec2gw_os_hook_answer(ec2gw_req_t *r, ec2gw_os_hooked_t *h, ec2gw_os_resp_t *resp);

/** 1 when the hooks of @p h set header @p name (so the host does not add its own). */
int ec2gw_os_hook_has_header(const ec2gw_os_hooked_t *h, const char *name);

/** Add the headers the hooks of @p h set to @p hc. */
void ec2gw_os_hook_add_headers(const ec2gw_os_hooked_t *h, ec2gw_http_call_t *hc);

#endif
