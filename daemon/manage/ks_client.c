/*
 * ks_client.c - Keystone v3 for ec2gw-manage: blocking libcurl calls (a CLI has no loop to
 * keep free), a password login, and name-or-id lookups of users and projects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "manage/manage.h"

struct body {
    char *p;
    size_t n;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    size_t len = size * nmemb;
    char *p = realloc(b->p, b->n + len + 1);

    if (p == NULL)
        return 0;
    memcpy(p + b->n, data, len);
    b->n += len;
    p[b->n] = '\0';
    b->p = p;
    return len;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    ec2gw_ks_resp_t *r = arg;
    size_t len = size * nmemb;
    static const char name[] = "x-subject-token:";

    if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t n = len - (sizeof(name) - 1);

        while (n > 0 && (*v == ' ' || *v == '\t'))
            v++, n--;
        while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
            n--;
        free(r->subject);
        r->subject = strndup(v, n);
    }
    return len;
}

int
ec2gw_ks_request(const char *method, const char *url, const char *token, const json_t *body,
                 long timeout_ms, ec2gw_ks_resp_t *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    struct body b = { NULL, 0 };
    char errbuf[CURL_ERROR_SIZE] = "", tok[4200];
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    CURLcode rc;

    memset(out, 0, sizeof(*out));
    if (c == NULL || (body != NULL && text == NULL)) {
        snprintf(out->error, sizeof(out->error), "out of memory");
        curl_easy_cleanup(c);
        free(text);
        return EC2GW_E_NOMEM;
    }
    h = curl_slist_append(h, "Accept: application/json");
    if (text != NULL)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (token != NULL) {
        snprintf(tok, sizeof(tok), "X-Auth-Token: %s", token);
        h = curl_slist_append(h, tok);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (text != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        if (b.p != NULL)
            out->json = json_loadb(b.p, b.n, 0, NULL);
    } else {
        snprintf(out->error, sizeof(out->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    free(b.p);
    free(text);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : EC2GW_E_FAIL;
}

int
ec2gw_ks_call(const ec2gw_ks_session_t *s, const char *method, const char *path, const json_t *body,
              ec2gw_ks_resp_t *out)
{
    char url[2048];

    snprintf(url, sizeof(url), "%s%s", s->url, path);
    return ec2gw_ks_request(method, url, s->token, body, s->timeout_ms, out);
}

void
ec2gw_ks_resp_free(ec2gw_ks_resp_t *r)
{
    json_decref(r->json);
    free(r->subject);
    memset(r, 0, sizeof(*r));
}

/* Keystone's own message of an error answer ({"error": {"message": ...}}), or "". */
static const char *
ks_message(const ec2gw_ks_resp_t *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));

    return m != NULL ? m : "";
}

static const char *
str_or_empty(const json_t *j)
{
    const char *v = json_string_value(j);

    return v != NULL ? v : "";
}

int
ec2gw_ks_session_open(const ec2gw_ks_login_t *l, ec2gw_ks_session_t *s, ec2gw_err_t *err)
{
    json_t *body =
        json_pack("{s:{s:{s:[s],s:{s:{s:s,s:{s:s},s:s}}},s:{s:{s:s,s:{s:s}}}}}", "auth", "identity",
                  "methods", "password", "password", "user", "name", l->user, "domain", "name",
                  l->user_domain, "password", l->password ? l->password : "", "scope", "project",
                  "name", l->project, "domain", "name", l->project_domain);
    char url[2048];
    ec2gw_ks_resp_t r;
    json_t *tok;
    int rc;

    memset(s, 0, sizeof(*s));
    if (body == NULL)
        return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
    s->url = strdup(l->url);
    if (s->url != NULL && s->url[0] != '\0' && s->url[strlen(s->url) - 1] == '/')
        s->url[strlen(s->url) - 1] = '\0';
    s->timeout_ms = l->timeout_ms;
    snprintf(url, sizeof(url), "%s/auth/tokens", s->url ? s->url : "");
    rc = ec2gw_ks_request("POST", url, NULL, body, l->timeout_ms, &r);
    json_decref(body);
    if (rc != 0)
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "%s: no answer: %s", url, r.error);
    else if (r.status != 201 || r.subject == NULL)
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "user '%s' (domain %s) of project '%s': HTTP %ld %s",
                           l->user, l->user_domain, l->project, r.status, ks_message(&r));
    if (rc != 0) {
        ec2gw_ks_resp_free(&r);
        ec2gw_ks_session_close(s);
        return rc;
    }
    tok = json_object_get(r.json, "token");
    s->token = r.subject;
    r.subject = NULL;
    s->user_id = strdup(str_or_empty(json_object_get(json_object_get(tok, "user"), "id")));
    s->project_id = strdup(str_or_empty(json_object_get(json_object_get(tok, "project"), "id")));
    s->token_body = json_incref(tok);
    ec2gw_ks_resp_free(&r);
    return 0;
}

void
ec2gw_ks_session_close(ec2gw_ks_session_t *s)
{
    free(s->url);
    free(s->token);
    free(s->user_id);
    free(s->project_id);
    json_decref(s->token_body);
    memset(s, 0, sizeof(*s));
}

