/*
 * sig_parse.c - find the credentials of a request (Authorization header, presigned query,
 * SigV2 parameters), parse the SigV4 forms and check their time (ec2-protocol.md §10.1-10.3,
 * §10.7). SigV2 parameters are parsed in sigv2.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sig_util.h"

#define V4_ALGORITHM   "AWS4-HMAC-SHA256"
#define V4_MAX_EXPIRES 604800
#define INCOMPLETE     "IncompleteSignature"

/* Copy @p n bytes into a fixed field; -1 when it does not fit or is empty. */
static int
copy_field(char *dst, size_t size, const char *src, size_t n)
{
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/*
 * Services whose signatures must not open EC2 (issue 11 #6). OpenStack's S3 (Swift s3api,
 * Ceph RGW) and RGW's STS/IAM/SNS take the same Keystone EC2 credentials, so a request signed
 * for them could be replayed here; AWS answers them "Credential should be scoped to correct
 * service". Any other service and any region stay accepted (ec2-protocol.md §10.4): boto 2
 * signs a bare IP as region "0", service "127", HTCondor uses host name parts. Perl's
 * AWS::Signature4 ("s3" for non-AWS hosts) is refused; VM::EC2 signs with SigV2 by default.
 */
static const char *const refused_services[] = {
    "s3", "s3-object-lambda", "sts", "iam", "sns", "sqs"
};

/* The service part of a checked scope "date/region/service/aws4_request" is refused. */
static int
scope_service_refused(const char *scope)
{
    const char *end = strrchr(scope, '/'), *svc = end;

    while (svc > scope && svc[-1] != '/')
        svc--;
    for (size_t i = 0; i < sizeof(refused_services) / sizeof(refused_services[0]); i++)
        if (strlen(refused_services[i]) == (size_t)(end - svc) &&
            strncasecmp(svc, refused_services[i], (size_t)(end - svc)) == 0)
            return 1;
    return 0;
}

/* "AKID/20240102/RegionOne/ec2/aws4_request" into access_key and scope. */
static int
parse_credential(const char *cred, size_t len, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    const char *slash = memchr(cred, '/', len);
    const char *scope = slash != NULL ? slash + 1 : NULL;
    size_t slen = scope != NULL ? len - (size_t)(scope - cred) : 0;
    const char *p = scope;
    int parts = 0;

    if (scope == NULL ||
        copy_field(out->access_key, sizeof(out->access_key), cred, (size_t)(slash - cred)) != 0 ||
        copy_field(out->scope, sizeof(out->scope), scope, slen) != 0)
        goto bad;
    /* date/region/service/aws4_request: four non-empty parts; any region and service. */
    while (p != NULL) {
        const char *next = strchr(p, '/');
        size_t n = next != NULL ? (size_t)(next - p) : strlen(p);

        if (n == 0)
            goto bad;
        parts++;
        p = next != NULL ? next + 1 : NULL;
    }
    if (parts != 4 || strlen(out->scope) < 9 || out->scope[8] != '/')
        goto bad;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)out->scope[i]))
            goto bad;
    if (strcmp(strrchr(out->scope, '/'), "/aws4_request") != 0)
        goto bad;
    if (scope_service_refused(out->scope))
        return ec2gw_fault_set(fault, "AuthFailure",
                               "Credential should be scoped to correct service: 'ec2' (scope "
                               "%.200s)",
                               out->scope);
    return 0;

bad:
    return ec2gw_fault_set(fault, INCOMPLETE,
                           "Invalid credential '%.*s': expected "
                           "<access key>/<YYYYMMDD>/<region>/<service>/aws4_request",
                           (int)(len > 300 ? 300 : len), cred);
}

/* Whether the ';'-separated @p list names @p name; -1 when it has an empty name. */
static int
list_has(const char *list, const char *name)
{
    size_t nlen = strlen(name);
    int found = 0;

    for (const char *p = list; p != NULL;) {
        const char *next = strchr(p, ';');
        size_t n = next != NULL ? (size_t)(next - p) : strlen(p);

        if (n == 0)
            return -1;
        found |= n == nlen && memcmp(p, name, n) == 0;
        p = next != NULL ? next + 1 : NULL;
    }
    return found;
}

