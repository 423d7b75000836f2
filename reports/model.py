"""The plain data a card and the summary are drawn from, and the fingerprint of its figures.

Figures are stored already rounded as they are printed, so the fingerprint covers exactly what a
reader sees; the names and texts printed in one language only (labels) are not part of it, so the
Indonesian and the English card of the same figures share one number and fingerprint.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Element:
    code: str
    name_id: str
    name_en: str
    nrr: float | None  # 1..4, two decimals
    priority: bool = False
    grade: str | None = None  # A..D, as the element's NRR x 25 would be graded


@dataclass(frozen=True)
class GroupRow:
    group: str  # rt, rw, lmk, fkdm, tokoh
    respondents: int  # 0 for a group left out: its size is not printed either (only "< minimum")
    score: float | None  # on the IKM scale (mean x 25), two decimals; None when left out
    weight: float | None  # normalised weight used, None when left out
    left_out: bool = False


@dataclass(frozen=True)
class Complaints:
    received: int | None = None
    rejected: int | None = None
    resolved: int | None = None
    resolved_in_time: int | None = None
    in_time_rate: float | None = None  # 0..1
    median_days_to_resolve: float | None = None
    median_hours_to_first_response: float | None = None
    open_overdue: int | None = None
    deadline_days: int | None = None
    min_complaints: int | None = None
    enough_to_judge: bool = False  # the in-time rate is over at least min_complaints complaints
    as_of: str | None = None  # the moment the figures describe, as printed (dd-mm-yyyy hh:mm WIB)
    final: bool = False  # from the quarter's end plus the deadline on; provisional before


@dataclass(frozen=True)
class TrendPoint:
    round: str
    ikm: float | None
    holder_changed: bool = False  # another official held the post than at the point before


@dataclass(frozen=True)
class FollowupRow:
    """A follow-up plan written after the previous quarter's card, as this card shows it."""
    element: str
    name_id: str
    name_en: str
    action: str
    due_quarter: str
    state: str  # draft, submitted, returned, approved, done, verified
    nrr_then: float | None  # the element's NRR in the quarter the plan was written after
    nrr_now: float | None  # in this card's quarter


@dataclass(frozen=True)
class FollowupCount:
    """The follow-up plans of one kota (or of the dinas) by state, for the province summary."""
    area: str | None  # None: the dinas (their heads are not in a kota)
    counts: dict[str, int]  # state -> plans
    missing: int  # priority elements with no plan written


@dataclass
class CardData:
    """Everything one report card shows. ``figures()`` is what the fingerprint covers."""

    round_code: str
    position: str  # lurah, camat, walikota, bupati, kepala_dinas
    tier: str
    area_name: str | None
    area_code: str | None
    unit_name: str | None
    official_name: str | None
    official_nip: str | None
    rated: bool  # the survey rates this post (a kepala dinas is judged on complaints only)
    grade_bounds: tuple[float, float, float]  # lowest IKM of A, B and C (the results document's)
    # The round's settings the card explains (the results document's, never a default here).
    min_group: int
    survey_weight: float
    complaint_weight: float
    ikm: float | None = None
    grade: str | None = None
    category: str | None = None  # the regulation's Indonesian kinerja
    ci95: tuple[float, float] | None = None
    invited: int = 0
    respondents: int = 0
    response_rate: float | None = None
    required_sample: int = 0
    meets_required_sample: bool | None = None
    elements: list[Element] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)
    element_count: int = 9
    previous_round: str | None = None
    previous_ikm: float | None = None
    change: float | None = None
    change_p_value: float | None = None
    change_significant: bool = False
    compared_elsewhere: str | None = None  # the official's own earlier post, when not this one
    new_holder: bool = False  # no earlier score of the official's own; the post's trend shows
    trend: list[TrendPoint] = field(default_factory=list)
    complaints: Complaints | None = None
    rank: int | None = None
    peers: int = 0
    composite: float | None = None
    composite_basis: str | None = None  # survey+complaints, survey, complaints (None: no composite)
    sanction_level: str = "none"
    failed_rounds_in_a_row: int = 0
    # Why this quarter counts as failed: dicts as the results document's failed_because, each
    # with ``here`` (the rule failed on this card's post) or the post it failed on.
    failed_because: list[dict] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # distinct texts, as printed
    comment_counts: list[int] = field(default_factory=list)  # how many gave each text
    comments_total: int = 0  # every comment that may be shown, printed or not
    published: bool = True
    # The plans written after the previous quarter (their round's code), with their state when
    # the card is printed: not figures of this quarter, so outside the fingerprint.
    followups: list[FollowupRow] = field(default_factory=list)
    followups_round: str | None = None
    # Set when the card is issued (not figures): language, number, fingerprint, where to verify.
    lang: str = "id"
    number: str = ""
    fingerprint: str = ""
    verify_url: str = ""
    issued_on: str = ""
    # The printed texts in the card's language (reports/labels.py's messages, translated by the
    # caller from the gettext catalogs): words, not figures.
    texts: dict[str, str] = field(default_factory=dict)

    def figures(self) -> dict:
        """The figures the card shows, language-free, as stored with its number. Comments count
        by their digest (the public verification page must not print them)."""
        data = asdict(self)
        for key in ("lang", "number", "fingerprint", "verify_url", "issued_on", "comments",
                    "texts", "followups", "followups_round"):
            data.pop(key)
        data["comments_sha256"] = hashlib.sha256(
            "\n\x00".join(self.comments).encode()).hexdigest()
        for element in data["elements"]:
            # The grade is its NRR's (ikm.element_grade): left out, so that a card issued before
            # it was printed keeps its fingerprint (and a published one its number).
            element.pop("name_id"), element.pop("name_en"), element.pop("grade")
        return data


