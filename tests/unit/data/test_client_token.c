/* test_client_token.c - ClientToken records: new, pending, done, mismatch, abort, expiry. */
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
#include "data/db_priv.h"

static int
setup(void **state)
{
    ec2gw_db_t *db = NULL;

    assert_int_equal(ec2gw_db_open(":memory:", &db, NULL), 0);
    *state = db;
    return 0;
}

static int
teardown(void **state)
{
    ec2gw_db_close(*state);
    return 0;
}

static int
begin(ec2gw_db_t *db, const char *project, const char *action, const char *token, const char *hash,
      json_t **result, ec2gw_fault_t *fault)
{
    memset(fault, 0, sizeof(*fault));
    return ec2gw_client_token_begin(db, project, action, token, hash, NULL, result, fault);
}

static void
test_lifecycle(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_fault_t fault;
    json_t *result = NULL, *model = json_pack("{s:s}", "ReservationId", "r-abcd1234");

    assert_int_equal(begin(db, "p1", "RunInstances", "tok-1", "h1", &result, &fault),
                     EC2GW_CTOK_NEW);
    assert_null(result);
    /* a retry while the first request runs */
    assert_int_equal(begin(db, "p1", "RunInstances", "tok-1", "h1", &result, &fault),
                     EC2GW_CTOK_PENDING);
    /* same token, other parameters */
    assert_int_equal(begin(db, "p1", "RunInstances", "tok-1", "h2", &result, &fault), -1);
    assert_string_equal(fault.code, "IdempotentParameterMismatch");
    assert_int_equal(fault.status, 400);
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "RunInstances", "tok-1", model), 0);
    assert_int_equal(begin(db, "p1", "RunInstances", "tok-1", "h1", &result, &fault),
                     EC2GW_CTOK_DONE);
    assert_true(json_equal(result, model));
    json_decref(result);
    assert_int_equal(begin(db, "p1", "RunInstances", "tok-1", "h2", &result, &fault), -1);
    assert_string_equal(fault.code, "IdempotentParameterMismatch");
    /* tokens are per project and per action */
    assert_int_equal(begin(db, "p2", "RunInstances", "tok-1", "h9", &result, &fault),
                     EC2GW_CTOK_NEW);
    assert_int_equal(begin(db, "p1", "CreateVolume", "tok-1", "h9", &result, &fault),
                     EC2GW_CTOK_NEW);
    /* an operation answering <return>true</return> stores no model */
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "CreateVolume", "tok-1", NULL), 0);
    assert_int_equal(begin(db, "p1", "CreateVolume", "tok-1", "h9", &result, &fault),
                     EC2GW_CTOK_DONE);
    assert_true(json_is_null(result));
    json_decref(result);
    /* completing an unknown token */
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "X", "nope", model), EC2GW_E_NOTFOUND);
    json_decref(model);
}

static void
test_abort_and_expire(void **state)
{
    ec2gw_db_t *db = *state;
    ec2gw_fault_t fault;
    json_t *result = NULL;

    assert_int_equal(begin(db, "p1", "CreateVolume", "t", "h", &result, &fault), EC2GW_CTOK_NEW);
    /* the request failed: the retry runs again, even with other parameters */
    assert_int_equal(ec2gw_client_token_abort(db, "p1", "CreateVolume", "t"), 0);
    assert_int_equal(begin(db, "p1", "CreateVolume", "t", "h2", &result, &fault), EC2GW_CTOK_NEW);

    /* an answered token is never aborted (a failure after the answer keeps it) */
    assert_int_equal(begin(db, "p1", "CreateVolume", "done", "h", &result, &fault),
                     EC2GW_CTOK_NEW);
    assert_int_equal(ec2gw_client_token_complete(db, "p1", "CreateVolume", "done", NULL), 0);
    assert_int_equal(ec2gw_client_token_abort(db, "p1", "CreateVolume", "done"), 0);
    assert_int_equal(begin(db, "p1", "CreateVolume", "done", "h", &result, &fault),
                     EC2GW_CTOK_DONE);
    json_decref(result);
    result = NULL;

    /* records younger than the limit stay, older ones go */
    assert_int_equal(begin(db, "p1", "CreateVolume", "old", "h", &result, &fault), EC2GW_CTOK_NEW);
    assert_int_equal(sqlite3_exec(ec2gw_db_sqlite(db),
                                  "UPDATE ec2gw_client_tokens SET created = created - 90000"
                                  " WHERE token = 'old'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(ec2gw_client_token_expire(db, 86400), 0);
    assert_int_equal(begin(db, "p1", "CreateVolume", "t", "h2", &result, &fault),
                     EC2GW_CTOK_PENDING);
    assert_int_equal(begin(db, "p1", "CreateVolume", "old", "other", &result, &fault),
                     EC2GW_CTOK_NEW);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_expire, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
