"""The page for people (issue 14) in a real browser: Debian's chromium
driven by python3-selenium through chromedriver, against the real server
with http.token set. Loads /, gives the token once, expands the series tree
to a statsd counter sent here and checks the drawn values against /render,
finds a malformed statsd line counted on the status page, opens an audit
hour and finds a syslog line sent here, pages a capped search with "more",
and checks that nothing was requested from another origin and that the CSP
blocked nothing. Screenshots of each view go to a temp directory (printed).
Skips, saying why, when chromium or selenium cannot start.
"""
import json
import os
import socket
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

from harness import Hourglass, split_address

TOKEN = "e2e-web-token"
CHROMEDRIVER = "/usr/bin/chromedriver"


def start_browser():
    """A headless chromium, or (None, why not)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        return None, f"python3-selenium is not installed: {error}"
    if not os.path.exists(CHROMEDRIVER):
        return None, f"{CHROMEDRIVER} not found (chromium-driver)"
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options), None
    except Exception as error:  # WebDriverException, or chromium missing or crashing
        return None, f"chromium did not start: {str(error).splitlines()[0] if str(error) else error!r}"


class BrowserCase(unittest.TestCase):
    """A headless chromium and a server started with SETS (and http.token)."""
    SETS = []

    @classmethod
    def setUpClass(cls):
        if cls is BrowserCase:
            raise unittest.SkipTest("a base class")
        cls.driver, why = start_browser()
        if cls.driver is None:
            raise unittest.SkipTest(why)
        cls.shots = tempfile.mkdtemp(prefix="hourglass-web-ui-")
        print(f"\nscreenshots: {cls.shots}")
        cls.hg = Hourglass(sets=[f"http.token={TOKEN}", "archive.host=e2e-web"] + cls.SETS).start()
        cls.base = f"http://{cls.hg.addresses['http']}"

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.hg.stop()
        if cls.hg.own_dir:
            cls.hg.own_dir.cleanup()

    # helpers -----------------------------------------------------------------
    def api(self, path, **params):
        """GET with the bearer token; the parsed JSON (or text)."""
        request = urllib.request.Request(self.hg.url(path, **params),
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
            return json.loads(body) if "json" in response.headers["Content-Type"] else body

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def until(self, predicate, what, timeout=10):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = predicate()
            except Exception as error:  # a stale element while the page redraws
                last = error
            if last and not isinstance(last, Exception):
                return last
            time.sleep(0.1)
        self.driver.save_screenshot(os.path.join(self.shots, "failed.png"))
        raise AssertionError(f"timed out waiting for {what}; last={last!r}; "
                             f"console={self.driver.get_log('browser')}")

    def click_tree(self, tree, label):
        """Clicks the node `label` of the tree (the first one shown)."""
        return self.until(lambda: self.js("""
            for (const span of document.querySelectorAll(arguments[0] + ' span')) {
              if (span.textContent === arguments[1]) { span.click(); return true; }
            }
            return false;""", tree, label), f"tree node {label}")

    def send_syslog(self, lines):
        with socket.create_connection(split_address(self.hg.addresses["syslog"])) as sock:
            sock.sendall("".join(f"<13>1 - e2e-web webtest - - - {line}\n" for line in lines).encode())

    def drawn(self):
        """The chart's points as [[unix seconds, value]] (nulls left out)."""
        return self.js("""
            const g = HG.metrics.chart;
            if (!g) return null;
            const out = [];
            for (let i = 0; i < g.numRows(); ++i) {
              const v = g.getValue(i, 1);
              if (v !== null && !Number.isNaN(v)) out.push([g.getValue(i, 0) / 1000, v]);
            }
            return out;""")

    def login(self, path="/"):
        """Loads `path` and gives the token when the page asks."""
        self.driver.get(self.base + path)
        self.until(lambda: self.js("return !document.getElementById('token-form').hidden"),
                   "the token question")
        self.driver.find_element("id", "token-input").send_keys(TOKEN)
        self.driver.find_element("css selector", "#token-form button").click()

    def rows(self, table):
        return self.js(f"return document.querySelectorAll('{table} tbody tr').length")


