"""Graphite in and out end to end with the real binary: carbon plaintext over
TCP (a socket and netcat, live points and a backfill hours old landing in
the rollups), tagged statsd series found through seriesByTag and the /tags
API, and Grafana's own request shapes replayed against the HTTP API."""
import json
import socket
import subprocess
import time
import unittest
import urllib.parse

from harness import Hourglass, split_address, values

# The finest archive holds 1 h, so a backfill 3 h old can only be read from
# the 1-minute rollups; 1 s steps match the 1 s statsd window of the harness.
RETENTIONS = "store.retentions=1s:1h,1m:1d"


def send_carbon(server, text):
    host, port = split_address(server.addresses["carbon"])
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(text.encode())
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)  # the server closes once it has read everything


def render_points(server, target, frm, until):
    """{timestamp: value} of the one series `target` renders, nulls left out."""
    result = server.render(target, frm=str(frm), until=str(until))
    if not result:
        return {}
    return {t: v for v, t in result[0]["datapoints"] if v is not None}


def grafana_post(server, path, fields):
    """A form POST encoded as Grafana's backend does (encodeURIComponent)."""
    body = "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in fields)
    status, data = server.post_form(path, body)
    if status != 200:
        raise AssertionError(f"POST {path} {body} -> {status}: {data[:300]!r}")
    return json.loads(data)


