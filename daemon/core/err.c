/* err.c - internal error detail. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int
ec2gw_err_set(ec2gw_err_t *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}
