/*
 * test_nova_sync.c - DescribeInstances' server cache (instances_sync.c) through the fake host:
 * hits within the staleness bound, changes-since refreshes and their merge, the full list
 * interval, writes that make the next read refresh, staleness 0, projects kept apart. The
 * fake clock (now_ms) drives the bound; Nova calls are counted from the host's call log.
 */
/* cmocka needs these first */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
// clang-format on

#include <jansson.h>

#include <ec2gw/testing.h>

#define SRV  "9ea0812c-9693-431b-8298-b2d9cf86b5cf"
#define SRV2 "5b1f0c52-1111-4a7e-9d6e-0000000000b2"
#define SRV3 "5b1f0c52-2222-4a7e-9d6e-0000000000b3"
#define IID  "i-0000000000000001a"

/* A server as Nova lists it (status, vm_state, updated). */
#define SERVER(id, status, vm, updated)                                                      \
    "{\"id\": \"" id "\", \"status\": \"" status "\", \"OS-EXT-STS:vm_state\": \"" vm "\", " \
    "\"updated\": \"" updated "\", \"created\": \"2026-11-25T12:54:27Z\", \"flavor\": "      \
    "{\"original_name\": \"m1.small\"}, \"image\": {\"id\": \"img\"}, \"addresses\": {}}"

static ec2gw_test_host_t *
host(const char *settings)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, settings);

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_map_id(h, IID, SRV);
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* The Neutron reads of one DescribeInstances (the fake host may or may not reuse them). */
static void
expect_net(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "{\"security_groups\": [{\"id\": \"sg1\", \"name\": \"default\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200, "{\"ports\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200, "{\"floatingips\": []}");
}

/* A full list: the project's live servers and the deleted window. */
static void
expect_full(ec2gw_test_host_t *h, const char *project, const char *servers)
{
    char live[200];

    snprintf(live, sizeof(live), "/servers/detail?all_tenants=1&project_id=%s", project);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*&deleted=true", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", live, 200, servers);
    expect_net(h);
}

/* Compute calls made since the call log had @p from entries; *from moves to the end. */
static size_t
compute_calls(ec2gw_test_host_t *h, size_t *from, const char **last_path)
{
    const json_t *calls = ec2gw_test_calls(h), *c;
    size_t n = 0, i;

    for (i = *from; i < json_array_size(calls); i++) {
        c = json_array_get(calls, i);
        if (strcmp(json_string_value(json_object_get(c, "service")), "compute") == 0) {
            n++;
            if (last_path != NULL)
                *last_path = json_string_value(json_object_get(c, "path"));
        }
    }
    *from = json_array_size(calls);
    return n;
}

/* The instances of a DescribeInstances model: {InstanceId: state name}. Returns new. */
static json_t *
states(ec2gw_test_host_t *h, const char *params)
{
    json_t *m = ec2gw_test_action(h, "DescribeInstances", params), *out = json_object(), *r, *i;
    size_t k, l;

    assert_non_null(m);
    json_array_foreach(json_object_get(m, "Reservations"), k, r)
    {
        json_array_foreach(json_object_get(r, "Instances"), l, i)
            json_object_set(out, json_string_value(json_object_get(i, "InstanceId")),
                            json_object_get(json_object_get(i, "State"), "Name"));
    }
    json_decref(m);
    return out;
}

static const char *
state_of(const json_t *st, const char *iid)
{
    return json_string_value(json_object_get(st, iid));
}

static void
test_hit_within_staleness(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"2s\"}");
    size_t from = 0;
    json_t *st;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    st = states(h, "{}");
    assert_string_equal(state_of(st, IID), "running");
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    /* 1.999 s later: the list is reused, only Neutron is asked */
    ec2gw_test_clock_advance(h, 1999);
    expect_net(h);
    st = states(h, "{\"InstanceIds\": [\"" IID "\"]}");
    assert_string_equal(state_of(st, IID), "running");
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 0);
    /* filters still apply per request on the cached list */
    expect_net(h);
    st = states(h, "{\"Filters\": [{\"Name\": \"instance-state-name\", \"Values\": "
                   "[\"stopped\"]}]}");
    assert_int_equal(json_object_size(st), 0);
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 0);
    done(h);
}

