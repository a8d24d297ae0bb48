/*
 * instances_extra.c - GetConsoleOutput, GetPasswordData, DescribeInstanceStatus and
 * DescribeInstanceCreditSpecifications.
 */
#include <string.h>

#include "nova.h"

/* The one InstanceId parameter resolved to a server uuid, or NULL after failing. */
static const char *
nova_one_instance(ec2gw_req_t *req)
{
    json_t *ids = nova_own(req, json_array());
    const char *id = nova_param_str(req, "InstanceId");
    const char **os = NULL;

    if (id == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter InstanceId");
        return NULL;
    }
    json_array_append_new(ids, json_string(id));
    return nova_instance_ids(req, ids, &os) == 0 ? os[0] : NULL;
}

static void
nova_console_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    const char *text = nova_str(r->json, "output");

    (void)arg;
    if (!ec2gw_os_ok(r)) {
        nova_incorrect_state(req, r, nova_param_str(req, "InstanceId"));
        return;
    }
    if (text == NULL)
        text = "";
    ec2gw->finish(req, json_pack("{s:s, s:s, s:s}", "InstanceId", nova_param_str(req, "InstanceId"),
                                 "Timestamp", nova_now_iso(req, 0), "Output",
                                 nova_b64(req, (const unsigned char *)text, strlen(text))));
}

int
nova_get_console_output(ec2gw_req_t *req, void *inst)
{
    const struct nova_inst *ni = inst;
    const char *os = nova_one_instance(req);
    ec2gw_os_call_t call;

    if (os == NULL)
        return EC2GW_OK;
    call =
        EC2GW_OS_CALL("compute", "POST", ec2gw->psprintf(req, "/servers/%s/action", os),
                      .body = nova_own(req, json_pack("{s:{s:I}}", "os-getConsoleOutput", "length",
                                                      (json_int_t)ni->console_output_max_lines)),
                      .flags = EC2GW_CALL_RETRY_SAFE);
    return ec2gw->os_call(req, &call, nova_console_done, NULL);
}

static void
nova_password_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    (void)arg;
    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, "InvalidInstanceID.NotFound");
        return;
    }
    /* Nova keeps the encrypted password base64-encoded already: pass it through. */
    ec2gw->finish(req,
                  json_pack("{s:s, s:s, s:s}", "InstanceId", nova_param_str(req, "InstanceId"),
                            "Timestamp", nova_now_iso(req, 0), "PasswordData",
                            nova_str(r->json, "password") ? nova_str(r->json, "password") : ""));
}

int
nova_get_password_data(ec2gw_req_t *req, void *inst)
{
    const char *os = nova_one_instance(req);
    ec2gw_os_call_t call;

    (void)inst;
    if (os == NULL)
        return EC2GW_OK;
    call = EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/servers/%s/os-server-password", os));
    return ec2gw->os_call(req, &call, nova_password_done, NULL);
}

/* Shared by status and credit specifications: the project's servers, filtered by ids. */
struct nova_list_state {
    const char **os_ids;
    size_t n_ids;
    int credits;
};

static int
nova_status_filter(ec2gw_req_t *req, const json_t *it, const char *name, json_t *values, void *arg)
{
    const json_t *st = json_object_get(it, "InstanceState");

    (void)arg;
    if (strcmp(name, "instance-id") == 0)
        json_array_append(values, json_object_get(it, "InstanceId"));
    else if (strcmp(name, "availability-zone") == 0)
        json_array_append(values, json_object_get(it, "AvailabilityZone"));
    else if (strcmp(name, "instance-state-name") == 0)
        json_array_append(values, json_object_get(st, "Name"));
    else if (strcmp(name, "instance-state-code") == 0)
        json_array_append_new(
            values, json_string(ec2gw->psprintf(
                        req, "%lld", (long long)json_integer_value(json_object_get(st, "Code")))));
    else if (strcmp(name, "instance-status.status") == 0 ||
             strcmp(name, "system-status.status") == 0)
        json_array_append(
            values,
            json_object_get(json_object_get(it, name[0] == 'i' ? "InstanceStatus" : "SystemStatus"),
                            "Status"));
    else if (strcmp(name, "instance-status.reachability") == 0 ||
             strcmp(name, "system-status.reachability") == 0)
        json_array_append(
            values,
            json_object_get(
                json_array_get(json_object_get(json_object_get(it, name[0] == 'i' ? "InstanceStatus"
                                                                                  : "SystemStatus"),
                                               "Details"),
                               0),
                "Status"));
    else if (strcmp(name, "event.code") == 0 || strcmp(name, "event.description") == 0) {
        const json_t *e;
        size_t i;

        json_array_foreach(json_object_get(it, "Events"), i, e)
            json_array_append(values, json_object_get(e, name[6] == 'c' ? "Code" : "Description"));
    } else
        return EC2GW_E_NOTFOUND;
    return 0;
}

/* {"Status": .., "Details": [{"Name": "reachability", "Status": ..}]} */
static json_t *
nova_status_pair(const char *status, const char *reach)
{
    return json_pack("{s:s, s:[{s:s, s:s}]}", "Status", status, "Details", "Name", "reachability",
                     "Status", reach);
}

