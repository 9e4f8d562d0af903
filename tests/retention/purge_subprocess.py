"""Helper run in a child process by test_sigkill.py (not a test module).

    python -m tests.retention.purge_subprocess setup N
    python -m tests.retention.purge_subprocess purge-and-hang POINT MARKER

`purge-and-hang` runs a real purge that, at POINT, writes MARKER and sleeps until the test
kills it with SIGKILL: the process dies between two steps exactly as a power cut would.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kluis.conf.settings")
    import django

    django.setup()
    from django.db import transaction

    from kluis.core import clock

    if argv[0] == "setup":
        from kluis.organisations.actions import load_presets
        from tests.world import build_world

        load_presets()
        with transaction.atomic():
            world = build_world()
        for _ in range(int(argv[1])):
            world.record(clock.now() - dt.timedelta(days=30))
        print(world.org.slug)
        return 0
    if argv[0] == "purge-and-hang":
        from kluis.retention import purge as purge_module

        point, marker = argv[1], Path(argv[2])

        def hang(where, ids):
            if where == point:
                marker.write_text(where)
                time.sleep(120)

        purge_module.checkpoint = hang
        purge_module.purge()
        return 0
    raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
