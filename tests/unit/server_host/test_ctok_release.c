/*
 * test_ctok_release.c - issue 11 #12: a request that ends with an error after claiming its
 * ClientToken (the deadline, an internal error: ec2gw_req_fail, which the deadline timer
 * calls) gives the token back, so a retry runs instead of being told "still in progress"
 * forever; a token already answered keeps its answer.
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

#include "data/client_token.h"
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

    assert_int_equal(ec2gw_db_open(":memory:", &f->d.db, NULL), 0);
    f->gen.conf.request_timeout_ms = 20000;
    f->gen.refs = 1;
    f->d.gen = f->d.first = &f->gen;
    f->r = calloc(1, sizeof(*f->r));
    f->r->magic = EC2GW_REQ_MAGIC;
    f->r->refs = 1;
    f->r->pool = ec2gw_pool_new(4096);
    f->r->d = &f->d;
    f->r->gen = &f->gen;
    f->r->http = NULL; /* the client went away: nothing is sent, the request still ends */
    f->r->t_start = ec2gw_now();
    f->r->action = "RunInstances";
    f->r->identity.project_id = "p1";
    snprintf(f->r->id, sizeof(f->r->id), "test-ctok");
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
    ec2gw_db_close(f->d.db);
    free(f);
    return 0;
}

static int
claim(struct fixture *f, const char *token)
{
    ec2gw_fault_t fault = { 0 };
    json_t *result = NULL;
    int st = ec2gw_client_token_begin(f->d.db, "p1", "RunInstances", token, "h", NULL, &result,
                                      &fault);

    json_decref(result);
    return st;
}

static void
test_failure_releases(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(claim(f, "tok"), EC2GW_CTOK_NEW);
    f->r->client_token = "tok";
    ec2gw_req_failf(f->r, "Unavailable", "The request did not complete within 20000 ms");
    assert_true(f->r->answered);
    assert_null(f->r->client_token);
    /* the retry runs (before the fix: EC2GW_CTOK_PENDING, "still in progress" for a day) */
    assert_int_equal(claim(f, "tok"), EC2GW_CTOK_NEW);
}

static void
test_answered_token_kept(void **state)
{
    struct fixture *f = *state;
    json_t *model = json_pack("{s:s}", "ReservationId", "r-1");

    assert_int_equal(claim(f, "done"), EC2GW_CTOK_NEW);
    assert_int_equal(ec2gw_client_token_complete(f->d.db, "p1", "RunInstances", "done", model), 0);
    json_decref(model);
    f->r->client_token = "done";
    ec2gw_req_failf(f->r, "InternalError", "The response could not be rendered");
    assert_int_equal(claim(f, "done"), EC2GW_CTOK_DONE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failure_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered_token_kept, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
