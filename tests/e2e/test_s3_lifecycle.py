"""archive.expire_after end to end against Ceph RGW: `hourglass serve` sets
its bucket lifecycle rule at start, read back with boto3; a foreign rule
(set with boto3) survives; a new duration updates the same rule; "" leaves
the bucket alone; credentials that may not do it give a warning, not a
failure; a duration that is not whole days is a config error; a file://
target says nothing expires there."""
import contextlib
import os
import subprocess
import tempfile
import unittest
import uuid

import harness
from harness import Hourglass
import s3_peer

PEER = None
OURS = "hourglass-expire-{}"
FOREIGN = {"ID": "boto3-builds", "Filter": {"Prefix": "builds/"}, "Status": "Enabled",
           "Expiration": {"Days": 7}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}


def setUpModule():
    global PEER
    PEER = s3_peer.S3Peer().start()


def tearDownModule():
    if PEER:
        PEER.stop()


def rules():
    """The bucket's lifecycle rules by ID, as boto3 reads them ({} when none)."""
    client = PEER.boto3_client()
    try:
        found = client.get_bucket_lifecycle_configuration(Bucket=PEER.bucket)["Rules"]
    except client.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchLifecycleConfiguration":
            return {}
        raise
    return {rule["ID"]: rule for rule in found}


def prefix_of(rule):
    return rule.get("Filter", {}).get("Prefix", rule.get("Prefix"))


class S3LifecycleTest(unittest.TestCase):
    def setUp(self):
        PEER.boto3_client().delete_bucket_lifecycle(Bucket=PEER.bucket)
        self.prefix = f"lc-{uuid.uuid4().hex[:6]}/"

    @contextlib.contextmanager
    def serve(self, expire_after, env=None, target=None):
        """A started server (with these S3 credentials in its environment)."""
        sets = [f"archive.target={target or f's3://{PEER.bucket}/{self.prefix}'}",
                f"archive.endpoint={PEER.endpoint}", f"archive.expire_after={expire_after}"]
        hg = Hourglass(sets=sets)
        saved = dict(os.environ)
        os.environ.update(env or PEER.env())
        try:
            hg.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            yield hg
        finally:
            hg.__exit__(None, None, None)  # stops it if running, removes its data dir

    def run_once(self, expire_after):
        """Starts serve, returns (/health JSON, log text) and stops it cleanly."""
        with self.serve(expire_after) as hg:
            status, health = hg.health()
            self.assertEqual(status, 200, health)
            failures = hg.metric("archive.lifecycle_failures")
            self.assertEqual(hg.stop(), 0)
        return health, "\n".join(hg.log_lines), failures

    def test_rule_added_updated_in_place_and_foreign_rule_survives(self):
        PEER.boto3_client().put_bucket_lifecycle_configuration(
            Bucket=PEER.bucket, LifecycleConfiguration={"Rules": [FOREIGN]})
        ours = OURS.format(self.prefix)

        health, _, failures = self.run_once("60d")
        found = rules()
        self.assertEqual(sorted(found), sorted(["boto3-builds", ours]))
        self.assertEqual(found[ours]["Expiration"], {"Days": 60})
        self.assertEqual(prefix_of(found[ours]), self.prefix)
        self.assertEqual(found[ours]["Status"], "Enabled")
        self.assertEqual(found["boto3-builds"], FOREIGN)
        detail = health["components"]["archive_expiry"]
        self.assertEqual(detail["state"], "ok")
        self.assertIn("added", detail["detail"])
        self.assertEqual(failures, 0)

        self.run_once("30d")  # a new duration: the same rule, no second one
        found = rules()
        self.assertEqual(sorted(found), sorted(["boto3-builds", ours]))
        self.assertEqual(found[ours]["Expiration"], {"Days": 30})
        self.assertEqual(found["boto3-builds"], FOREIGN)

        health, _, _ = self.run_once("30d")  # nothing to change: no PUT
        self.assertIn("already set", health["components"]["archive_expiry"]["detail"])

        # "" never touches the bucket: a rule changed by hand stays as it is.
        changed = dict(found[ours], Expiration={"Days": 45})
        PEER.boto3_client().put_bucket_lifecycle_configuration(
            Bucket=PEER.bucket, LifecycleConfiguration={"Rules": [FOREIGN, changed]})
        health, log, failures = self.run_once("")
        self.assertEqual(rules()[ours]["Expiration"], {"Days": 45})
        self.assertNotIn("archive_expiry", health["components"])
        self.assertNotIn("archive expiry", log)
        self.assertIsNone(failures)

    def test_credentials_without_permission_warn_and_serve_runs(self):
        access, secret = "LCOTHER" + uuid.uuid4().hex[:12].upper(), uuid.uuid4().hex
        PEER._run("radosgw-admin", "user", "create", "--uid", "lc-" + access.lower(),
                  "--display-name", "not the bucket owner", "--access-key", access, "--secret", secret)
        env = {**PEER.env(), "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
        with self.serve("60d", env=env) as hg:
            status, health = hg.health()
            self.assertEqual(status, 200, health)  # a warning, not degraded
            expiry = health["components"]["archive_expiry"]
            self.assertEqual(expiry["state"], "ok")
            self.assertTrue(expiry["detail"].startswith("warning: "), expiry)
            self.assertIn("AccessDenied", expiry["detail"])
            self.assertNotIn(secret, expiry["detail"])
            self.assertEqual(hg.metric("archive.lifecycle_failures"), 1)
            self.assertEqual(hg.stop(), 0)
        self.assertIn("archive.expire_after not applied", "\n".join(hg.log_lines))
        self.assertEqual(rules(), {})

    def test_not_whole_days_is_a_config_error(self):
        for value in ("36h", "1.5d", "0d", "-1d", "soon"):
            with self.subTest(value), tempfile.TemporaryDirectory() as data_dir:
                result = subprocess.run(
                    [harness.BINARY, "serve", "--set", f"data_dir={data_dir}",
                     "--set", f"archive.expire_after={value}"],
                    capture_output=True, text=True, timeout=30)
                self.assertEqual(result.returncode, 2, result.stderr)  # a config error
                self.assertIn("archive.expire_after", result.stderr)
                self.assertIn("whole number of days", result.stderr)
        for value in ("1d", "2w"):  # whole days in other units are fine
            with self.subTest(value):
                check = harness.run_cli("config", "check", "--set", f"archive.expire_after={value}")
                self.assertEqual(check.returncode, 0, check.stderr)

    def test_file_target_warns_that_nothing_expires(self):
        with tempfile.TemporaryDirectory() as archive_dir:
            with self.serve("60d", target=f"file://{archive_dir}") as hg:
                status, health = hg.health()
                self.assertEqual(status, 200)
                self.assertIn("nothing expires", health["components"]["archive_expiry"]["detail"])
                self.assertEqual(hg.stop(), 0)


if __name__ == "__main__":
    unittest.main()
