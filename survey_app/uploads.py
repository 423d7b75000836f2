"""Uploaded files waiting between a preview and its confirmation, or for the job that imports
them: instance/uploads. They hold names and phone numbers, so a file nobody confirmed is removed
after KEEP_SECONDS (at the next upload). The one home of this rule for rosters, paper forms,
master data, complaint exports and the jobs that import them: one folder, one name rule (NAME),
one sweep.

A small upload is kept from its bytes (``keep``); a large one (a year's complaint export) is
streamed to disk in chunks, never held in memory whole, up to a size limit (``keep_stream``).
"""
from __future__ import annotations

import io
import re
import secrets
import time
from pathlib import Path
from typing import IO

from flask import current_app
from werkzeug.exceptions import RequestEntityTooLarge

KEEP_SECONDS = 24 * 3600
CHUNK = 1024 * 1024  # bytes copied at a time by keep_stream
NAME = re.compile(r"^[0-9a-f]{32}\.(?:csv|xlsx)$")  # what keep and keep_stream name a file


def folder() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(data: bytes, filename: str) -> str:
    """Store an upload under a random name (its extension kept: .xlsx or .csv) and return that
    name, for the confirmation form or the job; older leftovers go."""
    return keep_stream(io.BytesIO(data), filename)


def keep_stream(stream: IO[bytes], filename: str, limit: int | None = None) -> str:
    """``keep`` for a file read from ``stream`` CHUNK bytes at a time; past ``limit`` bytes the
    part written is removed and RequestEntityTooLarge raised (a 413 page)."""
    path = folder()
    _sweep(path)
    name = f"{secrets.token_hex(16)}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"
    target = path / name
    written = 0
    try:
        with target.open("wb") as out:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if limit is not None and written > limit:
                    raise RequestEntityTooLarge()
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return name


def _sweep(path: Path) -> None:
    """Remove the uploads older than KEEP_SECONDS."""
    stale = time.time() - KEEP_SECONDS
    for old in path.glob("*.*"):
        if old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)


def kept(name: str) -> Path:
    """Where upload ``name`` waits (only its last part is used: nothing outside the folder); the
    caller checks that it still exists."""
    return folder() / Path(name).name
