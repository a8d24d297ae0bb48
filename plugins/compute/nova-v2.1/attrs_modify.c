/*
 * attrs_modify.c - ModifyInstanceAttribute and ResetInstanceAttribute.
 *
 *   disableApiTermination, disableApiStop, instanceInitiatedShutdownBehavior → item data
 *   groupSet         → Neutron: security_groups of the instance's only port
 *   sourceDestCheck  → Neutron: allowed_address_pairs of the primary port (0.0.0.0/0 = off)
 *   instanceType     → Nova resize of a stopped server, polled until VERIFY_RESIZE, confirmed
 * Attributes Nova cannot change (kernel, ramdisk, userData, block devices...) are refused with
 * UnsupportedOperation naming them.
 */
#include <string.h>
#include <strings.h>

#include "nova.h"

/* How long between two looks at a resizing server. */
#define NOVA_RESIZE_POLL_MS 1000

struct nova_mod_state {
    const char *id, *os; /* i- id, server uuid */
    const char *attr;    /* normalised attribute name */
    const json_t *value; /* its value: a JSON string, boolean or array */
    const char *flavor_id;
    const char *flavor_name;
};

static void
nova_mod_return(ec2gw_req_t *req)
{
    ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
}

/* "true"/"false" in any case (as ec2-api read them: Value=False) or a JSON boolean; -1 when
 * neither. */
static int
nova_bool_of(const json_t *v)
{
    const char *s = json_string_value(v);

    if (json_is_boolean(v))
        return json_is_true(v);
    if (s != NULL && strcasecmp(s, "true") == 0)
        return 1;
    if (s != NULL && strcasecmp(s, "false") == 0)
        return 0;
    return -1;
}

/* Set key=value in the instance's item data. */
static void
nova_mod_store(ec2gw_req_t *req, struct nova_mod_state *st, const char *key, json_t *value)
{
    json_t *data = NULL;

    if (ec2gw->item_get(req, st->id, &data) != 0 || !json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    json_object_set_new(data, key, value);
    if (ec2gw->item_put(req, st->id, st->os, data) != 0)
        ec2gw->fail(req, 500, "InternalError", "Could not store the attribute");
    else
        nova_mod_return(req);
    json_decref(data);
}

/* -- ports: groupSet, sourceDestCheck --------------------------------------------------- */

static void
nova_mod_port_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    (void)arg;
    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    nova_mod_return(req);
}

static void
nova_mod_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_mod_state *st = arg;
    const json_t *ports = json_object_get(r->json, "ports"), *port = NULL, *p, *v;
    json_t *body;
    ec2gw_os_call_t call;
    size_t i;

    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    /* the primary interface is the oldest port, as DescribeInstances numbers them */
    json_array_foreach(ports, i, p)
    {
        if (port == NULL ||
            strcmp(nova_or(nova_str(p, "created_at")), nova_or(nova_str(port, "created_at"))) < 0)
            port = p;
    }
    if (port == NULL) {
        ec2gw->fail(req, 400, "IncorrectInstanceState",
                    "The instance '%s' has no network interface", st->id);
        return;
    }
    if (strcmp(st->attr, "groupSet") == 0) {
        json_t *groups = json_array();

        if (json_array_size(ports) > 1) {
            json_decref(groups);
            ec2gw->fail(req, 400, "InvalidInstanceID",
                        "There are multiple interfaces attached to instance '%s'. Please "
                        "specify an interface ID for the operation instead.",
                        st->id);
            return;
        }
        json_array_foreach(st->value, i, v)
        {
            const char *sg = json_string_value(v), *os = NULL;

            if (sg == NULL || strncmp(sg, "sg-", 3) != 0 || ec2gw->id_to_os(req, sg, &os) != 0) {
                json_decref(groups);
                ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                            "The security group '%s' does not exist", sg ? sg : "");
                return;
            }
            json_array_append_new(groups, json_string(os));
        }
        body = json_pack("{s:{s:o}}", "port", "security_groups", groups);
    } else {
        int on = nova_bool_of(st->value);

        body = json_pack("{s:{s:o}}", "port", "allowed_address_pairs",
                         on ? json_array() : json_pack("[{s:s}]", "ip_address", "0.0.0.0/0"));
    }
    call = EC2GW_OS_CALL("network", "PUT",
                         ec2gw->psprintf(req, "/v2.0/ports/%s", nova_str(port, "id")),
                         .body = nova_own(req, body));
    if (ec2gw->os_call(req, &call, nova_mod_port_done, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

static int
nova_mod_start_ports(ec2gw_req_t *req, struct nova_mod_state *st)
{
    ec2gw_os_call_t call = EC2GW_OS_GET(
        "network", ec2gw->psprintf(req, "/v2.0/ports?device_id=%s&fields=id&fields=created_at",
                                   ec2gw->url_escape(req, st->os)));

    return ec2gw->os_call(req, &call, nova_mod_ports, st);
}

/* -- instanceType: resize, wait, confirm ----------------------------------------------- */

static void nova_mod_resize_poll(ec2gw_req_t *req, void *arg);

static void
nova_mod_stopped_again(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    (void)arg;
    if (!ec2gw_os_ok(r) && r->status != 409)
        ec2gw->log(req, EC2GW_LOG_WARN, "stopping the resized server failed (%ld)", r->status);
    nova_mod_return(req);
}

/* The instance was stopped before the resize and must stay so; a driver that powers a
 * migrated server on regardless (Nova's fake driver does) is corrected with os-stop. */
static void
nova_mod_after_confirm(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_mod_state *st = arg;
    ec2gw_os_call_t call;

    if (ec2gw_os_ok(r) &&
        strcmp(nova_or(nova_str(json_object_get(r->json, "server"), "status")), "ACTIVE") == 0) {
        call = EC2GW_OS_CALL("compute", "POST", ec2gw->psprintf(req, "/servers/%s/action", st->os),
                             .body = nova_own(req, json_pack("{s:n}", "os-stop")));
        if (ec2gw->os_call(req, &call, nova_mod_stopped_again, st) >= 0)
            return;
    }
    nova_mod_return(req);
}

static void
nova_mod_confirmed(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_mod_state *st = arg;
    ec2gw_os_call_t call = EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/servers/%s", st->os));

    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, NULL);
        return;
    }
    if (ec2gw->os_call(req, &call, nova_mod_after_confirm, st) < 0)
        nova_mod_return(req);
}

