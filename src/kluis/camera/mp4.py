"""Just enough ISO-BMFF (MP4) box handling to cut a fragmented MP4 stream into fragments.

The camera runs one encoder and one fragmented-MP4 muxer for as long as it is on standby. Its
output is an init segment (ftyp + moov) followed by fragments (moof + mdat), each starting at a
video keyframe, so each fragment is independently playable. The pre-record buffer holds whole
fragments, and a recording is the init segment plus a run of consecutive fragments. Splitting the
muxer's byte stream here (instead of re-muxing packets per recording) means a recording holds
exactly the bytes the encoder produced, and buffering costs no CPU.

A recording's fragments come from the middle of the standby stream, so their decode times
(``tfdt``) and sequence numbers (``mfhd``) are rebased to start at zero and one: players and
the server then see a recording that starts at time 0, not at the camera's uptime.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

# Boxes whose children we descend into.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"moof", b"traf"}


class MP4Error(ValueError):
    """The muxer produced bytes that are not the fragmented MP4 we asked for."""


def iter_boxes(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None):
    """Yield ``(type, offset, size, header_size)`` for each box in ``data[start:end]``.

    Raises MP4Error on a box that runs past the end, so a truncated init segment or fragment is
    reported rather than silently misread.
    """
    end = len(data) if end is None else end
    offset = start
    while offset < end:
        if end - offset < 8:
            raise MP4Error(f"truncated box header at {offset}")
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise MP4Error(f"box {kind!r} at {offset} has bad size {size}")
        yield kind, offset, size, header
        offset += size


def _child(data, box_offset: int, box_size: int, header: int, kind: bytes):
    for k, off, size, hdr in iter_boxes(data, box_offset + header, box_offset + box_size):
        if k == kind:
            return off, size, hdr
    return None


@dataclass(frozen=True)
class Track:
    """One track of the init segment: its id, kind ('vide' or 'soun') and timescale."""

    track_id: int
    handler: str
    timescale: int


def read_tracks(init_segment: bytes) -> dict[int, Track]:
    """Read track ids, handler types and timescales from an init segment's moov box.

    The timescales turn a fragment's decode time into seconds, which is how the camera knows
    when each buffered fragment began.
    """
    tracks: dict[int, Track] = {}
    for kind, off, size, hdr in iter_boxes(init_segment):
        if kind != b"moov":
            continue
        for tkind, toff, tsize, thdr in iter_boxes(init_segment, off + hdr, off + size):
            if tkind != b"trak":
                continue
            tkhd = _child(init_segment, toff, tsize, thdr, b"tkhd")
            mdia = _child(init_segment, toff, tsize, thdr, b"mdia")
            if not tkhd or not mdia:
                raise MP4Error("trak without tkhd or mdia")
            p = tkhd[0] + tkhd[2]
            version = init_segment[p]
            track_id = struct.unpack_from(">I", init_segment, p + (20 if version == 1 else 12))[0]
            mdhd = _child(init_segment, mdia[0], mdia[1], mdia[2], b"mdhd")
            hdlr = _child(init_segment, mdia[0], mdia[1], mdia[2], b"hdlr")
            if not mdhd or not hdlr:
                raise MP4Error("mdia without mdhd or hdlr")
            p = mdhd[0] + mdhd[2]
            version = init_segment[p]
            timescale = struct.unpack_from(">I", init_segment, p + (20 if version == 1 else 12))[0]
            p = hdlr[0] + hdlr[2]
            handler = bytes(init_segment[p + 8 : p + 12]).decode("latin-1")
            tracks[track_id] = Track(track_id, handler, timescale)
    if not tracks:
        raise MP4Error("init segment has no moov with tracks")
    return tracks


@dataclass
class _TrafTime:
    track_id: int
    tfdt_offset: int  # offset of the tfdt payload's version byte within the fragment
    version: int
    decode_time: int


@dataclass
class Fragment:
    """One moof + mdat pair: an independently playable piece of footage.

    ``start`` is the camera-clock time (seconds) at which its first video frame was captured;
    the pre-record buffer keys on it.
    """

    data: bytes
    start: float = 0.0
    decode_times: dict[int, int] = field(default_factory=dict)
    sample_counts: dict[int, int] = field(default_factory=dict)
    timeline: float = 0.0  # earliest decode time of any track, seconds of the muxer's timeline
    _trafs: list[_TrafTime] = field(default_factory=list, repr=False)
    _mfhd_offset: int = field(default=0, repr=False)

    @property
    def size(self) -> int:
        """Bytes of this fragment: what it costs in the pre-record buffer."""
        return len(self.data)


def parse_fragment(data: bytes) -> Fragment:
    """Parse a moof + mdat pair, noting where its decode times and sequence number sit."""
    frag = Fragment(data=data)
    moof = None
    for kind, off, size, hdr in iter_boxes(data):
        if kind == b"moof":
            moof = (off, size, hdr)
    if moof is None:
        raise MP4Error("fragment without moof")
    for kind, off, size, hdr in iter_boxes(data, moof[0] + moof[2], moof[0] + moof[1]):
        if kind == b"mfhd":
            frag._mfhd_offset = off + hdr + 4
        elif kind == b"traf":
            tfhd = _child(data, off, size, hdr, b"tfhd")
            tfdt = _child(data, off, size, hdr, b"tfdt")
            if not tfhd or not tfdt:
                raise MP4Error("traf without tfhd or tfdt (muxer must write tfdt)")
            track_id = struct.unpack_from(">I", data, tfhd[0] + tfhd[2] + 4)[0]
            p = tfdt[0] + tfdt[2]
            version = data[p]
            fmt = ">Q" if version == 1 else ">I"
            decode_time = struct.unpack_from(fmt, data, p + 4)[0]
            frag._trafs.append(_TrafTime(track_id, p, version, decode_time))
            frag.decode_times[track_id] = decode_time
            count = 0
            for k, toff, _tsize, thdr in iter_boxes(data, off + hdr, off + size):
                if k == b"trun":
                    count += struct.unpack_from(">I", data, toff + thdr + 4)[0]
            frag.sample_counts[track_id] = count
    return frag


def rebase_fragment(frag: Fragment, base_seconds: float, tracks: dict[int, Track], seq: int):
    """Return the fragment's bytes with decode times moved back by ``base_seconds``.

    Also renumbers the fragment's sequence number to ``seq``, so that a recording's fragments
    count 1, 2, 3, ... as a player expects. Sizes do not change, so the bytes are patched in place.
    """
    out = bytearray(frag.data)
    if frag._mfhd_offset:
        struct.pack_into(">I", out, frag._mfhd_offset, seq)
    for traf in frag._trafs:
        timescale = tracks[traf.track_id].timescale
        new = max(0, traf.decode_time - round(base_seconds * timescale))
        if traf.version == 1:
            struct.pack_into(">Q", out, traf.tfdt_offset + 4, new)
        else:
            struct.pack_into(">I", out, traf.tfdt_offset + 4, min(new, 0xFFFFFFFF))
    return bytes(out)


def fragment_seconds(frag: Fragment, tracks: dict[int, Track]) -> float:
    """Earliest decode time of any track in the fragment, in seconds of the muxer's timeline."""
    times = [t / tracks[i].timescale for i, t in frag.decode_times.items() if i in tracks]
    if not times:
        raise MP4Error("fragment has no track decode times")
    return min(times)


