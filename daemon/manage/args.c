/*
 * args.c - the command line of ec2gw-manage: global options anywhere, then COMMAND words and
 * their options. Hand-written rather than getopt so that it is pure (no global state) and the
 * unit tests can run it many times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "manage/manage.h"

static const struct {
    const char *w1, *w2;
    ec2gw_manage_cmd_t cmd;
} commands[] = {
    { "db", "version", EC2GW_MANAGE_DB_VERSION },
    { "db", "upgrade", EC2GW_MANAGE_DB_UPGRADE },
    { "db", "import-ec2api", EC2GW_MANAGE_DB_IMPORT },
    { "credentials", "create", EC2GW_MANAGE_CRED_CREATE },
    { "credentials", "list", EC2GW_MANAGE_CRED_LIST },
    { "check", NULL, EC2GW_MANAGE_CHECK },
    { "catalog", "register", EC2GW_MANAGE_CATALOG_REGISTER },
    { "catalog", "show", EC2GW_MANAGE_CATALOG_SHOW },
};

/* Options that take a value: where it goes, and which commands accept it (0: every one). */
struct valopt {
    const char *name;
    size_t off;
    ec2gw_manage_cmd_t only[3];
};

#define A(f) offsetof(ec2gw_manage_args_t, f)
static const struct valopt valopts[] = {
    { "--config-dir", A(conf_dir), { 0 } },
    { "--conf-dir", A(conf_dir), { 0 } },
    { "-c", A(conf_dir), { 0 } },
    { "--plugin-dir", A(plugin_dir), { EC2GW_MANAGE_CHECK } },
    { "--user", A(user), { EC2GW_MANAGE_CRED_CREATE, EC2GW_MANAGE_CRED_LIST } },
    { "--project", A(project), { EC2GW_MANAGE_CRED_CREATE } },
    { "--domain", A(domain), { EC2GW_MANAGE_CRED_CREATE, EC2GW_MANAGE_CRED_LIST } },
    { "--url", A(url), { EC2GW_MANAGE_CRED_CREATE, EC2GW_MANAGE_CATALOG_REGISTER } },
    { "--region", A(region), { EC2GW_MANAGE_CATALOG_REGISTER, EC2GW_MANAGE_CATALOG_SHOW } },
    { "--interfaces", A(interfaces), { EC2GW_MANAGE_CATALOG_REGISTER } },
};

static int EC2GW_PRINTF(3, 4) usage_err(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return EC2GW_MANAGE_USAGE;
}

static const struct valopt *
find_valopt(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    for (size_t i = 0; i < sizeof(valopts) / sizeof(valopts[0]); i++) {
        size_t n = strlen(valopts[i].name);

        if (strcmp(arg, valopts[i].name) == 0)
            return &valopts[i];
        if (valopts[i].name[1] == '-' && strncmp(arg, valopts[i].name, n) == 0 && arg[n] == '=') {
            *inline_val = arg + n + 1;
            return &valopts[i];
        }
    }
    return NULL;
}

/* Match the command words; 0 or a usage error. */
static int
find_command(const char **words, int n, ec2gw_manage_args_t *out, const char **extra, char *msg,
             size_t size)
{
    *extra = NULL;
    if (n == 0)
        return usage_err(msg, size, "no command given");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(words[0], commands[i].w1) != 0)
            continue;
        if (commands[i].w2 == NULL) {
            out->cmd = commands[i].cmd;
            *extra = n > 1 ? words[1] : NULL;
            return 0;
        }
        if (n > 1 && strcmp(words[1], commands[i].w2) == 0) {
            out->cmd = commands[i].cmd;
            *extra = n > 2 ? words[2] : NULL;
            if (out->cmd == EC2GW_MANAGE_DB_IMPORT) {
                out->source = *extra;
                *extra = n > 3 ? words[3] : NULL;
            }
            return 0;
        }
    }
    if (n > 1 && (strcmp(words[0], "db") == 0 || strcmp(words[0], "credentials") == 0 ||
                  strcmp(words[0], "catalog") == 0))
        return usage_err(msg, size, "unknown command '%s %s'", words[0], words[1]);
    return usage_err(msg, size, "unknown command '%s'", words[0]);
}

