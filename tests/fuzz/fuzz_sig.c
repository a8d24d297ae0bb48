/*
 * fuzz_sig.c - SigV4 (header and presigned) and SigV2 parsing, canonicalisation and
 * verification, and the /v3/ec2tokens body. The input is an HTTP request in a simple text
 * form (seed corpus: the unit test vectors, real botocore/awscli/boto2/JS/Perl requests):
 *   METHOD SP PATH[?QUERY] LF (Name: value LF)* LF BODY
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/signature.h"
#include "core/kv.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define NOW    1704164645 /* the vectors' server time */

/* The next line of [*p, end) (without LF) into a new string; NULL at the end. */
static char *
next_line(const char **p, const char *end)
{
    const char *lf;
    char *s;

    if (*p >= end)
        return NULL;
    lf = memchr(*p, '\n', (size_t)(end - *p));
    if (lf == NULL)
        lf = end;
    s = strndup(*p, (size_t)(lf - *p));
    *p = lf < end ? lf + 1 : end;
    return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    ec2gw_kvlist_t query = { 0 }, form = { 0 }, headers = { 0 };
    char *first = next_line(&p, end), *line, *path = NULL, *raw_query = NULL, *sp, *body;
    size_t body_len;
    ec2gw_sig_input_t in = { 0 };
    ec2gw_fault_t fault = { 0 };
    ec2gw_sig_t sig;
    const char *ct;

    if (first == NULL || (sp = strchr(first, ' ')) == NULL)
        goto done;
    *sp = '\0';
    path = sp + 1;
    if ((raw_query = strchr(path, '?')) != NULL)
        *raw_query++ = '\0';
    while ((line = next_line(&p, end)) != NULL) {
        char *colon = strchr(line, ':');

        if (*line == '\0' || colon == NULL) {
            free(line);
            break;
        }
        *colon = '\0';
        colon++;
        colon += strspn(colon, " ");
        ec2gw_kvlist_add(&headers, line, colon);
        free(line);
    }
    body_len = (size_t)(end - p);
    body = malloc(body_len + 1); /* raw bytes: NULs included, as the daemon keeps them */
    if (body == NULL)
        goto done;
    memcpy(body, p, body_len);
    body[body_len] = '\0';
    if (raw_query != NULL && ec2gw_kvlist_parse_form(&query, raw_query, strlen(raw_query)) != 0)
        goto free_body;
    ct = ec2gw_kvlist_get_ci(&headers, "Content-Type");
    if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
        ec2gw_kvlist_parse_form(&form, body, body_len) != 0)
        goto free_body;
    in = (ec2gw_sig_input_t){ .method = first,
                              .path = path,
                              .raw_query = raw_query,
                              .query = &query,
                              .form = form.n > 0 ? &form : NULL,
                              .headers = &headers,
                              .body = (const unsigned char *)body,
                              .body_len = body_len,
                              .now = NOW,
                              .max_skew_s = 900,
                              .source = "127.0.0.1:1" };
    if (ec2gw_sig_parse(&in, &sig, &fault) == 0) {
        json_t *ks = ec2gw_sig_keystone_body(&sig, &in);

        (void)ec2gw_sig_verify(&sig, &in, SECRET, &fault);
        free(json_dumps(ks, JSON_COMPACT));
        json_decref(ks);
    }
free_body:
    free(body);
done:
    free(first);
    ec2gw_kvlist_free(&query);
    ec2gw_kvlist_free(&form);
    ec2gw_kvlist_free(&headers);
    return 0;
}
