"""The render budget end to end with the real binary: series stored over
carbon, then /render at exactly http.max_points_read and
http.max_points_written (answered in full), one point past each (a 400 naming
the key, counted in http.render_refused), a large answer streamed with
chunked transfer encoding that parses as the points sent, and the server's
peak RSS (VmHWM) for a 20-year render of 200 series and for one of just
under the default budget."""
import http.client
import json
import socket
import time
import unittest

from harness import Hourglass, split_address

MIB = 1024 * 1024


def send_carbon(server, lines):
    host, port = split_address(server.addresses["carbon"])
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(("\n".join(lines) + "\n").encode())
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)  # the server closes once it has read everything


def open_render(server, target, **params):
    """The connection and response of GET /render over HTTP/1.1 (body unread)."""
    host, port = split_address(server.addresses["http"])
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.request("GET", server.url("/render", target=target, **params).split(server.addresses["http"], 1)[1])
    return conn, conn.getresponse()


def get_raw(server, target, **params):
    """(status, headers dict, body bytes) of GET /render."""
    conn, response = open_render(server, target, **params)
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def count_body(server, target, **params):
    """(status, transfer-encoding, byte count, last bytes) without keeping the body."""
    conn, response = open_render(server, target, **params)
    size, tail = 0, b""
    while part := response.read(MIB):
        size += len(part)
        tail = (tail + part)[-16:]
    conn.close()
    return response.status, response.getheader("Transfer-Encoding"), size, tail


def vm_hwm_mib(server):
    with open(f"/proc/{server.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


class RenderBudgetAtTheBoundTest(unittest.TestCase):
    def test_exactly_the_budget_passes_one_more_point_is_refused(self):
        sets = ["http.max_points_read=300", "http.max_points_written=200"]
        with Hourglass(sets=sets) as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            t0 = int(time.time()) - 1200  # 1 s archive: one point per second
            send_carbon(server, [f"e2e.budget.a {k} {t0 + k}" for k in range(1, 302)])

            def render(until, **params):
                return server.get("/render", target="e2e.budget.a", format="json",
                                  **{"from": str(t0), "until": str(t0 + until)}, **params)

            def stored():
                # [] until the carbon writer thread has stored the name.
                status, body = render(200)
                series = json.loads(body) if status == 200 else []
                return bool(series) and series[0]["datapoints"][-1][0] == 200

            server.wait_for(stored, what="the carbon points")
            # 200 points read and written: both within budget, all of them.
            status, body = render(200)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body), [{
                "target": "e2e.budget.a", "tags": {"name": "e2e.budget.a"},
                "datapoints": [[float(k), t0 + k] for k in range(1, 201)]}])
            # 201 points written: one past http.max_points_written.
            status, body = render(201)
            self.assertEqual(status, 400)
            self.assertIn(b"http.max_points_written = 200", body)
            self.assertIn(b"201 datapoints", body)
            # maxDataPoints brings the answer back within it.
            status, body = render(201, maxDataPoints="100")
            self.assertEqual(status, 200, body)
            # 300 points read (150 written): exactly http.max_points_read.
            status, body = render(300, maxDataPoints="150")
            self.assertEqual(status, 200, body)
            points = json.loads(body)[0]["datapoints"]
            self.assertEqual(len(points), 150)
            # Pairs of points averaged (k at t0 + k), stamped as graphite-web
            # nudges them: k - 1 and k give k - 0.5 at t0 + k.
            self.assertEqual([v - (ts - t0) for v, ts in points[:-1]], [-0.5] * 149)
            # 301 points read: refused before reading, whatever maxDataPoints says.
            status, body = render(301, maxDataPoints="150")
            self.assertEqual(status, 400)
            self.assertIn(b"http.max_points_read = 300", body)
            self.assertIn(b"at least 301 points", body)
            # A budget refusal is counted apart from other bad requests.
            self.assertEqual(server.get("/render", target="nope(")[0], 400)
            self.assertEqual(server.prometheus()["hourglass_http_render_refused_total"], 2)


