/*
 * volume_types.c - what a Cinder volume type backs: its QoS specs (IOPS, bytes/s, fixed or per
 * GiB), its encryption and its multiattach extra spec, for CreateVolume's Iops, Throughput,
 * Encrypted, KmsKeyId and MultiAttachEnabled and the Iops/Throughput a volume shows.
 *
 * qos_specs_id, sensitive extra specs, QoS specs and type encryption are admin-only reads in
 * Cinder's default policy: they are made with the service identity (type_reads_as_service).
 * The catalog (GET /types?is_public=None and GET /qos-specs, two calls) and each type's
 * encryption (one call, only when Encrypted/KmsKeyId ask) are kept per instance for
 * type_cache_ttl, as heap JSON bounded by Cinder's own lists (one page each). The caller's
 * default type (GET /types/default, with the caller's token: defaults may be per project) is
 * kept per project, at most CINDER_TYPES_MAX_PROJECTS of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cinder.h"

#define CINDER_TYPES_MAX_PROJECTS 1024
#define MIB                       1048576LL

struct cinder_types {
    json_t *types;    /* name → {"id", "name", "public", "iops", "iops_gb", "bps", "bps_gb",
                         "multiattach"}; encryption as "encrypted" once read */
    json_t *defaults; /* project → {"name", "exp"} */
    int64_t exp;      /* the catalog is fresh until this now_ms() */
    char failed[160]; /* why the last catalog read failed ("": it did not): until exp */
};

int
cinder_types_new(struct cinder_inst *ci)
{
    ci->types = calloc(1, sizeof(*ci->types));
    if (ci->types == NULL)
        return EC2GW_E_NOMEM;
    ci->types->types = json_object();
    ci->types->defaults = json_object();
    return ci->types->types && ci->types->defaults ? 0 : EC2GW_E_NOMEM;
}

void
cinder_types_free(struct cinder_inst *ci)
{
    if (ci->types == NULL)
        return;
    json_decref(ci->types->types);
    json_decref(ci->types->defaults);
    free(ci->types);
    ci->types = NULL;
}

static void
heap_begin(ec2gw_req_t *req)
{
    if (EC2GW_HOST_HAS(ec2gw, json_heap_begin))
        ec2gw->json_heap_begin(req);
}

static void
heap_end(ec2gw_req_t *req)
{
    if (EC2GW_HOST_HAS(ec2gw, json_heap_end))
        ec2gw->json_heap_end(req);
}

/* A QoS value: Cinder keeps specs as strings; 0 when absent or not a positive integer up to
 * 10^12 (so per-GiB values times a Size cannot overflow). */
static json_int_t
spec_num(const json_t *specs, const char *key)
{
    const char *s = cinder_str(specs, key);
    char *end = NULL;
    long long v;

    if (s == NULL)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 1000000000000LL)
        return 0;
    return (json_int_t)v;
}

/* Cinder's boolean extra spec form "<is> True". */
static int
spec_true(const char *v)
{
    if (v == NULL)
        return 0;
    if (strncasecmp(v, "<is>", 4) == 0)
        v += 4;
    while (*v == ' ')
        v++;
    return strcasecmp(v, "true") == 0;
}

/* One catalog entry (heap) from a type of the list and the QoS specs by id. */
static json_t *
type_entry(const json_t *t, const json_t *qos)
{
    const char *qid = cinder_str(t, "qos_specs_id");
    const json_t *q = qid ? json_object_get(qos, qid) : NULL;
    const json_t *specs = json_object_get(q, "specs");

    return json_pack(
        "{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:b}", "id", cinder_str(t, "id"), "name",
        cinder_str(t, "name"), "public", !json_is_false(json_object_get(t, "is_public")), "iops",
        spec_num(specs, "total_iops_sec"), "iops_gb", spec_num(specs, "total_iops_sec_per_gb"),
        "bps", spec_num(specs, "total_bytes_sec"), "bps_gb",
        spec_num(specs, "total_bytes_sec_per_gb"), "multiattach",
        spec_true(cinder_str(json_object_get(t, "extra_specs"), "multiattach")));
}

