/*
 * db_schema.c - the tables. `items` and `tags` are byte for byte what SQLAlchemy emitted for
 * ec2-api's 001_juno migration on SQLite (openstack-mapping.md §18.1), so a database made by
 * ec2-api opens unchanged and ec2-api could read one made here. ec2gw's own state lives in
 * tables prefixed `ec2gw_`, versioned by `ec2gw_schema_version` (sqlalchemy-migrate's
 * `migrate_version`, if present, is left alone).
 */
#include <stddef.h>
#include <stdio.h>

#include "data/db_priv.h"

/* Created only when absent: ec2-api's tables are never altered. */
static const char ec2api_ddl[] = "CREATE TABLE IF NOT EXISTS items (\n"
                                 "\tid VARCHAR(30) NOT NULL, \n"
                                 "\tproject_id VARCHAR(64), \n"
                                 "\tvpc_id VARCHAR(12), \n"
                                 "\tos_id VARCHAR(36), \n"
                                 "\tdata TEXT, \n"
                                 "\tPRIMARY KEY (id), \n"
                                 "\tCONSTRAINT items_os_id_idx UNIQUE (os_id)\n"
                                 ");\n"
                                 "CREATE TABLE IF NOT EXISTS tags (\n"
                                 "\tproject_id VARCHAR(64) NOT NULL, \n"
                                 "\titem_id VARCHAR(30) NOT NULL, \n"
                                 "\t\"key\" VARCHAR(127) NOT NULL, \n"
                                 "\tvalue VARCHAR(255), \n"
                                 "\tPRIMARY KEY (project_id, item_id, \"key\")\n"
                                 ");\n"
                                 "CREATE TABLE IF NOT EXISTS ec2gw_schema_version (\n"
                                 "\tversion INTEGER NOT NULL\n"
                                 ");\n";

/* Preparing these proves that tables found in the file have the columns we use. */
static const char *const shape_checks[] = {
    "SELECT id, project_id, vpc_id, os_id, data FROM items LIMIT 0",
    "SELECT project_id, item_id, key, value FROM tags LIMIT 0",
};

/* ec2gw migrations: entry i brings the schema from version i to i + 1. Append only. */
static const char *const migrations[] = {
    /* 1: ClientToken records (ec2-protocol.md §6). */
    "CREATE TABLE ec2gw_client_tokens (\n"
    "\tproject_id VARCHAR(64) NOT NULL, \n"
    "\taction VARCHAR(64) NOT NULL, \n"
    "\ttoken VARCHAR(64) NOT NULL, \n"
    "\tparams_hash VARCHAR(64) NOT NULL, \n"
    "\tresult TEXT NULL, \n"
    "\tcreated INTEGER NOT NULL, \n"
    "\tPRIMARY KEY (project_id, action, token)\n"
    ");\n"
    "CREATE INDEX ec2gw_client_tokens_created_idx ON ec2gw_client_tokens (created);\n",
    /* 2: DescribeTags filters in SQL (tags_query.c): key and tag:<k> (key, then value) and
     * value probe these; resource-id and the order by (item_id, key) use the primary key.
     * Indexes only: ec2-api's `tags` DDL stays as it is. */
    "CREATE INDEX ec2gw_tags_key_idx ON tags (project_id, \"key\", value);\n"
    "CREATE INDEX ec2gw_tags_value_idx ON tags (project_id, value);\n",
    /* 3: who holds a pending ClientToken claim and until when (client_token.c): a claim left
     * by a killed process is recovered. NULL in older rows: judged from `created`. */
    "ALTER TABLE ec2gw_client_tokens ADD COLUMN owner VARCHAR(384) NULL;\n"
    "ALTER TABLE ec2gw_client_tokens ADD COLUMN lease INTEGER NULL;\n",
};

#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int
schema_check_shape(ec2gw_db_t *db, ec2gw_err_t *err)
{
    sqlite3 *sql = ec2gw_db_sqlite(db);

    for (size_t i = 0; i < sizeof(shape_checks) / sizeof(shape_checks[0]); i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(sql, shape_checks[i], -1, &st, NULL);

        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return ec2gw_db_fail(db, "existing table does not have ec2-api's columns", err);
    }
    return 0;
}

/* The recorded version; inserts the row (version 0) into a fresh table. */
static int
schema_read_version(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    sqlite3 *sql = ec2gw_db_sqlite(db);
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(sql, "SELECT max(version) FROM ec2gw_schema_version", -1, &st, NULL) !=
        SQLITE_OK)
        return ec2gw_db_fail(db, "read schema version", err);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ec2gw_db_fail(db, "read schema version", err);
    *version = 0;
    if (sqlite3_exec(sql, "INSERT INTO ec2gw_schema_version (version) VALUES (0)", NULL, NULL,
                     NULL) != SQLITE_OK)
        return ec2gw_db_fail(db, "record schema version", err);
    return 0;
}

static int
schema_migrate(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    sqlite3 *sql = ec2gw_db_sqlite(db);
    char set[96];

    if (*version > MIGRATION_COUNT)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: schema version %d is newer than this ec2gw (%d)",
                             *version, MIGRATION_COUNT);
    for (int v = *version; v < MIGRATION_COUNT; v++) {
        if (sqlite3_exec(sql, migrations[v], NULL, NULL, NULL) != SQLITE_OK)
            return ec2gw_db_fail(db, "migration", err);
        snprintf(set, sizeof(set), "UPDATE ec2gw_schema_version SET version = %d", v + 1);
        if (sqlite3_exec(sql, set, NULL, NULL, NULL) != SQLITE_OK)
            return ec2gw_db_fail(db, "record schema version", err);
        *version = v + 1;
    }
    return 0;
}

int
ec2gw_db_schema_apply(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    sqlite3 *sql = ec2gw_db_sqlite(db);
    int rc;

    if ((rc = ec2gw_db_begin(db, err)) != 0)
        return rc;
    if (sqlite3_exec(sql, ec2api_ddl, NULL, NULL, NULL) != SQLITE_OK) {
        rc = ec2gw_db_fail(db, "create tables", err);
        goto fail;
    }
    if ((rc = schema_check_shape(db, err)) != 0 ||
        (rc = schema_read_version(db, version, err)) != 0 ||
        (rc = schema_migrate(db, version, err)) != 0)
        goto fail;
    return ec2gw_db_commit(db, err);

fail:
    ec2gw_db_rollback(db);
    return rc;
}
