"""Hostile Graphite queries against the real binary (issue 9, items 2 and 7):
glob braces nested 30,000 deep, more brace alternatives than the limit,
unbalanced braces and brackets, the completer's '..', and every render
target in the shared regression inputs. Each gets a clean answer or a clear
400, and the server keeps answering /health."""
import json
import os
import unittest
import urllib.parse

from harness import Hourglass
from test_graphite import send_carbon

# A copy of the shared regression inputs (../shared/repro/render at 513c144).
REPRO_DIR = os.environ.get("HOURGLASS_REPRO_DIR",
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_targets"))


def form(**fields):
    return urllib.parse.urlencode(fields)


def group(prefix, n, first=None):
    """'{first,p1,...}' with n alternatives ('{p0,...}' without `first`)."""
    items = [first] if first is not None else []
    items += [f"{prefix}{i}" for i in range(len(items), n)]
    return "{" + ",".join(items) + "}"


class HostileQueryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Hourglass().start()
        send_carbon(cls.server, "hostile.c 1 -1\nhostile.aaaaaaaaaaaa 2 -1\n")
        cls.server.wait_for(lambda: cls.server.get_json("/metrics/find", query="hostile.*"),
                            what="carbon names indexed")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.own_dir.cleanup()

    def assert_alive(self):
        self.assertIsNone(self.server.proc.poll(), "server exited")
        status, _ = self.server.get("/health")
        self.assertEqual(status, 200)

    def find(self, query, **extra):
        return self.server.post_form("/metrics/find", form(query=query, **extra))

    def test_braces_30000_deep_get_a_400_and_the_server_lives(self):
        deep = "{" * 30000 + "a,b" + "}" * 30000  # crashed the server (stack overflow)
        status, body = self.find(deep)
        self.assertEqual(status, 400, body[:200])
        self.assertIn(b"longer than 16384", body)
        self.assert_alive()
        # As deep as the length bound allows: a correct (empty) answer.
        status, body = self.find("hostile." + "{" * 8000 + "c,d" + "}" * 8000)
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(json.loads(body), [])
        self.assert_alive()

    def test_alternatives_at_the_limit_answer_and_past_it_are_a_400(self):
        # 2^12 = 4,096 alternatives hold hostile.aaaaaaaaaaaa: found.
        status, body = self.find("hostile." + "{a,b}" * 12)
        self.assertEqual(status, 200, body[:200])
        self.assertEqual([n["id"] for n in json.loads(body)], ["hostile.aaaaaaaaaaaa"])
        # 16 x 256 = 4,096 with hostile.c among them; 17 x 241 = 4,097 refused
        # (before, the alternatives past 4,096 were dropped without a word).
        at_limit = "hostile." + group("x", 16, first="c") + group("y", 256, first="")
        past_limit = "hostile." + group("x", 17, first="c") + group("y", 241, first="")
        status, body = self.find(at_limit)
        self.assertEqual(status, 200, body[:200])
        self.assertEqual([n["id"] for n in json.loads(body)], ["hostile.c"])
        for path, fields in (("/metrics/find", {"query": past_limit}),
                             ("/metrics/expand", {"query": past_limit}),
                             ("/render", {"target": past_limit, "format": "json"}),
                             ("/render", {"target": f"sumSeries({past_limit})"})):
            with self.subTest(path=path, fields=list(fields)):
                status, body = self.server.post_form(path, form(**fields))
                self.assertEqual(status, 400, body[:200])
                self.assertIn(b"more than 4096 alternatives", body)
        status, body = self.server.post_form("/render", form(target=at_limit, format="json"))
        self.assertEqual(status, 200, body[:200])
        self.assertEqual([s["target"] for s in json.loads(body)], ["hostile.c"])
        self.assert_alive()

    def test_wildcard_alternatives_at_the_byte_bound_answer_and_past_it_are_a_400(self):
        # 4,096 wildcard alternatives of 32 bytes (128 KiB) hold
        # hostile.aaaaaaaaaaaa; of 33 bytes they are refused: each is matched
        # against every name, so they bound the work of one find.
        status, body = self.find("hostile." + "{a,b}" * 12 + "*" * 20)
        self.assertEqual(status, 200, body[:200])
        self.assertEqual([n["id"] for n in json.loads(body)], ["hostile.aaaaaaaaaaaa"])
        status, body = self.find("hostile." + "{a,b}" * 12 + "*" * 21)
        self.assertEqual(status, 400, body[:200])
        self.assertIn(b"more than 131072 bytes of wildcard alternatives", body)
        self.assert_alive()

    def test_unbalanced_braces_brackets_and_dots_answer(self):
        # Each was quadratic in the pattern (100,000 '{' took many seconds).
        for query in ("{" * 100000, "*[" * 50000):
            status, body = self.find(query)
            self.assertEqual(status, 400, body[:200])
        for query in ("hostile." + "{" * 16000, "hostile." + "*[" * 8000, "*" + "[" * 16000):
            with self.subTest(query=query[:20]):
                status, body = self.find(query)
                self.assertEqual(status, 200, body[:200])
                self.assertEqual(json.loads(body), [])
        # The completer rewrites '..' as graphite-web does, in one pass.
        status, body = self.find("hostile..", format="completer")  # "hostile*.*"
        self.assertEqual(status, 200, body[:200])
        self.assertEqual([m["path"] for m in json.loads(body)["metrics"]],
                         ["hostile.aaaaaaaaaaaa", "hostile.c"])
        status, body = self.find("hostile...", format="completer")  # "hostile*..*"
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(json.loads(body), {"metrics": []})
        status, body = self.find("." * 16000, format="completer")
        self.assertEqual(status, 200, body[:200])
        status, body = self.find("." * 100000, format="completer")
        self.assertEqual(status, 400, body[:200])
        self.assert_alive()


class RegressionRenderTargetsTest(unittest.TestCase):
    """Every render target in the shared regression inputs gets a 200 with
    JSON or a 400 with a message, and the server stays up after each."""

    def test_every_regression_target(self):
        files = sorted(f for f in os.listdir(REPRO_DIR) if f.endswith(".txt"))
        self.assertTrue(files, f"no regression inputs in {REPRO_DIR}")
        for name in files:
            with open(os.path.join(REPRO_DIR, name), encoding="utf-8") as f:
                target = f.read().strip()
            # A server each, so a stall or crash on one input hides no other.
            with self.subTest(file=name), Hourglass() as server:
                try:
                    try:
                        status, body = server.post_form("/render", form(target=target, format="json"))
                    except OSError as error:  # connection reset or timed out
                        self.fail(f"{name}: no answer: {error}")
                    self.assertIn(status, (200, 400), body[:300])
                    if status == 200:
                        self.assertIsInstance(json.loads(body), list)
                    else:
                        self.assertTrue(body.strip(), "a 400 without a message")
                    self.assertIsNone(server.proc.poll(), f"{name}: server exited")
                    self.assertEqual(server.get("/health")[0], 200)
                finally:
                    if server.proc.poll() is None:  # a stalled server may not stop on SIGTERM
                        server.proc.kill()
                        server.proc.wait(10)

if __name__ == "__main__":
    unittest.main()
