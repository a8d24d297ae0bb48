#!/usr/bin/python3
"""Neutron's own metadata agent code in front of ec2gwd's metadata listener, for test_metadata.py.

Runs neutron.agent.metadata.agent.MetadataProxyHandler (the installed Neutron, Debian's
python3-neutron) as a WSGI app on 127.0.0.1, its nova_metadata_host/port pointed at the
listener, so every request reaches ec2gwd through the agent's real _proxy_request (its headers,
its signature, its status mapping). Only the agent's port lookup over RPC and the namespace's
haproxy (`option forwardfor`) are stood in for: the instance and project the lookup would find
are given on the command line, and the instance's address is appended to X-Forwarded-For as
haproxy appends the client's.

    /usr/bin/python3 neutron_agent_proxy.py MD_HOST MD_PORT SECRET INSTANCE_UUID PROJECT_ID IP

prints "port N" once it listens, then serves until killed. Exits 3 when Neutron is missing.
"""
import sys
import types
import wsgiref.simple_server

try:
    from neutron.agent.metadata import agent
except ImportError as e:
    print("no neutron: %s" % e, flush=True)
    sys.exit(3)


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    host, port, secret, instance, project, ip = sys.argv[1:7]
    handler = agent.MetadataProxyHandler.__new__(agent.MetadataProxyHandler)
    handler.conf = types.SimpleNamespace(
        nova_metadata_host=host, nova_metadata_port=int(port), nova_metadata_protocol="http",
        nova_metadata_insecure=False, auth_ca_cert=None, nova_client_cert=None,
        nova_client_priv_key=None, metadata_proxy_shared_secret=secret)
    # what the agent's RPC port lookup (X-Forwarded-For + router/network id) would answer
    handler._get_instance_and_tenant_id = lambda req, skip_cache=False: (instance, project)

    def haproxy(environ, start_response):
        xff = environ.get("HTTP_X_FORWARDED_FOR")
        environ["HTTP_X_FORWARDED_FOR"] = xff + ", " + ip if xff else ip
        return handler(environ, start_response)

    server = wsgiref.simple_server.make_server("127.0.0.1", 0, haproxy,
                                               handler_class=QuietHandler)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
