/*
 * db_schema.c - the tables. `items` and `tags` are byte for byte what SQLAlchemy emitted for
 * ec2-api's 001_juno migration on SQLite (openstack-mapping.md §18.1), so a database made by
 * ec2-api opens unchanged and ec2-api could read one made here. ec2gw's own state lives in
 * tables prefixed `ec2gw_`, versioned by `ec2gw_schema_version` (sqlalchemy-migrate's
 * `migrate_version`, if present, is left alone).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

/* MySQL/MariaDB: ec2-api's DDL as SQLAlchemy emits it for MySQL (InnoDB), created only when
 * absent. ec2-api made its tables utf8 (case-insensitive collation); ec2gw makes them utf8mb4
 * with a binary collation, so keys and values compare byte for byte as in SQLite. */
static const char ec2api_ddl_mysql[] =
    "CREATE TABLE IF NOT EXISTS items (\n"
    "\tid VARCHAR(30) NOT NULL, \n"
    "\tproject_id VARCHAR(64), \n"
    "\tvpc_id VARCHAR(12), \n"
    "\tos_id VARCHAR(36), \n"
    "\tdata TEXT, \n"
    "\tPRIMARY KEY (id), \n"
    "\tCONSTRAINT items_os_id_idx UNIQUE (os_id)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n"
    "CREATE TABLE IF NOT EXISTS tags (\n"
    "\tproject_id VARCHAR(64) NOT NULL, \n"
    "\titem_id VARCHAR(30) NOT NULL, \n"
    "\t`key` VARCHAR(127) NOT NULL, \n"
    "\tvalue VARCHAR(255), \n"
    "\tPRIMARY KEY (project_id, item_id, `key`)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n"
    "CREATE TABLE IF NOT EXISTS ec2gw_schema_version (\n"
    "\tversion INTEGER NOT NULL\n"
    ") ENGINE=InnoDB;\n";