/* -- reading -------------------------------------------------------------------------------- */

struct cinder_tget {
    const struct cinder_inst *ci; /* only the cache it points to changes */
    const char *name;             /* NULL: the caller's default */
    int need_enc;
    int fresh; /* the catalog was read for this request: never twice */
    cinder_types_fn done;
    void *arg;
};

static int64_t
now(ec2gw_req_t *req)
{
    return ec2gw->now_ms(req);
}

static void tget_step(ec2gw_req_t *req, struct cinder_tget *g);

static void
tget_finish(ec2gw_req_t *req, struct cinder_tget *g, const json_t *entry, const char *why)
{
    g->done(req, entry ? cinder_own(req, json_deep_copy(entry)) : NULL, why, g->arg);
}

static void
tget_default(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_tget *g = arg;
    const char *name = cinder_str(json_object_get(r->json, "volume_type"), "name");
    struct cinder_types *c = g->ci->types;

    if (!ec2gw_os_ok(r) || name == NULL) {
        tget_finish(
            req, g, NULL,
            ec2gw->psprintf(req, "the default volume type could not be read (%ld)", r->status));
        return;
    }
    g->name = ec2gw->pstrdup(req, name);
    heap_begin(req);
    if (json_object_size(c->defaults) >= CINDER_TYPES_MAX_PROJECTS)
        json_object_clear(c->defaults);
    json_object_set_new(c->defaults, ec2gw->identity(req)->project_id,
                        json_pack("{s:s, s:I}", "name", name, "exp",
                                  (json_int_t)(now(req) + g->ci->type_cache_ttl_ms)));
    heap_end(req);
    tget_step(req, g);
}

static void
tget_catalog(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct cinder_tget *g = arg;
    struct cinder_types *c = g->ci->types;
    json_t *qos, *types, *e;
    size_t i;

    (void)n;
    if (!ec2gw_os_ok(r[0]) || !ec2gw_os_ok(r[1])) {
        /* Not asked again (nor logged) until type_cache_ttl has passed: a service user
         * without the admin role would otherwise cost every DescribeVolumes two refused calls
         * and a warning. */
        ec2gw->log(req, EC2GW_LOG_WARN,
                   "volume types (%ld) or QoS specs (%ld) not readable with the service "
                   "identity: Iops/Throughput/Encrypted/KmsKeyId/MultiAttachEnabled refused for "
                   "type_cache_ttl (type_reads_as_service: false turns the reads off)",
                   r[0]->status, r[1]->status);
        snprintf(c->failed, sizeof(c->failed), "this cloud's volume types could not be read (%ld)",
                 ec2gw_os_ok(r[0]) ? r[1]->status : r[0]->status);
        c->exp = now(req) + g->ci->type_cache_ttl_ms;
        tget_finish(req, g, NULL, ec2gw->pstrdup(req, c->failed));
        return;
    }
    c->failed[0] = '\0';
    /* the QoS specs by id: the request's, only read while the entries are made */
    qos = cinder_own(req, json_object());
    json_array_foreach(json_object_get(r[1]->json, "qos_specs"), i, e) if (cinder_str(e, "id"))
        json_object_set(qos, cinder_str(e, "id"), e);
    heap_begin(req);
    types = json_object();
    json_array_foreach(json_object_get(r[0]->json, "volume_types"), i, e)
    {
        json_t *t;

        if (cinder_str(e, "id") == NULL || cinder_str(e, "name") == NULL)
            continue;
        t = type_entry(e, qos);
        if (t != NULL)
            json_object_set_new(types, cinder_str(e, "name"), t);
    }
    json_decref(c->types);
    c->types = types;
    c->exp = now(req) + g->ci->type_cache_ttl_ms;
    g->fresh = 1;
    heap_end(req);
    tget_step(req, g);
}

