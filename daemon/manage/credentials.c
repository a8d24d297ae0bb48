/*
 * credentials.c - `credentials create` and `credentials list` through Keystone's OS-EC2 API
 * (/v3/users/{id}/credentials/OS-EC2) and credentials API (/v3/credentials?type=ec2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manage/manage.h"

void
ec2gw_manage_export(FILE *out, const char *name, const char *value)
{
    fprintf(out, "export %s='", name);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\'')
            fputs("'\\''", out);
        else
            fputc(*p, out);
    }
    fputs("'\n", out);
}


static const char *
ec2_url(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a, char *buf, size_t size)
{
    if (a->url != NULL)
        return a->url;
    if (c->conf.endpoint != NULL)
        return c->conf.endpoint;
    snprintf(buf, size, "http://%s:%lld", c->conf.listen_address, (long long)c->conf.listen_port);
    return buf;
}

int
ec2gw_manage_cred_create(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a)
{
    ec2gw_ks_session_t s;
    ec2gw_err_t err = { 0 };
    char uid[128], pid[128], path[256], urlbuf[300];
    const char *access, *secret, *url = ec2_url(c, a, urlbuf, sizeof(urlbuf));
    ec2gw_ks_resp_t r = { 0 };
    json_t *body, *cred;
    int rc = EC2GW_MANAGE_FAIL;

    if (ec2gw_ks_login_session(c, &s, "credentials create") != 0)
        return EC2GW_MANAGE_FAIL;
    if (ec2gw_ks_resolve(&s, "users", a->user, a->domain, uid, sizeof(uid), &err) != 0 ||
        ec2gw_ks_resolve(&s, "projects", a->project, a->domain, pid, sizeof(pid), &err) != 0) {
        fprintf(stderr, "ec2gw-manage: credentials create: %s\n", err.msg);
        goto out;
    }
    body = json_pack("{s:s}", "tenant_id", pid);
    snprintf(path, sizeof(path), "/users/%s/credentials/OS-EC2", uid);
    if (ec2gw_ks_call(&s, "POST", path, body, &r) != 0) {
        fprintf(stderr, "ec2gw-manage: credentials create: no answer from Keystone: %s\n", r.error);
    } else if (r.status != 201 && r.status != 200) {
        const char *m =
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));

        fprintf(stderr,
                "ec2gw-manage: credentials create: Keystone answered HTTP %ld%s%s (the identity "
                "needs the admin role, or to be the user itself)\n",
                r.status, m ? ": " : "", m ? m : "");
    } else if ((cred = json_object_get(r.json, "credential")) == NULL ||
               (access = json_string_value(json_object_get(cred, "access"))) == NULL ||
               (secret = json_string_value(json_object_get(cred, "secret"))) == NULL) {
        fprintf(stderr, "ec2gw-manage: credentials create: unexpected answer from Keystone\n");
    } else {
        printf("# EC2 credentials of user %s (%s) in project %s (%s), made by ec2gw-manage.\n"
               "# Source it: . ec2rc.sh; then e.g. aws --endpoint-url \"$EC2_URL\" ec2 "
               "describe-regions\n",
               a->user, uid, a->project, pid);
        ec2gw_manage_export(stdout, "EC2_ACCESS_KEY", access);
        ec2gw_manage_export(stdout, "EC2_SECRET_KEY", secret);
        ec2gw_manage_export(stdout, "EC2_URL", url);
        ec2gw_manage_export(stdout, "AWS_ACCESS_KEY_ID", access);
        ec2gw_manage_export(stdout, "AWS_SECRET_ACCESS_KEY", secret);
        ec2gw_manage_export(stdout, "AWS_DEFAULT_REGION", c->conf.region);
        ec2gw_manage_export(stdout, "AWS_ENDPOINT_URL_EC2", url);
        rc = EC2GW_MANAGE_OK;
    }
    json_decref(body);
out:
    ec2gw_ks_resp_free(&r);
    ec2gw_ks_session_close(&s);
    return rc;
}

/* One credential of /v3/credentials: its blob holds access (and secret, never printed). */
static void
print_credential(const json_t *cred)
{
    const char *blob_text = json_string_value(json_object_get(cred, "blob"));
    json_t *blob = blob_text ? json_loads(blob_text, 0, NULL) : NULL;
    const char *access = json_string_value(json_object_get(blob, "access"));
    const char *user = json_string_value(json_object_get(cred, "user_id"));
    const char *project = json_string_value(json_object_get(cred, "project_id"));

    if (project == NULL)
        project = json_string_value(json_object_get(blob, "tenant_id"));
    printf("%-34s %-34s %s\n", access ? access : "?", user ? user : "?", project ? project : "?");
    json_decref(blob);
}

int
ec2gw_manage_cred_list(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a)
{
    ec2gw_ks_session_t s;
    ec2gw_err_t err = { 0 };
    char uid[128], path[256];
    ec2gw_ks_resp_t r = { 0 };
    json_t *list, *cred;
    size_t i;
    int rc = EC2GW_MANAGE_FAIL;

    if (ec2gw_ks_login_session(c, &s, "credentials list") != 0)
        return EC2GW_MANAGE_FAIL;
    if (a->user != NULL &&
        ec2gw_ks_resolve(&s, "users", a->user, a->domain, uid, sizeof(uid), &err) != 0) {
        fprintf(stderr, "ec2gw-manage: credentials list: %s\n", err.msg);
        goto out;
    }
    if (a->user != NULL)
        snprintf(path, sizeof(path), "/credentials?type=ec2&user_id=%s", uid);
    else
        snprintf(path, sizeof(path), "/credentials?type=ec2");
    if (ec2gw_ks_call(&s, "GET", path, NULL, &r) != 0) {
        fprintf(stderr, "ec2gw-manage: credentials list: no answer from Keystone: %s\n", r.error);
    } else if (r.status != 200 || !json_is_array(list = json_object_get(r.json, "credentials"))) {
        fprintf(stderr, "ec2gw-manage: credentials list: Keystone answered HTTP %ld\n", r.status);
    } else {
        printf("%-34s %-34s %s\n", "ACCESS KEY", "USER", "PROJECT");
        json_array_foreach(list, i, cred) print_credential(cred);
        rc = EC2GW_MANAGE_OK;
    }
out:
    ec2gw_ks_resp_free(&r);
    ec2gw_ks_session_close(&s);
    return rc;
}
