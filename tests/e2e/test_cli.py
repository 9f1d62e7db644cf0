"""The command line as users and scripts meet it: help, exit codes, config
check, defaults, version, and start-up failures that must be one clear line."""
import os
import socket
import subprocess
import tempfile
import unittest

from harness import BINARY, Hourglass, run_cli


class CommandLineTest(unittest.TestCase):
    def test_help_lists_commands(self):
        result = run_cli("--help")
        self.assertEqual(result.returncode, 0)
        for command in ("serve", "config check", "config defaults", "version"):
            self.assertIn(command, result.stdout)
        self.assertEqual(run_cli("serve", "--help").returncode, 0)

    def test_unknown_flag_and_command_exit_2_with_one_line(self):
        for args in (("serve", "--bogus"), ("frobnicate",), ("config", "check", "a", "b"),
                     ("serve", "--set")):
            result = run_cli(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)

    def test_bad_set_value_exits_2(self):
        result = run_cli("serve", "--set", "statsd.flush_interval=never")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--set: statsd.flush_interval:", result.stderr)

    def test_defaults_round_trip_through_config_check(self):
        defaults = run_cli("config", "defaults")
        self.assertEqual(defaults.returncode, 0)
        self.assertIn('retentions = "10s:6h,1m:7d,10m:5y"', defaults.stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write(defaults.stdout)
            f.flush()
            check = run_cli("config", "check", f.name)
            self.assertEqual(check.returncode, 0, check.stderr)

    def test_config_check_reports_file_line_key_reason(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write('[statsd]\nlisten = "nowhere"\nflush_intervl = "10s"\n[store]\nretentions = "10s:1h,7s:1d"\n')
            f.flush()
            check = run_cli("config", "check", f.name)
        self.assertEqual(check.returncode, 2)
        lines = check.stderr.strip().splitlines()
        self.assertIn(f"{f.name}:3: statsd.flush_intervl: unknown key", lines)
        self.assertIn(f"{f.name}:2: statsd.listen: must be HOST:PORT", lines)
        self.assertTrue(any(line.startswith(f"{f.name}:5: store.retentions:") for line in lines), lines)

    def test_config_check_reports_bad_schemas_and_rules(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write("[[store.schemas]]\nname = 'broken'\npattern = '('\nretentions = '1m:1d'\n"
                    "[[store.aggregation]]\npattern = 'x'\naggregationMethod = 'median'\n"
                    "xFilesFactor = 1.5\ncolour = 'red'\n")
            f.flush()
            check = run_cli("config", "check", f.name)
        self.assertEqual(check.returncode, 2)
        lines = check.stderr.strip().splitlines()
        self.assertIn(f"{f.name}:9: store.aggregation.colour: unknown key", lines)
        self.assertIn(f"{f.name}:8: store.aggregation.xFilesFactor: must be a number from 0 to 1",
                      lines)
        self.assertTrue(any(line.startswith(f"{f.name}:1: store.schemas: retention schema broken: "
                                            "bad pattern (") for line in lines), lines)

    def test_settings_problems_print_key_once_then_reason(self):
        # Problems found when the config becomes component options (server/settings.cc)
        # print as "WHERE: KEY: REASON", the key once, and exit 2 before anything starts.
        result = run_cli("serve", "--set", "archive.key_template={host}/{nope}")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.strip().splitlines(),
                         ['--set: archive.key_template: unknown placeholder "nope" (known: {prefix} '
                          '{year} {month} {day} {hour} {host} {filename})'])
        # The store checks still run when another key is bad: both are shown at once.
        result = run_cli("serve", "--set", "statsd.listen=bad", "--set", "store.retentions=10s:1h,7s:1d")
        self.assertEqual(result.returncode, 2)
        lines = result.stderr.strip().splitlines()
        self.assertIn("--set: statsd.listen: must be HOST:PORT", lines)
        self.assertIn("--set: store.retentions: retentions '10s:1h,7s:1d': level 2 (7s:86400s) must "
                      "have a coarser step than the one before", lines)
        result = run_cli("config", "check", "/dev/null", "--set",
                         "store.aggregation=[{pattern = 'x', aggregationMethod = 'median'}]")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.strip().splitlines(),
                         ["--set: store.aggregation: rule1: aggregationMethod 'median' is not one of "
                          "average, sum, min, max, last"])

    def test_version(self):
        result = run_cli("version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^hourglass \d+\.\d+\.\d+ ")


class ConfigFileTest(unittest.TestCase):
    """Which config file a command reads: --config, else HOURGLASS_CONFIG, else
    /etc/hourglass/hourglass.toml if it exists (never read here: every run
    sets HOURGLASS_CONFIG or --config); --set applies on top."""

    def cli(self, cwd, *args, env_file=None):
        env = {k: v for k, v in os.environ.items() if k != "HOURGLASS_CONFIG"}
        env["HOURGLASS_CONFIG"] = env_file or os.path.join(cwd, "empty.toml")
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30,
                              cwd=cwd, env=env)

    def test_config_over_env_and_set_over_both(self):
        with tempfile.TemporaryDirectory() as d:
            d = os.path.realpath(d)
            open(os.path.join(d, "empty.toml"), "w").close()
            files = {}
            for name in ("env", "flag"):
                files[name] = os.path.join(d, f"{name}.toml")
                with open(files[name], "w") as f:
                    f.write(f'data_dir = "{d}/{name}-data"\n')
            # `archive ls` names the archive it looked for: which data_dir won.
            env_only = self.cli(d, "archive", "ls", env_file=files["env"])
            self.assertIn(f"file://{d}/env-data/archive does not exist", env_only.stderr)
            self.assertIn(f"config {files['env']} (from HOURGLASS_CONFIG)", env_only.stderr)
            both = self.cli(d, "archive", "ls", "--config", files["flag"], env_file=files["env"])
            self.assertIn(f"file://{d}/flag-data/archive does not exist", both.stderr)
            self.assertIn(f"config {files['flag']} (from --config)", both.stderr)
            with_set = self.cli(d, "archive", "ls", "--config", files["flag"], "--set",
                                f"data_dir={d}/set-data", env_file=files["env"])
            self.assertIn(f"file://{d}/set-data/archive does not exist", with_set.stderr)
            # config check without FILE says which file it checked.
            check = self.cli(d, "config", "check", env_file=files["env"])
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertEqual(check.stdout, f"config {files['env']} (from HOURGLASS_CONFIG): ok\n")
            check = self.cli(d, "config", "check", "--config", files["flag"], env_file=files["env"])
            self.assertEqual(check.stdout, f"config {files['flag']} (from --config): ok\n")

    def test_missing_named_file_exits_2(self):
        with tempfile.TemporaryDirectory() as d:
            missing = os.path.join(d, "missing.toml")
            for args, env_file in ((("archive", "ls"), missing), (("serve",), missing),
                                   (("config", "check"), missing),
                                   (("archive", "ls", "--config", missing), None),
                                   (("serve", "--config", missing), None)):
                result = self.cli(d, *args, env_file=env_file)
                self.assertEqual(result.returncode, 2, (args, result.stderr))
                origin = "HOURGLASS_CONFIG" if env_file else "--config"
                self.assertEqual(result.stderr,
                                 f"hourglass: config file {missing} (from {origin}) does not exist\n")
            self.assertEqual(os.listdir(d), [])  # serve started nothing, created nothing


