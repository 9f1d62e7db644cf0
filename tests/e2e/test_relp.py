"""RELP end to end: a private rsyslogd forwarding with omrelp (rsyslog-relp)
into `hourglass serve --set syslog.relp_listen=...`, hourly files out.

A message is acknowledged only once written (audit.fsync=always: fsynced), so
kill -9 under load loses nothing: rsyslog resends every unacknowledged
message after reconnecting. Those it resends that had been written but whose
acknowledgement was lost are the duplicates; the test counts them and holds
them to omrelp's window (128 per session per kill).
"""
import collections
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from harness import Hourglass
import syslog_peers
from test_audit import FILE_RE, audit_lines
from test_disk_full import fill, mount_tmpfs

OMRELP = ('module(load="omrelp")\n'
          '*.* action(type="omrelp" target="127.0.0.1" port="{port}" '
          'template="RSYSLOG_SyslogProtocol23Format" windowSize="128" '
          'action.resumeRetryCount="-1" action.resumeInterval="1")')
WINDOW = 128  # omrelp windowSize: unacknowledged messages a session may have in flight


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(data_dir, port):
    return Hourglass(data_dir=data_dir, sets=[f"syslog.relp_listen=127.0.0.1:{port}",
                                              "audit.fsync=always"])


def token_counts(data_dir, run):
    """{token: times seen} over every audit file of `data_dir`."""
    pattern = re.compile(rf"relp-{run}-\d{{6}}")
    counts = collections.Counter()
    for name, lines in audit_lines(type("D", (), {"data_dir": data_dir})).items():
        for line in lines:
            counts.update(pattern.findall(line))
    return counts


class Relp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="hourglass-relp-")
        self.port = free_port()
        self.run_id = uuid.uuid4().hex[:8]
        self.addCleanup(self.dir.cleanup)  # after the cleanups the tests add (LIFO)

    def test_omrelp_delivers_into_the_hourly_file(self):
        sent = [f"relp-{self.run_id}-{i:06d}" for i in range(20)]
        with serve(self.dir.name, self.port) as hg:
            self.assertEqual(hg.addresses.get("syslog-relp"), f"127.0.0.1:{self.port}")
            with syslog_peers.Rsyslogd(self.port, OMRELP) as rs:
                rs.send(*sent, tag="hgapp", priority="local3.err")
                hg.wait_for(lambda: len(token_counts(self.dir.name, self.run_id)) == len(sent),
                            what="every RELP message in the audit files")
            counts = token_counts(self.dir.name, self.run_id)
            self.assertEqual(set(counts), set(sent))
            self.assertEqual(set(counts.values()), {1})  # no reconnect: exactly once
            files = audit_lines(hg)
            self.assertTrue(all(FILE_RE.match(name) for name in files), files)
            line = next(l for lines in files.values() for l in lines if sent[0] in l)
            record = json.loads(line)
            self.assertEqual(record["format"], "rfc5424")
            self.assertEqual(record["app"], "hgapp")
            self.assertEqual((record["facility"], record["severity"]), ("local3", "err"))
            self.assertEqual(record["message"], " " + sent[0])  # rsyslog's msg keeps its space
            self.assertEqual(record["peer"], "127.0.0.1")  # librelp gives no port
            self.assertEqual(hg.metric("syslog.relp_messages_received"), len(sent))
            self.assertEqual(hg.metric("syslog.relp_errors"), 0)

    def test_kill_9_under_load_loses_nothing(self):
        total, kills = 20_000, 3
        sent = [f"relp-{self.run_id}-{i:06d}" for i in range(total)]
        hg = serve(self.dir.name, self.port).start()
        try:
            with syslog_peers.Rsyslogd(self.port, OMRELP) as rs:
                sender = threading.Thread(target=rs.send, args=sent, kwargs={"tag": "load"})
                started = time.time()
                sender.start()
                for kill in range(kills):
                    # Kill while messages flow: once this life has written some.
                    floor = sum(token_counts(self.dir.name, self.run_id).values())
                    hg.wait_for(lambda: sum(token_counts(self.dir.name, self.run_id).values())
                                > floor + 1000, timeout=30, what=f"load before kill {kill + 1}")
                    hg.proc.kill()
                    hg.proc.wait(10)
                    hg = serve(self.dir.name, self.port).start()
                sender.join(60)
                self.assertFalse(sender.is_alive(), "logger did not finish")
                hg.wait_for(lambda: len(token_counts(self.dir.name, self.run_id)) == total,
                            timeout=40, what="every message rsyslog was given")
                elapsed = time.time() - started
        finally:
            hg.stop()
        counts = token_counts(self.dir.name, self.run_id)
        self.assertEqual(set(counts), set(sent), "lost messages")
        duplicates = sum(counts.values()) - total
        print(f"\nrelp: {total} messages, {kills} kill -9, {duplicates} duplicates "
              f"(bound {kills * WINDOW}), {elapsed:.1f} s", flush=True)
        self.assertLessEqual(duplicates, kills * WINDOW)

    def test_unwritten_messages_are_not_acknowledged(self):
        # The disk fills: nothing more is written, so nothing more may be
        # acknowledged. kill -9 then drops what the server holds in memory;
        # rsyslog still has it and resends it to the restarted server.
        data_dir = os.path.join(self.dir.name, "data")
        os.mkdir(data_dir)
        reason = mount_tmpfs(data_dir)
        if reason:
            self.skipTest(reason)
        self.addCleanup(lambda: subprocess.run(["umount", "-l", data_dir]))
        before = [f"relp-{self.run_id}-{i:06d}" for i in range(10)]
        during = [f"relp-{self.run_id}-{i:06d}" for i in range(10, 300)]
        filler = os.path.join(data_dir, "filler")
        hg = serve(data_dir, self.port).start()
        try:
            with syslog_peers.Rsyslogd(self.port, OMRELP) as rs:
                rs.send(*before, tag="hgapp")
                hg.wait_for(lambda: len(token_counts(data_dir, self.run_id)) == len(before),
                            what="the messages sent before the disk filled")
                fill(filler)
                rs.send(*during, tag="hgapp")
                hg.wait_for(lambda: hg.metric("syslog.relp_messages_received") > len(before),
                            what="a RELP message received while the disk is full")
                time.sleep(1)  # a receiver that acknowledged early would take many more now
                hg.proc.kill()
                hg.proc.wait(10)
                os.unlink(filler)
                hg = serve(data_dir, self.port).start()
                hg.wait_for(lambda: len(token_counts(data_dir, self.run_id)) == len(before + during),
                            timeout=30, what="every message, the unacknowledged ones resent")
        finally:
            hg.stop()
        counts = token_counts(data_dir, self.run_id)
        self.assertEqual(set(counts), set(before + during), "lost messages")


if __name__ == "__main__":
    unittest.main()
