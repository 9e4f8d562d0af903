"""Making a file's name durable, for every package that writes files (camera, server, key store).

Here, in the pure sealed package, so the camera software and the Django apps share one copy
without the camera importing Django.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path | str) -> None:
    """Force the directory `path` to storage, so a file created or renamed in it survives a power
    cut (fsync of the file alone does not make its name durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
