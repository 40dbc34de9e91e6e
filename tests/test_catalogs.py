"""The message catalogs: every user-facing string extracted, translated to English, placeholders intact."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as file:
        return read_po(file)


def test_every_english_entry_is_translated_with_the_same_placeholders() -> None:
    problems = []
    for message in _catalog(ROOT / "locales/en/LC_MESSAGES/messages.po"):
        if not message.id:
            continue
        if not message.string:
            problems.append(f"untranslated: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    assert problems == []


def test_every_string_in_the_code_is_in_the_catalogs(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            "bot",
            "handlers",
            "storage",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    in_code = {m.id for m in _catalog(pot) if m.id}
    for locale in ("vi", "en"):
        in_catalog = {m.id for m in _catalog(ROOT / f"locales/{locale}/LC_MESSAGES/messages.po") if m.id}
        missing = sorted(in_code - in_catalog)
        assert missing == [], f"run `make extract` and translate ({locale}): {missing[:5]}"
