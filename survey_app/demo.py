"""A complete, plausible demo database: `skm demo --scale small|province --seed N`.

Everything is generated from the seed, so two runs with the same seed give the same data.
Rows go in with bulk inserts (survey_app.domain.bulk): the province scale (the size of DKI
Jakarta, DOMAIN.md section 2) has about 40,000 respondents and millions of answers.

The numbers are made to vary the way real ones do: each official has a lasting quality and
responsiveness that follows them when they rotate, each group and element has its own bias, and
response rates differ by group, so the demo shows good and failing officials, groups left out for
too few respondents, trends, rotations and every rung of the sanctions ladder.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select

from survey_app.domain import audit
from survey_app.domain.bulk import insert_rows, reset_sequences
from survey_app.domain.clock import JAKARTA
from survey_app.domain.invitations import invitation_token, token_hash
from survey_app.domain.quarters import bounds as quarter_bounds
from survey_app.domain.quarters import code_of as quarter_code
from survey_app.domain.quarters import following as next_quarter
from survey_app.domain.quarters import of_day as quarter_of
from survey_app.domain.quarters import parse as parse_code
from survey_app.domain.quarters import preceding as previous_quarter
from survey_app.domain.vocabulary import (
    DEFAULT_GROUP_WEIGHTS,
    DEFAULT_RATING_MATRIX,
    DEFAULT_SETTINGS,
)
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Appointment,
    Area,
    Complaint,
    Invitation,
    InvitationPosition,
    Official,
    PinnedQuestionnaire,
    Position,
    Respondent,
    Response,
    Round,
    SanctionDecision,
    Unit,
    User,
)

UTC = UTC


@dataclass(frozen=True)
class Scale:
    kota: tuple[tuple[str, str, str], ...]  # (code, level, name)
    kecamatan_per_kota: tuple[int, int]
    kelurahan_per_kecamatan: tuple[int, int]
    rw_per_kelurahan: tuple[int, int]
    rt_per_rw: tuple[int, int]
    tokoh_per_kelurahan: int
    fkdm_per_kelurahan: int
    fkdm_per_kecamatan: int
    units: int
    complaints_per_kelurahan_quarter: float


KOTA = (
    ("3171", "kota", "KOTA JAKARTA SELATAN"), ("3172", "kota", "KOTA JAKARTA TIMUR"),
    ("3173", "kota", "KOTA JAKARTA PUSAT"), ("3174", "kota", "KOTA JAKARTA BARAT"),
    ("3175", "kota", "KOTA JAKARTA UTARA"), ("3101", "kabupaten", "KABUPATEN KEPULAUAN SERIBU"),
)
# 44 kecamatan and 267 kelurahan over the six, as in DKI Jakarta.
PROVINCE_KECAMATAN = {"3171": 10, "3172": 10, "3173": 8, "3174": 8, "3175": 6, "3101": 2}
PROVINCE_KELURAHAN_TOTAL = 267

SCALES = {
    "small": Scale(kota=KOTA[:1], kecamatan_per_kota=(2, 2), kelurahan_per_kecamatan=(3, 3),
                   rw_per_kelurahan=(6, 9), rt_per_rw=(2, 4), tokoh_per_kelurahan=5,
                   fkdm_per_kelurahan=7, fkdm_per_kecamatan=10, units=5,
                   complaints_per_kelurahan_quarter=40),
    "province": Scale(kota=KOTA, kecamatan_per_kota=(0, 0), kelurahan_per_kecamatan=(0, 0),
                      rw_per_kelurahan=(6, 15), rt_per_rw=(8, 14), tokoh_per_kelurahan=10,
                      fkdm_per_kelurahan=7, fkdm_per_kecamatan=10, units=30,
                      complaints_per_kelurahan_quarter=172),
}

PLACE_WORDS = ("Cempaka", "Suka", "Karang", "Pulo", "Jati", "Rawa", "Tanjung", "Cipinang", "Kebon",
               "Duri", "Gunung", "Pasar", "Pondok", "Kampung", "Bukit", "Cilandak", "Pela",
               "Menteng", "Kemang", "Bambu", "Kelapa", "Sunter", "Semper", "Grogol", "Tomang",
               "Kalibata", "Cideng", "Petojo", "Galur", "Utan", "Srengseng", "Meruya", "Kembangan",
               "Cakung", "Ujung", "Lagoa", "Marunda", "Cilincing", "Angke", "Pluit", "Joglo",
               "Kedoya")
PLACE_SUFFIXES = ("Barat", "Timur", "Utara", "Selatan", "Baru", "Lama", "Dalam", "Raya", "Indah",
                  "Jaya", "Sari", "Asri", "Makmur", "Tengah")
FIRST_NAMES = ("Budi", "Siti", "Agus", "Rina", "Joko", "Dewi", "Ahmad", "Sri", "Hendra", "Nur",
               "Bambang", "Wati", "Eko", "Yuni", "Rudi", "Fitri", "Andi", "Lestari", "Dedi", "Ani",
               "Slamet", "Ratna", "Hadi", "Indah", "Iwan", "Maya", "Teguh", "Sari", "Wahyu", "Nina",
               "Yusuf", "Dian", "Arif", "Mega", "Rizal", "Putri", "Fajar", "Ayu", "Imam", "Rahmat")
LAST_NAMES = ("Santoso", "Aminah", "Salim", "Wati", "Prasetyo", "Lestari", "Hidayat", "Rahayu",
              "Saputra", "Kurniawan", "Wibowo", "Susanti", "Nugroho", "Siregar", "Nasution",
              "Hutapea", "Simanjuntak", "Gunawan", "Setiawan", "Permana", "Hakim", "Fauzi",
              "Suryadi", "Maulana", "Harahap", "Pohan", "Sihombing", "Purba", "Kusuma", "Pratama")
UNIT_NAMES = ("Dinas Bina Marga", "Dinas Sumber Daya Air", "Dinas Lingkungan Hidup",
              "Dinas Perhubungan", "Satuan Polisi Pamong Praja", "Dinas Pertamanan dan Hutan Kota",
              "Dinas Kesehatan", "Dinas Pendidikan", "Dinas Sosial",
              "Dinas Perumahan Rakyat dan Kawasan Permukiman",
              "Dinas Cipta Karya, Tata Ruang dan Pertanahan",
              "Dinas Kependudukan dan Pencatatan Sipil",
              "Dinas Perindustrian, Perdagangan, Koperasi, UKM",
              "Dinas Penanggulangan Kebakaran dan Penyelamatan",
              "Dinas Pariwisata dan Ekonomi Kreatif", "Dinas Kebudayaan",
              "Dinas Pemuda dan Olahraga", "Dinas Tenaga Kerja, Transmigrasi dan Energi",
              "Dinas Ketahanan Pangan, Kelautan dan Pertanian",
              "Dinas Pemberdayaan, Perlindungan Anak dan Pengendalian Penduduk",
              "Dinas Komunikasi, Informatika dan Statistik", "Dinas Penanaman Modal dan PTSP",
              "Dinas Perpustakaan dan Kearsipan", "Dinas Pertanahan",
              "Badan Penanggulangan Bencana Daerah", "Dinas Lingkungan Hidup (Kebersihan)",
              "Dinas Bina Marga (Penerangan Jalan)", "Dinas Perhubungan (Perparkiran)",
              "Dinas Sumber Daya Air (Pompa)", "Dinas Kesehatan (Puskesmas)")
CATEGORIES = ("Jalan rusak", "Pohon tumbang", "Parkir liar", "Sampah", "Banjir dan saluran air",
              "Penerangan jalan", "Pedagang kaki lima", "Fasilitas umum",
              "Administrasi kependudukan", "Ketertiban umum")
COMMENTS = (
    "Lurah cepat menanggapi laporan warga, terima kasih.",
    "Mohon lebih sering turun ke lapangan, terutama ke RW yang jauh.",
    "Koordinasi dengan RT/RW sudah baik, tetapi informasi kegiatan sering mendadak.",
    "Saluran air di lingkungan kami belum diperbaiki sejak laporan bulan lalu.",
    "Pelayanan di kantor kelurahan ramah dan cepat.",
    "Masalah parkir liar belum ada tindak lanjut.",
    "Kebersihan lingkungan sudah jauh lebih baik.",
    "Rapat koordinasi dengan LMK perlu lebih rutin.",
    "Anggaran kegiatan kurang transparan bagi warga.",
    "Respon atas pengaduan lewat aplikasi masih lambat.",
)

DEMO_PASSWORDS = {
    "admin": ("admin@demo.skm.id", "demo-admin-2026"),
    "coordinator": ("koordinator@demo.skm.id", "demo-koordinator-2026"),
    "viewer": ("inspektorat@demo.skm.id", "demo-inspektorat-2026"),
    "lurah": ("lurah@demo.skm.id", "demo-lurah-2026"),
    "camat": ("camat@demo.skm.id", "demo-camat-2026"),
    "walikota": ("walikota@demo.skm.id", "demo-walikota-2026"),
    "kepala_dinas": ("kadis@demo.skm.id", "demo-kadis-2026"),
}

GROUP_RESPONSE_RATE = {"rt": 0.62, "rw": 0.72, "lmk": 0.78, "fkdm": 0.66, "tokoh": 0.48}
GROUP_BIAS = {"rt": 0.0, "rw": -0.05, "lmk": 0.10, "fkdm": -0.12, "tokoh": 0.05}


@dataclass
class DemoSummary:
    areas: int = 0
    officials: int = 0
    respondents: int = 0
    rounds: list[str] = field(default_factory=list)
    responses: int = 0
    answers: int = 0
    complaints: int = 0
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    sample_link_token: str | None = None


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Area))


def wib(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JAKARTA).astimezone(UTC)


class _Builder:
    def __init__(self, scale: Scale, seed: int, questionnaire: PinnedQuestionnaire, today: date,
                 secret_key: str, finished_rounds: int):
        self.scale = scale
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.questionnaire = questionnaire
        self.today = today
        self.secret_key = secret_key
        self.finished_rounds = finished_rounds
        self.summary = DemoSummary()
        self.ids: dict[str, int] = {}

    def next_id(self, name: str) -> int:
        self.ids[name] = self.ids.get(name, 0) + 1
        return self.ids[name]

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def place(self, used: set[str]) -> str:
        for _ in range(1000):
            name = f"{self.rng.choice(PLACE_WORDS)} {self.rng.choice(PLACE_SUFFIXES)}".upper()
            if name not in used:
                used.add(name)
                return name
        raise RuntimeError("ran out of place names")

    # --- areas, units, positions ------------------------------------------------------------
    def build_areas(self) -> None:
        rows = [(1, "31", None, "provinsi", "DKI JAKARTA")]
        self.kota, self.kecamatan, self.kelurahan = [], [], []  # (id, code, parent_id)
        used: set[str] = set()
        kel_budget = self._kelurahan_counts()
        area_id = 1
        for kota_code, level, name in self.scale.kota:
            area_id += 1
            kota_id = area_id
            rows.append((kota_id, kota_code, 1, level, name))
            self.kota.append((kota_id, kota_code, 1, level))
            n_kec = PROVINCE_KECAMATAN[kota_code] if self.scale.kecamatan_per_kota == (0, 0) \
                else self.rng.randint(*self.scale.kecamatan_per_kota)
            for k in range(1, n_kec + 1):
                area_id += 1
                kec_id, kec_code = area_id, f"{kota_code}{k * 10:03d}"
                rows.append((kec_id, kec_code, kota_id, "kecamatan", self.place(used)))
                self.kecamatan.append((kec_id, kec_code, kota_id))
                n_kel = kel_budget.pop(0) if kel_budget else self.rng.randint(
                    *self.scale.kelurahan_per_kecamatan)
                for j in range(1, n_kel + 1):
                    area_id += 1
                    rows.append((area_id, f"{kec_code}{j:03d}", kec_id, "kelurahan",
                                 self.place(used)))
                    self.kelurahan.append((area_id, f"{kec_code}{j:03d}", kec_id))
        insert_rows(Area.__table__, ["id", "code", "parent_id", "level", "name"], rows)
        self.kota_of_kec = {kec_id: kota_id for kec_id, _c, kota_id in self.kecamatan}
        self.kec_of_kel = {kel_id: kec_id for kel_id, _c, kec_id in self.kelurahan}
        self.summary.areas = len(rows)

    def _kelurahan_counts(self) -> list[int]:
        if self.scale.kecamatan_per_kota != (0, 0):
            return []
        n_kec = sum(PROVINCE_KECAMATAN.values())
        counts = [PROVINCE_KELURAHAN_TOTAL // n_kec] * n_kec
        for i in self.rng.sample(range(n_kec), PROVINCE_KELURAHAN_TOTAL - sum(counts)):
            counts[i] += 1
        return counts

    def build_units_and_positions(self) -> None:
        units = [(i + 1, f"D{i + 1:02d}", UNIT_NAMES[i]) for i in range(self.scale.units)]
        insert_rows(Unit.__table__, ["id", "code", "name"], units)
        rows = []
        self.position_of: dict[tuple[str, int], int] = {}
        for kind, areas in (("lurah", self.kelurahan), ("camat", self.kecamatan)):
            for area_id, _code, _parent in areas:
                rows.append((self.next_id("position"), kind, area_id, None))
                self.position_of[(kind, area_id)] = rows[-1][0]
        for area_id, _code, _parent, level in self.kota:
            kind = "walikota" if level == "kota" else "bupati"
            rows.append((self.next_id("position"), kind, area_id, None))
            self.position_of[("walikota", area_id)] = rows[-1][0]
        self.unit_positions = []
        for unit_id, _code, _name in units:
            rows.append((self.next_id("position"), "kepala_dinas", None, unit_id))
            self.unit_positions.append((unit_id, rows[-1][0]))
        insert_rows(Position.__table__, ["id", "kind", "area_id", "unit_id"], rows)
        self.positions = rows

    # --- officials and rotations ------------------------------------------------------------
    def build_officials(self, quarters: list[tuple[int, int]]) -> None:
        """One official per position, each with a lasting quality; at every quarter boundary some
        lurah and camat swap posts (rotation), and a few are replaced by newcomers."""
        officials = []
        self.quality: dict[int, float] = {}
        self.speed: dict[int, float] = {}  # median days to resolve complaints

        def new_official() -> int:
            oid = self.next_id("official")
            year = self.rng.randint(1966, 1988)
            nip = f"{year}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}" \
                  f"{year + self.rng.randint(22, 30)}{self.rng.randint(1, 12):02d}1{oid:03d}"
            officials.append((oid, nip, self.person()))
            quality = self.np.normal(3.05, 0.32)
            self.quality[oid] = float(min(3.85, max(2.1, quality)))
            self.speed[oid] = float(min(12.0, max(1.2, self.np.lognormal(1.35, 0.45))))
            return oid

        first_day = quarter_bounds(*quarters[0])[0] - timedelta(days=self.rng.randint(200, 400))
        holder = {pos_id: new_official() for pos_id, _kind, _a, _u in self.positions}
        start = {pos_id: first_day - timedelta(days=self.rng.randint(0, 600)) for pos_id in holder}
        appointments = []
        # The posts of the demo's lurah and camat logins (build_users) keep their holder: a login
        # rotated in after the last published round would open on no report card.
        first_kel = self.kelurahan[0][0]
        steady = {self.position_of[("lurah", first_kel)],
                  self.position_of[("camat", self.kec_of_kel[first_kel])]}
        lurah_positions = [p for p, kind, _a, _u in self.positions
                           if kind == "lurah" and p not in steady]
        camat_positions = [p for p, kind, _a, _u in self.positions
                           if kind == "camat" and p not in steady]
        for year, quarter in quarters[1:]:
            boundary = quarter_bounds(year, quarter)[0]
            moves = []
            for pool, share in ((lurah_positions, 0.08), (camat_positions, 0.08)):
                pairs = max(1, int(len(pool) * share / 2)) if len(pool) >= 3 else 0
                chosen = self.rng.sample(pool, 2 * pairs)
                for a, b in zip(chosen[::2], chosen[1::2], strict=True):
                    moves += [(a, holder[b]), (b, holder[a])]
                rest = [p for p in pool if p not in chosen]
                if rest:  # a newcomer replaces one holder outright
                    moves.append((self.rng.choice(rest), new_official()))
            for pos_id, official_id in moves:
                appointments.append((self.next_id("appointment"), holder[pos_id], pos_id,
                                     start[pos_id], boundary - timedelta(days=1)))
                holder[pos_id], start[pos_id] = official_id, boundary
        for pos_id, official_id in holder.items():
            appointments.append((self.next_id("appointment"), official_id, pos_id,
                                 start[pos_id], None))
        insert_rows(Official.__table__, ["id", "nip", "name"], officials)
        insert_rows(Appointment.__table__,
                    ["id", "official_id", "position_id", "start_date", "end_date"], appointments)
        self.appointments = appointments
        self.summary.officials = len(officials)

    def holder_on(self, position_id: int, day: date) -> int | None:
        for _id, official_id, _position, start, end in self._by_position().get(position_id, ()):
            if start <= day and (end is None or day <= end):
                return official_id
        return None

    def _by_position(self) -> dict[int, list]:
        if not hasattr(self, "_appointments_by_position"):
            index: dict[int, list] = {}
            for row in self.appointments:
                index.setdefault(row[2], []).append(row)
            self._appointments_by_position = index
        return self._appointments_by_position

    # --- respondents ------------------------------------------------------------------------
    def build_respondents(self) -> None:
        rows = []
        for kel_id, kel_code, _kec in self.kelurahan:
            n_rw = self.rng.randint(*self.scale.rw_per_kelurahan)
            for rw in range(1, n_rw + 1):
                rows.append(self._respondent("rw", kel_id, kel_code, rw, None))
                rows.append(self._respondent("lmk", kel_id, kel_code, rw, None))
                for rt in range(1, self.rng.randint(*self.scale.rt_per_rw) + 1):
                    rows.append(self._respondent("rt", kel_id, kel_code, rw, rt))
            for _ in range(self.scale.fkdm_per_kelurahan):
                rows.append(self._respondent("fkdm", kel_id, kel_code, None, None))
            for _ in range(self.scale.tokoh_per_kelurahan):
                rows.append(self._respondent("tokoh", kel_id, kel_code, None, None))
        for kec_id, kec_code, _kota in self.kecamatan:
            for _ in range(self.scale.fkdm_per_kecamatan):
                rows.append(self._respondent("fkdm", kec_id, kec_code, None, None))
        insert_rows(Respondent.__table__,
                    ["id", "ref", "name", "group", "area_id", "rw", "rt", "phone", "email"], rows)
        self.respondents = [(r[0], r[3], r[4]) for r in rows]  # (id, group, area_id)
        self.summary.respondents = len(rows)

    def _respondent(self, group: str, area_id: int, area_code: str, rw: int | None, rt: int | None):
        rid = self.next_id("respondent")
        phone = f"628{self.rng.choice('1235789')}{self.rng.randint(10_000_000, 99_999_999)}"
        return (rid, f"{area_code}-{group.upper()}-{rid:05d}", self.person(), group, area_id,
                f"{rw:03d}" if rw else None, f"{rt:03d}" if rt else None, phone, None)

    def rated_positions(self, area_id: int) -> list[int]:
        """Lurah, camat and wali kota/bupati above a respondent's area (the default matrix)."""
        if area_id in self.kec_of_kel:
            kec_id = self.kec_of_kel[area_id]
            return [self.position_of[("lurah", area_id)], self.position_of[("camat", kec_id)],
                    self.position_of[("walikota", self.kota_of_kec[kec_id])]]
        return [self.position_of[("camat", area_id)],
                self.position_of[("walikota", self.kota_of_kec[area_id])]]

    # --- rounds, invitations, responses -----------------------------------------------------
    def build_rounds(self, quarters: list[tuple[int, int]]) -> None:
        content = self.questionnaire.content
        items = [(element["code"], item["code"], bool(item.get("required", True)))
                 for element in content["elements"] for item in element["items"]]
        element_bias = {element["code"]: float(self.np.normal(0, 0.18))
                        for element in content["elements"]}
        self.round_ids = {}
        self.last_published_end: date | None = None
        for index, (year, quarter) in enumerate(quarters):
            code = quarter_code(year, quarter)
            q_start, q_end = quarter_bounds(year, quarter)
            opens_day = q_end.replace(day=1) - timedelta(days=16)
            closes = wib(q_end + timedelta(days=1))
            current = index == len(quarters) - 1
            state = "open" if current else ("closed" if index == len(quarters) - 2 else "published")
            if state == "published":
                self.last_published_end = q_end
            round_id = self.next_id("round")
            opens = wib(opens_day, 8)
            if current and opens.date() > self.today:
                opens = wib(self.today - timedelta(days=9), 8)
            db.session.add(Round(
                id=round_id, code=code, questionnaire_id=self.questionnaire.id, opens_at=opens,
                closes_at=closes, state=state, group_weights=dict(DEFAULT_GROUP_WEIGHTS),
                rating_matrix={g: list(v) for g, v in DEFAULT_RATING_MATRIX.items()},
                deadline_days=DEFAULT_SETTINGS["deadline_days"],
                min_group=DEFAULT_SETTINGS["min_group"],
                survey_weight=DEFAULT_SETTINGS["survey_weight"],
                complaint_weight=DEFAULT_SETTINGS["complaint_weight"],
                opened_at=opens, closed_at=None if current else closes,
                published_at=None if state != "published" else closes + timedelta(days=10),
                public=state == "published"))  # /publik shows the published demo rounds
            db.session.flush()
            self.round_ids[code] = round_id
            self.summary.rounds.append(code)
            rate_factor = 0.45 if current else 1.0  # the open round is still filling up
            self._invitations_and_responses(round_id, q_end, opens.astimezone(JAKARTA).date(),
                                            min(self.today, q_end), items, element_bias,
                                            rate_factor)

    def _invitations_and_responses(self, round_id, q_end, first_day, last_day, items,
                                   element_bias, rate_factor) -> None:
        invitations, invited_positions, responses = [], [], []
        for respondent_id, group, area_id in self.respondents:
            invitation_id = self.next_id("invitation")
            nonce = secrets.token_hex(16)
            token = invitation_token(self.secret_key, nonce)
            if self.summary.sample_link_token is None and rate_factor < 1:
                self.summary.sample_link_token = token
                answered_anything = False
            else:
                answered_anything = self.rng.random() < GROUP_RESPONSE_RATE[group] * rate_factor
            invitations.append((invitation_id, round_id, respondent_id,
                                token_hash(token), nonce,
                                wib(first_day, 7), group, area_id))
            for position_id in self.rated_positions(area_id):
                done = answered_anything and self.rng.random() < 0.93
                if done:
                    # The form belongs to whoever held the post on the day it was filled in;
                    # the day itself is not kept (docs/anonymity.md).
                    span = max(0, (last_day - first_day).days)
                    day = first_day + timedelta(days=self.rng.randint(0, span))
                    responses.append((position_id, group, area_id,
                                      self.holder_on(position_id, day)))
                invited_positions.append((invitation_id, position_id, done))
        insert_rows(Invitation.__table__, ["id", "round_id", "respondent_id", "token_hash",
                                           "token_nonce", "created_at", "group", "area_id"],
                    invitations)
        insert_rows(InvitationPosition.__table__, ["invitation_id", "position_id", "answered"],
                    invited_positions)
        self._responses(round_id, responses, items, element_bias)

    def _responses(self, round_id, responses, items, element_bias) -> None:
        # Shuffle so that a response's id says nothing about who sent it.
        self.rng.shuffle(responses)
        n, k = len(responses), len(items)
        if n == 0:
            return
        # Each form rates the official it belongs to: whoever held the post when it was given.
        quality = np.array([self.quality.get(official, 2.8) for _p, _g, _a, official in responses])
        group_bias = np.array([GROUP_BIAS[g] for _p, g, _a, _d in responses])
        bias = np.array([element_bias[element] for element, _item, _req in items])
        person = self.np.normal(0, 0.35, size=(n, 1))
        noise = self.np.normal(0, 0.55, size=(n, k))
        values = np.clip(np.rint(quality[:, None] + group_bias[:, None] + bias[None, :] + person
                                 + noise), 1, 4).astype(int)
        paper = self.np.random(n) < 0.1
        blank = (self.np.random((n, k)) < 0.02) & paper[:, None] & \
            np.array([not required for _e, _i, required in items])[None, :]
        first_id = self.ids.get("response", 0) + 1
        self.ids["response"] = first_id + n - 1
        rows = []
        for i, (position_id, group, area_id, official_id) in enumerate(responses):
            comment = self.rng.choice(COMMENTS) if self.rng.random() < 0.12 else None
            rows.append((first_id + i, round_id, position_id, official_id, group, area_id,
                         "paper" if paper[i] else "web", comment))
        insert_rows(Response.__table__, ["id", "round_id", "position_id", "official_id", "group",
                                         "area_id", "source", "comment"], rows)
        codes = [item for _e, item, _r in items]
        answers = [(first_id + i, codes[j], int(values[i, j]))
                   for i in range(n) for j in range(k) if not blank[i, j]]
        insert_rows(Answer.__table__, ["response_id", "item_code", "value"], answers)
        self.summary.responses += n
        self.summary.answers += len(answers)

    # --- complaints -------------------------------------------------------------------------
    def build_complaints(self, quarters: list[tuple[int, int]]) -> None:
        now = wib(self.today, 12)
        rows = []
        unit_share = 0.2
        for year, quarter in quarters:
            q_start, q_end = quarter_bounds(year, quarter)
            last = min(q_end, self.today)
            days = (last - q_start).days + 1
            for kel_id, _code, _kec in self.kelurahan:
                count = int(self.np.poisson(
                    self.scale.complaints_per_kelurahan_quarter * days / 91))
                for _ in range(count):
                    reported = wib(q_start, 0) + timedelta(
                        minutes=self.rng.randint(0, days * 1440 - 1))
                    if reported > now:
                        continue
                    if self.rng.random() < unit_share:
                        unit_id, position_id = self.rng.choice(self.unit_positions)
                    else:
                        unit_id, position_id = None, self.position_of[("lurah", kel_id)]
                    official_id = self.holder_on(position_id, reported.astimezone(JAKARTA).date())
                    rows.append(self._complaint(len(rows) + 1, kel_id, unit_id, position_id,
                                                official_id, reported, now))
        insert_rows(Complaint.__table__, [
            "id", "external_id", "channel", "category", "area_id", "unit_id", "status",
            "reported_at", "first_response_at", "resolved_at", "position_id", "official_id",
            "source_as_of", "imported_at"], rows)
        self.summary.complaints = len(rows)

    def _complaint(self, cid, kel_id, unit_id, position_id, official_id, reported, now):
        median_days = self.speed.get(official_id, 5.0)
        first_response = reported + timedelta(hours=float(self.np.lognormal(1.1, 0.8)))
        status, resolved = "resolved", None
        if self.rng.random() < 0.03:
            status, resolved = "rejected", None
        else:
            duration = timedelta(days=float(self.np.lognormal(np.log(median_days), 0.7)))
            if reported + duration <= now and self.rng.random() < 0.985:
                resolved = reported + duration
            else:
                status = self.rng.choice(("waiting", "coordination", "disposition", "in_progress"))
        if first_response > now:
            first_response = None
        return (cid, f"CRM-{reported.year}-{cid:07d}",
                self.rng.choice(("JAKI", "JAKI", "JAKI", "SMS", "Twitter", "LAPOR!", "Email")),
                self.rng.choice(CATEGORIES), kel_id, unit_id, status, reported,
                first_response, resolved, position_id, official_id, now, now)

    # --- accounts and recorded decisions -------------------------------------------------------
    def steady_holder(self, positions: list[int]) -> int | None:
        """Today's holder of the first of ``positions`` held by the same official since the last
        published round (so that their login opens on a published card, not on nothing: a camat
        rotated in after it has no card yet); today's holder of the first one otherwise."""
        since = self.last_published_end or self.today
        for position_id in positions:
            for _id, official_id, _pos, start, end in self._by_position().get(position_id, ()):
                if start <= since and (end is None or end >= self.today):
                    return official_id
        return self.holder_on(positions[0], self.today) if positions else None

    def build_users(self, hash_method: str) -> None:
        kel_ids = [kel_id for kel_id, _code, _kec in self.kelurahan]
        first_kec = self.kec_of_kel[kel_ids[0]]  # the camat over the lurah login comes first
        kec_ids = [first_kec] + [k for k, _code, _kota in self.kecamatan if k != first_kec]
        kota_ids = list(dict.fromkeys(self.kota_of_kec[k] for k in kec_ids))
        official_for = {
            "lurah": self.steady_holder([self.position_of[("lurah", k)] for k in kel_ids]),
            "camat": self.steady_holder([self.position_of[("camat", k)] for k in kec_ids]),
            "walikota": self.steady_holder([self.position_of[("walikota", k)] for k in kota_ids]),
            "kepala_dinas": self.steady_holder([pos for _unit, pos in self.unit_positions]),
        }
        for key, (email, password) in DEMO_PASSWORDS.items():
            role = key if key in ("admin", "coordinator", "viewer") else "official"
            user = User(email=email, role=role, official_id=official_for.get(key), active=True,
                        failed_logins=0)
            user.set_password(password, hash_method)
            db.session.add(user)
            self.summary.logins[key] = (email, password)

    def build_decisions(self) -> None:
        """A few decisions people recorded about the weakest officials (the product only
        recommends; these show how a recorded decision appears in an official's history)."""
        weakest = sorted(self.quality, key=self.quality.get)[:3]
        codes = sorted(self.round_ids)
        if len(codes) < 3:
            return
        for n, official_id in enumerate(weakest):
            round_code = codes[-3]
            db.session.add(SanctionDecision(
                official_id=official_id, round_id=self.round_ids[round_code],
                action="perhatian" if n else "sp1",
                decided_on=quarter_bounds(*parse_code(round_code))[1]
                + timedelta(days=20),
                letter_number=f"{800 + n}/-1.862.3/{round_code[:4]}" if not n else None,
                note="Dicatat dari data demo."))


