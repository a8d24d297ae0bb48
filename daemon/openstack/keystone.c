/*
 * keystone.c - service token, EC2 credential cache and /v3/ec2tokens.
 *
 * Cold path of an access key: (service token) → GET /v3/credentials/<sha256(access)> → local
 * signature check → POST /v3/ec2tokens → cached. Warm path: local check, cached token.
 * If the service user may not read credentials (403), every request is verified by Keystone
 * through ec2tokens instead: slower, still correct.
 */
#include "keystone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "ops/metrics.h"

#define N_BUCKETS 512

/*
 * A stranger must not drive Keystone's load (issue 11 #7). An access key Keystone does not
 * know is remembered for NEG_TTL_S (a credential created meanwhile works after that), at most
 * NEG_MAX of them. Each source address may have at most SRC_BURST lookups of keys not known
 * to exist under way or failed recently, one more every SRC_REFILL_S seconds; a lookup that
 * finds its key gives its charge back, so clients with valid keys are never limited.
 */
#define NEG_TTL_S    15
#define NEG_MAX      4096
#define SRC_SLOTS    1024
#define SRC_BURST    20
#define SRC_REFILL_S 10

struct cred_entry {
    struct cred_entry *next;
    char *access;
    char *secret; /* NULL until read (or when the credentials API is not allowed) */
    char *user_id, *project_id;
    time_t secret_at;
    time_t unknown_until; /* Keystone said the key does not exist: refused until then */
    char *token;
    char *roles_digest; /* of the token's roles: shared reads are scoped by it */
    time_t token_expires;
    json_t *catalog;
    ec2gw_auth_job_t *leader;  /* the one job asking Keystone about this key right now */
    ec2gw_auth_job_t *waiters; /* jobs for the same key waiting for the leader's answer */
};

enum job_kind { JOB_AUTH, JOB_SERVICE };
enum job_step { STEP_NONE, STEP_WAIT_SERVICE, STEP_WAIT_LEADER, STEP_CREDENTIAL, STEP_EC2TOKENS };

struct ec2gw_auth_job {
    ec2gw_keystone_t *ks;
    enum job_kind kind;
    enum job_step step;
    const ec2gw_sig_t *sig;
    const ec2gw_sig_input_t *in;
    ec2gw_auth_done_fn done;
    ec2gw_service_token_fn svc_done;
    void *arg;
    ec2gw_http_call_t *call;
    struct ec2gw_auth_job *next_waiter; /* in the service-token queue */
    struct ec2gw_auth_job *next_peer;   /* in an entry's waiters, or the orphan list */
    char access[129];                   /* copy: sig is the request's, gone with an orphan */
    int is_leader;
    int orphan;      /* its request went away; it finishes only to answer its waiters */
    int charged;     /* took a lookup from its source's budget (given back on success) */
    char source[64]; /* the client address without the port */
};

/* The lookup budget of one source address (direct-mapped: a colliding address takes over). */
struct src_slot {
    char addr[64];
    double tokens;
    time_t at;
};

struct ec2gw_keystone {
    ec2gw_http_t *http;
    const ec2gw_keystone_conf_t *conf;
    int max_skew_s;
    struct cred_entry *buckets[N_BUCKETS];
    char *svc_token;
    time_t svc_expires;
    json_t *svc_catalog;
    ec2gw_http_call_t *svc_call;
    ec2gw_auth_job_t *svc_waiters;
    int no_credential_api;
    ec2gw_auth_job_t *orphans;
    time_t last_answer, last_failure;
    ec2gw_http_call_t *probe_call; /* /healthz's re-check of a failing Keystone */
    time_t probe_started;
    size_t n_negative;
    struct src_slot sources[SRC_SLOTS];
};

static void job_continue(ec2gw_auth_job_t *job);

/* ---------------------------------------------------------------- helpers */

