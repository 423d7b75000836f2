"""Report cards and the province summary, read back with pdftotext and checked against the results
document, in both languages; `skm render`; the label catalog."""
from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from reports.card import render_card
from reports.labels import LANGUAGES, MESSAGES, label, post_name
from reports.summary import render_summary
from survey_app.domain import cards, results, rounds
from survey_app.domain.results_model import parse_document, parse_entry
from survey_app.extensions import db
from survey_app.models import IssuedDocument
from tests import portal_setup

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed")
COMPLAINTS = {"received": 120, "rejected": 4, "resolved": 100, "resolved_in_time": 85,
              "in_time_rate": 0.7083, "median_days_to_resolve": 3.54,
              "median_hours_to_first_response": 5.2, "open_overdue": 5, "deadline_days": 7,
              "min_complaints": 5, "enough_to_judge": True, "as_of": "2026-07-08T00:00:00+07:00",
              "final": True}


def text_of(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())  # one line: wrapped sentences read whole


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.fixture
def document(app, users):
    with app.app_context():
        portal_setup.build()
        round_ = rounds.by_code("2026-Q2")
        doc = results.results_document(round_)
        db.session.commit()
        return doc.to_dict()  # as JSON: the tests edit entries, parse_entry reads them back


def _entry(document: dict, area_code: str) -> dict:
    return next(p for p in document["positions"] if p["area_code"] == area_code)


def _card(entry: dict, document: dict, lang: str, comments=None, rated=True) -> str:
    round_ = rounds.by_code(document["round"])
    typed = parse_entry(entry)
    if comments is None:
        comments = cards.comments_by_position(round_, [typed])[entry["position_id"]]
    data = cards.card_data(typed, parse_document(document), names=cards.element_names(round_),
                           rated=rated, comments=comments, published=True, lang=lang)
    cards.issue_card(round_, typed, data, "http://skm.example/verify")
    pdf = render_card(data)
    assert 1 <= pages_of(pdf) <= 2
    return text_of(pdf), data


