/*
 * os_hook_check.c - what a request hook left must make a valid request. Compiled into ec2gwd
 * (os_hook.c) and into the SDK's fake host (testhost_hook.c), so a plugin's unit test is
 * refused exactly where the daemon would refuse it.
 */
#include "server/os_hook_check.h"

#include <string.h>
#include <strings.h>

/* Printable, without spaces unless @p allow_space: a path, a method, a header. */
static int
token_ok(const char *s, int allow_space)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || (*s == ' ' && !allow_space))
            return 0;
    return 1;
}

int
ec2gw_os_hook_call_valid(const ec2gw_os_hook_call_t *v)
{
    const char *name;
    json_t *val;

    if (!json_is_object(v->headers) ||
        (v->method != NULL && (v->method[0] == '\0' || !token_ok(v->method, 0))) ||
        (v->path != NULL && (v->path[0] != '/' || !token_ok(v->path, 0))) ||
        (v->microversion != NULL && !token_ok(v->microversion, 1)))
        return 0;
    json_object_foreach(v->headers, name, val)
    {
        const char *s = json_string_value(val);

        if (s == NULL || !token_ok(s, 1) || strpbrk(name, ": ") != NULL || !token_ok(name, 0) ||
            name[0] == '\0' || strcasecmp(name, "X-Auth-Token") == 0)
            return 0;
    }
    return 1;
}
