/* test_config_units.c - duration and size parsing edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include "config/config.h"

static void
test_duration(void **state)
{
    static const struct {
        const char *s;
        long long ms;
    } ok[] = {
        { "250ms", 250 },
        { "30s", 30000 },
        { "5m", 300000 },
        { "1h", 3600000 },
        { "1500", 1500 },
        { "0", 0 },
        { "0s", 0 },
        { "007s", 7000 },
        { "9223372036854775807", INT64_MAX },
        { "9223372036854775807ms", INT64_MAX },
        { "2562047788015h", 2562047788015LL * 3600000 },
    };
    static const char *const bad[] = {
        "",
        "5x",
        "-5s",
        "+5s",
        "s",
        "ms",
        "1.5s",
        "5 s",
        " 5s",
        "5s ",
        "5S",
        "5MS",
        "5sec",
        "1d",
        "5ms5",
        "1m30s",
        "0x10",
        "9223372036854775808",
        "2562047788016h",
        "9223372036854775807s",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long ms = -1;

        assert_int_equal(ec2gw_conf_parse_duration(ok[i].s, &ms), 0);
        assert_true(ms == ok[i].ms);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long ms = -1;

        if (ec2gw_conf_parse_duration(bad[i], &ms) != EC2GW_E_INVAL)
            fail_msg("'%s' was accepted as %lld ms", bad[i], ms);
        assert_true(ms == -1);
    }
    assert_int_equal(ec2gw_conf_parse_duration(NULL, NULL), EC2GW_E_INVAL);
}

static void
test_size(void **state)
{
    static const struct {
        const char *s;
        long long bytes;
    } ok[] = {
        { "512", 512 },         { "0", 0 },
        { "64k", 65536 },       { "64K", 65536 },
        { "1KiB", 1024 },       { "1m", 1048576 },
        { "2MiB", 2097152 },    { "3M", 3145728 },
        { "1g", 1073741824 },   { "1G", 1073741824 },
        { "1GiB", 1073741824 }, { "8589934591G", 8589934591LL * 1073741824 },
    };
    static const char *const bad[] = {
        "",
        "1x",
        "-1",
        "+1",
        "1kib",
        "1KB",
        "1kb",
        "1 k",
        "k",
        "1.5m",
        "1T",
        "8589934592G",
        "9223372036854775808",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long bytes = -1;

        assert_int_equal(ec2gw_conf_parse_size(ok[i].s, &bytes), 0);
        assert_true(bytes == ok[i].bytes);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long bytes = -1;

        if (ec2gw_conf_parse_size(bad[i], &bytes) != EC2GW_E_INVAL)
            fail_msg("'%s' was accepted as %lld bytes", bad[i], bytes);
        assert_true(bytes == -1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
