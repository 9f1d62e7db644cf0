"""Syslog over UDP and a Unix datagram socket, end to end.

Senders: Python's default logging.handlers.SysLogHandler (UDP) and
SysLogHandler(address=PATH), util-linux `logger -d` and `logger -u PATH`,
a private rsyslogd with the single-@ (UDP) forwarding rule. Every message
carries a unique token and must land once in the hourly audit file with its
fields. Also: a datagram longer than syslog.max_message_size is cut and
counted (one byte under passes whole); the socket file's mode, stale-file
handling and removal at stop; a full disk drops datagrams (counted) and the
server keeps receiving once space is back (needs root for the tmpfs).
"""
import json
import logging
import logging.handlers
import os
import socket
import stat
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import Hourglass, split_address
import syslog_peers
from test_audit import audit_lines, metric, tokens, wait_for_tokens
from test_disk_full import fill, mount_tmpfs


def serve(unix_socket=None, sets=(), data_dir=None):
    extra = [f"syslog.unix_socket={unix_socket}"] if unix_socket else []
    return Hourglass(data_dir=data_dir, sets=["audit.fsync=interval", *extra, *sets])


def udp_address(hg):
    hg.wait_for(lambda: "syslog-udp" in hg.addresses, what="syslog-udp listening line")
    return split_address(hg.addresses["syslog-udp"])


def records(hg, sent):
    """{token: record} once every token is in the audit files exactly once."""
    hits = wait_for_tokens(hg, sent)
    out = {}
    for token, where in hits.items():
        assert len(where) == 1, f"{token} appears {len(where)} times"
        out[token] = json.loads(where[0][1])
    return out


def python_log(handler, messages):
    log = logging.getLogger("hg-" + uuid.uuid4().hex[:6])
    log.propagate = False
    handler.setFormatter(logging.Formatter("hgapp: %(message)s"))
    log.addHandler(handler)
    for m in messages:
        log.warning(m)
    handler.close()


