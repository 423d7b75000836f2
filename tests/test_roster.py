"""Rosters and invitations: import-respondents (DESIGN.md format), who rates what, links,
exports."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from survey_app.domain import invitations, roster
from survey_app.domain.errors import ImportRejected, NotAllowed
from survey_app.extensions import db
from survey_app.models import Invitation, InvitationPosition, Position, Respondent
from tests import factories
from tests.respondent_setup import HEADER, ROSTER, SECRET, load_roster, token_of, world


def rated(ref: str) -> list[tuple[str, str]]:
    return [(kind, code) for kind, code in db.session.execute(
        select(Position.kind, factories.Area.code).join(InvitationPosition)
        .join(factories.Area, factories.Area.id == Position.area_id)
        .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
        .join(Respondent, Respondent.id == Invitation.respondent_id).where(Respondent.ref == ref)
        .order_by(Position.id))]


def test_import_invites_each_respondent_to_rate_the_heads_above_their_area(ctx):
    _areas, round_ = world()
    summary = load_roster(round_)
    db.session.commit()
    assert (summary.created, summary.invitations_created) == (4, 4)
    assert rated("R1") == [("lurah", "3171010001"), ("camat", "3171010"), ("walikota", "3171")]
    assert rated("R3") == [("camat", "3171010"), ("walikota", "3171")]  # FKDM of a kecamatan
    assert rated("R4") == [("lurah", "3171020002"), ("camat", "3171020"), ("walikota", "3171")]
    r1 = db.session.scalar(select(Respondent).where(Respondent.ref == "R1"))
    assert (r1.phone, r1.rw, r1.rt) == ("6281234567890", "001", "002")


def test_the_rating_matrix_decides_which_tiers_a_group_rates(ctx):
    _areas, round_ = world(rating_matrix={"rt": ["lurah"], "rw": ["camat", "walikota"],
                                          "lmk": [], "fkdm": ["walikota"], "tokoh": ["lurah"]})
    summary = load_roster(round_)
    assert rated("R1") == [("lurah", "3171010001")]
    assert rated("R2") == [("camat", "3171010"), ("walikota", "3171")]
    assert rated("R3") == [("walikota", "3171")]
    # an LMK member rates nobody in this round: no link for them
    assert rated("R4") == [] and summary.nothing_to_rate == 1


def test_a_vacant_post_is_not_rated(ctx):
    areas = factories.small_tree()
    camat = factories.position("camat", areas["3171010"])
    factories.appoint(factories.official("1"), camat, date(2020, 1, 1), date(2020, 12, 31))
    factories.appoint(factories.official("2"), factories.position("lurah", areas["3171010001"]),
                      date(2020, 1, 1))
    round_ = factories.round_()
    load_roster(round_, HEADER + "R1,Budi,rt,3171010001,1,2,,\n")
    assert rated("R1") == [("lurah", "3171010001")]


def test_tokens_are_random_hashed_and_found_again(ctx):
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    token = token_of("R1")
    assert re.fullmatch(r"[0-9a-f]{32}", token)  # 128 bits, URL-safe
    stored = db.session.scalar(select(Invitation).join(Respondent).where(Respondent.ref == "R1"))
    assert token not in (stored.token_hash, stored.token_nonce)
    connection = db.session.connection()
    assert invitations.open_link(connection, token).invitation_id == stored.id
    other = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert invitations.open_link(connection, other) is None
    assert invitations.open_link(connection, "../etc/passwd") is None
    assert len({token_of(ref) for ref in ("R1", "R2", "R3", "R4")}) == 4


def test_reimport_updates_names_and_contacts_without_duplicates_or_new_links(ctx):
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    before = {i.respondent_id: (i.token_hash, i.token_nonce)
              for i in db.session.scalars(select(Invitation))}
    changed = ROSTER.replace("Budi Santoso", "\"Budi Santoso, S.E.\"").replace("0812-3456-7890",
                                                                          "0857 0000 1111")
    summary = load_roster(round_, changed)
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.invitations_created) == (
        0, 1, 3, 0)
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 4
    after = {i.respondent_id: (i.token_hash, i.token_nonce)
             for i in db.session.scalars(select(Invitation))}
    assert after == before
    r1 = db.session.scalar(select(Respondent).where(Respondent.ref == "R1"))
    assert (r1.name, r1.phone) == ("Budi Santoso, S.E.", "6285700001111")
    summary = load_roster(round_, changed)
    assert str(summary) == "0 responden baru, 0 diperbarui, 4 tidak berubah; 0 undangan baru"
    with force_locale("en"):
        assert str(summary) == ("0 respondents created, 0 updated, 4 unchanged; "
                                "0 invitations created")


@pytest.mark.parametrize("row, expected", [
    ("R9,Ani,ketua,3171010001,1,,,", "line 2 [group]: unknown group 'ketua'"),
    ("R9,Ani,tokoh,3171,,,,", "line 2 [area_code]: area 3171 (KOTA JAKARTA SELATAN) is a kota"),
    ("R9,Ani,tokoh,9999,,,,", "line 2 [area_code]: area 9999 does not exist"),
    ("R9,Ani,rt,3171010,1,2,,", "line 2 [area_code]: a rt respondent belongs to a kelurahan"),
    ("R9,Ani,tokoh,3171010001,,,12345,",
     "line 2 [phone]: phone '12345' is not an Indonesian mobile"),
    ("R9,Ani,tokoh,3171010001,,,0215551234,", "line 2 [phone]: phone '0215551234' is not"),
    ("R9,Ani,rt,3171010001,1,,,", "line 2 [rt]: an rt respondent needs both rw and rt"),
    ("R9,Ani,rw,3171010001,x,,,", "line 2 [rw]: rw 'x' must be a number from 1 to 999"),
    ("R9,,tokoh,3171010001,,,,", "line 2 [name]: name is empty"),
    ("R 9,Ani,tokoh,3171010001,,,,", "line 2 [respondent_ref]: respondent_ref 'R 9' may have"),
    ("R9,Ani,tokoh,3171010001,,,,not-an-email", "line 2 [email]: email 'not-an-email' is not"),
])
def test_bad_rows_are_refused_with_their_line(english, row, expected):
    _areas, round_ = world()
    with pytest.raises(ImportRejected) as caught:
        load_roster(round_, HEADER + row + "\n")
    db.session.rollback()
    assert str(caught.value.errors[0]).startswith(expected), caught.value.errors
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0


def test_every_bad_row_is_reported_and_nothing_is_written(english):
    _areas, round_ = world()
    text = ROSTER + "R1,Budi Lagi,rt,3171010001,1,3,,\nR5,Ani,ketua,3171010001,,,,\n"
    with pytest.raises(ImportRejected) as caught:
        load_roster(round_, text)
    db.session.rollback()
    assert [str(e) for e in caught.value.errors] == [
        "line 6 [respondent_ref]: respondent_ref R1 appears twice (also on line 2)",
        "line 7 [group]: unknown group 'ketua'; use one of rt, rw, lmk, fkdm, tokoh"]
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize("text, expected", [
    ("0812-3456-7890", "6281234567890"), ("+62 812 3456 7890", "6281234567890"),
    ("6281234567890", "6281234567890"), ("81234567890", "6281234567890"),
    ("(0812) 3456.789", "628123456789"), ("021-555-1234", None), ("0812", None), ("08x2", None),
])
def test_phone_numbers_are_normalised_for_whatsapp(text, expected):
    assert roster.normalise_phone(text) == expected


def test_xlsx_rosters_are_accepted(ctx):
    from openpyxl import Workbook

    from survey_app.domain.tabular import read_table

    _areas, round_ = world()
    book = Workbook()
    sheet = book.active
    for line in ROSTER.strip().split("\n"):
        sheet.append(line.split(","))
    sheet.append(["R5", "Dewi", "tokoh", 3171010002, None, None, 81299998888, None])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue(), "roster.xlsx", required=roster.REQUIRED_COLUMNS,
                       optional=roster.OPTIONAL_COLUMNS)
    summary = roster.import_roster(round_, table, SECRET)
    assert summary.created == 5
    phone = db.session.scalar(select(Respondent.phone).where(Respondent.ref == "R5"))
    assert phone == "6281299998888"


def test_a_closed_round_takes_no_roster(english):
    now = datetime.now(UTC)
    _areas, round_ = world(opens=now - timedelta(days=20), closes=now - timedelta(days=1))
    with pytest.raises(NotAllowed, match="^Round 2027-Q1 is closed: its roster can no longer "
                                         "change.$"):
        load_roster(round_)


def test_the_command_line_refuses_a_roster_for_a_closed_round_in_indonesian(app, runner,
                                                                           tmp_path):
    now = datetime.now(UTC)
    with app.app_context():
        world(opens=now - timedelta(days=20), closes=now - timedelta(days=1))
        db.session.commit()
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    result = runner.invoke(args=["skm", "import-respondents", "2027-Q1", str(path)])
    assert result.exit_code == 1
    assert result.output == ("Kesalahan: Putaran 2027-Q1 berstatus ditutup: daftar respondennya "
                             "tidak dapat diubah lagi.\n")


def test_copy_roster_invites_the_same_people_to_the_next_round_with_new_links(ctx):
    _areas, round_ = world()
    load_roster(round_)
    later = datetime.now(UTC) + timedelta(days=90)
    nxt = factories.round_("2027-Q2", state="draft", opens=later, closes=later + timedelta(days=30),
                           questionnaire=round_.questionnaire)
    assert invitations.copy_roster(round_, nxt) == 4  # with the app's secret key
    assert invitations.copy_roster(round_, nxt, SECRET) == 0  # twice changes nothing
    db.session.commit()
    assert token_of("R1", nxt) != token_of("R1", round_)
    assert db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.round_id == nxt.id)) == 4


def test_invitations_csv_has_links_and_a_polite_whatsapp_message(ctx):
    from urllib.parse import parse_qs, urlparse

    _areas, round_ = world()
    load_roster(round_)
    rows = invitations.export_rows(round_, "https://skm.example.id", SECRET)
    data = invitations.export_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(parsed[0]) == invitations.EXPORT_COLUMNS
    r1 = next(r for r in parsed if r["respondent_ref"] == "R1")
    assert r1["link"] == "https://skm.example.id/s/" + token_of("R1")
    url = urlparse(r1["whatsapp_url"])
    assert (url.netloc, url.path) == ("wa.me", "/6281234567890")
    message = parse_qs(url.query)["text"][0]
    assert message.startswith("Yth. Bapak/Ibu Budi Santoso,") and r1["link"] in message
    assert "rahasia" in message
    assert next(r for r in parsed if r["respondent_ref"] == "R3")["whatsapp_url"] == ""


def test_cli_imports_and_exports(app, runner, tmp_path):
    with app.app_context():
        world()
        db.session.commit()
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    result = runner.invoke(args=["skm", "import-respondents", "2027-Q1", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == ("2027-Q1: 4 responden baru, 0 diperbarui, 0 tidak berubah; "
                             "4 undangan baru.\n")
    path.write_text(HEADER + "R9,Ani,ketua,3171010001,,,,\n")
    result = runner.invoke(args=["skm", "import-respondents", "2027-Q1", str(path)])
    assert result.exit_code == 1
    assert "baris 2 [group]: kelompok 'ketua' tidak dikenal" in result.output
    result = runner.invoke(args=["skm", "import-respondents", "2030-Q1", str(path)])
    assert result.exit_code == 1 and "Tidak ada putaran 2030-Q1." in result.output
    out = tmp_path / "links.csv"
    result = runner.invoke(args=["skm", "invitations", "2027-Q1", "--format", "csv",
                                 "--out", str(out)])
    assert result.exit_code == 0 and f"4 undangan ditulis ke {out}." in result.output
    assert out.read_bytes().count(b"/s/") >= 4
    pdf = tmp_path / "letters.pdf"
    result = runner.invoke(args=["skm", "invitations", "2027-Q1", "--format", "pdf", "--out",
                                 str(pdf), "--pending"])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")


def test_letters_are_grouped_by_kelurahan_four_to_a_page(ctx):
    from reports.invitations import render_letters

    _areas, round_ = world()
    rows = "".join(f"L{i},Warga {i},rt,3171010001,1,{i + 1},,\n" for i in range(5))
    load_roster(round_, ROSTER + rows)  # 6 letters in 3171010001, 1 in 3171020002, 1 kecamatan
    batch = invitations.letter_batch(round_,
                                     invitations.export_rows(round_, "https://x.id", SECRET))
    titles = [letter.group_title for letter in batch.letters]
    assert titles.count("Kelurahan Kelurahan 3171010001") == 7
    pdf = render_letters(batch)
    # kecamatan 3171010 (1 letter), kelurahan 3171010001 (7 letters: 2 pages), 3171020002 (1)
    assert len(re.findall(rb"/Type /Page(?!s)", pdf)) == 4


def test_what_a_link_rates_is_fixed_once_the_round_is_open(ctx):
    later = datetime.now(UTC) + timedelta(days=5)
    _areas, round_ = world(state="scheduled", opens=later, closes=later + timedelta(days=30))
    load_roster(round_)
    # before the opening a move to another kelurahan changes what the link rates ...
    load_roster(round_, ROSTER.replace("R1,Budi Santoso,rt,3171010001",
                                       "R1,Budi Santoso,rt,3171010002"))
    assert rated("R1")[0] == ("lurah", "3171010002")
    # ... once open, the contact details change but the rated positions do not
    round_.opens_at = datetime.now(UTC) - timedelta(days=1)
    load_roster(round_, ROSTER)
    assert rated("R1")[0] == ("lurah", "3171010002")
    assert db.session.scalar(select(factories.Area.code)
                             .join(Respondent, Respondent.area_id == factories.Area.id)
                             .where(Respondent.ref == "R1")) == "3171010001"


def test_the_qr_codes_on_the_letters_read_back_as_the_links(ctx, tmp_path):
    """Only where a QR decoder (zxing-cpp) and pdftoppm are installed; skipped otherwise."""
    import shutil
    import subprocess

    zxingcpp = pytest.importorskip("zxingcpp")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image

    from reports.invitations import render_letters

    _areas, round_ = world()
    load_roster(round_)
    rows = invitations.export_rows(round_, "https://skm.example.id", SECRET)
    (tmp_path / "letters.pdf").write_bytes(render_letters(invitations.letter_batch(round_, rows)))
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "letters.pdf"),
                    str(tmp_path / "page")], check=True)
    found = {code.text for page in sorted(tmp_path.glob("page*.png"))
             for code in zxingcpp.read_barcodes(Image.open(page))}
    assert found == {row.link for row in rows}
