/* sig_query.c - canonical query strings for SigV4 and SigV2. */
#include <stdlib.h>
#include <string.h>

#include "sig_util.h"

typedef struct qpair {
    const char *name;  /**< decoded, borrowed from the kvlist */
    const char *value; /**< decoded, borrowed */
    size_t ename;      /**< offset of the encoded name in the scratch buffer */
    size_t evalue;     /**< offset of the encoded value */
    const char *scratch;
} qpair_t;

static int
cmp_encoded(const void *a, const void *b)
{
    const qpair_t *x = a, *y = b;
    int c = strcmp(x->scratch + x->ename, y->scratch + y->ename);

    return c != 0 ? c : strcmp(x->scratch + x->evalue, y->scratch + y->evalue);
}

static int
cmp_raw(const void *a, const void *b)
{
    const qpair_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : strcmp(x->value, y->value);
}

static size_t
collect(qpair_t *pairs, size_t n, const ec2gw_kvlist_t *l, const char *skip)
{
    for (size_t i = 0; l != NULL && i < l->n; i++) {
        if (skip != NULL && strcmp(l->v[i].name, skip) == 0)
            continue;
        pairs[n].name = l->v[i].name;
        pairs[n].value = l->v[i].value;
        n++;
    }
    return n;
}

int
ec2gw_sig_canonical_query(ec2gw_sig_buf_t *out, const ec2gw_kvlist_t *a, const ec2gw_kvlist_t *b,
                          const char *skip, enum ec2gw_sig_qsort order)
{
    size_t total = (a != NULL ? a->n : 0) + (b != NULL ? b->n : 0);
    ec2gw_sig_buf_t scratch = { 0 };
    qpair_t *pairs;
    size_t n;

    if (total == 0)
        return out->oom ? -1 : 0;
    pairs = calloc(total, sizeof(*pairs));
    if (pairs == NULL)
        return -1;
    n = collect(pairs, 0, a, skip);
    n = collect(pairs, n, b, skip);
    /* Encode everything into one scratch buffer (offsets survive its reallocation). */
    for (size_t i = 0; i < n; i++) {
        pairs[i].ename = scratch.len;
        ec2gw_sig_uri_encode(&scratch, pairs[i].name, strlen(pairs[i].name), 0);
        ec2gw_sig_buf_addc(&scratch, '\0');
        pairs[i].evalue = scratch.len;
        ec2gw_sig_uri_encode(&scratch, pairs[i].value, strlen(pairs[i].value), 0);
        ec2gw_sig_buf_addc(&scratch, '\0');
    }
    if (scratch.oom) {
        free(pairs);
        ec2gw_sig_buf_free(&scratch);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        pairs[i].scratch = scratch.p;
    qsort(pairs, n, sizeof(*pairs), order == EC2GW_SIG_SORT_RAW ? cmp_raw : cmp_encoded);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ec2gw_sig_buf_addc(out, '&');
        ec2gw_sig_buf_adds(out, scratch.p + pairs[i].ename);
        ec2gw_sig_buf_addc(out, '=');
        ec2gw_sig_buf_adds(out, scratch.p + pairs[i].evalue);
    }
    free(pairs);
    ec2gw_sig_buf_free(&scratch);
    return out->oom ? -1 : 0;
}
