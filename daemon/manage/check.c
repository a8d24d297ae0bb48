/*
 * check.c - `check`: one verdict line per thing the configuration points at, OK or FAIL and
 * why, tried for real (a login, an ec2tokens round trip with a temporary credential, a
 * credential read, the catalog, the database file).
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth/sig_util.h"
#include "manage/manage.h"
#include "openstack/catalog.h"

struct tally {
    int ok, fail;
};

static void EC2GW_PRINTF(4, 5)
    verdict(struct tally *t, int ok, const char *item, const char *fmt, ...)
{
    va_list ap;

    printf("%-4s %s: ", ok ? "OK" : "FAIL", item);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    if (ok)
        t->ok++;
    else
        t->fail++;
}

static const char *
ks_msg(const ec2gw_ks_resp_t *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));

    return m != NULL ? m : (r->status == 0 ? r->error : "");
}

static void
check_reachable(struct tally *t, const ec2gw_keystone_conf_t *k)
{
    ec2gw_ks_resp_t r;

    if (ec2gw_ks_request("GET", k->url, NULL, NULL, k->timeout_ms, &r) != 0)
        verdict(t, 0, "keystone reachable", "%s: %s", k->url, r.error);
    else if (r.status >= 200 && r.status < 400 && json_object_get(r.json, "version") != NULL)
        verdict(t, 1, "keystone reachable", "%s answers (identity %s)", k->url,
                json_string_value(json_object_get(json_object_get(r.json, "version"), "id")));
    else
        verdict(t, 0, "keystone reachable", "%s answered HTTP %ld, not an identity v3 document",
                k->url, r.status);
    ec2gw_ks_resp_free(&r);
}

/* ec2tokens: a temporary credential of the service user's own signs a request. */
static void
check_ec2tokens(struct tally *t, const ec2gw_ks_session_t *s)
{
    char path[512];
    ec2gw_ks_resp_t r, del;
    ec2gw_err_t err = { 0 };
    json_t *body = json_pack("{s:s}", "tenant_id", s->project_id);
    const char *access, *secret;
    long status = 0;

    snprintf(path, sizeof(path), "/users/%s/credentials/OS-EC2", s->user_id);
    if (ec2gw_ks_call(s, "POST", path, body, &r) != 0 || r.status != 201) {
        verdict(t, 0, "ec2tokens",
                "could not make a temporary EC2 credential to try it: HTTP %ld %s", r.status,
                ks_msg(&r));
        goto out;
    }
    access = json_string_value(json_object_get(json_object_get(r.json, "credential"), "access"));
    secret = json_string_value(json_object_get(json_object_get(r.json, "credential"), "secret"));
    if (access == NULL || secret == NULL) {
        verdict(t, 0, "ec2tokens", "unexpected answer making a temporary EC2 credential");
        goto out;
    }
    if (ec2gw_manage_ec2tokens_probe(s, access, secret, &status, &err) != 0)
        verdict(t, 0, "ec2tokens", "%s", err.msg);
    else if (status == 200)
        verdict(t, 1, "ec2tokens",
                "a request signed with a credential of the service user's "
                "is accepted (HTTP 200)");
    else
        verdict(t, 0, "ec2tokens", "Keystone refused a correctly signed request: HTTP %ld", status);
    snprintf(path, sizeof(path), "/users/%s/credentials/OS-EC2/%s", s->user_id, access);
    if (ec2gw_ks_call(s, "DELETE", path, NULL, &del) != 0 || del.status != 204)
        fprintf(stderr,
                "ec2gw-manage: check: could not delete the temporary credential %s "
                "(HTTP %ld): delete it by hand\n",
                access, del.status);
    ec2gw_ks_resp_free(&del);
out:
    json_decref(body);
    ec2gw_ks_resp_free(&r);
}

/*
 * Credential reads: ec2gwd reads /v3/credentials/<sha256(access)> of any user. For an id that
 * does not exist Keystone answers 404 to an identity allowed to read others' credentials and
 * 403 to one that is not (the policy is checked against an empty target).
 */
static void
check_credential_read(struct tally *t, const ec2gw_ks_session_t *s)
{
    unsigned char rnd[16];
    char hex[33], digest[65], path[128];
    ec2gw_ks_resp_t r;

    RAND_bytes(rnd, sizeof(rnd));
    ec2gw_sig_hex(rnd, sizeof(rnd), hex);
    ec2gw_sig_sha256_hex(hex, strlen(hex), digest);
    snprintf(path, sizeof(path), "/credentials/%s", digest);
    if (ec2gw_ks_call(s, "GET", path, NULL, &r) != 0)
        verdict(t, 0, "credential reads", "no answer: %s", r.error);
    else if (r.status == 404)
        verdict(t, 1, "credential reads",
                "the service user may read users' EC2 credentials "
                "(secrets are cached, signatures checked locally)");
    else if (r.status == 403 || r.status == 401)
        verdict(t, 0, "credential reads",
                "the service user may not read other users' EC2 credentials (HTTP %ld): ec2gwd "
                "would ask Keystone on every request; grant it the admin role",
                r.status);
    else
        verdict(t, 0, "credential reads", "unexpected HTTP %ld %s", r.status, ks_msg(&r));
    ec2gw_ks_resp_free(&r);
}

