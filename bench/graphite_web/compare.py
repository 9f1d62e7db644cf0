#!/usr/bin/python3
"""Render and find latency: graphite-web 1.1.8 against Hourglass on the same data.

Fills N series (bench.gGG.sSSS.value, 10 s points over the 24 h ending at the
current UTC hour H, values from the formula of bench/render_bench.cc) into
  - whisper files (10s:6h,1m:7d,10m:5y, average, xFilesFactor 0.3 like
    Hourglass's rule for these names), read by graphite-web 1.1.8 (Debian's
    package) under gunicorn with a settings module of its own in the work dir;
  - `hourglass serve` (temp data_dir, every listener on 127.0.0.1:0) through
    its carbon plaintext listener.
Then times the same requests against both over one keep-alive HTTP
connection each (alternating, after a warm-up), checks that the answers
agree, and prints a table. Run with Debian's /usr/bin/python3 (it needs the
python3-whisper and graphite-web packages). See README.md next to it.
"""
import argparse
import http.client
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import whisper

STEP = 10
HOURS = 24
RETENTIONS = "10s:6h,1m:7d,10m:5y"
ARCHIVES = [(10, 6 * 360), (60, 7 * 1440), (600, 5 * 365 * 144)]  # same as RETENTIONS
# WEEK_SERIES more series (bench.week.sNN.value, same formula, same 10 s step)
# over the WEEK_DAYS days ending at H: holtWintersForecast over a week reads
# two (the week shown and the week before it that bootstraps the model).
WEEK_SERIES = 10
WEEK_DAYS = 15
WEEK_INDEX = 100000  # the formula's series index of bench.week.s00.value
X_FILES_FACTOR = 0.3  # Hourglass's default_average rule (store/aggregation_rules.cc)
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
LISTEN_RE = re.compile(r"listening (\S+) (udp|tcp) (\S+)")


def series_name(i):
    if i >= WEEK_INDEX:
        return f"bench.week.s{i - WEEK_INDEX:02d}.value"
    return f"bench.g{i // 1000:02d}.s{i % 1000:03d}.value"


def hours_of(i):
    """Hours of points of series i, ending at the bench's hour H."""
    return WEEK_DAYS * 24 if i >= WEEK_INDEX else HOURS


def all_series(series):
    """Formula indexes of every filled series: the week ones first."""
    return list(range(WEEK_INDEX, WEEK_INDEX + WEEK_SERIES)) + list(range(series))


def bench_value(i, k):
    """Point k (at start + (k + 1) * STEP) of series i; BenchValue in render_bench.cc."""
    return ((i * 7 + k * 13) % 1000) / 8


def log(message):
    print(message, file=sys.stderr, flush=True)


# Whisper ---------------------------------------------------------------------
def fill_whisper_one(job):
    """Creates and fills one whisper file, an hour at a time.

    carbon-cache writes points as they arrive, so every point lands in the
    10 s archive and reaches the coarser archives by propagation (averages).
    One update_many over the whole day at the real `now` would instead write
    the points older than 6 h straight into the 1 min archive, keeping the
    last 10 s value of each minute; feeding each hour with `now` at its end
    reproduces what carbon would have stored.
    """
    whisper_dir, i, end = job
    hours = hours_of(i)
    start = end - hours * 3600
    path = os.path.join(whisper_dir, *series_name(i).split(".")) + ".wsp"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    whisper.create(path, ARCHIVES, xFilesFactor=X_FILES_FACTOR, aggregationMethod="average", sparse=True)
    per_hour = 3600 // STEP
    for hour in range(hours):
        ks = range(hour * per_hour, (hour + 1) * per_hour)
        points = [(start + (k + 1) * STEP, bench_value(i, k)) for k in ks]
        whisper.update_many(path, points, now=start + (hour + 1) * 3600)


def fill_whisper(whisper_dir, series, end, procs):
    began = time.time()
    jobs = [(whisper_dir, i, end) for i in all_series(series)]
    with multiprocessing.Pool(procs) as pool:
        for done, _ in enumerate(pool.imap_unordered(fill_whisper_one, jobs, chunksize=10), 1):
            if done % 250 == 0:
                log(f"  whisper: {done}/{series} files, {time.time() - began:.0f} s")
    return time.time() - began


