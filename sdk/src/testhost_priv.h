/*
 * testhost_priv.h - internals of the fake plugin host (ec2gw/testing.h), shared by its files.
 */
#ifndef EC2GW_TESTHOST_PRIV_H
#define EC2GW_TESTHOST_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>
#include <ec2gw/testing.h>

/* -- pools: malloc'd blocks and cleanups, released together ------------------------------ */

typedef struct th_block th_block_t;
typedef struct th_cleanup th_cleanup_t;

typedef struct th_pool {
    th_block_t *blocks;
    th_cleanup_t *cleanups; /* run last-registered first */
} th_pool_t;

/** Zeroed block of @p n bytes owned by @p pool, or NULL. */
void *th_pcalloc(th_pool_t *pool, size_t n);
/** Copy of @p s in @p pool (NULL for NULL). */
char *th_pstrdup(th_pool_t *pool, const char *s);
/** Register fn(arg) to run when @p pool is released. 0 or EC2GW_E_NOMEM. */
int th_pool_on_cleanup(th_pool_t *pool, void (*fn)(void *), void *arg);
/** Run the cleanups, free the blocks; the pool is empty afterwards. */
void th_pool_release(th_pool_t *pool);

/* -- modules and instances --------------------------------------------------------------- */

typedef struct th_module {
    struct th_module *next;
    char *path;
    void *handle;
    const ec2gw_plugin_t *desc;
} th_module_t;

typedef struct th_inst {
    struct th_inst *below; /* the instance this one wraps, or NULL */
    const th_module_t *mod;
    void *data;     /* inst_size bytes */
    th_pool_t pool; /* bound settings (string lists) */
    json_t *keep;   /* parsed settings and defaults the bound strings point into */
    int created;
} th_inst_t;

/** The handle create() receives. */
struct ec2gw_cfg {
    ec2gw_test_host_t *h;
    th_inst_t *inst;
    int failed;
};

/* -- requests ---------------------------------------------------------------------------- */

typedef struct th_hook {
    ec2gw_model_fn fn;
    void *arg;
    th_inst_t *inst; /* the wrapper to resume in */
} th_hook_t;

#define TH_MAX_HOOKS 16

struct ec2gw_model_op; /* the daemon's model (daemon/protocol/ec2_model.h) */

struct th_state {
    struct th_state *next;
    const th_inst_t *inst;
    void *p;
    size_t size;
};

struct ec2gw_req {
    ec2gw_test_host_t *h;
    char *action;
    json_t *params;                  /* decoded by the daemon's decoder */
    const struct ec2gw_model_op *op; /* NULL for raw requests */
    json_t **owned;                  /* own_json()'s references, checked at the end */
    size_t n_owned, cap_owned;
    th_pool_t pool;
    struct th_state *states; /* one zeroed block per instance, as ec2gwd's host_layer.c */
    th_inst_t *inst;         /* the instance whose handler runs */
    th_hook_t hooks[TH_MAX_HOOKS];
    size_t n_hooks;
    int answered, cancelled;
    json_t *model;
    int status;
    char code[128];
    char msg[512];
    char id[48];
    int64_t t_start_ms; /* fake clock at begin (after()'s deadline) */
    /* a raw request (ec2gw_test_http): method, path, headers {"name": [values]} */
    int raw;
    char *method, *path;
    json_t *hdrs;
};

/* -- scripted OpenStack ------------------------------------------------------------------- */

typedef struct th_expect {
    char *method, *service, *pattern;
    long status;
    char *body; /* NULL: none */
    char *error;
    int timed_out;
    int used;
} th_expect_t;

typedef struct th_fanout th_fanout_t;

typedef enum th_event_kind {
    TH_EV_CALL = 1,
    TH_EV_FANOUT,
    TH_EV_OFFLOAD,
    TH_EV_TIMER,    /* after(): runs when only timers are left, earliest first */
    TH_EV_TRANSFER, /* os_transfer(): src's answer; dst is scripted when it is a 2xx */
} th_event_kind_t;

typedef struct th_event {
    th_event_kind_t kind;
    ec2gw_req_t *req;
    ec2gw_os_resp_t resp;
    char *body;
    json_t *json;
    ec2gw_os_done_fn done;
    void *arg;
    th_fanout_t *fan;
    size_t fan_index;
    ec2gw_work_fn work;
    ec2gw_work_done_fn work_done;
    ec2gw_timer_fn timer;
    int64_t due_ms;
    ec2gw_os_call_t dst; /* strings in the request pool */
} th_event_t;

struct th_fanout {
    size_t n, got;
    th_event_t **parts;
    const ec2gw_os_resp_t **resps;
    ec2gw_os_fanout_fn done;
    void *arg;
};

/* -- the host ----------------------------------------------------------------------------- */

