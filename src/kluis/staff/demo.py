"""Demo logins and footage: activation codes for the demo people, and a short synthetic
recording, sealed and ingested the way a camera's would be.

`kluis manage load_demo_footage` runs this after `kluis demo`, so the staff app has something to
watch: a camera of the demo organisation is enrolled with a fresh key pair, handed to the officer
for yesterday's shift, seals a generated fragmented H.264 MP4 and delivers it through ingest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid

from django.db import transaction

from kluis import sealed
from kluis.core.clock import AMSTERDAM, now
from kluis.core.gate import confirmed_totp_device
from kluis.devices import actions as devices
from kluis.devices.models import Camera
from kluis.organisations.models import Membership, Role
from kluis.recordings import actions as recordings
from kluis.recordings import ingest
from kluis.recordings.models import Recording
from kluis.staff import actions


def activation_code(user) -> str | None:
    """A fresh activation code for a demo person's first login, or None once they have an
    authenticator (issued by the system, audited as any other)."""
    if confirmed_totp_device(user) is not None:
        return None
    return actions.issue_activation(None, user)


def synthetic_mp4(seconds: int = 20, fps: int = 25, width: int = 640, height: int = 360) -> bytes:
    """A fragmented H.264 MP4 as the camera writes it: a moving bar and a running clock bar."""
    # Imported on use: PyAV and NumPy only make demo footage, never serve a request.
    import av
    import numpy as np

    buf = io.BytesIO()
    container = av.open(
        buf, "w", format="mp4", options={"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    )
    stream = container.add_stream(
        "libx264", rate=fps, options={"preset": "ultrafast", "tune": "zerolatency"}
    )
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.gop_size = fps
    frames = seconds * fps
    for i in range(frames):
        img = np.full((height, width, 3), (32, 48, 64), np.uint8)
        x = (i * 6) % (width - 40)
        img[:, x : x + 40] = (240, 190, 40)
        img[height - 16 :, : int(width * (i + 1) / frames)] = (220, 220, 220)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return buf.getvalue()


def ingest_demo_recording(organisation, officer, *, footage: bytes | None = None, serial=None):
    """Enrol a registered camera of `organisation`, assign it to `officer` for yesterday's
    shift, seal `footage` and ingest it. Returns the Recording."""
    team = (
        Membership.objects.active()
        .filter(user=officer, organisation=organisation, role=Role.OFFICER)
        .values_list("team", flat=True)
        .first()
    )
    cameras = Camera.objects.filter(organisation=organisation, status=Camera.Status.REGISTERED)
    if team:
        cameras = cameras.filter(team_id=team)
    if serial:
        cameras = cameras.filter(serial=serial)
    camera = cameras.order_by("serial").first()
    if camera is None:
        raise RuntimeError("No registered camera is left to enrol for the demo footage.")
    pair = sealed.generate_camera_keypair()
    with transaction.atomic():
        _entry, code = devices.issue_enrolment_code(organisation, camera.team)
    camera = devices.enrol_camera(code=code, serial=camera.serial, public_key=pair.public_key)
    org_key = devices.ensure_organisation_key(organisation)

    yesterday = (now().astimezone(AMSTERDAM) - dt.timedelta(days=1)).date()
    shift_start = dt.datetime.combine(yesterday, dt.time(9, 0), AMSTERDAM)
    started = dt.datetime.combine(yesterday, dt.time(14, 12, 5), AMSTERDAM)
    with transaction.atomic():
        devices.assign_camera(
            camera, officer, shift_start=shift_start, shift_end=shift_start + dt.timedelta(hours=8)
        )

    footage = footage if footage is not None else synthetic_mp4()
    rid = str(uuid.uuid4())
    out = io.BytesIO()
    writer = sealed.SealedWriter(
        out,
        organisation_public_key=bytes(org_key.public_key),
        camera_private_key=pair.private_key,
        recording_id=rid,
        organisation_id=str(organisation.pk),
        camera_id=str(camera.pk),
        started_at=started.astimezone(dt.UTC),
        pre_record_seconds=organisation.policy.pre_record_seconds,
        metadata={"warning": "before", "demo": True},
    )
    writer.write(footage)
    writer.finalize(started.astimezone(dt.UTC) + dt.timedelta(seconds=20))
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    upload, _created = recordings.start_upload(
        camera, recording_id=uuid.UUID(rid), size=len(data), sha256=sha
    )
    ingest.receive(upload, offset=0, stream=io.BytesIO(data), length=len(data), body_sha256=sha)
    return Recording.objects.get(pk=rid)