/* Past the bound: one changes-since call from Nova's newest `updated` minus the overlap,
 * merged: a changed server replaced, a new one added, a deleted one terminated. */
static void
test_refresh_merges_changes(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"2s\"}");
    const char *path = NULL;
    size_t from = 0;
    json_t *st, *ids;

    (void)s;
    expect_full(
        h, "project-test",
        "{\"servers\": [" SERVER(SRV, "ACTIVE", "active", "2026-11-25T12:54:35Z") ", " SERVER(
            SRV3, "ACTIVE", "active", "2026-11-25T12:50:00Z") "]}");
    st = states(h, "{}");
    assert_int_equal(json_object_size(st), 2);
    json_decref(st);
    compute_calls(h, &from, NULL);
    ec2gw_test_clock_advance(h, 2000);
    ec2gw_test_expect(
        h, "GET", "compute",
        "/servers/detail?changes-since=2026-11-25T12%3A54%3A30Z&all_tenants=1&project_id=project-"
        "test",
        200,
        "{\"servers\": [" SERVER(SRV, "SHUTOFF", "stopped", "2026-11-25T13:00:00Z") ", " SERVER(
            SRV2, "ACTIVE", "active",
            "2026-11-25T13:00:01Z") ", " SERVER(SRV3, "DELETED", "deleted",
                                                "2026-11-25T13:00:02Z") "]}");
    expect_net(h);
    st = states(h, "{}");
    assert_int_equal(compute_calls(h, &from, &path), 1);
    assert_non_null(strstr(path, "changes-since=2026-11-25T12%3A54%3A30Z"));
    assert_string_equal(state_of(st, IID), "stopped");
    assert_int_equal(json_object_size(st), 3);
    ids = json_object();
    {
        const char *k;
        json_t *v;
        int running = 0, terminated = 0;

        json_object_foreach(st, k, v)
        {
            running += strcmp(json_string_value(v), "running") == 0;
            terminated += strcmp(json_string_value(v), "terminated") == 0;
        }
        assert_int_equal(running, 1);    /* SRV2, new */
        assert_int_equal(terminated, 1); /* SRV3, deleted */
    }
    json_decref(ids);
    json_decref(st);
    /* the next incremental starts from the newest change seen (13:00:02 - 5 s) */
    ec2gw_test_clock_advance(h, 2000);
    ec2gw_test_expect(h, "GET", "compute",
                      "/servers/detail?changes-since=2026-11-25T12%3A59%3A57Z*", 200,
                      "{\"servers\": []}");
    expect_net(h);
    st = states(h, "{}");
    assert_int_equal(json_object_size(st), 3);
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 1);
    done(h);
}

/* An incremental answer that cannot be trusted (a next page, a failure) is replaced by a full
 * list in the same request. */
