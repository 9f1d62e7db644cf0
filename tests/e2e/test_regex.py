"""Hostile regular expressions against the real binary (issue 9): every
pattern a render target, a tag query or an archive grep carries gets a prompt
answer or a 400 naming the problem, the server keeps answering /health, and
memory stays small. RE2 replaced std::regex (stack overflow on a long name,
exponential time) and glibc's regcomp (2.9 GB for a++++...)."""
import os
import time
import unittest
import urllib.parse

from harness import Hourglass
from test_archive import HOST, archive_cli, write_past_hour
from test_graphite import send_carbon

# A stall detector, not a speed assertion: the old code took 10 s to minutes.
DEADLINE = 5.0
# The shared regression inputs, copied into the tree (see test_hostile_queries.py).
REPRO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_targets")


def repro_targets():
    """The regression targets of issue 9, as stored or rebuilt to the same shape."""
    targets = {
        "regex_brace_overflow": 'aliasSub(constantLine(1),"a{99999999999999999999}","x")',
        "regex_classic_grep": 'grep(alias(constantLine(1),"aaaaaaaaaaaaaaaaaa"),"(a*)*b")',
        "regex_dotstar_aliassub": 'aliasSub(alias(constantLine(1),"' + "a" * 16000 + '"),"^(.*)$","\\1 A")',
        "regex_long_aliassub": 'aliasSub(alias(constantLine(1),"' + "ab" * 8000 + '"),"(a|b)*c","x")',
        "regex_stars_exclude": 'exclude(constantLine(1),"a****************b")',
        "seriesbytag_stars": 'seriesByTag("name=~a****************b")',
    }
    for name in list(targets):
        path = os.path.join(REPRO, name + ".txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                targets[name] = f.read().strip()
    return targets


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


class RenderRegexTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Hourglass().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def timed_render(self, target):
        started = time.monotonic()
        status, body = self.server.post_form(
            "/render", "format=json&from=-5min&until=now&target=" + urllib.parse.quote(target, safe=""))
        self.assertLess(time.monotonic() - started, DEADLINE, target[:80])
        status_health, _ = self.server.get("/health")
        self.assertEqual(status_health, 200)
        return status, body

    def test_repro_targets_answer_promptly_with_a_result_or_a_400(self):
        expected = {
            "regex_brace_overflow": (400, b"repetition count 99999999999999999999 is more than 1000"),
            "regex_classic_grep": (200, b"[]"),
            "regex_dotstar_aliassub": (200, b'"target": "' + b"a" * 16000 + b' A"'),
            "regex_long_aliassub": (200, b'"target": "abab'),
            "regex_stars_exclude": (400, b"bad repetition operator: **"),
            "seriesbytag_stars": (400, b"bad repetition operator: **"),
        }
        for name, target in repro_targets().items():
            with self.subTest(name):
                status, body = self.timed_render(target)
                want_status, want_text = expected[name]
                self.assertEqual(status, want_status, body[:300])
                self.assertIn(want_text, body.replace(b'":"', b'": "'))

    def test_what_re2_cannot_do_is_a_400_naming_it(self):
        for pattern, why in (("(a)\\1", b"backreferences such as \\1 are not supported"),
                             ("(?P<x>a)(?P=x)", b"named backreferences"),
                             ("a(?=b)", b"lookahead"),
                             ("a++", b"possessive")):
            with self.subTest(pattern):
                status, body = self.timed_render(f'grep(constantLine(1),"{pattern}")')
                self.assertEqual(status, 400, body)
                self.assertIn(why, body)

    def test_exponential_patterns_on_long_names_answer_at_once(self):
        status, body = self.timed_render('aliasSub(alias(constantLine(1),"' + "a" * 5000 + '"),"(a+)+$","b")')
        self.assertEqual(status, 200, body[:300])
        self.assertIn(b'"b"', body)
        status, body = self.timed_render('aliasSub(alias(constantLine(1),"' + "a" * 5000 + 'c"),"(a+)+$","b")')
        self.assertEqual(status, 200, body[:300])
        self.assertIn(b"a" * 5000 + b"c", body)


class CarbonLongNameTest(unittest.TestCase):
    def test_grep_on_a_15000_character_name_planted_over_carbon(self):
        name = "e2e.rx." + "ab" * 7500
        with Hourglass() as server:
            server.wait_for(lambda: "carbon" in server.addresses, what="carbon listening line")
            send_carbon(server, f"{name} 7 {int(time.time()) - 5}\ne2e.rx.short 3 {int(time.time()) - 5}\n")
            server.wait_for(lambda: len(server.render("e2e.rx.*", frm="-1min")) == 2, what="both series")
            started = time.monotonic()
            kept = server.render('grep(e2e.rx.*,"(a|b)*$")', frm="-1min")
            dropped = server.render('exclude(e2e.rx.*,"(a|b)+$")', frm="-1min")
            self.assertLess(time.monotonic() - started, DEADLINE)
            self.assertEqual(sorted(s["target"] for s in kept), sorted([name, "e2e.rx.short"]))
            self.assertEqual([s["target"] for s in dropped], ["e2e.rx.short"])
            self.assertEqual(server.get("/health")[0], 200)


class ArchiveGrepTest(unittest.TestCase):
    def test_a_followed_by_22_plus_is_answered_with_small_memory(self):
        with Hourglass(sets=[f"archive.host={HOST}"]) as server:
            past = time.time() - 2 * 3600
            write_past_hour(server.data_dir, past, b"bab\nccc\naaa\n")
            params = {"from": "-3h", "until": "now", "grep": "a" + "+" * 22}
            server.wait_for(lambda: server.get("/archive/cat", **params)[1] != b"", what="the hour archived")
            started = time.monotonic()
            status, body = server.get("/archive/cat", **params)
            self.assertLess(time.monotonic() - started, DEADLINE)
            self.assertEqual((status, body), (200, b"bab\naaa\n"))  # a++ is a+, as for grep -E
            self.assertLess(vm_hwm_kib(server.proc.pid), 512 * 1024)  # was 2.9 GB
            status, body = server.get("/archive/cat", **{**params, "grep": "(a)\\1"})
            self.assertEqual(status, 400, body)
            self.assertIn(b"backreferences are not supported", body)
            self.assertEqual(server.stop(), 0)
            cli = archive_cli(server.data_dir, "cat", "--from", "-3h", "--until", "now", "--grep", "a" + "+" * 22)
            self.assertEqual((cli.returncode, cli.stdout), (0, "bab\naaa\n"), cli.stderr)
            bad = archive_cli(server.data_dir, "cat", "--from", "-3h", "--until", "now", "--grep", "\\<a")
            self.assertEqual(bad.returncode, 2)
            self.assertIn("(GNU word boundary) is not supported: use \\b", bad.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
