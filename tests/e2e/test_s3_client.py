"""Hourglass's own S3 client (archive/object_store/s3_object_store, driven by the s3_tool
test binary) against a real S3 (Ceph RGW), read back with awscli and boto3:
never overwrites, recognises an identical object, multipart, path-style and
virtual-hosted addressing, presigned GET/PUT URLs with curl, and a clear
message without the secret for a wrong key. S3_TOOL names the binary."""
import hashlib
import os
import subprocess
import tempfile
import time
import unittest

import s3_peer

S3_TOOL = os.environ.get("S3_TOOL", os.path.join(os.path.dirname(__file__), "../../build/tests/archive/s3_tool"))
PEER = None


def setUpModule():
    global PEER
    if not os.path.exists(S3_TOOL):
        raise unittest.SkipTest(f"no s3_tool at {S3_TOOL}")
    PEER = s3_peer.S3Peer().start()


def tearDownModule():
    if PEER:
        PEER.stop()


def tool(*args, **env):
    full_env = {**os.environ, **PEER.env(), "HOME": "/nonexistent", **env}
    return subprocess.run([S3_TOOL, *args], env=full_env, capture_output=True, timeout=120)


class S3ClientTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hourglass-s3-client-")
        self.addCleanup(self.tmp.cleanup)

    def file(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_put_never_overwrites(self):
        first = self.file("a", b"hour 05 audit\n")
        result = tool("put", "c/2026/11/21/h-a.log", first)
        self.assertEqual((result.returncode, result.stdout), (0, b"uploaded\n"), result.stderr)
        self.assertEqual(tool("put", "c/2026/11/21/h-a.log", first).stdout, b"already_identical\n")
        other = tool("put", "c/2026/11/21/h-a.log", self.file("b", b"something else\n"))
        self.assertEqual((other.returncode, other.stdout), (3, b"conflict_different\n"))
        obj = PEER.boto3_client().get_object(Bucket=PEER.bucket, Key="c/2026/11/21/h-a.log")
        self.assertEqual(obj["Body"].read(), b"hour 05 audit\n")
        self.assertEqual(obj["Metadata"]["hourglass-sha256"], hashlib.sha256(b"hour 05 audit\n").hexdigest())

    def test_multipart_upload_reads_back(self):
        data = os.urandom(11 * 1024 * 1024 + 17)
        path = self.file("big", data)
        env = {"S3_MULTIPART_THRESHOLD": str(5 << 20), "S3_PART_SIZE": str(5 << 20)}
        result = tool("put", "c/big.bin", path, **env)
        self.assertEqual(result.stdout, b"uploaded\n", result.stderr)
        head = PEER.boto3_client().head_object(Bucket=PEER.bucket, Key="c/big.bin")
        self.assertTrue(head["ETag"].strip('"').endswith("-3"), head["ETag"])
        self.assertEqual(PEER.boto3_client().get_object(Bucket=PEER.bucket, Key="c/big.bin")["Body"].read(), data)
        self.assertEqual(tool("put", "c/big.bin", path, **env).stdout, b"already_identical\n")
        uploads = PEER.boto3_client().list_multipart_uploads(Bucket=PEER.bucket)
        self.assertEqual(uploads.get("Uploads", []), [])

    def test_get_list_delete(self):
        PEER.boto3_client().put_object(Bucket=PEER.bucket, Key="l/x y+z.log", Body=b"from boto3")
        for i in range(3):
            tool("put", f"l/{i}.log", self.file(str(i), b"%d" % i))
        out = os.path.join(self.tmp.name, "out")
        self.assertEqual(tool("get", "l/x y+z.log", out).returncode, 0)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"from boto3")
        keys = [line.rsplit(b" ", 2)[0] for line in tool("ls", "l/").stdout.splitlines()]
        self.assertEqual(keys, [b"l/0.log", b"l/1.log", b"l/2.log", b"l/x y+z.log"])
        self.assertEqual(tool("rm", "l/0.log").returncode, 0)
        missing = tool("head", "l/0.log")
        self.assertEqual(missing.returncode, 1)
        self.assertIn(b"[not_found]", missing.stderr)

    def test_virtual_hosted_addressing(self):
        endpoint = PEER.endpoint.replace("127.0.0.1", "localhost")  # rgw dns name = localhost
        result = tool("put", "v/hosted.log", self.file("v", b"vhost"), S3_ENDPOINT=endpoint, S3_ADDRESSING="virtual")
        self.assertEqual(result.stdout, b"uploaded\n", result.stderr)
        self.assertEqual(PEER.boto3_client().get_object(Bucket=PEER.bucket, Key="v/hosted.log")["Body"].read(), b"vhost")

    def test_presigned_get_and_put_with_curl(self):
        tool("put", "p/get.log", self.file("g", b"presigned"))
        url = tool("presign", "p/get.log", "get", "2").stdout.decode().strip()
        fetched = subprocess.run(["curl", "-sS", "-f", url], capture_output=True, timeout=30)
        self.assertEqual(fetched.stdout, b"presigned", fetched.stderr)
        put_url = tool("presign", "p/put.log", "put", "60").stdout.decode().strip()
        sent = subprocess.run(["curl", "-sS", "-f", "-T", self.file("u", b"uploaded by curl"), put_url],
                              capture_output=True, timeout=30)
        self.assertEqual(sent.returncode, 0, sent.stderr)
        self.assertEqual(PEER.boto3_client().get_object(Bucket=PEER.bucket, Key="p/put.log")["Body"].read(),
                         b"uploaded by curl")
        time.sleep(3)
        expired = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(expired.stdout, "403")

    def test_wrong_secret_is_clear_and_secret_free(self):
        result = tool("put", "w/x.log", self.file("w", b"x"), AWS_SECRET_ACCESS_KEY="wrong-secret-value-123")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"SignatureDoesNotMatch", result.stderr)
        self.assertIn(b"wrong secret key?", result.stderr)
        self.assertNotIn(b"wrong-secret-value-123", result.stderr + result.stdout)

    def test_secrets_file_credentials(self):
        secrets = self.file("secrets.toml",
                            f'access_key = "{PEER.access_key}"\nsecret_key = "{PEER.secret_key}"\n'.encode())
        os.chmod(secrets, 0o600)
        result = tool("put", "s/from-secrets.log", self.file("s", b"s"),
                      AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="", S3_SECRETS_FILE=secrets)
        self.assertEqual(result.stdout, b"uploaded\n", result.stderr)


if __name__ == "__main__":
    unittest.main()
