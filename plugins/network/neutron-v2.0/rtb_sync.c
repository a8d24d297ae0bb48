/*
 * rtb_sync.c - the projection of a VPC's route tables onto its Neutron subnets
 * (openstack-mapping.md §16.5). First version: nothing is projected yet.
 */
#include "vpc.h"

int
neutron_rtb_sync(ec2gw_req_t *req, struct neutron_inst *ni, const char *vpc_id,
                 neutron_done_fn done, void *arg)
{
    (void)ni;
    (void)vpc_id;
    done(req, 0, arg);
    return EC2GW_OK;
}
