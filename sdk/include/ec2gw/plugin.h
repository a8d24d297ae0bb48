/*
 * ec2gw/plugin.h - the ec2gw plugin SDK: the one header a plugin needs.
 *
 * A plugin is a shared module that exports exactly one data symbol, `ec2gw_plugin`, a const
 * descriptor (ec2gw_plugin_t). The daemon dlopen()s the module, checks the descriptor's ABI
 * header before running any plugin code, then calls load() with a table of host functions
 * (ec2gw_host_api_t). Plugins never link against daemon symbols.
 *
 * ABI changelog (major.minor; a minor bump only appends, a major bump breaks):
 *   1.0  2026-11-25  initial ABI.
 *   1.1  2026-11-25  host: ids_to_ec2, items_get (batched data access), after (timers),
 *                    os_transfer (stream one OpenStack body into another call).
 *   1.2  2026-12-02  host: items_list (every item of a kind), item_insert (create-once guard),
 *                    new_id (an unused id for objects without an OpenStack id);
 *                    raw HTTP for the metadata listener: http_method, http_path, http_header,
 *                    reply_header, reply, act_as, hmac_hex, secure_equal, now_ms,
 *                    metadata_conf (action EC2GW_ACTION_METADATA).
 *   1.3  2026-12-03  descriptor: os_hooks (a wrapper sees, changes or refuses each OpenStack
 *                    call of the instances it wraps, and each answer before they do);
 *                    action flag EC2GW_ACT_CLIENT_TOKEN_RERUN (recovery after kill -9).
 *   1.4  2026-12-03  call flag EC2GW_CALL_SHARED (coalesced reads, reused for a bounded
 *                    time); host: os_invalidate, describe_staleness_ms (shared reads),
 *                    json_heap_begin, json_heap_end (request JSON may live in an arena).
 *   1.5  2026-12-03  host: render_item (one item of the answer rendered to XML ahead, kept by
 *                    the plugin and written as those bytes by finish()).
 *
 * Version rule: plugin major == daemon major and plugin minor <= daemon minor.
 *
 * Threading: every callback runs on the daemon's event-loop thread. A handler must never
 * block; it returns EC2GW_OK when it has answered (finish or fail) or EC2GW_AGAIN when it will
 * answer from an OpenStack completion callback.
 *
 * Ownership words used below: "borrowed" (valid until the callback returns), "steals" (the
 * callee takes the reference), "pool" (lives as long as the request or generation), "returns
 * new" (the caller frees).
 */
#ifndef EC2GW_PLUGIN_H
#define EC2GW_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EC2GW_ABI_MAJOR    1
#define EC2GW_ABI_MINOR    5
#define EC2GW_PLUGIN_MAGIC 0x45433247u /* "EC2G" */

#if defined(__GNUC__)
#define EC2GW_EXPORT        __attribute__((visibility("default")))
#define EC2GW_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define EC2GW_MUST_CHECK    __attribute__((warn_unused_result))
#else
#define EC2GW_EXPORT
#define EC2GW_PRINTF(f, a)
#define EC2GW_MUST_CHECK
#endif

/** Opaque handles; their definitions live in the daemon only. */
typedef struct ec2gw_req ec2gw_req_t;   /**< one EC2 request in flight */
typedef struct ec2gw_cfg ec2gw_cfg_t;   /**< one plugin instance's YAML settings node */
typedef struct ec2gw_loop ec2gw_loop_t; /**< one worker event loop */

/** Handler and host return codes. */
enum {
    EC2GW_OK = 0,    /**< done: the handler called finish() or fail() */
    EC2GW_AGAIN = 1, /**< pending: the answer comes from a completion callback */
};

/** Negative error codes of host functions. */
enum {
    EC2GW_E_FAIL = -1,     /**< generic failure */
    EC2GW_E_NOMEM = -2,    /**< out of memory */
    EC2GW_E_NOTFOUND = -3, /**< no such item, id or key */
    EC2GW_E_INVAL = -4,    /**< invalid argument (malformed id, bad value) */
    EC2GW_E_STATE = -5,    /**< the request has already been answered or cancelled */
    EC2GW_E_DB = -6,       /**< database failure */
    EC2GW_E_EXISTS = -7,   /**< already exists */
};

/** Log levels, most severe first. */
typedef enum ec2gw_log_level {
    EC2GW_LOG_ERROR = 0,
    EC2GW_LOG_WARN,
    EC2GW_LOG_NOTICE,
    EC2GW_LOG_INFO,
    EC2GW_LOG_DEBUG,
} ec2gw_log_level_t;

/**
 * The frozen first member of the descriptor and of the host table. Never reordered.
 */
typedef struct ec2gw_abi_hdr {
    uint32_t magic;     /**< EC2GW_PLUGIN_MAGIC */
    uint16_t abi_major; /**< EC2GW_ABI_MAJOR the plugin or host was built with */
    uint16_t abi_minor; /**< EC2GW_ABI_MINOR the plugin or host was built with */
    uint32_t size;      /**< sizeof the whole struct as the builder saw it */
} ec2gw_abi_hdr_t;