static unsigned
fnv1a(const char *s)
{
    unsigned h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static unsigned
bucket_of(const char *s)
{
    return fnv1a(s) % N_BUCKETS;
}

static struct cred_entry *
entry_find(ec2gw_keystone_t *ks, const char *access, int create)
{
    unsigned b = bucket_of(access);

    for (struct cred_entry *e = ks->buckets[b]; e != NULL; e = e->next)
        if (strcmp(e->access, access) == 0)
            return e;
    if (!create)
        return NULL;
    struct cred_entry *e = calloc(1, sizeof(*e));

    if (e == NULL || (e->access = strdup(access)) == NULL) {
        free(e);
        return NULL;
    }
    e->next = ks->buckets[b];
    ks->buckets[b] = e;
    return e;
}

static void
entry_free(struct cred_entry *e)
{
    free(e->access);
    free(e->secret);
    free(e->user_id);
    free(e->project_id);
    free(e->token);
    free(e->roles_digest);
    json_decref(e->catalog);
    free(e);
}

static void
set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v != NULL ? strdup(v) : NULL;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hex SHA-256 of the token's role names, sorted and NUL-separated: two tokens of a project
 * share OpenStack reads only when their roles (so what OpenStack shows them) are the same. */
static void
roles_digest(char **slot, const json_t *roles)
{
    size_t n = json_array_size(roles);
    const char **names = calloc(n + 1, sizeof(*names));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];

    set_str(slot, NULL);
    if (names != NULL && ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
        for (size_t i = 0; i < n; i++) {
            const char *name = json_string_value(json_object_get(json_array_get(roles, i), "name"));

            names[i] = name != NULL ? name : "";
        }
        qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++)
            EVP_DigestUpdate(ctx, names[i], strlen(names[i]) + 1);
        if (EVP_DigestFinal_ex(ctx, md, &len) == 1) {
            for (unsigned int i = 0; i < len; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
            set_str(slot, hex);
        }
    }
    EVP_MD_CTX_free(ctx);
    free(names);
}

static void
entry_drop(ec2gw_keystone_t *ks, const char *access)
{
    struct cred_entry **pp = &ks->buckets[bucket_of(access)];

    for (; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->access, access) == 0) {
            struct cred_entry *e = *pp;

            if (e->unknown_until != 0) {
                e->unknown_until = 0;
                ks->n_negative--;
            }

            if (e->leader != NULL || e->waiters != NULL) {
                /* Jobs still point at it: forget what it knew, free it later. */
                set_str(&e->secret, NULL);
                set_str(&e->token, NULL);
                return;
            }
            *pp = e->next;
            entry_free(e);
            return;
        }
    }
}

/* ---------------------------------------------------------------- strangers */

/* Forget every negative entry that has expired (when the table is full). */
static void
negative_sweep(ec2gw_keystone_t *ks, time_t now)
{
    for (int b = 0; b < N_BUCKETS; b++) {
        for (struct cred_entry **pp = &ks->buckets[b]; *pp != NULL;) {
            struct cred_entry *e = *pp;

            if (e->unknown_until != 0 && e->unknown_until <= now && e->leader == NULL &&
                e->waiters == NULL) {
                *pp = e->next;
                entry_free(e);
                ks->n_negative--;
                continue;
            }
            pp = &e->next;
        }
    }
}

/* Keystone does not know @p access: remember that for a while (bounded), else forget it. */
static void
negative_add(ec2gw_keystone_t *ks, const char *access)
{
    struct cred_entry *e = entry_find(ks, access, 0);
    time_t now = time(NULL);

    if (e == NULL)
        return;
    if (e->unknown_until == 0 && ks->n_negative >= NEG_MAX)
        negative_sweep(ks, now);
    if (e->unknown_until == 0 && ks->n_negative >= NEG_MAX) {
        entry_drop(ks, access);
        return;
    }
    if (e->unknown_until == 0)
        ks->n_negative++;
    e->unknown_until = now + NEG_TTL_S;
    set_str(&e->secret, NULL);
    set_str(&e->token, NULL);
    set_str(&e->project_id, NULL);
    set_str(&e->user_id, NULL);
}

/* 1 while @p e is a remembered unknown key; an expired mark is cleared. */
static int
negative_live(ec2gw_keystone_t *ks, struct cred_entry *e)
{
    if (e == NULL || e->unknown_until == 0)
        return 0;
    if (e->unknown_until > time(NULL))
        return 1;
    e->unknown_until = 0;
    ks->n_negative--;
    return 0;
}

static struct src_slot *
source_slot(ec2gw_keystone_t *ks, const char *addr)
{
    struct src_slot *s = &ks->sources[fnv1a(addr) % SRC_SLOTS];
    time_t now = time(NULL);

    if (strcmp(s->addr, addr) != 0) {
        snprintf(s->addr, sizeof(s->addr), "%s", addr);
        s->tokens = SRC_BURST;
        s->at = now;
    }
    if (now > s->at) {
        s->tokens += (double)(now - s->at) / SRC_REFILL_S;
        if (s->tokens > SRC_BURST)
            s->tokens = SRC_BURST;
        s->at = now;
    }
    return s;
}

/* Take one lookup from the job's source; -1 (RequestLimitExceeded) when it has none left. */
static int
source_charge(ec2gw_auth_job_t *job, ec2gw_fault_t *fault)
{
    struct src_slot *s;

    if (job->source[0] == '\0')
        return 0;
    s = source_slot(job->ks, job->source);
    if (s->tokens < 1)
        return ec2gw_fault_set(fault, "RequestLimitExceeded",
                               "Too many requests with unknown access keys from this address; "
                               "retry later");
    s->tokens -= 1;
    job->charged = 1;
    return 0;
}

