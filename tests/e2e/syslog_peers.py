"""Real syslog senders for the audit end-to-end tests.

Rsyslogd runs a private rsyslogd (Debian's package, never the system
instance): its own config, pid file, work directory and a private unix
socket as input, forwarding everything to a TCP port. send() hands messages
to it through `logger -u`. logger_tcp() runs util-linux logger straight
against a TCP port. Nothing here binds a fixed port or touches /dev/log.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
LOGGER = shutil.which("logger") or "/usr/bin/logger"

# Forwarding rules: the legacy selector line in rsyslog's default format
# (RSYSLOG_TraditionalForwardFormat, LF-terminated RFC 3164), and an omfwd
# action with octet-counted framing and the RFC 5424 template.
TRADITIONAL = "*.* @@127.0.0.1:{port}"
OCTET_COUNTED_5424 = ('*.* action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" '
                      'TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")')

CONFIG = """\
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}" CreatePath="on" RateLimit.Interval="0"
      UseSysTimeStamp="on")
$RepeatedMsgReduction off
$ActionResumeRetryCount -1
{rule}
"""


class Rsyslogd:
    """A private rsyslogd forwarding to 127.0.0.1:port with `rule`."""

    def __init__(self, port, rule=TRADITIONAL):
        self.dir = tempfile.TemporaryDirectory(prefix="hourglass-rsyslog-")
        self.work = self.dir.name
        self.socket = os.path.join(self.work, "log.sock")
        self.config = os.path.join(self.work, "rsyslog.conf")
        self.pid_file = os.path.join(self.work, "rsyslogd.pid")
        with open(self.config, "w") as out:
            out.write(CONFIG.format(work=self.work, socket=self.socket, rule=rule.format(port=port)))
        self.proc = None
        self.stderr_path = os.path.join(self.work, "stderr.log")

    def start(self, timeout=15):
        check = subprocess.run([RSYSLOGD, "-N1", "-f", self.config], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("rsyslogd rejected its config:\n" + check.stderr)
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.config, "-i", self.pid_file],
                                     stdout=self.stderr, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("rsyslogd did not start:\n" + self.log())
            time.sleep(0.05)
        return self

    def send(self, *messages, tag="hgtest", priority="user.notice"):
        """Logs each message (one per line) through rsyslogd's unix socket."""
        subprocess.run([LOGGER, "-u", self.socket, "--socket-errors=on", "-t", tag, "-p", priority],
                       input="\n".join(messages) + "\n", text=True, check=True, timeout=30)

    def log(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.stderr.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.dir.cleanup()


def logger_tcp(host, port, messages, *, form="rfc3164", tag="hgtest", extra=()):
    """Sends `messages` (one per line) with util-linux logger over TCP.

    form: "rfc3164", "rfc5424" or "octet-count" (RFC 5424 with RFC 6587
    octet counting).
    """
    args = [LOGGER, "--tcp", "--server", host, "--port", str(port), "-t", tag]
    if form == "rfc3164":
        args.append("--rfc3164")
    elif form == "rfc5424":
        args.append("--rfc5424")
    elif form == "octet-count":
        args += ["--rfc5424", "--octet-count"]
    else:
        raise ValueError(form)
    subprocess.run(args + list(extra), input="\n".join(messages) + "\n", text=True, check=True,
                   timeout=30)
