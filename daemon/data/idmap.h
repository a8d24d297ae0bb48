/*
 * idmap.h - EC2 ids (<kind>-<8 lowercase hex>) and their OpenStack ids, in ec2-api's `items`
 * table: os_id is globally unique; project_id NULL marks a mapping-only row.
 */
#ifndef EC2GW_DATA_IDMAP_H
#define EC2GW_DATA_IDMAP_H

#include <jansson.h>

#include "data/db.h"

#define EC2GW_ID_MAX 32

/** 1 when @p id is <kind>-<8 or 17 lowercase hex> with a known kind; fills kind (may be NULL). */
int ec2gw_id_parse(const char *id, char kind[16]);

/**
 * A new random id of @p kind from the CSPRNG (not checked for collisions); "" in the
 * theoretical case that no CSPRNG answers.
 */
void ec2gw_id_new(const char *kind, char out[EC2GW_ID_MAX]);

/**
 * The EC2 id of @p os_id of @p kind: an existing row of any project, else a new row owned by
 * @p project_id (retrying on an id collision). 0 or negative.
 */
int ec2gw_idmap_to_ec2(ec2gw_db_t *db, const char *project_id, const char *kind, const char *os_id,
                       char out[EC2GW_ID_MAX], ec2gw_err_t *err);

/**
 * ec2gw_idmap_to_ec2 for @p n os_ids of one @p kind: one SELECT for all of them, then the
 * missing rows inserted in one transaction, in input order. out[i] is the id of os_ids[i], or
 * "" where the single call fails for that entry: os_ids[i] NULL or empty (EC2GW_E_INVAL), or
 * mapped to an id of another kind (EC2GW_E_EXISTS). Duplicates get the same id. 0, or negative
 * with nothing inserted and every out[i] "" (EC2GW_E_INVAL for an unknown kind).
 */
int ec2gw_idmap_to_ec2_many(ec2gw_db_t *db, const char *project_id, const char *kind,
                            const char *const *os_ids, size_t n, char (*out)[EC2GW_ID_MAX],
                            ec2gw_err_t *err);

/**
 * The os_id of @p ec2_id visible to @p project_id (its own rows and mapping-only rows).
 * EC2GW_E_INVAL when malformed, EC2GW_E_NOTFOUND when unknown. *os_id: returns new (free());
 * NULL for DB-only kinds.
 */
int ec2gw_idmap_to_os(ec2gw_db_t *db, const char *project_id, const char *ec2_id, char **os_id,
                      ec2gw_err_t *err);

/**
 * Read a row of the project: *data returns new (decref), *os_id returns new (free()); either may
 * be NULL. *data holds "vpc_id" when that column is set. EC2GW_E_NOTFOUND for no such row.
 */
int ec2gw_item_get(ec2gw_db_t *db, const char *project_id, const char *ec2_id, json_t **data,
                   char **os_id, ec2gw_err_t *err);

/**
 * ec2gw_item_get for @p n ids in one statement: *out returns new {"<id>": data, ...} with
 * exactly the ids for which ec2gw_item_get succeeds (rows of the project with readable data),
 * and the same data. NULL entries and duplicates are fine. 0 or negative.
 */
int ec2gw_items_get(ec2gw_db_t *db, const char *project_id, const char *const *ids, size_t n,
                    json_t **out, ec2gw_err_t *err);

/**
 * Create or replace a row of the project. @p data borrowed (NULL = {}); its "vpc_id" string goes
 * to the vpc_id column and "id"/"os_id" are not stored (ec2-api's packing). A mapping-only row
 * is adopted; @p os_id NULL keeps the row's os_id. EC2GW_E_EXISTS when the row belongs to
 * another project, has another os_id, or @p os_id is mapped to another id.
 */
int ec2gw_item_put(ec2gw_db_t *db, const char *project_id, const char *ec2_id, const char *os_id,
                   const json_t *data, ec2gw_err_t *err);

/** Delete a row of the project and its tags (0 also when there was no row). */
int ec2gw_item_delete(ec2gw_db_t *db, const char *project_id, const char *ec2_id, ec2gw_err_t *err);

/* items_list.c (ABI 1.2) */

/**
 * Every row of @p kind of the project in one statement: *out returns new {"<id>": data, ...}
 * where data holds "vpc_id" and "os_id" when those columns are set; rows with unreadable data
 * are left out. EC2GW_E_INVAL for an unknown kind.
 */
int ec2gw_items_list(ec2gw_db_t *db, const char *project_id, const char *kind, json_t **out,
                     ec2gw_err_t *err);

/**
 * Create a row of the project only when no row (of any project) has @p ec2_id: EC2GW_E_EXISTS
 * when one does, or when @p os_id is mapped to another id. @p data packed as ec2gw_item_put
 * packs it.
 */
int ec2gw_item_insert(ec2gw_db_t *db, const char *project_id, const char *ec2_id, const char *os_id,
                      const json_t *data, ec2gw_err_t *err);

/** A new id of @p kind that no row has now (drawn again on a collision). 0 or negative. */
int ec2gw_id_new_unused(ec2gw_db_t *db, const char *kind, char out[EC2GW_ID_MAX], ec2gw_err_t *err);

#endif
