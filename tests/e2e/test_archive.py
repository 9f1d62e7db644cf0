"""The audit archive end to end: `hourglass serve` seals hours and uploads
them (local file:// archive and a real S3, Ceph RGW), `hourglass archive`
and the /archive HTTP route read them back. Read-back by awscli
(/usr/bin/aws), boto3, zcat and zstd; S3 stopped mid-run; kill -9 during a
multipart upload; presigned URLs with curl; a wrong secret.

Past hours are made by writing audit files with their .complete marker
before (or while) the server runs, as the audit writer leaves them."""
import glob
import gzip
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import Hourglass, run_cli, split_address
import s3_peer

HOST = "e2e-host"
PEER = None


def hour_stamp(t):
    return time.strftime("%Y%m%dT%H00Z", time.gmtime(t))


def hour_arg(t):
    return time.strftime("%Y-%m-%dT%H", time.gmtime(t))


def day_path(t):
    return time.strftime("%Y/%m/%d", time.gmtime(t))


def write_past_hour(data_dir, t, data, segment=1):
    """An audit file of the hour of t, marked complete as the writer does."""
    audit = os.path.join(data_dir, "audit")
    os.makedirs(audit, exist_ok=True)
    name = f"audit-{hour_stamp(t)}" + (f"-{segment}" if segment > 1 else "") + ".log"
    with open(os.path.join(audit, name), "wb") as f:
        f.write(data)
    marker = {"file": name, "hour": hour_stamp(t), "segment": segment, "bytes": len(data),
              "lines": data.count(b"\n"), "completed": "2026-01-01T00:00:00.000000Z"}
    with open(os.path.join(audit, name + ".complete"), "w") as f:
        f.write(json.dumps(marker) + "\n")
    return name


def send_syslog(hg, lines):
    hg.wait_for(lambda: "syslog" in hg.addresses, what="syslog address")
    with socket.create_connection(split_address(hg.addresses["syslog"])) as sock:
        for line in lines:
            sock.sendall(f"<13>{line}\n".encode())


def audit_text(data_dir):
    def order(path):  # by hour, then segment: audit-H.log before audit-H-2.log
        name = os.path.basename(path)[:-len(".log")]
        stamp, _, segment = name[len("audit-"):].partition("-")
        return stamp, int(segment or 1)
    out = b""
    for path in sorted(glob.glob(os.path.join(data_dir, "audit", "*.log")), key=order):
        with open(path, "rb") as f:
            out += f.read()
    return out


