/*
 * test_host_raw.c - the daemon's ABI 1.2 host functions for the metadata listener's raw
 * requests (daemon/server/host_raw.c) through the real host table: headers with their count,
 * act_as and reply only on raw requests, HMAC-SHA256 against vectors computed with Python's
 * hmac, the daemon key, constant-time equality; and the `metadata:` section's checks
 * (daemon/server/metadata_conf.c): no secret, two sources, unreadable file, shared port.
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
#include <unistd.h>

#include "server/request.h"

#define UUID "b0b98359-6468-40eb-b692-2d8eda091131"
#define SIG  "88db186c30c074eee87ae75decf9546e4d235b08d0d7cb907dd611e81b49e231"

struct fixture {
    ec2gw_daemon_t d;
    ec2gw_generation_t gen;
    ec2gw_req_t *r;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    ec2gw_pool_t *pool = ec2gw_pool_new(4096);

    f->r = ec2gw_pcalloc(pool, sizeof(*f->r));
    f->r->pool = pool;
    f->r->d = &f->d;
    f->r->gen = &f->gen;
    f->r->raw = 1;
    f->r->method = "GET";
    f->r->path = "/latest/meta-data/";
    ec2gw_kvlist_add(&f->r->headers, "X-Instance-ID", UUID);
    ec2gw_kvlist_add(&f->r->headers, "x-forwarded-for", "10.0.0.1");
    ec2gw_kvlist_add(&f->r->headers, "X-Forwarded-For", "10.0.0.2");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    ec2gw_kvlist_free(&f->r->headers);
    ec2gw_pool_free(f->r->pool);
    free(f);
    return 0;
}

static void
request_line_and_headers(void **state)
{
    struct fixture *f = *state;
    const ec2gw_host_api_t *api = ec2gw_host_api();
    size_t n = 99;

    assert_true(EC2GW_HOST_HAS(api, metadata_conf));
    assert_string_equal(api->http_method(f->r), "GET");
    assert_string_equal(api->http_path(f->r), "/latest/meta-data/");
    assert_string_equal(api->http_header(f->r, "x-instance-id", &n), UUID);
    assert_int_equal(n, 1);
    assert_string_equal(api->http_header(f->r, "X-FORWARDED-FOR", &n), "10.0.0.1");
    assert_int_equal(n, 2);
    assert_null(api->http_header(f->r, "X-Tenant-ID", &n));
    assert_int_equal(n, 0);
    /* an EC2 request is not raw: none of it */
    f->r->raw = 0;
    assert_null(api->http_method(f->r));
    assert_null(api->http_header(f->r, "X-Instance-ID", &n));
    assert_int_equal(api->act_as(f->r, "p", NULL), EC2GW_E_STATE);
    assert_int_equal(api->reply(f->r, 200, NULL, "x", 1), EC2GW_E_STATE);
    assert_int_equal(api->reply_header(f->r, "A", "b"), EC2GW_E_STATE);
}

static void
act_as_sets_the_project(void **state)
{
    struct fixture *f = *state;
    const ec2gw_host_api_t *api = ec2gw_host_api();

    assert_null(api->identity(f->r)->project_id);
    assert_int_equal(api->act_as(f->r, "", NULL), EC2GW_E_INVAL);
    assert_int_equal(api->act_as(f->r, "tenant-1", "user-1"), 0);
    assert_string_equal(api->identity(f->r)->project_id, "tenant-1");
    assert_string_equal(api->identity(f->r)->owner_id, "tenant-1");
    assert_string_equal(api->identity(f->r)->user_id, "user-1");
}

static void
hmac_and_equality(void **state)
{
    struct fixture *f = *state;
    const ec2gw_host_api_t *api = ec2gw_host_api();
    char out[65], again[65];

    /* no secret configured: nothing to sign with */
    assert_int_equal(api->hmac_hex(f->r, EC2GW_KEY_METADATA_PROXY, UUID, strlen(UUID), out),
                     EC2GW_E_NOTFOUND);
    assert_int_equal(api->hmac_hex(f->r, EC2GW_KEY_LOCAL, "m", 1, out), EC2GW_E_NOTFOUND);
    f->gen.conf.md_secret = "s3cret";
    assert_int_equal(api->hmac_hex(f->r, EC2GW_KEY_METADATA_PROXY, UUID, strlen(UUID), out), 0);
    assert_string_equal(out, SIG);
    /* RFC 4231 test case 2 */
    f->gen.conf.md_secret = "Jefe";
    assert_int_equal(
        api->hmac_hex(f->r, EC2GW_KEY_METADATA_PROXY, "what do ya want for nothing?", 28, out), 0);
    assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* the daemon key: only with the listener on, and it is what signs */
    f->gen.conf.md_enabled = 1;
    memset(f->d.md_local_key, 7, sizeof(f->d.md_local_key));
    assert_int_equal(api->hmac_hex(f->r, EC2GW_KEY_LOCAL, "m", 1, out), 0);
    f->d.md_local_key[0] = 8;
    assert_int_equal(api->hmac_hex(f->r, EC2GW_KEY_LOCAL, "m", 1, again), 0);
    assert_string_not_equal(out, again);
    assert_int_equal(api->hmac_hex(f->r, 99, "m", 1, out), EC2GW_E_NOTFOUND);

    assert_true(api->secure_equal(SIG, SIG));
    assert_false(api->secure_equal(SIG, "88db186c"));
    assert_false(
        api->secure_equal(SIG, "98db186c30c074eee87ae75decf9546e4d235b08d0d7cb907dd611e81b49e231"));
    assert_false(api->secure_equal(NULL, SIG));
    assert_true(api->secure_equal("", ""));
    assert_true(api->now_ms(f->r) > INT64_C(1700000000000));
}