/* An option given to a command that does not take it. */
static int
check_scope(const struct valopt *o, const ec2gw_manage_args_t *out)
{
    return o->only[0] == 0 || o->only[0] == out->cmd || o->only[1] == out->cmd ||
           o->only[2] == out->cmd;
}

static int
check_command(const ec2gw_manage_args_t *out, char *msg, size_t size)
{
    if (out->cmd == EC2GW_MANAGE_DB_IMPORT && out->source == NULL)
        return usage_err(msg, size, "db import-ec2api needs SOURCE (an ec2-api SQLite file)");
    if (out->dry_run && out->cmd != EC2GW_MANAGE_DB_IMPORT &&
        out->cmd != EC2GW_MANAGE_CATALOG_REGISTER)
        return usage_err(msg, size,
                         "--dry-run is an option of db import-ec2api and catalog register only");
    if (out->cmd == EC2GW_MANAGE_CRED_CREATE && (out->user == NULL || out->project == NULL))
        return usage_err(msg, size, "credentials create needs --user U and --project P");
    if (out->cmd == EC2GW_MANAGE_CATALOG_REGISTER) {
        unsigned mask;

        if (out->url == NULL)
            return usage_err(msg, size, "catalog register needs --url URL");
        if (strncmp(out->url, "http://", 7) != 0 && strncmp(out->url, "https://", 8) != 0)
            return usage_err(msg, size, "--url '%s' is not an http:// or https:// URL", out->url);
        if (out->interfaces != NULL && ec2gw_manage_interfaces_parse(out->interfaces, &mask) != 0)
            return usage_err(msg, size,
                             "--interfaces '%s': a comma-separated list of public, internal, "
                             "admin without repeats",
                             out->interfaces);
    }
    return 0;
}

int
ec2gw_manage_args_parse(int argc, char **argv, ec2gw_manage_args_t *out, char *msg, size_t msg_size)
{
    const char *words[8];
    const struct valopt *pending[16];
    const char *vals[16];
    int n_words = 0, n_opts = 0, rc;
    const char *extra;

    memset(out, 0, sizeof(*out));
    msg[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val;
        const struct valopt *o;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            out->cmd = EC2GW_MANAGE_HELP;
            return 0;
        }
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            out->cmd = EC2GW_MANAGE_VERSION;
            return 0;
        }
        if (strcmp(arg, "--dry-run") == 0) {
            out->dry_run = 1;
        } else if ((o = find_valopt(arg, &val)) != NULL) {
            if (val == NULL && (i + 1 >= argc || argv[i + 1][0] == '\0'))
                return usage_err(msg, msg_size, "option %s needs a value", o->name);
            if (n_opts == (int)(sizeof(vals) / sizeof(vals[0])))
                return usage_err(msg, msg_size, "too many options");
            pending[n_opts] = o;
            vals[n_opts++] = val != NULL ? val : argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_err(msg, msg_size, "unknown option '%s'", arg);
        } else if (n_words == (int)(sizeof(words) / sizeof(words[0]))) {
            return usage_err(msg, msg_size, "unexpected argument '%s'", arg);
        } else {
            words[n_words++] = arg;
        }
    }
    if ((rc = find_command(words, n_words, out, &extra, msg, msg_size)) != 0)
        return rc;
    if (extra != NULL)
        return usage_err(msg, msg_size, "unexpected argument '%s'", extra);
    for (int k = 0; k < n_opts; k++) {
        if (!check_scope(pending[k], out))
            return usage_err(msg, msg_size, "option %s does not apply to this command",
                             pending[k]->name);
        if (vals[k][0] == '\0')
            return usage_err(msg, msg_size, "option %s needs a value", pending[k]->name);
        *(const char **)(void *)((char *)out + pending[k]->off) = vals[k];
    }
    return check_command(out, msg, msg_size);
}
