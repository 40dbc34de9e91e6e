"""A normal (non-editable) install carries the compiled catalogs: English works outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot import i18n

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "storage", "locales", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")


def _copy_sources(target: Path) -> None:
    """The project's sources without build leftovers, so the wheel is built from what a clone has."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "locale", "*.egg-info")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def test_a_wheel_install_speaks_english(tmp_path: Path) -> None:
    source, wheels, site = tmp_path / "src", tmp_path / "wheels", tmp_path / "site"
    source.mkdir()
    _copy_sources(source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("bdhvs_bot-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)

    probe = (
        "import bot, bot.i18n as i18n\n"
        "print(bot.__file__)\n"
        "print(i18n.Translator('en').gettext('Đã chuyển sang tiếng Việt.'))\n"
        "from storage.programmes import catalog\n"
        "print(catalog.FOLDER)\n"
        "print(' '.join(catalog.shipped().ids))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True, capture_output=True, text=True
    )
    module_file, english, programmes_folder, programmes = result.stdout.splitlines()
    assert module_file.startswith(str(site)), module_file  # the installed copy, not the checkout
    assert english == "Switched to English."
    # the programmes' catalog is package data: the installed copy carries every file of the checkout's
    assert programmes_folder.startswith(str(site)), programmes_folder
    assert programmes.split() == sorted(p.stem for p in (ROOT / "storage/programmes").glob("*.toml"))
    assert "no message catalog" not in result.stderr


def test_a_checkout_without_compiled_catalogs_still_speaks_english(tmp_path: Path) -> None:
    po = tmp_path / "en" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy2(ROOT / "locales/en/LC_MESSAGES/messages.po", po)
    original = i18n.LOCALES_DIR
    try:
        i18n.LOCALES_DIR = tmp_path
        translations = i18n.load_catalog("en")
    finally:
        i18n.LOCALES_DIR = original
    assert translations.gettext("Đã chuyển sang tiếng Việt.") == "Switched to English."
