"""Fill Indonesian translations into survey_app/translations/id from a JSON file {msgid: msgstr}.

Usage: python tools/po_fill.py translations.json   (after `make messages`)
Prints the msgids that still have no translation.
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "survey_app/translations/id/LC_MESSAGES/messages.po"


def main() -> None:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="id")
    new = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in new:
            message.string = new[key] if isinstance(message.id, str) else (new[key],) * 2
            message.flags.discard("fuzzy")
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)
    for message in catalog:
        if message.id and (not message.string or "fuzzy" in message.flags):
            print("untranslated:", message.id)


if __name__ == "__main__":
    main()
