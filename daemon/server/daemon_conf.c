/*
 * daemon_conf.c - the daemon's own conf.d sections (files without `plugin:`):
 *   listen, limits, ec2, paths, log, openstack, keystone
 * conf.d's files arrive merged into one document (config_merge.c: a later file overrides keys
 * of an earlier one); unknown sections and keys are errors.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "server/daemon.h"

#define C(f) offsetof(ec2gw_daemon_conf_t, f)
#define K(f) (offsetof(ec2gw_daemon_conf_t, keystone) + offsetof(ec2gw_keystone_conf_t, f))

static const ec2gw_setting_t listen_schema[] = {
    { .key = "address", .type = EC2GW_SET_STR, .offset = C(listen_address), .def = "127.0.0.1" },
    { .key = "port", .type = EC2GW_SET_INT, .offset = C(listen_port), .def = "8788" },
    { .key = "workers", .type = EC2GW_SET_INT, .offset = C(workers), .def = "1" },
    { .key = NULL },
};

/* Sizes are bound as strings first ("1MiB"), then converted below. */
struct size_view {
    const char *max_body_size, *max_header_size;
};

static const ec2gw_setting_t limits_schema[] = {
    { .key = "max_connections", .type = EC2GW_SET_INT, .offset = C(max_connections), .def = "1024" },
    { .key = "request_timeout", .type = EC2GW_SET_DURATION_MS, .offset = C(request_timeout_ms), .def = "120s" },
    { .key = "idle_timeout", .type = EC2GW_SET_DURATION_MS, .offset = C(idle_timeout_ms), .def = "60s" },
    { .key = "header_timeout", .type = EC2GW_SET_DURATION_MS, .offset = C(header_timeout_ms), .def = "20s" },
    { .key = "max_parameters", .type = EC2GW_SET_INT, .offset = C(max_params), .def = "20000" },
    { .key = "max_body_size", .type = EC2GW_SET_INT, .offset = C(max_body_bytes), .def = "1048576" },
    { .key = "max_header_size", .type = EC2GW_SET_INT, .offset = C(max_header_bytes), .def = "65536" },
    { .key = NULL },
};

static const ec2gw_setting_t ec2_schema[] = {
    { .key = "region", .type = EC2GW_SET_STR, .offset = C(region), .def = "RegionOne" },
    { .key = "endpoint", .type = EC2GW_SET_STR, .offset = C(endpoint), .def = NULL },
    { .key = "extra_regions", .type = EC2GW_SET_STR_LIST, .offset = C(extra_regions) },
    { .key = "max_clock_skew", .type = EC2GW_SET_DURATION_MS, .offset = C(max_skew_ms), .def = "15m" },
    { .key = "server_header_amazon", .type = EC2GW_SET_BOOL, .offset = C(server_header_amazon), .def = "false" },
    { .key = NULL },
};

static const ec2gw_setting_t paths_schema[] = {
    { .key = "plugin_dir", .type = EC2GW_SET_STR, .offset = C(plugin_dir) },
    { .key = "model", .type = EC2GW_SET_STR, .offset = C(model_path) },
    { .key = "database", .type = EC2GW_SET_STR, .offset = C(database), .def = "/var/lib/ec2gw/ec2gw.sqlite" },
    { .key = "database_password_env", .type = EC2GW_SET_STR, .offset = C(database_password_env) },
    { .key = "database_password_file", .type = EC2GW_SET_STR, .offset = C(database_password_file) },
    { .key = "database_pool", .type = EC2GW_SET_INT, .offset = C(database_pool), .def = "4" },
    { .key = NULL },
};

static const ec2gw_setting_t log_schema[] = {
    { .key = "level", .type = EC2GW_SET_STR, .offset = C(log_level), .def = "info" },
    { .key = "format", .type = EC2GW_SET_STR, .offset = C(log_format), .def = "text" },
    { .key = "access_log", .type = EC2GW_SET_STR, .offset = C(access_log_spec), .def = "true" },
    { .key = NULL },
};

static const ec2gw_setting_t openstack_schema[] = {
    { .key = "timeout", .type = EC2GW_SET_DURATION_MS, .offset = C(os_timeout_ms), .def = "60s" },
    { .key = "max_connections_per_host", .type = EC2GW_SET_INT, .offset = C(os_max_host_connections), .def = "32" },
    { .key = NULL },
};

