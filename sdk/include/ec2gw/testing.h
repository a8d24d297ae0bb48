/*
 * ec2gw/testing.h - a fake ec2gw host for unit-testing plugins without the daemon or OpenStack.
 *
 * The fake host dlopen()s the real plugin module, runs the same ABI gate as ec2gwd (magic,
 * major equal, minor not newer, descriptor size), calls load() with a host table whose
 * functions are small real implementations (malloc-backed pools, per-request state, identity,
 * the daemon's own filters and paging, in-memory id mapping, items and tags), binds
 * the plugin's settings schema from YAML or JSON text and runs create(). OpenStack is scripted:
 * every os_call()/os_fanout() must match an expectation declared with ec2gw_test_expect*(); the
 * answers are queued and delivered by ec2gw_test_run(), in order or shuffled. Actions,
 * parameters and answers are checked against the EC2 model with the daemon's own code (the
 * model is share/ec2gw/ec2-2016-11-15.json; $EC2GW_TEST_MODEL overrides), and json
 * references a plugin leaks are reported when the host is freed.
 *
 *     ec2gw_test_host_t *h = ec2gw_test_host_new("build/plugins/nova-v2.1.so", "{}");
 *     ec2gw_test_expect(h, "GET", "compute", "/servers/detail*", 200, "nova/servers_two.json");
 *     json_t *model = ec2gw_test_action(h, "DescribeInstances", "{}");
 *     assert(model != NULL && ec2gw_test_unmet_expectations(h) == 0);
 *     json_decref(model);
 *     ec2gw_test_host_free(h);
 *
 * Link with libec2gw_testhost.a, -ljansson and -ldl. One request is in flight per host at a
 * time; the host is single-threaded, like a daemon loop. Modules are never dlclose()d (as in
 * the daemon), so sanitizer reports keep their symbols.
 */
#ifndef EC2GW_TESTING_H
#define EC2GW_TESTING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ec2gw/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A fake host: the plugin instances it loaded, the OpenStack script, the in-memory store. */
typedef struct ec2gw_test_host ec2gw_test_host_t;

/* -- lifecycle -------------------------------------------------------------------------- */

/**
 * Load @p plugin_so_path through the ABI gate, call its load() with the fake host table, bind
 * @p settings into a new instance and run create().
 *
 * @p settings is the instance's `settings:` mapping as JSON ("{\"max_instances\": 5}") or as
 * simple block YAML ("max_instances: 5\nplatforms: [EC2, VPC]\n"; scalars, flow lists and
 * "- item" lists; no nesting). NULL or "" binds the schema defaults only. Unknown keys and
 * values of the wrong type are refused like the daemon refuses them.
 *
 * Returns new (free with ec2gw_test_host_free), or NULL: then ec2gw_test_load_error() says why
 * (the ABI gate's message names both versions; a create() failure gives its cfg_error text).
 */
ec2gw_test_host_t *ec2gw_test_host_new(const char *plugin_so_path, const char *settings);

/**
 * Put an instance of @p wrapper_so_path (settings as for ec2gw_test_host_new) in front of the
 * current outermost instance, as conf.d's `wraps:` does: the wrapped instance was created
 * first; actions the wrapper declares route to it, the others still reach the wrapped one;
 * the wrapper's delegate() runs the wrapped handler. May be called again to stack wrappers.
 * Returns 0, or a negative EC2GW_E_* code with ec2gw_test_load_error() set.
 */
int ec2gw_test_host_wrap(ec2gw_test_host_t *h, const char *wrapper_so_path, const char *settings);

/**
 * Why the last ec2gw_test_host_new() or ec2gw_test_host_wrap() failed ("" after a success).
 * Borrowed: valid until the next of those calls (one static buffer: not thread-safe).
 */
const char *ec2gw_test_load_error(void);

/**
 * Cancel a request still in flight, call destroy() on every instance (outermost first),
 * unload() every module, and free the host. NULL is fine.
 */
void ec2gw_test_host_free(ec2gw_test_host_t *h);

