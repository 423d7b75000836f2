"""survey_app/uploads.py: the one folder, name rule and sweep of uploads waiting for a
confirmation or a job, and its streamed save (chunks, a size limit)."""
from __future__ import annotations

import io
import os
import time

import pytest
from werkzeug.exceptions import RequestEntityTooLarge

from survey_app import uploads


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
    stream = CountingStream(b"ref,name\nR1,Budi\n")  # 17 bytes: 5 reads of 4, then the end
    name = uploads.keep_stream(stream, "Roster Kota.CSV")
    assert uploads.NAME.match(name) and name.endswith(".csv")
    assert uploads.kept(name).read_bytes() == b"ref,name\nR1,Budi\n"
    assert stream.asked == [4, 4, 4, 4, 4, 4]  # never the whole file at once
    assert uploads.keep(b"PK..", "officials.xlsx").endswith(".xlsx")


def test_past_the_limit_nothing_is_kept(ctx, monkeypatch):
    monkeypatch.setattr(uploads.secrets, "token_hex", lambda _n: "ab" * 16)
    with pytest.raises(RequestEntityTooLarge):
        uploads.keep_stream(io.BytesIO(b"x" * 11), "export.csv", limit=10)
    assert not uploads.kept("ab" * 16 + ".csv").exists()
    assert uploads.keep_stream(io.BytesIO(b"x" * 10), "export.csv", limit=10) == "ab" * 16 + ".csv"
    assert uploads.kept("ab" * 16 + ".csv").stat().st_size == 10


def test_uploads_older_than_a_day_go_at_the_next_upload(ctx):
    old = uploads.keep(b"old", "a.csv")
    fresh = uploads.keep(b"fresh", "b.csv")
    day_ago = time.time() - uploads.KEEP_SECONDS - 60
    os.utime(uploads.kept(old), (day_ago, day_ago))
    uploads.keep(b"new", "c.csv")
    assert not uploads.kept(old).exists()
    assert uploads.kept(fresh).read_bytes() == b"fresh"


def test_a_name_reaches_nothing_outside_the_folder(ctx):
    assert uploads.kept("../../secret_key") == uploads.folder() / "secret_key"
    assert not uploads.NAME.match("../" + "ab" * 16 + ".csv")