class WebUiTest(BrowserCase):
    SETS = ["archive.ship_interval=1s"]

    # the test -------------------------------------------------------------------
    def test_metrics_status_and_audit_views(self):
        marker = uuid.uuid4().hex[:10]
        started = int(time.time())
        self.hg.send_statsd("web.orders:5|c", "this is not statsd")
        self.send_syslog([f"audit-{marker} one line to find"] +
                         [f"bulk-{marker} {i}" for i in range(250)])
        time.sleep(1.2)
        self.hg.send_statsd("web.orders:7|c")
        with socket.create_connection(split_address(self.hg.addresses["carbon"])) as sock:
            sock.sendall(f"disk.used;host=web-{marker};dc=x 42 {int(time.time())}\n".encode())
        # A range that ends 2 s back, flushed and settled, holding both flushes.
        frm = started - 30

        def settled():
            until = int(time.time()) - 2
            points = self.api("/render", target="stats_counts.web.orders", format="json",
                              **{"from": frm, "until": until})
            return points and sum(v for v, _ in points[0]["datapoints"] if v) == 12 and until
        until = self.until(settled, "both flushes of the counter in the store")

        # Metrics: the token once, then the tree, lazily, down to the counter.
        driver = self.driver
        self.login()
        self.click_tree("#tree", "stats_counts")
        self.click_tree("#tree", "web")
        self.click_tree("#tree", "orders")
        self.until(lambda: self.drawn(), "the chart")
        self.assertEqual(self.js("return document.getElementById('targets').value"),
                         "stats_counts.web.orders")
        # The absolute range (as the test's own /render gets it), drawn again.
        for field, value in (("from", frm), ("until", until)):
            box = driver.find_element("id", field)
            box.clear()
            box.send_keys(str(value))
        self.js("HG.metrics.chart = null")
        driver.find_element("id", "draw").click()
        drawn = self.until(lambda: self.drawn(), "the chart in the absolute range")
        rendered = self.api("/render", target="stats_counts.web.orders", format="json",
                            **{"from": frm, "until": until})
        expected = [[t, v] for v, t in rendered[0]["datapoints"] if v is not None]
        self.assertEqual(drawn, expected)
        self.assertEqual(sum(v for _, v in drawn), 12)  # 5 + 7, as sent
        self.assertIn(f"from={frm}", driver.current_url)
        self.assertIn("target=stats_counts.web.orders", driver.current_url)
        # The URL carries the view: a reload draws the same (the token is kept for the tab).
        driver.refresh()
        self.assertEqual(self.until(lambda: self.drawn(), "the chart after a reload"), drawn)
        self.assertTrue(self.js("return document.getElementById('token-form').hidden"))
        driver.save_screenshot(os.path.join(self.shots, "metrics.png"))
        # Tagged series, by tag: host, then its value, charts seriesByTag.
        self.click_tree("#tag-tree", "host")
        self.click_tree("#tag-tree", f"web-{marker} (1)")
        self.until(lambda: self.js("return document.getElementById('targets').value.includes("
                                   f"\"seriesByTag('host=web-{marker}')\")"), "the tag's target")
        self.assertEqual(self.until(lambda: self.js(
            "const g = HG.metrics.chart; return g && g.numColumns() === 3 && g.getLabels()[2]"),
            "two series drawn"), f"disk.used;dc=x;host=web-{marker}")

        # Status: health per component, and the malformed line counted.
        driver.find_element("id", "nav-status").click()
        bad = self.until(lambda: self.js("""
            const row = document.querySelector('#drops-table tr[data-name="hourglass_statsd_bad_lines_seen_total"]');
            return row && Number(row.cells[1].textContent) >= 1 && row.cells[1].textContent;"""),
            "the statsd drop on the status page")
        self.assertEqual(float(bad), float(self.api("/metrics").split(
            "\nhourglass_statsd_bad_lines_seen_total ")[1].split()[0]))
        # The chart keeps the rate; its title the exact total, as /metrics counts it.
        total = self.until(lambda: self.js(
            "const s = document.querySelector('[data-total=\"hourglass.statsd.bad_lines_seen\"]');"
            "return s && s.textContent"), "the exact total on the bad lines chart")
        self.assertEqual(total, f"total {int(float(bad))}")
        components = self.js("""return [...document.querySelectorAll('#health-table tbody tr')]
                                 .map(r => [r.cells[0].textContent, r.cells[1].textContent])""")
        self.assertIn("store", [name for name, _ in components])
        self.until(lambda: self.js("return Object.keys(HG.status.charts).length > 0"),
                   "a self-metric chart")
        self.assertRegex(self.js("return document.getElementById('status-about').textContent"),
                         r"^version 1\.1\.10, up \d+m \d+s$")
        driver.save_screenshot(os.path.join(self.shots, "status.png"))

        # Audit: the hour (shipped in parts every second), opened, the line found.
        self.until(lambda: self.api("/archive/search", grep=f"audit-{marker}", **{"from": "-2h", "until": "now"})["lines"],
                   "the syslog line in the archive")
        driver.find_element("id", "nav-audit").click()
        self.until(lambda: self.js("return document.querySelectorAll('#hours-table tbody tr[data-hour]').length"),
                   "the archived hours")
        self.js("document.querySelector('#hours-table tbody tr[data-hour]').click()")
        message = self.until(lambda: self.js(f"""
            for (const row of document.querySelectorAll('#lines-table tbody tr')) {{
              if (row.cells[4].textContent.includes('audit-{marker}')) return [row.cells[1].textContent,
                  row.cells[2].textContent, row.cells[4].textContent];
            }}
            return null;"""), "the line in the opened hour", timeout=15)
        self.assertEqual(message, ["e2e-web", "webtest", f"audit-{marker} one line to find"])
        # A search capped at 200 lines a page, "more" for the rest.
        pattern = driver.find_element("id", "audit-pattern")
        pattern.clear()
        pattern.send_keys(f"bulk-{marker}")
        driver.find_element("id", "audit-search").click()
        self.until(lambda: self.js("return document.querySelectorAll('#lines-table tbody tr').length === 200 && "
                                   "!document.getElementById('audit-more').hidden"), "a first page of 200")
        driver.find_element("id", "audit-more").click()
        self.until(lambda: self.js("return document.querySelectorAll('#lines-table tbody tr').length === 250 && "
                                   "document.getElementById('audit-more').hidden"), "the rest after more")
        driver.save_screenshot(os.path.join(self.shots, "audit.png"))
        # Back to Metrics: the chart as it was left.
        self.js("HG.metrics.chart = null")
        driver.find_element("id", "nav-metrics").click()
        self.until(lambda: self.js("return HG.metrics.chart && HG.metrics.chart.numColumns() === 3"),
                   "the metrics view as left")

        # Nothing from another origin, nothing blocked by the CSP.
        resources = self.js("return performance.getEntriesByType('resource').map(e => e.name)")
        self.assertTrue(resources)
        self.assertEqual([r for r in resources if not r.startswith(self.base + "/")], [])
        self.assertEqual([e for e in driver.get_log("browser")
                          if e["level"] == "SEVERE" and "401" not in e["message"]], [])


