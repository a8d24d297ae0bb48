/*
 * test_cinder_types.c - CreateVolume's Iops, Throughput, Encrypted, KmsKeyId and
 * MultiAttachEnabled against what the Cinder volume type backs (QoS specs, encryption,
 * multiattach extra spec), read with the service identity and cached per instance; the
 * Iops/Throughput volumes show. Types: ceph (default, nothing), fake, gold (3000 IOPS,
 * 125 MiB/s), per-gb (10 IOPS and 1 MiB/s per GiB), luks (encrypted), shared (multiattach),
 * hidden (private, gold's QoS).
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

#include "cinder_test.h"

#define T_FAKE "7a1c0f1e-2b55-4c8e-9d0f-0c0c7c1d0002"
#define T_LUKS "7a1c0f1e-2b55-4c8e-9d0f-0c0c7c1d0005"

static ec2gw_test_host_t *
thost(void)
{
    return host_with("{}");
}

/* The catalog: every type and every QoS spec, two calls. */
static void
expect_catalog(ec2gw_test_host_t *h)
{
    ec2gw_test_expect(h, "GET", "volumev3", "/types?is_public=None", 200, "types_list.json");
    ec2gw_test_expect(h, "GET", "volumev3", "/qos-specs", 200, "qos_specs.json");
}

/* How many calls so far went to a path starting with @p prefix; with @p service_flag, each
 * must carry EC2GW_CALL_AS_SERVICE (and must not without). */
static size_t
calls_to(ec2gw_test_host_t *h, const char *prefix, int service_flag)
{
    const json_t *c;
    size_t i, n = 0;

    json_array_foreach(ec2gw_test_calls(h), i, c)
    {
        const char *path = str_at(c, "path");
        int svc = (json_integer_value(json_object_get(c, "flags")) & EC2GW_CALL_AS_SERVICE) != 0;

        if (strncmp(path, prefix, strlen(prefix)) != 0)
            continue;
        if (svc != service_flag)
            fail_msg("%s: AS_SERVICE is %d, want %d", path, svc, service_flag);
        n++;
    }
    return n;
}

static void
expect_msg(ec2gw_test_host_t *h, const char *needle)
{
    const char *m = ec2gw_test_last_error_message(h);

    if (m == NULL || strstr(m, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", m ? m : "(none)", needle);
}

static void
test_iops_throughput_accepted(void **s)
{
    ec2gw_test_host_t *h = thost();
    json_t *m;

    (void)s;
    expect_catalog(h);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_gold.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 10, \"VolumeType\": \"gold\", \"Iops\": 3000, "
                          "\"Throughput\": 125}");
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "Iops")), 3000);
    assert_int_equal(json_integer_value(json_object_get(m, "Throughput")), 125);
    assert_string_equal(str_at(m, "VolumeType"), "gold");
    assert_string_equal(
        str_at(ec2gw_test_call_body(h, "POST", "volumev3", "/volumes"), "volume.volume_type"),
        "gold");
    json_decref(m);
    /* admin-only reads: with the service identity */
    assert_int_equal(calls_to(h, "/types", 1), 1);
    assert_int_equal(calls_to(h, "/qos-specs", 1), 1);
    /* the second CreateVolume uses the cache: only its POST */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_gold.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 10, \"VolumeType\": \"gold\", \"Iops\": 3000}");
    assert_non_null(m);
    json_decref(m);
    assert_int_equal(ncalls(h), 4);
    /* DescribeVolumes shows the type's limits too, from the same cache */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_create_gold.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_int_equal(json_integer_value(at(m, "Volumes.0.Iops")), 3000);
    assert_int_equal(json_integer_value(at(m, "Volumes.0.Throughput")), 125);
    assert_true(json_is_false(at(m, "Volumes.0.Encrypted")));
    assert_true(json_is_false(at(m, "Volumes.0.MultiAttachEnabled")));
    json_decref(m);
    assert_int_equal(ncalls(h), 5);
    /* a volume whose type sets nothing shows no Iops/Throughput */
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_create_ceph.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_null(at(m, "Volumes.0.Iops"));
    assert_null(at(m, "Volumes.0.Throughput"));
    json_decref(m);
    /* after type_cache_ttl (60 s) the catalog is read again */
    ec2gw_test_clock_advance(h, 61000);
    expect_catalog(h);
    ec2gw_test_expect(h, "GET", "volumev3", "/volumes/" VOL, 200, "volume_create_gold.json");
    m = ec2gw_test_action(h, "DescribeVolumes", "{\"VolumeIds\": [\"" VID "\"]}");
    assert_non_null(m);
    assert_int_equal(json_integer_value(at(m, "Volumes.0.Iops")), 3000);
    json_decref(m);
    assert_int_equal(calls_to(h, "/types", 1), 2);
    done(h);
}

