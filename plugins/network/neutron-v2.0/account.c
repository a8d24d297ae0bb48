/*
 * account.c - DescribeAccountAttributes from the services (openstack-mapping.md §11):
 * max-instances from Nova's quota, max-elastic-ips / vpc-max-elastic-ips from Neutron's
 * floatingip quota, vpc-max-security-groups-per-interface from Neutron's security_group quota
 * (Neutron has no per-port limit: a port can carry every group of its project), and
 * supported-platforms VPC only when Neutron has routers. -1 is OpenStack's "unlimited".
 */
#include <string.h>

#include "neutron.h"
#include "vpc.h"

static const char *const acct_names[] = {
    "supported-platforms", "default-vpc",         "max-instances",
    "max-elastic-ips",     "vpc-max-elastic-ips", "vpc-max-security-groups-per-interface",
};
#define ACCT_N (sizeof(acct_names) / sizeof(acct_names[0]))

/* Bits of the attributes asked for, and which call answers what (-1: not called). */
struct acct_state {
    unsigned want;
    int nova, quota, router;
    const char *default_vpc; /* with `default_vpc: true`: the project's, made sure of */
};

static int
acct_index(const char *name)
{
    for (size_t i = 0; i < ACCT_N; i++)
        if (strcmp(acct_names[i], name) == 0)
            return (int)i;
    return -1;
}

static json_t *
acct_attr(const char *name, json_t *values)
{
    json_t *vs = json_array(), *v;
    size_t i;

    json_array_foreach(values, i, v)
        json_array_append_new(vs, json_pack("{s:O}", "AttributeValue", v));
    json_decref(values);
    return json_pack("{s:s, s:o}", "AttributeName", name, "AttributeValues", vs);
}

/* The quota @p key of an answer's @p obj as a one-value list (returns new). */
static json_t *
acct_quota(const ec2gw_os_resp_t *r, const char *obj, const char *key)
{
    const json_t *v = json_object_get(json_object_get(r->json, obj), key);

    return json_pack("[o]", json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v)));
}

/* The answer of call @p i, or NULL when it was not made. */
static const ec2gw_os_resp_t *
acct_resp(const ec2gw_os_resp_t *const *r, int i)
{
    return i >= 0 ? r[i] : NULL;
}

static void
acct_answer(ec2gw_req_t *req, struct acct_state *s, const ec2gw_os_resp_t *const *r)
{
    const ec2gw_os_resp_t *nova = acct_resp(r, s->nova), *quota = acct_resp(r, s->quota);
    const ec2gw_os_resp_t *router = acct_resp(r, s->router);
    json_t *out = json_array();

    for (size_t i = 0; i < ACCT_N; i++) {
        json_t *v;

        if (!(s->want & (1u << i)))
            continue;
        switch (i) {
        case 0:
            /* a default VPC means VPC only, as an account created after 2013-12-04 */
            v = s->default_vpc != NULL ? json_pack("[s]", "VPC")
                : ec2gw_os_ok(router)  ? json_pack("[s,s]", "EC2", "VPC")
                                       : json_pack("[s]", "EC2");
            break;
        case 1:
            v = json_pack("[s]", s->default_vpc != NULL ? s->default_vpc : "none");
            break;
        case 2:
            v = acct_quota(nova, "quota_set", "instances");
            break;
        case 3:
        case 4:
            v = acct_quota(quota, "quota", "floatingip");
            break;
        default:
            v = acct_quota(quota, "quota", "security_group");
            break;
        }
        json_array_append_new(out, acct_attr(acct_names[i], v));
    }
    ec2gw->finish(req, json_pack("{s:o}", "AccountAttributes", out));
}

static void
acct_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct acct_state *s = arg;

    for (size_t i = 0; i < n; i++) {
        /* a missing router extension (404) is an answer: no VPC platform */
        if (!ec2gw_os_ok(r[i]) && !((int)i == s->router && r[i]->status == 404)) {
            neutron_fail(req, r[i], NULL);
            return;
        }
    }
    acct_answer(req, s, r);
}

static void acct_start(ec2gw_req_t *req, const char *default_vpc, void *arg);

int
neutron_describe_account_attributes(ec2gw_req_t *req, void *inst)
{
    struct acct_state *s = ec2gw->pcalloc(req, sizeof(*s));
    const json_t *names = json_object_get(ec2gw->params(req), "AttributeNames"), *e;
    size_t i;

    json_array_foreach(names, i, e)
    {
        int k = acct_index(json_string_value(e) ? json_string_value(e) : "");

        if (k < 0) {
            ec2gw->fail(req, 400, "InvalidParameterValue",
                        "Invalid value '%.64s' for AttributeName: expecting one of "
                        "supported-platforms, default-vpc, max-instances, max-elastic-ips, "
                        "vpc-max-elastic-ips, vpc-max-security-groups-per-interface",
                        neutron_or(json_string_value(e)));
            return EC2GW_OK;
        }
        s->want |= 1u << k;
    }
    if (s->want == 0)
        s->want = (1u << ACCT_N) - 1;
    return neutron_default_vpc_ensure(req, inst, acct_start, s);
}

static void
acct_start(ec2gw_req_t *req, const char *default_vpc, void *arg)
{
    struct acct_state *s = arg;
    const char *proj = ec2gw->url_escape(req, ec2gw->identity(req)->project_id);
    ec2gw_os_call_t calls[3];
    size_t n = 0;

    s->default_vpc = default_vpc;
    /* Only the calls the asked attributes need, concurrently. */
    s->nova = s->quota = s->router = -1;
    if (s->want & (1u << 2)) {
        s->nova = (int)n;
        calls[n++] = EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/os-quota-sets/%s", proj));
    }
    if (s->want & (7u << 3)) {
        s->quota = (int)n;
        calls[n++] = EC2GW_OS_GET("network", ec2gw->psprintf(req, "/v2.0/quotas/%s", proj));
    }
    if ((s->want & 1u) && default_vpc == NULL) {
        s->router = (int)n;
        calls[n++] = EC2GW_OS_GET("network", "/v2.0/extensions/router");
    }
    if (n == 0) {
        acct_answer(req, s, NULL);
        return;
    }
    if (ec2gw->os_fanout(req, calls, n, acct_done, s) < 0)
        ec2gw->fail(req, 500, "InternalError", "could not call Neutron");
}
