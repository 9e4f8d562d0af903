"""Whether the browser tests can run here, and rule markers only for tests that will run.

A rule counts as covered only by tests that ran and passed; a skipped test carrying a rule ID
counts against the rule. So these tests carry their rule IDs only where Chromium (and, for the
accessibility test, axe-core) is installed; elsewhere they skip without claiming anything.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
BROWSER_READY = os.path.exists(CHROMIUM) and importlib.util.find_spec("playwright") is not None
AXE_READY = BROWSER_READY and importlib.util.find_spec("axe_playwright_python") is not None


def rule_if(ready: bool, *ids: str):
    """@pytest.mark.rule(*ids) where the test will run; no marker where it would skip."""
    if ready:
        return pytest.mark.rule(*ids)
    return lambda test: test