#define EC2GW_ABI_HDR_INIT(type)                                                                  \
    {                                                                                             \
        .magic = EC2GW_PLUGIN_MAGIC, .abi_major = EC2GW_ABI_MAJOR, .abi_minor = EC2GW_ABI_MINOR,  \
        .size = (uint32_t)sizeof(type)                                                            \
    }

/* ------------------------------------------------------------------------------------------ */
/* Actions                                                                                    */

/** Action flags. */
enum {
    EC2GW_ACT_READONLY = 1u << 0,     /**< no writes to OpenStack; safe to retry */
    EC2GW_ACT_CLIENT_TOKEN = 1u << 1, /**< the daemon enforces ClientToken idempotency */
    EC2GW_ACT_DRYRUN = 1u << 2,       /**< the handler handles DryRun itself */
    /**
     * A wrapper's entry only: its flags replace those of the action it wraps. Without it a
     * wrapper inherits the wrapped action's EC2GW_ACT_CLIENT_TOKEN and EC2GW_ACT_DRYRUN (so
     * its handler sees DryRun requests and must not act on them); EC2GW_ACT_READONLY and
     * EC2GW_ACT_CLIENT_TOKEN_RERUN hold only when every layer declares them. Older daemons
     * always replaced.
     */
    EC2GW_ACT_OWN_FLAGS = 1u << 3,
    /* 1.3: */
    /**
     * With EC2GW_ACT_CLIENT_TOKEN: when the ec2gwd that ran a request was killed, a retry with
     * the same ClientToken runs the handler again (once what that attempt sent can no longer
     * land); the handler must then find what the first attempt made instead of making it
     * twice (nova-v2.1 RunInstances: servers named after the token). Without it such a retry
     * is refused (IncorrectState). Not inherited by wrappers: a wrapper that stays safe to
     * rerun declares it too.
     */
    EC2GW_ACT_CLIENT_TOKEN_RERUN = 1u << 4,
};

/**
 * An action handler. @p inst is the plugin instance (inst_size bytes, settings bound).
 * Read the decoded parameters with host->params(req). Return EC2GW_OK after finish()/fail(),
 * or EC2GW_AGAIN when an os_call()/os_fanout() will continue the work.
 */
typedef int (*ec2gw_action_fn)(ec2gw_req_t *req, void *inst);

/** One entry of a plugin's NULL-terminated action table. */
typedef struct ec2gw_action {
    const char *name;   /**< the EC2 Action, e.g. "DescribeInstances" */
    ec2gw_action_fn fn; /**< handler */
    uint32_t flags;     /**< EC2GW_ACT_* */
} ec2gw_action_t;

/* ------------------------------------------------------------------------------------------ */
/* Settings schema: YAML `settings:` bound into the instance struct                            */

typedef enum ec2gw_setting_type {
    EC2GW_SET_STR = 1,     /**< const char * (generation pool) */
    EC2GW_SET_INT,         /**< int64_t */
    EC2GW_SET_BOOL,        /**< int (0/1) */
    EC2GW_SET_DURATION_MS, /**< int64_t milliseconds; YAML "500ms", "30s", "5m", or a number */
    EC2GW_SET_STR_LIST,    /**< ec2gw_strlist_t */
} ec2gw_setting_type_t;

/** A list of strings bound from a YAML sequence (generation pool). */
typedef struct ec2gw_strlist {
    size_t n;
    const char *const *v;
} ec2gw_strlist_t;

enum {
    EC2GW_SET_REQUIRED = 1u << 0, /**< the key must be present */
};

/** One entry of a plugin's settings schema, terminated by { .key = NULL }. */
typedef struct ec2gw_setting {
    const char *key;           /**< YAML key under `settings:` */
    ec2gw_setting_type_t type; /**< value type */
    size_t offset;             /**< offsetof(struct my_inst, field) */
    const char *def;           /**< default as YAML text, or NULL for zero/NULL */
    uint32_t flags;            /**< EC2GW_SET_* */
    const char *help;          /**< one line shown by `ec2gwd --list-plugins` */
} ec2gw_setting_t;

/* ------------------------------------------------------------------------------------------ */
/* OpenStack calls                                                                            */

/** Flags of an OpenStack call. */
enum {
    EC2GW_CALL_RETRY_SAFE = 1u << 0, /**< may be retried on a transport error (GETs always are) */
    EC2GW_CALL_AS_SERVICE = 1u << 1, /**< use the service user's token, not the caller's */
    EC2GW_CALL_RAW = 1u << 2,        /**< do not decode the body as JSON */
    /**
     * 1.4: a read other requests may share. Identical GETs (service, URL, microversion, token
     * scope) of one project in flight at once are sent once, and an answer may be reused for
     * up to describe_staleness_ms(). The answer's json is then shared: read it, keep it with
     * own_json, never change it. Ignored for other methods; off when the staleness is 0.
     */
    EC2GW_CALL_SHARED = 1u << 3,
};