# graphite-web ----------------------------------------------------------------
LOCAL_SETTINGS = """\
# graphite-web settings for bench/graphite_web/compare.py: Debian's
# /etc/graphite/local_settings.py with every path moved into the work dir.
SECRET_KEY = 'hourglass-bench'
LOG_ROTATION = False
DEFAULT_XFILES_FACTOR = 0
GRAPHITE_ROOT = '/usr/share/graphite-web'
STATIC_ROOT = '/usr/share/graphite-web/static'
CONF_DIR = {root!r} + '/conf'
STORAGE_DIR = {root!r} + '/storage'
WHISPER_DIR = {root!r} + '/storage/whisper'
LOG_DIR = {root!r} + '/storage/log'
INDEX_FILE = {root!r} + '/storage/index'
DATABASES = {{'default': {{'NAME': {root!r} + '/storage/graphite.db',
                          'ENGINE': 'django.db.backends.sqlite3',
                          'USER': '', 'PASSWORD': '', 'HOST': '', 'PORT': ''}}}}
FUNCTION_PLUGINS = []
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphite_web_env(root, settings_module="hg_bench_local_settings"):
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "graphite.settings",
        "GRAPHITE_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": root,
    })
    return env


def prepare_graphite_web(root):
    for sub in ("conf", "storage/whisper", "storage/log"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    with open(os.path.join(root, "hg_bench_local_settings.py"), "w") as f:
        f.write(LOCAL_SETTINGS.format(root=root))
    done = subprocess.run(["/usr/bin/python3", "-m", "django", "migrate", "--run-syncdb", "-v", "0"],
                          env=graphite_web_env(root), cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("graphite-web's django migrate failed:\n" + done.stderr[-3000:])


def start_graphite_web(root, threads, settings_module="hg_bench_local_settings"):
    """gunicorn on a free port; `settings_module` (in `root`) may extend the bench's."""
    port = free_port()
    args = ["/usr/bin/python3", "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "300",
            "--timeout", "600", "--log-file", os.path.join(root, "gunicorn.log"),
            "graphite.wsgi:application"]
    proc = subprocess.Popen(args, env=graphite_web_env(root, settings_module), cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {root}/gunicorn.log")
        try:
            status, _ = get_once("127.0.0.1", port, "/metrics/find?query=*")
            if status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"graphite-web did not answer; see {root}/gunicorn.log")


# Hourglass -------------------------------------------------------------------
def start_hourglass(binary, data_dir, sets):
    args = [binary, "serve", "--set", f"data_dir={data_dir}", "--set", f"store.retentions={RETENTIONS}"]
    for key in ("statsd", "syslog", "carbon", "http"):
        args += ["--set", f"{key}.listen=127.0.0.1:0"]
    args += ["--set", "archive.seal_on_shutdown=false"]
    defaults = subprocess.run([binary, "config", "defaults"], capture_output=True, text=True).stdout
    if "udp_listen" in defaults:  # never the fixed syslog UDP port (older builds lack the key)
        args += ["--set", "syslog.udp_listen=127.0.0.1:0"]
    for item in sets:
        args += ["--set", item]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    addresses, lines, ready = {}, [], threading.Event()

    def pump():
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            match = LISTEN_RE.search(line)
            if match:
                addresses[match.group(1)] = match.group(3)
            if "carbon" in addresses and "http" in addresses:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(30) or proc.poll() is not None or "http" not in addresses:
        stop(proc)
        raise RuntimeError("hourglass did not start:\n" + "\n".join(lines[-20:]))
    return proc, addresses, lines


def split_address(address):
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def fill_hourglass(carbon_address, series, end):
    """Sends every point as a carbon plaintext line, series after series."""
    began = time.time()
    with socket.create_connection(split_address(carbon_address)) as sock:
        for i in all_series(series):
            name = series_name(i)
            per_series = hours_of(i) * 3600 // STEP
            start = end - hours_of(i) * 3600
            sock.sendall("".join(f"{name} {bench_value(i, k)!r} {start + (k + 1) * STEP}\n"
                                 for k in range(per_series)).encode())
            if (i + 1) % 250 == 0:
                log(f"  carbon: {i + 1}/{series} series sent, {time.time() - began:.0f} s")
    return began


