/*
 * test_os_hooks_daemon.c - ABI 1.3 OpenStack hooks in ec2gwd (daemon/server/os_hook.c,
 * os_call.c): the plugins of tests/unit/sdk/hook_plugin.c built into instances from conf.d,
 * a request through the real host table and event loop, a loopback evhttp server standing in
 * for Nova and recording what it was sent. The same cases as the fake host's
 * tests/unit/sdk/test_os_hooks.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/json_arena.h"
#include "hook_plugin.h"
#include "plugin/plugin.h"
#include "server/request.h"

struct fixture {
    char dir[64];
    char files[2][128];
    size_t n_files;
    ec2gw_conf_set_t *set;
    ec2gw_plugins_t *plugins;
    struct event_base *base;
    struct evhttp *nova;
    int port;
    json_t *seen;         /* [{"method", "uri", "x_site", "body"}] */
    const char *keypairs; /* the answer to a plain GET /os-keypairs */
    ec2gw_daemon_t d;
    ec2gw_generation_t gen;
};

static ec2gw_model_t *model;

static void
on_nova(struct evhttp_request *req, void *arg)
{
    struct fixture *f = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req), *out = evbuffer_new();
    const char *site = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Site");
    size_t n = evbuffer_get_length(in);
    json_t *body = n ? json_loadb((const char *)evbuffer_pullup(in, -1), n, 0, NULL) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    int post = cmd == EVHTTP_REQ_POST;
    const char *method = post ? "POST" : cmd == EVHTTP_REQ_PUT ? "PUT" : "GET";
    int status = 200;

    json_array_append_new(f->seen,
                          json_pack("{s:s, s:s, s:s?, s:o?, s:I}", "method", method, "uri", uri,
                                    "x_site", site, "body", body, "length", (json_int_t)n));
    if (strcmp(uri, "/compute/os-keypairs") == 0)
        evbuffer_add_printf(out, "%s", f->keypairs);
    else if (strcmp(uri, "/compute/os-keypairs?site=cern") == 0)
        evbuffer_add_printf(out, "{\"keypairs\": [{\"keypair\": {\"name\": \"k1\"}}]}");
    else if (strcmp(uri, "/compute/blob") == 0)
        evbuffer_add_printf(out, "bytes");
    else if (cmd == EVHTTP_REQ_PUT && strcmp(uri, "/compute/blob-copy?site=cern") == 0)
        status = 204;
    else if (post && strcmp(uri, "/compute/servers") == 0)
        evbuffer_add_printf(out, "{\"server\": {\"id\": \"s1\"}}"), status = 202;
    else
        evbuffer_add_printf(out, "{}"), status = 500;
    evhttp_send_reply(req, status, status == 500 ? "Internal Server Error" : "OK",
                      status == 204 ? NULL : out);
    evbuffer_free(out);
}

static int
group_setup(void **state)
{
    ec2gw_err_t err;

    (void)state;
    ec2gw_json_arena_init(); /* as ec2gwd: request JSON in arenas, checked by ASan */
    return ec2gw_model_load(EC2GW_SOURCE_DIR "/model/ec2-2016-11-15.json", &model, &err);
}

static int
group_teardown(void **state)
{
    (void)state;
    ec2gw_model_free(model);
    ec2gw_modules_unload_all();
    return 0;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct evhttp_bound_socket *bs;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    snprintf(f->dir, sizeof(f->dir), "/tmp/ec2gw-oshooks-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->base = event_base_new();
    f->nova = evhttp_new(f->base);
    evhttp_set_gencb(f->nova, on_nova, f);
    bs = evhttp_bind_socket_with_handle(f->nova, "127.0.0.1", 0);
    assert_non_null(bs);
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len);
    f->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    f->seen = json_array();
    f->keypairs = "{\"keypairs\": []}";
    f->gen.conf.request_timeout_ms = 20000;
    f->gen.conf.os_timeout_ms = 10000;
    f->gen.conf.keystone.interface = "public";
    f->gen.refs = 1;
    f->d.base = f->base;
    f->d.model = model;
    f->d.client = ec2gw_http_new(f->base, 4);
    f->d.gen = f->d.first = &f->gen;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    ec2gw_plugins_free(f->plugins);
    ec2gw_conf_set_free(f->set);
    for (size_t i = 0; i < f->n_files; i++)
        unlink(f->files[i]);
    rmdir(f->dir);
    ec2gw_http_free(f->d.client);
    evhttp_free(f->nova);
    event_base_free(f->base);
    json_decref(f->seen);
    free(f);
    return 0;
}