/**
 * One OpenStack HTTP call. Initialise with EC2GW_OS_CALL() so that `size` is set.
 * All strings are borrowed for the duration of os_call()/os_fanout() only: the host copies them.
 */
typedef struct ec2gw_os_call {
    uint32_t size;            /**< sizeof(ec2gw_os_call_t); lets the struct grow */
    const char *service;      /**< catalog type: "compute", "network", "image", "volumev3" */
    const char *method;       /**< "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;         /**< relative to the endpoint, already escaped, e.g. "/servers" */
    const json_t *body;       /**< borrowed; serialised by the host; NULL for none */
    const char *microversion; /**< NULL: the instance's service microversion */
    uint32_t flags;           /**< EC2GW_CALL_* */
    int timeout_ms;           /**< 0: the daemon default; always capped by the request deadline */
    const char *content_type; /**< NULL: application/json (or none without a body) */
} ec2gw_os_call_t;

#define EC2GW_OS_CALL(svc, meth, p, ...)                                                          \
    ((ec2gw_os_call_t){ .size = (uint32_t)sizeof(ec2gw_os_call_t), .service = (svc),             \
                        .method = (meth), .path = (p), __VA_ARGS__ })
#define EC2GW_OS_GET(svc, p) EC2GW_OS_CALL(svc, "GET", p, .flags = 0)

/** The answer to one OpenStack call. Borrowed: valid until the completion callback returns. */
typedef struct ec2gw_os_resp {
    uint32_t size;             /**< sizeof(ec2gw_os_resp_t) as the host built it */
    long status;               /**< HTTP status; 0 when the transport failed */
    const char *error;         /**< transport error text (timeout, refused...), or NULL */
    int timed_out;             /**< 1 when the call hit its deadline */
    json_t *json;              /**< decoded body, or NULL (borrowed; keep with own_json) */
    const char *body;          /**< raw body, NUL-terminated */
    size_t body_len;           /**< raw body length */
    const char *os_request_id; /**< x-openstack-request-id / x-compute-request-id, or NULL */
    const char *location;      /**< Location header, or NULL */
} ec2gw_os_resp_t;

/** Completion of os_call(): runs on the loop, unless the request was cancelled. */
typedef void (*ec2gw_os_done_fn)(ec2gw_req_t *req, const ec2gw_os_resp_t *resp, void *arg);

/** Completion of os_fanout(): every response, in the order of the calls. */
typedef void (*ec2gw_os_fanout_fn)(ec2gw_req_t *req, const ec2gw_os_resp_t *const *resps,
                                   size_t n, void *arg);

/* -- 1.3: OpenStack request hooks of wrappers ------------------------------------------ */

/**
 * One OpenStack call of a wrapped instance, as a wrapper's on_request hook sees it before it
 * is sent. The hook may change the members marked "may change"; the others are read-only.
 */
typedef struct ec2gw_os_hook_call {
    uint32_t size;            /**< sizeof as the host built it */
    const char *instance;     /**< the instance making the call (conf.d `instance:`) */
    const char *service;      /**< catalog type ("compute", ...) */
    const char *method;       /**< may change: a pool or static string */
    const char *path;         /**< may change (pool or static): relative, with query, escaped */
    const char *microversion; /**< may change: NULL for the instance's default */
    /**
     * May change: the JSON body (the host's own copy; NULL: none). Edit it in place, or store
     * a new reference here: the host then steals it and drops the old one.
     */
    json_t *body;
    /**
     * May change: headers sent besides the host's own {"Name": "value"} (starts empty). A name
     * the host also sets (Accept, Content-Type, OpenStack-API-Version ...) replaces its value;
     * X-Auth-Token cannot be set (the call is refused with InternalError).
     */
    json_t *headers;
    uint32_t flags; /**< EC2GW_CALL_* */
} ec2gw_os_hook_call_t;

/** An OpenStack answer as a wrapper's on_answer hook sees it, before the wrapped instance. */
typedef struct ec2gw_os_hook_answer {
    uint32_t size;                    /**< sizeof as the host built it */
    const ec2gw_os_hook_call_t *call; /**< the call as it was sent */
    long status;                      /**< may change: HTTP status, 0 on a transport failure */
    /** The answer headers the host keeps, lowercase: x-openstack-request-id, location. */
    const json_t *headers;
    /**
     * May change: the decoded body or NULL. Edit in place or store a new reference (stolen,
     * the old one dropped). The raw body the wrapped instance sees is not rewritten.
     */
    json_t *json;
} ec2gw_os_hook_answer_t;

