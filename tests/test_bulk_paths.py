"""The set-based bulk paths pinned row by row: the next quarter's copy (bulk tokens, inactive
respondents left out), an unchanged roster re-imported in a constant number of statements, and a
large complaint export's errors with their line numbers (the one-search fast path of
text.RowChecker and the per-column checks agree)."""
from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import func, select

from survey_app import querycount
from survey_app.domain import invitations, lifecycle, questionnaires, text
from survey_app.domain.complaints import ImportRejected, import_complaints, read_complaints
from survey_app.domain.invitations import invitation_token, new_tokens, token_hash
from survey_app.extensions import db
from survey_app.models import Complaint, Invitation, InvitationPosition, Position, Respondent
from tests.respondent_setup import HEADER, load_roster, world
from tests.test_complaints_import import HEADER as COMPLAINT_HEADER
from tests.test_complaints_import import NOW, tree  # noqa: F401 - a fixture


def roster_of(count: int) -> str:
    """``count`` RT heads of kelurahan 3171010001 (lurah, camat and wali kota to rate) and, every
    fifth, an FKDM member of kecamatan 3171010 (camat and wali kota)."""
    rows = []
    for n in range(count):
        if n % 5 == 4:
            rows.append(f"B{n:03d},Warga {n},fkdm,3171010,,,,\n")
        else:
            rows.append(f"B{n:03d},Warga {n},rt,3171010001,1,{n + 1},,\n")
    return HEADER + "".join(rows)


def test_new_tokens_are_unique_and_give_back_their_hash():
    pairs = new_tokens("key", 1000)
    nonces = [nonce for nonce, _hash in pairs]
    assert len(pairs) == 1000 and len(set(nonces)) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", nonce) for nonce in nonces)  # 128 random bits each
    assert all(digest == token_hash(invitation_token("key", nonce)) for nonce, digest in pairs)
    assert new_tokens("key", 0) == []


def test_next_quarter_copies_active_respondents_with_their_own_links_and_positions(ctx):
    _areas, round_ = world(questionnaire=questionnaires.pin(
        "skm-permenpan-14-2017", questionnaires.DEFAULT_DIRECTORY))  # a file next_quarter re-pins
    load_roster(round_, roster_of(20))
    db.session.commit()
    for ref in ("B003", "B004"):  # an RT head and an FKDM member leave the roster
        lifecycle.deactivate(db.session.scalar(select(Respondent).where(Respondent.ref == ref)))
    db.session.commit()
    nxt = invitations.next_quarter(round_)
    db.session.commit()
    copied = db.session.execute(
        select(Respondent.ref, Invitation.token_hash, Invitation.token_nonce, Invitation.id,
               Invitation.created_at)
        .join(Invitation, Invitation.respondent_id == Respondent.id)
        .where(Invitation.round_id == nxt.id).order_by(Respondent.ref)).all()
    assert [ref for ref, *_rest in copied] == [f"B{n:03d}" for n in range(20) if n not in (3, 4)]
    assert len({digest for _ref, digest, *_rest in copied}) == 18  # a link of its own each
    assert len({nonce for _ref, _digest, nonce, *_rest in copied}) == 18
    old = set(db.session.scalars(select(Invitation.token_hash)
                                 .where(Invitation.round_id == round_.id)))
    assert not old & {digest for _ref, digest, *_rest in copied}  # new links, not the old ones
    assert len({created for *_rest, created in copied}) == 1  # written in one go
    connection = db.session.connection()
    for _ref, _digest, nonce, invitation_id, _created in copied:
        link = invitations.open_link(
            connection, invitation_token(current_app.config["SECRET_KEY"], nonce))
        assert link is not None and link.invitation_id == invitation_id
    rated = dict(db.session.execute(
        select(Respondent.ref, func.count(InvitationPosition.position_id))
        .join(Invitation, Invitation.respondent_id == Respondent.id)
        .join(InvitationPosition, InvitationPosition.invitation_id == Invitation.id)
        .where(Invitation.round_id == nxt.id).group_by(Respondent.ref)).tuples().all())
    # RT heads rate the lurah, the camat and the wali kota; FKDM members the camat and wali kota
    assert rated == {f"B{n:03d}": 2 if n % 5 == 4 else 3 for n in range(20) if n not in (3, 4)}
    kinds = set(db.session.scalars(
        select(Position.kind).join(InvitationPosition)
        .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
        .where(Invitation.round_id == nxt.id)))
    assert kinds == {"lurah", "camat", "walikota"}


def test_an_unchanged_roster_is_reported_unchanged_in_a_constant_number_of_statements(ctx):
    _areas, round_ = world()
    counts = []
    for size in (10, 60):
        load_roster(round_, roster_of(size))
        db.session.commit()
        before = db.session.execute(select(Invitation.id, Invitation.token_hash)).all()
        with querycount.counting(db.engine) as counter:
            summary = load_roster(round_, roster_of(size))
        db.session.commit()
        assert (summary.created, summary.updated, summary.unchanged,
                summary.invitations_created, summary.nothing_to_rate) == (0, 0, size, 0, 0)
        assert db.session.execute(select(Invitation.id, Invitation.token_hash)).all() == before
        counts.append(counter.count)
    assert counts[0] == counts[1]  # set-based: no statement per row


def complaint_rows(count: int) -> list[str]:
    return [f"C{n:05d},JAKI,Jalan,3171010001,,Proses,2026-05-01 10:{n % 60:02d},,\n"
            for n in range(count)]