class StartupFailureTest(unittest.TestCase):
    def run_serve(self, *sets):
        args = [BINARY, "serve", "--set", "http.listen=127.0.0.1:0", "--set", "statsd.listen=127.0.0.1:0",
                "--set", "carbon.listen=127.0.0.1:0", "--set", "syslog.listen=127.0.0.1:0",
                "--set", "syslog.udp_listen=127.0.0.1:0"]
        for item in sets:
            args += ["--set", item]
        return subprocess.run(args, capture_output=True, text=True, timeout=30)

    def test_statsd_port_in_use(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken, tempfile.TemporaryDirectory() as d:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            result = self.run_serve(f"data_dir={d}", f"statsd.listen=127.0.0.1:{port}")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"cannot listen for statsd on udp 127.0.0.1:{port}: Address already in use", result.stderr)

    def test_http_port_in_use(self):
        with socket.socket() as taken, tempfile.TemporaryDirectory() as d:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = self.run_serve(f"data_dir={d}", f"http.listen=127.0.0.1:{port}")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"127.0.0.1:{port}", result.stderr)
        self.assertIn("in use", result.stderr)

    def test_unwritable_data_dir(self):
        with tempfile.TemporaryDirectory() as d:
            blocker = os.path.join(d, "file")
            open(blocker, "w").close()
            result = self.run_serve(f"data_dir={blocker}/data")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("cannot create data directory", result.stderr)
        # One line for the failure, after the line naming the settings' source.
        lines = result.stderr.strip().splitlines()
        self.assertIn(" info settings: ", lines[0])
        self.assertEqual(len(lines[1:]), 1, result.stderr)

    def test_sigterm_exits_zero(self):
        with Hourglass() as server:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
