"""Git merge driver for gettext catalogs: the union of both sides' translations.

Set up once per clone (the Makefile's `install` does it):
    git config merge.pomerge.driver ".venv/bin/python tools/po_merge.py %O %A %B"
Messages from both sides are kept; where both translated the same message differently, ours
wins. `make messages` afterwards drops what the code no longer uses.
"""
import sys

from babel.messages.pofile import read_po, write_po


def main(_base: str, ours: str, theirs: str) -> int:
    with open(ours, "rb") as f:
        merged = read_po(f, locale="id")
    with open(theirs, "rb") as f:
        other = read_po(f, locale="id")
    for message in other:
        if not message.id:
            continue
        mine = merged.get(message.id)
        if mine is None:
            merged[message.id] = message  # the Catalog takes a Message (not its string)
        elif not mine.string and message.string:
            mine.string = message.string
            mine.flags.discard("fuzzy")
    with open(ours, "wb") as f:
        write_po(f, merged, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
