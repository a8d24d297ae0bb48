"""Issue 11, findings 4, 9 and 10: the HTTP transport as a stranger meets it.

libevent's own refusals must be EC2 XML and counted, CONNECT must not keep its connection,
duplicate Content-Length/Host are refused, idle and slow-loris connections are closed by the
header deadline and count towards max_connections from accept, and running out of file
descriptors neither spins nor floods the log.
"""
import os
import resource
import socket
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intake_probe as P  # noqa: E402

REJECTIONS = {
    # what the review sent → the HTTP status we expect (the EC2 code is checked to exist)
    "url_over_limit": (b"GET /?Action=" + b"A" * 140000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "body_over_limit": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n"
                        + b"a" * 3000000, 413),
    "bad_chunk_size": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nabc\r\n0\r\n\r\n", None),
    "negative_content_length": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
    "garbage_request_line": (b"\x01\x02garbage\r\n\r\n", 400),
    "unknown_method": (b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", None),
    "options": (b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", None),
    "patch": (b"PATCH / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", None),
    "trace": (b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", None),
    "connect": (b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", None),
}


def proc_stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split()


class Transport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = P.start_daemon(header_timeout="2s")

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        assert rc == 0, "ec2gwd exited with %d" % rc

    def test_libevent_rejections_are_ec2_xml_and_counted(self):
        for name, (data, want) in REJECTIONS.items():
            with self.subTest(probe=name):
                before = P.requests_total(self.d)
                t = time.time()
                out, end = P.raw(self.d.port, data, timeout=5)
                status, code = P.ec2_error(out)
                if want is not None:
                    self.assertEqual(status, want, code)
                self.assertEqual(end, "eof", "%s kept its connection open" % name)
                self.assertLess(time.time() - t, 3, name)
                self.assertGreater(P.requests_total(self.d), before, "%s not counted" % name)

    def test_connect_does_not_keep_the_connection(self):
        t = time.time()
        out, end = P.raw(self.d.port, REJECTIONS["connect"][0], timeout=5)
        self.assertEqual(end, "eof")
        self.assertLess(time.time() - t, 2)
        self.assertEqual(P.ec2_error(out)[1], "UnsupportedHttpVerb")

    def test_duplicate_content_length_refused(self):
        req = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
               b"\r\nContent-Length: 22\r\nContent-Length: 40\r\n\r\n"
               b"Action=DescribeRegions&Version=2016-11-15")
        out, end = P.raw(self.d.port, req)
        status, code = P.ec2_error(out)
        self.assertEqual((status, code), (400, "InvalidRequest"))
        self.assertEqual(end, "eof", "the connection must close: its framing is ambiguous")
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, "the rest of the body was read as a request")

    def test_duplicate_host_refused(self):
        req = (b"GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.1\r\nHost: a.example\r\n"
               b"Host: b.example\r\n\r\n")
        out, end = P.raw(self.d.port, req)
        self.assertEqual(P.ec2_error(out), (400, "InvalidRequest"))
        self.assertEqual(end, "eof")

    def test_idle_connection_closed_by_header_deadline(self):
        t = time.time()
        out, end = P.raw(self.d.port, b"", timeout=10)
        self.assertEqual((out, end), (b"", "eof"))
        self.assertLess(time.time() - t, 4)

    def test_slow_loris_closed_by_header_deadline(self):
        # One header byte every 0.5 s: each byte resets an inactivity timer, not a deadline.
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        t = time.time()
        closed = None
        try:
            for ch in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 40:
                s.sendall(bytes([ch]))
                time.sleep(0.5)
                if time.time() - t > 8:
                    break
        except (BrokenPipeError, ConnectionResetError):
            closed = time.time() - t
        if closed is None:
            try:
                closed = time.time() - t if s.recv(100) == b"" else None
            except (ConnectionResetError, socket.timeout):
                closed = time.time() - t
        s.close()
        self.assertIsNotNone(closed, "slow-loris connection still open after 8 s")
        self.assertLess(closed, 4.5)

    def test_keep_alive_still_works(self):
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=5)
        for _ in range(3):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b"}\n" not in data:
                data += s.recv(4096)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"))
            time.sleep(1)  # between requests the idle timeout applies, not the 2 s deadline
        s.close()

    def test_connections_counted_from_accept(self):
        socks = [socket.create_connection(("127.0.0.1", self.d.port)) for _ in range(30)]
        try:
            time.sleep(0.3)
            health = urllib.request.urlopen(self.d.url + "/healthz", timeout=5).read().decode()
            import json
            n = json.loads(health)["connections"]
            self.assertGreaterEqual(n, 31, "idle connections are not counted: %d" % n)
        finally:
            for s in socks:
                s.close()
        deadline = time.time() + 5
        while time.time() < deadline:
            import json
            n = json.loads(urllib.request.urlopen(self.d.url + "/healthz", timeout=5).read())
            if n["connections"] <= 2:
                break
            time.sleep(0.2)
        self.assertLessEqual(n["connections"], 2, "closed connections still counted")


class ConnectionLimit(unittest.TestCase):
    def test_idle_connections_cannot_hold_the_limit(self):
        d = P.start_daemon(max_connections=5, header_timeout="2s")
        try:
            socks = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(5)]
            time.sleep(0.3)
            # The sixth waits in the backlog until the deadline closes the idle five.
            t = time.time()
            body = urllib.request.urlopen(d.url + "/healthz", timeout=10).read()
            waited = time.time() - t
            self.assertIn(b'"status"', body)
            self.assertGreater(waited, 1.0, "the limit did not count idle connections")
            self.assertLess(waited, 5.0, "idle connections were not closed by the deadline")
            for s in socks:
                s.close()
        finally:
            rc = d.stop()
            d.cleanup()
        self.assertEqual(rc, 0)

    def test_fd_limit_neither_spins_nor_floods(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))  # inherited by ec2gwd
        try:
            d = P.daemon(header_timeout="30s")
            d.start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        # ec2gwd may raise its own soft limit up to the hard one; take it back down by prlimit.
        try:
            resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (128, hard))
            socks = []
            for _ in range(300):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=2))
                except OSError:
                    break
            stat0 = proc_stat(d.proc.pid)
            time.sleep(3)
            stat1 = proc_stat(d.proc.pid)
            cpu = (int(stat1[13]) + int(stat1[14]) - int(stat0[13]) - int(stat0[14])) / \
                os.sysconf("SC_CLK_TCK")
            self.assertLess(cpu, 0.5, "ec2gwd spins at the fd limit (%.2f s CPU in 3 s)" % cpu)
            for s in socks:
                s.close()
            time.sleep(1.5)
            body = urllib.request.urlopen(d.url + "/healthz", timeout=10).read()
            self.assertIn(b'"status"', body)
        finally:
            rc = d.stop()
            with open(d.log_path, errors="replace") as f:
                log = f.read()
            d.cleanup()
        self.assertLessEqual(log.count("accept"), 3, "the fd limit floods the log:\n" + log[-2000:])
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(P.harness.summary(r))
