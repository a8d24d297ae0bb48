/*
 * catalog.c - `catalog register` and `catalog show`: the `ec2` service and its endpoints in
 * Keystone's catalog, where Horizon's ec2rc.sh (url_for('ec2')) and the EC2 tools of an
 * OpenStack site look for the gateway. Register compares before it writes, so that running it
 * on every Puppet run changes nothing once the catalog matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "manage/manage.h"

static const char *const iface_names[] = { "public", "internal", "admin" };
#define N_IFACES (sizeof(iface_names) / sizeof(iface_names[0]))

/* The string member @p key of @p obj, or @p dflt. */
static const char *
jstr(const json_t *obj, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v != NULL ? v : dflt;
}

int
ec2gw_manage_interfaces_parse(const char *list, unsigned *mask)
{
    const char *p = list;

    *mask = 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        unsigned bit = 0;

        for (size_t i = 0; i < N_IFACES; i++)
            if (strlen(iface_names[i]) == n && strncmp(p, iface_names[i], n) == 0)
                bit = 1u << i;
        if (bit == 0 || (*mask & bit) != 0)
            return -1; /* unknown or repeated */
        *mask |= bit;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1; /* trailing comma */
    }
    return *mask != 0 ? 0 : -1;
}

const json_t *
ec2gw_manage_catalog_pick_service(const json_t *services)
{
    const json_t *s;
    size_t i;

    /* Several services of type ec2 (ec2-api's "ec2" next to ours): prefer ours by name. */
    json_array_foreach(services, i, s)
    {
        if (strcmp(jstr(s, "name", ""), EC2GW_CATALOG_NAME) == 0)
            return s;
    }
    return json_array_get(services, 0);
}

static int
same_region(const json_t *ep, const char *region)
{
    const char *r = json_string_value(json_object_get(ep, "region_id"));

    if (r == NULL)
        r = json_string_value(json_object_get(ep, "region"));
    return r != NULL && strcmp(r, region) == 0;
}

ec2gw_catalog_action_t
ec2gw_manage_catalog_plan(const json_t *endpoints, const char *interface, const char *region,
                          const char *url, const json_t **found)
{
    const json_t *ep;
    size_t i;

    *found = NULL;
    json_array_foreach(endpoints, i, ep)
    {
        if (strcmp(jstr(ep, "interface", ""), interface) != 0 || !same_region(ep, region))
            continue;
        *found = ep;
        if (strcmp(jstr(ep, "url", ""), url) == 0 && !json_is_false(json_object_get(ep, "enabled")))
            return EC2GW_CATALOG_UNCHANGED;
        return EC2GW_CATALOG_UPDATE;
    }
    return EC2GW_CATALOG_CREATE;
}


/* One Keystone call expected to answer @p want; otherwise says why on stderr, -1. */
static int
ks_expect(const ec2gw_ks_session_t *s, const char *method, const char *path, const json_t *body,
          long want, const char *what, ec2gw_ks_resp_t *r)
{
    const char *m;

    if (ec2gw_ks_call(s, method, path, body, r) != 0) {
        fprintf(stderr, "ec2gw-manage: catalog: %s: no answer from Keystone: %s\n", what, r->error);
        return -1;
    }
    if (r->status == want)
        return 0;
    m = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    fprintf(stderr, "ec2gw-manage: catalog: %s: Keystone answered HTTP %ld%s%s%s\n", what,
            r->status, m ? ": " : "", m ? m : "",
            r->status == 403 ? " (the identity needs the admin role)" : "");
    return -1;
}

