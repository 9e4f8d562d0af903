"""`kluis camera`: run the camera, enrol it, dock it, show its status.

    kluis camera enrol --server https://kluis.example.nl --code ABCD-EFGH-JKLM --serial KL-0001
    kluis camera run --source v4l2:/dev/video0 --audio alsa:default
    kluis camera run --source synthetic --speed fast --duration 120 --record-at 90 --stop-at 100
    kluis camera dock
    kluis camera status

There is deliberately no command to play, export or delete a recording: the camera cannot read
its own footage (CAM-1), and only the dock erases, after the server's receipt (CAM-2).
Also runs as ``python -m kluis.camera`` on a device without the server installed.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import socket
import sys

from .dock import DockClient, DockError
from .storage import CameraStorage, StorageError, default_storage_dir

_SIZE = re.compile(r"^(\d+)x(\d+)$")


def _size(text: str) -> tuple[int, int]:
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1280x720, got {text!r}")
    width, height = int(match[1]), int(match[2])
    if width % 2 or height % 2 or width < 16 or height < 16:
        raise argparse.ArgumentTypeError("width and height must be even and at least 16")
    return width, height


def _storage(args) -> CameraStorage:
    return CameraStorage(args.storage or default_storage_dir())


def cmd_run(args) -> int:
    """Capture: standby with the pre-record buffer, recording on the buttons."""
    # Imported on use: the capture stack loads PyAV and NumPy, which enrol, dock and --help
    # do not need.
    from .camera import Camera, CameraError
    from .clock import SimulatedClock, SystemClock
    from .controls import ControlServer, start_gpio, start_keyboard
    from .encoder import EncoderSettings
    from .sources import SourceError, open_audio_source, open_video_source

    storage = _storage(args)
    storage.ensure()
    width, height = args.size
    if args.speed == "fast" and args.source.startswith("v4l2:"):
        print("a V4L2 camera runs at real time only: drop --speed fast", file=sys.stderr)
        return 2
    endless = args.source == "synthetic" and args.duration is None and args.seconds is None
    if args.speed == "fast" and endless:
        print("--speed fast with the test pattern needs --duration SECONDS", file=sys.stderr)
        return 2
    try:
        source = open_video_source(args.source, width, height, args.fps)
        audio = None
        if args.audio != "none":
            audio = open_audio_source(args.audio, args.source, args.sample_rate, 1)
    except SourceError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.seconds is not None and hasattr(source, "seconds"):
        source.seconds = args.seconds
    clock = SimulatedClock() if args.speed == "fast" else SystemClock()
    settings = EncoderSettings(
        width=source.width,
        height=source.height,
        fps=source.fps,
        codec=args.codec,
        preset=args.preset,
        crf=args.crf,
        threads=args.threads,
        max_bitrate=args.max_bitrate,
        sample_rate=args.sample_rate,
        channels=1,
    )
    camera = Camera(
        storage,
        source,
        audio,
        clock,
        settings,
        pre_record_seconds=args.pre_record,
        chunk_size=args.chunk_size,
    )
    control = None
    if args.control_port:
        try:
            control = ControlServer(camera, "127.0.0.1", args.control_port)
        except OSError as exc:
            camera.close()
            print(
                f"cannot open the control interface on port {args.control_port} ({exc}): "
                "is another camera process running? Use --control-port to pick another.",
                file=sys.stderr,
            )
            return 2
        control.start()
        print(f"control interface on http://127.0.0.1:{control.address[1]}/", file=sys.stderr)
    if not args.no_keyboard and start_keyboard(camera):
        print("keys: r record, s stop, e emergency, c colleagues, w/a/n warning, q quit")
    if args.gpio:
        start_gpio(camera, args.gpio)

    def on_signal(signum, frame):
        camera.quit()  # the loop ends after this frame and seals a running recording

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Scripted presses (demos, tests): run up to each moment, press, go on.
    script = []
    if args.record_at is not None:
        script.append((args.record_at, "record"))
    if args.stop_at is not None:
        script.append((args.stop_at, "stop"))
    script.sort()
    try:
        for at, button in script:
            camera.run(until=at, close=False)
            if camera.quitting:
                break
            if button == "record":
                if args.colleagues:
                    camera.set_colleagues(True)
                if args.warning:
                    camera.set_warning(args.warning)
                camera.press_record()
            else:
                camera.press_stop()
            print(f"{button} at camera time {at}", file=sys.stderr, flush=True)
        if not camera.quitting:
            camera.run(until=args.duration, close=False)
    except CameraError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        camera.close()
        if control:
            control.stop()
    print(json.dumps({"recordings": camera.finished}, indent=2))
    return 0


def cmd_enrol(args) -> int:
    """Enrol with the organisation's server using an administrator's one-time code."""
    storage = _storage(args)
    try:
        state = DockClient(storage, args.server).enrol(args.code, args.serial)
    except (DockError, StorageError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"enrolled as camera {state['camera_id']} of organisation {state['organisation_id']}")
    return 0


def cmd_dock(args) -> int:
    """Fetch the assignment and offload every finished recording; erase each on its receipt."""
    storage = _storage(args)
    try:
        report = DockClient(storage, args.server).dock()
    except (DockError, StorageError) as exc:
        print(exc, file=sys.stderr)
        return 1
    for result in report.results:
        line = "offloaded and erased" if result.erased else f"KEPT: {result.error}"
        print(f"{result.recording_id} ({result.size} bytes): {line}")
    for recording_id in report.skipped_in_progress:
        print(f"{recording_id}: still recording, left for the next dock")
    if not report.results and not report.skipped_in_progress:
        print("no recordings to offload")
    return 0 if report.ok else 1


def cmd_status(args) -> int:
    """Show identity, policy, assignment and what waits for the dock (never any footage)."""
    storage = _storage(args)
    try:
        state = storage.read_state()
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return 1
    recordings = storage.recordings()
    out = {
        "storage": str(storage.root),
        "enrolled": bool(state.get("camera_id")),
        "camera_id": state.get("camera_id"),
        "serial": state.get("serial"),
        "organisation_id": state.get("organisation_id"),
        "server": state.get("server"),
        "pre_record_seconds": state.get("pre_record_seconds"),
        "assignment": state.get("assignment"),
        "recordings_waiting": len(recordings),
        "bytes_waiting": sum(r.size for r in recordings),
        "recording_now": [r.recording_id for r in recordings if storage.is_being_written(r.path)],
        "receipts": len(state.get("receipts", [])),
    }
    print(json.dumps(out, indent=2))
    return 0


def add_subparser(subparsers) -> argparse.ArgumentParser:
    """Add `camera` and its commands to the `kluis` command line."""
    camera = subparsers.add_parser(
        "camera",
        help="bodycam software: record, enrol, dock",
        description="Kluis camera software (runs without the server).",
    )
    _fill(camera)
    return camera


def _fill(camera: argparse.ArgumentParser) -> None:
    camera.set_defaults(func=lambda args: (camera.print_help(), 2)[1])
    sub = camera.add_subparsers(dest="camera_command", metavar="COMMAND")

    def storage_arg(p):
        p.add_argument(
            "--storage",
            help="camera storage directory (default: $KLUIS_CAMERA_DIR or ~/.kluis-camera)",
        )

    run = sub.add_parser("run", help="capture: standby with pre-record buffer, record on buttons")
    storage_arg(run)
    run.add_argument(
        "--source", default="synthetic", help="synthetic | file:PATH | v4l2:/dev/video0"
    )
    run.add_argument(
        "--audio",
        default="auto",
        help="auto | tone | silence | none | file:PATH | alsa:DEVICE (auto: from the source)",
    )
    run.add_argument("--size", type=_size, default=(1280, 720), help="WIDTHxHEIGHT (1280x720)")
    run.add_argument("--fps", type=int, default=25)
    run.add_argument(
        "--speed",
        choices=("realtime", "fast"),
        default="realtime",
        help="fast: simulated clock, as fast as the CPU allows (file and synthetic only)",
    )
    run.add_argument("--codec", default="libx264", help="libx264, or a hardware H.264 encoder")
    run.add_argument("--preset", default="veryfast", help="x264 preset (ultrafast..medium)")
    run.add_argument("--crf", type=int, default=23)
    run.add_argument("--threads", type=int, default=0, help="encoder threads (0: automatic)")
    run.add_argument(
        "--max-bitrate", type=int, default=0, help="video bits/s cap, e.g. 6000000 (0: none)"
    )
    run.add_argument("--sample-rate", type=int, default=16000)
    run.add_argument(
        "--pre-record", type=float, help="seconds of pre-record buffer (default: the policy's)"
    )
    run.add_argument("--chunk-size", type=int, default=256 * 1024, help="sealed chunk bytes")
    run.add_argument("--control-port", type=int, default=8765, help="0: no HTTP control")
    run.add_argument("--no-keyboard", action="store_true")
    run.add_argument("--gpio", help="buttons on GPIO pins, e.g. record=17,stop=27,emergency=22")
    run.add_argument("--duration", type=float, help="stop the camera after this camera time")
    run.add_argument("--seconds", type=float, help="length of the synthetic source")
    run.add_argument("--record-at", type=float, help="press record at this camera time")
    run.add_argument("--stop-at", type=float, help="press stop at this camera time")
    run.add_argument("--colleagues", action="store_true", help="with --record-at: mark colleagues")
    run.add_argument(
        "--warning", choices=("before", "after", "none"), help="with --record-at: the warning"
    )
    run.set_defaults(func=cmd_run)

    enrol = sub.add_parser("enrol", help="enrol with the server using a one-time code")
    storage_arg(enrol)
    enrol.add_argument("--server", required=True, help="the organisation's Kluis URL")
    enrol.add_argument("--code", required=True, help="one-time code from the administrator")
    enrol.add_argument("--serial", default=socket.gethostname(), help="serial number")
    enrol.set_defaults(func=cmd_enrol)

    dock = sub.add_parser("dock", help="fetch assignment, offload and erase recordings")
    storage_arg(dock)
    dock.add_argument("--server", help="override the server URL given at enrolment")
    dock.set_defaults(func=cmd_dock)

    status = sub.add_parser("status", help="identity, assignment and recordings waiting")
    storage_arg(status)
    status.set_defaults(func=cmd_status)


def main(argv: list[str] | None = None) -> int:
    """`python -m kluis.camera`: the camera commands without the rest of Kluis."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="kluis camera", description="Kluis camera software.")
    _fill(parser)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
