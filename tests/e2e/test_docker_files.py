#!/usr/bin/python3
"""Checks docker/ without Docker: compose services and ports, the Grafana
data source, and the Dockerfile's stages, user and runtime packages.

Run: /usr/bin/python3 tests/e2e/test_docker_files.py  (stdlib + PyYAML).
The runtime-package check asks apt-cache and runs only on a Debian 12 host.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import unittest
from urllib.parse import urlsplit

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKER = os.path.join(REPO, "docker")
COMPOSE = os.path.join(DOCKER, "compose.yaml")
DOCKERFILE = os.path.join(DOCKER, "Dockerfile")
DATASOURCE = os.path.join(DOCKER, "grafana", "provisioning", "datasources", "hourglass.yaml")
# The file every hourglass command in the container reads.
CONTAINER_CONFIG = "/etc/hourglass/hourglass.toml"


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def dockerfile_instructions(path):
    """[(INSTRUCTION, argument text)] with continuations joined, comments dropped."""
    out, pending = [], ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if pending and line.lstrip().startswith("#"):
                continue  # comment lines inside a continuation are dropped by Docker
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            text = (pending + line).strip()
            pending = ""
            word, _, rest = text.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages(instructions):
    """Splits instructions into stages: [(FROM argument, [instructions])]."""
    result = []
    for word, rest in instructions:
        if word == "FROM":
            result.append((rest, []))
        elif result:
            result[-1][1].append((word, rest))
    return result


def exec_form(arg):
    """The argument list of an exec-form (JSON) or shell-form instruction."""
    arg = arg.strip()
    if arg.startswith("["):
        return yaml.safe_load(arg)  # JSON arrays are YAML flow sequences
    return shlex.split(arg)


def apt_installed_packages(stage_instructions):
    """Package names given to `apt-get install` in one stage's RUN lines."""
    names = []
    for word, rest in stage_instructions:
        if word != "RUN":
            continue
        for command in re.split(r"&&|;|\|\|", rest):
            tokens = shlex.split(command)
            if len(tokens) >= 2 and tokens[0] in ("apt-get", "apt") and "install" in tokens:
                after = tokens[tokens.index("install") + 1:]
                names += [t for t in after if not t.startswith("-")]
    return names


def set_values(args):
    """KEY=VALUE pairs given with --set in an argument list (last one wins)."""
    values = {}
    for i, a in enumerate(args):
        if a == "--set" and i + 1 < len(args) and "=" in args[i + 1]:
            key, _, value = args[i + 1].partition("=")
            values[key] = value
        elif a.startswith("--set="):
            key, _, value = a[len("--set="):].partition("=")
            values[key] = value
    return values


def toml_settings(path):
    """{dotted key: value} of a config file (tables flattened, as --set names them)."""
    def flatten(table, prefix):
        out = {}
        for key, value in table.items():
            if isinstance(value, dict):
                out.update(flatten(value, prefix + key + "."))
            else:
                out[prefix + key] = value
        return out
    with open(path, "rb") as f:
        return flatten(tomllib.load(f), "")


def image_config_file(stage_instructions):
    """The repository file the stage copies to CONTAINER_CONFIG, or None."""
    for word, rest in stage_instructions:
        if word == "COPY" and not rest.startswith("--from"):
            parts = shlex.split(rest)
            if parts[-1] == CONTAINER_CONFIG:
                return os.path.join(REPO, parts[-2])
    return None


def image_settings(stage_instructions):
    """What `hourglass serve` in the image runs with: the copied config file,
    then the entrypoint's --set values."""
    entry = exec_form([arg for word, arg in stage_instructions if word == "ENTRYPOINT"][-1])
    config = image_config_file(stage_instructions)
    settings = toml_settings(config) if config else {}
    settings.update(set_values(entry))
    return settings


