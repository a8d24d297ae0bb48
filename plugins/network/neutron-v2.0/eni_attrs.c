/*
 * eni_attrs.c - Describe/Modify/ResetNetworkInterfaceAttribute: description (the row),
 * sourceDestCheck (the port's allowed_address_pairs: 0.0.0.0/0 turns the check off, as
 * ec2-api emulated it), groupSet (the port's security_groups, groups of the ENI's VPC only)
 * and attachment.deleteOnTermination (the row; the attachment id must be the ENI's).
 * Describe answers from the same model as DescribeNetworkInterfaces.
 */
#include <string.h>

#include "eni.h"

struct neutron_eni_attr {
    struct neutron_inst *ni;
    const char *attr;
    struct neutron_eni *e;
};

/* The model of the loaded ENI's port, with @p sgs and @p fips (Neutron arrays). */
static json_t *
neutron_eni_attr_model(ec2gw_req_t *req, const struct neutron_eni_attr *a, const json_t *sgs,
                       const json_t *fips)
{
    const struct neutron_eni *e = a->e;
    const char *sub_os =
        neutron_str(json_array_get(json_object_get(e->port, "fixed_ips"), 0), "subnet_id");
    const char *sub_id = neutron_str(e->data, VPC_F_SUBNET_ID);
    struct neutron_eni_view v = { 0 };
    json_t *ports = neutron_own(req, json_pack("[O]", e->port));

    if (sub_id == NULL && sub_os != NULL && ec2gw->id_to_ec2(req, "subnet", sub_os, &sub_id) != 0)
        sub_id = NULL;
    v.subnets = neutron_own(req, json_object());
    v.zone = a->ni->availability_zone;
    if (sub_os != NULL && sub_id != NULL)
        json_object_set_new(
            v.subnets, sub_os,
            json_pack("{s:s, s:s*}", "id", sub_id, "vpc_id", neutron_str(e->data, VPC_F_VPC_ID)));
    neutron_eni_view_build(req, &v, ports, sgs, fips);
    return neutron_own(req, neutron_eni_model(req, &v, e->port));
}

static void
neutron_eni_attr_described(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct neutron_eni_attr *a = arg;
    json_t *m, *out;
    int bad = neutron_first_failure(r, n);

    if (bad >= 0) {
        neutron_fail(req, r[bad], NULL);
        return;
    }
    m = neutron_eni_attr_model(req, a, json_object_get(r[0]->json, "security_groups"),
                               json_object_get(r[1]->json, "floatingips"));
    if (m == NULL) {
        ec2gw->fail(req, 400, "InvalidNetworkInterfaceID.NotFound",
                    "The networkInterface ID '%.64s' does not exist", a->e->eni_id);
        return;
    }
    out = json_pack("{s:s}", "NetworkInterfaceId", a->e->eni_id);
    if (strcmp(a->attr, "description") == 0)
        json_object_set_new(out, "Description",
                            json_pack("{s:O}", "Value", json_object_get(m, "Description")));
    else if (strcmp(a->attr, "sourceDestCheck") == 0)
        json_object_set_new(out, "SourceDestCheck",
                            json_pack("{s:O}", "Value", json_object_get(m, "SourceDestCheck")));
    else if (strcmp(a->attr, "groupSet") == 0)
        json_object_set(out, "Groups", json_object_get(m, "Groups"));
    else if (strcmp(a->attr, "attachment") == 0) {
        if (json_object_get(m, "Attachment") != NULL)
            json_object_set(out, "Attachment", json_object_get(m, "Attachment"));
    } else
        json_object_set_new(out, "AssociatePublicIpAddress",
                            json_boolean(json_object_get(m, "Association") != NULL));
    ec2gw->finish(req, out);
}

static void
neutron_eni_attr_desc_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_attr *a = e->arg;
    const char *project = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    ec2gw_os_call_t calls[2];
    char *q = ec2gw->psprintf(req, "project_id=%s&fields=id&fields=name", project);

    a->e = e;
    q = neutron_query_add(req, q, "id", json_object_get(e->port, "security_groups"));
    if (json_array_size(json_object_get(e->port, "security_groups")) == 0)
        q = ec2gw->psprintf(req, "%s&id=none", q);
    calls[0] = EC2GW_OS_GET("network", neutron_path(req, "security-groups", q));
    calls[1] = EC2GW_OS_GET("network",
                            neutron_path(req, "floatingips",
                                         ec2gw->psprintf(req, "project_id=%s&port_id=%s", project,
                                                         ec2gw->url_escape(req, e->port_id))));
    if (ec2gw->os_fanout(req, calls, 2, neutron_eni_attr_described, a) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

int
neutron_describe_network_interface_attribute(ec2gw_req_t *req, void *inst)
{
    static const char *const known[] = { "description", "groupSet", "sourceDestCheck", "attachment",
                                         "associatePublicIpAddress" };
    struct neutron_eni_attr *a = ec2gw->pcalloc(req, sizeof(*a));
    int ok = 0;

    a->ni = inst;
    a->attr = neutron_param_str(req, "Attribute");
    if (a->attr == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter Attribute");
        return EC2GW_OK;
    }
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok |= strcmp(a->attr, known[i]) == 0;
    if (!ok) {
        ec2gw->fail(req, 400, "InvalidParameterValue",
                    "Value (%.64s) for parameter Attribute is invalid", a->attr);
        return EC2GW_OK;
    }
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_attr_desc_loaded, a);
}

