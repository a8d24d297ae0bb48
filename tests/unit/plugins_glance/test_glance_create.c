/*
 * test_glance_create.c - CreateImage of the glance-v2 plugin through the fake host, with Nova
 * answers recorded from the all-in-one cloud (fixtures/server_*.json): NoReboot (a live
 * snapshot), a running instance (os-stop, polling with after() on the fake clock,
 * createImage, os-start), a stopped one, and the failures after which the instance must be
 * started again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/testing.h>

#include "glance_test.h"

#define AMI_PRIVATE "ami-0000aaaa"
#define SERVER      "7c8d9e0f-4444-4b5c-9d6e-000000000004"
#define SRV         "/servers/" SERVER
#define ACT         SRV "/action"
#define NAMES       "/v2/images?limit=1&owner=" ME "&name="
#define CREATED     "{\"image_id\": \"" UUID_PRIVATE "\"}"
#define START_BUSY                                                                            \
    "{\"conflictingRequest\": {\"code\": 409, \"message\": \"Cannot 'start' instance " SERVER \
    " while it is in task_state image_uploading\"}}"

static ec2gw_test_host_t *
host_with(const char *settings)
{
    ec2gw_test_host_t *h = glance_host_new(settings);

    assert_non_null(h);
    assert_int_equal(ec2gw_test_map_id(h, AMI_PRIVATE, UUID_PRIVATE), 0);
    assert_int_equal(ec2gw_test_map_id(h, "i-0000dddd", SERVER), 0);
    return h;
}

static ec2gw_test_host_t *
host(void)
{
    return host_with(NULL);
}

static void
expect_error(ec2gw_test_host_t *h, const char *params, const char *code)
{
    json_t *m = ec2gw_test_action(h, "CreateImage", params);

    if (m != NULL || ec2gw_test_last_error(h) == NULL ||
        strcmp(ec2gw_test_last_error(h), code) != 0)
        fail_msg("CreateImage %s: got %s, want %s", params,
                 m ? "a model" : ec2gw_test_last_error(h), code);
}

static void
expect_name_free(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "image", NAMES "*", 200, "{\"images\": []}");
}

/* The calls from index @p from on, as "METHOD path[ action]" strings: returns new. */
static json_t *
calls_since(ec2gw_test_host_t *h, size_t from)
{
    const json_t *calls = ec2gw_test_calls(h);
    json_t *out = json_array();
    char line[512];

    for (size_t i = from; i < json_array_size(calls); i++) {
        const json_t *c = json_array_get(calls, i), *body = json_object_get(c, "body");
        const char *action = json_is_object(body)
                                 ? json_object_iter_key(json_object_iter((json_t *)(uintptr_t)body))
                                 : NULL;

        snprintf(line, sizeof(line), "%s %s%s%s", json_string_value(json_object_get(c, "method")),
                 json_string_value(json_object_get(c, "path")), action ? " " : "",
                 action ? action : "");
        json_array_append_new(out, json_string(line));
    }
    return out;
}

static void
assert_calls(ec2gw_test_host_t *h, size_t from, const char *expected)
{
    json_t *got = calls_since(h, from);

    assert_true(ec2gw_test_json_equal(h, got, expected));
    json_decref(got);
}

static void
assert_clean(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
}

