"""Kluis's own HPKE (kluis.sealed.hpke) and cryptography's HPKE open each other's ciphertexts.

Both are RFC 9180 base mode, single shot, with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256, and
both lay a message out as enc (32 bytes) followed by the AEAD ciphertext: the layout of a sealed
recording's key block after its kind byte. What cannot be compared: cryptography draws its
ephemeral key itself and returns neither the shared secret nor the key schedule, so equal
intermediate values are checked against RFC 9180's own vectors instead (test_vectors.py).

cryptography's public `Suite.encrypt`/`decrypt` take `info` but no AAD, while a sealed recording
binds its data key to the header with AAD = SHA-256 of the signed header. The AAD cases use
cryptography's `_encrypt_with_aad`/`_decrypt_with_aad` from its Rust bindings: private names that
may change in a release; if they go, those tests fail here and only they need rewriting.
"""

import io
import os

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import hpke as crypto_hpke

from kluis.sealed import hpke, unwrap_data_key
from kluis.sealed.format import HPKE_INFO, KEY_BLOCK_HPKE, read_header
from kluis.sealed.keys import x25519_private

from .helpers import ORG, seal
from .test_vectors import RFC9180_A1

AEADS = [
    pytest.param(hpke.AEAD_AES_256_GCM, crypto_hpke.AEAD.AES_256_GCM, id="aes-256-gcm"),
    pytest.param(hpke.AEAD_AES_128_GCM, crypto_hpke.AEAD.AES_128_GCM, id="aes-128-gcm"),
]
ENC_LEN = 32


def suite(aead):
    return crypto_hpke.Suite(crypto_hpke.KEM.X25519, crypto_hpke.KDF.HKDF_SHA256, aead)


def org_keys():
    sk = x25519_private(ORG.private_key)
    return sk, sk.public_key()


def test_both_lay_out_enc_then_ciphertext():
    assert crypto_hpke.KEM.X25519.enc_length() == ENC_LEN
    sk, pk = org_keys()
    message = suite(crypto_hpke.AEAD.AES_256_GCM).encrypt(b"k" * 32, pk, info=HPKE_INFO)
    assert len(message) == ENC_LEN + 32 + 16  # enc, the data key, the GCM tag


@pytest.mark.parametrize(("kluis_aead", "crypto_aead"), AEADS)
def test_kluis_opens_what_cryptography_seals(kluis_aead, crypto_aead):
    sk, pk = org_keys()
    data_key = os.urandom(32)
    message = suite(crypto_aead).encrypt(data_key, pk, info=HPKE_INFO)
    enc, ciphertext = message[:ENC_LEN], message[ENC_LEN:]
    assert hpke.open_(enc, sk, HPKE_INFO, b"", ciphertext, kluis_aead) == data_key


@pytest.mark.parametrize(("kluis_aead", "crypto_aead"), AEADS)
def test_cryptography_opens_what_kluis_seals(kluis_aead, crypto_aead):
    sk, pk = org_keys()
    data_key = os.urandom(32)
    enc, ciphertext = hpke.seal(pk, HPKE_INFO, b"", data_key, os.urandom(32), kluis_aead)
    assert suite(crypto_aead).decrypt(enc + ciphertext, sk, info=HPKE_INFO) == data_key


def test_a_different_info_does_not_open_on_either_side():
    sk, pk = org_keys()
    message = suite(crypto_hpke.AEAD.AES_256_GCM).encrypt(b"k" * 32, pk, info=HPKE_INFO)
    with pytest.raises(InvalidTag):
        hpke.open_(message[:ENC_LEN], sk, b"another info", b"", message[ENC_LEN:])
    enc, ciphertext = hpke.seal(pk, HPKE_INFO, b"", b"k" * 32, os.urandom(32))
    with pytest.raises(InvalidTag):
        suite(crypto_hpke.AEAD.AES_256_GCM).decrypt(enc + ciphertext, sk, info=b"another info")


def test_cryptography_unwraps_the_data_key_of_a_sealed_recording():
    """The key block of a real recording: enc and ciphertext, AAD = the header's SHA-256."""
    sk, _ = org_keys()
    recording = seal(b"footage " * 100)
    header = read_header(io.BytesIO(recording))
    assert header.key_block[0] == KEY_BLOCK_HPKE
    data_key = rust_openssl.hpke._decrypt_with_aad(
        suite(crypto_hpke.AEAD.AES_256_GCM),
        header.key_block[1:],
        sk,
        info=HPKE_INFO,
        aad=header.sha256,
    )
    assert data_key == unwrap_data_key(recording, ORG.private_key)
    # Without the header hash as AAD (all the public API can do) it does not open.
    with pytest.raises(InvalidTag):
        suite(crypto_hpke.AEAD.AES_256_GCM).decrypt(header.key_block[1:], sk, info=HPKE_INFO)


def test_kluis_opens_what_cryptography_seals_with_aad():
    sk, pk = org_keys()
    data_key, aad = os.urandom(32), os.urandom(32)
    message = rust_openssl.hpke._encrypt_with_aad(
        suite(crypto_hpke.AEAD.AES_256_GCM), data_key, pk, info=HPKE_INFO, aad=aad
    )
    enc, ciphertext = message[:ENC_LEN], message[ENC_LEN:]
    assert hpke.open_(enc, sk, HPKE_INFO, aad, ciphertext) == data_key
    with pytest.raises(InvalidTag):
        hpke.open_(enc, sk, HPKE_INFO, os.urandom(32), ciphertext)


def test_cryptography_opens_the_rfc9180_vector_that_kluis_reproduces():
    """The one fixed input all three agree on: RFC 9180 A.1.1, whose ciphertext test_vectors.py
    shows Kluis produces byte for byte; cryptography opens the RFC's enc and ciphertext."""
    v = {k: bytes.fromhex(s) for k, s in RFC9180_A1.items()}
    message = v["pkEm"] + v["ct0"]
    opened = rust_openssl.hpke._decrypt_with_aad(
        suite(crypto_hpke.AEAD.AES_128_GCM),
        message,
        x25519_private(v["skRm"]),
        info=v["info"],
        aad=v["aad0"],
    )
    assert opened == v["pt"]