static const ec2gw_setting_t keystone_schema[] = {
    { .key = "url", .type = EC2GW_SET_STR, .offset = K(url), .def = "http://127.0.0.1:5000/v3" },
    { .key = "service_user", .type = EC2GW_SET_STR, .offset = K(service_user), .def = "ec2gw" },
    { .key = "service_password", .type = EC2GW_SET_STR, .offset = K(service_password) },
    { .key = "service_password_file", .type = EC2GW_SET_STR, .offset = K(service_password_file) },
    { .key = "service_password_env", .type = EC2GW_SET_STR, .offset = K(service_password_env) },
    { .key = "service_project", .type = EC2GW_SET_STR, .offset = K(service_project), .def = "service" },
    { .key = "user_domain", .type = EC2GW_SET_STR, .offset = K(user_domain), .def = "Default" },
    { .key = "project_domain", .type = EC2GW_SET_STR, .offset = K(project_domain), .def = "Default" },
    { .key = "interface", .type = EC2GW_SET_STR, .offset = K(interface), .def = "public" },
    { .key = "region", .type = EC2GW_SET_STR, .offset = K(region) },
    { .key = "timeout", .type = EC2GW_SET_DURATION_MS, .offset = K(timeout_ms), .def = "10s" },
    { .key = "credential_ttl", .type = EC2GW_SET_DURATION_MS, .offset = K(credential_ttl_ms), .def = "60s" },
    { .key = "token_margin", .type = EC2GW_SET_DURATION_MS, .offset = K(token_margin_ms), .def = "5m" },
    { .key = NULL },
};

static const ec2gw_setting_t metadata_schema[] = {
    { .key = "enabled", .type = EC2GW_SET_BOOL, .offset = C(md_enabled), .def = "false" },
    { .key = "address", .type = EC2GW_SET_STR, .offset = C(md_address), .def = "127.0.0.1" },
    { .key = "port", .type = EC2GW_SET_INT, .offset = C(md_port), .def = "8789" },
    { .key = "shared_secret_env", .type = EC2GW_SET_STR, .offset = C(md_secret_env) },
    { .key = "shared_secret_file", .type = EC2GW_SET_STR, .offset = C(md_secret_file) },
    { .key = "cache_ttl", .type = EC2GW_SET_DURATION_MS, .offset = C(md.cache_ttl_ms), .def = "10s" },
    { .key = "token_ttl_max", .type = EC2GW_SET_DURATION_MS, .offset = C(md.token_ttl_max_s), .def = "21600s" },
    { .key = NULL },
};

static const struct {
    const char *name;
    const ec2gw_setting_t *schema;
} sections[] = {
    { "listen", listen_schema },       { "limits", limits_schema },
    { "ec2", ec2_schema },             { "paths", paths_schema },
    { "log", log_schema },             { "openstack", openstack_schema },
    { "keystone", keystone_schema },   { "metadata", metadata_schema },
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static int
find_section(const char *name)
{
    for (size_t s = 0; s < N_SECTIONS; s++)
        if (strcmp(sections[s].name, name) == 0)
            return (int)s;
    return -1;
}

/* log.access_log: true (stderr), false, or an absolute file path; log.format: text or json. */
static int
log_conf_check(ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
    const char *v = conf->access_log_spec;
    ec2gw_log_level_t level;

    /* Checked here, not at start-up only, so that a reload refuses a bad level too. */
    if (ec2gw_log_parse_level(conf->log_level, &level) != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "log.level: '%s' is not error, warn, notice, info or debug",
                             conf->log_level);
    if (strcmp(conf->log_format, "text") != 0 && strcmp(conf->log_format, "json") != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "log.format: '%s' is not text or json",
                             conf->log_format);
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(v, yes[i]) == 0)
            return conf->access_log = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return conf->access_log = 0, 0;
    }
    if (v[0] != '/')
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "log.access_log: '%s' is not true, false or an absolute file path", v);
    conf->access_log = 1;
    conf->access_log_path = v;
    return 0;
}

