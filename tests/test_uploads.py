"""survey_app/uploads.py: the one folder, name rule and sweep of uploads waiting for a
confirmation or a job, and its streamed save (chunks, a size limit)."""
from __future__ import annotations

import io
import os
import time

import pytest
from werkzeug.exceptions import RequestEntityTooLarge

from survey_app import at_rest, uploads
from tests.sealing import revealed


class CountingStream(io.BytesIO):
    """A stream that records how much each read asked for."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_a_streamed_upload_is_copied_in_chunks_under_a_random_name(ctx, monkeypatch):
    monkeypatch.setattr(uploads, "CHUNK", 4)
    stream = CountingStream(b"ref,name\nR1,Budi\n")  # 17 bytes: 4 reads of 4, 1 byte, the end
    name = uploads.keep_stream(stream, "Roster Kota.CSV")
    assert uploads.NAME.match(name) and name.endswith(".csv")
    assert uploads.read(uploads.kept(name)) == b"ref,name\nR1,Budi\n"
    assert stream.asked == [4, 4, 4, 4, 4, 3]  # never the whole file at once
    # five sealed chunks (4 + 4 + 4 + 4 + 1 bytes), each with its nonce, tag and header
    assert uploads.kept(name).stat().st_size == 17 + 5 * at_rest.OVERHEAD
    assert uploads.size(uploads.kept(name)) == 17
    assert uploads.keep(b"PK..", "officials.xlsx").endswith(".xlsx")


def test_past_the_limit_nothing_is_kept(ctx, monkeypatch):
    monkeypatch.setattr(uploads.secrets, "token_hex", lambda _n: "ab" * 16)
    with pytest.raises(RequestEntityTooLarge):
        uploads.keep_stream(io.BytesIO(b"x" * 11), "export.csv", limit=10)
    assert not uploads.kept("ab" * 16 + ".csv").exists()
    assert uploads.keep_stream(io.BytesIO(b"x" * 10), "export.csv", limit=10) == "ab" * 16 + ".csv"
    assert uploads.size(uploads.kept("ab" * 16 + ".csv")) == 10


def test_uploads_older_than_a_day_go_at_the_next_upload(ctx):
    old = uploads.keep(b"old", "a.csv")
    fresh = uploads.keep(b"fresh", "b.csv")
    day_ago = time.time() - uploads.KEEP_SECONDS - 60
    os.utime(uploads.kept(old), (day_ago, day_ago))
    uploads.keep(b"new", "c.csv")
    assert not uploads.kept(old).exists()
    assert uploads.read(uploads.kept(fresh)) == b"fresh"


def test_a_name_reaches_nothing_outside_the_folder(ctx):
    assert uploads.kept("../../secret_key") == uploads.folder() / "secret_key"
    assert not uploads.NAME.match("../" + "ab" * 16 + ".csv")


def test_a_kept_upload_on_disk_names_nobody_and_opens_only_with_its_key(ctx, app):
    """Sealed on disk (survey_app/at_rest.py): no respondent_ref, name or phone in its bytes;
    opened again with the app's SECRET_KEY, and refused as Unreadable under another one."""
    roster = b"respondent_ref,name,phone\nR1,Budi Santoso,081234567890\n"
    path = uploads.kept(uploads.keep(roster, "roster.csv"))
    stored = path.read_bytes()
    assert revealed(stored, roster) == [] and b"Budi" not in stored and b"0812" not in stored
    assert uploads.read(path) == roster
    app.config["SECRET_KEY"] = "rotated"
    with pytest.raises(at_rest.Unreadable):
        uploads.read(path)
    path.unlink()


def test_a_kept_upload_altered_or_renamed_does_not_open(ctx):
    """A byte changed, the last chunk dropped, or the file put under another upload's name:
    each is refused (the chunks are bound to their file, number and end)."""
    data = b"x" * 10
    first = uploads.kept(uploads.keep(data, "a.csv"))
    sealed = first.read_bytes()
    altered = bytearray(sealed)
    altered[-1] ^= 1
    other = uploads.kept(uploads.keep(b"y", "b.csv"))
    for name, stored in ((first.name, bytes(altered)), (other.name, sealed)):
        uploads.kept(name).write_bytes(stored)
        with pytest.raises(at_rest.Unreadable):
            uploads.read(uploads.kept(name))
        uploads.kept(name).unlink()