static void
tget_encryption(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct cinder_tget *g = arg;
    const json_t *enc = json_object_get(r->json, "encryption");
    json_t *t = json_object_get(g->ci->types->types, g->name);

    if (!ec2gw_os_ok(r) || t == NULL) {
        tget_finish(req, g, NULL,
                    ec2gw->psprintf(req,
                                    "the encryption of VolumeType '%s' could not be read (%ld)",
                                    g->name, r->status));
        return;
    }
    /* Cinder answers the spec itself ({} without one); accept it wrapped in "encryption" too */
    if (enc == NULL)
        enc = r->json;
    heap_begin(req);
    json_object_set_new(t, "encrypted",
                        json_boolean(cinder_str(enc, "provider") != NULL ||
                                     cinder_str(enc, "encryption_id") != NULL));
    heap_end(req);
    tget_step(req, g);
}

/* The type named (or with the id) @p name in the catalog, or NULL. */
static const json_t *
find_type(const struct cinder_types *c, const char *name)
{
    const json_t *t = json_object_get(c->types, name), *e;
    const char *k;

    if (t != NULL)
        return t;
    json_object_foreach(c->types, k, e) if (strcmp(cinder_str(e, "id"), name) == 0) return e;
    return NULL;
}

static void
tget_step(ec2gw_req_t *req, struct cinder_tget *g)
{
    struct cinder_types *c = g->ci->types;
    const json_t *t;
    ec2gw_os_call_t calls[2];

    if (g->name == NULL) {
        const json_t *d = json_object_get(c->defaults, ec2gw->identity(req)->project_id);

        if (d != NULL && json_integer_value(json_object_get(d, "exp")) > now(req)) {
            g->name = ec2gw->pstrdup(req, cinder_str(d, "name"));
        } else {
            calls[0] = EC2GW_OS_GET("volumev3", "/types/default");
            if (ec2gw->os_call(req, &calls[0], tget_default, g) < 0)
                tget_finish(req, g, NULL, "the volume service is not reachable");
            return;
        }
    }
    if (!g->fresh && c->exp > now(req) && c->failed[0] != '\0') {
        tget_finish(req, g, NULL, ec2gw->pstrdup(req, c->failed));
        return;
    }
    if (!g->fresh && c->exp <= now(req)) {
        calls[0] = EC2GW_OS_CALL("volumev3", "GET", "/types?is_public=None",
                                 .flags = EC2GW_CALL_AS_SERVICE);
        calls[1] = EC2GW_OS_CALL("volumev3", "GET", "/qos-specs", .flags = EC2GW_CALL_AS_SERVICE);
        if (ec2gw->os_fanout(req, calls, 2, tget_catalog, g) < 0)
            tget_finish(req, g, NULL, "the volume service is not reachable");
        return;
    }
    if (g->name[0] == '\0') { /* only the catalog was asked for */
        tget_finish(req, g, NULL, NULL);
        return;
    }
    t = find_type(c, g->name);
    if (t == NULL) {
        tget_finish(req, g, NULL, ec2gw->psprintf(req, "VolumeType '%s' does not exist", g->name));
        return;
    }
    if (g->need_enc && json_object_get(t, "encrypted") == NULL) {
        g->name = ec2gw->pstrdup(req, cinder_str(t, "name"));
        calls[0] = EC2GW_OS_CALL("volumev3", "GET",
                                 ec2gw->psprintf(req, "/types/%s/encryption",
                                                 ec2gw->url_escape(req, cinder_str(t, "id"))),
                                 .flags = EC2GW_CALL_AS_SERVICE);
        if (ec2gw->os_call(req, &calls[0], tget_encryption, g) < 0)
            tget_finish(req, g, NULL, "the volume service is not reachable");
        return;
    }
    tget_finish(req, g, t, NULL);
}