def fingerprint(figures: dict) -> str:
    """SHA-256 of the figures as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class LeagueRow:
    rank: int | None
    area: str
    official: str | None
    respondents: int
    ikm: float | None
    grade: str | None
    composite: float | None
    sanction_level: str
    required_sample: int = 0


@dataclass(frozen=True)
class FunnelDot:
    label: str  # the post's area or unit
    n: int  # respondents (or complaints judged)
    value: float  # IKM (or in-time rate in percent), two decimals
    outside: int  # 0 inside the 95% limits, 95 outside them, 998 outside the 99.8% too
    above: bool


@dataclass(frozen=True)
class FunnelChart:
    """One tier's funnel plot (survey_app/domain/funnel.py): the points, the mean and the limits
    already computed (``curve``: (n, low 95%, high 95%, low 99.8%, high 99.8%) rows)."""
    tier: str
    measure: str  # "ikm" (against respondents) or "in_time_rate" (against complaints judged)
    mean: float
    sd: float | None  # None: no spread known, no limits
    lowest: float
    highest: float
    points: list[FunnelDot]
    curve: list[tuple[float, float, float, float, float]]


@dataclass(frozen=True)
class ComplaintRankRow:
    rank: int
    name: str
    received: int
    in_time_rate: float | None
    median_days: float | None
    open_overdue: int


@dataclass(frozen=True)
class LadderRow:
    level: str
    official: str
    nip: str
    position: str  # lurah, camat, ...
    area: str
    failed_rounds_in_a_row: int
    ikm: float | None
    grade: str | None


@dataclass
class SummaryData:
    round_code: str
    published: bool
    leagues: dict[str, list[LeagueRow]]  # tier -> rows in rank order
    distribution: dict[str, dict[str, int]]  # tier -> grade (A..D, '-') -> count
    ladder: list[LadderRow]
    complaint_ranking: list[ComplaintRankRow] | None = None  # None: no complaint data
    # The follow-up plans written after this round, by state per kota (None: none written);
    # they move after publication, so they are outside the summary's fingerprint.
    followups: list[FollowupCount] | None = None
    lang: str = "id"
    number: str = ""
    verify_url: str = ""
    issued_on: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # as CardData.texts
    # Fair comparisons (issue 20): per tier the posts below the required sample, listed apart
    # from the league table, and one funnel plot per tier.
    too_few: dict[str, list[LeagueRow]] = field(default_factory=dict)
    funnels: list[FunnelChart] = field(default_factory=list)
