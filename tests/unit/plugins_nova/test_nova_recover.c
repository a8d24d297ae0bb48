/*
 * test_nova_recover.c - RunInstances with a ClientToken after ec2gwd was killed mid-launch
 * (issue 11): the daemon runs the retry again once the first attempt's claim is orphaned; the
 * reservation id comes from the project and the token, so the retry finds the servers the
 * first attempt made (<rid>-<index>, as Nova lists them: recorded servers renamed) and adopts
 * them, booting only the missing launch indexes. Nothing is booted twice.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <openssl/evp.h>

#include <ec2gw/testing.h>

#define IMG "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_set_project(h, "project-test");
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net1\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
    return h;
}

static void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

/* The reservation id of @p token, derived as the plugin documents (run_recover.c). */
static void
token_rid(const char *token, char out[20])
{
    char text[256];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    char hex[19];

    snprintf(text, sizeof(text), "project-test\nRunInstances\n%s", token);
    assert_int_equal(EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL), 1);
    for (int i = 0; i < 9; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, 20, "r-%.17s", hex); /* r- and 17 hex digits */
}

/* Nova's list of servers named @p names with ids @p ids and created @p created: the recorded
 * server of servers_one.json, renamed. Returns the JSON text (free). */
static char *
nova_list(ec2gw_test_host_t *h, size_t n, const char *const *names, const char *const *ids,
          const char *created)
{
    json_t *rec = ec2gw_test_json_load(h, "servers_one.json"), *list = json_array(), *out;
    char *text;

    assert_non_null(rec);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_deep_copy(json_array_get(json_object_get(rec, "servers"), 0));

        json_object_set_new(s, "name", json_string(names[i]));
        json_object_set_new(s, "id", json_string(ids[i]));
        json_object_set_new(s, "metadata", json_object());
        if (created != NULL)
            json_object_set_new(s, "created", json_string(created));
        json_array_append_new(list, s);
    }
    out = json_pack("{s:o}", "servers", list);
    text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    json_decref(rec);
    return text;
}

static size_t
count_calls(ec2gw_test_host_t *h, const char *method, const char *path_prefix)
{
    const json_t *c;
    size_t i, n = 0;

    json_array_foreach(ec2gw_test_calls(h), i, c)
    {
        n += strcmp(json_string_value(json_object_get(c, "method")), method) == 0 &&
             strncmp(json_string_value(json_object_get(c, "path")), path_prefix,
                     strlen(path_prefix)) == 0;
    }
    return n;
}

/* The server names of the POST /servers sent, in order, joined with ",". */
static void
posted_names(ec2gw_test_host_t *h, char *out, size_t size)
{
    const json_t *c;
    size_t i;

    out[0] = '\0';
    json_array_foreach(ec2gw_test_calls(h), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "method")), "POST") != 0)
            continue;
        snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "," : "",
                 json_string_value(json_object_get(
                     json_object_get(json_object_get(c, "body"), "server"), "name")));
    }
}

#define RUN2(tok)                                                                               \
    "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 2, \"ClientToken\": \"" tok \
    "\", \"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": "        \
    "\"team\", \"Value\": \"a\"}]}]}"

/* The first attempt made both servers before the kill: the retry boots nothing, answers them
 * with the same reservation id, and maps and tags them. */
static void
test_retry_adopts_all(void **s)
{
    ec2gw_test_host_t *h = host();
    char rid[20], n0[40], n1[40], *list;
    const char *names[] = { n0, n1 }, *ids[] = { "srv-a0", "srv-a1" };
    const json_t *inst;
    json_t *m, *tags;
    size_t i;

    (void)s;
    token_rid("tok-a", rid);
    snprintf(n0, sizeof(n0), "%s-0", rid);
    snprintf(n1, sizeof(n1), "%s-1", rid);
    list = nova_list(h, 2, names, ids, NULL);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    m = ec2gw_test_action(h, "RunInstances", RUN2("tok-a"));
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "ReservationId")), rid);
    assert_int_equal(json_array_size(json_object_get(m, "Instances")), 2);
    assert_int_equal(count_calls(h, "POST", "/servers"), 0);
    json_array_foreach(json_object_get(m, "Instances"), i, inst)
    {
        const char *id = json_string_value(json_object_get(inst, "InstanceId"));

        /* described as Nova has it (ACTIVE), launch index from the name */
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(inst, "State"), "Name")), "running");
        assert_int_equal(json_integer_value(json_object_get(inst, "AmiLaunchIndex")),
                         (json_int_t)i);
        tags = ec2gw_test_get_tags(h, id);
        assert_int_equal(json_array_size(tags), 1);
        json_decref(tags);
    }
    /* the lookup asked Nova for exactly this reservation's names */
    assert_non_null(strstr(
        json_string_value(json_object_get(json_array_get(ec2gw_test_calls(h), 3), "path")), rid));
    json_decref(m);
    free(list);
    done(h);
}

