"""What a respondent reads in an invitation: the WhatsApp message and the printed letter.

Both are sent in Bahasa Indonesia. The texts below are the wording the letters and messages have
always had, written out by hand: they come from the gettext catalogs (English msgids, the
Indonesian in survey_app/translations), and these tests keep the Indonesian output as it was.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from reports.invitations import render_letters
from survey_app.domain import invitations
from tests.respondent_setup import SECRET, load_roster, world

CLOSES = datetime(2030, 3, 31, 17, 0, tzinfo=UTC)  # 1 April 2030, 00:00 in Jakarta
BASE = "https://skm.example.id"

WHATSAPP_BUDI = (
    "Yth. Bapak/Ibu Budi Santoso, Anda diundang mengisi Survei Kepuasan Masyarakat periode "
    "2027-Q1 untuk menilai pimpinan wilayah Anda (lurah, camat, wali kota). Jawaban Anda rahasia "
    "dan tanpa nama. Mohon diisi sebelum 01-04-2030 00:00 WIB melalui tautan pribadi berikut "
    "(jangan dibagikan): {link} Terima kasih atas waktu dan masukan Bapak/Ibu.")

# pdftotext's reading of the letter to R1 (Ketua RT Budi Santoso), the link's token masked.
LETTER_BUDI = """Kelurahan Kelurahan 3171010001 \u2022 R1

SURVEI KEPUASAN MASYARAKAT
Penilaian lurah, camat dan wali kota \u2022 periode 2027-Q1

Kepada Yth. Bapak/Ibu

Budi Santoso
Ketua RT, RW 001 / RT 002, Kel. Kelurahan 3171010001,
Kec. Kecamatan 3171010

https://skm.example.id/s/
<TOKEN>

1. Arahkan kamera HP ke kode QR di atas, lalu buka
tautan yang muncul. Atau ketik alamat di bawah kode
QR pada peramban (browser).
2. Pilih satu jawaban untuk setiap pertanyaan, lalu tekan
\u201cKirim jawaban saya\u201d.
3. Boleh menilai satu pejabat dulu dan yang lain nanti,
dengan tautan yang sama.
Mohon diisi sebelum 01-04-2030 pukul 00:00 WIB.
Jawaban Bapak/Ibu rahasia dan tanpa nama. Tautan ini
khusus untuk Bapak/Ibu: mohon tidak dibagikan.

\x0c"""

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) is not installed")


def _rows():
    _areas, round_ = world(closes=CLOSES)
    load_roster(round_)
    return round_, invitations.export_rows(round_, BASE, SECRET)


def _text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"[0-9a-f]{32}", "<TOKEN>", done.stdout.decode("utf-8"))


def test_the_whatsapp_message_reads_as_it_always_has(ctx):
    _round, rows = _rows()
    budi = next(r for r in rows if r.respondent_ref == "R1")
    assert budi.whatsapp_url.startswith("https://wa.me/6281234567890?text=")
    assert unquote(budi.whatsapp_url.split("?text=", 1)[1]) == WHATSAPP_BUDI.format(
        link=budi.link)
    # no phone, no message
    assert next(r for r in rows if r.respondent_ref == "R3").whatsapp_url == ""


def test_a_letter_names_the_respondent_by_role_and_place(ctx):
    round_, rows = _rows()
    batch = invitations.letter_batch(round_, rows)
    assert batch.closes == "01-04-2030 pukul 00:00 WIB"
    assert [(letter.ref, letter.role, letter.place, letter.group_title)
            for letter in batch.letters] == [
        ("R3", "Anggota FKDM", "Kec. Kecamatan 3171010", "Kecamatan Kecamatan 3171010"),
        ("R1", "Ketua RT", "RW 001 / RT 002, Kel. Kelurahan 3171010001, Kec. Kecamatan 3171010",
         "Kelurahan Kelurahan 3171010001"),
        ("R2", "Ketua RW", "RW 003, Kel. Kelurahan 3171010001, Kec. Kecamatan 3171010",
         "Kelurahan Kelurahan 3171010001"),
        ("R4", "Anggota LMK", "RW 004, Kel. Kelurahan 3171020002, Kec. Kecamatan 3171020",
         "Kelurahan Kelurahan 3171020002")]


@needs_pdftotext
def test_the_printed_letter_reads_as_it_always_has(ctx):
    round_, rows = _rows()
    budi = [r for r in rows if r.respondent_ref == "R1"]
    pdf = render_letters(invitations.letter_batch(round_, budi))
    assert _text(pdf) == LETTER_BUDI
    assert b"/Title (Undangan survei 2027-Q1)" in pdf


@needs_pdftotext
def test_an_empty_batch_says_there_are_no_letters(ctx):
    round_, _rows_ = _rows()
    pdf = render_letters(invitations.letter_batch(round_, []))
    assert _text(pdf) == "Tidak ada undangan untuk periode 2027-Q1.\n\n\x0c"


def test_the_texts_come_from_the_catalogs_so_an_english_batch_reads_english(ctx):
    round_, rows = _rows()
    budi = [r for r in rows if r.respondent_ref == "R1"]
    batch = invitations.letter_batch(round_, budi, lang="en")
    letter = batch.letters[0]
    assert (letter.role, letter.place, letter.group_title, batch.closes) == (
        "RT head", "RW 001 / RT 002, Kel. Kelurahan 3171010001, Kec. Kecamatan 3171010",
        "Kelurahan Kelurahan 3171010001", "01-04-2030 at 00:00 WIB")
    assert batch.say("step_2", button=batch.say("button")) == (
        "Choose one answer for each question, then press \u201cSend my answers\u201d.")
    english = invitations.export_rows(round_, BASE, SECRET, lang="en")
    message = unquote(next(r for r in english if r.respondent_ref == "R1")
                      .whatsapp_url.split("?text=", 1)[1])
    assert message.startswith("Dear Sir/Madam Budi Santoso, you are invited to fill in the ")
