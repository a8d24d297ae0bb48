/* log_priv.h - between log.c (levels, escaping, text lines) and log_sink.c (json, files). */
#ifndef EC2GW_CORE_LOG_PRIV_H
#define EC2GW_CORE_LOG_PRIV_H

/** Whether log.format is json. */
int ec2gw_log_json(void);

/** One json line on stderr: ts, level, msg and the fields of @p prefix (may be NULL). */
void ec2gw_log_emit_json(const char *ts, const char *level, const char *prefix, const char *msg);

/** One access-log line, text or json, to the access log file or stderr. */
void ec2gw_log_emit_access(const char *ts, const char *line);

#endif