/**
 * A hook on the OpenStack calls or answers of the instances a wrapper wraps. @p inst is the
 * wrapper's own instance data; during the hook, state() and log() are the wrapper's. Return
 * EC2GW_OK to let the call (or answer) go on. To refuse it, call fail() with the EC2 error and
 * return EC2GW_E_STATE: the call is not sent (os_call() returns EC2GW_E_STATE to the wrapped
 * instance) or its answer is not delivered. A negative return without fail() answers
 * InternalError.
 */
typedef int (*ec2gw_os_request_hook_fn)(ec2gw_req_t *req, void *inst, ec2gw_os_hook_call_t *call);
typedef int (*ec2gw_os_answer_hook_fn)(ec2gw_req_t *req, void *inst,
                                       ec2gw_os_hook_answer_t *answer);

/**
 * One entry of a wrapper's os_hooks table, terminated by { .on_request = NULL, .on_answer =
 * NULL }. It applies to every call made by an instance below the wrapper in its wrap chain
 * (by os_call, os_fanout and both halves of os_transfer; from handlers, completions and
 * timers) while serving @p action, not to the wrapper's own calls. With several wrappers,
 * request hooks run from the innermost wrapper outwards, answer hooks the other way round.
 */
typedef struct ec2gw_os_hook {
    const char *action;                  /**< EC2 action, or NULL for every action */
    const char *service;                 /**< catalog type, or NULL for every service */
    const char *method;                  /**< "POST", ..., or NULL for every method */
    const char *path_prefix;             /**< only paths starting with it, or NULL */
    ec2gw_os_request_hook_fn on_request; /**< may be NULL */
    ec2gw_os_answer_hook_fn on_answer;   /**< may be NULL */
} ec2gw_os_hook_t;

/** True when an OpenStack answer is a 2xx. */
static inline int
ec2gw_os_ok(const ec2gw_os_resp_t *r)
{
    return r != NULL && r->status >= 200 && r->status < 300;
}

/* ------------------------------------------------------------------------------------------ */
/* Identity, chaining, offload                                                                */

/** Who made the request, as Keystone says. Borrowed for the request's lifetime. */
typedef struct ec2gw_identity {
    const char *access_key;   /**< the EC2 access key the request was signed with */
    const char *user_id;      /**< Keystone user id */
    const char *project_id;   /**< Keystone project id: the EC2 "account" scope */
    const char *owner_id;     /**< the ownerId shown to EC2 clients */
    const char *region;       /**< the daemon's region name */
} ec2gw_identity_t;

/** A wrapper's model hook: receives the wrapped handler's model (steals it). */
typedef void (*ec2gw_model_fn)(ec2gw_req_t *req, json_t *model, void *arg);

/** A timer set with after(): runs on the loop, unless the request ended first. */
typedef void (*ec2gw_timer_fn)(ec2gw_req_t *req, void *arg);

/** Offloaded work (runs on a worker thread; may only call pure functions). */
typedef void (*ec2gw_work_fn)(void *arg);
/** Back on the loop after the work. */
typedef void (*ec2gw_work_done_fn)(ec2gw_req_t *req, void *arg);

/** Per-item callback of the host's filter engine: the values a filter name has for an item. */
typedef int (*ec2gw_filter_values_fn)(ec2gw_req_t *req, const json_t *item, const char *name,
                                      json_t *values_out, void *arg);

/** The action name whose handler serves the metadata listener (never an EC2 Action). */
#define EC2GW_ACTION_METADATA "Metadata"

/** Keys of hmac_hex(). */
enum {
    EC2GW_KEY_METADATA_PROXY = 1, /**< the secret shared with Neutron's metadata agent */
    EC2GW_KEY_LOCAL = 2,          /**< random, drawn at daemon start: tokens only it issued */
};

/** The daemon's `metadata:` settings a metadata plugin reads. */
typedef struct ec2gw_metadata_conf {
    uint32_t size;           /**< sizeof as the host built it */
    int64_t cache_ttl_ms;    /**< how long an instance's answers may be reused */
    int64_t token_ttl_max_s; /**< the largest IMDSv2 token lifetime (1-21600) */
} ec2gw_metadata_conf_t;

/* ------------------------------------------------------------------------------------------ */
/* The host API table                                                                         */

/**
 * Functions the daemon lends a plugin. Handed once to load(); keep the pointer in one
 * file-scope variable (see EC2GW_HOST_DECLARE). Members are only ever appended; probe a member
 * that arrived after 1.0 with EC2GW_HOST_HAS(host, member).
 */