def test_a_large_export_reports_every_bad_row_with_its_line(tree, english):  # noqa: F811
    rows = complaint_rows(3000)
    rows[5] = rows[5].replace("Jalan", "Ja\x07lan")  # line 7: a control character
    rows[999] = rows[999].replace("JAKI", "J" * 41)  # line 1001: longer than channel's 40
    rows[1999] = rows[1999].replace("3171010001", "9999")  # line 2001
    rows[2997] = rows[2997].replace("Jalan", "Jalan\ud800")  # line 2999: a lone surrogate
    with pytest.raises(ImportRejected) as caught:
        import_complaints(_table(rows), now=NOW)
    assert [str(e) for e in caught.value.errors] == [
        "line 7 [category]: category contains an invisible control character (U+0007) at "
        "position 3; remove it and import the file again",
        "line 1001 [channel]: channel is longer than 40 characters",
        "line 2001 [area_code]: area 9999 does not exist",
        "line 2999 [category]: category contains an invisible control character (U+D800) at "
        "position 6; remove it and import the file again",
    ]
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


def _table(rows: list[str]):
    """The export as read from a file; a lone surrogate cannot be written as UTF-8, so that row
    is put into the read table as a spreadsheet cell could bring it."""
    clean = [row.replace("\ud800", "") for row in rows]
    table = read_complaints((COMPLAINT_HEADER + "".join(clean)).encode(), "e.csv")
    for index, row in enumerate(rows):
        if "\ud800" in row:
            table.records[index][table.names.index("category")] = "Jalan\ud800"
    return table


def test_the_row_checker_agrees_with_the_column_by_column_rules(english):
    columns = {"code": 5, "note": 8, "parsed": None}
    check = text.RowChecker(columns, free_text=["note"])
    cases = {
        "clean": {"code": "AB", "note": "a\tb", "parsed": "x"},  # a tab in free text is fine
        "tab in a code": {"code": "A\tB", "note": "", "parsed": ""},
        "too long": {"code": "ABCDEF", "note": "123456789", "parsed": "y" * 50},
        "control and length": {"code": "ABCDEF", "note": "\x00", "parsed": ""},
        "line break in parsed": {"code": "", "note": "", "parsed": "1\n2"},
    }
    found = {name: [str(e) for e in check(4, row)] for name, row in cases.items()}
    assert found == {
        "clean": [],
        "tab in a code": ["line 4 [code]: code contains an invisible control character (U+0009) "
                          "at position 2; remove it and import the file again"],
        "too long": ["line 4 [code]: code is longer than 5 characters",
                     "line 4 [note]: note is longer than 8 characters"],
        "control and length": [
            "line 4 [code]: code is longer than 5 characters",
            "line 4 [note]: note contains an invisible control character (U+0000) at "
            "position 1; remove it and import the file again"],
        "line break in parsed": ["line 4 [parsed]: parsed contains an invisible control "
                                 "character (U+000A) at position 2; remove it and import the "
                                 "file again"],
    }
    assert found == {name: [str(e) for e in text.row_errors(4, row, columns, ["note"])]
                     for name, row in cases.items()}
    # Column by column (a whole file's columns at once): the same errors, on the same rows,
    # among clean rows before, between and after them; a file of clean rows has none.
    clean = {"code": "ABCDE", "note": "ok", "parsed": "z"}
    rows = [clean, *(row for case in cases.values() for row in (case, clean)), clean]
    lines = list(range(2, len(rows) + 2))
    by_column = {c: [row[c] for row in rows] for c in columns}
    assert {lines[i]: [str(e) for e in errors]
            for i, errors in check.table_errors(lines, rows.__getitem__, by_column)} == {
        lines[rows.index(row)]: [str(e).replace("line 4", f"line {lines[rows.index(row)]}")
                                 for e in check(4, row)]
        for row in cases.values() if check(4, row)}
    assert list(check.table_errors(lines, rows.__getitem__,
                                   {c: [clean[c]] * len(rows) for c in columns})) == []


def test_a_bulk_write_enlarges_only_its_own_connections_page_cache(app):
    """SQLite: the complaint import's connection gets a 64 MiB page cache while it writes, then
    its size as before (the pool's connections serve web requests too)."""
    from survey_app.domain.bulk import BULK_CACHE_KIB, larger_cache

    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        with larger_cache(connection):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -BULK_CACHE_KIB
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before != -BULK_CACHE_KIB
        db.session.rollback()


@pytest.mark.parametrize("value", [
    "0001-01-01 00:00:00.000000", "0999-12-31 23:59:59.999999", "2025-03-04 03:12:00.000000",
    "2026-12-31 17:00:00.000001", "9999-12-31 23:59:59.999999"])
def test_a_bulk_time_is_written_as_sqlalchemy_writes_it_on_sqlite(value):
    """The bulk loads format UTC times themselves (faster than SQLAlchemy's processor): the very
    text SQLAlchemy stores, or comparisons in SQL between the two would go wrong."""
    from datetime import UTC, datetime

    from sqlalchemy.dialects.sqlite import DATETIME

    from survey_app.domain.bulk import _sqlite_value

    moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")
    assert _sqlite_value(moment.replace(tzinfo=UTC)) == value
    assert DATETIME().bind_processor(None)(moment) == value


def test_the_collector_is_paused_while_rows_are_read_and_on_again_after():
    import gc

    from survey_app.domain.tabular import collector_paused, read_table

    seen = []

    @collector_paused()
    def inner() -> None:
        seen.append(gc.isenabled())
        with collector_paused():  # nested: still paused, and on again only at the end
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())

    inner()
    assert seen == [False, False, False] and gc.isenabled()
    with pytest.raises(ImportRejected):
        read_table(b"a,b\n", "x.csv", required=["a"])  # no rows: refused, and on again
    assert gc.isenabled()
