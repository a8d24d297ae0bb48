/* builtins.h - EC2 actions the daemon serves itself: tags and regions. */
#ifndef EC2GW_SERVER_BUILTINS_H
#define EC2GW_SERVER_BUILTINS_H

#include "server/request.h"

/** 1 when @p action is served by the daemon itself. */
int ec2gw_builtin_serves(const char *action);

/** Serve it (synchronously). */
void ec2gw_builtin_run(ec2gw_req_t *r);

#endif
