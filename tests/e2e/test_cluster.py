"""Hourglass as a graphite-web cluster node, against the real peers.

Two Hourglass nodes get carbon plaintext points sharded between them by
Debian's carbon-c-relay (consistent hash `carbon_ch`); a third holds every
point (sent to it directly). Debian's graphite-web 1.1.8 under gunicorn, with
CLUSTER_SERVERS naming the two nodes, must answer /render (json, plain
targets and functions over series of both shards) and /metrics/find exactly
as the single node does, once with format=pickle and once with
format=msgpack between graphite-web and the nodes.

graphite-web 1.1.8 calls msgpack.unpackb/load(..., encoding='utf-8'), an
argument python3-msgpack 1.0 removed (and its bundled umsgpack fallback
fails on Python 3.11): the settings module below wraps both to drop it.
Needs /usr/bin/python3 with graphite-web, gunicorn, python3-msgpack,
python3-whisper and carbon-c-relay (scripts/deps.sh test_packages).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from harness import Hourglass, split_address

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../bench/graphite_web"))
import compare as graphite_web  # noqa: E402  (bench/graphite_web/compare.py: starts graphite-web)

RELAY = shutil.which("carbon-c-relay") or "/usr/bin/carbon-c-relay"

# Imported by graphite.settings (GRAPHITE_SETTINGS_MODULE) after its defaults.
CLUSTER_SETTINGS = """\
from hg_bench_local_settings import *  # paths in the temp dir (bench/graphite_web/compare.py)
CLUSTER_SERVERS = {servers!r}
REMOTE_EXCLUDE_LOCAL = False  # both nodes are on 127.0.0.1
FIND_CACHE_DURATION = 0
DEFAULT_CACHE_DURATION = 0
REMOTE_RETRY_DELAY = 0.0
TAGDB = 'graphite.tags.base.DummyTagDB'

# graphite-web 1.1.8's remote.py passes encoding='utf-8', gone in msgpack 1.0.
import msgpack as _msgpack
_unpackb, _unpack = _msgpack.unpackb, _msgpack.unpack
def _drop_encoding(fn):
    def call(*args, encoding=None, **kwargs):
        kwargs.setdefault('raw', False)
        return fn(*args, **kwargs)
    return call
