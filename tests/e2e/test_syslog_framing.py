"""Octet-counted syslog framing against the real binary (issue 9, item 5).

A frame longer than the message limit must be read through to its declared
end, and an impossible octet count must not swallow the frames after it:
either used to turn the rest of an octet-counted connection (which has no
LFs) into one message.
"""
import contextlib
import json
import re
import socket
import time
import unittest

from test_audit import audit_lines, metric, serve, syslog_address

TOKEN_RE = re.compile(r"framing-[0-9a-f]{8}-(\d{5})")


def counted(message):
    data = message.encode()
    return str(len(data)).encode() + b" " + data


@contextlib.contextmanager
def send_then_frames(first, run, n):
    """A running server that got `first`, then n octet-counted frames, on one connection."""
    stream = [first] + [counted(f"<13>1 - h app - - - framing-{run}-{i:05d}") for i in range(n)]
    with serve() as hg:
        with socket.create_connection(syslog_address(hg)) as sock:
            sock.sendall(b"".join(stream))
        yield hg


def run_id():
    return format(int(time.time() * 1000) & 0xFFFFFFFF, "08x")


def records(hg):
    return [json.loads(line) for lines in audit_lines(hg).values() for line in lines]


def wait_for_lines(hg, n, timeout=60):
    """Waits until the audit files hold at least n lines, then a little longer."""
    hg.wait_for(lambda: sum(len(v) for v in audit_lines(hg).values()) >= n, timeout=timeout,
                what=f"{n} audit lines")
    time.sleep(0.5)  # anything extra would show up by now
    return records(hg)


class OctetCountedFraming(unittest.TestCase):
    def test_oversized_frame_then_10000_frames_gives_10001_lines(self):
        run = run_id()
        head = f"<13>1 - h app - - - framing-{run}-big "
        big = head + "x" * (204_809 - len(head))
        self.assertEqual(len(big), 204_809)
        with send_then_frames(counted(big), run, 10_000) as hg:
            got = wait_for_lines(hg, 10_001)
            self.assertEqual(len(got), 10_001)
            self.assertTrue(got[0]["message"].startswith(f"framing-{run}-big xxx"))
            self.assertTrue(got[0].get("truncated"))
            numbers = [int(TOKEN_RE.search(r["message"]).group(1)) for r in got[1:]]
            self.assertEqual(numbers, list(range(10_000)))
            self.assertFalse(any(r.get("truncated") for r in got[1:]))
            self.assertEqual(metric(hg, "syslog.messages_truncated"), 1)
            self.assertEqual(metric(hg, "syslog.framing_errors"), 0)
            self.assertEqual(metric(hg, "syslog.messages_received"), 10_001)

    def test_count_of_10_to_the_12_does_not_merge_the_next_frames(self):
        run = run_id()
        with send_then_frames(b"1000000000000 <13>1 - h app - - - impossible count 1", run, 10) as hg:
            got = wait_for_lines(hg, 11)
            self.assertEqual(len(got), 11)
            self.assertIn("impossible count 1", json.dumps(got[0]))
            messages = [r["message"] for r in got[1:]]
            self.assertEqual(messages, [f"framing-{run}-{i:05d}" for i in range(10)])
            self.assertEqual(metric(hg, "syslog.framing_errors"), 1)


if __name__ == "__main__":
    unittest.main()