static void
test_untrusted_incremental(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"1s\"}");
    size_t from = 0;
    json_t *st;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    json_decref(states(h, "{}"));
    compute_calls(h, &from, NULL);
    ec2gw_test_clock_advance(h, 1000);
    ec2gw_test_expect(h, "GET", "compute",
                      "/servers/detail?changes-since=2026-11-25T12%3A54%3A30Z*", 200,
                      "{\"servers\": [], \"servers_links\": [{\"rel\": \"next\", \"href\": "
                      "\"x\"}]}");
    expect_full(h, "project-test", "{\"servers\": []}");
    st = states(h, "{}");
    assert_int_equal(json_object_size(st), 0); /* the full list says it is gone */
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 3);
    /* no server seen: no marker, so the next refresh is a full list again */
    ec2gw_test_clock_advance(h, 1000);
    expect_full(h, "project-test", "servers_one.json");
    st = states(h, "{}");
    assert_string_equal(state_of(st, IID), "running");
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    /* a failed incremental: the full list answers */
    ec2gw_test_clock_advance(h, 1000);
    ec2gw_test_expect(h, "GET", "compute",
                      "/servers/detail?changes-since=2026-11-25T12%3A54%3A30Z*", 503, "{}");
    expect_full(h, "project-test", "servers_one.json");
    st = states(h, "{}");
    assert_string_equal(state_of(st, IID), "running");
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 3);
    /* the full list fails too: the request gets Nova's error */
    ec2gw_test_clock_advance(h, 1000);
    ec2gw_test_expect(h, "GET", "compute",
                      "/servers/detail?changes-since=2026-11-25T12%3A54%3A30Z*", 503, "{}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*&deleted=true", 503,
                      "{}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=project-test",
                      503, "{}");
    expect_net(h);
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{}"));
    assert_non_null(ec2gw_test_last_error(h));
    done(h);
}

static void
test_full_sync_interval(void **s)
{
    ec2gw_test_host_t *h =
        host("{\"describe_staleness\": \"2s\", \"full_sync_interval\": \"10s\"}");
    size_t from = 0;
    int i;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    json_decref(states(h, "{}"));
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    /* 4 refreshes 2.5 s apart: incremental (2.5, 5, 7.5 s), then the full list at 10 s */
    for (i = 0; i < 3; i++) {
        ec2gw_test_clock_advance(h, 2500);
        ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                          "{\"servers\": []}");
        expect_net(h);
        json_decref(states(h, "{}"));
        assert_int_equal(compute_calls(h, &from, NULL), 1);
    }
    ec2gw_test_clock_advance(h, 2500);
    expect_full(h, "project-test", "servers_one.json");
    json_decref(states(h, "{}"));
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    assert_int_equal(ec2gw_test_unmet_expectations(h) % 2, 0); /* only Neutron left, if any */
    done(h);
}

/* A write through the plugin: the next read refreshes at once, within the bound. */
static void
test_dirty_after_write(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    const char *path = NULL;
    size_t from = 0;
    json_t *st, *m;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    json_decref(states(h, "{}"));
    compute_calls(h, &from, NULL);
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": " SERVER(SRV, "ACTIVE", "active", "2026-11-25T12:54:35Z") "}");
    ec2gw_test_expect(h, "POST", "compute", "/servers/" SRV "/action", 202, NULL);
    m = ec2gw_test_action(h, "StopInstances", "{\"InstanceIds\": [\"" IID "\"]}");
    assert_non_null(m);
    json_decref(m);
    compute_calls(h, &from, NULL);
    ec2gw_test_clock_advance(h, 1);
    ec2gw_test_expect(
        h, "GET", "compute", "/servers/detail?changes-since=*", 200,
        "{\"servers\": [" SERVER(SRV, "ACTIVE", "active", "2026-11-25T13:10:00Z") "]}");
    expect_net(h);
    st = states(h, "{}");
    assert_int_equal(compute_calls(h, &from, &path), 1);
    assert_null(strstr(path, "deleted=true")); /* an incremental one */
    json_decref(st);
    /* once refreshed, the bound holds again */
    ec2gw_test_clock_advance(h, 1);
    expect_net(h);
    json_decref(states(h, "{}"));
    assert_int_equal(compute_calls(h, &from, NULL), 0);
    done(h);
}

/* Staleness 0: every DescribeInstances lists the servers, exactly as without a cache. */
static void
test_staleness_zero(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"0\"}");
    size_t from = 0;

    (void)s;
    for (int i = 0; i < 3; i++) {
        expect_full(h, "project-test", "servers_one.json");
        json_decref(states(h, "{}"));
        assert_int_equal(compute_calls(h, &from, NULL), 2);
    }
    /* only the floatingips reads are left: the uncached path keeps Nova's addresses */
    assert_int_equal(ec2gw_test_unmet_expectations(h), 3);
    done(h);
}

