"""The `kluis` command: one entry point for everything a user runs.

Server commands (demo, serve, worker, manage, purge, audit, ...) need Django; the camera and
redaction commands come from the pure packages and run without it, so `kluis camera` works on a
small device that has no server installed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Pure-package subcommands: each module offers add_subparser(subparsers) which sets `func`.
PURE_COMMAND_MODULES = ("kluis.camera.cli", "kluis.media.cli")


def _add_pure_commands(subparsers) -> None:
    for name in PURE_COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # package not present in this installation
            raise
        module.add_subparser(subparsers)


def build_parser(pure_commands: bool = True) -> argparse.ArgumentParser:
    """The full parser; `pure_commands=False` leaves out camera and redaction, whose imports
    (PyAV, NumPy, OpenCV) would only cost a server process memory and start-up time."""
    from kluis.server_cli import add_server_commands

    parser = argparse.ArgumentParser(
        prog="kluis",
        description="Kluis: evidence management for municipal bodycams.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_server_commands(subparsers)
    if pure_commands:
        _add_pure_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `kluis manage ...` passes everything after it to Django untouched.
    if argv[:1] == ["manage"]:
        from kluis.server_cli import run_manage

        return run_manage(argv[1:])
    from kluis.server_cli import SERVER_COMMANDS

    parser = build_parser(pure_commands=not (argv and argv[0] in SERVER_COMMANDS))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