/**
 * Leaked json references found so far in this process. The host keeps the references
 * own_json() took and the models finish() was given; ec2gw_test_host_free(), once destroy()
 * has run on every instance (so caches are gone), checks that nothing else holds them. A
 * value with references left over was leaked by the plugin, typically
 * `own_json(req, json_object())` whose creation reference was never dropped (own_json() takes
 * a reference of its own; it does not steal yours). Each is printed with the value, and the
 * test fails: ec2gw_test_host_free() abort()s. With the environment variable
 * EC2GW_TEST_LEAKS=warn it only prints and counts here.
 */
size_t ec2gw_test_leaked_json(void);

/** The outermost instance's data (inst_size bytes, settings bound). Borrowed. */
void *ec2gw_test_instance_data(ec2gw_test_host_t *h);

/* -- environment ------------------------------------------------------------------------ */

/**
 * Directory under which relative fixture paths of ec2gw_test_expect() and
 * ec2gw_test_json_equal() are looked up (copied). Default: the current directory.
 */
void ec2gw_test_set_fixture_dir(ec2gw_test_host_t *h, const char *dir);

/**
 * The Keystone project of the caller (copied; default "project-test"). It is also the ownerId
 * and scopes id mappings, items and tags, so two projects never see each other's data.
 */
void ec2gw_test_set_project(ec2gw_test_host_t *h, const char *project_id);

/**
 * Deliver queued answers in a pseudo-random order drawn from @p seed (0: in the order the
 * calls were made, the default). Use several seeds to flush out ordering assumptions of
 * fan-out code.
 */
void ec2gw_test_set_shuffle(ec2gw_test_host_t *h, unsigned seed);

/**
 * Plugin log lines at or above @p level severity go to stderr (default EC2GW_LOG_WARN;
 * setting the environment variable EC2GW_TEST_VERBOSE=1 makes it EC2GW_LOG_DEBUG).
 */
void ec2gw_test_set_log_level(ec2gw_test_host_t *h, ec2gw_log_level_t level);

/* -- scripted OpenStack ----------------------------------------------------------------- */

/**
 * Expect one call @p method @p service @p path_pattern ('*' matches any run of characters,
 * everything else is literal, so query strings need no escaping) and answer it with @p status
 * and @p body: JSON text when it starts with '{' or '[', else a fixture file (relative to the
 * fixture directory, or absolute) when it exists, else the raw text itself; NULL for no body.
 * Each expectation answers one call; a call takes the first unused expectation it matches, so
 * fan-out calls may come in any order. A call matching none is answered with a transport
 * error and counted by ec2gw_test_violations(). Strings are copied.
 */
void ec2gw_test_expect(ec2gw_test_host_t *h, const char *method, const char *service,
                       const char *path_pattern, long status, const char *body);

/** Expect one call that times out (status 0, timed_out 1, error text set). */
void ec2gw_test_expect_timeout(ec2gw_test_host_t *h, const char *method, const char *service,
                               const char *path_pattern);

/** Expect one call that fails in transport with @p error (status 0, e.g. "Connection refused"). */
void ec2gw_test_expect_error(ec2gw_test_host_t *h, const char *method, const char *service,
                             const char *path_pattern, const char *error);

/** Number of expectations no call has used yet. */
size_t ec2gw_test_unmet_expectations(const ec2gw_test_host_t *h);

/*
 * os_transfer(src, dst) is scripted as two calls: src's expectation is used when the transfer
 * starts, dst's only after src answered a 2xx (one ec2gw_test_run_one() later). In the call
 * log dst's "body" is src's answer body as a JSON string: the bytes that would have moved.
 * When src fails, the callback gets src's answer with `location` set to src's path (as
 * ec2gwd does), and dst is never called.
 */

/**
 * Every OpenStack call the plugin made since the host was created, in order: an array of
 * {"method", "service", "path", "body" (JSON or null), "microversion" (or null), "flags"}.
 * Borrowed (owned by the host).
 */
const json_t *ec2gw_test_calls(const ec2gw_test_host_t *h);

