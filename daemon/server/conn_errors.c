/*
 * conn_errors.c - libevent's own refusals as EC2 error documents.
 *
 * libevent 2.1.12 answers what it cannot parse or will not read (a request line or headers
 * over its size limit, a body over its limit, a bad chunk size, a negative Content-Length,
 * an unknown method) itself, with an HTML page, before any callback of ours runs; 2.2's
 * evhttp_set_errorcb() does not exist yet. The page is written to the connection's output in
 * one piece and ends the connection, so the output callback recognises it there - our own
 * answers are never text/html - and swaps it for the EC2 document of the same status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/log.h"
#include "ops/metrics.h"
#include "protocol/xml_render.h"
#include "server/conn.h"
#include "server/request.h"

#define PAGE_MAX 1024 /* libevent's error pages are ~250 bytes */

static const char page_end[] = "</BODY></HTML>\n";

static int
is_error_page(struct evbuffer *out, size_t len, int *status)
{
    char tail[sizeof(page_end) - 1];
    struct evbuffer_ptr at;
    const char *head;

    if (len < 64 || len > PAGE_MAX)
        return 0;
    if (evbuffer_ptr_set(out, &at, len - sizeof(tail), EVBUFFER_PTR_SET) != 0 ||
        evbuffer_copyout_from(out, &at, tail, sizeof(tail)) != (ev_ssize_t)sizeof(tail) ||
        memcmp(tail, page_end, sizeof(tail)) != 0)
        return 0;
    head = (const char *)evbuffer_pullup(out, (ev_ssize_t)len);
    if (head == NULL || strncmp(head, "HTTP/1.", 7) != 0 || len < 13 ||
        memmem(head, len, "\r\nContent-Type: text/html\r\n", 27) == NULL)
        return 0;
    *status = atoi(head + 9);
    return *status >= 400 && *status <= 599;
}

static const char *
code_for(int status, const char **msg)
{
    switch (status) {
    case 413:
        *msg = "The request body is larger than the gateway accepts";
        return "RequestEntityTooLarge";
    case 405:
    case 501:
        *msg = "EC2 requests are GET or POST";
        return "UnsupportedHttpVerb";
    case 503:
        *msg = "The service is unavailable";
        return "Unavailable";
    default:
        if (status >= 500) {
            *msg = "The request could not be read";
            return "InternalError";
        }
        *msg = "The HTTP request is malformed, or its request line or headers are larger "
               "than the gateway accepts";
        return "InvalidRequest";
    }
}

int
ec2gw_conn_rewrite_error(ec2gw_daemon_t *d, struct evbuffer *out, const char *remote)
{
    size_t len = evbuffer_get_length(out), xml_len = 0;
    int status = 0;
    const char *msg, *code;
    char id[40], *xml = NULL;

    if (!is_error_page(out, len, &status))
        return 0;
    code = code_for(status, &msg);
    ec2gw_req_make_id(id);
    if (ec2gw_xml_error(code, msg, id, &xml, &xml_len) != 0)
        return 0;
    evbuffer_drain(out, len);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d Error\r\nContent-Type: text/xml;charset=UTF-8\r\n"
                        "x-amzn-RequestId: %s\r\nServer: %s\r\nConnection: close\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        status, id, d->gen->conf.server_header_amazon ? "AmazonEC2" : "ec2gw",
                        xml_len);
    evbuffer_add(out, xml, xml_len);
    free(xml);
    ec2gw_metrics_request("unknown", code, 0.0);
    ec2gw_metrics_conn_event("http_error");
    if (d->gen->conf.access_log) {
        char line[256];

        snprintf(line, sizeof(line),
                 "remote=%s req=%s action=- status=%d code=%s ms=0.0 "
                 "project=-",
                 remote, id, status, code);
        ec2gw_log_access(line);
    }
    return 1;
}
