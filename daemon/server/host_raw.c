/*
 * host_raw.c - host functions (ABI 1.2) for raw requests of the metadata listener: the
 * request line and headers, the answer, the identity a verified instance lends, and the
 * crypto a metadata plugin needs without seeing any key (HMAC-SHA256, constant-time compare).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/sig_util.h"
#include "server/request.h"

const char *ec2gw_host_http_method(ec2gw_req_t *r);
const char *ec2gw_host_http_path(ec2gw_req_t *r);
const char *ec2gw_host_http_header(ec2gw_req_t *r, const char *name, size_t *count);
int ec2gw_host_reply_header(ec2gw_req_t *r, const char *name, const char *value);
int ec2gw_host_reply(ec2gw_req_t *r, int status, const char *ctype, const void *body, size_t len);
int ec2gw_host_act_as(ec2gw_req_t *r, const char *project_id, const char *user_id);
int ec2gw_host_hmac_hex(ec2gw_req_t *r, int key, const void *msg, size_t len, char out[65]);
int ec2gw_host_secure_equal(const char *a, const char *b);
int64_t ec2gw_host_now_ms(ec2gw_req_t *r);
const ec2gw_metadata_conf_t *ec2gw_host_metadata_conf(ec2gw_req_t *r);

const char *
ec2gw_host_http_method(ec2gw_req_t *r)
{
    return r->raw ? r->method : NULL;
}

const char *
ec2gw_host_http_path(ec2gw_req_t *r)
{
    return r->raw ? r->path : NULL;
}

const char *
ec2gw_host_http_header(ec2gw_req_t *r, const char *name, size_t *count)
{
    const char *first = NULL;
    size_t n = 0;

    for (size_t i = 0; r->raw && i < r->headers.n; i++) {
        if (strcasecmp(r->headers.v[i].name, name) == 0) {
            if (first == NULL)
                first = r->headers.v[i].value;
            n++;
        }
    }
    if (count != NULL)
        *count = n;
    return first;
}

int
ec2gw_host_reply_header(ec2gw_req_t *r, const char *name, const char *value)
{
    if (!r->raw || r->answered)
        return EC2GW_E_STATE;
    if (r->http == NULL)
        return 0;
    /* evhttp refuses CR and LF in either, so no header can be smuggled in. */
    return evhttp_add_header(evhttp_request_get_output_headers(r->http), name, value) == 0
               ? 0
               : EC2GW_E_INVAL;
}

int
ec2gw_host_reply(ec2gw_req_t *r, int status, const char *ctype, const void *body, size_t len)
{
    if (!r->raw || r->answered)
        return EC2GW_E_STATE;
    if (status < 100 || status > 599)
        status = 500;
    ec2gw_raw_reply(r, status, ctype, body, len);
    return 0;
}

int
ec2gw_host_act_as(ec2gw_req_t *r, const char *project_id, const char *user_id)
{
    if (!r->raw || project_id == NULL || project_id[0] == '\0')
        return r->raw ? EC2GW_E_INVAL : EC2GW_E_STATE;
    r->identity.project_id = ec2gw_pstrdup(r->pool, project_id);
    r->identity.owner_id = r->identity.project_id;
    r->identity.user_id = user_id ? ec2gw_pstrdup(r->pool, user_id) : NULL;
    snprintf(r->log_prefix, sizeof(r->log_prefix), "req=%s metadata project=%.64s", r->id,
             project_id);
    return 0;
}

int
ec2gw_host_hmac_hex(ec2gw_req_t *r, int key, const void *msg, size_t len, char out[65])
{
    const void *k = NULL;
    size_t klen = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    out[0] = '\0';
    if (key == EC2GW_KEY_METADATA_PROXY && r->gen->conf.md_secret != NULL) {
        k = r->gen->conf.md_secret;
        klen = strlen(r->gen->conf.md_secret);
    } else if (key == EC2GW_KEY_LOCAL && r->gen->conf.md_enabled) {
        k = r->d->md_local_key;
        klen = sizeof(r->d->md_local_key);
    }
    if (k == NULL || klen == 0)
        return EC2GW_E_NOTFOUND;
    if (HMAC(ec2gw_sig_md(0), k, (int)klen, msg, len, md, &mdlen) == NULL || mdlen != 32)
        return EC2GW_E_FAIL;
    ec2gw_sig_hex(md, mdlen, out);
    return 0;
}

int
ec2gw_host_secure_equal(const char *a, const char *b)
{
    size_t n;

    if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
        return 0;
    return CRYPTO_memcmp(a, b, n) == 0;
}

int64_t
ec2gw_host_now_ms(ec2gw_req_t *r)
{
    struct timeval tv;

    (void)r;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

const ec2gw_metadata_conf_t *
ec2gw_host_metadata_conf(ec2gw_req_t *r)
{
    return &r->gen->conf.md;
}
