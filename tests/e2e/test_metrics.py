"""The metrics path end to end: statsd clients over UDP -> 10 s style windows
-> RocksDB -> Graphite /render and /metrics/find, with the real binary."""
import math
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

from harness import Hourglass, split_address, values

DEBIAN_PYTHON = "/usr/bin/python3"


def total(server, target, frm="-5min"):
    result = server.render(target, frm=frm)
    return sum(values(result[0])) if result else 0.0


def send_carbon(server, lines):
    """Sends carbon plaintext lines and waits until the store has them all."""
    with socket.create_connection(split_address(server.addresses["carbon"])) as sock:
        sock.sendall("".join(line + "\n" for line in lines).encode())
    server.wait_for(lambda: server.prometheus().get("hourglass_carbon_points_written_total", 0) >= len(lines),
                    what="carbon points written")


class MetricsEndToEndTest(unittest.TestCase):
    def test_counters_timers_gauges_sets_over_netcat(self):
        with Hourglass() as server:
            host, port = server.statsd_address()
            lines = "\n".join(
                ["e2e.nc.hits:1|c"] * 50
                + ["e2e.nc.sampled:1|c|@0.5"] * 10
                + [f"e2e.nc.latency:{v}|ms" for v in range(1, 11)]
                + ["e2e.nc.temp:20|g", "e2e.nc.temp:+5|g", "e2e.nc.temp:-3|g"]
                + ["e2e.nc.users:alice|s", "e2e.nc.users:bob|s", "e2e.nc.users:alice|s"]
            )
            # One datagram through the real netcat, as an operator would send it.
            subprocess.run(["nc", "-u", "-w1", host, str(port)], input=lines.encode(), check=True, timeout=10)
            server.wait_for(lambda: total(server, "stats_counts.e2e.nc.hits") >= 50, what="counter flush")
            time.sleep(1.5)  # let the window that got the datagram be the only non-zero one
            self.assertEqual(total(server, "stats_counts.e2e.nc.hits"), 50)
            self.assertEqual(total(server, "stats_counts.e2e.nc.sampled"), 20)
            self.assertEqual(total(server, "stats.timers.e2e.nc.latency.count"), 10)
            self.assertEqual(max(values(server.render("stats.timers.e2e.nc.latency.upper")[0])), 10)
            self.assertEqual(min(values(server.render("stats.timers.e2e.nc.latency.lower")[0])), 1)
            self.assertEqual(max(values(server.render("stats.timers.e2e.nc.latency.upper_90")[0])), 9)
            self.assertEqual(max(values(server.render("stats.timers.e2e.nc.latency.mean_90")[0])), 5)
            self.assertEqual(max(values(server.render("stats.timers.e2e.nc.latency.median")[0])), 5.5)
            std = max(values(server.render("stats.timers.e2e.nc.latency.std")[0]))
            self.assertAlmostEqual(std, math.sqrt(8.25))
            # Gauges persist across windows: every point after the first is 22.
            temp = values(server.render("stats.gauges.e2e.nc.temp")[0])
            self.assertGreaterEqual(len(temp), 2)
            self.assertEqual(set(temp), {22})
            self.assertEqual(max(values(server.render("stats.sets.e2e.nc.users.count")[0])), 2)
            # The per-second rate is count / flush interval (1 s here).
            self.assertEqual(max(values(server.render("stats.e2e.nc.hits")[0])), 50)

    def test_python_statsd_client(self):
        with Hourglass() as server:
            host, port = server.statsd_address()
            script = (
                "import statsd, sys\n"
                "c = statsd.StatsClient(sys.argv[1], int(sys.argv[2]), prefix='e2e.py')\n"
                "for i in range(25): c.incr('requests')\n"
                "c.timing('db', 12)\nc.timing('db', 30)\n"
                "c.gauge('queue', 7)\n"
            )
            subprocess.run([DEBIAN_PYTHON, "-c", script, host, str(port)], check=True, timeout=10)
            server.wait_for(lambda: total(server, "stats_counts.e2e.py.requests") == 25, what="python client counts")
            server.wait_for(lambda: total(server, "stats.timers.e2e.py.db.count") == 2, what="timer count")
            self.assertEqual(max(values(server.render("stats.timers.e2e.py.db.upper")[0])), 30)
            self.assertEqual(max(values(server.render("stats.gauges.e2e.py.queue")[0])), 7)

    def test_bad_lines_are_counted_and_do_not_stop_the_datagram(self):
        with Hourglass() as server:
            server.send_statsd("e2e.bad.ok:1|c\ngarbage\ne2e.bad.x:1|zz\n\xff\xfe:1|c\ne2e.bad.ok:2|c")
            server.wait_for(lambda: total(server, "stats_counts.e2e.bad.ok") == 3, what="good lines around bad ones")
            server.wait_for(lambda: total(server, "stats_counts.statsd.bad_lines_seen") >= 2, what="bad lines series")
            self.assertGreaterEqual(server.prometheus().get("hourglass_statsd_bad_lines_seen_total", 0), 2)

    def test_etsy_validity_negative_timer_and_subnormal_rate_are_bad_lines(self):
        tiny_rate = "0." + "0" * 309 + "1"  # 1e-310: 1 / rate is inf
        with Hourglass() as server:
            server.send_statsd("e2e.neg.ok:1|c\ne2e.neg.t:-5|ms\ne2e.neg.t:5|ms\n"
                               f"e2e.neg.c:1|c|@{tiny_rate}\ne2e.neg.c:2|c")
            server.wait_for(lambda: total(server, "stats_counts.e2e.neg.ok") == 1, what="good line")
            server.wait_for(lambda: server.prometheus().get("hourglass_statsd_bad_lines_seen_total", 0) >= 2,
                            what="bad lines counted")
            time.sleep(1.5)
            self.assertEqual(server.prometheus().get("hourglass_statsd_bad_lines_seen_total"), 2)
            self.assertEqual(total(server, "stats.timers.e2e.neg.t.count"), 1)
            self.assertEqual(min(values(server.render("stats.timers.e2e.neg.t.lower")[0])), 5)
            self.assertEqual(total(server, "stats_counts.e2e.neg.c"), 2)

    def test_tags_of_a_multi_value_line_reach_every_value(self):
        with Hourglass() as server:
            server.send_statsd("e2e.mv.t:1|ms:2|ms|#env:prod,host:a", "e2e.mv.url:1|c|#url:http://x")
            tagged = "seriesByTag('name=stats.timers.e2e.mv.t.count','env=prod','host=a')"
            server.wait_for(lambda: server.render(tagged), what="tagged timer series")
            time.sleep(1.5)
            result = server.render(tagged)
            self.assertEqual([s["target"] for s in result], ["stats.timers.e2e.mv.t.count;env=prod;host=a"])
            self.assertEqual(sum(values(result[0])), 2)
            self.assertEqual(max(values(server.render(tagged.replace(".count'", ".upper'"))[0])), 2)
            self.assertEqual(server.render("stats.timers.e2e.mv.t.count"), [])
            # etsy 0.9 names a tag value's ':' '=' and its '/' '-'.
            urls = server.render("seriesByTag('name=stats_counts.e2e.mv.url')")
            self.assertEqual([s["target"] for s in urls], ["stats_counts.e2e.mv.url;url=http=--x"])

    def test_find_and_globs(self):
        with Hourglass() as server:
            server.send_statsd("e2e.find.alpha.x:1|c\ne2e.find.beta.x:1|c\ne2e.find.gamma.y:1|c")
            server.wait_for(lambda: total(server, "stats_counts.e2e.find.alpha.x") == 1, what="flush")
            nodes = server.get_json("/metrics/find", query="stats_counts.e2e.find.*")
            self.assertEqual(sorted(n["text"] for n in nodes), ["alpha", "beta", "gamma"])
            self.assertTrue(all(n["expandable"] == 1 and n["leaf"] == 0 for n in nodes))
            leaves = server.get_json("/metrics/find", query="stats_counts.e2e.find.{alpha,gamma}.*")
            self.assertEqual(sorted(n["text"] for n in leaves), ["x", "y"])
            self.assertTrue(all(n["leaf"] == 1 for n in leaves))
            # graphite-web builds each id from the query's parent path, globs included.
            self.assertEqual(sorted(n["id"] for n in leaves),
                             ["stats_counts.e2e.find.{alpha,gamma}.x", "stats_counts.e2e.find.{alpha,gamma}.y"])
            # Grafana posts the query unencoded in a form body.
            status, _ = server.post_form("/metrics/find", "query=stats_counts.e2e.find.*")
            self.assertEqual(status, 200)
            series = server.render("stats_counts.e2e.find.[ab]*.x")
            self.assertEqual(sorted(s["target"] for s in series),
                             ["stats_counts.e2e.find.alpha.x", "stats_counts.e2e.find.beta.x"])
            expanded = server.get_json("/metrics/expand", query="stats_counts.e2e.find.*.y", leavesOnly="1")
            self.assertEqual(expanded["results"], ["stats_counts.e2e.find.gamma.y"])

    def test_grafana_health_check_and_alias_wrapper(self):
        with Hourglass() as server:
            server.send_statsd("e2e.graf.hits:4|c")
            server.wait_for(lambda: total(server, "stats_counts.e2e.graf.hits") == 4, what="flush")
            status, body = server.post_form("/render", "target=constantLine(100)&format=json&from=-5min&until=now")
            self.assertEqual(status, 200, body)
            status, body = server.post_form(
                "/render", 'target=aliasSub(stats_counts.e2e.graf.hits%2C%20%22(%5E.*%24)%22%2C%20%22%5C1%20A%22)'
                "&from=-5min&until=now&format=json&maxDataPoints=500")
            self.assertEqual(status, 200, body)
            import json
            result = json.loads(body)
            self.assertEqual(result[0]["target"], "stats_counts.e2e.graf.hits A")
            self.assertEqual(sum(values(result[0])), 4)

    def test_sigterm_flushes_the_open_window(self):
        with Hourglass(flush_interval="10s") as server:
            # The window is 10 s long: stop well inside it.
            server.send_statsd(*["e2e.stop.hits:1|c"] * 20, "e2e.stop.lat:5|ms")
            server.wait_for(lambda: server.prometheus().get("hourglass_statsd_metrics_received_total", 0) >= 21,
                            what="metrics received")
            self.assertEqual(server.stop(), 0)
            restarted = Hourglass(data_dir=server.data_dir, flush_interval="10s").start()
            try:
                # The partial window is stamped with the boundary that ends it, as a
                # full window would be: it shows once that time has come.
                restarted.wait_for(lambda: total(restarted, "stats_counts.e2e.stop.hits") == 20,
                                   timeout=15, what="the last window's counts after restart")
                self.assertEqual(total(restarted, "stats.timers.e2e.stop.lat.count"), 1)
            finally:
                restarted.stop()

    def test_clean_stop_leaves_no_write_ahead_log(self):
        # A clean stop flushes the store's memtables: the next start has no
        # WAL to replay (it used to keep every point in RocksDB's WAL files).
        with Hourglass() as server:
            now = int(time.time()) // 10 * 10
            send_carbon(server, [f"e2e.wal.s{i % 50} {i} {now - 3000 + (i // 50) * 10}" for i in range(10000)])
            self.assertEqual(server.stop(), 0)
            metrics = os.path.join(server.data_dir, "metrics")
            wal = sum(os.path.getsize(os.path.join(metrics, f)) for f in os.listdir(metrics) if f.endswith(".log"))
            self.assertLessEqual(wal, 4096, "WAL bytes left after a clean stop")
            restarted = Hourglass(data_dir=server.data_dir).start()
            try:
                result = restarted.render("e2e.wal.s7", frm=str(now - 3600), until=str(now))
                self.assertEqual(len(values(result[0])), 200)
            finally:
                restarted.stop()

    def test_kill_9_loses_no_written_point(self):
        # Points of the open hour live in memory (the store's heads) and in
        # its WAL: a kill -9 right after they were written loses none.
        with Hourglass() as server:
            now = int(time.time()) // 10 * 10
            send_carbon(server, [f"e2e.kill.s{i % 20} {i} {now - 1000 + (i // 20) * 10}" for i in range(2000)])
            server.stop(sig=signal.SIGKILL)
            restarted = Hourglass(data_dir=server.data_dir).start()
            try:
                result = restarted.render("e2e.kill.s3", frm=str(now - 1100), until=str(now))
                self.assertEqual(values(result[0]), [float(i) for i in range(3, 2000, 20)])
            finally:
                restarted.stop()

    def test_ipv6_listener(self):
        with Hourglass(statsd_listen="[::1]:0") as server:
            server.send_statsd("e2e.v6.hits:3|c")
            server.wait_for(lambda: total(server, "stats_counts.e2e.v6.hits") == 3, what="IPv6 datagram")

    def test_new_key_gets_in_after_a_junk_burst_goes_idle(self):
        # 3 statsd.* self counters + 1 key in use + 10 places for junk.
        max_keys = 14
        with Hourglass(sets=(f"statsd.max_keys={max_keys}", "statsd.evict_idle_windows=2")) as server:
            server.send_statsd("e2e.keys.live:1|c")
            server.wait_for(lambda: total(server, "stats_counts.e2e.keys.live") == 1, what="key in use")
            server.send_statsd("\n".join(f"e2e.junk.k{i}:1|c" for i in range(max_keys)), "e2e.keys.live:1|c")
            server.wait_for(lambda: server.prometheus().get("hourglass_statsd_unique_keys") == max_keys,
                            what="the key table full of junk")
            self.assertEqual(len(server.get_json("/metrics/find", query="stats_counts.e2e.junk.*")), 10)
            # Idle junk keeps its places (reported as 0) for two 1 s windows,
            # then the new key takes one.
            server.wait_for(lambda: server.send_statsd("e2e.keys.fresh:5|c", "e2e.keys.live:1|c")
                            or total(server, "stats_counts.e2e.keys.fresh") >= 5, what="the new key in /render")
            metrics = server.prometheus()
            self.assertGreaterEqual(metrics.get("hourglass_statsd_keys_evicted_total", 0), 1)
            self.assertGreaterEqual(metrics.get("hourglass_statsd_keys_dropped_total", 0), max_keys - 10)
            self.assertEqual(metrics.get("hourglass_statsd_unique_keys"), max_keys)

    def test_self_metrics(self):
        with Hourglass() as server:
            server.send_statsd("e2e.self.a:1|c", "e2e.self.b:1|c")
            server.wait_for(lambda: server.prometheus().get("hourglass_statsd_packets_received_total", 0) >= 2,
                            what="packets counted")
            server.wait_for(lambda: server.render("hourglass.statsd.packets_received"), what="hourglass.* series")
            health = server.get_json("/health")
            self.assertIn("store", str(health))


if __name__ == "__main__":
    unittest.main()
