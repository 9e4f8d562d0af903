"""The camera's buttons: a local HTTP control interface, the keyboard, and GPIO pins.

All three call the same ``Camera.press_*`` methods. None of them offers play, export or delete:
the camera cannot show or remove what it recorded (CAM-1).

HTTP (loopback only, so only software on the device itself can press buttons)::

    GET  /status                      what the camera is doing
    POST /record                      start recording (with the pre-record buffer)
    POST /stop                        stop recording
    POST /emergency                   start recording and flag it for the livestream
    POST /colleagues?present=true     mark the recording as including colleagues (REC-5)
    POST /warning?given=before        spoken warning: before | after | none (REC-4)
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .camera import Camera, CameraError

log = logging.getLogger(__name__)

KEYS = {
    "r": ("record", lambda cam: cam.press_record()),
    "s": ("stop", lambda cam: cam.press_stop()),
    "e": ("emergency", lambda cam: cam.press_emergency()),
    "c": ("colleagues on/off", lambda cam: cam.set_colleagues(not cam.colleagues_present)),
    "w": ("warning given before", lambda cam: cam.set_warning("before")),
    "a": ("warning given after", lambda cam: cam.set_warning("after")),
    "n": ("no warning", lambda cam: cam.set_warning("none")),
    "q": ("quit", lambda cam: cam.quit()),
}


def _truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


class ControlServer:
    """The HTTP control interface, bound to a loopback address only."""

    def __init__(self, camera: Camera, host: str = "127.0.0.1", port: int = 8765):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(
                "the control interface listens on loopback only: anyone who can reach it "
                "can start and stop recordings"
            )
        self.camera = camera
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                log.debug("control: " + args[0], *args[1:])

            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                if urllib.parse.urlsplit(self.path).path == "/status":
                    return self._answer(200, outer.camera.status())
                self._answer(404, {"detail": "unknown path; see GET /status"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                try:
                    result = outer.press(url.path.strip("/"), query)
                except CameraError as exc:
                    return self._answer(409, {"detail": str(exc)})
                except KeyError:
                    return self._answer(404, {"detail": f"no button {url.path!r}"})
                self._answer(200, result)

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.address = self._httpd.server_address

    def press(self, button: str, query: dict) -> dict:
        """Route one button press to the camera; KeyError for an unknown button."""
        cam = self.camera
        if button == "record":
            return cam.press_record()
        if button == "stop":
            return cam.press_stop()
        if button == "emergency":
            return cam.press_emergency()
        if button == "colleagues":
            return cam.set_colleagues(_truthy(query.get("present", "true")))
        if button == "warning":
            given = query.get("given")
            if given is None:
                raise CameraError("say ?given=before, after or none")
            return cam.set_warning(given)
        raise KeyError(button)

    def start(self) -> None:
        """Serve in a background thread."""
        threading.Thread(target=self._httpd.serve_forever, name="control", daemon=True).start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()


def start_keyboard(camera: Camera) -> threading.Thread | None:
    """Read single key presses from an interactive terminal (r, s, e, c, w, a, n, q).

    Does nothing when stdin is not a terminal (a service or a test), so the camera never blocks
    on input nobody will give.
    """
    if not sys.stdin.isatty():
        return None
    import termios
    import tty

    def loop():
        fd = sys.stdin.fileno()
        old = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            while True:
                ch = sys.stdin.read(1).lower()
                if not ch:
                    break
                if ch in KEYS:
                    name, action = KEYS[ch]
                    try:
                        action(camera)
                        print(f"[{name}] {camera.status()['state']}", file=sys.stderr)
                    except CameraError as exc:
                        print(f"[{name}] {exc}", file=sys.stderr)
                    if ch == "q":
                        break
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)

    thread = threading.Thread(target=loop, name="keyboard", daemon=True)
    thread.start()
    return thread


def start_gpio(camera: Camera, spec: str) -> list:
    """Wire push buttons on GPIO pins, e.g. ``record=17,stop=27,emergency=22,colleagues=23``.

    Uses gpiozero when it is installed (on a Raspberry Pi it is); elsewhere it says so and the
    camera runs with its other controls.
    """
    try:
        from gpiozero import Button
    except ImportError:
        log.warning("GPIO buttons requested but gpiozero is not installed: pip install gpiozero")
        return []
    actions = {
        "record": camera.press_record,
        "stop": camera.press_stop,
        "emergency": camera.press_emergency,
        "colleagues": lambda: camera.set_colleagues(not camera.colleagues_present),
    }
    buttons = []
    for item in filter(None, spec.split(",")):
        name, _, pin = item.partition("=")
        if name not in actions or not pin.isdigit():
            raise ValueError(
                f"bad GPIO mapping {item!r}: use NAME=PIN with NAME in {list(actions)}"
            )
        button = Button(int(pin), bounce_time=0.05)
        button.when_pressed = actions[name]
        buttons.append(button)
    return buttons