typedef struct ec2gw_host_api {
    ec2gw_abi_hdr_t hdr;

    /* -- log ---------------------------------------------------------------------------- */
    /** Log one line, prefixed with the request id, action and instance (req may be NULL). */
    void (*log)(ec2gw_req_t *req, ec2gw_log_level_t level, const char *fmt, ...)
        EC2GW_PRINTF(3, 4);

    /* -- request in ---------------------------------------------------------------------- */
    /** The EC2 Action name. Borrowed. */
    const char *(*action)(ec2gw_req_t *req);
    /**
     * The decoded parameters: a JSON object keyed by the model's member names (e.g.
     * {"InstanceIds": ["i-1"], "Filters": [{"Name": "x", "Values": ["y"]}], "DryRun": true}),
     * typed by the model. Borrowed.
     */
    const json_t *(*params)(ec2gw_req_t *req);
    /** The same parameters, mutable (for wrappers that pre-process before delegate). */
    json_t *(*params_mut)(ec2gw_req_t *req);
    /** The caller. Borrowed. */
    const ec2gw_identity_t *(*identity)(ec2gw_req_t *req);
    /**
     * Zeroed per-request state of @p size bytes (pool): the same block on every call of one
     * plugin instance, in its handler and in every callback it set up. Each instance of a wrap
     * chain has its own block (a wrapper never sees the wrapped plugin's bytes). Asking for a
     * larger size later keeps the bytes already written.
     */
    void *(*state)(ec2gw_req_t *req, size_t size);
    /** The EC2 request id. Borrowed. */
    const char *(*request_id)(ec2gw_req_t *req);

    /* -- request out (exactly one per request) -------------------------------------------- */
    /** Answer with a response model keyed by the output shape's member names. Steals model. */
    void (*finish)(ec2gw_req_t *req, json_t *model);
    /** Answer with an EC2 error document. */
    void (*fail)(ec2gw_req_t *req, int http_status, const char *code, const char *fmt, ...)
        EC2GW_PRINTF(4, 5);
    /**
     * Answer with the EC2 error that an OpenStack failure maps to (404 → @p not_found_code,
     * 403 → UnauthorizedOperation, 409 → IncorrectState, quota → *LimitExceeded, 5xx/timeout
     * → InternalError/Unavailable). @p not_found_code may be NULL.
     */
    void (*fail_from_os)(ec2gw_req_t *req, const ec2gw_os_resp_t *resp,
                         const char *not_found_code);

    /* -- memory (pool: freed with the request) ------------------------------------------ */
    void *(*palloc)(ec2gw_req_t *req, size_t n);
    void *(*pcalloc)(ec2gw_req_t *req, size_t n);
    char *(*pstrdup)(ec2gw_req_t *req, const char *s);
    char *(*psprintf)(ec2gw_req_t *req, const char *fmt, ...) EC2GW_PRINTF(2, 3);
    /** Run fn(arg) when the request's pool is freed. */
    int (*on_cleanup)(ec2gw_req_t *req, void (*fn)(void *arg), void *arg);
    /**
     * Tie one more reference on @p j to the request: it is dropped when the request's pool is
     * freed. It does NOT steal: the caller still holds its own reference and must drop it
     * (json_decref) when done with j, or hand it to something that steals. To let the request
     * free a new value you made, write `own_json(req, v); json_decref(v);`. Use it to keep a
     * borrowed value (ec2gw_os_resp_t.json, params) past the callback that lent it. Returns j.
     */
    json_t *(*own_json)(ec2gw_req_t *req, json_t *j);

    /* -- OpenStack ---------------------------------------------------------------------- */
    /**
     * Start one OpenStack call with the caller's token (or the service's, with
     * EC2GW_CALL_AS_SERVICE). @p done runs on the loop when it answers; it does not run if the
     * request is cancelled. Returns EC2GW_AGAIN, or a negative code (EC2GW_E_STATE when the
     * request was already answered), in which case done will not run.
     */
    int (*os_call)(ec2gw_req_t *req, const ec2gw_os_call_t *call, ec2gw_os_done_fn done,
                   void *arg);
    /** Start @p n calls concurrently; @p done runs once, after the last answered. */
    int (*os_fanout)(ec2gw_req_t *req, const ec2gw_os_call_t *calls, size_t n,
                     ec2gw_os_fanout_fn done, void *arg);
    /** The catalog URL of @p service_type for this request, or NULL. Pool. */
    const char *(*os_endpoint)(ec2gw_req_t *req, const char *service_type);
    /** Percent-encode @p s for a URL path or query (RFC 3986). Pool. */
    char *(*url_escape)(ec2gw_req_t *req, const char *s);

    /* -- data: EC2 ids and tags (the daemon owns the schema; ec2-api compatible) ---------- */
    /**
     * The EC2 id of OpenStack object @p os_id of @p kind ("i", "ami", "vol", ...), creating a
     * mapping (owned by the caller's project) the first time. *out is pool memory.
     */
    int (*id_to_ec2)(ec2gw_req_t *req, const char *kind, const char *os_id, const char **out);
    /**
     * The OpenStack id behind @p ec2_id visible to the caller. EC2GW_E_INVAL for a malformed
     * id, EC2GW_E_NOTFOUND when unknown. *os_id is pool memory.
     */
    int (*id_to_os)(ec2gw_req_t *req, const char *ec2_id, const char **os_id);
    /** Read an item's `data` JSON (returns new in *data, caller decrefs). */
    int (*item_get)(ec2gw_req_t *req, const char *ec2_id, json_t **data);
    /** Create or replace an item row of the caller's project. data borrowed (may be NULL). */
    int (*item_put)(ec2gw_req_t *req, const char *ec2_id, const char *os_id, const json_t *data);
    /** Delete an item row and its tags. */
    int (*item_delete)(ec2gw_req_t *req, const char *ec2_id);
    /**
     * Tags of the given ids in the caller's project: returns new {"<id>": [{"Key":..,
     * "Value":..}], ...}; ids without tags are absent.
     */
    int (*tags_get)(ec2gw_req_t *req, const char *const *ids, size_t n, json_t **out);
    /** Upsert tags [{"Key":..,"Value":..}] on @p ec2_id. tags borrowed. */
    int (*tags_set)(ec2gw_req_t *req, const char *ec2_id, const json_t *tags);

    /* -- filters and paging helpers ----------------------------------------------------- */
    /** EC2 wildcard match: '*' any run, '?' one character, '\\' escapes. 1 on match. */
    int (*wildcard_match)(const char *pattern, const char *value);
    /**
     * Keep the items of array @p items that pass the request's Filters. @p values gives the
     * values of a filter name for an item (append strings to values_out; return 0, or
     * EC2GW_E_NOTFOUND for a filter name the plugin does not know, which answers
     * InvalidParameterValue). tag:*, tag-key and tag-value are handled by the host when
     * @p id_key names the member holding the item's EC2 id. Returns new array, or NULL after
     * the host has answered the request with an error.
     */
    json_t *(*filter)(ec2gw_req_t *req, const json_t *items, const char *id_key,
                      ec2gw_filter_values_fn values, void *arg);
    /**
     * Apply the request's MaxResults/NextToken to @p items (sorted by @p id_key): returns new
     * array of the page, and in *next_token the token for the next page (pool) or NULL.
     * Returns NULL after answering the request with an error (InvalidPaginationToken...).
     */
    json_t *(*page)(ec2gw_req_t *req, const json_t *items, const char *id_key,
                    const char **next_token);

    /* -- config (create() only) -------------------------------------------------------- */
    /** Report a configuration error citing the YAML file and line of @p key. */
    void (*cfg_error)(ec2gw_cfg_t *cfg, const char *key, const char *fmt, ...)
        EC2GW_PRINTF(3, 4);

    /* -- chaining ----------------------------------------------------------------------- */
    /**
     * Run the wrapped instance's handler for this action. With @p on_model, the wrapped
     * handler's finish() hands its model to on_model, which must call finish() or fail().
     * Returns what the wrapped handler returned; EC2GW_E_NOTFOUND when nothing is wrapped.
     */
    int (*delegate)(ec2gw_req_t *req, ec2gw_model_fn on_model, void *arg);

    /* -- offload ------------------------------------------------------------------------ */
    /** Run @p work off the loop, then @p done on the loop. Returns EC2GW_AGAIN. */
    int (*offload)(ec2gw_req_t *req, ec2gw_work_fn work, ec2gw_work_done_fn done, void *arg);

    /* -- 1.1 ------------------------------------------------------------------------------ */
    /**
     * id_to_ec2() for @p n objects of one @p kind in one database round trip: out[i] is the
     * EC2 id of os_ids[i] (pool), mappings created for the ones seen the first time. NULL or
     * empty os_ids[i] leave out[i] NULL. Use it whenever a list answer is mapped.
     */
    int (*ids_to_ec2)(ec2gw_req_t *req, const char *kind, const char *const *os_ids, size_t n,
                      const char **out);
    /**
     * item_get() for @p n ids at once: returns new {"<ec2_id>": <data>, ...} in *out with the
     * ids whose row has data; the others are absent.
     */
    int (*items_get)(ec2gw_req_t *req, const char *const *ec2_ids, size_t n, json_t **out);
    /**
     * Run @p fn on the loop after @p ms milliseconds (for polling OpenStack while a state
     * changes). The timer is dropped when the request is answered or cancelled first; it never
     * outlives the request deadline. Returns EC2GW_AGAIN or a negative code.
     */
    int (*after)(ec2gw_req_t *req, int64_t ms, ec2gw_timer_fn fn, void *arg);
    /**
     * Stream the body of @p src (a GET) into the body of @p dst (a PUT/POST, usually with
     * content_type "application/octet-stream") without holding it in memory: the host spools
     * it through a temporary file. @p done receives dst's answer (or src's, when src failed:
     * check resp->status and which call it was with the Location/body). Returns EC2GW_AGAIN or
     * a negative code.
     */
    int (*os_transfer)(ec2gw_req_t *req, const ec2gw_os_call_t *src, const ec2gw_os_call_t *dst,
                       ec2gw_os_done_fn done, void *arg);

    /* -- 1.2 ------------------------------------------------------------------------------ */
    /**
     * Every item of @p kind ("vpc", "subnet", "igw", "rtb", ...) of the caller's project in one
     * query: returns new {"<ec2_id>": {<data members>, "os_id": .., "vpc_id": ..}} in *out
     * (os_id and vpc_id only when set; rows with unreadable data are left out).
     */
    int (*items_list)(ec2gw_req_t *req, const char *kind, json_t **out);
    /**
     * Create an item row of the caller's project only if no row has @p ec2_id (in any
     * project): EC2GW_E_EXISTS when one does. The once-only guard for records that several
     * requests or daemons on one database may race for. @p data borrowed (NULL = {}), packed
     * as item_put packs it; @p os_id may be NULL.
     */
    int (*item_insert)(ec2gw_req_t *req, const char *ec2_id, const char *os_id,
                       const json_t *data);
    /**
     * A new EC2 id of @p kind (pool) for an object without an OpenStack id (igw, rtb, dopt,
     * ...), unused in the database when drawn (drawn again on a collision). Nothing is stored
     * until item_put/item_insert.
     */
    int (*new_id)(ec2gw_req_t *req, const char *kind, const char **out);

    /* -- 1.2: raw HTTP requests (the metadata listener) ------------------------------------ */
    /*
     * The metadata listener (daemon `metadata:` section) hands every request, unsigned, to the
     * handler of the action EC2GW_ACTION_METADATA. Such a raw request has no EC2 parameters
     * and no identity until act_as(); it is answered with reply() (fail() answers text/plain
     * with the status given); its OpenStack calls always carry the service user's token.
     */
    /** The method ("GET", "PUT", ...) of a raw request; NULL on an EC2 request. Borrowed. */
    const char *(*http_method)(ec2gw_req_t *req);
    /** The path of a raw request as sent, without the query ("/latest/meta-data/"). Borrowed. */
    const char *(*http_path)(ec2gw_req_t *req);
    /**
     * The first value of request header @p name (case-insensitive), or NULL; *count (may be
     * NULL) receives how many times it came. Borrowed.
     */
    const char *(*http_header)(ec2gw_req_t *req, const char *name, size_t *count);
    /** Add a header to the raw answer (before reply). Strings copied. 0 or negative. */
    int (*reply_header)(ec2gw_req_t *req, const char *name, const char *value);
    /**
     * Answer a raw request with @p status, @p content_type (NULL: "text/plain") and @p len
     * bytes of @p body (copied; binary allowed). EC2GW_E_STATE on an EC2 request.
     */
    int (*reply)(ec2gw_req_t *req, int status, const char *content_type, const void *body,
                 size_t len);
    /**
     * Act for Keystone project @p project_id (and @p user_id, may be NULL) once the plugin has
     * verified who is calling: ids, items and tags are then those of that project. Raw
     * requests only (EC2GW_E_STATE otherwise). Strings copied.
     */
    int (*act_as)(ec2gw_req_t *req, const char *project_id, const char *user_id);
    /**
     * Lowercase hex HMAC-SHA256 of @p len bytes of @p msg keyed with the host's key @p key
     * (EC2GW_KEY_*) into out[65]. The plugin never sees the key. EC2GW_E_NOTFOUND when that
     * key is not configured.
     */
    int (*hmac_hex)(ec2gw_req_t *req, int key, const void *msg, size_t len, char out[65]);
    /** 1 when strings @p a and @p b are equal, compared in constant time (for signatures). */
    int (*secure_equal)(const char *a, const char *b);
    /** Wall clock, ms since the epoch (the fake host's moves with its fake clock). */
    int64_t (*now_ms)(ec2gw_req_t *req);
    /** The daemon's `metadata:` settings. Borrowed. */
    const ec2gw_metadata_conf_t *(*metadata_conf)(ec2gw_req_t *req);

    /* -- 1.4: shared reads, JSON lifetime ------------------------------------------------ */
    /**
     * Drop the shared answers (EC2GW_CALL_SHARED) for @p service_type (NULL: every
     * service), of every project (a write may change what another project sees: an image
     * shared or unshared), so that the next read sees a write just made. The host does it
     * itself after each non-GET call; call it for writes OpenStack makes on the caller's
     * behalf (Nova creating ports for a new server).
     */
    void (*os_invalidate)(ec2gw_req_t *req, const char *service_type);
    /** The daemon's describe_max_staleness in ms: how old a shared read may be (0: off). */
    int64_t (*describe_staleness_ms)(ec2gw_req_t *req);
    /**
     * The JSON a request makes (answers, models) may live in the request's arena and vanish
     * with it. Between json_heap_begin() and json_heap_end() (same callback, nestable) new
     * values are made on the heap instead: build, change or drop anything kept across
     * requests (a cache) only there, copying request values in with json_deep_copy().
     */
    void (*json_heap_begin)(ec2gw_req_t *req);
    void (*json_heap_end)(ec2gw_req_t *req);

    /* -- 1.5: items rendered ahead -------------------------------------------------------- */
    /**
     * Render @p item (borrowed), one value of the structure at @p path of this action's
     * output (member names joined by '.', lists stepped into: "Reservations.Instances" is an
     * Instance of DescribeInstances), to the XML finish() would write for it. *out: returns
     * new, an opaque value that finish() writes as those bytes wherever a value of that shape
     * goes in the model (byte for byte the answer @p item itself would give): a plugin that
     * answers the same item again keeps it (made between json_heap_begin/end, never changed)
     * and skips rendering. What it depends on is the plugin's to track: @p item's members,
     * nothing else. Returns 0; EC2GW_E_NOTFOUND when the output has no structure at @p path;
     * EC2GW_E_INVAL for a non-object, or (debug builds) when members of @p item would be
     * dropped (logged); EC2GW_E_STATE while a wrapper waits for the model (delegate() with
     * on_model: it must see the items as JSON) or after the answer. Then finish the model.
     * A NULL @p item only asks: EC2GW_E_INVAL when items may be rendered (and put in this
     * answer), EC2GW_E_STATE when not.
     */
    int (*render_item)(ec2gw_req_t *req, const char *path, const json_t *item, json_t **out);
} ec2gw_host_api_t;