def _freeze_published() -> None:
    """Store each published round as it was published (oldest first: each one's trend reads the
    earlier ones as published), so that looking at them never has to (domain/publication.py)."""
    from survey_app.domain import publication

    for round_ in db.session.scalars(select(Round).where(Round.state == "published")
                                     .order_by(Round.opens_at)):
        publication.freeze(round_, round_.published_at)


def _store_results() -> None:
    """Store the results of each closed round (as closing one does) and then of the open one (as
    the worker does every minute), oldest first: the open round's trend reads the closed ones',
    and its results page shows what is stored (domain/results.py, latest)."""
    from survey_app.domain import results

    for round_ in db.session.scalars(select(Round).where(Round.state.in_(("closed", "open")))
                                     .order_by(Round.opens_at)):
        results.refresh(round_)


# --- follow-up plans (issue 20) ---------------------------------------------------------------

FOLLOWUP_ACTIONS = (
    "Membuka loket tambahan pada jam sibuk dan mengumumkan jadwalnya di papan informasi.",
    "Rapat koordinasi bulanan dengan ketua RT/RW untuk menindaklanjuti keluhan warga.",
    "Menyusun standar waktu layanan dan memasangnya di ruang tunggu kantor.",
    "Pelatihan pelayanan prima bagi seluruh petugas loket.",
    "Memperbaiki ruang tunggu: kursi, kipas angin dan akses kursi roda.",
    "Menanggapi setiap pengaduan warga paling lambat dua hari kerja.",
)
RESPONSIBLE = ("Sekretaris Kelurahan", "Kasi Pemerintahan", "Kasi Pelayanan Umum",
               "Sekretaris Kecamatan", "Kepala Bagian Tata Pemerintahan")
