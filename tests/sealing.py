"""What a reader of sealed bytes (survey_app/at_rest.py) could find of the plain text."""
from __future__ import annotations

# Sealed bytes look random: a two- or three-byte marker ("R1", "C1", "/s/") turns up in a few
# kilobytes of them by chance now and then (a failure seen in a whole run), twelve bytes never.
LEAST = 12


def revealed(sealed: bytes, plain: bytes) -> list[bytes]:
    """The lines of ``plain`` (their first LEAST bytes; a shorter line whole) found in
    ``sealed``: none, when it is sealed."""
    return [line for line in plain.splitlines() if line and line[:LEAST] in sealed]
