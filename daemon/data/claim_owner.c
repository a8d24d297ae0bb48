/*
 * claim_owner.c - process identities of ClientToken claims. A pid alone is reused; with the
 * process's start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) it names one
 * process of one boot. The host part (host name, boot id, pid namespace) says whether the pid
 * can be checked here at all: a claim of another machine or container is judged by its lease.
 */
#include "data/claim_owner.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "<host> <boot id> <pid namespace>" of this machine, or "" when /proc cannot say. */
static const char *
owner_host(void)
{
    static char host[EC2GW_OWNER_MAX - 48];
    char name[256] = "", boot[64] = "", ns[64] = "";
    FILE *f;
    ssize_t n;

    if (host[0] != '\0')
        return host;
    if (gethostname(name, sizeof(name) - 1) != 0)
        return "";
    if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) == NULL)
        return "";
    if (fscanf(f, "%63s", boot) != 1)
        boot[0] = '\0';
    fclose(f);
    /* readlink gives "pid:[4026531836]": unique per namespace for the boot */
    n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    if (boot[0] == '\0' || n <= 0)
        return "";
    ns[n] = '\0';
    for (char *p = name; *p != '\0'; p++)
        if (*p == ' ')
            *p = '_';
    snprintf(host, sizeof(host), "%s %s %s", name, boot, ns);
    return host;
}

/* Start time of @p pid in clock ticks after boot; 0 when it does not exist. */
static unsigned long long
proc_start(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long start = 0;
    const char *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) may hold spaces and parentheses: count from its last ')' */
    if ((p = strrchr(buf, ')')) == NULL)
        return 0;
    /* fields 3..21 are skipped, 22 is the start time */
    if (sscanf(p + 1,
               "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
               "%*s %llu",
               &start) != 1)
        return 0;
    return start;
}

int
ec2gw_claim_owner_of(pid_t pid, char *out, size_t size)
{
    const char *host = owner_host();
    unsigned long long start = proc_start(pid);

    if (host[0] == '\0' || start == 0)
        return -1;
    snprintf(out, size, "%s %ld %llu", host, (long)pid, start);
    return 0;
}

const char *
ec2gw_claim_owner_self(void)
{
    static char self[EC2GW_OWNER_MAX];
    static pid_t self_pid;
    pid_t pid = getpid();

    if (self_pid != pid) {
        /* without /proc the identity is only the host name: judged by the lease alone */
        if (ec2gw_claim_owner_of(pid, self, sizeof(self)) != 0) {
            char name[256] = "?";

            (void)gethostname(name, sizeof(name) - 1);
            snprintf(self, sizeof(self), "%s ? ? %ld 0", name, (long)pid);
        }
        self_pid = pid;
    }
    return self;
}

ec2gw_owner_state_t
ec2gw_claim_owner_state(const char *owner)
{
    const char *host = owner_host();
    size_t hlen = strlen(host);
    long pid = 0;
    unsigned long long start = 0;

    if (owner == NULL || hlen == 0 || strncmp(owner, host, hlen) != 0 || owner[hlen] != ' ')
        return EC2GW_OWNER_ELSEWHERE;
    if (sscanf(owner + hlen, " %ld %llu", &pid, &start) != 2 || pid <= 0)
        return EC2GW_OWNER_ELSEWHERE;
    /* gone, or the pid now names another process */
    return proc_start((pid_t)pid) == start ? EC2GW_OWNER_ALIVE : EC2GW_OWNER_GONE;
}
