/* ops_serve.c - GET /healthz (liveness + Keystone reachability) and GET /metrics. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "ops/metrics.h"
#include "server/os_share.h"
#include "server/request.h"

void
ec2gw_ops_serve(ec2gw_daemon_t *d, struct evhttp_request *http, const char *path)
{
    struct evbuffer *buf = evbuffer_new();
    struct evkeyvalq *out = evhttp_request_get_output_headers(http);
    int status = 200;

    if (buf == NULL) {
        evhttp_send_error(http, 503, NULL);
        return;
    }
    if (strcmp(path, "/metrics") == 0) {
        evhttp_add_header(out, "Content-Type", "text/plain; version=0.0.4");
        ec2gw_metrics_render(buf);
        ec2gw_os_share_render(buf, d->gen->conf.describe_staleness_ms);
    } else {
        time_t now = time(NULL), ok = ec2gw_keystone_last_answer(d->ks),
               bad = ec2gw_keystone_last_failure(d->ks);
        /* Keystone is "ok" if it answered last time we asked, or we have not needed it. */
        const char *ks = ok == 0 && bad == 0 ? "unknown" : (ok >= bad ? "ok" : "failing");

        if (strcmp(ks, "failing") == 0) {
            status = 503;
            ec2gw_keystone_probe(d->ks);
        }
        evhttp_add_header(out, "Content-Type", "application/json");
        evbuffer_add_printf(buf,
                            "{\"status\":\"%s\",\"uptime_s\":%ld,\"keystone\":\"%s\","
                            "\"keystone_last_answer_s_ago\":%ld,\"requests_in_flight\":%ld,"
                            "\"connections\":%ld,\"config_generation\":%lu,\"draining\":%s}\n",
                            status == 200 ? "ok" : "degraded", (long)(now - d->started), ks,
                            ok ? (long)(now - ok) : -1L, d->in_flight, d->connections, d->gen->id,
                            d->draining ? "true" : "false");
    }
    evhttp_send_reply(http, status, status == 200 ? "OK" : "Service Unavailable", buf);
    evbuffer_free(buf);
}