class UnshippedAuditAndWideTreeTest(BrowserCase):
    """The default archive.ship_interval (5m): nothing of the open hour is
    shipped during the test, so what the page finds comes from the local file."""

    def test_open_hour_searched_and_a_wide_branch_cut_with_a_filter(self):
        marker = uuid.uuid4().hex[:10]
        hour = int(time.time()) // 3600
        self.send_syslog([f"open-{marker} not archived yet"] +
                         [f"bulk-{marker} {i}" for i in range(250)])
        with socket.create_connection(split_address(self.hg.addresses["carbon"])) as sock:
            now = int(time.time())
            sock.sendall("".join(f"wide.c{i} {i} {now}\n" for i in range(12)).encode())
        self.until(lambda: len(self.api("/metrics/find", query="wide.*")) == 12, "12 children of wide")
        self.until(lambda: self.api("/archive/search", grep=f"open-{marker}",
                                    **{"from": "-1h", "until": "now"})["lines"], "the line found locally")

        # The tree asks 5 children at a time (?tree_limit=5): 5 of 12, then a filter.
        self.login("/?tree_limit=5")
        self.click_tree("#tree", "wide")
        note = self.until(lambda: self.js(
            "const l = document.querySelector('#tree li.filter label'); return l && l.textContent"),
            "the truncation note")
        self.assertEqual(note.strip(), "5 of 12 shown, type to filter")
        self.assertEqual(self.js("return document.querySelectorAll('#tree li.filter ~ li .leaf').length"), 5)
        self.driver.find_element("css selector", "#tree li.filter input").send_keys("c1")
        shown = self.until(lambda: self.js("""
            const names = [...document.querySelectorAll('#tree li.filter ~ li .leaf')].map(s => s.textContent);
            return names.length === 3 && names;"""), "the filtered children")
        self.assertEqual(shown, ["c1", "c10", "c11"])
        self.driver.save_screenshot(os.path.join(self.shots, "tree-filter.png"))

        # Audit: the open hour is listed as open, and its line found before any upload.
        self.driver.get(self.base + f"/?tree_limit=5#view=audit&from=-1h&until=now&pattern=open-{marker}")
        found = self.until(lambda: self.js(f"""
            for (const row of document.querySelectorAll('#lines-table tbody tr')) {{
              if (row.cells[4].textContent.includes('open-{marker}')) return row.cells[4].textContent;
            }}
            return null;"""), "the unshipped line on the page")
        self.assertEqual(found, f"open-{marker} not archived yet")
        states = self.js("""return [...document.querySelectorAll('#hours-table tbody tr[data-state]')]
                            .map(r => r.dataset.state)""")
        if int(time.time()) // 3600 == hour:  # else the hour rolled during the test: complete, then
            self.assertEqual(states, ["open"])
        self.assertEqual(self.api("/archive/hours", **{"from": "-1h", "until": "now"}), [])  # nothing shipped
        # The local file paged like the archive: 200, then "more" for the rest.
        pattern = self.driver.find_element("id", "audit-pattern")
        pattern.clear()
        pattern.send_keys(f"bulk-{marker}")
        self.driver.find_element("id", "audit-search").click()
        self.until(lambda: self.rows("#lines-table") == 200 and
                   not self.js("return document.getElementById('audit-more').hidden"), "a first page of 200")
        self.driver.find_element("id", "audit-more").click()
        self.until(lambda: self.rows("#lines-table") == 250 and
                   self.js("return document.getElementById('audit-more').hidden"), "the rest after more")
        self.assertEqual(self.js("return document.querySelector('#lines-table tbody tr:last-child').cells[4].textContent"),
                         f"bulk-{marker} 249")
        self.driver.save_screenshot(os.path.join(self.shots, "audit-open-hour.png"))
        self.assertEqual([e for e in self.driver.get_log("browser")
                          if e["level"] == "SEVERE" and "401" not in e["message"]], [])

        # The archive cannot be listed (its directory replaced by a file): the
        # local lines are still found, and the page says the archive was not searched.
        archive = os.path.join(self.hg.data_dir, "archive")
        os.rename(archive, archive + ".moved")
        with open(archive, "w") as f:
            f.write("not a directory\n")
        answer = self.api("/archive/search", grep=f"open-{marker}", **{"from": "-1h", "until": "now"})
        self.assertEqual([json.loads(line)["message"] for line in answer["lines"]],
                         [f"open-{marker} not archived yet"])
        self.assertTrue(answer["archive_error"])
        pattern = self.driver.find_element("id", "audit-pattern")
        pattern.clear()
        pattern.send_keys(f"open-{marker}")
        self.driver.find_element("id", "audit-search").click()
        self.until(lambda: self.rows("#lines-table") == 1 and self.js(
            "return document.getElementById('error').textContent.startsWith('archive not searched')"),
            "the local line and the archive's error")
        self.assertEqual(self.js("""return [...document.querySelectorAll('#hours-table tbody tr[data-state]')]
                                    .length"""), 1)  # the local hour, still listed


class PageHeadersTest(unittest.TestCase):
    """No browser needed: the page's headers as served."""

    def test_the_page_carries_its_csp_and_needs_no_token(self):
        with Hourglass(sets=[f"http.token={TOKEN}"]) as hg:
            with urllib.request.urlopen(hg.url("/"), timeout=10) as response:
                self.assertEqual(response.headers["Content-Type"], "text/html; charset=utf-8")
                self.assertIn("default-src 'none'", response.headers["Content-Security-Policy"])
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(hg.url("/metrics/find", query="*"), timeout=10)
            self.assertEqual(refused.exception.code, 401)


if __name__ == "__main__":
    unittest.main()