static void
no_reboot(void **state)
{
    ec2gw_test_host_t *h = host();
    const json_t *c;
    json_t *m, *tags;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, CREATED);
    m = ec2gw_test_action(h, "CreateImage",
                          "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\", "
                          "\"Description\": \"d\", \"NoReboot\": true, \"TagSpecifications\": "
                          "[{\"ResourceType\": \"image\", \"Tags\": [{\"Key\": \"k\", "
                          "\"Value\": \"v\"}]}]}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"ImageId\": \"" AMI_PRIVATE "\"}"));
    json_decref(m);
    c = json_array_get(ec2gw_test_calls(h), 1);
    assert_string_equal(json_string_value(json_object_get(c, "microversion")), "2.45");
    assert_true(ec2gw_test_json_equal(h, json_object_get(c, "body"),
                                      "{\"createImage\": {\"name\": \"snap1\", \"metadata\": "
                                      "{\"description\": \"d\"}}}"));
    tags = ec2gw_test_get_tags(h, AMI_PRIVATE);
    assert_true(ec2gw_test_json_equal(h, tags, "[{\"Key\": \"k\", \"Value\": \"v\"}]"));
    json_decref(tags);
    assert_int_equal(ec2gw_test_clock_ms(h), 0); /* no waiting */
    /* Nova's refusals of the live snapshot */
    expect_name_free(h);
    ec2gw_test_expect(h, "POST", "compute", ACT, 409,
                      "{\"conflictingRequest\": {\"code\": 409, \"message\": \"state\"}}");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"s2\", \"NoReboot\": true}",
                 "IncorrectState");
    expect_name_free(h);
    ec2gw_test_expect(h, "POST", "compute", ACT, 404,
                      "{\"itemNotFound\": {\"code\": 404, \"message\": \"gone\"}}");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"s2\", \"NoReboot\": true}",
                 "InvalidInstanceID.NotFound");
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* A running instance: stopped, polled until SHUTOFF, imaged, started, then the answer. */
static void
reboot_running(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_stopping.json");
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, CREATED);
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    m = ec2gw_test_action(h, "CreateImage",
                          "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\", "
                          "\"TagSpecifications\": [{\"ResourceType\": \"image\", \"Tags\": "
                          "[{\"Key\": \"k\", \"Value\": \"v\"}]}]}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"ImageId\": \"" AMI_PRIVATE "\"}"));
    json_decref(m);
    assert_calls(h, 0,
                 "[\"GET " NAMES "snap1\", \"GET " SRV "\", \"POST " ACT " os-stop\", \"GET " SRV
                 "\", \"GET " SRV "\", \"POST " ACT " createImage\", \"POST " ACT " os-start\"]");
    assert_int_equal(ec2gw_test_clock_ms(h), 2000); /* two one-second polls */
    m = ec2gw_test_get_tags(h, AMI_PRIVATE);
    assert_true(ec2gw_test_json_equal(h, m, "[{\"Key\": \"k\", \"Value\": \"v\"}]"));
    json_decref(m);
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* A stopped instance is imaged as it is: nothing to stop, nothing to start. */
static void
reboot_stopped(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, CREATED);
    m = ec2gw_test_action(h, "CreateImage",
                          "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\", "
                          "\"NoReboot\": false}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"ImageId\": \"" AMI_PRIVATE "\"}"));
    json_decref(m);
    assert_calls(h, 1, "[\"GET " SRV "\", \"POST " ACT " createImage\"]");
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* os-stop refused (already stopping): the instance was not stopped here, so no os-start. */
static void
stop_refused(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 409, "server_stop_conflict.json");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "IncorrectState");
    assert_calls(h, 1, "[\"GET " SRV "\", \"POST " ACT " os-stop\"]");
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* os-stop without a usable answer: the instance may be stopping, so it is started again. */
static void
stop_fails(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 500,
                      "{\"computeFault\": {\"code\": 500, \"message\": \"boom\"}}");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "InternalError");
    assert_calls(h, 1, "[\"GET " SRV "\", \"POST " ACT " os-stop\", \"POST " ACT " os-start\"]");
    /* a timed-out os-stop, and an instance that never stopped: os-start is refused, it runs */
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect_timeout(h, "POST", "compute", ACT);
    ec2gw_test_expect(h, "POST", "compute", ACT, 409,
                      "{\"conflictingRequest\": {\"code\": 409, \"message\": \"Cannot 'start' "
                      "instance while it is in vm_state active\"}}");
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "Unavailable");
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* createImage fails on the stopped instance: started again, then Nova's error. */
static void
snapshot_fails(void **state)
{
    ec2gw_test_host_t *h = host();
    size_t n;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 403,
                      "{\"forbidden\": {\"code\": 403, \"message\": \"Quota exceeded for "
                      "resources: ['images']\"}}");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}",
                 "ResourceLimitExceeded");
    assert_calls(h, 1,
                 "[\"GET " SRV "\", \"POST " ACT " os-stop\", \"GET " SRV "\", \"POST " ACT
                 " createImage\", \"POST " ACT " os-start\"]");
    /* Nova down when asked for the image: same */
    n = json_array_size(ec2gw_test_calls(h));
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect_error(h, "POST", "compute", ACT, "Connection refused");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "Unavailable");
    assert_calls(h, n + 1,
                 "[\"GET " SRV "\", \"POST " ACT " os-stop\", \"GET " SRV "\", \"POST " ACT
                 " createImage\", \"POST " ACT " os-start\"]");
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* Nova refuses os-start while it uploads the snapshot: polled until it can start. */
static void
start_waits_for_snapshot(void **state)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, CREATED);
    ec2gw_test_expect(h, "POST", "compute", ACT, 409, START_BUSY);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_snapshotting.json");
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    m = ec2gw_test_action(h, "CreateImage", "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"s\"}");
    assert_true(ec2gw_test_json_equal(h, m, "{\"ImageId\": \"" AMI_PRIVATE "\"}"));
    json_decref(m);
    assert_calls(h, 5,
                 "[\"POST " ACT " os-start\", \"GET " SRV "\", \"GET " SRV "\", \"POST " ACT
                 " os-start\"]");
    assert_int_equal(ec2gw_test_clock_ms(h), 3000);
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* The snapshot outlasts the wait for os-start: the image exists, the error names both ids. */
static void
start_gives_up(void **state)
{
    ec2gw_test_host_t *h = host_with("{\"create_image_timeout\": \"1s\"}");

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_shutoff.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, CREATED);
    ec2gw_test_expect(h, "POST", "compute", ACT, 409, START_BUSY);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_snapshotting.json");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"s\"}", "IncorrectState");
    assert_string_equal(ec2gw_test_last_error_message(h),
                        "Image " AMI_PRIVATE " of instance i-0000dddd is being created, but the "
                        "instance could not be started again within 1 s: start it with "
                        "StartInstances");
    assert_int_equal(ec2gw_test_last_status(h), 400);
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* The instance does not stop within create_image_timeout: started again, IncorrectState. */
static void
stop_timeout(void **state)
{
    ec2gw_test_host_t *h = host_with("{\"create_image_timeout\": \"2s\"}");
    const char *msg;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_stopping.json");
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_stopping.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "IncorrectState");
    msg = ec2gw_test_last_error_message(h);
    assert_non_null(strstr(msg, "did not stop within 2 s"));
    assert_non_null(strstr(msg, "i-0000dddd was started again"));
    assert_calls(h, 1,
                 "[\"GET " SRV "\", \"POST " ACT " os-stop\", \"GET " SRV "\", \"GET " SRV
                 "\", \"POST " ACT " os-start\"]");
    /* an instance that went into ERROR while stopping cannot be started: said so */
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_error.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 409,
                      "{\"conflictingRequest\": {\"code\": 409, \"message\": \"vm_state error\"}}");
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_error.json");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "IncorrectState");
    assert_non_null(strstr(ec2gw_test_last_error_message(h), "could not be started again"));
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* after() refused near the request deadline: no more waiting, the instance is started. */
static void
deadline(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    ec2gw_test_set_deadline(h, 1500);
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_stopping.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "IncorrectState");
    assert_string_equal(ec2gw_test_last_error_message(h),
                        "The instance did not stop before the request deadline; instance "
                        "i-0000dddd was started again");
    assert_calls(h, 1,
                 "[\"GET " SRV "\", \"POST " ACT " os-stop\", \"GET " SRV "\", \"POST " ACT
                 " os-start\"]");
    assert_int_equal(ec2gw_test_clock_ms(h), 1000);
    assert_clean(h);
    ec2gw_test_host_free(h);
}