/* The services of type ec2 (new reference in *out). */
static int
list_services(const ec2gw_ks_session_t *s, json_t **out)
{
    ec2gw_ks_resp_t r;
    int rc = ks_expect(s, "GET", "/services?type=ec2", NULL, 200, "listing services", &r);

    *out = rc == 0 ? json_incref(json_object_get(r.json, "services")) : NULL;
    ec2gw_ks_resp_free(&r);
    if (rc == 0 && !json_is_array(*out)) {
        fprintf(stderr, "ec2gw-manage: catalog: listing services: unexpected answer\n");
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return rc;
}

/* The endpoints of service @p id (new reference in *out). */
static int
list_endpoints(const ec2gw_ks_session_t *s, const char *id, json_t **out)
{
    char path[256], *esc = curl_easy_escape(NULL, id, 0);
    ec2gw_ks_resp_t r;
    int rc;

    snprintf(path, sizeof(path), "/endpoints?service_id=%s", esc ? esc : "");
    curl_free(esc);
    rc = ks_expect(s, "GET", path, NULL, 200, "listing endpoints", &r);
    *out = rc == 0 ? json_incref(json_object_get(r.json, "endpoints")) : NULL;
    ec2gw_ks_resp_free(&r);
    if (rc == 0 && !json_is_array(*out)) {
        fprintf(stderr, "ec2gw-manage: catalog: listing endpoints: unexpected answer\n");
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return rc;
}

/* Create the ec2 service; its id into @p id. */
static int
create_service(const ec2gw_ks_session_t *s, char *id, size_t size)
{
    json_t *body =
        json_pack("{s:{s:s,s:s,s:s,s:b}}", "service", "type", "ec2", "name", EC2GW_CATALOG_NAME,
                  "description", "EC2 Query API (ec2gw gateway)", "enabled", 1);
    ec2gw_ks_resp_t r;
    int rc = ks_expect(s, "POST", "/services", body, 201, "creating service", &r);
    const char *v = json_string_value(json_object_get(json_object_get(r.json, "service"), "id"));

    if (rc == 0 && v == NULL) {
        fprintf(stderr, "ec2gw-manage: catalog: creating service: no id in the answer\n");
        rc = -1;
    }
    if (rc == 0)
        snprintf(id, size, "%s", v);
    ec2gw_ks_resp_free(&r);
    json_decref(body);
    return rc;
}

/* Apply one endpoint's action (not UNCHANGED). */
static int
write_endpoint(const ec2gw_ks_session_t *s, ec2gw_catalog_action_t act, const json_t *found,
               const char *service_id, const char *iface, const char *region, const char *url)
{
    ec2gw_ks_resp_t r;
    json_t *body;
    char path[256];
    int rc;

    if (act == EC2GW_CATALOG_CREATE) {
        body = json_pack("{s:{s:s,s:s,s:s,s:s,s:b}}", "endpoint", "service_id", service_id,
                         "interface", iface, "region_id", region, "url", url, "enabled", 1);
        rc = ks_expect(s, "POST", "/endpoints", body, 201, "creating endpoint", &r);
    } else {
        body = json_pack("{s:{s:s,s:b}}", "endpoint", "url", url, "enabled", 1);
        snprintf(path, sizeof(path), "/endpoints/%s", jstr(found, "id", ""));
        rc = ks_expect(s, "PATCH", path, body, 200, "updating endpoint", &r);
    }
    ec2gw_ks_resp_free(&r);
    json_decref(body);
    return rc;
}

/* The endpoints part of register; the number of changes (made or, dry, to make), or -1. */
static int
register_endpoints(const ec2gw_ks_session_t *s, const ec2gw_manage_args_t *a, const char *region,
                   unsigned mask, const char *service_id, const json_t *endpoints)
{
    int changes = 0;

    for (size_t i = 0; i < N_IFACES; i++) {
        const char *iface = iface_names[i];
        const json_t *found;
        ec2gw_catalog_action_t act;

        if ((mask & (1u << i)) == 0)
            continue;
        act = ec2gw_manage_catalog_plan(endpoints, iface, region, a->url, &found);
        if (act == EC2GW_CATALOG_UNCHANGED) {
            printf("endpoint %-8s %s %s: unchanged\n", iface, region, a->url);
            continue;
        }
        changes++;
        if (!a->dry_run && write_endpoint(s, act, found, service_id, iface, region, a->url) != 0)
            return -1;
        if (act == EC2GW_CATALOG_CREATE)
            printf("endpoint %-8s %s %s: %s\n", iface, region, a->url,
                   a->dry_run ? "would be created" : "created");
        else
            printf("endpoint %-8s %s %s: %s (was %s%s)\n", iface, region, a->url,
                   a->dry_run ? "would be updated" : "updated", jstr(found, "url", "?"),
                   json_is_false(json_object_get(found, "enabled")) ? ", disabled" : "");
    }
    return changes;
}

int
ec2gw_manage_catalog_register(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a)
{
    const char *region = a->region != NULL ? a->region : c->conf.region;
    unsigned mask = 0;
    ec2gw_ks_session_t s;
    json_t *services = NULL, *endpoints = NULL;
    const json_t *svc;
    char id[128] = "";
    int changes = 0, n, rc = EC2GW_MANAGE_FAIL;

    if (ec2gw_manage_interfaces_parse(
            a->interfaces != NULL ? a->interfaces : "public,internal,admin", &mask) != 0)
        return EC2GW_MANAGE_USAGE; /* args_parse has already refused it */
    if (ec2gw_ks_login_session(c, &s, "catalog register") != 0)
        return EC2GW_MANAGE_FAIL;
    if (list_services(&s, &services) != 0)
        goto out;
    if ((svc = ec2gw_manage_catalog_pick_service(services)) != NULL) {
        snprintf(id, sizeof(id), "%s", jstr(svc, "id", ""));
        printf("service  %s (type ec2) %s: present\n", jstr(svc, "name", "(no name)"), id);
        if (list_endpoints(&s, id, &endpoints) != 0)
            goto out;
    } else {
        changes++;
        if (!a->dry_run && create_service(&s, id, sizeof(id)) != 0)
            goto out;
        printf("service  %s (type ec2) %s: %s\n", EC2GW_CATALOG_NAME, a->dry_run ? "-" : id,
               a->dry_run ? "would be created" : "created");
        endpoints = json_array();
    }
    if ((n = register_endpoints(&s, a, region, mask, id, endpoints)) < 0)
        goto out;
    changes += n;
    if (changes == 0) {
        printf("catalog: unchanged, nothing to do\n");
        rc = EC2GW_MANAGE_OK;
    } else if (a->dry_run) {
        printf("catalog: dry run: %d change%s to make, nothing written\n", changes,
               changes == 1 ? "" : "s");
        rc = EC2GW_MANAGE_CHANGES;
    } else {
        printf("catalog: %d change%s made\n", changes, changes == 1 ? "" : "s");
        rc = EC2GW_MANAGE_OK;
    }
out:
    json_decref(services);
    json_decref(endpoints);
    ec2gw_ks_session_close(&s);
    return rc;
}

int
ec2gw_manage_catalog_show(const ec2gw_manage_conf_t *c, const ec2gw_manage_args_t *a)
{
    ec2gw_ks_session_t s;
    json_t *services = NULL, *endpoints = NULL;
    const json_t *svc, *ep;
    size_t i, j;
    int rc = EC2GW_MANAGE_FAIL;

    if (ec2gw_ks_login_session(c, &s, "catalog show") != 0)
        return EC2GW_MANAGE_FAIL;
    if (list_services(&s, &services) != 0)
        goto out;
    if (json_array_size(services) == 0) {
        fprintf(stderr, "ec2gw-manage: catalog show: no service of type ec2 in the catalog (run "
                        "catalog register --url URL)\n");
        goto out;
    }
    json_array_foreach(services, i, svc)
    {
        const char *id = jstr(svc, "id", "");

        printf("service  %s (type ec2) %s%s\n", jstr(svc, "name", "(no name)"), id,
               json_is_false(json_object_get(svc, "enabled")) ? " disabled" : "");
        json_decref(endpoints);
        if (list_endpoints(&s, id, &endpoints) != 0)
            goto out;
        json_array_foreach(endpoints, j, ep)
        {
            if (a->region != NULL && !same_region(ep, a->region))
                continue;
            printf("endpoint %-8s %s %s%s\n", jstr(ep, "interface", "?"),
                   jstr(ep, "region_id", "-"), jstr(ep, "url", "?"),
                   json_is_false(json_object_get(ep, "enabled")) ? " disabled" : "");
        }
    }
    rc = EC2GW_MANAGE_OK;
out:
    json_decref(services);
    json_decref(endpoints);
    ec2gw_ks_session_close(&s);
    return rc;
}