class CarbonPlaintextTest(unittest.TestCase):
    def test_lines_over_a_socket_and_netcat(self):
        with Hourglass(sets=[RETENTIONS]) as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            self.assertTrue(any("listening carbon tcp 127.0.0.1:" in l for l in server.log_lines))
            now = int(time.time())
            send_carbon(server, f"e2e.carbon.sock 1.5 {now - 20}\ne2e.carbon.sock 2.5 {now - 10}\n"
                                f"e2e.carbon.now 7 -1\n")
            host, port = split_address(server.addresses["carbon"])
            lines = f"e2e.carbon.nc 42 {now - 5}\ne2e.carbon.tagged;host=b;dc=eu 3 {now - 5}\n"
            subprocess.run(["nc", "-N", host, str(port)], input=lines.encode(), check=True, timeout=10)
            server.wait_for(lambda: render_points(server, "e2e.carbon.nc", now - 60, now + 1),
                            what="netcat point")
            self.assertEqual(render_points(server, "e2e.carbon.sock", now - 60, now + 1),
                             {now - 20: 1.5, now - 10: 2.5})
            self.assertEqual(render_points(server, "e2e.carbon.nc", now - 60, now + 1), {now - 5: 42})
            self.assertEqual(list(render_points(server, "e2e.carbon.now", now - 60, now + 5).values()), [7])
            # The tagged name was canonicalized (tags sorted) and is found by tag.
            tagged = server.render("seriesByTag('name=e2e.carbon.tagged','dc=eu')", frm="-1min")
            self.assertEqual([s["target"] for s in tagged], ["e2e.carbon.tagged;dc=eu;host=b"])
            self.assertEqual(values(tagged[0]), [3])
            nodes = server.get_json("/metrics/find", query="e2e.carbon.*")
            self.assertEqual(sorted(n["text"] for n in nodes), ["nc", "now", "sock"])
            metrics = server.prometheus()
            self.assertEqual(metrics["hourglass_carbon_points_written_total"], 5)
            self.assertEqual(metrics["hourglass_carbon_bad_lines_total"], 0)

    def test_backfill_hours_old_lands_in_the_rollups(self):
        with Hourglass(sets=[RETENTIONS]) as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            base = (int(time.time()) - 3 * 3600) // 60 * 60  # a minute boundary, 3 h ago
            lines = []
            for k in range(12):  # two minutes at 10 s: values 1..12
                lines.append(f"e2e.backfill.load {k + 1} {base + 10 * k}")
                lines.append(f"e2e.backfill.requests.count {k + 1} {base + 10 * k}")
                lines.append(f"e2e.backfill.latency.upper {k + 1} {base + 10 * k}")
            send_carbon(server, "\n".join(lines) + "\n")
            server.wait_for(lambda: server.prometheus().get("hourglass_carbon_points_written_total") == 36,
                            what="backfill written")
            frm, until = base - 60, base + 180
            # Older than the finest archive: read from the 1-minute rollup,
            # aggregated by carbon's statsd rules (average, .count sum, .upper max).
            self.assertEqual(render_points(server, "e2e.backfill.load", frm, until),
                             {base: 3.5, base + 60: 9.5})
            self.assertEqual(render_points(server, "e2e.backfill.requests.count", frm, until),
                             {base: 21, base + 60: 57})
            self.assertEqual(render_points(server, "e2e.backfill.latency.upper", frm, until),
                             {base: 6, base + 60: 12})

    def test_retention_schemas_and_aggregation_rules_by_pattern(self):
        # storage-schemas.conf and storage-aggregation.conf as --set TOML.
        schemas = ("store.schemas=[{name = 'coarse', pattern = '^e2e\\.coarse\\.', "
                   "retentions = '1m:1d,1h:30d'}]")
        rules = ("store.aggregation=[{pattern = '\\.peak$', aggregationMethod = 'max', "
                 "xFilesFactor = 0}, {pattern = '.*', aggregationMethod = 'average', "
                 "xFilesFactor = 0}]")
        with Hourglass(sets=[RETENTIONS, schemas, rules]) as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            base = (int(time.time()) - 3 * 3600) // 60 * 60  # 3 h ago: past the 1 h raw archive
            recent = (int(time.time()) - 600) // 60 * 60
            lines = []
            for k in range(6):  # one minute at 10 s: values 1..6
                lines.append(f"e2e.rule.peak {k + 1} {base + 10 * k}")
                lines.append(f"e2e.rule.load {k + 1} {base + 10 * k}")
                lines.append(f"e2e.coarse.load {k + 1} {recent + 10 * k}")
                lines.append(f"e2e.fine.load {k + 1} {recent + 10 * k}")
            send_carbon(server, "\n".join(lines) + "\n")
            server.wait_for(lambda: server.prometheus().get("hourglass_carbon_points_written_total") == 24,
                            what="points written")
            # Aggregation by pattern: .peak is max, the rest average (xFilesFactor 0).
            self.assertEqual(render_points(server, "e2e.rule.peak", base - 60, base + 60), {base: 6})
            self.assertEqual(render_points(server, "e2e.rule.load", base - 60, base + 60), {base: 3.5})
            # The coarse schema's finest step is 1 min: six points share one
            # slot and the last one written stays, as in whisper.
            coarse = server.render("e2e.coarse.load", frm="-30min")
            self.assertEqual(coarse[0]["datapoints"][1][1] - coarse[0]["datapoints"][0][1], 60)
            self.assertEqual(render_points(server, "e2e.coarse.load", recent - 60, recent + 60),
                             {recent: 6})
            fine = render_points(server, "e2e.fine.load", recent - 1, recent + 60)
            self.assertEqual(fine, {recent + 10 * k: k + 1 for k in range(6)})

    def test_bad_lines_are_counted_and_the_rest_kept(self):
        with Hourglass(sets=[RETENTIONS, "carbon.max_line_length=100"]) as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            now = int(time.time())
            send_carbon(server, "\n".join([
                f"e2e.bad.ok 1 {now - 3}",
                "only two",
                f"e2e.bad.x notanumber {now}",
                f"e2e.bad.y 1 yesterday",
                f"e2e.bad.z;=v 1 {now}",
                "x" * 500 + f" 1 {now}",
                f"e2e.bad.ok 2 {now - 2}",
            ]) + "\n")
            server.wait_for(lambda: server.prometheus().get("hourglass_carbon_bad_lines_total") == 5,
                            what="bad lines counted")
            # The io thread counts bad lines; the good ones reach the store
            # on the writer thread (carbon.write_queue_batches), a moment later.
            expected = {now - 3: 1, now - 2: 2}
            server.wait_for(lambda: render_points(server, "e2e.bad.ok", now - 60, now + 1) == expected,
                            what="the good lines stored")
            metrics = server.prometheus()
            self.assertEqual(metrics["hourglass_carbon_lines_received_total"], 7)
            self.assertEqual(metrics["hourglass_carbon_lines_too_long_total"], 1)


class TagsAndGrafanaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Hourglass().start()
        cls.server.send_statsd("api.hits:1|c|#env:prod,region:eu\napi.hits:2|c|#env:dev,region:eu\n"
                               "api.hits:3|c|#region:us,env:prod\nplain.hits:5|c")
        cls.server.wait_for(
            lambda: cls.server.get_json("/tags/findSeries", expr=["name=stats_counts.api.hits", "env=prod"]),
            what="tagged series indexed")
        cls.server.wait_for(lambda: sum(values(cls.server.render("stats_counts.plain.hits")[0])) == 5,
                            what="plain counter")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.__exit__()

    def test_series_by_tag_finds_statsd_tags(self):
        result = self.server.render("seriesByTag('name=stats_counts.api.hits','env=prod')")
        self.assertEqual(sorted(s["target"] for s in result),
                         ["stats_counts.api.hits;env=prod;region=eu", "stats_counts.api.hits;env=prod;region=us"])
        self.assertEqual(sorted(sum(values(s)) for s in result), [1, 3])
        self.assertEqual(result[0]["tags"]["name"], "stats_counts.api.hits")
        grouped = self.server.render("sumSeries(seriesByTag('name=stats_counts.api.hits','region=eu'))")
        self.assertEqual(sum(values(grouped[0])), 3)

    def test_tags_endpoints(self):
        get = self.server.get_json
        self.assertEqual(get("/tags/findSeries", expr=["name=stats_counts.api.hits", "env!=prod"]),
                         ["stats_counts.api.hits;env=dev;region=eu"])
        tags = [t["tag"] for t in get("/tags")]
        self.assertTrue({"env", "region", "name"} <= set(tags), tags)
        env = get("/tags/env")
        self.assertEqual(env["tag"], "env")
        self.assertEqual([v["value"] for v in env["values"]], ["dev", "prod"])
        status, body = self.server.get("/tags/findSeries")
        self.assertEqual((status, json.loads(body)), (400, {"error": "no tag expressions specified"}))

    def test_grafana_tag_autocomplete(self):
        # What Grafana's query editor sends while the user types.
        get = self.server.get_json
        self.assertEqual(get("/tags/autoComplete/tags", expr="name=stats_counts.api.hits"), ["env", "region"])
        self.assertEqual(get("/tags/autoComplete/tags", expr="name=stats_counts.api.hits", tagPrefix="re"),
                         ["region"])
        self.assertIn("env", get("/tags/autoComplete/tags", tagPrefix="e", limit=100))
        self.assertEqual(get("/tags/autoComplete/values", expr=["name=stats_counts.api.hits", "region=eu"],
                             tag="env"), ["dev", "prod"])
        self.assertEqual(get("/tags/autoComplete/values", tag="env", valuePrefix="p"), ["prod"])
        values_ = get("/tags/autoComplete/values", tag="name", valuePrefix="stats_counts.api")
        self.assertEqual(values_, ["stats_counts.api.hits"])

    def test_grafana_health_check(self):
        result = grafana_post(self.server, "/render", [("target", "constantLine(100)"), ("from", "-1h"),
                                                        ("until", "now"), ("format", "json"),
                                                        ("maxDataPoints", 300)])
        self.assertEqual(len(result), 1)
        self.assertEqual(set(values(result[0])), {100})

    def test_grafana_panel_query_wrapped_in_alias_sub(self):
        now = int(time.time())
        fields = [("target", 'aliasSub(stats_counts.plain.hits, "(^.*$)", "\\1 A")'),
                  ("from", time.strftime("%H:%M_%Y%m%d", time.gmtime(now - 600))),
                  ("until", "now"), ("format", "json"), ("maxDataPoints", 1176)]
        result = grafana_post(self.server, "/render", fields)
        self.assertEqual([s["target"] for s in result], ["stats_counts.plain.hits A"])
        self.assertEqual(sum(values(result[0])), 5)
        tagged = grafana_post(self.server, "/render", [
            ("target", "aliasSub(seriesByTag('name=stats_counts.api.hits', 'env=dev'), \"(^.*$)\", \"\\1 B\")"),
            ("from", "-5min"), ("until", "now"), ("format", "json"), ("maxDataPoints", 500)])
        self.assertEqual([s["target"] for s in tagged], ["stats_counts.api.hits;env=dev;region=eu B"])

    def test_grafana_panel_with_issue_13_first_failures(self):
        # removeEmptySeries and countSeries were 400s before graphite-web's
        # other functions were added; a bad percent is still a clear 400.
        fields = [("target", "countSeries(removeEmptySeries(stats_counts.{plain,nope,api}.hits))"),
                  ("from", "-5min"), ("until", "now"), ("format", "json"), ("maxDataPoints", 300)]
        result = grafana_post(self.server, "/render", fields)
        self.assertEqual([s["target"] for s in result], ["countSeries(stats_counts.{plain,nope,api}.hits)"])
        self.assertEqual(set(values(result[0])), {1})
        status, body = self.server.get("/render", target="percentileOfSeries(stats_counts.plain.hits, 0)",
                                       format="json")
        self.assertEqual(status, 400)
        self.assertIn(b"The requested percent is required to be greater than 0", body)
        functions = self.server.get_json("/functions")
        for name in ("removeEmptySeries", "countSeries", "pct", "reduceSeries", "applyByNode"):
            self.assertIn(name, functions)

    def test_grafana_panel_with_moving_median_percentile_and_legend(self):
        # The functions a new user's dashboard failed on first (issue 13).
        fields = [("target", "movingMedian(stats_counts.plain.hits, 3)"),
                  ("target", "nPercentile(stats_counts.plain.hits, 50)"),
                  ("target", 'legendValue(stats_counts.plain.hits, "sum")'),
                  ("target", 'holtWintersForecast(stats_counts.plain.hits, "10min", "2min")'),
                  ("from", "-5min"), ("until", "now"), ("format", "json"), ("maxDataPoints", 500)]
        result = grafana_post(self.server, "/render", fields)
        self.assertEqual([s["target"] for s in result],
                         ["movingMedian(stats_counts.plain.hits,3)",
                          "nPercentile(stats_counts.plain.hits, 50)",
                          "stats_counts.plain.hits (sum: 5.0)",
                          "holtWintersForecast(stats_counts.plain.hits)"])
        self.assertEqual(result[1]["tags"]["nPercentile"], "50.0")
        status, body = self.server.get("/render", target="areaBetween(stats_counts.plain.hits)")
        self.assertEqual(status, 400)
        self.assertIn(b"areaBetween series argument must reference *exactly* 2 series", body)

    def test_grafana_template_variable_find(self):
        # Grafana posts the query unencoded, with the dashboard's time range.
        now = int(time.time())
        status, body = self.server.post_form("/metrics/find", f"query=stats_counts.*&from={now - 3600}&until={now}")
        self.assertEqual(status, 200)
        nodes = json.loads(body)
        texts = {n["text"] for n in nodes}
        self.assertIn("plain", texts)
        plain = next(n for n in nodes if n["text"] == "plain")
        self.assertEqual(plain["id"], "stats_counts.plain")
        self.assertEqual((plain["leaf"], plain["expandable"]), (0, 1))
        status, body = self.server.post_form("/metrics/find", "query=stats_counts.{plain,nope}.*")
        # graphite-web builds ids from the query's own prefix, braces included.
        self.assertEqual([(n["text"], n["id"], n["leaf"]) for n in json.loads(body)],
                         [("hits", "stats_counts.{plain,nope}.hits", 1)])
        # stats.plain.hits and stats_counts.plain.hits: one "hits" node, as
        # graphite-web's tree_json lists a name once (was: one per match).
        self.assertEqual(len(self.server.get_json("/metrics/expand", query="*.plain.hits")["results"]), 2)
        status, body = self.server.post_form("/metrics/find", "query=*.plain.{hits,hits}")
        self.assertEqual([(n["text"], n["id"]) for n in json.loads(body)], [("hits", "*.plain.hits")])

    def test_functions_and_version(self):
        functions = self.server.get_json("/functions")
        for name in ("aliasSub", "seriesByTag", "constantLine", "sumSeries", "groupByNode",
                     "movingMedian", "nPercentile", "holtWintersForecast", "legendValue"):
            self.assertIn(name, functions)
        self.assertEqual(functions["seriesByTag"]["name"], "seriesByTag")
        status, body = self.server.get("/version")
        self.assertEqual(status, 200)
        self.assertRegex(body.decode().strip(), r"^1\.1\.\d+$")


if __name__ == "__main__":
    unittest.main()
