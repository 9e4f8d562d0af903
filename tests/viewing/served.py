"""The one test world (tests/world.py) served by the real `kluis serve` (waitress) in a subprocess.

The server runs on its own data directory with SQLite and its own TMPDIR, so a test can look
at every file the server process holds open. The world is built inside that server's database
by `kluis manage shell` with the same `build_world` the in-process tests use: the recording is
sealed by a camera and ingested the real way. A raw-socket client pipelines Range requests and
reads at whatever pace the test wants.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.recordings.helpers import Server, server_env

ROOT = Path(__file__).resolve().parents[2]

_WORLD = """
from pathlib import Path
from tests.world import build_world
w = build_world("h2o", footage=Path({footage!r}).read_bytes())
print(w.recording.pk)
"""

_SESSION = """
import json
from django.conf import settings
from django.test import Client
from kluis.organisations.models import User
from kluis.recordings.models import Recording
from kluis.viewing import actions
from tests.login import log_in
officer = User.objects.get(username="officer")
manager = User.objects.get(username="manager")
session = actions.start_session(
    officer, Recording.objects.get(pk={rid!r}), purpose="complaint", managers=[manager]
)
actions.confirm(manager, session)
name = settings.SESSION_COOKIE_NAME
client = log_in(Client(), manager)
print(json.dumps({{"session": str(session.pk), "cookie": name + "=" + client.cookies[name].value}}))
"""

_BREACH = """
import time
from kluis.organisations.models import User
from kluis.viewing import actions
from kluis.viewing.models import ViewingSession
manager = User.objects.get(username="manager")
actions.report_breach(manager, ViewingSession.objects.get(pk={sid!r}), "Iemand filmde mee.")
print(time.time())
"""


def _shell(env, script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kluis.cli", "manage", "shell", "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


class ServedWorld:
    """`kluis serve` with one sealed recording of `footage` and its viewers."""

    def __init__(self, root: Path, footage: bytes):
        self.root = Path(root)
        self.footage = footage
        self.tmpdir = self.root / "server-tmp"
        self.tmpdir.mkdir(parents=True)
        self.env = server_env(self.root / "data")
        self.env["TMPDIR"] = str(self.tmpdir)  # where waitress's tempfiles would go
        self.env["PYTHONPATH"] = os.pathsep.join([str(ROOT), self.env.get("PYTHONPATH", "")])
        subprocess.run(
            [sys.executable, "-m", "kluis.cli", "manage", "migrate", "--verbosity", "0"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        path = self.root / "footage.mp4"
        path.write_bytes(footage)
        self.recording_id = _shell(self.env, _WORLD.format(footage=str(path)))
        path.unlink()
        self.server = Server(self.env)
        self.server.start()
        self.port = self.server.port

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    def open_session(self) -> tuple[str, str]:
        """A new open session of officer and manager: (session id, the manager's cookie)."""
        answer = json.loads(_shell(self.env, _SESSION.format(rid=self.recording_id)))
        return answer["session"], answer["cookie"]

    def report_breach(self, session_id: str) -> float:
        """The manager reports a breach through the action; the wall-clock time it committed."""
        return float(_shell(self.env, _BREACH.format(sid=session_id)))

    def stop(self) -> None:
        self.server.kill()


class PipelinedClient:
    """One connection that sends every request at once and parses the responses as they come,
    noting the time at which each byte of footage (a 206 body) arrived."""

    def __init__(self, port: int, *, rcvbuf: int | None = 16 * 1024, timeout: float = 30):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.statuses: list[int] = []
        self.footage = bytearray()
        self.arrivals: list[tuple[float, int]] = []  # (time.time(), footage bytes)
        self.ended: float | None = None  # when the server closed or reset the connection
        self._buf = b""
        self._body_left = 0
        self._in_footage = False

    def send(self, path: str, cookie: str, ranges: list[tuple[int, int | None]]) -> None:
        requests = b""
        for start, end in ranges:
            spec = f"{start}-" if end is None else f"{start}-{end}"
            requests += (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                f"Range: bytes={spec}\r\nSec-Fetch-Dest: video\r\n\r\n"
            ).encode()
        self.sock.sendall(requests)

    def read(self, n: int) -> int:
        """One recv of at most n bytes; 0 when the connection is over."""
        if self.ended is not None:
            return 0
        try:
            data = self.sock.recv(n)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.ended = time.time()
            return 0
        self._feed(data, time.time())
        return len(data)

    def _feed(self, data: bytes, at: float) -> None:
        self._buf += data
        while self._buf:
            if self._body_left:
                piece = self._buf[: self._body_left]
                self._buf = self._buf[len(piece) :]
                self._body_left -= len(piece)
                if self._in_footage:
                    self.footage += piece
                    self.arrivals.append((at, len(piece)))
                continue
            head, sep, rest = self._buf.partition(b"\r\n\r\n")
            if not sep:
                return
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            self.statuses.append(status)
            self._body_left = int(headers.get("Content-Length", "0"))
            self._in_footage = status == 206
            self._buf = rest

    def footage_after(self, moment: float) -> int:
        return sum(n for at, n in self.arrivals if at > moment)

    def close(self) -> None:
        self.sock.close()


def open_files_holding(pid: int, samples: list[bytes], tmpdir: Path) -> list[str]:
    """The server's open regular files and the files under its TMPDIR that hold any sample."""
    found = []
    candidates = []
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        try:
            regular = stat.S_ISREG(os.stat(fd).st_mode)
        except OSError:
            continue
        if regular:
            candidates.append((fd, target))
    candidates += [(p, str(p)) for p in tmpdir.rglob("*") if p.is_file()]
    for path, name in candidates:
        try:
            with open(path, "rb") as fh:
                data = fh.read(256 * 1024 * 1024)
        except OSError:
            continue
        if any(sample in data for sample in samples):
            found.append(name)
    return found
