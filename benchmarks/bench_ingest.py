"""Ingest throughput beside the disk's own write+fsync speed, and the server's peak memory.

    python benchmarks/bench_ingest.py --size-mb 2048

Measured in one run on one file system (machines are shared and noisy, so only the ratio in the
same run means anything):

- disk: write the same number of bytes to a new file and fsync it (the floor every durable
  ingest pays once);
- ingest (HTTP): the real `kluis serve` in a subprocess; a signing client PATCHes the sealed file
  in pieces (SHA-256 of each piece computed before the clock starts, as the camera does while
  recording) until the signed receipt comes back: streaming, fsync per piece, verification,
  re-keying and the atomic store included. Peak RSS of the server process is read from
  /proc/<pid>/status (VmHWM);
- ingest (in-process): the same pipeline called directly, without HTTP, to show what the web
  server adds.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def disk_write_fsync(path: Path, size: int) -> float:
    block = os.urandom(4 * MB)
    start = time.perf_counter()
    with open(path, "wb", buffering=0) as fh:
        left = size
        while left:
            n = fh.write(memoryview(block)[: min(left, len(block))])
            left -= n
        os.fsync(fh.fileno())
    elapsed = time.perf_counter() - start
    path.unlink()
    return size / elapsed / 1e6


def make_sealed(path: Path, size_mb: int, camera_key: bytes, org_pub: bytes, ids: dict) -> str:
    from kluis.sealed import SealedWriter

    block = os.urandom(4 * MB)
    with open(path, "wb") as fh:
        w = SealedWriter(
            fh,
            organisation_public_key=org_pub,
            camera_private_key=camera_key,
            recording_id=ids["recording_id"],
            organisation_id=ids["organisation_id"],
            camera_id=ids["camera_id"],
            started_at=datetime.now(UTC),
            pre_record_seconds=30,
            metadata={"warning": "before"},
        )
        for _ in range(size_mb // 4):
            w.write(block)
        w.finalize(datetime.now(UTC) + timedelta(minutes=30))
    return ids["recording_id"]


def signed_headers(camera_id, key, method, path, body_sha):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    msg = "\n".join(["KLUIS-CAMERA-V1", method, path, ts, nonce, body_sha]).encode()
    sig = Ed25519PrivateKey.from_private_bytes(key).sign(msg)
    return {
        "X-Kluis-Camera": camera_id,
        "X-Kluis-Timestamp": ts,
        "X-Kluis-Nonce": nonce,
        "X-Kluis-Content-SHA256": body_sha,
        "X-Kluis-Signature": base64.b64encode(sig).decode(),
    }


def http_ingest(port, camera_id, key, sealed: Path, piece: int) -> tuple[float, dict]:
    size = sealed.stat().st_size
    whole = hashlib.sha256()
    hashes = []
    with open(sealed, "rb") as fh:
        while block := fh.read(piece):
            whole.update(block)
            hashes.append(hashlib.sha256(block).hexdigest())
    rid = None
    with open(sealed, "rb") as fh:
        from kluis.sealed.format import read_header

        rid = read_header(fh).recording_id

    def call(method, path, body=b"", extra=None, body_sha=None):
        hdrs = signed_headers(
            camera_id, key, method, path, body_sha or hashlib.sha256(body).hexdigest()
        )
        hdrs.update(extra or {})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request(method, path, body=body, headers=hdrs)
        res = conn.getresponse()
        data = json.loads(res.read() or b"{}")
        conn.close()
        return res.status, data

    start = time.perf_counter()
    body = json.dumps({"recording_id": rid, "size": size, "sha256": whole.hexdigest()}).encode()
    status, answer = call(
        "POST", "/api/v1/ingest/uploads/", body, {"Content-Type": "application/json"}
    )
    assert status == 201, answer
    path = f"/api/v1/ingest/uploads/{rid}/"
    with open(sealed, "rb") as fh:
        for i, body_sha in enumerate(hashes):
            offset = i * piece
            length = min(piece, size - offset)
            hdrs = signed_headers(camera_id, key, "PATCH", path, body_sha)
            hdrs.update(
                {
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                    "Content-Length": str(length),
                }
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            conn.putrequest("PATCH", path)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            left = length
            t0 = time.perf_counter()
            while left:
                block = fh.read(min(MB, left))
                conn.send(block)
                left -= len(block)
            t1 = time.perf_counter()
            res = conn.getresponse()
            if os.environ.get("BENCH_TRACE"):
                waited = time.perf_counter() - t1
                print(f"  piece {i}: sent in {t1 - t0:.2f} s, answered after {waited:.2f} s")
            answer = json.loads(res.read())
            conn.close()
            assert res.status == 200, answer
    elapsed = time.perf_counter() - start
    assert answer["state"] == "complete", answer
    return size / elapsed / 1e6, answer


def in_process_ingest(camera, sealed: Path, piece: int) -> float:
    """The same pipeline without HTTP: `ingest.receive` fed from the file, piece by piece."""
    from kluis.recordings import actions, ingest
    from kluis.sealed.format import read_header

    size = sealed.stat().st_size
    whole = hashlib.sha256()
    hashes = []
    with open(sealed, "rb") as fh:
        rid = uuid.UUID(read_header(fh).recording_id)
        fh.seek(0)
        while block := fh.read(piece):
            whole.update(block)
            hashes.append(hashlib.sha256(block).hexdigest())
    start = time.perf_counter()
    upload, _ = actions.start_upload(camera, recording_id=rid, size=size, sha256=whole.hexdigest())
    with open(sealed, "rb") as fh:
        for i, body_sha in enumerate(hashes):
            length = min(piece, size - i * piece)
            upload = ingest.receive(
                upload, offset=i * piece, stream=fh, length=length, body_sha256=body_sha
            )
    assert upload.state == "complete"
    return size / (time.perf_counter() - start) / 1e6


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--piece-mb", type=int, default=64)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--dir", default=None, help="data directory (default: a temp dir)")
    args = parser.parse_args()

    work = Path(args.dir or tempfile.mkdtemp(prefix="kluis-bench-ingest-"))
    os.environ["KLUIS_DATA_DIR"] = str(work)
    os.environ.setdefault("KLUIS_ENVIRONMENT", "development")
    os.environ["KLUIS_LOG_LEVEL"] = "ERROR"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kluis.conf.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from kluis.devices import actions as devices
    from kluis.organisations import actions as orgs
    from kluis.sealed.keys import generate_camera_keypair

    call_command("migrate", verbosity=0)
    org = orgs.create_organisation(
        name=f"Bench {uuid.uuid4().hex[:6]}",
        slug=f"bench-{uuid.uuid4().hex[:6]}",
        preset_key="alphen",
    )
    m = orgs.add_municipality(org, name="Bench", code=str(uuid.uuid4().int)[:6])
    team = orgs.add_team(org, name="Handhaving", municipality=m)
    _entry, code = devices.issue_enrolment_code(org, team)
    pair = generate_camera_keypair()
    camera = devices.enrol_camera(
        code=code, serial=f"B-{uuid.uuid4().hex[:8]}", public_key=pair.public_key
    )
    org_pub = bytes(org.sealing_key.public_key)

    size = args.size_mb * MB
    print(
        f"# ingest benchmark: {args.size_mb} MiB recording, {args.piece_mb} MiB PATCHes, "
        f"data dir {work}"
    )
    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE")
    port = free_port()
    command = os.environ.get("BENCH_SERVER_CMD")
    server = subprocess.Popen(
        command.format(port=port).split()
        if command
        else [sys.executable, "-m", "kluis.cli", "serve", "--port", str(port), "--threads", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        base_rss = peak_rss_mb(server.pid)
        for run in range(args.runs):
            sealed = work / f"sealed-{run}.kluis"
            ids = {
                "recording_id": str(uuid.uuid4()),
                "organisation_id": str(org.pk),
                "camera_id": str(camera.pk),
            }
            make_sealed(sealed, args.size_mb, pair.private_key, org_pub, ids)
            disk = disk_write_fsync(work / "disk-probe", sealed.stat().st_size)
            ingest, _answer = http_ingest(
                port, str(camera.pk), pair.private_key, sealed, args.piece_mb * MB
            )
            ratio = ingest / disk
            print(
                f"run {run + 1}: disk write+fsync {disk:8.1f} MB/s | ingest over HTTP "
                f"{ingest:8.1f} MB/s | ratio {ratio:.2f} (goal >= 0.8)"
            )
            sealed.unlink()
            ids["recording_id"] = str(uuid.uuid4())
            make_sealed(sealed, args.size_mb, pair.private_key, org_pub, ids)
            disk = disk_write_fsync(work / "disk-probe", sealed.stat().st_size)
            local = in_process_ingest(camera, sealed, args.piece_mb * MB)
            print(
                f"run {run + 1}: disk write+fsync {disk:8.1f} MB/s | ingest in-process "
                f"{local:8.1f} MB/s | ratio {local / disk:.2f} (no HTTP server)"
            )
            sealed.unlink()
        peak = peak_rss_mb(server.pid)
        print(f"server peak RSS {peak:.0f} MB (at start {base_rss:.0f} MB; goal < 150 MB)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)  # the stored recordings: gigabytes
    print(f"({size / 1e6:.0f} MB per run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
