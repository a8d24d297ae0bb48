/*
 * claim_owner.h - who holds a ClientToken claim: a process identity that survives in the
 * database, so that another ec2gwd (or this one after a restart) can tell a live claim from one
 * whose owner is gone (issue 11, kill -9 mid-RunInstances).
 */
#ifndef EC2GW_DATA_CLAIM_OWNER_H
#define EC2GW_DATA_CLAIM_OWNER_H

#include <stddef.h>
#include <sys/types.h>

/** Longest owner text: host name, boot id, pid namespace, pid and start time. */
#define EC2GW_OWNER_MAX 384

typedef enum ec2gw_owner_state {
    EC2GW_OWNER_GONE = 0,  /**< on this machine and namespace, and that process is no more */
    EC2GW_OWNER_ALIVE,     /**< on this machine, and that very process still runs */
    EC2GW_OWNER_ELSEWHERE, /**< another machine or namespace: only its lease can tell */
} ec2gw_owner_state_t;

/**
 * The identity of process @p pid on this machine into @p out:
 * "<host> <boot id> <pid namespace> <pid> <start time>". 0, or -1 when the process does not
 * exist (or /proc cannot say).
 */
int ec2gw_claim_owner_of(pid_t pid, char *out, size_t size);

/** This process's identity (computed again after a fork: workers are processes). Static. */
const char *ec2gw_claim_owner_self(void);

/** Whether the process named by @p owner (a string from ec2gw_claim_owner_of) still runs. */
ec2gw_owner_state_t ec2gw_claim_owner_state(const char *owner);

#endif