/* A lookup found its key: its source gets the charge back. */
static void
source_refund(ec2gw_auth_job_t *job)
{
    struct src_slot *s;

    if (!job->charged)
        return;
    job->charged = 0;
    s = source_slot(job->ks, job->source);
    if (s->tokens + 1 <= SRC_BURST)
        s->tokens += 1;
}

/* "1.2.3.4:5678" or "[::1]:5678" → the address alone (the port changes per connection). */
static void
source_of(const char *remote, char *out, size_t size)
{
    const char *colon = remote != NULL ? strrchr(remote, ':') : NULL;
    size_t n = colon != NULL ? (size_t)(colon - remote) : (remote != NULL ? strlen(remote) : 0);

    snprintf(out, size, "%.*s", (int)n, remote != NULL ? remote : "");
}

/* Keystone writes "2026-11-25T13:00:00.000000Z". */
static time_t
parse_expiry(const char *s)
{
    struct tm tm = { 0 };

    if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return time(NULL) + 300;
    return timegm(&tm);
}

static int
fresh(time_t expires, const ec2gw_keystone_conf_t *conf)
{
    return expires - (time_t)(conf->token_margin_ms / 1000) > time(NULL);
}

static void
note_answer(ec2gw_keystone_t *ks, const ec2gw_http_result_t *r)
{
    ec2gw_metrics_backend("identity", r->status, r->seconds);
    if (r->status == 0 || r->status >= 500)
        ks->last_failure = time(NULL);
    else
        ks->last_answer = time(NULL);
}

static void
fault_unavailable(ec2gw_fault_t *f, const ec2gw_http_result_t *r, const char *what)
{
    if (r->status == 0)
        ec2gw_fault_set(f, "ServiceUnavailable", "The identity service is unavailable (%s: %s)",
                        what, r->error ? r->error : "no answer");
    else
        ec2gw_fault_set(f, "ServiceUnavailable", "The identity service answered %s with HTTP %ld",
                        what, r->status);
}

static ec2gw_http_call_t *
ks_call(ec2gw_keystone_t *ks, const char *method, const char *path, const char *body)
{
    char url[1024];

    snprintf(url, sizeof(url), "%s%s", ks->conf->url, path);
    ec2gw_http_call_t *c = ec2gw_http_call_new(ks->http, method, url, body, body ? strlen(body) : 0,
                                               ks->conf->timeout_ms);

    if (c == NULL)
        return NULL;
    ec2gw_http_call_header(c, "Accept", "application/json");
    if (body != NULL)
        ec2gw_http_call_header(c, "Content-Type", "application/json");
    if (ks->svc_token != NULL && strcmp(path, "/auth/tokens") != 0)
        ec2gw_http_call_header(c, "X-Auth-Token", ks->svc_token);
    return c;
}

/* ---------------------------------------------------------------- job endings */

static void job_rerun(ec2gw_auth_job_t *job);

static void
orphan_unlink(ec2gw_auth_job_t *job)
{
    for (ec2gw_auth_job_t **pp = &job->ks->orphans; *pp != NULL; pp = &(*pp)->next_peer) {
        if (*pp == job) {
            *pp = job->next_peer;
            return;
        }
    }
}

/* A leader is done: hand its waiters the cache it filled, or its failure. */
static void
release_waiters(ec2gw_auth_job_t *job, const ec2gw_fault_t *f)
{
    struct cred_entry *e;
    ec2gw_auth_job_t *w;
    int rerun;

    if (!job->is_leader)
        return;
    job->is_leader = 0;
    e = entry_find(job->ks, job->access, 0);
    if (e == NULL)
        return;
    w = e->waiters;
    e->waiters = NULL;
    e->leader = NULL;
    /* Success, or a bad signature of the leader's own request with a known key: the waiters
     * check their own signatures against the cache. Keystone down or an unknown key: the same
     * answer for all of them, without asking Keystone once per request. */
    rerun = f == NULL || (strcmp(f->code, "AuthFailure") == 0 && e->secret != NULL);
    if (e->secret == NULL && e->token == NULL && e->project_id == NULL && e->unknown_until == 0)
        entry_drop(job->ks, job->access);
    while (w != NULL) {
        ec2gw_auth_job_t *next = w->next_peer;

        w->next_peer = NULL;
        w->step = STEP_NONE;
        if (rerun) {
            job_rerun(w);
        } else {
            w->done(w->arg, NULL, f);
            free(w);
        }
        w = next;
    }
}