/* SignedHeaders: lower-cased into out, non-empty names, must include host. */
static int
parse_signed_headers(const char *s, size_t len, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    int has_host;

    if (copy_field(out->signed_headers, sizeof(out->signed_headers), s, len) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "SignedHeaders is empty or too long");
    for (char *p = out->signed_headers; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    has_host = list_has(out->signed_headers, "host");
    if (has_host < 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "SignedHeaders contains an empty name");
    if (has_host == 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "'Host' must be a signed header (SignedHeaders)");
    return 0;
}

static int
set_component(const char *key, size_t klen, const char *val, size_t vlen, ec2gw_sig_t *out,
              unsigned *seen, ec2gw_fault_t *fault)
{
    static const char *const names[] = { "Credential", "SignedHeaders", "Signature" };
    unsigned i;

    for (i = 0; i < 3; i++)
        if (strlen(names[i]) == klen && memcmp(names[i], key, klen) == 0)
            break;
    if (i == 3)
        return ec2gw_fault_set(fault, INCOMPLETE, "Authorization header: unknown component '%.*s'",
                               (int)(klen > 64 ? 64 : klen), key);
    if (*seen & (1u << i))
        return ec2gw_fault_set(fault, INCOMPLETE, "Authorization header: %s given twice", names[i]);
    *seen |= 1u << i;
    if (i == 0)
        return parse_credential(val, vlen, out, fault);
    if (i == 1)
        return parse_signed_headers(val, vlen, out, fault);
    if (copy_field(out->signature, sizeof(out->signature), val, vlen) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "Authorization header: bad Signature length");
    return 0;
}

/*
 * "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...": components in any
 * order, separated by commas and/or whitespace (clients differ in the spaces).
 */
static int
parse_authorization(const char *auth, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    size_t alen = strlen(V4_ALGORITHM);
    const char *p = auth + alen;
    unsigned seen = 0;

    if (strncmp(auth, V4_ALGORITHM, alen) != 0 || (*p != ' ' && *p != '\t'))
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "Unsupported Authorization type: only " V4_ALGORITHM " is accepted");
    for (;;) {
        const char *key, *eq, *val;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        key = p;
        eq = strchr(key, '=');
        if (eq == NULL)
            return ec2gw_fault_set(fault, INCOMPLETE,
                                   "Authorization header: component without '='");
        val = eq + 1;
        p = val + strcspn(val, ", \t");
        if (set_component(key, (size_t)(eq - key), val, (size_t)(p - val), out, &seen, fault))
            return -1;
    }
    if (seen != 7)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "Authorization header requires the Credential, SignedHeaders and "
                               "Signature components; missing %s",
                               !(seen & 1)   ? "Credential"
                               : !(seen & 2) ? "SignedHeaders"
                                             : "Signature");
    return 0;
}

/* The request time against now: RequestExpired outside [t - skew, t + skew] (or t+expires). */
static int
check_time(const ec2gw_sig_input_t *in, time_t t, long expires, ec2gw_fault_t *fault)
{
    char req[32], now[32];
    long skew = in->max_skew_s;

    if (in->now >= t - skew && in->now <= t + (expires >= 0 ? expires : skew))
        return 0;
    ec2gw_sig_format_amz_date(t, req, sizeof(req));
    ec2gw_sig_format_amz_date(in->now, now, sizeof(now));
    if (expires >= 0 && in->now > t + expires)
        return ec2gw_fault_set(fault, "RequestExpired",
                               "Request has expired: signed at %s for %ld seconds, server time %s",
                               req, expires, now);
    if (expires < 0 && in->now > t + skew)
        return ec2gw_fault_set(fault, "RequestExpired",
                               "Request has expired: request time %s is more than %ld seconds "
                               "before the server time %s",
                               req, skew, now);
    if (in->now < t - skew)
        return ec2gw_fault_set(fault, "RequestExpired",
                               "Request is not yet valid: request time %s is more than %ld "
                               "seconds after the server time %s",
                               req, skew, now);
    return 0;
}

/* X-Amz-Date (or the Date header, when it is signed) into out->amz_date, then the checks. */
static int
v4_header_date(const ec2gw_sig_input_t *in, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    const char *d = ec2gw_kvlist_get_ci(in->headers, "X-Amz-Date");
    time_t t;

    if (d != NULL) {
        if (ec2gw_sig_parse_amz_date(d, &t) != 0)
            return ec2gw_fault_set(fault, INCOMPLETE,
                                   "X-Amz-Date must be in the form YYYYMMDD'T'HHMMSS'Z'");
    } else {
        d = ec2gw_kvlist_get_ci(in->headers, "Date");
        if (d == NULL || list_has(out->signed_headers, "date") != 1)
            return ec2gw_fault_set(fault, INCOMPLETE,
                                   "Authorization header requires existence of either an "
                                   "'X-Amz-Date' or a signed 'Date' header");
        if (ec2gw_sig_parse_http_date(d, &t) != 0)
            return ec2gw_fault_set(fault, INCOMPLETE, "Date header is not an RFC 1123 date");
    }
    /* The string to sign holds X-Amz-Date as sent (a Date header is converted to that form). */
    if (d == ec2gw_kvlist_get_ci(in->headers, "X-Amz-Date"))
        snprintf(out->amz_date, sizeof(out->amz_date), "%s", d);
    else
        ec2gw_sig_format_amz_date(t, out->amz_date, sizeof(out->amz_date));
    if (strncmp(out->scope, out->amz_date, 8) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "Credential scope date %.8s does not match the request date %.8s",
                               out->scope, out->amz_date);
    return check_time(in, t, -1, fault);
}