static void
test_iops_throughput_refused(void **s)
{
    ec2gw_test_host_t *h = thost();
    const char *msg;

    (void)s;
    /* no VolumeType: the caller's default type (caller's token: defaults are per project) */
    ec2gw_test_expect(h, "GET", "volumev3", "/types/default", 200, "type_default.json");
    expect_catalog(h);
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"Iops\": 3000}", "InvalidParameterValue");
    expect_msg(h, "Iops: VolumeType 'ceph' sets no IOPS limit");
    expect_msg(h, "gold");
    expect_msg(h, "per-gb");
    msg = ec2gw_test_last_error_message(h);
    assert_null(strstr(msg, "hidden")); /* a private type is not every caller's to see */
    assert_int_equal(calls_to(h, "/types/default", 0), 1);
    /* the default is cached for the project too */
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"Throughput\": 125}", "InvalidParameterValue");
    expect_msg(h, "Throughput: VolumeType 'ceph' sets no throughput limit");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"gold\", \"Iops\": 2000}",
                 "InvalidParameterValue");
    expect_msg(h, "Iops: VolumeType 'gold' gives 3000 IOPS");
    expect_error(h, "CreateVolume",
                 "{\"Size\": 1, \"VolumeType\": \"gold\", \"Iops\": 3000, \"Throughput\": 100}",
                 "InvalidParameterValue");
    expect_msg(h, "Throughput: VolumeType 'gold' gives 125 MiB/s");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"gold\", \"Throughput\": -1}",
                 "InvalidParameterValue");
    expect_msg(h, "Throughput");
    /* a private type's limits are not told */
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"hidden\", \"Iops\": 1}",
                 "InvalidParameterValue");
    expect_msg(h, "Iops: VolumeType 'hidden' does not give that value");
    assert_null(strstr(ec2gw_test_last_error_message(h), "3000"));
    /* an unknown type named with Iops: refused before Cinder is asked to create */
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"nope\", \"Iops\": 1}",
                 "InvalidParameterValue");
    expect_msg(h, "VolumeType 'nope' does not exist");
    assert_int_equal(ncalls(h), 3); /* default, types, qos-specs: nothing created */
    done(h);
}

static void
test_per_gb(void **s)
{
    ec2gw_test_host_t *h = thost();
    json_t *m;

    (void)s;
    expect_catalog(h);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_pergb.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 20, \"VolumeType\": \"per-gb\", \"Iops\": 200, "
                          "\"Throughput\": 20}");
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "Iops")), 200);
    assert_int_equal(json_integer_value(json_object_get(m, "Throughput")), 20);
    json_decref(m);
    expect_error(h, "CreateVolume", "{\"Size\": 20, \"VolumeType\": \"per-gb\", \"Iops\": 100}",
                 "InvalidParameterValue");
    expect_msg(h, "Iops: VolumeType 'per-gb' gives 200 IOPS (10 per GiB x 20 GiB)");
    /* from a snapshot without Size the size is not known here: Size is asked for */
    expect_error(h, "CreateVolume",
                 "{\"SnapshotId\": \"" SID "\", \"VolumeType\": \"per-gb\", \"Iops\": 100}",
                 "InvalidParameterValue");
    expect_msg(h, "give Size too");
    assert_int_equal(ncalls(h), 3);
    done(h);
}