class DatagramSenders(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hourglass-dgram-")
        self.addCleanup(self.tmp.cleanup)
        self.sock = os.path.join(self.tmp.name, "log.sock")

    def check_python_record(self, record, token):
        self.assertEqual(record["app"], "hgapp")
        self.assertEqual(record["message"], token)  # the trailing NUL is gone
        self.assertEqual((record["facility"], record["severity"]), ("user", "warning"))
        self.assertNotIn("truncated", record)

    def test_python_default_handler_udp(self):
        with serve() as hg:
            host, port = udp_address(hg)
            sent = tokens(20, "py-udp")
            python_log(logging.handlers.SysLogHandler(address=(host, port)), sent)
            got = records(hg, sent)
            for token in sent:
                self.check_python_record(got[token], token)
                self.assertTrue(got[token]["peer"].startswith("127.0.0.1:"), got[token]["peer"])
                self.assertEqual(got[token]["host"], "127.0.0.1")  # Python names no host
            self.assertEqual(metric(hg, "syslog.datagrams_received"), 20)
            self.assertEqual(metric(hg, "syslog.datagrams_truncated"), 0)

    def test_python_handler_unix_socket(self):
        with serve(self.sock) as hg:
            hg.wait_for(lambda: os.path.exists(self.sock), what="socket file")
            mode = os.stat(self.sock).st_mode
            self.assertTrue(stat.S_ISSOCK(mode))
            self.assertEqual(stat.S_IMODE(mode), 0o666)  # as /dev/log: any local user may log
            sent = tokens(20, "py-unix")
            python_log(logging.handlers.SysLogHandler(address=self.sock), sent)
            got = records(hg, sent)
            for token in sent:
                self.check_python_record(got[token], token)
                self.assertEqual(got[token]["peer"], "unix:" + self.sock)
                self.assertEqual(got[token]["host"], socket.gethostname())  # as imuxsock
            self.assertEqual(hg.stop(), 0)
        self.assertFalse(os.path.exists(self.sock), "the socket file is removed at stop")

    def test_logger_udp_and_unix(self):
        with serve(self.sock) as hg:
            host, port = udp_address(hg)
            udp = tokens(5, "logger-d")
            unix = tokens(5, "logger-u")
            subprocess.run([syslog_peers.LOGGER, "-d", "-n", host, "-P", str(port), "-t", "hgapp"],
                           input="\n".join(udp) + "\n", text=True, check=True, timeout=30)
            subprocess.run([syslog_peers.LOGGER, "-u", self.sock, "--socket-errors=on", "-t",
                            "hgapp", "-p", "local3.err"], input="\n".join(unix) + "\n", text=True,
                           check=True, timeout=30)
            got = records(hg, udp + unix)
            for token in udp + unix:
                self.assertEqual(got[token]["app"], "hgapp")
                self.assertEqual(got[token]["message"].strip(), token)
            self.assertEqual((got[unix[0]]["facility"], got[unix[0]]["severity"]), ("local3", "err"))
            self.assertEqual(got[udp[0]]["format"], "rfc5424")  # logger's default on the network
            self.assertEqual(metric(hg, "syslog.messages_unparsed"), 0)

    def test_rsyslogd_udp_forwarding(self):
        with serve() as hg:
            _, port = udp_address(hg)
            sent = tokens(50, "rs-udp")
            with syslog_peers.Rsyslogd(port, "*.* @127.0.0.1:{port}") as rs:
                rs.send(*sent, tag="hgapp")
                got = records(hg, sent)
            self.assertEqual(got[sent[0]]["format"], "rfc3164")
            self.assertEqual(got[sent[0]]["app"], "hgapp")
            self.assertEqual(got[sent[-1]]["message"], sent[-1])

    def test_oversized_datagram_is_truncated_and_counted(self):
        limit = 1000
        with serve(sets=[f"syslog.max_message_size={limit}"]) as hg:
            host, port = udp_address(hg)
            whole, cut = tokens(2, "big")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for token, size in ((whole, limit), (cut, limit + 1)):
                    head = f"<13>hgapp: {token} ".encode()
                    s.sendto(head + b"x" * (size - len(head)), (host, port))
            got = records(hg, [whole, cut])
            self.assertNotIn("truncated", got[whole])
            self.assertTrue(got[cut]["truncated"])
            self.assertEqual(len(got[whole]["message"]), len(got[cut]["message"]))
            hg.wait_for(lambda: hg.metric("syslog.datagrams_truncated") == 1, what="truncated == 1")
            self.assertEqual(metric(hg, "syslog.datagrams_received"), 2)


class UnixSocketFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hourglass-dgram-")
        self.addCleanup(self.tmp.cleanup)

    def start_fails(self, path):
        hg = serve(path)
        try:
            result = subprocess.run(hg.args, capture_output=True, text=True, timeout=30)
        finally:
            hg.own_dir.cleanup()
        self.assertEqual(result.returncode, 1, result.stderr)
        return result.stderr

    def test_stale_socket_is_replaced(self):
        path = os.path.join(self.tmp.name, "log.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as old:
            old.bind(path)  # closed without unlink: a stale socket file
        with serve(path) as hg:
            sent = tokens(1, "stale")
            python_log(logging.handlers.SysLogHandler(address=path), sent)
            records(hg, sent)

    def test_socket_in_use_regular_file_and_missing_directory_are_refused(self):
        live_path = os.path.join(self.tmp.name, "live.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as live:
            live.bind(live_path)
            err = self.start_fails(live_path)
        self.assertIn(f"cannot listen for syslog on unix socket {live_path}: another process", err)
        plain = os.path.join(self.tmp.name, "file")
        with open(plain, "w") as f:
            f.write("keep me\n")
        err = self.start_fails(plain)
        self.assertIn(f"unix socket {plain}: exists and is not a socket", err)
        with open(plain) as f:
            self.assertEqual(f.read(), "keep me\n")
        missing = os.path.join(self.tmp.name, "nope", "log.sock")
        err = self.start_fails(missing)
        self.assertIn(f"directory {os.path.dirname(missing)} does not exist", err)


class DiskFull(unittest.TestCase):
    def test_full_disk_drops_datagrams_counted_and_recovers(self):
        with tempfile.TemporaryDirectory(prefix="hourglass-dgram-full-") as d:
            why = mount_tmpfs(d)
            if why:
                self.skipTest(why)
            try:
                self.run_full(d)
            finally:
                subprocess.run(["umount", "-l", d], check=False)

    def run_full(self, d):
        with serve(data_dir=d, sets=["syslog.datagram_backlog=64KiB"]) as hg:
            host, port = udp_address(hg)
            before = tokens(1, "before")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(f"<13>hgapp: {before[0]}".encode(), (host, port))
                records(hg, before)
                filler = os.path.join(d, "filler")
                fill(filler)
                # 2 MB of datagrams against a 64 KiB backlog: most are dropped.
                payload = b"<13>hgapp: full " + b"y" * 900
                for _ in range(2000):
                    s.sendto(payload, (host, port))
                    time.sleep(0.0002)
                hg.wait_for(lambda: (hg.metric("syslog.datagrams_dropped") or 0) > 0,
                            what="datagrams dropped while the disk is full")
                os.unlink(filler)
                after = tokens(1, "after")
                def delivered():
                    s.sendto(f"<13>hgapp: {after[0]}".encode(), (host, port))
                    return any(after[0] in line for lines in audit_lines(hg).values()
                               for line in lines)
                hg.wait_for(delivered, timeout=30, interval=0.5, what="delivery after the disk frees")
            self.assertEqual(hg.stop(), 0)


if __name__ == "__main__":
    unittest.main()
