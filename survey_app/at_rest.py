"""Encryption at rest of the files the app keeps for a while that name respondents: job result
files (the job_files table: letters hold every respondent's personal link) and uploads waiting
in instance/uploads (rosters, paper forms with respondent_ref). A database reader, or whoever
reads the instance folder, finds only sealed bytes (docs/anonymity.md).

The key is not in the database: it is derived from the app's SECRET_KEY (HKDF-SHA256), so every
app server and worker sharing SECRET_KEY (docs/deploy.md) reads what another wrote. A file is
sealed a chunk at a time (memory stays flat however large it is), each chunk with AES-256-GCM
under a random nonce; its place (the file it belongs to, its number, whether it is the last) is
authenticated with it, so a chunk altered, moved, swapped with another file's or dropped at the
end is detected. Whatever cannot be opened (sealed under another SECRET_KEY, or altered) raises
Unreadable, which the callers turn into a message in words.

``cryptography`` is imported when a key is first needed, not when the app starts."""
from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Iterator
from typing import IO

from flask import current_app

VERSION = 1
_HEADER = 2  # the version, then 1 on the last chunk (0 before it)
_NONCE = 12
_TAG = 16
OVERHEAD = _HEADER + _NONCE + _TAG  # bytes a sealed chunk adds to its plain bytes


class Unreadable(Exception):
    """Sealed bytes that cannot be opened: sealed under another SECRET_KEY, altered, or cut
    short."""


@functools.lru_cache(maxsize=4)
def _cipher(secret: str | bytes):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = secret.encode() if isinstance(secret, str) else secret
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"skm files at rest v1").derive(material)
    return AESGCM(key)


def _key():
    return _cipher(current_app.config["SECRET_KEY"])


def _associated(header: bytes, context: str, seq: int) -> bytes:
    return header + f"\x00{context}\x00{seq}".encode()


def seal_chunks(chunks: Iterable[bytes], context: str) -> Iterator[bytes]:
    """Each of ``chunks`` sealed on its own, in order; ``context`` names the file (a job's
    result, an upload's name). The last is marked as such (an empty file is one empty chunk).
    Needs an app context."""
    cipher = _key()
    seq, pending = 0, None
    for chunk in chunks:
        if pending is not None:
            yield _seal(cipher, pending, context, seq, last=False)
            seq += 1
        pending = chunk
    yield _seal(cipher, pending or b"", context, seq, last=True)


def _seal(cipher, data: bytes, context: str, seq: int, last: bool) -> bytes:
    header, nonce = bytes((VERSION, int(last))), secrets.token_bytes(_NONCE)
    return header + nonce + cipher.encrypt(nonce, data, _associated(header, context, seq))


def open_chunks(sealed: Iterable[bytes], context: str) -> Iterator[bytes]:
    """The plain bytes of the chunks seal_chunks made for ``context``, a chunk at a time;
    Unreadable as soon as one does not open, and at the end when the last one is missing.
    Needs an app context."""
    cipher = _key()
    last = False
    for seq, record in enumerate(sealed):
        if last:
            raise Unreadable("a chunk after the last")
        data, last = open_chunk(record, context, seq, cipher)
        yield data
    if not last:
        raise Unreadable("the file is cut short")


def open_chunk(record: bytes, context: str, seq: int, cipher=None) -> tuple[bytes, bool]:
    """Chunk number ``seq`` of ``context`` opened: its plain bytes and whether it is the
    last; Unreadable if it does not open."""
    from cryptography.exceptions import InvalidTag

    header, nonce = record[:_HEADER], record[_HEADER:_HEADER + _NONCE]
    if len(record) < OVERHEAD or header[0] != VERSION or header[1] not in (0, 1):
        raise Unreadable("not a sealed chunk")
    try:
        data = (cipher or _key()).decrypt(nonce, record[_HEADER + _NONCE:],
                                          _associated(header, context, seq))
    except InvalidTag:
        raise Unreadable("another key, or altered") from None
    return data, bool(header[1])


def exact_chunks(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The bytes of ``stream`` in chunks of exactly ``size`` bytes (the last one shorter):
    sealed chunks of a file then have a known length, read back ``size + OVERHEAD`` at a
    time."""
    while True:
        chunk = stream.read(size)
        while chunk and len(chunk) < size:
            more = stream.read(size - len(chunk))
            if not more:
                break
            chunk += more
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return


def plain_size(sealed_size: int, size: int) -> int:
    """The plain bytes of a file sealed in chunks of ``size`` bytes, from its sealed size."""
    records = max(1, -(-sealed_size // (size + OVERHEAD)))
    return max(0, sealed_size - records * OVERHEAD)
