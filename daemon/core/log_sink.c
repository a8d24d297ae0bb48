/*
 * log_sink.c - where log lines go and in what shape: log.format json (one object per line,
 * built by jansson so that every value is escaped by it) and the access log file that SIGUSR1
 * reopens. Lines are written with one write(2) each: with O_APPEND, lines of several workers
 * never interleave, and nothing sits in a stdio buffer when logrotate renames the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/log_priv.h"

static int json_format;
static int access_fd = -1; /* -1: stderr */
static char *access_path;

int
ec2gw_log_json(void)
{
    return json_format;
}

static int
open_access(const char *path, ec2gw_err_t *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

    if (fd < 0)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "log.access_log: cannot open %s: %s", path,
                             strerror(errno));
    return fd;
}

static int
check_format(const char *format, ec2gw_err_t *err)
{
    if (format != NULL && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return ec2gw_err_set(err, EC2GW_E_INVAL, "log.format: '%s' is not text or json", format);
    return 0;
}

int
ec2gw_log_check(const char *format, const char *path, ec2gw_err_t *err)
{
    char dir[4096];
    const char *slash;

    if (check_format(format, err) != 0)
        return EC2GW_E_INVAL;
    if (path == NULL)
        return 0;
    if (access(path, F_OK) == 0) {
        if (access(path, W_OK) != 0)
            return ec2gw_err_set(err, EC2GW_E_FAIL, "log.access_log: cannot write %s: %s", path,
                                 strerror(errno));
        return 0;
    }
    slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if ((size_t)(slash - path) >= sizeof(dir))
        return ec2gw_err_set(err, EC2GW_E_INVAL, "log.access_log: path too long");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (access(dir, W_OK | X_OK) != 0)
        return ec2gw_err_set(err, EC2GW_E_FAIL, "log.access_log: cannot create %s in %s: %s", path,
                             dir, strerror(errno));
    return 0;
}

int
ec2gw_log_configure(const char *format, const char *path, ec2gw_err_t *err)
{
    int fd = -1;

    if (check_format(format, err) != 0)
        return EC2GW_E_INVAL;
    if (path != NULL && (access_path == NULL || strcmp(path, access_path) != 0)) {
        char *copy = strdup(path);

        if (copy == NULL)
            return ec2gw_err_set(err, EC2GW_E_NOMEM, "out of memory");
        if ((fd = open_access(path, err)) < 0) {
            free(copy);
            return EC2GW_E_FAIL;
        }
        if (access_fd >= 0)
            close(access_fd);
        free(access_path);
        access_fd = fd;
        access_path = copy;
    } else if (path == NULL && access_fd >= 0) {
        close(access_fd);
        free(access_path);
        access_fd = -1;
        access_path = NULL;
    }
    json_format = format != NULL && strcmp(format, "json") == 0;
    return 0;
}

void
ec2gw_log_reopen(void)
{
    ec2gw_err_t err = { 0 };
    int fd;

    if (access_path == NULL)
        return;
    /* The new file first: if it cannot be opened, lines keep going to the old one. */
    if ((fd = open_access(access_path, &err)) < 0) {
        ec2gw_log(EC2GW_LOG_ERROR, NULL, "%s; still writing to the old file", err.msg);
        return;
    }
    close(access_fd);
    access_fd = fd;
}

static void
write_line(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a full disk must not stop the daemon */
        s += n;
        len -= (size_t)n;
    }
}

static const char *
json_key(const char *k)
{
    static const char *const names[][2] = { { "req", "request_id" },
                                            { "inst", "instance" },
                                            { "remote", "peer" } };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(k, names[i][0]) == 0)
            return names[i][1];
    return k;
}

/* Space-separated "k=v" fields (values escaped by ec2gw_log_escape, so without spaces) into
 * @p obj; a bare word becomes @p bare_key. Known numeric fields stay numbers. */
static void
add_fields(json_t *obj, const char *text, const char *bare_key)
{
    char buf[2048], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", text);
    for (char *tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        const char *key = bare_key;
        json_t *v;

        if (eq != NULL) {
            *eq = '\0';
            key = json_key(tok);
        }
        const char *val = eq != NULL ? eq + 1 : tok;
        char *end;
        double num = strtod(val, &end);
        int numeric = *val != '\0' && *end == '\0';

        if (numeric && strcmp(key, "status") == 0)
            v = json_integer((json_int_t)num);
        else if (numeric && strcmp(key, "ms") == 0)
            v = json_real(num);
        else
            v = json_string(val);
        if (v != NULL && json_object_get(obj, key) == NULL)
            json_object_set_new(obj, key, v); /* the first wins: ours come first */
        else
            json_decref(v);
    }
}

static void
emit_object(int fd, json_t *obj)
{
    /* Into our buffer: jansson's allocator may be a request arena's (json_arena.h). */
    char text[16384]; /* a 4 KB message whose every byte JSON doubles, and the fields */
    size_t len = json_dumpb(obj, text, sizeof(text) - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);

    if (len == 0 || len > sizeof(text) - 1)
        return;
    text[len] = '\n';
    write_line(fd, text, len + 1);
}

void
ec2gw_log_emit_json(const char *ts, const char *level, const char *prefix, const char *msg)
{
    json_t *obj = json_object();

    if (obj == NULL)
        return;
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "level", json_string(level));
    /* Already escaped to valid UTF-8 by the caller, which jansson requires. */
    json_object_set_new(obj, "msg", json_string(msg));
    if (prefix != NULL)
        add_fields(obj, prefix, "context");
    emit_object(STDERR_FILENO, obj);
    json_decref(obj);
}

void
ec2gw_log_emit_access(const char *ts, const char *line)
{
    int fd = access_fd >= 0 ? access_fd : STDERR_FILENO;

    if (json_format) {
        json_t *obj = json_object();

        if (obj == NULL)
            return;
        json_object_set_new(obj, "ts", json_string(ts));
        json_object_set_new(obj, "level", json_string("access"));
        add_fields(obj, line, "listener");
        emit_object(fd, obj);
        json_decref(obj);
        return;
    }
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s access %s\n", ts, line);

    if (n > 0)
        write_line(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