static int
parse_presigned(const ec2gw_sig_input_t *in, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    const char *alg = ec2gw_kvlist_get(in->query, "X-Amz-Algorithm");
    const char *cred = ec2gw_kvlist_get(in->query, "X-Amz-Credential");
    const char *date = ec2gw_kvlist_get(in->query, "X-Amz-Date");
    const char *exp = ec2gw_kvlist_get(in->query, "X-Amz-Expires");
    const char *sh = ec2gw_kvlist_get(in->query, "X-Amz-SignedHeaders");
    const char *sig = ec2gw_kvlist_get(in->query, "X-Amz-Signature");
    char *end = NULL;
    long expires;
    time_t t;

    out->kind = EC2GW_SIG_V4_QUERY;
    if (alg == NULL || cred == NULL || date == NULL || exp == NULL || sh == NULL)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "A presigned request requires X-Amz-Algorithm, X-Amz-Credential, "
                               "X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and "
                               "X-Amz-Signature");
    if (strcmp(alg, V4_ALGORITHM) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "X-Amz-Algorithm must be " V4_ALGORITHM);
    if (parse_credential(cred, strlen(cred), out, fault) != 0 ||
        parse_signed_headers(sh, strlen(sh), out, fault) != 0)
        return -1;
    if (copy_field(out->signature, sizeof(out->signature), sig, strlen(sig)) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE, "X-Amz-Signature has a bad length");
    expires = strtol(exp, &end, 10);
    if (*exp < '0' || *exp > '9' || *end != '\0' || expires < 1 || expires > V4_MAX_EXPIRES)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "X-Amz-Expires must be a number of seconds from 1 to %d",
                               V4_MAX_EXPIRES);
    if (ec2gw_sig_parse_amz_date(date, &t) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "X-Amz-Date must be in the form YYYYMMDD'T'HHMMSS'Z'");
    snprintf(out->amz_date, sizeof(out->amz_date), "%s", date);
    if (strncmp(out->scope, out->amz_date, 8) != 0)
        return ec2gw_fault_set(fault, INCOMPLETE,
                               "Credential scope date %.8s does not match X-Amz-Date %.8s",
                               out->scope, out->amz_date);
    /* A presigned URL signs no payload (UNSIGNED-PAYLOAD), so parameters in a body would be
     * unsigned (issue 11 #5): refused, whichever hash the client claims; the URL must carry
     * them all, as botocore's presigned URLs do. */
    if (in->body_len > 0 || (in->form != NULL && in->form->n > 0))
        return ec2gw_fault_set(fault, "AuthFailure",
                               "A presigned request must not have a body: its payload is not "
                               "signed; put every parameter in the URL");
    return check_time(in, t, expires, fault);
}

static int
nonempty(const char *v)
{
    return v != NULL && v[0] != '\0';
}

/* Keystone's EC2 credentials have no session tokens (no STS here): reject them. An empty one
 * is none: Net::Amazon::EC2's SigV2 sends SecurityToken= when it found no instance role. */
static int
has_session_token(const ec2gw_sig_input_t *in)
{
    return nonempty(ec2gw_kvlist_get_ci(in->headers, "X-Amz-Security-Token")) ||
           nonempty(ec2gw_sig_param(in, "X-Amz-Security-Token")) ||
           nonempty(ec2gw_sig_param(in, "SecurityToken"));
}

int
ec2gw_sig_parse(const ec2gw_sig_input_t *in, ec2gw_sig_t *out, ec2gw_fault_t *fault)
{
    const char *auth = ec2gw_kvlist_get_ci(in->headers, "Authorization");
    int presigned = in->query != NULL && ec2gw_kvlist_get(in->query, "X-Amz-Signature") != NULL;

    memset(out, 0, sizeof(*out));
    /* Another scheme's Authorization (a proxy's Basic) does not hide query credentials. */
    if (auth != NULL && strncmp(auth, "AWS4-", 5) != 0 &&
        (presigned || ec2gw_sig_param(in, "Signature") != NULL))
        auth = NULL;
    if (auth == NULL && !presigned && ec2gw_sig_param(in, "Signature") == NULL)
        return ec2gw_fault_set(fault, "MissingAuthenticationToken",
                               "Request is missing Authentication Token");
    if (has_session_token(in))
        return ec2gw_fault_set(fault, "AuthFailure",
                               "Session tokens (X-Amz-Security-Token, SecurityToken) are not "
                               "supported; use the EC2 credentials of a Keystone user");
    if (auth != NULL) {
        out->kind = EC2GW_SIG_V4_HEADER;
        if (parse_authorization(auth, out, fault) != 0)
            return -1;
        return v4_header_date(in, out, fault);
    }
    if (presigned)
        return parse_presigned(in, out, fault);
    return ec2gw_sig_v2_parse(in, out, fault);
}

int
ec2gw_sig_verify(const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in, const char *secret,
                 ec2gw_fault_t *fault)
{
    if (sig->kind == EC2GW_SIG_V2)
        return ec2gw_sig_v2_verify(sig, in, secret, fault);
    if (sig->kind == EC2GW_SIG_V4_HEADER || sig->kind == EC2GW_SIG_V4_QUERY)
        return ec2gw_sig_v4_verify(sig, in, secret, fault);
    return ec2gw_fault_set(fault, "AuthFailure", "No parsed signature to verify");
}