def archive_cli(data_dir, *args, env=None, sets=()):
    cmd = ["archive", *args, "--set", f"data_dir={data_dir}", "--set", f"archive.host={HOST}"]
    for item in sets:
        cmd += ["--set", item]
    if env is None:
        return run_cli(*cmd)
    import harness
    return subprocess.run([harness.BINARY, *cmd], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def metric(hg, name):
    value = hg.metric(name)
    if value is not None:
        return value
    raise AssertionError(f"no metric {name}")


class LocalArchiveTest(unittest.TestCase):
    """The default target, file://data_dir/archive."""

    def test_shutdown_seals_restart_writes_segment_2_and_cli_reads_back(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-arch-") as data_dir:
            token = uuid.uuid4().hex[:8]
            sets = [f"archive.host={HOST}"]
            first = [f"first-{token}-{i}" for i in range(20)]
            hg = Hourglass(data_dir=data_dir, sets=sets).start()
            send_syslog(hg, first)
            hg.wait_for(lambda: audit_text(data_dir).count(token.encode()) == 20, what="lines")
            self.assertEqual(hg.stop(), 0)
            now = time.time()
            key1 = f"{day_path(now)}/{HOST}-audit-{hour_stamp(now)}.log.gz"
            archived = os.path.join(data_dir, "archive", key1)
            self.assertTrue(os.path.exists(archived), os.listdir(data_dir))
            with gzip.open(archived) as f:  # what zcat reads
                self.assertEqual(f.read().count(token.encode()), 20)
            zcat = subprocess.run(["zcat", archived], capture_output=True, check=True)
            self.assertEqual(zcat.stdout.count(token.encode()), 20)

            second = [f"second-{token}-{i}" for i in range(5)]
            with Hourglass(data_dir=data_dir, sets=sets) as hg:
                send_syslog(hg, second)
                hg.wait_for(lambda: audit_text(data_dir).count(b"second-" + token.encode()) == 5,
                            what="second lines")
                status, body = hg.get("/archive/hours", **{"from": "-2h", "until": "now"})
                self.assertEqual(status, 200, body)
                self.assertIn(key1, [h["key"] for h in json.loads(body)])
                status, body = hg.get("/archive/cat", **{"from": "-2h", "until": "now",
                                                         "grep": f"first-{token}-1"})
                self.assertEqual(status, 200, body)
                self.assertEqual(body.count(b"\n"), 11)  # -1, -10 .. -19
                self.assertEqual(hg.stop(), 0)
            key2 = key1.replace(".log.gz", "-2.log.gz")
            self.assertTrue(os.path.exists(os.path.join(data_dir, "archive", key2)))

            ls = archive_cli(data_dir, "ls", "--from", "-2h")
            self.assertEqual(ls.returncode, 0, ls.stderr)
            rows = [line.split() for line in ls.stdout.splitlines()]
            self.assertEqual([r[0] for r in rows], [key1, key2])
            self.assertEqual([int(r[2]) for r in rows], [20, 5])
            with open(archived, "rb") as f:
                self.assertEqual(rows[0][3], hashlib.sha256(f.read()).hexdigest())
            out = os.path.join(data_dir, "hour.log")
            got = archive_cli(data_dir, "get", hour_arg(now), "-o", out)
            self.assertEqual(got.returncode, 0, got.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), audit_text(data_dir))  # both segments, in order
            cat = archive_cli(data_dir, "cat", "--from", "-1h", "--until", "now", "--grep", "second-")
            self.assertEqual(cat.stdout.count(token), 5, cat.stderr)
            missing = archive_cli(data_dir, "get", "2001-01-01T00")
            self.assertEqual(missing.returncode, 1)
            self.assertIn("no archived segment", missing.stderr)
            self.assertEqual(archive_cli(data_dir, "cat", "--from", "-1h").returncode, 2)
            self.assertEqual(archive_cli(data_dir, "get", "yesterday").returncode, 2)

            # A damaged archived copy is refused, loudly.
            with open(archived, "ab") as f:
                f.write(b"junk")
            bad = archive_cli(data_dir, "get", hour_arg(now), "-o", out + "2")
            self.assertEqual(bad.returncode, 1)
            self.assertFalse(os.path.exists(out + "2"))


def archive_lines(data_dir, sets=(), env=None):
    """Every archived line of the last two hours and the next, via `archive cat`."""
    until = str(int(time.time()) + 7200)
    cat = archive_cli(data_dir, "cat", "--from", "-2h", "--until", until, sets=sets, env=env)
    assert cat.returncode == 0, cat.stderr
    return cat.stdout


def parts_rows(data_dir, sets=(), env=None):
    """`archive ls` rows of hours shipped in parts: [glob, bytes, lines, "parts=N"]."""
    ls = archive_cli(data_dir, "ls", "--from", "-2h", sets=sets, env=env)
    assert ls.returncode == 0, ls.stderr
    return [r.split() for r in ls.stdout.splitlines() if r.split()[-1].startswith("parts=")]


def outside_an_hour_boundary(margin=45):
    """Sleeps past the next UTC hour if it is less than `margin` s away: these
    tests follow one open hour's parts, and a roll-over mid-test seals it
    (CI once started one 2 s before the hour)."""
    left = 3600 - time.time() % 3600
    if left < margin:
        time.sleep(left + 1)


class ShipIntervalTest(unittest.TestCase):
    """archive.ship_interval: the open hour goes out in parts (local target)."""

    def setUp(self):
        outside_an_hour_boundary()

    def test_parts_ship_while_the_hour_is_open_and_survive_kill_9_once_each(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-ship-") as data_dir:
            token = uuid.uuid4().hex[:8]
            sets = [f"archive.host={HOST}", "archive.ship_interval=1s"]
            first = [f"first-{token}-{i}." for i in range(50)]
            hg = Hourglass(data_dir=data_dir, sets=sets).start()
            send_syslog(hg, first)
            # In the archive within the interval (plus a scan), the hour still open.
            hg.wait_for(lambda: archive_lines(data_dir).count(f"first-{token}-") == 50,
                        timeout=20, what="the first lines in the archive")
            self.assertFalse(glob.glob(os.path.join(data_dir, "audit", "*.complete")))
            # The counter follows the store's answer: the object can be read a moment before.
            hg.wait_for(lambda: metric(hg, "archive.uploaded_parts") >= 1, what="uploaded_parts")
            hg.wait_for(lambda: metric(hg, "archive.oldest_unshipped_seconds") == 0,
                        what="nothing left unshipped")
            self.assertIn("parts", hg.health()[1]["components"]["archive"]["detail"])

            # Lines in flight, then kill -9 mid-stream.
            stop = [False]
            sent = []
            def flood():
                try:
                    with socket.create_connection(split_address(hg.addresses["syslog"])) as sock:
                        i = 0
                        while not stop[0]:
                            sock.sendall(f"<13>flood-{token}-{i}\n".encode())
                            sent.append(i)
                            i += 1
                            if i % 200 == 0:
                                time.sleep(0.01)
                except OSError:
                    pass
            import threading
            sender = threading.Thread(target=flood)
            sender.start()
            hg.wait_for(lambda: audit_text(data_dir).count(b"flood-") > 2000, timeout=30,
                        what="flood lines written")
            time.sleep(1.5)  # a part or two of the flood ships
            hg.proc.kill()
            hg.proc.wait()
            stop[0] = True
            sender.join()

            hg = Hourglass(data_dir=data_dir, sets=sets).start()
            last = [f"last-{token}-{i}." for i in range(30)]
            send_syslog(hg, last)
            hg.wait_for(lambda: archive_lines(data_dir).count(f"last-{token}-") == 30,
                        timeout=20, what="the lines after the restart")
            self.assertEqual(hg.stop(), 0)

            archived = archive_lines(data_dir)
            written = audit_text(data_dir).decode()
            # Nothing lost, nothing twice, in order: the archive is the audit files.
            self.assertEqual(archived, written)
            lines = archived.splitlines()
            self.assertEqual(len(lines), len(set(lines)), "a line was archived twice")
            for want in first + last:
                self.assertEqual(sum(want in line for line in lines), 1, want)
            flood = [line for line in lines if f"flood-{token}-" in line]
            self.assertGreater(len(flood), 2000)
            rows = parts_rows(data_dir)
            self.assertTrue(rows, "no hour in parts")
            self.assertEqual(sum(int(r[2]) for r in rows), len(lines))
            self.assertTrue(all(int(r[3][len("parts="):]) >= 2 for r in rows), rows)
            self.assertFalse(glob.glob(os.path.join(data_dir, "archive", "**", "*.log.gz"),
                                       recursive=True), "an hour in parts was also shipped whole")

    def test_sigterm_ships_the_rest_at_once_as_the_last_part(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-ship-") as data_dir:
            token = uuid.uuid4().hex[:8]
            sets = [f"archive.host={HOST}", "archive.ship_interval=3s"]
            with Hourglass(data_dir=data_dir, sets=sets) as hg:
                send_syslog(hg, [f"early-{token}-{i}" for i in range(10)])
                hg.wait_for(lambda: archive_lines(data_dir).count(token) == 10, timeout=20,
                            what="the first part")
                parts_before = metric(hg, "archive.uploaded_parts")
                send_syslog(hg, [f"late-{token}-{i}" for i in range(10)])
                hg.wait_for(lambda: audit_text(data_dir).count(b"late-") == 10, what="late lines")
                self.assertNotIn("late-", archive_lines(data_dir))  # not an interval old yet
                self.assertEqual(hg.stop(), 0)
            self.assertEqual(archive_lines(data_dir).count(f"late-{token}-"), 10)
            self.assertEqual(archive_lines(data_dir), audit_text(data_dir).decode())
            rows = parts_rows(data_dir)
            self.assertEqual(len(rows), 1, rows)
            self.assertEqual(rows[0][2], "20")
            self.assertEqual(rows[0][3], f"parts={int(parts_before) + 1}")
            hour = time.strftime("%Y-%m-%dT%H", time.gmtime(os.path.getmtime(
                glob.glob(os.path.join(data_dir, "audit", "*.log"))[0])))
            got = archive_cli(data_dir, "get", hour)
            self.assertEqual(got.returncode, 0, got.stderr)
            self.assertEqual(got.stdout, audit_text(data_dir).decode())

    def test_archive_hours_lists_an_hour_in_parts_once_like_archive_ls(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-ship-") as data_dir:
            token = uuid.uuid4().hex[:8]
            sets = [f"archive.host={HOST}", "archive.ship_interval=1s"]
            with Hourglass(data_dir=data_dir, sets=sets) as hg:
                for batch, count in (("a", 10), ("b", 5)):  # two parts, one after the other
                    send_syslog(hg, [f"{batch}-{token}-{i}" for i in range(count)])
                    hg.wait_for(lambda: archive_lines(data_dir).count(f"{batch}-{token}-") == count,
                                timeout=20, what=f"part of batch {batch}")
                hours = hg.get_json("/archive/hours", **{"from": "-2h"})
                rows = parts_rows(data_dir)
                self.assertEqual(hg.stop(), 0)
            self.assertEqual(len(hours), 1, hours)  # one entry, not one per part
            entry = hours[0]
            self.assertEqual(len(rows), 1, rows)
            glob_key, size, lines, parts = rows[0]
            self.assertTrue(glob_key.endswith(".log.part-*.gz"), glob_key)
            self.assertEqual((entry["key"], entry["size"], entry["lines"], entry["parts"]),
                             (glob_key, int(size), int(lines), int(parts[len("parts="):])))
            self.assertEqual(entry["lines"], 15)
            self.assertGreaterEqual(entry["parts"], 2)
            self.assertEqual((entry["host"], entry["segment"], entry["sha256"]), (HOST, 1, ""))
            objects = entry["objects"]
            self.assertEqual(len(objects), entry["parts"])
            self.assertEqual([o["key"] for o in objects], sorted(o["key"] for o in objects))
            for o in objects:  # each part is a real object, named and hashed as stored
                with open(os.path.join(data_dir, "archive", o["key"]), "rb") as f:
                    body = f.read()
                self.assertEqual((o["size"], o["sha256"]), (len(body), hashlib.sha256(body).hexdigest()))
            self.assertEqual(sum(o["size"] for o in objects), entry["size"])
            self.assertEqual(sum(o["lines"] for o in objects), entry["lines"])
            # presign GET of the hour: one URL per part, in order.
            urls = archive_cli(data_dir, "presign", entry["hour"])
            self.assertEqual(urls.returncode, 0, urls.stderr)
            self.assertEqual(urls.stdout.split(),
                             ["file://" + os.path.join(data_dir, "archive", o["key"]) for o in objects])

    def test_zero_keeps_hour_at_a_time(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-ship-") as data_dir:
            sets = [f"archive.host={HOST}", "archive.ship_interval=0"]
            with Hourglass(data_dir=data_dir, sets=sets) as hg:
                send_syslog(hg, ["whole-1", "whole-2"])
                hg.wait_for(lambda: audit_text(data_dir).count(b"whole-") == 2, what="lines")
                time.sleep(2.5)  # several scans: nothing ships before the hour ends
                self.assertEqual(metric(hg, "archive.uploaded_files"), 0)
                self.assertGreaterEqual(metric(hg, "archive.oldest_unshipped_seconds"), 1)
                self.assertEqual(hg.stop(), 0)
            self.assertEqual(parts_rows(data_dir), [])
            self.assertEqual(archive_lines(data_dir).count("whole-"), 2)


class PresignPutTest(unittest.TestCase):
    """`archive presign --put`: an operator's upload of a whole past hour."""

    def test_put_only_for_a_past_hour_with_nothing_archived_under_the_whole_hour_key(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-put-") as data_dir:
            os.makedirs(os.path.join(data_dir, "archive"))
            now = time.time()
            for t in (now - 3 * 3600, now - 3600):  # the hour just over is the latest allowed
                put = archive_cli(data_dir, "presign", hour_arg(t), "--put")
                self.assertEqual(put.returncode, 0, put.stderr)
                key = f"{day_path(t)}/{HOST}-audit-{hour_stamp(t)}.log.gz"  # never a .part- name
                self.assertEqual(put.stdout.split(),
                                 ["file://" + os.path.join(data_dir, "archive", key)])
            # The operator uploads the hour there: it is that hour's whole segment 1. Sent
            # without hourglass's checksum metadata, get/cat refuse it as unverifiable.
            t = now - 3 * 3600
            put_path = archive_cli(data_dir, "presign", hour_arg(t), "--put").stdout.strip()
            path = put_path[len("file://"):]
            os.makedirs(os.path.dirname(path))
            with open(path, "wb") as f:
                f.write(gzip.compress(b"recovered line\n"))
            ls = archive_cli(data_dir, "ls", "--from", "-4h")
            key = f"{day_path(t)}/{HOST}-audit-{hour_stamp(t)}.log.gz"
            self.assertEqual(ls.stdout.split("\n")[0].split()[0::3], [key, "-"])
            got = archive_cli(data_dir, "get", hour_arg(t))
            self.assertEqual(got.returncode, 1)
            self.assertIn("cannot verify it", got.stderr)
            # Archived now: never overwritten.
            again = archive_cli(data_dir, "presign", hour_arg(t), "--put")
            self.assertEqual((again.returncode, again.stdout), (1, ""))
            self.assertIn("already archived", again.stderr)
            # The open hour is the server's to ship (in parts).
            current = archive_cli(data_dir, "presign", hour_arg(now + 60), "--put")
            self.assertEqual((current.returncode, current.stdout), (1, ""))
            self.assertIn("not over", current.stderr)


class ArchiveCommandLineTest(unittest.TestCase):
    def test_help_usage_errors_and_config_check(self):
        result = run_cli("archive", "presign", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("HOUR [--expires 1h] [--put]", result.stdout)
        self.assertIn("20261121T0500Z", result.stdout)
        for args in (("archive", "get"), ("archive", "ls", "--bogus"), ("archive", "cat", "--grep"),
                     ("archive", "ls", "--set", "archive.key_template={host}/{nope}")):
            result = run_cli(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        bad = run_cli("archive", "ls", "--set", "archive.key_template={host}/{year}")
        self.assertIn("archive.key_template must contain {filename}", bad.stderr)
        with tempfile.TemporaryDirectory() as d:
            bad_s3 = archive_cli(d, "ls", env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                                               "HOME": d},
                                 sets=["archive.target=s3://some-bucket/x"])
            self.assertEqual(bad_s3.returncode, 1)
            self.assertIn("credentials", bad_s3.stderr)


def run_in(cwd, *args, env=()):
    """A hourglass subcommand run in `cwd` with `env` added to the environment
    (HOURGLASS_CONFIG always set, so the real /etc/hourglass is never read)."""
    import harness
    environ = {**os.environ, "HOURGLASS_CONFIG": os.path.join(cwd, "empty.toml"), **dict(env)}
    return subprocess.run([harness.BINARY, *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=environ)


class ConfigFileTest(unittest.TestCase):
    """One place for the settings: serve and `hourglass archive` read the same
    file (--config, else HOURGLASS_CONFIG); archive commands never create an
    archive location."""

    def test_archive_ls_sees_what_serve_archived_with_the_same_file(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-cfg-") as d:
            data_dir = os.path.join(d, "data")
            config = os.path.join(d, "hourglass.toml")
            with open(config, "w") as f:  # archive.host only here: a default host lists nothing
                f.write(f'data_dir = "{data_dir}"\n[archive]\nhost = "pinned-host"\n')
            token = uuid.uuid4().hex[:8]
            hg = Hourglass(data_dir=data_dir)
            hg.args[2:2] = ["--config", config]
            hg.start()
            send_syslog(hg, [f"cfg-{token}-{i}" for i in range(3)])
            hg.wait_for(lambda: audit_text(data_dir).count(token.encode()) == 3, what="lines")
            self.assertEqual(hg.stop(), 0)
            self.assertTrue(any(f"settings: config {config} (from --config)" in line
                                for line in hg.log_lines), hg.log_lines)
            ls = run_in(d, "archive", "ls", "--from", "-2h", env={"HOURGLASS_CONFIG": config})
            self.assertEqual(ls.returncode, 0, ls.stderr)
            rows = [line.split() for line in ls.stdout.splitlines()]
            self.assertEqual(len(rows), 1, ls.stdout)
            self.assertIn("pinned-host-audit-", rows[0][0])
            self.assertEqual(int(rows[0][2]), 3)
            cat = run_in(d, "archive", "cat", "--from", "-2h", "--until", "now",
                         env={"HOURGLASS_CONFIG": config})
            self.assertEqual(cat.stdout.count(token), 3, cat.stderr)

    def test_missing_archive_location_exits_1_and_creates_nothing(self):
        now = hour_arg(time.time())
        commands = [("archive", "ls"), ("archive", "cat", "--from", "-1h", "--until", "now"),
                    ("archive", "get", now), ("archive", "presign", now, "--put")]
        with tempfile.TemporaryDirectory(prefix="hourglass-cfg-") as d:
            open(os.path.join(d, "empty.toml"), "w").close()
            before = sorted(os.listdir(d))
            for args in commands:  # embedded defaults: ./hourglass-data/archive
                result = run_in(d, *args)
                self.assertEqual(result.returncode, 1, (args, result.stderr))
                self.assertEqual(result.stdout, "")
                self.assertIn(f"file://{os.path.realpath(d)}/hourglass-data/archive does not exist",
                              result.stderr)
                self.assertIn("HOURGLASS_CONFIG", result.stderr)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            target = os.path.join(d, "nope", "archive")
            result = run_in(d, "archive", "ls", "--set", f"archive.target=file://{target}")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn(f"file://{target} does not exist", result.stderr)
            self.assertEqual(sorted(os.listdir(d)), before)  # nothing created


def setUpModule():
    global PEER
    PEER = s3_peer.S3Peer().start()


def tearDownModule():
    if PEER:
        PEER.stop()


def keys(prefix):
    found = PEER.boto3_client().list_objects_v2(Bucket=PEER.bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in found)


class S3ArchiveTest(unittest.TestCase):
    def serve(self, data_dir, prefix, extra=(), env=None):
        sets = [f"archive.host={HOST}", f"archive.target=s3://{PEER.bucket}/{prefix}",
                f"archive.endpoint={PEER.endpoint}", "archive.grace=0s", "archive.retry_max=1s",
                *extra]
        saved = dict(os.environ)
        os.environ.update(env or PEER.env())
        try:
            return Hourglass(data_dir=data_dir, sets=sets).start()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def s3_sets(self, prefix):
        return [f"archive.target=s3://{PEER.bucket}/{prefix}", f"archive.endpoint={PEER.endpoint}"]

    def wait_uploaded(self, hg, timeout=60):
        hg.wait_for(lambda: metric(hg, "archive.pending_files") == 0 and
                    metric(hg, "archive.uploaded_files") > 0, timeout=timeout, what="uploads")

    def test_hours_land_under_keys_and_read_back_identically(self):
        prefix = f"rb-{uuid.uuid4().hex[:6]}"
        for compression, suffix, decompress in (("gzip", ".gz", ["zcat"]),
                                                ("zstd", ".zst", ["zstd", "-dc"])):
            with self.subTest(compression), tempfile.TemporaryDirectory() as data_dir:
                t = time.time() - 5 * 3600
                data = b"".join(b"line %d of a past hour\n" % i for i in range(5000))
                write_past_hour(data_dir, t, data)
                hg = self.serve(data_dir, prefix + compression, [f"archive.compression={compression}"])
                self.wait_uploaded(hg)
                self.assertEqual(hg.stop(), 0)
                key = f"{prefix}{compression}/{day_path(t)}/{HOST}-audit-{hour_stamp(t)}.log{suffix}"
                self.assertEqual(keys(prefix + compression), [key])
                local = os.path.join(data_dir, "via-aws")
                aws = subprocess.run(["/usr/bin/aws", "s3", "cp", f"s3://{PEER.bucket}/{key}", local,
                                      "--endpoint-url", PEER.endpoint],
                                     capture_output=True, env={**os.environ, **PEER.env()}, timeout=120)
                self.assertEqual(aws.returncode, 0, aws.stderr)
                body = PEER.boto3_client().get_object(Bucket=PEER.bucket, Key=key)["Body"].read()
                with open(local, "rb") as f:
                    self.assertEqual(f.read(), body)
                with open(os.path.join(data_dir, "sealed", f"audit-{hour_stamp(t)}.log{suffix}"), "rb") as f:
                    self.assertEqual(f.read(), body)
                plain = subprocess.run([*decompress, local], capture_output=True, check=True).stdout
                self.assertEqual(plain, data)
                got = archive_cli(data_dir, "get", hour_arg(t), env=PEER.env(),
                                  sets=self.s3_sets(prefix + compression))
                self.assertEqual(got.returncode, 0, got.stderr)
                self.assertEqual(got.stdout.encode(), data)

    def test_presigned_urls_work_with_curl_and_expire(self):
        prefix = f"ps-{uuid.uuid4().hex[:6]}"
        with tempfile.TemporaryDirectory() as data_dir:
            t = time.time() - 3 * 3600
            write_past_hour(data_dir, t, b"presigned hour\n")
            hg = self.serve(data_dir, prefix)
            self.wait_uploaded(hg)
            hg.stop()
            result = archive_cli(data_dir, "presign", hour_arg(t), "--expires", "2s",
                                 env=PEER.env(), sets=self.s3_sets(prefix))
            self.assertEqual(result.returncode, 0, result.stderr)
            urls = result.stdout.split()
            self.assertEqual(len(urls), 1)
            fetched = subprocess.run(["curl", "-sS", "-f", urls[0]], capture_output=True, timeout=30)
            self.assertEqual(gzip.decompress(fetched.stdout), b"presigned hour\n")
            time.sleep(3.5)
            expired = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", urls[0]],
                                     capture_output=True, text=True, timeout=30)
            self.assertEqual(expired.stdout, "403")
            put = archive_cli(data_dir, "presign", "2020-01-01T00", "--put", env=PEER.env(),
                              sets=self.s3_sets(prefix))
            self.assertEqual(put.returncode, 0, put.stderr)
            self.assertIn("X-Amz-Signature=", put.stdout)

    def test_wrong_secret_is_reported_clearly_without_the_secret(self):
        prefix = f"ws-{uuid.uuid4().hex[:6]}"
        secret = "not-the-secret-" + uuid.uuid4().hex
        env = {**PEER.env(), "AWS_SECRET_ACCESS_KEY": secret}
        with tempfile.TemporaryDirectory() as data_dir:
            write_past_hour(data_dir, time.time() - 3 * 3600, b"x\n")
            hg = self.serve(data_dir, prefix, env=env)
            hg.wait_for(lambda: metric(hg, "archive.upload_failures.auth") > 0, what="auth failure")
            status, health = hg.health()
            self.assertEqual(status, 503)
            text = json.dumps(health)
            self.assertIn("SignatureDoesNotMatch", text)
            self.assertIn("wrong secret key?", text)
            self.assertEqual(metric(hg, "archive.pending_files"), 1)
            hg.stop()
            logs = "\n".join(hg.log_lines)
            self.assertIn("wrong secret key?", logs)
            self.assertNotIn(secret, logs + text)
            ls = archive_cli(data_dir, "ls", env=env, sets=self.s3_sets(prefix))
            self.assertEqual(ls.returncode, 1)
            self.assertIn("SignatureDoesNotMatch", ls.stderr)
            self.assertNotIn(secret, ls.stderr + ls.stdout)

    def test_s3_down_mid_run_then_back_every_hour_arrives_once(self):
        prefix = f"dn-{uuid.uuid4().hex[:6]}"
        with tempfile.TemporaryDirectory() as data_dir:
            base = time.time() - 10 * 3600
            write_past_hour(data_dir, base, b"hour A\n")
            hg = self.serve(data_dir, prefix)
            self.wait_uploaded(hg)
            PEER.stop_rgw()
            try:
                write_past_hour(data_dir, base + 3600, b"hour B\n")
                write_past_hour(data_dir, base + 7200, b"hour C\n", segment=1)
                write_past_hour(data_dir, base + 7200, b"hour C, second segment\n", segment=2)
                hg.wait_for(lambda: metric(hg, "archive.upload_failures.transient") >= 2,
                            what="failures while S3 is down")
                self.assertEqual(metric(hg, "archive.pending_files"), 3)
                status, health = hg.health()
                self.assertEqual(status, 503)
                archive = health["components"]["archive"]
                self.assertEqual(archive["state"], "degraded")
                self.assertIn("3 hours pending", archive["detail"])
            finally:
                PEER.start_rgw()
            self.wait_uploaded(hg, timeout=90)
            self.assertEqual(hg.stop(), 0)
            found = keys(prefix)
            self.assertEqual(len(found), 4, found)
            self.assertEqual(len(set(found)), 4)
            ls = archive_cli(data_dir, "ls", env=PEER.env(), sets=self.s3_sets(prefix))
            self.assertEqual(len(ls.stdout.splitlines()), 4, ls.stderr)

    def test_open_hour_parts_land_on_rgw_and_read_back(self):
        prefix = f"parts-{uuid.uuid4().hex[:6]}"
        with tempfile.TemporaryDirectory() as data_dir:
            token = uuid.uuid4().hex[:8]
            hg = self.serve(data_dir, prefix, ["archive.ship_interval=1s"])
            send_syslog(hg, [f"rgw-{token}-{i}" for i in range(40)])
            hg.wait_for(lambda: any(".part-0001.gz" in k for k in keys(prefix)), timeout=30,
                        what="a part on RGW")
            self.assertEqual(hg.stop(), 0)
            found = keys(prefix)
            self.assertTrue(all(f"{HOST}-audit-" in k and ".log.part-" in k for k in found), found)
            body = b"".join(gzip.decompress(PEER.boto3_client().get_object(
                Bucket=PEER.bucket, Key=k)["Body"].read()) for k in found)  # key order = line order
            self.assertEqual(body, audit_text(data_dir))
            self.assertEqual(archive_lines(data_dir, sets=self.s3_sets(prefix), env=PEER.env()),
                             audit_text(data_dir).decode())
            rows = parts_rows(data_dir, sets=self.s3_sets(prefix), env=PEER.env())
            self.assertEqual([r[3] for r in rows], [f"parts={len(found)}"])

    def test_kill_9_during_multipart_then_restart_one_complete_object(self):
        prefix = f"mp-{uuid.uuid4().hex[:6]}"
        with tempfile.TemporaryDirectory() as data_dir:
            t = time.time() - 4 * 3600
            rng = random.Random(7)
            data = b"".join(b"%032x line\n" % rng.getrandbits(128) for _ in range(1_500_000))  # ~57 MB
            write_past_hour(data_dir, t, data)
            extra = ["archive.compression=none", "archive.multipart_threshold=5MiB"]
            hg = self.serve(data_dir, prefix, extra)
            def in_progress():
                ups = PEER.boto3_client().list_multipart_uploads(Bucket=PEER.bucket, Prefix=prefix)
                return ups.get("Uploads")
            hg.wait_for(in_progress, timeout=60, interval=0.05, what="a multipart upload in progress")
            hg.proc.kill()
            hg.proc.wait()
            self.assertEqual(keys(prefix), [], "the upload should have been cut short")
            hg = self.serve(data_dir, prefix, extra)
            self.wait_uploaded(hg, timeout=120)
            self.assertEqual(hg.stop(), 0)
            key = f"{prefix}/{day_path(t)}/{HOST}-audit-{hour_stamp(t)}.log"
            self.assertEqual(keys(prefix), [key])
            head = PEER.boto3_client().head_object(Bucket=PEER.bucket, Key=key)
            self.assertEqual(head["ContentLength"], len(data))
            self.assertEqual(head["Metadata"]["hourglass-sha256"], hashlib.sha256(data).hexdigest())
            body = PEER.boto3_client().get_object(Bucket=PEER.bucket, Key=key)["Body"].read()
            self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(data).digest())
            self.assertFalse(in_progress(), "the cut upload's parts were aborted")


if __name__ == "__main__":
    unittest.main()