struct ec2gw_test_host {
    th_module_t *modules;
    th_inst_t *top;
    th_expect_t *expects;
    size_t n_expects, cap_expects;
    th_event_t **queue;
    size_t n_queue, cap_queue;
    unsigned rng;
    int shuffle;
    ec2gw_log_level_t log_level;
    char *fixture_dir;
    char *project;
    ec2gw_identity_t identity;
    json_t *calls;       /* call log */
    json_t *ids;         /* "<project>\n<ec2 id>" -> os id */
    json_t *rev_ids;     /* "<project>\n<kind>\n<os id>" -> ec2 id */
    json_t *items;       /* "<project>\n<ec2 id>" -> {"os_id", "data"} */
    json_t *tags;        /* "<project>\n<ec2 id>" -> [{Key, Value}] */
    uint32_t new_id_seq; /* new_id(): ids drawn so far */
    ec2gw_req_t *req;    /* the request in flight */
    unsigned req_seq;
    size_t violations;
    json_t *last_model;
    int64_t now_ms;      /* the fake clock: advanced by timers only */
    int64_t deadline_ms; /* per request, for after(); 0: none */
    int last_status;
    char last_code[128];
    char last_msg[512];
    /* raw requests (testhost_http.c): host keys, metadata settings, the last raw answer */
    char *keys[3]; /* by EC2GW_KEY_* */
    ec2gw_metadata_conf_t md_conf;
    char *http_body;
    size_t http_len;
    char *http_ctype;
    json_t *http_hdrs; /* answer headers {"name": "value"} */
    size_t leaked;     /* json values plugins kept references to (testhost_leaks.c) */
    json_t **watched;  /* own_json()'s and finish()'s references, checked after destroy() */
    size_t n_watched, cap_watched;
    char *replay_params; /* the last ec2gw_test_replay()'s EC2 parameters (JSON text) */
    /* shared reads (testhost_share.c): key -> {t, status, body, json, pristine} */
    json_t *shared;
    int64_t share_staleness_ms; /* 0: off (the default) */
    size_t share_hits;
    /* 1.5: the models of the items render_item() made, by their bytes; the last document */
    json_t *rendered;
    size_t n_rendered;
    char *last_xml;
    size_t last_xml_len;
};

/** The host table handed to every plugin's load(). */
extern const ec2gw_host_api_t th_host_api;

/** Record a contract violation (printed to stderr). */
void th_violation(ec2gw_test_host_t *h, const char *fmt, ...) EC2GW_PRINTF(2, 3);
/** Set the load error text. */
void th_load_error(const char *fmt, ...) EC2GW_PRINTF(1, 2);

/** Parse settings text (JSON or simple YAML) into a new object; NULL with the load error set. */
json_t *th_settings_parse(const char *text);
/** Apply defaults and bind @p settings (borrowed) into @p in->data. 0 or negative (load error). */
int th_settings_bind(th_inst_t *in, const json_t *settings);

/** Build the answer to @p c from the script (logs the call). Returns new event, or NULL. */
th_event_t *th_script_answer(ec2gw_test_host_t *h, ec2gw_req_t *req, const ec2gw_os_call_t *c);
/** Append @p ev to the queue. 0 or EC2GW_E_NOMEM. */
int th_queue_push(ec2gw_test_host_t *h, th_event_t *ev);
/** Free an event and what it owns. */
void th_event_free(th_event_t *ev);
/** Drop every queued event of @p req (freed, except fan-out parts: their fan-out frees them). */
void th_queue_drop(ec2gw_test_host_t *h, const ec2gw_req_t *req);
/** Read a fixture: file contents (returns new, free()) or NULL. */
char *th_fixture_read(const ec2gw_test_host_t *h, const char *path);

/** The store key "<project>\n<a>[\n<b>]" (returns new, free()). */
char *th_key(const char *project, const char *a, const char *b);

/** '*'-only path matching for expectations. */
int th_glob(const char *pattern, const char *s);

/** Host functions implemented in testhost_store.c. */
int th_id_to_ec2(ec2gw_req_t *r, const char *kind, const char *os_id, const char **out);
int th_id_to_os(ec2gw_req_t *r, const char *ec2_id, const char **os_id);
int th_item_get(ec2gw_req_t *r, const char *ec2_id, json_t **data);
int th_item_put(ec2gw_req_t *r, const char *ec2_id, const char *os_id, const json_t *data);
int th_item_delete(ec2gw_req_t *r, const char *ec2_id);
int th_ids_to_ec2(ec2gw_req_t *r, const char *kind, const char *const *os_ids, size_t n,
                  const char **out);
