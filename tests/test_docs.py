"""The documentation stays findable and true to the code it describes.

- every page in docs/ is linked from docs/index.md, so none is written and then lost;
- every relative link in docs/ (and in the README) points at a file that exists;
- every KLUIS_* variable the settings read is in docs/operator.md's configuration reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONF = ROOT / "src" / "kluis" / "conf"

# [text](target) in Markdown; images and reference-style links are not used in docs/.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# env("NAME"), env_bool("NAME", ...), env_list("NAME", ...): the settings' only ways to read one.
SETTING = re.compile(r"\benv(?:_bool|_list)?\(\s*\"([A-Z0-9_]+)\"")


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def _links(page: Path) -> list[str]:
    # Code blocks and inline code hold examples, not links.
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


def _is_relative(target: str) -> bool:
    return not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")


def test_every_page_in_docs_is_linked_from_the_index():
    index = DOCS / "index.md"
    linked = {
        (DOCS / target.split("#")[0]).resolve() for target in _links(index) if _is_relative(target)
    }
    unlinked = [p.name for p in _pages() if p != index and p.resolve() not in linked]
    assert not unlinked, f"add these pages to docs/index.md: {unlinked}"


@pytest.mark.parametrize("page", [*_pages(), ROOT / "README.md"], ids=lambda p: p.name)
def test_relative_links_point_at_files_that_exist(page):
    broken = [
        target
        for target in _links(page)
        if _is_relative(target) and not (page.parent / target.split("#")[0]).exists()
    ]
    assert not broken, f"{page.name} links to missing files: {broken}"


def test_every_setting_read_from_the_environment_is_in_the_operator_docs():
    read = {
        f"KLUIS_{name}" for path in CONF.rglob("*.py") for name in SETTING.findall(path.read_text())
    }
    assert "KLUIS_SECRET_KEY" in read and "KLUIS_MASTER_KEY" in read  # the pattern still finds them
    operator = (DOCS / "operator.md").read_text()
    missing = sorted(v for v in read if not re.search(rf"`{v}`", operator))
    assert not missing, f"add these to the configuration reference in docs/operator.md: {missing}"
