"""Syslog over TLS (RFC 5425) end to end: `hourglass serve` with a TLS listener
beside the plain one, a self-signed certificate made with the openssl CLI.

Senders: `openssl s_client` (LF-terminated lines) and a private rsyslogd
forwarding through its gtls netstream driver (rsyslog-gnutls), anonymous
auth, trusting the self-signed certificate as its CA. Every message carries
a unique token and must land exactly once in the hourly file.
"""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

from harness import BINARY, Hourglass, split_address
import syslog_peers
from test_audit import audit_lines, metric, tokens, wait_for_tokens

GTLS_MODULE = "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so"

# Legacy directives, as rsyslog's TLS guide writes them, then the forwarding rule.
GTLS_RULE = """\
$DefaultNetstreamDriver gtls
$DefaultNetstreamDriverCAFile {ca}
$ActionSendStreamDriverMode 1
$ActionSendStreamDriverAuthMode anon
*.* @@127.0.0.1:{{port}}
"""


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1/localhost: (cert, key) paths."""
    cert, key = os.path.join(directory, "server.crt"), os.path.join(directory, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


def serve_tls(cert, key):
    return Hourglass(sets=["syslog.tls_listen=127.0.0.1:0", f"syslog.tls_cert={cert}",
                           f"syslog.tls_key={key}"])


def tls_address(hg):
    hg.wait_for(lambda: "syslog-tls" in hg.addresses, what="syslog-tls listening line")
    return split_address(hg.addresses["syslog-tls"])


class AuditTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hourglass-tls-")
        cls.cert, cls.key = make_cert(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_exactly_once(self, hg, sent):
        wait_for_tokens(hg, sent)
        time.sleep(0.5)  # anything duplicated would show up by now
        hits = wait_for_tokens(hg, sent)
        for token, where in hits.items():
            self.assertEqual(len(where), 1, f"{token} appears {len(where)} times")
            name, line = where[0]
            self.assertRegex(name, r"^audit-\d{8}T\d{2}00Z(-\d+)?\.log$")
            record = json.loads(line)
            self.assertIn(token, record["message"])
            self.assertTrue(record["peer"].startswith("127.0.0.1:"), record["peer"])
        return hits

    def test_openssl_s_client_beside_plain_logger(self):
        with serve_tls(self.cert, self.key) as hg:
            host, port = tls_address(hg)
            self.assertTrue(any(f"listening syslog-tls tcp {host}:{port}" in line
                                for line in hg.log_lines))
            over_tls = tokens(20, "s-client")
            lines = "".join(f"<13>Nov 21 05:00:00 myhost hgapp[7]: {t}\n" for t in over_tls)
            # -no_ign_eof: end the session at the end of input (-quiet implies -ign_eof).
            client = subprocess.run(
                ["openssl", "s_client", "-quiet", "-no_ign_eof", "-connect", f"{host}:{port}",
                 "-CAfile", self.cert, "-verify_return_error"],
                input=lines, capture_output=True, text=True, timeout=30)
            self.assertEqual(client.returncode, 0, client.stderr)
            plain = tokens(5, "plain")
            plain_host, plain_port = split_address(hg.addresses["syslog"])
            syslog_peers.logger_tcp(plain_host, plain_port, plain, form="rfc5424", tag="hgapp")
            hits = self.check_exactly_once(hg, over_tls + plain)
            record = json.loads(hits[over_tls[0]][0][1])
            self.assertEqual(record["format"], "rfc3164")
            self.assertEqual(record["app"], "hgapp")
            self.assertEqual(record["message"], over_tls[0])
            self.assertEqual(metric(hg, "syslog.tls_handshake_failures"), 0)
            self.assertEqual(hg.stop(), 0)

    @unittest.skipUnless(os.path.exists(GTLS_MODULE), "rsyslog-gnutls is not installed")
    def test_rsyslog_gtls_forwarding(self):
        with serve_tls(self.cert, self.key) as hg:
            _, port = tls_address(hg)
            sent = tokens(50, "gtls")
            with syslog_peers.Rsyslogd(port, rule=GTLS_RULE.format(ca=self.cert)) as rsyslog:
                rsyslog.send(*sent, tag="hgtls")
                try:
                    hits = self.check_exactly_once(hg, sent)
                except AssertionError:
                    raise AssertionError("rsyslogd log:\n" + rsyslog.log())
            record = json.loads(hits[sent[0]][0][1])
            self.assertEqual(record["app"], "hgtls")
            self.assertEqual(record["message"], sent[0])
            self.assertEqual(metric(hg, "syslog.tls_handshake_failures"), 0)
            self.assertEqual(hg.stop(), 0)

    def test_plain_text_on_the_tls_port_is_a_counted_handshake_failure(self):
        with serve_tls(self.cert, self.key) as hg:
            host, port = tls_address(hg)
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(b"<13>Nov 21 05:00:00 myhost app: not tls\n")
                try:
                    while sock.recv(4096):  # an alert at most, then the server closes
                        pass
                except ConnectionResetError:
                    pass
            hg.wait_for(lambda: metric(hg, "syslog.tls_handshake_failures") >= 1,
                        what="syslog.tls_handshake_failures")
            self.assertFalse(any("not tls" in line for lines in audit_lines(hg).values()
                                 for line in lines))
            self.assertEqual(hg.stop(), 0)

    def test_unloadable_key_fails_start_with_one_line_naming_it(self):
        secret = "SECRET-KEY-MATERIAL-0123456789"
        bad_key = os.path.join(self.tmp.name, "garbage.key")
        with open(bad_key, "w") as f:
            f.write(secret + "\n")
        with tempfile.TemporaryDirectory() as d:
            result = subprocess.run(
                [BINARY, "serve", "--set", f"data_dir={d}", "--set", "http.listen=127.0.0.1:0",
                 "--set", "statsd.listen=127.0.0.1:0", "--set", "carbon.listen=127.0.0.1:0",
                 "--set", "syslog.listen=127.0.0.1:0", "--set", "syslog.tls_listen=127.0.0.1:0",
                 "--set", "syslog.udp_listen=127.0.0.1:0",
                 "--set", f"syslog.tls_cert={self.cert}", "--set", f"syslog.tls_key={bad_key}"],
                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        failures = [line for line in result.stderr.splitlines() if bad_key in line]
        self.assertEqual(len(failures), 1, result.stderr)
        self.assertIn("syslog.tls_key", failures[0])
        self.assertNotIn(secret, result.stderr)

    def test_config_check_requires_cert_and_key_with_tls_listen(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write('[syslog]\ntls_listen = "0.0.0.0:6514"\ntls_cert = "/etc/hg/cert.pem"\n')
            f.flush()
            check = subprocess.run([BINARY, "config", "check", f.name], capture_output=True,
                                   text=True, timeout=30)
        self.assertEqual(check.returncode, 2)
        lines = check.stderr.strip().splitlines()
        self.assertIn(f"{f.name}:2: syslog.tls_key: required when syslog.tls_listen is set", lines)
        self.assertFalse(any("syslog.tls_cert" in line for line in lines), lines)


if __name__ == "__main__":
    unittest.main()