/* The password may sit in the YAML, a file (first line) or an environment variable. */
static int
resolve_password(ec2gw_conf_set_t *set, ec2gw_keystone_conf_t *k, ec2gw_err_t *err)
{
    static char from_file[512];
    int sources = (k->service_password != NULL) + (k->service_password_file != NULL) +
                  (k->service_password_env != NULL);

    (void)set;
    if (sources > 1)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "keystone: give only one of service_password, "
                             "service_password_file, service_password_env");
    if (k->service_password_env != NULL) {
        k->service_password = getenv(k->service_password_env);
        if (k->service_password == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "keystone.service_password_env: the environment variable %s "
                                 "is not set",
                                 k->service_password_env);
    } else if (k->service_password_file != NULL) {
        FILE *f = fopen(k->service_password_file, "r");

        if (f == NULL || fgets(from_file, sizeof(from_file), f) == NULL) {
            if (f != NULL)
                fclose(f);
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "keystone.service_password_file: cannot read %s",
                                 k->service_password_file);
        }
        fclose(f);
        from_file[strcspn(from_file, "\r\n")] = '\0';
        k->service_password = from_file;
    } else if (k->service_password == NULL) {
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "keystone: no service password (set service_password_env, "
                             "service_password_file or service_password)");
    }
    return 0;
}

/* Top-level describe_max_staleness: how old a shared OpenStack read may be (0: off). Beyond a
 * minute a client would no longer read its own writes made through another gateway. */
static int
bind_staleness(const ec2gw_conf_node_t *root, size_t k, const ec2gw_conf_node_t **seen,
               ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    const ec2gw_conf_node_t *v = root->items[k];
    long long ms = 0;

    if (*seen != NULL)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: describe_max_staleness is already set in %s:%d",
                             ec2gw_conf_key_file(root, root->keys[k]), root->key_lines[k],
                             (*seen)->file, (*seen)->line);
    *seen = v;
    if (v->type != EC2GW_CONF_SCALAR || ec2gw_conf_parse_duration(v->value, &ms) != 0 || ms < 0 ||
        ms > 60000)
        return ec2gw_err_set(err, EC2GW_E_INVAL,
                             "%s:%d: describe_max_staleness must be a duration from 0 (off) "
                             "to 60s, such as 2s or 500ms",
                             v->file, v->line);
    conf->describe_staleness_ms = ms;
    return 0;
}

/*
 * `key: ~` unsets a string (config.h), which a drop-in may do to any key; these the daemon
 * reads unconditionally, so a null is refused here rather than dereferenced later.
 */
static int
check_needed(const ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    static const struct {
        const char *name;
        size_t offset;
    } needed[] = {
        { "listen.address", C(listen_address) },
        { "ec2.region", C(region) },
        { "paths.database", C(database) },
        { "log.level", C(log_level) },
        { "log.format", C(log_format) },
        { "log.access_log", C(access_log_spec) },
        { "keystone.url", K(url) },
        { "keystone.service_user", K(service_user) },
        { "keystone.service_project", K(service_project) },
        { "keystone.user_domain", K(user_domain) },
        { "keystone.project_domain", K(project_domain) },
        { "keystone.interface", K(interface) },
        { "metadata.address", C(md_address) },
    };

    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        const char *v;

        memcpy(&v, (const char *)conf + needed[i].offset, sizeof(v));
        if (v == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL,
                                 "%s: no value; remove the key for its default, or give one",
                                 needed[i].name);
    }
    return 0;
}

/* Rules across keys and values, once every section is bound. */
static int
check_values(ec2gw_conf_set_t *set, ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    if (check_needed(conf, err) != 0)
        return EC2GW_E_INVAL;
    if (conf->workers < 1 || conf->workers > 64)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "listen.workers must be 1-64");
    if (conf->listen_port < 1 || conf->listen_port > 65535)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "listen.port must be 1-65535");
    /* One message a key, so that cite_setting() finds the line to edit. */
    if (conf->max_connections < 1 || conf->header_timeout_ms < 1 || conf->max_params < 1)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "limits.%s must be at least 1",
                             conf->max_connections < 1 ? "max_connections"
                             : conf->max_params < 1    ? "max_parameters"
                                                       : "header_timeout");
    if (conf->max_body_bytes < 1024 || conf->max_header_bytes < 1024)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "limits.%s must be at least 1024 bytes",
                             conf->max_body_bytes < 1024 ? "max_body_size" : "max_header_size");
    for (size_t i = 0; i < conf->extra_regions.n; i++)
        if (strchr(conf->extra_regions.v[i], '=') == NULL)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "ec2.extra_regions: '%s' is not name=endpoint",
                                 conf->extra_regions.v[i]);
    if (ec2gw_metadata_conf_check(conf, err) != 0 || log_conf_check(conf, err) != 0 ||
        ec2gw_db_conf_check(conf, err) != 0)
        return EC2GW_E_INVAL;
    return resolve_password(set, &conf->keystone, err);
}