/* Two projects at the same instant: each its own list, never the other's. */
static void
test_projects_apart(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    size_t from = 0;
    json_t *st;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    st = states(h, "{}");
    assert_int_equal(json_object_size(st), 1);
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    ec2gw_test_set_project(h, "project-b");
    expect_full(h, "project-b",
                "{\"servers\": [" SERVER(SRV2, "ACTIVE", "active", "2026-11-25T13:00:01Z") "]}");
    st = states(h, "{}");
    assert_int_equal(json_object_size(st), 1);
    assert_null(json_object_get(st, IID));
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    /* project-b cannot name project-test's instance */
    assert_null(ec2gw_test_action(h, "DescribeInstances", "{\"InstanceIds\": [\"" IID "\"]}"));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidInstanceID.NotFound");
    ec2gw_test_set_project(h, "project-test");
    expect_net(h);
    st = states(h, "{}");
    assert_int_equal(json_object_size(st), 1);
    assert_string_equal(state_of(st, IID), "running");
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 0);
    done(h);
}

/* The cached answer is the uncached one, member for member. */
static void
test_same_answer(void **s)
{
    ec2gw_test_host_t *a = host("{\"describe_staleness\": \"0\"}");
    ec2gw_test_host_t *b = host("{\"describe_staleness\": \"5s\"}");
    json_t *ma, *mb;

    (void)s;
    expect_full(a, "project-test", "servers_one.json");
    expect_full(b, "project-test", "servers_one.json");
    ma = ec2gw_test_action(a, "DescribeInstances", "{}");
    mb = ec2gw_test_action(b, "DescribeInstances", "{}");
    assert_non_null(ma);
    assert_non_null(mb);
    assert_true(json_equal(ma, mb));
    json_decref(mb);
    expect_net(b); /* and from the cache */
    mb = ec2gw_test_action(b, "DescribeInstances", "{}");
    assert_non_null(mb);
    assert_true(json_equal(ma, mb));
    json_decref(ma);
    json_decref(mb);
    done(a);
    done(b);
}

/* An id the cache does not know: one forced refresh (a full list) before calling it unknown. */
static void
test_unknown_id_refreshes(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    size_t from = 0;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    json_decref(states(h, "{}"));
    compute_calls(h, &from, NULL);
    ec2gw_test_map_id(h, "i-0000000000000002b", SRV2);
    ec2gw_test_clock_advance(h, 1);
    /* a full list (a server still being scheduled is not in changes-since yet) */
    expect_full(h, "project-test",
                "{\"servers\": [" SERVER(SRV2, "BUILD", "building", "2026-11-25T13:00:01Z") "]}");
    json_t *st = states(h, "{\"InstanceIds\": [\"i-0000000000000002b\"]}");
    assert_string_equal(state_of(st, "i-0000000000000002b"), "pending");
    json_decref(st);
    assert_int_equal(compute_calls(h, &from, NULL), 2);
    done(h);
}

/* Nova's `addresses` lag behind Neutron without a new `updated`: the cached path shows
 * Neutron's floating IP of the instance's port (AssociateAddress seen at once). */
