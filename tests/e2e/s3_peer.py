"""A real S3 for tests: Ceph's RADOS Gateway from Debian packages.

S3Peer().start() builds a throwaway Ceph cluster in a temp dir (one monitor,
one OSD on memstore, authentication off, pools of size 1), starts radosgw on a
free 127.0.0.1 port, creates a user with known keys and a bucket, and returns
itself with .endpoint, .access_key, .secret_key, .bucket and .region. .stop()
ends every daemon by the PID it started (SIGTERM, then SIGKILL) and removes the
temp dir. Start it once per test run: it takes 3-5 s, stopping about 1 s.

Standard library only (Debian's /usr/bin/python3). Command line:
  python3 s3_peer.py        starts the peer, prints its settings as JSON, and
                            runs until SIGTERM/SIGINT (handy for manual tests).
"""
import datetime
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ACCESS_KEY = "HOURGLASSTESTKEY0001"
SECRET_KEY = "hourglass-test-secret-key-0123456789abcdef"
REGION = "us-east-1"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sigv4_headers(method, url, access_key, secret_key, region=REGION, body=b"", headers=None):
    """Minimal SigV4 header signing (path and query used as given) for setup requests."""
    parts = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(body).hexdigest()
    all_headers = {"host": parts.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash}
    for name, value in (headers or {}).items():
        all_headers[name.lower()] = value.strip()
    names = sorted(all_headers)
    query = "&".join(sorted(q if "=" in q else q + "=" for q in parts.query.split("&") if q))
    canonical = "\n".join([method, parts.path or "/", query,
                           "".join(f"{n}:{all_headers[n]}\n" for n in names), ";".join(names), payload_hash])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for item in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, item.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    all_headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                    f"SignedHeaders={';'.join(names)}, Signature={signature}")
    del all_headers["host"]
    return all_headers