static void
test_encrypted_kms(void **s)
{
    static const char *const refused_keys[] = {
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/my-key",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:alias/aws/ebsx",
    };
    ec2gw_test_host_t *h = thost();
    char params[256];
    json_t *m;

    (void)s;
    expect_catalog(h);
    ec2gw_test_expect(h, "GET", "volumev3", "/types/" T_LUKS "/encryption", 200,
                      "type_encryption_luks.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_luks.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 1, \"VolumeType\": \"luks\", \"Encrypted\": true}");
    assert_non_null(m);
    assert_true(json_is_true(json_object_get(m, "Encrypted")));
    json_decref(m);
    assert_int_equal(calls_to(h, "/types/" T_LUKS "/encryption", 1), 1);
    /* the AWS default key, as alias or ARN: Cinder's per-volume key honours it */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_luks.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 1, \"VolumeType\": \"luks\", \"Encrypted\": true, "
                          "\"KmsKeyId\": \"alias/aws/ebs\"}");
    assert_non_null(m);
    json_decref(m);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_luks.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 1, \"VolumeType\": \"luks\", \"KmsKeyId\": "
                          "\"arn:aws:kms:us-east-1:123456789012:alias/aws/ebs\"}");
    assert_non_null(m);
    json_decref(m);
    assert_int_equal(ncalls(h), 6); /* the encryption was read once */
    for (size_t i = 0; i < sizeof(refused_keys) / sizeof(refused_keys[0]); i++) {
        snprintf(params, sizeof(params),
                 "{\"Size\": 1, \"VolumeType\": \"luks\", \"Encrypted\": true, \"KmsKeyId\": "
                 "\"%s\"}",
                 refused_keys[i]);
        expect_error(h, "CreateVolume", params, "InvalidParameterValue");
        expect_msg(h, "KmsKeyId");
        expect_msg(h, refused_keys[i]);
    }
    /* a type without encryption: Cinder answers {} */
    ec2gw_test_expect(h, "GET", "volumev3", "/types/" T_FAKE "/encryption", 200, "{}");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"fake\", \"Encrypted\": true}",
                 "InvalidParameterValue");
    expect_msg(h, "Encrypted: VolumeType 'fake' has no encryption");
    expect_error(h, "CreateVolume",
                 "{\"Size\": 1, \"VolumeType\": \"fake\", \"KmsKeyId\": \"alias/aws/ebs\"}",
                 "InvalidParameterValue");
    expect_msg(h, "KmsKeyId: VolumeType 'fake' has no encryption");
    assert_int_equal(ncalls(h), 7);
    /* Encrypted=false on an encrypted type: encrypted anyway (AWS encryption by default) */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_luks.json");
    m = ec2gw_test_action(h, "CreateVolume",
                          "{\"Size\": 1, \"VolumeType\": \"luks\", \"Encrypted\": false}");
    assert_non_null(m);
    assert_true(json_is_true(json_object_get(m, "Encrypted")));
    json_decref(m);
    done(h);
}

static void
test_multiattach(void **s)
{
    ec2gw_test_host_t *h = thost();
    json_t *m;

    (void)s;
    expect_catalog(h);
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_shared.json");
    m = ec2gw_test_action(
        h, "CreateVolume",
        "{\"Size\": 1, \"VolumeType\": \"shared\", \"MultiAttachEnabled\": true}");
    assert_non_null(m);
    assert_true(json_is_true(json_object_get(m, "MultiAttachEnabled")));
    json_decref(m);
    expect_error(h, "CreateVolume",
                 "{\"Size\": 1, \"VolumeType\": \"ceph\", \"MultiAttachEnabled\": true}",
                 "InvalidParameterValue");
    expect_msg(h, "MultiAttachEnabled: VolumeType 'ceph' is not a multiattach type");
    expect_msg(h, "shared");
    assert_int_equal(ncalls(h), 3);
    done(h);
}

