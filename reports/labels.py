"""Every text printed on a card or the summary, in Indonesian (the default) and English.

The PDFs are rendered outside any request (in worker processes too), so they carry their own small
catalog instead of gettext; tests/test_reports.py checks that both languages have every key.
"""
from __future__ import annotations

LANGUAGES = ("id", "en")

LABELS: dict[str, dict[str, str]] = {
    "card_title": {"id": "Rapor Survei Kepuasan Masyarakat (SKM)",
                   "en": "Public Satisfaction Survey (SKM) report card"},
    "quarter": {"id": "Triwulan {q} {year}", "en": "Quarter {q}, {year}"},
    "name": {"id": "Nama", "en": "Name"},
    "nip": {"id": "NIP", "en": "NIP"},
    "position": {"id": "Jabatan", "en": "Position"},
    "area": {"id": "Wilayah", "en": "Area"},
    "unit": {"id": "Unit kerja", "en": "Unit"},
    "period": {"id": "Periode", "en": "Period"},
    "vacant": {"id": "(jabatan kosong pada hari acuan)", "en": "(post vacant on the reference day)"},
    "pos_lurah": {"id": "Lurah", "en": "Lurah (head of kelurahan)"},
    "pos_camat": {"id": "Camat", "en": "Camat (head of kecamatan)"},
    "pos_walikota": {"id": "Wali Kota", "en": "Mayor (wali kota)"},
    "pos_bupati": {"id": "Bupati", "en": "Regent (bupati)"},
    "pos_kepala_dinas": {"id": "Kepala Dinas", "en": "Head of agency (kepala dinas)"},
    "ikm": {"id": "Indeks Kepuasan Masyarakat (IKM)", "en": "Public Satisfaction Index (IKM)"},
    "grade": {"id": "Mutu", "en": "Grade"},
    "no_score": {"id": "Belum cukup tanggapan", "en": "Not enough responses"},
    "no_score_why": {
        "id": "Tidak ada kelompok responden yang mencapai minimum {min} orang, sehingga tidak ada "
              "nilai IKM triwulan ini. Ini bukan nilai nol.",
        "en": "No respondent group reached the minimum of {min} people, so there is no IKM this "
              "quarter. This is not a score of zero."},
    "complaints_only": {
        "id": "Jabatan ini tidak dinilai oleh responden survei; penilaiannya berdasarkan "
              "penanganan pengaduan saja.",
        "en": "This post is not rated by survey respondents; it is assessed on complaint "
              "handling only."},
    "band_where": {"id": "Batas mutu: D di bawah {c} · C mulai {c} · B mulai {b} · A mulai {a}",
                   "en": "Grade bounds: D below {c} · C from {c} · B from {b} · A from {a}"},
    "band_marks": {"id": "Segitiga: IKM jabatan ini · garis di atasnya: rentang keyakinan 95%",
                   "en": "Triangle: this post's IKM · the line above it: the 95% confidence range"},
    "ci": {"id": "Dengan keyakinan 95%, nilai sebenarnya terletak antara {low} dan {high}.",
           "en": "With 95% confidence, the true value lies between {low} and {high}."},
    "ci_crosses": {"id": "Rentang ini melintasi batas mutu, jadi mutunya belum pasti.",
                   "en": "This range crosses a grade bound, so the grade is not certain."},
    "ci_none": {"id": "Rentang keyakinan tidak dapat dihitung (terlalu sedikit jawaban).",
                "en": "No confidence range can be given (too few answers)."},
    "change_up": {"id": "Dibanding {prev} ({value}): naik {delta} poin", "en":
                  "Against {prev} ({value}): up {delta} points"},
    "change_down": {"id": "Dibanding {prev} ({value}): turun {delta} poin",
                    "en": "Against {prev} ({value}): down {delta} points"},
    "change_same": {"id": "Dibanding {prev} ({value}): tidak berubah",
                    "en": "Against {prev} ({value}): unchanged"},
    "change_sig": {"id": "; perubahan ini nyata secara statistik ({p}).",
                   "en": "; the change is statistically significant ({p})."},
    "change_not_sig": {"id": "; perubahan ini bisa saja kebetulan ({p}).",
                       "en": "; the change may be chance ({p})."},
    "change_no_p": {"id": ".", "en": "."},
    "compared_elsewhere": {"id": "Nilai pembanding adalah nilai Anda sendiri sebagai {post}.",
                           "en": "The comparison is with your own score as {post}."},
    "new_holder": {"id": "Belum ada nilai Anda sendiri dari triwulan sebelumnya: nilai pejabat "
                         "sebelumnya tidak dibandingkan dengan nilai Anda. Garis perkembangan "
                         "menandai pergantian pejabat.",
                   "en": "There is no earlier score of your own: your predecessor's scores are "
                         "not compared with yours. The trend marks the change of holder."},
    "trend_holder_changed": {"id": "pejabat baru", "en": "new holder"},
    "sample": {"id": "Responden: {n} dari {invited} yang diundang ({rate}); sampel minimum "
                     "(Krejcie-Morgan): {required}.",
               "en": "Respondents: {n} of {invited} invited ({rate}); minimum sample "
                     "(Krejcie-Morgan): {required}."},
    "sample_no_invites": {"id": "Responden: {n} (tidak ada undangan tercatat untuk jabatan ini).",
                          "en": "Respondents: {n} (no invitations recorded for this post)."},
    "sample_below": {"id": "Di bawah jumlah sampel minimum: nilai ditampilkan, tetapi tidak dipakai "
                           "untuk sanksi maupun peringkat.",
                     "en": "Below the minimum sample: the score is shown, but it is not used for "
                           "sanctions or the ranking."},
    "sample_ok": {"id": "Sampel minimum terpenuhi.", "en": "The minimum sample is met."},
    "elements_title": {"id": "Nilai per unsur (NRR, skala 1-4)",
                       "en": "Score per element (NRR, scale 1-4)"},
    "priority": {"id": "PRIORITAS", "en": "PRIORITY"},
    "priorities_note": {"id": "Unsur terlemah (paling banyak tiga, di bawah rata-rata unsur) ditandai "
                              "PRIORITAS untuk rencana tindak lanjut.",
                        "en": "The weakest elements (at most three, below the elements' average) are "
                              "marked PRIORITY for the follow-up plan."},
    "groups_title": {"id": "Nilai per kelompok responden", "en": "Score per respondent group"},
    "group_col": {"id": "Kelompok", "en": "Group"},
    "respondents_col": {"id": "Responden", "en": "Respondents"},
    "score_col": {"id": "Nilai (skala IKM)", "en": "Score (IKM scale)"},
    "weight_col": {"id": "Bobot dipakai", "en": "Weight used"},
    "left_out": {"id": "tidak dihitung", "en": "left out"},
    "left_out_why": {
        "id": "Kelompok {groups}: kurang dari {min} responden, tidak dihitung dalam nilai maupun "
              "komentar demi menjaga kerahasiaan responden.",
        "en": "Group {groups}: fewer than {min} respondents, left out of the score and the "
              "comments to protect anonymity."},
    "no_respondents": {"id": "tidak ada responden", "en": "no respondents"},
    "g_rt": {"id": "Ketua RT", "en": "RT heads"},
    "g_rw": {"id": "Ketua RW", "en": "RW heads"},
    "g_lmk": {"id": "LMK", "en": "LMK"},
    "g_fkdm": {"id": "FKDM", "en": "FKDM"},
    "g_tokoh": {"id": "Tokoh masyarakat", "en": "Community figures"},
    "trend_title": {"id": "Perkembangan IKM (hingga 8 triwulan)",
                    "en": "IKM over time (up to 8 quarters)"},
    "trend_none": {"id": "tanpa nilai", "en": "no score"},
    "complaints_title": {"id": "Penanganan pengaduan (CRM / LAPOR!)",
                         "en": "Complaint handling (CRM / LAPOR!)"},
    "complaints_none": {"id": "Tidak ada data pengaduan untuk triwulan ini.",
                        "en": "No complaint data for this quarter."},
    "c_received": {"id": "Pengaduan diterima", "en": "Complaints received"},
    "c_rejected": {"id": "Ditolak (tidak dihitung dalam persentase)",
                   "en": "Rejected (left out of the rates)"},
    "c_resolved": {"id": "Selesai", "en": "Resolved"},
    "c_in_time": {"id": "Selesai tepat waktu (batas {days} hari)",
                  "en": "Resolved in time (deadline {days} days)"},
    "c_rate": {"id": "Persentase tepat waktu", "en": "In-time rate"},
    "c_median": {"id": "Median waktu penyelesaian", "en": "Median time to resolve"},
    "c_first": {"id": "Median waktu tanggapan pertama", "en": "Median time to first response"},
    "c_overdue": {"id": "Masih terbuka melewati batas waktu", "en": "Still open past the deadline"},
    "c_too_few": {
        "id": "Terlalu sedikit pengaduan untuk dinilai: persentase tepat waktu dihitung atas {n} "
              "pengaduan, kurang dari minimum {min}; angka ini ditampilkan tetapi tidak "
              "menggagalkan siapa pun.",
        "en": "Too few complaints to judge: the in-time rate is over {n} complaints, fewer than "
              "the minimum of {min}; it is shown but fails nobody."},
    "c_provisional": {
        "id": "SEMENTARA: angka pengaduan per {time}. Angka menjadi final pada akhir triwulan "
              "ditambah batas waktu {days} hari.",
        "en": "PROVISIONAL: complaint figures as of {time}. They become final at the quarter's "
              "end plus the {days}-day deadline."},
    "c_final": {"id": "Angka pengaduan final, per {time} (akhir triwulan + {days} hari).",
                "en": "Final complaint figures, as of {time} (the quarter's end + {days} days)."},
    "days": {"id": "{n} hari", "en": "{n} days"},
    "hours": {"id": "{n} jam", "en": "{n} hours"},
    "standing_title": {"id": "Peringkat, nilai gabungan dan status sanksi",
                       "en": "Rank, composite score and sanctions status"},
    "rank": {"id": "Peringkat: {rank} dari {peers} {tier} (menurut IKM)",
             "en": "Rank: {rank} of {peers} {tier} (by IKM)"},
    "rank_none": {"id": "Peringkat: tidak ada (tanpa nilai IKM)", "en": "Rank: none (no IKM)"},
    "rank_below_sample": {"id": "Peringkat: tidak diperingkat (di bawah sampel minimum)",
                          "en": "Rank: not ranked (below the minimum sample)"},
    "rank_complaints": {
        "id": "Peringkat: {rank} dari {peers} {tier} (menurut penanganan pengaduan)",
        "en": "Rank: {rank} of {peers} {tier} (by complaint handling)"},
    "rank_complaints_none": {
        "id": "Peringkat: tidak ada (terlalu sedikit pengaduan untuk dinilai)",
        "en": "Rank: none (too few complaints to judge)"},
    "tier_lurah": {"id": "lurah", "en": "lurah"},
    "tier_camat": {"id": "camat", "en": "camat"},
    "tier_walikota": {"id": "wali kota/bupati", "en": "mayors and regents"},
    "tier_kepala_dinas": {"id": "kepala dinas", "en": "heads of agency"},
    "composite": {"id": "Nilai gabungan: {value} (IKM x {sw} + persentase pengaduan tepat waktu x {cw}, "
                        "dibagi ulang atas bagian yang ada)",
                  "en": "Composite score: {value} (IKM x {sw} + complaints in-time rate x {cw}, "
                        "renormalised over the parts that exist)"},
    "composite_survey_too_few": {
        "id": "Nilai gabungan: {value} (IKM saja; pengaduan terlalu sedikit untuk dinilai)",
        "en": "Composite score: {value} (IKM only; too few complaints to judge)"},
    "composite_survey_only": {
        "id": "Nilai gabungan: {value} (IKM saja; bobot pengaduan 0)",
        "en": "Composite score: {value} (IKM only; complaint handling weighs 0)"},
    "composite_none_too_few": {
        "id": "Nilai gabungan: tidak ada (tanpa IKM, dan pengaduan terlalu sedikit untuk dinilai)",
        "en": "Composite score: none (no IKM, and too few complaints to judge)"},
    "composite_complaints_only": {
        "id": "Nilai gabungan: {value} (persentase pengaduan tepat waktu; jabatan ini tanpa IKM)",
        "en": "Composite score: {value} (the complaints in-time rate; this post has no IKM)"},
    "complaints_method": {
        "id": "Pengaduan dihitung pada triwulan pelaporannya. Yang ditolak tidak dihitung dalam "
              "persentase. Tepat waktu: selesai paling lambat {days} hari setelah dilaporkan. "
              "Persentase tepat waktu = selesai tepat waktu / (selesai + masih terbuka yang sudah "
              "melewati batas pada saat penilaian, yaitu akhir triwulan + {days} hari).",
        "en": "Complaints count in the quarter they were reported in. Rejected ones are left out "
              "of the rates. In time: resolved no later than {days} days after the report. "
              "In-time rate = resolved in time / (resolved + still open past the deadline at the "
              "moment of judgment, the quarter's end + {days} days)."},
    "composite_none": {"id": "Nilai gabungan: tidak ada", "en": "Composite score: none"},
    "sanction": {"id": "Status sanksi: {level}", "en": "Sanctions status: {level}"},
    "why_grade": {"id": "Gagal triwulan ini: mutu {grade} (IKM {ikm}); mutu {grades} dihitung "
                        "gagal{where}.",
                  "en": "Failed this quarter: grade {grade} (IKM {ikm}); grades {grades} count as "
                        "failed{where}."},
    "why_rate": {"id": "Gagal triwulan ini: pengaduan selesai tepat waktu {rate} dari {n} "
                       "pengaduan yang dinilai, di bawah batas {minimum}{where}.",
                 "en": "Failed this quarter: {rate} of {n} judged complaints resolved in time, "
                       "below the minimum of {minimum}{where}."},
    "why_where": {"id": " (sebagai {post})", "en": " (as {post})"},
    "why_posts": {"id": " (semua jabatan yang Anda pegang triwulan ini)",
                  "en": " (every post you held this quarter)"},
    "sanction_rounds": {"id": " ({n} triwulan gagal berturut-turut)",
                        "en": " ({n} failed quarters in a row)"},
    "sanction_note": {"id": "Ini rekomendasi sistem; keputusan diambil dan dicatat oleh pejabat berwenang.",
                      "en": "This is the system's recommendation; people with authority decide and record it."},
    "s_none": {"id": "tidak ada langkah", "en": "no step"},
    "s_perhatian": {"id": "perhatian", "en": "watch (perhatian)"},
    "s_sp1": {"id": "surat peringatan 1 (SP1)", "en": "warning letter 1 (SP1)"},
    "s_sp2": {"id": "surat peringatan 2 (SP2)", "en": "warning letter 2 (SP2)"},
    "s_rotasi": {"id": "direkomendasikan rotasi, mutasi atau demosi",
                 "en": "rotation, transfer or demotion recommended"},
    "comments_title": {"id": "Komentar responden (anonim)", "en": "Respondents' comments (anonymous)"},
    "comments_none": {"id": "Tidak ada komentar yang dapat ditampilkan.",
                      "en": "No comments can be shown."},
    "comments_symbols": {"id": "(hanya simbol atau emoji)", "en": "(symbols or emoji only)"},
    "comments_more": {"id": "... dan {n} komentar lain (tidak muat di rapor ini).",
                      "en": "... and {n} more comments (not room on this card)."},
    "method_title": {"id": "Cara menghitung", "en": "How the score is computed"},
    "method": {
        "id": "IKM mengikuti PermenPANRB 14/2017: nilai rata-rata (NRR) tiap unsur = jumlah jawaban "
              "/ banyak jawaban (skala 1-4); nilai indeks = rata-rata NRR dengan bobot 1/{k} tiap "
              "unsur; IKM = nilai indeks x 25. Nilai dihitung dulu per kelompok responden lalu "
              "digabung dengan bobot: {weights}. Kelompok dengan kurang dari {min} responden tidak "
              "dihitung. Mutu: A mulai {a} (Sangat baik), B mulai {b} (Baik), C mulai {c} "
              "(Kurang baik), D di bawahnya (Tidak baik). Perhatikan: bila semua menjawab \"3\" "
              "(Baik), IKM = 75,00, yaitu mutu C (Kurang baik).",
        "en": "The IKM follows PermenPANRB 14/2017: each element's average (NRR) = sum of answers / "
              "number of answers (scale 1-4); index = mean of the NRR, each element weighing "
              "1/{k}; IKM = index x 25. Scores are computed per respondent group first, then "
              "combined with the weights: {weights}. Groups with fewer than {min} respondents are "
              "left out. Grades: A from {a} (Very good), B from {b} (Good), C from {c} (Poor), "
              "D below (Very poor). Note: if everyone answers \"3\" (Good), the IKM is 75.00, "
              "which is grade C (Poor)."},
    "weights_none": {"id": "tidak ada", "en": "none"},
    "doc_number": {"id": "Nomor dokumen", "en": "Document number"},
    "fingerprint": {"id": "Sidik data (SHA-256)", "en": "Data fingerprint (SHA-256)"},
    "verify_at": {"id": "Periksa keaslian di {url} dengan nomor dokumen ini.",
                  "en": "Check this document is genuine at {url} with its number."},
    "issued": {"id": "Diterbitkan {date}", "en": "Issued {date}"},
    "page": {"id": "Halaman {n} dari {total}", "en": "Page {n} of {total}"},
    "cat_Sangat baik": {"id": "Sangat baik", "en": "Very good"},
    "cat_Baik": {"id": "Baik", "en": "Good"},
    "cat_Kurang baik": {"id": "Kurang baik", "en": "Poor"},
    "cat_Tidak baik": {"id": "Tidak baik", "en": "Very poor"},
    # the province summary
    "summary_title": {"id": "Ringkasan Provinsi: Survei Kepuasan Masyarakat",
                      "en": "Province summary: Public Satisfaction Survey"},
    "summary_positions": {"id": "{n} jabatan dinilai; {scored} dengan nilai IKM.",
                          "en": "{n} posts assessed; {scored} with an IKM."},
    "distribution_title": {"id": "Sebaran mutu per tingkat", "en": "Grades per level"},
    "league_title": {"id": "Peringkat {tier}", "en": "League table: {tier}"},
    "col_rank": {"id": "No.", "en": "Rank"},
    "col_area": {"id": "Wilayah / unit", "en": "Area / unit"},
    "col_official": {"id": "Pejabat", "en": "Official"},
    "col_ikm": {"id": "IKM", "en": "IKM"},
    "col_grade": {"id": "Mutu", "en": "Grade"},
    "col_resp": {"id": "Resp.", "en": "Resp."},
    "col_composite": {"id": "Gabungan", "en": "Composite"},
    "col_sanction": {"id": "Sanksi", "en": "Sanction"},
    "col_level": {"id": "Tingkat", "en": "Level"},
    "col_total": {"id": "Jumlah", "en": "Total"},
    "no_grade": {"id": "tanpa nilai", "en": "no score"},
    "complaint_rank_title": {"id": "Unit menurut penanganan pengaduan",
                             "en": "Units ranked by complaint handling"},
    "complaint_rank_none": {"id": "Tidak ada data pengaduan untuk triwulan ini.",
                            "en": "No complaint data for this quarter."},
    "col_unit": {"id": "Unit / wilayah", "en": "Unit / area"},
    "col_received": {"id": "Diterima", "en": "Received"},
    "col_in_time": {"id": "Tepat waktu", "en": "In time"},
    "col_median": {"id": "Median hari", "en": "Median days"},
    "col_overdue": {"id": "Lewat batas", "en": "Overdue"},
    "ladder_title": {"id": "Tangga sanksi (rekomendasi)", "en": "Sanctions ladder (recommendations)"},
    "ladder_empty": {"id": "Tidak ada pejabat pada tangga sanksi.", "en": "No official is on the ladder."},
    "col_failed": {"id": "Gagal berturut", "en": "Failed in a row"},
    "summary_not_published": {"id": "BELUM DITERBITKAN: hanya untuk koordinator.",
                              "en": "NOT PUBLISHED: for coordinators only."},
}


def label(lang: str, key: str, **values) -> str:
    """The text of ``key`` in ``lang`` (Indonesian for an unknown language), filled with values."""
    entry = LABELS[key]
    text = entry.get(lang) or entry["id"]
    return text.format(**values) if values else text


def post_name(lang: str, position: str, name: str | None) -> str:
    """'Lurah PELA TIMUR'; a unit's head is 'Kepala' + the unit's own name ('Kepala Dinas Bina
    Marga', 'Kepala Satuan Polisi Pamong Praja'), never 'Kepala Dinas Dinas ...'."""
    name = (name or "").strip()
    if position == "kepala_dinas":
        return f"{'Kepala' if lang == 'id' else 'Head of'} {name}".strip()
    return f"{label(lang, 'pos_' + position)} {name}".strip()