# The states of the plans after the latest published round, in turn (every state of the loop,
# and now and then an element with no plan), and after the round before it (mostly finished:
# the latest published card shows them).
LATEST_STATES = ("submitted", "approved", "done", "returned", "verified", "draft", None)
EARLIER_STATES = ("verified", "done", "verified", "approved", "returned")


def build_followups(rng: random.Random) -> int:
    """Follow-up plans after the two latest published rounds, in every state, so that every role
    sees the loop: the demo lurah has a returned plan (with the camat's note) and an approved one
    waiting for evidence; the demo camat has plans of the kecamatan's lurah to review and to
    verify; the demo wali kota the camat's; the coordinator the wali kota's. Returns how many."""
    from survey_app.domain import priorities, results
    from survey_app.domain.published import published_document

    published = db.session.scalars(select(Round).where(Round.state == "published")
                                   .order_by(Round.opens_at)).all()[-2:]
    logins = {email: official_id for email, official_id in db.session.execute(
        select(User.email, User.official_id))}
    demo_users = {key: logins.get(email) for key, (email, _p) in DEMO_PASSWORDS.items()}
    # the kecamatan the demo camat heads today: the lurah there are the ones they review
    camat_area = db.session.scalar(
        select(Area.code).join(Position, Position.area_id == Area.id)
        .join(Appointment, Appointment.position_id == Position.id)
        .where(Appointment.official_id == demo_users.get("camat"),
               Appointment.end_date.is_(None), Position.kind == "camat"))
    made = 0
    for round_ in published:
        latest = round_ is published[-1]
        stored = results.publication_in_force(round_)
        if stored is None:
            continue
        document = published_document(stored)
        names = priorities.element_names(round_)
        due = quarter_code(*next_quarter(*parse_code(round_.code)))
        pairs = [(entry, code) for entry in document.positions if entry.official is not None
                 for code in priorities.priority_elements(entry, names)]
        nips = {nip: oid for oid, nip in db.session.execute(select(Official.id, Official.nip))}
        states = _demo_states(latest, pairs, demo_users, nips, camat_area)
        for (entry, code), state in zip(pairs, states, strict=True):
            if state is None:
                continue
            db.session.add(_demo_plan(rng, round_, entry.position_id, nips[entry.official.nip],
                                      code, due, state))
            made += 1
    db.session.flush()
    audit.record("demo-followups", None, detail={"plans": made})
    return made


