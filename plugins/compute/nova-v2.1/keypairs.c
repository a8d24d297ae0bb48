/*
 * keypairs.c - CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair on Nova
 * os-keypairs. Nova key pairs belong to the Keystone user (not the project), so key- ids map
 * "<user_id>:<name>". Fingerprints are Nova's (MD5 of the public key), as ec2-api reported.
 */
#include <stdlib.h>
#include <string.h>

#include "nova.h"

struct nova_kp_state {
    const char *name, *type, *format;
    char *pub, *priv; /* malloc: from the offloaded generation */
    int gen_rc;
};

/* The key- id of Nova key pair @p name of the caller (pool), or NULL. */
static const char *
nova_kp_id(ec2gw_req_t *req, const char *name)
{
    const char *id = NULL;
    const char *os = ec2gw->psprintf(req, "%s:%s", ec2gw->identity(req)->user_id, name);

    if (ec2gw->id_to_ec2(req, "key", os, &id) != 0)
        return NULL;
    return id;
}

static int
nova_kp_name_ok(ec2gw_req_t *req, const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 255) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Parameter KeyName must be 1 to 255 characters");
        return 0;
    }
    return 1;
}

/* Common answer of Create/Import: Nova's keypair plus key id and tags. */
static void
nova_kp_created(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_kp_state *st = arg;
    const json_t *kp = json_object_get(r->json, "keypair");
    json_t *tags = nova_tag_specs(ec2gw->params(req), "key-pair"), *out;
    const char *id;

    nova_own(req, tags);
    if (r->status == 409) {
        ec2gw->fail(req, 400, "InvalidKeyPair.Duplicate", "The keypair '%s' already exists.",
                    st->name);
        return;
    }
    if (!ec2gw_os_ok(r)) {
        if (r->status == 400)
            ec2gw->fail(req, 400, "InvalidKey.Format", "Key is not in valid OpenSSH format");
        else
            ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    id = nova_kp_id(req, st->name);
    if (id == NULL) {
        ec2gw->fail(req, 500, "InternalError", "Could not map the key pair id");
        return;
    }
    ec2gw->item_put(req, id, ec2gw->psprintf(req, "%s:%s", ec2gw->identity(req)->user_id, st->name),
                    nova_own(req, json_pack("{s:s}", "created", nova_now_iso(req, 0))));
    if (json_array_size(tags) > 0)
        ec2gw->tags_set(req, id, tags);
    out = json_pack("{s:s, s:s, s:s, s:O}", "KeyName", st->name, "KeyFingerprint",
                    nova_str(kp, "fingerprint") ? nova_str(kp, "fingerprint") : "", "KeyPairId", id,
                    "Tags", tags);
    if (st->priv != NULL)
        json_object_set_new(out, "KeyMaterial", json_string(st->priv));
    ec2gw->finish(req, out);
}

static int
nova_kp_upload(ec2gw_req_t *req, struct nova_kp_state *st, const char *pub)
{
    json_t *body = nova_own(req, json_pack("{s:{s:s, s:s, s:s}}", "keypair", "name", st->name,
                                           "public_key", pub, "type", "ssh"));
    ec2gw_os_call_t call = EC2GW_OS_CALL("compute", "POST", "/os-keypairs", .body = body);

    return ec2gw->os_call(req, &call, nova_kp_created, st);
}

static void
nova_kp_free(void *arg)
{
    struct nova_kp_state *st = arg;

    free(st->pub);
    free(st->priv);
}

static void
nova_kp_gen_work(void *arg)
{
    struct nova_kp_state *st = arg;

    /* the key name is the PPK comment, as puttygen's "imported-openssh-key" names a key */
    st->gen_rc = nova_keygen(st->type, st->format, st->name, &st->pub, &st->priv);
}

static void
nova_kp_gen_done(ec2gw_req_t *req, void *arg)
{
    struct nova_kp_state *st = arg;

    if (st->gen_rc != 0) {
        ec2gw->fail(req, 500, "InternalError", "Key generation failed");
        return;
    }
    if (nova_kp_upload(req, st, st->pub) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

int
nova_create_key_pair(ec2gw_req_t *req, void *inst)
{
    struct nova_kp_state *st = ec2gw->state(req, sizeof(*st));
    const char *fmt = nova_param_str(req, "KeyFormat");

    (void)inst;
    st->name = nova_param_str(req, "KeyName");
    st->type = nova_param_str(req, "KeyType");
    if (!nova_kp_name_ok(req, st->name))
        return EC2GW_OK;
    if (st->type == NULL)
        st->type = "rsa";
    if (strcmp(st->type, "rsa") != 0 && strcmp(st->type, "ed25519") != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "KeyType '%s' is not supported", st->type);
        return EC2GW_OK;
    }
    st->format = fmt != NULL ? fmt : "pem";
    if (strcmp(st->format, "pem") != 0 && strcmp(st->format, "ppk") != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "KeyFormat '%s' is not supported (pem or ppk)", fmt);
        return EC2GW_OK;
    }
    ec2gw->on_cleanup(req, nova_kp_free, st);
    return ec2gw->offload(req, nova_kp_gen_work, nova_kp_gen_done, st);
}

int
nova_import_key_pair(ec2gw_req_t *req, void *inst)
{
    struct nova_kp_state *st = ec2gw->state(req, sizeof(*st));
    const char *pub = nova_param_str(req, "PublicKeyMaterial");

    (void)inst;
    st->name = nova_param_str(req, "KeyName");
    if (!nova_kp_name_ok(req, st->name))
        return EC2GW_OK;
    if (pub == NULL || pub[0] == '\0') {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter PublicKeyMaterial");
        return EC2GW_OK;
    }
    return nova_kp_upload(req, st, pub);
}

/* One KeyPairInfo from a Nova list entry: returns new. */
static json_t *
nova_kp_info(ec2gw_req_t *req, const json_t *kp, int include_pub)
{
    const char *name = nova_str(kp, "name");
    const char *pub = nova_str(kp, "public_key");
    const char *id = nova_kp_id(req, name);
    json_t *data = NULL;
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "KeyName", name, "KeyFingerprint",
                            nova_str(kp, "fingerprint") ? nova_str(kp, "fingerprint") : "",
                            "KeyPairId", id ? id : "", "KeyType",
                            pub && strncmp(pub, "ssh-ed25519", 11) == 0 ? "ed25519" : "rsa");

    if (include_pub && pub != NULL)
        json_object_set_new(out, "PublicKey", json_string(pub));
    if (id != NULL && ec2gw->item_get(req, id, &data) == 0 && nova_str(data, "created"))
        json_object_set(out, "CreateTime", json_object_get(data, "created"));
    json_decref(data);
    return out;
}

