"""HPKE (RFC 9180) base mode, single shot, for DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256.

Only what the sealed format needs: wrap one 32-byte data key to the organisation's X25519 public
key, with info = `format.HPKE_INFO` and AAD = the SHA-256 of the signed header (so a key block
opens only with the header it was written for). The AEAD is AES-256-GCM (id 0x0002) for Kluis;
AES-128-GCM (id 0x0001) is supported only so that the RFC's published vectors can be checked.
The RFC's few formulas are written out here on `cryptography`'s X25519, HKDF and AES-GCM, and
checked against the RFC's appendix A.1.1 vectors (tests/sealed/test_vectors.py).

Why not `cryptography.hazmat.primitives.hpke`: the project allows `cryptography>=44`, whose
older releases have no HPKE (the 50.x in our environment has one). Its public `Suite` also takes
no AAD, which the key block needs, and it draws the ephemeral key itself, so it cannot reproduce
a fixed test vector. The formats are the same: its single-shot output is enc followed by the
ciphertext, exactly the key block after its kind byte, and tests/sealed/test_hpke_interop.py
checks that each side opens the other's ciphertexts (with AAD through its private helpers).
"""

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from .keys import public_bytes

KEM_X25519_HKDF_SHA256 = 0x0020
KDF_HKDF_SHA256 = 0x0001
AEAD_AES_128_GCM = 0x0001
AEAD_AES_256_GCM = 0x0002
_NK = {AEAD_AES_128_GCM: 16, AEAD_AES_256_GCM: 32}
_NN = 12
_NH = 32
_MODE_BASE = b"\x00"
_KEM_SUITE = b"KEM" + KEM_X25519_HKDF_SHA256.to_bytes(2, "big")


def _suite_id(aead_id: int) -> bytes:
    return (
        b"HPKE"
        + KEM_X25519_HKDF_SHA256.to_bytes(2, "big")
        + KDF_HKDF_SHA256.to_bytes(2, "big")
        + aead_id.to_bytes(2, "big")
    )


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    # HKDF-Extract is HMAC(salt, ikm); an empty salt equals Nh zero bytes under HMAC's padding.
    return hmac.new(
        salt or bytes(_NH), b"HPKE-v1" + suite_id + label + ikm, hashlib.sha256
    ).digest()


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled_info = length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled_info).derive(prk)


def derive_keypair(ikm: bytes) -> X25519PrivateKey:
    """RFC 9180 DeriveKeyPair for X25519: the ephemeral key comes from 32 bytes of input.

    Generating the ephemeral key this way (from os.urandom in production) lets test vectors fix
    it, exactly as the RFC's own vectors do with ikmE.
    """
    dkp_prk = _labeled_extract(_KEM_SUITE, b"", b"dkp_prk", ikm)
    sk = _labeled_expand(_KEM_SUITE, dkp_prk, b"sk", b"", 32)
    return X25519PrivateKey.from_private_bytes(sk)


def _shared_secret(dh: bytes, kem_context: bytes) -> bytes:
    eae_prk = _labeled_extract(_KEM_SUITE, b"", b"eae_prk", dh)
    return _labeled_expand(_KEM_SUITE, eae_prk, b"shared_secret", kem_context, 32)


def encap(pk_r: X25519PublicKey, ikm_e: bytes) -> tuple[bytes, bytes]:
    """DHKEM Encap with a derived ephemeral key: returns (shared_secret, enc)."""
    sk_e = derive_keypair(ikm_e)
    enc = public_bytes(sk_e.public_key())
    dh = sk_e.exchange(pk_r)
    return _shared_secret(dh, enc + public_bytes(pk_r)), enc


def decap(enc: bytes, sk_r: X25519PrivateKey) -> bytes:
    """DHKEM Decap: the shared secret from the encapsulated key; ValueError on a bad point."""
    dh = sk_r.exchange(X25519PublicKey.from_public_bytes(enc))
    return _shared_secret(dh, enc + public_bytes(sk_r.public_key()))


@dataclass(frozen=True)
class Context:
    """The key schedule's output (RFC 9180 section 5.1), kept whole so tests can compare it."""

    key_schedule_context: bytes
    secret: bytes
    key: bytes
    base_nonce: bytes
    exporter_secret: bytes


def key_schedule(shared_secret: bytes, info: bytes, aead_id: int = AEAD_AES_256_GCM) -> Context:
    """RFC 9180 KeySchedule in base mode (no PSK)."""
    suite = _suite_id(aead_id)
    psk_id_hash = _labeled_extract(suite, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(suite, b"", b"info_hash", info)
    ksc = _MODE_BASE + psk_id_hash + info_hash
    secret = _labeled_extract(suite, shared_secret, b"secret", b"")
    return Context(
        key_schedule_context=ksc,
        secret=secret,
        key=_labeled_expand(suite, secret, b"key", ksc, _NK[aead_id]),
        base_nonce=_labeled_expand(suite, secret, b"base_nonce", ksc, _NN),
        exporter_secret=_labeled_expand(suite, secret, b"exp", ksc, _NH),
    )


def seal(
    pk_r: X25519PublicKey,
    info: bytes,
    aad: bytes,
    plaintext: bytes,
    ikm_e: bytes,
    aead_id: int = AEAD_AES_256_GCM,
) -> tuple[bytes, bytes]:
    """Single-shot SealBase (sequence number 0): returns (enc, ciphertext)."""
    shared, enc = encap(pk_r, ikm_e)
    ctx = key_schedule(shared, info, aead_id)
    return enc, AESGCM(ctx.key).encrypt(ctx.base_nonce, plaintext, aad)


def open_(
    enc: bytes,
    sk_r: X25519PrivateKey,
    info: bytes,
    aad: bytes,
    ciphertext: bytes,
    aead_id: int = AEAD_AES_256_GCM,
) -> bytes:
    """Single-shot OpenBase; raises cryptography's InvalidTag or ValueError when it fails."""
    ctx = key_schedule(decap(enc, sk_r), info, aead_id)
    return AESGCM(ctx.key).decrypt(ctx.base_nonce, ciphertext, aad)