static void
check_catalog(struct tally *t, const ec2gw_ks_session_t *s, ec2gw_daemon_t *d)
{
    const ec2gw_keystone_conf_t *k = &d->gen->conf.keystone;
    const json_t *catalog = json_object_get(s->token_body, "catalog");
    size_t n = ec2gw_plugins_count(d->gen->plugins, NULL);
    char item[160];

    for (size_t i = 0; i < n; i++) {
        ec2gw_instance_t *in = ec2gw_plugins_instance(d->gen->plugins, i);
        const char *url;

        if (in->service_type == NULL)
            continue;
        url = ec2gw_catalog_url(catalog, in->service_type, k->interface, k->region);
        snprintf(item, sizeof(item), "catalog %s (plugin %s)", in->service_type, in->name);
        if (url != NULL)
            verdict(t, 1, item, "%s", url);
        else
            verdict(t, 0, item,
                    "no '%s' endpoint with interface %s%s%s in the service user's "
                    "catalog",
                    in->service_type, k->interface, k->region ? " in region " : "",
                    k->region ? k->region : "");
    }
}

static void
check_database(struct tally *t, const char *path, const char *password)
{
    char *copy = strdup(path);
    const char *dir = copy != NULL ? dirname(copy) : ".";
    ec2gw_err_t err = { 0 };
    int have, want = ec2gw_manage_db_expected_version(&err);

    if (ec2gw_db_is_url(path)) {
        if (ec2gw_db_probe_write(path, password, &err) == 0)
            verdict(t, 1, "database writable", "%s", path);
        else
            verdict(t, 0, "database writable", "%s", err.msg);
    } else if (access(path, F_OK) == 0 ? access(path, W_OK) == 0 : access(dir, W_OK) == 0)
        verdict(t, 1, "database writable", "%s", path);
    else
        verdict(t, 0, "database writable", "%s: %s", path, strerror(errno));
    free(copy);
    if (ec2gw_manage_db_read_version(path, password, &have, &err) != 0 || want < 0)
        verdict(t, 0, "database schema", "%s", err.msg);
    else if (have < 0)
        verdict(t, 0, "database schema", "%s does not exist yet: run ec2gw-manage db upgrade",
                path);
    else if (have != want)
        verdict(t, 0, "database schema", "version %d, this ec2gw expects %d%s", have, want,
                have < want ? ": run ec2gw-manage db upgrade" : "");
    else
        verdict(t, 1, "database schema", "version %d, current", have);
}

int
ec2gw_manage_check(const ec2gw_manage_args_t *a)
{
    ec2gw_daemon_t d = { 0 };
    ec2gw_err_t err = { 0 };
    struct tally t = { 0, 0 };
    ec2gw_ks_login_t l = { 0 };
    ec2gw_ks_session_t s = { 0 };
    const ec2gw_keystone_conf_t *k;
    int have_plugins;

    d.opts.conf_dir = a->conf_dir;
    d.opts.plugin_dir = a->plugin_dir;
    d.opts.check_only = 1;
    /* The configuration as ec2gwd --check-config loads it: conf.d, model and plugins. */
    have_plugins = ec2gw_daemon_prepare(&d, &err) == 0;
    if (d.gen == NULL) {
        verdict(&t, 0, "config", "%s: %s", a->conf_dir, err.msg);
        goto out;
    }
    if (have_plugins)
        verdict(&t, 1, "config", "%s is valid (%zu plugin instances)", a->conf_dir,
                ec2gw_plugins_count(d.gen->plugins, NULL));
    else
        verdict(&t, 0, "config", "%s: %s", a->conf_dir, err.msg);
    k = &d.gen->conf.keystone;
    check_reachable(&t, k);
    l = (ec2gw_ks_login_t){ .url = k->url,
                            .user = k->service_user,
                            .password = k->service_password,
                            .user_domain = k->user_domain,
                            .project = k->service_project,
                            .project_domain = k->project_domain,
                            .timeout_ms = k->timeout_ms };
    if (ec2gw_ks_session_open(&l, &s, &err) != 0) {
        verdict(&t, 0, "service user login", "%s", err.msg);
        /* Every item gets its line, even when it could not be tried. */
        verdict(&t, 0, "ec2tokens", "not tried: the service user could not log in");
        verdict(&t, 0, "credential reads", "not tried: the service user could not log in");
        if (have_plugins)
            verdict(&t, 0, "catalog", "not tried: the service user could not log in");
    } else {
        verdict(&t, 1, "service user login", "'%s' in project '%s'", k->service_user,
                k->service_project);
        check_ec2tokens(&t, &s);
        check_credential_read(&t, &s);
        if (have_plugins)
            check_catalog(&t, &s, &d);
    }
    check_database(&t, d.gen->conf.database, d.gen->conf.database_password);
out:
    printf("check: %d OK, %d FAIL\n", t.ok, t.fail);
    ec2gw_ks_session_close(&s);
    ec2gw_daemon_free(&d);
    return t.fail == 0 ? EC2GW_MANAGE_OK : EC2GW_MANAGE_FAIL;
}