def _id(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def test_a_lurah_card_shows_the_results_document_in_indonesian(ctx, document):
    entry = _entry(document, "3171010001")
    text, data = _card(entry, document, "id")
    assert "Budi Santoso" in text and "198001012005011001" in text
    assert "KELURAHAN 3171010001 (3171010001)" in text and "Triwulan II 2026 (2026-Q2)" in text
    assert _id(results.ikm.shown(entry["ikm"])) in text and entry["grade"] == "C"
    assert "Mutu" in text and "Kurang baik" in text
    assert f"Responden: {entry['respondents']}" in text
    # the RW heads were two: left out of the score and of the comments, and the card says why
    assert entry["groups_left_out"] == ["rw"]
    assert "Kelompok Ketua RW: kurang dari 3 responden, tidak dihitung dalam nilai maupun " \
           "komentar demi menjaga kerahasiaan responden." in text
    assert "Jalan rusak di RT 05" in text and "RAHASIA" not in text
    # U3 is the one weak element: the only priority (the others tie at 3.00 or above)
    assert "U3 Waktu Penyelesaian 2,00 D" in text and text.count("PRIORITAS") == 2
    # each element with its grade, as its NRR x 25 would be graded (2.00: 50, D; 3.00: 75, C)
    assert "Nilai dan mutu per unsur (NRR, skala 1-4)" in text and " 3,00 C " in text
    assert [e.grade for e in data.elements] == ["B", "C", "D", "C", "C", "C", "C", "C", "C"]
    # derived from the NRR: not in the fingerprinted figures (cards issued before keep theirs)
    assert all("grade" not in e and "nrr" in e for e in data.figures()["elements"])
    # no complaint was filed in the area that quarter: the panel says 0, not "no data"
    assert entry["complaints"]["received"] == 0
    # pdftotext reads the label column, then the values: received, rejected, resolved, in time,
    # rate, median days (none), overdue
    assert "Pengaduan diterima Ditolak" in text
    assert "Masih terbuka melewati batas waktu 0 0 0 0 – – 0" in text
    assert "Status sanksi: perhatian (1 triwulan gagal berturut-turut)" in text
    assert entry["sanction_level"] == "perhatian"
    assert f"Peringkat: {entry['rank']} dari {entry['peers']} lurah" in text
    assert "IKM = 75,00, yaitu mutu C (Kurang baik)" in text  # the surprise, explained
    # rated by respondents: never the complaints-only sentence (a card without follow-up plans
    # printed it, the else of the wrong if)
    assert "tidak dinilai oleh responden survei" not in text
    assert "Ketua RT 100,0%" in text  # the weights used
    assert data.number in text and data.fingerprint in text
    # the round, a running number, 8 random characters (40 bits: /verify cannot be walked)
    assert re.fullmatch(r"SKM-2026Q2-\d{6}-[A-HJ-NP-Z2-9]{8}", data.number), data.number
    assert "http://skm.example/verify" in text


def test_the_same_card_in_english(ctx, document):
    entry = _entry(document, "3171010001")
    text, data = _card(entry, document, "en")
    assert f"{results.ikm.shown(entry['ikm']):.2f}" in text and "Poor" in text
    assert "Quarter 2, 2026 (2026-Q2)" in text
    assert "Group RW heads: fewer than 3 respondents, left out of the score and the comments " \
           "to protect anonymity." in text
    assert "Sanctions status: watch (perhatian) (failed quarters in a row: 1)" in text
    assert "Complaints received Rejected" in text
    assert "Still open past the deadline 0 0 0 0 – – 0" in text
    assert "the IKM is 75.00, which is grade C (Poor)" in text
    indonesian = cards.card_data(parse_entry(entry), parse_document(document),
                                 names=cards.element_names(
        rounds.by_code("2026-Q2")), rated=True, comments=["Jalan rusak di RT 05"], published=True)
    assert indonesian.figures() == data.figures()  # one fingerprint for both languages


def test_the_complaint_panel_with_figures(ctx, document):
    entry = copy.deepcopy(_entry(document, "3171010001"))
    entry["complaints"] = COMPLAINTS
    text, _data = _card(entry, document, "id")
    # pdftotext reads the panel's labels, then its values (two columns)
    assert "Pengaduan diterima Ditolak (tidak dihitung dalam persentase) Selesai Selesai tepat " \
           "waktu (batas 7 hari) Persentase tepat waktu Median waktu penyelesaian Median waktu " \
           "tanggapan pertama Masih terbuka melewati batas waktu " \
           "120 4 100 85 70,8% 3,5 hari 5,2 jam 5" in text
    english, _ = _card(entry, document, "en")
    assert "Resolved in time (deadline 7 days) In-time rate" in english
    assert "120 4 100 85 70.8% 3.5 days 5.2 hours 5" in english


def test_a_post_with_no_score_says_not_enough_responses_never_zero(ctx, document):
    entry = copy.deepcopy(_entry(document, "3171010002"))
    entry.update(ikm=None, index=None, grade=None, category=None, ci95=None, rank=None,
                 composite=None, elements={}, groups={g: None for g in entry["groups"]},
                 groups_left_out=["rt"], weights_used={}, trend=[{"round": "2026-Q2", "ikm": None,
                                                               "official": None,
                                                               "holder_changed": False}])
    text, _ = _card(entry, document, "id", comments=[])
    assert "Belum cukup tanggapan" in text and "Ini bukan nilai nol." in text
    assert "0,00" not in text and "PRIORITAS" not in text
    assert "Peringkat: tidak ada (tanpa nilai IKM)" in text
    english, _ = _card(entry, document, "en", comments=[])
    assert "Not enough responses" in english and "This is not a score of zero." in english


def test_comments_typed_with_emoji_print_without_black_boxes(ctx, document):
    # Helvetica (Windows-1252) has no emoji: they are left out instead of printed as boxes;
    # accented letters, dashes and curly quotes stay.
    entry = _entry(document, "3171010001")
    text, _ = _card(entry, document, "id",
                    comments=["Pak Lurah 🙏 cepat tanggap — café “bersih” 👍👍", "🙏🙏"])
    assert "Pak Lurah cepat tanggap — café “bersih”" in text
    assert "(hanya simbol atau emoji)" in text
    assert "■" not in text and "🙏" not in text


def test_a_kepala_dinas_card_is_on_complaints_only(ctx, document):
    entry = copy.deepcopy(_entry(document, "3171"))
    entry.update(position="kepala_dinas", tier="kepala_dinas", area_name=None, area_code=None,
                 unit_name="DINAS BINA MARGA", unit_code="BM", ikm=None, grade=None,
                 category=None, ci95=None, elements={}, groups={g: None for g in entry["groups"]},
                 groups_left_out=[], invited=0, respondents=0, rank=2, peers=5,
                 complaints=COMPLAINTS, composite=70.83, composite_basis="complaints", trend=[])
    text, data = _card(entry, document, "id", comments=["tidak boleh tampil"], rated=False)
    assert "Kepala Dinas DINAS BINA MARGA" in text
    assert "penilaiannya berdasarkan penanganan pengaduan saja" in text
    assert "Pengaduan diterima" in text and "120 4 100 85 70,8%" in text
    assert "Nilai gabungan: 70,83 (persentase pengaduan tepat waktu; jabatan ini tanpa IKM)" in text
    # dinas are not surveyed: ranked by complaint handling, and the card says so
    assert "Peringkat: 2 dari 5 kepala dinas (menurut penanganan pengaduan)" in text
    assert "menurut IKM" not in text
    assert "Indeks Kepuasan" not in text and "tidak boleh tampil" not in text
    english, _ = _card(entry, document, "en", comments=[], rated=False)
    assert "Rank: 2 of 5 heads of agency (by complaint handling)" in english
    assert "by IKM" not in english


def test_a_kepala_dinas_with_too_few_complaints_has_no_rank_and_no_composite(ctx, document):
    """Three complaints (2 resolved, 1 overdue: a rate over 3) under the minimum of 5."""
    entry = copy.deepcopy(_entry(document, "3171"))
    few = {**COMPLAINTS, "received": 3, "rejected": 0, "resolved": 2, "resolved_in_time": 1,
           "in_time_rate": 1 / 3, "open_overdue": 1, "enough_to_judge": False}
    entry.update(position="kepala_dinas", tier="kepala_dinas", area_name=None, area_code=None,
                 unit_name="DINAS BINA MARGA", unit_code="BM", ikm=None, grade=None,
                 category=None, ci95=None, elements={}, groups={g: None for g in entry["groups"]},
                 groups_left_out=[], invited=0, respondents=0, rank=None, peers=4,
                 complaints=few, composite=None, composite_basis=None, trend=[])
    text, _ = _card(entry, document, "id", comments=[], rated=False)
    assert "Peringkat: tidak ada (terlalu sedikit pengaduan untuk dinilai)" in text
    assert "Nilai gabungan: tidak ada (tanpa IKM, dan pengaduan terlalu sedikit untuk dinilai)" \
        in text
    assert "Terlalu sedikit pengaduan untuk dinilai: persentase tepat waktu dihitung atas 3 " \
           "pengaduan, kurang dari minimum 5; angka ini ditampilkan tetapi tidak menggagalkan " \
           "siapa pun." in text
    english, _ = _card(entry, document, "en", comments=[], rated=False)
    assert "Rank: none (too few complaints to judge)" in english
    assert "Too few complaints to judge: the in-time rate is over 3 complaints, fewer than the " \
           "minimum of 5; it is shown but fails nobody." in english


def test_a_lurah_with_too_few_complaints_gets_the_survey_part_alone_and_the_card_says_so(
        ctx, document):
    entry = copy.deepcopy(_entry(document, "3171010001"))
    entry["complaints"] = {**COMPLAINTS, "received": 4, "rejected": 0, "resolved": 4,
                           "resolved_in_time": 4, "in_time_rate": 1.0, "open_overdue": 0,
                           "enough_to_judge": False}
    entry.update(composite=entry["ikm"], composite_basis="survey")
    text, _ = _card(entry, document, "id")
    assert f"Nilai gabungan: {_id(entry['ikm'])} (IKM saja; pengaduan terlalu sedikit untuk " \
           "dinilai)" in text
    assert "dihitung atas 4 pengaduan, kurang dari minimum 5" in text
    english, _ = _card(entry, document, "en")
    assert "(IKM only; too few complaints to judge)" in english


def test_provisional_complaint_figures_are_marked_with_their_moment(ctx, document):
    entry = copy.deepcopy(_entry(document, "3171010001"))
    entry["complaints"] = {**COMPLAINTS, "as_of": "2026-07-03T10:00:00+07:00", "final": False}
    text, provisional = _card(entry, document, "id")
    assert "SEMENTARA: angka pengaduan per 03-07-2026 10:00 WIB. Angka menjadi final pada akhir " \
           "triwulan ditambah batas waktu 7 hari." in text
    english, _ = _card(entry, document, "en")
    assert "PROVISIONAL: complaint figures as of 03-07-2026 10:00 WIB." in english
    entry["complaints"] = COMPLAINTS
    final, data = _card(entry, document, "id")
    assert "SEMENTARA" not in final
    assert "Angka pengaduan final, per 08-07-2026 00:00 WIB (akhir triwulan + 7 hari)." in final
    assert provisional.fingerprint != data.fingerprint  # a provisional card is another document


def test_the_province_summary(ctx, document):
    data = cards.summary_data(parse_document(document), "id")
    text = text_of(render_summary(data))
    assert "Ringkasan Provinsi" in text and "Peringkat lurah" in text and "Peringkat camat" in text
    for entry in document["positions"]:
        assert (entry["official"] or {}).get("name", "(jabatan kosong") in text
    assert "Sebaran mutu per tingkat" in text
    assert "Tidak ada data pengaduan untuk triwulan ini." in text
    ladder = results.sanctions_list(parse_document(document))
    assert ladder and "Tangga sanksi (rekomendasi): perhatian" in text
    ranked = cards.summary_data(parse_document(document), "en", complaint_ranking=[
        {"name": "DINAS BINA MARGA", **COMPLAINTS}])
    english = text_of(render_summary(ranked))
    assert "Units ranked by complaint handling" in english and "DINAS BINA MARGA" in english
    assert "70.8%" in english and "League table: lurah" in english


def test_skm_render_writes_every_card_and_the_summary(app, document, runner, tmp_path):
    out = tmp_path / "cards"
    result = runner.invoke(args=["skm", "render", "2026-Q2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(os.listdir(out))
    assert len(files) == len(document["positions"]) + 1 and "ringkasan_2026-Q2.pdf" in files
    text = text_of((out / "rapor_2026-Q2_lurah_3171010001.pdf").read_bytes())
    assert "Budi Santoso" in text
    with app.app_context():
        issued = db.session.scalar(select(func.count()).select_from(IssuedDocument))
    again = runner.invoke(args=["skm", "render", "2026-Q2", "--out", str(out), "--processes", "1"])
    assert again.exit_code == 0, again.output
    with app.app_context():  # the same figures keep their numbers
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == issued
    assert runner.invoke(args=["skm", "render", "2099-Q1", "--out", str(out)]).exit_code == 1


def test_every_label_exists_in_both_languages(ctx):
    """The printed texts come from the gettext catalogs: every message has its Indonesian text
    (not the English msgid), with the same placeholders, and English prints the msgid."""
    texts = {lang: cards.report_texts(lang) for lang in LANGUAGES}
    for key, message in MESSAGES.items():
        english = message[1] if isinstance(message, tuple) else message
        assert texts["en"][key] == english, key
        fields = [set(re.findall(r"%\((\w+)\)s", texts[lang][key])) for lang in LANGUAGES]
        assert fields[0] == fields[1], key
    assert texts["id"]["card_title"] == "Rapor Survei Kepuasan Masyarakat (SKM)"
    assert texts["id"]["unit"] == "Unit kerja" and texts["id"]["col_rank"] == "No."
    assert label(texts["id"], "ci", low="70,0", high="80,0") == (
        "Dengan keyakinan 95%, nilai sebenarnya terletak antara 70,0 dan 80,0.")
    assert post_name(texts["en"], "kepala_dinas", "Dinas Bina Marga") == "Head of Dinas Bina Marga"
    assert post_name(texts["id"], "lurah", "PELA TIMUR") == "Lurah PELA TIMUR"


def test_the_fullest_card_still_fits_two_pages(ctx, document):
    """Nine elements with long names, five groups, complaints, the trend and as many long comments
    as the card takes: still two pages, the rest counted as not shown."""
    entry = copy.deepcopy(_entry(document, "3171010001"))
    entry["complaints"] = COMPLAINTS
    entry["groups"] = {g: {"n": 10, "mean": 3.0} for g in ("rt", "rw", "lmk", "fkdm", "tokoh")}
    entry["weights_used"] = {g: 0.2 for g in entry["groups"]}
    entry["trend"] = [{"round": f"202{4 + i // 4}-Q{i % 4 + 1}", "ikm": 70 + i, "official": None,
                       "holder_changed": False} for i in range(8)]
    long = [f"Komentar panjang nomor {i}: " + "pelayanan perlu diperbaiki terutama antrean " * 8
            for i in range(40)]
    round_ = rounds.by_code("2026-Q2")
    names = [(c, n + " dengan nama unsur yang sangat panjang sekali", e)
             for c, n, e in cards.element_names(round_)]
    data = cards.card_data(parse_entry(entry), parse_document(document), names=names,
                           rated=True, comments=long,
                           published=False, lang="id")
    pdf = render_card(data)
    if os.environ.get("SKM_KEEP_PDF"):  # to look at it: SKM_KEEP_PDF=/tmp/fullest.pdf
        with open(os.environ["SKM_KEEP_PDF"], "wb") as f:
            f.write(pdf)
    assert pages_of(pdf) == 2
    shown = len(data.comments)
    assert 0 < shown < 40 and f"dan {40 - shown} komentar lain" in text_of(pdf)