static void
job_fail(ec2gw_auth_job_t *job, const ec2gw_fault_t *f)
{
    if (job->orphan)
        orphan_unlink(job);
    else if (job->kind == JOB_AUTH)
        job->done(job->arg, NULL, f);
    else
        job->svc_done(job->arg, NULL, NULL, f);
    release_waiters(job, f);
    free(job);
}

static void
job_ok(ec2gw_auth_job_t *job, const struct cred_entry *e)
{
    source_refund(job);
    if (job->orphan) {
        orphan_unlink(job);
    } else if (job->kind == JOB_AUTH) {
        ec2gw_auth_result_t res = { .user_id = e->user_id,
                                    .project_id = e->project_id,
                                    .token = e->token,
                                    .roles_digest = e->roles_digest,
                                    .catalog = e->catalog };

        job->done(job->arg, &res, NULL);
    } else {
        job->svc_done(job->arg, job->ks->svc_token, job->ks->svc_catalog, NULL);
    }
    release_waiters(job, NULL);
    free(job);
}

/* ---------------------------------------------------------------- service token */

static void
svc_token_done(ec2gw_http_call_t *c, void *arg)
{
    ec2gw_keystone_t *ks = arg;
    const ec2gw_http_result_t *r = ec2gw_http_call_result(c);
    ec2gw_auth_job_t *w = ks->svc_waiters;
    ec2gw_fault_t f = { 0 };
    int ok = 0;

    note_answer(ks, r);
    ks->svc_call = NULL;
    ks->svc_waiters = NULL;
    if (r->status == 201 && r->subject_token != NULL) {
        json_t *body = json_loadb(r->body, r->body_len, 0, NULL);
        json_t *tok = json_object_get(body, "token");

        set_str(&ks->svc_token, r->subject_token);
        ks->svc_expires = parse_expiry(json_string_value(json_object_get(tok, "expires_at")));
        json_decref(ks->svc_catalog);
        ks->svc_catalog = json_incref(json_object_get(tok, "catalog"));
        json_decref(body);
        ok = 1;
    } else if (r->status == 401 || r->status == 403) {
        ec2gw_log(EC2GW_LOG_ERROR, "keystone",
                  "the service user '%s' could not log in (HTTP %ld); check keystone.service_*",
                  ks->conf->service_user, r->status);
        ec2gw_fault_set(&f, "ServiceUnavailable",
                        "The gateway's service credentials were refused by the identity service");
    } else {
        fault_unavailable(&f, r, "the service login");
    }
    ec2gw_http_call_free(c);
    while (w != NULL) {
        ec2gw_auth_job_t *next = w->next_waiter;

        w->next_waiter = NULL;
        if (ok)
            job_continue(w);
        else
            job_fail(w, &f);
        w = next;
    }
}

static int
svc_token_fetch(ec2gw_keystone_t *ks)
{
    json_t *body =
        json_pack("{s:{s:{s:[s],s:{s:{s:s,s:{s:s},s:s}}},s:{s:{s:s,s:{s:s}}}}}", "auth", "identity",
                  "methods", "password", "password", "user", "name", ks->conf->service_user,
                  "domain", "name", ks->conf->user_domain, "password",
                  ks->conf->service_password ? ks->conf->service_password : "", "scope", "project",
                  "name", ks->conf->service_project, "domain", "name", ks->conf->project_domain);
    char *text = ec2gw_json_dumps(body, JSON_COMPACT);

    json_decref(body);
    if (text == NULL)
        return EC2GW_E_NOMEM;
    ks->svc_call = ks_call(ks, "POST", "/auth/tokens", text);
    free(text);
    if (ks->svc_call == NULL || ec2gw_http_call_start(ks->svc_call, svc_token_done, ks) != 0) {
        ec2gw_http_call_free(ks->svc_call);
        ks->svc_call = NULL;
        return EC2GW_E_FAIL;
    }
    return 0;
}

/* Park @p job until the service token is there; 0 when it already is. */
static int
need_service_token(ec2gw_auth_job_t *job)
{
    ec2gw_keystone_t *ks = job->ks;

    if (ks->svc_token != NULL && fresh(ks->svc_expires, ks->conf))
        return 0;
    if (ks->svc_call == NULL && svc_token_fetch(ks) != 0)
        return EC2GW_E_FAIL;
    job->step = STEP_WAIT_SERVICE;
    job->next_waiter = ks->svc_waiters;
    ks->svc_waiters = job;
    return EC2GW_AGAIN;
}

/* ---------------------------------------------------------------- ec2tokens */

