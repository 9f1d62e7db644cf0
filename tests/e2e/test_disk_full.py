"""A full disk, end to end: the data directory (metric store and audit files)
on a small tmpfs that a filler file fills up while statsd, carbon and syslog
traffic keeps arriving. The server must stay up, say so in /health and
/metrics, and resume by itself once the filler is deleted, with every carbon
point and syslog line it accepted in the meantime stored exactly once.

Needs mount(2) (root, as in CI); skipped with the reason otherwise.
"""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import Hourglass, split_address

TMPFS_SIZE = "48m"


def mount_tmpfs(path):
    """Mounts a tmpfs of TMPFS_SIZE at path; returns None or why it cannot."""
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", path],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return f"cannot mount a tmpfs ({result.stderr.strip() or result.returncode})"
    return None


def fill(path):
    """Writes a filler file at path until the filesystem is full."""
    chunk = b"\0" * (1 << 20)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        small = b"\0" * 4096
        try:
            while True:
                f.write(small)
        except OSError:
            pass


def health(hg):
    status, body = hg.get("/health")
    page = json.loads(body)
    return status, page, page.get("components", {})


def metric(hg, name):
    return hg.metric(name)


def send_carbon(hg, lines):
    with socket.create_connection(split_address(hg.addresses["carbon"]), timeout=10) as sock:
        sock.sendall("".join(f"{line}\n" for line in lines).encode())


def audit_text(data_dir):
    text = ""
    audit = os.path.join(data_dir, "audit")
    for name in sorted(os.listdir(audit)):
        if name.endswith(".log"):
            with open(os.path.join(audit, name), "rb") as f:
                text += f.read().decode("utf-8", "replace")
    return text


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.mount_dir = tempfile.mkdtemp(prefix="hourglass-diskfull-")
        why = mount_tmpfs(self.mount_dir)
        if why:
            os.rmdir(self.mount_dir)
            self.skipTest(why)
        self.addCleanup(self.unmount)

    def unmount(self):
        subprocess.run(["umount", "-l", self.mount_dir], capture_output=True)
        os.rmdir(self.mount_dir)

    def assert_alive(self, hg):
        if hg.proc.poll() is not None:
            self.fail(f"the server exited ({hg.proc.returncode}) on a full disk:\n" +
                      "\n".join(hg.log_lines[-15:]))

    def test_full_disk_is_survived_and_both_stores_resume(self):
        data_dir = os.path.join(self.mount_dir, "data")
        filler = os.path.join(self.mount_dir, "filler")
        run = uuid.uuid4().hex[:8]
        now = int(time.time())
        with Hourglass(data_dir=data_dir, sets=["audit.fsync=always"]) as hg:
            hg.wait_for(lambda: "carbon" in hg.addresses and "syslog" in hg.addresses,
                        what="listening lines")
            syslog = socket.create_connection(split_address(hg.addresses["syslog"]), timeout=10)
            self.addCleanup(syslog.close)

            # Before: everything works.
            send_carbon(hg, [f"disk.before.{run} 1 {now}"])
            syslog.sendall(f"<13>before {run}-b\n".encode())
            hg.wait_for(lambda: f"{run}-b" in audit_text(data_dir), what="first audit line")
            hg.wait_for(lambda: hg.get_json("/metrics/find", query=f"disk.before.{run}"),
                        what="carbon series before")

            # Full: traffic of every kind keeps arriving.
            fill(filler)
            full_lines = [f"{run}-full-{i:03d}" for i in range(40)]
            full_points = [f"disk.full.{run}.p{i} {i} {now - i}" for i in range(20)]
            for i, token in enumerate(full_lines):
                self.assert_alive(hg)
                syslog.sendall(f"<13>during {token}\n".encode())
                if i < len(full_points):
                    send_carbon(hg, [full_points[i]])
                hg.send_statsd(f"disk.statsd.{run}:1|c")
                time.sleep(0.02)

            def both_report_it():
                _, _, components = health(hg)
                store, audit = components.get("store", {}), components.get("audit", {})
                bad = ("degraded", "failed", "down")
                if store.get("state") in bad and audit.get("state") in bad:
                    return components
                return None
            components = hg.wait_for(both_report_it, timeout=20, what="store and audit unhealthy")
            self.assert_alive(hg)
            self.assertIn("disk full", components["store"]["detail"])
            self.assertIn("disk full", components["audit"]["detail"])
            status, page, _ = health(hg)
            self.assertEqual(status, 503, "a load balancer must see the full disk")
            self.assertIn(page["status"], ("degraded", "failed"))
            self.assertEqual(metric(hg, "store.writable"), 0)
            self.assertGreaterEqual(metric(hg, "store.write_failures"), 1)
            self.assertEqual(metric(hg, "audit.paused"), 1)
            self.assertGreaterEqual(metric(hg, "audit.write_errors"), 1)
            time.sleep(2)  # several statsd flushes into the full store
            self.assert_alive(hg)

            # Space back: both resume by themselves.
            os.unlink(filler)

            def healthy():
                status, page, _ = health(hg)
                return status == 200 and page.get("status") == "ok"
            hg.wait_for(healthy, timeout=15, what="/health ok after space came back")
            self.assertEqual(metric(hg, "store.writable"), 1)
            self.assertEqual(metric(hg, "audit.paused"), 0)

            send_carbon(hg, [f"disk.after.{run} 3 {now}"])
            syslog.sendall(f"<13>after {run}-a\n".encode())
            hg.wait_for(lambda: f"{run}-a" in audit_text(data_dir), what="audit line after")
            hg.wait_for(lambda: hg.get_json("/metrics/find", query=f"disk.after.{run}"),
                        what="carbon series after")

            # Nothing accepted while full was lost or written twice.
            text = audit_text(data_dir)
            for token in full_lines + [f"{run}-b", f"{run}-a"]:
                self.assertEqual(text.count(token + "\n") + text.count(token + '"'), 1, token)
            found = hg.get_json("/metrics/find", query=f"disk.full.{run}.*")
            self.assertEqual(len(found), len(full_points))
            for i in range(len(full_points)):
                series = hg.render(f"disk.full.{run}.p{i}", frm=str(now - 60),
                                   until=str(now + 1))
                got = [v for v, _ in series[0]["datapoints"] if v is not None]
                self.assertEqual(got, [float(i)], f"point {i}")
            self.assertEqual(hg.stop(), 0)


if __name__ == "__main__":
    unittest.main()
