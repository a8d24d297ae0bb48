/*
 * neutron_common.c - helpers shared by the neutron-v2.0 actions: parameters, Neutron error
 * mapping, id mapping, tag specifications, filters and paging, answers.
 */
#include <string.h>

#include "neutron.h"

json_t *
neutron_own(ec2gw_req_t *req, json_t *j)
{
    if (j == NULL)
        return NULL;
    ec2gw->own_json(req, j);
    json_decref(j);
    return j;
}

const char *
neutron_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *
neutron_param_str(ec2gw_req_t *req, const char *key)
{
    return neutron_str(ec2gw->params(req), key);
}

int
neutron_first_failure(const ec2gw_os_resp_t *const *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ec2gw_os_ok(r[i]))
            return (int)i;
    return -1;
}

/* Neutron errors are {"NeutronError": {"type": ..., "message": ..., "detail": ...}}. */
static const json_t *
neutron_error_obj(const ec2gw_os_resp_t *r)
{
    return r != NULL ? json_object_get(r->json, "NeutronError") : NULL;
}

const char *
neutron_error_type(const ec2gw_os_resp_t *r)
{
    return neutron_or(neutron_str(neutron_error_obj(r), "type"));
}

const char *
neutron_error_message(ec2gw_req_t *req, const ec2gw_os_resp_t *r)
{
    const char *m = neutron_str(neutron_error_obj(r), "message");
    char *out;

    if (m == NULL)
        return "";
    out = ec2gw->psprintf(req, "%.240s", m);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    return out;
}

void
neutron_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const struct neutron_errmap *map)
{
    const char *type = neutron_error_type(r);
    int quota = strcmp(type, "OverQuota") == 0;

    if (map != NULL && r != NULL) {
        if (quota && map->quota != NULL) {
            ec2gw->fail(req, 400, map->quota, "%s", neutron_error_message(req, r));
            return;
        }
        if (!quota && r->status == 409 && map->conflict != NULL) {
            ec2gw->fail(req, 400, map->conflict, "%s", neutron_error_message(req, r));
            return;
        }
        if (r->status == 404 && map->not_found != NULL) {
            ec2gw->fail_from_os(req, r, map->not_found);
            return;
        }
    }
    ec2gw->fail_from_os(req, r, map != NULL ? map->not_found : NULL);
}

json_t *
neutron_tag_specs(const json_t *params, const char *resource_type)
{
    json_t *out = json_array();
    const json_t *spec;
    size_t i;

    json_array_foreach(json_object_get(params, "TagSpecifications"), i, spec)
    {
        const char *rt = neutron_str(spec, "ResourceType");

        if (rt == NULL || strcmp(rt, resource_type) == 0)
            json_array_extend(out, json_object_get(spec, "Tags"));
    }
    return out;
}

int
neutron_check_tag_specs(ec2gw_req_t *req, const char *resource_type)
{
    const json_t *spec;
    size_t i;

    json_array_foreach(json_object_get(ec2gw->params(req), "TagSpecifications"), i, spec)
    {
        const char *rt = neutron_str(spec, "ResourceType");

        if (rt != NULL && strcmp(rt, resource_type) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "'%.64s' is not a valid taggable resource type for this operation "
                        "(expecting %s)",
                        rt, resource_type);
            return -1;
        }
    }
    return 0;
}

json_t *
neutron_map_ids(ec2gw_req_t *req, const char *kind, const json_t *objs)
{
    size_t n = json_array_size(objs);
    const char **os_ids = ec2gw->pcalloc(req, (n + 1) * sizeof(*os_ids));
    const char **out = ec2gw->pcalloc(req, (n + 1) * sizeof(*out));
    json_t *map = neutron_own(req, json_object());

    for (size_t i = 0; i < n; i++)
        os_ids[i] = neutron_str(json_array_get(objs, i), "id");
    if (n == 0 || ec2gw->ids_to_ec2(req, kind, os_ids, n, out) != 0)
        return map;
    for (size_t i = 0; i < n; i++)
        if (os_ids[i] != NULL && out[i] != NULL)
            json_object_set_new(map, os_ids[i], json_string(out[i]));
    return map;
}

json_t *
neutron_filter_page(ec2gw_req_t *req, const json_t *items, const char *tag_key,
                    const char *page_key, ec2gw_filter_values_fn values, void *arg,
                    const char **next)
{
    json_t *filtered = ec2gw->filter(req, items, tag_key, values, arg);

    *next = NULL;
    if (filtered == NULL)
        return NULL;
    neutron_own(req, filtered);
    return ec2gw->page(req, filtered, page_key, next);
}

void
neutron_finish_list(ec2gw_req_t *req, const char *key, json_t *list, const char *next)
{
    json_t *out = json_pack("{s:o}", key, list);

    if (next != NULL)
        json_object_set_new(out, "NextToken", json_string(next));
    ec2gw->finish(req, out);
}

void
neutron_finish_true(ec2gw_req_t *req)
{
    ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
}

const char *
neutron_path(ec2gw_req_t *req, const char *what, const char *query)
{
    if (query == NULL || query[0] == '\0')
        return ec2gw->psprintf(req, "/v2.0/%s", what);
    return ec2gw->psprintf(req, "/v2.0/%s?%s", what, query[0] == '&' ? query + 1 : query);
}

char *
neutron_query_add(ec2gw_req_t *req, char *q, const char *key, const json_t *values)
{
    const json_t *v;
    size_t i;

    json_array_foreach(values, i, v)
    {
        if (json_string_value(v) == NULL)
            continue;
        q = ec2gw->psprintf(req, "%s&%s=%s", neutron_or(q), key,
                            ec2gw->url_escape(req, json_string_value(v)));
    }
    return q;
}