static void
ec2tokens_done(ec2gw_http_call_t *c, void *arg)
{
    ec2gw_auth_job_t *job = arg;
    ec2gw_keystone_t *ks = job->ks;
    const ec2gw_http_result_t *r = ec2gw_http_call_result(c);
    ec2gw_fault_t f = { 0 };

    job->call = NULL;
    note_answer(ks, r);
    if (r->status == 200 && r->subject_token != NULL) {
        json_t *body = json_loadb(r->body, r->body_len, 0, NULL);
        json_t *tok = json_object_get(body, "token");
        struct cred_entry *e = entry_find(ks, job->access, 1);

        if (e != NULL) {
            set_str(&e->token, r->subject_token);
            e->token_expires = parse_expiry(json_string_value(json_object_get(tok, "expires_at")));
            set_str(&e->user_id,
                    json_string_value(json_object_get(json_object_get(tok, "user"), "id")));
            set_str(&e->project_id,
                    json_string_value(json_object_get(json_object_get(tok, "project"), "id")));
            roles_digest(&e->roles_digest, json_object_get(tok, "roles"));
            json_decref(e->catalog);
            e->catalog = json_incref(json_object_get(tok, "catalog"));
        }
        json_decref(body);
        ec2gw_http_call_free(c);
        if (e == NULL || e->project_id == NULL) {
            ec2gw_fault_set(&f, "InternalError", "Unexpected answer from the identity service");
            job_fail(job, &f);
            return;
        }
        job_ok(job, e);
        return;
    }
    if (r->status == 401 || r->status == 403 || r->status == 404) {
        entry_drop(ks, job->access);
        ec2gw_fault_set(&f, "AuthFailure",
                        "AWS was not able to validate the provided access credentials");
    } else {
        fault_unavailable(&f, r, "ec2tokens");
    }
    ec2gw_http_call_free(c);
    job_fail(job, &f);
}

static int
ec2tokens_start(ec2gw_auth_job_t *job)
{
    struct cred_entry *e = entry_find(job->ks, job->access, 0);
    json_t *body = ec2gw_sig_keystone_body_for(job->sig, job->in, e != NULL ? e->secret : NULL);
    char *text = body ? ec2gw_json_dumps(body, JSON_COMPACT) : NULL;

    json_decref(body);
    if (text == NULL)
        return EC2GW_E_NOMEM;
    job->step = STEP_EC2TOKENS;
    job->call = ks_call(job->ks, "POST", "/ec2tokens", text);
    free(text);
    if (job->call == NULL || ec2gw_http_call_start(job->call, ec2tokens_done, job) != 0) {
        ec2gw_http_call_free(job->call);
        job->call = NULL;
        return EC2GW_E_FAIL;
    }
    return EC2GW_AGAIN;
}

/* ---------------------------------------------------------------- credentials */

/* Verify locally, then hand out the cached token or go and get one. */
static int
verify_then_token(ec2gw_auth_job_t *job, struct cred_entry *e, ec2gw_fault_t *f)
{
    if (ec2gw_sig_verify(job->sig, job->in, e->secret, f) != 0)
        return -1;
    if (e->token != NULL && fresh(e->token_expires, job->ks->conf))
        return 0;
    return ec2tokens_start(job);
}

static void
credential_done(ec2gw_http_call_t *c, void *arg)
{
    ec2gw_auth_job_t *job = arg;
    ec2gw_keystone_t *ks = job->ks;
    const ec2gw_http_result_t *r = ec2gw_http_call_result(c);
    ec2gw_fault_t f = { 0 };
    int rc = -1;

    job->call = NULL;
    note_answer(ks, r);
    if (r->status == 200) {
        json_t *body = json_loadb(r->body, r->body_len, 0, NULL);
        json_t *cred = json_object_get(body, "credential");
        const char *blob_text = json_string_value(json_object_get(cred, "blob"));
        json_t *blob = blob_text ? json_loads(blob_text, 0, NULL) : NULL;
        const char *secret = json_string_value(json_object_get(blob, "secret"));
        const char *type = json_string_value(json_object_get(cred, "type"));
        struct cred_entry *e = entry_find(ks, job->access, 1);

        if (e != NULL && secret != NULL && type != NULL && strcmp(type, "ec2") == 0) {
            set_str(&e->secret, secret);
            e->secret_at = time(NULL);
            if (e->project_id == NULL)
                set_str(&e->project_id, json_string_value(json_object_get(cred, "project_id")));
            /* An orphan's request (and signature) is gone: the cached secret is its result. */
            rc = job->orphan ? 0 : verify_then_token(job, e, &f);
        } else {
            ec2gw_fault_set(&f, "AuthFailure",
                            "AWS was not able to validate the provided access credentials");
        }
        json_decref(blob);
        json_decref(body);
        ec2gw_http_call_free(c);
        if (rc == 0)
            job_ok(job, e);
        else if (rc != EC2GW_AGAIN)
            job_fail(job, &f);
        return;
    }
    long status = r->status;

    if (status == 404 || status == 403 || status == 401)
        ec2gw_http_call_free(c);
    if (status == 404) {
        negative_add(ks, job->access);
        ec2gw_fault_set(&f, "AuthFailure",
                        "AWS was not able to validate the provided access credentials");
        job_fail(job, &f);
        return;
    }
    if (status == 403 || status == 401) {
        ec2gw_log(EC2GW_LOG_WARN, "keystone",
                  "the service user may not read EC2 credentials (HTTP %ld): every request "
                  "will be verified by Keystone; grant it the admin role to cache secrets",
                  status);
        ks->no_credential_api = 1;
        if (!job->orphan && ec2tokens_start(job) == EC2GW_AGAIN)
            return;
        ec2gw_fault_set(&f, "InternalError", "Could not start the identity request");
        job_fail(job, &f);
        return;
    }
    fault_unavailable(&f, r, "the credential lookup");
    ec2gw_http_call_free(c);
    job_fail(job, &f);
}

