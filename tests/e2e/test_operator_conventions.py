"""What operators' tools expect of the real binary: `promtool check metrics`
accepts /metrics (counters end in _total, times are in seconds), and /health
answers 503 while any component is degraded or failed (so a load balancer
or Docker's HEALTHCHECK takes the instance out), 200 when all are ok, with
the same JSON body either way.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Hourglass, split_address
from test_archive import HOST, write_past_hour


class PromtoolAcceptsMetrics(unittest.TestCase):
    @unittest.skipUnless(shutil.which("promtool"),
                         "promtool not installed (Debian package prometheus, in scripts/deps.sh)")
    def test_promtool_check_metrics_passes_with_no_lint(self):
        with Hourglass() as server:
            # Traffic on every input so timers, counters and gauges all move.
            server.send_statsd("ops.count:1|c", "ops.time:12|ms", "ops.gauge:3|g", "bad line")
            with socket.create_connection(split_address(server.addresses["carbon"]), timeout=5) as c:
                c.sendall(f"ops.carbon 1 {int(time.time())}\n".encode())
            with socket.create_connection(split_address(server.addresses["syslog"]), timeout=5) as s:
                s.sendall(b"<13>ops line\n")
            server.render("ops.count")
            server.wait_for(lambda: server.metric("flush.points"), what="a flush")
            status, body = server.get("/metrics")
            self.assertEqual(status, 200)
            check = subprocess.run(["promtool", "check", "metrics"], input=body,
                                   capture_output=True, timeout=30)
            out = (check.stdout + check.stderr).decode()
            self.assertEqual(check.returncode, 0, out)
            self.assertEqual(out.strip(), "", "promtool lint findings")
            text = body.decode()
            self.assertIn("# TYPE hourglass_statsd_packets_received_total counter", text)
            self.assertIn("# TYPE hourglass_flush_duration_seconds gauge", text)
            self.assertNotIn("_ms ", text)


class HealthStatusCode(unittest.TestCase):
    def test_200_when_every_component_is_ok(self):
        with Hourglass() as server:
            status, _ = server.get("/health")
            page = server.get_json("/health")
            self.assertEqual(status, 200)
            self.assertEqual(page["status"], "ok")
            self.assertTrue(all(c["state"] == "ok" for c in page["components"].values()))

    def test_503_while_a_component_is_degraded_with_the_json_unchanged(self):
        with tempfile.TemporaryDirectory() as data_dir:
            # The archive's S3 endpoint refuses connections: every upload
            # fails, the archive stays degraded while everything else is ok.
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                closed_port = probe.getsockname()[1]
            write_past_hour(data_dir, time.time() - 3 * 3600, b"x\n")
            sets = [f"archive.host={HOST}", "archive.target=s3://bucket/ops",
                    f"archive.endpoint=http://127.0.0.1:{closed_port}",
                    "archive.grace=0s", "archive.retry_max=1s"]
            env = {"AWS_ACCESS_KEY_ID": "ops", "AWS_SECRET_ACCESS_KEY": "ops-secret",
                   "AWS_REGION": "us-east-1"}
            saved = dict(os.environ)
            self.addCleanup(lambda: (os.environ.clear(), os.environ.update(saved)))
            os.environ.update(env)
            with Hourglass(data_dir=data_dir, sets=sets) as server:
                def degraded():
                    status, body = server.get("/health")
                    return (status, body) if b'"degraded"' in body else None
                status, body = server.wait_for(degraded, what="archive degraded")
                self.assertEqual(status, 503)
                page = json.loads(body)
                self.assertEqual(page["status"], "degraded")
                self.assertEqual(page["components"]["archive"]["state"], "degraded")
                self.assertEqual(page["components"]["store"]["state"], "ok")
                self.assertIn("counters", page)


if __name__ == "__main__":
    unittest.main()