int
ec2gw_ks_login_from(const ec2gw_manage_conf_t *c, ec2gw_ks_login_t *l, const char **who)
{
    const ec2gw_keystone_conf_t *k = &c->conf.keystone;
    const char *u = getenv("OS_USERNAME"), *p = getenv("OS_PASSWORD");

    memset(l, 0, sizeof(*l));
    l->timeout_ms = k->timeout_ms;
    if (u != NULL && *u != '\0' && p != NULL) {
        const char *v;

        l->url = (v = getenv("OS_AUTH_URL")) != NULL && *v ? v : k->url;
        l->user = u;
        l->password = p;
        l->project = (v = getenv("OS_PROJECT_NAME")) != NULL && *v ? v : "admin";
        l->user_domain = (v = getenv("OS_USER_DOMAIN_NAME")) != NULL && *v ? v : "Default";
        l->project_domain = (v = getenv("OS_PROJECT_DOMAIN_NAME")) != NULL && *v ? v : "Default";
        *who = "the OS_* environment's user";
        return 0;
    }
    l->url = k->url;
    l->user = k->service_user;
    l->password = k->service_password;
    l->project = k->service_project;
    l->user_domain = k->user_domain;
    l->project_domain = k->project_domain;
    *who = "the gateway's service user";
    return 0;
}

/* The domain id of domain @p name (or id), for name lookups. */
static int
ks_domain_id(const ec2gw_ks_session_t *s, const char *name, char *out, size_t size)
{
    char path[512], *esc;
    ec2gw_ks_resp_t r;
    json_t *list;
    int ok = 0;

    if (strcasecmp(name, "Default") == 0) {
        snprintf(out, size, "default");
        return 0;
    }
    esc = curl_easy_escape(NULL, name, 0);
    snprintf(path, sizeof(path), "/domains?name=%s", esc != NULL ? esc : "");
    curl_free(esc);
    if (ec2gw_ks_call(s, "GET", path, NULL, &r) == 0 && r.status == 200 &&
        json_array_size(list = json_object_get(r.json, "domains")) == 1) {
        snprintf(out, size, "%s",
                 json_string_value(json_object_get(json_array_get(list, 0), "id")));
        ok = 1;
    }
    ec2gw_ks_resp_free(&r);
    if (!ok)
        snprintf(out, size, "%s", name); /* maybe an id already */
    return 0;
}

int
ec2gw_ks_resolve(const ec2gw_ks_session_t *s, const char *kind, const char *name_or_id,
                 const char *domain, char *out, size_t out_size, ec2gw_err_t *err)
{
    char path[1024], dom[128];
    const char *single = strcmp(kind, "users") == 0 ? "user" : "project";
    ec2gw_ks_resp_t r;
    json_t *list;
    char *esc;
    int rc = 0;

    if (strpbrk(name_or_id, "/?#&% ") == NULL) {
        snprintf(path, sizeof(path), "/%s/%s", kind, name_or_id);
        if (ec2gw_ks_call(s, "GET", path, NULL, &r) == 0 && r.status == 200) {
            snprintf(out, out_size, "%s", name_or_id);
            ec2gw_ks_resp_free(&r);
            return 0;
        }
        ec2gw_ks_resp_free(&r);
    }
    ks_domain_id(s, domain != NULL ? domain : "Default", dom, sizeof(dom));
    esc = curl_easy_escape(NULL, name_or_id, 0);
    snprintf(path, sizeof(path), "/%s?name=%s&domain_id=%s", kind, esc ? esc : "", dom);
    curl_free(esc);
    if (ec2gw_ks_call(s, "GET", path, NULL, &r) != 0)
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "looking up %s '%s': no answer: %s", single,
                           name_or_id, r.error);
    else if (r.status != 200)
        rc = ec2gw_err_set(err, EC2GW_E_FAIL, "looking up %s '%s': HTTP %ld %s", single, name_or_id,
                           r.status, ks_message(&r));
    else if (json_array_size(list = json_object_get(r.json, kind)) != 1)
        rc =
            ec2gw_err_set(err, EC2GW_E_NOTFOUND, "no %s named '%s' in domain %s (nor with that id)",
                          single, name_or_id, domain != NULL ? domain : "Default");
    else
        snprintf(out, out_size, "%s",
                 json_string_value(json_object_get(json_array_get(list, 0), "id")));
    ec2gw_ks_resp_free(&r);
    return rc;
}

int
ec2gw_ks_login_session(const ec2gw_manage_conf_t *c, ec2gw_ks_session_t *s, const char *cmd)
{
    ec2gw_ks_login_t l;
    ec2gw_err_t err = { 0 };
    const char *who;

    ec2gw_ks_login_from(c, &l, &who);
    if (l.password == NULL) {
        fprintf(stderr, "ec2gw-manage: %s: no password for %s\n", cmd, who);
        return -1;
    }
    if (ec2gw_ks_session_open(&l, s, &err) != 0) {
        fprintf(stderr, "ec2gw-manage: %s: %s could not log in: %s\n", cmd, who, err.msg);
        return -1;
    }
    return 0;
}