/* The `metadata:` section's checks on a conf as bound (defaults applied). */
static int
check(ec2gw_daemon_conf_t *c, ec2gw_err_t *err)
{
    memset(err, 0, sizeof(*err));
    return ec2gw_metadata_conf_check(c, err);
}

static ec2gw_daemon_conf_t
conf(int enabled)
{
    return (ec2gw_daemon_conf_t){ .listen_address = "127.0.0.1",
                                  .listen_port = 8788,
                                  .md_enabled = enabled,
                                  .md_address = "127.0.0.1",
                                  .md_port = 8789,
                                  .md = { .cache_ttl_ms = 10000, .token_ttl_max_s = 21600000 } };
}

static void
conf_checks(void **state)
{
    ec2gw_daemon_conf_t c;
    ec2gw_err_t err;
    char path[] = "/tmp/ec2gw-md-secret-XXXXXX";
    int fd;

    (void)state;
    /* off, with the shipped variable unset: fine */
    unsetenv("EC2GW_TEST_MD_SECRET");
    c = conf(0);
    c.md_secret_env = "EC2GW_TEST_MD_SECRET";
    assert_int_equal(check(&c, &err), 0);
    assert_int_equal(c.md.token_ttl_max_s, 21600);
    assert_int_equal(c.md.size, sizeof(c.md));
    /* on without a secret: refused, saying what to set */
    c = conf(1);
    assert_int_not_equal(check(&c, &err), 0);
    assert_non_null(strstr(err.msg, "no shared secret"));
    c = conf(1);
    c.md_secret_env = "EC2GW_TEST_MD_SECRET";
    assert_int_not_equal(check(&c, &err), 0);
    assert_non_null(strstr(err.msg, "EC2GW_TEST_MD_SECRET is not set"));
    setenv("EC2GW_TEST_MD_SECRET", "s3cret", 1);
    c = conf(1);
    c.md_secret_env = "EC2GW_TEST_MD_SECRET";
    assert_int_equal(check(&c, &err), 0);
    assert_string_equal(c.md_secret, "s3cret");
    /* from a file (first line), or two sources */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "from-file\nignored\n", 18), 18);
    close(fd);
    c = conf(1);
    c.md_secret_file = path;
    assert_int_equal(check(&c, &err), 0);
    assert_string_equal(c.md_secret, "from-file");
    c.md_secret_env = "EC2GW_TEST_MD_SECRET";
    c.md.token_ttl_max_s = 21600000;
    assert_int_not_equal(check(&c, &err), 0);
    assert_non_null(strstr(err.msg, "only one of"));
    unlink(path);
    c = conf(1);
    c.md_secret_file = path;
    assert_int_not_equal(check(&c, &err), 0);
    assert_non_null(strstr(err.msg, "cannot read"));
    /* bounds and the EC2 listener's port */
    c = conf(1);
    c.md_secret_env = "EC2GW_TEST_MD_SECRET";
    c.md_port = 8788;
    assert_int_not_equal(check(&c, &err), 0);
    assert_non_null(strstr(err.msg, "its own port"));
    c = conf(0);
    c.md.token_ttl_max_s = 21601000;
    assert_int_not_equal(check(&c, &err), 0);
    c = conf(0);
    c.md.cache_ttl_ms = -1;
    assert_int_not_equal(check(&c, &err), 0);
    unsetenv("EC2GW_TEST_MD_SECRET");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(request_line_and_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(act_as_sets_the_project, setup, teardown),
        cmocka_unit_test_setup_teardown(hmac_and_equality, setup, teardown),
        cmocka_unit_test(conf_checks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