static int
nova_kp_filter(ec2gw_req_t *req, const json_t *item, const char *name, json_t *values, void *arg)
{
    const char *member = strcmp(name, "key-name") == 0      ? "KeyName"
                         : strcmp(name, "fingerprint") == 0 ? "KeyFingerprint"
                         : strcmp(name, "key-pair-id") == 0 ? "KeyPairId"
                         : strcmp(name, "key-type") == 0    ? "KeyType"
                                                            : NULL;

    (void)req;
    (void)arg;
    if (member == NULL)
        return EC2GW_E_NOTFOUND;
    json_array_append(values, json_object_get(item, member));
    return 0;
}

/* Is @p v (a string) in array @p list? */
static int
nova_in(const json_t *list, const json_t *v)
{
    const json_t *x;
    size_t i;

    json_array_foreach(list, i, x) if (json_equal(x, v)) return 1;
    return 0;
}

static void
nova_kp_list_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const json_t *params = ec2gw->params(req);
    const json_t *names = json_object_get(params, "KeyNames");
    const json_t *ids = json_object_get(params, "KeyPairIds");
    int pub = json_is_true(json_object_get(params, "IncludePublicKey"));
    json_t *items = nova_own(req, json_array()), *filtered;
    const json_t *e, *v;
    size_t i;

    (void)arg;
    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    json_array_foreach(json_object_get(r->json, "keypairs"), i, e)
    {
        json_t *kp = nova_kp_info(req, json_object_get(e, "keypair"), pub);

        if ((json_array_size(names) == 0 || nova_in(names, json_object_get(kp, "KeyName"))) &&
            (json_array_size(ids) == 0 || nova_in(ids, json_object_get(kp, "KeyPairId"))))
            json_array_append(items, kp);
        json_decref(kp);
    }
    json_array_foreach(names, i, v)
    {
        const json_t *kp;
        size_t j;
        int found = 0;

        json_array_foreach(items, j, kp) found |= json_equal(v, json_object_get(kp, "KeyName"));
        if (!found) {
            ec2gw->fail(req, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
                        json_string_value(v));
            return;
        }
    }
    json_array_foreach(ids, i, v)
    {
        const json_t *kp;
        size_t j;
        int found = 0;

        json_array_foreach(items, j, kp) found |= json_equal(v, json_object_get(kp, "KeyPairId"));
        if (!found) {
            ec2gw->fail(req, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
                        json_string_value(v));
            return;
        }
    }
    nova_attach_tags(req, items);
    filtered = ec2gw->filter(req, items, "KeyPairId", nova_kp_filter, NULL);
    if (filtered != NULL)
        ec2gw->finish(req, json_pack("{s:o}", "KeyPairs", filtered));
}

int
nova_describe_key_pairs(ec2gw_req_t *req, void *inst)
{
    ec2gw_os_call_t call = EC2GW_OS_GET("compute", "/os-keypairs");

    (void)inst;
    return ec2gw->os_call(req, &call, nova_kp_list_done, NULL);
}

static void
nova_kp_deleted(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const char *id = arg;

    if (!ec2gw_os_ok(r) && r->status != 404) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    if (id != NULL)
        ec2gw->item_delete(req, id);
    ec2gw->finish(req, id ? json_pack("{s:b, s:s}", "Return", 1, "KeyPairId", id)
                          : json_pack("{s:b}", "Return", 1));
}

int
nova_delete_key_pair(ec2gw_req_t *req, void *inst)
{
    const char *name = nova_param_str(req, "KeyName");
    const char *kid = nova_param_str(req, "KeyPairId");
    const char *os = NULL, *id = NULL;
    ec2gw_os_call_t call;

    (void)inst;
    if (name == NULL && kid == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "KeyName or KeyPairId is required");
        return EC2GW_OK;
    }
    if (kid != NULL) {
        const char *colon;

        if (ec2gw->id_to_os(req, kid, &os) != 0 || (colon = strchr(os, ':')) == NULL) {
            ec2gw->fail(req, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
                        kid);
            return EC2GW_OK;
        }
        name = colon + 1;
        id = kid;
    }
    call = EC2GW_OS_CALL("compute", "DELETE",
                         ec2gw->psprintf(req, "/os-keypairs/%s", ec2gw->url_escape(req, name)),
                         .flags = 0);
    return ec2gw->os_call(req, &call, nova_kp_deleted, id ? ec2gw->pstrdup(req, id) : NULL);
}