/* -- recorded conversations of the stock plugins ------------------------------------------ */

/*
 * The SDK installs what the stock plugins said to OpenStack for one action on the all-in-one
 * test cloud, as share/ec2gw/fixtures/<plugin>/<Action>.json (nova-v2.1/RunInstances, ...):
 * {"plugin", "action", "recorded", "settings", "project", "ids", "params", "calls", "answer"}
 * (sdk/fixtures/README.md; python3 sdk/fixtures/record.py records them again). A wrapper's
 * unit test replays the wrapped plugin's side and checks only what the wrapper changes:
 *
 *     ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, "{}");
 *     ec2gw_test_host_wrap(h, "site.so", NULL);
 *     json_t *m = ec2gw_test_action(h, "RunInstances",
 *                                   ec2gw_test_replay(h, "nova-v2.1/RunInstances"));
 *     const json_t *boot = ec2gw_test_call_body(h, "POST", "compute", "/servers");
 *     assert(m != NULL && json_object_get(json_object_get(boot, "server"), "metadata"));
 */

/**
 * Script the recorded conversation @p name ("nova-v2.1/RunInstances", looked up as
 * <dir>/<name>.json in $EC2GW_TEST_FIXTURES, the source tree, then the installed
 * share/ec2gw/fixtures; or a path ending in .json): the host takes its project, its id
 * mappings are made and each call becomes an expectation, as with ec2gw_test_expect().
 * Returns the EC2 parameters it was recorded with, as JSON text for ec2gw_test_action()
 * (borrowed, valid until the next replay), or NULL (a violation) when there is no such
 * fixture.
 */
const char *ec2gw_test_replay(ec2gw_test_host_t *h, const char *name);

/** The fixture @p name itself (as for ec2gw_test_replay), returns new, or NULL. */
json_t *ec2gw_test_fixture(const char *name);

/**
 * The JSON body of the last call the plugin made matching @p method @p service @p path_pattern
 * ('*' wildcards), or NULL (no such call, or no body). Borrowed (owned by the host).
 */
const json_t *ec2gw_test_call_body(const ec2gw_test_host_t *h, const char *method,
                                   const char *service, const char *path_pattern);

/* -- running actions -------------------------------------------------------------------- */

/**
 * Run EC2 action @p action with parameters @p params_json (a JSON object keyed by the
 * model's member names, as host->params() gives them; NULL means {}) on the instance that
 * routes it, run every queued callback (ec2gw_test_run) and end the request. As the daemon
 * does: an action the EC2 model lacks is InvalidAction; the parameters are sent through the
 * daemon's query decoder, so an unknown member is UnknownParameter, a missing required one
 * MissingParameter, and the plugin sees the daemon's types ("5" for an integer member arrives
 * as 5); a DryRun request of an action without EC2GW_ACT_DRYRUN is answered DryRunOperation
 * without calling the plugin; an action no instance serves is answered InvalidAction. The
 * model is rendered by the daemon's renderer: a member it would drop makes the request fail
 * with InternalError naming it (ec2gwd does so in debug builds) and is a violation.
 * Returns new (the finished model; caller decrefs), or NULL when the request failed: see
 * ec2gw_test_last_error().
 */
json_t *ec2gw_test_action(ec2gw_test_host_t *h, const char *action, const char *params_json);

/**
 * Start @p action like ec2gw_test_action() but return right after the handler returned:
 * EC2GW_OK, EC2GW_AGAIN, or a negative code when no request could start (one is already in
 * flight, bad parameter JSON). Then drive it with ec2gw_test_run()/ec2gw_test_run_one(),
 * optionally ec2gw_test_cancel(), and collect it with ec2gw_test_end().
 */
int ec2gw_test_begin(ec2gw_test_host_t *h, const char *action, const char *params_json);

/** Deliver one queued answer (or offloaded work). Returns 1, or 0 when the queue was empty. */
int ec2gw_test_run_one(ec2gw_test_host_t *h);

/** Deliver queued answers until the queue is empty (callbacks may queue more). Returns how many. */
size_t ec2gw_test_run(ec2gw_test_host_t *h);