static int
credential_start(ec2gw_auth_job_t *job)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char path[128];
    int n;

    EVP_Digest(job->access, strlen(job->access), md, &mdlen, EVP_sha256(), NULL);
    n = snprintf(path, sizeof(path), "/credentials/");
    for (unsigned i = 0; i < mdlen; i++)
        n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x", md[i]);
    job->step = STEP_CREDENTIAL;
    job->call = ks_call(job->ks, "GET", path, NULL);
    if (job->call == NULL || ec2gw_http_call_start(job->call, credential_done, job) != 0) {
        ec2gw_http_call_free(job->call);
        job->call = NULL;
        return EC2GW_E_FAIL;
    }
    return EC2GW_AGAIN;
}

/* ---------------------------------------------------------------- driver */

/* Continue a job once the service token is there (it may finish the job). */
static void
job_continue(ec2gw_auth_job_t *job)
{
    ec2gw_fault_t f = { 0 };
    int rc;

    job->step = STEP_NONE;
    if (job->kind == JOB_SERVICE) {
        job_ok(job, NULL);
        return;
    }
    if (job->orphan && job->ks->no_credential_api) {
        ec2gw_fault_set(&f, "ServiceUnavailable", "cancelled");
        job_fail(job, &f);
        return;
    }
    rc = job->ks->no_credential_api ? ec2tokens_start(job) : credential_start(job);
    if (rc == EC2GW_AGAIN)
        return;
    ec2gw_fault_set(&f, "InternalError", "Could not start the identity request");
    job_fail(job, &f);
}

static ec2gw_auth_job_t *
job_new(ec2gw_keystone_t *ks, enum job_kind kind, void *arg)
{
    ec2gw_auth_job_t *job = calloc(1, sizeof(*job));

    if (job != NULL) {
        job->ks = ks;
        job->kind = kind;
        job->arg = arg;
    }
    return job;
}

/* The warm path: 0 = answered from the cache, -1 = fault, 1 = Keystone is needed. */
static int
warm_check(ec2gw_keystone_t *ks, const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in,
           ec2gw_auth_result_t *now, ec2gw_fault_t *fault)
{
    struct cred_entry *e = entry_find(ks, sig->access_key, 0);
    time_t ttl = (time_t)(ks->conf->credential_ttl_ms / 1000);

    if (negative_live(ks, e)) {
        ec2gw_metrics_auth_cache(1);
        return ec2gw_fault_set(fault, "AuthFailure",
                               "AWS was not able to validate the provided access credentials");
    }
    if (e == NULL || e->secret == NULL || time(NULL) - e->secret_at >= ttl)
        return 1;
    if (ec2gw_sig_verify(sig, in, e->secret, fault) != 0)
        return -1;
    if (e->token == NULL || !fresh(e->token_expires, ks->conf))
        return 1;
    ec2gw_metrics_auth_cache(1);
    *now = (ec2gw_auth_result_t){ .user_id = e->user_id,
                                  .project_id = e->project_id,
                                  .token = e->token,
                                  .roles_digest = e->roles_digest,
                                  .catalog = e->catalog };
    return 0;
}

