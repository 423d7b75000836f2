"""Uploaded files waiting between a preview and its confirmation, or for the job that imports
them: instance/uploads. They hold names and phone numbers, so a file nobody confirmed is removed
after KEEP_SECONDS (at the next upload). The one home of this rule for rosters, paper forms,
master data and the jobs that import them."""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import current_app

KEEP_SECONDS = 24 * 3600


def folder() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(data: bytes, filename: str) -> str:
    """Store an upload under a random name (its extension kept: .xlsx or .csv) and return that
    name, for the confirmation form or the job; older leftovers go."""
    path = folder()
    stale = time.time() - KEEP_SECONDS
    for old in path.glob("*.*"):
        if old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    name = f"{secrets.token_hex(16)}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"
    (path / name).write_bytes(data)
    return name


def kept(name: str) -> Path:
    """Where upload ``name`` waits (only its last part is used: nothing outside the folder); the
    caller checks that it still exists."""
    return folder() / Path(name).name
