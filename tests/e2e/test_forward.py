"""[[forward]] to Debian's VictoriaMetrics (-graphiteListenAddr) as the bigger store.

Hourglass forwards carbon and statsd points to VictoriaMetrics under load;
VictoriaMetrics is stopped for a while (points queue on disk, the lag grows,
/health degrades), Hourglass is restarted once while it is down (the queue
survives), VictoriaMetrics comes back: every point is in it exactly once. A
tiny max_queue drops the oldest points and counts them.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

from harness import Hourglass, split_address

VM_BIN = "/usr/bin/victoria-metrics"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VictoriaMetrics:
    """Debian's victoria-metrics on fixed free ports, restartable on them.
    -dedup.minScrapeInterval=1ms keeps one sample per series and timestamp,
    as whisper keeps one value per slot (a resend after a broken connection
    repeats a point exactly)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hourglass-e2e-vm-")
        self.graphite_port = free_port()
        self.http_port = free_port()
        self.proc = None

    def start(self):
        with open(f"{self.dir}/log", "a") as log:
            self.proc = subprocess.Popen(
                [VM_BIN, f"-storageDataPath={self.dir}/data",
                 f"-graphiteListenAddr=127.0.0.1:{self.graphite_port}",
                 f"-httpListenAddr=127.0.0.1:{self.http_port}",
                 "-dedup.minScrapeInterval=1ms", "-search.latencyOffset=0", "-retentionPeriod=1"],
                stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/health", timeout=1):
                    with socket.create_connection(("127.0.0.1", self.graphite_port), timeout=1):
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("victoria-metrics did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def export(self, match):
        """{series name: [(timestamp s, value), ...]} in VictoriaMetrics."""
        base = f"http://127.0.0.1:{self.http_port}"
        urllib.request.urlopen(f"{base}/internal/force_flush", timeout=10).read()
        body = urllib.parse.urlencode({"match[]": match, "start": "0"}).encode()
        with urllib.request.urlopen(f"{base}/api/v1/export", data=body, timeout=30) as response:
            out = {}
            for line in response.read().decode().splitlines():
                row = json.loads(line)
                out[row["metric"]["__name__"]] = [(t // 1000, v) for t, v in zip(row["timestamps"], row["values"])]
            return out


class CarbonFeed:
    """Sends carbon lines `fw.load.sK N T` to the current Hourglass from a thread:
    10 series, each point a distinct timestamp, 50 points every 10 ms."""

    def __init__(self, base_ts):
        self.base_ts = base_ts
        self.sent = 0
        self.address = None
        self.running = threading.Event()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def line(self, n):
        return f"fw.load.s{n % 10} {n} {self.base_ts + n // 10}\n"

    def _run(self):
        sock = None
        while not self.done:
            if not self.running.is_set():
                if sock:
                    sock.close()
                    sock = None
                time.sleep(0.01)
                continue
            if sock is None:
                sock = socket.create_connection(split_address(self.address))
            chunk = "".join(self.line(self.sent + i) for i in range(50))
            sock.sendall(chunk.encode())
            self.sent += 50
            time.sleep(0.01)
        if sock:
            sock.close()

    def resume(self, address):
        self.address = address
        self.running.set()

    def pause(self):
        self.running.clear()
        time.sleep(0.1)  # the thread closes its connection

    def expected(self):
        out = {}
        for n in range(self.sent):
            out.setdefault(f"fw.load.s{n % 10}", []).append((self.base_ts + n // 10, float(n)))
        return out


def forward_set(vm, **keys):
    fields = {"name": "vm", "carbon": f"127.0.0.1:{vm.graphite_port}",
              "pattern": r"^(fw\.|stats_counts\.fw\.)", "resend_window": "1s", "unreachable_after": "1s"}
    fields.update(keys)
    body = ", ".join(f"{k} = {json.dumps(v)}" for k, v in fields.items())
    return f"forward=[{{{body}}}]"


@unittest.skipUnless(os.access(VM_BIN, os.X_OK), "victoria-metrics is not installed")
class ForwardTest(unittest.TestCase):
    def setUp(self):
        self.vm = VictoriaMetrics()
        self.addCleanup(self.vm.close)
        self.data = tempfile.TemporaryDirectory(prefix="hourglass-e2e-")
        self.addCleanup(self.data.cleanup)

    def start_hourglass(self, **keys):
        hg = Hourglass(data_dir=self.data.name, sets=[forward_set(self.vm, **keys)])
        hg.start()
        self.addCleanup(lambda: hg.proc.poll() is not None or hg.stop())
        return hg

    def wait_carbon_stored(self, hg, count):
        hg.wait_for(lambda: (hg.metric("carbon.points_written") or 0) >= count, what=f"{count} carbon points stored")

    def test_every_point_arrives_once_through_an_outage_and_a_restart(self):
        self.vm.start()
        hg = self.start_hourglass()
        feed = CarbonFeed(int(time.time()) - 3000)
        feed.thread.start()
        self.addCleanup(lambda: setattr(feed, "done", True))
        statsd_sent = 0

        def statsd(n):
            nonlocal statsd_sent
            for _ in range(n):
                hg.send_statsd("fw.statsd.c:1|c")
                statsd_sent += 1
                time.sleep(0.005)

        feed.resume(hg.addresses["carbon"])
        statsd(100)
        hg.wait_for(lambda: (hg.metric("forward.vm.sent_points") or 0) > 1000, what="points forwarded")
        self.assertEqual(hg.metric("forward.vm.connected"), 1)

        self.vm.stop()  # the backend goes away under load
        statsd(200)
        hg.wait_for(lambda: hg.metric("forward.vm.connected") == 0, what="disconnected")
        hg.wait_for(lambda: hg.health()[1]["components"].get("forward.vm", {}).get("state") == "degraded",
                    what="/health degraded")
        hg.wait_for(lambda: (hg.metric("forward.vm.lag_seconds") or 0) >= 1, what="lag grows")
        self.assertGreater(hg.metric("forward.vm.queued_bytes"), 0)

        # Restart Hourglass while the backend is still down: the queue survives.
        feed.pause()
        carbon_before = feed.sent
        self.wait_carbon_stored(hg, carbon_before)
        self.assertEqual(hg.stop(), 0)
        hg = self.start_hourglass()
        feed.resume(hg.addresses["carbon"])
        time.sleep(1.1)  # statsd windows of the two runs never share a timestamp
        statsd(100)
        hg.wait_for(lambda: (hg.metric("forward.vm.queued_bytes") or 0) > 0, what="queued after restart")

        self.vm.start()
        statsd(100)
        feed.pause()
        feed.done = True
        self.wait_carbon_stored(hg, feed.sent - carbon_before)
        time.sleep(2.5)  # the last statsd window is flushed (1 s windows)
        hg.wait_for(lambda: hg.metric("forward.vm.queued_bytes") == 0 and hg.metric("forward.vm.lag_seconds") == 0,
                    what="queue drained")
        self.assertEqual(hg.health()[1]["components"]["forward.vm"]["state"], "ok")
        self.assertEqual(hg.metric("forward.vm.dropped_points"), 0)

        got = self.vm.export('{__name__=~"fw\\\\.load\\\\..*"}')
        expected = feed.expected()
        self.assertEqual(sorted(got), sorted(expected))
        for name in expected:  # every point, once, with its value
            want, have = expected[name], got[name]
            missing = sorted(set(want) - set(have))
            extra = sorted(set(have) - set(want))
            self.assertEqual((len(missing), len(extra), len(have)), (0, 0, len(want)),
                             f"{name}: missing {missing[:5]}... extra {extra[:5]}...")
        counts = self.vm.export('{__name__="stats_counts.fw.statsd.c"}')["stats_counts.fw.statsd.c"]
        self.assertEqual(sum(v for _, v in counts), statsd_sent)
        # Only what the pattern matches is forwarded.
        self.assertEqual(self.vm.export('{__name__=~"stats\\\\.fw.*"}'), {})

    def test_a_tiny_queue_drops_the_oldest_points_and_counts_them(self):
        # The backend is down from the start: everything queues, bounded.
        hg = self.start_hourglass(max_queue="16KiB", pattern=r"^fw\.")
        base = int(time.time()) - 3000
        lines = [f"fw.bound.s {n} {base + n}\n" for n in range(3000)]  # ~80 KB of lines
        with socket.create_connection(split_address(hg.addresses["carbon"])) as sock:
            for i in range(0, len(lines), 20):
                sock.sendall("".join(lines[i:i + 20]).encode())
        self.wait_carbon_stored(hg, len(lines))
        hg.wait_for(lambda: (hg.metric("forward.vm.dropped_points") or 0) > 0, what="drops counted")
        queue_dir = os.path.join(self.data.name, "forward", "vm")
        on_disk = sum(os.path.getsize(os.path.join(queue_dir, f)) for f in os.listdir(queue_dir) if f.endswith(".q"))
        self.assertLessEqual(on_disk, 16 * 1024)

        self.vm.start()
        hg.wait_for(lambda: hg.metric("forward.vm.queued_bytes") == 0, what="queue drained")
        dropped = int(hg.metric("forward.vm.dropped_points"))
        got = self.vm.export('{__name__="fw.bound.s"}')["fw.bound.s"]
        # What arrives is exactly the newest points; the dropped ones were the oldest.
        self.assertEqual(len(got) + dropped, len(lines))
        self.assertTrue(got == [(base + n, float(n)) for n in range(dropped, len(lines))],
                        f"{len(got)} points from {got[:1]} to {got[-1:]}, {dropped} dropped "
                        f"sent {hg.metric('forward.vm.sent_points')} reconnects {hg.metric('forward.vm.reconnects')} "
                        f"written {hg.metric('carbon.points_written')}")


if __name__ == "__main__":
    unittest.main()
