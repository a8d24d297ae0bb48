/*
 * cinder_test.h - shared fixtures of the cinder-v3 unit tests: the recorded objects' ids, the
 * fake host set up with them mapped, and small JSON helpers.
 */
#ifndef CINDER_TEST_H
#define CINDER_TEST_H

#define VOL  "c507245b-ee36-4340-80ea-68611a631d2c"
#define SRV  "21ca858c-c3e0-4670-b6ce-edfc0def5451"
#define SNAP "27f9f5ca-0aa4-450d-a9de-1f4d32f6552c"
#define VID  "vol-0000000a"
#define IID  "i-0000000b"
#define SID  "snap-0000000c"
#define QUOTA                                                                          \
    "{\"overLimit\": {\"code\": 413, \"message\": \"VolumeSizeExceedsAvailableQuota: " \
    "Requested volume or snapshot exceeds allowed gigabytes quota.\"}}"

/* A host with @p settings (JSON) and the recorded objects mapped. */
static inline ec2gw_test_host_t *
host_with(const char *settings)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(CINDER_SO, settings);

    assert_non_null(h);
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_set_project(h, "b57b507c5df448afa0855a6cbe36bf37");
    ec2gw_test_map_id(h, VID, VOL);
    ec2gw_test_map_id(h, IID, SRV);
    ec2gw_test_map_id(h, SID, SNAP);
    return h;
}

/* The usual host: no volume type reads (test_cinder_types.c covers them), so the scripts of
 * the other actions need no type calls. */
static inline ec2gw_test_host_t *
host(void)
{
    return host_with("{\"type_reads_as_service\": false}");
}

static inline void
done(ec2gw_test_host_t *h)
{
    assert_int_equal(ec2gw_test_unmet_expectations(h), 0);
    assert_int_equal(ec2gw_test_violations(h), 0);
    ec2gw_test_host_free(h);
}

static inline size_t
ncalls(ec2gw_test_host_t *h)
{
    return json_array_size(ec2gw_test_calls(h));
}

static inline const json_t *
last_call(ec2gw_test_host_t *h)
{
    return json_array_get(ec2gw_test_calls(h), ncalls(h) - 1);
}

/* Run @p action, expect error @p code. */
static inline void
expect_error(ec2gw_test_host_t *h, const char *action, const char *params, const char *code)
{
    json_t *m = ec2gw_test_action(h, action, params);

    if (m != NULL) {
        char *s = json_dumps(m, JSON_COMPACT);

        fail_msg("%s %s: answered %s, want %s", action, params, s, code);
    }
    if (strcmp(ec2gw_test_last_error(h), code) != 0)
        fail_msg("%s %s: got %s (%s), want %s", action, params, ec2gw_test_last_error(h),
                 ec2gw_test_last_error_message(h), code);
}

/* The member at @p path: "a.0.b" walks objects by key and arrays by index. */
static inline const json_t *
at(const json_t *j, const char *path)
{
    char buf[256], *save = NULL, *tok;
    const json_t *cur = j;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur =
            json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
    return cur;
}

static inline const char *
str_at(const json_t *j, const char *path)
{
    return json_string_value(at(j, path));
}

#endif /* CINDER_TEST_H */
