"""Audit path end to end: real syslog senders into `hourglass serve`, hourly files out.

Senders: util-linux logger over TCP (RFC 3164, RFC 5424, octet-counted), a
private rsyslogd forwarding in its default format and in RFC 5424 with
octet-counted framing, Python's SysLogHandler (NUL-terminated; no host, so
the peer's IP stands in; with an RFC 3164 time, shown as RFC 3339). Every
message carries a unique token and must appear exactly once. Hour rollover
is covered by the unit tests (ManualClock); here the clock is real.
"""
import calendar
import glob
import json
import logging
import logging.handlers
import os
import re
import signal
import socket
import time
import unittest
import uuid

from harness import Hourglass, split_address
import syslog_peers

FILE_RE = re.compile(r"^audit-\d{8}T\d{2}00Z(-\d+)?\.log$")


def serve(fmt="json", fsync="interval", data_dir=None):
    return Hourglass(data_dir=data_dir, sets=["syslog.listen=127.0.0.1:0", f"audit.format={fmt}",
                                              f"audit.fsync={fsync}"])


def syslog_address(hg):
    hg.wait_for(lambda: "syslog" in hg.addresses, what="syslog listening line")
    return split_address(hg.addresses["syslog"])


def audit_lines(hg):
    """{file name: [lines]} for every audit file."""
    out = {}
    for path in sorted(glob.glob(os.path.join(hg.data_dir, "audit", "*.log"))):
        with open(path, "rb") as f:
            out[os.path.basename(path)] = f.read().decode("utf-8").splitlines()
    return out


def wait_for_tokens(hg, tokens, timeout=30):
    """Waits until every token is in some audit line; returns {token: [(file, line)]}."""
    def found():
        hits = {t: [] for t in tokens}
        for name, lines in audit_lines(hg).items():
            for line in lines:
                for t in tokens:
                    if t in line:
                        hits[t].append((name, line))
        return hits if all(hits.values()) else None
    return hg.wait_for(found, timeout=timeout, what=f"{len(tokens)} tokens in the audit files")


def metric(hg, name):
    """A self-metric by its dotted name, however /metrics spells it."""
    value = hg.metric(name)
    if value is not None:
        return value
    raise AssertionError(f"no metric {name}")


