/*
 * serve.c - answering a verified instance: the cache or a fetch, then its metadata options
 * (HttpEndpoint disabled: 404; HttpTokens required: 401 without a valid IMDSv2 token), then
 * the path: the version list, /<version>/meta-data/..., user-data, dynamic/..., or
 * /openstack/... Unknown paths are 404, text/plain as EC2 answers.
 */
#include <string.h>

#include "md.h"

int
md_identified(ec2gw_req_t *req, struct md_req *st)
{
    json_t *f = md_cache_get(st->inst, st->uuid, ec2gw->now_ms(req));
    int rc;

    if (f != NULL) {
        st->facts = f; /* borrowed: the answer is sent before the cache can change */
        md_answer(req, st);
        return EC2GW_OK;
    }
    rc = md_fetch(req, st);
    if (rc == EC2GW_AGAIN)
        return EC2GW_AGAIN;
    md_text(req, 500, "Internal error\n");
    return EC2GW_OK;
}

void
md_user_data(ec2gw_req_t *req, struct md_req *st)
{
    const char *b64 = md_str(st->facts, "user_data");
    unsigned char *bytes;
    size_t len;

    if (b64 == NULL)
        md_text(req, 404, "Not Found\n");
    else if (md_b64_decode(req, b64, &bytes, &len) != 0)
        md_text(req, 500, "Unreadable user data\n");
    else
        ec2gw->reply(req, 200, "application/octet-stream", bytes, len);
}

static void
versions(ec2gw_req_t *req)
{
    const char *list = "";

    for (size_t i = 0; md_versions[i] != NULL; i++)
        list = ec2gw->psprintf(req, "%s%s%s", list, i ? "\n" : "", md_versions[i]);
    md_text(req, 200, list);
}

static void
dynamic(ec2gw_req_t *req, struct md_req *st, const char *sub)
{
    json_t *d = json_pack("{s:{s:s}}", "instance-identity", "document",
                          md_str(st->facts, "document") ? md_str(st->facts, "document") : "{}");
    const char *text = d ? md_tree_lookup(req, d, sub) : NULL;

    if (text == NULL)
        md_text(req, 404, "Not Found\n");
    else
        md_text(req, 200, text);
    json_decref(d);
}

/* The path of a request under /<version>/: "" (the listing), meta-data/.., user-data, dynamic/.. */
static void
versioned(ec2gw_req_t *req, struct md_req *st, const char *rest)
{
    size_t seg = strcspn(rest, "/");
    const char *text = NULL;

    if (*rest == '\0') {
        md_text(req, 200,
                md_str(st->facts, "user_data") ? "dynamic\nmeta-data\nuser-data"
                                               : "dynamic\nmeta-data");
    } else if (seg == 9 && strncmp(rest, "meta-data", 9) == 0) {
        text = md_tree_lookup(req, json_object_get(st->facts, "tree"), rest + 9);
        md_text(req, text ? 200 : 404, text ? text : "Not Found\n");
    } else if (seg == 9 && strncmp(rest, "user-data", 9) == 0 &&
               strspn(rest + 9, "/") == strlen(rest + 9)) {
        md_user_data(req, st);
    } else if (seg == 7 && strncmp(rest, "dynamic", 7) == 0) {
        dynamic(req, st, rest + 7);
    } else {
        md_text(req, 404, "Not Found\n");
    }
}

static void
route(ec2gw_req_t *req, struct md_req *st, const char *path)
{
    const char *p = path, *rest;
    size_t vlen;

    while (*p == '/')
        p++;
    vlen = strcspn(p, "/");
    if (*p == '\0') {
        versions(req);
    } else if (strncmp(p, "openstack", 9) == 0 && (p[9] == '\0' || p[9] == '/')) {
        md_openstack(req, st, p + 9);
    } else if (!md_version_ok(p, vlen)) {
        md_text(req, 404, "Not Found\n");
    } else {
        for (rest = p + vlen; *rest == '/';)
            rest++;
        versioned(req, st, rest);
    }
}

/* The options and the token decide whether the path is served at all. */
void
md_answer(ec2gw_req_t *req, struct md_req *st)
{
    const json_t *opts = json_object_get(st->facts, "md_opts");
    const char *tenant = md_str(st->facts, "tenant"), *method = ec2gw->http_method(req);
    const char *path = ec2gw->http_path(req), *endpoint = md_str(opts, "http_endpoint");
    const char *tokens = md_str(opts, "http_tokens");
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0, tok;

    /* A cached instance is served to its own project only, like a fetched one. */
    if (tenant == NULL || strcmp(tenant, st->tenant) != 0 ||
        ec2gw->act_as(req, tenant, NULL) != 0) {
        md_text(req, 404, "Not Found\n");
    } else if (endpoint != NULL && strcmp(endpoint, "disabled") == 0) {
        md_text(req, 404, "Not Found\n");
    } else if (strcmp(path, "/latest/api/token") == 0 && strcmp(method, "PUT") == 0) {
        md_token_put(req, st);
    } else if (strcmp(path, "/latest/api/token") == 0 || !get) {
        ec2gw->reply_header(req, "Allow", get ? "PUT" : "GET, HEAD");
        md_text(req, 405, "Method Not Allowed\n");
    } else if ((tok = md_token_check(req, st)) < 0 ||
               (tok == 0 && tokens != NULL && strcmp(tokens, "required") == 0)) {
        md_text(req, 401, "Unauthorized\n");
    } else {
        route(req, st, path);
    }
}