/*
 * One InstanceStatus. Instance checks: a running server whose hypervisor reports it not
 * running is impaired. System checks: Nova's host_status (service identity) — the compute
 * service down or unknown is impaired; a host in maintenance adds a system-maintenance event.
 */
static json_t *
nova_status_item(const char *id, const json_t *s, int code, const char *name)
{
    const char *host = nova_str(s, "host_status");
    const json_t *ps = json_object_get(s, "OS-EXT-STS:power_state");
    int running = code == 16;
    int inst_ok = !running || ps == NULL || json_integer_value(ps) == 1;
    int sys_ok = host == NULL || strcmp(host, "UP") == 0 || strcmp(host, "MAINTENANCE") == 0 ||
                 strcmp(host, "") == 0;
    json_t *events = json_array();

    if (host != NULL && strcmp(host, "MAINTENANCE") == 0)
        json_array_append_new(events,
                              json_pack("{s:s, s:s}", "Code", "system-maintenance", "Description",
                                        "The instance's compute host is in maintenance"));
    return json_pack(
        "{s:s, s:s, s:o, s:o, s:o, s:o}", "InstanceId", id, "AvailabilityZone",
        nova_or(nova_str(s, "OS-EXT-AZ:availability_zone")), "InstanceState",
        nova_state_json(code, name), "InstanceStatus",
        running ? nova_status_pair(inst_ok ? "ok" : "impaired", inst_ok ? "passed" : "failed")
                : nova_status_pair("not-applicable", "not-applicable"),
        "SystemStatus",
        running ? nova_status_pair(sys_ok ? "ok" : "impaired", sys_ok ? "passed" : "failed")
                : nova_status_pair("not-applicable", "not-applicable"),
        "Events", events);
}

static void
nova_list_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_list_state *st = arg;
    int all = json_is_true(json_object_get(ec2gw->params(req), "IncludeAllInstances"));
    json_t *items = nova_own(req, json_array()), *page;
    json_t *seen = nova_own(req, json_object()), *ids = nova_own(req, json_object());
    const json_t *s;
    const char *next = NULL;
    size_t i, k;

    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    /* the wanted servers, then their ids in one batch */
    json_array_foreach(json_object_get(r->json, "servers"), i, s)
    {
        const char *uuid = nova_str(s, "id");
        int want = st->os_ids == NULL;

        for (k = 0; k < st->n_ids; k++)
            want |= strcmp(st->os_ids[k], nova_or(uuid)) == 0;
        if (want && uuid != NULL)
            json_object_set_new(seen, uuid, json_false());
    }
    nova_map_kind(req, "i", seen, ids);
    json_array_foreach(json_object_get(r->json, "servers"), i, s)
    {
        const char *uuid = nova_str(s, "id"), *id = nova_str(ids, nova_or(uuid)), *name, *reason;
        int code;

        if (id == NULL)
            continue;
        json_object_set_new(seen, uuid, json_true());
        if (st->credits) {
            json_array_append_new(
                items, json_pack("{s:s, s:s}", "InstanceId", id, "CpuCredits", "standard"));
            continue;
        }
        nova_state(s, &code, &name, &reason);
        if (code != 16 && !all)
            continue;
        json_array_append_new(items, nova_status_item(id, s, code, name));
    }
    for (k = 0; k < st->n_ids; k++) {
        if (json_object_get(seen, st->os_ids[k]) == NULL) {
            ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                        "The instance ID '%s' does not exist",
                        json_string_value(
                            json_array_get(json_object_get(ec2gw->params(req), "InstanceIds"), k)));
            return;
        }
    }
    if ((page = nova_filter_page(req, items, NULL, "InstanceId", nova_status_filter, NULL,
                                 &next)) != NULL)
        nova_finish_list(req, st->credits ? "InstanceCreditSpecifications" : "InstanceStatuses",
                         page, next);
}

static int
nova_list_start(ec2gw_req_t *req, void *inst, int credits)
{
    struct nova_list_state *st = ec2gw->state(req, sizeof(*st));
    const json_t *ids = json_object_get(ec2gw->params(req), "InstanceIds");
    const struct nova_inst *ni = inst;
    ec2gw_os_call_t call = EC2GW_OS_GET("compute", "/servers/detail");

    st->credits = credits;
    /* host_status is an admin attribute: list as the service, scoped to the project */
    if (!credits && ni->describe_as_service)
        call =
            EC2GW_OS_CALL("compute", "GET",
                          ec2gw->psprintf(req, "/servers/detail?all_tenants=1&project_id=%s",
                                          ec2gw->url_escape(req, ec2gw->identity(req)->project_id)),
                          .flags = EC2GW_CALL_AS_SERVICE);
    if (json_array_size(ids) > 0) {
        if (nova_instance_ids(req, ids, &st->os_ids) != 0)
            return EC2GW_OK;
        st->n_ids = json_array_size(ids);
    }
    return ec2gw->os_call(req, &call, nova_list_done, st);
}

int
nova_describe_instance_status(ec2gw_req_t *req, void *inst)
{
    return nova_list_start(req, inst, 0);
}

int
nova_describe_instance_credit_specifications(ec2gw_req_t *req, void *inst)
{
    return nova_list_start(req, inst, 1);
}