static void
test_floating_from_neutron(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    json_t *m, *inst;

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*&deleted=true", 200,
                      "{\"servers\": []}");
    ec2gw_test_expect(
        h, "GET", "compute", "/servers/detail?all_tenants=1&project_id=project-test", 200,
        "{\"servers\": [{\"id\": \"" SRV "\", \"status\": \"ACTIVE\", \"OS-EXT-STS:vm_state\": "
        "\"active\", \"updated\": \"2026-11-25T12:54:35Z\", \"addresses\": {\"private\": "
        "[{\"version\": 4, \"addr\": \"10.0.0.5\", \"OS-EXT-IPS:type\": \"fixed\", "
        "\"OS-EXT-IPS-MAC:mac_addr\": \"fa:16:3e:00:00:01\"}]}}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200,
                      "{\"ports\": [{\"id\": \"port1\", \"device_id\": \"" SRV "\", "
                      "\"mac_address\": \"fa:16:3e:00:00:01\", \"fixed_ips\": [{\"subnet_id\": "
                      "\"sub1\", \"ip_address\": \"10.0.0.5\"}]}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200,
                      "{\"floatingips\": [{\"port_id\": \"port1\", \"floating_ip_address\": "
                      "\"203.0.113.7\"}]}");
    m = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(m);
    inst = json_array_get(
        json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances"), 0);
    assert_string_equal(json_string_value(json_object_get(inst, "PublicIpAddress")), "203.0.113.7");
    assert_string_equal(json_string_value(json_object_get(inst, "PrivateIpAddress")), "10.0.0.5");
    json_decref(m);
    /* disassociated in Neutron: the cached server (unchanged in Nova) shows none */
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups*", 200,
                      "{\"security_groups\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*", 200,
                      "{\"ports\": [{\"id\": \"port1\", \"device_id\": \"" SRV "\", "
                      "\"mac_address\": \"fa:16:3e:00:00:01\", \"fixed_ips\": []}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?*", 200, "{\"floatingips\": []}");
    m = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(m);
    inst = json_array_get(
        json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances"), 0);
    assert_null(json_object_get(inst, "PublicIpAddress"));
    json_decref(m);
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    done(h);
}

/* The first instance of a DescribeInstances model (borrowed from @p m). */
static const json_t *
first_instance(const json_t *m)
{
    return json_array_get(
        json_object_get(json_array_get(json_object_get(m, "Reservations"), 0), "Instances"), 0);
}

/* The Instance models kept with the cache (instances_memo.c) serve a second read unchanged,
 * and never hide what changed besides the server: tags, and item data changed behind the
 * cached server's back (ModifyInstanceMetadataOptions changes no Nova server). */
static void
test_models_follow_inputs(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    const json_t *tags, *md;
    json_t *a, *b, *m;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    a = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(a);
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(b);
    assert_true(json_equal(a, b));
    json_decref(b);
    /* tags: read per request */
    assert_int_equal(ec2gw_test_set_tags(h, IID, "[{\"Key\": \"k\", \"Value\": \"v\"}]"), 0);
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(b);
    tags = json_object_get(first_instance(b), "Tags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 0), "Value")), "v");
    json_decref(b);
    /* item data: the server object stays the cache's, its model must not */
    md = json_object_get(first_instance(a), "MetadataOptions");
    assert_string_equal(json_string_value(json_object_get(md, "HttpTokens")), "optional");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" SRV, 200,
                      "{\"server\": " SERVER(SRV, "ACTIVE", "active", "2026-11-25T12:54:27Z") "}");
    m = ec2gw_test_action(h, "ModifyInstanceMetadataOptions",
                          "{\"InstanceId\": \"" IID "\", \"HttpTokens\": \"required\"}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_clock_advance(h, 1);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?changes-since=*", 200,
                      "{\"servers\": []}");
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(b);
    md = json_object_get(first_instance(b), "MetadataOptions");
    assert_string_equal(json_string_value(json_object_get(md, "HttpTokens")), "required");
    json_decref(b);
    json_decref(a);
    done(h);
}

/* The XML of the last answer after its requestId (the fake host's differs per request). */
static char *
answer_xml(ec2gw_test_host_t *h)
{
    const char *x = ec2gw_test_last_xml(h, NULL), *p;

    assert_non_null(x);
    p = strstr(x, "</requestId>");
    assert_non_null(p);
    return strdup(p);
}