int
cinder_type_get(ec2gw_req_t *req, const struct cinder_inst *ci, const char *name, int need_enc,
                cinder_types_fn done, void *arg)
{
    struct cinder_tget *g = ec2gw->pcalloc(req, sizeof(*g));

    g->ci = ci;
    g->name = name ? ec2gw->pstrdup(req, name) : NULL;
    g->need_enc = need_enc;
    g->done = done;
    g->arg = arg;
    tget_step(req, g);
    return EC2GW_AGAIN;
}

/* -- what a volume shows, what CreateVolume may ask ----------------------------------------- */

/* IOPS and bytes/s of a volume of @p size GiB on type @p t (0: none, or per GiB without a size). */
static json_int_t
type_iops(const json_t *t, json_int_t size)
{
    json_int_t v = json_integer_value(json_object_get(t, "iops"));

    return v > 0 ? v : json_integer_value(json_object_get(t, "iops_gb")) * size;
}

static json_int_t
type_bps(const json_t *t, json_int_t size)
{
    json_int_t v = json_integer_value(json_object_get(t, "bps"));

    return v > 0 ? v : json_integer_value(json_object_get(t, "bps_gb")) * size;
}

void
cinder_types_model(ec2gw_req_t *req, const struct cinder_inst *ci, json_t *model)
{
    const char *name = cinder_str(model, "VolumeType");
    json_int_t size = json_integer_value(json_object_get(model, "Size"));
    const json_t *t;
    json_int_t iops, bps;

    (void)req;
    if (ci->types == NULL || name == NULL || (t = find_type(ci->types, name)) == NULL)
        return;
    if ((iops = type_iops(t, size)) > 0)
        json_object_set_new(model, "Iops", json_integer(iops));
    /* Throughput is whole MiB/s: a limit that is not is not shown rather than rounded */
    if ((bps = type_bps(t, size)) > 0 && bps % MIB == 0)
        json_object_set_new(model, "Throughput", json_integer(bps / MIB));
}

/* ", types here that do: a (3000), b" — the public types whose member @p key is set. */
static const char *
types_that(ec2gw_req_t *req, const struct cinder_inst *ci, const char *what)
{
    const char *k, *out = "";
    const json_t *t;
    int n = 0;

    json_object_foreach(ci->types->types, k, t)
    {
        int has;

        if (!json_is_true(json_object_get(t, "public")))
            continue; /* a private type's limits are not every caller's to see */
        has = strcmp(what, "iops") == 0  ? type_iops(t, 1) > 0
              : strcmp(what, "bps") == 0 ? type_bps(t, 1) > 0
                                         : json_is_true(json_object_get(t, what));
        if (!has || n++ >= 10)
            continue;
        out = ec2gw->psprintf(req, "%s%s%s", out, out[0] ? ", " : "", k);
    }
    if (n == 0)
        return "no volume type of this cloud does";
    return ec2gw->psprintf(req, "types that do: %s%s", out, n > 10 ? ", ..." : "");
}

/* The AWS-managed default EBS key, as alias or alias ARN. */
static int
default_kms_key(const char *k)
{
    const char *alias = "alias/aws/ebs";
    size_t n = strlen(k), a = strlen(alias);

    if (strcmp(k, alias) == 0)
        return 1;
    return strncmp(k, "arn:aws:kms:", 12) == 0 && n > a && k[n - a - 1] == ':' &&
           strcmp(k + n - a, alias) == 0;
}

/* Refuse with InvalidParameterValue (the message names the parameter): -1. */
#define BAD(...) (ec2gw->fail(req, 400, "InvalidParameterValue", __VA_ARGS__), -1)

