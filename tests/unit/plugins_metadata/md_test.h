/*
 * md_test.h - shared set-up of the ec2-v1 unit tests: the recorded instance (fixtures/md_*),
 * its ids mapped in its project, the agent's headers and the scripted cache miss.
 */
#ifndef MD_TEST_H
#define MD_TEST_H

#include <stdio.h>
#include <string.h>

#include <ec2gw/testing.h>

#define UUID    "b0b98359-6468-40eb-b692-2d8eda091131"
#define TENANT  "b57b507c5df448afa0855a6cbe36bf37"
#define OTHER   "b1354d4e4b124961bf5cc76ec5061cc3"
#define IMAGE   "15c93dd6-8317-4302-806f-a38b806d3eda"
#define PORT    "b105e912-4fa6-4c21-a638-eb55e2d0964d"
#define SUBNET  "9b5595eb-3c46-48e5-be7d-da2d7f7e2d43"
#define NETWORK "ca517ae2-8a9e-415a-8aa7-d55c1dea0b18"
#define GROUP   "995b5084-ff7c-4ffd-adb1-ac2d0f909020"
#define IP      "10.0.0.27"
#define MAC     "fa:16:3e:a0:2e:7d"
#define SECRET  "s3cret"
/* hex HMAC-SHA256 computed with Python's hmac (OpenSSL): of UUID with SECRET, with another
 * secret, and of another instance id with SECRET */
#define SIG       "88db186c30c074eee87ae75decf9546e4d235b08d0d7cb907dd611e81b49e231"
#define BAD_SIG   "27ac770fe1ebe25203552ca069424e8b90361a786792e41ff3443c4c9013bf88"
#define OTHER_ID  "11111111-2222-3333-4444-555555555555"
#define OTHER_SIG "adf65dcc2d61b9858fe49ae73609922ac03080d4fb9b393bd6aa3f6797f4e86f"
#define KEY                                                                             \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBaSXDaMfcSl2Ux1OcDxqXuPMkkRD9Y2fC/u8e6M4nzA " \
    "fixture@ec2gw"

/* The agent's headers for the recorded instance (SIG signed), plus @p extra members. */
#define AGENT(extra)                                                      \
    "{\"X-Instance-ID\": \"" UUID "\", \"X-Tenant-ID\": \"" TENANT "\", " \
    "\"X-Instance-ID-Signature\": \"" SIG "\", \"X-Forwarded-For\": \"" IP "\"" extra "}"

static inline ec2gw_test_host_t *
md_host(const char *settings, const char *instance_data)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(MD_SO, settings);

    if (h == NULL) {
        fprintf(stderr, "load: %s\n", ec2gw_test_load_error());
        return NULL;
    }
    ec2gw_test_set_fixture_dir(h, FIXTURE_DIR);
    ec2gw_test_set_key(h, EC2GW_KEY_METADATA_PROXY, SECRET);
    ec2gw_test_set_key(h, EC2GW_KEY_LOCAL, "per-daemon-random-key");
    ec2gw_test_set_project(h, TENANT);
    if (ec2gw_test_put_item(h, "i-0000000a", UUID, instance_data) != 0 ||
        ec2gw_test_map_id(h, "ami-0000000b", IMAGE) != 0 ||
        ec2gw_test_map_id(h, "eni-0000000c", PORT) != 0 ||
        ec2gw_test_put_item(h, "subnet-0000000d", SUBNET, "{\"vpc_id\": \"vpc-0000000f\"}") != 0 ||
        ec2gw_test_map_id(h, "sg-0000000e", GROUP) != 0) {
        ec2gw_test_host_free(h);
        return NULL;
    }
    ec2gw_test_set_project(h, "project-of-nobody"); /* raw requests start with no identity */
    return h;
}

/* One cache miss: the fan-out, then the key pair of the server's owner. */
static inline void
md_expect_miss(ec2gw_test_host_t *h, const char *server)
{
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID, 200,
                      server ? server : "md_server.json");
    ec2gw_test_expect(h, "GET", "network", "/v2.0/ports?device_id=" UUID, 200, "md_ports.json");
    ec2gw_test_expect(h, "GET", "compute", "/servers/" UUID "/os-volume_attachments", 200,
                      "md_attachments.json");
    ec2gw_test_expect(h, "GET", "compute",
                      "/os-keypairs/fixture-md?user_id=859c7b22f42e4dfe9f9d139ee63906ac", 200,
                      "md_keypair.json");
}

#endif
