"""Compiled message catalogs (.mo) from the translations' .po files.

The .mo files are build output, not committed: `make translations` compiles them in a checkout,
setup.py when the package is built (`pip install .`), and create_app() at start-up when one is
missing or older than its .po (an app installed with `pip install -r requirements.txt` and run
from the checkout would otherwise show every page in English). This module imports only Babel
and the standard library: setup.py loads it by its path, before the package's dependencies are
installed.
"""
from __future__ import annotations

import os
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def stale(directory: Path | None = None) -> list[Path]:
    """The .po files (of TRANSLATIONS by default) whose .mo is missing or older."""
    directory = directory or TRANSLATIONS
    out = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            out.append(po)
    return out


def compile_catalog(po: Path, mo: Path | None = None) -> Path:
    """Compile one .po file to its .mo (beside it unless ``mo`` is given), as pybabel compile
    does: fuzzy entries left out. Written to a temporary name first, so a reader never sees half
    a file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    mo = mo or po.with_suffix(".mo")
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    partial = mo.with_name(f"{mo.name}.{os.getpid()}.part")
    with partial.open("wb") as target:
        write_mo(target, catalog, use_fuzzy=False)
    partial.replace(mo)
    return mo


def compile_stale(directory: Path | None = None) -> list[Path]:
    """Compile every missing or outdated catalog; returns the .mo files written."""
    return [compile_catalog(po) for po in stale(directory)]