/*
 * The checks above name the setting they refuse ("listen.port must be 1-65535"); prefix the
 * file:line it was written at, which after a conf.d merge may be any file's.
 */
static int
cite_setting(const ec2gw_conf_node_t *const *found, ec2gw_err_t *err, int rc)
{
    char msg[sizeof(err->msg)], key[64];
    size_t n = strcspn(err->msg, ".: ");
    const ec2gw_conf_node_t *v = NULL;
    int s = -1;

    if (n < sizeof(key)) {
        memcpy(key, err->msg, n);
        key[n] = '\0';
        s = find_section(key);
    }
    if (s < 0 || found[s] == NULL)
        return rc;
    if (err->msg[n] == '.') {
        size_t k = strspn(err->msg + n + 1, "abcdefghijklmnopqrstuvwxyz_");

        if (k < sizeof(key)) {
            memcpy(key, err->msg + n + 1, k);
            key[k] = '\0';
            v = ec2gw_conf_get(found[s], key);
        }
    }
    if (v == NULL)
        v = found[s];
    memcpy(msg, err->msg, sizeof(msg));
    return ec2gw_err_set(err, rc, "%s:%d: %.900s", v->file, v->line, msg);
}

int
ec2gw_daemon_conf_bind(ec2gw_conf_set_t *set, ec2gw_daemon_conf_t *conf, ec2gw_err_t *err)
{
    const ec2gw_conf_node_t *found[N_SECTIONS] = { 0 }, *staleness = NULL;
    char what[64];
    int rc;

    memset(conf, 0, sizeof(*conf));
    conf->describe_staleness_ms = 2000;
    for (size_t i = 0; i < set->n; i++) {
        const ec2gw_conf_node_t *root = set->roots[i];

        if (ec2gw_conf_get(root, "plugin") != NULL || ec2gw_conf_get(root, "file") != NULL)
            continue;
        for (size_t k = 0; k < root->n; k++) {
            int s = find_section(root->keys[k]);

            if (strcmp(root->keys[k], "wrap") == 0)
                continue; /* one-line wrappers: plugin/instances.c */
            if (strcmp(root->keys[k], "describe_max_staleness") == 0) {
                if (bind_staleness(root, k, &staleness, conf, err) != 0)
                    return EC2GW_E_INVAL;
                continue;
            }
            if (s < 0)
                return ec2gw_err_set(err, EC2GW_E_INVAL,
                                     "%s:%d: unknown section '%s'; daemon sections are listen, "
                                     "limits, ec2, paths, log, openstack, keystone, metadata, "
                                     "wrap, describe_max_staleness (a plugin instance file "
                                     "needs 'plugin:')",
                                     ec2gw_conf_key_file(root, root->keys[k]),
                                     root->key_lines[k], root->keys[k]);
            if (found[s] != NULL)
                return ec2gw_err_set(err, EC2GW_E_INVAL,
                                     "%s:%d: section '%s' is already set in %s:%d",
                                     ec2gw_conf_key_file(root, root->keys[k]),
                                     root->key_lines[k], root->keys[k], found[s]->file,
                                     found[s]->line);
            found[s] = root->items[k];
        }
    }
    for (size_t s = 0; s < N_SECTIONS; s++) {
        snprintf(what, sizeof(what), "%s", sections[s].name);
        if (found[s] != NULL && found[s]->type != EC2GW_CONF_MAP)
            return ec2gw_err_set(err, EC2GW_E_INVAL, "%s:%d: section '%s' must be a mapping",
                                 found[s]->file, found[s]->line, sections[s].name);
        if (ec2gw_conf_bind(set, found[s], sections[s].schema, conf, what, err) != 0)
            return EC2GW_E_INVAL;
    }
    rc = check_values(set, conf, err);
    return rc != 0 ? cite_setting(found, err, rc) : 0;
}
