/*
 * eni_attach.c - AttachNetworkInterface and DetachNetworkInterface through Nova's interface
 * API (POST /servers/{id}/os-interface with port_id; DELETE /servers/{id}/os-interface/{port}),
 * so Nova's view of the server stays right (ec2-api only cleared the port's device_id). The
 * device index lives in the row; the port Nova made with the instance (no index stored) is
 * index 0 and cannot be detached (OperationNotPermitted). Detach waits, up to about 10 s, for
 * Neutron to show the port free, so a DeleteNetworkInterface right after it works.
 */
#include <string.h>

#include "eni.h"

#define ENI_DETACH_POLLS   20
#define ENI_DETACH_POLL_MS 500

struct neutron_eni_att {
    struct neutron_inst *ni;
    struct neutron_eni *e;
    const char *inst_id, *server;
    json_int_t index;
    int polls;
};

static const char *
neutron_eni_iface_path(ec2gw_req_t *req, const char *server, const char *port)
{
    const char *p =
        ec2gw->psprintf(req, "/servers/%s/os-interface", ec2gw->url_escape(req, server));

    return port == NULL ? p : ec2gw->psprintf(req, "%s/%s", p, ec2gw->url_escape(req, port));
}

static void
neutron_eni_nova_fail(ec2gw_req_t *req, const ec2gw_os_resp_t *r, const char *not_found,
                      const char *id)
{
    if (r->status == 404)
        ec2gw->fail(req, 400, not_found, "'%.64s' does not exist", id);
    else if (r->status == 409)
        ec2gw->fail(req, 400, "IncorrectInstanceState",
                    "The instance is not in a state that allows it: %.200s", r->body);
    else if (r->status == 400)
        ec2gw->fail(req, 400, "InvalidParameterValue", "Nova refused: %.200s", r->body);
    else
        ec2gw->fail_from_os(req, r, not_found);
}

/* -- Attach ------------------------------------------------------------------------------ */

static void
neutron_eni_attached(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_att *a = arg;
    json_t *data = a->e->data;

    if (!ec2gw_os_ok(r)) {
        neutron_eni_nova_fail(req, r, "InvalidInstanceID.NotFound", a->inst_id);
        return;
    }
    json_object_set_new(data, VPC_F_INSTANCE_ID, json_string(a->inst_id));
    json_object_set_new(data, VPC_F_DEVICE_INDEX, json_integer(a->index));
    json_object_set_new(data, VPC_F_ATTACH_TIME, json_string(neutron_eni_now(req)));
    json_object_set_new(data, VPC_F_DELETE_ON_TERMINATION, json_false());
    /* Nova has attached it: a failed row write is logged (the port shows the attachment) */
    if (ec2gw->item_put(req, a->e->eni_id, a->e->port_id, data) != 0)
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not store the attachment of %s", a->e->eni_id);
    ec2gw->finish(req, json_pack("{s:s, s:i}", "AttachmentId",
                                 neutron_eni_attach_id(req, a->e->eni_id), "NetworkCardIndex", 0));
}

/* The instance must be in the ENI's VPC: the VPC of each of its ports' subnets (one query per
 * kind); -1 after answering. */
static int
neutron_eni_same_vpc(ec2gw_req_t *req, const struct neutron_eni_att *a, const json_t *ports)
{
    const char *want = neutron_str(a->e->data, VPC_F_VPC_ID);
    json_t *subs = neutron_own(req, json_array()), *map, *rows = NULL;
    const json_t *p;
    const char **ids;
    const char *k;
    json_t *v;
    size_t i = 0;

    json_array_foreach(ports, i, p) json_array_append_new(
        subs,
        json_pack("{s:s*}", "id",
                  neutron_str(json_array_get(json_object_get(p, "fixed_ips"), 0), "subnet_id")));
    map = neutron_map_ids(req, VPC_KIND_SUBNET, subs);
    ids = ec2gw->pcalloc(req, (json_object_size(map) + 1) * sizeof(*ids));
    i = 0;
    json_object_foreach(map, k, v) ids[i++] = json_string_value(v);
    if (i > 0 && ec2gw->items_get(req, ids, i, &rows) == 0)
        neutron_own(req, rows);
    json_object_foreach(map, k, v)
    {
        const char *vpc = neutron_str(json_object_get(rows, json_string_value(v)), VPC_F_VPC_ID);

        if (vpc == NULL || want == NULL || strcmp(vpc, want) != 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Network interface '%s' (VPC %s) and instance '%s' (%s) are not in the "
                        "same VPC",
                        a->e->eni_id, neutron_or(want), a->inst_id,
                        vpc != NULL ? vpc : "not in a VPC");
            return -1;
        }
    }
    return 0;
}