static void
test_reads_fail_or_off(void **s)
{
    ec2gw_test_host_t *h = thost();
    json_t *m;

    (void)s;
    /* Cinder refuses the admin reads: the parameter cannot be checked, nothing is made */
    ec2gw_test_expect(h, "GET", "volumev3", "/types?is_public=None", 403,
                      "{\"forbidden\": {\"code\": 403, \"message\": \"Policy doesn't allow\"}}");
    ec2gw_test_expect(h, "GET", "volumev3", "/qos-specs", 403, "{}");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"gold\", \"Iops\": 3000}",
                 "UnsupportedOperation");
    expect_msg(h, "Iops cannot be checked");
    /* not asked again within type_cache_ttl: refused at once, no call (a service user
     * without the admin role must not cost every request two refused calls) */
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"gold\", \"Iops\": 3000}",
                 "UnsupportedOperation");
    assert_int_equal(ncalls(h), 2);
    /* without those parameters the volume is still made, only without Iops shown */
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_gold.json");
    m = ec2gw_test_action(h, "CreateVolume", "{\"Size\": 10, \"VolumeType\": \"gold\"}");
    assert_non_null(m);
    assert_null(json_object_get(m, "Iops"));
    json_decref(m);
    assert_int_equal(ncalls(h), 3);
    /* after type_cache_ttl the catalog is asked again */
    ec2gw_test_clock_advance(h, 61000);
    ec2gw_test_expect(h, "GET", "volumev3", "/types?is_public=None", 500, "{}");
    ec2gw_test_expect(h, "GET", "volumev3", "/qos-specs", 200, "qos_specs.json");
    ec2gw_test_expect(h, "POST", "volumev3", "/volumes", 202, "volume_create_gold.json");
    m = ec2gw_test_action(h, "CreateVolume", "{\"Size\": 10, \"VolumeType\": \"gold\"}");
    assert_non_null(m);
    assert_null(json_object_get(m, "Iops"));
    json_decref(m);
    assert_int_equal(ncalls(h), 6);
    done(h);
    /* type_reads_as_service: false refuses them without asking */
    h = host_with("{\"type_reads_as_service\": false}");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"MultiAttachEnabled\": true}",
                 "UnsupportedOperation");
    expect_msg(h, "MultiAttachEnabled");
    assert_int_equal(ncalls(h), 0);
    done(h);
    assert_null(ec2gw_test_host_new(CINDER_SO, "{\"type_cache_ttl\": \"2h\"}"));
    assert_non_null(strstr(ec2gw_test_load_error(), "type_cache_ttl"));
}

/* QoS values Cinder keeps as text: garbage and values that could overflow are not limits. */
static void
test_bad_qos_values(void **s)
{
    ec2gw_test_host_t *h = thost();

    (void)s;
    ec2gw_test_expect(h, "GET", "volumev3", "/types?is_public=None", 200,
                      "{\"volume_types\": [{\"id\": \"t1\", \"name\": \"huge\", "
                      "\"is_public\": true, \"extra_specs\": {}, \"qos_specs_id\": \"q\"}]}");
    ec2gw_test_expect(h, "GET", "volumev3", "/qos-specs", 200,
                      "{\"qos_specs\": [{\"id\": \"q\", \"specs\": {\"total_iops_sec_per_gb\": "
                      "\"9223372036854775807\", \"total_bytes_sec\": \"12abc\"}}]}");
    expect_error(h, "CreateVolume", "{\"Size\": 16384, \"VolumeType\": \"huge\", \"Iops\": 1}",
                 "InvalidParameterValue");
    expect_msg(h, "sets no IOPS limit");
    expect_error(h, "CreateVolume", "{\"Size\": 1, \"VolumeType\": \"huge\", \"Throughput\": 1}",
                 "InvalidParameterValue");
    expect_msg(h, "sets no throughput limit");
    done(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iops_throughput_accepted),
        cmocka_unit_test(test_iops_throughput_refused),
        cmocka_unit_test(test_per_gb),
        cmocka_unit_test(test_encrypted_kms),
        cmocka_unit_test(test_multiattach),
        cmocka_unit_test(test_reads_fail_or_off),
        cmocka_unit_test(test_bad_qos_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