/* Running these proves that tables found in the database have the columns we use. */
static const char *const shape_checks[2][2] = {
    [DB_SQLITE] = { "SELECT id, project_id, vpc_id, os_id, data FROM items LIMIT 0",
                    "SELECT project_id, item_id, key, value FROM tags LIMIT 0" },
    [DB_MYSQL] = { "SELECT id, project_id, vpc_id, os_id, data FROM items LIMIT 0",
                   "SELECT project_id, item_id, `key`, value FROM tags LIMIT 0" },
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

/* The same migrations for MySQL. DDL commits implicitly there: a named lock (GET_LOCK, in
 * db_mysql.c) rather than a transaction keeps two nodes from migrating at once. */
static const char *const migrations_mysql[MIGRATION_COUNT] = {
    "CREATE TABLE ec2gw_client_tokens (\n"
    "\tproject_id VARCHAR(64) NOT NULL, \n"
    "\taction VARCHAR(64) NOT NULL, \n"
    "\ttoken VARCHAR(64) NOT NULL, \n"
    "\tparams_hash VARCHAR(64) NOT NULL, \n"
    "\tresult MEDIUMTEXT NULL, \n"
    "\tcreated BIGINT NOT NULL, \n"
    "\tPRIMARY KEY (project_id, action, token)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n"
    "CREATE INDEX ec2gw_client_tokens_created_idx ON ec2gw_client_tokens (created);\n",
    "CREATE INDEX ec2gw_tags_key_idx ON tags (project_id, `key`, value);\n"
    "CREATE INDEX ec2gw_tags_value_idx ON tags (project_id, value);\n",
    "ALTER TABLE ec2gw_client_tokens ADD COLUMN owner VARCHAR(384) NULL,"
    " ADD COLUMN lease BIGINT NULL;\n",
};

static int
schema_check_shape(ec2gw_db_t *db, ec2gw_err_t *err)
{
    db_dialect_t d = ec2gw_db_dialect(db);

    for (size_t i = 0; i < 2; i++)
        if (db->drv->exec(db, shape_checks[d][i], NULL) != 0)
            return ec2gw_db_fail(db, "existing table does not have ec2-api's columns", err);
    return 0;
}

int
ec2gw_db_schema_read(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    db_stmt_t *st = ec2gw_db_prepare(db, "SELECT max(version) FROM ec2gw_schema_version", NULL);
    int rc;

    *version = 0;
    if (st == NULL)
        return 0; /* an ec2-api database, or an empty one: no ec2gw schema yet */
    rc = ec2gw_db_step(st);
    if (rc == DB_ROW && !ec2gw_db_col_is_null(st, 0))
        *version = (int)ec2gw_db_col_int64(st, 0);
    ec2gw_db_stmt_free(st);
    if (rc == DB_ROW || rc == DB_DONE)
        return 0;
    /* a missing table is no schema; any other failure is reported */
    if (strstr(db->drv->errmsg(db), "no such table") != NULL ||
        strstr(db->drv->errmsg(db), "doesn't exist") != NULL)
        return 0;
    return ec2gw_db_fail(db, "read schema version", err);
}

/* The recorded version; inserts the row (version 0) into a fresh table. */
static int
schema_read_version(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    db_stmt_t *st = ec2gw_db_prepare(db, "SELECT max(version) FROM ec2gw_schema_version", err);
    int rc;

    if (st == NULL)
        return EC2GW_E_DB;
    rc = ec2gw_db_step(st);
    if (rc == DB_ROW && !ec2gw_db_col_is_null(st, 0)) {
        *version = (int)ec2gw_db_col_int64(st, 0);
        ec2gw_db_stmt_free(st);
        return 0;
    }
    ec2gw_db_stmt_free(st);
    if (rc != DB_ROW)
        return ec2gw_db_fail(db, "read schema version", err);
    *version = 0;
    if (db->drv->exec(db, "INSERT INTO ec2gw_schema_version (version) VALUES (0)", NULL) != 0)
        return ec2gw_db_fail(db, "record schema version", err);
    return 0;
}

static int
schema_migrate(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    const char *const *steps = ec2gw_db_dialect(db) == DB_MYSQL ? migrations_mysql : migrations;
    char set[96];

    if (*version > MIGRATION_COUNT)
        return ec2gw_err_set(err, EC2GW_E_DB, "db: schema version %d is newer than this ec2gw (%d)",
                             *version, MIGRATION_COUNT);
    for (int v = *version; v < MIGRATION_COUNT; v++) {
        if (db->drv->exec(db, steps[v], NULL) != 0)
            return ec2gw_db_fail(db, "migration", err);
        snprintf(set, sizeof(set), "UPDATE ec2gw_schema_version SET version = %d", v + 1);
        if (db->drv->exec(db, set, NULL) != 0)
            return ec2gw_db_fail(db, "record schema version", err);
        *version = v + 1;
    }
    return 0;
}

/* Tables, shape and migrations; inside a transaction for SQLite, under the lock for MySQL. */
static int
schema_steps(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    const char *ddl = ec2gw_db_dialect(db) == DB_MYSQL ? ec2api_ddl_mysql : ec2api_ddl;
    int rc;

    if (db->drv->exec(db, ddl, NULL) != 0)
        return ec2gw_db_fail(db, "create tables", err);
    if ((rc = schema_check_shape(db, err)) != 0 ||
        (rc = schema_read_version(db, version, err)) != 0 ||
        (rc = schema_migrate(db, version, err)) != 0)
        return rc;
    return 0;
}

int
ec2gw_db_schema_apply(ec2gw_db_t *db, int *version, ec2gw_err_t *err)
{
    int rc;

    if (ec2gw_db_dialect(db) == DB_MYSQL) {
        if ((rc = db->drv->schema_lock(db, 1, err)) != 0)
            return rc;
        rc = schema_steps(db, version, err);
        (void)db->drv->schema_lock(db, 0, NULL);
        return rc;
    }
    if ((rc = ec2gw_db_begin(db, err)) != 0)
        return rc;
    if ((rc = schema_steps(db, version, err)) != 0) {
        ec2gw_db_rollback(db);
        return rc;
    }
    return ec2gw_db_commit(db, err);
}