/** Does this host table have member @p m (by size)? */
#define EC2GW_HOST_HAS(host, m)                                                                   \
    ((host)->hdr.size >= offsetof(ec2gw_host_api_t, m) + sizeof((host)->m) && (host)->m != NULL)

/* ------------------------------------------------------------------------------------------ */
/* The descriptor                                                                             */

/** An OpenStack service a plugin targets or uses. */
typedef struct ec2gw_service {
    const char *type;         /**< Keystone catalog type: "compute", "network", ... */
    const char *api;          /**< major API version: "v2.1", "v2.0", "v2", "v3" */
    const char *microversion; /**< minimum microversion needed, or NULL */
} ec2gw_service_t;

/**
 * The one exported symbol of a plugin: `EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin`.
 * The daemon reads it before it runs any plugin code.
 */
typedef struct ec2gw_plugin {
    ec2gw_abi_hdr_t hdr;           /**< EC2GW_ABI_HDR_INIT(ec2gw_plugin_t) */
    const char *name;              /**< e.g. "nova-v2.1"; what conf.d's `plugin:` names */
    const char *version;           /**< the plugin's own version */
    const char *description;       /**< one line */
    ec2gw_service_t service;       /**< primary OpenStack service (type NULL: none) */
    const ec2gw_service_t *uses;   /**< secondary services, terminated by { .type = NULL } */
    const ec2gw_action_t *actions; /**< terminated by { .name = NULL } */
    const ec2gw_setting_t *settings; /**< terminated by { .key = NULL }; may be NULL */
    size_t inst_size;              /**< bytes of the instance struct (zeroed, settings bound) */

    /** Once per process, after the ABI gate. Keep @p host. Return 0 or negative. */
    int (*load)(const ec2gw_host_api_t *host);
    /** Per YAML instance and configuration generation: validate (cfg_error), precompute. */
    int (*create)(void *inst, ec2gw_cfg_t *cfg);
    /** After every instance was created, per loop. */
    int (*start)(void *inst, ec2gw_loop_t *loop);
    /** Generation retired or shutdown, per loop. */
    void (*stop)(void *inst, ec2gw_loop_t *loop);
    /** The generation's last request finished: release non-pool resources. */
    void (*destroy)(void *inst);
    /** Process exit. */
    void (*unload)(void);

    /* -- 1.3 ------------------------------------------------------------------------------ */
    /** Hooks on the OpenStack calls of the instances this one wraps (see ec2gw_os_hook_t). */
    const ec2gw_os_hook_t *os_hooks;
} ec2gw_plugin_t;

/** Does this descriptor have member @p m (by size)? Members after 1.0 need the check. */
#define EC2GW_PLUGIN_HAS(desc, m)                                                                 \
    ((desc)->hdr.size >= offsetof(ec2gw_plugin_t, m) + sizeof((desc)->m) && (desc)->m != NULL)

/**
 * The first published descriptor layout: the daemon refuses anything smaller. Frozen at the
 * end of the 1.0 members (not sizeof, which grows when a minor appends members: a 1.1 daemon
 * must still accept 1.0 plugins).
 */
#define EC2GW_PLUGIN_SIZE_V1_0                                                                    \
    ((uint32_t)(offsetof(ec2gw_plugin_t, unload) + sizeof(void (*)(void))))
/** The first published host-table layout (frozen the same way). */
#define EC2GW_HOST_SIZE_V1_0                                                                      \
    ((uint32_t)(offsetof(ec2gw_host_api_t, offload) + sizeof(void (*)(void))))

/** Declare the plugin's host pointer; set it in load(). */
#define EC2GW_HOST_DECLARE static const ec2gw_host_api_t *ec2gw

#ifdef __cplusplus
}
#endif

#endif /* EC2GW_PLUGIN_H */
