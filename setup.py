"""Build step that pyproject.toml cannot say: compile the message catalogs into the package.

`locales/` (the .po files translators edit) sits outside every package, so a wheel would carry no
translations and English would silently fall back to Vietnamese. Building the package compiles each
`locales/<lang>/LC_MESSAGES/messages.po` into `bot/locale/<lang>/LC_MESSAGES/messages.mo` inside the build.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithCatalogs(build_py):
    """`build_py` that also writes the compiled catalogs into the built `bot` package."""

    def run(self) -> None:
        super().run()
        for po_path in sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po")):
            locale = po_path.parent.parent.name
            target = Path(self.build_lib) / "bot" / "locale" / locale / "LC_MESSAGES" / "messages.mo"
            target.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            with target.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildWithCatalogs})