/**
 * Cancel the request in flight as a client disconnect does: queued answers are dropped
 * without running their callbacks, later finish()/fail() are ignored, os_call() returns
 * EC2GW_E_STATE. ec2gw_test_end() then returns NULL with last error "RequestCanceled".
 */
void ec2gw_test_cancel(ec2gw_test_host_t *h);

/**
 * End the request in flight: drop what is still queued for it, free its pool (running
 * on_cleanup callbacks). Returns new (the finished model) or NULL when it failed, was
 * cancelled or never answered (last error "ec2gw_test.NoAnswer", also a violation).
 */
json_t *ec2gw_test_end(ec2gw_test_host_t *h);

/** The EC2 error code of the last ended request, or NULL when it finished. Borrowed. */
const char *ec2gw_test_last_error(const ec2gw_test_host_t *h);

/** The message of the last error, or NULL. Borrowed. */
const char *ec2gw_test_last_error_message(const ec2gw_test_host_t *h);

/** The HTTP status of the last ended request (200 when it finished). */
int ec2gw_test_last_status(const ec2gw_test_host_t *h);

/**
 * The XML document ec2gwd's renderer wrote for the last finished answer (the request id is
 * the fake host's), with *len its length (may be NULL); NULL when none. Borrowed, until the
 * next request. Items the plugin rendered ahead (render_item, ABI 1.5) are in it as those
 * bytes; the model ec2gw_test_end() returns shows them as the models they were rendered
 * from, and an answer whose items rendered ahead differ from their models' rendering is a
 * violation.
 */
const char *ec2gw_test_last_xml(const ec2gw_test_host_t *h, size_t *len);

/** How many items the plugin has had rendered ahead (render_item, ABI 1.5) on this host. */
size_t ec2gw_test_rendered_items(const ec2gw_test_host_t *h);

/**
 * Contract violations seen so far, each also printed to stderr: calls matching no
 * expectation, two answers to one request, a handler returning EC2GW_OK without answering, a
 * request never answered, an os_call struct without `size`, a missing fixture file, an answer
 * member the EC2 model does not have.
 */
size_t ec2gw_test_violations(const ec2gw_test_host_t *h);

/* -- timers (after) --------------------------------------------------------------------- */

/**
 * The fake clock in milliseconds (0 when the host was created). Only after() moves it: a
 * timer runs once no OpenStack answer or offloaded work is queued (the loop would be idle),
 * the earliest first, and sets the clock to its due time. A plugin polling every second for
 * a minute thus runs at once and leaves the clock 60000 ms further. Timers of a request that
 * was answered or cancelled never run.
 */
int64_t ec2gw_test_clock_ms(const ec2gw_test_host_t *h);

/**
 * Give every request a deadline @p ms after it began, on the fake clock (0: none, the
 * default). after() then refuses a delay that would end at or past it with EC2GW_E_INVAL,
 * as ec2gwd does with limits.request_timeout.
 */
void ec2gw_test_set_deadline(ec2gw_test_host_t *h, int64_t ms);

/* -- raw requests: the metadata listener (ABI 1.2) ------------------------------------- */

/**
 * Run one raw request, as the daemon's metadata listener does, on the instance serving
 * EC2GW_ACTION_METADATA: @p headers_json is {"Name": "value"} or {"Name": ["v1", "v2"]} for a
 * header sent twice (NULL: none). Runs every queued callback and ends the request. Returns
 * the HTTP status of the answer (reply(), or fail()'s status), 0 when there was none.
 * act_as() in the plugin switches the host's project as ec2gw_test_set_project() does.
 */
int ec2gw_test_http(ec2gw_test_host_t *h, const char *method, const char *path,
                    const char *headers_json);

/** The body of the last raw answer (NUL-terminated; *len its length). Borrowed. */
const char *ec2gw_test_http_body(const ec2gw_test_host_t *h, size_t *len);

/** The content type of the last raw answer, or NULL. Borrowed. */
const char *ec2gw_test_http_content_type(const ec2gw_test_host_t *h);