/* Killed after one POST landed: only the missing launch index is booted, under its name. */
static void
test_retry_boots_missing(void **s)
{
    ec2gw_test_host_t *h = host();
    char rid[20], n1[40], want[64], got[128], *list;
    const char *names[] = { n1 }, *ids[] = { "srv-b1" };
    json_t *m;

    (void)s;
    token_rid("tok-b", rid);
    snprintf(n1, sizeof(n1), "%s-1", rid);
    list = nova_list(h, 1, names, ids, NULL);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"new-b0\"}}");
    m = ec2gw_test_action(h, "RunInstances", RUN2("tok-b"));
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "ReservationId")), rid);
    assert_int_equal(json_array_size(json_object_get(m, "Instances")), 2);
    posted_names(h, got, sizeof(got));
    snprintf(want, sizeof(want), "%s-0", rid);
    assert_string_equal(got, want);
    json_decref(m);
    free(list);
    done(h);
}

/* The first attempt (or one killed before its POSTs): nothing found, every index booted under
 * the token's names. The same token gives the same names; another token others. */
static void
test_first_attempt_boots_all(void **s)
{
    ec2gw_test_host_t *h = host();
    char rid[20], other[20], want[96], got[128];
    json_t *m;

    (void)s;
    token_rid("tok-c", rid);
    token_rid("tok-d", other);
    assert_string_not_equal(rid, other);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, "{\"servers\": []}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"new-c0\"}}");
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"new-c1\"}}");
    m = ec2gw_test_action(h, "RunInstances", RUN2("tok-c"));
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "ReservationId")), rid);
    posted_names(h, got, sizeof(got));
    snprintf(want, sizeof(want), "%s-0,%s-1", rid, rid);
    assert_string_equal(got, want);
    json_decref(m);
    done(h);
}

/* A server of an earlier use of the same token (its record expired after 24 h) has the same
 * name but is older than this token's run: not adopted, not deleted; the index is booted. */
static void
test_old_namesake_not_adopted(void **s)
{
    ec2gw_test_host_t *h = host();
    char rid[20], n0[40], *list;
    const char *names[] = { n0 }, *ids[] = { "srv-old" };
    json_t *m;

    (void)s;
    token_rid("tok-e", rid);
    snprintf(n0, sizeof(n0), "%s-0", rid);
    /* the fake clock starts at 2026-01-01T00:00:00Z */
    list = nova_list(h, 1, names, ids, "2025-12-30T10:00:00Z");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"new-e0\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, "
                          "\"ClientToken\": \"tok-e\"}");
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Instances")), 1);
    assert_int_equal(count_calls(h, "POST", "/servers"), 1);
    assert_int_equal(count_calls(h, "DELETE", "/"), 0);
    json_decref(m);
    free(list);
    done(h);
}

/* Without a ClientToken there is nothing to recover: no lookup, a random reservation id. */
static void
test_no_token_no_lookup(void **s)
{
    ec2gw_test_host_t *h = host();
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"new-f0\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1}");
    assert_non_null(m);
    assert_int_equal(count_calls(h, "GET", "/servers"), 0);
    json_decref(m);
    done(h);
}

/* Nova cannot say what the first attempt made: booting could make it twice, so the retry
 * fails (and the daemon releases the token) without a POST. */
static void
test_lookup_failure_boots_nothing(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 503, "busy");
    assert_null(ec2gw_test_action(h, "RunInstances",
                                  "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, "
                                  "\"MaxCount\": 1, \"ClientToken\": \"tok-g\"}"));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    assert_int_equal(count_calls(h, "POST", "/"), 0);
    done(h);
}

/* In a VPC subnet that maps public IPs: the adopted server's floating IP, made by the first
 * attempt before the kill (found by its description, on the server's port), is kept, not
 * made a second time. */