static void
nova_mod_resize_seen(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct nova_mod_state *st = arg;
    const json_t *s = json_object_get(r->json, "server");
    const char *status = nova_or(nova_str(s, "status"));
    const char *flavor = nova_str(json_object_get(s, "flavor"), "original_name");
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, "InvalidInstanceID.NotFound");
        return;
    }
    if (strcmp(status, "VERIFY_RESIZE") == 0) {
        call = EC2GW_OS_CALL("compute", "POST", ec2gw->psprintf(req, "/servers/%s/action", st->os),
                             .body = nova_own(req, json_pack("{s:n}", "confirmResize")));
        if (ec2gw->os_call(req, &call, nova_mod_confirmed, st) < 0)
            ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
        return;
    }
    if (strcmp(status, "ERROR") == 0 ||
        (strcmp(status, "SHUTOFF") == 0 && nova_str(s, "OS-EXT-STS:task_state") == NULL &&
         flavor != NULL && strcmp(flavor, st->flavor_name) != 0)) {
        /* Nova gave up (no host could take the new flavor): the server kept its type */
        ec2gw->fail(req, 400, "InsufficientInstanceCapacity",
                    "The instance could not be resized to %s: %s", st->flavor_name,
                    nova_or(nova_str(json_object_get(s, "fault"), "message")));
        return;
    }
    if (ec2gw->after(req, NOVA_RESIZE_POLL_MS, nova_mod_resize_poll, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not wait for the resize");
}

static void
nova_mod_resize_poll(ec2gw_req_t *req, void *arg)
{
    struct nova_mod_state *st = arg;
    ec2gw_os_call_t call = EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/servers/%s", st->os));

    if (ec2gw->os_call(req, &call, nova_mod_resize_seen, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

static void
nova_mod_resizing(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    if (!ec2gw_os_ok(r)) {
        ec2gw->fail_from_os(req, r, "InvalidInstanceID.NotFound");
        return;
    }
    if (ec2gw->after(req, NOVA_RESIZE_POLL_MS, nova_mod_resize_poll, arg) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not wait for the resize");
}

static void
nova_mod_type_got(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_mod_state *st = arg;
    const json_t *server = json_object_get(r[0]->json, "server"), *f;
    const char *cur = nova_str(json_object_get(server, "flavor"), "original_name");
    ec2gw_os_call_t call;
    size_t i;

    (void)n;
    if (!ec2gw_os_ok(r[0]) || !ec2gw_os_ok(r[1])) {
        ec2gw->fail_from_os(req, ec2gw_os_ok(r[0]) ? r[1] : r[0], "InvalidInstanceID.NotFound");
        return;
    }
    json_array_foreach(json_object_get(r[1]->json, "flavors"), i, f)
    {
        if (strcmp(nova_or(nova_str(f, "name")), st->flavor_name) == 0)
            st->flavor_id = nova_str(f, "id");
    }
    if (st->flavor_id == NULL) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "Invalid value '%s' for InstanceType.",
                    st->flavor_name);
        return;
    }
    if (cur != NULL && strcmp(cur, st->flavor_name) == 0) {
        nova_mod_return(req);
        return;
    }
    if (strcmp(nova_or(nova_str(server, "status")), "SHUTOFF") != 0) {
        ec2gw->fail(req, 400, "IncorrectInstanceState",
                    "The instance '%s' is not in the 'stopped' state.", st->id);
        return;
    }
    call = EC2GW_OS_CALL(
        "compute", "POST", ec2gw->psprintf(req, "/servers/%s/action", st->os),
        .body = nova_own(req, json_pack("{s:{s:s}}", "resize", "flavorRef", st->flavor_id)));
    if (ec2gw->os_call(req, &call, nova_mod_resizing, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

static int
nova_mod_start_type(ec2gw_req_t *req, struct nova_mod_state *st)
{
    ec2gw_os_call_t calls[2];

    st->flavor_name = json_string_value(st->value);
    if (st->flavor_name == NULL || st->flavor_name[0] == '\0') {
        ec2gw->fail(req, 400, "InvalidParameterValue", "InstanceType needs a value");
        return EC2GW_OK;
    }
    if (!EC2GW_HOST_HAS(ec2gw, after)) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "Changing instanceType needs a daemon with timers (plugin ABI 1.1)");
        return EC2GW_OK;
    }
    calls[0] = EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/servers/%s", st->os));
    calls[1] = EC2GW_OS_GET("compute", "/flavors/detail?is_public=None");
    return ec2gw->os_fanout(req, calls, 2, nova_mod_type_got, st);
}

/* -- the attribute and its value -------------------------------------------------------- */

/* The structured members of the request, each with its attribute name. */
static const struct {
    const char *member, *attr;
    int boxed; /* {"Value": ...} */
} nova_mod_members[] = {
    { "DisableApiTermination", "disableApiTermination", 1 },
    { "DisableApiStop", "disableApiStop", 1 },
    { "InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior", 1 },
    { "InstanceType", "instanceType", 1 },
    { "Kernel", "kernel", 1 },
    { "Ramdisk", "ramdisk", 1 },
    { "UserData", "userData", 1 },
    { "SourceDestCheck", "sourceDestCheck", 1 },
    { "EbsOptimized", "ebsOptimized", 1 },
    { "EnaSupport", "enaSupport", 1 },
    { "SriovNetSupport", "sriovNetSupport", 1 },
    { "Groups", "groupSet", 0 },
    { "BlockDeviceMappings", "blockDeviceMapping", 0 },
};

/* Exactly one attribute and its value; 0, or -1 after failing the request. */
static int
nova_mod_which(ec2gw_req_t *req, struct nova_mod_state *st)
{
    const json_t *p = ec2gw->params(req);
    const char *attr = nova_str(p, "Attribute");
    int given = attr != NULL;

    if (attr != NULL) {
        st->attr = attr;
        st->value = json_object_get(json_object_get(p, "Value"), "Value");
        if (st->value == NULL)
            st->value = json_object_get(p, "Value");
        if (strcmp(attr, "groupSet") == 0)
            st->value = json_object_get(p, "Groups");
    }
    for (size_t i = 0; i < sizeof(nova_mod_members) / sizeof(nova_mod_members[0]); i++) {
        const json_t *v = json_object_get(p, nova_mod_members[i].member);

        if (v == NULL || (attr != NULL && strcmp(attr, nova_mod_members[i].attr) == 0 &&
                          strcmp(attr, "groupSet") == 0))
            continue;
        given++;
        st->attr = nova_mod_members[i].attr;
        st->value = nova_mod_members[i].boxed ? json_object_get(v, "Value") : v;
    }
    if (given != 1) {
        ec2gw->fail(req, 400, given ? "InvalidParameterCombination" : "MissingParameter",
                    given ? "Exactly one attribute may be modified per request"
                          : "The request must contain one attribute to modify");
        return -1;
    }
    if (st->value == NULL) {
        ec2gw->fail(req, 400, "MissingParameter", "The request must contain the parameter Value");
        return -1;
    }
    return 0;
}

/* A fixed capability: accept the value it already has, refuse a change. */
static int
nova_mod_fixed(ec2gw_req_t *req, struct nova_mod_state *st, int current)
{
    int v = nova_bool_of(st->value);

    if (v < 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue", "Invalid value for %s", st->attr);
        return EC2GW_OK;
    }
    if (v != current) {
        ec2gw->fail(req, 400, "UnsupportedOperation", "Changing %s is not supported by this cloud",
                    st->attr);
        return EC2GW_OK;
    }
    nova_mod_return(req);
    return EC2GW_OK;
}

int
nova_modify_instance_attribute(ec2gw_req_t *req, void *inst)
{
    struct nova_mod_state *st = ec2gw->state(req, sizeof(*st));
    const char *a;
    int b;

    (void)inst;
    if ((st->os = nova_attr_instance(req)) == NULL)
        return EC2GW_OK;
    st->id = nova_param_str(req, "InstanceId");
    if (nova_mod_which(req, st) != 0)
        return EC2GW_OK;
    a = st->attr;
    if (strcmp(a, "disableApiTermination") == 0 || strcmp(a, "disableApiStop") == 0) {
        if ((b = nova_bool_of(st->value)) < 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue", "Invalid value for %s", a);
            return EC2GW_OK;
        }
        nova_mod_store(req, st, a[10] == 'T' ? "disable_api_termination" : "disable_api_stop",
                       json_boolean(b));
        return EC2GW_OK;
    }
    if (strcmp(a, "instanceInitiatedShutdownBehavior") == 0) {
        const char *v = json_string_value(st->value);

        if (v != NULL && strcmp(v, "stop") == 0) {
            nova_mod_return(req); /* what a guest shutdown does on Nova */
            return EC2GW_OK;
        }
        ec2gw->fail(req, 400,
                    v && strcmp(v, "terminate") == 0 ? "UnsupportedOperation"
                                                     : "InvalidParameterValue",
                    "instanceInitiatedShutdownBehavior '%s': Nova only stops a server whose "
                    "guest shuts down",
                    v ? v : "");
        return EC2GW_OK;
    }
    if (strcmp(a, "groupSet") == 0) {
        if (json_array_size(st->value) == 0) {
            ec2gw->fail(req, 400, "MissingParameter", "The request must contain GroupId.N");
            return EC2GW_OK;
        }
        return nova_mod_start_ports(req, st);
    }
    if (strcmp(a, "sourceDestCheck") == 0) {
        if (nova_bool_of(st->value) < 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue", "Invalid value for sourceDestCheck");
            return EC2GW_OK;
        }
        return nova_mod_start_ports(req, st);
    }
    if (strcmp(a, "instanceType") == 0)
        return nova_mod_start_type(req, st);
    if (strcmp(a, "ebsOptimized") == 0 || strcmp(a, "enaSupport") == 0)
        return nova_mod_fixed(req, st, 0);
    if (strcmp(a, "kernel") == 0 || strcmp(a, "ramdisk") == 0 || strcmp(a, "userData") == 0 ||
        strcmp(a, "blockDeviceMapping") == 0 || strcmp(a, "sriovNetSupport") == 0) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "Modifying %s is not supported by this cloud (Nova cannot change it on an "
                    "existing server)",
                    a);
        return EC2GW_OK;
    }
    ec2gw->fail(req, 400, "InvalidParameterValue",
                "Value (%s) for parameter attribute is invalid. Unknown or read-only attribute.",
                a);
    return EC2GW_OK;
}

int
nova_reset_instance_attribute(ec2gw_req_t *req, void *inst)
{
    struct nova_mod_state *st = ec2gw->state(req, sizeof(*st));
    const char *attr = nova_param_str(req, "Attribute");

    (void)inst;
    if ((st->os = nova_attr_instance(req)) == NULL)
        return EC2GW_OK;
    st->id = nova_param_str(req, "InstanceId");
    if (attr != NULL && strcmp(attr, "sourceDestCheck") == 0) {
        st->attr = "sourceDestCheck";
        st->value = nova_own(req, json_true());
        return nova_mod_start_ports(req, st);
    }
    if (attr != NULL && (strcmp(attr, "kernel") == 0 || strcmp(attr, "ramdisk") == 0)) {
        ec2gw->fail(req, 400, "UnsupportedOperation", "Resetting %s is not supported", attr);
        return EC2GW_OK;
    }
    ec2gw->fail(req, 400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid",
                attr ? attr : "");
    return EC2GW_OK;
}
