/*
 * sig_keystone.c - the body of POST /v3/ec2tokens (ec2-protocol.md §11.1), shaped for
 * keystoneclient's Ec2Signer (keystoneclient/contrib/ec2/utils.py), which Keystone runs:
 *
 * - V2 is detected from params["SignatureVersion"], V4 from headers["Authorization"] or
 *   params["X-Amz-Algorithm"]; both lookups are case-sensitive, so the header names
 *   Authorization and X-Amz-Date are sent in that spelling whatever the client used.
 * - Its V4 canonical query is built from every member of params (and is empty for POST), so a
 *   presigned request's params leave out X-Amz-Signature, as AWS's canonical query does.
 * - It reads the Authorization components with partition("Credential=")...split(","), so the
 *   header is rewritten in botocore's canonical "A=.., B=.., C=.." spelling.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sig_util.h"

/* Add the pairs of @p l to @p obj, first occurrence wins, leaving out @p skip. */
static void
add_params(json_t *obj, const ec2gw_kvlist_t *l, const char *skip)
{
    for (size_t i = 0; l != NULL && i < l->n; i++) {
        if (skip != NULL && strcmp(l->v[i].name, skip) == 0)
            continue;
        if (json_object_get(obj, l->v[i].name) == NULL)
            json_object_set_new(obj, l->v[i].name, json_string(l->v[i].value));
    }
}

static json_t *
make_params(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in)
{
    json_t *params = json_object();

    if (params == NULL)
        return NULL;
    if (sig->kind == EC2GW_SIG_V2) {
        add_params(params, in->query, "Signature");
        add_params(params, in->form, "Signature");
    } else if (sig->kind == EC2GW_SIG_V4_QUERY) {
        add_params(params, in->query, "X-Amz-Signature");
    } else if (strcmp(in->method, "POST") != 0) {
        add_params(params, in->query, NULL);
    }
    return params;
}

/* The spelling Keystone looks up for the names it reads itself; others as received. */
static const char *
header_name(const char *name)
{
    static const char *const fixed[] = { "Authorization", "X-Amz-Date", "Host" };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strcasecmp(name, fixed[i]) == 0)
            return fixed[i];
    return name;
}

/* All headers, repeated ones joined with ',' (trimmed, as in the canonical request). */
static json_t *
make_headers(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in)
{
    json_t *h = json_object();

    if (h == NULL)
        return NULL;
    for (size_t i = 0; in->headers != NULL && i < in->headers->n; i++) {
        const char *name = header_name(in->headers->v[i].name);
        ec2gw_sig_buf_t v = { 0 };

        if (json_object_get(h, name) != NULL)
            continue;
        ec2gw_sig_header_values(&v, in->headers, name);
        json_object_set_new(h, name, json_string(ec2gw_sig_buf_str(&v)));
        ec2gw_sig_buf_free(&v);
    }
    if (sig->kind == EC2GW_SIG_V4_HEADER) {
        char auth[sizeof(sig->access_key) + sizeof(sig->scope) + sizeof(sig->signed_headers) +
                  sizeof(sig->signature) + 64];

        snprintf(auth, sizeof(auth),
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 sig->access_key, sig->scope, sig->signed_headers, sig->signature);
        json_object_set_new(h, "Authorization", json_string(auth));
        /* Only X-Amz-Date is read; a request dated by a signed Date header gets one. */
        if (json_object_get(h, "X-Amz-Date") == NULL)
            json_object_set_new(h, "X-Amz-Date", json_string(sig->amz_date));
    }
    return h;
}

json_t *
ec2gw_sig_keystone_body(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in)
{
    const char *host = ec2gw_kvlist_get_ci(in->headers, "Host");
    json_t *params = make_params(sig, in), *headers = make_headers(sig, in);
    char body_hash[65], signature[sizeof(sig->signature)];

    if (params == NULL || headers == NULL) {
        json_decref(params);
        json_decref(headers);
        return NULL;
    }
    ec2gw_sig_sha256_hex(in->body != NULL ? (const void *)in->body : "", in->body_len, body_hash);
    /* A V2 signature sent with an unencoded '+' in a query arrives as ' ' (see sigv2.c). */
    snprintf(signature, sizeof(signature), "%s", sig->signature);
    for (char *p = signature; sig->kind == EC2GW_SIG_V2 && *p != '\0'; p++)
        if (*p == ' ')
            *p = '+';
    /* "o" steals params and headers, on failure too. */
    return json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s}}", "credentials", "access",
                     sig->access_key, "signature", signature, "host", host != NULL ? host : "",
                     "verb", in->method, "path", in->path, "params", params, "headers", headers,
                     "body_hash", body_hash);
}

/*
 * Net::Amazon::EC2 signs SigV4 over the host without the port its HTTP library sends in Host.
 * We accept that (§10.5), but Keystone's V4 signer reads the Host header as given and refuses
 * it: when the signature covers the host only without its port, send Keystone that host.
 */
json_t *
ec2gw_sig_keystone_body_for(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret)
{
    const char *host = ec2gw_kvlist_get_ci(in->headers, "Host");
    ec2gw_sig_input_t alt = *in;
    ec2gw_kvlist_t headers = { 0 };
    char stripped[256];
    ec2gw_fault_t f;
    json_t *body = NULL;
    int oom = 0;

    if (secret == NULL || host == NULL ||
        !ec2gw_sig_host_strip_port(host, stripped, sizeof(stripped)))
        return ec2gw_sig_keystone_body(sig, in);
    for (size_t i = 0; i < in->headers->n && !oom; i++) {
        const ec2gw_kv_t *kv = &in->headers->v[i];

        oom = ec2gw_kvlist_add(&headers, kv->name,
                               strcasecmp(kv->name, "Host") == 0 ? stripped : kv->value) != 0;
    }
    alt.headers = &headers;
    if (!oom && ec2gw_sig_verify(sig, &alt, secret, &f) == 0)
        body = ec2gw_sig_keystone_body(sig, &alt);
    ec2gw_kvlist_free(&headers);
    return body != NULL ? body : ec2gw_sig_keystone_body(sig, in);
}
