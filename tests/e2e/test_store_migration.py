"""The metric store written by the v1 store (checked in as a fixture) opens
and answers exactly as when it was written.

tests/store/fixtures/make_v1_store.py wrote tests/store/fixtures/v1_store/
(the data_dir/metrics directory) with the v1 code, plus the answers of every
render and find query over it in v1_store_expected.json. This test copies the
store into a temp data_dir, starts hourglass on it with the same config
(v1_store.toml), replays every query and asserts the same answers. It guards
the second store design (issue 11): a data dir of today's release must open.
"""
import json
import os
import shutil
import tempfile
import unittest

import harness

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "store", "fixtures")
STORE = os.path.join(FIXTURES, "v1_store")
CONFIG = os.path.join(FIXTURES, "v1_store.toml")
EXPECTED = os.path.join(FIXTURES, "v1_store_expected.json")


def start_on(data_dir):
    """hourglass serve on data_dir with the fixture's config file (the
    harness's own store.retentions override is left out)."""
    server = harness.Hourglass(data_dir=data_dir, flush_interval="1s")
    args = server.args
    i = args.index("store.retentions=1s:6h,1m:7d,10m:5y")
    del args[i - 1:i + 1]
    args[2:2] = ["--config", CONFIG]
    return server.start()


def answer(server, query):
    """The answer to one recorded query, reduced so it stays small: a render
    keeps each series' target, tags, point count, first and last timestamp
    and its non-null points; a find keeps the JSON as returned, sorted."""
    body = server.get_json(query["path"], **query["params"])
    if query["path"] != "/render":  # order is not part of a find's answer
        return sorted(body, key=lambda node: json.dumps(node, sort_keys=True))
    reduced = []
    for series in body:
        points = series["datapoints"]
        reduced.append({
            "target": series["target"],
            "tags": series.get("tags"),
            "count": len(points),
            "first": points[0][1] if points else None,
            "last": points[-1][1] if points else None,
            "points": [p for p in points if p[0] is not None],
        })
    return reduced


class StoreMigrationTest(unittest.TestCase):
    def test_v1_store_answers_as_recorded(self):
        with open(EXPECTED) as f:
            expected = json.load(f)
        self.assertGreater(len(expected["queries"]), 40)
        with tempfile.TemporaryDirectory(prefix="hourglass-migration-") as data_dir:
            shutil.copytree(STORE, os.path.join(data_dir, "metrics"))
            server = start_on(data_dir)
            try:
                for query in expected["queries"]:
                    with self.subTest(path=query["path"], params=query["params"]):
                        self.assertEqual(answer(server, query), query["answer"])
            finally:
                self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
