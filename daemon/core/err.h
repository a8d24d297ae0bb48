/* err.h - internal error reporting: 0 / negative EC2GW_E* codes with a message. */
#ifndef EC2GW_CORE_ERR_H
#define EC2GW_CORE_ERR_H

#include <ec2gw/plugin.h>

/** Detail of a failed daemon-internal call. Library code fills it and does not log. */
typedef struct ec2gw_err {
    int code;       /**< EC2GW_E_* */
    char msg[1024]; /**< human-readable, names the file/key/object at fault */
} ec2gw_err_t;

/** Fill @p err (may be NULL) and return @p code, so callers can `return ec2gw_err_set(...)`. */
int ec2gw_err_set(ec2gw_err_t *err, int code, const char *fmt, ...) EC2GW_PRINTF(3, 4);

#endif