/* The cold path of a job: wait behind the key's leader, or lead and ask Keystone. */
static int
cold_start(ec2gw_auth_job_t *job, ec2gw_fault_t *fault)
{
    ec2gw_keystone_t *ks = job->ks;
    struct cred_entry *e = entry_find(ks, job->access, !ks->no_credential_api);
    time_t ttl = (time_t)(ks->conf->credential_ttl_ms / 1000);
    int rc;

    ec2gw_metrics_auth_cache(0);
    if (negative_live(ks, e))
        return ec2gw_fault_set(fault, "AuthFailure",
                               "AWS was not able to validate the provided access credentials");
    if (e != NULL && !ks->no_credential_api) {
        if (e->leader != NULL) {
            /* Fifty connections of one client arriving cold make one Keystone lookup. */
            job->step = STEP_WAIT_LEADER;
            job->next_peer = e->waiters;
            e->waiters = job;
            return EC2GW_AGAIN;
        }
        e->leader = job;
        job->is_leader = 1;
    }
    /* Only lookups of keys not known to exist cost the source; a re-read of a secret not. */
    if ((e == NULL || e->secret == NULL) && source_charge(job, fault) != 0) {
        if (e != NULL && e->leader == job) {
            e->leader = NULL;
            job->is_leader = 0;
            if (e->waiters == NULL && e->secret == NULL && e->token == NULL &&
                e->project_id == NULL)
                entry_drop(ks, job->access);
        }
        return -1;
    }
    rc = need_service_token(job);
    if (rc == 0) {
        /* Secret fresh but token stale: only ec2tokens is needed. */
        if (e != NULL && e->secret != NULL && time(NULL) - e->secret_at < ttl)
            rc = ec2tokens_start(job);
        else
            rc = ks->no_credential_api ? ec2tokens_start(job) : credential_start(job);
    }
    if (rc != EC2GW_AGAIN)
        return ec2gw_fault_set(fault, "ServiceUnavailable",
                               "The identity service could not be reached");
    return EC2GW_AGAIN;
}

/* A waiter whose leader finished: check again, now usually against the filled cache. */
static void
job_rerun(ec2gw_auth_job_t *job)
{
    ec2gw_auth_result_t now = { 0 };
    ec2gw_fault_t f = { 0 };
    int rc = warm_check(job->ks, job->sig, job->in, &now, &f);

    if (rc == 1)
        rc = cold_start(job, &f);
    if (rc == EC2GW_AGAIN)
        return;
    if (rc == 0)
        job->done(job->arg, &now, NULL);
    else
        job_fail(job, &f);
    if (rc == 0)
        free(job);
}

static int
authenticate(ec2gw_keystone_t *ks, const ec2gw_sig_t *sig, const ec2gw_sig_input_t *in,
             ec2gw_auth_result_t *now, ec2gw_fault_t *fault, ec2gw_auth_done_fn done, void *arg,
             ec2gw_auth_job_t **job_out)
{
    ec2gw_auth_job_t *job;
    int rc;

    *job_out = NULL;
    rc = warm_check(ks, sig, in, now, fault);
    if (rc <= 0)
        return rc;
    job = job_new(ks, JOB_AUTH, arg);
    if (job == NULL)
        return ec2gw_fault_set(fault, "InternalError", "Out of memory");
    job->sig = sig;
    job->in = in;
    job->done = done;
    snprintf(job->access, sizeof(job->access), "%s", sig->access_key);
    source_of(in->source, job->source, sizeof(job->source));
    rc = cold_start(job, fault);
    if (rc != EC2GW_AGAIN) {
        release_waiters(job, fault);
        free(job);
        return -1;
    }
    *job_out = job;
    return EC2GW_AGAIN;
}

static int
service_token(ec2gw_keystone_t *ks, const char **token, const json_t **catalog,
              ec2gw_service_token_fn done, void *arg, ec2gw_auth_job_t **job_out)
{
    ec2gw_auth_job_t *job;
    int rc;

    *job_out = NULL;
    if (ks->svc_token != NULL && fresh(ks->svc_expires, ks->conf)) {
        *token = ks->svc_token;
        *catalog = ks->svc_catalog;
        return 0;
    }
    job = job_new(ks, JOB_SERVICE, arg);
    if (job == NULL)
        return EC2GW_E_NOMEM;
    job->svc_done = done;
    rc = need_service_token(job);
    if (rc != EC2GW_AGAIN) {
        free(job);
        return EC2GW_E_FAIL;
    }
    *job_out = job;
    return EC2GW_AGAIN;
}

/* The caches below outlive any request, and a request's handler may be what calls in (a
 * service token for its OpenStack call): their JSON is made on the heap (json_arena.h). */
int
ec2gw_keystone_authenticate(ec2gw_keystone_t *ks, const ec2gw_sig_t *sig,
                            const ec2gw_sig_input_t *in, ec2gw_auth_result_t *now,
                            ec2gw_fault_t *fault, ec2gw_auth_done_fn done, void *arg,
                            ec2gw_auth_job_t **job_out)
{
    int rc;

    ec2gw_json_heap_push();
    rc = authenticate(ks, sig, in, now, fault, done, arg, job_out);
    ec2gw_json_heap_pop();
    return rc;
}

