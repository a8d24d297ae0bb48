/*
 * ec2tokens_probe.c - ask Keystone's /v3/ec2tokens about a request signed as botocore signs
 * it, with the daemon's own signature code (ec2gw_sig_parse, ec2gw_sig_keystone_body): what
 * check learns is what ec2gwd will see.
 */
#include <string.h>
#include <time.h>

#include "auth/sig_util.h"
#include "auth/signature.h"
#include "manage/manage.h"

#define PROBE_CT   "application/x-www-form-urlencoded; charset=utf-8"
#define PROBE_BODY "Action=DescribeRegions&Version=2016-11-15"

int
ec2gw_manage_ec2tokens_probe(const ec2gw_ks_session_t *s, const char *access, const char *secret,
                             long *status, ec2gw_err_t *err)
{
    ec2gw_kvlist_t form = { 0 }, headers = { 0 }, query = { 0 };
    ec2gw_sig_input_t in = { .method = "POST",
                             .path = "/",
                             .query = &query,
                             .form = &form,
                             .headers = &headers,
                             .body = (const unsigned char *)PROBE_BODY,
                             .body_len = strlen(PROBE_BODY),
                             .now = time(NULL),
                             .max_skew_s = 900 };
    char date[32], auth[1024];
    ec2gw_fault_t f = { 0 };
    ec2gw_sig_t sig;
    ec2gw_ks_resp_t r = { 0 };
    json_t *body = NULL;
    int rc = 0;

    *status = 0;
    ec2gw_sig_format_amz_date(in.now, date, sizeof(date));
    if (ec2gw_sigv4_sign(access, secret, "RegionOne", "ec2", "POST", "ec2gw-manage.invalid", "/",
                         PROBE_CT, in.body, in.body_len, date, auth, sizeof(auth)) != 0 ||
        ec2gw_kvlist_parse_form(&form, PROBE_BODY, strlen(PROBE_BODY)) != 0 ||
        ec2gw_kvlist_add(&headers, "Host", "ec2gw-manage.invalid") != 0 ||
        ec2gw_kvlist_add(&headers, "Content-Type", PROBE_CT) != 0 ||
        ec2gw_kvlist_add(&headers, "X-Amz-Date", date) != 0 ||
        ec2gw_kvlist_add(&headers, "Authorization", auth) != 0) {
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "signing the probe failed");
        goto out;
    }
    if (ec2gw_sig_parse(&in, &sig, &f) != 0 || ec2gw_sig_verify(&sig, &in, secret, &f) != 0) {
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "the probe's own signature: %s", f.message);
        goto out;
    }
    if ((body = ec2gw_sig_keystone_body(&sig, &in)) == NULL) {
        rc = ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
        goto out;
    }
    if (ec2gw_ks_call(s, "POST", "/ec2tokens", body, &r) != 0)
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "no answer: %s", r.error);
    *status = r.status;
out:
    ec2gw_ks_resp_free(&r);
    json_decref(body);
    ec2gw_kvlist_free(&form);
    ec2gw_kvlist_free(&headers);
    return rc;
}
