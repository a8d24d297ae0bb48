/*
 * openstack.c - the /openstack/ tree (OpenStack's own metadata format, which cloud-init's
 * OpenStack datasource and config drives read), served from the same server and ports as
 * the EC2 tree rather than proxied to Nova's metadata service: no second HTTP hop, no
 * re-signing, and one cache. meta_data.json, user_data, network_data.json, vendor_data.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

static const char *const os_versions[] = { "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
                                           "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
                                           "latest",     NULL };

/* json_dumps() text goes back through jansson's allocator: made in a request, it lives in the
 * request's arena (host ABI 1.4), which free() does not know. */
static void
json_free_text(char *text)
{
    json_free_t jfree;

    json_get_alloc_funcs(NULL, &jfree);
    jfree(text);
}

/* network_data.json: one link per port, DHCP on each (what Nova says without static config). */

static json_t *
network_data(ec2gw_req_t *req, const json_t *ports)
{
    json_t *links = json_array(), *nets = json_array();
    const json_t *p;
    size_t i;

    json_array_foreach(ports, i, p)
    {
        const char *id = md_str(p, "id"), *mac = md_str(p, "mac_address");
        char tap[20];

        if (id == NULL || mac == NULL)
            continue;
        snprintf(tap, sizeof(tap), "tap%.11s", id);
        json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s?}", "id", tap, "type", "ovs",
                                               "ethernet_mac_address", mac, "vif_id", id));
        json_array_append_new(nets,
                              json_pack("{s:s, s:s, s:s, s:s?}", "id",
                                        ec2gw->psprintf(req, "network%zu", i), "type", "ipv4_dhcp",
                                        "link", tap, "network_id", md_str(p, "network_id")));
    }
    return json_pack("{s:o, s:o, s:[]}", "links", links, "networks", nets, "services");
}

json_t *
md_facts_openstack(ec2gw_req_t *req, const json_t *server, const json_t *ports, const char *host,
                   const char *public_key, json_int_t launch_index, json_t **net)
{
    const char *key = md_str(server, "key_name");
    const json_t *meta = json_object_get(server, "metadata");
    json_t *m;

    m = json_pack("{s:s?, s:s?, s:s?, s:I, s:s?, s:s?, s:O, s:{}, s:[], s:[]}", "uuid",
                  md_str(server, "id"), "hostname", host, "name", md_str(server, "name"),
                  "launch_index", launch_index, "availability_zone",
                  md_str(server, "OS-EXT-AZ:availability_zone"), "project_id",
                  md_str(server, "tenant_id"), "meta", json_is_object(meta) ? meta : json_object(),
                  "public_keys", "keys", "devices");
    if (m != NULL && key != NULL && public_key != NULL) {
        json_object_set_new(json_object_get(m, "public_keys"), key, json_string(public_key));
        json_array_append_new(
            json_object_get(m, "keys"),
            json_pack("{s:s, s:s, s:s}", "name", key, "type", "ssh", "data", public_key));
    }
    *net = network_data(req, ports);
    return m;
}

static void
reply_json(ec2gw_req_t *req, const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

    if (text == NULL) {
        md_text(req, 500, "Internal error\n");
        return;
    }
    ec2gw->reply(req, 200, "application/json", text, strlen(text));
    json_free_text(text);
}

void
md_openstack(ec2gw_req_t *req, struct md_req *st, const char *rest)
{
    const char *file;
    size_t vlen;
    int known = 0;

    while (*rest == '/')
        rest++;
    if (*rest == '\0') {
        const char *list = "";

        for (size_t i = 0; os_versions[i] != NULL; i++)
            list = ec2gw->psprintf(req, "%s%s%s", list, i ? "\n" : "", os_versions[i]);
        md_text(req, 200, list);
        return;
    }
    vlen = strcspn(rest, "/");
    for (size_t i = 0; os_versions[i] != NULL; i++)
        known |= strlen(os_versions[i]) == vlen && strncmp(os_versions[i], rest, vlen) == 0;
    file = rest + vlen;
    while (*file == '/')
        file++;
    if (!known) {
        md_text(req, 404, "Not Found\n");
    } else if (*file == '\0') {
        md_text(req, 200,
                json_is_null(json_object_get(st->facts, "user_data"))
                    ? "meta_data.json\nnetwork_data.json\nvendor_data.json"
                    : "meta_data.json\nnetwork_data.json\nuser_data\nvendor_data.json");
    } else if (strcmp(file, "meta_data.json") == 0) {
        reply_json(req, json_object_get(st->facts, "os_meta"));
    } else if (strcmp(file, "network_data.json") == 0) {
        reply_json(req, json_object_get(st->facts, "os_net"));
    } else if (strcmp(file, "vendor_data.json") == 0 || strcmp(file, "vendor_data2.json") == 0) {
        md_text(req, 200, "{}");
    } else if (strcmp(file, "user_data") == 0) {
        md_user_data(req, st);
    } else {
        md_text(req, 404, "Not Found\n");
    }
}
