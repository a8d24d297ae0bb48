/*
 * db_sql.c - the text of every statement of the data layer, per dialect. SQLite's are
 * prepared once and kept (db_sqlite.c); MySQL's are sent with their ?N parameters written in
 * as escaped literals (db_mysql.c), one round trip each.
 */
#include <assert.h>
#include <stddef.h>

#include "data/db_priv.h"

/* The column `key` is quoted in the DDL (as SQLAlchemy wrote it) but is usable bare. */
static const char *const sqlite_sql[DB_STMT_COUNT] = {
    [DB_ITEM_ID_BY_OS] = "SELECT id FROM items WHERE os_id = ?1"
                         " AND substr(id, 1, length(?2)) = ?2",
    [DB_ITEM_INSERT_MAP] = "INSERT INTO items (id, project_id, os_id, data)"
                           " VALUES (?1, ?2, ?3, '{}')",
    /* Image ids are shared: a public or shared image gets its id from whichever project
     * described it first, and Glance decides visibility anyway (ec2-api's get_os_image). */
    [DB_ITEM_OS_VISIBLE] = "SELECT os_id FROM items WHERE id = ?1"
                           " AND (project_id = ?2 OR project_id IS NULL"
                           " OR substr(id, 1, 4) IN ('ami-', 'aki-', 'ari-'))",
    [DB_ITEM_GET] = "SELECT os_id, vpc_id, data FROM items WHERE id = ?1 AND project_id = ?2",
    /* Adopts a mapping-only row; never takes another project's row nor changes a set os_id
     * (ec2-api refuses that too: EC2DBInvalidOsIdUpdate). No change → the caller reports. */
    [DB_ITEM_UPSERT] =
        "INSERT INTO items (id, project_id, vpc_id, os_id, data) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id,"
        " vpc_id = excluded.vpc_id, os_id = coalesce(excluded.os_id, items.os_id),"
        " data = excluded.data"
        " WHERE (items.project_id = excluded.project_id OR items.project_id IS NULL)"
        " AND (items.os_id IS NULL OR excluded.os_id IS NULL OR items.os_id = excluded.os_id)",
    [DB_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1 AND project_id = ?2",
    /* Batches: json_each drives and each id probes the index (half the time of IN (SELECT ..),
     * which sorts the list into a temporary index first). */
    [DB_ITEM_IDS_BY_OS] = "SELECT items.os_id, items.id FROM json_each(?1) AS j"
                          " JOIN items ON items.os_id = j.value"
                          " WHERE substr(items.id, 1, length(?2)) = ?2",
    [DB_ITEM_GET_MANY] = "SELECT items.id, vpc_id, data FROM json_each(?2) AS j"
                         " JOIN items ON items.id = j.value WHERE items.project_id = ?1",
    /* The id range of one kind: the primary key index serves it (no LIKE, which would scan
     * under a case-insensitive collation). */
    [DB_ITEM_LIST_KIND] = "SELECT id, vpc_id, data, os_id FROM items WHERE project_id = ?1"
                          " AND id > ?2 || '-' AND id < ?2 || '.' ORDER BY id",
    [DB_ITEM_INSERT] = "INSERT INTO items (id, project_id, vpc_id, os_id, data)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [DB_ITEM_ID_USED] = "SELECT 1 FROM items WHERE id = ?1",
    [DB_TAG_UPSERT] =
        "INSERT INTO tags (project_id, item_id, key, value) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (project_id, item_id, key) DO UPDATE SET value = excluded.value",
    [DB_TAG_DELETE_ALL] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2",
    [DB_TAG_DELETE_KEY] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2 AND key = ?3",
    [DB_TAG_DELETE_KV] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2 AND key = ?3"
                         " AND value = ?4",
    [DB_TAG_DELETE_VALUE] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2"
                            " AND value = ?3",
    [DB_TAG_GET_ITEM] = "SELECT item_id, key, value FROM tags WHERE project_id = ?1"
                        " AND item_id = ?2 ORDER BY key",
    /* One statement for any number of ids: SQLite probes the primary key per id. */
    [DB_TAG_GET_MANY] = "SELECT item_id, key, value FROM tags WHERE project_id = ?1"
                        " AND item_id IN (SELECT value FROM json_each(?2)) ORDER BY item_id, key",
    [DB_TAG_LIST] = "SELECT item_id, key, value FROM tags WHERE project_id = ?1"
                    " ORDER BY item_id, key",
    [DB_TAG_COUNT] = "SELECT count(*) FROM tags WHERE project_id = ?1 AND item_id = ?2",
    [DB_CTOK_INSERT] = "INSERT INTO ec2gw_client_tokens"
                       " (project_id, action, token, params_hash, result, created, owner, lease)"
                       " VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    [DB_CTOK_GET] = "SELECT params_hash, result, owner, lease, created FROM ec2gw_client_tokens"
                    " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    /* Compare and swap on the owner and lease just read: of several daemons seeing the same
     * orphaned claim, one takes it. */
    [DB_CTOK_TAKE] = "UPDATE ec2gw_client_tokens SET owner = ?6, lease = ?7"
                     " WHERE project_id = ?1 AND action = ?2 AND token = ?3 AND result IS NULL"
                     " AND owner IS ?4 AND lease IS ?5",
    [DB_CTOK_COMPLETE] = "UPDATE ec2gw_client_tokens SET result = ?4"
                         " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    /* only a pending claim: an answered token keeps its answer whatever happens after */
    [DB_CTOK_DELETE] = "DELETE FROM ec2gw_client_tokens"
                       " WHERE project_id = ?1 AND action = ?2 AND token = ?3"
                       " AND result IS NULL",
    [DB_CTOK_EXPIRE] = "DELETE FROM ec2gw_client_tokens WHERE created < ?1",
    [DB_TX_BEGIN] = "BEGIN IMMEDIATE",
    [DB_TX_SAVEPOINT] = "SAVEPOINT ec2gw_sp",
    [DB_TX_COMMIT] = "COMMIT",
    [DB_TX_RELEASE] = "RELEASE ec2gw_sp",
    [DB_TX_ROLLBACK] = "ROLLBACK",
    [DB_TX_ROLLBACK_TO] = "ROLLBACK TO ec2gw_sp",
};


/*
 * MySQL/MariaDB. `key` is reserved there: always quoted. A list parameter (ec2gw_db_bind_list)
 * is written as the quoted values, so "IN (?n)" replaces SQLite's json_each. ON DUPLICATE KEY
 * UPDATE fires on any unique key and has no WHERE: the upsert checks its conditions itself.
 * The connection sets CLIENT_FOUND_ROWS: an UPDATE's changes are the rows it matched (as in
 * SQLite), INSERT IGNORE reports 0 for a row that existed.
 */
static const char *const mysql_sql[DB_STMT_COUNT] = {
    [DB_ITEM_ID_BY_OS] = "SELECT id FROM items WHERE os_id = ?1 AND LEFT(id, CHAR_LENGTH(?2)) = ?2",
    [DB_ITEM_INSERT_MAP] = "INSERT INTO items (id, project_id, os_id, data)"
                           " VALUES (?1, ?2, ?3, '{}')",
    [DB_ITEM_OS_VISIBLE] = "SELECT os_id FROM items WHERE id = ?1"
                           " AND (project_id = ?2 OR project_id IS NULL"
                           " OR LEFT(id, 4) IN ('ami-', 'aki-', 'ari-'))",
    [DB_ITEM_GET] = "SELECT os_id, vpc_id, data FROM items WHERE id = ?1 AND project_id = ?2",
    /* A refused update (another project's row, another os_id, or a row whose os_id is the one
     * given: the unique key fired) sets id to NULL first, which the NOT NULL key refuses
     * (ER_BAD_NULL_ERROR): db_mysql.c reports that as "no row changed", as SQLite's WHERE
     * does. Assignments run left to right, so the test sees the old row. */
    [DB_ITEM_UPSERT] =
        "INSERT INTO items (id, project_id, vpc_id, os_id, data) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON DUPLICATE KEY UPDATE"
        " id = IF(id = VALUES(id) AND (project_id = VALUES(project_id) OR project_id IS NULL)"
        " AND (os_id IS NULL OR VALUES(os_id) IS NULL OR os_id = VALUES(os_id)), id, NULL),"
        " project_id = VALUES(project_id), vpc_id = VALUES(vpc_id),"
        " os_id = COALESCE(VALUES(os_id), os_id), data = VALUES(data)",
    [DB_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1 AND project_id = ?2",
    [DB_ITEM_IDS_BY_OS] = "SELECT os_id, id FROM items WHERE os_id IN (?1)"
                          " AND LEFT(id, CHAR_LENGTH(?2)) = ?2",
    [DB_ITEM_GET_MANY] = "SELECT id, vpc_id, data FROM items WHERE project_id = ?1 AND id IN (?2)",
    [DB_ITEM_LIST_KIND] = "SELECT id, vpc_id, data, os_id FROM items WHERE project_id = ?1"
                          " AND id > CONCAT(?2, '-') AND id < CONCAT(?2, '.') ORDER BY id",
    [DB_ITEM_INSERT] = "INSERT INTO items (id, project_id, vpc_id, os_id, data)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [DB_ITEM_ID_USED] = "SELECT 1 FROM items WHERE id = ?1",
    [DB_TAG_UPSERT] = "INSERT INTO tags (project_id, item_id, `key`, value) VALUES (?1, ?2, ?3, ?4)"
                      " ON DUPLICATE KEY UPDATE value = VALUES(value)",
    [DB_TAG_DELETE_ALL] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2",
    [DB_TAG_DELETE_KEY] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2 AND `key` = ?3",
    [DB_TAG_DELETE_KV] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2 AND `key` = ?3"
                         " AND value = ?4",
    [DB_TAG_DELETE_VALUE] = "DELETE FROM tags WHERE project_id = ?1 AND item_id = ?2"
                            " AND value = ?3",
    [DB_TAG_GET_ITEM] = "SELECT item_id, `key`, value FROM tags WHERE project_id = ?1"
                        " AND item_id = ?2 ORDER BY `key`",
    [DB_TAG_GET_MANY] = "SELECT item_id, `key`, value FROM tags WHERE project_id = ?1"
                        " AND item_id IN (?2) ORDER BY item_id, `key`",
    [DB_TAG_LIST] = "SELECT item_id, `key`, value FROM tags WHERE project_id = ?1"
                    " ORDER BY item_id, `key`",
    [DB_TAG_COUNT] = "SELECT count(*) FROM tags WHERE project_id = ?1 AND item_id = ?2",
    /* The claim: the primary key decides between nodes; IGNORE only skips the duplicate. */
    [DB_CTOK_INSERT] = "INSERT IGNORE INTO ec2gw_client_tokens"
                       " (project_id, action, token, params_hash, result, created, owner, lease)"
                       " VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
    [DB_CTOK_GET] = "SELECT params_hash, result, owner, lease, created FROM ec2gw_client_tokens"
                    " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    /* InnoDB's UPDATE reads the latest committed row under its lock: a compare and swap. */
    [DB_CTOK_TAKE] = "UPDATE ec2gw_client_tokens SET owner = ?6, lease = ?7"
                     " WHERE project_id = ?1 AND action = ?2 AND token = ?3 AND result IS NULL"
                     " AND owner <=> ?4 AND lease <=> ?5",
    [DB_CTOK_COMPLETE] = "UPDATE ec2gw_client_tokens SET result = ?4"
                         " WHERE project_id = ?1 AND action = ?2 AND token = ?3",
    [DB_CTOK_DELETE] = "DELETE FROM ec2gw_client_tokens"
                       " WHERE project_id = ?1 AND action = ?2 AND token = ?3"
                       " AND result IS NULL",
    [DB_CTOK_EXPIRE] = "DELETE FROM ec2gw_client_tokens WHERE created < ?1",
};

const char *
ec2gw_db_sql_text(db_dialect_t dialect, db_stmt_id_t id)
{
    assert(id >= 0 && id < DB_STMT_COUNT);
    return dialect == DB_MYSQL ? mysql_sql[id] : sqlite_sql[id];
}
