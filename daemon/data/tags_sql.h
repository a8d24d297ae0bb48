/* tags_sql.h - a DescribeTags query as SQL (tags_sql.c), run by tags_query.c. */
#ifndef EC2GW_DATA_TAGS_SQL_H
#define EC2GW_DATA_TAGS_SQL_H

#include <sqlite3.h>

#include "data/tags.h"

/** A statement's text and parameters: ?1 is the project, bind[i] is ?(i + 2). */
typedef struct ec2gw_tags_sql {
    char *sql;   /* sqlite3_malloc'd */
    char **bind; /* sqlite3_malloc'd strings, in a malloc'd array */
    int nbind;
} ec2gw_tags_sql_t;

/**
 * Write the SELECT (item_id, key, value) of @p q into @p out (freed with
 * ec2gw_tags_sql_free). 0, EC2GW_E_INVAL (unknown filter name, no values, a value that is not a
 * string; @p out left empty) or EC2GW_E_NOMEM.
 */
int ec2gw_tags_sql_build(const ec2gw_tags_query_t *q, ec2gw_tags_sql_t *out, ec2gw_err_t *err);

/** ec2gw_tags_sql_build in the MySQL dialect when @p mysql (db_mysql.c writes ?N in). */
int ec2gw_tags_sql_build_for(const ec2gw_tags_query_t *q, int mysql, ec2gw_tags_sql_t *out,
                             ec2gw_err_t *err);

/** Free what ec2gw_tags_sql_build wrote (an empty or freed one is fine). */
void ec2gw_tags_sql_free(ec2gw_tags_sql_t *s);

#endif