/* The server's ports: is the device index free, the VPC the same? Then attach. */
static void
neutron_eni_att_ports(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_att *a = arg;
    const json_t *ports = json_object_get(r->json, "ports"), *p;
    json_t *ids, *rows = NULL, *body;
    const char **list;
    size_t n = json_array_size(ports), i;
    ec2gw_os_call_t call;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    ids = neutron_map_ids(req, "eni", ports);
    list = ec2gw->pcalloc(req, (n + 1) * sizeof(*list));
    json_array_foreach(ports, i, p) list[i] =
        json_string_value(json_object_get(ids, neutron_or(neutron_str(p, "id"))));
    if (n > 0 && ec2gw->items_get(req, list, n, &rows) == 0)
        neutron_own(req, rows);
    if (neutron_eni_same_vpc(req, a, ports) != 0)
        return;
    for (i = 0; i < n; i++) {
        const json_t *idx =
            json_object_get(json_object_get(rows, neutron_or(list[i])), VPC_F_DEVICE_INDEX);
        json_int_t used = idx != NULL ? json_integer_value(idx) : 0;

        if (used == a->index) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Instance '%s' already has an interface attached at device index '%lld'",
                        a->inst_id, (long long)a->index);
            return;
        }
    }
    body =
        neutron_own(req, json_pack("{s:{s:s}}", "interfaceAttachment", "port_id", a->e->port_id));
    call = EC2GW_OS_CALL("compute", "POST", neutron_eni_iface_path(req, a->server, NULL),
                         .body = body);
    if (ec2gw->os_call(req, &call, neutron_eni_attached, a) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

static void
neutron_eni_att_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_att *a = e->arg;
    const char *device = neutron_or(neutron_str(e->port, "device_id"));
    ec2gw_os_call_t call;

    a->e = e;
    if (device[0] != '\0' || neutron_str(e->data, VPC_F_VPC_ID) == NULL) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    device[0] != '\0' ? "Interface: [%s] in use."
                                      : "Interface: [%s] is not a VPC network interface.",
                    e->eni_id);
        return;
    }
    call = EC2GW_OS_GET(
        "network",
        neutron_path(req, "ports",
                     ec2gw->psprintf(req, "project_id=%s&device_id=%s&fields=id&fields=fixed_ips",
                                     ec2gw->url_escape(req, ec2gw->identity(req)->project_id),
                                     ec2gw->url_escape(req, a->server))));
    if (ec2gw->os_call(req, &call, neutron_eni_att_ports, a) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_attach_network_interface(ec2gw_req_t *req, void *inst)
{
    static const char *const unsupported[] = { "EnaSrdSpecification", "EnaQueueCount" };
    struct neutron_eni_att *a = ec2gw->pcalloc(req, sizeof(*a));
    const json_t *params = ec2gw->params(req);
    const json_t *index = json_object_get(params, "DeviceIndex");
    const json_t *card = json_object_get(params, "NetworkCardIndex");
    int rc;

    a->ni = inst;
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if (json_object_get(params, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation", "%s is not supported on this cloud",
                        unsupported[i]);
            return EC2GW_OK;
        }
    }
    if (card != NULL && json_integer_value(card) != 0) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "NetworkCardIndex: this cloud's instances have one network card (0)");
        return EC2GW_OK;
    }
    a->inst_id = neutron_param_str(req, "InstanceId");
    if (a->inst_id == NULL || index == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameters InstanceId and DeviceIndex");
        return EC2GW_OK;
    }
    a->index = json_integer_value(index);
    if (!json_is_integer(index) || a->index < 1 || a->index > 31) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Invalid value for DeviceIndex: 1 to 31 (0 is the instance's own interface)");
        return EC2GW_OK;
    }
    rc = ec2gw->id_to_os(req, a->inst_id, &a->server);
    if (strncmp(a->inst_id, "i-", 2) != 0 || rc == EC2GW_E_INVAL) {
        ec2gw->fail(req, 400, "InvalidInstanceID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"i-...\")", a->inst_id);
        return EC2GW_OK;
    }
    if (rc != 0 || a->server == NULL) {
        ec2gw->fail(req, 400, "InvalidInstanceID.NotFound",
                    "The instance ID '%.64s' does not exist", a->inst_id);
        return EC2GW_OK;
    }
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_att_loaded, a);
}