/* -- Modify and Reset -------------------------------------------------------------------- */

static void
neutron_eni_attr_put_done(ec2gw_req_t *req, const ec2gw_os_resp_t *r, void *arg)
{
    struct neutron_eni_attr *a = arg;

    if (!ec2gw_os_ok(r)) {
        neutron_fail(req, r, NULL);
        return;
    }
    if (neutron_eni_store(req, a->e) == 0)
        neutron_finish_true(req);
}

/* The port's allowed_address_pairs with 0.0.0.0/0 added (@p off) or removed. */
static json_t *
neutron_eni_pairs(const json_t *port, int off)
{
    json_t *out = json_array();
    json_t *p;
    size_t i;

    json_array_foreach(json_object_get(port, "allowed_address_pairs"), i, p)
    {
        if (strcmp(neutron_or(neutron_str(p, "ip_address")), "0.0.0.0/0") != 0)
            json_array_append(out, p);
    }
    if (off)
        json_array_append_new(out, json_pack("{s:s}", "ip_address", "0.0.0.0/0"));
    return out;
}

static void
neutron_eni_set_sdc(ec2gw_req_t *req, struct neutron_eni_attr *a, int check)
{
    json_object_set_new(a->e->data, VPC_F_SOURCE_DEST_CHECK, json_boolean(check));
    if (neutron_eni_port_put(req, a->e,
                             json_pack("{s:{s:o}}", "port", "allowed_address_pairs",
                                       neutron_eni_pairs(a->e->port, !check)),
                             neutron_eni_attr_put_done, a) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
}

/* Groups.N of the ENI's VPC → their ports' ids (new array), or NULL after answering. */
static json_t *
neutron_eni_attr_groups(ec2gw_req_t *req, const struct neutron_eni *e, const json_t *ids)
{
    size_t n = json_array_size(ids), i;
    const char **list = ec2gw->pcalloc(req, (n + 1) * sizeof(*list));
    const char *vpc = neutron_str(e->data, VPC_F_VPC_ID);
    json_t *out = neutron_own(req, json_array()), *rows = NULL;
    const json_t *v;

    json_array_foreach(ids, i, v)
    {
        const char *os = NULL;

        list[i] = neutron_or(json_string_value(v));
        if (strncmp(list[i], "sg-", 3) != 0 ||
            ec2gw->id_to_os(req, list[i], &os) == EC2GW_E_INVAL) {
            ec2gw->fail(req, 400, "InvalidGroupId.Malformed",
                        "Invalid id: \"%.64s\" (expecting \"sg-...\")", list[i]);
            return NULL;
        }
        if (os == NULL) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%.64s' does not exist", list[i]);
            return NULL;
        }
        json_array_append_new(out, json_string(os));
    }
    if (ec2gw->items_get(req, list, n, &rows) != 0) {
        ec2gw->fail(req, 500, "InternalError", "Could not read the security groups");
        return NULL;
    }
    neutron_own(req, rows);
    for (i = 0; i < n; i++) {
        const char *gv = neutron_str(json_object_get(rows, list[i]), VPC_F_VPC_ID);

        if (gv == NULL || vpc == NULL || strcmp(gv, vpc) != 0) {
            ec2gw->fail(req, 400, "InvalidGroup.NotFound",
                        "The security group '%.64s' does not exist in VPC '%.64s'", list[i],
                        neutron_or(vpc));
            return NULL;
        }
    }
    return out;
}