static void
conf(struct fixture *f, const char *name, const char *yaml)
{
    FILE *fp;

    snprintf(f->files[f->n_files], sizeof(f->files[0]), "%s/%s", f->dir, name);
    fp = fopen(f->files[f->n_files++], "w");
    assert_non_null(fp);
    fputs(yaml, fp);
    fclose(fp);
}

/* hk-inner as `inner`, and hk-outer wrapping it with @p outer_settings (NULL: none). */
static struct hook_obs *
build(struct fixture *f, const char *outer_settings)
{
    ec2gw_err_t err = { 0 };
    ec2gw_instance_t *in;
    char yaml[256];

    conf(f, "10-inner.yaml", "file: " HOOK_PLUGIN_DIR "/hk-inner.so\ninstance: inner\n");
    if (outer_settings != NULL) {
        snprintf(yaml, sizeof(yaml),
                 "file: " HOOK_PLUGIN_DIR "/hk-outer.so\ninstance: outer\nwraps: inner\n"
                 "settings: %s\n",
                 outer_settings);
        conf(f, "20-outer.yaml", yaml);
    }
    if (ec2gw_conf_load_dir(f->dir, &f->set, &err) != 0 ||
        ec2gw_plugins_build(f->set, HOOK_PLUGIN_DIR, ec2gw_host_api(), model, &f->plugins, &err) !=
            0)
        fail_msg("build: %s", err.msg);
    f->gen.plugins = f->plugins;
    for (size_t i = 0; (in = ec2gw_plugins_instance(f->plugins, i)) != NULL; i++)
        if (strcmp(in->name, "inner") == 0)
            return in->data;
    fail_msg("no inner instance");
    return NULL;
}

