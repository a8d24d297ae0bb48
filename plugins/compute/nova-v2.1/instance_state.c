/*
 * instance_state.c - Nova vm_state/task_state to the six EC2 instance states (pure).
 *
 *   building, or task spawning/scheduling/block_device_mapping/networking  pending 0
 *   stopped with task powering-on                                           pending 0
 *   active, rescued, resized                                                running 16
 *   active with task powering-off                                           stopping 64
 *   stopped, paused, suspended, shelved, shelved_offloaded, error           stopped 80
 *   task deleting, deleted, soft-deleted (status DELETED/SOFT_DELETED)      shutting-down 32
 *   deleted (listed by changes-since)                                       terminated 48
 */
#include <string.h>

#include "nova.h"

static int
nova_eq(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* The EC2 state of a Nova server (code, name) and a state reason (or NULL). */
void
nova_state(const json_t *server, int *code, const char **name, const char **reason)
{
    const char *vm = nova_str(server, "OS-EXT-STS:vm_state");
    const char *task = nova_str(server, "OS-EXT-STS:task_state");
    const char *status = nova_str(server, "status");

    *reason = NULL;
    if (nova_eq(status, "DELETED") || nova_eq(vm, "deleted")) {
        *code = 48, *name = "terminated";
    } else if (nova_eq(task, "deleting") || nova_eq(vm, "soft-delete") ||
               nova_eq(vm, "soft-deleted") || nova_eq(status, "SOFT_DELETED")) {
        *code = 32, *name = "shutting-down";
    } else if (nova_eq(vm, "building") || nova_eq(task, "spawning") ||
               nova_eq(task, "scheduling") || nova_eq(task, "block_device_mapping") ||
               nova_eq(task, "networking") || nova_eq(task, "powering-on")) {
        *code = 0, *name = "pending";
    } else if (nova_eq(task, "powering-off")) {
        *code = 64, *name = "stopping";
    } else if (nova_eq(vm, "active") || nova_eq(vm, "rescued") || nova_eq(vm, "resized")) {
        *code = 16, *name = "running";
        if (!nova_eq(vm, "active"))
            *reason = vm;
    } else if (nova_eq(vm, "error")) {
        *code = 80, *name = "stopped", *reason = "Server.InternalError";
    } else if (vm == NULL && nova_eq(status, "ACTIVE")) {
        *code = 16, *name = "running";
    } else if (vm == NULL && nova_eq(status, "BUILD")) {
        *code = 0, *name = "pending";
    } else {
        *code = 80, *name = "stopped";
        if (vm != NULL && !nova_eq(vm, "stopped"))
            *reason = vm;
    }
}

/* {"Code": code, "Name": name}: returns new. */
json_t *
nova_state_json(int code, const char *name)
{
    return json_pack("{s:i, s:s}", "Code", code, "Name", name);
}