class RenderStreamingTest(unittest.TestCase):
    def test_large_answer_is_chunked_and_parses_as_the_points_sent(self):
        with Hourglass() as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            t0 = (int(time.time()) - 2 * 3600) // 60 * 60
            sent = {}
            lines = []
            for i in range(20):
                for m in range(60):
                    ts, value = t0 + 60 * m + i, i * 1000 + m + 0.25
                    sent[(f"e2e.stream.s{i:02d}", ts)] = value
                    lines.append(f"e2e.stream.s{i:02d} {value} {ts}")
            send_carbon(server, lines)
            params = {"from": str(t0), "until": str(t0 + 3600), "format": "json"}
            server.wait_for(lambda: len(server.get_json("/render", target="e2e.stream.s19", **params)[0]
                                        ["datapoints"]) and
                            sum(1 for v, _ in server.get_json("/render", target="e2e.stream.s19", **params)[0]
                                ["datapoints"] if v is not None) == 60, what="the carbon points")
            status, headers, body = get_raw(server, "e2e.stream.*", **params)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("transfer-encoding"), "chunked")
            self.assertNotIn("content-length", headers)
            self.assertGreater(len(body), 1 * MIB)
            expected = [{"target": name, "tags": {"name": name},
                         "datapoints": [[sent.get((name, ts)), ts] for ts in range(t0 + 1, t0 + 3601)]}
                        for name in sorted({n for n, _ in sent})]
            self.assertEqual(json.loads(body), expected)
            # The same answer as jsonp, csv and raw: streamed, complete.
            status, headers, body = get_raw(server, "e2e.stream.*", **dict(params, jsonp="cb"))
            self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
            self.assertEqual(json.loads(body[3:-1]), expected)
            status, headers, body = get_raw(server, "e2e.stream.*", **dict(params, format="raw"))
            self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
            self.assertEqual(len(body.decode().splitlines()), 20)
            status, headers, body = get_raw(server, "e2e.stream.*", **dict(params, format="csv"))
            self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
            self.assertEqual(len(body.decode().splitlines()), 20 * 3600)
            # A small answer still has a Content-Length.
            status, headers, _ = get_raw(server, "e2e.stream.s00", **params)
            self.assertEqual((status, headers.get("transfer-encoding")), (200, None))


class RenderMemoryTest(unittest.TestCase):
    def test_twenty_years_of_many_series_keeps_rss_bounded(self):
        with Hourglass() as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            now = int(time.time())
            send_carbon(server, [f"e2e.big.s{i:03d} {i} {now - 30}" for i in range(200)])
            server.wait_for(lambda: len(server.get_json("/metrics/find", query="e2e.big.*")) == 200,
                            what="200 series")
            start_mib = vm_hwm_mib(server)
            # 200 series x 262,800 ten-minute points (5 years kept) = 52.6 M points:
            # refused before anything is read (was 946 MB of JSON, 1.4 GB RSS).
            status, body = server.get("/render", target="e2e.big.*", format="json", **{"from": "-20y"})
            self.assertEqual(status, 400)
            self.assertIn(b"at least 52560000 points", body)
            self.assertIn(b"http.max_points_read = 10000000", body)
            refused_mib = vm_hwm_mib(server)
            # 38 series = 9,986,400 points: just within the default budget,
            # served (streamed, about 180 MB of JSON) and read by the client.
            targets = ["e2e.big.s0{0,1,2}*", "e2e.big.s03[0-7]"]
            status, encoding, size, tail = count_body(server, targets, format="json",
                                                      **{"from": "-20y"})
            self.assertEqual((status, encoding), (200, "chunked"))
            self.assertTrue(tail.endswith(b"]]}]"), tail)
            self.assertGreater(size, 150 * MIB)
            served_mib = vm_hwm_mib(server)
            print(f"\nVmHWM: start {start_mib:.0f} MiB, after the refused 200-series render "
                  f"{refused_mib:.0f} MiB, after serving {size / MIB:.0f} MiB of JSON "
                  f"{served_mib:.0f} MiB")
            self.assertLess(refused_mib - start_mib, 16)
            self.assertLess(served_mib, 256)


if __name__ == "__main__":
    unittest.main()