def published_ports(service):
    """{(container_port, protocol)} published by a compose service (short syntax)."""
    ports = set()
    for p in service.get("ports", []):
        if isinstance(p, dict):
            ports.add((int(p["target"]), p.get("protocol", "tcp")))
            continue
        spec, _, proto = str(p).partition("/")
        ports.add((int(spec.rsplit(":", 1)[-1]), proto or "tcp"))
    return ports


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compose = load_yaml(COMPOSE)
        cls.services = cls.compose["services"]
        cls.instructions = dockerfile_instructions(DOCKERFILE)

    def compose_config_file(self):
        """The file compose mounts over CONTAINER_CONFIG, or None."""
        for volume in self.services["hourglass"].get("volumes", []):
            parts = str(volume).split(":")
            if len(parts) >= 2 and parts[1] == CONTAINER_CONFIG:
                return os.path.normpath(os.path.join(DOCKER, parts[0]))
        return None

    def hourglass_settings(self):
        """Settings the hourglass container runs with: the config file (the
        one compose mounts, else the image's), then the image's entrypoint
        --set values, then compose's command (appended, so it wins)."""
        final = stages(self.instructions)[-1][1]
        mounted = self.compose_config_file()
        settings = toml_settings(mounted) if mounted else {}
        if not mounted:
            config = image_config_file(final)
            settings = toml_settings(config) if config else {}
        entry = exec_form([arg for word, arg in final if word == "ENTRYPOINT"][-1])
        command = self.services["hourglass"].get("command", [])
        if isinstance(command, str):
            command = shlex.split(command)
        settings.update(set_values(list(entry) + list(command)))
        return {k: str(v) for k, v in settings.items()}

    def test_archive_commands_read_the_settings_serve_reads(self):
        # In a file at the path every command reads, not only in serve's
        # arguments, so `docker compose exec hourglass hourglass archive ls` works.
        mounted = self.compose_config_file()
        self.assertIsNotNone(mounted, "compose mounts a config file at " + CONTAINER_CONFIG)
        file_settings = toml_settings(mounted)
        for key in ("archive.target", "archive.endpoint", "data_dir"):
            self.assertEqual(str(file_settings.get(key)), self.hourglass_settings()[key], key)
        self.assertNotIn("HOURGLASS_CONFIG", self.services["hourglass"].get("environment", {}))

    def test_archive_host_is_pinned(self):
        # Keys carry {host}; a container's hostname changes when it is recreated.
        self.assertTrue(self.hourglass_settings().get("archive.host"))
        self.assertTrue(image_settings(stages(self.instructions)[-1][1]).get("archive.host"))

    def test_config_files_pass_config_check(self):
        binary = os.environ.get("HOURGLASS_BIN")
        if not binary or not os.path.exists(binary):
            self.skipTest("HOURGLASS_BIN is not set")
        files = [self.compose_config_file(), image_config_file(stages(self.instructions)[-1][1])]
        for path in files:
            result = subprocess.run([binary, "config", "check", path], capture_output=True,
                                    text=True, check=False)
            self.assertEqual(result.returncode, 0, result.stderr)

    def test_services_present(self):
        for name in ("hourglass", "grafana", "minio"):
            self.assertIn(name, self.services)

    def test_hourglass_builds_from_the_dockerfile(self):
        build = self.services["hourglass"]["build"]
        context = os.path.normpath(os.path.join(DOCKER, build["context"]))
        self.assertEqual(context, REPO)
        self.assertTrue(os.path.isfile(os.path.join(context, build["dockerfile"])))

    def test_hourglass_ports(self):
        ports = published_ports(self.services["hourglass"])
        for port in [(8125, "udp"), (5140, "tcp"), (2003, "tcp"), (8080, "tcp")]:
            self.assertIn(port, ports)

    def test_http_listens_on_all_interfaces(self):
        http = self.hourglass_settings().get("http.listen", "")
        host, _, port = http.rpartition(":")
        self.assertEqual(host, "0.0.0.0", "Grafana in another container must reach the API")
        self.assertIn((int(port), "tcp"), published_ports(self.services["hourglass"]))

    def test_grafana_datasource_points_at_hourglass(self):
        sources = load_yaml(DATASOURCE)["datasources"]
        graphite = [s for s in sources if s["type"] == "graphite"]
        self.assertEqual(len(graphite), 1)
        ds = graphite[0]
        url = urlsplit(ds["url"])
        _, _, port = self.hourglass_settings()["http.listen"].rpartition(":")
        self.assertEqual(url.scheme, "http")
        self.assertEqual(url.hostname, "hourglass")
        self.assertEqual(url.port, int(port))
        self.assertEqual(ds.get("access"), "proxy")
        self.assertEqual(str(ds["jsonData"]["graphiteVersion"]), "1.1")

    def test_grafana_mounts_the_provisioning_folder(self):
        mounts = self.services["grafana"]["volumes"]
        target = "/etc/grafana/provisioning"
        sources = [m.split(":")[0] for m in mounts if m.split(":")[1] == target]
        self.assertEqual(len(sources), 1)
        folder = os.path.normpath(os.path.join(DOCKER, sources[0]))
        self.assertTrue(os.path.isfile(os.path.join(folder, "datasources", "hourglass.yaml")))

    def test_archive_goes_to_the_minio_bucket(self):
        settings = self.hourglass_settings()
        target = urlsplit(settings["archive.target"])
        self.assertEqual(target.scheme, "s3")
        endpoint = urlsplit(settings["archive.endpoint"])
        self.assertEqual(endpoint.hostname, "minio")
        env = self.services["hourglass"]["environment"]
        self.assertIn("AWS_ACCESS_KEY_ID", env)
        self.assertIn("AWS_SECRET_ACCESS_KEY", env)
        # Credentials match MinIO's root user.
        minio_env = self.services["minio"]["environment"]
        self.assertEqual(env["AWS_ACCESS_KEY_ID"], minio_env["MINIO_ROOT_USER"])
        self.assertEqual(env["AWS_SECRET_ACCESS_KEY"], minio_env["MINIO_ROOT_PASSWORD"])
        # Some service creates that bucket before hourglass starts.
        init = [name for name, s in self.services.items()
                if "mc mb" in " ".join(map(str, s.get("entrypoint", []) or []))
                + " " + " ".join(map(str, s.get("command", []) or []))]
        self.assertEqual(len(init), 1)
        script = " ".join(map(str, self.services[init[0]]["entrypoint"]))
        self.assertIn("/" + target.hostname, script)
        depends = self.services["hourglass"]["depends_on"]
        self.assertEqual(depends[init[0]]["condition"], "service_completed_successfully")


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stages = stages(dockerfile_instructions(DOCKERFILE))

    def test_multi_stage(self):
        self.assertGreaterEqual(len(self.stages), 2)
        build_from = self.stages[0][0].split()
        self.assertEqual(build_from[0], "debian:12")
        self.assertEqual([w.lower() for w in build_from[1:]], ["as", "build"])
        self.assertTrue(self.stages[-1][0].split()[0].startswith("debian:12-slim"))
        copies = [arg for word, arg in self.stages[-1][1] if word == "COPY"]
        self.assertTrue(any(c.startswith("--from=build") for c in copies))

    def test_build_stage_builds_hourglass(self):
        runs = " ".join(arg for word, arg in self.stages[0][1] if word == "RUN")
        self.assertIn("-DBUILD_TESTING=OFF", runs)
        self.assertIn("-DCMAKE_BUILD_TYPE=Release", runs)
        self.assertRegex(runs, r"ninja -C build hourglass")

    def test_runs_as_non_root(self):
        users = [arg for word, arg in self.stages[-1][1] if word == "USER"]
        self.assertTrue(users, "the runtime stage has no USER")
        user = users[-1].split(":")[0]
        self.assertNotIn(user, ("root", "0"))

    def test_ports_volume_entrypoint(self):
        final = self.stages[-1][1]
        exposed = " ".join(arg for word, arg in final if word == "EXPOSE").split()
        for port in ("8125/udp", "5140", "2003", "8080"):
            self.assertIn(port, exposed)
        self.assertTrue(any(word == "VOLUME" for word, _ in final))
        entry = exec_form([arg for word, arg in final if word == "ENTRYPOINT"][-1])
        self.assertEqual(os.path.basename(entry[0]), "hourglass")
        self.assertEqual(entry[1], "serve")

    def test_healthcheck_asks_health_with_a_tool_the_image_has(self):
        final = self.stages[-1][1]
        checks = [arg for word, arg in final if word == "HEALTHCHECK"]
        self.assertEqual(len(checks), 1, "one HEALTHCHECK in the runtime stage")
        options, _, command = checks[0].partition("CMD")
        self.assertTrue(command, "HEALTHCHECK CMD ...")
        for option in options.split():
            self.assertRegex(option, r"^--(interval|timeout|start-period|start-interval|retries)=\S+$")
        argv = exec_form(command)
        self.assertEqual(argv[0], "curl")
        self.assertIn("curl", apt_installed_packages(final), "curl is installed in the runtime image")
        # -f: an HTTP error (503 while degraded) fails the check.
        self.assertTrue(any(a.startswith("-") and not a.startswith("--") and "f" in a
                            for a in argv[1:]), argv)
        url = urlsplit([a for a in argv if a.startswith("http")][-1])
        self.assertEqual(url.path, "/health")
        self.assertEqual(url.hostname, "127.0.0.1")
        _, _, port = str(image_settings(final)["http.listen"]).rpartition(":")
        self.assertEqual(url.port, int(port), "the port the entrypoint's http.listen binds")

    def test_runtime_stage_has_no_dev_packages(self):
        runtime = apt_installed_packages(self.stages[-1][1])
        self.assertTrue(runtime)
        self.assertEqual([p for p in runtime if p.endswith("-dev")], [])
        for lib in ("librocksdb", "libspdlog", "libcurl4", "libboost-json", "libboost-url"):
            self.assertTrue(any(p.startswith(lib) for p in runtime), lib)

    def test_packages_exist_in_debian_12(self):
        if not shutil.which("apt-cache"):
            self.skipTest("no apt-cache on this host")
        try:
            with open("/etc/os-release", encoding="utf-8") as f:
                release = f.read()
        except OSError:
            release = ""
        if "VERSION_CODENAME=bookworm" not in release:
            self.skipTest("not a Debian 12 host: apt-cache would answer for another release")
        packages = apt_installed_packages(self.stages[-1][1]) + apt_installed_packages(
            self.stages[0][1])
        result = subprocess.run(["apt-cache", "policy"] + packages, capture_output=True,
                                text=True, check=False)
        candidates = dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)",
                                     result.stdout, re.M))
        if not candidates:
            self.skipTest("apt-cache knows no packages here (run apt-get update)")
        missing = [p for p in packages if candidates.get(p, "(none)") == "(none)"]
        self.assertEqual(missing, [], "not in Debian 12: " + ", ".join(missing))


if __name__ == "__main__":
    unittest.main(verbosity=2)