class FragmentSplitter:
    """Cut the muxer's byte stream into the init segment and whole fragments.

    The muxer may hand over a fragment in several writes, or several boxes in one write; this
    buffers until a box is complete. Boxes after the fragments (mfra at close) are ignored.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.init_segment: bytes | None = None
        self._init_parts: list[bytes] = []
        self._pending_moof: bytes | None = None

    def feed(self, data: bytes) -> Iterator[Fragment]:
        """Add muxer output; yield each fragment that is now complete."""
        self._buf += data
        while len(self._buf) >= 8:
            size, kind = struct.unpack_from(">I4s", self._buf, 0)
            header = 8
            if size == 1:
                if len(self._buf) < 16:
                    return
                (size,) = struct.unpack_from(">Q", self._buf, 8)
                header = 16
            if size < header:
                raise MP4Error(f"box {kind!r} with bad size {size} in muxer output")
            if len(self._buf) < size:
                return
            box = bytes(self._buf[:size])
            del self._buf[:size]
            if kind in (b"ftyp", b"moov"):
                self._init_parts.append(box)
                if kind == b"moov":
                    self.init_segment = b"".join(self._init_parts)
            elif kind == b"moof":
                self._pending_moof = box
            elif kind == b"mdat":
                if self._pending_moof is None:
                    raise MP4Error("mdat without moof in muxer output")
                frag = parse_fragment(self._pending_moof + box)
                self._pending_moof = None
                yield frag
            # styp/sidx/mfra and friends carry nothing a recording needs.