def _demo_states(latest: bool, pairs, demo_users: dict, nips: dict,
                 camat_area: str | None) -> list[str | None]:
    """The state of each demo plan (None: no plan written), in turn, with the demo logins' own
    plans set so that each login has something to do: the lurah a returned, an approved and a
    draft plan; the camat the kecamatan's other lurah's plans to review and to verify; the wali
    kota the camat's; the coordinator the wali kota's."""
    if not latest:
        return [EARLIER_STATES[n % len(EARLIER_STATES)] for n in range(len(pairs))]
    states: list[str | None] = [LATEST_STATES[n % len(LATEST_STATES)] for n in range(len(pairs))]
    reviewed = ("submitted", "done", "verified")
    seen: dict[str, int] = {}
    for n, (entry, _code) in enumerate(pairs):
        official_id = nips[entry.official.nip]
        if official_id == demo_users.get("lurah"):
            group, turns = "lurah", ("returned", "approved", "draft")
        elif entry.position == "lurah" and entry.kecamatan_code == camat_area:
            group, turns = "kecamatan", reviewed
        elif official_id == demo_users.get("camat") or entry.position in ("walikota", "bupati"):
            group, turns = entry.position, reviewed
        else:
            continue
        states[n] = turns[seen.get(group, 0) % len(turns)]
        seen[group] = seen.get(group, 0) + 1
    return states


