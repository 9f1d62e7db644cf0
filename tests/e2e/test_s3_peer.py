"""The S3 peer (Ceph RGW) behaves like S3 for the clients we check against:
awscli and boto3 write and read, If-None-Match: * refuses an overwrite, a wrong
Content-MD5 is rejected, and `aws s3 presign` URLs work with curl until they
expire."""
import base64
import hashlib
import os
import subprocess
import tempfile
import time
import unittest

import s3_peer

AWS = "/usr/bin/aws"  # Debian's awscli, not whatever is first on PATH
PEER = None


def setUpModule():
    global PEER
    PEER = s3_peer.S3Peer().start()


def tearDownModule():
    if PEER:
        PEER.stop()


def aws(*args, check=True):
    env = {**os.environ, **PEER.env(), "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    result = subprocess.run([AWS, "--endpoint-url", PEER.endpoint, *args], env=env,
                            capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
    return result


class S3PeerTest(unittest.TestCase):
    def test_awscli_put_and_boto3_get(self):
        with tempfile.NamedTemporaryFile("wb") as f:
            f.write(b"audit line\n" * 100)
            f.flush()
            aws("s3", "cp", f.name, f"s3://{PEER.bucket}/peer/awscli.log")
        body = PEER.boto3_client().get_object(Bucket=PEER.bucket, Key="peer/awscli.log")["Body"].read()
        self.assertEqual(body, b"audit line\n" * 100)
        listing = aws("s3", "ls", f"s3://{PEER.bucket}/peer/").stdout
        self.assertIn("awscli.log", listing)

    def test_if_none_match_refuses_overwrite(self):
        path = f"/{PEER.bucket}/peer/once.log"
        status, _, _ = PEER.request("PUT", path, body=b"first", headers={"If-None-Match": "*"})
        self.assertEqual(status, 200)
        status, _, body = PEER.request("PUT", path, body=b"second", headers={"If-None-Match": "*"})
        self.assertEqual(status, 412, body)
        self.assertEqual(PEER.request("GET", path)[2], b"first")

    def test_content_md5_mismatch_is_rejected(self):
        from botocore.exceptions import ClientError
        wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
        with self.assertRaises(ClientError) as caught:
            PEER.boto3_client().put_object(Bucket=PEER.bucket, Key="peer/md5.log", Body=b"payload", ContentMD5=wrong)
        self.assertEqual(caught.exception.response["Error"]["Code"], "BadDigest")
        right = base64.b64encode(hashlib.md5(b"payload").digest()).decode()
        PEER.boto3_client().put_object(Bucket=PEER.bucket, Key="peer/md5.log", Body=b"payload", ContentMD5=right)

    def test_wrong_secret_is_refused(self):
        import boto3
        from botocore.exceptions import ClientError
        client = boto3.client("s3", endpoint_url=PEER.endpoint, region_name=PEER.region,
                              aws_access_key_id=PEER.access_key, aws_secret_access_key="not-the-secret")
        with self.assertRaises(ClientError) as caught:
            client.list_objects_v2(Bucket=PEER.bucket)
        client.close()
        self.assertEqual(caught.exception.response["Error"]["Code"], "SignatureDoesNotMatch")

    def test_awscli_presign_works_with_curl_until_expiry(self):
        PEER.boto3_client().put_object(Bucket=PEER.bucket, Key="peer/presigned.log", Body=b"presigned body")
        url = aws("s3", "presign", f"s3://{PEER.bucket}/peer/presigned.log", "--expires-in", "2").stdout.strip()
        fetched = subprocess.run(["curl", "-sS", "-f", url], capture_output=True, timeout=30)
        self.assertEqual(fetched.returncode, 0, fetched.stderr)
        self.assertEqual(fetched.stdout, b"presigned body")
        time.sleep(3)
        expired = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(expired.stdout, "403")


if __name__ == "__main__":
    unittest.main()