/** A header the plugin added to the last raw answer with reply_header(), or NULL. */
const char *ec2gw_test_http_reply_header(const ec2gw_test_host_t *h, const char *name);

/** The secret behind hmac_hex() key @p key (EC2GW_KEY_*; NULL: not configured, the default). */
void ec2gw_test_set_key(ec2gw_test_host_t *h, int key, const char *secret);

/** What metadata_conf() answers (default: the daemon's, 10 s cache and 21600 s tokens). */
void ec2gw_test_set_metadata_conf(ec2gw_test_host_t *h, int64_t cache_ttl_ms,
                                  int64_t token_ttl_max_s);

/**
 * Move the fake clock @p ms forward (timers due meanwhile run at the next ec2gw_test_run).
 * now_ms() answers 2026-01-01T00:00:00Z plus the fake clock.
 */
void ec2gw_test_clock_advance(ec2gw_test_host_t *h, int64_t ms);

/* -- shared reads (ABI 1.4) -------------------------------------------------------------- */

/**
 * What describe_staleness_ms() answers (default 0: off, so scripts written before 1.4 keep
 * their meaning). When on, a GET with EC2GW_CALL_SHARED and no wrapper hook whose 2xx answer
 * (same service, path, microversion, raw flag, project) was scripted at most @p ms ago on the
 * fake clock is answered again from it: no call is logged and no expectation used. Every
 * sharer gets the same json; one a plugin changed is a violation. Any other method, and
 * os_invalidate(), drop the project's answers of that service. Setting it forgets them all.
 */
void ec2gw_test_set_staleness(ec2gw_test_host_t *h, int64_t ms);

/** How many OpenStack calls were answered from a shared answer so far. */
size_t ec2gw_test_shared_hits(const ec2gw_test_host_t *h);

/* -- in-memory data store --------------------------------------------------------------- */

/**
 * Map @p ec2_id to @p os_id in the current project, as if an earlier request had created it
 * (id_to_ec2() of the same OpenStack id then returns @p ec2_id). Returns 0 or EC2GW_E_EXISTS.
 */
int ec2gw_test_map_id(ec2gw_test_host_t *h, const char *ec2_id, const char *os_id);

/**
 * Store an item row of the current project as another plugin (or an earlier request) would
 * have written it: @p ec2_id mapped to @p os_id (NULL: an item without an OpenStack id) and its
 * data from JSON object text @p data_json ("vpc_id" in it stands for the column; NULL = {}).
 * Returns 0, EC2GW_E_INVAL or EC2GW_E_EXISTS (the id is already mapped).
 */
int ec2gw_test_put_item(ec2gw_test_host_t *h, const char *ec2_id, const char *os_id,
                        const char *data_json);

/**
 * Set the tags of @p ec2_id in the current project from JSON text
 * [{"Key": "k", "Value": "v"}, ...] (replacing them). Returns 0 or EC2GW_E_INVAL.
 */
int ec2gw_test_set_tags(ec2gw_test_host_t *h, const char *ec2_id, const char *tags_json);

/** The tags of @p ec2_id in the current project: returns new array (empty when none). */
json_t *ec2gw_test_get_tags(ec2gw_test_host_t *h, const char *ec2_id);

/* -- helpers ---------------------------------------------------------------------------- */

/**
 * Load JSON from text (starting with '{' or '[') or a fixture file (see ec2gw_test_expect).
 * Returns new, or NULL (with the reason on stderr).
 */
json_t *ec2gw_test_json_load(const ec2gw_test_host_t *h, const char *text_or_path);

/**
 * 1 when @p actual (borrowed) equals the JSON @p expected_text_or_path (json_equal: object key
 * order does not matter, array order does); otherwise 0, printing both to stderr.
 */
int ec2gw_test_json_equal(const ec2gw_test_host_t *h, const json_t *actual,
                          const char *expected_text_or_path);

#ifdef __cplusplus
}
#endif

#endif /* EC2GW_TESTING_H */
