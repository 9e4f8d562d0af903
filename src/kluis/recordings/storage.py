"""Where sealed recordings are kept: one interface, a local directory or an S3-compatible store.

Objects are always sealed recordings with the organisation-wrapped key removed, so nothing here
is plaintext (STO-1). Both backends store an object all or nothing: a local file appears by an
atomic rename after fsync; an S3 object appears when its multipart upload completes. A retry of
`put_file` after a crash either finds the object or stores it again: never half of it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import secrets
import shutil
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kluis.sealed.durable import fsync_dir


class StorageError(RuntimeError):
    """The footage store failed; the message says which store and what to check."""


class Storage(ABC):
    """A flat namespace of immutable objects addressed by keys like `org/2026/11/<id>.kluis`."""

    url: str

    @abstractmethod
    def put_file(self, key: str, path: Path, *, retain_until: dt.datetime | None = None) -> None:
        """Store the file at `path` under `key`, durably and atomically. `path` is kept."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A seekable, read-only file object over the stored bytes."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object (the retention job uses this after shredding its key)."""

    def set_legal_hold(self, key: str, on: bool) -> None:  # noqa: B027  (optional capability)
        """Where the store supports it, protect the object from deletion while a hold runs."""


class LocalStorage(Storage):
    """A directory: write a temporary name, fsync, rename into place, fsync the directory."""

    def __init__(self, root: Path, url: str):
        self.root = Path(root)
        self.url = url

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"Object key {key!r} leaves the storage directory.")
        return path

    def put_file(self, key, path, *, retain_until=None):
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.tmp")
        try:
            try:
                # Same file system (the usual set-up): a hard link costs no copy; the staged
                # file was fsynced by the caller.
                os.link(path, tmp)
            except OSError:
                with open(path, "rb") as src, open(tmp, "xb") as dst:
                    shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
                    dst.flush()
                    os.fsync(dst.fileno())
            os.chmod(tmp, 0o440)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(final.parent)

    def open(self, key):
        return open(self._path(key), "rb")

    def exists(self, key):
        return self._path(key).is_file()

    def size(self, key):
        return self._path(key).stat().st_size

    def delete(self, key):
        path = self._path(key)
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)


class S3Storage(Storage):
    """Any S3-compatible store through boto3: multipart upload, Object Lock where enabled.

    When the bucket has Object Lock, every object gets a retention date (the recording's
    retention deadline) in the configured mode, so not even a stolen store credential can remove
    footage early; holds set a legal hold.
    """

    def __init__(self, url: str):
        # boto3 and botocore are imported on use: only an S3 store needs them, and they are slow
        # to load.
        import boto3
        from botocore.config import Config

        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.url = url
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if not self.bucket:
            raise ImproperlyConfigured(f"Storage URL {url!r} names no bucket (s3://bucket/prefix).")
        self.client = boto3.client(
            "s3",
            endpoint_url=query.get("endpoint") or settings_env("S3_ENDPOINT"),
            region_name=query.get("region") or settings_env("S3_REGION") or "us-east-1",
            aws_access_key_id=query.get("access_key") or settings_env("S3_ACCESS_KEY_ID"),
            aws_secret_access_key=query.get("secret_key") or settings_env("S3_SECRET_ACCESS_KEY"),
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": query.get("addressing", "path")},
            ),
        )
        self.part_size = max(5 * 1024 * 1024, int(query.get("part_size", settings.S3_PART_SIZE)))
        self.lock_mode = query.get("lock_mode", settings.S3_OBJECT_LOCK_MODE).upper()
        self._object_lock: bool | None = None

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    @property
    def object_lock(self) -> bool:
        """Whether the bucket has Object Lock (asked once per process)."""
        if self._object_lock is None:
            from botocore.exceptions import ClientError

            try:
                conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
                enabled = conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
                self._object_lock = enabled == "Enabled"
            except ClientError:
                self._object_lock = False
        return self._object_lock

    def put_file(self, key, path, *, retain_until=None):
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"ContentType": "application/vnd.kluis.sealed"}
        # A date already past (a recording older than its retention) cannot be locked: S3
        # refuses it, and refusing the object would keep the footage on the camera instead.
        if (
            self.object_lock
            and retain_until is not None
            and retain_until > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        ):
            extra["ObjectLockMode"] = self.lock_mode
            extra["ObjectLockRetainUntilDate"] = retain_until
        s3_key = self._key(key)
        try:
            upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=s3_key, **extra)
            upload_id = upload["UploadId"]
            parts = []
            try:
                with open(path, "rb") as fh:
                    number = 1
                    while True:
                        data = fh.read(self.part_size)
                        if not data and number > 1:
                            break
                        res = self.client.upload_part(
                            Bucket=self.bucket,
                            Key=s3_key,
                            UploadId=upload_id,
                            PartNumber=number,
                            Body=data,
                        )
                        parts.append({"PartNumber": number, "ETag": res["ETag"]})
                        number += 1
                        if len(data) < self.part_size:
                            break
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=s3_key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            except BaseException:
                with contextlib.suppress(BotoCoreError, ClientError):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=s3_key, UploadId=upload_id
                    )
                raise
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"Storing {key} in {self.bucket} failed: {exc}") from exc

    def open(self, key):
        return S3RangeFile(self, self._key(key))

    def _head(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def exists(self, key):
        return self._head(key) is not None

    def size(self, key):
        head = self._head(key)
        if head is None:
            raise StorageError(f"{key} is not in {self.bucket}.")
        return head["ContentLength"]

    def delete(self, key):
        s3_key = self._key(key)
        if self.object_lock:
            versions = self.client.list_object_versions(Bucket=self.bucket, Prefix=s3_key)
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
                if v["Key"] == s3_key:
                    self.client.delete_object(
                        Bucket=self.bucket,
                        Key=s3_key,
                        VersionId=v["VersionId"],
                        BypassGovernanceRetention=True,
                    )
        else:
            self.client.delete_object(Bucket=self.bucket, Key=s3_key)

    def set_legal_hold(self, key, on):
        if self.object_lock:
            self.client.put_object_legal_hold(
                Bucket=self.bucket,
                Key=self._key(key),
                LegalHold={"Status": "ON" if on else "OFF"},
            )


class S3RangeFile(io.RawIOBase):
    """Seekable reads of an S3 object by ranged GETs, with a read-ahead window.

    Playback and verification read chunk by chunk; the window keeps that to one request per
    few chunks while memory stays bounded.
    """

    WINDOW = 8 * 1024 * 1024

    def __init__(self, storage: S3Storage, s3_key: str):
        self._s3 = storage
        self._key = s3_key
        self._pos = 0
        self._size = storage.client.head_object(Bucket=storage.bucket, Key=s3_key)["ContentLength"]
        self._buf = b""
        self._buf_start = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, b):
        view = memoryview(b).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        end_in_buf = self._buf_start + len(self._buf)
        if not (self._buf_start <= self._pos < end_in_buf):
            length = max(want, self.WINDOW)
            last = min(self._size, self._pos + length) - 1
            res = self._s3.client.get_object(
                Bucket=self._s3.bucket, Key=self._key, Range=f"bytes={self._pos}-{last}"
            )
            self._buf = res["Body"].read()
            self._buf_start = self._pos
        offset = self._pos - self._buf_start
        n = min(want, len(self._buf) - offset)
        view[:n] = self._buf[offset : offset + n]
        self._pos += n
        return n

    def read(self, size=-1):
        if size is None or size < 0:
            size = self._size - self._pos
        out = bytearray()
        while len(out) < size:
            chunk = bytearray(size - len(out))
            n = self.readinto(chunk)
            if not n:
                break
            out += chunk[:n]
        return bytes(out)


def settings_env(name: str) -> str | None:
    return os.environ.get(f"KLUIS_{name}")


_lock = threading.Lock()
_cache: dict[str, Storage] = {}


def get_storage(url: str | None = None) -> Storage:
    """The store for a storage URL (default KLUIS_STORAGE_URL): file:///dir or s3://bucket/prefix."""
    url = url or settings.STORAGE_URL
    with _lock:
        store = _cache.get(url)
        if store is None:
            scheme = urlparse(url).scheme
            if scheme == "file":
                store = LocalStorage(Path(urlparse(url).path), url)
            elif scheme == "s3":
                store = S3Storage(url)
            else:
                raise ImproperlyConfigured(
                    f"Storage URL {url!r}: use file:///directory or s3://bucket/prefix?endpoint=..."
                )
            _cache[url] = store
        return store
