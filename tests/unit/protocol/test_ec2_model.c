/*
 * test_ec2_model.c - loading model/ec2-2016-11-15.json and the per-operation facts derived from
 * it; also prints the load time and the cost of one DescribeRegions decode + render (no
 * assertions on timing: sanitizer builds are several times slower).
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "protocol/ec2_model.h"
#include "protocol/query_decode.h"
#include "protocol/xml_render.h"

#define MODEL_PATH EC2GW_SOURCE_DIR "/model/ec2-2016-11-15.json"

static ec2gw_model_t *model;

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
load_model(void **state)
{
    ec2gw_err_t err = { 0 };
    double t0 = now_ms();

    (void)state;
    if (ec2gw_model_load(MODEL_PATH, &model, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    printf("# ec2gw_model_load: %.1f ms\n", now_ms() - t0);
    return 0;
}

static int
free_model(void **state)
{
    (void)state;
    ec2gw_model_free(model);
    return 0;
}

static void
test_operations(void **state)
{
    size_t n = ec2gw_model_op_count(model);
    const ec2gw_model_op_t *op;

    (void)state;
    assert_true(n >= 765);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(ec2gw_model_op_name_at(model, i - 1), ec2gw_model_op_name_at(model, i)) <
                    0);
    assert_null(ec2gw_model_op_name_at(model, n));
    for (size_t i = 0; i < n; i++) {
        const char *name = ec2gw_model_op_name_at(model, i);

        op = ec2gw_model_op(model, name);
        assert_non_null(op);
        assert_string_equal(ec2gw_model_op_name(op), name);
    }
    assert_null(ec2gw_model_op(model, "describeregions"));
    assert_null(ec2gw_model_op(model, "NoSuchAction"));
    assert_null(ec2gw_model_op(model, ""));
    assert_string_equal(ec2gw_model_api_version(model), "2016-11-15");
}

static void
test_op_facts(void **state)
{
    const ec2gw_model_op_t *run = ec2gw_model_op(model, "RunInstances");
    const ec2gw_model_op_t *regions = ec2gw_model_op(model, "DescribeRegions");

    (void)state;
    assert_non_null(run);
    assert_non_null(regions);
    assert_true(ec2gw_model_op_has_input(run, "DryRun"));
    assert_true(ec2gw_model_op_has_input(run, "TagSpecifications"));
    assert_false(ec2gw_model_op_has_input(run, "TagSpecification")); /* a wire name */
    assert_false(ec2gw_model_op_has_input(regions, "MaxResults"));
    assert_string_equal(ec2gw_model_op_idempotency_member(run), "ClientToken");
    assert_null(ec2gw_model_op_idempotency_member(regions));
    assert_false(ec2gw_model_op_returns_true(run));
    assert_false(ec2gw_model_op_returns_true(regions));
    assert_true(ec2gw_model_op_returns_true(ec2gw_model_op(model, "CreateTags")));
    assert_true(ec2gw_model_op_returns_true(ec2gw_model_op(model, "RebootInstances")));
    assert_true(ec2gw_model_op_returns_true(ec2gw_model_op(model, "CreateRoute")));
    assert_false(ec2gw_model_op_returns_true(ec2gw_model_op(model, "DeleteKeyPair")));
}

static void
test_paging(void **state)
{
    const ec2gw_model_paginator_t *p =
        ec2gw_model_op_paginator(ec2gw_model_op(model, "DescribeInstances"));
    int lo = 0, hi = 0;

    (void)state;
    assert_non_null(p);
    assert_string_equal(p->input_token, "NextToken");
    assert_string_equal(p->output_token, "NextToken");
    assert_string_equal(p->result_key, "Reservations");
    assert_string_equal(p->limit_key, "MaxResults");
    p = ec2gw_model_op_paginator(ec2gw_model_op(model, "DescribeVpcEndpointServices"));
    assert_non_null(p);
    assert_string_equal(p->result_key, "ServiceDetails");
    assert_null(ec2gw_model_op_paginator(ec2gw_model_op(model, "DescribeKeyPairs")));
    assert_int_equal(
        ec2gw_model_op_max_results(ec2gw_model_op(model, "DescribeSecurityGroups"), &lo, &hi), 0);
    assert_int_equal(lo, 5);
    assert_int_equal(hi, 1000);
    assert_int_equal(ec2gw_model_op_max_results(ec2gw_model_op(model, "DescribeTags"), &lo, &hi),
                     0);
    assert_int_equal(ec2gw_model_op_max_results(ec2gw_model_op(model, "DescribeRegions"), &lo, &hi),
                     EC2GW_E_NOTFOUND);
}

static void
test_load_errors(void **state)
{
    ec2gw_err_t err = { 0 };
    ec2gw_model_t *m = NULL;
    char path[] = "/tmp/ec2gw-model-XXXXXX";
    int fd;
    FILE *f;

    (void)state;
    assert_int_equal(ec2gw_model_load("/nonexistent/model.json", &m, &err), EC2GW_E_INVAL);
    assert_null(m);
    assert_non_null(strstr(err.msg, "/nonexistent/model.json"));
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("{\"operations\":{\"A\":{\"name\":\"A\",\"input\":{\"shape\":\"Missing\"}}},"
          "\"shapes\":{\"S\":{\"type\":\"structure\",\"members\":{}}}}",
          f);
    fclose(f);
    assert_int_equal(ec2gw_model_load(path, &m, &err), EC2GW_E_INVAL);
    assert_null(m);
    assert_non_null(strstr(err.msg, "operation A"));
    remove(path);
}

/* Not a benchmark harness; a rough per-request figure for the log. */
static void
test_describe_regions_cost(void **state)
{
    const ec2gw_model_op_t *op = ec2gw_model_op(model, "DescribeRegions");
    ec2gw_kvlist_t params = { 0 };
    const char form[] = "Action=DescribeRegions&Version=2016-11-15&RegionName.1=RegionOne";
    json_t *resp = json_loads("{\"Regions\":[{\"RegionName\":\"RegionOne\",\"Endpoint\":"
                              "\"http://ec2.example.org:8788/\"}]}",
                              0, NULL);
    const int iterations = 20000;
    double t0;

    (void)state;
    assert_int_equal(ec2gw_kvlist_parse_form(&params, form, sizeof(form) - 1), 0);
    t0 = now_ms();
    for (int i = 0; i < iterations; i++) {
        ec2gw_fault_t fault;
        ec2gw_err_t err;
        json_t *in = NULL;
        char *xml = NULL;
        size_t len;

        assert_int_equal(ec2gw_query_decode(op, &params, &in, &fault), 0);
        assert_int_equal(ec2gw_xml_render(op, "2016-11-15", "req-1", resp, &xml, &len, &err), 0);
        json_decref(in);
        free(xml);
    }
    printf("# DescribeRegions decode+render: %.0f ns/request\n",
           (now_ms() - t0) * 1e6 / iterations);
    json_decref(resp);
    ec2gw_kvlist_free(&params);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_op_facts),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_describe_regions_cost),
    };

    return cmocka_run_group_tests(tests, load_model, free_model);
}
