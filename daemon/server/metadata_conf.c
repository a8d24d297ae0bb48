/*
 * metadata_conf.c - checks of the daemon's `metadata:` section and its shared secret (the one
 * Neutron's metadata agent signs X-Instance-ID with). An enabled listener without a secret
 * would have to trust unsigned headers, so it refuses to start instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/daemon.h"

static int
read_secret(ec2gw_daemon_conf_t *c, ec2gw_err_t *err)
{
    static char from_file[512];

    if (c->md_secret_env != NULL && c->md_secret_file != NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "metadata: give only one of shared_secret_env, shared_secret_file");
    /* A disabled listener needs no secret: the shipped file names the variable all the same. */
    if (!c->md_enabled)
        return 0;
    if (c->md_secret_env != NULL) {
        c->md_secret = getenv(c->md_secret_env);
        if (c->md_secret == NULL || c->md_secret[0] == '\0')
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "metadata.shared_secret_env: the environment variable %s is "
                                 "not set (it must hold Neutron's metadata_proxy_shared_secret)",
                                 c->md_secret_env);
    } else if (c->md_secret_file != NULL) {
        FILE *f = fopen(c->md_secret_file, "r");

        if (f == NULL || fgets(from_file, sizeof(from_file), f) == NULL) {
            if (f != NULL)
                fclose(f);
            return ec2gw_err_set(err, EC2GW_E_INVAL, "metadata.shared_secret_file: cannot read %s",
                                 c->md_secret_file);
        }
        fclose(f);
        from_file[strcspn(from_file, "\r\n")] = '\0';
        c->md_secret = from_file;
    }
    if (c->md_secret == NULL || c->md_secret[0] == '\0')
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "metadata.enabled is true but there is no shared secret (set "
                             "metadata.shared_secret_env or shared_secret_file to Neutron's "
                             "metadata_proxy_shared_secret)");
    return 0;
}

int
ec2gw_metadata_conf_check(ec2gw_daemon_conf_t *c, ec2gw_err_t *err)
{
    c->md.size = (uint32_t)sizeof(c->md);
    /* token_ttl_max is bound as a duration in ms; plugins read seconds. */
    c->md.token_ttl_max_s /= 1000;
    if (c->md_port < 1 || c->md_port > 65535)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "metadata.port must be 1-65535");
    if (c->md.cache_ttl_ms < 0 || c->md.cache_ttl_ms > 3600 * 1000)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "metadata.cache_ttl must be 0-1h");
    if (c->md.token_ttl_max_s < 1 || c->md.token_ttl_max_s > 21600)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "metadata.token_ttl_max must be 1s-21600s");
    if (c->md_enabled && c->listen_port == c->md_port &&
        strcmp(c->listen_address, c->md_address) == 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "metadata.port %lld is listen.port: the metadata listener needs "
                             "its own port",
                             (long long)c->md_port);
    return read_secret(c, err);
}