int
cinder_types_check(ec2gw_req_t *req, const struct cinder_inst *ci, const json_t *t, const json_t *p,
                   json_int_t size)
{
    const char *name = cinder_str(t, "name"), *kms = cinder_str(p, "KmsKeyId");
    const json_t *iops = json_object_get(p, "Iops"), *tp = json_object_get(p, "Throughput");
    int per_gb_iops = json_integer_value(json_object_get(t, "iops")) == 0 &&
                      json_integer_value(json_object_get(t, "iops_gb")) > 0;
    int per_gb_bps = json_integer_value(json_object_get(t, "bps")) == 0 &&
                     json_integer_value(json_object_get(t, "bps_gb")) > 0;
    int encrypted = json_is_true(json_object_get(t, "encrypted"));

    /* Cinder lets only projects with access use a private type: its limits stay unsaid here */
    if (!json_is_true(json_object_get(t, "public"))) {
        if (iops != NULL && json_integer_value(iops) != type_iops(t, size))
            return BAD("%s: VolumeType '%s' does not give that value", "Iops", name);
        if (tp != NULL &&
            (json_integer_value(tp) <= 0 || json_integer_value(tp) > INT64_MAX / MIB ||
             json_integer_value(tp) * MIB != type_bps(t, size)))
            return BAD("%s: VolumeType '%s' does not give that value", "Throughput", name);
    }

    if (iops != NULL) {
        json_int_t want = type_iops(t, size);

        if (type_iops(t, 1) == 0)
            return BAD("Iops: VolumeType '%s' sets no IOPS limit (%s)", name,
                       types_that(req, ci, "iops"));
        if (per_gb_iops && size == 0)
            return BAD("Iops: VolumeType '%s' sets IOPS per GiB (%s per GiB): give Size too", name,
                       ec2gw->psprintf(req, "%lld", (long long)type_iops(t, 1)));
        if (json_integer_value(iops) != want)
            return BAD("Iops: VolumeType '%s' gives %s", name,
                       per_gb_iops ? ec2gw->psprintf(req, "%lld IOPS (%lld per GiB x %lld GiB)",
                                                     (long long)want, (long long)type_iops(t, 1),
                                                     (long long)size)
                                   : ec2gw->psprintf(req, "%lld IOPS", (long long)want));
    }
    if (tp != NULL) {
        json_int_t want = type_bps(t, size);

        if (type_bps(t, 1) == 0)
            return BAD("Throughput: VolumeType '%s' sets no throughput limit (%s)", name,
                       types_that(req, ci, "bps"));
        if (per_gb_bps && size == 0)
            return BAD("Throughput: VolumeType '%s' sets bytes/s per GiB (%s): give Size too", name,
                       ec2gw->psprintf(req, "%lld", (long long)type_bps(t, 1)));
        if (json_integer_value(tp) <= 0 || json_integer_value(tp) > INT64_MAX / MIB ||
            json_integer_value(tp) * MIB != want)
            return BAD("Throughput: VolumeType '%s' gives %s", name,
                       want % MIB == 0 ? ec2gw->psprintf(req, "%lld MiB/s", (long long)(want / MIB))
                                       : ec2gw->psprintf(req, "%lld bytes/s (not a whole MiB/s)",
                                                         (long long)want));
    }
    if (json_is_true(json_object_get(p, "Encrypted")) && !encrypted)
        return BAD("Encrypted: VolumeType '%s' has no encryption%s", name,
                   " (ask the cloud's operators for an encrypted volume type)");
    if (kms != NULL && !encrypted)
        return BAD("KmsKeyId: VolumeType '%s' has no encryption%s", name,
                   ": a key applies to an encrypted volume type only");
    if (kms != NULL && !default_kms_key(kms))
        return BAD("KmsKeyId '%s' cannot be honoured: Cinder's key manager makes each volume's "
                   "key itself; only the default key %s (or none) is accepted",
                   kms, "alias/aws/ebs");
    if (json_is_true(json_object_get(p, "MultiAttachEnabled")) &&
        !json_is_true(json_object_get(t, "multiattach")))
        return BAD("MultiAttachEnabled: VolumeType '%s' is not a multiattach type (%s)", name,
                   types_that(req, ci, "multiattach"));
    return 0;
}
