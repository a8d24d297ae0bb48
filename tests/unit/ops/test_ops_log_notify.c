/*
 * test_ops_log_notify.c - log.format json and the access log file (reopened after a rename),
 * and sd_notify through libsystemd on a datagram socket of the test's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

// clang-format off: cmocka.h needs the headers above first
#include <cmocka.h>
// clang-format on
#include <jansson.h>

#include "core/log.h"
#include "ops/notify.h"

static char dir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ec2gw-ops-XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *
last_json(const char *path)
{
    char line[4096] = "", buf[4096];
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f) != NULL)
        memcpy(line, buf, sizeof(line));
    fclose(f);
    return json_loads(line, 0, NULL);
}

static void
test_access_log_json_and_reopen(void **state)
{
    char path[128], rotated[160];
    ec2gw_err_t err = { 0 };
    json_t *o;

    (void)state;
    snprintf(path, sizeof(path), "%s/access.log", dir);
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    assert_int_equal(ec2gw_log_configure("yaml", NULL, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_log_configure("json", path, &err), 0);
    ec2gw_log_access("remote=127.0.0.1:5 req=r1 action=Describe\\x20x\\\" status=200 code=OK "
                     "ms=1.5 project=p key=AKIA1234 metadata");
    o = last_json(path);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "peer")), "127.0.0.1:5");
    assert_string_equal(json_string_value(json_object_get(o, "request_id")), "r1");
    assert_string_equal(json_string_value(json_object_get(o, "action")), "Describe\\x20x\\\"");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 200);
    assert_true(json_real_value(json_object_get(o, "ms")) == 1.5);
    assert_string_equal(json_string_value(json_object_get(o, "listener")), "metadata");
    json_decref(o);
    /* logrotate: rename, signal; lines after the reopen go to a new file of the same name */
    assert_int_equal(rename(path, rotated), 0);
    ec2gw_log_access("remote=a req=r2 action=X status=400 ms=0.1");
    ec2gw_log_reopen();
    ec2gw_log_access("remote=a req=r3 action=X status=400 ms=0.1");
    o = last_json(rotated);
    assert_string_equal(json_string_value(json_object_get(o, "request_id")), "r2");
    json_decref(o);
    o = last_json(path);
    assert_string_equal(json_string_value(json_object_get(o, "request_id")), "r3");
    json_decref(o);
    assert_int_equal(ec2gw_log_configure("text", NULL, &err), 0);
}

/* --check-config's view of the access log: judged, never created (a root-run check must not
 * leave a root-owned file behind that the service's user cannot open). */
static void
test_access_log_check_creates_nothing(void **state)
{
    char path[128], sub[128];
    ec2gw_err_t err = { 0 };

    (void)state;
    snprintf(path, sizeof(path), "%s/check.log", dir);
    snprintf(sub, sizeof(sub), "%s/no-such-dir/a.log", dir);
    assert_int_equal(ec2gw_log_check("yaml", NULL, &err), EC2GW_E_INVAL);
    assert_int_equal(ec2gw_log_check("json", path, &err), 0);
    assert_int_equal(access(path, F_OK), -1); /* not created */
    assert_int_equal(ec2gw_log_check("text", sub, &err), EC2GW_E_FAIL);
    assert_non_null(strstr(err.msg, "no-such-dir"));
    assert_int_equal(ec2gw_log_check(NULL, NULL, &err), 0);
}

static void
test_notify_socket(void **state)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char buf[512];
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0), status;
    ssize_t n;
    pid_t pid;

    (void)state;
    assert_true(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    /* In a child: the library is looked up once per process, on the first message. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("NOTIFY_SOCKET", sa.sun_path, 1);
        setenv("WATCHDOG_USEC", "400000", 1);
        _exit(ec2gw_notify("READY=1\nSTATUS=up") == 1 && ec2gw_notify_reloading() == 1 &&
                      ec2gw_notify_watchdog_usec() == 400000
                  ? 0
                  : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "READY=1\nSTATUS=up");
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "RELOADING=1\nMONOTONIC_USEC="));
    close(fd);
    /* Without NOTIFY_SOCKET nothing is sent, and there is no watchdog. */
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", "400000", 1);
    assert_int_equal(ec2gw_notify("READY=1"), 0);
    assert_int_equal(ec2gw_notify_watchdog_usec(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_log_json_and_reopen),
        cmocka_unit_test(test_access_log_check_creates_nothing),
        cmocka_unit_test(test_notify_socket),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
