"""Graphite events end to end: events posted as graphite-web's docs and
curl-based tools post them, read back with the URLs Grafana's Graphite
annotation query builds (/events/get_data?from=-1h&until=now&tags=a%20b, or
epoch seconds for absolute ranges), drawn by the events() render function,
and still there after a restart. The JSON shapes are graphite-web's (see
tests/query/golden/events.json, computed by Debian's graphite-web)."""
import json
import os
import tempfile
import time
import unittest
import urllib.request

from harness import Hourglass


def raw_get(hg, path_and_query):
    """GET a URL exactly as written (Grafana builds them by concatenation)."""
    url = f"http://{hg.addresses['http']}{path_and_query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def post_event(hg, event, content_type="application/x-www-form-urlencoded"):
    # curl -X POST .../events/ -d '{...}' sends a form content type.
    return hg.post_form("/events/", json.dumps(event), content_type)


class EventsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="hourglass-e2e-events-")
        self.hg = Hourglass(data_dir=self.dir.name, sets=["http.max_event_tags=3"]).start()

    def tearDown(self):
        if self.hg.proc.poll() is None:
            self.hg.stop()
        self.dir.cleanup()

    def grafana_events(self, frm, until, tags=None):
        url = f"/events/get_data?from={frm}&until={until}"
        if tags:
            url += "&tags=" + tags.replace(" ", "%20")
        status, content_type, body = raw_get(self.hg, url)
        self.assertEqual(status, 200, body)
        self.assertEqual(content_type, "application/json")
        return json.loads(body)

    def test_grafana_annotation_requests_get_graphite_web_shapes(self):
        now = int(time.time())
        self.assertEqual(post_event(self.hg, {"what": "deploy web", "tags": ["deploy", "prod"],
                                              "when": now - 600, "data": "v1.2"})[0], 200)
        self.assertEqual(post_event(self.hg, {"what": "deploy db", "tags": "deploy staging",
                                              "when": now - 300})[0], 200)
        self.assertEqual(post_event(self.hg, {"what": "restart", "tags": ["prod"]},
                                    "application/json")[0], 200)  # when: now
        self.assertEqual(post_event(self.hg, {"what": "old", "tags": ["deploy"],
                                              "when": now - 7200})[0], 200)

        got = self.grafana_events("-1h", "now", "deploy")
        self.assertEqual(got, [
            {"when": now - 600, "what": "deploy web", "data": "v1.2", "tags": ["deploy", "prod"], "id": 1},
            {"when": now - 300, "what": "deploy db", "data": "", "tags": ["deploy", "staging"], "id": 2},
        ])
        self.assertEqual(list(got[0].keys()), ["when", "what", "data", "tags", "id"])
        # Several tags, space-separated: all must match.
        self.assertEqual([e["id"] for e in self.grafana_events("-1h", "now", "prod deploy")], [1])
        self.assertEqual([e["id"] for e in self.grafana_events("-1h", "now", "prod")], [1, 3])
        # No tags: every event of the range; Grafana's "-5min"-style offsets.
        self.assertEqual([e["id"] for e in self.grafana_events("-3h", "now")], [4, 1, 2, 3])
        self.assertEqual([e["id"] for e in self.grafana_events("-6min", "now")], [2, 3])
        # Absolute ranges come as epoch seconds (translateTime's date.unix()).
        self.assertEqual([e["id"] for e in self.grafana_events(now - 601, now - 299, "deploy")], [1, 2])
        self.assertEqual(self.grafana_events(now - 599, now - 301), [])
        # Grafana turns e.when into milliseconds and e.what into the title.
        self.assertLessEqual(abs(self.grafana_events("-1min", "now")[0]["when"] - now), 5)

        # jsonp, as graphite-web answers it.
        status, content_type, body = raw_get(self.hg, "/events/get_data?from=-1h&tags=staging&jsonp=cb")
        self.assertEqual((status, content_type), (200, "text/javascript"))
        self.assertTrue(body.startswith(b"cb([{") and body.endswith(b"}])"), body)

        self.assertEqual(self.hg.metric("events.stored"), 4)

    def test_bad_events_are_refused_and_counted(self):
        status, body = post_event(self.hg, {"what": "x", "tags": 7})
        self.assertEqual(status, 400)
        self.assertIn(b'"tags" must be an array or space-separated string', body)
        status, body = post_event(self.hg, {"what": "x", "tags": ["a", "b", "c", "d"]})
        self.assertEqual(status, 400)
        self.assertIn(b"http.max_event_tags", body)
        self.assertEqual(post_event(self.hg, {"what": "x", "tags": ["a", "b", "c"]})[0], 200)
        status, body = self.hg.post_form("/events/", "{not json")
        self.assertEqual(status, 400)
        status, body = self.hg.post_form("/events/", json.dumps({"what": "x" * (70 << 10)}))
        self.assertEqual(status, 413)
        self.assertIn(b"http.max_event_size", body)
        self.assertEqual(self.hg.metric("events.rejected"), 4)
        self.assertEqual(self.hg.metric("events.stored"), 1)
        self.assertEqual(self.hg.health()[0], 200)

    def test_events_function_counts_events_per_second(self):
        now = int(time.time())
        for offset, tags in [(40, ["deploy"]), (40, ["deploy", "prod"]), (20, ["prod"]), (10, ["deploy"])]:
            self.assertEqual(post_event(self.hg, {"what": "e", "tags": tags, "when": now - offset})[0], 200)
        frm, until = now - 60, now - 1
        result = self.hg.render('events("deploy")', frm=str(frm), until=str(until))
        self.assertEqual(len(result), 1)
        self.assertEqual(result[0]["target"], 'events("deploy")')
        points = {ts: v for v, ts in result[0]["datapoints"] if v is not None}
        self.assertEqual(points, {now - 40: 2, now - 10: 1})
        self.assertEqual(len(result[0]["datapoints"]), until - frm)  # one a second
        result = self.hg.render('events("*")', frm=str(frm), until=str(until))
        self.assertEqual(sum(v for v, _ in result[0]["datapoints"] if v), 4)
        result = self.hg.render('events("deploy", "prod")', frm=str(frm), until=str(until))
        self.assertEqual(sum(v for v, _ in result[0]["datapoints"] if v), 1)
        functions = self.hg.get_json("/functions")
        self.assertEqual(functions["events"]["params"],
                         [{"name": "tags", "type": "string", "required": True, "multiple": True}])

    def test_events_survive_a_restart(self):
        now = int(time.time())
        self.assertEqual(post_event(self.hg, {"what": "before", "tags": "deploy", "when": now - 60})[0], 200)
        self.assertEqual(self.hg.stop(), 0)
        self.hg = Hourglass(data_dir=self.dir.name).start()
        self.assertEqual(post_event(self.hg, {"what": "after", "tags": "deploy", "when": now - 30})[0], 200)
        got = self.grafana_events("-10min", "now", "deploy")
        self.assertEqual([(e["id"], e["what"], e["when"]) for e in got],
                         [(1, "before", now - 60), (2, "after", now - 30)])


if __name__ == "__main__":
    unittest.main()