/* Run @p action to its answer; returns the EC2 code ("OK" or the error). */
static const char *
run(struct fixture *f, const char *action)
{
    static char code[128];
    const ec2gw_route_t *route = ec2gw_plugins_route(f->plugins, action);
    ec2gw_req_t *r = calloc(1, sizeof(*r));
    char url[128];

    assert_non_null(route);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/compute", f->port);
    r->magic = EC2GW_REQ_MAGIC;
    r->refs = 1;
    r->pool = ec2gw_pool_new(4096);
    r->d = &f->d;
    r->gen = &f->gen;
    r->t_start = ec2gw_now();
    r->action = action;
    r->op = ec2gw_model_op(model, action);
    r->version = "2016-11-15";
    r->remote = "test";
    r->http = evhttp_request_new(NULL, NULL);
    r->params_json = json_object();
    r->identity.project_id = "p1";
    r->identity.access_key = "AKID";
    r->token = "token-of-the-caller";
    r->catalog = json_pack("[{s:s, s:[{s:s, s:s, s:s}]}]", "type", "compute", "endpoints",
                           "interface", "public", "region", "RegionOne", "url", url);
    r->route = route;
    snprintf(r->id, sizeof(r->id), "test-os-hooks");
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=test-os-hooks");
    ec2gw_dispatch_run(r, route->inst, route->act);
    for (int i = 0; i < 500 && !r->answered; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_true(r->answered);
    snprintf(code, sizeof(code), "%s", r->code ? r->code : "?");
    /* let calls a refused fan-out cancelled settle, then drop the request */
    while (r->calls != NULL)
        event_base_loop(f->base, EVLOOP_ONCE);
    json_decref(r->params_json);
    json_decref(r->catalog);
    ec2gw_pool_free(r->pool);
    free(r);
    return code;
}

static const json_t *
seen(struct fixture *f, size_t i)
{
    return json_array_get(f->seen, i);
}

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void
request_and_answer_hooks(void **state)
{
    struct fixture *f = *state;
    struct hook_obs *obs = build(f, "{}");

    assert_string_equal(run(f, "DescribeKeyPairs"), "OK");
    assert_int_equal(json_array_size(f->seen), 2);
    assert_string_equal(str(seen(f, 0), "uri"), "/compute/os-keypairs"); /* the wrapper's own */
    assert_null(str(seen(f, 0), "x_site"));
    assert_string_equal(str(seen(f, 1), "uri"), "/compute/os-keypairs?site=cern");
    assert_string_equal(str(seen(f, 1), "x_site"), "cern");
    assert_string_equal(obs->key_names, "k1 added-by-hook");
}

static void
fanout_body_and_status(void **state)
{
    struct fixture *f = *state;
    struct hook_obs *obs = build(f, "{}");
    const json_t *boot = NULL;
    size_t i;
    json_t *s;

    assert_string_equal(run(f, "DescribeRegions"), "OK");
    json_array_foreach(f->seen, i, s) if (strcmp(str(s, "method"), "POST") == 0) boot = s;
    assert_non_null(boot);
    assert_string_equal(
        str(json_object_get(json_object_get(json_object_get(boot, "body"), "server"), "metadata"),
            "site"),
        "cern");
    assert_int_equal(obs->status[0], 202);
    assert_int_equal(obs->status[1], 200); /* Nova said 500: the answer hook replaced it */
    assert_int_equal(obs->flavors, 1);
}

static void
refusal(void **state)
{
    struct fixture *f = *state;

    build(f, "{refuse: true}");
    assert_string_equal(run(f, "DescribeRegions"), "InvalidParameterValue");
    assert_int_equal(json_array_size(f->seen), 0);
}

static void
token_header_refused(void **state)
{
    struct fixture *f = *state;

    build(f, "{steal_token: true}");
    assert_string_equal(run(f, "DescribeKeyPairs"), "InternalError");
    assert_int_equal(json_array_size(f->seen), 1); /* the wrapper's own call only */
}

static void
transfer(void **state)
{
    struct fixture *f = *state;
    struct hook_obs *obs = build(f, "{}");

    assert_string_equal(run(f, "DescribeImages"), "OK");
    assert_int_equal(json_array_size(f->seen), 2);
    assert_string_equal(str(seen(f, 0), "uri"), "/compute/blob");
    assert_string_equal(str(seen(f, 0), "x_site"), "cern");
    assert_string_equal(str(seen(f, 1), "method"), "PUT");
    assert_string_equal(str(seen(f, 1), "uri"), "/compute/blob-copy?site=cern");
    assert_string_equal(str(seen(f, 1), "x_site"), "cern");
    assert_int_equal(json_integer_value(json_object_get(seen(f, 1), "length")), 5);
    assert_int_equal(obs->status[0], 201); /* Nova said 204: the answer hook changed it */
}

static void
unwrapped(void **state)
{
    struct fixture *f = *state;
    struct hook_obs *obs = build(f, NULL);

    f->keypairs = "{\"keypairs\": [{\"keypair\": {\"name\": \"k1\"}}]}";
    assert_string_equal(run(f, "DescribeKeyPairs"), "OK");
    assert_int_equal(json_array_size(f->seen), 1);
    assert_null(str(seen(f, 0), "x_site"));
    assert_string_equal(obs->key_names, "k1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(request_and_answer_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(fanout_body_and_status, setup, teardown),
        cmocka_unit_test_setup_teardown(refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(token_header_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(unwrapped, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
