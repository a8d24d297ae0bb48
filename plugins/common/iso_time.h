/*
 * iso_time.h - the UTC times OpenStack APIs show ("2026-12-02T16:23:01Z" in Nova,
 * "2026-12-02T16:23:01.000000" in Cinder) as epoch seconds and back, for the plugins' read
 * caches (their changes-since / updated_at filters and markers).
 */
#ifndef EC2GW_PC_ISO_TIME_H
#define EC2GW_PC_ISO_TIME_H

#include <stdint.h>

#include <jansson.h>

/* @p iso as epoch seconds, fractions and zone letter cut; 0 when unreadable. */
int64_t ec2gw_pc_time(const char *iso);
/* Epoch seconds @p t as "2026-12-02T16:23:01", with a "Z" when @p zulu (Nova's form). */
void ec2gw_pc_iso(int64_t t, int zulu, char out[32]);
/* The newest time in the string member @p field of the objects of @p list (epoch s), at
 * least @p since: the marker a cache asks the next changes from. */
int64_t ec2gw_pc_newest(const json_t *list, const char *field, int64_t since);

#endif /* EC2GW_PC_ISO_TIME_H */
