"""format=csv, format=raw and json's noNullPoints/maxDataPoints from the real
binary over points sent by carbon, spelled as graphite-web 1.1.8 spells them
(render/views.py: csv.writer's quoting and CRLF, repr() of floats, None,
infinities as 1e9999 in json). The full comparison with graphite-web's own
renderers is tests/query/render_format_golden_test.cc; this checks the same
bytes come out of the HTTP server."""
import json
import time
import unittest
from datetime import datetime, timezone

from harness import Hourglass
from test_graphite import send_carbon

RETENTIONS = "store.retentions=10s:1h,1m:1d"
VALUES = [0.1, -2.5, 1e16, None, 3.0, 123456789.125]


class RenderFormatsTest(unittest.TestCase):
    def test_csv_raw_and_json_spellings(self):
        with Hourglass(sets=[RETENTIONS]) as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            now = int(time.time())
            first = now - now % 10 - 120
            send_carbon(server, "".join(f"e2e.fmt.a {v!r} {first + 10 * i}\n"
                                        for i, v in enumerate(VALUES) if v is not None))
            frm, until = first - 10, first + 10 * (len(VALUES) - 1)

            def get(target, **params):
                status, body = server.get("/render", target=target, **{"from": frm, "until": until}, **params)
                self.assertEqual(status, 200, body[:300])
                return body.decode()

            server.wait_for(lambda: "123456789.125" in get("e2e.fmt.a", format="raw"), what="points")
            self.assertEqual(get("e2e.fmt.a", format="raw"),
                             f"e2e.fmt.a,{first},{until + 10},10|0.1,-2.5,1e+16,None,3.0,123456789.125\n")
            dates = [datetime.fromtimestamp(first + 10 * i, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                     for i in range(len(VALUES))]
            spelled = ["0.1", "-2.5", "1e+16", "", "3.0", "123456789.125"]
            self.assertEqual(get('alias(e2e.fmt.a, "x,y")', format="csv"),
                             "".join(f'"x,y",{d},{v}\r\n' for d, v in zip(dates, spelled)))
            # Infinities: 1e9999 in json (JSON.parse gives Infinity), kept by noNullPoints.
            body = get("scale(e2e.fmt.a, 1e300)", format="json", noNullPoints="1")
            self.assertIn("[1e9999,", body)
            points = json.loads(body)[0]["datapoints"]
            self.assertEqual([v for v, _ in points],
                             [1e299, -2.5e300, float("inf"), 3e300, 123456789.125e300])
            # maxDataPoints=2 over 6 points: buckets of 3, start nudged as graphite-web does.
            series = json.loads(get("consolidateBy(e2e.fmt.a, \"max\")", format="json", maxDataPoints="2"))
            self.assertEqual(len(series[0]["datapoints"]), 2)


if __name__ == "__main__":
    unittest.main()
