/*
 * hook_plugin.h - what the hk-inner test plugin (hook_plugin.c) saw in its last answers, in its
 * instance data, for tests that cannot read the model (ec2gwd renders it to the client).
 */
#ifndef EC2GW_TEST_HOOK_PLUGIN_H
#define EC2GW_TEST_HOOK_PLUGIN_H

struct hook_obs {
    char key_names[128]; /* DescribeKeyPairs: the names it got, space-separated */
    long status[2];      /* DescribeRegions: POST /servers's and GET /flavors's status */
    long flavors;        /* and how many flavors the second had */
};

#endif
