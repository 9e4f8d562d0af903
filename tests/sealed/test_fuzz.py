"""Fuzzing the parser: on any input, only SealedFormatError (or a correct result) comes out."""

import contextlib
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kluis.sealed import SealedFormatError, open_sealed, verify

from .helpers import CAMERA, ORG, pattern, seal

VALID = seal(pattern(70), chunk_size=16)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _exercise(blob: bytes) -> None:
    for require in (False, True):
        with contextlib.suppress(SealedFormatError):
            verify(io.BytesIO(blob), CAMERA.public_key, require_complete=require)
    try:
        reader = open_sealed(io.BytesIO(blob), ORG.private_key, CAMERA.public_key)
        reader.read_range(0, 10**9)
        reader.read_range(17, 40)
        b"".join(reader)
    except SealedFormatError:
        pass


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(blob):
    _exercise(blob)


@SETTINGS
@given(st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_magic(tail):
    _exercise(b"KLUISREC\x01" + tail)


@SETTINGS
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255), st.sampled_from("rid")),
        min_size=1,
        max_size=6,
    ),
    cut=st.integers(0, len(VALID) + 50),
)
def test_mutations_of_a_valid_recording(edits, cut):
    blob = bytearray(VALID)
    for pos, value, op in edits:
        pos = min(pos, len(blob))
        if op == "r" and pos < len(blob):
            blob[pos] = value
        elif op == "i":
            blob.insert(pos, value)
        elif pos < len(blob):
            del blob[pos]
    _exercise(bytes(blob[:cut]))


@SETTINGS
@given(st.data())
def test_mutated_header_json(data):
    # Valid framing, hostile JSON: the header parser must refuse it cleanly.
    body = data.draw(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=5)
            ),
            max_leaves=20,
        )
    )
    import json

    raw = json.dumps(body).encode()
    blob = b"KLUISREC\x01" + len(raw).to_bytes(4, "big") + raw + bytes(64 + 81 + 200)
    _exercise(blob)


HEADER_FIELDS = [
    "camera_id",
    "camera_public_key",
    "chunk_size",
    "key_commitment",
    "metadata",
    "nonce_prefix",
    "organisation_id",
    "organisation_public_key",
    "pre_record_seconds",
    "recording_id",
    "started_at",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@SETTINGS
@given(field=st.sampled_from(HEADER_FIELDS), value=JSON_VALUES)
def test_header_with_a_hostile_field_value(field, value):
    # The right fields with a wrong value of any type: parsed before any signature is checked.
    import json

    body_len = int.from_bytes(VALID[9:13], "big")
    header = json.loads(VALID[13 : 13 + body_len])
    header[field] = value
    raw = json.dumps(header).encode()
    _exercise(b"KLUISREC\x01" + len(raw).to_bytes(4, "big") + raw + VALID[13 + body_len :])
