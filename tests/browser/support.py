"""Whether the browser tests can run here, and rule markers only for tests that will run.

A rule counts as covered only by tests that ran and passed; a skipped test carrying a rule ID
counts against the rule. Playwright and axe-core are Python dependencies of the project, always
there; Debian's Chromium is not a Python package. So these tests carry their rule IDs only where
Chromium is installed; elsewhere they skip without claiming anything.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
BROWSER_READY = os.path.exists(CHROMIUM)


def rule_if(ready: bool, *ids: str):
    """@pytest.mark.rule(*ids) where the test will run; no marker where it would skip."""
    if ready:
        return pytest.mark.rule(*ids)
    return lambda test: test
