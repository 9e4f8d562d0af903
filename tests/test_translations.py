"""The Dutch catalogue is complete, keeps every placeholder, and is what the app serves.

The .po file is parsed here with a small parser of its own (no third-party library); the
compiled .mo is read with the standard library's gettext.
"""

from __future__ import annotations

import ast
import gettext
import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse

import kluis

LC_MESSAGES = Path(kluis.__file__).parent / "locale" / "nl" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """The key under which gettext stores the entry (context joined with EOT)."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(text: str) -> str:
    # A .po string literal uses C escapes (\n, \t, \", \\), which a Python literal reads alike.
    return ast.literal_eval(text)


def parse_po(path: Path) -> tuple[Entry, list[Entry]]:
    """Return the header entry and the other entries of a .po file (obsolete ones left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    def put(entry: Entry, where: tuple[str, int | None], text: str) -> None:
        name, index = where
        if name == "msgstr":
            entry.msgstr[index or 0] = entry.msgstr.get(index or 0, "") + text
        elif name == "msgid":
            entry.msgid += text
        else:
            setattr(entry, name, (getattr(entry, name) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            finish()
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert current is not None and target is not None, f"line {number}: stray string"
            put(current, target, _unquote(line))
        else:
            match = _KEYWORD.match(line)
            assert match, f"line {number}: cannot parse {raw!r}"
            keyword, index, literal = match.groups()
            continues = current is not None and target is not None and target[0] == "msgctxt"
            if keyword == "msgctxt" or (keyword == "msgid" and not continues):
                finish()
                current = Entry(line=number, flags=pending_flags)
                pending_flags = set()
            assert current is not None, f"line {number}: {keyword} outside an entry"
            name = "msgstr" if keyword.startswith("msgstr") else keyword
            target = (name, int(index) if index is not None else None)
            if name == "msgid_plural":
                current.msgid_plural = ""
            put(current, target, _unquote(literal))
    finish()

    headers = [entry for entry in entries if entry.msgid == "" and entry.msgctxt is None]
    assert len(headers) == 1, "the .po file needs exactly one header entry"
    return headers[0], [entry for entry in entries if entry is not headers[0]]


HEADER, ENTRIES = parse_po(PO_PATH)

_PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]"  # %(name)s, %(s).2f
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifr]"  # %s, %d
    r"|\{\w*\}"  # {name}, {}
)


def placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text.replace("%%", "")))


def _describe(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


def test_the_catalogue_was_parsed():
    assert len(ENTRIES) > 500
    assert "Language: nl" in HEADER.msgstr[0]
    assert "fuzzy" not in HEADER.flags


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [_describe(e) for e in ENTRIES if not e.msgstr or not all(e.msgstr.values())]
    fuzzy = [_describe(e) for e in ENTRIES if "fuzzy" in e.flags]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)


def test_plural_entries_have_both_dutch_forms():
    for entry in ENTRIES:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == [0, 1], _describe(entry)
        else:
            assert sorted(entry.msgstr) == [0], _describe(entry)


def test_placeholders_are_kept_exactly():
    wrong = []
    for entry in ENTRIES:
        for index, translation in entry.msgstr.items():
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if placeholders(source) != placeholders(translation):
                wrong.append(f"{_describe(entry)} msgstr[{index}] = {translation!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_placeholder_check_itself():
    assert placeholders("%(n)d entries in %(s).2f s, %s and {name}") == Counter(
        ["%(n)d", "%(s).2f", "%s", "{name}"]
    )
    assert placeholders("100%% sure") == Counter()


def test_the_compiled_catalogue_matches_the_po_file():
    with MO_PATH.open("rb") as handle:
        data = handle.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    count = struct.unpack(f"{order}I", data[8:12])[0]
    # The .mo holds the header plus one string per translated entry.
    assert count - 1 == len(ENTRIES), "django.mo is stale: run django-admin compilemessages"

    with MO_PATH.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in ENTRIES:
        if entry.msgid_plural is None:
            got = {0: catalogue.gettext(entry.key)}
        else:
            got = {
                0: catalogue.ngettext(entry.key, entry.msgid_plural, 1),
                1: catalogue.ngettext(entry.key, entry.msgid_plural, 2),
            }
        if got != entry.msgstr:
            stale.append(_describe(entry))
    assert not stale, "django.mo differs from django.po:\n" + "\n".join(stale)
    assert catalogue.gettext("Log in") == "Inloggen"
    assert catalogue.gettext("hold") == "blokkade"
    assert catalogue.gettext("incident report") == "verslag"


@pytest.mark.django_db
def test_the_login_page_speaks_dutch_by_default(client):
    page = client.get(reverse("staff:login")).content.decode()
    assert '<html lang="nl">' in page
    assert "Inloggen" in page and "Wachtwoord" in page
    assert "Log in with your user name" not in page


@pytest.mark.django_db
def test_the_login_page_speaks_english_on_request(client):
    page = client.get(reverse("staff:login"), headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in page
    assert "Log in with your user name" in page and "Password" in page
    assert "Inloggen" not in page and "Wachtwoord" not in page
