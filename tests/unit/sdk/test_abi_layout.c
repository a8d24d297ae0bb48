/*
 * test_abi_layout.c - freezes the ABI 1.0 layout of every public struct of <ec2gw/plugin.h>
 * (c-style.md §5.3): an accidental reorder, removal or type change fails the build. Appending
 * members in a minor bump only changes the sizes of the growable structs (the descriptor, the
 * host table, the size-prefixed call and response): update those, never the offsets.
 * The frozen numbers are for LP64 targets (x86_64, aarch64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka.h relies on the headers above. */
#include <cmocka.h>

#include <ec2gw/plugin.h>

#define EC2GW_OFF(type, member, off) \
    _Static_assert(offsetof(type, member) == (off), #type "." #member " moved")
#define EC2GW_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")

#if UINTPTR_MAX == UINT64_MAX && SIZE_MAX == UINT64_MAX
EC2GW_SIZE(ec2gw_abi_hdr_t, 12);
EC2GW_OFF(ec2gw_abi_hdr_t, magic, 0);
EC2GW_OFF(ec2gw_abi_hdr_t, abi_major, 4);
EC2GW_OFF(ec2gw_abi_hdr_t, abi_minor, 6);
EC2GW_OFF(ec2gw_abi_hdr_t, size, 8);
EC2GW_SIZE(ec2gw_action_t, 24);
EC2GW_OFF(ec2gw_action_t, name, 0);
EC2GW_OFF(ec2gw_action_t, fn, 8);
EC2GW_OFF(ec2gw_action_t, flags, 16);
EC2GW_SIZE(ec2gw_strlist_t, 16);
EC2GW_OFF(ec2gw_strlist_t, n, 0);
EC2GW_OFF(ec2gw_strlist_t, v, 8);
EC2GW_SIZE(ec2gw_setting_t, 48);
EC2GW_OFF(ec2gw_setting_t, key, 0);
EC2GW_OFF(ec2gw_setting_t, type, 8);
EC2GW_OFF(ec2gw_setting_t, offset, 16);
EC2GW_OFF(ec2gw_setting_t, def, 24);
EC2GW_OFF(ec2gw_setting_t, flags, 32);
EC2GW_OFF(ec2gw_setting_t, help, 40);
EC2GW_SIZE(ec2gw_os_call_t, 64);
EC2GW_OFF(ec2gw_os_call_t, size, 0);
EC2GW_OFF(ec2gw_os_call_t, service, 8);
EC2GW_OFF(ec2gw_os_call_t, method, 16);
EC2GW_OFF(ec2gw_os_call_t, path, 24);
EC2GW_OFF(ec2gw_os_call_t, body, 32);
EC2GW_OFF(ec2gw_os_call_t, microversion, 40);
EC2GW_OFF(ec2gw_os_call_t, flags, 48);
EC2GW_OFF(ec2gw_os_call_t, timeout_ms, 52);
EC2GW_OFF(ec2gw_os_call_t, content_type, 56);
EC2GW_SIZE(ec2gw_os_resp_t, 72);
EC2GW_OFF(ec2gw_os_resp_t, size, 0);
EC2GW_OFF(ec2gw_os_resp_t, status, 8);
EC2GW_OFF(ec2gw_os_resp_t, error, 16);
EC2GW_OFF(ec2gw_os_resp_t, timed_out, 24);
EC2GW_OFF(ec2gw_os_resp_t, json, 32);
EC2GW_OFF(ec2gw_os_resp_t, body, 40);
EC2GW_OFF(ec2gw_os_resp_t, body_len, 48);
EC2GW_OFF(ec2gw_os_resp_t, os_request_id, 56);
EC2GW_OFF(ec2gw_os_resp_t, location, 64);
EC2GW_SIZE(ec2gw_identity_t, 40);
EC2GW_OFF(ec2gw_identity_t, access_key, 0);
EC2GW_OFF(ec2gw_identity_t, user_id, 8);
EC2GW_OFF(ec2gw_identity_t, project_id, 16);
EC2GW_OFF(ec2gw_identity_t, owner_id, 24);
EC2GW_OFF(ec2gw_identity_t, region, 32);
EC2GW_SIZE(ec2gw_service_t, 24);
EC2GW_OFF(ec2gw_service_t, type, 0);
EC2GW_OFF(ec2gw_service_t, api, 8);
EC2GW_OFF(ec2gw_service_t, microversion, 16);
EC2GW_SIZE(ec2gw_plugin_t, 152); /* 1.3: os_hooks appended */
EC2GW_OFF(ec2gw_plugin_t, hdr, 0);
EC2GW_OFF(ec2gw_plugin_t, name, 16);
EC2GW_OFF(ec2gw_plugin_t, version, 24);
EC2GW_OFF(ec2gw_plugin_t, description, 32);
EC2GW_OFF(ec2gw_plugin_t, service, 40);
EC2GW_OFF(ec2gw_plugin_t, uses, 64);
EC2GW_OFF(ec2gw_plugin_t, actions, 72);
EC2GW_OFF(ec2gw_plugin_t, settings, 80);
EC2GW_OFF(ec2gw_plugin_t, inst_size, 88);
EC2GW_OFF(ec2gw_plugin_t, load, 96);
EC2GW_OFF(ec2gw_plugin_t, create, 104);
EC2GW_OFF(ec2gw_plugin_t, start, 112);
EC2GW_OFF(ec2gw_plugin_t, stop, 120);
EC2GW_OFF(ec2gw_plugin_t, destroy, 128);
EC2GW_OFF(ec2gw_plugin_t, unload, 136);
EC2GW_SIZE(ec2gw_host_api_t, 456);
EC2GW_OFF(ec2gw_host_api_t, hdr, 0);
EC2GW_OFF(ec2gw_host_api_t, log, 16);
EC2GW_OFF(ec2gw_host_api_t, action, 24);
EC2GW_OFF(ec2gw_host_api_t, params, 32);
EC2GW_OFF(ec2gw_host_api_t, params_mut, 40);
EC2GW_OFF(ec2gw_host_api_t, identity, 48);
EC2GW_OFF(ec2gw_host_api_t, state, 56);
EC2GW_OFF(ec2gw_host_api_t, request_id, 64);
EC2GW_OFF(ec2gw_host_api_t, finish, 72);
EC2GW_OFF(ec2gw_host_api_t, fail, 80);
EC2GW_OFF(ec2gw_host_api_t, fail_from_os, 88);
EC2GW_OFF(ec2gw_host_api_t, palloc, 96);
EC2GW_OFF(ec2gw_host_api_t, pcalloc, 104);
EC2GW_OFF(ec2gw_host_api_t, pstrdup, 112);
EC2GW_OFF(ec2gw_host_api_t, psprintf, 120);
EC2GW_OFF(ec2gw_host_api_t, on_cleanup, 128);
EC2GW_OFF(ec2gw_host_api_t, own_json, 136);
EC2GW_OFF(ec2gw_host_api_t, os_call, 144);
EC2GW_OFF(ec2gw_host_api_t, os_fanout, 152);
EC2GW_OFF(ec2gw_host_api_t, os_endpoint, 160);
EC2GW_OFF(ec2gw_host_api_t, url_escape, 168);
EC2GW_OFF(ec2gw_host_api_t, id_to_ec2, 176);
EC2GW_OFF(ec2gw_host_api_t, id_to_os, 184);
EC2GW_OFF(ec2gw_host_api_t, item_get, 192);
EC2GW_OFF(ec2gw_host_api_t, item_put, 200);
EC2GW_OFF(ec2gw_host_api_t, item_delete, 208);
EC2GW_OFF(ec2gw_host_api_t, tags_get, 216);
EC2GW_OFF(ec2gw_host_api_t, tags_set, 224);
EC2GW_OFF(ec2gw_host_api_t, wildcard_match, 232);
EC2GW_OFF(ec2gw_host_api_t, filter, 240);
EC2GW_OFF(ec2gw_host_api_t, page, 248);
EC2GW_OFF(ec2gw_host_api_t, cfg_error, 256);
EC2GW_OFF(ec2gw_host_api_t, delegate, 264);
EC2GW_OFF(ec2gw_host_api_t, offload, 272);
/* 1.1 */
EC2GW_OFF(ec2gw_host_api_t, ids_to_ec2, 280);
EC2GW_OFF(ec2gw_host_api_t, items_get, 288);
EC2GW_OFF(ec2gw_host_api_t, after, 296);
EC2GW_OFF(ec2gw_host_api_t, os_transfer, 304);
/* 1.2 */
EC2GW_OFF(ec2gw_host_api_t, items_list, 312);
EC2GW_OFF(ec2gw_host_api_t, item_insert, 320);
EC2GW_OFF(ec2gw_host_api_t, new_id, 328);
/* 1.2: raw requests of the metadata listener */
EC2GW_OFF(ec2gw_host_api_t, http_method, 336);
EC2GW_OFF(ec2gw_host_api_t, http_path, 344);
EC2GW_OFF(ec2gw_host_api_t, http_header, 352);
EC2GW_OFF(ec2gw_host_api_t, reply_header, 360);
EC2GW_OFF(ec2gw_host_api_t, reply, 368);
EC2GW_OFF(ec2gw_host_api_t, act_as, 376);
EC2GW_OFF(ec2gw_host_api_t, hmac_hex, 384);
EC2GW_OFF(ec2gw_host_api_t, secure_equal, 392);
EC2GW_OFF(ec2gw_host_api_t, now_ms, 400);
EC2GW_OFF(ec2gw_host_api_t, metadata_conf, 408);
/* 1.4 */
EC2GW_OFF(ec2gw_host_api_t, os_invalidate, 416);
EC2GW_OFF(ec2gw_host_api_t, describe_staleness_ms, 424);
EC2GW_OFF(ec2gw_host_api_t, json_heap_begin, 432);
EC2GW_OFF(ec2gw_host_api_t, json_heap_end, 440);
/* 1.5 */
EC2GW_OFF(ec2gw_host_api_t, render_item, 448);
_Static_assert(EC2GW_PLUGIN_SIZE_V1_0 == 144, "the 1.0 descriptor size is frozen");
/* 1.3: a wrapper's OpenStack hooks, appended to the descriptor */
EC2GW_OFF(ec2gw_plugin_t, os_hooks, 144);
EC2GW_SIZE(ec2gw_os_hook_t, 48);
EC2GW_OFF(ec2gw_os_hook_t, on_request, 32);
EC2GW_OFF(ec2gw_os_hook_t, on_answer, 40);
EC2GW_OFF(ec2gw_os_hook_call_t, body, 48);
EC2GW_OFF(ec2gw_os_hook_call_t, headers, 56);
EC2GW_OFF(ec2gw_os_hook_call_t, flags, 64);
EC2GW_OFF(ec2gw_os_hook_answer_t, status, 16);
EC2GW_OFF(ec2gw_os_hook_answer_t, json, 32);
_Static_assert(EC2GW_HOST_SIZE_V1_0 == 280, "the 1.0 host table size is frozen");
#endif

static void
abi_constants(void **state)
{
    (void)state;
    assert_int_equal(EC2GW_ABI_MAJOR, 1);
    assert_int_equal(EC2GW_PLUGIN_MAGIC, 0x45433247u);
    /* Enum values are ABI too. */
    assert_int_equal(EC2GW_OK, 0);
    assert_int_equal(EC2GW_AGAIN, 1);
    assert_int_equal(EC2GW_E_FAIL, -1);
    assert_int_equal(EC2GW_E_EXISTS, -7);
    assert_int_equal(EC2GW_LOG_ERROR, 0);
    assert_int_equal(EC2GW_LOG_DEBUG, 4);
    assert_int_equal(EC2GW_SET_STR, 1);
    assert_int_equal(EC2GW_SET_STR_LIST, 5);
    assert_int_equal(EC2GW_ACT_DRYRUN, 4);
    assert_int_equal(EC2GW_CALL_RAW, 4);
    assert_int_equal(EC2GW_SET_REQUIRED, 1);
}

static void
init_macros(void **state)
{
    const ec2gw_abi_hdr_t hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t);
    const ec2gw_os_call_t c = EC2GW_OS_GET("compute", "/servers");
    const ec2gw_host_api_t host = { .hdr = EC2GW_ABI_HDR_INIT(ec2gw_host_api_t) };

    (void)state;
    assert_int_equal(hdr.magic, EC2GW_PLUGIN_MAGIC);
    assert_int_equal(hdr.abi_major, EC2GW_ABI_MAJOR);
    assert_int_equal(hdr.abi_minor, EC2GW_ABI_MINOR);
    assert_int_equal(hdr.size, sizeof(ec2gw_plugin_t));
    assert_true(hdr.size >= EC2GW_PLUGIN_SIZE_V1_0);
    assert_int_equal(c.size, sizeof(ec2gw_os_call_t));
    assert_string_equal(c.method, "GET");
    assert_null(c.body);
    assert_true(host.hdr.size >= EC2GW_HOST_SIZE_V1_0);
    /* Probing by size: a table that ends before a member does not have it. */
    assert_false(EC2GW_HOST_HAS(&host, offload)); /* in range, but NULL */
    /* A 1.2 descriptor ends before os_hooks: probing it must not read past its end. */
    {
        ec2gw_plugin_t d = { .hdr = EC2GW_ABI_HDR_INIT(ec2gw_plugin_t) };
        static const ec2gw_os_hook_t hooks[] = { { .action = NULL } };

        d.os_hooks = hooks;
        assert_true(EC2GW_PLUGIN_HAS(&d, os_hooks));
        d.hdr.size = EC2GW_PLUGIN_SIZE_V1_0;
        assert_false(EC2GW_PLUGIN_HAS(&d, os_hooks));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abi_constants),
        cmocka_unit_test(init_macros),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
