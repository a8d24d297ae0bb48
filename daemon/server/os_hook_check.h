/* os_hook_check.h - the one check of what a wrapper's request hook left, for ec2gwd and the
 * SDK's fake host alike. */
#ifndef EC2GW_OS_HOOK_CHECK_H
#define EC2GW_OS_HOOK_CHECK_H

#include <ec2gw/plugin.h>

/* 1 when @p v still makes a valid request: header values without CR/LF, header names without
 * ':' or spaces and never X-Auth-Token, a method, a path from the endpoint (no spaces or
 * controls), a microversion; else 0. */
int ec2gw_os_hook_call_valid(const ec2gw_os_hook_call_t *v);

#endif