_msgpack.unpackb = _drop_encoding(_unpackb)
_msgpack.load = _msgpack.unpack = _drop_encoding(_unpack)
"""

SERIES = [f"clu.h{h}.{m}" for h in range(8) for m in ("cpu", "mem")] + [
    f"clu.tagged;dc={dc};host=h{h}" for dc in ("a", "b") for h in range(3)]
POINTS = 20  # per series, one a second, ending 10 s before the test's `now`


def start_relay(root, nodes):
    """carbon-c-relay in the foreground on a free port, sharding by carbon_ch."""
    conf = os.path.join(root, "relay.conf")
    # carbon_ch hashes the member's host, not its port: name each instance.
    members = "\n".join(f"        {n.addresses['carbon']}={i}" for i, n in enumerate(nodes))
    with open(conf, "w") as f:
        f.write(f"cluster shards\n    carbon_ch\n{members}\n    ;\nmatch * send to shards stop;\n")
    port = graphite_web.free_port()
    log = os.path.join(root, "relay.log")
    proc = subprocess.Popen([RELAY, "-f", conf, "-p", str(port), "-s", "-w", "1", "-l", log],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # It accepts connections before its workers run, and drops what comes
    # in meanwhile: wait for the line that says they do.
    deadline = time.time() + 10
    while time.time() < deadline and proc.poll() is None:
        if "startup sequence complete" in read_text(log):
            return proc, socket.create_connection(("127.0.0.1", port), timeout=5)
        time.sleep(0.05)
    graphite_web.stop(proc)
    raise RuntimeError("carbon-c-relay did not start: " + read_text(log))


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def get_json(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read())


class ClusterNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hourglass-cluster-")
        cls.procs, cls.nodes = [], []
        try:
            cls.start_all(cls.tmp.name)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_all(cls, root):
        for _ in range(3):
            cls.nodes.append(Hourglass().start())
        cls.shards, cls.single = cls.nodes[:2], cls.nodes[2]
        # graphite-web: one instance per wire format (the format is a
        # CLUSTER_SERVERS URL parameter, read by RemoteFinder).
        graphite_web.prepare_graphite_web(root)
        modules = {}
        for fmt in ("pickle", "msgpack"):
            servers = [f"http://{n.addresses['http']}?format={fmt}" for n in cls.shards]
            modules[fmt] = f"hg_cluster_{fmt}"
            with open(os.path.join(root, modules[fmt] + ".py"), "w") as f:
                f.write(CLUSTER_SETTINGS.format(servers=servers))
        relay, relay_sock = start_relay(root, cls.shards)
        cls.procs.append(relay)
        cls.now = int(time.time())
        cls.first = cls.now - 10 - POINTS
        lines = [f"{name} {(i * 7 + k) % 11 + 0.5} {cls.first + k}\n"
                 for i, name in enumerate(SERIES) for k in range(POINTS)]
        with relay_sock:
            relay_sock.sendall("".join(lines).encode())
        with socket.create_connection(split_address(cls.single.addresses["carbon"])) as s:
            s.sendall("".join(lines).encode())
        cls.gw_ports = {}
        for fmt, module in modules.items():
            proc, port = graphite_web.start_graphite_web(root, threads=4, settings_module=module)
            cls.procs.append(proc)
            cls.gw_ports[fmt] = port
        cls.wait_all_points()

    @classmethod
    def wait_all_points(cls):
        """Until the shards together, and the single node, hold every point."""
        def count(node):
            series = node.render("clu.*.*", frm=str(cls.first - 1), until=str(cls.now))
            series += node.render("seriesByTag('name=clu.tagged')", frm=str(cls.first - 1), until=str(cls.now))
            return {s["target"]: sum(v is not None for v, _ in s["datapoints"]) for s in series}
        deadline, per_shard = time.time() + 20, []
        while time.time() < deadline:
            per_shard = [count(n) for n in cls.shards]
            merged = {**per_shard[0], **per_shard[1]}
            if (len(merged) == len(SERIES) and all(v == POINTS for v in merged.values())
                    and count(cls.single) == merged):
                cls.per_shard = per_shard
                return
            time.sleep(0.2)
        raise AssertionError(f"points did not arrive: shards {per_shard}")

    @classmethod
    def tearDownClass(cls):
        for proc in cls.procs:
            graphite_web.stop(proc)
        for node in cls.nodes:
            node.__exit__(None, None, None)  # stops it, removes its data dir
        cls.tmp.cleanup()

    def test_relay_shards_between_the_nodes(self):
        a, b = (set(s) for s in self.per_shard)
        self.assertTrue(a and b, "carbon_ch put every series on one node")
        self.assertFalse(a & b)

    def assert_same(self, path, **params):
        want = get_json(int(split_address(self.single.addresses["http"])[1]), path, **params)
        for fmt, port in self.gw_ports.items():
            with self.subTest(format=fmt, path=path, params=params):
                got = get_json(port, path, **params)
                self.assertEqual(got, want)
        return want

    def test_render_matches_the_single_node(self):
        rng = {"from": str(self.first - 5), "until": str(self.now), "format": "json"}
        for target in ["clu.*.cpu", "clu.h3.mem", "sumSeries(clu.*.*)", "clu.{h1,h1,h2}.*",
                       "averageSeries(clu.h[0-3].cpu)", "clu.nope.*",
                       "seriesByTag('name=clu.tagged', 'dc=a')",
                       "sumSeries(seriesByTag('name=clu.tagged','host=~h[01]'))"]:
            want = self.assert_same("/render", target=target, **rng)
            if target == "sumSeries(clu.*.*)":
                self.assertEqual(sum(v is not None for v, _ in want[0]["datapoints"]), POINTS)
        both = self.assert_same("/render", target=["clu.h0.cpu", "clu.h7.*"], **rng)
        self.assertEqual(len(both), 3)

    def test_find_matches_the_single_node(self):
        for query in ["*", "clu.*", "clu.h1.*", "clu.{h1,h1}.*", "clu.{h1,h1*}", "clu.*.{cpu,cpu}"]:
            want = self.assert_same("/metrics/find", query=query)
            ids = [n["id"] for n in want]
            self.assertEqual(len(ids), len(set(ids)), f"duplicates for {query}: {ids}")
        self.assertEqual(len(self.assert_same("/metrics/find", query="clu.*")), 8)  # tagged: not in the tree

    def test_index_json_matches_the_single_node(self):
        # The front merges each node's /metrics/index.json?local=1.
        index = self.assert_same("/metrics/index.json")
        self.assertEqual(len([n for n in index if n.startswith("clu.")]), 16)


if __name__ == "__main__":
    unittest.main()
