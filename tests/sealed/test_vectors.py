"""The test vectors printed in docs/sealed-format.md are exactly what this code produces.

Another implementation checks itself against the document; this test keeps the document honest.
Regenerate the JSON after a deliberate format change with:
``python -m tests.sealed.test_vectors`` (then paste it into the document).
"""

import hashlib
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from kluis.sealed import SealedWriter, hpke, open_sealed, unwrap_data_key, verify
from kluis.sealed.format import (
    HPKE_INFO,
    derive_key_commitment,
    derive_payload_key,
)
from kluis.sealed.keys import ed25519_private, public_bytes, x25519_private, x25519_public

DOC = Path(__file__).resolve().parents[2] / "docs" / "sealed-format.md"
MARK = re.compile(r"<!-- test-vector -->\s*```json\n(.*?)\n```", re.S)

INPUTS = {
    "organisation_private_key": hashlib.sha256(b"kluis test vector organisation").hexdigest(),
    "camera_private_key": hashlib.sha256(b"kluis test vector camera").hexdigest(),
    "data_key": hashlib.sha256(b"kluis test vector data key").hexdigest(),
    "nonce_prefix": "a1a2a3a4a5a6a7",
    "hpke_ikm_e": hashlib.sha256(b"kluis test vector ephemeral").hexdigest(),
    "recording_id": "0b5e5a1e-0000-4000-8000-000000000001",
    "organisation_id": "h2o",
    "camera_id": "cam-0001",
    "started_at": "2026-11-22T10:00:00.000000Z",
    "pre_record_seconds": 60,
    "chunk_size": 16,
    "metadata": {"officer": "boa-7"},
    "plaintext": b"Bodycam footage: test vector, 40 bytes.\n".hex(),
    "stopped_at": "2026-11-22T10:00:05.000000Z",
    "final_metadata": {"colleagues": True},
}


def _split(hexstr: str, width: int = 96) -> list[str]:
    return [hexstr[i : i + width] for i in range(0, len(hexstr), width)]


def build(inputs: dict) -> dict:
    """Seal the vector's inputs and list every intermediate value an implementer may compare."""
    h = bytes.fromhex
    entropy = [h(inputs["data_key"]), h(inputs["nonce_prefix"]), h(inputs["hpke_ikm_e"])]
    f = io.BytesIO()
    w = SealedWriter(
        f,
        organisation_public_key=x25519_private(h(inputs["organisation_private_key"])).public_key(),
        camera_private_key=h(inputs["camera_private_key"]),
        recording_id=inputs["recording_id"],
        organisation_id=inputs["organisation_id"],
        camera_id=inputs["camera_id"],
        started_at=datetime.fromisoformat(inputs["started_at"]),
        pre_record_seconds=inputs["pre_record_seconds"],
        chunk_size=inputs["chunk_size"],
        metadata=inputs["metadata"],
        _entropy=lambda n: entropy.pop(0),
    )
    w.write(h(inputs["plaintext"]))
    w.finalize(datetime.fromisoformat(inputs["stopped_at"]), metadata=inputs["final_metadata"])
    blob = f.getvalue()
    org_pk = x25519_private(h(inputs["organisation_private_key"])).public_key()
    shared, enc = hpke.encap(org_pk, h(inputs["hpke_ikm_e"]))
    ctx = hpke.key_schedule(shared, HPKE_INFO)
    data_key = h(inputs["data_key"])
    return {
        "inputs": inputs,
        "outputs": {
            "organisation_public_key": public_bytes(org_pk).hex(),
            "camera_public_key": public_bytes(
                ed25519_private(h(inputs["camera_private_key"])).public_key()
            ).hex(),
            "header_sha256": w.header_sha256.hex(),
            "payload_key": derive_payload_key(data_key).hex(),
            "key_commitment": derive_key_commitment(data_key).hex(),
            "hpke_enc": enc.hex(),
            "hpke_shared_secret": shared.hex(),
            "hpke_key": ctx.key.hex(),
            "hpke_base_nonce": ctx.base_nonce.hex(),
            "file_length": len(blob),
            "file_sha256": hashlib.sha256(blob).hexdigest(),
            "file_hex": _split(blob.hex()),
        },
    }