def wait_for_last_point(host, port, series, start, began, timeout=1800):
    """Waits until /render shows the last point of the last series sent."""
    last_k = HOURS * 3600 // STEP - 1
    end = start + (last_k + 1) * STEP
    want = bench_value(series - 1, last_k)
    path = "/render?" + urllib.parse.urlencode(
        {"target": series_name(series - 1), "from": end - 60, "until": end, "format": "json"})
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, body = get_once(host, port, path)
        if status == 200:
            data = json.loads(body)
            if data and [want, end] in data[0]["datapoints"]:
                return time.time() - began
        time.sleep(0.5)
    raise RuntimeError(f"hourglass never showed {series_name(series - 1)} = {want} at {end}")


def tree_cpu(pid):
    """CPU seconds (user + system, all threads) of pid and its descendants."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def wait_until_idle(pid, timeout=300):
    """Waits until pid used under 5% of a core over 2 s (flushes and compactions done)."""
    began = time.time()
    while time.time() < began + timeout:
        before = tree_cpu(pid)
        time.sleep(2)
        if tree_cpu(pid) - before < 0.1:
            break
    else:
        log("  # warning: hourglass still busy; timing anyway")
    return time.time() - began


# HTTP ------------------------------------------------------------------------
def get_once(host, port, path):
    conn = http.client.HTTPConnection(host, port, timeout=600)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Client:
    """One keep-alive connection to the server process `pid`; counts connects
    (more than 1: the server closed the connection)."""

    def __init__(self, host, port, pid):
        self.conn = http.client.HTTPConnection(host, port, timeout=600)
        self.connects = 0
        self.pid = pid

    def get(self, path):
        if self.conn.sock is None:
            self.connects += 1
        t0 = time.perf_counter()
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - t0
        if response.status != 200:
            raise RuntimeError(f"GET {path} -> {response.status}: {body[:300]!r}")
        return elapsed * 1000, body


# Queries and answers ---------------------------------------------------------
def queries(series, end):
    """(label, request path) pairs; absolute from/until so both answers are the same data."""
    def render(target, **extra):
        params = {"target": target, "from": end - HOURS * 3600, "until": end, "format": "json", **extra}
        return "/render?" + urllib.parse.urlencode(params)

    ten = "bench.g00.s00*.value"
    group = "bench.g00.*.value"
    everything = "bench.*.*.value"
    return [
        ("one series, 24 h", render("bench.g00.s000.value")),
        ("glob, 10 series", render(ten)),
        ("sumSeries, 10 series", render(f"sumSeries({ten})")),
        ("sumSeries, 1000 series", render(f"sumSeries({group})")),
        (f"groupByNode, {series} series, mdp=1000",
         render(f'groupByNode({everything},1,"sum")', maxDataPoints=1000)),
        ("summarize 1h sum, 10 series", render(f'summarize({ten},"1h","sum")')),
        ("movingAverage 10, 10 series", render(f"movingAverage({ten},10)")),
        ("aliasByNode 2, 10 series", render(f"aliasByNode({ten},2)")),
        ("percentileOfSeries 95, 1000 series", render(f"percentileOfSeries({group},95)")),
        ("holtWintersForecast, 1 series, 7 d", render(
            "holtWintersForecast(bench.week.s00.value)", **{"from": end - 7 * 86400})),
        ("holtWintersConfidenceBands, 10 series, 7 d", render(
            "holtWintersConfidenceBands(bench.week.*.value)", **{"from": end - 7 * 86400})),
        ("find bench.g00.*", "/metrics/find?" + urllib.parse.urlencode({"query": "bench.g00.*"})),
    ]


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
        return False
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def compare_render(gw, hg):
    """Differences between two render answers, as lines (empty: they agree)."""
    out = []
    if len(gw) != len(hg):
        out.append(f"series: graphite-web {len(gw)}, hourglass {len(hg)}")
    for s_gw, s_hg in zip(gw, hg):
        if s_gw["target"] != s_hg["target"]:
            out.append(f"name: graphite-web {s_gw['target']!r}, hourglass {s_hg['target']!r}")
        p_gw, p_hg = s_gw["datapoints"], s_hg["datapoints"]
        if len(p_gw) != len(p_hg):
            out.append(f"{s_gw['target']}: datapoints graphite-web {len(p_gw)} "
                       f"({p_gw[:1]}..{p_gw[-1:]}), hourglass {len(p_hg)} ({p_hg[:1]}..{p_hg[-1:]})")
            continue
        bad = [(g, h) for g, h in zip(p_gw, p_hg) if g[1] != h[1] or not close(g[0], h[0])]
        if bad:
            sample = ", ".join(f"t={g[1]}: gw {g[0]!r} hg {h[0]!r}" + ("" if g[1] == h[1] else f" (hg t={h[1]})")
                               for g, h in bad[:4])
            out.append(f"{s_gw['target']}: {len(bad)} of {len(p_gw)} points differ: {sample}")
    return out


def compare_find(gw, hg):
    key = lambda node: node.get("id") or node.get("path")
    a = {key(n): n for n in gw}
    b = {key(n): n for n in hg}
    out = []
    if set(a) != set(b):
        out.append(f"nodes: graphite-web {len(a)}, hourglass {len(b)}; only in graphite-web "
                   f"{sorted(set(a) - set(b))[:3]}, only in hourglass {sorted(set(b) - set(a))[:3]}")
    differing = [k for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    if differing:
        k = differing[0]
        out.append(f"{len(differing)} nodes differ, e.g. graphite-web {a[k]} hourglass {b[k]}")
    return out


def compare(path, gw_body, hg_body):
    gw, hg = json.loads(gw_body), json.loads(hg_body)
    return compare_find(gw, hg) if path.startswith("/metrics/find") else compare_render(gw, hg)


class Timing:
    """Latencies of one server for one query, and its CPU time over them."""

    def __init__(self):
        self.ms, self.cpu_s = [], 0.0

    def p(self, percent):
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, len(ordered) * percent // 100)]

    def cpu_ms_per_request(self):
        return self.cpu_s * 1000 / len(self.ms)


def timed(client, path, timing):
    cpu = tree_cpu(client.pid)
    ms, body = client.get(path)
    timing.cpu_s += tree_cpu(client.pid) - cpu
    timing.ms.append(ms)
    return body


def measure(gw, hg, path, warmup, repeat):
    """Alternates the two servers request by request; returns their Timings and last bodies."""
    for _ in range(warmup):
        _, gw_body = gw.get(path)
        _, hg_body = hg.get(path)
    gw_t, hg_t = Timing(), Timing()
    for _ in range(repeat):
        gw_body = timed(gw, path, gw_t)
        hg_body = timed(hg, path, hg_t)
    return gw_t, hg_t, gw_body, hg_body


# Main ------------------------------------------------------------------------
def default_binary():
    for build in ("build-bench", "build"):
        path = os.path.join(REPO, build, "server/hourglass")
        if os.path.exists(path):
            return path
    return os.path.join(REPO, "build/server/hourglass")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000, help="series to fill (default 1000)")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per query and server")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--hourglass", default=os.environ.get("HOURGLASS_BIN") or default_binary(),
                        help="hourglass binary (default: $HOURGLASS_BIN, build-bench/, build/)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra --set for hourglass serve")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads (1 worker)")
    parser.add_argument("--fill-procs", type=int, default=2, help="processes filling whisper files")
    parser.add_argument("--dir", help="work directory (default: a new one under /var/tmp, deleted at "
                        "exit); kept, and reused without filling again when it holds a filled run")
    parser.add_argument("--keep", action="store_true", help="keep the default work directory")
    parser.add_argument("--only", help="regex: run only the queries whose label matches")
    args = parser.parse_args()
    if args.series < 1000 or args.series % 1000:
        parser.error("--series must be a positive multiple of 1000")
    return args


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load_filled(work, series):
    """The hour of a filled run kept in `work`, or None for a new run."""
    meta_path = os.path.join(work, "filled.json")
    if not os.path.exists(meta_path):
        if os.listdir(work):
            sys.exit(f"compare.py: {work} is neither empty nor a filled run")
        return None
    with open(meta_path) as f:
        meta = json.load(f)
    if meta["series"] != series:
        sys.exit(f"compare.py: {work} holds {meta['series']} series, not {series}")
    if meta.get("week_days") != WEEK_DAYS:
        sys.exit(f"compare.py: {work} was filled without the {WEEK_DAYS} days of bench.week.*")
    return meta["end"]


def time_queries(args, gw, hg, end):
    """Times and checks every query; returns the table rows and the mismatches."""
    rows, mismatches = [], []
    for label, path in queries(args.series, end):
        if args.only and not re.search(args.only, label):
            continue
        gw_t, hg_t, gw_body, hg_body = measure(gw, hg, path, args.warmup, args.repeat)
        diffs = compare(path, gw_body, hg_body)
        if diffs:
            mismatches.append((label, path, diffs))
        rows.append((label, gw_t, hg_t, len(hg_body), "MISMATCH" if diffs else "same"))
        log(f"  {label}: graphite-web {gw_t.p(50):.2f} ms, hourglass {hg_t.p(50):.3f} ms")
    return rows, mismatches


def run(args, work):
    filled_end = load_filled(work, args.series)
    now = int(time.time())
    end = filled_end or now - now % 3600
    start = end - HOURS * 3600
    log(f"work dir {work}; {args.series} series at {STEP} s over {start}..{end}; retentions {RETENTIONS}")
    gw_root = os.path.join(work, "graphite")
    if not filled_end:
        prepare_graphite_web(gw_root)
        seconds = fill_whisper(os.path.join(gw_root, "storage/whisper"), args.series, end, args.fill_procs)
        log(f"whisper filled in {seconds:.0f} s")
    procs = []
    try:
        hg_proc, addresses, _ = start_hourglass(args.hourglass, os.path.join(work, "hourglass"), args.set)
        procs.append(hg_proc)
        hg_host, hg_port = split_address(addresses["http"])
        began = time.time() if filled_end else fill_hourglass(addresses["carbon"], args.series, end)
        seconds = wait_for_last_point(hg_host, hg_port, args.series, start, began)
        log(f"hourglass {'reopened' if filled_end else 'filled (carbon plaintext)'} in {seconds:.0f} s")
        seconds = wait_until_idle(hg_proc.pid)
        log(f"hourglass idle after {seconds:.0f} s more")
        with open(os.path.join(work, "filled.json"), "w") as f:
            json.dump({"series": args.series, "end": end, "week_days": WEEK_DAYS}, f)
        gw_proc, gw_port = start_graphite_web(gw_root, args.threads)
        procs.append(gw_proc)
        gw, hg = Client("127.0.0.1", gw_port, gw_proc.pid), Client(hg_host, hg_port, hg_proc.pid)
        rows, mismatches = time_queries(args, gw, hg, end)
        print_report(args, rows, mismatches, gw, hg)
        return 1 if mismatches else 0
    finally:
        for proc in reversed(procs):
            stop(proc)


def print_report(args, rows, mismatches, gw, hg):
    print(f"\n{args.series} series, 10 s over 24 h, retentions {RETENTIONS}; "
          f"{args.repeat} timed requests per query and server after {args.warmup} warm-up, alternating; "
          f"connections opened: graphite-web {gw.connects}, hourglass {hg.connects}\n")
    print("| query | graphite-web p50 ms | p99 ms | CPU ms/req | Hourglass p50 ms | p99 ms | CPU ms/req "
          "| ratio of p50 | body | answers |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, g, h, size, same in rows:
        print(f"| {label} | {g.p(50):.2f} | {g.p(99):.2f} | {g.cpu_ms_per_request():.1f} "
              f"| {h.p(50):.3f} | {h.p(99):.3f} | {h.cpu_ms_per_request():.1f} "
              f"| {g.p(50) / h.p(50):.1f}x | {size / 1000:.0f} kB | {same} |")
    print("\nCPU ms/req: the server's CPU time (all threads and processes, 10 ms ticks) over the timed "
          "requests / their number.")
    for label, path, diffs in mismatches:
        print(f"\nMISMATCH {label}: {path}")
        for line in diffs:
            print(f"  {line}")


def main():
    args = parse_args()
    if not os.path.exists(args.hourglass):
        sys.exit(f"compare.py: no hourglass binary at {args.hourglass} (build it or pass --hourglass)")
    work = os.path.abspath(args.dir) if args.dir else tempfile.mkdtemp(prefix="hg-graphite-web-", dir="/var/tmp")
    os.makedirs(work, exist_ok=True)
    try:
        sys.exit(run(args, work))
    finally:
        if not args.dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif not args.dir:
            log(f"kept {work}")


if __name__ == "__main__":
    main()