int th_items_get(ec2gw_req_t *r, const char *const *ec2_ids, size_t n, json_t **out);
int th_items_list(ec2gw_req_t *r, const char *kind, json_t **out);
int th_item_insert(ec2gw_req_t *r, const char *ec2_id, const char *os_id, const json_t *data);
int th_new_id(ec2gw_req_t *r, const char *kind, const char **out);
int th_tags_get(ec2gw_req_t *r, const char *const *ids, size_t n, json_t **out);
int th_tags_set(ec2gw_req_t *r, const char *ec2_id, const json_t *tags);
int th_wildcard_match(const char *pattern, const char *value);
json_t *th_filter(ec2gw_req_t *r, const json_t *items, const char *id_key,
                  ec2gw_filter_values_fn values, void *arg);
json_t *th_page(ec2gw_req_t *r, const json_t *items, const char *id_key, const char **next_token);

/** Host functions of raw requests (testhost_http.c). */
const char *th_http_method(ec2gw_req_t *r);
const char *th_http_path(ec2gw_req_t *r);
const char *th_http_header(ec2gw_req_t *r, const char *name, size_t *count);
int th_reply_header(ec2gw_req_t *r, const char *name, const char *value);
int th_reply(ec2gw_req_t *r, int status, const char *ctype, const void *body, size_t len);
int th_act_as(ec2gw_req_t *r, const char *project_id, const char *user_id);
int th_hmac_hex(ec2gw_req_t *r, int key, const void *msg, size_t len, char out[65]);
int th_secure_equal(const char *a, const char *b);
int64_t th_now_ms(ec2gw_req_t *r);
const ec2gw_metadata_conf_t *th_metadata_conf(ec2gw_req_t *r);
/** Free what testhost_http.c keeps in the host. */
void th_http_free(ec2gw_test_host_t *h);

/* -- the daemon's EC2 model (testhost_model.c) ------------------------------------------ */

/** Load the model once per process. 0, or negative with the load error set. */
int th_model_init(void);
/** The model's operation @p action, or NULL when the model has none. */
const struct ec2gw_model_op *th_model_op(const char *action);
/**
 * @p in (the test's JSON, borrowed) as ec2gwd would decode it from a client's query: 0 with
 * *out (returns new), or the HTTP status with the daemon's error @p code and @p msg.
 */
int th_model_params(const struct ec2gw_model_op *op, const json_t *in, json_t **out, char *code,
                    size_t code_cap, char *msg, size_t msg_cap);
/**
 * 0 when the daemon's renderer keeps all of @p answer and its items rendered ahead give the
 * bytes their models give, else -1 with why in @p msg. The document goes to h->last_xml.
 */
int th_model_check_answer(ec2gw_test_host_t *h, const struct ec2gw_model_op *op,
                          const char *request_id, const json_t *answer, char *msg, size_t msg_cap);
/** 1.5 render_item(): the daemon's renderer; the item's model kept in h->rendered. */
int th_model_render_item(ec2gw_test_host_t *h, const struct ec2gw_model_op *op, const char *path,
                         const json_t *item, json_t **out, char *msg, size_t msg_cap);
/** A copy of @p answer with its rendered items as the models they were rendered from. */
json_t *th_model_expand(const ec2gw_test_host_t *h, const json_t *answer);

/* -- leaked json references (testhost_leaks.c) ------------------------------------------ */

/** Keep @p j (a reference the host took: own_json(), the finished model) for the check. */
int th_owned_add(ec2gw_req_t *r, json_t *j);
/** At the request's end: its references move to the host. */
void th_owned_keep(ec2gw_test_host_t *h, ec2gw_req_t *r);
/** After destroy(): report the kept values someone else still holds, drop ours. Leaks. */
size_t th_owned_check(ec2gw_test_host_t *h);

/** delegate(): run the next instance down the wrap stack serving the action. */
int th_delegate(ec2gw_req_t *r, ec2gw_model_fn on_model, void *arg);

/* -- shared reads (testhost_share.c) ------------------------------------------------------ */

/** A fresh shared answer to @p c as a new event (no call logged), or NULL: script the call. */
th_event_t *th_share_lookup(ec2gw_req_t *r, const ec2gw_os_call_t *c, int hooked);
/** Keep @p ev's answer to @p c for reuse when the call is a shareable GET with a 2xx. */
void th_share_keep(ec2gw_req_t *r, const ec2gw_os_call_t *c, int hooked, const th_event_t *ev);
/** Drop the current project's (and the service user's) answers of @p service (NULL: all). */
void th_share_invalidate(ec2gw_test_host_t *h, const char *service);
/** Report a shared answer a plugin changed (at the end of each request). */
void th_share_check(ec2gw_test_host_t *h, const char *action);
void th_os_invalidate(ec2gw_req_t *r, const char *service_type);
int64_t th_describe_staleness_ms(ec2gw_req_t *r);

/** fail() without varargs, for the host's own answers. */
void th_fail(ec2gw_req_t *r, int status, const char *code, const char *msg);

#endif
