/* fault.h - an EC2 error to answer a client with: HTTP status, EC2 code, message. */
#ifndef EC2GW_CORE_FAULT_H
#define EC2GW_CORE_FAULT_H

#include <ec2gw/plugin.h>

typedef struct ec2gw_fault {
    int status;         /**< HTTP status (>= 400) */
    char code[96];      /**< EC2 error code, e.g. "InvalidParameterValue" */
    char message[1024]; /**< message for the client; never contains secrets */
} ec2gw_fault_t;

/** The HTTP status the EC2 error table gives @p code (400 when the code is not listed). */
int ec2gw_fault_status(const char *code);

/**
 * Fill @p f with @p code, its status from the table and a formatted message. Returns -1 so
 * that callers can `return ec2gw_fault_set(...)`. @p f may be NULL.
 */
int ec2gw_fault_set(ec2gw_fault_t *f, const char *code, const char *fmt, ...) EC2GW_PRINTF(3, 4);

/** As ec2gw_fault_set with an explicit status. */
int ec2gw_fault_setv(ec2gw_fault_t *f, int status, const char *code, const char *fmt, va_list ap)
    EC2GW_PRINTF(4, 0);

#endif