/* -- Detach ------------------------------------------------------------------------------ */

static void neutron_eni_det_poll(ec2gw_req_t *req, void *arg);

static void
neutron_eni_det_polled(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_att *a = arg;
    const char *device = neutron_str(json_object_get(r->json, "port"), "device_id");

    if (r->status == 404 || (ec2gw_os_ok(r) && (device == NULL || device[0] == '\0')) ||
        ++a->polls >= ENI_DETACH_POLLS ||
        ec2gw->after(req, ENI_DETACH_POLL_MS, neutron_eni_det_poll, a) < 0)
        neutron_finish_true(req);
}

static void
neutron_eni_det_poll(ec2gw_req_t *req, void *arg)
{
    struct neutron_eni_att *a = arg;
    ec2gw_os_call_t call = EC2GW_OS_GET("network", neutron_eni_port_path(req, a->e->port_id));

    if (ec2gw->os_call(req, &call, neutron_eni_det_polled, a) < 0)
        neutron_finish_true(req);
}

static void
neutron_eni_detached(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_att *a = arg;
    json_t *data = a->e->data;

    if (!ec2gw_os_ok(r)) {
        neutron_eni_nova_fail(req, r, "InvalidAttachmentID.NotFound",
                              neutron_param_str(req, "AttachmentId"));
        return;
    }
    json_object_del(data, VPC_F_INSTANCE_ID);
    json_object_del(data, VPC_F_DEVICE_INDEX);
    json_object_del(data, VPC_F_ATTACH_TIME);
    json_object_del(data, VPC_F_DELETE_ON_TERMINATION);
    if (ec2gw->item_put(req, a->e->eni_id, a->e->port_id, data) != 0)
        ec2gw->log(req, EC2GW_LOG_ERROR, "could not clear the attachment of %s", a->e->eni_id);
    neutron_eni_det_poll(req, a);
}

static void
neutron_eni_det_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_att *a = e->arg;
    const char *device = neutron_or(neutron_str(e->port, "device_id"));
    const char *owner = neutron_or(neutron_str(e->port, "device_owner"));
    const json_t *idx = json_object_get(e->data, VPC_F_DEVICE_INDEX);
    ec2gw_os_call_t call;

    a->e = e;
    if (device[0] == '\0' || strncmp(owner, "compute:", 8) != 0) {
        ec2gw->fail(req, 400, "InvalidAttachmentID.NotFound",
                    "The attachment ID '%.64s' does not exist",
                    neutron_param_str(req, "AttachmentId"));
        return;
    }
    if (idx == NULL || json_integer_value(idx) == 0) {
        ec2gw->fail(req, 400, "OperationNotPermitted",
                    "The network interface at device index 0 cannot be detached.");
        return;
    }
    call = EC2GW_OS_CALL("compute", "DELETE", neutron_eni_iface_path(req, device, e->port_id),
                         .flags = 0);
    if (ec2gw->os_call(req, &call, neutron_eni_detached, a) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

int
neutron_detach_network_interface(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_att *a = ec2gw->pcalloc(req, sizeof(*a));
    const char *att = neutron_param_str(req, "AttachmentId");
    const char *eni = neutron_eni_of_attach(req, att), *os = NULL;

    a->ni = inst;
    if (att == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter AttachmentId");
        return EC2GW_OK;
    }
    if (eni == NULL) {
        ec2gw->fail(req, 400, "InvalidAttachmentID.Malformed",
                    "Invalid id: \"%.64s\" (expecting \"eni-attach-...\")", att);
        return EC2GW_OK;
    }
    if (ec2gw->id_to_os(req, eni, &os) != 0 || os == NULL) {
        ec2gw->fail(req, 400, "InvalidAttachmentID.NotFound",
                    "The attachment ID '%.64s' does not exist", att);
        return EC2GW_OK;
    }
    return neutron_eni_load(req, eni, neutron_eni_det_loaded, a);
}