def seconds(rfc3339):
    """Seconds since the epoch of "2026-12-06T21:50:17Z" or "...17.123456Z"."""
    return calendar.timegm(time.strptime(rfc3339.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S"))


def tokens(n, label):
    run = uuid.uuid4().hex[:8]
    return [f"{label}-{run}-{i:05d}" for i in range(n)]


class AuditSenders(unittest.TestCase):
    def check_exactly_once(self, hg, sent, fmt="json"):
        hits = wait_for_tokens(hg, sent)
        time.sleep(0.5)  # anything duplicated would show up by now
        hits = wait_for_tokens(hg, sent)
        hour = time.strftime("%Y%m%dT%H00Z", time.gmtime())
        for token, where in hits.items():
            self.assertEqual(len(where), 1, f"{token} appears {len(where)} times")
            name, line = where[0]
            self.assertTrue(FILE_RE.match(name), name)
            self.assertIn(name[len("audit-"):len("audit-") + 14], {hour, time.strftime(
                "%Y%m%dT%H00Z", time.gmtime(time.time() - 60))})
            if fmt == "json":
                record = json.loads(line)
                self.assertTrue(record["received"].endswith("Z"))
                self.assertRegex(record["received"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
                self.assertTrue(record["peer"].startswith("127.0.0.1:"))
                self.assertIn(token, record["message"])
        return hits

    def test_logger_rfc3164_rfc5424_octet_count(self):
        with serve() as hg:
            host, port = syslog_address(hg)
            sent = {}
            for form in ("rfc3164", "rfc5424", "octet-count"):
                sent[form] = tokens(5, form)
                syslog_peers.logger_tcp(host, port, sent[form], form=form, tag="hgapp")
            hits = self.check_exactly_once(hg, sum(sent.values(), []))
            for form, expected in (("rfc3164", "rfc3164"), ("rfc5424", "rfc5424"),
                                   ("octet-count", "rfc5424")):
                record = json.loads(hits[sent[form][0]][0][1])
                self.assertEqual(record["format"], expected)
                self.assertEqual(record["app"], "hgapp")
                self.assertEqual(record["facility"], "user")
                self.assertEqual(record["severity"], "notice")
                self.assertEqual(record["message"], sent[form][0])
            record = json.loads(hits[sent["rfc5424"][0]][0][1])
            self.assertIn("timeQuality", record["structured_data"])
            self.assertEqual(metric(hg, "syslog.messages_unparsed"), 0)

    def test_rsyslogd_default_forwarding(self):
        with serve() as hg:
            _, port = syslog_address(hg)
            sent = tokens(50, "rs-trad")
            with syslog_peers.Rsyslogd(port, syslog_peers.TRADITIONAL) as rs:
                rs.send(*sent[:-1], tag="hgapp")
                rs.send(sent[-1] + "\twith a tab", tag="hgapp", priority="local3.err")
                hits = self.check_exactly_once(hg, sent)
            record = json.loads(hits[sent[0]][0][1])
            self.assertEqual(record["format"], "rfc3164")
            self.assertEqual(record["app"], "hgapp")
            # RFC 3164 time, year inferred, read as UTC: within the sender's
            # zone offset of the receive time (rsyslogd sends its local time).
            self.assertRegex(record["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertLessEqual(abs(seconds(record["timestamp"]) - seconds(record["received"])),
                                 14 * 3600 + 60)
            self.assertNotEqual(record["host"], None)
            last = json.loads(hits[sent[-1]][0][1])
            self.assertEqual((last["facility"], last["severity"]), ("local3", "err"))
            self.assertEqual(last["message"], sent[-1] + "#011with a tab")  # rsyslog's escape

    def test_rsyslogd_octet_counted_rfc5424(self):
        with serve() as hg:
            _, port = syslog_address(hg)
            sent = tokens(50, "rs-5424")
            with syslog_peers.Rsyslogd(port, syslog_peers.OCTET_COUNTED_5424) as rs:
                rs.send(*sent, tag="hgapp")
                hits = self.check_exactly_once(hg, sent)
            record = json.loads(hits[sent[0]][0][1])
            self.assertEqual(record["format"], "rfc5424")
            self.assertEqual(record["app"], "hgapp")
            self.assertEqual(record["message"].strip(), sent[0])
            self.assertEqual(metric(hg, "syslog.framing_errors"), 0)

    def python_handler_record(self, formatter, label, n):
        """Sends n tokens through SysLogHandler over TCP; returns the first one's record."""
        with serve() as hg:
            host, port = syslog_address(hg)
            handler = logging.handlers.SysLogHandler(address=(host, port),
                                                     socktype=socket.SOCK_STREAM)
            handler.setFormatter(formatter)
            log = logging.getLogger(f"hg-e2e-{label}")
            log.addHandler(handler)
            sent = tokens(n, label)
            for token in sent:
                log.warning(token)
            handler.close()
            hits = self.check_exactly_once(hg, sent)
            return json.loads(hits[sent[0]][0][1])

    def test_python_syslog_handler_nul_terminated(self):
        record = self.python_handler_record(logging.Formatter("pyapp: %(message)s"), "py", 10)
        self.assertEqual(record["app"], "pyapp")
        self.assertEqual(record["severity"], "warning")
        # The handler sends no host and no time: host is the peer's IP.
        self.assertEqual(record["host"], "127.0.0.1")
        self.assertIsNone(record["timestamp"])

    def test_python_syslog_handler_with_rfc3164_time(self):
        """A Formatter that puts an RFC 3164 time (UTC) in front, as users do."""
        formatter = logging.Formatter("%(asctime)s pyapp: %(message)s", datefmt="%b %e %H:%M:%S")
        formatter.converter = time.gmtime
        record = self.python_handler_record(formatter, "py3164", 3)
        self.assertEqual(record["format"], "rfc3164")
        self.assertEqual(record["host"], "127.0.0.1")
        self.assertEqual(record["app"], "pyapp")
        self.assertRegex(record["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertLessEqual(abs(seconds(record["timestamp"]) - seconds(record["received"])), 5)

    def test_raw_format_and_unparsed(self):
        with serve(fmt="raw") as hg:
            host, port = syslog_address(hg)
            sent = tokens(3, "raw")
            with socket.create_connection((host, port)) as sock:
                sock.sendall(f"<13>Nov 21 05:00:00 h app: {sent[0]}\n".encode())
                sock.sendall(f"not syslog {sent[1]}\n".encode())
                msg = f"<13>1 - h app - - - {sent[2]}\nsecond line"
                sock.sendall(f"{len(msg)} {msg}".encode())
            hits = self.check_exactly_once(hg, sent, fmt="raw")
            self.assertEqual(hits[sent[0]][0][1], f"<13>Nov 21 05:00:00 h app: {sent[0]}")
            self.assertEqual(hits[sent[1]][0][1], f"not syslog {sent[1]}")
            self.assertEqual(hits[sent[2]][0][1], f"<13>1 - h app - - - {sent[2]}#012second line")
            self.assertEqual(metric(hg, "syslog.messages_unparsed"), 1)


class AuditDurability(unittest.TestCase):
    def test_fsync_modes(self):
        for mode in ("always", "interval", "never"):
            with self.subTest(mode=mode), serve(fsync=mode) as hg:
                host, port = syslog_address(hg)
                sent = tokens(20, mode)
                syslog_peers.logger_tcp(host, port, sent, form="octet-count")
                wait_for_tokens(hg, sent)
                fsyncs = metric(hg, "audit.fsyncs")
                if mode == "always":
                    self.assertGreaterEqual(fsyncs, 1)
                if mode == "never":
                    self.assertEqual(fsyncs, 0)
                if mode == "interval":
                    hg.wait_for(lambda: metric(hg, "audit.fsyncs") >= 1, what="interval fsync")
                self.assertEqual(hg.stop(), 0)
                for lines in audit_lines(hg).values():
                    for line in lines:
                        json.loads(line)

    def test_kill_9_mid_write_then_restart(self):
        data_dir = None
        first = serve(fsync="always")
        with first as hg:
            data_dir = hg.data_dir
            hg.own_dir, keep = None, hg.own_dir  # keep the directory across the restart
            host, port = syslog_address(hg)
            acked = tokens(200, "before")
            syslog_peers.logger_tcp(host, port, acked, form="octet-count")
            wait_for_tokens(hg, acked)
            # Keep a sender busy while the server dies.
            sock = socket.create_connection((host, port))
            for i in range(2000):
                sock.sendall(f"<13>flood {i} {'x' * 200}\n".encode())
            hg.proc.send_signal(signal.SIGKILL)
            hg.proc.wait(10)
            sock.close()
        # A torn write on top, as a crash at the wrong moment leaves it.
        files = sorted(glob.glob(os.path.join(data_dir, "audit", "audit-*.log")))
        with open(files[-1], "ab") as f:
            f.write(b'{"received":"2026-11-21T05:')
        with serve(fsync="always", data_dir=data_dir) as hg:
            host, port = syslog_address(hg)
            self.assertGreaterEqual(metric(hg, "audit.torn_lines_repaired"), 1)
            self.assertTrue(any("torn" in line for line in hg.log_lines))
            after = tokens(5, "after")
            syslog_peers.logger_tcp(host, port, after, form="rfc5424")
            hits = wait_for_tokens(hg, acked + after)
            for token in acked + after:
                self.assertEqual(len(hits[token]), 1, token)
            for lines in audit_lines(hg).values():
                for line in lines:
                    json.loads(line)  # every line whole
            self.assertEqual(hg.stop(), 0)
        keep.cleanup()


if __name__ == "__main__":
    unittest.main()
