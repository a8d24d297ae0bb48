/* fault.c - EC2 error codes and their HTTP statuses (ec2-protocol.md §4.2, §10.7). */
#include "fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *code;
    int status;
} fault_status_table[] = {
    { "DryRunOperation", 412 },
    { "UnauthorizedOperation", 403 },
    { "AuthFailure", 401 },
    { "SignatureDoesNotMatch", 403 },
    { "InvalidClientTokenId", 403 },
    { "MissingAuthenticationToken", 403 },
    { "InternalError", 500 },
    { "Unavailable", 503 },
    { "ServiceUnavailable", 503 },
    { "RequestLimitExceeded", 503 },
    { "EC2ThrottledException", 503 },
};

int
ec2gw_fault_status(const char *code)
{
    for (size_t i = 0; i < sizeof(fault_status_table) / sizeof(fault_status_table[0]); i++)
        if (strcmp(fault_status_table[i].code, code) == 0)
            return fault_status_table[i].status;
    return 400;
}

int
ec2gw_fault_setv(ec2gw_fault_t *f, int status, const char *code, const char *fmt, va_list ap)
{
    if (f == NULL)
        return -1;
    f->status = status;
    snprintf(f->code, sizeof(f->code), "%s", code);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    return -1;
}

int
ec2gw_fault_set(ec2gw_fault_t *f, const char *code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ec2gw_fault_setv(f, ec2gw_fault_status(code), code, fmt, ap);
    va_end(ap);
    return -1;
}
