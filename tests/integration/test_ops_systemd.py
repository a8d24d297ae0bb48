#!/usr/bin/env python3
"""ec2gwd under systemd (issue 17), without systemd: the notify protocol is checked on a
datagram socket of the test's own (NOTIFY_SOCKET), the unit file with systemd-analyze verify.

- one process: READY=1 (with STATUS) once it answers; SIGHUP: RELOADING=1 with MONOTONIC_USEC,
  then READY=1; WATCHDOG_USEC=400000: WATCHDOG=1 about every 200 ms from the loop; SIGTERM:
  STOPPING=1; all from the daemon's own pid;
- listen.workers: 2: READY=1 only once both workers run their loops, every message from the
  supervisor (NotifyAccess=main), RELOADING/READY around SIGHUP; a worker whose loop stops
  (SIGSTOP) withholds WATCHDOG=1, and the pings come back when it runs again (SIGCONT);
- without NOTIFY_SOCKET it starts as before (every other integration test);
- contrib/systemd/ec2gwd.service passes `systemd-analyze verify` with no warning at all.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ops_common import NotifySocket, OpsDaemon  # noqa: E402

UNIT = os.path.join(harness.ROOT, "contrib/systemd/ec2gwd.service")


class NotifySingle(unittest.TestCase):
    def test_sequence(self):
        ns = NotifySocket()
        d = OpsDaemon(env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "400000"})
        try:
            d.start()
            t, pid, ready = ns.wait_for("READY", "1", timeout=10)
            self.assertEqual(pid, d.proc.pid)
            self.assertRegex(ready.get("STATUS", ""), r"serving EC2 on http://127\.0\.0\.1:%d" %
                             d.port)
            pings = [m for m in ns.collect(1.3) if m[2].get("WATCHDOG") == "1"]
            self.assertGreaterEqual(len(pings), 4, "WATCHDOG=1 every 200 ms expected")
            self.assertLessEqual(len(pings), 9)
            d.proc.send_signal(signal.SIGHUP)
            _, pid, rel = ns.wait_for("RELOADING", "1", timeout=10)
            self.assertEqual(pid, d.proc.pid)
            usec = int(rel["MONOTONIC_USEC"])
            self.assertLess(abs(usec / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)), 30)
            _, _, after = ns.wait_for("READY", "1", timeout=20)
            self.assertIn("configuration generation 2", after.get("STATUS", ""))
            self.assertEqual(d.proc.poll(), None)
            d.proc.send_signal(signal.SIGTERM)
            _, pid, stop = ns.wait_for("STOPPING", "1", timeout=10)
            self.assertEqual(pid, d.proc.pid)
            self.assertEqual(d.proc.wait(timeout=30), 0)
        finally:
            harness.stop_daemon(d, check=False)
            ns.close()


class NotifyWorkers(unittest.TestCase):
    def test_supervisor_notifies(self):
        ns = NotifySocket()
        d = OpsDaemon(edits=[("workers: 1", "workers: 2")],
                      env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "2000000"})
        try:
            d.start()
            _, pid, ready = ns.wait_for("READY", "1", timeout=20)
            self.assertIn("with 2 workers", ready.get("STATUS", ""))
            workers = d.worker_pids()
            self.assertEqual(len(workers), 2, workers)
            ns.wait_for("WATCHDOG", "1", timeout=5)
            d.proc.send_signal(signal.SIGHUP)
            ns.wait_for("RELOADING", "1", timeout=10)
            _, _, after = ns.wait_for("READY", "1", timeout=20)
            self.assertIn("reloaded", after.get("STATUS", ""))
            # A worker whose loop no longer runs: no pings while it is stopped.
            os.kill(workers[1], signal.SIGSTOP)
            try:
                time.sleep(3.0)  # the watchdog period (2 s) plus one ping interval
                ns.collect(0.1)  # pings sent before the worker went stale, still queued
                quiet = [m for m in ns.collect(3.0) if "WATCHDOG" in m[2]]
            finally:
                os.kill(workers[1], signal.SIGCONT)
            self.assertEqual(quiet, [], "pings went on while a worker's loop was stopped")
            ns.wait_for("WATCHDOG", "1", timeout=5)
            with open(d.log_path) as f:
                self.assertRegex(f.read(), r"worker 2 \(pid %d\): its loop has not run" %
                                 workers[1])
            d.proc.send_signal(signal.SIGTERM)
            ns.wait_for("STOPPING", "1", timeout=10)
            self.assertEqual(d.proc.wait(timeout=30), 0)
            senders = {m[1] for m in ns.messages}
            self.assertEqual(senders, {d.proc.pid}, "only the main process may notify")
        finally:
            harness.stop_daemon(d, check=False)
            ns.close()


class UnitFile(unittest.TestCase):
    def test_systemd_analyze_verify(self):
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.skipTest("systemd-analyze is not installed")
        binary = os.path.join(harness.BUILD, "daemon/ec2gwd")
        self.assertTrue(os.path.exists(binary), binary)
        with open(UNIT) as f:
            text = f.read()
        for key in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "User=ec2gw",
                    "StateDirectory=ec2gw", "ConfigurationDirectory=ec2gw",
                    "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                    "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                    "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
                    "WatchdogSec=", "Restart=on-failure", "LimitNOFILE="):
            self.assertIn(key, text)
        tmp = tempfile.mkdtemp(prefix="ec2gw-unit-")
        try:
            # The installed path does not exist here: the built binary stands in for it.
            path = os.path.join(tmp, "ec2gwd.service")
            with open(path, "w") as f:
                f.write(text.replace("/usr/sbin/ec2gwd", binary))
            r = subprocess.run([tool, "verify", path], capture_output=True,
                               text=True, timeout=120)
            out = (r.stdout + r.stderr).strip()
            # Lines about other units of this machine (pulled in by After=) are not ours.
            other = re.compile(r"^(/\S+/)?(?!ec2gwd\.)[\w@.\\-]+\.(service|socket|target|"
                               r"mount|timer|path|slice|device):")
            ours = [line for line in out.splitlines() if not other.match(line)]
            self.assertEqual(r.returncode, 0, out)
            self.assertEqual(ours, [], "systemd-analyze verify warned:\n" + out)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
