/*
 * instances_actions.c - TerminateInstances, StopInstances, StartInstances, RebootInstances:
 * one fan-out GET of the servers (previous states), one fan-out of the Nova actions.
 * Instances already in the target state are answered without a Nova call (AWS does the same).
 */
#include <string.h>

#include "nova.h"

enum nova_act { NOVA_TERMINATE, NOVA_STOP, NOVA_START, NOVA_REBOOT };

struct nova_act_state {
    enum nova_act act;
    const json_t *ids;
    const char **os_ids;
    size_t n;
    json_t *prev; /* per index: State object */
    int *skip;    /* per index: no Nova call needed */
};

static const char *const nova_act_member[] = { "TerminatingInstances", "StoppingInstances",
                                               "StartingInstances", NULL };

static void
nova_act_answer(ec2gw_req_t *req, struct nova_act_state *st)
{
    static const int codes[] = { 32, 64, 0 };
    static const char *const names[] = { "shutting-down", "stopping", "pending" };
    json_t *list = json_array();

    if (st->act == NOVA_REBOOT) {
        json_decref(list);
        ec2gw->finish(req, json_pack("{s:b}", "Return", 1));
        return;
    }
    for (size_t i = 0; i < st->n; i++) {
        json_t *prev = json_array_get(st->prev, i);
        json_t *cur =
            st->skip[i] ? json_incref(prev) : nova_state_json(codes[st->act], names[st->act]);

        json_array_append_new(list,
                              json_pack("{s:O, s:O, s:o}", "InstanceId", json_array_get(st->ids, i),
                                        "PreviousState", prev, "CurrentState", cur));
    }
    ec2gw->finish(req, json_pack("{s:o}", nova_act_member[st->act], list));
}

static void
nova_act_released(ec2gw_req_t *req, void *arg)
{
    nova_act_answer(req, arg);
}

static void
nova_act_done(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_act_state *st = arg;
    size_t k = 0;

    for (size_t i = 0; i < st->n && k < n; i++) {
        if (st->skip[i])
            continue;
        if (!ec2gw_os_ok(r[k]) && !(st->act == NOVA_TERMINATE && r[k]->status == 404)) {
            nova_incorrect_state(req, r[k], json_string_value(json_array_get(st->ids, i)));
            return;
        }
        k++;
    }
    /* public IPs mapped at launch go with the instance, as on AWS */
    if (st->act == NOVA_TERMINATE &&
        nova_pip_release(req, st->ids, nova_act_released, st) == EC2GW_AGAIN)
        return;
    nova_act_answer(req, st);
}

/* Is the instance already where the action leads (no Nova call)? */
static int
nova_act_noop(enum nova_act act, int code)
{
    switch (act) {
    case NOVA_TERMINATE:
        return code == 48 || code == 32;
    case NOVA_STOP:
        return code == 80 || code == 64;
    case NOVA_START:
        return code == 16 || code == 0;
    default:
        return 0;
    }
}

static void
nova_act_got(ec2gw_req_t *req, const ec2gw_os_resp_t *const *r, size_t n, void *arg)
{
    struct nova_act_state *st = arg;
    ec2gw_os_call_t *calls = ec2gw->pcalloc(req, (n + 1) * sizeof(*calls));
    size_t nc = 0;

    st->prev = nova_own(req, json_array());
    st->skip = ec2gw->pcalloc(req, (n + 1) * sizeof(*st->skip));
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(st->ids, i)), *name, *reason;
        const char *path = ec2gw->psprintf(req, "/servers/%s", st->os_ids[i]);
        json_t *body = NULL, *data = NULL;
        int code;

        if (r[i]->status == 404 && st->act == NOVA_TERMINATE) {
            code = 48, name = "terminated";
        } else if (!ec2gw_os_ok(r[i])) {
            ec2gw->fail_from_os(req, r[i], "InvalidInstanceID.NotFound");
            return;
        } else {
            nova_state(json_object_get(r[i]->json, "server"), &code, &name, &reason);
        }
        json_array_append_new(st->prev, nova_state_json(code, name));
        if (st->act == NOVA_STOP && ec2gw->item_get(req, id, &data) == 0 &&
            json_is_true(json_object_get(data, "disable_api_stop"))) {
            json_decref(data);
            ec2gw->fail(req, 400, "OperationNotPermitted",
                        "The instance '%s' may not be stopped. Modify its 'disableApiStop' "
                        "instance attribute and try again.",
                        id);
            return;
        }
        json_decref(data);
        data = NULL;
        if (st->act == NOVA_TERMINATE && ec2gw->item_get(req, id, &data) == 0 &&
            json_is_true(json_object_get(data, "disable_api_termination"))) {
            json_decref(data);
            ec2gw->fail(req, 400, "OperationNotPermitted",
                        "The instance '%s' may not be terminated. Modify its "
                        "'disableApiTermination' instance attribute and try again.",
                        id);
            return;
        }
        json_decref(data);
        if ((st->skip[i] = nova_act_noop(st->act, code)))
            continue;
        if (st->act == NOVA_TERMINATE) {
            calls[nc++] = EC2GW_OS_CALL("compute", "DELETE", path, .flags = 0);
            continue;
        }
        body = st->act == NOVA_STOP    ? json_pack("{s:n}", "os-stop")
               : st->act == NOVA_START ? json_pack("{s:n}", "os-start")
                                       : json_pack("{s:{s:s}}", "reboot", "type", "SOFT");
        calls[nc++] = EC2GW_OS_CALL("compute", "POST", ec2gw->psprintf(req, "%s/action", path),
                                    .body = nova_own(req, body));
    }
    if (nc == 0) {
        nova_act_answer(req, st);
        return;
    }
    if (ec2gw->os_fanout(req, calls, nc, nova_act_done, st) < 0)
        ec2gw->fail(req, 500, "InternalError", "Could not call Nova");
}

static int
nova_act_start(ec2gw_req_t *req, enum nova_act act)
{
    struct nova_act_state *st = ec2gw->state(req, sizeof(*st));
    ec2gw_os_call_t *calls;

    st->act = act;
    st->ids = json_object_get(ec2gw->params(req), "InstanceIds");
    st->n = json_array_size(st->ids);
    if (st->n == 0) {
        ec2gw->fail(req, 400, "MissingParameter",
                    "The request must contain the parameter InstanceId");
        return EC2GW_OK;
    }
    if (nova_instance_ids(req, st->ids, &st->os_ids) != 0)
        return EC2GW_OK;
    calls = ec2gw->pcalloc(req, st->n * sizeof(*calls));
    for (size_t i = 0; i < st->n; i++)
        calls[i] = EC2GW_OS_GET("compute", ec2gw->psprintf(req, "/servers/%s", st->os_ids[i]));
    return ec2gw->os_fanout(req, calls, st->n, nova_act_got, st);
}

int
nova_terminate_instances(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return nova_act_start(req, NOVA_TERMINATE);
}

int
nova_stop_instances(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return nova_act_start(req, NOVA_STOP);
}

int
nova_start_instances(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return nova_act_start(req, NOVA_START);
}

int
nova_reboot_instances(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return nova_act_start(req, NOVA_REBOOT);
}
