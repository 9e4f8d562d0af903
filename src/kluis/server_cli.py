"""Server subcommands of `kluis`: demo, serve, worker, manage and the periodic jobs.

Django is imported only when one of these runs, so the camera software does not need it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kluis.conf.settings")
    import django

    django.setup()


def run_manage(argv: list[str]) -> int:
    """`kluis manage ARGS`: Django's manage.py, with Kluis settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kluis.conf.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kluis manage", *argv])
    return 0


def _call(*args, **options) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


#: Request bodies up to this size stay in memory instead of a temporary file: a camera's 4 MiB
#: upload pieces then reach the disk once (in the ingest), not twice. Bigger bodies still spool.
INBUF_OVERFLOW = 8 * 1024 * 1024

#: Waitress moves a connection's pending output into an (unlinked) temporary file once it holds
#: more than `outbuf_overflow`: for the playback stream that would be decrypted footage on disk
#: (STO-3). Never: pending output stays in memory, and OUTBUF_HIGH_WATERMARK bounds it, as the
#: app thread waits above it (the stream itself waits far earlier, kluis.viewing.stream).
OUTBUF_OVERFLOW = 2**62
OUTBUF_HIGH_WATERMARK = 1024 * 1024


def max_body_bytes(settings) -> int:
    """The largest request body any view accepts: the camera's upload PATCH (docs/operator.md)."""
    return max(settings.REQUEST_MAX_BYTES, settings.UPLOAD_PATCH_MAX_BYTES)


def serve(args) -> int:
    """Serve the web app and API with waitress (a production-grade pure-Python WSGI server)."""
    _setup_django()
    from django.conf import settings
    from waitress import serve as waitress_serve

    from kluis.conf.wsgi import application

    if not settings.DEBUG:
        _call("collectstatic", interactive=False, verbosity=0)
    print(f"Kluis serves on http://{args.host}:{args.port}/", flush=True)
    waitress_serve(
        application,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="kluis",
        channel_timeout=300,
        # Waitress receives a whole body before Django sees it: refuse anything larger than the
        # largest body any view accepts, and keep what it accepts in memory, never in /tmp.
        max_request_body_size=max_body_bytes(settings),
        inbuf_overflow=max(INBUF_OVERFLOW, max_body_bytes(settings)),
        recv_bytes=1024 * 1024,
        outbuf_overflow=OUTBUF_OVERFLOW,
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
        # A connection's pipelined requests are served one after the other, the next only once
        # the stream before it has been sent: nothing is decrypted ahead for queued requests.
        channel_request_lookahead=0,
    )
    return 0


def worker(args) -> int:
    """Run background tasks (django-tasks database backend) until stopped."""
    _setup_django()
    from kluis.core import periodic
    from kluis.reports.tasks import send_report_reminders
    from kluis.retention.tasks import schedule_purge

    # Start the periodic chains (a no-op for each one already waiting).
    schedule_purge()  # docs/retention.md
    periodic.start(send_report_reminders, reschedule=True)  # docs/reports.md
    _call("db_worker", queue_name="*", interval=args.interval, batch=args.batch, reload=False)
    return 0


def purge(args) -> int:
    """Delete due recordings for good (kluis.retention.purge); cron or systemd may run it."""
    _setup_django()
    options = {"dry_run": args.dry_run}
    if args.organisation:
        options["organisation"] = args.organisation
    from django.core.management.base import CommandError

    try:
        _call("purge", **options)
    except CommandError as exc:
        print(f"kluis purge: {exc}", file=sys.stderr)
        return 1
    return 0


def demo(args) -> int:
    """Set up the demo on the embedded defaults and run server and worker together."""
    _setup_django()
    _call("migrate", interactive=False, verbosity=0)
    _call("load_policy_presets", verbosity=0)
    _call("load_demo")
    _call("load_demo_footage")
    if args.no_serve:
        return 0
    base = f"http://{args.host}:{args.port}"
    print(
        f"\nStaff log in at {base}/login/ ; functional administrators at {base}/admin/\n",
        flush=True,
    )
    env = os.environ.copy()
    children = [
        subprocess.Popen([sys.executable, "-m", "kluis.cli", "worker"], env=env),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kluis.cli",
                "serve",
                "--host",
                args.host,
                "--port",
                str(args.port),
            ],
            env=env,
        ),
    ]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            child.wait(timeout=10)
    return 0


#: Commands that run the server side; `kluis` skips the pure packages' imports for them.
SERVER_COMMANDS = frozenset({"demo", "serve", "worker", "purge", "manage", "audit"})


def add_server_commands(subparsers) -> None:
    p = subparsers.add_parser("demo", help="set up demo data and run server + worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="only set up the demo data")
    p.set_defaults(func=demo)

    p = subparsers.add_parser("serve", help="serve the web app and API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=serve)

    p = subparsers.add_parser("worker", help="run background tasks")
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--batch", action="store_true", help="exit when the queue is empty")
    p.set_defaults(func=worker)

    p = subparsers.add_parser("purge", help="delete every recording whose term has passed")
    p.add_argument("--dry-run", action="store_true", help="only show what is due")
    p.add_argument("--organisation", help="only this organisation (short name)")
    p.set_defaults(func=purge)

    subparsers.add_parser("manage", help="Django management commands (kluis manage help)")

    p = subparsers.add_parser("audit", help="verify, export or checkpoint the audit trail")
    p.add_argument("subcommand", choices=["verify", "export", "checkpoint", "public-key"])
    p.add_argument("options", nargs=argparse.REMAINDER, help="see kluis audit SUBCOMMAND -h")
    p.set_defaults(func=lambda args: run_manage(["audit", args.subcommand, *args.options]))