def _doc_vectors() -> list[dict]:
    found = MARK.findall(DOC.read_text(encoding="utf-8"))
    assert found, "docs/sealed-format.md has no test vector block"
    return [json.loads(block) for block in found]


@pytest.mark.rule("CAM-3")
def test_doc_vectors_are_what_the_code_produces():
    for vector in _doc_vectors():
        assert build(vector["inputs"])["outputs"] == vector["outputs"]


@pytest.mark.rule("CAM-1", "CAM-3")
def test_doc_vector_file_verifies_and_opens_to_the_plaintext():
    for vector in _doc_vectors():
        inp, out = vector["inputs"], vector["outputs"]
        blob = bytes.fromhex("".join(out["file_hex"]))
        assert len(blob) == out["file_length"]
        assert hashlib.sha256(blob).hexdigest() == out["file_sha256"]
        cam_pk = bytes.fromhex(out["camera_public_key"])
        result = verify(io.BytesIO(blob), cam_pk, require_complete=True)
        assert result.header_sha256.hex() == out["header_sha256"]
        assert result.manifest.metadata == {**inp["metadata"], **inp["final_metadata"]}
        org_sk = bytes.fromhex(inp["organisation_private_key"])
        assert unwrap_data_key(blob, org_sk).hex() == inp["data_key"]
        plain = b"".join(open_sealed(io.BytesIO(blob), org_sk, cam_pk))
        assert plain.hex() == inp["plaintext"]


def test_the_vector_is_this_module_s_inputs():
    # Guards against editing INPUTS here without updating the document, or the other way round.
    assert any(v["inputs"] == INPUTS for v in _doc_vectors())


# RFC 9180 appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode. The
# RFC has no vector for AES-256-GCM with X25519; the KEM and key schedule are the same code, only
# Nk differs, so this checks everything but the key length, which the AES-256 path then uses.
RFC9180_A1 = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "ikmE": "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
    "pkEm": "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    "ikmR": "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
    "pkRm": "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    "skRm": "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    "skEm": "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    "shared_secret": "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
    "key_schedule_context": "00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07"
    "cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449",
    "secret": "12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397",
    "key": "4531685d41d65f03dc48f6b8302c05b0",
    "base_nonce": "56d890e5accaaf011cff4b7d",
    "exporter_secret": "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
    "aad0": "436f756e742d30",
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    "ct0": "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
    "6d8770ac83d07bea87e13c512a",
}


def test_hpke_matches_rfc9180_appendix_a1():
    v = {k: bytes.fromhex(s) for k, s in RFC9180_A1.items()}
    from kluis.sealed.keys import x25519_private as sk_of

    sk_e = hpke.derive_keypair(v["ikmE"])
    sk_r = hpke.derive_keypair(v["ikmR"])
    raw = sk_e.private_bytes_raw()
    assert raw == v["skEm"] and public_bytes(sk_e.public_key()) == v["pkEm"]
    assert sk_r.private_bytes_raw() == v["skRm"] and public_bytes(sk_r.public_key()) == v["pkRm"]
    shared, enc = hpke.encap(x25519_public(v["pkRm"]), v["ikmE"])
    assert (shared, enc) == (v["shared_secret"], v["pkEm"])
    assert hpke.decap(enc, sk_of(v["skRm"])) == v["shared_secret"]
    ctx = hpke.key_schedule(shared, v["info"], hpke.AEAD_AES_128_GCM)
    assert ctx.key_schedule_context == v["key_schedule_context"]
    assert (ctx.secret, ctx.key, ctx.base_nonce) == (v["secret"], v["key"], v["base_nonce"])
    assert ctx.exporter_secret == v["exporter_secret"]
    enc2, ct = hpke.seal(
        x25519_public(v["pkRm"]), v["info"], v["aad0"], v["pt"], v["ikmE"], hpke.AEAD_AES_128_GCM
    )
    assert (enc2, ct) == (v["pkEm"], v["ct0"])
    assert (
        hpke.open_(enc, sk_of(v["skRm"]), v["info"], v["aad0"], ct, hpke.AEAD_AES_128_GCM)
        == v["pt"]
    )


if __name__ == "__main__":
    print(json.dumps(build(INPUTS), indent=2))