def _demo_plan(rng: random.Random, round_: Round, position_id: int, official_id: int, code: str,
               due: str, state: str):
    from survey_app.models import FollowupPlan

    start = round_.published_at or round_.closes_at
    steps = ("draft", "submitted", "approved", "done", "verified")
    reached = steps.index(state) if state in steps else 1  # a returned one was submitted
    moments = [start + timedelta(days=3 + 4 * k) for k in range(5)]
    plan = FollowupPlan(
        round_id=round_.id, position_id=position_id, official_id=official_id, element_code=code,
        action=rng.choice(FOLLOWUP_ACTIONS), due_quarter=due, responsible=rng.choice(RESPONSIBLE),
        state=state, created_at=moments[0], updated_at=moments[reached],
        submitted_at=moments[1] if reached >= 1 else None,
        approved_at=moments[2] if reached >= 2 and state != "returned" else None,
        done_at=moments[3] if reached >= 3 else None,
        verified_at=moments[4] if reached >= 4 else None)
    if state == "returned":
        plan.review_note = "Mohon sebutkan jadwal dan ukuran keberhasilan yang jelas."
    if reached >= 3:
        plan.evidence = "Dilaksanakan sesuai rencana; foto kegiatan dan daftar hadir tersedia."
    return plan


def build_demo(scale_name: str, seed: int, questionnaire: PinnedQuestionnaire, *, today: date,
               secret_key: str, hash_method: str = "scrypt",
               finished_rounds: int = 4) -> DemoSummary:
    """Fill an empty database with a whole demo (the caller commits)."""
    scale = SCALES[scale_name]
    builder = _Builder(scale, seed, questionnaire, today, secret_key, finished_rounds)
    year, quarter = quarter_of(today)
    quarters = [(year, quarter)]
    for _ in range(finished_rounds):
        quarters.insert(0, previous_quarter(*quarters[0]))
    builder.build_areas()
    builder.build_units_and_positions()
    builder.build_officials(quarters)
    builder.build_respondents()
    builder.build_rounds(quarters)
    builder.build_complaints(quarters)
    builder.build_users(hash_method)
    builder.build_decisions()
    db.session.flush()
    reset_sequences(table for table in db.metadata.sorted_tables)
    _freeze_published()
    build_followups(random.Random(seed))
    _store_results()
    audit.record("demo", scale_name, detail={"seed": seed, "rounds": builder.summary.rounds})
    return builder.summary
