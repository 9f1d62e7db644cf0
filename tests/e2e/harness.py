"""Runs the real hourglass binary for end-to-end tests.

Hourglass(...) starts `hourglass serve` on free ports (port 0) with a temp
data dir, reads the bound addresses from its log, and offers small helpers
to send statsd datagrams and query the HTTP API. Stop it with .stop()
(SIGTERM) and check the exit code.
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BINARY = os.environ.get("HOURGLASS_BIN", os.path.join(os.path.dirname(__file__), "../../build/server/hourglass"))
LISTEN_RE = re.compile(r"listening (\S+) (udp|tcp) (\S+)")

# Every command reads --config, else $HOURGLASS_CONFIG, else
# /etc/hourglass/hourglass.toml: point it at an empty file so a machine's own
# config never changes a test (a test that sets HOURGLASS_CONFIG wins).
_EMPTY_CONFIG = tempfile.NamedTemporaryFile(prefix="hourglass-e2e-", suffix=".toml", delete=False)
_EMPTY_CONFIG.close()
os.environ.setdefault("HOURGLASS_CONFIG", _EMPTY_CONFIG.name)


def run_cli(*args, timeout=30):
    """Runs a hourglass subcommand and returns the CompletedProcess."""
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout)


def split_address(address):
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


class Hourglass:
    def __init__(self, data_dir=None, sets=(), flush_interval="1s", statsd_listen="127.0.0.1:0"):
        self.own_dir = None
        if data_dir is None:
            self.own_dir = tempfile.TemporaryDirectory(prefix="hourglass-e2e-")
            data_dir = self.own_dir.name
        self.data_dir = data_dir
        self.args = [
            BINARY, "serve",
            "--set", f"data_dir={data_dir}",
            "--set", f"statsd.listen={statsd_listen}",
            "--set", "http.listen=127.0.0.1:0",
            "--set", f"statsd.flush_interval={flush_interval}",
        ]
        if flush_interval == "1s":
            # The finest archive's step must match the window, as with carbon.
            self.args += ["--set", "store.retentions=1s:6h,1m:7d,10m:5y"]
        self.args += ["--set", "syslog.listen=127.0.0.1:0"]
        self.args += ["--set", "syslog.udp_listen=127.0.0.1:0"]  # never the fixed 5140
        self.args += ["--set", "carbon.listen=127.0.0.1:0"]
        for item in sets:
            self.args += ["--set", item]
        self.addresses = {}
        self.log_lines = []
        self.proc = None

    def start(self, timeout=20):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def pump():
            for line in self.proc.stderr:
                self.log_lines.append(line.rstrip("\n"))
                match = LISTEN_RE.search(line)
                if match:
                    self.addresses[match.group(1)] = match.group(3)
                if "statsd" in self.addresses and "http" in self.addresses:
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout) or self.proc.poll() is not None:
            if self.proc.poll() is None:  # never leave a half-started server behind
                self.proc.kill()
                self.proc.wait(10)
            raise RuntimeError("hourglass did not start:\n" + "\n".join(self.log_lines))
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()
        if self.own_dir:
            self.own_dir.cleanup()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    # statsd -----------------------------------------------------------------
    def statsd_address(self):
        return split_address(self.addresses["statsd"])

    def send_statsd(self, *datagrams):
        host, port = self.statsd_address()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            for datagram in datagrams:
                if isinstance(datagram, str):
                    datagram = datagram.encode()
                sock.sendto(datagram, (host, port))

    # http -------------------------------------------------------------------
    def url(self, path, **params):
        query = urllib.parse.urlencode(params, doseq=True)
        return f"http://{self.addresses['http']}{path}" + (f"?{query}" if query else "")

    def get(self, path, **params):
        """Returns (status, body bytes)."""
        try:
            with urllib.request.urlopen(self.url(path, **params), timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post_form(self, path, body, content_type="application/x-www-form-urlencoded"):
        request = urllib.request.Request(f"http://{self.addresses['http']}{path}", data=body.encode(),
                                         headers={"Content-Type": content_type}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get_json(self, path, **params):
        status, body = self.get(path, **params)
        if status != 200:
            raise AssertionError(f"GET {path} {params} -> {status}: {body[:300]!r}")
        return json.loads(body)

    def health(self):
        """/health as (status, JSON page): 503 while any component is degraded."""
        status, body = self.get("/health")
        return status, json.loads(body)

    def render(self, target, frm="-5min", until="now", **params):
        return self.get_json("/render", target=target, **{"from": frm, "until": until, "format": "json"}, **params)

    def prometheus(self):
        """The /metrics page as {name: value}."""
        status, body = self.get("/metrics")
        assert status == 200, status
        values = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def metric(self, name):
        """A self-metric by its dotted name as /metrics exposes it
        (hourglass_ + name with '_', counters with _total); None if absent."""
        want = "hourglass_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        values = self.prometheus()
        return values.get(want, values.get(want + "_total"))

    def wait_for(self, predicate, timeout=15, interval=0.2, what="condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out waiting for {what}; last={last!r}\nlog:\n" + "\n".join(self.log_lines[-30:]))


def values(series):
    """Non-null values of one render result entry."""
    return [v for v, _ in series["datapoints"] if v is not None]
