/*
 * test_nova_lost.c - RunInstances through the fake host when a POST /servers answer is lost
 * (transport error, timeout, 5xx): the server Nova may have created is looked up by its
 * unique name and deleted, so a failed launch leaves nothing and a retry boots only one.
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

#include <ec2gw/testing.h>

#define IMG  "ebbb8a67-83b5-43ab-8829-97f492d2d1f5"
#define RUN1 "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, \"MaxCount\": 1}"

static ec2gw_test_host_t *
host(void)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(NOVA_SO, "{}");

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
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

/* Deliver answers until @p n POST /servers were sent; the server name of the last one. */
static char *
run_until_posts(ec2gw_test_host_t *h, size_t n)
{
    for (;;) {
        const json_t *c;
        const char *name = NULL;
        size_t i, posts = 0;

        json_array_foreach(ec2gw_test_calls(h), i, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "method")), "POST") == 0) {
                posts++;
                name = json_string_value(
                    json_object_get(json_object_get(json_object_get(c, "body"), "server"), "name"));
            }
        }
        if (posts >= n) {
            assert_non_null(name);
            return strdup(name);
        }
        assert_int_equal(ec2gw_test_run_one(h), 1);
    }
}

/* How many calls were made with @p method to a path starting with @p path_prefix. */
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

/* A reset after Nova created the server: found by its exact name and deleted. */
static void
test_lost_answer_found_and_deleted(void **s)
{
    ec2gw_test_host_t *h = host();
    char *name, list[512];

    (void)s;
    ec2gw_test_expect_error(h, "POST", "compute", "/servers", "Connection reset by peer");
    assert_int_equal(ec2gw_test_begin(h, "RunInstances", RUN1), 1);
    name = run_until_posts(h, 1);
    /* the name filter is a regex: a longer name that also matches is not ours */
    snprintf(list, sizeof(list),
             "{\"servers\": [{\"id\": \"lost1\", \"name\": \"%s\"}, {\"id\": \"other\", "
             "\"name\": \"%s0\"}]}",
             name, name);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/lost1", 204, NULL);
    ec2gw_test_run(h);
    assert_null(ec2gw_test_end(h));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    assert_int_equal(count_calls(h, "DELETE", "/servers/"), 1);
    /* the lookup asked for exactly that name */
    assert_non_null(strstr(
        json_string_value(json_object_get(json_array_get(ec2gw_test_calls(h), 4), "path")), name));
    free(name);
    done(h);
}

/* A timeout where Nova created nothing: looked up three times on timers, nothing deleted. */
static void
test_lost_answer_nothing_found(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_expect_timeout(h, "POST", "compute", "/servers");
    for (int i = 0; i < 3; i++)
        ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, "{\"servers\": []}");
    assert_null(ec2gw_test_action(h, "RunInstances", RUN1));
    assert_string_equal(ec2gw_test_last_error(h), "Unavailable");
    assert_int_equal(count_calls(h, "DELETE", "/"), 0);
    assert_int_equal(ec2gw_test_clock_ms(h), 3000);
    done(h);
}

/* Found on the second lookup (Nova still storing it), then deleted. */
static void
test_lost_answer_found_late(void **s)
{
    ec2gw_test_host_t *h = host();
    char *name, list[512];

    (void)s;
    ec2gw_test_expect(h, "POST", "compute", "/servers", 503, "<html>busy</html>");
    assert_int_equal(ec2gw_test_begin(h, "RunInstances", RUN1), 1);
    name = run_until_posts(h, 1);
    snprintf(list, sizeof(list), "{\"servers\": [{\"id\": \"lost2\", \"name\": \"%s\"}]}", name);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, "{\"servers\": []}");
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/lost2", 204, NULL);
    ec2gw_test_run(h);
    assert_null(ec2gw_test_end(h));
    assert_string_equal(ec2gw_test_last_error(h), "InternalError");
    assert_int_equal(ec2gw_test_clock_ms(h), 1000);
    free(name);
    done(h);
}

/* MinCount met: the lost launch's server is deleted, the others are answered. */
static void
test_lost_answer_min_count_met(void **s)
{
    ec2gw_test_host_t *h = host();
    char *name, list[512];
    json_t *m;

    (void)s;
    ec2gw_test_expect(h, "POST", "compute", "/servers", 202, "{\"server\": {\"id\": \"s1\"}}");
    ec2gw_test_expect_error(h, "POST", "compute", "/servers", "Connection reset by peer");
    assert_int_equal(ec2gw_test_begin(h, "RunInstances",
                                      "{\"ImageId\": \"ami-00000001\", \"MinCount\": 1, "
                                      "\"MaxCount\": 2}"),
                     1);
    name = run_until_posts(h, 2);
    snprintf(list, sizeof(list), "{\"servers\": [{\"id\": \"lost3\", \"name\": \"%s\"}]}", name);
    ec2gw_test_expect(h, "GET", "compute", "/servers/detail?name=*", 200, list);
    ec2gw_test_expect(h, "DELETE", "compute", "/servers/lost3", 204, NULL);
    ec2gw_test_run(h);
    m = ec2gw_test_end(h);
    assert_non_null(m);
    assert_int_equal(json_array_size(json_object_get(m, "Instances")), 1);
    assert_int_equal(count_calls(h, "DELETE", "/servers/s1"), 0);
    json_decref(m);
    free(name);
    done(h);
}

/* A 4xx is a refusal Nova created nothing for: no lookup. */
static void
test_refused_boot_no_lookup(void **s)
{
    ec2gw_test_host_t *h = host();

    (void)s;
    ec2gw_test_expect(h, "POST", "compute", "/servers", 400,
                      "{\"badRequest\": {\"message\": \"no\"}}");
    assert_null(ec2gw_test_action(h, "RunInstances", RUN1));
    assert_string_equal(ec2gw_test_last_error(h), "InvalidParameterValue");
    assert_int_equal(count_calls(h, "GET", "/servers"), 0);
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lost_answer_found_and_deleted),
        cmocka_unit_test(test_lost_answer_nothing_found),
        cmocka_unit_test(test_lost_answer_found_late),
        cmocka_unit_test(test_lost_answer_min_count_met),
        cmocka_unit_test(test_refused_boot_no_lookup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
