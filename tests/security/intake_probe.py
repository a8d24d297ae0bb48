"""Raw-socket helpers for the intake security tests (issue 11): what a stranger sends."""
import os
import re
import socket
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402  (the integration tests' daemon runner, reused as is)


def raw(port, data, timeout=5.0, chunk_delay=None):
    """Send @data on a new connection; return (bytes read, how it ended: 'eof', 'timeout',
    'reset') reading until the server closes or @timeout passes without data."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    end = "eof"
    try:
        s.sendall(data)
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        end = "timeout"
    except (ConnectionResetError, BrokenPipeError):
        end = "reset"
    finally:
        s.close()
    return out, end


def parse_response(data):
    """(status, headers dict lower-cased (list values), body) of the first HTTP response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise AssertionError("not an HTTP response: %r" % data[:200])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    if "content-length" in headers:
        body = body[:int(headers["content-length"][0])]
    return int(m.group(1)), headers, body


def ec2_error(data):
    """(status, EC2 error code) of a response that must be an EC2 XML error document."""
    status, headers, body = parse_response(data)
    ctype = headers.get("content-type", [""])[0]
    if not ctype.startswith("text/xml"):
        raise AssertionError("not EC2 XML (Content-Type %r): %r" % (ctype, data[:300]))
    root = ET.fromstring(body)
    code = root.find("./Errors/Error/Code")
    if root.tag != "Response" or code is None or root.find("RequestID") is None:
        raise AssertionError("not an EC2 error document: %r" % body[:300])
    if status < 400:
        raise AssertionError("error document with status %d" % status)
    return status, code.text


def metrics_lines(daemon):
    return daemon.metrics().splitlines()


def requests_total(daemon):
    """Sum of ec2gw_requests_total over every series."""
    n = 0
    for line in metrics_lines(daemon):
        if line.startswith("ec2gw_requests_total{"):
            n += int(line.rsplit(" ", 1)[1])
    return n


def daemon(**limits):
    """A harness.Daemon (not started) whose `limits:` settings are overridden by @limits."""
    d = harness.Daemon()
    path = os.path.join(d.conf, "00-daemon.yaml")
    with open(path) as f:
        text = f.read()
    for key, value in limits.items():
        text, n = re.subn(r"(?m)^(  %s:) *\S+" % key, r"\g<1> %s" % value, text)
        assert n == 1, "no limits.%s in conf.d/00-daemon.yaml" % key
    with open(path, "w") as f:
        f.write(text)
    return d


def start_daemon(**limits):
    return daemon(**limits).start()
