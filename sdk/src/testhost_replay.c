/*
 * testhost_replay.c - recorded OpenStack conversations of the stock plugins (installed under
 * share/ec2gw/fixtures/<plugin>/<Action>.json) replayed into a fake host, so that a wrapper's
 * unit test scripts none of the wrapped plugin's calls itself.
 *
 * A fixture: {"plugin", "action", "recorded" (how and when), "settings" (the stock
 * instance's), "project" (the caller's, set on the host), "ids" ({"ami-..": "<OpenStack id>"}:
 * mappings an earlier request made), "params" (the EC2 parameters), "calls" ([{"method", "service",
 * "path" ('*' wildcards), "status", "body"}] in the order the plugin makes them), "answer" (the
 * stock model)}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testhost_priv.h"

/* <dir>/<name>.json for the first directory holding it: EC2GW_TEST_FIXTURES, the source
 * tree's sdk/fixtures (in-tree builds), the installed share/ec2gw/fixtures. */
static char *
replay_path(const char *name)
{
    const char *env = getenv("EC2GW_TEST_FIXTURES");
    const char *dirs[] = { env, EC2GW_TESTHOST_SOURCE_FIXTURES, EC2GW_TESTHOST_FIXTURES };
    size_t n = strlen(name);
    char *p;

    if (n > 5 && strcmp(name + n - 5, ".json") == 0)
        return strdup(name); /* a file of the test's own */
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (dirs[i] == NULL || dirs[i][0] == '\0')
            continue;
        if ((p = malloc(strlen(dirs[i]) + n + 8)) == NULL)
            return NULL;
        sprintf(p, "%s/%s.json", dirs[i], name);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

json_t *
ec2gw_test_fixture(const char *name)
{
    char *path = replay_path(name);
    json_error_t jerr;
    json_t *fx;

    if (path == NULL) {
        fprintf(stderr, "ec2gw_test: no recorded fixture %s (EC2GW_TEST_FIXTURES, %s, %s)\n", name,
                EC2GW_TESTHOST_SOURCE_FIXTURES, EC2GW_TESTHOST_FIXTURES);
        return NULL;
    }
    fx = json_load_file(path, 0, &jerr);
    if (!json_is_object(fx) || !json_is_array(json_object_get(fx, "calls"))) {
        fprintf(stderr, "ec2gw_test: %s: not a fixture: %s\n", path,
                fx == NULL ? jerr.text : "no \"calls\" array");
        json_decref(fx);
        fx = NULL;
    }
    free(path);
    return fx;
}

const char *
ec2gw_test_replay(ec2gw_test_host_t *h, const char *name)
{
    json_t *fx = ec2gw_test_fixture(name), *c, *v;
    const char *ec2_id;
    size_t i;

    if (fx == NULL) {
        th_violation(h, "ec2gw_test_replay(%s): no such fixture", name);
        return NULL;
    }
    /* the recording's project: its ids, items and tags, and Nova's tenant_id, match it */
    if (json_is_string(json_object_get(fx, "project")))
        ec2gw_test_set_project(h, json_string_value(json_object_get(fx, "project")));
    json_object_foreach(json_object_get(fx, "ids"), ec2_id, v)
    {
        if (ec2gw_test_map_id(h, ec2_id, json_string_value(v)) != 0)
            th_violation(h, "ec2gw_test_replay(%s): %s is already mapped", name, ec2_id);
    }
    json_array_foreach(json_object_get(fx, "calls"), i, c)
    {
        const json_t *body = json_object_get(c, "body");
        char *text = NULL;

        if (body != NULL && !json_is_null(body))
            text = json_is_string(body) ? strdup(json_string_value(body))
                                        : json_dumps(body, JSON_COMPACT);
        ec2gw_test_expect(h, json_string_value(json_object_get(c, "method")),
                          json_string_value(json_object_get(c, "service")),
                          json_string_value(json_object_get(c, "path")),
                          (long)json_integer_value(json_object_get(c, "status")), text);
        free(text);
    }
    free(h->replay_params);
    h->replay_params = json_dumps(json_object_get(fx, "params"), JSON_COMPACT);
    json_decref(fx);
    return h->replay_params != NULL ? h->replay_params : "{}";
}

const json_t *
ec2gw_test_call_body(const ec2gw_test_host_t *h, const char *method, const char *service,
                     const char *path_pattern)
{
    const json_t *found = NULL, *c;
    size_t i;

    json_array_foreach(h->calls, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "method")), method) == 0 &&
            strcmp(json_string_value(json_object_get(c, "service")), service) == 0 &&
            th_glob(path_pattern, json_string_value(json_object_get(c, "path"))))
            found = json_object_get(c, "body");
    }
    return found;
}