int
ec2gw_keystone_service_token(ec2gw_keystone_t *ks, const char **token, const json_t **catalog,
                             ec2gw_service_token_fn done, void *arg, ec2gw_auth_job_t **job_out)
{
    int rc;

    ec2gw_json_heap_push();
    rc = service_token(ks, token, catalog, done, arg, job_out);
    ec2gw_json_heap_pop();
    return rc;
}

/* Stop a job for good: out of every queue, its call cancelled, freed. */
static void
job_destroy(ec2gw_auth_job_t *job)
{
    if (job->step == STEP_WAIT_SERVICE) {
        for (ec2gw_auth_job_t **pp = &job->ks->svc_waiters; *pp != NULL; pp = &(*pp)->next_waiter) {
            if (*pp == job) {
                *pp = job->next_waiter;
                break;
            }
        }
    }
    if (job->step == STEP_WAIT_LEADER) {
        struct cred_entry *e = entry_find(job->ks, job->access, 0);

        for (ec2gw_auth_job_t **pp = e ? &e->waiters : NULL; pp != NULL && *pp != NULL;
             pp = &(*pp)->next_peer) {
            if (*pp == job) {
                *pp = job->next_peer;
                break;
            }
        }
    }
    ec2gw_http_call_cancel(job->call);
    free(job);
}

void
ec2gw_auth_job_cancel(ec2gw_auth_job_t *job)
{
    if (job == NULL)
        return;
    if (job->is_leader) {
        struct cred_entry *e = entry_find(job->ks, job->access, 0);

        if (e != NULL && e->waiters != NULL) {
            /* Others wait for its answer: let it finish, without its request. */
            job->orphan = 1;
            job->sig = NULL;
            job->in = NULL;
            job->next_peer = job->ks->orphans;
            job->ks->orphans = job;
            return;
        }
        if (e != NULL)
            e->leader = NULL;
    }
    job_destroy(job);
}

ec2gw_keystone_t *
ec2gw_keystone_new(ec2gw_http_t *http, const ec2gw_keystone_conf_t *conf, int max_skew_s)
{
    ec2gw_keystone_t *ks = calloc(1, sizeof(*ks));

    if (ks == NULL)
        return NULL;
    ks->http = http;
    ks->conf = conf;
    ks->max_skew_s = max_skew_s;
    return ks;
}

void
ec2gw_keystone_free(ec2gw_keystone_t *ks)
{
    if (ks == NULL)
        return;
    while (ks->orphans != NULL) {
        ec2gw_auth_job_t *o = ks->orphans;

        ks->orphans = o->next_peer;
        job_destroy(o);
    }
    while (ks->svc_waiters != NULL)
        job_destroy(ks->svc_waiters);
    ec2gw_http_call_cancel(ks->svc_call);
    ec2gw_http_call_cancel(ks->probe_call);
    for (int b = 0; b < N_BUCKETS; b++) {
        while (ks->buckets[b] != NULL) {
            struct cred_entry *e = ks->buckets[b];

            ks->buckets[b] = e->next;
            entry_free(e);
        }
    }
    free(ks->svc_token);
    json_decref(ks->svc_catalog);
    free(ks);
}

void
ec2gw_keystone_forget_token(ec2gw_keystone_t *ks, const char *access_key)
{
    struct cred_entry *e = entry_find(ks, access_key, 0);

    if (e != NULL) {
        free(e->token);
        e->token = NULL;
    }
}

time_t
ec2gw_keystone_last_answer(const ec2gw_keystone_t *ks)
{
    return ks->last_answer;
}

static void
on_probe_done(ec2gw_http_call_t *c, void *arg)
{
    ec2gw_keystone_t *ks = arg;

    note_answer(ks, ec2gw_http_call_result(c));
    ks->probe_call = NULL;
    ec2gw_http_call_free(c);
}

void
ec2gw_keystone_probe(ec2gw_keystone_t *ks)
{
    time_t now = time(NULL);

    if (ks->probe_call != NULL || now - ks->probe_started < EC2GW_KEYSTONE_PROBE_INTERVAL_S)
        return;
    ks->probe_started = now;
    ks->probe_call = ec2gw_http_call_new(ks->http, "GET", ks->conf->url, NULL, 0,
                                         EC2GW_KEYSTONE_PROBE_TIMEOUT_MS);
    if (ks->probe_call != NULL && ec2gw_http_call_start(ks->probe_call, on_probe_done, ks) != 0) {
        ec2gw_http_call_free(ks->probe_call);
        ks->probe_call = NULL;
    }
}

time_t
ec2gw_keystone_last_failure(const ec2gw_keystone_t *ks)
{
    return ks->last_failure;
}