/* A request cancelled while it waits: the timer never runs, nothing more is called. */
static void
cancelled_while_waiting(void **state)
{
    ec2gw_test_host_t *h = host();
    size_t n;

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_active.json");
    ec2gw_test_expect(h, "POST", "compute", ACT, 202, NULL);
    assert_int_equal(
        ec2gw_test_begin(h, "CreateImage", "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"s\"}"),
        EC2GW_AGAIN);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ec2gw_test_run_one(h), 1); /* name check, GET, os-stop */
    n = json_array_size(ec2gw_test_calls(h));
    ec2gw_test_cancel(h);
    assert_int_equal(ec2gw_test_run(h), 0); /* the timer was dropped */
    assert_null(ec2gw_test_end(h));
    assert_string_equal(ec2gw_test_last_error(h), "RequestCanceled");
    assert_int_equal(json_array_size(ec2gw_test_calls(h)), n);
    assert_int_equal(ec2gw_test_clock_ms(h), 0);
    assert_clean(h);
    ec2gw_test_host_free(h);
}

static void
bad_state_and_input(void **state)
{
    ec2gw_test_host_t *h = host();

    (void)state;
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 200, "server_error.json");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}", "IncorrectState");
    expect_name_free(h);
    ec2gw_test_expect(h, "GET", "compute", SRV, 404,
                      "{\"itemNotFound\": {\"code\": 404, \"message\": \"gone\"}}");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"snap1\"}",
                 "InvalidInstanceID.NotFound");
    /* AMI names are unique per account */
    ec2gw_test_expect(h, "GET", "image", NAMES "dup%20name", 200, "images_shared.json");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\", \"Name\": \"dup name\"}",
                 "InvalidAMIName.Duplicate");
    expect_error(h, "{\"InstanceId\": \"i-12345678\", \"Name\": \"snap\"}",
                 "InvalidInstanceID.NotFound");
    expect_error(h, "{\"InstanceId\": \"ami-12345678\", \"Name\": \"snap\"}",
                 "InvalidInstanceID.Malformed");
    expect_error(h, "{\"InstanceId\": \"i-0000dddd\"}", "MissingParameter");
    expect_error(h, "{\"Name\": \"x\"}", "MissingParameter");
    assert_clean(h);
    ec2gw_test_host_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_reboot),
        cmocka_unit_test(reboot_running),
        cmocka_unit_test(reboot_stopped),
        cmocka_unit_test(stop_refused),
        cmocka_unit_test(stop_fails),
        cmocka_unit_test(snapshot_fails),
        cmocka_unit_test(start_waits_for_snapshot),
        cmocka_unit_test(start_gives_up),
        cmocka_unit_test(stop_timeout),
        cmocka_unit_test(deadline),
        cmocka_unit_test(cancelled_while_waiting),
        cmocka_unit_test(bad_state_and_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
