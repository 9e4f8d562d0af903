"""Settings for the test suite: the normal settings with KLUIS_ENVIRONMENT=test.

Tests get their own data directory, so they never touch a developer's demo data.
"""

import os
import tempfile

os.environ.setdefault("KLUIS_ENVIRONMENT", "test")
os.environ.setdefault("KLUIS_DATA_DIR", tempfile.mkdtemp(prefix="kluis-test-"))

from .settings import *  # noqa: E402, F403