static void
neutron_eni_set_attachment(ec2gw_req_t *req, struct neutron_eni_attr *a, const json_t *ch)
{
    const char *want = neutron_str(ch, "AttachmentId");
    const char *mine = neutron_eni_attach_id(req, a->e->eni_id);
    const char *device = neutron_or(neutron_str(a->e->port, "device_id"));
    const json_t *dot = json_object_get(ch, "DeleteOnTermination");

    if (want == NULL || dot == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain Attachment.AttachmentId and "
                    "Attachment.DeleteOnTermination");
        return;
    }
    if (device[0] == '\0' || mine == NULL || strcmp(want, mine) != 0) {
        ec2gw->fail(req, 400, "InvalidAttachmentID.NotFound",
                    "The attachment ID '%.64s' does not exist", want);
        return;
    }
    /* Nova deletes the ports it made with their server and keeps the ports it was given,
     * whatever the row says: only the value that will happen is accepted */
    if (json_object_get(a->e->data, VPC_F_DEVICE_INDEX) == NULL && !json_is_true(dot)) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "Attachment.DeleteOnTermination cannot be turned off for the interface Nova "
                    "made with the instance: it is deleted with it");
        return;
    }
    if (json_object_get(a->e->data, VPC_F_DEVICE_INDEX) != NULL && json_is_true(dot)) {
        ec2gw->fail(req, 400, "UnsupportedOperation",
                    "Attachment.DeleteOnTermination cannot be turned on for an attached "
                    "interface: Nova keeps it when the instance terminates");
        return;
    }
    json_object_set_new(a->e->data, VPC_F_DELETE_ON_TERMINATION, json_boolean(json_is_true(dot)));
    if (neutron_eni_store(req, a->e) == 0)
        neutron_finish_true(req);
}

static void
neutron_eni_attr_mod_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_attr *a = e->arg;
    const json_t *params = ec2gw->params(req);
    json_t *groups;

    a->e = e;
    if (strcmp(a->attr, "Description") == 0) {
        const char *d = neutron_str(json_object_get(params, "Description"), "Value");

        if (d == NULL || strlen(d) > 255) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Description.Value must be given, at most 255 characters");
            return;
        }
        json_object_set_new(e->data, VPC_F_DESCRIPTION, json_string(d));
        if (neutron_eni_store(req, e) == 0)
            neutron_finish_true(req);
    } else if (strcmp(a->attr, "SourceDestCheck") == 0) {
        const json_t *v = json_object_get(json_object_get(params, "SourceDestCheck"), "Value");

        if (!json_is_boolean(v)) {
            ec2gw->fail(req, 400, "MissingParameter",
                        "The request must contain the parameter SourceDestCheck.Value");
            return;
        }
        neutron_eni_set_sdc(req, a, json_is_true(v));
    } else if (strcmp(a->attr, "Groups") == 0) {
        if ((groups = neutron_eni_attr_groups(req, e, json_object_get(params, "Groups"))) == NULL)
            return;
        if (neutron_eni_port_put(req, e, json_pack("{s:{s:O}}", "port", "security_groups", groups),
                                 neutron_eni_attr_put_done, a) < 0)
            ec2gw->fail(req, 500, "InternalError", "Could not call Neutron");
    } else
        neutron_eni_set_attachment(req, a, json_object_get(params, "Attachment"));
}

int
neutron_modify_network_interface_attribute(ec2gw_req_t *req, void *inst)
{
    static const char *const supported[] = { "Description", "SourceDestCheck", "Groups",
                                             "Attachment" };
    static const char *const unsupported[] = { "AssociatePublicIpAddress", "EnaSrdSpecification",
                                               "EnablePrimaryIpv6",
                                               "ConnectionTrackingSpecification",
                                               "AssociatedSubnetIds" };
    struct neutron_eni_attr *a = ec2gw->pcalloc(req, sizeof(*a));
    const json_t *params = ec2gw->params(req);
    int n = 0;

    a->ni = inst;
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if (json_object_get(params, unsupported[i]) != NULL) {
            ec2gw->fail(req, 400, "UnsupportedOperation",
                        "%s is not supported for network interfaces on this cloud", unsupported[i]);
            return EC2GW_OK;
        }
    }
    for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
        if (json_object_get(params, supported[i]) != NULL) {
            a->attr = supported[i];
            n++;
        }
    }
    if (n != 1) {
        if (n == 0)
            ec2gw->fail(req, 400, "MissingParameter",
                        "One of Description, SourceDestCheck, Groups or Attachment is required");
        else
            ec2gw->fail(req, 400, "InvalidParameterCombination",
                        "Only one attribute can be modified per call");
        return EC2GW_OK;
    }
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_attr_mod_loaded, a);
}

static void
neutron_eni_attr_reset_loaded(ec2gw_req_t *req, struct neutron_eni *e)
{
    struct neutron_eni_attr *a = e->arg;

    a->e = e;
    neutron_eni_set_sdc(req, a, 1);
}

int
neutron_reset_network_interface_attribute(ec2gw_req_t *req, void *inst)
{
    struct neutron_eni_attr *a = ec2gw->pcalloc(req, sizeof(*a));

    a->ni = inst;
    if (neutron_param_str(req, "SourceDestCheck") == NULL) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter SourceDestCheck (the only "
                    "attribute that can be reset)");
        return EC2GW_OK;
    }
    return neutron_eni_load(req, neutron_param_str(req, "NetworkInterfaceId"),
                            neutron_eni_attr_reset_loaded, a);
}
