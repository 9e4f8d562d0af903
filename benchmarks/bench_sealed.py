"""Throughput of sealing and opening recordings, beside raw AES-256-GCM measured in the same run.

Run: ``python benchmarks/bench_sealed.py [--size-mib 256] [--chunk-kib 1024] [--repeat 3]``

Machines are shared and noisy, so every figure is compared with a baseline measured in the same
run, never with a number from elsewhere. Baselines:

* raw AES-256-GCM: ``cryptography``'s AESGCM over the same chunks with the same chunk size, in
  memory (the physical limit of the cipher on this machine);
* AES-GCM + the hashing the format requires: sealing must also compute SHA-256 of the plaintext and
  of the ciphertext (the camera signs both), and SHA-256 is about ten times slower than AES-GCM
  here, so this is the realistic ceiling for ``seal``;
* for opening, raw AES-GCM decryption including the same read from the same file object.

Peak memory is measured with tracemalloc for a small and a large recording to show it stays flat.
"""

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from kluis.sealed import (  # noqa: E402
    SealedWriter,
    generate_camera_keypair,
    generate_organisation_keypair,
    open_sealed,
    verify,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


class Sink(io.RawIOBase):
    """A file that forgets what is written: measures the format, not the disk."""

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[no-untyped-def, override]
        return len(b)


def writer(f, org, cam, chunk):  # type: ignore[no-untyped-def]
    return SealedWriter(
        f,
        organisation_public_key=org.public_key,
        camera_private_key=cam.private_key,
        recording_id="bench",
        organisation_id="bench-org",
        camera_id="bench-cam",
        started_at=NOW,
        pre_record_seconds=30,
        chunk_size=chunk,
    )


def best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of `repeat` runs (median, not minimum: we want the typical figure)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256, help="recording size (default 256)")
    parser.add_argument("--chunk-kib", type=int, default=1024, help="chunk size (default 1024)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, median taken")
    args = parser.parse_args()
    chunk = args.chunk_kib * 1024
    n_chunks = args.size_mib * 1024 * 1024 // chunk
    total = n_chunks * chunk
    org, cam = generate_organisation_keypair(), generate_camera_keypair()
    block = os.urandom(chunk)
    aead = AESGCM(os.urandom(32))
    aad = os.urandom(32)
    out = bytearray(chunk + 16)

    def raw_encrypt() -> None:
        view = memoryview(out)
        for i in range(n_chunks):
            aead.encrypt_into(i.to_bytes(12, "big"), block, aad, view)

    def encrypt_and_hash() -> None:
        view = memoryview(out)
        ph, ch = hashlib.sha256(), hashlib.sha256()
        for i in range(n_chunks):
            aead.encrypt_into(i.to_bytes(12, "big"), block, aad, view)
            ph.update(block)
            ch.update(view)

    def seal_to_sink() -> None:
        w = writer(Sink(), org, cam, chunk)
        for _ in range(n_chunks):
            w.write(block)
        w.finalize(NOW)

    sealed = io.BytesIO()
    w = writer(sealed, org, cam, chunk)
    for _ in range(n_chunks):
        w.write(block)
    w.finalize(NOW)

    # A raw ciphertext stream of the same shape, read back from memory like the sealed file.
    raw_ct = io.BytesIO()
    for i in range(n_chunks):
        raw_ct.write(aead.encrypt(i.to_bytes(12, "big"), block, aad))
    ct_buf = bytearray(chunk + 16)

    def raw_decrypt_from_file() -> None:
        raw_ct.seek(0)
        view = memoryview(ct_buf)
        for i in range(n_chunks):
            raw_ct.readinto(view)
            aead.decrypt(i.to_bytes(12, "big"), view, aad)

    cts = [aead.encrypt(i.to_bytes(12, "big"), block, aad) for i in range(min(n_chunks, 64))]

    def raw_decrypt_memory() -> None:
        for i in range(n_chunks):
            aead.decrypt((i % 64).to_bytes(12, "big"), cts[i % 64], aad)

    def open_range() -> None:
        reader = open_sealed(sealed, org.private_key, cam.public_key)
        for _ in reader.iter_range(0, reader.size):
            pass

    def open_checked() -> None:
        reader = open_sealed(sealed, org.private_key, cam.public_key)
        for _ in reader:
            pass

    def verify_only() -> None:
        verify(sealed, cam.public_key, require_complete=True)

    def hash_only() -> None:
        h = hashlib.sha256()
        for _ in range(n_chunks):
            h.update(block)

    r = args.repeat
    t = {
        name: best_of(r, fn)
        for name, fn in [
            ("raw_encrypt", raw_encrypt),
            ("encrypt_and_hash", encrypt_and_hash),
            ("seal", seal_to_sink),
            ("raw_decrypt_memory", raw_decrypt_memory),
            ("raw_decrypt_file", raw_decrypt_from_file),
            ("open_range", open_range),
            ("open_checked", open_checked),
            ("verify", verify_only),
            ("sha256", hash_only),
        ]
    }

    def gbps(name: str) -> float:
        return total / t[name] / 1e9

    print(
        f"kluis.sealed benchmark: {args.size_mib} MiB, chunk {args.chunk_kib} KiB, "
        f"median of {r}, Python {sys.version.split()[0]}"
    )
    print(f"{'what':44} {'GB/s':>7}")
    rows = [
        ("raw AES-256-GCM encrypt (in memory)", "raw_encrypt"),
        ("SHA-256 alone", "sha256"),
        ("AES-GCM + SHA-256 of plaintext and ciphertext", "encrypt_and_hash"),
        ("seal (SealedWriter -> discard)", "seal"),
        ("raw AES-256-GCM decrypt (in memory)", "raw_decrypt_memory"),
        ("raw AES-256-GCM decrypt (read from file obj)", "raw_decrypt_file"),
        ("open: read_range, random access (AEAD only)", "open_range"),
        ("open: full checked read (sigs + both hashes)", "open_checked"),
        ("verify (camera key only, no decryption)", "verify"),
    ]
    for label, name in rows:
        print(f"{label:44} {gbps(name):7.2f}")
    print()
    ratios = [
        ("seal / raw AES-GCM encrypt", t["raw_encrypt"] / t["seal"]),
        ("seal / AES-GCM + required hashing", t["encrypt_and_hash"] / t["seal"]),
        ("open range / raw AES-GCM decrypt (mem)", t["raw_decrypt_memory"] / t["open_range"]),
        ("open range / raw decrypt with same read", t["raw_decrypt_file"] / t["open_range"]),
    ]
    print("ratios (goal >= 0.85):")
    for label, value in ratios:
        print(f"  {label:42} {value:.2f}")

    # Memory: peak traced allocations while sealing, verifying and reading, small vs large.
    print()
    print("peak memory (tracemalloc), chunk size", f"{chunk // 1024} KiB:")
    with tempfile.TemporaryDirectory() as tmp:
        for mib in (16, args.size_mib):
            path = Path(tmp) / f"rec-{mib}.sealed"
            count = mib * 1024 * 1024 // chunk
            tracemalloc.start()
            with open(path, "wb") as fh:
                wr = writer(fh, org, cam, chunk)
                for _ in range(count):
                    wr.write(block)
                wr.finalize(NOW)
            seal_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            with open(path, "rb") as fh:
                verify(fh, cam.public_key)
                for _ in open_sealed(fh, org.private_key, cam.public_key):
                    pass
            read_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            path.unlink()
            print(
                f"  {mib:6} MiB recording: seal {seal_peak / 2**20:6.2f} MiB, "
                f"verify+read {read_peak / 2**20:6.2f} MiB"
            )


if __name__ == "__main__":
    main()
