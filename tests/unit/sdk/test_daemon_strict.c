/*
 * test_daemon_strict.c - issue 16 #4, the daemon's side: in debug and sanitizer builds
 * (EC2GW_STRICT_ANSWERS) an answer member the EC2 model lacks makes ec2gwd answer
 * InternalError naming it; release builds keep answering 200 and log a warning.
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

#include "protocol/ec2_model.h"
#include "server/request.h"

struct fixture {
    ec2gw_daemon_t d;
    ec2gw_generation_t gen;
    ec2gw_req_t *r;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    ec2gw_err_t err = { 0 };

    assert_int_equal(ec2gw_model_load(MODEL_PATH, &f->d.model, &err), 0);
    f->gen.refs = 1;
    f->d.gen = f->d.first = &f->gen;
    f->r = calloc(1, sizeof(*f->r));
    f->r->magic = EC2GW_REQ_MAGIC;
    f->r->refs = 1;
    f->r->pool = ec2gw_pool_new(4096);
    f->r->d = &f->d;
    f->r->gen = &f->gen;
    f->r->http = NULL; /* nothing is sent; the request still records its answer */
    f->r->t_start = ec2gw_now();
    f->r->action = "DescribeRegions";
    f->r->op = ec2gw_model_op(f->d.model, "DescribeRegions");
    f->r->identity.project_id = "p1";
    snprintf(f->r->id, sizeof(f->r->id), "test-strict");
    snprintf(f->r->log_prefix, sizeof(f->r->log_prefix), "req=test");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    ec2gw_pool_free(f->r->pool);
    free(f->r);
    ec2gw_model_free(f->d.model);
    free(f);
    return 0;
}

static void
clean_answer(void **state)
{
    struct fixture *f = *state;

    ec2gw_req_finish(f->r, json_pack("{s:[{s:s}]}", "Regions", "RegionName", "r1"));
    assert_int_equal(f->r->status, 200);
    assert_string_equal(f->r->code, "OK");
}

static void
misspelt_member(void **state)
{
    struct fixture *f = *state;

    ec2gw_req_finish(f->r, json_pack("{s:[{s:s}]}", "Regions", "RegionNmae", "r1"));
#ifdef EC2GW_STRICT_ANSWERS
    assert_int_equal(f->r->status, 500);
    assert_string_equal(f->r->code, "InternalError");
#else
    assert_int_equal(f->r->status, 200);
    assert_string_equal(f->r->code, "OK");
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clean_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(misspelt_member, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