class S3Peer:
    def __init__(self, bucket="hourglass-test", access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = REGION
        self.dir = None
        self.procs = []
        self.port = None
        self.endpoint = None
        self._boto3 = None

    # lifecycle ----------------------------------------------------------------
    def start(self, timeout=60):
        self.dir = tempfile.mkdtemp(prefix="hourglass-s3-")
        try:
            deadline = time.monotonic() + timeout
            self._write_conf()
            self._start_mon()
            self._start_osd()
            self._start_rgw(deadline)
            self._run("radosgw-admin", "user", "create", "--uid", "hourglass", "--display-name", "hourglass",
                      "--access-key", self.access_key, "--secret", self.secret_key)
            self.request("PUT", f"/{self.bucket}")
        except BaseException:
            self.stop()
            raise
        return self

    def boto3_client(self):
        """One boto3 S3 client for this peer (made on first use), closed by stop()."""
        if self._boto3 is None:
            import boto3
            self._boto3 = boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region,
                                       aws_access_key_id=self.access_key,
                                       aws_secret_access_key=self.secret_key)
        return self._boto3

    def stop(self):
        if self._boto3 is not None:
            self._boto3.close()
            self._boto3 = None
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):  # the state is throwaway: no need to wait long
            try:
                proc.wait(1)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []
        if self.dir and not os.environ.get("HOURGLASS_KEEP_S3_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop_rgw(self):
        """Stops radosgw only (the cluster and its data stay): S3 is down."""
        for proc in self.procs:
            if proc.args[0] == "radosgw" and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = [p for p in self.procs if p.args[0] != "radosgw"]

    def start_rgw(self, timeout=60):
        """Starts radosgw again on the same port after stop_rgw()."""
        self._start_rgw(time.monotonic() + timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self):
        """Settings as environment variables, as awscli, boto3 and s3_tool read them."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
                "S3_ENDPOINT": self.endpoint, "S3_BUCKET": self.bucket}

    def info(self):
        return {"endpoint": self.endpoint, "bucket": self.bucket, "region": self.region,
                "access_key": self.access_key, "secret_key": self.secret_key, "dir": self.dir}

    def log(self, name):
        """The tail of a daemon's log (mon.a, osd.0, client.rgw), for failure messages."""
        path = os.path.join(self.dir, "log", f"{name}.log")
        try:
            with open(path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # steps ----------------------------------------------------------------------
    def _path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_conf(self):
        self.fsid = str(uuid.uuid4())
        self.mon_port = free_port()
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        for sub in ("mon", "osd", "run", "log", "rgw"):
            os.mkdir(self._path(sub))
        d = self.dir
        conf = f"""[global]
fsid = {self.fsid}
mon host = v1:127.0.0.1:{self.mon_port}
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = {d}/keyring
run dir = {d}/run
admin socket = {d}/run/$name.asok
log file = {d}/log/$name.log
log to stderr = false
err to stderr = true
mon cluster log file = {d}/log/cluster.log
pid file = {d}/run/$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
paxos propose interval = 0.05
mon warn on pool no redundancy = false
[mon]
mon data = {d}/mon/$name
mon initial members = a
[osd]
osd data = {d}/osd/$name
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush update on start = false
osd class update on start = false
osd mon shutdown timeout = 0.5
osd max object name len = 460
osd max object namespace len = 64
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:{self.port}
rgw data = {d}/rgw
rgw dns name = localhost
rgw thread pool size = 32
"""
        with open(self._path("ceph.conf"), "w") as f:
            f.write(conf)
        open(self._path("keyring"), "w").close()

    def _run(self, *args, timeout=30):
        cmd = [args[0], "-c", self._path("ceph.conf"), *args[1:]]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result.stdout

    def _ceph(self, *args, attempts=20):
        """A `ceph` CLI command; retried while the mon cannot answer yet
        (EPERM "problem getting command descriptions", seen under load right
        after it started). The commands used are idempotent: `osd new` with
        the same uuid returns the same id, `osd crush add` again is a no-op."""
        for attempt in range(attempts):
            try:
                return self._run("ceph", *args)
            except RuntimeError as error:
                transient = ("problem getting command descriptions" in str(error) or
                             "error connecting to the cluster" in str(error))
                if not transient or attempt + 1 == attempts:
                    raise
                time.sleep(0.5)

    def _spawn(self, *args):
        cmd = [args[0], "-f", "-c", self._path("ceph.conf"), *args[1:]]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(self._path("log", f"{args[0]}.stderr"), "w"))
        self.procs.append(proc)
        return proc

    def _start_mon(self):
        monmap = self._path("monmap")
        subprocess.run(["monmaptool", "--create", "--fsid", self.fsid, "--addv", "a",
                        f"[v1:127.0.0.1:{self.mon_port}]", monmap], check=True, capture_output=True)
        self._run("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap)
        self._spawn("ceph-mon", "-i", "a")

    def _start_osd(self):
        osd_uuid = str(uuid.uuid4())
        osd_id = self._ceph("osd", "new", osd_uuid).strip()
        os.mkdir(self._path("osd", f"osd.{osd_id}"))
        self._run("ceph-osd", "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self._ceph("osd", "crush", "add", f"osd.{osd_id}", "1.0", "root=default")
        self._spawn("ceph-osd", "-i", osd_id)

    def _start_rgw(self, deadline):
        proc = self._spawn("radosgw", "-n", "client.rgw")
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"radosgw exited with {proc.returncode}:\n{self.log('client.rgw')}")
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=2) as response:
                    response.read()
                return
            except urllib.error.HTTPError:
                return  # any S3 answer means it is serving
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"radosgw did not answer on {self.endpoint}:\n{self.log('client.rgw')}")

    # S3 -------------------------------------------------------------------------
    def request(self, method, path, body=b"", headers=None):
        """A signed request to the peer; returns (status, headers, body). path is URI-encoded."""
        url = self.endpoint + path
        signed = sigv4_headers(method, url, self.access_key, self.secret_key, body=body, headers=headers)
        req = urllib.request.Request(url, data=body if body else None, headers=signed, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


def main():
    peer = S3Peer()
    started = time.monotonic()
    peer.start()
    print(json.dumps({**peer.info(), "start_seconds": round(time.monotonic() - started, 1)}), flush=True)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    try:
        while not done:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    peer.stop()


if __name__ == "__main__":
    main()