static void
test_adopted_keeps_public_ip(void **s)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, "{}");
    char rid[20], n0[40], *list;
    const char *names[] = { n0 }, *ids[] = { "srv-v0" };
    json_t *m;

    (void)s;
    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_set_project(h, "project-test");
    ec2gw_test_map_id(h, "ami-00000001", IMG);
    assert_int_equal(
        ec2gw_test_put_item(h, "vpc-0000000b", "router-1", "{\"cidr_block\": \"10.1.0.0/16\"}"), 0);
    assert_int_equal(ec2gw_test_put_item(h, "subnet-0000000f", "os-sub-1b",
                                         "{\"vpc_id\": \"vpc-0000000b\", "
                                         "\"map_public_ip_on_launch\": true}"),
                     0);
    assert_int_equal(ec2gw_test_put_item(h, "sg-0000000c", "os-sg-default",
                                         "{\"vpc_id\": \"vpc-0000000b\", \"group_name\": "
                                         "\"default\"}"),
                     0);
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200, "{\"networks\": []}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/subnets?*", 200,
                      "{\"subnets\": [{\"id\": \"os-sub-1b\", \"network_id\": \"net-1b\", "
                      "\"cidr\": \"10.1.1.0/24\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/security-groups?*", 200,
                      "{\"security_groups\": [{\"id\": \"os-sg-default\", \"name\": "
                      "\"default-vpc-0000000b\"}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/routers/router-1", 200,
                      "{\"router\": {\"id\": \"router-1\", \"external_gateway_info\": "
                      "{\"network_id\": \"ext-net\"}}}");
    token_rid("tok-v", rid);
    snprintf(n0, sizeof(n0), "%s-0", rid);
    list = nova_list(h, 1, names, ids, NULL);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?*&device_id=srv-v0", 200,
                      "{\"ports\": [{\"id\": \"port-v0\", \"device_id\": \"srv-v0\", "
                      "\"fixed_ips\": [{\"subnet_id\": \"os-sub-1b\", \"ip_address\": "
                      "\"10.1.1.5\"}]}]}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/floatingips?description=ec2gw-public-ip*", 200,
                      "{\"floatingips\": [{\"port_id\": \"port-v0\", "
                      "\"floating_ip_address\": \"172.24.4.77\"}]}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, "
                          "\"SubnetId\": \"subnet-0000000f\", \"ClientToken\": \"tok-v\"}");
    if (m == NULL)
        fail_msg("%s: %s", ec2gw_test_last_error(h), ec2gw_test_last_error_message(h));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(m, "Instances"), 0), "PublicIpAddress")),
                        "172.24.4.77");
    assert_int_equal(count_calls(h, "POST", "/"), 0);
    json_decref(m);
    free(list);
    done(h);
}

/* A lost POST answer whose server Nova shows only later (after the three lookups): the launch
 * failed, the daemon released the token, and the client's retry with it finds the late server
 * by the token's name and adopts it instead of booting a second one. */
static void
test_late_server_adopted_by_retry(void **s)
{
    ec2gw_test_host_t *h = host();
    char rid[20], n0[40], *list;
    const char *names[] = { n0 }, *ids[] = { "srv-late" };
    const char *run = "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, "
                      "\"ClientToken\": \"tok-late\"}";
    json_t *m;

    (void)s;
    token_rid("tok-late", rid);
    snprintf(n0, sizeof(n0), "%s-0", rid);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, "{\"servers\": []}");
    ec2gw_test_expect_timeout(h, "POST", "compute", "/servers");
    for (int i = 0; i < 3; i++)
        ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, "{\"servers\": []}");
    assert_null(ec2gw_test_action(h, "RunInstances", run));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    /* the retry, once Nova lists the server */
    ec2gw_test_expect(h, "GET", "compute", "/flavors/detail*", 200, "flavors.json");
    ec2gw_test_expect(h, "GET", "image", "/v2/images/" IMG, 200, "{\"status\": \"active\"}");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/networks*", 200,
                      "{\"networks\": [{\"id\": \"net1\", \"name\": \"private\", "
                      "\"project_id\": \"project-test\"}]}");
    list = nova_list(h, 1, names, ids, NULL);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    m = ec2gw_test_action(h, "RunInstances", run);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "ReservationId")), rid);
    assert_int_equal(count_calls(h, "POST", "/servers"), 1); /* the first attempt's only */
    json_decref(m);
    free(list);
    done(h);
}

/* A failed attempt deleted its servers (MinCount rollback, lost answer): one still being
 * deleted when the retry looks is not adopted; the retry boots that index again. */
static void
test_deleting_not_adopted(void **s)
{
    ec2gw_test_host_t *h = host();
    char rid[20], n0[40], *list;
    const char *names[] = { n0 }, *ids[] = { "srv-going" };
    json_t *m, *l;

    (void)s;
    token_rid("tok-del", rid);
    snprintf(n0, sizeof(n0), "%s-0", rid);
    list = nova_list(h, 1, names, ids, NULL);
    l = json_loads(list, 0, NULL);
    json_object_set_new(json_array_get(json_object_get(l, "servers"), 0), "OS-EXT-STS:task_state",
                        json_string("deleting"));
    free(list);
    list = json_dumps(l, JSON_COMPACT);
    json_decref(l);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"new-d0\"}}");
    m = ec2gw_test_action(h, "RunInstances",
                          "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1, "
                          "\"ClientToken\": \"tok-del\"}");
    assert_non_null(m);
    assert_int_equal(count_calls(h, "POST", "/servers"), 1);
    json_decref(m);
    free(list);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_adopts_all),
        cmocka_unit_test(test_retry_boots_missing),
        cmocka_unit_test(test_first_attempt_boots_all),
        cmocka_unit_test(test_old_namesake_not_adopted),
        cmocka_unit_test(test_no_token_no_lookup),
        cmocka_unit_test(test_lookup_failure_boots_nothing),
        cmocka_unit_test(test_adopted_keeps_public_ip),
        cmocka_unit_test(test_late_server_adopted_by_retry),
        cmocka_unit_test(test_deleting_not_adopted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