/* Each instance's XML is rendered once (render_item) and reused while nothing it was made
 * from changed: the same bytes, with and without Filters; tags rendered again when changed.
 * (The fake host checks every answer's items against their models' rendering too.) */
static void
test_items_rendered_once(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    char *x1, *x2;
    json_t *a, *b;
    size_t n;

    (void)s;
    expect_full(h, "project-test", "servers_one.json");
    a = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(a);
    n = ec2gw_test_rendered_items(h);
    assert_int_equal(n, 1);
    x1 = answer_xml(h);
    assert_non_null(strstr(x1, "<instanceId>" IID "</instanceId>"));
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(b);
    assert_int_equal(ec2gw_test_rendered_items(h), 1); /* the kept bytes */
    x2 = answer_xml(h);
    assert_string_equal(x1, x2);
    assert_true(json_equal(a, b));
    json_decref(b);
    free(x2);
    /* Filters read models: the item is still the kept one */
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances",
                          "{\"Filters\": [{\"Name\": \"instance-id\", \"Values\": [\"" IID
                          "\"]}]}");
    assert_non_null(b);
    assert_int_equal(ec2gw_test_rendered_items(h), 1);
    x2 = answer_xml(h);
    assert_string_equal(x1, x2);
    json_decref(b);
    free(x2);
    /* a tag changes the item: rendered again, once */
    assert_int_equal(ec2gw_test_set_tags(h, IID, "[{\"Key\": \"k\", \"Value\": \"v\"}]"), 0);
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances", "{}");
    assert_non_null(b);
    assert_int_equal(ec2gw_test_rendered_items(h), 2);
    x2 = answer_xml(h);
    assert_non_null(strstr(x2, "<tagSet><item><key>k</key><value>v</value></item></tagSet>"));
    json_decref(b);
    free(x2);
    expect_net(h);
    b = ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": 5}");
    assert_non_null(b);
    assert_int_equal(ec2gw_test_rendered_items(h), 2);
    assert_non_null(strstr(ec2gw_test_last_xml(h, NULL), "<value>v</value>"));
    json_decref(b);
    free(x1);
    json_decref(a);
    done(h);
}

/* A wrapper waiting for the model sees every instance as JSON, also when an earlier request
 * (passed through) left the instance's XML kept: it does not stand in for the instance then. */
static void
test_wrapper_sees_json(void **s)
{
    ec2gw_test_host_t *h = host("{\"describe_staleness\": \"60s\"}");
    json_t *a;

    (void)s;
    assert_int_equal(ec2gw_test_host_wrap(h, JSON_WRAPPER_SO, NULL), 0);
    expect_full(h, "project-test", "servers_one.json");
    a = ec2gw_test_action(h, "DescribeInstances", "{}"); /* passed through: XML kept */
    assert_non_null(a);
    json_decref(a);
    assert_int_equal(ec2gw_test_rendered_items(h), 1);
    expect_net(h);
    a = ec2gw_test_action(h, "DescribeInstances", "{\"MaxResults\": 5}"); /* read as JSON */
    assert_non_null(a);
    assert_non_null(strstr(ec2gw_test_last_xml(h, NULL), "<instanceId>" IID "</instanceId>"));
    json_decref(a);
    assert_int_equal(ec2gw_test_rendered_items(h), 1);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_within_staleness),  cmocka_unit_test(test_refresh_merges_changes),
        cmocka_unit_test(test_untrusted_incremental), cmocka_unit_test(test_full_sync_interval),
        cmocka_unit_test(test_dirty_after_write),     cmocka_unit_test(test_staleness_zero),
        cmocka_unit_test(test_projects_apart),        cmocka_unit_test(test_same_answer),
        cmocka_unit_test(test_unknown_id_refreshes),  cmocka_unit_test(test_floating_from_neutron),
        cmocka_unit_test(test_models_follow_inputs),  cmocka_unit_test(test_items_rendered_once),
        cmocka_unit_test(test_wrapper_sees_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
